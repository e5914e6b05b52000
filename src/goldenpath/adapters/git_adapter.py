"""Git operations goldenpath needs, on top of GitPython's command wrapper.

Catalogs are git repositories or git bundles; generated projects are git repositories.
Everything here runs the real ``git`` binary offline; a failure becomes a
``GoldenpathError`` carrying git's own first line of output.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from git import Git, GitCommandError, InvalidGitRepositoryError, NoSuchPathError, Repo

from goldenpath import scratch
from goldenpath.errors import CatalogError, GoldenpathError, RepositoryError

# goldenpath's identity for the commits it makes itself: the initial commit of a generated
# repository and a fleet update branch's commits when the user has none configured (fresh
# CI runners), and always the throwaway commits of private clones and snapshots. Catalog
# releases have their own fixed identity (``bundles.RELEASE_IDENTITY``).
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
    stdin: str | None = None,
) -> str:
    """Run ``git args`` and return stdout; git failures become ``error``."""
    out: str = _execute(args, cwd, env, error, stdin, as_text=True)
    return out


def _execute(
    args: list[str],
    cwd: Path | None,
    env: Mapping[str, str] | None,
    error: type[GoldenpathError],
    stdin: str | None,
    as_text: bool,
) -> Any:
    full_env = {**os.environ, **(env or {})}
    with tempfile.TemporaryFile() as istream:
        if stdin is not None:
            istream.write(stdin.encode("utf-8"))
            istream.seek(0)
        try:
            return Git(str(cwd) if cwd else None).execute(
                ["git", *args],
                env=full_env,
                strip_newline_in_stdout=False,
                stdout_as_string=as_text,
                istream=istream if stdin is not None else None,
            )
        except GitCommandError as exc:
            verb = next((a for a in args if not a.startswith("-") and "=" not in a), "")
            raise error(f"git {verb} failed: {_first_line(exc)}") from exc


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
    with scratch.folder() as tmp:
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


# --- generated repositories -------------------------------------------------------------


@dataclass(frozen=True)
class StatusEntry:
    """One line of ``git status --porcelain``: two-letter code and path."""

    code: str
    path: str


def status(repo: Path) -> list[StatusEntry]:
    """Working-tree status including untracked files (they count as dirty)."""
    out = run(
        # --no-optional-locks: a read-only look must not refresh (rewrite) the user's index.
        ["--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=all"],
        cwd=repo,
        error=GoldenpathError,
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
    """A private clone of a local repository that borrows its objects (nothing is copied).

    Updates merge in such a clone, so the user's work tree is never the place where copier
    runs. ``--shared`` makes it cheap; the clone lives only while goldenpath runs.
    """
    run(["-c", "advice.detachedHead=false", "clone", "-q", "--shared", str(repo), str(dst)])


def staged_diff(repo: Path) -> str:
    """Stage everything and return the full diff against HEAD (dry-run output)."""
    stage_all(repo)
    return run(["diff", "--cached", "--no-color", "--no-ext-diff"], cwd=repo)


# --- the update transaction (see services/update_apply.py) ------------------------------

# git must not run the user's hooks, sign with their key, or start housekeeping while goldenpath
# moves an update between repositories: none of that is the user's intent, and any of it could
# wait for input or fail half-way.
_QUIET_CONFIG = [
    "-c",
    f"core.hooksPath={os.devnull}",
    "-c",
    "commit.gpgSign=false",
    "-c",
    "gc.auto=0",
    "-c",
    "maintenance.auto=false",
]


@dataclass(frozen=True)
class IndexEntry:
    """One unmerged index entry (``git ls-files -u``): how a conflict is recorded."""

    mode: str
    sha: str
    stage: int
    path: str


def git_dir(repo: Path) -> Path | None:
    """The repository's git directory (``.git`` or a worktree's), None outside git."""
    if not repo.is_dir():
        return None
    try:
        return Path(run(["rev-parse", "--absolute-git-dir"], cwd=repo).strip())
    except GoldenpathError:
        return None


def rev_parse(repo: Path, rev: str) -> str | None:
    """The commit id ``rev`` names, None when it names no commit."""
    try:
        return run(["rev-parse", "-q", "--verify", f"{rev}^{{commit}}"], cwd=repo).strip()
    except GoldenpathError:
        return None


def stage_all(repo: Path) -> None:
    """``git add -A``, plus the ``.rej`` files copier left even where .gitignore hides them.

    Other ignored files stay out: they are not the project's content, and an update must not
    overwrite a user's ignored file (a local ``.env``, say).
    """
    run(["add", "-A"], cwd=repo)
    ignored = run(
        ["ls-files", "-z", "--others", "--ignored", "--exclude-standard"], cwd=repo
    ).split("\0")
    rejects = [path for path in ignored if path.endswith(".rej")]
    if rejects:
        run(["add", "-f", "--", *rejects], cwd=repo)


def unmerged(repo: Path) -> list[IndexEntry]:
    """The unmerged index entries (conflicts copier recorded as stages 1, 2 and 3)."""
    entries: list[IndexEntry] = []
    for item in run(["ls-files", "-u", "-z"], cwd=repo).split("\0"):
        if not item:
            continue
        info, _, path = item.partition("\t")
        mode, sha, stage = info.split()
        entries.append(IndexEntry(mode, sha, int(stage), path))
    return entries


def commit_all(repo: Path, message: str) -> str:
    """Commit the whole work tree of a private clone with the fixed identity; its id."""
    stage_all(repo)
    env = {**FALLBACK_IDENTITY, **_ISOLATED}
    run([*_QUIET_CONFIG, "commit", "-q", "--no-verify", "--allow-empty", "-m", message], repo, env)
    return run(["rev-parse", "HEAD"], cwd=repo).strip()


def copy_blobs(src: Path, dst: Path, shas: list[str], tmp: Path) -> None:
    """Write the blobs ``shas`` of repository ``src`` into repository ``dst``, byte for byte.

    The blobs of conflict stages are in no commit, so a fetch would not bring them.
    """
    for sha in sorted(set(shas)):
        data: bytes = _execute(["cat-file", "blob", sha], src, None, GoldenpathError, None, False)
        blob = tmp / f"blob-{sha}"
        blob.write_bytes(data)
        written = run(["hash-object", "-w", "--no-filters", str(blob)], cwd=dst).strip()
        blob.unlink()
        if written != sha:
            raise GoldenpathError(f"copying object {sha} gave {written}")


def fetch_commit(repo: Path, src: Path, ref: str) -> str:
    """Bring ``src``'s HEAD commit into ``repo`` under the private ``ref``; its id."""
    run(
        [
            *_QUIET_CONFIG,
            "fetch",
            "-q",
            "--no-tags",
            "--no-write-fetch-head",
            str(src),
            f"+HEAD:{ref}",
        ],
        cwd=repo,
    )
    return run(["rev-parse", ref], cwd=repo).strip()


