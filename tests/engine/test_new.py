"""``goldenpath new`` end to end with real copier and git, non-interactive."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from goldenpath.cli import app
from goldenpath.errors import AnswersError, RenderError, RepositoryError, UsageError
from goldenpath.services import catalogs
from goldenpath.services.generate import NewRequest, generate

from .catalog_factory import git, git_catalog, tag_next, write
from .conftest import invoke


def test_new_renders_commits_and_records_a_portable_source(
    packaged: dict[str, Path], tmp_path: Path, cli: CliRunner
) -> None:
    dest = tmp_path / "my-svc"
    code, output = invoke(cli, "new", "svc", str(dest), "--defaults", "-d", "port=9000")
    assert code == 0, output
    assert "make run" in output
    answers = (dest / ".copier-answers.yml").read_text()
    assert "_src_path: ~/.goldenpath/catalog/builtin.bundle" in answers
    assert "_commit: v1.0.0" in answers
    assert "project_name: my-svc" in answers  # the folder name is the natural default
    assert "port: 9000" in (dest / "config.yaml").read_text()
    assert "Owned by team-a." in (dest / "README.md").read_text()
    assert git(dest, "status", "--porcelain") == ""
    assert "Initial commit from goldenpath (svc 1.0.0)" in git(dest, "log", "--format=%s")


def test_new_json_output_and_version_choice(
    packaged: dict[str, Path], tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalogs, "packaged_bundle", lambda: packaged["new"])
    code, output = invoke(
        cli, "new", "svc", str(tmp_path / "a"), "--defaults", "--version", "1.0.0", "--json"
    )
    assert code == 0, output
    result = json.loads(output)
    assert result["version"] == "1.0.0"
    assert result["template"] == "svc"
    assert not (tmp_path / "a" / "NEW.md").exists()  # that file only exists from 1.1.0
    code, output = invoke(cli, "new", "svc", str(tmp_path / "b"), "--defaults")
    assert code == 0
    assert (tmp_path / "b" / "NEW.md").exists()


def test_unknown_version_is_a_clear_error(
    packaged: dict[str, Path], tmp_path: Path, cli: CliRunner
) -> None:
    code, output = invoke(
        cli, "new", "svc", str(tmp_path / "x"), "--defaults", "--version", "9.9.9"
    )
    assert code == 1
    assert "version 9.9.9 is not in builtin" in output
    assert not (tmp_path / "x").exists()


def test_every_bad_answer_gets_its_own_message_and_nothing_is_written(
    packaged: dict[str, Path], tmp_path: Path, cli: CliRunner
) -> None:
    data_file = tmp_path / "answers.yml"
    write(data_file, "owner: ''\nport: 80\n")
    dest = tmp_path / "svc"
    code, output = invoke(
        cli,
        "new",
        "svc",
        str(dest),
        "--defaults",
        "--data-file",
        str(data_file),
        "-d",
        "project_name=Bad Name",
        "-d",
        "colour=red",
    )
    assert code == 2
    for expected in (
        "project_name: use lowercase",
        "owner: must not be empty",
        "port: must be 1024 or more",
        "colour: no such question",
    ):
        assert expected in output
    assert "Traceback" not in output
    assert not dest.exists()


def test_answers_of_another_template_are_rejected(
    packaged: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(AnswersError) as caught:
        generate(NewRequest(dest=tmp_path / "j", template="job", data={"port": "9000"}))
    assert caught.value.problems == [("port", "does not apply to the job template")]


def test_non_empty_destination_is_refused(
    packaged: dict[str, Path], tmp_path: Path, cli: CliRunner
) -> None:
    dest = tmp_path / "taken"
    write(dest / "keep.txt", "mine")
    code, output = invoke(cli, "new", "svc", str(dest), "--defaults")
    assert code == 1
    assert "exists and is not empty" in output
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]


def test_empty_destination_is_fine(packaged: dict[str, Path], tmp_path: Path) -> None:
    dest = tmp_path / "empty-dir"
    dest.mkdir()
    result = generate(NewRequest(dest=dest, template="job"))
    assert (result.path / "schedule.txt").read_text() == "0 3 * * *\n"


def test_without_terminal_and_without_defaults_it_fails_fast(
    packaged: dict[str, Path], tmp_path: Path, cli: CliRunner
) -> None:
    code, output = invoke(cli, "new", "svc", str(tmp_path / "d"))
    assert code == 2
    assert "no terminal" in output
    assert "--defaults" in output


def test_a_failure_while_rendering_leaves_no_destination(tmp_path: Path) -> None:
    catalog = git_catalog(tmp_path / "broken-catalog")
    write(catalog / "svc/template/broken.txt.jinja", "{% include '_shared/missing.jinja' %}")
    tag_next(catalog, "1.0.1", "broken on purpose")
    git(catalog, "log", "--oneline")
    dest = tmp_path / "out"
    with pytest.raises(RenderError):
        generate(NewRequest(dest=dest, template="svc", catalog=str(catalog)))
    assert not dest.exists()
    leftovers = [p.name for p in tmp_path.iterdir() if "goldenpath" in p.name]
    assert leftovers == []


def test_unknown_template_is_a_usage_error(packaged: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown template 'web'"):
        generate(NewRequest(dest=tmp_path / "w", template="web"))


def test_missing_parent_folder_is_refused(packaged: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(RepositoryError, match="does not exist"):
        generate(NewRequest(dest=tmp_path / "no" / "such" / "dir", template="svc"))


def test_a_typo_in_the_template_name_is_named_not_taken_as_a_folder(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = invoke(cli, "new", "realtime-inferense", "--defaults")
    assert code == 2, output
    assert "unknown template 'realtime-inferense'; did you mean 'realtime-inference'?" in output
    assert list(tmp_path.iterdir()) == [tmp_path / "home"]  # no folder, no temp dir
    code, output = invoke(cli, "new", "batch-inferense", str(tmp_path / "job"), "--defaults")
    assert code == 2
    assert "did you mean 'batch-inference'?" in output
    assert not (tmp_path / "job").exists()


def test_a_template_named_twice_differently_is_refused(
    packaged: dict[str, Path], tmp_path: Path, cli: CliRunner
) -> None:
    dest = tmp_path / "x"
    code, output = invoke(cli, "new", "svc", str(dest), "--defaults", "-d", "template=job")
    assert code == 2, output
    assert "template 'svc' conflicts with --data template=job" in output
    assert not dest.exists()
    # the same template twice is no conflict, and --data alone names it too
    code, output = invoke(cli, "new", "svc", str(dest), "--defaults", "-d", "template=svc")
    assert code == 0, output
    code, output = invoke(cli, "new", str(tmp_path / "y"), "--defaults", "-d", "template=job")
    assert code == 0, output
    assert (tmp_path / "y" / "schedule.txt").exists()


def test_json_errors_are_json_on_stdout(packaged: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["new", "svc", str(tmp_path / "z"), "--defaults", "--json", "-d", "port=80"],
    )
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["exit_code"] == 2
    assert error["hint"] == "fix the answers above; nothing was written"
    assert error["problems"] == [{"answer": "port", "problem": "must be 1024 or more"}]
    result = runner.invoke(
        app,
        ["new", "svc", str(tmp_path / "z"), "--defaults", "--json", "--version", "9.9.9"],
    )
    assert result.exit_code == 1
    assert "9.9.9" in json.loads(result.stdout)["error"]["message"]


def test_new_sweeps_what_a_killed_new_left_beside_its_destination(
    packaged: dict[str, Path], tmp_path: Path
) -> None:
    dead_pid = subprocess.Popen(["true"])  # a pid that no longer runs
    dead_pid.wait()
    stale = tmp_path / f".goldenpath-{dead_pid.pid}-old-svc-abc123"
    write(stale / "half-written.txt", "left by a kill -9")
    live = tmp_path / f".goldenpath-{os.getpid()}-other-svc-def456"  # a running `new`
    write(live / "in-progress.txt", "still rendering")

    generate(NewRequest(dest=tmp_path / "svc", template="svc"))

    assert not stale.exists()
    assert live.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [live.name]
