"""``goldenpath update``: bring a generated repository to a newer catalog version.

Copier's 3-way update does the merge (render old version, diff against the project, render
new version, replay the diff). Around it goldenpath guarantees that an update can never cost
the user their work:

- a dirty tree, a downgrade or an interrupted earlier update is refused before anything is
  touched;
- copier never runs in the user's work tree: it merges in a private clone, and the result
  reaches the tree only once the whole merge succeeded (``services/update_apply.py``), as a
  journaled move that a failure undoes and that ``--continue`` / ``--abort`` finish or undo
  after a ``kill -9`` (``services/update_journal.py``);
- the catalog's data migrations (moved and deleted files, renamed and changed answers:
  ``catalog/migrations.py``) run in the same private clone, around copier's merge;
- a dry run is the same private merge, reported instead of applied;
- nothing is committed: the tree ends up as copier leaves it (changes unstaged, new files
  untracked, conflicts unmerged) for the user to review.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Literal

from goldenpath import changelog, scratch
from goldenpath.adapters import copier_adapter, git_adapter
from goldenpath.catalog import migrations
from goldenpath.catalog.migrations import MigrationOutcome
from goldenpath.config import Settings
from goldenpath.errors import (
    EXIT_ATTENTION,
    EXIT_OK,
    GoldenpathError,
    RepositoryError,
    as_goldenpath_error,
)
from goldenpath.results import Result
from goldenpath.services import catalogs, update_answers, update_apply, update_journal
from goldenpath.services import project as project_service
from goldenpath.services.answers import Asker
from goldenpath.services.update_answers import AnswerChange
from goldenpath.versions import Version

Conflict = Literal["inline", "rej"]
_UNMERGED = {"UU", "AA", "DU", "UD", "AU", "UA", "DD"}
_MARKER = "<<<<<<< before updating"


@dataclass
class UpdateResult(Result):
    """What an update did (or, for a dry run, would do) to one repository."""

    path: Path
    dry_run: bool = False
    template: str | None = None
    from_version: str | None = None
    to_version: str | None = None
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    changelog: list[changelog.Entry] = field(default_factory=list)
    answers: list[AnswerChange] = field(default_factory=list)
    migrations: list[MigrationOutcome] = field(default_factory=list)
    diff: str = ""
    error: GoldenpathError | None = None

    @property
    def up_to_date(self) -> bool:
        """True when there was nothing to update: same version and no answer changed."""
        return self.error is None and self.from_version == self.to_version and not self.answers

    _json_rename: ClassVar = {"from_version": "from", "to_version": "to"}

    def _ok_exit_code(self) -> int:
        """3 when conflicts are left for the user to resolve."""
        return EXIT_ATTENTION if self.conflicts else EXIT_OK

    def _json_extra(self) -> dict[str, Any]:
        return {
            "up_to_date": self.up_to_date,
            "changelog": [{"version": e.version, "notes": e.body} for e in self.changelog],
            "diff": self.diff if self.dry_run else None,
        }


def _classify(result: UpdateResult, repo: Path) -> None:
    for entry in git_adapter.status(repo):
        code, path = entry.code, entry.path
        if code in _UNMERGED:
            result.conflicts.append(path)
        elif path.endswith(".rej"):
            result.conflicts.append(path.removesuffix(".rej"))
        elif "D" in code:
            result.removed.append(path)
        elif code in {"??", "A ", "AM"}:
            result.added.append(path)
        else:
            result.changed.append(path)
            if _has_markers(repo / path):
                result.conflicts.append(path)
    result.conflicts = sorted(set(result.conflicts))


def _has_markers(file: Path) -> bool:
    try:
        return _MARKER in file.read_text(encoding="utf-8", errors="ignore")
    except OSError:
        return False


def _refuse_downgrade(current: Version, target: Version) -> None:
    if target < current:
        raise RepositoryError(
            f"refusing to downgrade from {current} to {target}",
            hint="updates only move forward; restore an older commit with git instead",
        )


def update(
    path: Path,
    to: str | None = None,
    dry_run: bool = False,
    conflict: Conflict = "inline",
    trust: bool = False,
    settings: Settings | None = None,
    answers: AnswersRequest | None = None,
) -> UpdateResult:
    """Update one repository; errors (of any type, Ctrl-C included) are returned, never raised.

    ``answers`` changes recorded answers in the same merge (with or without a new version).
    """
    settings = settings or Settings()
    result = UpdateResult(path=path.resolve(), dry_run=dry_run)
    scratch.sweep()  # what a killed earlier run could not remove
    try:
        _update(result, to, conflict, trust or False, settings, answers or AnswersRequest())
    except BaseException as exc:  # the result carries every failure
        result.error = as_goldenpath_error(exc)
    return result


def abort(path: Path) -> UpdateResult:
    """``--abort``: put an interrupted update's repository back to HEAD."""
    return _from_journal(path, update_apply.abort, classify=False)


