"""Pipeline metrics in Prometheus text format, written for node_exporter's textfile
collector (each command writes its own ``<command>.prom``) and, when
PIPELINE_PUSHGATEWAY_URL is set (CI runs have no node_exporter), pushed to a Pushgateway
under ``job="training_pipeline"`` and ``command=<command>``.

Every metric name the alerts and the dashboard use is defined here, and only here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile

PREFIX = "training_pipeline"


class PipelineMetrics:
    """The gauges of one command run, labelled with the registered model name."""

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name
        self.registry = CollectorRegistry()
        labels = ["model"]

        def gauge(name: str, doc: str, extra: tuple[str, ...] = ()) -> Gauge:
            return Gauge(f"{PREFIX}_{name}", doc, [*labels, *extra], registry=self.registry)

        self.step_duration = gauge(
            "step_duration_seconds", "Wall time of the last run of each step", ("step",)
        )
        self.step_success = gauge(
            "step_success", "1 if the last run of the step succeeded, else 0", ("step",)
        )
        self.run_success = gauge("run_success", "1 if the last pipeline run succeeded, else 0")
        self.last_run = gauge("last_run_timestamp_seconds", "When the last run finished")
        self.last_success = gauge(
            "last_success_timestamp_seconds", "When the last successful run finished"
        )
        self.rows = gauge("rows", "Rows seen by the last run per stage", ("stage",))
        self.rejected_rows = gauge(
            "rejected_rows", "Rows that broke the data contract in the last run"
        )
        self.model_metric = gauge(
            "model_metric",
            "Evaluation metric on the last run's test rows (candidate and champion)",
            ("metric", "role"),
        )
        self.metric_threshold = gauge(
            "metric_threshold", "Threshold of the evaluation gate", ("metric",)
        )
        self.gate_passed = gauge("gate_passed", "1 if the last candidate passed the gate")
        self.champion_promoted = gauge(
            "champion_promoted_timestamp_seconds", "When the current champion was promoted"
        )
        self.drift_psi = gauge(
            "feature_drift_psi", "Population stability index per feature", ("feature",)
        )
        self.drift_detected = gauge("drift_detected", "1 if any feature drifted past the threshold")

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time a step and record whether it succeeded (the exception still propagates)."""
        started = time.perf_counter()
        ok = False
        try:
            yield
            ok = True
        finally:
            self.step_duration.labels(self.model_name, name).set(time.perf_counter() - started)
            self.step_success.labels(self.model_name, name).set(1 if ok else 0)

    def finish(self, success: bool) -> None:
        now = time.time()
        self.run_success.labels(self.model_name).set(1 if success else 0)
        self.last_run.labels(self.model_name).set(now)
        if success:
            self.last_success.labels(self.model_name).set(now)

    def write(self, path: Path) -> Path:
        """Write ``path`` (its stem names the command) and push it if a gateway is set."""
        path.parent.mkdir(parents=True, exist_ok=True)
        write_to_textfile(str(path), self.registry)
        gateway = os.environ.get("PIPELINE_PUSHGATEWAY_URL")
        if gateway:
            push_to_gateway(
                gateway,
                job="training_pipeline",
                grouping_key={"command": path.stem},
                registry=self.registry,
                timeout=10,
            )
        return path
