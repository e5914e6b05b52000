"""Benchmark of the training-pipeline template's overhead (not a timed test).

Renders the template with its defaults (or uses ``--project``) and, in one process,
compares:

- bare: split + ``fit`` + ``score`` of the same model on the same demo data, nothing else;
- pipeline: ``run_all`` (ingest, validation, features, fit, evaluation against the gate,
  MLflow run with params/metrics/fingerprint/environment, model logging with signature and
  input example, registry version + ``challenger`` alias, model card, metrics textfile)
  against a local SQLite MLflow store that already exists (the one-off creation of the
  store's schema is reported separately as "cold");
- MLflow floor: the least MLflow work the pipeline's duties need, on the same store: one
  run with params and metrics in one ``log_batch``, ``log_model`` of the same fitted
  model with signature, input example and explicit requirements, a registry version and
  its alias. Whatever the pipeline spends beyond this floor is its own.

Each timed round runs the three once, in that order, so that load from elsewhere on the
machine hits them alike; medians over the rounds are printed, with the ratio pipeline /
bare (goal: <= 1.5x), the floor's share and where the pipeline's time goes, step by step
(medians too). The pipeline's cost is mostly fixed (MLflow writes, model logging,
registry), so the ratio depends on how long the model takes to fit: on the demo data as
shipped (569 rows, a fit of about ten milliseconds) it is far above the goal; ``--scale
N`` repeats the demo rows N times (read from a Parquet file by the pipeline) to show the
ratio at a size where fitting is real work. Run it with the generated-project
environment:

    .venv-gen/bin/python bench/bench_training.py [--scale 1] [--repeat 5] [--project DIR] [--check]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from common import render

GOAL = 1.5


def import_package(project: Path) -> str:
    package = next(p.name for p in (project / "src").iterdir() if (p / "pipeline.py").exists())
    sys.path.insert(0, str(project / "src"))
    __import__(f"{package}.pipeline")
    return package


def seconds(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def step_durations(prom: Path) -> dict[str, float]:
    pattern = re.compile(r'^training_pipeline_step_duration_seconds\{.*step="(\w+)"\} (\S+)$')
    durations = {}
    for line in prom.read_text().splitlines():
        match = pattern.match(line)
        if match:
            durations[match.group(1)] = float(match.group(2))
    return durations


def mlflow_floor(tracking_uri: str, registry: Any, fitted: Any, example: pd.DataFrame) -> float:
    """One timed pass of the minimal MLflow work: run, one batch, model, version, alias.

    It shares the pipeline's SQLite store but not its experiment or registered model, so
    it never moves the pipeline's aliases. What is not MLflow's work (the pinned
    requirements, the types skops must trust) is prepared before the clock starts.
    """
    # Imported here, once the environment (telemetry off) is set and the package loaded.
    import mlflow  # noqa: PLC0415
    import mlflow.sklearn  # noqa: PLC0415
    from mlflow.entities import Metric, Param  # noqa: PLC0415
    from mlflow.models import infer_signature  # noqa: PLC0415

    client = mlflow.MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    name = "bench-floor"
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        # Next to the store, like the pipeline's artifacts (the default is ./mlruns).
        store = Path(tracking_uri.removeprefix("sqlite:///"))
        location = (store.parent / "floor-artifacts").resolve().as_uri()
        experiment_id = client.create_experiment(name, artifact_location=location)
        client.create_registered_model(name)
    else:
        experiment_id = experiment.experiment_id
    requirements = registry.serving_requirements()
    trusted = registry.trusted_types(fitted)
    predict = getattr(fitted, registry.PREDICT_FN)
    estimator_params = fitted.steps[-1][1].get_params().items()

    def work() -> None:
        with mlflow.start_run(experiment_id=experiment_id) as run:
            now = int(time.time() * 1000)
            client.log_batch(
                run.info.run_id,
                metrics=[Metric("score", 1.0, now, 0)],
                params=[Param(f"model.{key}", str(value)[:250]) for key, value in estimator_params],
            )
            info = mlflow.sklearn.log_model(
                fitted,
                name="model",
                signature=infer_signature(example, predict(example)),
                input_example=example,
                pip_requirements=requirements,
                code_paths=[str(registry.PACKAGE_DIR)],
                skops_trusted_types=trusted,
                pyfunc_predict_fn=registry.PREDICT_FN,
            )
            version = client.create_model_version(
                name, info.model_uri, run_id=run.info.run_id, model_id=info.model_id
            )
            client.set_registered_model_alias(name, "challenger", str(version.version))

    return seconds(work)


def rounds(
    repeat: int, actions: dict[str, Callable[[], float]], prom: Path
) -> tuple[dict[str, float], dict[str, float]]:
    """Median seconds of each action over ``repeat`` rounds, and of each pipeline step.

    A round runs every action once, in order, so that load from elsewhere on the machine
    hits them alike; the steps come from the textfile each pipeline run writes.
    """
    times: dict[str, list[float]] = {name: [] for name in actions}
    steps: dict[str, list[float]] = {}
    for _ in range(repeat):
        for name, action in actions.items():
            times[name].append(action())
            if name == "pipeline":
                for step, value in step_durations(prom).items():
                    steps.setdefault(step, []).append(value)
    return (
        {name: statistics.median(values) for name, values in times.items()},
        {step: statistics.median(values) for step, values in steps.items()},
    )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", type=Path, help="an existing render (default: render one)")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds")
    parser.add_argument("--scale", type=int, default=1, help="repeat the demo rows N times")
    parser.add_argument("--check", action="store_true", help="exit 1 when the goal is missed")
    return parser.parse_args()


def main() -> int:
    args = arguments()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    scratch = Path(tempfile.mkdtemp(prefix="bench-training-"))
    project = args.project or render("training-pipeline", scratch / "project")
    package = import_package(project)
    modules = sys.modules
    config = modules[f"{package}.config"]
    pipeline = modules[f"{package}.pipeline"]
    data = __import__(f"{package}.data", fromlist=["demo_frame"])
    features = modules[f"{package}.features"]
    model = modules[f"{package}.model"]
    evaluation = modules[f"{package}.evaluation"]
    contract = modules[f"{package}.contract"]
    registry = modules[f"{package}.registry"]

    frame = data.demo_frame()
    data_uri = "demo"
    if args.scale > 1:
        frame = pd.concat([frame] * args.scale, ignore_index=True)
        frame[contract.ID_COLUMN] = range(len(frame))
        data_uri = str(scratch / "training.parquet")
        data.write_table(frame, data_uri)
    settings = config.Settings(
        data_uri=data_uri,
        tracking_uri=f"sqlite:///{scratch / 'mlruns' / 'mlflow.db'}",
        work_dir=scratch / "build",
    )
    os.environ["PIPELINE_METRICS_DIR"] = str(scratch / "metrics")

    def bare() -> Any:
        train, test = features.split(frame, settings.test_fraction, settings.seed)
        fitted = model.build_model(settings.seed).fit(
            features.featurize(train), train[contract.TARGET]
        )
        evaluation.score(fitted, test, settings.metric)
        return fitted

    fitted = bare()  # warm-up: imports and first-call costs are not the model's
    example = features.featurize(frame.head(5))
    cold = seconds(lambda: pipeline.run_all(settings))  # creates the store's schema once
    mlflow_floor(settings.tracking_uri, registry, fitted, example)  # its experiment, model

    medians, steps = rounds(
        args.repeat,
        {
            "bare": lambda: seconds(bare),
            "pipeline": lambda: seconds(lambda: pipeline.run_all(settings)),
            "floor": lambda: mlflow_floor(settings.tracking_uri, registry, fitted, example),
        },
        scratch / "metrics" / "pipeline.prom",
    )
    bare_s, pipeline_s, floor_s = medians["bare"], medians["pipeline"], medians["floor"]
    ratio = pipeline_s / bare_s

    print(f"training-pipeline benchmark ({settings.metric}, {len(frame)} rows, {args.repeat} runs)")
    print(f"  bare fit + score       {bare_s * 1000:9.1f} ms (median)")
    print(f"  pipeline run-all       {pipeline_s * 1000:9.1f} ms (median, existing store)")
    print(f"  first run-all (cold)   {cold * 1000:9.1f} ms (creates the SQLite store)")
    print(f"  ratio pipeline / bare  {ratio:9.2f}x (goal <= {GOAL}x)")
    print(
        f"  MLflow floor           {floor_s * 1000:9.1f} ms (median: run + log_batch, log_model"
        " with signature/example/pins, version + alias)"
    )
    print(f"  ratio floor / bare     {floor_s / bare_s:9.2f}x")
    print(
        f"  pipeline - floor       {(pipeline_s - floor_s) * 1000:9.1f} ms (the pipeline's own"
        " work, its fit and score included)"
    )
    print("  per step (median):")
    for step, value in steps.items():
        print(f"    {step:<10} {value * 1000:9.1f} ms")
    if args.check and ratio > GOAL:
        print(f"goal missed: {ratio:.2f}x > {GOAL}x")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
