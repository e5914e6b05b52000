"""Which checks exist: the builtin ML pack plus every pack registered by entry point.

An organisation ships its own checks as a Python package that declares, in its
``pyproject.toml``::

    [project.entry-points."goldenpath.readiness"]
    acme = "acme_readiness:CHECKS"

The entry point may name one :class:`Check` subclass, or an iterable of them. A pack that
fails to load is an error, not a warning: silently dropping checks would inflate levels.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable
from importlib.metadata import entry_points

from goldenpath.errors import GoldenpathError, UsageError
from goldenpath.readiness.model import Check, Level, Section

ENTRY_POINT_GROUP = "goldenpath.readiness"
BUILTIN_MODULES = ("data", "model", "delivery", "catalog", "monitoring", "security", "ownership")
_REQUIRED_ATTRIBUTES = ("id", "section", "level", "title", "why", "reference", "hint")


def _builtin() -> list[type[Check]]:
    checks: list[type[Check]] = []
    for name in BUILTIN_MODULES:
        try:
            module = importlib.import_module(f"goldenpath.readiness.checks.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"goldenpath.readiness.checks.{name}":
                raise
            continue
        checks.extend(getattr(module, "CHECKS", ()))
    return checks


def _as_checks(name: str, loaded: object) -> list[type[Check]]:
    if isinstance(loaded, type) and issubclass(loaded, Check):
        return [loaded]
    if isinstance(loaded, Iterable) and not isinstance(loaded, (str, bytes)):
        items = list(loaded)
        if all(isinstance(i, type) and issubclass(i, Check) for i in items):
            return items
    raise GoldenpathError(
        f"readiness check pack {name!r} does not name Check subclasses",
        hint=f"its '{ENTRY_POINT_GROUP}' entry point must point to a Check or a list of them",
    )


def _plugins() -> list[type[Check]]:
    checks: list[type[Check]] = []
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        try:
            loaded = point.load()
        except Exception as exc:
            raise GoldenpathError(
                f"readiness check pack {point.name!r} failed to load: {exc}",
                hint=f"fix or uninstall the package providing {point.value}",
            ) from exc
        checks.extend(_as_checks(point.name, loaded))
    return checks


def _validate(checks: list[type[Check]]) -> None:
    seen: dict[str, type[Check]] = {}
    for check in checks:
        missing = [a for a in _REQUIRED_ATTRIBUTES if not hasattr(check, a)]
        if missing:
            raise GoldenpathError(
                f"readiness check {check.__module__}.{check.__qualname__} lacks "
                + ", ".join(missing)
            )
        if not isinstance(check.section, Section) or not isinstance(check.level, Level):
            raise GoldenpathError(f"readiness check {check.id!r}: section/level of the wrong type")
        if check.level is Level.NONE or check.weight < 1:
            raise GoldenpathError(f"readiness check {check.id!r}: level NONE or weight < 1")
        if check.id in seen:
            raise GoldenpathError(
                f"two readiness checks share the id {check.id!r}: "
                f"{seen[check.id].__module__} and {check.__module__}"
            )
        seen[check.id] = check
    for check in checks:
        for needed in check.requires:
            if needed not in seen:
                raise GoldenpathError(f"readiness check {check.id!r} requires unknown {needed!r}")


def _ordered(checks: list[type[Check]]) -> list[type[Check]]:
    """Checks in catalogue order, each after the checks it requires."""
    by_id = {c.id: c for c in checks}
    done: dict[str, type[Check]] = {}
    visiting: set[str] = set()

    def visit(check: type[Check]) -> None:
        if check.id in done:
            return
        if check.id in visiting:
            raise GoldenpathError(f"readiness checks require each other in a cycle: {check.id}")
        visiting.add(check.id)
        for needed in check.requires:
            visit(by_id[needed])
        visiting.discard(check.id)
        done[check.id] = check

    for check in checks:
        visit(check)
    return list(done.values())


def all_checks() -> list[type[Check]]:
    """Every known check, validated, each after the checks it requires."""
    checks = _builtin() + _plugins()
    _validate(checks)
    return _ordered(checks)


def select(checks: list[type[Check]], wanted: list[str]) -> list[type[Check]]:
    """The checks named in ``wanted`` plus those they require (a usage error names an
    unknown id and the closest known one)."""
    by_id = {c.id: c for c in checks}
    for name in wanted:
        if name not in by_id:
            close = difflib.get_close_matches(name, list(by_id), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "see `goldenpath readiness --list`"
            raise UsageError(f"unknown readiness check {name!r}", hint=hint)
    keep: set[str] = set()
    pending = list(wanted)
    while pending:
        name = pending.pop()
        if name not in keep:
            keep.add(name)
            pending.extend(by_id[name].requires)
    return [c for c in checks if c.id in keep]
