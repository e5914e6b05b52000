"""Catalog versions: ``vX.Y.Z`` tags, ordered by semantic version.

Copier records ``git describe --tags`` as ``_commit`` (``v1.2.0`` or ``v1.2.0-3-gabc123``
when rendered from an untagged commit), so parsing accepts that form too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

_TAG = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-(\d+)-g[0-9a-f]+)?$")


class Gap(IntEnum):
    """How far a repository is behind; ordered so ``gap >= threshold`` means "fails"."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3


@dataclass(frozen=True, order=True)
class Version:
    """A released catalog version (``extra`` counts commits past the tag, never released)."""

    major: int
    minor: int
    patch: int
    extra: int = 0

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse ``vX.Y.Z``, ``X.Y.Z`` or a ``git describe`` string; ValueError otherwise."""
        match = _TAG.match(text.strip())
        if not match:
            raise ValueError(f"not a catalog version: {text!r} (expected X.Y.Z)")
        major, minor, patch, extra = match.groups()
        return cls(int(major), int(minor), int(patch), int(extra or 0))

    @classmethod
    def maybe(cls, text: str) -> Version | None:
        """Like ``parse`` but None for tags that are not versions (they are ignored)."""
        try:
            return cls.parse(text)
        except ValueError:
            return None

    @property
    def tag(self) -> str:
        """The git tag that holds this version in a catalog."""
        return f"v{self}"

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def gap_to(self, newer: Version) -> Gap:
        """Which part changes between this version and a newer one."""
        if newer.major != self.major:
            return Gap.MAJOR if newer > self else Gap.NONE
        if newer.minor != self.minor:
            return Gap.MINOR if newer > self else Gap.NONE
        if (newer.patch, 0) > (self.patch, self.extra):
            return Gap.PATCH
        return Gap.NONE
