"""The pipeline's steps and the commands that chain them.

Each step reads what the previous one wrote to the work directory (``build/`` by
default), so every step can run on its own from the command line, and ``run_all`` runs
them in order: ingest -> validate -> featurize -> train -> evaluate -> register -> card.
"""

from __future__ import annotations

import importlib
import json
import logging
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import joblib
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.pipeline import Pipeline

from . import card, registry
from .config import Settings
from .contract import FEATURES, TIMESTAMP_COLUMN
from .data import fingerprint, local_parquet, read_table
from .errors import DataRejectedError, GateRefusedError, PipelineError
from .evaluation import Evaluation, evaluate
from .features import featurize, split
from .files import replace, replace_text
from .metrics import PipelineMetrics
from .model import train
from .monitor import DriftReport, compare
from .validation import ValidationReport, validate

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Paths:
    """Files the steps hand to each other inside the work directory."""

    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw.parquet"

    @property
    def ingest(self) -> Path:
        return self.root / "data" / "ingest.json"

    @property
    def train(self) -> Path:
        return self.root / "data" / "train.parquet"

    @property
    def test(self) -> Path:
        return self.root / "data" / "test.parquet"

    @property
    def reference(self) -> Path:
        return self.root / "data" / "reference.parquet"

    @property
    def split(self) -> Path:
        return self.root / "data" / "split.json"

    @property
    def model(self) -> Path:
        return self.root / "model" / "model.joblib"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def evaluation(self) -> Path:
        return self.reports / "evaluation.json"

    @property
    def registration(self) -> Path:
        return self.reports / "registration.json"


# Below this many cells (rows x columns) run-all's side work runs inline (see HandOver).
BACKGROUND_CELLS = 500_000


class HandOver:
    """Run-all's side work: the hand-over files, the data's fingerprint and the champion's
    lookup; ``wait`` returns when all of it is done and raises its first error.

    Within run-all nothing reads the hand-over files back (the frames are handed over in
    memory). On large data that work runs in one background thread while the next steps
    run: pyarrow releases the GIL while it encodes and writes, and pandas' hashing works
    column by column in NumPy, so the fit need not wait for them. On small data the same
    work is mostly Python, and two threads that take turns holding the GIL cost more than
    they overlap: at the demo's 569 rows a run took ~9 ms more CPU and ~4 ms more time
    with the thread than without it. ``size`` chooses once the data is read; until then,
    and below ``BACKGROUND_CELLS``, work runs inline (an error is raised at once).

    ``rows``: on small data, the ingested rows as an Arrow table. The split's files are
    taken from it by position instead of converting each part from pandas (~1.5 ms a
    file at 569 rows, most of writing it). On large data the conversion is cheaper than
    the copy a take makes (the three files: 38 against 44 ms at 56,900 rows, 275
    against 372 ms at 569,000), so the parts are converted.
    """

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[Any]] = []
        self.rows: pa.Table | None = None

    def size(self, frame: pd.DataFrame) -> None:
        """Run the work in the background from now on if the data is large."""
        if self._pool is None and frame.size >= BACKGROUND_CELLS:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hand-over")

    @property
    def background(self) -> bool:
        return self._pool is not None

    def submit(self, function: Callable[..., T], *args: object) -> Future[T]:
        """Queue ``function`` (in order: one worker), or run it now on small data."""
        if self._pool is not None:
            future = self._pool.submit(function, *args)
            self._pending.append(future)
            return future
        done: Future[T] = Future()
        done.set_result(function(*args))
        return done

    def wait(self) -> None:
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def close(self) -> None:
        """Let the writes finish (never leave half-written files behind) and stop."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def _write_table(table: pa.Table, path: Path) -> None:
    """Hand-over files are written once and read at most once: floats are stored plain.

    Dictionary encoding only pays for repeated values; measured floats rarely repeat, and
    trying costs more than the rest of the write (1.2 s against 0.55 s for 426,000 rows
    of 30 such features). Other columns (labels, categories) keep it. No column
    statistics: they serve readers that skip row groups, and these files are read whole.
    """
    dictionary = [field.name for field in table.schema if not pa.types.is_floating(field.type)]
    replace(
        path,
        lambda temporary: pq.write_table(
            table, temporary, use_dictionary=dictionary, write_statistics=False
        ),
    )


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """The file ``DataFrame.to_parquet(index=False)`` writes, through pyarrow directly:
    pandas' I/O layer (engine and path checks, a file system lookup) cost about 1 ms per
    file, a third of the whole write at the demo's size."""
    _write_table(_arrow(frame), path)


