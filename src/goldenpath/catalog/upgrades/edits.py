"""The user-edit fixtures: what a team typically changes in its repository after ``new``.

An update that is correct for an untouched render can still lose a team's work, so every
upgrade test edits the rendered project the way its owners would before updating:

- ``added-line``: a comment and a small function appended to the package's main module
  (the module of the first ``[project.scripts]`` entry point, else the package's
  ``__init__.py``);
- ``threshold``: the threshold of the first alert under ``monitoring/`` that compares
  with a number (``> 0.05`` becomes ``> 0.06``: one more unit in its last digit);
- ``deleted-file``: an optional file removed (the first ADR under ``docs/adr/``, else the
  first file under ``loadtest/``).

The rules are generic, read from what the render contains, so a new template folder needs
nothing here. An edit whose target the template does not render is "not applicable" and
says why; it is never counted as a kept edit.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

import yaml

MONITORING = "monitoring"
# Optional files a team may delete, in order of preference (globs, repository-relative).
DELETABLE = ("docs/adr/*.md", "loadtest/*")

FUNCTION_NAME = "local_upgrade_marker"
ADDED_BLOCK = f'''

# Added by the team after the project was generated; a catalog update must keep it.
def {FUNCTION_NAME}() -> str:
    """Return a marker that proves local code survives a catalog update."""
    return "kept"
'''

# A comparison with a number: `> 0.05`, `<= (14.4`, `> bool 3` (inequalities only: an
# `== 0` is a state, not a threshold a team tunes).
_THRESHOLD = re.compile(
    r"(?P<op>>=|<=|>|<)(?P<gap>\s*(?:bool\s+)?\(?\s*)"
    r"(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\w.])"
)


class Edit(Protocol):
    """One user edit: applied before the update, proven kept after it."""

    @property
    def name(self) -> str:
        """The edit's name; its check is called ``kept-<name>``."""

    @property
    def path(self) -> str:
        """The repository-relative file it changes."""

    def describe(self) -> str:
        """One line for people: what the team changed."""

    def apply(self, root: Path) -> None:
        """Make the change in the project at ``root``."""

    def problem(self, root: Path) -> str:
        """Why the edit is not intact in the updated project ("" when it is)."""


@dataclass(frozen=True)
class AddedFunction:
    """A comment and a small function appended to a module."""

    path: str
    name: str = "added-line"

    def describe(self) -> str:
        """What changed."""
        return f"appended {FUNCTION_NAME}() to {self.path}"

    def apply(self, root: Path) -> None:
        """Append the block, keeping the file's single trailing newline."""
        file = root / self.path
        text = file.read_text(encoding="utf-8").rstrip("\n") + "\n"
        file.write_text(text + ADDED_BLOCK, encoding="utf-8")

    def problem(self, root: Path) -> str:
        """The block must be there, byte for byte."""
        file = root / self.path
        if not file.is_file():
            return f"{self.path} is gone"
        if ADDED_BLOCK.strip() not in file.read_text(encoding="utf-8"):
            return f"{self.path} lost the appended {FUNCTION_NAME}()"
        return ""


@dataclass(frozen=True)
class ChangedThreshold:
    """An alert's threshold changed in a Prometheus rule file."""

    path: str
    alert: str
    operator: str
    old: str
    new: str
    name: str = "threshold"

    def describe(self) -> str:
        """What changed."""
        return (
            f"alert {self.alert} in {self.path}: threshold {self.operator} {self.old} "
            f"changed to {self.operator} {self.new}"
        )

    def apply(self, root: Path) -> None:
        """Rewrite the number in place: the rest of the file stays byte for byte."""
        file = root / self.path
        text = file.read_text(encoding="utf-8")
        start = _alert_position(text, self.alert)
        for match in _THRESHOLD.finditer(text, start):
            if match["op"] == self.operator and match["number"] == self.old:
                edited = f"{text[: match.start('number')]}{self.new}{text[match.end('number') :]}"
                file.write_text(edited, encoding="utf-8")
                return
        raise ValueError(f"{self.path}: no '{self.operator} {self.old}' after alert {self.alert}")

    def problem(self, root: Path) -> str:
        """The alert must still compare with the team's number."""
        file = root / self.path
        if not file.is_file():
            return f"{self.path} is gone"
        try:
            expr = _alert_exprs(yaml.safe_load(file.read_text(encoding="utf-8"))).get(self.alert)
        except yaml.YAMLError as exc:
            return f"{self.path} is no longer valid YAML: {str(exc).splitlines()[0]}"
        if expr is None:
            return f"alert {self.alert} is gone from {self.path}"
        found = [(m["op"], m["number"]) for m in _THRESHOLD.finditer(expr)]
        if (self.operator, self.new) not in found:
            return f"alert {self.alert} lost the threshold {self.operator} {self.new}: {expr}"
        return ""


