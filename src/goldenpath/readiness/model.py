"""The vocabulary of readiness: states, levels, evidence, a check, and a repository's report.

A check never raises to say "no": it returns a :class:`Finding` whose state is one of four
(pass, fail, not applicable, unknown) and whose evidence points at files and lines, so a
reader can verify the verdict without trusting goldenpath. Levels are cumulative (a level
counts only when every counted check of it and of every lower level passes) and the score
is weighted; the section minimum keeps one neglected area from being averaged away.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from goldenpath.errors import EXIT_ATTENTION, EXIT_OK, GoldenpathError
from goldenpath.results import Record, Result

if TYPE_CHECKING:
    from goldenpath.readiness.facts import Repo


class State(enum.Enum):
    """What a check found. Only PASS proves anything; UNKNOWN blocks a level like FAIL."""

    PASS = "pass"  # noqa: S105 - a state name, not a password
    FAIL = "fail"
    NOT_APPLICABLE = "not-applicable"
    UNKNOWN = "unknown"


class Level(enum.IntEnum):
    """Cumulative maturity levels; NONE means not even the lowest level is met."""

    NONE = 0
    BRONZE = 1
    SILVER = 2
    GOLD = 3

    @property
    def label(self) -> str:
        """Lower-case name, as used on the command line and in JSON."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Level:
        """``bronze``/``silver``/``gold``/``none`` (any case); ValueError otherwise."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(level.label for level in cls)
            raise ValueError(f"unknown readiness level {text!r} (one of: {names})") from None


class Section(enum.Enum):
    """Areas scored separately; the four of the ML Test Score plus security and ownership."""

    DATA = "data"
    MODEL = "model"
    DELIVERY = "delivery"
    MONITORING = "monitoring"
    SECURITY = "security"
    OWNERSHIP = "ownership"


@dataclass(frozen=True)
class Evidence(Record):
    """Where a verdict comes from: a file and line, or what was looked for and not found."""

    text: str
    path: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.path or ""
        if self.path and self.line:
            where = f"{self.path}:{self.line}"
        return f"{where}: {self.text}" if where else self.text


@dataclass(frozen=True)
class Finding:
    """A check's answer: its state, why (``detail``), the evidence and an optional fix hint.

    ``hint`` overrides the check's generic hint when the finding knows the exact fix (for
    instance which answer of a generated repository to change).
    """

    state: State
    detail: str = ""
    evidence: tuple[Evidence, ...] = ()
    hint: str | None = None


def passed(detail: str, *evidence: Evidence) -> Finding:
    """A passing finding; pass the evidence that proves it."""
    return Finding(State.PASS, detail, evidence)


def failed(detail: str, *evidence: Evidence, hint: str | None = None) -> Finding:
    """A failing finding; the evidence names what is wrong or what was looked for."""
    return Finding(State.FAIL, detail, evidence, hint)


def not_applicable(detail: str) -> Finding:
    """The check does not concern this repository (for instance no Kubernetes workload)."""
    return Finding(State.NOT_APPLICABLE, detail)


def unknown(detail: str, *evidence: Evidence) -> Finding:
    """The check could not decide (an unreadable file, a tool that is missing)."""
    return Finding(State.UNKNOWN, detail, evidence)


class Check(ABC):
    """One readiness check: a few class attributes and a ``run`` that reads the repository.

    Subclass it, set the attributes and implement :meth:`run`; register the class through
    the ``goldenpath.readiness`` entry-point group (see the README) to add it to every run.
    ``requires`` names checks that must pass first: when one of them did not pass this
    check is reported as unknown (or not applicable when that one was) without running.
    """

    id: ClassVar[str]
    section: ClassVar[Section]
    level: ClassVar[Level]
    title: ClassVar[str]
    why: ClassVar[str]
    reference: ClassVar[str]
    hint: ClassVar[str]
    weight: ClassVar[int] = 1
    requires: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def run(self, repo: Repo) -> Finding:
        """Read the repository and return a finding; never raise for a "no"."""


class Status(enum.Enum):
    """Whether a check's result counts: config can disable it or mark it "enable later"."""

    COUNTED = "counted"
    DISABLED = "disabled"
    LATER = "later"


