"""Register and promote: everything the pipeline does in MLflow.

A run records parameters, metrics, the data fingerprint, the git commit and the
environment; a candidate that passed the gate is logged with its signature and an input
example, registered, and gets the alias ``challenger``. Promotion is a separate, explicit
step that moves ``champion`` and leaves an audit record in the registry and on disk.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, cast

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

import mlflow
import mlflow.sklearn
import pandas as pd
import skops.io
from mlflow.entities import Metric, Param
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.models.model import ModelInfo
from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository
from mlflow.tracking import MlflowClient
from mlflow.utils.mlflow_tags import MLFLOW_MODEL_VERSIONS
from mlflow.utils.uri import add_databricks_profile_info_to_artifact_uri
from sklearn.pipeline import Pipeline

from .config import CHALLENGER_ALIAS, CHAMPION_ALIAS, TASK, Settings
from .errors import RegistryError
from .evaluation import Evaluation

PACKAGE_DIR = Path(__file__).resolve().parent
# skops loads only the types a model was saved with as trusted: scikit-learn's and ours.
TRUSTED_PREFIXES = ("sklearn.", f"{__package__}.")
# What a service needs to load the model; pinned to the versions it was trained with.
SERVING_PACKAGES = ("scikit-learn", "pandas", "numpy", "skops")
ENVIRONMENT_PACKAGES = (*SERVING_PACKAGES, "mlflow", "pandera", "scipy")
REFERENCE_ARTIFACT = "reference/reference.parquet"
# What the pyfunc model returns: class probabilities for a classifier (one column per
# class, like the realtime-inference service expects), the prediction for a regressor.
PREDICT_FN = "predict_proba" if TASK == "classification" else "predict"


@dataclass(frozen=True)
class LoggedRun:
    """The parameters, metrics, tags and environment a run logged, as they were logged."""

    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]
    environment: dict[str, Any]


@dataclass(frozen=True)
class RunRecord:
    """What one training run left in MLflow."""

    run_id: str
    model_name: str
    version: str | None
    # Kept by the run that logged it, so that the model card need not read it back.
    logged: LoggedRun | None = field(default=None, compare=False, repr=False)
    # Where the run's artifacts go: the card is attached there without a lookup.
    artifact_uri: str | None = field(default=None, compare=False, repr=False)

    @property
    def model_uri(self) -> str | None:
        return f"models:/{self.model_name}/{self.version}" if self.version else None


@dataclass(frozen=True)
class AuditRecord:
    """Who promoted which version, when and why."""

    model_name: str
    version: str
    previous_champion: str | None
    promoted_by: str
    reason: str
    promoted_at: str


def configure(settings: Settings) -> MlflowClient:
    """Point MLflow at the tracking/registry store (creating a local SQLite folder)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    uri = settings.tracking_uri
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


class Artifacts(Protocol):
    """The part of MLflow's artifact repository the pipeline uses (MLflow's is untyped)."""

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None: ...

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None: ...


def run_artifacts(settings: Settings, artifact_uri: str) -> Artifacts:
    """The artifact store of a run whose artifact URI is in hand.

    What ``mlflow.log_artifact`` writes to, without the run lookup it makes first to
    learn this URI (one more transaction on a SQLite store).
    """
    uri = add_databricks_profile_info_to_artifact_uri(  # type: ignore[no-untyped-call]
        artifact_uri, settings.tracking_uri
    )
    return cast(Artifacts, get_artifact_repository(uri, tracking_uri=settings.tracking_uri))


def _log_files(
    artifacts: Artifacts, documents: dict[str, dict[str, Any]], files: dict[str, Path]
) -> None:
    """The run's artifacts in one call: JSON documents and files, by artifact path.

    They are staged in a scratch folder next to the first file (files hard-linked, or
    copied across file systems) and logged with one ``log_artifacts``: MLflow's
    ``log_artifact`` resolves and checks both paths again for every file (~0.5 ms each
    on a local store).
    """
    near = next(iter(files.values())).parent
    with tempfile.TemporaryDirectory(prefix=".artifacts-", dir=near) as scratch:
        for name, document in documents.items():
            (Path(scratch) / name).write_text(json.dumps(document, indent=2, default=str))
        for name, source in files.items():
            target = Path(scratch) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)
        artifacts.log_artifacts(scratch)


def _experiment_id(client: MlflowClient, settings: Settings) -> str:
    experiment = client.get_experiment_by_name(settings.model_name)
    if experiment is not None:
        return str(experiment.experiment_id)
    location = None
    if settings.tracking_uri.startswith("sqlite:///"):
        database = Path(settings.tracking_uri.removeprefix("sqlite:///"))
        location = (database.parent / "artifacts").resolve().as_uri()
    return str(client.create_experiment(settings.model_name, artifact_location=location))


