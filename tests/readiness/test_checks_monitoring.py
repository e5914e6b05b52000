"""Monitoring checks on small repositories: each test writes the few files that decide a
verdict (rules, runbook, SLO page, metrics module, dashboard) and asserts the state and
the file and line the evidence points at."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from goldenpath.readiness.checks.monitoring import (
    CHECKS,
    AlertRunbooks,
    AlertsDefined,
    BurnRateAlerts,
    DashboardMetrics,
    DriftMonitor,
    SloDefined,
)
from goldenpath.readiness.facts import Repo
from goldenpath.readiness.markdown import github_slug, markdown_anchors
from goldenpath.readiness.model import Evidence, Finding, State
from goldenpath.readiness.prometheus import promql_metrics
from tests.readiness.conftest import MakeRepo, run_check

RULES = "monitoring/prometheus/alerts.yml"
RUNBOOK_URL = "https://github.com/northwind/scorer/blob/main/docs/runbook.md"

CATALOG_INFO = """
    apiVersion: backstage.io/v1alpha1
    kind: Component
    metadata:
      name: scorer
      annotations:
        github.com/project-slug: northwind/scorer
    spec:
      owner: group:fraud-ml
"""

ALERTS = f"""
    groups:
      - name: scorer-slo-ratios
        rules:
          - record: slo:availability:ratio_rate5m
            expr: sum(rate(http_requests_total{{status=~"5.."}}[5m]))
              / sum(rate(http_requests_total[5m]))
          - record: slo:availability:ratio_rate1h
            expr: sum(rate(http_requests_total{{status=~"5.."}}[1h]))
              / sum(rate(http_requests_total[1h]))
      - name: scorer-alerts
        rules:
          - alert: AvailabilityBurnRateFast
            expr: slo:availability:ratio_rate1h > (14.4 * 0.001)
              and slo:availability:ratio_rate5m > (14.4 * 0.001)
            for: 2m
            labels:
              severity: page
            annotations:
              runbook_url: {RUNBOOK_URL}#availabilityburnratefast
          - alert: FeatureDrift
            expr: max(scorer_feature_drift_psi) > 0.2
            for: 15m
            labels:
              severity: ticket
            annotations:
              runbook_url: {RUNBOOK_URL}#featuredrift
"""

RUNBOOK = """
    # Runbook: scorer

    ## Alerts

    ### AvailabilityBurnRateFast

    Roll back.

    ### FeatureDrift

    Retrain.
"""

SLO = """
    # Service level objectives

    | SLO | objective |
    |---|---|
    | Availability | 99.9% of requests without a 5xx |
    | Latency | 99% within 250 ms |
"""

METRICS = """
    from prometheus_client import Counter, Gauge, Histogram

    PREFIX = "scorer"

    REQUESTS = Counter("http_requests", "Requests.", ["status"])
    LATENCY = Histogram("http_request_duration_seconds", "Latency.")
    DRIFT = Gauge(f"{PREFIX}_feature_drift_psi", "PSI per feature.", ["feature"])
"""

APP = """
    from fastapi import FastAPI

    app = FastAPI()


    @app.post("/predict")
    def predict(rows: list[float]) -> float:
        return float(model.predict([rows])[0])
