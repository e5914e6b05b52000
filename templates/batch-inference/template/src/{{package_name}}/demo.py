"""Demo data and a demo model, both from scikit-learn's bundled breast-cancer dataset.

Nothing is downloaded: the input partitions are resampled (with a little noise) from the
bundled data, and the model is trained on it and registered in the local MLflow store, so
the job loads it exactly like a production model (``models:/<name>@champion``).
"""

from __future__ import annotations

import json
import tempfile
import zlib
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import DEMO_MODEL_NAME, DEMO_TRACKING_URI, JobConfig
from .contract import FEATURES, ID_COLUMN
from .drift import build_reference
from .features import build_features
from .model import DRIFT_REFERENCE_ARTIFACT, configure_mlflow
from .storage import Location, partition_name

# HistGradientBoosting trees are stored with skops; this is the one type it must be told
# to trust, and only for a model this code trained itself.
_TRUSTED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


def training_data() -> tuple[pd.DataFrame, pd.Series]:
    """Features (contract column names) and labels of the bundled dataset."""
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    features = bunch.data.rename(columns=lambda name: name.replace(" ", "_"))
    return features.loc[:, list(FEATURES)], bunch.target


def demo_rows(day: date, rows: int) -> pd.DataFrame:
    """A reproducible input partition for ``day``: resampled rows with 2% noise."""
    features, _ = training_data()
    rng = np.random.default_rng(zlib.crc32(day.isoformat().encode()))
    picked = features.iloc[rng.integers(0, len(features), size=rows)].to_numpy()
    noisy = picked * rng.normal(1.0, 0.02, size=picked.shape).clip(0.9, 1.1)
    frame = pd.DataFrame(noisy, columns=list(FEATURES))
    frame.insert(0, ID_COLUMN, np.arange(rows, dtype="int64") + day.toordinal() * 10_000_000)
    return frame


def write_demo_input(config: JobConfig, days: list[date], rows: int = 2_000) -> list[str]:
    """Write one input partition per day in the configured format; returns their URIs."""
    root = Location.parse(config.input_uri)
    written = []
    for day in days:
        directory = root.child(partition_name(config.partition_key, day))
        directory.fs.create_dir(directory.path, recursive=True)
        frame = demo_rows(day, rows)
        target = f"{directory.path}/part-00000.{config.input_format}"
        with directory.fs.open_output_stream(target) as handle:
            if config.input_format == "parquet":
                frame.to_parquet(handle, index=False)
            else:
                handle.write(frame.to_csv(index=False).encode())
        written.append(directory.uri())
    return written


def train_demo_model(config: JobConfig, alias: str = "champion") -> dict[str, Any]:
    """Train, log (with the drift reference) and register the demo model under ``alias``."""
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.ensemble import HistGradientBoostingClassifier

    configure_mlflow(config.tracking_uri or DEMO_TRACKING_URI, override_env=True)
    store = mlflow.get_tracking_uri()
    artifact_location = None
    if store.startswith("sqlite:///"):  # keep artefacts beside the database, not in the cwd
        folder = Path(store.removeprefix("sqlite:///")).parent
        folder.mkdir(parents=True, exist_ok=True)
        artifact_location = (folder / "artifacts").resolve().as_uri()
    features, labels = training_data()
    inputs = build_features(features)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # 569 rows: extra threads only add contention
        model = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(inputs, labels)
    if mlflow.get_experiment_by_name(DEMO_MODEL_NAME) is None:
        mlflow.create_experiment(DEMO_MODEL_NAME, artifact_location=artifact_location)
    mlflow.set_experiment(DEMO_MODEL_NAME)
    with mlflow.start_run(run_name="demo-training") as run, tempfile.TemporaryDirectory() as tmp:
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(inputs, model.predict_proba(inputs)),
            pyfunc_predict_fn="predict_proba",
            pip_requirements=["scikit-learn", "pandas"],
            skops_trusted_types=_TRUSTED_TYPES,
            registered_model_name=DEMO_MODEL_NAME,
        )
        reference = Path(tmp) / DRIFT_REFERENCE_ARTIFACT
        reference.write_text(json.dumps(build_reference(inputs)), encoding="utf-8")
        mlflow.log_artifact(str(reference))
        mlflow.log_metric("train_accuracy", float(model.score(inputs, labels)))
    version = str(info.registered_model_version)
    mlflow.MlflowClient().set_registered_model_alias(DEMO_MODEL_NAME, alias, version)
    return {"model": DEMO_MODEL_NAME, "version": version, "alias": alias, "run_id": run.info.run_id}
