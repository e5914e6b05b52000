"""Read the catalog's CHANGELOG.md: ``## [X.Y.Z] - YYYY-MM-DD`` sections.

The release date doubles as the commit date of that version in the shipped bundle, which is
what makes catalog builds reproducible.

One catalog serves several templates, so a bullet says which templates it concerns: a
bullet that starts with one or more backticked template names followed by a colon
(``- `batch-inference`: ...``, ``- `batch-inference`, `training-pipeline`: ...``) concerns
those templates; an untagged bullet concerns every template. ``update`` shows a repository
only what concerns its template (an "Action needed" of another template is noise at best
and a wrong instruction at worst), so :func:`between` filters by template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from goldenpath.versions import Version

_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\](?:\s*-\s*(?P<date>\d{4}-\d{2}-\d{2}))?\s*$")


@dataclass(frozen=True)
class Entry:
    """One released version's section of the changelog."""

    version: Version
    released: date | None
    body: str


def parse(text: str) -> list[Entry]:
    """All versioned sections, newest first as written; "Unreleased" is skipped."""
    entries: list[Entry] = []
    current: tuple[Version, date | None] | None = None
    lines: list[str] = []

    def flush() -> None:
        if current is not None:
            entries.append(Entry(current[0], current[1], "\n".join(lines).strip()))

    for line in text.splitlines():
        match = _HEADING.match(line)
        if match:
            flush()
            version = Version.maybe(match["version"])
            released = date.fromisoformat(match["date"]) if match["date"] else None
            current = (version, released) if version else None
            lines = []
        elif line.startswith("## "):
            flush()
            current, lines = None, []
        else:
            lines.append(line)
    flush()
    return entries


def between(text: str, older: Version, newer: Version, template: str | None = None) -> list[Entry]:
    """Entries for versions in (older, newer], oldest first: what an update brings.

    With ``template``, each entry keeps only what concerns that template (see
    :func:`for_template`) and entries left empty are dropped.
    """
    picked = [e for e in parse(text) if older < e.version <= newer]
    if template is not None:
        picked = [kept for e in picked if (kept := for_template(e, template)) is not None]
    return sorted(picked, key=lambda e: e.version)


# A template tag: one or more backticked names, comma-separated, then a colon.
_TAG = re.compile(r"^[-*]\s+(?P<names>`[^`]+`(?:\s*,\s*`[^`]+`)*)\s*:")
_NAME = re.compile(r"`([^`]+)`")


def tags(bullet: str) -> list[str]:
    """Template names a bullet is tagged with; ``[]`` for an untagged bullet."""
    match = _TAG.match(bullet)
    return _NAME.findall(match["names"]) if match else []


@dataclass
class _Section:
    """A ``###`` heading (or the text before the first one) and its items, each item a
    bullet with its continuation lines or a paragraph."""

    heading: str | None
    items: list[list[str]] = field(default_factory=list)


def _sections(body: str) -> list[_Section]:
    sections = [_Section(None)]
    item: list[str] | None = None  # the item that lines continue
    blank = False  # a blank line was seen since the last line of ``item``
    for line in body.splitlines():
        if line.startswith("### "):
            sections.append(_Section(line))
            item, blank = None, False
        elif not line.strip():
            blank = item is not None
        elif re.match(r"^[-*]\s", line):
            item, blank = [line], False
            sections[-1].items.append(item)
        elif item is not None and (not blank or (line[0].isspace() and _is_bullet(item))):
            # a line right below continues the item (Markdown's lazy continuation), and an
            # indented one continues a bullet across a blank line (its next paragraph)
            item.extend(["", line] if blank else [line])
            blank = False
        else:
            item, blank = [line], False
            sections[-1].items.append(item)
    return sections


def _is_bullet(item: list[str]) -> bool:
    return bool(re.match(r"^[-*]\s", item[0]))


def _concerns(item: list[str], template: str) -> bool:
    names = tags(item[0]) if _is_bullet(item) else []
    return not names or template in names


def for_template(entry: Entry, template: str) -> Entry | None:
    """The entry with only the bullets (whole, continuation lines included), paragraphs and
    ``###`` headings that concern ``template``; None when nothing is left."""
    kept_sections = []
    for section in _sections(entry.body):
        items = [item for item in section.items if _concerns(item, template)]
        if not items:
            continue
        lines = [section.heading] if section.heading else []
        for index, item in enumerate(items):
            if index and (not _is_bullet(item) or not _is_bullet(items[index - 1])):
                lines.append("")  # paragraphs stay separated from their neighbours
            lines.extend(item)
        kept_sections.append("\n".join(lines))
    if not kept_sections:
        return None
    return Entry(entry.version, entry.released, "\n\n".join(kept_sections))


def tagged_templates(text: str) -> dict[str, list[str]]:
    """Every template name a bullet of a versioned section is tagged with, mapped to the
    versions that use it (for ``catalog verify``: a tag naming no template is a typo that
    hides the bullet from every repository)."""
    found: dict[str, list[str]] = {}
    for entry in parse(text):
        for section in _sections(entry.body):
            for item in section.items:
                for name in tags(item[0]) if _is_bullet(item) else []:
                    versions = found.setdefault(name, [])
                    if str(entry.version) not in versions:
                        versions.append(str(entry.version))
    return found


def entry_for(text: str, version: Version) -> Entry | None:
    """The section of one version, if the changelog has it."""
    return next((e for e in parse(text) if e.version == version), None)
