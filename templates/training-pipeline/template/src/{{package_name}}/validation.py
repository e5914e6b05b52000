"""Validate: check the data against the contract and report every failure at once."""

from __future__ import annotations

import functools
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.errors
import pandera.pandas as pa

from .config import TASK
from .contract import FEATURE_BOUNDS, FEATURES, ID_COLUMN, MIN_ROWS, TARGET, TIMESTAMP_COLUMN

_SAMPLES_PER_CHECK = 5


def _finite(series: pd.Series) -> pd.Series:
    return series.abs() < float("inf")


def _feature_checks(name: str) -> list[pa.Check]:
    """The range check when the contract bounds the feature, and "finite" when it does not.

    A range with two finite ends already rejects infinities (``nullable=False`` rejects
    NaN), so it needs no second check: each check has a fixed cost in pandera, paid per
    column on every validation.
    """
    checks: list[pa.Check] = []
    bounds = FEATURE_BOUNDS.get(name)
    if bounds is None or not all(math.isfinite(end) for end in bounds):
        checks.append(pa.Check(_finite, name="finite"))
    if bounds is not None:
        checks.append(pa.Check.in_range(*bounds))
    return checks


@functools.cache
def schema() -> pa.DataFrameSchema:
    """The data contract as a pandera schema (extra columns are allowed and ignored).

    Built once per process: the contract is constant and pandera schemas are not changed
    by validating with them.
    """
    columns: dict[str, pa.Column] = {
        name: pa.Column(float, nullable=False, coerce=True, checks=_feature_checks(name))
        for name in FEATURES
    }
    if TASK == "classification":
        columns[TARGET] = pa.Column(int, nullable=False, coerce=True, checks=pa.Check.ge(0))
    else:
        columns[TARGET] = pa.Column(
            float, nullable=False, coerce=True, checks=pa.Check(_finite, name="finite")
        )
    columns[ID_COLUMN] = pa.Column(int, nullable=False, unique=True, required=False)
    if TIMESTAMP_COLUMN is not None:
        columns[TIMESTAMP_COLUMN] = pa.Column("datetime64[ns, UTC]", nullable=False, coerce=True)
    return pa.DataFrameSchema(
        columns,
        checks=pa.Check(lambda df: len(df) >= MIN_ROWS, name=f"at_least_{MIN_ROWS}_rows"),
        strict=False,
        name="training_data",
    )


@dataclass(frozen=True)
class Failure:
    """One check that failed on one column (or on the whole table)."""

    column: str
    check: str
    count: int
    examples: list[str]


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating one dataset."""

    rows: int
    rejected_rows: int
    failures: list[Failure] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.failures

    def to_text(self) -> str:
        """A report a person can read in a CI log."""
        if self.valid:
            return f"data contract: OK ({self.rows} rows)"
        lines = [
            f"data contract: REJECTED, {len(self.failures)} failed checks, "
            f"{self.rejected_rows} of {self.rows} rows affected",
        ]
        for failure in self.failures:
            examples = ", ".join(failure.examples)
            lines.append(
                f"  - column {failure.column!r}: check {failure.check!r} failed "
                f"{failure.count} time(s), e.g. {examples}"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, **asdict(self)}

    def write(self, directory: Path) -> None:
        """Write validation.json (for tools) and validation.txt (for people)."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "validation.json").write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        (directory / "validation.txt").write_text(self.to_text() + "\n")


def validate(frame: pd.DataFrame, contract: pa.DataFrameSchema | None = None) -> ValidationReport:
    """Validate lazily (every check runs) and summarise failures per column and check."""
    contract = contract if contract is not None else schema()
    try:
        contract.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        return _report(frame, errors.failure_cases)
    return ValidationReport(rows=len(frame), rejected_rows=0)


def _report(frame: pd.DataFrame, cases: pd.DataFrame) -> ValidationReport:
    failures: list[Failure] = []
    cases = cases.assign(
        column=cases["column"].fillna(cases["schema_context"]).astype(str),
        check=cases["check"].astype(str),
    )
    for (column, check), group in cases.groupby(["column", "check"], sort=True):
        examples = [
            _describe(row["index"], row["failure_case"])
            for _, row in group.head(_SAMPLES_PER_CHECK).iterrows()
        ]
        failures.append(Failure(str(column), str(check), len(group), examples))
    rows_hit = cases["index"].dropna().unique()
    return ValidationReport(rows=len(frame), rejected_rows=len(rows_hit), failures=failures)


def _describe(index: object, value: object) -> str:
    if index is None or (isinstance(index, float) and pd.isna(index)):
        return repr(value)
    return f"row {index}: {value!r}"