class GitCommit:
    """The commit the code came from (image/CI variables first, then git, else 'unknown').

    A working tree with uncommitted changes to tracked files gives ``<commit>-dirty``. One
    ``git status`` call answers both questions: its ``branch.oid`` header is the commit.
    It starts when this object is made and is read by ``result``: run-all starts it
    first, and git runs in its own process while the pipeline works (~1.5 ms saved).
    """

    def __init__(self) -> None:
        variables = ("GIT_COMMIT", "GITHUB_SHA", "CI_COMMIT_SHA")
        self._commit = next((os.environ[name] for name in variables if os.environ.get(name)), "")
        self._git: subprocess.Popen[str] | None = None
        if not self._commit:
            try:
                self._git = subprocess.Popen(
                    ["git", "status", "--porcelain=v2", "--branch", "--untracked-files=no"],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    text=True,
                )
            except OSError:
                self._commit = "unknown"

    def result(self) -> str:
        """The answer (waits for git, at most 10 s); call it once the run is over, too."""
        git, self._git = self._git, None
        if git is not None:
            try:
                output = git.communicate(timeout=10)[0]
            except subprocess.TimeoutExpired:
                git.kill()
                output = git.communicate()[0]
            self._commit = _commit_of(output.splitlines() if git.returncode == 0 else [])
        return self._commit


def _commit_of(status: list[str]) -> str:
    head = next((line.split()[2] for line in status if line.startswith("# branch.oid ")), "")
    if not head or head == "(initial)":  # not a repository's commit, or no commit yet
        return "unknown"
    dirty = any(not line.startswith("#") for line in status)
    return f"{head}-dirty" if dirty else head


def git_commit() -> str:
    """:class:`GitCommit`, started and read at once."""
    return GitCommit().result()


@functools.cache
def _version(package: str) -> str:
    """The installed version; cached, as reading package metadata takes ~0.5 ms a call."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not-installed"


def environment() -> dict[str, Any]:
    """Interpreter, platform and package versions: what rebuilding the run needs."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: _version(name) for name in ENVIRONMENT_PACKAGES},
    }


def trusted_types(model: Pipeline) -> list[str]:
    """The types skops must trust to load this model; refuses anything unexpected."""
    found: list[str] = skops.io.get_untrusted_types(data=skops.io.dumps(model))
    unexpected = [name for name in found if not name.startswith(TRUSTED_PREFIXES)]
    if unexpected:
        raise RegistryError(f"the model contains types that are not trusted: {unexpected}")
    return found


def serving_requirements() -> list[str]:
    """Explicit pins: MLflow would otherwise infer them by loading the model in a subprocess."""
    return [f"{name}=={_version(name)}" for name in SERVING_PACKAGES]


def _create_version(
    client: MlflowClient, name: str, model: ModelInfo, run_id: str, tags: dict[str, str]
) -> str:
    """Register ``model`` as a new version of ``name`` (creating ``name`` on first use).

    What ``mlflow.register_model`` records, with fewer round trips to the store: it first
    tries to create the registered model, which fails on every run but the first, and
    reads the logged model back before tagging it with its versions (it has none yet).
    """
    try:
        version = client.create_model_version(
            name, model.model_uri, run_id=run_id, tags=tags, model_id=model.model_id
        )
    except MlflowException as error:
        if error.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        client.create_registered_model(name)
        version = client.create_model_version(
            name, model.model_uri, run_id=run_id, tags=tags, model_id=model.model_id
        )
    number = str(version.version)
    # The logged model lists its registered versions (the MLflow UI links them).
    link = json.dumps([{"name": name, "version": number}])
    client.set_logged_model_tags(model.model_id, {MLFLOW_MODEL_VERSIONS: link})
    return number


