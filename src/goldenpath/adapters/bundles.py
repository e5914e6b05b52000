"""Git bundles that carry a catalog's whole release history as one offline file.

Releases are built with plumbing (``write-tree``/``commit-tree``) under a fixed identity and
a date taken from the changelog, so building the same release twice gives the same commit
ids: a ``_commit`` recorded in a generated repository stays valid forever.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from goldenpath.adapters.git_adapter import _ISOLATED, run
from goldenpath.errors import CatalogError

RELEASE_IDENTITY = {
    "GIT_AUTHOR_NAME": "goldenpath catalog",
    "GIT_AUTHOR_EMAIL": "catalog@goldenpath.invalid",
    "GIT_COMMITTER_NAME": "goldenpath catalog",
    "GIT_COMMITTER_EMAIL": "catalog@goldenpath.invalid",
}
# Files that never belong in a released catalog, whatever the working tree holds.
_JUNK_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".git"}
_JUNK_SUFFIXES = (".pyc", ".pyo")


def refs(bundle: Path) -> dict[str, str]:
    """Ref name -> commit id of a bundle file (tags and branches)."""
    out = run(["bundle", "list-heads", str(bundle.resolve())], error=CatalogError)
    result: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, ref = line.partition(" ")
        result[ref.strip()] = sha
    return result


def tags(bundle: Path) -> dict[str, str]:
    """Tag name -> commit id of a bundle file."""
    return {
        ref.removeprefix("refs/tags/"): sha
        for ref, sha in refs(bundle).items()
        if ref.startswith("refs/tags/")
    }


@contextmanager
def _scratch_repo() -> Iterator[Path]:
    tmp = Path(tempfile.mkdtemp(prefix="goldenpath-bundle-"))
    try:
        run(["init", "-q", "--bare", str(tmp)], env=_ISOLATED, error=CatalogError)
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fetch_tags(repo: Path, bundle: Path) -> None:
    # Without --force git refuses to move an existing tag: two bundles that disagree on a
    # released version are an error, never silently merged.
    run(
        ["fetch", "-q", "--no-tags", str(bundle.resolve()), "refs/tags/*:refs/tags/*"],
        cwd=repo,
        env=_ISOLATED,
        error=CatalogError,
    )


def _write_bundle(repo: Path, head_sha: str, out: Path) -> None:
    run(["update-ref", "refs/heads/main", head_sha], cwd=repo, env=_ISOLATED, error=CatalogError)
    run(["symbolic-ref", "HEAD", "refs/heads/main"], cwd=repo, env=_ISOLATED, error=CatalogError)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    run(
        ["-c", "pack.threads=1", "bundle", "create", "-q", str(tmp), "--all"],
        cwd=repo,
        env=_ISOLATED,
        error=CatalogError,
    )
    os.replace(tmp, out)  # atomic: readers see the old or the new bundle, never half of one


def merge(bundles: list[Path], head_tag: str, out: Path) -> None:
    """Write ``out`` holding the union of the tags of ``bundles``; HEAD at ``head_tag``."""
    with _scratch_repo() as repo:
        for bundle in bundles:
            _fetch_tags(repo, bundle)
        head = run(
            ["rev-parse", f"refs/tags/{head_tag}^{{commit}}"],
            cwd=repo,
            env=_ISOLATED,
            error=CatalogError,
        ).strip()
        _write_bundle(repo, head, out)


def _catalog_files(source: Path) -> list[str]:
    files: list[str] = []
    for root, dirs, names in os.walk(source):
        dirs[:] = sorted(d for d in dirs if d not in _JUNK_DIRS)
        for name in sorted(names):
            if name.endswith(_JUNK_SUFFIXES):
                continue
            files.append(str((Path(root) / name).relative_to(source)))
    return files


def tree_of(source: Path) -> str:
    """The git tree id of a catalog folder as a release would store it."""
    with _scratch_repo() as repo:
        return _write_tree(repo, source)


def _write_tree(repo: Path, source: Path) -> str:
    env = {
        **_ISOLATED,
        "GIT_DIR": str(repo),
        "GIT_WORK_TREE": str(source.resolve()),
        "GIT_INDEX_FILE": str(repo / "release-index"),
    }
    listing = repo / "release-files"
    listing.write_text("\n".join(_catalog_files(source)) + "\n", encoding="utf-8")
    # -f: a template's own .gitignore must not hide other template files from the release.
    run(["add", "-f", f"--pathspec-from-file={listing}"], cwd=source, env=env, error=CatalogError)
    return run(["write-tree"], cwd=source, env=env, error=CatalogError).strip()


def release(
    bundle: Path | None, source: Path, tag: str, parent_tag: str | None, date: str, out: Path
) -> str:
    """Add ``tag`` = the tree of ``source`` on top of ``parent_tag`` and write ``out``.

    ``date`` is an ISO date; author, committer, message and date are all fixed by the
    inputs, so the resulting commit id depends only on the tree and the history.
    """
    with _scratch_repo() as repo:
        if bundle is not None and bundle.exists():
            _fetch_tags(repo, bundle)
        tree = _write_tree(repo, source)
        stamp = f"{date}T00:00:00+0000"
        env = {
            **_ISOLATED,
            **RELEASE_IDENTITY,
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_DATE": stamp,
        }
        args = ["commit-tree", tree, "-m", f"goldenpath catalog {tag}"]
        if parent_tag:
            args += ["-p", f"refs/tags/{parent_tag}"]
        commit = run(args, cwd=repo, env=env, error=CatalogError).strip()
        run(["tag", tag, commit], cwd=repo, env=_ISOLATED, error=CatalogError)
        _write_bundle(repo, commit, out)
        return commit


def tree_at(bundle: Path, tag: str) -> str:
    """The tree id a bundle stores for ``tag``."""
    with _scratch_repo() as repo:
        _fetch_tags(repo, bundle)
        return run(
            ["rev-parse", f"refs/tags/{tag}^{{tree}}"], cwd=repo, env=_ISOLATED, error=CatalogError
        ).strip()


def parent_of(bundle: Path, tag: str) -> str | None:
    """The commit id of the parent of ``tag`` (None for the first release)."""
    with _scratch_repo() as repo:
        _fetch_tags(repo, bundle)
        out = run(
            ["rev-list", "--parents", "-n", "1", f"refs/tags/{tag}"],
            cwd=repo,
            env=_ISOLATED,
            error=CatalogError,
        ).split()
        return out[1] if len(out) > 1 else None
