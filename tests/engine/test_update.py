"""``goldenpath update``: 3-way merge keeps local edits, reports conflicts, never loses data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from goldenpath.adapters import bundles
from goldenpath.services import catalogs
from goldenpath.services import update as update_service
from goldenpath.services.update import UpdateResult, update

from .catalog_factory import change_config, git, git_catalog, tag_next, write
from .conftest import commit_edit, invoke, new_project, snapshot, use_package


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    """An organisation-style catalog repository with v1.0.0."""
    return git_catalog(tmp_path / "org-catalog")


def test_update_keeps_local_edit_and_brings_template_change(
    catalog: Path, tmp_path: Path, cli: CliRunner
) -> None:
    repo = new_project(cli, catalog, tmp_path / "svc")
    commit_edit(repo, "config.yaml", "timeout_seconds: 10", "timeout_seconds: 30")
    change_config(catalog)
    tag_next(catalog, "1.1.0", "config logs at warning level")

    code, output = invoke(cli, "update", str(repo))

    assert code == 0, output
    config = (repo / "config.yaml").read_text()
    assert "timeout_seconds: 30" in config  # the team's edit
    assert "log_level: warning" in config  # the template's change
    assert (repo / "NEW.md").read_text() == "New in v2 for svc.\n"
    assert "1.0.0 -> 1.1.0" in output
    assert "config logs at warning level" in output  # changelog entry shown
    assert "added (1): NEW.md" in output
    assert "_commit: v1.1.0" in (repo / ".copier-answers.yml").read_text()
    assert "local edit of config.yaml" in git(repo, "log", "-1", "--format=%s")  # no commit


def test_conflicting_edit_gets_markers_listed_and_exit_3(
    catalog: Path, tmp_path: Path, cli: CliRunner
) -> None:
    repo = new_project(cli, catalog, tmp_path / "svc")
    commit_edit(repo, "config.yaml", "log_level: info", "log_level: debug")
    change_config(catalog)
    tag_next(catalog, "1.1.0", "warning level")

    code, output = invoke(cli, "update", str(repo), "--json")

    assert code == 3
    result = json.loads(output)
    assert result["conflicts"] == ["config.yaml"]
    config = (repo / "config.yaml").read_text()
    assert "<<<<<<< before updating" in config
    assert "log_level: debug" in config  # the local edit is kept inside the markers
    assert "log_level: warning" in config


def test_conflict_rej_writes_reject_files(catalog: Path, tmp_path: Path, cli: CliRunner) -> None:
    repo = new_project(cli, catalog, tmp_path / "svc")
    commit_edit(repo, "config.yaml", "log_level: info", "log_level: debug")
    change_config(catalog)
    tag_next(catalog, "1.1.0", "warning level")

    code, output = invoke(cli, "update", str(repo), "--conflict", "rej")

    assert code == 3, output
    assert (repo / "config.yaml.rej").is_file()
    assert "CONFLICTS (1): config.yaml" in output
    # The new template text is in place and the local edit that did not apply is kept, whole,
    # in the .rej file next to it: nothing is lost.
    assert "log_level: warning" in (repo / "config.yaml").read_text()
    assert "+log_level: debug" in (repo / "config.yaml.rej").read_text()


def test_dry_run_changes_nothing_byte_for_byte(
    catalog: Path, tmp_path: Path, cli: CliRunner
) -> None:
    repo = new_project(cli, catalog, tmp_path / "svc")
    commit_edit(repo, "config.yaml", "timeout_seconds: 10", "timeout_seconds: 45")
    change_config(catalog)
    tag_next(catalog, "1.1.0", "warning level")
    before = snapshot(repo)

    code, output = invoke(cli, "update", str(repo), "--dry-run")

    assert code == 0, output
    assert "+log_level: warning" in output
    assert "would update" in output
    assert snapshot(repo) == before


def test_dirty_tree_is_refused_untracked_files_count(
    catalog: Path, tmp_path: Path, cli: CliRunner
) -> None:
    repo = new_project(cli, catalog, tmp_path / "svc")
    change_config(catalog)
    tag_next(catalog, "1.1.0", "warning level")
    write(repo / "scratch.txt", "not committed")
    before = snapshot(repo)

    code, output = invoke(cli, "update", str(repo))

    assert code == 1
    assert "working tree is not clean" in output
    assert len([line for line in output.splitlines() if line.startswith("error:")]) == 1
    assert snapshot(repo) == before


def test_downgrade_is_refused(catalog: Path, tmp_path: Path, cli: CliRunner) -> None:
    change_config(catalog)
    tag_next(catalog, "1.1.0", "warning level")
    repo = new_project(cli, catalog, tmp_path / "svc")
    before = snapshot(repo)

    code, output = invoke(cli, "update", str(repo), "--to", "1.0.0")

    assert code == 1
    assert "refusing to downgrade from 1.1.0 to 1.0.0" in output
    assert snapshot(repo) == before


def test_update_to_a_specific_version_and_already_current(
    catalog: Path, tmp_path: Path, cli: CliRunner
) -> None:
    repo = new_project(cli, catalog, tmp_path / "svc")
    change_config(catalog)
    tag_next(catalog, "1.1.0", "warning level")
    write(catalog / "svc/template/LATER.md", "later\n")
    tag_next(catalog, "1.2.0", "later file")

    result = update(repo, to="1.1.0")
    assert result.error is None
    assert (result.from_version, result.to_version) == ("1.0.0", "1.1.0")
    assert [str(e.version) for e in result.changelog] == ["1.1.0"]
    assert not (repo / "LATER.md").exists()
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "take 1.1.0")
    assert update(repo).to_version == "1.2.0"
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "take 1.2.0")
    again = update(repo)
    assert again.up_to_date


def test_not_a_generated_repository_is_an_error_result(tmp_path: Path) -> None:
    result = update(tmp_path)
    assert result.error is not None
    assert "not a repository generated by goldenpath" in result.error.message
    assert result.exit_code == 1


def test_update_on_a_second_machine_with_a_newer_goldenpath(
    packaged: dict[str, Path], tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Machine A runs the older goldenpath (catalog 1.0.0) and commits the repository.
    repo = tmp_path / "svc"
    assert invoke(cli, "new", "svc", str(repo), "--defaults")[0] == 0
    commit_edit(repo, "config.yaml", "timeout_seconds: 10", "timeout_seconds: 20")
    # Machine B: another HOME that never saw the catalog, with a newer goldenpath.
    other_home = tmp_path / "laptop-b"
    other_home.mkdir()
    monkeypatch.setenv("HOME", str(other_home))
    use_package(monkeypatch, packaged["new"])

    code, output = invoke(cli, "update", str(repo))

    assert code == 0, output
    assert "1.0.0 -> 1.1.0" in output
    assert "timeout_seconds: 20" in (repo / "config.yaml").read_text()
    assert (other_home / ".goldenpath/catalog/builtin.bundle").is_file()


def test_an_older_goldenpath_keeps_the_newer_catalog(
    packaged: dict[str, Path],
    tmp_path: Path,
    cli: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    fresh_user: Path,
) -> None:
    use_package(monkeypatch, packaged["new"])
    assert invoke(cli, "templates")[0] == 0  # the newer goldenpath installs 1.1.0
    use_package(monkeypatch, packaged["old"])  # then the older one runs on the same machine
    code, output = invoke(cli, "templates", "--json")
    assert code == 0
    assert json.loads(output)["versions"] == ["1.1.0", "1.0.0"]
    repo = tmp_path / "svc"
    assert invoke(cli, "new", "svc", str(repo), "--defaults")[0] == 0
    assert "_commit: v1.1.0" in (repo / ".copier-answers.yml").read_text()


def test_install_merges_instead_of_replacing(
    packaged: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_package(monkeypatch, packaged["old"])
    installed = catalogs.install_builtin()
    mtime = installed.stat().st_mtime_ns
    assert catalogs.install_builtin().stat().st_mtime_ns == mtime  # nothing new: untouched
    use_package(monkeypatch, packaged["new"])
    catalogs.install_builtin()
    assert sorted(bundles.tags(installed)) == ["v1.0.0", "v1.1.0"]


def test_repository_from_a_newer_goldenpath_asks_for_an_upgrade(
    packaged: dict[str, Path], tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_package(monkeypatch, packaged["new"])
    repo = tmp_path / "svc"
    assert invoke(cli, "new", "svc", str(repo), "--defaults")[0] == 0
    other_home = tmp_path / "old-laptop"
    other_home.mkdir()
    monkeypatch.setenv("HOME", str(other_home))
    use_package(monkeypatch, packaged["old"])  # this machine only has an older goldenpath
    for command in ("update", "check"):
        code, output = invoke(cli, command, str(repo))
        assert code == 1
        assert "catalog version 1.1.0 is unknown to builtin" in output
        assert "upgrade goldenpath" in output


# --- each conflict rule on its own ----------------------------------------------------------
# Copier marks an inline conflict as unmerged AND writes markers, so an end-to-end test would
# still pass with either rule dropped. These states each trigger exactly one rule.


def _plain_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "plain"
    write(repo / "a.txt", "one\ntwo\n")
    write(repo / "b.txt", "three\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    return repo


def _conflicts(repo: Path) -> list[str]:
    result = UpdateResult(path=repo)
    update_service._classify(result, repo)
    return result.conflicts


def test_conflict_markers_alone_count_as_a_conflict(tmp_path: Path) -> None:
    repo = _plain_repo(tmp_path)
    write(repo / "a.txt", "<<<<<<< before updating\none\n=======\nuno\n>>>>>>> after updating\n")
    assert git(repo, "status", "--porcelain") == " M a.txt\n"  # not unmerged
    assert _conflicts(repo) == ["a.txt"]


def test_an_unmerged_file_without_markers_counts_as_a_conflict(tmp_path: Path) -> None:
    repo = _plain_repo(tmp_path)
    blobs = {
        stage: git(repo, "hash-object", "-w", "--stdin", input_text=text).strip()
        for stage, text in ((1, "one\n"), (2, "two\n"), (3, "three\n"))
    }
    remove_stage_0 = f"0 {'0' * 40}\ta.txt\n"
    stages = "".join(f"100644 {sha} {stage}\ta.txt\n" for stage, sha in blobs.items())
    entries = remove_stage_0 + stages
    git(repo, "update-index", "--index-info", input_text=entries)
    write(repo / "a.txt", "resolved by hand, no marker text\n")
    assert git(repo, "status", "--porcelain").startswith("UU a.txt")
    assert _conflicts(repo) == ["a.txt"]


def test_a_reject_file_alone_counts_as_a_conflict(tmp_path: Path) -> None:
    repo = _plain_repo(tmp_path)
    write(repo / "b.txt.rej", "@@ -1 +1 @@\n-three\n+drei\n")
    assert _conflicts(repo) == ["b.txt"]


def test_a_plain_change_is_no_conflict(tmp_path: Path) -> None:
    repo = _plain_repo(tmp_path)
    write(repo / "a.txt", "one\ntwo\nthree\n")
    assert _conflicts(repo) == []
