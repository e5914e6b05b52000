"""Every service result follows one contract (``goldenpath.results``): error, exit code,
ok, and one JSON form derived from its fields."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar

import pytest

import goldenpath
from goldenpath.errors import EXIT_ATTENTION, EXIT_USAGE, RepositoryError, UsageError
from goldenpath.fleet.outcomes import FleetUpdateResult
from goldenpath.fleet.status import FleetStatus
from goldenpath.readiness.model import ReadinessReport
from goldenpath.results import Record, Result, to_json
from goldenpath.services.check import CheckResult
from goldenpath.services.generate import NewResult
from goldenpath.services.release import ReleaseResult, VerifyResult
from goldenpath.services.templates import TemplatesResult
from goldenpath.services.update import UpdateResult
from goldenpath.versions import Gap, Version

SERVICE_RESULTS = (
    CheckResult,
    NewResult,
    ReleaseResult,
    VerifyResult,
    TemplatesResult,
    UpdateResult,
    ReadinessReport,
    FleetStatus,
    FleetUpdateResult,
)


def _classes() -> list[type]:
    found: list[type] = []
    for info in pkgutil.walk_packages(goldenpath.__path__, "goldenpath."):
        if info.name == "goldenpath.__main__":  # importing it runs the CLI
            continue
        module = importlib.import_module(info.name)
        found.extend(
            cls
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if cls.__module__ == info.name
        )
    return found


def test_no_class_writes_its_own_to_dict() -> None:
    """One JSON form for all: only the contract itself and errors define ``to_dict``."""
    own = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _classes()
        if "to_dict" in vars(cls) and cls is not Record
        if not issubclass(cls, goldenpath.errors.GoldenpathError)
    ]
    assert own == []


@pytest.mark.parametrize("cls", SERVICE_RESULTS, ids=lambda cls: cls.__name__)
def test_every_service_result_is_a_result(cls: type) -> None:
    assert issubclass(cls, Result)


class Colour(Enum):
    RED = "red"


@dataclass
class Inner:
    path: Path
    when: Version


@dataclass
class Row(Record):
    name: str
    hidden: int = 0


@dataclass
class Sample(Result):
    path: Path
    from_version: str | None = None
    rows: list[Row] = field(default_factory=list)
    error: RepositoryError | None = None  # type: ignore[assignment]
    gap: Gap = Gap.MINOR
    colour: Colour = Colour.RED
    inner: dict[str, Inner] = field(default_factory=dict)
    note: str = "x"

    _json_rename: ClassVar = {"from_version": "from", "note": None}

    def _ok_exit_code(self) -> int:
        return EXIT_ATTENTION if self.rows else 0

    def _json_extra(self) -> dict[str, Any]:
        return {"count": len(self.rows), "gap": self.gap.value}


def test_to_dict_is_derived_from_the_fields() -> None:
    sample = Sample(
        Path("/r"),
        "1.0.0",
        [Row("a")],
        inner={"k": Inner(Path("p"), Version.parse("1.2.3"))},
    )
    assert sample.to_dict() == {
        "path": "/r",
        "from": "1.0.0",  # renamed
        "rows": [{"name": "a", "hidden": 0}],
        "gap": 2,  # shown another way by the extra keys, in its place
        "colour": "red",
        "inner": {"k": {"path": "p", "when": "1.2.3"}},
        "count": 1,
        "error": None,  # last
    }
    keys = ["path", "from", "rows", "gap", "colour", "inner", "count", "error"]
    assert list(sample.to_dict()) == keys
    assert json.loads(json.dumps(sample.to_dict())) == sample.to_dict()


def test_exit_code_is_the_errors_else_the_results_own() -> None:
    assert Sample(Path()).exit_code == 0
    assert Sample(Path()).ok
    assert Sample(Path(), rows=[Row("a")]).exit_code == EXIT_ATTENTION
    failed = Sample(Path(), rows=[Row("a")], error=RepositoryError("gone", hint="clone it"))
    assert failed.exit_code == 1
    assert not failed.ok
    assert failed.to_dict()["error"] == {"message": "gone", "hint": "clone it", "exit_code": 1}
    assert Sample(Path(), error=UsageError("bad")).exit_code == EXIT_USAGE  # type: ignore[arg-type]


def test_a_value_without_an_agreed_json_form_is_an_error() -> None:
    assert to_json({Gap.MAJOR: (Colour.RED, None)}) == {"major": ["red", None]}
    with pytest.raises(TypeError, match="no JSON form for object"):
        to_json([object()])
