"""Local work trees for the fleet's repositories: the path itself, or a cached clone.

A repository listed by URL is cloned once into the cache folder (``$GOLDENPATH_CACHE``, by
default ``~/.cache/goldenpath/fleet``) and refreshed with ``git fetch --prune`` on every
later run, so a fleet of hundreds of repositories is not cloned again each time. The cached
clone belongs to goldenpath: each refresh puts its work tree back to the remote's default
branch head (files left there by an earlier run are removed); the user's own clones, given
by path, are only ever read.

A clone is made in a temporary folder beside its final place and renamed into place when
complete, so an interrupted clone never leaves a half-cloned repository that later runs
would trust. A lock file per repository keeps two goldenpath processes (or two jobs of one
run) from refreshing the same clone at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from goldenpath.adapters import git_adapter
from goldenpath.errors import RepositoryError
from goldenpath.fleet.inventory import RepoEntry

CACHE_ENV = "GOLDENPATH_CACHE"


def cache_root() -> Path:
    """The folder holding cached clones (``$GOLDENPATH_CACHE`` or ``~/.cache/goldenpath/fleet``)."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        return Path(os.path.expanduser(chosen))
    return Path.home() / ".cache" / "goldenpath" / "fleet"


def slot(source: str, cache: Path | None = None) -> Path:
    """Where the clone of ``source`` lives: a readable name plus a hash of the whole URL
    (two repositories called ``api`` in different groups must not share a clone)."""
    tail = [part for part in re.split(r"[/:]", source.rstrip("/")) if part][-2:]
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(tail)).strip(".-")
    readable = readable.removesuffix(".git")[:60] or "repo"
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]
    return (cache or cache_root()) / f"{readable}-{digest}"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_name(path.name + ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def default_branch(repo: Path) -> str:
    """The remote's default branch as the clone knows it (``origin/HEAD``), else ``main``."""
    target = git_adapter.symbolic_ref(repo, "refs/remotes/origin/HEAD")
    if target:
        return target.removeprefix("refs/remotes/origin/")
    return "main"


def _fresh_clone(url: str, dest: Path) -> None:
    partial = dest.with_name(dest.name + f".partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        git_adapter.clone(url, partial)
        shutil.rmtree(dest, ignore_errors=True)  # a broken leftover (no .git) is replaced
        partial.rename(dest)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def working_copy(entry: RepoEntry, cache: Path | None = None) -> Path:
    """The local work tree to read ``entry`` from: its path, or a refreshed cached clone.

    Raises ``RepositoryError`` (with git's own first line) when the path is not a folder or
    the URL cannot be cloned or fetched; fleet services turn that into data for the entry.
    """
    if entry.local is not None:
        if not entry.local.is_dir():
            raise RepositoryError(f"{entry.local} does not exist or is not a folder")
        return entry.local
    dest = slot(entry.source, cache)
    with _locked(dest):
        if (dest / ".git").is_dir():
            git_adapter.fetch(dest)
        else:
            _fresh_clone(entry.source, dest)
        branch = default_branch(dest)
        if git_adapter.rev_parse(dest, f"refs/remotes/origin/{branch}") is not None:
            git_adapter.reset_to(dest, branch, f"origin/{branch}")
        # else: an empty repository; nothing to check out, the clone is read as it is
    return dest