def _arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)


def _dump_model(model: Pipeline, path: Path) -> None:
    replace(path, lambda temporary: joblib.dump(model, temporary))


def _hand_over(hand_over: HandOver | None, function: Callable[..., object], *args: Any) -> None:
    """Write now (single steps) or as run-all's hand-over work."""
    if hand_over is None:
        function(*args)
    else:
        hand_over.submit(function, *args)


def _spark_engine() -> Any:
    """The Spark engine's data steps (engine_spark.py, part of engine=spark renders only)."""
    try:
        return importlib.import_module(f"{__package__}.engine_spark")
    except ModuleNotFoundError as error:
        if error.name and error.name.startswith("pyspark"):
            raise PipelineError(
                "the Spark engine needs pyspark and Java 17+: pip install -c constraints.txt -e ."
            ) from error
        raise PipelineError(
            "this repository has no Spark engine (it was generated with engine=pandas)"
        ) from error


def _require(path: Path, step: str) -> Path:
    if not path.exists():
        raise PipelineError(f"{path} is missing: run the `{step}` step first")
    return path


def ingest(
    settings: Settings, metrics: PipelineMetrics | None = None, hand_over: HandOver | None = None
) -> pd.DataFrame:
    """Read the training data, fingerprint it and keep a copy for the next steps.

    A local Parquet file is copied byte for byte and read from the copy: encoding it
    again would cost as much as reading it, and the rows handed on are then those of the
    kept file. Other sources are read, and written as Parquet. Within run-all that
    Parquet file and the fingerprint (it takes about as long as reading the data) are
    the hand-over's work, in the background on large data: nothing reads them before
    the run is recorded. With the Spark engine the rows stay on Spark
    (engine_spark.ingest).
    """
    if settings.engine == "spark":
        return _spark_engine().ingest(settings, metrics)
    paths = Paths(settings.work_dir)
    paths.raw.parent.mkdir(parents=True, exist_ok=True)
    source = local_parquet(settings.data_uri)
    if source is not None:
        replace(paths.raw, lambda temporary: shutil.copyfile(source, temporary))
        frame = pd.read_parquet(paths.raw)
    else:
        frame = read_table(settings.data_uri)
    ingested = None
    if hand_over is not None:
        hand_over.size(frame)
        if not hand_over.background and _positional(frame):
            ingested = hand_over.rows = _arrow(frame)
    if source is None:
        _hand_over(hand_over, _write_raw, ingested, frame, paths.raw)
    _hand_over(hand_over, _record_lineage, settings.data_uri, frame, paths.ingest)
    if metrics is not None:
        metrics.rows.labels(settings.model_name, "ingested").set(len(frame))
    return frame


def _positional(frame: pd.DataFrame) -> bool:
    """Whether the frame's index labels are its row positions (then so are its parts')."""
    index = frame.index
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def _write_raw(ingested: pa.Table | None, frame: pd.DataFrame, path: Path) -> None:
    _write_table(ingested if ingested is not None else _arrow(frame), path)


def _write_split(
    hand_over: HandOver | None,
    frame: pd.DataFrame,
    parts: tuple[pd.DataFrame, pd.DataFrame],
    paths: Paths,
) -> None:
    """The split's files: training rows, test rows and features (the drift reference)."""
    train_rows, test_rows = parts
    ingested = hand_over.rows if hand_over is not None else None
    plain = all(frame[name].dtype == "float64" for name in FEATURES)
    _hand_over(hand_over, _write_training, ingested, train_rows, paths, plain)
    _hand_over(hand_over, _write_rows, ingested, test_rows, paths.test)