def record_run(
    settings: Settings,
    *,
    model: Pipeline,
    evaluation: Evaluation,
    lineage: dict[str, str],
    reference: Path,
    input_example: pd.DataFrame,
    reports: list[Path],
    commit: str | None = None,
) -> RunRecord:
    """Log the run; register the model as challenger only if it passed the gate.

    ``commit`` is :func:`git_commit`'s answer when the caller already has it.
    """
    client = configure(settings)
    experiment_id = _experiment_id(client, settings)
    commit = commit if commit is not None else git_commit()
    estimator = model.steps[-1][1]
    params = {f"model.{key}": str(value)[:250] for key, value in estimator.get_params().items()}
    params.update({"seed": str(settings.seed), "test_fraction": str(settings.test_fraction)})
    params.update(lineage)
    gate = "passed" if evaluation.passed else "refused"
    tags = {
        "git_commit": commit,
        "data_fingerprint": lineage["data_fingerprint"],
        "gate": gate,
        "gate_reason": evaluation.reason(),
    }
    metrics = {evaluation.metric: evaluation.value}
    if evaluation.champion_value is not None:
        metrics[f"champion_{evaluation.metric}"] = evaluation.champion_value
    now = int(time.time() * 1000)
    # Every write to a SQLite store is a transaction of its own, committed to disk: the
    # tags go in with the run itself, parameters and metrics in one batch.
    with mlflow.start_run(experiment_id=experiment_id, tags=tags) as run:
        run_id = run.info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric(key, value, now, 0) for key, value in metrics.items()],
            params=[Param(key, value) for key, value in params.items()],
        )
        run_environment = environment()
        artifacts = run_artifacts(settings, run.info.artifact_uri)
        _log_files(
            artifacts,
            {"environment.json": run_environment, "evaluation.json": evaluation.to_dict()},
            {REFERENCE_ARTIFACT: reference} | {f"reports/{path.name}": path for path in reports},
        )
        version = None
        if evaluation.passed:
            info = mlflow.sklearn.log_model(
                model,
                name="model",
                signature=infer_signature(input_example, getattr(model, PREDICT_FN)(input_example)),
                input_example=input_example,
                pip_requirements=serving_requirements(),
                code_paths=[str(PACKAGE_DIR)],
                skops_trusted_types=trusted_types(model),
                pyfunc_predict_fn=PREDICT_FN,
            )
            version = _create_version(
                client,
                settings.model_name,
                info,
                run_id,
                tags={
                    "data_fingerprint": lineage["data_fingerprint"],
                    "git_commit": commit,
                    "gate": gate,
                    evaluation.metric: f"{evaluation.value:.6f}",
                },
            )
            client.set_registered_model_alias(settings.model_name, CHALLENGER_ALIAS, version)
    logged = LoggedRun(params=params, metrics=metrics, tags=tags, environment=run_environment)
    return RunRecord(
        run_id=run_id,
        model_name=settings.model_name,
        version=version,
        logged=logged,
        artifact_uri=run.info.artifact_uri,
    )


def _alias_version(client: MlflowClient, name: str, alias: str) -> Any | None:
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def load_champion(settings: Settings) -> Pipeline | None:
    """The current champion as a scikit-learn model, or None before the first promotion."""
    client = configure(settings)
    if _alias_version(client, settings.model_name, CHAMPION_ALIAS) is None:
        return None
    model: Pipeline = mlflow.sklearn.load_model(f"models:/{settings.model_name}@{CHAMPION_ALIAS}")
    return model


def champion_promoted_at(settings: Settings) -> float | None:
    """When the champion was promoted (Unix seconds), or None without a champion."""
    client = configure(settings)
    champion = _alias_version(client, settings.model_name, CHAMPION_ALIAS)
    if champion is None or "promoted_at" not in champion.tags:
        return None
    return datetime.fromisoformat(champion.tags["promoted_at"]).timestamp()


def champion_reference(settings: Settings) -> pd.DataFrame | None:
    """The training features the champion was trained on (the drift reference)."""
    client = configure(settings)
    champion = _alias_version(client, settings.model_name, CHAMPION_ALIAS)
    if champion is None or not champion.run_id:
        return None
    with tempfile.TemporaryDirectory() as scratch:
        path = mlflow.artifacts.download_artifacts(
            run_id=champion.run_id, artifact_path=REFERENCE_ARTIFACT, dst_path=scratch
        )
        return pd.read_parquet(path)


def promote(
    settings: Settings, promoted_by: str, reason: str, version: str | None = None
) -> AuditRecord:
    """Move ``champion`` to the challenger (or to ``version``) and record who, when, why."""
    if not reason.strip():
        raise ValueError("a promotion needs a reason")
    client = configure(settings)
    name = settings.model_name
    if version is None:
        target = _alias_version(client, name, CHALLENGER_ALIAS)
        if target is None:
            raise RegistryError(
                f"model {name!r} has no {CHALLENGER_ALIAS!r}: run the pipeline first"
            )
    else:
        target = client.get_model_version(name, version)
    if target.tags.get("gate") != "passed":
        raise RegistryError(f"version {target.version} of {name!r} did not pass the gate")
    previous = _alias_version(client, name, CHAMPION_ALIAS)
    record = AuditRecord(
        model_name=name,
        version=str(target.version),
        previous_champion=str(previous.version) if previous is not None else None,
        promoted_by=promoted_by,
        reason=reason,
        promoted_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    client.set_registered_model_alias(name, CHAMPION_ALIAS, record.version)
    for key in ("promoted_at", "promoted_by", "previous_champion"):
        client.set_model_version_tag(name, record.version, key, str(getattr(record, key)))
    client.set_model_version_tag(name, record.version, "promotion_reason", reason)
    client.set_registered_model_tag(name, "last_promotion", json.dumps(asdict(record)))
    challenger = _alias_version(client, name, CHALLENGER_ALIAS)
    if challenger is not None and str(challenger.version) == record.version:
        client.delete_registered_model_alias(name, CHALLENGER_ALIAS)
    audit_log = settings.work_dir / "audit" / "promotions.jsonl"
    audit_log.parent.mkdir(parents=True, exist_ok=True)
    with audit_log.open("a") as handle:
        handle.write(json.dumps(asdict(record)) + "\n")
    return record
