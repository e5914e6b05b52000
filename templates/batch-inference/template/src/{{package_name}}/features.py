"""Feature code shared by both engines and by training: one place, so they cannot drift."""

from __future__ import annotations

import pandas as pd

from .contract import FEATURES


def build_features(rows: pd.DataFrame) -> pd.DataFrame:
    """Model inputs for validated rows, in the column order the model was trained with."""
    return rows.loc[:, list(FEATURES)].astype("float64", copy=False)
