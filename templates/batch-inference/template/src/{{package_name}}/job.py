"""One run: score one partition with one model, then commit output and quarantine.

Engine-independent steps live here (loading the model once, recovery, the rejection
threshold, atomic commit, drift report, metrics); engines only validate, score and stage.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .config import JOB_NAME, JobConfig
from .engine import EngineOutcome, PartitionJob
from .errors import JobError, TooManyRejectedRowsError
from .metrics import RunMetrics, write_run_metrics
from .model import LoadedModel, load_model
from .scoring import Lineage
from .storage import (
    QUARANTINE,
    REPORTS,
    Location,
    commit,
    discard,
    partition_name,
    recover,
    remove,
    staging_for,
    write_json,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    """What a successful run produced."""

    partition: str
    run_id: str
    rows_in: int
    rows_scored: int
    rows_rejected: int
    output: str
    quarantine: str | None
    drift: dict[str, Any] | None


def _engine(name: str) -> Callable[[PartitionJob], EngineOutcome]:
    if name == "spark":
        from .engine_spark import score_partition as spark_score

        return spark_score
    from .engine_pandas import score_partition as pandas_score

    return pandas_score


def run_partition(
    config: JobConfig,
    day: date,
    *,
    model: LoadedModel | None = None,
    run_id: str | None = None,
    scored_at: datetime | None = None,
) -> RunResult:
    """Score the input partition of ``day`` and replace the output partition of ``day``."""
    partition = partition_name(config.partition_key, day)
    run_id = run_id or uuid.uuid4().hex
    metrics = RunMetrics(job=JOB_NAME, partition=partition, started_at=time.time())
    output_root = Location.parse(config.output_uri)
    quarantine_root = output_root.child(QUARANTINE)
    staged = staging_for(output_root, partition, run_id)
    staged_quarantine = staging_for(quarantine_root, partition, run_id)
    try:
        model = model or load_model(config.model_uri, config.tracking_uri)
        metrics.model_name, metrics.model_version = model.name, model.version
        lineage = Lineage(
            model_name=model.name,
            model_version=model.version,
            run_id=run_id,
            scored_at=scored_at or datetime.now(UTC),
        )
        recover(output_root, partition)
        recover(quarantine_root, partition)
        job = PartitionJob(
            config=config,
            source=Location.parse(config.input_uri).child(partition),
            staged_output=staged,
            staged_quarantine=staged_quarantine,
            model=model,
            lineage=lineage,
        )
        outcome = _engine(config.engine)(job)
        metrics.rows_in = outcome.rows_in
        metrics.rows_scored = outcome.rows_scored
        metrics.rows_rejected = outcome.rows_rejected
        metrics.scores = outcome.scores
        manifest = {
            "run_id": run_id,
            "partition": partition,
            "engine": config.engine,
            "rows_in": outcome.rows_in,
            "rows_scored": outcome.rows_scored,
            "rows_rejected": outcome.rows_rejected,
            "model_uri": model.uri,
            "model_name": model.name,
            "model_version": model.version,
            "model_source_run_id": model.source_run_id,
            "scored_at": lineage.scored_at.isoformat(),
        }
        quarantine_final = quarantine_root.child(partition)
        if outcome.rows_rejected:
            commit(staged_quarantine, quarantine_final, manifest)
        else:
            remove(quarantine_final)
        rejected_share = outcome.rows_rejected / outcome.rows_in if outcome.rows_in else 0.0
        if rejected_share > config.max_rejected_fraction:
            raise TooManyRejectedRowsError(
                f"{outcome.rows_rejected} of {outcome.rows_in} rows ({rejected_share:.1%}) failed "
                f"validation, above the allowed {config.max_rejected_fraction:.1%}; the output "
                f"partition was not changed. Reasons: {quarantine_final.uri()}"
            )
        drift = outcome.drift.report() if outcome.drift is not None else None
        metrics.drift = drift
        if drift is not None:
            _write_report(output_root, partition, run_id, {**drift, "run_id": run_id})
        commit(staged, output_root.child(partition), manifest)
        metrics.success = True
        log.info("scored %s: %s", partition, json.dumps(manifest, default=str))
        return RunResult(
            partition=partition,
            run_id=run_id,
            rows_in=outcome.rows_in,
            rows_scored=outcome.rows_scored,
            rows_rejected=outcome.rows_rejected,
            output=output_root.child(partition).uri(),
            quarantine=quarantine_final.uri() if outcome.rows_rejected else None,
            drift=drift,
        )
    finally:
        discard(staged)
        discard(staged_quarantine)
        metrics.finished_at = time.time()
        write_run_metrics(metrics, config.metrics_dir, config.pushgateway_url)


def _write_report(root: Location, partition: str, run_id: str, report: dict[str, Any]) -> None:
    write_json(root.child(REPORTS, partition), "drift.json", report)


def days_between(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last``, both included."""
    if last < first:
        raise JobError(f"--to ({last}) is before --from ({first})")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def backfill(config: JobConfig, first: date, last: date) -> list[tuple[date, RunResult | JobError]]:
    """Run every day in order with one model; a failed day does not stop the others."""
    model = load_model(config.model_uri, config.tracking_uri)
    results: list[tuple[date, RunResult | JobError]] = []
    for day in days_between(first, last):
        try:
            results.append((day, run_partition(config, day, model=model)))
        except JobError as exc:
            log.error("%s failed: %s", day, exc)
            results.append((day, exc))
    return results