def delete_ref(repo: Path, ref: str) -> None:
    """Remove ``ref`` if it exists."""
    if rev_parse(repo, ref) is not None:
        run(["update-ref", "-d", ref], cwd=repo)


def added_paths(repo: Path, old: str, new: str) -> list[str]:
    """Paths that exist in commit ``new`` but not in ``old``."""
    out = run(["diff-tree", "-r", "-z", "--name-only", "--diff-filter=A", old, new], cwd=repo)
    return [path for path in out.split("\0") if path]


def checkout_tree(repo: Path, old: str, new: str) -> None:
    """Move index and work tree from commit ``old`` to ``new`` (a two-way merge).

    git checks every path before it writes one: a work-tree change in the way, or an
    untracked file a new path would overwrite, fails without touching anything.
    """
    # read-tree trusts the index's file stat data; a stale one (a copied repository, a touched
    # file) would make it refuse files whose content is unchanged.
    run(["update-index", "-q", "--refresh"], cwd=repo)
    run(["read-tree", "-m", "-u", old, new], cwd=repo)


def force_tree(repo: Path, commit: str) -> None:
    """Make index and work tree match ``commit`` for its paths, whatever state they are in."""
    run(["read-tree", "--reset", "-u", commit], cwd=repo)


def reset_index(repo: Path) -> None:
    """Index back to HEAD, work tree untouched: changes unstaged, new files untracked."""
    run(["reset", "-q"], cwd=repo)


