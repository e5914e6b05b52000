"""The builtin catalog exactly as the package ships it: every template renders from the
bundle, and a repository made from the first release updates to the latest one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from goldenpath.services import catalogs
from goldenpath.versions import Version

from .catalog_factory import git
from .conftest import invoke

TEMPLATES = ["realtime-inference", "batch-inference", "training-pipeline"]


@pytest.mark.parametrize("template", TEMPLATES)
def test_each_builtin_template_renders_from_the_shipped_bundle(
    template: str, tmp_path: Path, cli: CliRunner
) -> None:
    dest = tmp_path / "my-project"
    code, output = invoke(cli, "new", template, str(dest), "--defaults")
    assert code == 0, output
    answers = (dest / ".copier-answers.yml").read_text()
    assert f"template: {template}" in answers
    assert "_src_path: ~/.goldenpath/catalog/builtin.bundle" in answers
    assert (dest / "README.md").is_file()
    assert (dest / "pyproject.toml").is_file()
    assert (dest / "src" / "my_project").is_dir()
    assert git(dest, "status", "--porcelain") == ""


def test_first_release_updates_to_the_latest_keeping_local_files(
    tmp_path: Path, cli: CliRunner
) -> None:
    shipped = catalogs.versions(catalogs.for_source(catalogs.BUILTIN_SOURCE))
    if len(shipped) < 2:
        pytest.skip(f"the package ships only {shipped}: nothing to update to")
    first, latest = shipped[0], shipped[-1]
    dest = tmp_path / "my-service"
    code, output = invoke(
        cli, "new", "realtime-inference", str(dest), "--defaults", "--version", str(first)
    )
    assert code == 0, output
    (dest / "NOTES.md").write_text("our own notes\n")
    git(dest, "add", "NOTES.md")
    git(dest, "commit", "-qm", "our notes")

    code, output = invoke(cli, "update", str(dest), "--json")

    assert code == 0, output  # no edits to template files: nothing can conflict
    result = json.loads(output)
    assert (result["from"], result["to"], result["conflicts"]) == (str(first), str(latest), [])
    assert f"_commit: v{latest}" in (dest / ".copier-answers.yml").read_text()
    assert (dest / "NOTES.md").read_text() == "our own notes\n"
    # A realtime repository is shown realtime (and shared) notes only, never another
    # template's, such as batch-inference's "terraform import" instructions of 0.3.0.
    notes = "\n".join(entry["notes"] for entry in result["changelog"])
    assert "realtime-inference" in notes
    for foreign in ("batch-inference", "training-pipeline", "terraform import"):
        assert foreign not in notes, foreign


def test_full_batch_release_updates_to_the_latest_keeping_local_edits(
    tmp_path: Path, cli: CliRunner
) -> None:
    """0.2.0 brought the complete templates; later releases reworked batch-inference's
    storage, engines, CD and Terraform. A team's edits to those same files survive."""
    shipped = catalogs.versions(catalogs.for_source(catalogs.BUILTIN_SOURCE))
    full = Version.parse("0.2.0")
    if full not in shipped or shipped[-1] == full:
        pytest.skip(f"the package ships {shipped}: no release after {full}")
    dest = tmp_path / "my-job"
    code, output = invoke(
        cli, "new", "batch-inference", str(dest), "--defaults", "--version", str(full)
    )
    assert code == 0, output
    job = dest / "src" / "my_job" / "job.py"
    job.write_text(job.read_text() + "# our team's note\n")
    cronjob = dest / "deploy" / "k8s" / "cronjob.yaml"
    cronjob.write_text(cronjob.read_text().replace("backoffLimit: 2", "backoffLimit: 4"))
    git(dest, "commit", "-qam", "our edits")

    code, output = invoke(cli, "update", str(dest), "--json")

    assert code == 0, output
    assert f"_commit: v{shipped[-1]}" in (dest / ".copier-answers.yml").read_text()
    assert job.read_text().endswith("# our team's note\n")
    assert "backoffLimit: 4" in cronjob.read_text()
    assert (dest / "infra" / "modules" / "batch-job" / "schedule.tf").is_file()
    assert not list(dest.rglob("*.rej"))
