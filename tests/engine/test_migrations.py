"""Catalog migrations (``<template>/migrations.yml``): data that ``goldenpath update`` applies
without --trust, keeping every local edit.

The test catalog's v1.1.0 moves the svc runbook (and changes its last line), deletes two
load-test files, renames the ``alert_channel`` answer to ``notify_channel`` and replaces the
``canary`` rollout by ``progressive``.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from goldenpath.adapters import git_adapter
from goldenpath.catalog import migrations
from goldenpath.errors import CatalogError
from goldenpath.services import release
from goldenpath.services import update as update_service
from goldenpath.versions import Version

from .catalog_factory import git, make_catalog_tree, release_notes, tag_next, write
from .conftest import commit_edit, invoke, new_project, snapshot

RUNBOOK_V1 = """\
# Runbook for {{ project_name }}

Step one: look at the dashboard.
Step two: read the logs.
Step three: roll back.

Contact: ops.
"""
QUESTIONS_V1 = """\
rollout:
  type: str
  help: How a new version rolls out
  choices: [canary, blue-green]
  default: canary
  when: "{{ template == 'svc' }}"
alert_channel:
  type: str
  help: Where alerts go
  default: "#alerts"
  when: "{{ template == 'svc' }}"
"""
QUESTIONS_V2 = """\
rollout:
  type: str
  help: How a new version rolls out
  choices: [progressive, blue-green]
  default: progressive
  when: "{{ template == 'svc' }}"
notify_channel:
  type: str
  help: Where alerts go
  default: "#alerts"
  when: "{{ template == 'svc' }}"
"""
MIGRATIONS = """\
# applied by `goldenpath update` when moving across the version that declares them
- version: 1.1.0
  rename_file: {from: docs/old.md, to: docs/runbook.md}
- version: 1.1.0
  delete_file: loadtest/old.py
- version: 1.1.0
  delete_file: "loadtest/{{ project_name }}_legacy.py"
- version: 1.1.0
  rename_answer: {from: alert_channel, to: notify_channel}
- version: 1.1.0
  change_answer: {key: rollout, from: canary, to: progressive}
- version: 1.1.0
  expect_conflict: {path: docs/runbook.md, reason: the contact line changed}