"""


def dashboard(*exprs: str) -> str:
    """A Grafana dashboard JSON with one panel per query, one key per line."""
    panels = [
        {"id": n, "type": "timeseries", "targets": [{"expr": expr, "refId": "A"}]}
        for n, expr in enumerate(exprs, start=1)
    ]
    return json.dumps({"title": "scorer", "panels": panels}, indent=2)


def service(**overrides: str) -> dict[str, str]:
    """A small but complete online service: SLOs, rules, runbook, metrics, dashboard."""
    files = {
        "catalog-info.yaml": CATALOG_INFO,
        RULES: ALERTS,
        "docs/runbook.md": RUNBOOK,
        "docs/slo.md": SLO,
        "src/scorer/metrics.py": METRICS,
        "src/scorer/app.py": APP,
        "monitoring/grafana/dashboard.json": dashboard(
            'sum(rate(http_requests_total{status=~"5.."}[$__rate_interval]))',
            "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",  # noqa: E501
            "topk(5, scorer_feature_drift_psi)",
        ),
    }
    files.update(overrides)
    return {path: text for path, text in files.items() if text}


def line_in(text: str, needle: str) -> int:
    """1-based line of ``needle`` in a fixture as make_repo writes it."""
    lines = textwrap.dedent(text).lstrip("\n").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


def at(finding: Finding, path: str) -> list[Evidence]:
    return [e for e in finding.evidence if e.path == path]


def text_of(finding: Finding) -> str:
    return " ".join(str(e) for e in finding.evidence)


# -- the whole module ---------------------------------------------------------------------


def test_a_complete_service_passes_every_monitoring_check(make_repo: MakeRepo) -> None:
    repo = make_repo(service())
    for check in CHECKS:
        finding = run_check(check, repo)
        assert finding.state is State.PASS, (check.id, finding)
        assert any(e.path and e.line for e in finding.evidence), check.id


def test_a_bare_fastapi_model_service_fails_every_monitoring_check(
    make_repo: MakeRepo,
) -> None:
    repo = make_repo({"app.py": APP, "README.md": "# scorer\n\nServes predictions.\n"})
    for check in CHECKS:
        finding = run_check(check, repo)
        assert finding.state is State.FAIL, (check.id, finding)
        assert finding.evidence, check.id


def test_requirements_are_declared() -> None:
    assert BurnRateAlerts.requires == ("slo-defined", "alerts-defined")
    assert AlertRunbooks.requires == ("alerts-defined",)
    assert {c.id for c in CHECKS} == {
        "slo-defined",
        "alerts-defined",
        "burn-rate-alerts",
        "alert-runbooks",
        "dashboard-metrics",
        "drift-monitor",
    }


# -- slo-defined ----------------------------------------------------------------------------


def test_slo_page_with_numeric_targets_passes(make_repo: MakeRepo) -> None:
    finding = run_check(SloDefined, make_repo({"docs/slo.md": SLO}))
    assert finding.state is State.PASS
    assert finding.evidence[0].path == "docs/slo.md"
    assert finding.evidence[0].line == line_in(SLO, "99.9%")
    assert "latency" in finding.detail
    assert "ratio" in finding.detail


def test_openslo_spec_passes_at_its_target(make_repo: MakeRepo) -> None:
    spec = """
        apiVersion: openslo/v1
        kind: SLO
        metadata:
          name: availability
        spec:
          service: scorer
          objectives:
            - displayName: good requests
              target: 0.995
    """
    finding = run_check(SloDefined, make_repo({"slo/availability.yaml": spec}))
    assert finding.state is State.PASS
    assert finding.evidence[0].path == "slo/availability.yaml"
    assert finding.evidence[0].line == line_in(spec, "target:")


def test_sloth_spec_passes(make_repo: MakeRepo) -> None:
    spec = """
        version: "prometheus/v1"
        service: scorer
        slos:
          - name: requests-availability
            objective: 99.9
    """
    finding = run_check(SloDefined, make_repo({"sloth.yml": spec}))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("sloth.yml", 5)


def test_slo_section_of_another_page_counts(make_repo: MakeRepo) -> None:
    readme = """
        # scorer

        99.99% of the code is tested (not an objective: not under an SLO heading).

        ## SLOs

        - 99.5% of predictions succeed over 28 days.

        ## Development
    """
    finding = run_check(SloDefined, make_repo({"README.md": readme}))
    assert finding.state is State.PASS
    assert [(e.path, e.line) for e in finding.evidence] == [("README.md", line_in(readme, "99.5%"))]


def test_batch_deadline_counts_as_a_freshness_objective(make_repo: MakeRepo) -> None:
    slo = """
        # SLOs of the nightly scoring

        The partition of day D is written by 06:00 UTC.
    """
    finding = run_check(SloDefined, make_repo({"docs/slo.md": slo}))
    assert finding.state is State.PASS
    assert "freshness" in finding.detail
    assert finding.evidence[0].line == 3


def test_slo_page_without_numbers_fails_naming_it(make_repo: MakeRepo) -> None:
    slo = """
        # Service level objectives

        | SLO | objective |
        |---|---|
        | Availability | TBD, 99.9% maybe |
        | Latency | to be defined |
    """
    finding = run_check(SloDefined, make_repo({"docs/slo.md": slo}))
    assert finding.state is State.FAIL
    assert at(finding, "docs/slo.md")


def test_no_slo_fails_saying_where_it_looked(make_repo: MakeRepo) -> None:
    finding = run_check(SloDefined, make_repo({"README.md": "# scorer\n"}))
    assert finding.state is State.FAIL
    assert "docs/slo.md" in text_of(finding)


# -- alerts-defined -------------------------------------------------------------------------


def test_valid_rules_pass_pointing_at_each_alert(make_repo: MakeRepo) -> None:
    finding = run_check(AlertsDefined, make_repo({RULES: ALERTS}))
    assert finding.state is State.PASS
    assert [(e.path, e.line) for e in finding.evidence] == [
        (RULES, line_in(ALERTS, "alert: AvailabilityBurnRateFast")),
        (RULES, line_in(ALERTS, "alert: FeatureDrift")),
    ]


def test_prometheus_rule_object_counts(make_repo: MakeRepo) -> None:
    manifest = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: other
        ---
        apiVersion: monitoring.coreos.com/v1
        kind: PrometheusRule
        metadata:
          name: scorer
        spec:
          groups:
            - name: scorer
              rules:
                - alert: ScorerDown
                  expr: up{job="scorer"} == 0
                  for: 5m
                  labels:
                    severity: page
    """
    finding = run_check(AlertsDefined, make_repo({"deploy/k8s/rules.yaml": manifest}))
    assert finding.state is State.PASS
    assert finding.evidence[0].path == "deploy/k8s/rules.yaml"
    assert finding.evidence[0].line == line_in(manifest, "alert: ScorerDown")