def resume(path: Path) -> UpdateResult:
    """``--continue``: finish an interrupted update and report it like a normal one."""
    return _from_journal(path, update_apply.resume, classify=True)


def _from_journal(
    path: Path, step: Callable[[Path], update_journal.Journal], classify: bool
) -> UpdateResult:
    result = UpdateResult(path=path.resolve())
    try:
        journal = step(result.path)
        result.template = journal.template
        result.from_version, result.to_version = journal.from_version, journal.to_version
        if classify:  # an aborted update applied nothing, its migrations included
            result.migrations = [MigrationOutcome(**outcome) for outcome in journal.migrations]
            _classify(result, result.path)
    except BaseException as exc:  # the result carries every failure
        result.error = as_goldenpath_error(exc)
    return result


@dataclass
class AnswersRequest:
    """Answers to change: ``data`` as given, ``ask`` re-asked through ``asker``."""

    data: dict[str, Any] = field(default_factory=dict)
    ask: list[str] = field(default_factory=list)
    asker: Asker | None = None


def _update(
    result: UpdateResult,
    to: str | None,
    conflict: Conflict,
    trust: bool,
    settings: Settings,
    request: AnswersRequest,
) -> None:
    # Everything up to the private merge only reads: a refusal leaves the repository as is.
    update_journal.refuse_if_interrupted(result.path)
    project = project_service.load(result.path)
    result.template, result.from_version = project.template, str(project.version)
    if not git_adapter.is_repo_root(project.path):
        raise RepositoryError(f"{project.path} is not the root of a git repository")
    dirty = git_adapter.status(project.path)
    if dirty:
        raise RepositoryError(
            f"working tree is not clean ({len(dirty)} changed or untracked, e.g. {dirty[0].path})",
            hint="commit or stash your changes first; update never mixes them with its own",
        )
    catalog = catalogs.for_source(project.source)
    known = catalogs.versions(catalog)
    catalogs.require_known(catalog, project.version, known)
    target = catalogs.select(catalog, known, to)
    _refuse_downgrade(project.version, target)
    result.to_version = str(target)
    if target == project.version and not (request.data or request.ask):
        return
    trusted = trust or catalog.builtin or settings.is_trusted(catalog.source)
    with catalogs.open_version(catalog, target) as view:
        result.changelog = changelog.between(
            view.changelog, project.version, target, template=project.template
        )
        plan = _plan_migrations(view, project, target, request)
        if request.data or request.ask:
            result.answers = update_answers.changes(
                view.config, _migrated(project, plan), request.data, request.ask, request.asker
            )
    if target == project.version and not result.answers:
        return  # the answers given are the recorded ones: nothing to merge
    changed = {change.name: change.new for change in result.answers}
    data = {"template": project.template} if project.template else {}
    data.update(plan.data)
    data.update(changed)  # the user's answers win over the migrations'
    merge = _Merge(project.path, data, target, conflict, trusted, catalog.source)
    steps = _Migrations(plan, {**plan.answers, **changed}, str(project.answers["_commit"]))
    if result.dry_run:
        with _merged(merge, steps) as (clone, _):
            _classify(result, clone)
            _report_migrations(result, plan)
            result.diff = git_adapter.staged_diff(clone)
        return
    with update_journal.exclusive(project.path):
        head = git_adapter.rev_parse(project.path, "HEAD")
        if head is None:
            raise RepositoryError(f"{project.path} has no commit to update from")
        with _merged(merge, steps) as (clone, tmp):
            versions = (result.from_version, result.to_version)
            journal = update_apply.prepare(
                project.path, clone, head, project.template, versions, tmp
            )
        plan.settle_expected({entry.path for entry in journal.conflicts})
        journal = replace(journal, migrations=[m.to_dict() for m in plan.report()])
        update_apply.apply(project.path, journal)
    # The update is complete from here on; only the summary is left to compute.
    result.migrations = plan.report()
    try:
        _classify(result, project.path)
        _report_migrations(result, plan)
    except BaseException as exc:
        error = as_goldenpath_error(exc)
        raise GoldenpathError(
            f"the update to v{target} was applied, but listing its changes failed: {error.message}",
            hint="review it with `git status` and `git diff`",
        ) from exc


