"""What an engine receives and returns; both engines implement ``score_partition``."""

from __future__ import annotations

from dataclasses import dataclass

from .config import JobConfig
from .drift import DriftAccumulator
from .metrics import ScoreHistogram
from .model import LoadedModel
from .scoring import Lineage
from .storage import Location


@dataclass(frozen=True)
class PartitionJob:
    """One partition to score: where to read, where to stage, with which model."""

    config: JobConfig
    source: Location
    staged_output: Location
    staged_quarantine: Location
    model: LoadedModel
    lineage: Lineage


@dataclass(frozen=True)
class EngineOutcome:
    """Counts and accumulated statistics of a staged (not yet committed) partition."""

    rows_in: int
    rows_scored: int
    rows_rejected: int
    scores: ScoreHistogram
    drift: DriftAccumulator | None
