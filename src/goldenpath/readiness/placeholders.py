"""The one vocabulary of placeholder values: sample identities and unfinished-text markers.

Every readiness check that asks "is this a real owner, contact or text?" uses this list, so
a value counts as a placeholder everywhere or nowhere. A default render of the builtin
templates carries the organisation ``acme`` and the contact
``ml-platform-oncall@example.com``; both must be caught, and a real name that merely
contains such letters (``acmeworks``, ``examples-team``, ``todoist``) must not.

Words are matched as whole name segments: letters and digits continue a word, while every
other character (``-``, ``_``, ``.``, ``/``, ``@``, ``:``, blanks) separates one. So
``@acme/ml-platform``, ``acme-ml`` and ``Acme Corp`` are placeholders; ``acmeworks`` and
``acme2`` are names in their own right. Reserved example domains (RFC 2606, RFC 6761) are
placeholders with any subdomain (``mail.example.com``), never as the tail of another name
(``myexample.com``).
"""

from __future__ import annotations

import re

_START = r"(?<![A-Za-z0-9])"
_END = r"(?![A-Za-z0-9])"

# Markers of text someone meant to finish: they make any document or value unfinished.
# "fill in" counts only where it asks for text ("Fill in:", "(fill in)", "fill in here"),
# not in a sentence such as "we fill in missing values with the median".
_MARKERS = (
    r"TODO",
    r"TBD",
    r"TBC",
    r"FIXME",
    r"XXX+",
    r"lorem[\s_-]+ipsum",
    r"fill[\s_-]+in(?=\s*(?:[:)\]>*_.]|$|here\b|below\b|this\b|the\s+(?:section|blanks?)\b))",
    r"fill[\s_-]+(?:me|this)[\s_-]+in",
    r"to[\s_-]+be[\s_-]+(?:completed|written|filled|determined|defined)",
    r"change[\s_-]?me",
    r"replace[\s_-]?me",
    r"insert[\s_-]+(?:here|your\b[^.\n]{0,40})",
)

# Sample identities: fine in a tutorial, never as the owner or contact of a real service.
_IDENTITIES = (
    r"example\.(?:com|org|net)",  # reserved example domains, any subdomain
    r"[A-Za-z0-9-]+\.(?:example|invalid|test|localhost)(?!-|\.?[A-Za-z0-9])",  # reserved TLDs
    r"example",
    r"acme",
    r"your[\s_.-]?(?:team|org|organi[sz]ation|company|name|e-?mail|handle|group|channel|"
    r"service|contact|rotation|pager)",
    r"n/a",
    r"none",
    r"nobody",
)

_BOILERPLATE = re.compile(_START + "(?:" + "|".join(_MARKERS) + ")" + _END, re.IGNORECASE)
_IDENTITY = re.compile(_START + "(?:" + "|".join(_IDENTITIES) + ")" + _END, re.IGNORECASE)
# Placeholders in angle brackets (``<team>``, ``<your-email>``) and template leftovers
# (``{{ owner }}``, ``[[ owner ]]``).
_BRACKETED = re.compile(
    r"<\s*(?:your[\s_.-]?)?(?:team|owner|e-?mail|contact|org|organi[sz]ation|name|handle|"
    r"group|channel)(?:[\s_.-]?(?:name|e-?mail|address|handle))?\s*>"
    r"|\{\{[^{}\n]*\}\}|\[\[[^\[\]\n]*\]\]",
    re.IGNORECASE,
)


def boilerplate_in(text: str) -> str | None:
    """The first unfinished-text marker in ``text`` (``TODO``, ``lorem ipsum``...), or None.

    Documents use this subset: a model card may mention ``example.com`` in a sentence
    without naming anyone, but not a ``TODO``.
    """
    found = _BOILERPLATE.search(text)
    return found.group(0) if found else None


def placeholder_in(text: str) -> str | None:
    """The first placeholder in an owner or contact value, or None when it looks real.

    Catches sample identities (``acme``, ``example.com``, ``your-team``, ``n/a``),
    unfinished markers (``TODO``, ``changeme``) and bracketed or template leftovers
    (``<team>``, ``{{ owner }}``). Give it the value, not the sentence around it.
    """
    found = [m for m in (_IDENTITY.search(text), _BRACKETED.search(text)) if m is not None]
    marker = _BOILERPLATE.search(text)
    if marker is not None:
        found.append(marker)
    if not found:
        return None
    first = min(found, key=lambda m: m.start())
    return first.group(0)
