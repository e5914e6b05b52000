"""Read one file of a local catalog at a release tag, without a checkout.

Shell completion needs a catalog's template names on every TAB press. Rendering clones and
checks out the whole catalog; that is too slow here and would touch the user's files, so
this reads a single blob instead: straight from a git repository, or from a bundle file
through a throw-away bare repository. Only local sources are read, so nothing here ever
waits on a network.
"""

from __future__ import annotations

from pathlib import Path

from goldenpath import scratch
from goldenpath.adapters.git_adapter import _ISOLATED, run
from goldenpath.errors import CatalogError


def read_at(source: Path, tag: str, path: str) -> str | None:
    """The text of ``path`` at ``tag`` in a catalog repository or bundle; None if absent.

    Raises ``CatalogError`` when ``source`` cannot be read as a catalog at all.
    """
    if source.is_file():
        with scratch.folder() as tmp:
            repo = tmp / "bundle.git"
            run(["init", "-q", "--bare", str(repo)], env=_ISOLATED, error=CatalogError)
            run(
                [
                    "fetch",
                    "-q",
                    "--no-tags",
                    str(source.resolve()),
                    f"refs/tags/{tag}:refs/tags/{tag}",
                ],
                cwd=repo,
                env=_ISOLATED,
                error=CatalogError,
            )
            return _show(repo, tag, path)
    return _show(source, tag, path)


def _show(repo: Path, tag: str, path: str) -> str | None:
    listed = run(["ls-tree", "--name-only", tag, "--", path], cwd=repo, error=CatalogError)
    if not listed.strip():
        return None
    return run(["show", f"{tag}:{path}"], cwd=repo, error=CatalogError)