def _part(ingested: pa.Table | None, part: pd.DataFrame) -> pa.Table:
    """``part`` as Arrow: taken by position (its index) from the ingested rows' table when
    there is one (small data), else converted from pandas."""
    return ingested.take(part.index.to_numpy()) if ingested is not None else _arrow(part)


def _write_rows(ingested: pa.Table | None, part: pd.DataFrame, path: Path) -> None:
    _write_table(_part(ingested, part), path)


def _write_training(
    ingested: pa.Table | None, rows: pd.DataFrame, paths: Paths, plain: bool
) -> None:
    """The training rows, and their features as the drift reference. When the features
    are float64 already (``plain``), featurize(rows) would give these very columns: they
    are selected from the same Arrow table (without the pandas metadata, which lists
    every column) instead of converted again (~30 ms at 569,000 rows)."""
    table = _part(ingested, rows)
    _write_table(table, paths.train)
    if plain:
        reference = table.select(list(FEATURES)).replace_schema_metadata(None)
        _write_table(reference, paths.reference)
    else:
        _write_parquet(featurize(rows), paths.reference)


def _record_lineage(data_uri: str, frame: pd.DataFrame, path: Path) -> None:
    """Where the rows came from and their fingerprint, for the run's record."""
    lineage = {"data_uri": data_uri, "data_fingerprint": fingerprint(frame), "rows": len(frame)}
    replace_text(path, json.dumps(lineage, indent=2) + "\n")
    log.info("ingested %d rows from %s (%s)", len(frame), data_uri, lineage["data_fingerprint"])


def _read(path: Path, step: str, frame: pd.DataFrame | None) -> pd.DataFrame:
    """The frame a previous step handed over: in memory within run-all, else from disk."""
    return frame if frame is not None else pd.read_parquet(_require(path, step))


def validate_data(
    settings: Settings,
    metrics: PipelineMetrics | None = None,
    frame: pd.DataFrame | None = None,
) -> ValidationReport:
    """Check the ingested data against the contract; refuse it with a full report."""
    if settings.engine == "spark":
        checked: ValidationReport = _spark_engine().validate_data(settings, metrics, frame)
        return checked
    paths = Paths(settings.work_dir)
    frame = _read(paths.raw, "ingest", frame)
    report = validate(frame)
    report.write(paths.reports)
    if metrics is not None:
        metrics.rejected_rows.labels(settings.model_name).set(report.rejected_rows)
        metrics.rows.labels(settings.model_name, "valid").set(report.rows - report.rejected_rows)
    if not report.valid:
        raise DataRejectedError(report.to_text())
    log.info("%s", report.to_text())
    return report


