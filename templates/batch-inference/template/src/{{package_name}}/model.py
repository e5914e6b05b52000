"""Load the model once per run through MLflow pyfunc and describe it for lineage."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import JobError

DRIFT_REFERENCE_ARTIFACT = "drift_reference.json"
_REGISTRY_URI = re.compile(r"^models:/(?P<name>[^/@]+)(@(?P<alias>[^/]+)|/(?P<version>\d+))$")


@dataclass(frozen=True)
class LoadedModel:
    """A pyfunc model with the registry coordinates written into every output row."""

    uri: str
    name: str
    version: str
    source_run_id: str | None
    pyfunc: Any
    drift_reference: dict[str, Any] | None

    def predict_scores(self, features: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Positive-class scores in [0, 1] for each row of ``features``."""
        return to_scores(self.pyfunc.predict(features))


def to_scores(raw: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Normalise what a pyfunc returns (probabilities, a series, a frame) to one score per row.

    A two-column probability matrix gives the last (positive) column.
    """
    if isinstance(raw, pd.DataFrame):
        raw = raw["score"] if "score" in raw.columns else raw.iloc[:, -1]
    values = np.asarray(raw, dtype="float64")
    if values.ndim == 2:
        values = values[:, -1]
    return values


def configure_mlflow(tracking_uri: str | None, *, override_env: bool = False) -> None:
    """Point MLflow at the tracking and registry store.

    The environment (MLFLOW_TRACKING_URI) wins unless ``override_env``: the demo model must
    never be registered in a shared registry by accident.
    """
    import mlflow

    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from_env = None if override_env else os.environ.get("MLFLOW_TRACKING_URI")
    uri = from_env or tracking_uri
    if uri:
        mlflow.set_tracking_uri(uri)
        registry = None if override_env else os.environ.get("MLFLOW_REGISTRY_URI")
        mlflow.set_registry_uri(registry or uri)


def load_model(model_uri: str, tracking_uri: str | None = None) -> LoadedModel:
    """Resolve ``models:/name@alias`` (or ``/version``) in the registry and load it once."""
    import mlflow
    from mlflow.exceptions import MlflowException

    configure_mlflow(tracking_uri)
    match = _REGISTRY_URI.match(model_uri)
    if match is None:
        raise JobError(
            f"model URI {model_uri!r} is not models:/<name>@<alias> or models:/<name>/<version>"
        )
    client = mlflow.MlflowClient()
    name = match["name"]
    try:
        if match["alias"]:
            version = client.get_model_version_by_alias(name, match["alias"])
        else:
            version = client.get_model_version(name, match["version"])
        pyfunc = mlflow.pyfunc.load_model(f"models:/{name}/{version.version}")
    except MlflowException as exc:
        raise JobError(
            f"cannot load model {model_uri}: {exc.message}. For the demo model run "
            "`make demo` (or `python -m <package> demo`) first."
        ) from exc
    return LoadedModel(
        uri=model_uri,
        name=name,
        version=str(version.version),
        source_run_id=version.run_id,
        pyfunc=pyfunc,
        drift_reference=_drift_reference(version.run_id),
    )


def _drift_reference(run_id: str | None) -> dict[str, Any] | None:
    """The training reference logged beside the model, if the training run logged one."""
    if not run_id:
        return None
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        path = mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=DRIFT_REFERENCE_ARTIFACT
        )
    except (MlflowException, OSError):
        return None
    with open(path, encoding="utf-8") as handle:
        reference: dict[str, Any] = json.load(handle)
    return reference
