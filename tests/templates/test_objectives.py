"""Objectives, the alerts that guard them and drift monitoring, in every render.

- The monitoring checks of ``goldenpath readiness`` pass on every case of the working-tree
  catalog (``tests/templates/test_readiness_renders.py`` scores the released one): numeric
  objectives, alerts that defend them (multiwindow burn rates for the service, lateness
  alerts for the job and the pipeline), runbook links that resolve, a dashboard on exported
  metrics and an alert on drift. Deleting the drift alert fails ``drift-monitor``.
- batch-inference: ``docs/slo.md`` states the deadline the CronJob can keep, worked out
  here independently: croniter's first run of a day plus the Job's ``activeDeadlineSeconds``.
- batch-inference and training-pipeline: ``docs/slo.md`` names every alert of
  ``alerts.yml`` and links it to its runbook section.
- realtime-inference: the promtool tests of the drift alert feed exactly the histogram
  bounds the service exports (``SCORE_BUCKETS``), so they test what production sees.

Each case reuses the render of the other template tests; the checks read files only
(about 0.1 s per case).
"""

from __future__ import annotations

import ast
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from croniter import croniter  # type: ignore[import-untyped]
from template_harness import tools
from template_harness import validators as v
from template_harness.cases import TEMPLATES, cases_for
from template_harness.render import case_params

from goldenpath.readiness.checks.monitoring import (
    AlertRunbooks,
    BurnRateAlerts,
    DashboardMetrics,
    DriftMonitor,
    SloDefined,
)
from goldenpath.readiness.facts import Repo
from goldenpath.readiness.model import Check, State

pytestmark = pytest.mark.slow

MONITORING_CHECKS: tuple[type[Check], ...] = (
    SloDefined,
    BurnRateAlerts,
    AlertRunbooks,
    DashboardMetrics,
    DriftMonitor,
)
SCHEDULED = [case for t in ("batch-inference", "training-pipeline") for case in cases_for(t)]


def _repo(root: Path) -> Repo:
    """The render as ``goldenpath readiness`` reads a repository (a render is no git repo)."""
    return Repo(root, sorted(p.relative_to(root).as_posix() for p in v.project_files(root)))


def _slo(project: Path) -> str:
    path = project / "docs" / "slo.md"
    assert path.is_file(), "docs/slo.md is missing"
    return path.read_text()


def _alert_names(project: Path) -> list[str]:
    return [str(r["alert"]) for r in v.alerting_rules(v.find_prometheus_rules(project))]


def test_the_monitoring_checks_pass(project: Path) -> None:
    repo = _repo(project)
    failing = {}
    for check in MONITORING_CHECKS:
        finding = check().run(repo)
        if finding.state is not State.PASS:
            failing[check.id] = (finding.detail, [str(e) for e in finding.evidence])
    assert not failing, failing


@pytest.mark.parametrize("case", case_params([cases_for(t)[0] for t in TEMPLATES]))
def test_deleting_the_drift_alert_fails_drift_monitor(project: Path, tmp_path: Path) -> None:
    copy = tmp_path / "render"
    shutil.copytree(project, copy)
    path = copy / "monitoring" / "prometheus" / "alerts.yml"
    rules = yaml.safe_load(path.read_text())
    kept = 0
    for group in rules["groups"]:
        before = len(group["rules"])
        group["rules"] = [
            r for r in group["rules"] if "drift" not in str(r.get("alert", "")).lower()
        ]
        kept += before - len(group["rules"])
    assert kept, "no drift alert in the render"
    path.write_text(yaml.safe_dump(rules, sort_keys=False))
    assert DriftMonitor().run(_repo(copy)).state is State.FAIL


@pytest.mark.parametrize("case", case_params(cases_for("batch-inference")))
def test_batch_deadline_follows_the_schedule_and_the_run_deadline(project: Path) -> None:
    schedule = tools.recorded_answers(project)["schedule"]
    cronjob = yaml.safe_load((project / "deploy/k8s/cronjob.yaml").read_text())
    run_limit = int(cronjob["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"])
    midnight = datetime(2024, 1, 1, tzinfo=UTC)
    first = croniter(schedule, midnight - timedelta(seconds=1)).get_next(datetime)
    deadline = first.replace(year=2024, month=1, day=1) + timedelta(seconds=run_limit)
    day = 1 + (deadline.date() - midnight.date()).days
    expected = f"by {deadline:%H:%M} UTC on day D+{day}"
    assert expected in _slo(project), f"docs/slo.md does not say {expected!r}"


@pytest.mark.parametrize("case", case_params(SCHEDULED))
def test_every_alert_guards_an_objective_with_its_runbook_section(project: Path) -> None:
    text = _slo(project)
    names = _alert_names(project)
    assert names
    missing = [n for n in names if f"[{n}](runbook.md#{n.lower()})" not in text]
    assert not missing, f"docs/slo.md names no objective these alerts guard: {missing}"
    runbook = (project / "docs" / "runbook.md").read_text()
    assert "(slo.md)" in runbook, "the runbook does not link docs/slo.md"


@pytest.mark.parametrize("case", case_params(cases_for("realtime-inference")))
def test_drift_alert_tests_use_the_exported_score_bounds(project: Path) -> None:
    package = tools.recorded_answers(project)["package_name"]
    module = ast.parse((project / "src" / package / "metrics.py").read_text())
    bounds = next(
        ast.literal_eval(node.value)
        for node in module.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "SCORE_BUCKETS" for t in node.targets)
    )
    tests = yaml.safe_load((project / "monitoring/prometheus/alerts.test.yml").read_text())
    drift_tests = [
        test
        for test in tests["tests"]
        if any(a["alertname"] == "PredictionDrift" for a in test["alert_rule_test"])
        and any("model_prediction_score" in s["series"] for s in test["input_series"])
    ]
    assert len(drift_tests) >= 2, "PredictionDrift needs a test that fires and one that does not"
    assert any(
        a["alertname"] == "PredictionDrift" and a.get("exp_alerts")
        for test in drift_tests
        for a in test["alert_rule_test"]
    ), "no promtool test expects PredictionDrift to fire"
    for test in drift_tests:
        les = {
            float(m.group(1))
            for s in test["input_series"]
            if (m := re.search(r'model_prediction_score_bucket\{le="([^"]+)"\}', s["series"]))
        }
        assert les == set(bounds), (test["name"], sorted(les), bounds)
