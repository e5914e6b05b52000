"""The data contract: what the job reads and what it writes (docs/data-contract.md).

Input rows carry an integer ``id`` (unique within a partition) and the model's numeric
features; bounds are wide (three times the largest value seen in training) so that only
impossible values are rejected, while distribution shifts show up in the drift report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow

ID_COLUMN = "id"
SCORE_COLUMN = "score"
REASON_COLUMN = "rejection_reason"
LINEAGE_COLUMNS = ("model_name", "model_version", "run_id", "scored_at")
OUTPUT_COLUMNS = (ID_COLUMN, SCORE_COLUMN, *LINEAGE_COLUMNS)

# feature name -> largest plausible value (every feature is a non-negative measurement)
FEATURE_UPPER_BOUNDS: dict[str, float] = {
    "mean_radius": 85.0,
    "mean_texture": 120.0,
    "mean_perimeter": 570.0,
    "mean_area": 7600.0,
    "mean_smoothness": 0.5,
    "mean_compactness": 1.1,
    "mean_concavity": 1.3,
    "mean_concave_points": 0.61,
    "mean_symmetry": 0.92,
    "mean_fractal_dimension": 0.3,
    "radius_error": 8.7,
    "texture_error": 15.0,
    "perimeter_error": 66.0,
    "area_error": 1700.0,
    "smoothness_error": 0.094,
    "compactness_error": 0.41,
    "concavity_error": 1.2,
    "concave_points_error": 0.16,
    "symmetry_error": 0.24,
    "fractal_dimension_error": 0.09,
    "worst_radius": 110.0,
    "worst_texture": 150.0,
    "worst_perimeter": 760.0,
    "worst_area": 13000.0,
    "worst_smoothness": 0.67,
    "worst_compactness": 3.2,
    "worst_concavity": 3.8,
    "worst_concave_points": 0.88,
    "worst_symmetry": 2.0,
    "worst_fractal_dimension": 0.63,
}
FEATURES: tuple[str, ...] = tuple(FEATURE_UPPER_BOUNDS)
INPUT_COLUMNS: tuple[str, ...] = (ID_COLUMN, *FEATURES)


ROW_CHECK = "features_within_contract"


def _rows_within_contract(frame: pd.DataFrame) -> pd.Series:
    """Per row: every feature present and within [0, upper bound] (one vectorised pass)."""
    values = frame.loc[:, list(FEATURES)].to_numpy(dtype="float64")
    upper = np.fromiter(FEATURE_UPPER_BOUNDS.values(), dtype="float64")
    return pd.Series(((values >= 0.0) & (values <= upper)).all(axis=1), index=frame.index)


def input_schema() -> pa.DataFrameSchema:
    """What every input chunk is screened with: ids present, and the value rules of all
    features in one vectorised row check (fast enough for every row).

    ``validation.conform`` has already given every feature the float64 type (unreadable
    values become missing, and missing values fail the row check), so a per-feature
    column here would only repeat that; rows that fail are explained feature by feature
    with ``feature_rules_schema``. Unique ids are checked across the whole partition by
    ``validation.duplicate_ids``.
    """
    return pa.DataFrameSchema(
        {ID_COLUMN: pa.Column("int64", nullable=False)},
        checks=[pa.Check(_rows_within_contract, name=ROW_CHECK)],
        strict=False,
        name="input",
    )


def feature_rules_schema() -> pa.DataFrameSchema:
    """The same value rules, one check per feature: run on the rows that failed
    ``ROW_CHECK`` to say which feature broke which rule."""
    columns = {
        name: pa.Column("float64", checks=[pa.Check.ge(0.0), pa.Check.le(upper)], nullable=False)
        for name, upper in FEATURE_UPPER_BOUNDS.items()
    }
    return pa.DataFrameSchema(columns, strict=False, name="input feature rules")


def output_schema() -> pa.DataFrameSchema:
    """Rules every scored chunk must meet before it is written (a failure is a bug).

    The lineage columns hold one value per run, which ``scoring.Lineage`` checks once;
    here they only need the right type and no gaps.
    """
    return pa.DataFrameSchema(
        {
            ID_COLUMN: pa.Column("int64", nullable=False, unique=True),
            SCORE_COLUMN: pa.Column(
                "float64", checks=[pa.Check.ge(0.0), pa.Check.le(1.0)], nullable=False
            ),
            "model_name": pa.Column(str, nullable=False),
            "model_version": pa.Column(str, nullable=False),
            "run_id": pa.Column(str, nullable=False),
            "scored_at": pa.Column("datetime64[us, UTC]", nullable=False),
        },
        strict=True,
        ordered=True,
        name="output",
    )


def output_arrow_schema() -> pyarrow.Schema:
    """Physical schema of output files (both engines write exactly this)."""
    return pyarrow.schema(
        [
            (ID_COLUMN, pyarrow.int64()),
            (SCORE_COLUMN, pyarrow.float64()),
            ("model_name", pyarrow.string()),
            ("model_version", pyarrow.string()),
            ("run_id", pyarrow.string()),
            ("scored_at", pyarrow.timestamp("us", tz="UTC")),
        ]
    )


def quarantine_arrow_schema() -> pyarrow.Schema:
    """Rejected rows as read (unreadable values missing) plus why they were rejected."""
    return pyarrow.schema(
        [
            (ID_COLUMN, pyarrow.int64()),
            *[(name, pyarrow.float64()) for name in FEATURES],
            (REASON_COLUMN, pyarrow.string()),
        ]
    )
