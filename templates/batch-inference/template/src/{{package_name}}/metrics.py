"""Per-run metrics in the Prometheus text format, for node-exporter's textfile collector
(or a Pushgateway). Every name here is what the alerts and the dashboard query; a test
checks that they only use these names."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from prometheus_client import (
    CollectorRegistry,
    push_to_gateway,
    pushadd_to_gateway,
    write_to_textfile,
)
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

PREFIX = "batch_scoring"
SCORE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
METRIC_NAMES = (
    f"{PREFIX}_last_run_success",
    f"{PREFIX}_last_run_timestamp_seconds",
    f"{PREFIX}_last_success_timestamp_seconds",
    f"{PREFIX}_last_run_duration_seconds",
    f"{PREFIX}_last_run_rows_in",
    f"{PREFIX}_last_run_rows_scored",
    f"{PREFIX}_last_run_rows_rejected",
    f"{PREFIX}_last_run_score",
    f"{PREFIX}_feature_drift_psi",
    f"{PREFIX}_drift_max_psi",
    f"{PREFIX}_last_run_info",
)


class ScoreHistogram:
    """Cumulative counts of scores per bucket, added chunk by chunk."""

    def __init__(self) -> None:
        self.counts = np.zeros(len(SCORE_BUCKETS), dtype="int64")
        self.total = 0
        self.sum = 0.0

    def add(self, scores: np.ndarray[Any, np.dtype[np.float64]]) -> None:
        self.counts += np.bincount(
            np.searchsorted(SCORE_BUCKETS, scores, side="left"), minlength=len(SCORE_BUCKETS) + 1
        )[: len(SCORE_BUCKETS)]
        self.total += len(scores)
        self.sum += float(scores.sum())

    def merge(self, other: ScoreHistogram) -> None:
        self.counts += other.counts
        self.total += other.total
        self.sum += other.sum


@dataclass
class RunMetrics:
    """What one run reports; written whether the run succeeded or failed."""

    job: str
    partition: str
    success: bool = False
    started_at: float = 0.0
    finished_at: float = 0.0
    rows_in: int = 0
    rows_scored: int = 0
    rows_rejected: int = 0
    model_name: str = ""
    model_version: str = ""
    scores: ScoreHistogram = field(default_factory=ScoreHistogram)
    drift: dict[str, Any] | None = None


class _RunCollector(Collector):
    def __init__(self, run: RunMetrics, last_success: float | None) -> None:
        self.run = run
        self.last_success = last_success

    def collect(self) -> Iterator[Metric]:
        run, labels = self.run, ["batch_job"]
        values = [run.job]

        def gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
            family = GaugeMetricFamily(f"{PREFIX}_{name}", doc, labels=labels)
            family.add_metric(values, value)
            return family

        yield gauge("last_run_success", "1 if the last run succeeded, else 0", float(run.success))
        yield gauge("last_run_timestamp_seconds", "When the last run finished", run.finished_at)
        if self.last_success is not None:
            yield gauge(
                "last_success_timestamp_seconds",
                "When a run last succeeded",
                self.last_success,
            )
        yield gauge(
            "last_run_duration_seconds",
            "Wall time of the last run",
            run.finished_at - run.started_at,
        )
        yield gauge("last_run_rows_in", "Input rows read by the last run", run.rows_in)
        yield gauge(
            "last_run_rows_scored", "Rows scored and written by the last run", run.rows_scored
        )
        yield gauge("last_run_rows_rejected", "Rows quarantined by the last run", run.rows_rejected)
        cumulative = np.cumsum(run.scores.counts)
        buckets = [(str(b), float(c)) for b, c in zip(SCORE_BUCKETS, cumulative, strict=True)]
        buckets.append(("+Inf", float(run.scores.total)))
        histogram = HistogramMetricFamily(
            f"{PREFIX}_last_run_score", "Scores of the last run", labels=labels
        )
        histogram.add_metric(values, buckets, run.scores.sum)
        yield histogram
        if run.drift is not None:
            psi = GaugeMetricFamily(
                f"{PREFIX}_feature_drift_psi",
                "Population stability index of each feature against the training reference",
                labels=[*labels, "feature"],
            )
            for feature, value in sorted(run.drift["psi"].items()):
                psi.add_metric([*values, feature], value)
            yield psi
            yield gauge(
                "drift_max_psi", "Largest feature PSI of the last run", run.drift["max_psi"]
            )
        info = GaugeMetricFamily(
            f"{PREFIX}_last_run_info",
            "Partition and model of the last run (value is always 1)",
            labels=[*labels, "partition", "model_name", "model_version"],
        )
        info.add_metric([*values, run.partition, run.model_name, run.model_version], 1.0)
        yield info


def write_run_metrics(run: RunMetrics, metrics_dir: str, pushgateway_url: str | None = None) -> str:
    """Write ``<metrics_dir>/<job>.prom`` atomically (and push it when a Pushgateway is set).

    The last success time is kept across runs in a small state file beside it.
    """
    os.makedirs(metrics_dir, exist_ok=True)
    state_path = os.path.join(metrics_dir, f"{run.job}.state.json")
    last_success: float | None = None
    if os.path.exists(state_path):
        with open(state_path, encoding="utf-8") as handle:
            last_success = json.load(handle).get("last_success_timestamp_seconds")
    if run.success:
        last_success = run.finished_at
        tmp = f"{state_path}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump({"last_success_timestamp_seconds": last_success}, handle)
        os.replace(tmp, state_path)
    registry = CollectorRegistry()
    registry.register(_RunCollector(run, last_success))
    path = os.path.join(metrics_dir, f"{run.job}.prom")
    write_to_textfile(path, registry)
    if pushgateway_url:
        # A success replaces the job's group; a failure only overwrites the metrics it
        # carries, so the gateway keeps the last success time (pods keep no state).
        push = push_to_gateway if run.success else pushadd_to_gateway
        push(
            pushgateway_url,
            job="batch_scoring",
            registry=registry,
            grouping_key={"batch_job": run.job},
        )
    return path