@dataclass(frozen=True)
class _Merge:
    """What copier needs to merge one repository to one catalog version."""

    repo: Path
    data: dict[str, Any]
    target: Version
    conflict: Conflict
    trusted: bool
    source: str


def _plan_migrations(
    view: catalogs.CatalogView,
    project: project_service.Project,
    target: Version,
    request: AnswersRequest,
) -> migrations.Plan:
    """The catalog migrations the update crosses, with their answers applied."""
    declared = migrations.load(view.root, project.template) if view.root else []
    selected = migrations.select(declared, project.version, target)
    return migrations.plan(selected, project.answers, given={*request.data, *request.ask})


def _migrated(project: project_service.Project, plan: migrations.Plan) -> project_service.Project:
    """The project with its answers as migrated: the answers a user changes are validated
    together with them, since the target version may no longer accept a recorded answer
    that a migration changes."""
    internal = {k: v for k, v in project.answers.items() if k.startswith("_")}
    return dataclasses.replace(project, answers={**internal, **plan.answers})


@dataclass(frozen=True)
class _Migrations:
    """The catalog migrations of one update, and what placing and applying them needs."""

    plan: migrations.Plan
    answers: dict[str, Any]  # the new render's answers: new paths are placed with them
    recorded_ref: str  # the recorded ``_commit``: the old render, as copier makes it


def _report_migrations(result: UpdateResult, plan: migrations.Plan) -> None:
    plan.settle_expected(result.conflicts)
    result.migrations = plan.report()
    # git status shows a moved file left with conflicts as a rename of its old path, and
    # the old path's deletion not at all: the summary must still name it.
    result.removed = sorted({*result.removed, *plan.removed})


@contextmanager
def _merged(merge: _Merge, steps: _Migrations) -> Iterator[tuple[Path, Path]]:
    """A private clone of the repository with copier's update and the catalog migrations
    run in it, and a scratch folder.

    Both are removed on every exit path; the user's work tree is never copier's target.
    """
    with scratch.folder() as tmp:
        clone = tmp / merge.repo.name
        git_adapter.clone_local(merge.repo, clone)
        migrations.apply_in_clone(
            steps.plan,
            clone,
            tmp,
            steps.answers,
            update=lambda: copier_adapter.update(
                clone, merge.data, merge.target.tag, merge.conflict, merge.trusted, merge.source
            ),
            render_old=lambda dst: copier_adapter.copy(
                merge.source, dst, steps.plan.recorded, steps.recorded_ref, merge.trusted
            ),
            answers_file=project_service.ANSWERS_FILE,
        )
        yield clone, tmp
