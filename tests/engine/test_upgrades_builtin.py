"""The builtin catalog: every template of the working tree updates cleanly from the
previous release, with the user-edit fixtures applied and the project's own lint and tests
run in the generated-project environment (``.venv-gen``).

It is what `goldenpath catalog test-upgrades --from <previous> --preset aws-github
--python .venv-gen/bin/python` reports before a release, as a test: three cells of real
renders, updates and test suites, so it runs in its own xdist group.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from template_harness.cases import TEMPLATES
from template_harness.tools import TEMPLATES_DIR, ToolMissing, gen_python
from typer.testing import CliRunner

from goldenpath.catalog.upgrades import repository, service
from goldenpath.catalog.upgrades.checks import Toolchain
from goldenpath.cli import app
from goldenpath.versions import Version

pytestmark = pytest.mark.xdist_group("upgrades-builtin")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def _interpreter() -> Path:
    """``.venv-gen``'s interpreter: skipped locally when absent, a failure in CI."""
    try:
        return gen_python()
    except ToolMissing as exc:
        if _in_ci():
            pytest.fail(f"required tool missing in CI: {exc}", pytrace=False)
        pytest.skip(f"tool missing (this fails in CI): {exc}")


def test_every_template_updates_from_the_previous_release(tmp_path: Path) -> None:
    python = _interpreter()
    # The previous release as the command sees it: the latest one older than the target.
    previous = repository.build(TEMPLATES_DIR, None, tmp_path).released[-1]
    result = CliRunner().invoke(
        app,
        [
            "catalog",
            "test-upgrades",
            str(TEMPLATES_DIR),
            "--from",
            str(previous),
            "--preset",
            "aws-github",
            "--python",
            str(python),
            "--jobs",
            "2",
            "--json",
        ],
    )
    data = json.loads(result.stdout)
    failures = {
        f"{c['template']}-{c['preset']}": f"{c['failed_check']}: {c['detail']}"
        for c in data.get("cells", [])
        if c["outcome"] != "passed"
    }
    assert result.exit_code == 0, failures or data
    assert data["from"] == [str(previous)]
    assert sorted(c["template"] for c in data["cells"]) == sorted(TEMPLATES)
    for cell in data["cells"]:
        statuses = {check["name"]: check["status"] for check in cell["checks"]}
        # a release may declare no migration; everything else applies to every builtin
        # template (every edit fixture included): nothing passes by being skipped
        assert statuses.pop("migrations") in {"passed", "not-applicable"}
        assert set(statuses.values()) == {"passed"}, (cell["template"], statuses)
        assert {"kept-added-line", "kept-threshold", "kept-deleted-file", "tests"} <= set(statuses)


def test_a_preset_answer_the_old_release_asks_of_other_templates_only_is_dropped(
    tmp_path: Path,
) -> None:
    """0.7.0 asks ``engine`` of batch-inference only; training-pipeline's Spark preset
    answers it. The cell renders 0.7.0 without it (and says so) instead of failing."""
    request = service.UpgradeRequest(
        source=TEMPLATES_DIR,
        templates=("training-pipeline",),
        presets=("gcp-gitlab-regression-features",),
    )
    catalog = repository.build(TEMPLATES_DIR, None, tmp_path)
    selected = service._manifests(request)
    tools = Toolchain(None, request.timeout)
    [job] = service._jobs_for_version(request, catalog, Version.parse("0.7.0"), selected, tools)
    assert job.problem == ""
    assert job.notes == ("answers 0.7.0 does not ask of training-pipeline, dropped: engine",)
    assert "engine" not in job.answers
    assert job.answers["task"] == "regression", "the answers that apply are kept"
