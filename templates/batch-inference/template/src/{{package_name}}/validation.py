"""Row-level validation: split a chunk into valid rows and quarantined rows with reasons."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
import pandera.errors
import pandera.pandas as pa

from .contract import FEATURES, ID_COLUMN, INPUT_COLUMNS, REASON_COLUMN, input_schema
from .errors import InputSchemaError, OutputValidationError


@dataclass(frozen=True)
class Split:
    """One validated chunk: rows to score, and rejected rows with a reason column."""

    valid: pd.DataFrame
    rejected: pd.DataFrame


@lru_cache(maxsize=1)
def _schema() -> pa.DataFrameSchema:
    return input_schema()


def conform(chunk: pd.DataFrame) -> pd.DataFrame:
    """Keep the contract's columns with the contract's types.

    Values that cannot be read as numbers become missing, so they are rejected row by
    row with a reason instead of failing the whole partition.
    """
    missing = [name for name in INPUT_COLUMNS if name not in chunk.columns]
    if missing:
        raise InputSchemaError(f"input is missing required columns: {', '.join(missing)}")
    out = pd.DataFrame(index=chunk.index)
    ids = pd.to_numeric(chunk[ID_COLUMN], errors="coerce")
    if ids.isna().any():
        out[ID_COLUMN] = ids.astype("Int64")
    else:
        out[ID_COLUMN] = ids.astype("int64")
    for name in FEATURES:
        column = chunk[name]
        if column.dtype != "float64":
            column = pd.to_numeric(column, errors="coerce").astype("float64")
        out[name] = column
    return out


def split_valid(chunk: pd.DataFrame) -> Split:
    """Validate one chunk; rows that break a rule go to quarantine with every reason."""
    frame = conform(chunk).reset_index(drop=True)
    missing_id = frame[ID_COLUMN].isna()
    reasons = pd.Series("", index=frame.index, dtype=object)
    if missing_id.any():
        reasons[missing_id] = f"{ID_COLUMN}: missing or not an integer"
        checked = frame.loc[~missing_id].astype({ID_COLUMN: "int64"})
    else:
        checked = frame
    try:
        _schema().validate(checked, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        row_cases = cases[cases["index"].notna()]
        if len(row_cases) < len(cases):
            table_level = cases[cases["index"].isna()]
            detail = "; ".join(
                sorted(
                    {
                        f"{c}: {k}"
                        for c, k in zip(table_level["column"], table_level["check"], strict=True)
                    }
                )
            )
            raise InputSchemaError(f"input breaks the data contract: {detail}") from exc
        described = row_cases["column"].astype(str) + ": " + row_cases["check"].astype(str)
        grouped = described.groupby(row_cases["index"].astype("int64")).agg(
            lambda items: "; ".join(sorted(set(items)))
        )
        reasons.loc[grouped.index] = grouped
    bad = reasons != ""
    if not bad.any():
        return Split(valid=frame, rejected=frame.iloc[0:0].assign(**{REASON_COLUMN: ""}))
    rejected = frame.loc[bad].astype({ID_COLUMN: "Int64"}).assign(**{REASON_COLUMN: reasons[bad]})
    valid = frame.loc[~bad].astype({ID_COLUMN: "int64"}).reset_index(drop=True)
    return Split(valid=valid, rejected=rejected.reset_index(drop=True))


def check_output(scored: pd.DataFrame, schema: pa.DataFrameSchema) -> None:
    """Fail the run when a scored chunk breaks the output contract."""
    try:
        schema.validate(scored, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        detail = "; ".join(
            sorted({f"{c}: {k}" for c, k in zip(cases["column"], cases["check"], strict=True)})
        )
        raise OutputValidationError(f"scored rows break the output contract: {detail}") from exc
