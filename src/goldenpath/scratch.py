"""Temporary folders goldenpath owns, named so that a later run can clean up after a killed one.

Every folder is ``<tmp>/goldenpath-<pid>-<random>``. A normal exit (including Ctrl-C)
removes it in a ``finally``; a process killed with SIGKILL cannot, so each new folder first
sweeps the folders whose pid is no longer alive. Libraries that make their own temporary
folders (copier renders the old and new versions into them) are pointed at one of ours for
the duration of a call, so their leftovers are swept too.

A pid alone cannot prove a folder is abandoned: processes in another PID namespace (a
container sharing the host's /tmp, a CI runner's job) have pids this process cannot see.
So each folder also holds an advisory lock on ``.lock`` inside it for its whole life; a
sweep removes a folder only when its pid looks dead AND it can take that lock itself.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the pid test alone decides
    fcntl = None  # type: ignore[assignment]

PREFIX = "goldenpath-"
LOCK_NAME = ".lock"

_OWNED = re.compile(rf"^{PREFIX}(?P<pid>\d+)-[A-Za-z0-9_]+$")
# `new` renders beside DEST (same file system, so the final move is one rename) into
# `.goldenpath-<pid>-<dest name>-<random>`: hidden, and swept the same way.
_BESIDE = re.compile(rf"^\.{PREFIX}(?P<pid>\d+)-[A-Za-z0-9_.-]+$")


def pid_alive(pid: int) -> bool:
    """True while a process with this id exists (a process of another user counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def base_dir() -> Path:
    """The system temporary folder this process would use without goldenpath's redirection."""
    return Path(tempfile.gettempdir())


def owned(base: Path | None = None, pattern: re.Pattern[str] = _OWNED) -> list[Path]:
    """goldenpath's temporary folders in ``base`` (default: the temporary folder)."""
    base = base or base_dir()
    try:
        names = os.listdir(base)
    except OSError:
        return []
    return [base / name for name in sorted(names) if pattern.match(name)]


def _hold_lock(path: Path) -> int | None:
    """Open ``path/.lock`` and take its lock without waiting; the fd, or None when another
    process holds it (the folder is in use). The caller closes the fd."""
    if fcntl is None:
        return os.open(os.devnull, os.O_RDONLY)
    fd = os.open(path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _abandoned(path: Path) -> int | None:
    """The held lock fd when ``path`` is abandoned (its owner cannot be holding it).

    A folder without a lock file (its owner was killed between creating it and locking
    it, or an older goldenpath made it) is judged by its dead pid alone, as before locks.
    """
    try:
        return _hold_lock(path)
    except OSError:
        return None


def sweep(base: Path | None = None, pattern: re.Pattern[str] = _OWNED) -> list[Path]:
    """Remove the folders of goldenpath processes that died without cleaning up."""
    removed: list[Path] = []
    for path in owned(base, pattern):
        match = pattern.match(path.name)
        if not match or pid_alive(int(match["pid"])):
            continue
        fd = _abandoned(path) if pattern is _OWNED else os.open(os.devnull, os.O_RDONLY)
        if fd is None:
            continue  # its owner holds the lock: alive where we cannot see its pid
        try:
            shutil.rmtree(path, ignore_errors=True)
        finally:
            os.close(fd)
        removed.append(path)
    return removed


def beside(dest: Path) -> Path:
    """A new hidden folder next to ``dest`` for ``new``; stale ones there are swept first.

    The caller removes it (or renames it to ``dest``); a SIGKILL leaves it for the next
    ``new`` into the same parent folder to sweep.
    """
    sweep(dest.parent, _BESIDE)
    prefix = f".{PREFIX}{os.getpid()}-{dest.name}-"
    return Path(tempfile.mkdtemp(prefix=prefix, dir=dest.parent))


@contextmanager
def folder() -> Iterator[Path]:
    """A fresh private folder, removed on every exit path; stale ones are swept first."""
    base = base_dir()
    sweep(base)
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=base))
    fd = _hold_lock(path)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        if fd is not None:
            os.close(fd)


@contextmanager
def libraries_use(path: Path) -> Iterator[None]:
    """Point Python's ``tempfile`` (and ``TMPDIR`` for child processes) at ``path``.

    Restored afterwards, so only the wrapped library call creates its folders there.
    """
    saved_tempdir, saved_env = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = str(path)
    os.environ["TMPDIR"] = str(path)
    try:
        yield
    finally:
        tempfile.tempdir = saved_tempdir
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env