def build_features(
    settings: Settings, frame: pd.DataFrame | None = None, hand_over: HandOver | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split point-in-time (or seeded) and keep the training features as drift reference.

    With ``hand_over`` (run-all) the files are written in the background; the caller
    waits for them before anything reads them.
    """
    if settings.engine == "spark":
        parts: tuple[pd.DataFrame, pd.DataFrame] = _spark_engine().build_features(
            settings, frame, hand_over
        )
        return parts
    paths = Paths(settings.work_dir)
    frame = _read(paths.raw, "ingest", frame)
    train_rows, test_rows = split(frame, settings.test_fraction, settings.seed)
    _write_split(hand_over, frame, (train_rows, test_rows), paths)
    sizes = {"rows_train": len(train_rows), "rows_test": len(test_rows)}
    replace_text(paths.split, json.dumps(sizes) + "\n")
    return train_rows, test_rows


def train_model(
    settings: Settings, train_rows: pd.DataFrame | None = None, hand_over: HandOver | None = None
) -> Pipeline:
    """Fit the seeded model on the training rows."""
    paths = Paths(settings.work_dir)
    model = train(_read(paths.train, "featurize", train_rows), settings.seed)
    paths.model.parent.mkdir(parents=True, exist_ok=True)
    _hand_over(hand_over, _dump_model, model, paths.model)
    return model


def evaluate_model(
    settings: Settings,
    metrics: PipelineMetrics | None = None,
    candidate: Pipeline | None = None,
    test_rows: pd.DataFrame | None = None,
    champion: Future[Pipeline | None] | None = None,
) -> Evaluation:
    """Gate the candidate: threshold and current champion, on the same test rows.

    ``champion``: run-all loads it in the background while the model trains (a registry
    lookup, and once there is a champion, its download and deserialization).
    """
    paths = Paths(settings.work_dir)
    if candidate is None:
        candidate = joblib.load(_require(paths.model, "train"))
    test_rows = _read(paths.test, "featurize", test_rows)
    current = champion.result() if champion is not None else registry.load_champion(settings)
    evaluation = evaluate(candidate, test_rows, settings.metric, settings.threshold, current)
    evaluation.write(paths.evaluation)
    if metrics is not None:
        name, metric = settings.model_name, settings.metric
        metrics.model_metric.labels(name, metric, "candidate").set(evaluation.value)
        if evaluation.champion_value is not None:
            metrics.model_metric.labels(name, metric, "champion").set(evaluation.champion_value)
        metrics.metric_threshold.labels(name, metric).set(settings.threshold)
        metrics.gate_passed.labels(name).set(1 if evaluation.passed else 0)
    log.info("evaluation: %s", evaluation.reason())
    return evaluation


def register_model(
    settings: Settings,
    model: Pipeline | None = None,
    evaluation: Evaluation | None = None,
    test_rows: pd.DataFrame | None = None,
    commit: str | None = None,
) -> registry.RunRecord:
    """Log the run to MLflow; a candidate that passed the gate becomes the challenger.

    Run-all hands over the model, its evaluation, the test rows it already holds and the
    git commit it read while the model trained; a single-step run reads them itself.
    """
    paths = Paths(settings.work_dir)
    if model is None:
        model = joblib.load(_require(paths.model, "train"))
    if evaluation is None:
        evaluation = Evaluation.read(_require(paths.evaluation, "evaluate"))
    test_rows = _read(paths.test, "featurize", test_rows)
    lineage = json.loads(_require(paths.ingest, "ingest").read_text())
    split_info = json.loads(_require(paths.split, "featurize").read_text())
    params = {
        "data_uri": str(lineage["data_uri"]),
        "data_fingerprint": str(lineage["data_fingerprint"]),
        "rows_train": str(split_info["rows_train"]),
        "rows_test": str(split_info["rows_test"]),
        "split": f"point-in-time on {TIMESTAMP_COLUMN}" if TIMESTAMP_COLUMN else "seeded random",
    }
    test_head = test_rows.head(5)
    # Not registration.json: the one there is the previous run's.
    reports = sorted(
        path for path in paths.reports.glob("*") if path.is_file() and path != paths.registration
    )
    record = registry.record_run(
        settings,
        model=model,
        evaluation=evaluation,
        lineage=params,
        reference=_require(paths.reference, "featurize"),
        input_example=featurize(test_head),
        reports=reports,
        commit=commit,
    )
    replace_text(
        paths.registration,
        json.dumps({"run_id": record.run_id, "version": record.version}, indent=2) + "\n",
    )
    if record.version is None:
        raise GateRefusedError(f"candidate refused, not registered: {evaluation.reason()}")
    log.info("registered %s version %s as challenger", record.model_name, record.version)
    return record


def model_card(settings: Settings, record: registry.RunRecord | None = None) -> Path:
    """Write the model card of the last registered run (``record``: the one just logged)."""
    if record is not None:
        return card.write(
            settings, record.run_id, record.version, record.logged, record.artifact_uri
        )
    paths = Paths(settings.work_dir)
    registration = json.loads(_require(paths.registration, "register").read_text())
    return card.write(settings, registration["run_id"], registration["version"])


def run_all(settings: Settings) -> registry.RunRecord:
    """Every step in order; metrics are written even when a step fails."""
    metrics = PipelineMetrics(settings.model_name)
    success = False
    hand_over = HandOver()
    commit = registry.GitCommit()  # `git status` runs in its own process meanwhile
    try:
        # Each step still writes its outputs (for inspection and single-step reruns);
        # within one run they are also handed over in memory instead of read back.
        with metrics.step("ingest"):
            frame = ingest(settings, metrics, hand_over)
        with metrics.step("validate"):
            validate_data(settings, metrics, frame)
        with metrics.step("featurize"):
            train_rows, test_rows = build_features(settings, frame, hand_over)
        # On large data the champion's lookup runs while the model trains.
        champion = hand_over.submit(registry.load_champion, settings)
        with metrics.step("train"):
            model = train_model(settings, train_rows, hand_over)
        with metrics.step("evaluate"):
            evaluation = evaluate_model(settings, metrics, model, test_rows, champion)
        with metrics.step("register"):
            hand_over.wait()  # every file is complete before the run is recorded
            # Logs a refused run too, then raises.
            record = register_model(settings, model, evaluation, test_rows, commit.result())
        with metrics.step("card"):
            model_card(settings, record)
        success = True
        return record
    finally:
        hand_over.close()
        commit.result()  # no git process outlives the run
        metrics.finish(success)
        metrics.write(settings.metrics_dir / "pipeline.prom")


def _champion_age(settings: Settings, metrics: PipelineMetrics) -> None:
    try:
        promoted = registry.champion_promoted_at(settings)
    except Exception:
        log.warning("could not read the champion's promotion time", exc_info=True)
        return
    if promoted is not None:
        metrics.champion_promoted.labels(settings.model_name).set(promoted)


def promote(
    settings: Settings, promoted_by: str, reason: str, version: str | None = None
) -> registry.AuditRecord:
    """Make the challenger (or a given version) the champion, with an audit record."""
    metrics = PipelineMetrics(settings.model_name)
    with metrics.step("promote"):
        record = registry.promote(settings, promoted_by, reason, version)
    metrics.write(settings.metrics_dir / "promote.prom")
    return record


def monitor(settings: Settings, current_uri: str | None = None) -> DriftReport:
    """Drift of recent data (default: the configured data source) against the reference.

    Also reports when the champion was promoted: monitoring runs every day, so the
    "champion too old" alert always has a fresh value.
    """
    metrics = PipelineMetrics(settings.model_name)
    try:
        with metrics.step("monitor"):
            _champion_age(settings, metrics)
            reference = registry.champion_reference(settings)
            if reference is None:
                local = Paths(settings.work_dir).reference
                if not local.exists():
                    raise PipelineError(
                        "no drift reference: promote a champion or run the pipeline"
                    )
                reference = pd.read_parquet(local)
            current = featurize(read_table(current_uri or settings.data_uri))
            report = compare(reference, current, settings.drift_threshold)
            report.write(Paths(settings.work_dir).reports)
            for item in report.features:
                metrics.drift_psi.labels(settings.model_name, item.feature).set(item.psi)
            metrics.drift_detected.labels(settings.model_name).set(int(report.drift_detected))
        return report
    finally:
        metrics.write(settings.metrics_dir / "monitor.prom")


def continuous_training(
    settings: Settings, force: bool, current_uri: str | None = None
) -> registry.RunRecord | None:
    """Monitor, then retrain when forced (schedule, manual run) or when features drifted.

    A forced run retrains even when monitoring cannot run yet (no champion, no reference).
    """
    try:
        report = monitor(settings, current_uri)
    except PipelineError:
        if not force:
            raise
        log.warning("monitoring failed; retraining anyway (forced)", exc_info=True)
    else:
        if report.drift_detected:
            log.info("drift in %s: retraining", ", ".join(report.drifted_features))
        elif not force:
            log.info("no drift: nothing to retrain")
            return None
    return run_all(settings)
