"""Declarative catalog migrations: ``<template>/migrations.yml``, applied by ``goldenpath update``.

Copier merges a project path by path. When a catalog version moves a file, copier sees a
deleted file and an unrelated new one: the user's edits stay behind at the old path and are
deleted with it (copier removes every file the new version no longer renders, edited or
not). An answer renamed or given a new value has no place in the merge at all. Copier's
own ``_migrations`` are commands, so they need ``--trust``; these migrations are data that
goldenpath interprets, so they need none:

- ``rename_file`` (alias ``move``): the user's file is 3-way merged to its new path (old
  render -> user's file, old render -> new render), the old path goes. A conflict keeps its
  markers and is recorded in the index as a conflict, like copier's own;
- ``delete_file``: removed only when its content is the old render's, else kept and said so;
- ``rename_answer`` / ``change_answer``: the new render gets the migrated answers (the old
  render keeps the recorded ones, which the old version understands); an answer the user
  gives with ``--data``/``--ask`` wins over a migration;
- ``expect_conflict``: a conflict the release notes announce; upgrade tests check it.

Everything happens in the update's private clone, before the result reaches the user's
tree, so the journaled apply, ``--abort``/``--continue`` and ``--dry-run`` stay as they are.
Paths may use the answers as Jinja (sandboxed, undefined names are errors); a path that is
absolute or climbs out with ``..`` is refused when the file is read, in one line.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from goldenpath.adapters import file_merge, git_adapter
from goldenpath.catalog.manifest import read_yaml
from goldenpath.errors import CatalogError
from goldenpath.results import Record
from goldenpath.versions import Version

MIGRATIONS_FILE = "migrations.yml"
RENAME_FILE = "rename_file"
DELETE_FILE = "delete_file"
RENAME_ANSWER = "rename_answer"
CHANGE_ANSWER = "change_answer"
EXPECT_CONFLICT = "expect_conflict"
KINDS = (RENAME_FILE, DELETE_FILE, RENAME_ANSWER, CHANGE_ANSWER, EXPECT_CONFLICT)
_ALIASES = {"move": RENAME_FILE}
_FILE_KINDS = (RENAME_FILE, DELETE_FILE)
# What each kind's mapping holds (delete_file is a plain path).
_FIELDS = {
    RENAME_FILE: ("from", "to"),
    RENAME_ANSWER: ("from", "to"),
    CHANGE_ANSWER: ("key", "from", "to"),
    EXPECT_CONFLICT: ("path", "reason"),
}
_ANSWER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_JINJA = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=False)


@dataclass(frozen=True)
class Migration:
    """One entry of a ``migrations.yml``: applied when an update crosses ``version``.

    Paths are as written (they may hold Jinja); ``render`` places them for a repository.
    """

    version: Version
    kind: str
    path: str = ""  # rename_file: the old path; delete_file, expect_conflict: the path
    new_path: str = ""  # rename_file: the new path
    answer: str = ""  # rename_answer: the old key; change_answer: the key
    new_answer: str = ""  # rename_answer: the new key
    old_value: Any = None  # change_answer: the value it replaces
    new_value: Any = None  # change_answer: the value it sets
    reason: str = ""  # expect_conflict: why, as the release notes say

    def describe(self, path: str | None = None, new_path: str | None = None) -> str:
        """One line for the update's summary, with the paths as placed when given."""
        path, new_path = path or self.path, new_path or self.new_path
        if self.kind == RENAME_FILE:
            return f"move {path} -> {new_path}"
        if self.kind == DELETE_FILE:
            return f"delete {path}"
        if self.kind == RENAME_ANSWER:
            return f"rename answer {self.answer} -> {self.new_answer}"
        if self.kind == CHANGE_ANSWER:
            return (
                f"change answer {self.answer}: {_text(self.old_value)} -> {_text(self.new_value)}"
            )
        return f"expected conflict in {path}: {self.reason}"

    def mentions(self) -> tuple[str, ...]:
        """What the changelog section of ``version`` must name, so that users of plain
        ``copier update`` (which ignores this file) know what to do by hand."""
        if self.kind == RENAME_FILE:
            return (self.path, self.new_path)
        if self.kind in (DELETE_FILE, EXPECT_CONFLICT):
            return (self.path,)
        if self.kind == RENAME_ANSWER:
            return (self.answer, self.new_answer)
        return (self.answer, _text(self.new_value))


@dataclass
class MigrationOutcome(Record):
    """What one migration did to one repository (or, in a dry run, would do)."""

    version: str
    kind: str
    description: str
    outcome: str


