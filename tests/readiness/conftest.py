"""Small repositories written file by file, so each readiness check is tested on the few
lines that decide it rather than on whole renders."""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from goldenpath.readiness.facts import Repo
from goldenpath.readiness.model import Check, Finding

MakeRepo = Callable[[dict[str, str]], Repo]


def write_files(root: Path, files: dict[str, str]) -> None:
    """Write ``files`` (path -> text, dedented) under ``root``."""
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


@pytest.fixture
def make_repo(tmp_path: Path) -> MakeRepo:
    """A :class:`Repo` over exactly the given files (no git needed for unit tests)."""

    def make(files: dict[str, str]) -> Repo:
        root = tmp_path / "repo"
        root.mkdir(exist_ok=True)
        write_files(root, files)
        return Repo(root, sorted(files))

    return make


def run_check(check: type[Check], repo: Repo) -> Finding:
    """Run one check the way the service does (an instance per run)."""
    return check().run(repo)


def git_init(root: Path) -> None:
    """Make ``root`` a git repository with one commit of everything in it."""
    env_args = ["-c", "user.name=t", "-c", "user.email=t@localhost"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(
        ["git", "-C", str(root), *env_args, "commit", "-q", "--allow-empty", "-m", "init"],
        check=True,
    )
