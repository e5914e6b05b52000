"""The Spark engine: same validation, feature and scoring code as pandas, via mapInPandas.

Locally it starts ``local[*]`` (tests use ``local[1]``); on a cluster, ``spark-submit``
provides the master and this code only asks for the active session. The model is loaded
once on the driver and shipped to the executors inside the mapped function.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .contract import FEATURES, ID_COLUMN, REASON_COLUMN, SCORE_COLUMN, output_schema
from .drift import DriftAccumulator, bin_counts
from .engine import EngineOutcome, PartitionJob
from .metrics import SCORE_BUCKETS, ScoreHistogram
from .scoring import score_chunk
from .validation import IdArray, check_output, parse_ids, split_valid

_OUTPUT_DDL = (
    f"{ID_COLUMN} long, {SCORE_COLUMN} double, model_name string, model_version string, "
    "run_id string, scored_at timestamp"
)


def session(master: str | None = None) -> Any:
    """The active Spark session, or a local one bound to 127.0.0.1 with the UI off."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # Python workers must import this package even when it runs from a source checkout
    # (tests use pytest's pythonpath); the JVM started below passes PYTHONPATH on to them.
    source_root = str(Path(__file__).resolve().parents[1])
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if source_root not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in [source_root, *paths] if p)
    builder = (
        SparkSession.builder.appName(__package__ or "batch-scoring")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
    )
    if master or "SPARK_HOME" not in os.environ:
        builder = (
            builder.master(master or "local[*]")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "2")
        )
    return builder.getOrCreate()


def _read(spark: Any, job: PartitionJob) -> Any:
    from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention

    from .storage import input_files

    files = input_files(job.source, job.config.input_format)  # clear error when missing
    paths = [
        f"file://{p}" if job.source.local else job.source.uri().split("://")[0] + "://" + p
        for p in files
    ]
    if job.config.input_format == "parquet":
        frame = spark.read.parquet(*paths)
    else:
        frame = spark.read.option("header", "true").csv(paths)
    missing = [c for c in (ID_COLUMN, *FEATURES) if c not in frame.columns]
    if missing:
        from .errors import InputSchemaError

        raise InputSchemaError(f"input is missing required columns: {', '.join(missing)}")
    # Unreadable values become null and are then rejected with a reason, as in pandas.
    return frame.select(
        F.col(ID_COLUMN).cast("string").alias(ID_COLUMN),
        *[F.col(name).cast("double").alias(name) for name in FEATURES],
    )


def score_partition(job: PartitionJob) -> EngineOutcome:
    """Validate, score and stage one partition with Spark."""
    spark = session(job.config.spark_master)
    model, lineage = job.model, job.lineage
    features_ddl = ", ".join(f"{name} double" for name in FEATURES)
    checked_ddl = f"{ID_COLUMN} long, {features_ddl}, {REASON_COLUMN} string"

    raw = _read(spark, job)
    duplicates = _duplicate_ids(raw)

    def validate(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            split = split_valid(batch, duplicates)
            yield pd.concat(
                [split.valid.assign(**{REASON_COLUMN: None}), split.rejected], ignore_index=True
            )

    checked = raw.mapInPandas(validate, checked_ddl).cache()
    try:
        rows_in = checked.count()
        rejected = checked.filter(checked[REASON_COLUMN].isNotNull())
        valid = checked.filter(checked[REASON_COLUMN].isNull()).drop(REASON_COLUMN)
        rows_rejected = rejected.count()
        if rows_rejected:
            rejected.coalesce(1).write.mode("overwrite").parquet(job.staged_quarantine.uri())
        schema = output_schema()

        def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
            for batch in batches:
                scored = score_chunk(batch, model, lineage)
                check_output(scored, schema)
                yield scored

        valid.mapInPandas(score, _OUTPUT_DDL).write.mode("overwrite").parquet(
            job.staged_output.uri()
        )
        written = spark.read.parquet(job.staged_output.uri())
        scores = _score_histogram(written)
        drift = _drift(valid, model.drift_reference) if model.drift_reference else None
    finally:
        checked.unpersist()
    return EngineOutcome(
        rows_in=rows_in,
        rows_scored=scores.total,
        rows_rejected=rows_rejected,
        scores=scores,
        drift=drift,
    )


def _duplicate_ids(raw: Any) -> IdArray:
    """Ids repeated anywhere in the partition, read as the pandas engine reads them."""

    def parsed(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            yield pd.DataFrame({ID_COLUMN: parse_ids(batch[ID_COLUMN]).dropna()})

    repeated = (
        raw.select(ID_COLUMN)
        .mapInPandas(parsed, f"{ID_COLUMN} long")
        .groupBy(ID_COLUMN)
        .count()
        .where("count > 1")
        .select(ID_COLUMN)
        .toPandas()
    )
    ids: IdArray = np.sort(repeated[ID_COLUMN].to_numpy(dtype="int64"))
    return ids


def _score_histogram(written: Any) -> ScoreHistogram:
    def partial(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        histogram = ScoreHistogram()
        for batch in batches:
            histogram.add(batch[SCORE_COLUMN].to_numpy(dtype="float64"))
        yield pd.DataFrame(
            {
                "bucket": np.arange(len(SCORE_BUCKETS)),
                "count": histogram.counts,
                "total": histogram.total,
                "sum": histogram.sum,
            }
        )

    parts = (
        written.select(SCORE_COLUMN)
        .mapInPandas(partial, "bucket long, count long, total long, sum double")
        .toPandas()
    )
    histogram = ScoreHistogram()
    for _, part in parts.groupby(parts.index // len(SCORE_BUCKETS)):
        other = ScoreHistogram()
        other.counts = part["count"].to_numpy(dtype="int64")
        other.total = int(part["total"].iloc[0])
        other.sum = float(part["sum"].iloc[0])
        histogram.merge(other)
    return histogram


def _drift(valid: Any, reference: dict[str, Any]) -> DriftAccumulator:
    edges = {name: np.asarray(spec["edges"]) for name, spec in reference["features"].items()}

    def counts(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            for name, bounds in edges.items():
                found = bin_counts(batch[name].to_numpy(dtype="float64"), bounds)
                yield pd.DataFrame({"feature": name, "bin": np.arange(len(found)), "count": found})

    totals = (
        valid.mapInPandas(counts, "feature string, bin long, count long")
        .groupBy("feature", "bin")
        .sum("count")
        .toPandas()
    )
    accumulator = DriftAccumulator(reference)
    for name, group in totals.groupby("feature"):
        found = np.zeros(len(edges[str(name)]) + 1, dtype="int64")
        found[group["bin"].to_numpy()] = group["sum(count)"].to_numpy()
        accumulator.add_counts(str(name), found)
    return accumulator
