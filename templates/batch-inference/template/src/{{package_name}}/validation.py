"""Row-level validation: split a chunk into valid rows and quarantined rows with reasons.

Ids must be unique within the whole partition, not just within a chunk: the engines find
the repeated ids in one pass over the id column before scoring (``duplicate_ids``) and
hand them to ``split_valid``, so every row of a repeated id is quarantined whichever
chunks the rows fall in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

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

DUPLICATE_REASON = f"{ID_COLUMN}: not unique within the partition"
IdArray = np.ndarray[Any, np.dtype[np.int64]]
_NO_IDS: IdArray = np.empty(0, dtype="int64")


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
    frame[ID_COLUMN] = parse_ids(frame[ID_COLUMN])
    for name in FEATURES:
        if frame[name].dtype != "float64":
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return frame


def parse_ids(ids: pd.Series) -> pd.Series:
    """Ids as integers; what cannot be read as one becomes missing (and is rejected)."""
    if ids.dtype == "int64":
        return ids
    numbers = pd.to_numeric(ids, errors="coerce")
    return numbers.astype("Int64") if numbers.isna().any() else numbers.astype("int64")


def duplicate_ids(id_chunks: Iterable[pd.Series]) -> IdArray:
    """The ids that occur more than once across all chunks, sorted.

    Holds the partition's readable ids (8 bytes a row, and a hash table over them) for a
    moment: the one place where memory follows the input size rather than the chunk size.
    Hashing is several times faster than sorting the ids.
    """
    parts = [parse_ids(chunk).dropna().to_numpy(dtype="int64") for chunk in id_chunks]
    if not parts:
        return _NO_IDS
    ids = pd.Series(np.concatenate(parts))
    del parts
    repeated: IdArray = np.unique(ids[ids.duplicated(keep=False)].to_numpy(dtype="int64"))
    return repeated


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


def split_valid(chunk: pd.DataFrame, duplicates: IdArray | None = None) -> Split:
    """Validate one chunk; rows that break a rule go to quarantine with every reason.

    ``duplicates`` are the ids repeated anywhere in the partition (``duplicate_ids``);
    without them, only ids repeated inside this chunk are caught.
    """
    frame = conform(chunk)
    screen, rules = _schemas()
    reasons: dict[int, set[str]] = defaultdict(set)
    missing_id = frame[ID_COLUMN].isna().to_numpy()
    for row in np.flatnonzero(missing_id):
        reasons[int(row)].add(f"{ID_COLUMN}: missing or not an integer")
    checked = frame.loc[~missing_id].astype({ID_COLUMN: "int64"}) if missing_id.any() else frame
    ids = checked[ID_COLUMN]
    if duplicates is None:
        repeated = ids.duplicated(keep=False).to_numpy()
    elif len(duplicates):
        repeated = np.isin(ids.to_numpy(), duplicates)
    else:
        repeated = np.zeros(len(ids), dtype=bool)
    for row in ids.index[repeated]:
        reasons[int(row)].add(DUPLICATE_REASON)
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
