"""`goldenpath readiness` on the catalog's own renders, made the way a user makes them.

A render with realistic answers must reach the top level; one with the default
placeholder answers must stop below it naming the answers to change; and breaking one
thing a reviewer would care about (a runbook anchor, the drift alert, a root container)
must fail exactly the check that guards it, with evidence naming the file.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from template_harness.cases import TEMPLATES
from user_isolation import isolated_user

from goldenpath.readiness import registry
from goldenpath.readiness.model import Level, ReadinessReport, State
from goldenpath.readiness.service import assess

REALISTIC = {
    "organization": "northwind",
    "owner_team": "fraud-ml",
    "oncall_contact": "fraud-ml-oncall@northwind.io",
}
PLACEHOLDER_CHECKS = {"oncall-contact", "owners-real"}

pytestmark = pytest.mark.xdist_group("readiness-renders")


def _new(template: str, dest: Path, answers: dict[str, str]) -> Path:
    data = [arg for key, value in answers.items() for arg in ("--data", f"{key}={value}")]
    done = subprocess.run(
        [sys.executable, "-m", "goldenpath", "new", template, str(dest), "--defaults", *data],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return dest


@pytest.fixture(scope="module")
def fresh_user(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A new HOME for the module: ``goldenpath new`` installs the builtin catalog there, and
    readiness reads it back from there, never from the HOME of whoever runs the tests
    (where another goldenpath's catalog may be installed)."""
    home = tmp_path_factory.mktemp("home")
    with isolated_user(home):
        yield home


@pytest.fixture(scope="module")
def renders(
    tmp_path_factory: pytest.TempPathFactory, fresh_user: Path
) -> dict[tuple[str, str], Path]:
    """Each template rendered once with realistic and once with default answers."""
    root = tmp_path_factory.mktemp("readiness")
    made: dict[tuple[str, str], Path] = {}
    for template in TEMPLATES:
        made[template, "real"] = _new(template, root / f"{template}-real", REALISTIC)
        made[template, "default"] = _new(template, root / f"{template}-default", {})
    return made


def _failing(report: ReadinessReport) -> set[str]:
    return {r.check.id for r in report.failing()}


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_render_with_realistic_answers_reaches_gold(
    renders: dict[tuple[str, str], Path], template: str
) -> None:
    report = assess(renders[template, "real"])
    assert report.error is None
    assert _failing(report) == set(), [
        (r.check.id, r.finding.detail, [str(e) for e in r.finding.evidence])
        for r in report.failing()
    ]
    assert report.level is Level.GOLD
    assert report.score == 100.0
    counted = [r for r in report.results if r.counted]
    assert len(counted) >= 20, "most checks must apply to a generated repository"
    for result in counted:  # every pass points at evidence a reviewer can open
        assert result.finding.evidence, result.check.id
        assert any(e.path for e in result.finding.evidence), result.check.id


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_default_render_stops_below_gold_naming_the_answers_to_change(
    renders: dict[tuple[str, str], Path], template: str
) -> None:
    report = assess(renders[template, "default"])
    assert _failing(report) == PLACEHOLDER_CHECKS
    assert report.level is Level.SILVER
    hints = " ".join(r.hint for r in report.failing())
    assert "oncall_contact=" in hints
    assert "organization=" in hints


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst


def _alert_files(root: Path) -> list[Path]:
    return sorted(root.glob("monitoring/prometheus/alerts.yml"))


def _remove_runbook_anchor(root: Path) -> str:
    """Rename the runbook heading the first alert links to; return the alert's name."""
    rules = yaml.safe_load(_alert_files(root)[0].read_text(encoding="utf-8"))
    rule = next(
        rule
        for group in rules["groups"]
        for rule in group["rules"]
        if "runbook_url" in rule.get("annotations", {})
    )
    anchor = str(rule["annotations"]["runbook_url"]).rsplit("#", 1)[1]
    runbook = root / "docs" / "runbook.md"
    lines = runbook.read_text(encoding="utf-8").splitlines(keepends=True)
    for number, line in enumerate(lines):
        if line.startswith("#") and _slug(line.lstrip("#").strip()) == anchor:
            lines[number] = line.rstrip("\n") + " (renamed)\n"
            break
    else:
        pytest.fail(f"no heading with anchor {anchor} in docs/runbook.md")
    runbook.write_text("".join(lines), encoding="utf-8")
    return str(rule["alert"])


def _slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def _delete_drift_alerts(root: Path) -> None:
    path = _alert_files(root)[0]
    rules = yaml.safe_load(path.read_text(encoding="utf-8"))
    removed = 0
    for group in rules["groups"]:
        kept = [r for r in group["rules"] if "drift" not in str(r.get("alert", "")).lower()]
        removed += len(group["rules"]) - len(kept)
        group["rules"] = kept
    assert removed, "the render has no drift alert to delete"
    path.write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")


def _run_as_root(root: Path) -> None:
    dockerfile = root / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text(encoding="utf-8") + "USER root\n")


@pytest.mark.parametrize("template", TEMPLATES)
def test_breaking_one_thing_fails_exactly_the_check_that_guards_it(
    renders: dict[tuple[str, str], Path], template: str, tmp_path: Path
) -> None:
    checks = registry.all_checks()
    base = renders[template, "real"]

    runbook = _copy(base, tmp_path / "runbook")
    alert = _remove_runbook_anchor(runbook)
    report = assess(runbook, checks=checks)
    assert _failing(report) == {"alert-runbooks"}
    evidence = " ".join(str(e) for r in report.failing() for e in r.finding.evidence)
    assert "monitoring/prometheus/alerts.yml" in evidence
    assert alert in evidence

    drift = _copy(base, tmp_path / "drift")
    _delete_drift_alerts(drift)
    report = assess(drift, checks=checks)
    assert _failing(report) == {"drift-monitor"}

    root = _copy(base, tmp_path / "root")
    _run_as_root(root)
    report = assess(root, checks=checks)
    assert _failing(report) == {"container-non-root"}
    result = report.result("container-non-root")
    assert result is not None
    assert result.finding.state is State.FAIL
    assert any(e.path == "Dockerfile" and e.line for e in result.finding.evidence)
