"""IAM policy statements found in Terraform and JSON, and what makes one too broad.

Terraform is not parsed (that needs a grammar this package does not ship): a statement is
the brace block around an ``Effect`` key (``jsonencode``, heredoc or JSON policies) or a
``statement {`` block (``aws_iam_policy_document``), which is the part of the syntax a
verdict depends on. A statement with a principal is a resource policy (key, bucket or
trust policy) and is judged as one: ``Resource "*"`` there means the resource itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from goldenpath.readiness.model import Evidence


@dataclass(frozen=True)
class Statement:
    """An IAM policy statement as written (HCL jsonencode, policy document or JSON)."""

    path: str
    line: int
    effect: str
    actions: tuple[str, ...]
    not_actions: bool
    resources: tuple[str, ...]
    not_resources: bool
    principal: str | None  # the principal text, None for an identity policy
    conditioned: bool
    action_line: int
    resource_line: int


def blank_comments(text: str) -> str:
    """HCL comments replaced by spaces (line numbers and offsets kept)."""
    out: list[str] = []
    for line in text.split("\n"):
        quoted = False
        cut = len(line)
        index = 0
        while index < len(line):
            char = line[index]
            if char == '"' and (index == 0 or line[index - 1] != "\\"):
                quoted = not quoted
            elif not quoted and (char == "#" or line.startswith("//", index)):
                cut = index
                break
            index += 1
        out.append(line[:cut] + " " * (len(line) - cut))
    return "\n".join(out)


def _block_around(text: str, position: int) -> tuple[int, int] | None:
    depth = 0
    start = -1
    for index in range(position - 1, -1, -1):
        if text[index] == "}":
            depth += 1
        elif text[index] == "{":
            if depth == 0:
                start = index
                break
            depth -= 1
    if start < 0:
        return None
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return start, index + 1
    return None


def _own_text(block: str) -> str:
    """The block's text without its nested blocks (Condition, Principal...)."""
    out: list[str] = []
    depth = 0
    for char in block[1:-1]:
        depth += char == "{"
        if depth == 0 or char == "\n":
            out.append(char)
        depth -= char == "}"
    return "".join(out)


def _principal_text(block: str) -> str | None:
    """The principal of a statement (a string or a whole nested block), None without."""
    match = re.search(r"\b(?:Principal|principals)\b[\"']?\s*[=:]?\s*", block)
    if not match:
        return None
    rest = block[match.end() :]
    if rest.startswith("{"):
        span = _block_around(rest, 1)
        return rest[: span[1]] if span else rest.split("\n", 1)[0]
    return rest.split("\n", 1)[0]


def _values(block: str, *keys: str) -> tuple[tuple[str, ...], int] | None:
    """String values of the first of ``keys`` (a string or a list) and its offset."""
    pattern = re.compile(
        r"[\"']?\b(?:" + "|".join(keys) + r")\b[\"']?\s*[=:]\s*(\[[^\]]*\]|\"[^\"]*\"|\S+)"
    )
    match = pattern.search(block)
    if not match:
        return None
    raw = match.group(1)
    strings = tuple(re.findall(r"\"([^\"]*)\"", raw)) or (raw,)
    return strings, match.start()


_STATEMENT_START = re.compile(r"[\"']?\b[Ee]ffect\b[\"']?\s*[=:]|\bstatement\s*\{")


def iam_statements(path: str, text: str) -> Iterator[Statement]:
    """IAM statements in a Terraform or JSON file."""
    clean = blank_comments(text) if path.endswith(".tf") else text
    seen: set[int] = set()
    for match in _STATEMENT_START.finditer(clean):
        anchor = match.end() if match.group(0).startswith("statement") else match.start()
        span = _block_around(clean, anchor)
        if span is None or span[0] in seen:
            continue
        seen.add(span[0])
        block = clean[span[0] : span[1]]
        own = _own_text(block)
        line_at = clean.count("\n", 0, span[0]) + 1

        def line_of(offset: int, base: int = line_at, full: str = block) -> int:
            return base + full.count("\n", 0, offset)

        effect = _values(own, "Effect", "effect")
        actions = _values(block, "Action", "actions")
        not_actions = _values(block, "NotAction", "not_actions")
        resources = _values(block, "Resource", "resources")
        not_resources = _values(block, "NotResource", "not_resources")
        principal_text = _principal_text(block)
        yield Statement(
            path,
            line_at,
            (effect[0][0] if effect else "Allow").strip("\"'"),
            (actions or not_actions or ((), 0))[0],
            not_actions is not None and actions is None,
            (resources or not_resources or ((), 0))[0],
            not_resources is not None and resources is None,
            principal_text,
            bool(re.search(r"\b[Cc]ondition\b", block)),
            line_of((actions or not_actions or ((), 0))[1]),
            line_of((resources or not_resources or ((), 0))[1]),
        )


# Actions AWS only grants on Resource "*": asking for less is impossible.
_RESOURCELESS_ACTIONS = frozenset(
    {
        "ecr:getauthorizationtoken",
        "sts:getcalleridentity",
        "cloudwatch:putmetricdata",
        "xray:puttracesegments",
        "xray:puttelemetryrecords",
        "s3:listallmybuckets",
    }
)


def _broad_actions(statement: Statement) -> list[str]:
    return [a for a in statement.actions if a == "*" or a.endswith(":*")]


def _resource_policy_problem(statement: Statement, principal: str) -> Evidence | None:
    """A statement with a principal (key, bucket or trust policy): the resource is the
    policy's own, so ``Resource "*"`` is normal; a wildcard principal is not, and a
    wildcard action only for the account itself (the delegation to IAM of AWS's default
    key policy)."""
    wildcard = re.search(r"(?:AWS\s*[=:]\s*\[?\s*)?\"\*\"", principal)
    if wildcard and not statement.conditioned:
        text = 'Allow to every principal ("*") without a condition'
        return Evidence(text, statement.path, statement.line)
    broad = _broad_actions(statement)
    if broad and ":root" not in principal:
        text = f"resource policy grants {broad[0]}"
        return Evidence(text, statement.path, statement.action_line)
    return None


def _identity_policy_problem(statement: Statement) -> Evidence | None:
    """A statement attached to an identity: actions and resources must be named."""
    if statement.not_actions or statement.not_resources:
        which = "NotAction" if statement.not_actions else "NotResource"
        line = statement.action_line if statement.not_actions else statement.resource_line
        return Evidence(f"Allow with {which} grants everything else", statement.path, line)
    broad = _broad_actions(statement)
    if broad:
        return Evidence(f"wildcard action {broad[0]}", statement.path, statement.action_line)
    resourceless = all(a.lower() in _RESOURCELESS_ACTIONS for a in statement.actions)
    if "*" in statement.resources and not resourceless:
        return Evidence('wildcard resource "*"', statement.path, statement.resource_line)
    return None


def statement_problem(statement: Statement) -> Evidence | None:
    """What makes an Allow statement broader than least privilege, or None."""
    if statement.effect.lower() != "allow":
        return None
    if statement.principal is not None:
        return _resource_policy_problem(statement, statement.principal)
    return _identity_policy_problem(statement)
