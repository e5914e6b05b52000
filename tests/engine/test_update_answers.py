"""``goldenpath update --data``: change an answer of an existing repository, 3-way merged."""

from __future__ import annotations

from pathlib import Path

import pexpect
import yaml
from typer.testing import CliRunner

from .catalog_factory import change_config, git, git_catalog, tag_next, write
from .conftest import invoke
from .test_wizard import CLEAR_LINE, _spawn


def _repo(cli: CliRunner, tmp_path: Path) -> tuple[Path, Path]:
    catalog = git_catalog(tmp_path / "catalog")
    repo = tmp_path / "svc"
    code, output = invoke(cli, "new", "svc", str(repo), "--defaults", "--catalog", str(catalog))
    assert code == 0, output
    config = repo / "config.yaml"
    config.write_text(config.read_text().replace("log_level: info", "log_level: debug"))
    git(repo, "commit", "-qam", "local edit: debug logging")
    return repo, catalog


def _answers(repo: Path) -> dict[str, object]:
    loaded = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_data_changes_an_answer_and_keeps_a_local_edit_in_the_same_file(
    tmp_path: Path, cli: CliRunner
) -> None:
    repo, _ = _repo(cli, tmp_path)
    code, output = invoke(cli, "update", str(repo), "--data", "port=9000")
    assert code == 0, output
    config = (repo / "config.yaml").read_text()
    assert "port: 9000" in config  # the new answer
    assert "log_level: debug" in config  # the local edit, same file
    assert _answers(repo)["port"] == 9000
    assert _answers(repo)["_commit"] == "v1.0.0"  # no version change was asked for
    assert "port" in output


def test_data_file_with_a_version_change(tmp_path: Path, cli: CliRunner) -> None:
    repo, catalog = _repo(cli, tmp_path)
    change_config(catalog)
    tag_next(catalog, "1.1.0", "config logs at warning level")
    # the template's own change touches the edited line: take the new answer elsewhere
    answers = tmp_path / "answers.yml"
    write(answers, "owner: team-b\n")
    code, output = invoke(cli, "update", str(repo), "--data-file", str(answers))
    assert code in {0, 3}, output
    assert "Owned by team-b." in (repo / "README.md").read_text()
    assert (repo / "NEW.md").exists()
    assert _answers(repo)["_commit"] == "v1.1.0"
    assert _answers(repo)["owner"] == "team-b"


def test_bad_answers_are_refused_and_nothing_changes(tmp_path: Path, cli: CliRunner) -> None:
    repo, _ = _repo(cli, tmp_path)
    head = git(repo, "rev-parse", "HEAD")
    for args, expected in (
        (["--data", "port=80"], "port: must be 1024 or more"),
        (["--data", "colour=red"], "colour: no such question"),
        (["--data", "template=job"], "template"),
        (["--data", "port=nine"], "port"),
    ):
        code, output = invoke(cli, "update", str(repo), *args)
        assert code == 2, (args, output)
        assert expected in output, (args, output)
        assert "Traceback" not in output
        assert git(repo, "status", "--porcelain") == ""
        assert git(repo, "rev-parse", "HEAD") == head


def test_an_unchanged_answer_at_the_current_version_is_nothing_to_do(
    tmp_path: Path, cli: CliRunner
) -> None:
    repo, _ = _repo(cli, tmp_path)
    code, output = invoke(cli, "update", str(repo), "--data", "port=8080")
    assert code == 0, output
    assert "nothing to do" in output
    assert git(repo, "status", "--porcelain") == ""


def test_ask_re_asks_a_question_in_a_terminal_with_the_recorded_default(
    tmp_path: Path, cli: CliRunner, fresh_user: Path
) -> None:
    repo, _ = _repo(cli, tmp_path)
    child = _spawn(["update", str(repo), "--ask", "port"], fresh_user, tmp_path, columns=120)
    child.expect("Port the service listens on")
    child.expect("8080")  # the recorded answer is the default shown
    child.send(CLEAR_LINE)
    child.send("80\r")
    child.expect("1024 or more")  # validated as `new` does, and asked again
    child.send(CLEAR_LINE)
    child.send("9000\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    config = (repo / "config.yaml").read_text()
    assert "port: 9000" in config
    assert "log_level: debug" in config


def test_ask_without_a_terminal_is_refused(tmp_path: Path, cli: CliRunner) -> None:
    repo, _ = _repo(cli, tmp_path)
    code, output = invoke(cli, "update", str(repo), "--ask", "port")
    assert code == 2
    assert "--ask needs a terminal" in output
    assert git(repo, "status", "--porcelain") == ""
