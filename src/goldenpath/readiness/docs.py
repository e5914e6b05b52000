"""The README's table of checks, generated from the registry so it cannot drift from the
code: ``goldenpath readiness --list --markdown`` prints it, a test compares it."""

from __future__ import annotations

from goldenpath.readiness.model import Check, Section


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def checks_table(checks: list[type[Check]]) -> str:
    """A Markdown table: id, section, level, weight, what it proves and why, reference."""
    lines = [
        "| Check | Section | Level | Weight | What it proves (and why) | Serves |",
        "|---|---|---|---|---|---|",
    ]
    sections = list(Section)
    ordered = sorted(checks, key=lambda c: (sections.index(c.section), c.level, c.id))
    for check in ordered:
        requires = f" Requires `{'`, `'.join(check.requires)}`." if check.requires else ""
        lines.append(
            f"| `{check.id}` | {check.section.value} | {check.level.label} | {check.weight} "
            f"| {_cell(check.title)}: {_cell(check.why)}{requires} | {_cell(check.reference)} |"
        )
    return "\n".join(lines) + "\n"
