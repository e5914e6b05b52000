"""Row-level validation: split a chunk into valid rows and quarantined rows with reasons."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa

from .contract import (
    FEATURES,
    ID_COLUMN,
    INPUT_COLUMNS,
    REASON_COLUMN,
    ROW_CHECK,
    feature_rules_schema,
    input_schema,
)
from .errors import InputSchemaError, OutputValidationError


@dataclass(frozen=True)
class Split:
    """One validated chunk: rows to score, and rejected rows with a reason column."""

    valid: pd.DataFrame
    rejected: pd.DataFrame


@lru_cache(maxsize=1)
def _schemas() -> tuple[pa.DataFrameSchema, pa.DataFrameSchema]:
    return input_schema(), feature_rules_schema()


def conform(chunk: pd.DataFrame) -> pd.DataFrame:
    """Keep the contract's columns with the contract's types, on a fresh 0..n-1 index.

    Values that cannot be read as numbers become missing, so they are rejected row by
    row with a reason instead of failing the whole partition.
    """
    missing = [name for name in INPUT_COLUMNS if name not in chunk.columns]
    if missing:
        raise InputSchemaError(f"input is missing required columns: {', '.join(missing)}")
    frame = chunk.loc[:, list(INPUT_COLUMNS)].reset_index(drop=True)
    if frame[ID_COLUMN].dtype != "int64":
        ids = pd.to_numeric(frame[ID_COLUMN], errors="coerce")
        frame[ID_COLUMN] = ids.astype("Int64") if ids.isna().any() else ids.astype("int64")
    for name in FEATURES:
        if frame[name].dtype != "float64":
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return frame


def _failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame | None:
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases: pd.DataFrame = exc.failure_cases
        return cases
    return None


def _describe(cases: pd.DataFrame) -> str:
    pairs = zip(cases["column"], cases["check"], strict=True)
    return "; ".join(sorted({f"{column}: {check}" for column, check in pairs}))


def split_valid(chunk: pd.DataFrame) -> Split:
    """Validate one chunk; rows that break a rule go to quarantine with every reason."""
    frame = conform(chunk)
    screen, rules = _schemas()
    reasons: dict[int, set[str]] = defaultdict(set)
    missing_id = frame[ID_COLUMN].isna().to_numpy()
    for row in np.flatnonzero(missing_id):
        reasons[int(row)].add(f"{ID_COLUMN}: missing or not an integer")
    checked = frame.loc[~missing_id].astype({ID_COLUMN: "int64"}) if missing_id.any() else frame
    cases = _failures(screen, checked)
    if cases is not None:
        if cases["index"].isna().any():
            detail = _describe(cases[cases["index"].isna()])
            raise InputSchemaError(f"input breaks the data contract: {detail}")
        rows = cases["index"].astype("int64")
        screened = (cases["check"] == ROW_CHECK).to_numpy()
        for row, column, check in zip(
            rows[~screened], cases["column"][~screened], cases["check"][~screened], strict=True
        ):
            reasons[int(row)].add(f"{column}: {check}")
        out_of_contract = np.unique(rows[screened].to_numpy())
        if len(out_of_contract):
            detail_cases = _failures(rules, checked.loc[out_of_contract])
            if detail_cases is not None:
                for row, column, check in zip(
                    detail_cases["index"].astype("int64"),
                    detail_cases["column"],
                    detail_cases["check"],
                    strict=True,
                ):
                    reasons[int(row)].add(f"{column}: {check}")
    if not reasons:
        return Split(valid=frame, rejected=frame.iloc[0:0].assign(**{REASON_COLUMN: ""}))
    bad = np.zeros(len(frame), dtype=bool)
    bad[list(reasons)] = True
    rejected = frame.loc[bad].astype({ID_COLUMN: "Int64"})
    rejected[REASON_COLUMN] = ["; ".join(sorted(reasons[int(row)])) for row in np.flatnonzero(bad)]
    valid = frame.loc[~bad].astype({ID_COLUMN: "int64"}).reset_index(drop=True)
    return Split(valid=valid, rejected=rejected.reset_index(drop=True))


def check_output(scored: pd.DataFrame, schema: pa.DataFrameSchema) -> None:
    """Fail the run when a scored chunk breaks the output contract."""
    cases = _failures(schema, scored)
    if cases is not None:
        raise OutputValidationError(f"scored rows break the output contract: {_describe(cases)}")