def broken_rule(*fields: str) -> str:
    """A rules file whose only rule (line 4) is the alert Broken with these fields."""
    body = "".join(f"        {field}\n" for field in fields)
    return f"groups:\n  - name: g\n    rules:\n      - alert: Broken\n{body}"


BROKEN_RULES = {
    "no severity label": (
        broken_rule("expr: x > 1", "labels:", "  team: ml"),
        "no severity label",
    ),
    "a duration without unit": (
        broken_rule("expr: x > 1", "for: 5", "labels:", "  severity: page"),
        "for '5' is not a duration",
    ),
    "unbalanced brackets": (
        broken_rule("expr: sum(rate(x_total[5m]) > 1", "labels:", "  severity: page"),
        "expr has '(' at column 4 is never closed",
    ),
    "a misspelt key": (
        broken_rule("expr: x > 1", "labels:", "  severity: page", "annotation:", "  summary: x"),
        "unknown keys ['annotation']",
    ),
    "no expr": (broken_rule("labels:", "  severity: page"), "no expr"),
}


@pytest.mark.parametrize("case", list(BROKEN_RULES))
def test_a_broken_rule_fails_at_its_line(make_repo: MakeRepo, case: str) -> None:
    text, message = BROKEN_RULES[case]
    finding = run_check(AlertsDefined, make_repo({RULES: text}))
    assert finding.state is State.FAIL
    [evidence] = finding.evidence
    assert (evidence.path, evidence.line) == (RULES, 4)
    assert evidence.text == f"alert Broken: {message}"


def test_a_rules_file_that_does_not_parse_fails(make_repo: MakeRepo) -> None:
    text = "groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: [oops\n"
    finding = run_check(AlertsDefined, make_repo({RULES: text}))
    assert finding.state is State.FAIL
    assert finding.evidence[0].path == RULES
    assert "not valid YAML" in finding.evidence[0].text


def test_empty_groups_fail(make_repo: MakeRepo) -> None:
    finding = run_check(AlertsDefined, make_repo({RULES: "groups: []\n"}))
    assert finding.state is State.FAIL
    assert (finding.evidence[0].path, finding.evidence[0].line) == (RULES, 1)


