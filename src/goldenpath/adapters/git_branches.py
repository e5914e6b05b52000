"""Git for fleet updates: working clones, update branches, commits and pushes.

A fleet update never works in a user's clone: each repository gets a working clone of its
upstream in goldenpath's cache, the update branch is made there from the default branch
head, and only that branch is ever pushed, with an explicit ``refs/heads/<branch>`` refspec
and a lease on what goldenpath last saw (someone else's push in between is refused, never
overwritten). The default branch is only read.

Commits goldenpath makes carry a ``Goldenpath-Update:`` trailer: that is how a later run
tells its own branches (safe to replace or delete) from branches people have pushed to.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from goldenpath.adapters import git_adapter
from goldenpath.errors import GoldenpathError, RepositoryError

TRAILER = "Goldenpath-Update"

# As for goldenpath's own transaction: no user hooks, signing prompts or housekeeping in a
# clone only goldenpath works in; git fails at once instead of asking for credentials.
_QUIET = [
    "-c",
    f"core.hooksPath={os.devnull}",
    "-c",
    "commit.gpgSign=false",
    "-c",
    "gc.auto=0",
    "-c",
    "maintenance.auto=false",
]
_NO_PROMPT = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "SSH_ASKPASS": "true"}


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return git_adapter.run([*_QUIET, *args], cwd=repo, env=env, error=RepositoryError)


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold ``<folder>.lock``: one goldenpath process at a time works in a working clone."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with folder.with_name(folder.name + ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remote_url(repo: Path, name: str = "origin") -> str | None:
    """The fetch URL of remote ``name`` of a local repository, None when it has none."""
    try:
        url = git_adapter.run(["remote", "get-url", name], cwd=repo).strip()
    except GoldenpathError:
        return None
    return url or None


def refresh_clone(upstream: str, dest: Path) -> None:
    """Make ``dest`` a clone of ``upstream`` with every branch of it current.

    Cloned once (into a folder renamed into place, so an interrupted clone is never
    trusted), fetched with ``--prune`` afterwards. The caller holds :func:`locked`.
    """
    if (dest / ".git").is_dir() and remote_url(dest) == upstream:
        _git(dest, "fetch", "-q", "--prune", "origin", env=_NO_PROMPT)
        # The default branch may have been renamed since the clone. An empty upstream has no
        # HEAD to follow; the caller reports that.
        with contextlib.suppress(RepositoryError):
            _git(dest, "remote", "set-head", "origin", "--auto", env=_NO_PROMPT)
        return
    partial = dest.with_name(dest.name + f".partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        git_adapter.run(
            [*_QUIET, "clone", "-q", "--no-checkout", upstream, str(partial)],
            env=_NO_PROMPT,
            error=RepositoryError,
        )
        shutil.rmtree(dest, ignore_errors=True)
        partial.rename(dest)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def default_branch(repo: Path) -> str | None:
    """The upstream's default branch (``origin/HEAD``); None for an empty repository."""
    target = git_adapter.symbolic_ref(repo, "refs/remotes/origin/HEAD")
    if target:
        return target.removeprefix("refs/remotes/origin/")
    for guess in ("main", "master"):
        if git_adapter.rev_parse(repo, f"refs/remotes/origin/{guess}"):
            return guess
    return None


def remote_branches(repo: Path, prefix: str) -> dict[str, str]:
    """Branch name -> commit of the upstream's branches starting with ``prefix``."""
    # for-each-ref matches whole path components (or globs): ask for the folder, then filter
    folder = prefix.rpartition("/")[0]
    found = git_adapter.refs(
        repo, (f"refs/remotes/origin/{folder}/" if folder else "refs/remotes/origin/",)
    )
    branches = {name.removeprefix("refs/remotes/origin/"): sha for name, sha in found.items()}
    return {name: sha for name, sha in branches.items() if name.startswith(prefix)}


def start_branch(repo: Path, branch: str, start: str) -> None:
    """Check out ``branch`` at ``start`` with a clean work tree (untracked files removed)."""
    git_adapter.reset_to(repo, branch, start)


def commit(repo: Path, message: str) -> str:
    """Stage everything (``.rej`` files included) and commit; the new commit's id.

    The user's identity when git knows one (a CI bot's, say), goldenpath's otherwise.
    """
    git_adapter.stage_all(repo)
    env = (
        {}
        if git_adapter.has_identity(repo)
        else {
            key: value
            for key, value in git_adapter.FALLBACK_IDENTITY.items()
            if not os.environ.get(key)
        }
    )
    _git(repo, "commit", "-q", "--no-verify", "-m", message, env=env)
    return _git(repo, "rev-parse", "HEAD").strip()


def staged_changes(repo: Path) -> tuple[list[str], list[str]]:
    """Stage everything and list (written, deleted) paths against HEAD."""
    git_adapter.stage_all(repo)
    written = _git(repo, "diff", "--cached", "--no-renames", "--name-only", "-z", "--diff-filter=d")
    deleted = _git(repo, "diff", "--cached", "--no-renames", "--name-only", "-z", "--diff-filter=D")
    return _paths(written), _paths(deleted)


def _paths(out: str) -> list[str]:
    return [path for path in out.split("\0") if path]


def foreign_commits(repo: Path, base: str, tip: str) -> list[str]:
    """Commits in ``base..tip`` that goldenpath did not make (no ``Goldenpath-Update:`` trailer)."""
    out = _git(repo, "log", "--format=%H%x00%B%x1e", f"{base}..{tip}")
    foreign: list[str] = []
    for record in out.split("\x1e"):
        sha, _, body = record.strip("\n").partition("\0")
        if sha and f"\n{TRAILER}: " not in f"\n{body}":
            foreign.append(sha)
    return foreign


def tree(repo: Path, rev: str) -> str | None:
    """The tree id of commit ``rev``."""
    try:
        return git_adapter.run(["rev-parse", "-q", "--verify", f"{rev}^{{tree}}"], cwd=repo).strip()
    except GoldenpathError:
        return None


def parent(repo: Path, rev: str, count: int) -> str | None:
    """The commit ``count`` first-parents below ``rev``."""
    return git_adapter.rev_parse(repo, f"{rev}~{count}")


def push(repo: Path, branch: str, expected: str | None) -> None:
    """Push ``branch`` to the same name upstream, only if the upstream still has ``expected``
    there (None: only if the branch does not exist upstream)."""
    lease = f"--force-with-lease=refs/heads/{branch}:{expected or ''}"
    _git(
        repo,
        "push",
        "-q",
        "--no-verify",
        lease,
        "origin",
        f"refs/heads/{branch}:refs/heads/{branch}",
        env=_NO_PROMPT,
    )


def delete_remote_branch(repo: Path, branch: str, expected: str) -> None:
    """Delete ``branch`` upstream if it still points at ``expected``."""
    lease = f"--force-with-lease=refs/heads/{branch}:{expected}"
    _git(
        repo, "push", "-q", "--no-verify", lease, "origin", f":refs/heads/{branch}", env=_NO_PROMPT
    )


def snapshot(folder: Path, dest: Path) -> None:
    """A one-commit repository at ``dest`` holding the files of ``folder`` (a clean subfolder).

    ``goldenpath update`` works on a repository root; a project in a monorepo's subfolder is
    updated in such a snapshot and the result copied back (see ``fleet/update.py``).
    """
    shutil.copytree(folder, dest, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    git_adapter.run(["init", "-q", "-b", "main"], cwd=dest, error=RepositoryError)
    git_adapter.commit_all(dest, "snapshot")