@dataclass(frozen=True)
class DeletedFile:
    """An optional file the team removed."""

    path: str
    name: str = "deleted-file"

    def describe(self) -> str:
        """What changed."""
        return f"deleted {self.path}"

    def apply(self, root: Path) -> None:
        """Remove it."""
        (root / self.path).unlink()

    def problem(self, root: Path) -> str:
        """It must stay deleted: an update must not bring back what the team removed."""
        return f"{self.path} is back" if (root / self.path).exists() else ""


@dataclass(frozen=True)
class Plan:
    """The edits a render allows, and a reason for each fixture it does not."""

    edits: tuple[Edit, ...]
    not_applicable: dict[str, str]  # edit name -> why


def plan(root: Path) -> Plan:
    """Choose the edits for the project rendered at ``root``."""
    edits: list[Edit] = []
    missing: dict[str, str] = {}
    for name, finder in (
        ("added-line", _added_function),
        ("threshold", _threshold),
        ("deleted-file", _deleted_file),
    ):
        found = finder(root)
        if isinstance(found, str):
            missing[name] = found
        else:
            edits.append(found)
    return Plan(tuple(edits), missing)


# --- finding the targets ------------------------------------------------------------------


def _added_function(root: Path) -> Edit | str:
    """The module of the first entry point, else the package's ``__init__.py``."""
    module = _entry_point_module(root)
    if module is not None:
        parts = module.split(".")
        for candidate in (
            Path("src", *parts).with_suffix(".py"),
            Path("src", *parts, "__init__.py"),
        ):
            if (root / candidate).is_file():
                return AddedFunction(candidate.as_posix())
    packages = sorted(p.parent for p in root.glob("src/*/__init__.py"))
    if packages:
        return AddedFunction((packages[0] / "__init__.py").relative_to(root).as_posix())
    return "no Python package under src/"


def _entry_point_module(root: Path) -> str | None:
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    scripts = data.get("project", {}).get("scripts", {})
    if not isinstance(scripts, dict):
        return None
    for target in scripts.values():
        if isinstance(target, str) and target.strip():
            return target.split(":")[0].strip()
    return None


def _threshold(root: Path) -> Edit | str:
    """The first alert (file, then rule order) whose expression compares with a number."""
    for file in sorted((root / MONITORING).rglob("*.y*ml")):
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        for alert, expr in _alert_exprs(data).items():
            match = _THRESHOLD.search(expr)
            if match:
                path = file.relative_to(root).as_posix()
                return ChangedThreshold(
                    path, alert, match["op"], match["number"], bump(match["number"])
                )
    return f"no alert under {MONITORING}/ compares with a number"


def _deleted_file(root: Path) -> Edit | str:
    for pattern in DELETABLE:
        found = sorted(p for p in root.glob(pattern) if p.is_file())
        if found:
            return DeletedFile(found[0].relative_to(root).as_posix())
    return "no optional file to delete (" + ", ".join(DELETABLE) + ")"


def _alert_exprs(data: Any) -> dict[str, str]:
    """Alert name -> expression of a Prometheus rule file, in file order ({} for others)."""
    found: dict[str, str] = {}
    groups = data.get("groups") if isinstance(data, dict) else None
    for group in groups if isinstance(groups, list) else []:
        rules = group.get("rules") if isinstance(group, dict) else None
        for rule in rules if isinstance(rules, list) else []:
            if isinstance(rule, dict) and isinstance(rule.get("alert"), str):
                found.setdefault(rule["alert"], str(rule.get("expr", "")))
    return found


def _alert_position(text: str, alert: str) -> int:
    match = re.search(rf"^\s*-?\s*alert:\s*[\"']?{re.escape(alert)}[\"']?\s*$", text, re.MULTILINE)
    if match is None:
        raise ValueError(f"alert {alert} not found")
    return match.end()


def bump(number: str) -> str:
    """One more unit in the last digit: ``0.05`` -> ``0.06``, ``102600`` -> ``102601``."""
    try:
        value = Decimal(number)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {number!r}") from exc
    exponent = value.as_tuple().exponent
    step = Decimal(1).scaleb(exponent if isinstance(exponent, int) else 0)
    return str(value + step)