def test_recording_rules_and_rule_tests_alone_are_no_alerts(make_repo: MakeRepo) -> None:
    rules = """
        groups:
          - name: ratios
            rules:
              - record: job:up:sum
                expr: sum(up)
    """
    tests = """
        rule_files: [alerts.yml]
        tests:
          - interval: 1m
            alert_rule_test:
              - alertname: X
    """
    repo = make_repo({RULES: rules, "monitoring/prometheus/alerts.test.yml": tests})
    finding = run_check(AlertsDefined, repo)
    assert finding.state is State.FAIL
    assert finding.detail == "no alerting rules"
    assert [e.path for e in finding.evidence] == [RULES]


# -- burn-rate-alerts -----------------------------------------------------------------------


def test_multiwindow_burn_rate_alert_passes(make_repo: MakeRepo) -> None:
    finding = run_check(BurnRateAlerts, make_repo(service()))
    assert finding.state is State.PASS
    [evidence] = finding.evidence
    assert (evidence.path, evidence.line) == (RULES, line_in(ALERTS, "AvailabilityBurnRateFast"))
    assert "windows 5m, 1h" in evidence.text


def test_burn_rate_windows_named_by_recording_rules_elsewhere_count(
    make_repo: MakeRepo,
) -> None:
    rules = """
        groups:
          - name: pyrra
            rules:
              - alert: ErrorBudgetBurn
                expr: http_requests:burnrate5m > (14 * (1 - 0.99))
                  and http_requests:burnrate1h > (14 * (1 - 0.99))
                labels:
                  severity: page
    """
    finding = run_check(BurnRateAlerts, make_repo(service(**{RULES: rules})))
    assert finding.state is State.PASS
    assert finding.evidence[0].line == line_in(rules, "alert: ErrorBudgetBurn")


def test_a_plain_error_rate_alert_is_not_a_burn_rate_alert(make_repo: MakeRepo) -> None:
    rules = """
        groups:
          - name: g
            rules:
              - alert: HighErrorRate
                expr: sum(rate(http_requests_total{status=~"5.."}[5m]))
                  / sum(rate(http_requests_total[5m])) > 0.05
                labels:
                  severity: page
    """
    finding = run_check(BurnRateAlerts, make_repo(service(**{RULES: rules})))
    assert finding.state is State.FAIL
    assert "burn factor" in finding.detail
    assert at(finding, RULES)
    assert any(e.path == "src/scorer/app.py" for e in finding.evidence), "names the service"


def test_a_burn_factor_over_one_window_is_not_multiwindow(make_repo: MakeRepo) -> None:
    rules = """
        groups:
          - name: g
            rules:
              - alert: AvailabilityBurnRate
                expr: slo:errors:ratio_rate1h > (14.4 * 0.001) and slo:errors:ratio_rate1h > 0
                labels:
                  severity: page
    """
    finding = run_check(BurnRateAlerts, make_repo(service(**{RULES: rules})))
    assert finding.state is State.FAIL


LATE = """
    groups:
      - name: nightly
        rules:
          - alert: ScoringRunLate
            expr: time() - scoring_last_success_timestamp_seconds > 102600
            for: 10m
            labels:
              severity: page
"""
CRONJOB = """
    apiVersion: batch/v1
    kind: CronJob
    metadata:
      name: nightly
    spec:
      schedule: "0 3 * * *"
      jobTemplate:
        spec:
          template:
            spec:
              containers:
                - name: job
                  image: scorer:1
"""
DEADLINE_SLO = "# SLOs\n\nThe partition of day D is written by 06:00 UTC on 99% of days.\n"


def test_a_scheduled_job_passes_with_a_lateness_alert_for_its_deadline(
    make_repo: MakeRepo,
) -> None:
    repo = make_repo({"docs/slo.md": DEADLINE_SLO, RULES: LATE, "deploy/cronjob.yaml": CRONJOB})
    finding = run_check(BurnRateAlerts, repo)
    assert finding.state is State.PASS
    assert [(e.path, e.line) for e in finding.evidence] == [
        ("docs/slo.md", 3),
        (RULES, line_in(LATE, "alert: ScoringRunLate")),
    ]


