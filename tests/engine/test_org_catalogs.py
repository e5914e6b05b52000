"""Organisation catalogs: by path, from the environment or the config file; trust rules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from .catalog_factory import git, git_catalog, make_catalog_tree, tag_next, write
from .conftest import invoke

UNSAFE = "_tasks:\n  - touch task-ran.txt\n"


def _make_unsafe(catalog: Path) -> None:
    text = (catalog / "copier.yml").read_text()
    write(catalog / "copier.yml", UNSAFE + text)
    tag_next(catalog, "1.0.1", "adds a task")


def test_catalog_by_path_records_an_absolute_source(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = git_catalog(tmp_path / "catalog")
    monkeypatch.chdir(tmp_path)
    code, output = invoke(cli, "new", "job", "out", "--defaults", "--catalog", "catalog")
    assert code == 0, output
    assert f"_src_path: {catalog}" in (tmp_path / "out/.copier-answers.yml").read_text()


def test_catalog_from_environment_and_config(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch, fresh_user: Path
) -> None:
    env_catalog = git_catalog(tmp_path / "env-catalog")
    conf_catalog = git_catalog(tmp_path / "conf-catalog")
    write(fresh_user / ".config/goldenpath/config.toml", f'catalog = "{conf_catalog}"\n')
    assert invoke(cli, "new", "job", str(tmp_path / "a"), "--defaults")[0] == 0
    assert str(conf_catalog) in (tmp_path / "a/.copier-answers.yml").read_text()
    monkeypatch.setenv("GOLDENPATH_CATALOG", str(env_catalog))
    assert invoke(cli, "new", "job", str(tmp_path / "b"), "--defaults")[0] == 0
    assert str(env_catalog) in (tmp_path / "b/.copier-answers.yml").read_text()


def test_broken_config_file_is_one_line_error(cli: CliRunner, fresh_user: Path) -> None:
    write(fresh_user / ".config/goldenpath/config.toml", "catalog = [unclosed\n")
    code, output = invoke(cli, "templates")
    assert code == 2
    assert "cannot read" in output


def test_unsafe_catalog_needs_trust(tmp_path: Path, cli: CliRunner) -> None:
    catalog = git_catalog(tmp_path / "catalog")
    _make_unsafe(catalog)
    dest = tmp_path / "out"
    code, output = invoke(cli, "new", "svc", str(dest), "--defaults", "--catalog", str(catalog))
    assert code == 1
    assert "unsafe copier features: tasks" in output
    assert "--trust" in output
    assert not dest.exists()
    code, output = invoke(
        cli, "new", "svc", str(dest), "--defaults", "--catalog", str(catalog), "--trust"
    )
    assert code == 0, output
    assert (dest / "task-ran.txt").exists()


def test_trusted_prefix_in_config(tmp_path: Path, cli: CliRunner, fresh_user: Path) -> None:
    catalog = git_catalog(tmp_path / "catalog")
    _make_unsafe(catalog)
    write(fresh_user / ".config/goldenpath/config.toml", f'trusted = ["{tmp_path}/"]\n')
    code, output = invoke(
        cli, "new", "svc", str(tmp_path / "o"), "--defaults", "--catalog", str(catalog)
    )
    assert code == 0, output


def test_plain_copier_works_on_an_org_catalog(tmp_path: Path) -> None:
    catalog = git_catalog(tmp_path / "catalog")
    dest = tmp_path / "plain"
    copier = [sys.executable, "-m", "copier"]
    subprocess.run(
        [*copier, "copy", "--defaults", "-q", "-d", "template=svc", str(catalog), str(dest)],
        check=True,
    )
    assert "_commit: v1.0.0" in (dest / ".copier-answers.yml").read_text()
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-qm", "init")
    write(catalog / "svc/template/extra.txt", "x\n")
    tag_next(catalog, "1.0.1", "extra")
    subprocess.run([*copier, "update", "--defaults", "-q"], cwd=dest, check=True)
    assert (dest / "extra.txt").exists()


def test_unversioned_folder_renders_but_cannot_update(tmp_path: Path, cli: CliRunner) -> None:
    folder = make_catalog_tree(tmp_path / "dev-catalog")
    dest = tmp_path / "out"
    assert invoke(cli, "new", "svc", str(dest), "--defaults", "--catalog", str(folder))[0] == 0
    code, output = invoke(cli, "update", str(dest))
    assert code == 1
    assert ".copier-answers.yml records no catalog version (_src_path/_commit)" in output
    assert "cannot be updated" in output  # the hint says why
