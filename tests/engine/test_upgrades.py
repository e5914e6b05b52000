"""``goldenpath catalog test-upgrades`` on a small catalog: two releases in a bundle and a
working tree on top, real copier, git, ruff and pytest.

The ``svc`` template renders what the user-edit fixtures need (a package with an entry
point, a Prometheus alert with a threshold, an ADR) and its own tests, so every check runs
for real. A working tree that rewrites the alert line the fixture edits must fail its
cells at ``no-conflicts``; one that changes something else must pass.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from goldenpath.adapters import bundles
from goldenpath.catalog.migrations import RENAME_FILE, Migration, MigrationOutcome
from goldenpath.catalog.upgrades import checks, edits, repository
from goldenpath.cli import app
from goldenpath.errors import CatalogError
from goldenpath.versions import Version

from .catalog_factory import make_catalog_tree, release_notes, write
from .conftest import invoke

PACKAGE = "{{ project_name | replace('-', '_') }}"
MANIFEST = """\
name: svc
description: A small service
choice_label: "svc: a small service"
component: service
noun: service
defaults: {project_name: demo-project, description: A small service}
next_steps: [make run]
recommend:
  trait: online
  question: Does a caller wait for each answer?
  reason: callers wait
  rank: 1
  fallback: nothing else matched
presets:
  default: {}
  big: {port: 9000, replicas: 3}
"""
PYPROJECT = """\
[project]
name = "{{ project_name }}"
version = "0.1.0"

[project.scripts]
{{ project_name }} = "PACKAGE.app:main"

[tool.ruff]
line-length = 100

[tool.pytest.ini_options]
pythonpath = ["src"]
""".replace("PACKAGE", PACKAGE)
APP = '''\
"""The {{ project_name }} service."""


def main() -> int:
    """Serve on port {{ port }}."""
    return 0
'''
TEST_APP = """\
from PACKAGE.app import main


def test_main() -> None:
    assert main() == 0
""".replace("PACKAGE", PACKAGE)
ALERTS = """\
groups:
  - name: {{ project_name }}
    rules:
      - record: job:errors:rate5m
        expr: sum(rate(errors_total[5m]))
      - alert: ServiceDown
        expr: up == 0
        for: 1m
      - alert: TooManyErrors
        expr: job:errors:rate5m > 5
        for: 5m
