"""Checks of an updated project, each reported by name with a one-line detail.

Every check either passes, fails (the detail says what is wrong and where) or is not
applicable (the detail says why): an upgrade test never counts a check it could not run
as passed.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from goldenpath.catalog.migrations import Migration, MigrationOutcome
from goldenpath.catalog.upgrades.edits import Edit
from goldenpath.errors import GoldenpathError
from goldenpath.results import Record
from goldenpath.services import project as project_service
from goldenpath.versions import Version

PASSED = "passed"
FAILED = "failed"
NOT_APPLICABLE = "not-applicable"

_MARKERS = re.compile(r"^(<{7}|>{7}) ", re.MULTILINE)
_SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache"}
_DETAIL_LINES = 15  # of a tool's output, in a failed check's detail
# Variables of an outer pytest run (this command may run under one) must not reach the
# project's own test session; telemetry stays off on a test run.
_DROPPED_PREFIXES = ("PYTEST_", "COV_CORE_")
_QUIET_ENV = {
    "PYTHONDONTWRITEBYTECODE": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "1",
}


@dataclass
class Check(Record):
    """One check of one cell."""

    name: str
    status: str  # passed | failed | not-applicable
    detail: str = ""

    @property
    def failed(self) -> bool:
        """True when the check found a problem."""
        return self.status == FAILED


def passed(name: str, detail: str = "") -> Check:
    """A check that found nothing wrong."""
    return Check(name, PASSED, detail)


def failed(name: str, detail: str) -> Check:
    """A check that found a problem; ``detail`` says which."""
    return Check(name, FAILED, detail)


def not_applicable(name: str, why: str) -> Check:
    """A check with nothing to look at in this project; ``why`` says so."""
    return Check(name, NOT_APPLICABLE, why)


# --- files ----------------------------------------------------------------------------------


def _project_files(root: Path) -> Iterable[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not _SKIP_DIRS.intersection(path.relative_to(root).parts):
            yield path


def conflicts(root: Path, reported: Sequence[str], expected: Iterable[str]) -> Check:
    """No conflict markers and no ``.rej`` files, except the conflicts the release declares.

    The files are scanned as well as the update's own list, so a marker copier left where
    the update did not look is caught too.
    """
    found = set(reported)
    for path in _project_files(root):
        rel = path.relative_to(root).as_posix()
        if rel.endswith(".rej"):
            found.add(rel.removesuffix(".rej"))
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if _MARKERS.search(text):
            found.add(rel)
    allowed = set(expected)
    unexpected = sorted(found - allowed)
    if unexpected:
        return failed("no-conflicts", "conflicts in " + ", ".join(unexpected))
    declared = sorted(found & allowed)
    if declared:
        return passed("no-conflicts", "only the declared conflicts: " + ", ".join(declared))
    return passed("no-conflicts")


def edit_kept(root: Path, edit: Edit, declared: Mapping[str, str]) -> Check:
    """The user's edit is intact after the update.

    A conflict the release declares in the edited file (``declared``: path -> reason) is
    the user's to resolve, so the edit cannot be judged there.
    """
    name = f"kept-{edit.name}"
    if edit.path in declared:
        return not_applicable(name, f"the release declares a conflict in {edit.path}")
    problem = edit.problem(root)
    return failed(name, problem) if problem else passed(name, edit.describe())


def migrations_applied(
    reported: Sequence[MigrationOutcome], declared: Sequence[Migration], span: str
) -> Check:
    """Every migration the update crosses is listed in its result, with its outcome."""
    if not declared:
        return not_applicable("migrations", f"no migration declared for {span}")
    listed = [(outcome.version, outcome.kind) for outcome in reported]
    missing: list[str] = []
    for migration in declared:
        key = (str(migration.version), migration.kind)
        if key in listed:
            listed.remove(key)
        else:
            missing.append(f"{migration.version} {migration.describe()}")
    if missing:
        return failed("migrations", "not applied: " + "; ".join(missing))
    return passed("migrations", "; ".join(f"{o.description}: {o.outcome}" for o in reported))


def answers_version(root: Path, target: Version) -> Check:
    """The answers file records the version the project was updated to."""
    try:
        recorded = project_service.load(root).version
    except GoldenpathError as exc:
        return failed("answers-version", exc.message)
    if recorded != target:
        return failed("answers-version", f"records {recorded}, expected {target}")
    return passed("answers-version", f"records {target}")


# --- the project's own tools --------------------------------------------------------------


@dataclass(frozen=True)
class Toolchain:
    """How the project's lint and tests run.

    With ``python`` (an interpreter that has the project's dependencies, e.g. CI's
    ``.venv-gen/bin/python``): ``ruff check``, ``ruff format --check`` and ``pytest`` as
    modules of that interpreter, exactly as the project's Makefile runs them. Without it:
    ``make setup`` (which needs the package index), then ``make lint`` and ``make test``.
    """

    python: Path | None = None
    timeout: float = 900.0


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES)}
    env.update(_QUIET_ENV)
    return env


def _run(args: Sequence[str], root: Path, timeout: float) -> str:
    """Run a tool in the project; "" on success, else the end of its output."""
    command = " ".join(args)
    try:
        done = subprocess.run(
            list(args),
            cwd=root,
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"`{command}` did not finish within {timeout:.0f} s"
    except OSError as exc:
        return f"`{command}` could not start: {exc.strerror or exc}"
    if done.returncode == 0:
        return ""
    output = "\n".join(part.strip() for part in (done.stdout, done.stderr) if part.strip())
    tail = "\n".join(output.splitlines()[-_DETAIL_LINES:])
    return f"`{command}` exited with {done.returncode}" + (f":\n{tail}" if tail else "")


def setup(root: Path, tools: Toolchain) -> Check | None:
    """``make setup`` when no interpreter was given (None: nothing to set up)."""
    if tools.python is not None:
        return None
    problem = _run(["make", "setup"], root, tools.timeout)
    return failed("setup", problem) if problem else passed("setup", "make setup")


def lint(root: Path, tools: Toolchain) -> Check:
    """``ruff check`` and ``ruff format --check``, as the project's Makefile runs them."""
    if tools.python is None:
        problem = _run(["make", "lint"], root, tools.timeout)
        return failed("lint", problem) if problem else passed("lint", "make lint")
    python = str(tools.python)
    for args in (["ruff", "check", "."], ["ruff", "format", "--check", "."]):
        problem = _run([python, "-m", *args], root, tools.timeout)
        if problem:
            return failed("lint", problem)
    return passed("lint", "ruff check, ruff format --check")


def tests(root: Path, tools: Toolchain) -> Check:
    """The project's own test suite."""
    if tools.python is None:
        problem = _run(["make", "test"], root, tools.timeout)
        return failed("tests", problem) if problem else passed("tests", "make test")
    args = [str(tools.python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    problem = _run(args, root, tools.timeout)
    return failed("tests", problem) if problem else passed("tests", "pytest")
