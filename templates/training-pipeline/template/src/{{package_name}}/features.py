"""Featurize: the ONE place that turns raw rows into model inputs.

Training builds its model around :class:`FeatureBuilder`, and the model logged to MLflow
contains it, so a service that loads the model computes features exactly as training did.
Serving code that needs features without the model imports :func:`featurize` from here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import train_test_split

from .config import TASK
from .contract import FEATURES, TARGET, TIMESTAMP_COLUMN


def featurize(frame: pd.DataFrame) -> pd.DataFrame:
    """Model inputs from raw rows: the contract's features, in order, as float64."""
    missing = [name for name in FEATURES if name not in frame.columns]
    if missing:
        raise KeyError(f"rows lack feature columns {missing}; the model needs {list(FEATURES)}")
    return frame.loc[:, list(FEATURES)].astype("float64")


class FeatureBuilder(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """scikit-learn step that applies :func:`featurize` (stateless, so fit learns nothing).

    It also accepts a plain 2-D array whose columns are the contract's features in order,
    which is what a service's fast path passes after checking ``feature_names_in_``.
    """

    def fit(self, frame: pd.DataFrame, target: Any = None) -> FeatureBuilder:
        self.feature_names_in_ = np.asarray(FEATURES, dtype=object)
        self.n_features_in_ = len(FEATURES)
        return self

    def transform(self, frame: pd.DataFrame | np.ndarray) -> pd.DataFrame:
        if isinstance(frame, pd.DataFrame):
            return featurize(frame)
        rows = np.asarray(frame, dtype="float64")
        if rows.ndim != 2 or rows.shape[1] != len(FEATURES):  # noqa: PLR2004 - a matrix
            raise ValueError(f"expected rows of {len(FEATURES)} features, got shape {rows.shape}")
        return pd.DataFrame(rows, columns=list(FEATURES))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(FEATURES, dtype=object)


def split(
    frame: pd.DataFrame, test_fraction: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test rows.

    With a timestamp column the split is point-in-time: the model trains on the past and
    is evaluated on the most recent rows, never the other way round. Without one it is a
    seeded random split (stratified for classification).
    """
    if TIMESTAMP_COLUMN is not None and TIMESTAMP_COLUMN in frame.columns:
        ordered = frame.sort_values(TIMESTAMP_COLUMN, kind="stable")
        cut = len(ordered) - max(1, round(len(ordered) * test_fraction))
        # Slices of the sorted copy made just above, never of the caller's frame.
        return ordered.iloc[:cut], ordered.iloc[cut:]
    stratify = frame[TARGET] if TASK == "classification" else None
    # Both parts are new frames already (rows taken by position): no second copy.
    train, test = train_test_split(
        frame, test_size=test_fraction, random_state=seed, stratify=stratify
    )
    return train, test
