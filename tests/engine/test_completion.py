"""Shell completion: the scripts, and what TAB offers for templates, versions and checks.

Completion goes through Typer's protocol: the shell script calls ``goldenpath`` back with
``_GOLDENPATH_COMPLETE=complete_<shell>`` and the words typed so far. Most tests speak that
protocol in-process (fast); one runs the bash script in a real bash, end to end. zsh and
fish are not installed here, so their scripts are checked for the instruction they send
and the protocol answers they get.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from goldenpath.adapters import bundles
from goldenpath.cli import app
from goldenpath.services import catalogs
from goldenpath.versions import Version

from .catalog_factory import git_catalog, make_catalog_tree, tag_next, write
from .conftest import invoke, use_package

GOLDENPATH = Path(sys.executable).parent / "goldenpath"


def bash(cli: CliRunner, line: str) -> list[str]:
    """What bash completion offers for ``line`` (the cursor at its end)."""
    words = line.split(" ")
    env = {
        "_GOLDENPATH_COMPLETE": "complete_bash",
        "COMP_WORDS": line,
        "COMP_CWORD": str(len(words) - 1),
    }
    result = cli.invoke(app, [], env=env, prog_name="goldenpath", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return [line for line in result.output.splitlines() if line]


def zsh(cli: CliRunner, line: str) -> str:
    env = {"_GOLDENPATH_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line}
    result = cli.invoke(app, [], env=env, prog_name="goldenpath", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def fish(cli: CliRunner, line: str) -> list[str]:
    env = {
        "_GOLDENPATH_COMPLETE": "complete_fish",
        "_TYPER_COMPLETE_ARGS": line,
        "_TYPER_COMPLETE_FISH_ACTION": "get-args",
    }
    result = cli.invoke(app, [], env=env, prog_name="goldenpath", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return [line for line in result.output.splitlines() if line]


COMMANDS = {"new", "update", "check", "templates", "readiness", "catalog", "fleet", "completion"}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_each_shell_gets_a_script_that_calls_goldenpath_back(shell: str, cli: CliRunner) -> None:
    code, script = invoke(cli, "completion", shell)
    assert code == 0, script
    assert f"_GOLDENPATH_COMPLETE=complete_{shell}" in script
    assert "goldenpath" in script
    if shell == "zsh":
        assert script.startswith("#compdef goldenpath")


def test_install_and_show_completion_are_offered(cli: CliRunner) -> None:
    code, output = invoke(cli, "--help")
    assert code == 0
    assert "--install-completion" in output
    assert "--show-completion" in output
    assert invoke(cli, "completion", "ksh")[0] == 2


def test_every_shell_completes_the_commands(cli: CliRunner) -> None:
    assert set(bash(cli, "goldenpath ")) == COMMANDS
    assert {line.split("\t")[0] for line in fish(cli, "goldenpath ")} == COMMANDS
    offered = zsh(cli, "goldenpath ")
    assert all(f'"{command}"' in offered for command in COMMANDS), offered
    assert set(bash(cli, "goldenpath new --d")) == {"--defaults", "--data", "--data-file"}


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_the_bash_script_completes_in_a_real_bash(tmp_path: Path) -> None:
    """The shipped builtin catalog, read by a separate goldenpath process on each TAB."""
    assert GOLDENPATH.is_file(), f"{GOLDENPATH} missing: install goldenpath into this venv"
    script = tmp_path / "goldenpath.bash"
    script.write_text(subprocess.check_output([GOLDENPATH, "completion", "bash"], text=True))
    shipped = sorted(
        (v for v in map(Version.maybe, bundles.tags(catalogs.packaged_bundle())) if v),
        reverse=True,
    )
    driver = (
        f"source {script}\n"
        "for line in 'goldenpath ' 'goldenpath new ' 'goldenpath new x --version '; do\n"
        '  read -r -a COMP_WORDS <<< "$line"; COMP_WORDS+=("")\n'
        "  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
        "  _goldenpath_completion goldenpath\n"
        '  echo "$line|${COMPREPLY[*]}"\n'
        "done\n"
    )
    env = {**os.environ, "PATH": f"{GOLDENPATH.parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "--norc", "-c", driver], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    offered = dict(line.split("|", 1) for line in result.stdout.splitlines())
    assert set(offered["goldenpath "].split()) == COMMANDS
    assert "realtime-inference" in offered["goldenpath new "].split()
    assert offered["goldenpath new x --version "].split() == [str(v) for v in shipped]


def test_template_names_and_descriptions_come_from_the_manifest(
    packaged: dict[str, Path], cli: CliRunner
) -> None:
    assert bash(cli, "goldenpath new ") == ["svc", "job"]
    assert bash(cli, "goldenpath new s") == ["svc"]
    assert '"svc":"A small service"' in zsh(cli, "goldenpath new ")
    assert fish(cli, "goldenpath new j") == ["job\tA small job"]


def test_nothing_is_installed_or_cloned_while_completing(
    packaged: dict[str, Path], cli: CliRunner, fresh_user: Path
) -> None:
    assert bash(cli, "goldenpath new ") == ["svc", "job"]
    assert bash(cli, "goldenpath new --version ") == ["1.0.0"]
    assert not catalogs.installed_bundle().exists()  # the packaged bundle was read in place


def test_catalog_option_names_the_catalog_to_complete_from(tmp_path: Path, cli: CliRunner) -> None:
    catalog = git_catalog(tmp_path / "catalog")
    write(catalog / "catalog.yml", "templates:\n  svc: {description: Newer wording}\n")
    tag_next(catalog, "1.1.0", "a newer manifest")
    write(catalog / "catalog.yml", "templates:\n  unreleased: {}\n")  # work in progress
    assert bash(cli, f"goldenpath new --catalog {catalog} ") == ["svc"]
    assert '"svc":"Newer wording"' in zsh(cli, f"goldenpath new --catalog {catalog} ")
    assert bash(cli, f"goldenpath new --catalog {catalog} --version ") == ["1.1.0", "1.0.0"]
    assert fish(cli, f"goldenpath new --catalog {catalog} --version 1.1")[0] == "1.1.0\tlatest"


def test_descriptions_come_from_each_template_manifest(tmp_path: Path, cli: CliRunner) -> None:
    folder = make_catalog_tree(tmp_path / "folder")
    write(folder / "catalog.yml", "templates:\n  svc: {description: Older wording}\n")
    write(folder / "svc" / "template.yml", "name: svc\ndescription: From the template folder\n")
    assert bash(cli, f"goldenpath new --catalog {folder} ") == ["svc", "job"]
    assert '"svc":"From the template folder"' in zsh(cli, f"goldenpath new --catalog {folder} ")


def test_an_unversioned_folder_completes_names_but_no_versions(
    tmp_path: Path, cli: CliRunner
) -> None:
    folder = make_catalog_tree(tmp_path / "folder")
    assert bash(cli, f"goldenpath new --catalog {folder} ") == ["svc", "job"]
    assert bash(cli, f"goldenpath new --catalog {folder} --version ") == []


def test_a_catalog_without_manifest_falls_back_to_the_template_choices(
    tmp_path: Path, cli: CliRunner
) -> None:
    catalog = git_catalog(tmp_path / "catalog")
    (catalog / "catalog.yml").unlink()
    tag_next(catalog, "1.1.0", "no manifest")
    assert bash(cli, f"goldenpath new --catalog {catalog} ") == ["svc", "job"]
    assert '"job":"a small job"' in zsh(cli, f"goldenpath new --catalog {catalog} ")


def test_the_configured_catalog_is_completed_from(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = git_catalog(tmp_path / "catalog")
    tag_next(catalog, "2.0.0", "major")
    monkeypatch.setenv("GOLDENPATH_CATALOG", str(catalog))
    assert bash(cli, "goldenpath new --version ") == ["2.0.0", "1.0.0"]


def test_remote_or_missing_catalogs_complete_nothing_and_print_no_error(
    tmp_path: Path, cli: CliRunner
) -> None:
    for source in ("https://git.invalid/ml/catalog.git", str(tmp_path / "missing")):
        assert bash(cli, f"goldenpath new --catalog {source} ") == []
        assert bash(cli, f"goldenpath new --catalog {source} --version ") == []
    config = tmp_path / "home" / ".config" / "goldenpath" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("catalog = [broken\n")
    assert bash(cli, "goldenpath new --version ") != []  # the builtin catalog, no traceback


def test_update_to_offers_the_repositorys_catalog_versions_never_older(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = git_catalog(tmp_path / "catalog")
    tag_next(catalog, "1.0.1", "patch")
    repo = tmp_path / "svc"
    assert invoke(cli, "new", "svc", str(repo), "--defaults", "--catalog", str(catalog))[0] == 0
    tag_next(catalog, "1.1.0", "minor")
    monkeypatch.setenv("GOLDENPATH_CATALOG", str(tmp_path / "elsewhere"))  # not what update uses
    assert bash(cli, f"goldenpath update {repo} --to ") == ["1.1.0", "1.0.1"]
    monkeypatch.chdir(repo)
    assert bash(cli, "goldenpath update --to ") == ["1.1.0", "1.0.1"]
    assert fish(cli, "goldenpath update --to ")[0] == "1.1.0\tlatest"
    monkeypatch.chdir(tmp_path)
    assert bash(cli, "goldenpath update --to ") == []  # not a generated repository


def test_update_to_reads_a_builtin_repository_from_the_installed_bundle(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch, packaged: dict[str, Path]
) -> None:
    repo = tmp_path / "svc"
    assert invoke(cli, "new", "svc", str(repo), "--defaults")[0] == 0
    use_package(monkeypatch, packaged["new"])  # a newer goldenpath, not run yet
    assert bash(cli, f"goldenpath update {repo} --to ") == ["1.1.0", "1.0.0"]


def test_readiness_checks_and_levels(cli: CliRunner) -> None:
    assert bash(cli, "goldenpath readiness --check drift-") == ["drift-monitor"]
    offered = bash(cli, "goldenpath readiness --check drift-monitor --check ")
    assert "drift-monitor" not in offered
    assert {"alert-runbooks", "codeowners", "no-secrets"} <= set(offered)
    assert bash(cli, "goldenpath readiness --fail-under ") == ["bronze", "silver", "gold"]
    assert bash(cli, "goldenpath readiness --fail-under s") == ["silver"]
    assert bash(cli, "goldenpath check --fail-on ") == ["major", "minor", "patch"]
    for line in zsh(cli, "goldenpath readiness --check ").splitlines():
        assert len(line) < 100, line  # a wrapped description breaks zsh's list


def test_the_catalog_reader_does_not_load_copier() -> None:
    """Completion must stay cheap: the catalog reader never needs copier."""
    probe = (
        "import sys, goldenpath.services.catalog_index\n"
        "loaded = [m for m in ('copier', 'questionary') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)