"""
NOTES = (
    "Moved docs/old.md to docs/runbook.md; deleted loadtest/old.py and "
    "loadtest/{{ project_name }}_legacy.py; answer alert_channel is now notify_channel "
    "(copier: `copier update -d notify_channel=...`); rollout canary is now progressive "
    "(`-d rollout=progressive`)."
)
SVC = "svc/template"


def _v1(root: Path) -> Path:
    """The factory's catalog plus a runbook, two load tests and two answers they render."""
    make_catalog_tree(root)
    write(root / "svc/questions.yml", (root / "svc/questions.yml").read_text() + QUESTIONS_V1)
    write(root / f"{SVC}/docs/old.md.jinja", RUNBOOK_V1)
    write(
        root / f"{SVC}/deploy.yaml.jinja", 'rollout: {{ rollout }}\nalerts: "{{ alert_channel }}"\n'
    )
    write(root / f"{SVC}/loadtest/old.py.jinja", "print('old load test')\n")
    write(root / f"{SVC}/loadtest/{{{{ project_name }}}}_legacy.py.jinja", "print('legacy')\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "v1.0.0")
    git(root, "tag", "v1.0.0")
    return root


def _v2(root: Path, note: str = NOTES) -> None:
    """v1.1.0: the moves, deletions and answer changes of ``MIGRATIONS``, announced."""
    runbook = RUNBOOK_V1.replace("Contact: ops.", "Contact: the on-call engineer.")
    (root / f"{SVC}/docs/old.md.jinja").unlink()
    write(root / f"{SVC}/docs/runbook.md.jinja", runbook)
    for path in (root / f"{SVC}/loadtest").iterdir():
        path.unlink()
    questions = (root / "svc/questions.yml").read_text().replace(QUESTIONS_V1, QUESTIONS_V2)
    write(root / "svc/questions.yml", questions)
    write(
        root / f"{SVC}/deploy.yaml.jinja",
        'rollout: {{ rollout }}\nalerts: "{{ notify_channel }}"\n',
    )
    write(root / "svc/migrations.yml", MIGRATIONS)
    tag_next(root, "1.1.0", note)


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    """An organisation catalog (untrusted: no --trust, not in the config) at v1.0.0."""
    return _v1(tmp_path / "org-catalog")


def _outcomes(result: dict[str, object]) -> dict[str, str]:
    steps = result["migrations"]
    assert isinstance(steps, list)
    return {step["description"]: step["outcome"] for step in steps}


def test_update_applies_migrations_keeping_edits_without_trust(
    catalog: Path, tmp_path: Path, cli: CliRunner
) -> None:
    repo = new_project(cli, catalog, tmp_path / "svc")
    commit_edit(repo, "docs/old.md", "read the logs.", "read the logs in Loki.")
    commit_edit(repo, "loadtest/svc_legacy.py", "legacy", "legacy, tuned by us")
    _v2(catalog)

    code, output = invoke(cli, "update", str(repo))

    assert code == 0, output
    runbook = (repo / "docs/runbook.md").read_text()
    assert "read the logs in Loki." in runbook  # the user's edit, at the new path
    assert "Contact: the on-call engineer." in runbook  # the template's change: 3-way merge
    assert not (repo / "docs/old.md").exists()
    assert not (repo / "loadtest/old.py").exists()  # unedited: removed
    assert (repo / "loadtest/svc_legacy.py").read_text() == "print('legacy, tuned by us')\n"
    for line in (
        "migration 1.1.0 move docs/old.md -> docs/runbook.md: moved, local edits kept",
        "migration 1.1.0 delete loadtest/old.py: removed",
        "migration 1.1.0 delete loadtest/svc_legacy.py: kept: edited locally",
        "migration 1.1.0 rename answer alert_channel -> notify_channel: renamed, value kept",
        "migration 1.1.0 change answer rollout: canary -> progressive: changed",
        "migration 1.1.0 expected conflict in docs/runbook.md: the contact line changed: "
        "no conflict",
        "removed (2): docs/old.md, loadtest/old.py",
    ):
        assert line in output
    answers = (repo / ".copier-answers.yml").read_text()
    assert "notify_channel: '#alerts'" in answers
    assert "alert_channel" not in answers
    assert "rollout: progressive" in answers
    assert (repo / "deploy.yaml").read_text() == 'rollout: progressive\nalerts: "#alerts"\n'
    last = git(repo, "log", "-1", "--format=%s")
    assert "local edit of loadtest/svc_legacy.py" in last  # update commits nothing


def test_continue_reports_the_migrations_of_the_interrupted_update(
    catalog: Path, tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = new_project(cli, catalog, tmp_path / "svc")
    commit_edit(repo, "docs/old.md", "read the logs.", "read the logs in Loki.")
    _v2(catalog)
    real_checkout = git_adapter.checkout_tree

    def killed_after_checkout(*args: Any, **kwargs: Any) -> Any:
        real_checkout(*args, **kwargs)
        raise KeyboardInterrupt  # as a kill -9 right after the new tree is checked out

    def reset_fails(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError("killed")

    with monkeypatch.context() as patch:
        patch.setattr(git_adapter, "checkout_tree", killed_after_checkout)
        patch.setattr(git_adapter, "reset_hard", reset_fails)
        assert update_service.update(repo).error is not None
    assert (repo / ".git/goldenpath/update.json").is_file()

    code, output = invoke(cli, "update", "--continue", str(repo), "--json")

    assert code == 0, output
    assert _outcomes(json.loads(output)) == {
        "move docs/old.md -> docs/runbook.md": "moved, local edits kept",
        "delete loadtest/old.py": "removed",
        "delete loadtest/svc_legacy.py": "removed",
        "rename answer alert_channel -> notify_channel": "renamed, value kept (#alerts)",
        "change answer rollout: canary -> progressive": "changed",
        "expected conflict in docs/runbook.md: the contact line changed": "no conflict",
    }
    assert "read the logs in Loki." in (repo / "docs/runbook.md").read_text()


def test_dry_run_lists_migrations_and_changes_nothing(
    catalog: Path, tmp_path: Path, cli: CliRunner
) -> None:
    repo = new_project(cli, catalog, tmp_path / "svc")
    commit_edit(repo, "docs/old.md", "Step one", "Step 1")
    _v2(catalog)
    before = snapshot(repo)

    code, output = invoke(cli, "update", str(repo), "--dry-run", "--json")

    assert code == 0, output
    result = json.loads(output)
    assert _outcomes(result)["move docs/old.md -> docs/runbook.md"] == "moved, local edits kept"
    assert result["migrations"][0] == {
        "version": "1.1.0",
        "kind": "rename_file",
        "description": "move docs/old.md -> docs/runbook.md",
        "outcome": "moved, local edits kept",
    }
    assert "b/docs/runbook.md" in result["diff"]  # git shows the move as a rename
    assert "+Contact: the on-call engineer." in result["diff"]
    assert snapshot(repo) == before
    assert git(repo, "status", "--porcelain") == ""


def test_unedited_file_moves_as_rendered_and_answers_given_win(
    catalog: Path, tmp_path: Path, cli: CliRunner
) -> None:
    repo = new_project(cli, catalog, tmp_path / "svc")
    _v2(catalog)

    code, output = invoke(
        cli,
        "update",
        str(repo),
        "-d",
        "rollout=blue-green",
        "-d",
        "notify_channel=#pager",
        "--json",
    )

    assert code == 0, output
    outcomes = _outcomes(json.loads(output))
    assert outcomes["move docs/old.md -> docs/runbook.md"] == "moved"
    assert (
        outcomes["change answer rollout: canary -> progressive"] == "skipped: the answer is given"
    )
    assert outcomes["rename answer alert_channel -> notify_channel"] == (
        "alert_channel dropped; notify_channel as given"
    )
    assert (repo / "docs/runbook.md").read_text() == RUNBOOK_V1.replace(
        "{{ project_name }}", "svc"
    ).replace("Contact: ops.", "Contact: the on-call engineer.")
    assert (repo / "deploy.yaml").read_text() == 'rollout: blue-green\nalerts: "#pager"\n'
    answers = (repo / ".copier-answers.yml").read_text()
    assert "alert_channel" not in answers
    assert "rollout: blue-green" in answers


def test_a_file_deleted_locally_stays_deleted_under_its_new_name(
    catalog: Path, tmp_path: Path, cli: CliRunner
) -> None:
    repo = new_project(cli, catalog, tmp_path / "svc")
    git(repo, "rm", "-q", "docs/old.md", "loadtest/old.py")
    git(repo, "commit", "-qm", "we keep no runbook here")
    _v2(catalog)

    code, output = invoke(cli, "update", str(repo), "--json")

    assert code == 0, output
    outcomes = _outcomes(json.loads(output))
    assert not (repo / "docs/runbook.md").exists()
    assert not (repo / "docs/old.md").exists()
    assert outcomes["move docs/old.md -> docs/runbook.md"] == (
        "not moved: docs/old.md was deleted locally, so docs/runbook.md is not created"
    )
    assert outcomes["delete loadtest/old.py"] == "already absent"


def test_a_moved_file_edited_where_the_template_changed_is_a_conflict(
    catalog: Path, tmp_path: Path, cli: CliRunner
) -> None:
    repo = new_project(cli, catalog, tmp_path / "svc")
    commit_edit(repo, "docs/old.md", "Contact: ops.", "Contact: the platform team.")
    _v2(catalog)

    code, output = invoke(cli, "update", str(repo), "--json")

    assert code == 3, output
    result = json.loads(output)
    assert "docs/runbook.md" in result["conflicts"]
    outcomes = _outcomes(result)
    assert outcomes["move docs/old.md -> docs/runbook.md"] == (
        "CONFLICT: moved with your edits; conflict markers in docs/runbook.md"
    )
    assert outcomes["expected conflict in docs/runbook.md: the contact line changed"] == (
        "conflict, as announced"
    )
    runbook = (repo / "docs/runbook.md").read_text()
    assert "<<<<<<< before updating\nContact: the platform team.\n" in runbook
    assert "Contact: the on-call engineer.\n>>>>>>> after updating" in runbook
    assert not (repo / "docs/old.md").exists()
    assert "docs/old.md" in result["removed"]  # git status pairs it with the conflict
    status = git(repo, "status", "--porcelain")
    assert "UU docs/runbook.md" in status  # recorded like copier's conflicts
    # The user's own version of the moved file, as git offers it for resolution:
    ours = git(repo, "show", ":2:docs/runbook.md")
    assert "Contact: the platform team." in ours


def test_a_new_path_the_user_already_has_is_never_overwritten(
    catalog: Path, tmp_path: Path, cli: CliRunner
) -> None:
    repo = new_project(cli, catalog, tmp_path / "svc")
    write(repo / "docs/runbook.md", "our own runbook\n")
    git(repo, "add", "docs/runbook.md")
    git(repo, "commit", "-qm", "our runbook")
    _v2(catalog)

    code, output = invoke(cli, "update", str(repo), "--json")

    assert code == 3, output
    result = json.loads(output)
    assert "docs/old.md" in result["conflicts"]
    assert _outcomes(result)["move docs/old.md -> docs/runbook.md"] == (
        "CONFLICT: docs/runbook.md exists already; docs/old.md kept, move your changes by hand"
    )
    assert (repo / "docs/old.md").read_text().startswith("# Runbook for svc")
    assert "our own runbook" in (repo / "docs/runbook.md").read_text()


def test_a_file_moved_twice_is_merged_once(catalog: Path, tmp_path: Path, cli: CliRunner) -> None:
    repo = new_project(cli, catalog, tmp_path / "svc")
    commit_edit(repo, "docs/old.md", "Step three", "Step 3")
    _v2(catalog)
    runbook = catalog / f"{SVC}/docs/runbook.md.jinja"
    write(catalog / f"{SVC}/ops/runbook.md.jinja", runbook.read_text())
    runbook.unlink()
    write(
        catalog / "svc/migrations.yml",
        MIGRATIONS + "- version: 1.2.0\n  move: {from: docs/runbook.md, to: ops/runbook.md}\n",
    )
    tag_next(catalog, "1.2.0", "Moved docs/runbook.md to ops/runbook.md.")

    code, output = invoke(cli, "update", str(repo), "--json")

    assert code == 0, output
    outcomes = _outcomes(json.loads(output))
    assert outcomes["move docs/old.md -> docs/runbook.md"] == "continued by the migration of 1.2.0"
    assert outcomes["move docs/old.md -> ops/runbook.md"] == "moved, local edits kept"
    text = (repo / "ops/runbook.md").read_text()
    assert "Step 3: roll back." in text
    assert "Contact: the on-call engineer." in text
    assert not (repo / "docs").exists()


def test_copier_migrations_would_need_trust_these_do_not(
    catalog: Path, tmp_path: Path, cli: CliRunner
) -> None:
    """The contrast that makes the no-trust claim mean something: the same catalog with a
    copier ``_migrations`` command is refused without --trust."""
    repo = new_project(cli, catalog, tmp_path / "svc")
    copier_yml = catalog / "copier.yml"
    copier_yml.write_text(
        "_migrations:\n  - version: v1.1.0\n    command: echo moved\n" + copier_yml.read_text()
    )
    _v2(catalog)

    code, output = invoke(cli, "update", str(repo))

    assert code == 1
    assert "pass --trust" in output
    assert git(repo, "status", "--porcelain") == ""


# --- the file format -------------------------------------------------------------------------


def _parse(tmp_path: Path, text: str) -> list[migrations.Migration]:
    path = tmp_path / "svc" / "migrations.yml"
    write(path, text)
    return migrations.parse(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "- version: 1.1.0\n  rename_fiel: {from: a, to: b}\n",
            "migration 1: unknown key 'rename_fiel' (known: version, rename_file",
        ),
        (
            "- version: 1.1.0\n  rename_file: {from: a, to: b, mode: x}\n",
            "migration 1 (rename_file): unknown key 'mode' (known: from, to)",
        ),
        (
            "- version: 1.1.0\n  delete_file: ok.txt\n- version: 1.1.0\n  delete_file: ../up.txt\n",
            "migration 2 (delete_file): '../up.txt' leaves the repository ('..')",
        ),
        (
            "- version: 1.1.0\n  move: {from: 'src/{{ name }}/../../x', to: b}\n",
            "leaves the repository ('..')",
        ),
        (
            "- version: 1.1.0\n  delete_file: /etc/passwd\n",
            "'/etc/passwd' is absolute; paths are repository-relative",
        ),
        (
            "- version: 1.1\n  delete_file: a.txt\n",
            "migration 1: 'version' must be a release X.Y.Z, not 1.1",
        ),
        (
            "- version: one\n  delete_file: a.txt\n",
            "migration 1: 'version' must be a release X.Y.Z, not 'one'",
        ),
        ("- delete_file: a.txt\n", "migration 1: missing key 'version'"),
        (
            "- version: 1.1.0\n  delete_file: a.txt\n  rename_answer: {from: a, to: b}\n",
            "migration 1: needs exactly one of",
        ),
        (
            "- version: 1.1.0\n  change_answer: {key: rollout, from: canary}\n",
            "missing key 'to'",
        ),
        ("- version: 1.1.0\n  delete_file: 'src/{{ name'\n", "is no valid Jinja"),
        ("version: 1.1.0\n", "must be a list of migrations"),
        (
            "- version: 1.1.0\n  delete_file: a\n  version: 1.2.0\n",
            "key 'version' is written twice",
        ),
    ],
)
def test_a_bad_migrations_file_is_refused_in_one_line(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(CatalogError) as caught:
        _parse(tmp_path, text)
    assert message in caught.value.message
    assert "\n" not in caught.value.message
    assert str(tmp_path / "svc" / "migrations.yml") in caught.value.message


def test_selection_is_the_versions_crossed_in_order(tmp_path: Path) -> None:
    found = _parse(
        tmp_path,
        textwrap.dedent("""\
        - version: 1.2.0
          delete_file: c
        - version: 1.1.0
          delete_file: a
        - version: 1.1.0
          delete_file: b
        - version: 1.0.0
          delete_file: old
        """),
    )
    picked = migrations.select(found, Version.parse("1.0.0"), Version.parse("1.2.0"))
    assert [m.path for m in picked] == ["a", "b", "c"]
    assert migrations.select(found, Version.parse("1.1.0"), Version.parse("1.1.0")) == []


def test_expected_conflicts_are_placed_with_the_answers(tmp_path: Path) -> None:
    found = _parse(
        tmp_path,
        "- version: 1.1.0\n  expect_conflict: {path: 'src/{{ pkg }}/app.py', reason: new API}\n"
        "- version: 1.1.0\n  delete_file: a\n",
    )
    assert migrations.expected_conflicts(found, {"pkg": "scoring"}) == ["src/scoring/app.py"]
    with pytest.raises(CatalogError, match=re.escape("cannot place 'src/{{ pkg }}/app.py'")):
        migrations.expected_conflicts(found, {})


def test_answers_migrate_in_order_and_given_answers_win() -> None:
    v = Version.parse("1.1.0")
    steps = [
        migrations.Migration(v, migrations.RENAME_ANSWER, answer="a", new_answer="b"),
        migrations.Migration(v, migrations.CHANGE_ANSWER, answer="b", old_value=1, new_value=2),
        migrations.Migration(v, migrations.CHANGE_ANSWER, answer="c", old_value="x", new_value="y"),
    ]
    plan = migrations.plan(steps, {"_commit": "v1.0.0", "a": 1, "c": "x"}, given={"c"})
    assert plan.answers == {"b": 2, "c": "x"}
    assert plan.data == {"b": 2}
    assert plan.dropped == ["a"]
    assert plan.outcomes == ["renamed, value kept (1)", "changed", "skipped: the answer is given"]


# --- catalog verify --------------------------------------------------------------------------


def test_verify_wants_the_changelog_to_tell_copier_users_what_to_do(tmp_path: Path) -> None:
    source = make_catalog_tree(tmp_path / "src")
    bundle = tmp_path / "catalog.bundle"
    release.release(source, bundle)
    write(source / "svc/migrations.yml", MIGRATIONS)
    release_notes(source, "1.1.0", "The runbook moved to docs/runbook.md.")
    release.release(source, bundle)

    problems = release.verify(source, bundle).problems

    assert any(
        "does not mention docs/old.md of `svc`'s migration 'move docs/old.md -> docs/runbook.md'"
        in problem
        for problem in problems
    ), problems
    assert any("does not mention rollout, progressive" in p for p in problems), problems
    assert all("\n" not in problem for problem in problems)

    fixed = tmp_path / "fixed"
    make_catalog_tree(fixed)
    release.release(fixed, tmp_path / "fixed.bundle")
    write(fixed / "svc/migrations.yml", MIGRATIONS)
    release_notes(fixed, "1.1.0", NOTES)
    release.release(fixed, tmp_path / "fixed.bundle")
    assert release.verify(fixed, tmp_path / "fixed.bundle").problems == []


def test_a_renamed_answer_leaves_the_answers_file_even_while_still_asked(tmp_path: Path) -> None:
    """Copier keeps an answer as long as the new version still asks it; the rename wins."""
    clone = tmp_path / "clone"
    write(
        clone / ".copier-answers.yml",
        "_commit: v1.1.0\nfeatures:\n- age\n- income\nlabels:\n- age\nrollout: canary\n",
    )
    steps = [
        migrations.Migration(
            Version.parse("1.1.0"), migrations.RENAME_ANSWER, answer="features", new_answer="inputs"
        )
    ]
    plan = migrations.plan(steps, {"features": ["age", "income"]}, given=())

    def no_old_render(_: Path) -> None:
        raise AssertionError("answer migrations need no old render")

    migrations.apply_in_clone(
        plan, clone, tmp_path, plan.answers, lambda: None, no_old_render, ".copier-answers.yml"
    )

    assert plan.data == {"inputs": ["age", "income"]}
    assert (clone / ".copier-answers.yml").read_text() == (
        "_commit: v1.1.0\nlabels:\n- age\nrollout: canary\n"
    )
