"""``git merge-file`` for one file, and blobs for the conflict stages it leaves.

Copier merges a project path by path, so a file a catalog version moves has no merge base
at its new path. Catalog migrations merge such a file themselves: the user's version, the
old render and the new render, with copier's labels, so conflict markers look the same
whichever of the two wrote them. ``git merge-file`` reports conflicts through its exit code
(the number of conflicting hunks), which the generic runner of ``git_adapter`` would take
for a failure; hence this small adapter.
"""

from __future__ import annotations

from pathlib import Path

from git import Git

from goldenpath.adapters import git_adapter
from goldenpath.errors import GoldenpathError

# The labels copier gives its own conflict markers (``<<<<<<< before updating`` ...).
LABELS = ("before updating", "last update", "after updating")
_MOST_CONFLICTS = 127  # git merge-file caps its count here; anything above is an error


def merge(current: bytes, base: bytes, other: bytes, tmp: Path) -> tuple[bytes, bool]:
    """The 3-way merge of ``base`` -> ``current`` with ``base`` -> ``other``.

    Returns the merged bytes (with conflict markers where both changed the same lines) and
    whether there were conflicts. ``tmp`` is an existing scratch folder.
    """
    files = []
    for name, data in (("current", current), ("base", base), ("other", other)):
        path = tmp / f"merge-file-{name}"
        path.write_bytes(data)
        files.append(str(path))
    labels = [arg for label in LABELS for arg in ("-L", label)]
    status, out, err = Git(str(tmp)).execute(
        ["git", "merge-file", "-p", *labels, *files],
        with_extended_output=True,
        with_exceptions=False,
        stdout_as_string=False,
        strip_newline_in_stdout=False,
    )
    for name in files:
        Path(name).unlink()
    if not 0 <= status <= _MOST_CONFLICTS:
        detail = (str(err).strip().splitlines() or ["no message"])[0]
        raise GoldenpathError(f"git merge-file failed: {detail}")
    return bytes(out or b""), status > 0


def write_blob(repo: Path, data: bytes, tmp: Path) -> str:
    """Store ``data`` as a blob in ``repo``'s object store, byte for byte; its id."""
    path = tmp / "blob-to-store"
    path.write_bytes(data)
    try:
        return git_adapter.run(["hash-object", "-w", "--no-filters", str(path)], cwd=repo).strip()
    finally:
        path.unlink()