def test_a_lateness_alert_does_not_defend_a_service(make_repo: MakeRepo) -> None:
    deployment = CRONJOB.replace("kind: CronJob", "kind: Deployment")
    repo = make_repo({"docs/slo.md": DEADLINE_SLO, RULES: LATE, "deploy/app.yaml": deployment})
    finding = run_check(BurnRateAlerts, repo)
    assert finding.state is State.FAIL
    assert ("deploy/app.yaml", 1) in [(e.path, e.line) for e in finding.evidence]


def test_a_lateness_alert_needs_a_deadline_objective(make_repo: MakeRepo) -> None:
    slo = "# SLOs\n\n99% of runs succeed.\n"
    repo = make_repo({"docs/slo.md": slo, RULES: LATE, "deploy/cronjob.yaml": CRONJOB})
    finding = run_check(BurnRateAlerts, repo)
    assert finding.state is State.FAIL
    assert "deadline" in finding.detail
    assert at(finding, RULES)


def test_burn_rate_without_slo_fails(make_repo: MakeRepo) -> None:
    finding = run_check(BurnRateAlerts, make_repo(service(**{"docs/slo.md": ""})))
    assert finding.state is State.FAIL
    assert finding.detail == "no SLO to defend"


# -- alert-runbooks -------------------------------------------------------------------------


def test_forge_links_into_this_repository_resolve_to_headings(make_repo: MakeRepo) -> None:
    finding = run_check(AlertRunbooks, make_repo(service()))
    assert finding.state is State.PASS
    assert [(e.path, e.line) for e in finding.evidence] == [
        ("docs/runbook.md", line_in(RUNBOOK, "### AvailabilityBurnRateFast")),
        ("docs/runbook.md", line_in(RUNBOOK, "### FeatureDrift")),
    ]


def test_a_missing_heading_fails_naming_the_alert_and_the_runbook(make_repo: MakeRepo) -> None:
    runbook = RUNBOOK.replace("### FeatureDrift", "### Feature drift")
    finding = run_check(AlertRunbooks, make_repo(service(**{"docs/runbook.md": runbook})))
    assert finding.state is State.FAIL
    [evidence] = finding.evidence
    assert (evidence.path, evidence.line) == (RULES, line_in(ALERTS, "alert: FeatureDrift"))
    assert "FeatureDrift" in evidence.text
    assert "#featuredrift" in evidence.text
    assert "docs/runbook.md" in evidence.text


def test_a_link_without_anchor_fails(make_repo: MakeRepo) -> None:
    alerts = ALERTS.replace("runbook.md#featuredrift", "runbook.md")
    finding = run_check(AlertRunbooks, make_repo(service(**{RULES: alerts})))
    assert finding.state is State.FAIL
    assert "without a section anchor" in text_of(finding)
    assert finding.evidence[0].line == line_in(alerts, "alert: FeatureDrift")


def test_a_missing_annotation_or_file_fails(make_repo: MakeRepo) -> None:
    alerts = ALERTS.replace(f"runbook_url: {RUNBOOK_URL}#featuredrift", "summary: drift")
    alerts = alerts.replace("docs/runbook.md#availability", "docs/oncall.md#availability")
    finding = run_check(AlertRunbooks, make_repo(service(**{RULES: alerts})))
    assert finding.state is State.FAIL
    texts = [e.text for e in finding.evidence]
    assert any("AvailabilityBurnRateFast" in t and "docs/oncall.md" in t for t in texts)
    assert any("FeatureDrift: no runbook_url annotation" in t for t in texts)


def test_relative_links_resolve_from_the_root_or_the_rules_folder(make_repo: MakeRepo) -> None:
    alerts = ALERTS.replace(f"{RUNBOOK_URL}#availability", "docs/runbook.md#availability")
    alerts = alerts.replace(f"{RUNBOOK_URL}#featuredrift", "../../docs/runbook.md#featuredrift")
    finding = run_check(AlertRunbooks, make_repo(service(**{RULES: alerts})))
    assert finding.state is State.PASS
    assert {e.path for e in finding.evidence} == {"docs/runbook.md"}


