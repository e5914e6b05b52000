"""The update journal: how an update that was cut short is recognised and finished or undone.

Before ``goldenpath update`` touches the user's work tree it writes
``<git dir>/goldenpath/update.json``: the commit the tree starts from (HEAD), the commit it
moves to (prepared in a private clone and fetched under ``refs/goldenpath/update``), the
paths the update adds and the conflicts to record. The journal is written atomically (a
temporary file, fsync, then a hard link that fails if a journal exists) and removed only
after the work tree and index are complete. So whenever a journal exists, the tree may be
half-way between the two commits, and everything needed to finish (``--continue``) or to
restore HEAD (``--abort``) is on disk, even after ``kill -9``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from goldenpath import scratch
from goldenpath.adapters import git_adapter
from goldenpath.adapters.git_adapter import IndexEntry
from goldenpath.errors import RepositoryError

REF = "refs/goldenpath/update"
FOLDER = "goldenpath"
FILE = "update.json"
_FORMAT = 1


class JournalExistsError(RepositoryError):
    """Another update wrote its journal first; this one must leave everything alone."""


@dataclass(frozen=True)
class Journal:
    """One update between "the tree may change" and "the tree is complete"."""

    pid: int
    head: str
    target: str
    template: str | None
    from_version: str
    to_version: str
    added: list[str] = field(default_factory=list)
    conflicts: list[IndexEntry] = field(default_factory=list)
    ref: str = REF
    # The catalog migrations' outcomes ({version, kind, description, outcome}), so that
    # ``--continue`` reports them like the update that was cut short would have.
    migrations: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> str:
        """The file's content."""
        data: dict[str, Any] = {"format": _FORMAT, **asdict(self)}
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Journal:
        """Parse the file's content; ``ValueError`` when it is not a journal."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError("unknown journal format")
        return cls(
            pid=int(data["pid"]),
            head=str(data["head"]),
            target=str(data["target"]),
            template=data.get("template"),
            from_version=str(data["from_version"]),
            to_version=str(data["to_version"]),
            added=[str(p) for p in data.get("added", [])],
            conflicts=[IndexEntry(**entry) for entry in data.get("conflicts", [])],
            ref=str(data.get("ref", REF)),
            migrations=[{k: str(v) for k, v in m.items()} for m in data.get("migrations", [])],
        )


def folder(repo: Path) -> Path | None:
    """``<git dir>/goldenpath`` of ``repo``, None outside a git repository."""
    found = git_adapter.git_dir(repo)
    return found / FOLDER if found is not None else None


def location(repo: Path) -> Path | None:
    """Where the journal of ``repo`` lives (whether or not it exists)."""
    base = folder(repo)
    return base / FILE if base is not None else None


def shown(repo: Path, path: Path) -> str:
    """``path`` relative to the repository when it is inside it (how users see it)."""
    try:
        return str(path.relative_to(repo))
    except ValueError:
        return str(path)


def read(repo: Path) -> Journal | None:
    """The journal of an update that did not complete, None when there is none."""
    path = location(repo)
    if path is None or not path.is_file():
        return None
    try:
        return Journal.from_json(path.read_text(encoding="utf-8"))
    except (ValueError, KeyError, TypeError) as exc:
        raise RepositoryError(
            f"the update journal {shown(repo, path)} cannot be read: {exc}",
            hint="restore with `git reset --hard HEAD` (check `git status` first), "
            "then delete the journal",
        ) from exc


def interrupted(repo: Path, journal: Journal) -> RepositoryError:
    """The one-line error every command shows while a journal exists."""
    path = shown(repo, location(repo) or Path(FILE))
    if journal.pid != os.getpid() and scratch.pid_alive(journal.pid):
        return RepositoryError(
            f"an update to v{journal.to_version} is running (process {journal.pid}, "
            f"journal {path})",
            hint="wait for it to finish",
        )
    return RepositoryError(
        f"an update to v{journal.to_version} was interrupted (journal {path})",
        hint="run `goldenpath update --abort` to restore HEAD, "
        "or `goldenpath update --continue` to finish it",
    )


def refuse_if_interrupted(repo: Path) -> None:
    """Fail with the interrupted-update error when ``repo`` has a journal."""
    journal = read(repo)
    if journal is not None:
        raise interrupted(repo, journal)


def write(repo: Path, journal: Journal, replace: bool = False) -> None:
    """Store ``journal`` durably and atomically; with ``replace`` False, only if none exists.

    The exclusive create (a hard link) makes a second update that raced this one fail
    instead of overwriting the journal of the first.
    """
    path = location(repo)
    if path is None:
        raise RepositoryError(f"{repo} is not a git repository")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{FILE}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, journal.to_json().encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
    except FileExistsError:
        raise JournalExistsError(
            "another update of this repository started meanwhile; nothing was changed",
            hint="run `goldenpath check` to see its state",
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def remove(repo: Path) -> None:
    """Delete the journal: from here on the update is complete (or undone)."""
    path = location(repo)
    if path is not None:
        path.unlink(missing_ok=True)
        _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def exclusive(repo: Path) -> Iterator[None]:
    """Hold ``<git dir>/goldenpath/lock`` so only one goldenpath changes ``repo`` at a time.

    An advisory ``flock``: the kernel drops it when the process dies, even by SIGKILL, so a
    killed run never blocks the next one. Leftovers of a killed run's journal writing are
    swept while the lock is held.
    """
    base = folder(repo)
    if base is None:
        raise RepositoryError(f"{repo} is not a git repository")
    base.mkdir(parents=True, exist_ok=True)
    with (base / "lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RepositoryError(
                "another goldenpath command is changing this repository",
                hint="wait for it to finish",
            ) from None
        try:
            for stale in base.glob(f"{FILE}.*.tmp"):
                with contextlib.suppress(OSError):
                    stale.unlink()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
