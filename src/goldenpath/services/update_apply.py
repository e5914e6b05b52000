"""Move a user's work tree to a merged update, or finish / undo a move that was cut short.

The merge itself happened in a private clone (see ``services/update.py``); what reaches the
user's repository is one commit C on top of their HEAD H. The move is:

1. ``prepare``: fetch C under ``refs/goldenpath/update`` and copy the conflict-stage blobs;
   the work tree is untouched, so any failure up to here costs nothing.
2. ``apply``: write the journal, ``git read-tree -m -u H C`` (git checks every path before
   it writes one), ``git reset`` (index back to H: the changes unstaged and new files
   untracked, as copier leaves them), record the conflict stages, delete the journal.
   A failure of any kind in this step puts the tree back to H before it is reported.
3. A process killed during step 2 leaves the journal: ``resume`` (``--continue``) redoes the
   move from whatever state the tree is in, ``restore`` (``--abort``) puts back H byte for
   byte. Both refuse when HEAD moved since, because the journal no longer describes the tree.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

from goldenpath import scratch
from goldenpath.adapters import git_adapter
from goldenpath.errors import GoldenpathError, InternalError, RepositoryError, as_goldenpath_error
from goldenpath.services import update_journal
from goldenpath.services.update_journal import REF, Journal

_UNDONE = "the repository was put back to HEAD; nothing of yours was lost"


def prepare(
    repo: Path,
    clone: Path,
    head: str,
    template: str | None,
    versions: tuple[str, str],
    tmp: Path,
) -> Journal:
    """Bring the merged clone's result into ``repo`` without touching its work tree."""
    conflicts = git_adapter.unmerged(clone)
    commit = git_adapter.commit_all(clone, f"goldenpath update to v{versions[1]}")
    if git_adapter.rev_parse(clone, f"{commit}^") != head:
        raise RepositoryError(
            "HEAD moved while the update was being prepared; nothing was changed",
            hint="run goldenpath update again",
        )
    git_adapter.copy_blobs(clone, repo, [entry.sha for entry in conflicts], tmp)
    _clear_stale_ref_lock(repo)
    try:
        target = git_adapter.fetch_commit(repo, clone, REF)
        if target != commit:
            raise InternalError(RuntimeError(f"fetched {target}, expected {commit}"))
        added = git_adapter.added_paths(repo, head, target)
    except BaseException:
        _quietly(git_adapter.delete_ref, repo, REF)
        raise
    return Journal(
        pid=os.getpid(),
        head=head,
        target=target,
        template=template,
        from_version=versions[0],
        to_version=versions[1],
        added=added,
        conflicts=conflicts,
    )


def apply(repo: Path, journal: Journal) -> None:
    """Move the work tree from H to C; on any failure, restore H, then raise."""
    try:
        _preflight(repo, journal)
    except BaseException:
        _quietly(git_adapter.delete_ref, repo, journal.ref)
        raise
    try:
        update_journal.write(repo, journal)
    except update_journal.JournalExistsError:
        _quietly(git_adapter.delete_ref, repo, journal.ref)
        raise  # another update's journal: neither it nor the tree are ours to restore
    except BaseException:
        restore(repo, journal)  # the tree is untouched; this drops a journal half-written
        raise
    try:
        git_adapter.checkout_tree(repo, journal.head, journal.target)
        _complete_index(repo, journal)
    except BaseException as exc:
        error = as_goldenpath_error(exc)
        try:
            restore(repo, journal)
        except BaseException as again:
            raise update_journal.interrupted(repo, journal) from again
        error.hint = _UNDONE
        raise error from exc
    update_journal.remove(repo)  # the commit point: from here on the update is complete


def _preflight(repo: Path, journal: Journal) -> None:
    """Last checks before the journal: nothing may have changed while the merge ran."""
    if git_adapter.rev_parse(repo, "HEAD") != journal.head:
        raise RepositoryError(
            "HEAD moved while the update was being prepared; nothing was changed",
            hint="run goldenpath update again",
        )
    dirty = git_adapter.status(repo)
    if dirty:
        raise RepositoryError(
            f"the working tree changed while the update was being prepared ({dirty[0].path}); "
            "nothing was changed",
            hint="commit or stash your changes, then run goldenpath update again",
        )
    in_the_way = [path for path in journal.added if os.path.lexists(repo / path)]
    if in_the_way:
        raise RepositoryError(
            f"the update adds {in_the_way[0]}, which exists in your tree (ignored by git); "
            "nothing was changed",
            hint="move it away, then run goldenpath update again",
        )


