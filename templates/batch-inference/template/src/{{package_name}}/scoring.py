"""Score one validated chunk and stamp it with lineage; used by both engines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from .contract import ID_COLUMN, OUTPUT_COLUMNS, SCORE_COLUMN
from .features import build_features
from .model import LoadedModel


@dataclass(frozen=True)
class Lineage:
    """What every output row records about how it was produced."""

    model_name: str
    model_version: str
    run_id: str
    scored_at: datetime  # timezone-aware, UTC

    def __post_init__(self) -> None:
        fields = ("model_name", "model_version", "run_id")
        empty = [name for name in fields if not getattr(self, name)]
        if empty:
            raise ValueError(f"lineage must not be empty: {', '.join(empty)}")
        if self.scored_at.utcoffset() is None:
            raise ValueError("lineage scored_at must be timezone-aware")


def score_chunk(valid: pd.DataFrame, model: LoadedModel, lineage: Lineage) -> pd.DataFrame:
    """One output row per valid input row: id, score and the lineage columns."""
    scores = (
        model.predict_scores(build_features(valid)) if len(valid) else np.empty(0, dtype="float64")
    )
    out = pd.DataFrame(
        {
            ID_COLUMN: valid[ID_COLUMN].to_numpy(dtype="int64"),
            SCORE_COLUMN: pd.Series(scores, dtype="float64").to_numpy(),
        }
    )
    out = out.assign(
        model_name=lineage.model_name,
        model_version=lineage.model_version,
        run_id=lineage.run_id,
        scored_at=pd.Timestamp(lineage.scored_at).as_unit("us"),
    )
    return out.astype(
        {"model_name": str, "model_version": str, "run_id": str, "scored_at": "datetime64[us, UTC]"}
    ).loc[:, list(OUTPUT_COLUMNS)]