def test_gitlab_links_of_a_generated_repository_resolve(make_repo: MakeRepo) -> None:
    answers = "template: realtime-inference\norganization: northwind\nproject_name: scorer\n"
    alerts = ALERTS.replace(
        "https://github.com/northwind/scorer/blob/", "https://gitlab.com/northwind/scorer/-/blob/"
    )
    files = service(**{RULES: alerts, "catalog-info.yaml": "", ".copier-answers.yml": answers})
    finding = run_check(AlertRunbooks, make_repo(files))
    assert finding.state is State.PASS


def test_the_git_remote_names_the_repository(make_repo: MakeRepo) -> None:
    repo = make_repo(service(**{"catalog-info.yaml": ""}))
    git = repo.root / ".git"
    git.mkdir()
    (git / "config").write_text('[remote "origin"]\n\turl = git@github.com:northwind/scorer.git\n')
    assert run_check(AlertRunbooks, repo).state is State.PASS


def test_links_outside_the_repository_are_unknown(make_repo: MakeRepo) -> None:
    alerts = ALERTS.replace(f"{RUNBOOK_URL}#featuredrift", "https://wiki.northwind.io/scorer")
    alerts = alerts.replace("northwind/scorer/blob", "northwind/runbooks/blob")
    finding = run_check(AlertRunbooks, make_repo(service(**{RULES: alerts})))
    assert finding.state is State.UNKNOWN
    assert [e.line for e in finding.evidence] == [
        line_in(alerts, "alert: AvailabilityBurnRateFast"),
        line_in(alerts, "alert: FeatureDrift"),
    ]
    assert "is not this repository" in finding.evidence[0].text


def test_a_runbook_file_per_alert_needs_no_anchor(make_repo: MakeRepo) -> None:
    alerts = ALERTS.replace(f"{RUNBOOK_URL}#featuredrift", "docs/runbooks/feature-drift.md")
    files = service(**{RULES: alerts, "docs/runbooks/feature-drift.md": "# Feature drift\n"})
    finding = run_check(AlertRunbooks, make_repo(files))
    assert finding.state is State.PASS
    assert ("docs/runbooks/feature-drift.md", 1) in [(e.path, e.line) for e in finding.evidence]


def test_anchors_in_other_formats_are_unknown(make_repo: MakeRepo) -> None:
    alerts = ALERTS.replace(f"{RUNBOOK_URL}#featuredrift", "docs/runbook.rst#feature-drift")
    files = service(**{RULES: alerts, "docs/runbook.rst": "Feature drift\n=============\n"})
    finding = run_check(AlertRunbooks, make_repo(files))
    assert finding.state is State.UNKNOWN
    assert "not Markdown" in finding.evidence[0].text


def test_templated_links_are_unknown(make_repo: MakeRepo) -> None:
    alerts = ALERTS.replace(
        f"{RUNBOOK_URL}#featuredrift", '"https://runbooks.northwind.io/{{ $labels.alertname }}"'
    )
    finding = run_check(AlertRunbooks, make_repo(service(**{RULES: alerts})))
    assert finding.state is State.UNKNOWN
    assert "templated" in finding.evidence[0].text


def test_anchors_follow_github_rules(make_repo: MakeRepo) -> None:
    runbook = """
        # Runbook

        ## Rollback (canary) & `kubectl`

        ```
        # not a heading
        ```

        Model not loaded
        ----------------

        ## Steps

        ## Steps
    """
    repo = make_repo({"docs/runbook.md": runbook})
    anchors = markdown_anchors(repo, "docs/runbook.md")
    assert anchors == {
        "runbook": 1,
        "rollback-canary--kubectl": 3,
        "model-not-loaded": 9,
        "steps": 12,
        "steps-1": 14,
    }


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("HighErrorRate", "higherrorrate"),
        ("What's new?", "whats-new"),
        ("[Rollback](#x) steps", "rollback-steps"),
        ("snake_case_name", "snake_case_name"),
        ("Überblick", "überblick"),
    ],
)
def test_github_slug(heading: str, slug: str) -> None:
    assert github_slug(heading) == slug


