"""Recommend a template from plain yes/no questions about the use case.

The questions describe the situation rather than the solution, so someone who does not
know the catalog still lands on the right golden path. They come from the manifests of
the catalog in use (``recommend`` in each ``template.yml``): one trait per template, the
lowest rank wins when several match, and one template is the fallback when none does. A
catalog without manifests has nothing to recommend from: the wizard then just offers its
templates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from goldenpath.catalog.manifest import Manifest, fallback


@dataclass(frozen=True)
class UseCaseQuestion:
    """One yes/no question; a yes means the use case has ``trait``."""

    trait: str
    text: str


@dataclass(frozen=True)
class Recommendation:
    """The template to suggest and the reason shown to the user."""

    template: str
    reason: str


@dataclass(frozen=True)
class Recommender:
    """The use-case questions of one catalog and how answers map to a template."""

    manifests: tuple[Manifest, ...]  # in rank order, as load_manifests returns them

    @property
    def questions(self) -> list[UseCaseQuestion]:
        """One question per trait, in rank order."""
        seen: dict[str, UseCaseQuestion] = {}
        for manifest in self.manifests:
            trait = manifest.recommend.trait
            seen.setdefault(trait, UseCaseQuestion(trait, manifest.recommend.question))
        return list(seen.values())

    def recommend(self, facts: Mapping[str, bool]) -> Recommendation:
        """The best-ranked template whose trait is true, else the fallback template."""
        for manifest in self.manifests:
            if facts.get(manifest.recommend.trait, False):
                return Recommendation(manifest.name, manifest.recommend.reason)
        chosen = fallback(list(self.manifests))
        return Recommendation(chosen.name, str(chosen.recommend.fallback))


def recommender(manifests: Sequence[Manifest]) -> Recommender | None:
    """The recommender of a catalog's manifests; None when it has none."""
    if not manifests:
        return None
    return Recommender(tuple(sorted(manifests, key=lambda m: m.recommend.rank)))
