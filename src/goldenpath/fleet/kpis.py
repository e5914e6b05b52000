"""The fleet's totals and key figures, computed from a :class:`FleetStatus`.

Definitions (the README and the HTML report use the same words):

- **Adoption rate**: repositories holding at least one generated project (an answers file,
  readable or not) / repositories inventoried. Skipped entries are left out, and so are
  repositories that could not be read (nobody knows whether they are from the catalog);
  both are counted apart. Target: 60-80 %: below, the golden path is not the default way
  to start; far above, teams probably cannot leave it where they should.
- **Readiness compliance per tier**: rows of that tier (generated projects and
  repositories not from the catalog) whose readiness level reaches the level their tier
  requires / rows of that tier that were assessed. A row readiness could not assess counts
  as not compliant. Target for tier 1: >= 90 %.
- **Drift-monitoring coverage per tier**: rows of that tier with a model (the
  ``drift-monitor`` check applies: not "not applicable") whose ``drift-monitor`` check
  passes / rows of that tier with a model. Not measured when no check has that id.
  Target for tier 1: >= 80 %.
- **Version distribution**: generated projects per catalog, version and template.

Rows without a known tier are counted under ``"unknown"``. Ratios carry their numerator
and denominator, so "0 of 0" is never shown as 0 % or 100 %.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from goldenpath.fleet.status import FleetStatus, ProjectStatus
from goldenpath.readiness.model import Level, State
from goldenpath.results import Record
from goldenpath.versions import Gap, Version

ADOPTION_TARGET = (0.60, 0.80)
TIER1_READINESS_TARGET = 0.90
TIER1_DRIFT_TARGET = 0.80
TIER_KEYS = ("1", "2", "3", "unknown")
LEVEL_KEYS = (*(level.label for level in Level), "error")


@dataclass(frozen=True)
class Ratio(Record):
    """A share with its parts; ``value`` is None when nothing was counted."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """numerator / denominator, None for 0 of 0."""
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> str:
        """``87.5 %`` or ``-`` when nothing was counted."""
        value = self.value
        return "-" if value is None else f"{100 * value:.1f} %"

    def _json_extra(self) -> dict[str, Any]:
        value = self.value
        return {"value": round(value, 4) if value is not None else None}


@dataclass(frozen=True)
class Kpi(Record):
    """A key figure against its target (for tiles and summaries)."""

    key: str
    title: str
    ratio: Ratio | None  # None: not measured in this run (e.g. readiness not assessed)
    target: str
    verdict: str  # "on-target", "below", "above", "not-measured"


@dataclass
class Totals(Record):
    """Counts and shares over the whole fleet."""

    repositories: int = 0  # inventoried, skipped ones not included
    skipped: int = 0
    unreadable: int = 0
    from_catalog: int = 0
    not_from_catalog: int = 0
    projects: int = 0  # generated projects (answers files)
    project_errors: int = 0
    current: int = 0
    behind: dict[str, int] = field(default_factory=lambda: {"patch": 0, "minor": 0, "major": 0})
    major_between: int = 0
    action_needed: int = 0
    open_update_branches: int = 0  # repositories with an update branch not merged yet
    adoption: Ratio = field(default_factory=lambda: Ratio(0, 0))
    readiness_assessed: bool = False
    readiness_compliance: dict[str, Ratio] = field(default_factory=dict)
    drift_coverage: dict[str, Ratio] = field(default_factory=dict)
    drift_measured: bool = False
    readiness_levels: dict[str, dict[str, int]] = field(default_factory=dict)
    version_distribution: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)

    def kpis(self) -> list[Kpi]:
        """The three headline figures with their targets."""
        low, high = ADOPTION_TARGET
        adoption = self.adoption.value
        if adoption is None:
            adoption_verdict = "not-measured"
        elif adoption < low:
            adoption_verdict = "below"
        elif adoption > high:
            adoption_verdict = "above"
        else:
            adoption_verdict = "on-target"
        compliance = self.readiness_compliance.get("1") if self.readiness_assessed else None
        coverage = self.drift_coverage.get("1") if self.drift_measured else None
        return [
            Kpi(
                "adoption",
                "Adoption rate",
                self.adoption,
                f"{low:.0%}-{high:.0%}",
                adoption_verdict,
            ),
            Kpi(
                "tier1-readiness",
                "Tier-1 readiness compliance",
                compliance,
                f">= {TIER1_READINESS_TARGET:.0%}",
                _at_least(compliance, TIER1_READINESS_TARGET),
            ),
            Kpi(
                "tier1-drift",
                "Tier-1 drift-monitoring coverage",
                coverage,
                f">= {TIER1_DRIFT_TARGET:.0%}",
                _at_least(coverage, TIER1_DRIFT_TARGET),
            ),
        ]

    def _json_extra(self) -> dict[str, Any]:
        return {"kpis": self.kpis()}


def _at_least(ratio: Ratio | None, target: float) -> str:
    if ratio is None or ratio.value is None:
        return "not-measured"
    return "on-target" if ratio.value >= target else "below"


def tier_key(project: ProjectStatus) -> str:
    """``"1"``, ``"2"``, ``"3"`` or ``"unknown"``."""
    return str(project.tier) if project.tier in (1, 2, 3) else "unknown"


def _version_key(text: str) -> Version:
    return Version.parse(text)


def totals(fleet: FleetStatus) -> Totals:
    """Every count and share of the fleet (see the module docstring for definitions)."""
    result = Totals(readiness_assessed=fleet.readiness)
    branches = 0
    for repo in fleet.repositories:
        outcome = repo.outcome
        if outcome == "skipped":
            result.skipped += 1
            continue
        result.repositories += 1
        if outcome == "error":
            result.unreadable += 1
        elif outcome == "catalog":
            result.from_catalog += 1
        else:
            result.not_from_catalog += 1
        if any(not b.merged for b in repo.update_branches):
            branches += 1
    result.open_update_branches = branches
    result.adoption = Ratio(result.from_catalog, result.repositories - result.unreadable)

    generated = [p for p in fleet.projects if p.generated]
    result.projects = len(generated)
    result.project_errors = sum(1 for p in generated if p.error is not None)
    placed = [p for p in generated if p.error is None and p.latest is not None]
    result.current = sum(1 for p in placed if p.gap is Gap.NONE)
    for gap in (Gap.PATCH, Gap.MINOR, Gap.MAJOR):
        result.behind[gap.name.lower()] = sum(1 for p in placed if p.gap is gap)
    result.major_between = sum(1 for p in placed if p.major_between)
    result.action_needed = sum(1 for p in placed if p.action_needed)

    distribution: dict[str, Counter[tuple[str, str]]] = {}
    for project in generated:
        if project.current is None:
            continue
        label = project.catalog or project.source or "?"
        distribution.setdefault(label, Counter())[(project.current, project.template or "?")] += 1
    for label, counts in sorted(distribution.items()):
        versions: dict[str, dict[str, int]] = {}
        for version, template in sorted(counts, key=lambda k: (_version_key(k[0]), k[1])):
            versions.setdefault(version, {})[template] = counts[(version, template)]
        result.version_distribution[label] = dict(
            sorted(versions.items(), key=lambda kv: _version_key(kv[0]), reverse=True)
        )

    if fleet.readiness:
        _readiness_totals(fleet, result)
    return result


def _readiness_totals(fleet: FleetStatus, result: Totals) -> None:
    assessed = [p for p in fleet.projects if p.readiness is not None]
    result.drift_measured = any(p.drift_state is not None for p in assessed)
    for key in TIER_KEYS:
        rows = [p for p in assessed if tier_key(p) == key]
        if not rows:
            continue
        met = sum(1 for p in rows if p.readiness is not None and p.readiness.meets)
        result.readiness_compliance[key] = Ratio(met, len(rows))
        levels = dict.fromkeys(LEVEL_KEYS, 0)
        for row in rows:
            report = row.readiness
            if report is not None:
                levels["error" if report.error is not None else report.level.label] += 1
        result.readiness_levels[key] = levels
        if result.drift_measured:
            with_model = [
                p
                for p in rows
                if p.drift_state is not None and p.drift_state is not State.NOT_APPLICABLE
            ]
            covered = sum(1 for p in with_model if p.drift_state is State.PASS)
            result.drift_coverage[key] = Ratio(covered, len(with_model))