@dataclass(frozen=True)
class CheckResult(Record):
    """A check's metadata plus its finding and whether it counts towards level and score."""

    check: type[Check]
    finding: Finding
    status: Status = Status.COUNTED
    reason: str = ""

    @property
    def counted(self) -> bool:
        """True when the result counts: enabled and applicable."""
        return self.status is Status.COUNTED and self.finding.state is not State.NOT_APPLICABLE

    @property
    def hint(self) -> str:
        """The finding's specific hint, else the check's generic one."""
        return self.finding.hint or self.check.hint

    # the check class and its finding are shown flattened, as the keys below
    _json_rename: ClassVar = {"check": None, "finding": None}

    def _json_extra(self) -> dict[str, Any]:
        check = self.check
        return {
            "id": check.id,
            "section": check.section.value,
            "level": check.level.label,
            "weight": check.weight,
            "title": check.title,
            "reference": check.reference,
            "state": self.finding.state,
            "reason": self.reason or None,
            "counted": self.counted,
            "detail": self.finding.detail,
            "evidence": self.finding.evidence,
            "hint": self.hint if self.finding.state in (State.FAIL, State.UNKNOWN) else None,
        }


@dataclass
class ReadinessReport(Result):
    """The verdict on one repository (or one project folder inside it).

    ``error`` is set instead of raising, so a fleet run can keep going past a repository it
    cannot read; ``required`` is the level the repository must reach (from ``--fail-under``
    or from its tier).
    """

    path: str
    results: list[CheckResult] = field(default_factory=list)
    tier: int | None = None
    tier_source: str = ""
    required: Level = Level.BRONZE
    template: str | None = None
    error: GoldenpathError | None = None

    def _weights(self, results: list[CheckResult]) -> tuple[int, int]:
        counted = [r for r in results if r.counted]
        total = sum(r.check.weight for r in counted)
        got = sum(r.check.weight for r in counted if r.finding.state is State.PASS)
        return got, total

    @property
    def level(self) -> Level:
        """Highest level whose checks, and those of every lower level, all pass."""
        reached = Level.NONE
        for level in (Level.BRONZE, Level.SILVER, Level.GOLD):
            blocking = [
                r
                for r in self.results
                if r.counted and r.check.level <= level and r.finding.state is not State.PASS
            ]
            if blocking:
                break
            reached = level
        return reached

    @property
    def score(self) -> float:
        """Weighted share of counted checks that pass, 0-100 (100 when nothing counts)."""
        got, total = self._weights(self.results)
        return round(100.0 * got / total, 1) if total else 100.0

    def section_scores(self) -> dict[Section, float]:
        """Weighted score per section that has at least one counted check."""
        scores: dict[Section, float] = {}
        for section in Section:
            got, total = self._weights([r for r in self.results if r.check.section is section])
            if total:
                scores[section] = round(100.0 * got / total, 1)
        return scores

    @property
    def section_minimum(self) -> float:
        """The lowest section score: one neglected area cannot hide behind the others."""
        scores = self.section_scores()
        return min(scores.values()) if scores else 100.0

    @property
    def meets(self) -> bool:
        """True when the level reached is at least the required one."""
        return self.error is None and self.level >= self.required

    def _ok_exit_code(self) -> int:
        """3 when the required level is not reached."""
        return EXIT_OK if self.meets else EXIT_ATTENTION

    def result(self, check_id: str) -> CheckResult | None:
        """The result of one check by id, if it ran."""
        return next((r for r in self.results if r.check.id == check_id), None)

    def failing(self) -> list[CheckResult]:
        """Counted results that did not pass, lowest level first."""
        bad = [r for r in self.results if r.counted and r.finding.state is not State.PASS]
        return sorted(bad, key=lambda r: (r.check.level, r.check.section.value, r.check.id))

    _json_rename: ClassVar = {"results": None}  # as "checks", after the summary

    def _json_extra(self) -> dict[str, Any]:
        return {
            "tier_source": self.tier_source or None,
            "level": self.level if self.error is None else Level.NONE,
            "meets": self.meets,
            "score": self.score,
            "section_minimum": self.section_minimum,
            "sections": self.section_scores(),
            "checks": self.results,
        }