def _complete_index(repo: Path, journal: Journal) -> None:
    """Index back to H and conflicts recorded; only deleting the journal is left after this.

    The private ref goes first: a journal without it still works (the commit stays in the
    object store), while a ref without a journal is merely overwritten by the next update.
    """
    git_adapter.reset_index(repo)
    git_adapter.set_unmerged(repo, journal.conflicts)
    _quietly(git_adapter.delete_ref, repo, journal.ref)


def restore(repo: Path, journal: Journal) -> None:
    """Put back H byte for byte: tracked files from H, the update's new files removed.

    Untracked files the update did not add are left alone, wherever they came from.
    """
    _clear_stale_index_lock(repo, journal)
    git_adapter.reset_hard(repo, journal.head)
    for relative in journal.added:
        path = repo / relative
        if path.is_symlink() or path.is_file():
            path.unlink()
            _remove_empty_parents(repo, path.parent)
    _quietly(git_adapter.delete_ref, repo, journal.ref)
    update_journal.remove(repo)


def abort(repo: Path) -> Journal:
    """``goldenpath update --abort``: undo an interrupted update; returns its journal."""
    with update_journal.exclusive(repo):
        journal = _interrupted_journal(repo, "abort")
        restore(repo, journal)
    return journal


def resume(repo: Path) -> Journal:
    """``goldenpath update --continue``: finish an interrupted update; returns its journal."""
    with update_journal.exclusive(repo):
        journal = _interrupted_journal(repo, "continue")
        if git_adapter.rev_parse(repo, journal.target) is None:
            raise RepositoryError(
                f"the prepared update commit {journal.target[:10]} is missing from the repository",
                hint="run `goldenpath update --abort`, then update again",
            )
        _clear_stale_index_lock(repo, journal)
        journal = dataclasses.replace(journal, pid=os.getpid())
        update_journal.write(repo, journal, replace=True)
        git_adapter.force_tree(repo, journal.target)
        _complete_index(repo, journal)
        update_journal.remove(repo)
    return journal


def _interrupted_journal(repo: Path, verb: str) -> Journal:
    journal = update_journal.read(repo)
    if journal is None:
        raise RepositoryError(
            f"there is no interrupted update to {verb} in {repo}",
            hint="`goldenpath update --abort` and `--continue` only follow an interrupted update",
        )
    head = git_adapter.rev_parse(repo, "HEAD")
    if head != journal.head:
        raise RepositoryError(
            f"HEAD moved since the update to v{journal.to_version} was interrupted "
            f"(was {journal.head[:10]}, now {(head or 'none')[:10]})",
            hint=f"`git checkout {journal.head[:10]}` first, or inspect `git status` and delete "
            f"{update_journal.shown(repo, update_journal.location(repo) or repo)} by hand",
        )
    return journal


def _clear_stale_index_lock(repo: Path, journal: Journal) -> None:
    """Remove the ``index.lock`` a killed git left behind, never one a live process holds."""
    base = git_adapter.git_dir(repo)
    lock = base / "index.lock" if base is not None else None
    if lock is None or not lock.exists():
        return
    if journal.pid != os.getpid() and scratch.pid_alive(journal.pid):
        raise RepositoryError(
            f"git's index is locked ({update_journal.shown(repo, lock)}) and the update's "
            f"process {journal.pid} is still running",
            hint="wait for it to finish",
        )
    lock.unlink(missing_ok=True)


def _clear_stale_ref_lock(repo: Path) -> None:
    """A run killed while it fetched may leave git's lock on the private ref.

    Only goldenpath writes that ref, and the caller holds goldenpath's repository lock, so a
    lock file here belongs to a dead process.
    """
    base = git_adapter.git_dir(repo)
    if base is not None:
        (base / f"{REF}.lock").unlink(missing_ok=True)


def _remove_empty_parents(repo: Path, folder: Path) -> None:
    root = repo.resolve()
    while folder.resolve() != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _quietly(action: Callable[..., object], *args: object) -> None:
    """Best-effort cleanup that must not hide the error being reported."""
    with contextlib.suppress(GoldenpathError, OSError):
        action(*args)
