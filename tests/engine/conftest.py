"""Every engine test runs as a fresh user on a fresh machine: its own HOME (where the
builtin catalog gets installed), its own config dir, no catalog from the environment."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner
from user_isolation import isolated_user

from goldenpath.cli import app
from goldenpath.services import catalogs

from .catalog_factory import bundle_versions, git


@pytest.fixture(autouse=True)
def fresh_user(tmp_path: Path) -> Iterator[Path]:
    """A new HOME and config dir; git identity only through the environment."""
    home = tmp_path / "home"
    with isolated_user(home):
        yield home


@pytest.fixture
def packaged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Two 'goldenpath releases' whose builtin bundles differ; pick one with ``use``."""
    old, new = bundle_versions(tmp_path / "packages")
    monkeypatch.setattr(catalogs, "packaged_bundle", lambda: old)
    return {"old": old, "new": new}


def use_package(monkeypatch: pytest.MonkeyPatch, bundle: Path) -> None:
    """Pretend the installed goldenpath ships ``bundle`` as its builtin catalog."""
    monkeypatch.setattr(catalogs, "packaged_bundle", lambda: bundle)


@pytest.fixture
def cli() -> CliRunner:
    """Runs the real CLI in-process (stdin is not a terminal)."""
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> tuple[int, str]:
    """Run ``goldenpath args``; returns exit code and combined output."""
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def new_project(runner: CliRunner, catalog: Path, dest: Path, template: str = "svc") -> Path:
    """``goldenpath new`` of a test catalog's template with its defaults; must succeed."""
    args = ("new", template, str(dest), "--defaults", "--catalog", str(catalog))
    code, output = invoke(runner, *args)
    assert code == 0, output
    return dest


def commit_edit(repo: Path, name: str, old: str, new: str) -> None:
    """A user's committed local edit: ``old`` (which must be there) becomes ``new``."""
    path = repo / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new))
    git(repo, "commit", "-qam", f"local edit of {name}")


def snapshot(repo: Path) -> dict[str, str]:
    """Every file below ``repo`` (``.git`` included) with its content hash: equal snapshots
    prove a command changed nothing."""
    return {
        str(p.relative_to(repo)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(repo.rglob("*"))
        if p.is_file()
    }
