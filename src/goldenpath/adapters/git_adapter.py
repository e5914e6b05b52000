"""Git operations goldenpath needs, on top of GitPython's command wrapper.

Catalogs are git repositories or git bundles; generated projects are git repositories.
Everything here runs the real ``git`` binary offline; a failure becomes a
``GoldenpathError`` carrying git's own first line of output.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from git import Git, GitCommandError, InvalidGitRepositoryError, NoSuchPathError, Repo

from goldenpath.errors import CatalogError, GoldenpathError

# A fixed identity for commits goldenpath makes itself when the user has none configured
# (fresh CI runners): the initial commit of a generated repo, and catalog releases.
FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "goldenpath",
    "GIT_AUTHOR_EMAIL": "goldenpath@localhost",
    "GIT_COMMITTER_NAME": "goldenpath",
    "GIT_COMMITTER_EMAIL": "goldenpath@localhost",
}
# Keeps git from reading the user's global/system config where determinism matters.
_ISOLATED = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def _first_line(exc: GitCommandError) -> str:
    text = str(exc.stderr or exc.stdout or exc).strip()
    for line in text.splitlines():
        cleaned = line.strip().strip("'").removeprefix("stderr: ").strip("'").strip()
        if cleaned:
            return cleaned
    return text


def run(
    args: list[str],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    error: type[GoldenpathError] = GoldenpathError,
) -> str:
    """Run ``git args`` and return stdout; git failures become ``error``."""
    full_env = {**os.environ, **(env or {})}
    try:
        out: str = Git(str(cwd) if cwd else None).execute(
            ["git", *args], env=full_env, strip_newline_in_stdout=False
        )
    except GitCommandError as exc:
        verb = next((a for a in args if not a.startswith("-") and "=" not in a), "")
        raise error(f"git {verb} failed: {_first_line(exc)}") from exc
    return out


def expand(source: str) -> str:
    """The local form of a catalog source: ``~`` expanded, URLs unchanged."""
    return os.path.expanduser(source) if source.startswith("~") else source


def is_repo_root(path: Path) -> bool:
    """True when ``path`` is the top of a git work tree."""
    try:
        repo = Repo(path)
    except (InvalidGitRepositoryError, NoSuchPathError):
        return False
    return repo.working_tree_dir is not None and Path(repo.working_tree_dir) == path.resolve()


def version_tags(source: str) -> dict[str, str]:
    """Tag name -> commit id of a catalog (repo path, bundle file or URL), without a clone."""
    out = run(["ls-remote", "--tags", expand(source)], error=CatalogError)
    tags: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        name = ref.removeprefix("refs/tags/")
        if name.endswith("^{}"):  # peeled annotated tag: the commit it points at wins
            tags[name[:-3]] = sha
        else:
            tags.setdefault(name, sha)
    return tags


@contextmanager
def checkout(source: str, tag: str | None) -> Iterator[Path]:
    """A temporary local copy of a catalog at ``tag`` (or the folder itself if unversioned)."""
    local = Path(expand(source))
    if tag is None:
        yield local
        return
    tmp = Path(tempfile.mkdtemp(prefix="goldenpath-catalog-"))
    try:
        run(
            [
                "-c",
                "advice.detachedHead=false",
                "clone",
                "-q",
                "--branch",
                tag,
                expand(source),
                str(tmp / "c"),
            ],
            error=CatalogError,
        )
        yield tmp / "c"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- generated repositories -------------------------------------------------------------


@dataclass(frozen=True)
class StatusEntry:
    """One line of ``git status --porcelain``: two-letter code and path."""

    code: str
    path: str


def status(repo: Path) -> list[StatusEntry]:
    """Working-tree status including untracked files (they count as dirty)."""
    out = run(
        ["status", "--porcelain=v1", "-z", "--untracked-files=all"], cwd=repo, error=GoldenpathError
    )
    entries: list[StatusEntry] = []
    parts = out.split("\0")
    i = 0
    while i < len(parts):
        item = parts[i]
        i += 1
        if len(item) < 4:  # noqa: PLR2004 - "XY path" is at least 4 characters
            continue
        code, path = item[:2], item[3:]
        if code[0] in "RC":  # renames carry the old path as the next field
            i += 1
        entries.append(StatusEntry(code, path))
    return entries


def has_identity(repo: Path) -> bool:
    """True when git knows who commits here (user.name and user.email)."""
    try:
        run(["config", "user.name"], cwd=repo)
        run(["config", "user.email"], cwd=repo)
    except GoldenpathError:
        return False
    return True


def init_and_commit(repo: Path, message: str) -> str:
    """``git init`` a rendered project and make its first commit; returns the commit id."""
    run(["init", "-q", "-b", "main"], cwd=repo)
    run(["add", "-A"], cwd=repo)
    env = {} if has_identity(repo) else FALLBACK_IDENTITY
    run(["commit", "-q", "--no-verify", "-m", message], cwd=repo, env=env)
    return run(["rev-parse", "HEAD"], cwd=repo).strip()


def clone_local(repo: Path, dst: Path) -> None:
    """A private clone of a local repository (used for dry runs)."""
    run(["clone", "-q", "--no-hardlinks", str(repo), str(dst)])


def staged_diff(repo: Path) -> str:
    """Stage everything and return the full diff against HEAD (dry-run output)."""
    run(["add", "-A"], cwd=repo)
    return run(["diff", "--cached", "--no-color", "--no-ext-diff"], cwd=repo)


def restore_head(repo: Path) -> None:
    """Put a work tree that was clean before back to HEAD after a failed update."""
    run(["reset", "-q", "--hard", "HEAD"], cwd=repo)
    run(["clean", "-q", "-fd"], cwd=repo)


def read_head_file(repo: Path, path: str) -> str | None:
    """Content of ``path`` at HEAD, or None when it does not exist there."""
    try:
        return run(["show", f"HEAD:{path}"], cwd=repo)
    except GoldenpathError:
        return None
