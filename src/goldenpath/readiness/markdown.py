"""Markdown as GitHub renders it: lines outside code fences and heading anchors.

A runbook link is only as good as the anchor it names, and GitHub derives anchors from the
heading text by fixed rules (lower case, punctuation dropped, blanks to ``-``, ``-1`` for a
repeated heading); checks resolve links by the same rules instead of guessing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from goldenpath.readiness.facts import Repo


def markdown_lines(repo: Repo, path: str) -> Iterator[tuple[int, str]]:
    """Numbered lines outside fenced code blocks."""
    fence: str | None = None
    for number, line in enumerate(repo.lines(path), start=1):
        stripped = line.lstrip()
        marker = stripped[:3]
        if marker in ("```", "~~~"):
            fence = None if fence == marker else fence or marker
            continue
        if fence is None:
            yield number, line


# -- anchors -------------------------------------------------------------------------------


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to ``-``."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    kept = [
        ch
        for ch in text.strip().lower()
        if ch.isalnum() or ch in "-_ " or unicodedata.category(ch).startswith("M")
    ]
    return "".join(kept).replace(" ", "-")


def markdown_anchors(repo: Repo, path: str) -> dict[str, int]:
    """Heading anchors of a Markdown file (GitHub's rules, duplicates get ``-1``, ``-2``)
    and explicit ``<a name|id="...">`` anchors, each with its line."""
    anchors: dict[str, int] = {}
    seen: dict[str, int] = {}
    previous: tuple[int, str] | None = None
    for number, line in markdown_lines(repo, path):
        heading: tuple[int, str] | None = None
        atx = re.match(r"^ {0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$", line)
        if atx:
            heading = (number, atx.group(1) or "")
        elif previous and re.match(r"^ {0,3}(=+|-+)\s*$", line) and previous[1].strip():
            heading = (previous[0], previous[1].strip())  # a setext heading
        for anchor in re.findall(r"<a\s+(?:name|id)=[\"']([^\"']+)[\"']", line):
            anchors.setdefault(anchor, number)
        previous = None if heading else (number, line)
        if heading is None:
            continue
        slug = github_slug(heading[1])
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.setdefault(slug if count == 0 else f"{slug}-{count}", heading[0])
    return anchors
