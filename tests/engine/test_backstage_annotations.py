"""The Backstage annotations of ``catalog-info.yaml`` follow the repository through updates.

The working tree's catalog (``templates/``) is committed into a temporary git repository and
tagged twice, like two releases: a render of the first carries its version, and
``goldenpath update`` to the second changes the annotation while keeping an edit the team
made to the same file (the Backstage Template it names).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from typer.testing import CliRunner

from .catalog_factory import git, tag_next
from .conftest import invoke

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SOURCE_TEMPLATE = "backstage.io/source-template"


def versioned_copy(root: Path) -> Path:
    """``templates/`` as a git catalog tagged v1.0.0."""
    shutil.copytree(
        TEMPLATES, root, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*_cache")
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "v1.0.0")
    git(root, "tag", "v1.0.0")
    return root


def annotations_of(repo: Path) -> dict[str, str]:
    info = yaml.safe_load((repo / "catalog-info.yaml").read_text(encoding="utf-8"))
    found: dict[str, str] = info["metadata"]["annotations"]
    return found


def test_update_moves_the_catalog_version_annotation_and_keeps_local_edits(
    tmp_path: Path, cli: CliRunner
) -> None:
    catalog = versioned_copy(tmp_path / "catalog")
    repo = tmp_path / "svc"
    code, output = invoke(
        cli, "new", "batch-inference", str(repo), "--defaults", "--catalog", str(catalog)
    )
    assert code == 0, output
    before = annotations_of(repo)
    assert before["goldenpath.dev/template"] == "batch-inference"
    assert before["goldenpath.dev/catalog-version"] == "1.0.0"
    assert SOURCE_TEMPLATE not in before

    # The team registers a Backstage Template that wraps goldenpath and names it.
    info = repo / "catalog-info.yaml"
    suggested = "    # backstage.io/source-template: template:default/batch-inference\n"
    named = "    backstage.io/source-template: template:default/ml-batch-job\n"
    text = info.read_text(encoding="utf-8")
    assert suggested in text
    info.write_text(text.replace(suggested, named), encoding="utf-8")
    git(repo, "commit", "-qam", "name our Backstage template")

    tag_next(catalog, "1.1.0", "a release")
    code, output = invoke(cli, "update", str(repo))
    assert code == 0, output
    after = annotations_of(repo)
    assert after["goldenpath.dev/catalog-version"] == "1.1.0"
    assert after["goldenpath.dev/template"] == "batch-inference"
    assert after[SOURCE_TEMPLATE] == "template:default/ml-batch-job"
    assert "_commit: v1.1.0" in (repo / ".copier-answers.yml").read_text(encoding="utf-8")