"""


def svc_catalog(root: Path) -> Path:
    """The factory catalog with a manifest and a project worth editing in ``svc``."""
    make_catalog_tree(root)
    tree = root / "svc" / "template"
    write(root / "svc" / "template.yml", MANIFEST)
    write(tree / "pyproject.toml.jinja", PYPROJECT)
    write(tree / "src" / PACKAGE / "__init__.py.jinja", '"""{{ project_name }}."""\n')
    write(tree / "src" / PACKAGE / "app.py.jinja", APP)
    write(tree / "tests" / "test_app.py.jinja", TEST_APP)
    write(tree / "monitoring" / "alerts.yml.jinja", ALERTS)
    write(tree / "docs" / "adr" / "0001-one-process.md", "# One process per pod\n")
    return root


def released(tmp_path: Path) -> tuple[Path, Path]:
    """(working tree at 1.2.0, bundle with 1.0.0 and 1.1.0); 1.2.0 adds a question."""
    source = svc_catalog(tmp_path / "templates")
    bundle = tmp_path / "released.bundle"
    bundles.release(None, source, "v1.0.0", None, "2026-01-01", bundle)
    readme = source / "svc" / "template" / "README.md.jinja"
    write(readme, readme.read_text(encoding="utf-8") + "\nSee docs/adr.\n")
    release_notes(source, "1.1.0", "README points at the ADRs")
    bundles.release(bundle, source, "v1.1.0", "v1.0.0", "2026-02-01", bundle)
    questions = source / "svc" / "questions.yml"
    write(
        questions,
        questions.read_text(encoding="utf-8")
        + "replicas:\n  type: int\n  help: Replicas\n  default: 2\n"
        + "  when: \"{{ template == 'svc' }}\"\n",
    )
    release_notes(source, "1.2.0", "replicas question", day="2026-03-01")
    return source, bundle


def run_json(cli: CliRunner, source: Path, bundle: Path, *args: str) -> tuple[int, Any]:
    """The command with --json; (exit code, the JSON it printed on stdout)."""
    base = ["catalog", "test-upgrades", str(source), "--catalog", str(bundle), "--json"]
    result = cli.invoke(app, [*base, "--python", sys.executable, *args])
    return result.exit_code, json.loads(result.stdout)


def test_a_clean_release_passes_every_cell(tmp_path: Path, cli: CliRunner) -> None:
    source, bundle = released(tmp_path)
    config = source / "svc" / "template" / "config.yaml.jinja"
    write(config, config.read_text(encoding="utf-8").replace("retries: 3", "retries: 5"))
    code, data = run_json(cli, source, bundle, "--preset", "big")
    assert code == 0, data
    assert data["target"] == "1.2.0"
    assert data["from"] == ["1.0.0", "1.1.0"]  # default: the last two releases
    assert (data["passed"], data["failed"], data["skipped"]) == (2, 0, 0)
    cells = {c["from"]: c for c in data["cells"]}
    assert [(c["from"], c["to"], c["template"], c["preset"]) for c in data["cells"]] == [
        ("1.0.0", "1.2.0", "svc", "big"),
        ("1.1.0", "1.2.0", "svc", "big"),
    ]
    names = [check["name"] for check in cells["1.0.0"]["checks"]]
    assert names == [
        "render",
        "edits",
        "update",
        "no-conflicts",
        "kept-added-line",
        "kept-threshold",
        "kept-deleted-file",
        "migrations",
        "answers-version",
        "lint",
        "tests",
    ]
    statuses = {c["name"]: c["status"] for c in cells["1.0.0"]["checks"]}
    assert statuses.pop("migrations") == "not-applicable"  # the release declares none
    assert set(statuses.values()) == {"passed"}
    edited = cells["1.0.0"]["checks"][1]["detail"]
    assert "src/demo_project/app.py" in edited
    assert "TooManyErrors" in edited  # the first alert with a numeric threshold (not `== 0`)
    assert "> 5 changed to > 6" in edited
    assert "docs/adr/0001-one-process.md" in edited
    # the released versions do not ask `replicas`: the preset's answer is dropped, and said so
    assert cells["1.0.0"]["notes"] == ["answers 1.0.0 does not know, dropped: replicas"]
    assert set(data) == {
        "source",
        "catalog",
        "target",
        "from",
        "cells",
        "notes",
        "seconds",
        "passed",
        "failed",
        "skipped",
    }
    assert set(cells["1.0.0"]) == {
        "from",
        "to",
        "template",
        "preset",
        "outcome",
        "checks",
        "notes",
        "seconds",
        "failed_check",
        "detail",
    }


def test_a_release_that_rewrites_an_edited_line_fails_at_no_conflicts(
    tmp_path: Path, cli: CliRunner
) -> None:
    source, bundle = released(tmp_path)
    alerts = source / "svc" / "template" / "monitoring" / "alerts.yml.jinja"
    write(alerts, alerts.read_text(encoding="utf-8").replace("rate5m > 5", "rate5m > 10"))
    code, data = run_json(cli, source, bundle, "--from", "1.1.0", "--preset", "default")
    assert code == 3
    [cell] = data["cells"]
    assert (cell["from"], cell["to"], cell["outcome"]) == ("1.1.0", "1.2.0", "failed")
    assert cell["failed_check"] == "no-conflicts"
    assert cell["detail"] == "conflicts in monitoring/alerts.yml"
    assert data["failed"] == 1


def test_declared_migrations_and_conflicts_are_checked(tmp_path: Path, cli: CliRunner) -> None:
    source, bundle = released(tmp_path)
    tree = source / "svc" / "template"
    (tree / "config.yaml.jinja").rename(tree / "conf.yaml.jinja")
    alerts = tree / "monitoring" / "alerts.yml.jinja"
    write(alerts, alerts.read_text(encoding="utf-8").replace("rate5m > 5", "rate5m > 10"))
    write(
        source / "svc" / "migrations.yml",
        """\
        - version: 1.2.0
          rename_file: {from: config.yaml, to: conf.yaml}
        - version: 1.2.0
          expect_conflict: {path: monitoring/alerts.yml, reason: the error threshold is 10}
        """,
    )
    code, data = run_json(cli, source, bundle, "--from", "1.1.0", "--preset", "default")
    [cell] = data["cells"]
    checks = {check["name"]: check for check in cell["checks"]}
    assert code == 0, cell
    assert checks["no-conflicts"]["detail"] == "only the declared conflicts: monitoring/alerts.yml"
    assert checks["kept-threshold"] == {
        "name": "kept-threshold",
        "status": "not-applicable",
        "detail": "the release declares a conflict in monitoring/alerts.yml",
    }
    assert checks["migrations"]["status"] == "passed"
    assert "move config.yaml -> conf.yaml: moved" in checks["migrations"]["detail"]
    assert "conflict, as announced" in checks["migrations"]["detail"]


def test_a_migration_missing_from_the_update_fails_the_check() -> None:
    move = Migration(Version(1, 2, 0), RENAME_FILE, path="a.md", new_path="b.md")
    check = checks.migrations_applied([], [move], "1.1.0 -> 1.2.0")
    assert (check.status, check.detail) == ("failed", "not applied: 1.2.0 move a.md -> b.md")
    listed = MigrationOutcome("1.2.0", RENAME_FILE, "move a.md -> b.md", "moved")
    assert checks.migrations_applied([listed], [move], "1.1.0 -> 1.2.0").status == "passed"
    none = checks.migrations_applied([], [], "1.1.0 -> 1.2.0")
    assert (none.status, none.detail) == (
        "not-applicable",
        "no migration declared for 1.1.0 -> 1.2.0",
    )


def test_text_output_names_the_failing_check(tmp_path: Path, cli: CliRunner) -> None:
    source, bundle = released(tmp_path)
    test = source / "svc" / "template" / "tests" / "test_app.py.jinja"
    write(test, test.read_text(encoding="utf-8").replace("main() == 0", "main() == 2"))
    code, output = invoke(
        cli,
        "catalog",
        "test-upgrades",
        str(source),
        "--catalog",
        str(bundle),
        "--python",
        sys.executable,
        "--from",
        "1.1.0",
        "--preset",
        "default",
    )
    assert code == 3, output
    assert "1.1.0  1.2.0  svc" in output
    assert "failed" in output
    assert "tests: `" in output  # the project's own test now fails
    assert "0 passed, 1 failed, 0 skipped" in output


def test_without_python_the_makefile_sets_up_lints_and_tests(
    tmp_path: Path, cli: CliRunner
) -> None:
    source, bundle = released(tmp_path)
    write(
        source / "svc" / "template" / "Makefile",
        "setup:\n\t@echo set up > .ready\nlint:\n\t@test -f .ready\n"
        "test:\n\t@echo 2 failed, 3 passed; exit 1\n",
    )
    base = ["catalog", "test-upgrades", str(source), "--catalog", str(bundle), "--json"]
    result = cli.invoke(app, [*base, "--from", "1.1.0", "--preset", "default"])
    [cell] = json.loads(result.stdout)["cells"]
    checks = {check["name"]: check for check in cell["checks"]}
    assert result.exit_code == 3
    assert (checks["setup"]["status"], checks["lint"]["status"]) == ("passed", "passed")
    assert cell["failed_check"] == "tests"
    assert cell["detail"].startswith("`make test` exited with 2:\n2 failed, 3 passed\n")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9.9.9", "error: --from 9.9.9 is not a release older than 1.2.0"),
        ("1.2.0", "error: --from 1.2.0 is not a release older than 1.2.0"),
        ("one", "error: --from: not a catalog version: 'one' (expected X.Y.Z)"),
    ],
)
def test_a_bad_from_is_one_error_line(
    tmp_path: Path, cli: CliRunner, value: str, message: str
) -> None:
    source, bundle = released(tmp_path)
    code, output = invoke(
        cli, "catalog", "test-upgrades", str(source), "--catalog", str(bundle), "--from", value
    )
    assert code == 2
    assert output.splitlines()[0] == message
    assert "Traceback" not in output


def test_unknown_template_or_preset_is_a_usage_error(tmp_path: Path, cli: CliRunner) -> None:
    source, bundle = released(tmp_path)
    base = ("catalog", "test-upgrades", str(source), "--catalog", str(bundle))
    code, output = invoke(cli, *base, "--template", "nope")
    assert (code, output.splitlines()[0]) == (2, "error: unknown template 'nope'")
    code, data = run_json(cli, source, bundle, "--preset", "nope")
    assert code == 2
    assert data["error"]["message"] == "no selected template has a preset 'nope'"


# --- the private catalog ------------------------------------------------------------------


def test_private_catalog_adds_the_working_tree_on_top_of_the_releases(tmp_path: Path) -> None:
    source, bundle = released(tmp_path)
    built = repository.build(source, str(bundle), tmp_path / "out-a")
    assert (str(built.target), [str(v) for v in built.released]) == ("1.2.0", ["1.0.0", "1.1.0"])
    assert bundles.parent_of(built.bundle, "v1.2.0") == bundles.tags(bundle)["v1.1.0"]
    assert bundles.tree_at(built.bundle, "v1.2.0") == bundles.tree_of(source)
    assert built.note == ""


def test_released_version_identical_is_tested_as_is(tmp_path: Path) -> None:
    source, bundle = released(tmp_path)
    bundles.release(bundle, source, "v1.2.0", "v1.1.0", "2026-03-01", bundle)
    before = bundle.read_bytes()
    built = repository.build(source, str(bundle), tmp_path / "out")
    assert (str(built.target), built.note) == ("1.2.0", "")
    assert [str(v) for v in built.released] == ["1.0.0", "1.1.0"]
    assert bundle.read_bytes() == before  # the released catalog is only read


def test_released_version_changed_since_is_tested_as_the_next_patch(tmp_path: Path) -> None:
    source, bundle = released(tmp_path)
    bundles.release(bundle, source, "v1.2.0", "v1.1.0", "2026-03-01", bundle)
    write(source / "svc" / "template" / "NEW.md", "new\n")
    built = repository.build(source, str(bundle), tmp_path / "out")
    assert str(built.target) == "1.2.1"
    assert [str(v) for v in built.released] == ["1.0.0", "1.1.0", "1.2.0"]
    assert "VERSION 1.2.0 is released" in built.note


def test_a_version_older_than_the_latest_release_is_refused(tmp_path: Path) -> None:
    source, bundle = released(tmp_path)
    write(source / "VERSION", "1.0.5\n")
    with pytest.raises(CatalogError, match=r"VERSION 1\.0\.5 .* older than the latest release"):
        repository.build(source, str(bundle), tmp_path / "out")


# --- the edit fixtures, without copier --------------------------------------------------------


def _project(root: Path) -> Path:
    write(
        root / "pyproject.toml",
        '[project]\nname = "x"\n[project.scripts]\nx = "x_pkg.cli:main"\n',
    )
    write(root / "src/x_pkg/__init__.py", '"""x."""\n')
    write(root / "src/x_pkg/cli.py", '"""cli."""\n')
    write(
        root / "monitoring/prometheus/alerts.yml",
        """\
        groups:
          - name: g
            rules:
              - alert: Failed
                expr: success == 0
              - alert: Late
                expr: (time() - last_success)
                  > 102600
        """,
    )
    write(root / "loadtest/locustfile.py", "")
    return root


def test_edits_are_chosen_from_what_the_render_holds(tmp_path: Path) -> None:
    root = _project(tmp_path)
    plan = edits.plan(root)
    assert plan.not_applicable == {}
    added, threshold, deleted = plan.edits
    assert added == edits.AddedFunction("src/x_pkg/cli.py")
    assert threshold == edits.ChangedThreshold(
        "monitoring/prometheus/alerts.yml", "Late", ">", "102600", "102601"
    )
    assert deleted == edits.DeletedFile("loadtest/locustfile.py")
    for edit in plan.edits:
        assert edit.problem(root) != ""  # not applied yet: each check can fail
        edit.apply(root)
        assert edit.problem(root) == ""
    assert "  > 102601\n" in (root / "monitoring/prometheus/alerts.yml").read_text()


def test_a_lost_edit_is_named(tmp_path: Path) -> None:
    root = _project(tmp_path)
    added, threshold, deleted = edits.plan(root).edits
    for edit in (added, threshold, deleted):
        edit.apply(root)
    write(root / "src/x_pkg/cli.py", '"""cli, rewritten."""\n')
    alerts = root / "monitoring/prometheus/alerts.yml"
    alerts.write_text(alerts.read_text().replace("102601", "102600"))
    write(root / "loadtest/locustfile.py", "")
    assert added.problem(root) == "src/x_pkg/cli.py lost the appended local_upgrade_marker()"
    assert threshold.problem(root).startswith("alert Late lost the threshold > 102601")
    assert deleted.problem(root) == "loadtest/locustfile.py is back"


def test_a_render_without_targets_makes_edits_not_applicable(tmp_path: Path) -> None:
    write(tmp_path / "README.md", "hi\n")
    plan = edits.plan(tmp_path)
    assert plan.edits == ()
    assert set(plan.not_applicable) == {"added-line", "threshold", "deleted-file"}


@pytest.mark.parametrize(
    ("number", "bumped"),
    [("0.05", "0.06"), ("14.4", "14.5"), ("102600", "102601"), ("0", "1"), ("0.999", "1.000")],
)
def test_bump_adds_one_unit_in_the_last_digit(number: str, bumped: str) -> None:
    assert edits.bump(number) == bumped