# -- dashboard-metrics ----------------------------------------------------------------------


def test_dashboard_metrics_exported_by_the_code_pass(make_repo: MakeRepo) -> None:
    finding = run_check(DashboardMetrics, make_repo(service()))
    assert finding.state is State.PASS
    assert "all 3 metric(s)" in finding.detail
    assert [(e.path, e.line) for e in finding.evidence] == [
        ("src/scorer/metrics.py", line_in(METRICS, "Histogram(")),
        ("src/scorer/metrics.py", line_in(METRICS, "Counter(")),
        ("src/scorer/metrics.py", line_in(METRICS, "Gauge(")),
    ]


def test_names_built_from_a_prefix_and_a_helper_count(make_repo: MakeRepo) -> None:
    metrics = """
        from prometheus_client import Gauge

        PREFIX = "training"


        def gauge(name: str, doc: str) -> Gauge:
            return Gauge(f"{PREFIX}_{name}", doc)


        RUNS = gauge("run_success", "1 if the last run succeeded")
    """
    board = dashboard(
        "training_run_success",
        "sum(rate(process_cpu_seconds_total[5m]))",
        "count(kube_pod_info)",
        "slo:runs:ratio",
    )
    rules = """
        groups:
          - name: r
            rules:
              - record: slo:runs:ratio
                expr: avg(training_run_success)
    """
    files = {"m.py": metrics, "dashboard.json": board, RULES: rules}
    finding = run_check(DashboardMetrics, make_repo(files))
    assert finding.state is State.PASS
    assert ("m.py", line_in(metrics, 'gauge("run_success"')) in [
        (e.path, e.line) for e in finding.evidence
    ]


def test_a_metric_nobody_exports_fails_at_its_query(make_repo: MakeRepo) -> None:
    board = dashboard("sum(rate(http_requests_total[5m]))", "avg(model_confidence_score)")
    finding = run_check(
        DashboardMetrics, make_repo(service(**{"monitoring/grafana/dashboard.json": board}))
    )
    assert finding.state is State.FAIL
    assert "model_confidence_score" in finding.detail
    [evidence] = finding.evidence
    assert evidence.path == "monitoring/grafana/dashboard.json"
    assert evidence.line == line_in(board, "model_confidence_score")


def test_queries_of_other_data_sources_are_not_prometheus(make_repo: MakeRepo) -> None:
    panels = [
        {"targets": [{"expr": "sum(rate(http_requests_total[5m]))"}]},
        {
            "datasource": {"type": "loki", "uid": "logs"},
            "targets": [
                {"expr": 'sum(count_over_time({app="scorer"} | json | level="error" [5m]))'}
            ],
        },
    ]
    board = json.dumps({"panels": panels}, indent=2)
    files = service(**{"monitoring/grafana/dashboard.json": board})
    assert run_check(DashboardMetrics, make_repo(files)).state is State.PASS


def test_metric_names_built_from_dashboard_variables_are_unknown(make_repo: MakeRepo) -> None:
    board = dashboard("sum(rate(${service}_requests_total[5m]))")
    finding = run_check(
        DashboardMetrics, make_repo(service(**{"monitoring/grafana/dashboard.json": board}))
    )
    assert finding.state is State.UNKNOWN
    assert finding.evidence[0].line == line_in(board, "requests_total")


def test_no_dashboard_fails(make_repo: MakeRepo) -> None:
    files = service(**{"monitoring/grafana/dashboard.json": ""})
    finding = run_check(DashboardMetrics, make_repo(files))
    assert finding.state is State.FAIL
    assert finding.detail == "no Grafana dashboard"


def test_a_dashboard_that_does_not_parse_is_unknown(make_repo: MakeRepo) -> None:
    files = service(**{"monitoring/grafana/dashboard.json": '{"panels": [\n'})
    finding = run_check(DashboardMetrics, make_repo(files))
    assert finding.state is State.UNKNOWN
    assert finding.evidence[0].path == "monitoring/grafana/dashboard.json"