def _text(value: Any) -> str:
    """A value as written in YAML and in release notes: text as is, others as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


# --- loading ---------------------------------------------------------------------------------


def load(catalog_dir: Path, template: str) -> list[Migration]:
    """The migrations of ``template`` in a catalog folder (a version's checkout); [] if none."""
    if not template:
        return []
    path = catalog_dir / template / MIGRATIONS_FILE
    return parse(path) if path.is_file() else []


def parse(path: Path) -> list[Migration]:
    """Read and validate one ``migrations.yml``; ``CatalogError`` in one line if it is bad."""
    data = read_yaml(path)
    if data is None:
        return []
    if not isinstance(data, list):
        raise CatalogError(f"{path}: must be a list of migrations (`- version: X.Y.Z` ...)")
    return [_entry(f"{path}: migration {number}", item) for number, item in enumerate(data, 1)]


def _entry(where: str, item: Any) -> Migration:
    if not isinstance(item, dict):
        raise CatalogError(f"{where} must be a mapping with 'version' and one kind")
    known = ("version", *KINDS, *_ALIASES)
    for key in item:
        if key not in known:
            raise CatalogError(f"{where}: unknown key {key!r} (known: {', '.join(known)})")
    if "version" not in item:
        raise CatalogError(f"{where}: missing key 'version'")
    kinds = [key for key in item if key != "version"]
    if len(kinds) != 1:
        raise CatalogError(f"{where}: needs exactly one of {', '.join(KINDS)}")
    version = _version(where, item["version"])
    return _kind(f"{where} ({kinds[0]})", version, _ALIASES.get(kinds[0], kinds[0]), item[kinds[0]])


def _kind(where: str, version: Version, kind: str, body: Any) -> Migration:
    if kind == DELETE_FILE:
        return Migration(version, kind, path=_path(where, body))
    values = _fields(where, body, _FIELDS[kind])
    if kind == RENAME_FILE:
        old, new = _path(f"{where} from", values["from"]), _path(f"{where} to", values["to"])
        if old == new:
            raise CatalogError(f"{where}: 'from' and 'to' are the same path")
        return Migration(version, kind, path=old, new_path=new)
    if kind == RENAME_ANSWER:
        old, new = _key(where, values["from"]), _key(where, values["to"])
        if old == new:
            raise CatalogError(f"{where}: 'from' and 'to' are the same answer")
        return Migration(version, kind, answer=old, new_answer=new)
    if kind == CHANGE_ANSWER:
        if values["from"] == values["to"]:
            raise CatalogError(f"{where}: 'from' and 'to' are the same value")
        return Migration(
            version,
            kind,
            answer=_key(where, values["key"]),
            old_value=values["from"],
            new_value=values["to"],
        )
    reason = values["reason"]
    if not isinstance(reason, str) or not reason.strip() or "\n" in reason.strip():
        raise CatalogError(f"{where}: 'reason' must be one line of text")
    return Migration(version, kind, path=_path(where, values["path"]), reason=reason.strip())


def _version(where: str, value: Any) -> Version:
    problem = f"{where}: 'version' must be a release X.Y.Z, not {value!r}"
    if not isinstance(value, str):  # 0.6 or 1 are YAML numbers: a typo, not a release
        raise CatalogError(problem)
    found = Version.maybe(value)
    if found is None or found.extra:
        raise CatalogError(problem)
    return found


def _fields(where: str, body: Any, names: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise CatalogError(f"{where} must be a mapping of {', '.join(names)}")
    for key in body:
        if key not in names:
            raise CatalogError(f"{where}: unknown key {key!r} (known: {', '.join(names)})")
    for key in names:
        if key not in body:
            raise CatalogError(f"{where}: missing key {key!r}")
    return dict(body)


def _key(where: str, value: Any) -> str:
    if not isinstance(value, str) or not _ANSWER.match(value):
        raise CatalogError(f"{where}: {value!r} is not an answer name")
    return value


def _path(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or "\n" in value:
        raise CatalogError(f"{where}: a path must be one line of text, not {value!r}")
    _check_path(where, value)
    try:
        _JINJA.parse(value)
    except TemplateError as exc:
        raise CatalogError(f"{where}: {value!r} is no valid Jinja: {exc.message}") from exc
    return value


def _check_path(where: str, path: str) -> None:
    """Migrations change files inside the repository only."""
    if path.startswith(("/", "\\", "~")) or re.match(r"[A-Za-z]:", path):
        raise CatalogError(f"{where}: {path!r} is absolute; paths are repository-relative")
    parts = PurePosixPath(path.replace("\\", "/")).parts
    if ".." in parts:
        raise CatalogError(f"{where}: {path!r} leaves the repository ('..')")
    if parts and parts[0] == ".git":
        raise CatalogError(f"{where}: {path!r} is inside .git")


# --- selecting and planning ------------------------------------------------------------------


def select(migrations: list[Migration], current: Version, target: Version) -> list[Migration]:
    """The migrations an update from ``current`` to ``target`` crosses, in version order
    (file order within one version)."""
    return sorted((m for m in migrations if current < m.version <= target), key=_by_version)


def _by_version(migration: Migration) -> Version:
    return migration.version


def expected_conflicts(selected: list[Migration], answers: Mapping[str, Any]) -> list[str]:
    """The paths of the ``expect_conflict`` entries among ``selected``, placed with the
    repository's (new) answers: the conflicts an upgrade test accepts."""
    where = f"{MIGRATIONS_FILE} ({EXPECT_CONFLICT})"
    return [_render(where, step.path, answers) for step in selected if step.kind == EXPECT_CONFLICT]


@dataclass
class Plan:
    """The migrations of one update, their answers, and what each of them did."""

    steps: list[Migration]
    recorded: dict[str, Any]  # the recorded answers (without copier's ``_`` keys)
    answers: dict[str, Any]  # the recorded answers with the answer migrations applied
    dropped: list[str]  # keys renamed away: the new answers file must not keep them
    outcomes: list[str]
    placed: list[tuple[str, str]] = field(default_factory=list)  # (path, new path) per step
    removed: list[str] = field(default_factory=list)  # files of HEAD the migrations removed

    @property
    def data(self) -> dict[str, Any]:
        """Answers for copier's new render: those the migrations set or changed."""
        return {
            key: value
            for key, value in self.answers.items()
            if key not in self.recorded or self.recorded[key] != value
        }

    @property
    def moves_files(self) -> bool:
        """True when a file migration applies: only then is the old render needed."""
        return any(step.kind in _FILE_KINDS for step in self.steps)

    def report(self) -> list[MigrationOutcome]:
        """One outcome per migration, in the order they were applied."""
        placed = self.placed or [(step.path, step.new_path) for step in self.steps]
        return [
            MigrationOutcome(str(step.version), step.kind, step.describe(*where), outcome)
            for step, where, outcome in zip(self.steps, placed, self.outcomes, strict=True)
        ]

    def settle_expected(self, conflicts: Collection[str]) -> None:
        """Say, for each announced conflict, whether the update did leave one there."""
        for index, step in enumerate(self.steps):
            if step.kind == EXPECT_CONFLICT and self.placed:
                found = self.placed[index][0] in conflicts
                self.outcomes[index] = "conflict, as announced" if found else "no conflict"


def plan(selected: list[Migration], recorded: Mapping[str, Any], given: Collection[str]) -> Plan:
    """Apply the answer migrations to the recorded answers; ``given`` (answers the user sets
    with ``--data`` or ``--ask``) are left to the user."""
    answers = {key: value for key, value in recorded.items() if not key.startswith("_")}
    result = Plan(selected, dict(answers), answers, [], [""] * len(selected))
    for index, step in enumerate(selected):
        if step.kind == RENAME_ANSWER:
            result.outcomes[index] = _rename_answer(result, step, given)
        elif step.kind == CHANGE_ANSWER:
            result.outcomes[index] = _change_answer(result, step, given)
    return result


def _rename_answer(plan: Plan, step: Migration, given: Collection[str]) -> str:
    if step.answer not in plan.answers:
        return f"skipped: no answer {step.answer} recorded"
    value = plan.answers.pop(step.answer)
    plan.dropped.append(step.answer)
    if step.new_answer in given:
        return f"{step.answer} dropped; {step.new_answer} as given"
    plan.answers[step.new_answer] = value
    return f"renamed, value kept ({_text(value)})"


def _change_answer(plan: Plan, step: Migration, given: Collection[str]) -> str:
    if step.answer in given:
        return "skipped: the answer is given"
    if step.answer not in plan.answers:
        return f"skipped: no answer {step.answer} recorded"
    current = plan.answers[step.answer]
    if current != step.old_value:
        return f"skipped: the answer is {_text(current)}"
    plan.answers[step.answer] = step.new_value
    return "changed"


# --- applying in the private clone -------------------------------------------------------------


@dataclass(frozen=True)
class _File:
    """A file of the user's HEAD as the clone had it before copier ran."""

    data: bytes
    mode: int


_OTHER = "other"  # a directory or a symlink where a migration names a file: left alone
_Seen = _File | str | None


def apply_in_clone(
    plan: Plan,
    clone: Path,
    tmp: Path,
    final_answers: Mapping[str, Any],
    update: Callable[[], None],
    render_old: Callable[[Path], None],
    answers_file: str,
) -> None:
    """Run copier's ``update`` in the private ``clone`` with the migrations around it.

    ``final_answers`` are the new render's answers (migrated, then the user's changes): new
    paths are placed with them, old paths with the recorded ones. ``render_old`` renders the
    recorded version with the recorded answers into an empty folder: the merge base of a
    moved file, and what a file to delete must equal. ``plan.outcomes`` says what happened.
    """
    placed = _place(plan, final_answers)
    plan.placed = [(step.old, step.new) for step in placed]
    seen = {
        path: _read(clone / path)
        for step in placed
        if step.kind in _FILE_KINDS
        for path in (step.old, step.new)
        if path
    }
    update()
    if plan.moves_files:
        # Beside the clone, which carries the repository's name: no fixed names here.
        work = Path(tempfile.mkdtemp(prefix="migrations-", dir=tmp))
        old_render = work / "old-render"
        render_old(old_render)
        files = _Files(clone, old_render, work, seen, plan.removed)
        for index, step in enumerate(placed):
            if step.chained:
                plan.outcomes[index] = f"continued by the migration of {step.chained}"
            elif step.kind == RENAME_FILE:
                plan.outcomes[index] = files.move(step.old, step.new)
            elif step.kind == DELETE_FILE:
                plan.outcomes[index] = files.delete(step.old, step.migration.version)
    if plan.dropped:
        _drop_answers(clone / answers_file, plan.dropped)


@dataclass
class _Placed:
    """A step with its paths placed for this repository; ``old`` follows earlier moves
    back to the path the repository has (a file moved twice is merged once)."""

    migration: Migration
    old: str = ""
    new: str = ""
    chained: str = ""  # a later migration does this one's work

    @property
    def kind(self) -> str:
        return self.migration.kind


def _place(plan: Plan, final_answers: Mapping[str, Any]) -> list[_Placed]:
    placed: list[_Placed] = []
    moved_to: dict[str, int] = {}  # new path of an earlier move -> its step
    for step in plan.steps:
        where = f"{MIGRATIONS_FILE} ({step.version} {step.kind})"
        item = _Placed(step)
        if step.kind == RENAME_FILE:
            item.old = _render(where, step.path, plan.recorded)
            item.new = _render(where, step.new_path, final_answers)
        elif step.kind == DELETE_FILE:
            item.old = _render(where, step.path, plan.recorded)
        elif step.kind == EXPECT_CONFLICT:
            item.old = _render(where, step.path, final_answers)
        if step.kind in _FILE_KINDS and item.old in moved_to:
            earlier = placed[moved_to.pop(item.old)]
            earlier.chained = str(step.version)
            item.old = earlier.old
        if step.kind == RENAME_FILE:
            moved_to[item.new] = len(placed)
        placed.append(item)
    return placed


def _render(where: str, path: str, answers: Mapping[str, Any]) -> str:
    try:
        rendered = _JINJA.from_string(path).render(dict(answers)).strip()
    except TemplateError as exc:
        raise CatalogError(f"{where}: cannot place {path!r}: {exc.message}") from exc
    if not rendered:
        raise CatalogError(f"{where}: {path!r} renders to an empty path")
    _check_path(where, rendered)
    return str(PurePosixPath(rendered))


def _read(path: Path) -> _Seen:
    if path.is_symlink() or (path.exists() and not path.is_file()):
        return _OTHER
    if not path.exists():
        return None
    return _File(path.read_bytes(), path.stat().st_mode & 0o777)


class _Files:
    """File migrations on the clone after copier's merge, with the old render as the base."""

    def __init__(
        self,
        clone: Path,
        old_render: Path,
        work: Path,
        seen: dict[str, _Seen],
        removed: list[str],
    ) -> None:
        self.clone, self.old_render, self.work, self.seen = clone, old_render, work, seen
        self.removed = removed

    def base(self, path: str) -> bytes | None:
        """``path`` as the recorded version rendered it, None when it did not."""
        file = self.old_render / path
        return file.read_bytes() if file.is_file() and not file.is_symlink() else None

    def move(self, old: str, new: str) -> str:
        """Move the user's ``old`` to ``new``, 3-way merged with the new render of ``new``."""
        mine, at_new = self.seen.get(old), self.seen.get(new)
        if _OTHER in (mine, at_new):
            return "skipped: not a regular file"
        base = self.base(old)
        if not isinstance(mine, _File):
            return self.not_there(old, new, base, at_new)
        self.remove(f"{old}.rej")  # copier's rejected patch of the old path: handled here
        if at_new is not None:  # never overwrite what the user has at the new path
            self.restore(old, mine)
            self.record_conflict(old, base, mine.data, None)
            return f"CONFLICT: {new} exists already; {old} kept, move your changes by hand"
        if not (self.clone / new).is_file():
            if mine.data == base:
                return f"skipped: the new version renders no {new}"
            self.restore(old, mine)
            return f"kept {old} (edited locally): the new version renders no {new}"
        return self.merge(old, new, mine, base)

    def not_there(self, old: str, new: str, base: bytes | None, at_new: _Seen) -> str:
        """The repository has no ``old``: deleted by the user, or never rendered for it."""
        if base is None:
            return f"skipped: this repository has no {old}"
        if at_new is None:  # deleted files stay deleted, under their new name too
            self.remove(new)
            return f"not moved: {old} was deleted locally, so {new} is not created"
        return f"not moved: {old} was deleted locally"

    def merge(self, old: str, new: str, mine: _File, base: bytes | None) -> str:
        """``new`` as copier rendered it, with the user's edits of ``old`` merged in."""
        target = self.clone / new
        self.remove(old)
        if mine.data == base:
            return "moved"
        theirs = target.read_bytes()
        merged, conflict = file_merge.merge(mine.data, base or b"", theirs, self.work)
        target.write_bytes(merged)
        if conflict:
            self.record_conflict(new, base, mine.data, theirs)
            return f"CONFLICT: moved with your edits; conflict markers in {new}"
        return "moved, local edits kept"

    def delete(self, path: str, version: Version) -> str:
        """Delete ``path`` when the user never edited it."""
        mine = self.seen.get(path)
        if mine is None:
            return "already absent"
        if not isinstance(mine, _File):
            return "skipped: not a regular file"
        base = self.base(path)
        if mine.data == base:
            self.remove(path)
            self.remove(f"{path}.rej")
            return "removed"
        if not (self.clone / path).exists():  # copier removed it: bring the user's back
            self.restore(path, mine)
            self.remove(f"{path}.rej")
        if base is None:
            return f"kept: not rendered by the version before {version}, so it may be yours"
        return "kept: edited locally"

    def restore(self, path: str, file: _File) -> None:
        target = self.clone / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.data)
        os.chmod(target, file.mode)

    def remove(self, path: str) -> None:
        target = self.clone / path
        if target.is_file() or target.is_symlink():
            target.unlink()
        if isinstance(self.seen.get(path), _File):  # copier may have removed it already
            self.removed.append(path)
        folder, root = target.parent, self.clone.resolve()
        while folder.resolve() != root and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent

    def record_conflict(
        self, path: str, base: bytes | None, mine: bytes, theirs: bytes | None
    ) -> None:
        """Conflict stages in the clone's index, as copier records its own: the update
        carries them to the user's index, where ``git status`` shows the conflict."""
        target = self.clone / path
        executable = target.is_file() and os.access(target, os.X_OK)
        mode = "100755" if executable else "100644"
        stages = [(1, base), (2, mine), (3, theirs)]
        entries = [
            git_adapter.IndexEntry(
                mode, file_merge.write_blob(self.clone, blob, self.work), n, path
            )
            for n, blob in stages
            if blob is not None
        ]
        git_adapter.set_unmerged(self.clone, entries)


def _drop_answers(answers_file: Path, dropped: list[str]) -> None:
    """Take renamed-away keys out of the answers file copier wrote.

    Copier keeps an answer as long as the new version still asks its question; a renamed
    answer must not live on under its old name. Lines are removed where that gives the same
    data; otherwise the file is written again from the data.
    """
    if not answers_file.is_file():
        return
    text = answers_file.read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict) or not any(key in data for key in dropped):
        return
    wanted = {key: value for key, value in data.items() if key not in dropped}
    kept: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        if skipping and (line[:1].isspace() or line.startswith("-")):
            continue
        skipping = any(line.startswith(f"{key}:") for key in dropped)
        if not skipping:
            kept.append(line)
    new_text = "".join(kept)
    if yaml.safe_load(new_text) != wanted:
        new_text = yaml.safe_dump(wanted, sort_keys=False, allow_unicode=True)
    answers_file.write_text(new_text, encoding="utf-8")
