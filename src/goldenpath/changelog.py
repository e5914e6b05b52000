"""Read the catalog's CHANGELOG.md: ``## [X.Y.Z] - YYYY-MM-DD`` sections.

The release date doubles as the commit date of that version in the shipped bundle, which is
what makes catalog builds reproducible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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


def between(text: str, older: Version, newer: Version) -> list[Entry]:
    """Entries for versions in (older, newer], oldest first: what an update brings."""
    picked = [e for e in parse(text) if older < e.version <= newer]
    return sorted(picked, key=lambda e: e.version)


def entry_for(text: str, version: Version) -> Entry | None:
    """The section of one version, if the changelog has it."""
    return next((e for e in parse(text) if e.version == version), None)