@pytest.mark.parametrize(
    ("expr", "metrics"),
    [
        ('sum by (le) (rate(a_bucket{route="/x"}[5m]))', {"a_bucket"}),
        ("a / on(job) group_left(team) b offset 1h", {"a", "b"}),
        ('label_replace(up, "dst", "$1", "src", "(.*)")', {"up"}),
        ("histogram_quantile(0.99, x) > 1e3 and bool y", {"x", "y"}),
        ("slo:ratio:rate5m > (14.4 * 0.001)", {"slo:ratio:rate5m"}),
        ('rate(c_total{job="$job"}[$__rate_interval]) > $threshold', {"c_total"}),
        ("time() - max_over_time(last_ts[1h:5m])", {"last_ts"}),
    ],
)
def test_promql_metrics(expr: str, metrics: set[str]) -> None:
    assert promql_metrics(expr) == (metrics, set())


def test_promql_metric_names_built_from_variables_are_unresolved() -> None:
    assert promql_metrics("sum(${prefix}_requests_total)") == (set(), {"${prefix}_requests_total"})


# -- drift-monitor --------------------------------------------------------------------------


def test_an_exported_drift_metric_with_an_alert_passes(make_repo: MakeRepo) -> None:
    finding = run_check(DriftMonitor, make_repo(service()))
    assert finding.state is State.PASS
    assert [(e.path, e.line) for e in finding.evidence] == [
        (RULES, line_in(ALERTS, "alert: FeatureDrift")),
        ("src/scorer/metrics.py", line_in(METRICS, "_feature_drift_psi")),
    ]


def test_a_prediction_drift_alert_over_exported_scores_passes(make_repo: MakeRepo) -> None:
    metrics = (
        'from prometheus_client import Histogram\n\nSCORES = Histogram("model_score", "Scores.")\n'
    )
    rules = """
        groups:
          - name: g
            rules:
              - alert: PredictionDrift
                expr: abs(avg_over_time(model_score_sum[1h])
                  - avg_over_time(model_score_sum[7d] offset 1d)) > 0.1
                labels:
                  severity: ticket
    """
    files = service(**{"src/scorer/metrics.py": metrics, RULES: rules})
    finding = run_check(DriftMonitor, make_repo(files))
    assert finding.state is State.PASS
    assert finding.evidence[0].line == line_in(rules, "alert: PredictionDrift")
    assert finding.evidence[1] == Evidence("defines model_score", "src/scorer/metrics.py", 3)


def test_a_drift_metric_without_alert_fails_pointing_at_the_metric(make_repo: MakeRepo) -> None:
    alerts = ALERTS.split("      - alert: FeatureDrift", maxsplit=1)[0]
    finding = run_check(DriftMonitor, make_repo(service(**{RULES: alerts})))
    assert finding.state is State.FAIL
    assert "no alert fires on it" in finding.detail
    assert ("src/scorer/metrics.py", line_in(METRICS, "_feature_drift_psi")) in [
        (e.path, e.line) for e in finding.evidence
    ]


def test_an_alert_on_a_drift_metric_nobody_exports_fails(make_repo: MakeRepo) -> None:
    metrics = METRICS.replace(
        '    DRIFT = Gauge(f"{PREFIX}_feature_drift_psi", "PSI per feature.", ["feature"])\n', ""
    )
    finding = run_check(DriftMonitor, make_repo(service(**{"src/scorer/metrics.py": metrics})))
    assert finding.state is State.FAIL
    assert finding.detail == "no drift metric is exported"
    assert (RULES, line_in(ALERTS, "alert: FeatureDrift")) in [
        (e.path, e.line) for e in finding.evidence
    ]


def test_drift_is_not_applicable_without_a_model(make_repo: MakeRepo) -> None:
    app = "from fastapi import FastAPI\n\napp = FastAPI()\n"
    finding = run_check(DriftMonitor, make_repo({"app.py": app}))
    assert finding.state is State.NOT_APPLICABLE
    assert "no model" in finding.detail


def test_a_model_file_alone_makes_drift_applicable(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"\0onnx")
    finding = run_check(DriftMonitor, Repo(tmp_path, ["model.onnx"]))
    assert finding.state is State.FAIL
