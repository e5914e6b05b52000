"""``goldenpath update``: bring a generated repository to a newer catalog version.

Copier's 3-way update does the merge (render old version, diff against the project, render
new version, replay the diff). Around it goldenpath guarantees: a dirty tree or a downgrade
is refused before anything changes; a dry run works on a private clone; a failed update puts
the tree back to HEAD (it was clean, so nothing of the user's is lost); nothing is committed.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from goldenpath import changelog
from goldenpath.adapters import copier_adapter, git_adapter
from goldenpath.config import Settings
from goldenpath.errors import EXIT_ATTENTION, EXIT_OK, GoldenpathError, RepositoryError
from goldenpath.services import catalogs
from goldenpath.services import project as project_service
from goldenpath.versions import Version

Conflict = Literal["inline", "rej"]
_UNMERGED = {"UU", "AA", "DU", "UD", "AU", "UA", "DD"}
_MARKER = "<<<<<<< before updating"


@dataclass
class UpdateResult:
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
    diff: str = ""
    error: GoldenpathError | None = None

    @property
    def up_to_date(self) -> bool:
        """True when there was nothing to update."""
        return self.error is None and self.from_version == self.to_version

    @property
    def exit_code(self) -> int:
        """0 done, 3 conflicts left, the error's code on failure."""
        if self.error is not None:
            return self.error.exit_code
        return EXIT_ATTENTION if self.conflicts else EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "path": str(self.path),
            "dry_run": self.dry_run,
            "template": self.template,
            "from": self.from_version,
            "to": self.to_version,
            "up_to_date": self.up_to_date,
            "changed": self.changed,
            "added": self.added,
            "removed": self.removed,
            "conflicts": self.conflicts,
            "changelog": [{"version": str(e.version), "notes": e.body} for e in self.changelog],
            "diff": self.diff if self.dry_run else None,
            "error": self.error.message if self.error else None,
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
) -> UpdateResult:
    """Update one repository; errors are returned in the result, never raised."""
    settings = settings or Settings()
    result = UpdateResult(path=path.resolve(), dry_run=dry_run)
    try:
        _update(result, to, conflict, trust or False, settings)
    except GoldenpathError as exc:
        result.error = exc
    return result


def _update(
    result: UpdateResult, to: str | None, conflict: Conflict, trust: bool, settings: Settings
) -> None:
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
    if target == project.version:
        return
    trusted = trust or catalog.builtin or settings.is_trusted(catalog.source)
    data = {"template": project.template} if project.template else {}
    with catalogs.open_version(catalog, target) as view:
        result.changelog = changelog.between(view.changelog, project.version, target)
    if result.dry_run:
        _dry_run(result, project.path, data, target, conflict, trusted, catalog.source)
        return
    try:
        copier_adapter.update(project.path, data, target.tag, conflict, trusted, catalog.source)
    except GoldenpathError:
        git_adapter.restore_head(project.path)
        raise
    _classify(result, project.path)


def _dry_run(
    result: UpdateResult,
    repo: Path,
    data: dict[str, Any],
    target: Version,
    conflict: Conflict,
    trusted: bool,
    source: str,
) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="goldenpath-dry-run-"))
    try:
        clone = tmp / repo.name
        git_adapter.clone_local(repo, clone)
        copier_adapter.update(clone, data, target.tag, conflict, trusted, source)
        _classify(result, clone)
        result.diff = git_adapter.staged_diff(clone)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