def set_unmerged(repo: Path, entries: list[IndexEntry]) -> None:
    """Record ``entries`` as conflict stages in the index, as copier does after a merge."""
    if not entries:
        return
    lines: list[str] = []
    for path in sorted({entry.path for entry in entries}):
        lines.append(f"0 {'0' * 40}\t{path}")
    lines.extend(f"{e.mode} {e.sha} {e.stage}\t{e.path}" for e in entries)
    run(["update-index", "--index-info"], cwd=repo, stdin="\n".join(lines) + "\n")


def reset_hard(repo: Path, commit: str) -> None:
    """Index and tracked files exactly as in ``commit`` (HEAD does not move when it is HEAD)."""
    run(["reset", "-q", "--hard", commit], cwd=repo)


def work_tree_files(path: Path) -> list[str] | None:
    """Files under ``path`` git would commit (tracked + untracked, not ignored), relative
    to ``path``; None when ``path`` is not inside a git work tree.

    One ``git ls-files`` per repository instead of a walk: it honours .gitignore, so a
    project's virtualenv or node_modules never slows a readiness run down.
    """
    try:
        out = run(
            ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=path,
        )
    except GoldenpathError:
        return None
    return sorted({name for name in out.split("\0") if name})


# --- fleet: reading many repositories, and the clone cache of URL repositories ----------

# git must fail at once instead of asking for a user name or password on a terminal: a fleet
# run walks hundreds of repositories unattended.
_NO_PROMPT = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "SSH_ASKPASS": "true"}


def find_files(path: Path, pathspecs: tuple[str, ...]) -> list[str] | None:
    """Files matching ``pathspecs`` that git would commit under ``path``, relative to it;
    None when ``path`` is not inside a git work tree.

    The pathspec keeps git from listing (and the fleet from reading) every file of a big
    repository when only the answers files matter.
    """
    try:
        out = run(
            ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *pathspecs],
            cwd=path,
        )
    except GoldenpathError:
        return None
    return sorted({name for name in out.split("\0") if name})


def refs(repo: Path, prefixes: tuple[str, ...]) -> dict[str, str]:
    """Full ref name -> commit id for the refs under ``prefixes`` (one ``for-each-ref``)."""
    out = run(
        ["for-each-ref", "--format=%(refname)%00%(objectname)", *prefixes],
        cwd=repo,
        error=RepositoryError,
    )
    found: dict[str, str] = {}
    for line in out.splitlines():
        name, _, sha = line.partition("\0")
        if name and sha:
            found[name] = sha
    return found


def is_ancestor(repo: Path, ancestor: str, descendant: str) -> bool:
    """True when commit ``ancestor`` is reachable from ``descendant`` (e.g. merged)."""
    try:
        run(["merge-base", "--is-ancestor", ancestor, descendant], cwd=repo)
    except GoldenpathError:
        return False
    return True


def symbolic_ref(repo: Path, name: str) -> str | None:
    """The ref a symbolic ref points to (``HEAD`` -> ``refs/heads/main``), None if none."""
    try:
        return run(["symbolic-ref", "-q", name], cwd=repo).strip() or None
    except GoldenpathError:
        return None


def clone(url: str, dst: Path) -> None:
    """A full clone of ``url`` (remote branches included: update branches live there)."""
    run(
        [*_QUIET_CONFIG, "-c", "advice.detachedHead=false", "clone", "-q", url, str(dst)],
        env=_NO_PROMPT,
        error=RepositoryError,
    )


def fetch(repo: Path) -> None:
    """Refresh every branch of ``origin``; branches deleted there disappear here too."""
    run(
        [*_QUIET_CONFIG, "fetch", "-q", "--prune", "origin"],
        cwd=repo,
        env=_NO_PROMPT,
        error=RepositoryError,
    )


def reset_to(repo: Path, branch: str, start: str) -> None:
    """Check out ``branch`` at ``start`` and make the work tree exactly that commit
    (untracked and ignored files removed): only for clones goldenpath owns."""
    run(
        [*_QUIET_CONFIG, "checkout", "-q", "-f", "-B", branch, start],
        cwd=repo,
        error=RepositoryError,
    )
    run(["clean", "-q", "-ffdx"], cwd=repo, error=RepositoryError)
