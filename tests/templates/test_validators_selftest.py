"""Each validator catches a small bad input and accepts a small good one.

A validator that cannot fail proves nothing: these tests feed every tool a tiny broken
artifact in ``tmp_path`` and check that the finding comes back, and a fixed one that
comes back clean.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import test_artifacts as artifacts
from template_harness import validators as v
from template_harness.cases import Case, cases_for
from template_harness.render import Renderer


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


# ------------------------------------------------------------------------- leftover Jinja


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("README.md", "# {{ project_name }}\n"),
        ("Makefile", "{% if cloud == 'aws' %}\ndeploy:\n{% endif %}\n"),
        ("src/app.py", "x = 1  {# a Jinja comment #}\n"),
        ("src/app.py", 'NAME = "{{ package_name }}"\n'),
        ("src/app.py", 'NAME = "{{package_name|upper}}"\n'),
        ("deploy/k8s/svc.yaml", "name: ${{ project_name }}\n"),  # ${{ }} only under .github
        ("dags/train.py", 'IMAGE = "{{ image_ref }}"\n'),  # not an Airflow context name
        ("src/app.py", 'RUN = "/runs/{{ run_id }}"\n'),  # Airflow templates only under dags/
        ("monitoring/grafana/dashboard.json", '{"title": "{{ project_name }}"}'),
        ("monitoring/grafana/dashboard.json", '{"panels": [{"legendFormat": "{% raw %}"}]}'),
    ],
)
def test_leftover_jinja_is_found(tmp_path: Path, name: str, text: str) -> None:
    write(tmp_path / name, text)
    assert name in v.leftover_jinja(tmp_path)


def test_unrendered_file_name_is_found(tmp_path: Path) -> None:
    write(tmp_path / "src" / "{{package_name}}" / "__init__.py", "")
    assert "unrendered file name" in v.leftover_jinja(tmp_path)


def test_legitimate_double_braces_are_accepted(tmp_path: Path) -> None:
    write(
        tmp_path / ".github/workflows/ci.yml",
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-24.04
            steps:
              - run: echo "${{ github.sha }} ${#ITEMS[@]}"
        """,
    )
    write(
        tmp_path / "monitoring/prometheus/alerts.yml",
        """
        annotations:
          summary: "{{ $labels.job }} fails {{ $value | humanizePercentage }}"
          description: '{{ printf "%.2f" $value }} on {{ .Labels.instance }}'
        """,
    )
    write(tmp_path / "docs/runbook.md", "## Model down {#model-down}\n")
    write(
        tmp_path / "dags/train.py",
        "RUN = \"/runs/{{ run_id }}\"\nIMAGE = \"{{ var.value.get('image', 'app:1') }}\"\n"
        'MAIL = "Run {{ dag_run.run_id }}"\n',
    )
    write(
        tmp_path / "tests/test_metrics.py",
        'line = f\'runs_total{{model="{name}"}} 1.0\'\nempty = "{{}}".format()\n',
    )
    dashboard = {"panels": [{"targets": [{"expr": "up", "legendFormat": "{{route}} {{ code }}"}]}]}
    write(tmp_path / "monitoring/grafana/dashboard.json", json.dumps(dashboard))
    assert v.leftover_jinja(tmp_path) == ""


# ---------------------------------------------------------------------- placeholder text


@pytest.mark.parametrize(
    "line",
    [
        "# TODO: write this",
        "bucket = <your-bucket>",
        "FIXME later",
        "docs: https://example.com/docs",
        "Lorem ipsum dolor sit amet",
        "owner: CHANGEME",
    ],
)
def test_placeholder_is_found(tmp_path: Path, line: str) -> None:
    write(tmp_path / "README.md", f"{line}\n")
    assert "README.md:1" in v.placeholders(tmp_path)


def test_non_placeholders_are_accepted(tmp_path: Path) -> None:
    write(
        tmp_path / "README.md",
        "Contact ml-platform-oncall@example.com.\nRun `mktemp -t run.XXXXXX`; a todo list.\n",
    )
    assert v.placeholders(tmp_path) == ""


# --------------------------------------------------------------------------------- Python


def _python_project(root: Path, module: str) -> Path:
    write(root / "pyproject.toml", "[tool.ruff]\nline-length = 100\n[tool.mypy]\nstrict = true\n")
    write(root / "src" / "pkg" / "__init__.py", module)
    return root


def test_ruff_check_catches_lint(tmp_path: Path) -> None:
    assert "F401" in v.ruff_check(_python_project(tmp_path, "import os\n"))


def test_ruff_check_accepts_clean_code(tmp_path: Path) -> None:
    assert v.ruff_check(_python_project(tmp_path, "VALUE = 1\n")) == ""


def test_ruff_format_catches_unformatted_code(tmp_path: Path) -> None:
    assert "__init__.py" in v.ruff_format(_python_project(tmp_path, "x=  1\n"))


def test_ruff_format_accepts_formatted_code(tmp_path: Path) -> None:
    assert v.ruff_format(_python_project(tmp_path, "x = 1\n")) == ""


def test_mypy_strict_catches_untyped_code(tmp_path: Path) -> None:
    project = _python_project(tmp_path / "p", "def double(x):\n    return x * 2\n")
    assert "no-untyped-def" in v.mypy_strict(project, tmp_path / "cache")


def test_mypy_strict_accepts_typed_code(tmp_path: Path) -> None:
    project = _python_project(tmp_path / "p", "def double(x: int) -> int:\n    return x * 2\n")
    assert v.mypy_strict(project, tmp_path / "cache") == ""


@pytest.mark.parametrize(("body", "fails"), [("assert 1 + 1 == 3", True), ("pass", False)])
def test_project_tests_run_the_suite_on_a_copy(tmp_path: Path, body: str, fails: bool) -> None:
    project = _python_project(tmp_path / "p", "VALUE = 1\n")
    write(project / "tests" / "test_value.py", f"def test_value() -> None:\n    {body}\n")
    work = tmp_path / "work"
    work.mkdir()
    problems = v.project_tests(project, work)
    assert bool(problems) is fails, problems
    assert not (project / "tests" / "__pycache__").exists(), "the render itself was used"


# ---------------------------------------------------------------- Dockerfile, Kubernetes


def test_hadolint_catches_unpinned_image(tmp_path: Path) -> None:
    dockerfile = write(tmp_path / "Dockerfile", "FROM python:latest\nRUN pip install flask\n")
    problems = v.hadolint([dockerfile], cwd=tmp_path)
    assert "DL3007" in problems
    assert "DL3013" in problems


def test_hadolint_accepts_clean_dockerfile(tmp_path: Path) -> None:
    dockerfile = write(
        tmp_path / "Dockerfile",
        """
        FROM python:3.11.9-slim-bookworm
        USER 10001
        CMD ["python", "-c", "print(1)"]
        """,
    )
    assert v.hadolint([dockerfile], cwd=tmp_path) == ""


SERVICE = """
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
"""


def test_kubernetes_validate_catches_unknown_field(tmp_path: Path) -> None:
    manifest = write(tmp_path / "svc.yaml", SERVICE + "  bogusField: 1\n")
    assert "bogusField" in v.kubernetes_validate([manifest])


def test_kubernetes_validate_treats_unknown_kind_warning_as_failure(tmp_path: Path) -> None:
    manifest = write(
        tmp_path / "isvc.yaml",
        "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: m\n",
    )
    assert "WARN" in v.kubernetes_validate([manifest])


def test_kubernetes_validate_accepts_valid_manifest(tmp_path: Path) -> None:
    assert v.kubernetes_validate([write(tmp_path / "svc.yaml", SERVICE)]) == ""


# ------------------------------------------------------------------------------ Terraform

UNFORMATTED_TF = 'resource "aws_s3_bucket" "data" {\n  bucket = "b"\n    force_destroy = false\n}\n'
FORMATTED_TF = (
    'resource "aws_s3_bucket" "data" {\n  bucket        = "b"\n  force_destroy = false\n}\n'
)


def test_terraform_fmt_catches_unformatted_file_without_rewriting_it(tmp_path: Path) -> None:
    path = write(tmp_path / "infra" / "main.tf", UNFORMATTED_TF)
    assert "main.tf" in v.terraform_fmt(tmp_path)
    assert path.read_text() == UNFORMATTED_TF


def test_terraform_fmt_catches_syntax_error(tmp_path: Path) -> None:
    write(tmp_path / "main.tf", 'resource "x" "y" {\n  a =\n}\n')
    assert "syntax error" in v.terraform_fmt(tmp_path)


def test_terraform_fmt_accepts_formatted_file(tmp_path: Path) -> None:
    write(tmp_path / "infra" / "main.tf", FORMATTED_TF)
    assert v.terraform_fmt(tmp_path) == ""


def test_hcl2_parse(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.tf", 'resource "x" "y" {\n  a = \n')
    good = write(tmp_path / "good.tf", FORMATTED_TF)
    assert "bad.tf" in v.hcl2_parse([bad, good])
    assert v.hcl2_parse([good]) == ""


def test_checkov_catches_insecure_resources_and_accepts_fixed_ones(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    write(bad / "Dockerfile", "FROM python:3.11-slim\nRUN echo hi\n")
    problems = v.checkov(bad)
    assert "CKV_DOCKER_2" in problems  # no HEALTHCHECK
    assert "CKV_DOCKER_3" in problems  # runs as root
    good = tmp_path / "good"
    write(
        good / "Dockerfile",
        """
        FROM python:3.11-slim
        USER 10001
        HEALTHCHECK CMD ["python", "-c", "print(1)"]
        CMD ["python"]
        """,
    )
    assert v.checkov(good) == ""


# ------------------------------------------------------------------------------------- CI


def test_actionlint_catches_bad_expression(tmp_path: Path) -> None:
    workflow = write(
        tmp_path / ".github/workflows/ci.yml",
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-24.04
            steps:
              - run: echo "${{ github.no_such_context }}"
        """,
    )
    assert "no_such_context" in v.actionlint([workflow], cwd=tmp_path)


def test_actionlint_and_schema_accept_valid_workflow(tmp_path: Path) -> None:
    workflow = write(
        tmp_path / ".github/workflows/ci.yml",
        """
        on: push
        permissions:
          contents: read
        jobs:
          build:
            runs-on: ubuntu-24.04
            steps:
              - run: echo "${{ github.sha }}"
        """,
    )
    assert v.actionlint([workflow], cwd=tmp_path) == ""
    assert v.github_workflow_schema([workflow]) == ""


def test_github_workflow_schema_catches_unknown_key(tmp_path: Path) -> None:
    workflow = write(
        tmp_path / "ci.yml", "on: push\njobs:\n  build:\n    runs-on: ubuntu-24.04\n    stepz: []\n"
    )
    assert v.github_workflow_schema([workflow]) != ""


def test_gitlab_ci_schema(tmp_path: Path) -> None:
    bad = write(
        tmp_path / "bad" / ".gitlab-ci.yml", "test:\n  script: [pytest]\n  when: sometimes\n"
    )
    good = write(
        tmp_path / "good" / ".gitlab-ci.yml",
        ".base:\n  image: python:3.11\ntest:\n  extends: .base\n"
        "  script:\n    - !reference [.base, image]\n    - pytest\n",
    )
    assert v.gitlab_ci_schema([bad]) != ""
    assert v.gitlab_ci_schema([good]) == ""


def test_yamllint(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yml", "key: 1\nkey: 2\n")
    good = write(tmp_path / "good.yml", f"on: push\nlong: {'x' * 200}\n")
    assert "key-duplicates" in v.yamllint([bad])
    assert v.yamllint([good]) == ""


# ----------------------------------------------------------------------------- Prometheus

RULES = """
groups:
  - name: service
    rules:
      - alert: ServiceDown
        expr: up == 0
        for: 1m
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.job }} is down"
          description: The scrape target has been down for a minute.
          runbook_url: https://github.com/acme/svc/blob/main/docs/runbook.md#servicedown
"""

RULE_TESTS = """
rule_files:
  - alerts.yml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'up{job="svc"}'
        values: "0x5"
    alert_rule_test:
      - eval_time: 3m
        alertname: ServiceDown
        exp_alerts:
          - exp_labels: {severity: page, job: svc}
            exp_annotations:
              summary: "svc is down"
              description: The scrape target has been down for a minute.
              runbook_url: https://github.com/acme/svc/blob/main/docs/runbook.md#servicedown
"""


def test_promtool_check_rules(tmp_path: Path) -> None:
    good = write(tmp_path / "alerts.yml", RULES)
    bad = write(tmp_path / "bad.yml", RULES.replace("up == 0", "rate(up[5m] == 0"))
    assert v.promtool_check_rules([good]) == ""
    assert "bad.yml" in v.promtool_check_rules([bad])


def test_promtool_test_rules(tmp_path: Path) -> None:
    write(tmp_path / "alerts.yml", RULES)
    good = write(tmp_path / "alerts.test.yml", RULE_TESTS)
    bad = write(tmp_path / "wrong.test.yml", RULE_TESTS.replace('"svc is down"', '"wrong"'))
    assert v.promtool_test_rules([good]) == ""
    assert "wrong" in v.promtool_test_rules([bad])


def test_rule_file_shape(tmp_path: Path) -> None:
    good = write(tmp_path / "alerts.yml", RULES)
    renamed = write(tmp_path / "renamed.yml", RULES.replace("groups:", "grups:"))
    empty = write(tmp_path / "empty.yml", "")
    no_rules = write(tmp_path / "no_rules.yml", "groups:\n  - name: g\n")
    assert v.rule_file_shape([good]) == ""
    for bad in (renamed, empty, no_rules):
        assert bad.name in v.rule_file_shape([bad])
        assert bad.name in v.promtool_check_rules([bad])  # promtool alone passes an empty file
    with pytest.raises(ValueError, match=r"renamed\.yml"):
        v.alerting_rules([good, renamed])


def test_prometheus_rules_are_found_by_path_not_content(tmp_path: Path) -> None:
    prom = tmp_path / "monitoring" / "prometheus"
    rules = write(prom / "alerts.yml", RULES.replace("groups:", "grups:"))
    write(prom / "alerts.test.yml", RULE_TESTS)
    assert v.find_prometheus_rules(tmp_path) == [rules]


# A render's alerts.yml broken the ways a template edit could break it.
MALFORMED_RULES: dict[str, Callable[[str], str]] = {
    "groups-renamed": lambda text: text.replace("groups:", "grups:", 1),
    "emptied": lambda text: "",
    "not-a-mapping": lambda text: "- " + text.replace("\n", "\n  "),
}
RULES_CASE = cases_for("batch-inference")[0]


@pytest.mark.xdist_group(RULES_CASE.id)
@pytest.mark.parametrize("breakage", sorted(MALFORMED_RULES))
def test_malformed_rule_file_in_a_render_fails_every_rules_check(
    renderer: Renderer, tmp_path: Path, breakage: str
) -> None:
    """The artifact tests themselves, run on a copy of a real render whose alerts.yml is
    broken: every Prometheus check must fail, none may skip as "not applicable"."""
    project = tmp_path / "project"
    shutil.copytree(renderer(RULES_CASE), project)
    alerts = project / "monitoring" / "prometheus" / "alerts.yml"
    alerts.write_text(MALFORMED_RULES[breakage](alerts.read_text()))
    checks: dict[str, Callable[[], None]] = {
        "promtool check rules": lambda: artifacts.test_promtool_check_rules(project),
        "promtool test rules": lambda: artifacts.test_promtool_test_rules(project),
        "alert metadata": lambda: artifacts.test_alert_metadata(project),
        "runbook anchors": lambda: artifacts.test_runbook_anchors(project),
    }
    outcomes = {}
    for name, check in checks.items():
        try:
            check()
        except pytest.skip.Exception as exc:
            outcomes[name] = f"SKIPPED ({exc})"
        except (pytest.fail.Exception, AssertionError, ValueError):
            continue  # the check failed, as it must
        else:
            outcomes[name] = "PASSED"
    assert not outcomes, f"checks that did not fail on a broken alerts.yml: {outcomes}"


def test_alert_metadata_and_test_coverage(tmp_path: Path) -> None:
    good = write(tmp_path / "alerts.yml", RULES)
    bare = write(
        tmp_path / "bare.yml",
        "groups:\n  - name: g\n    rules:\n      - alert: Bare\n        expr: up == 0\n",
    )
    tests = write(tmp_path / "alerts.test.yml", RULE_TESTS)
    assert v.alert_metadata([good]) == ""
    assert "runbook_url" in v.alert_metadata([bare])
    assert "severity" in v.alert_metadata([bare])
    assert v.alerts_without_tests([good], [tests]) == ""
    assert "Bare" in v.alerts_without_tests([good, bare], [tests])


def test_runbook_anchors(tmp_path: Path) -> None:
    rules = write(tmp_path / "alerts.yml", RULES)
    runbook = write(tmp_path / "docs" / "runbook.md", "# Runbook\n\n## ServiceDown\n\nSteps.\n")
    assert v.runbook_anchors([rules], runbook) == ""
    write(runbook, "# Runbook\n\n## Service down\n\n```\n## ServiceDown\n```\n")
    assert "#servicedown" in v.runbook_anchors([rules], runbook)


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("ServiceDown", "servicedown"),
        ("High error rate (5xx)", "high-error-rate-5xx"),
        ("`ModelStale`: what to do", "modelstale-what-to-do"),
        ("Latency p99 > 250 ms", "latency-p99--250-ms"),
        ("[Drift](https://example.org) detected", "drift-detected"),
    ],
)
def test_github_slug(heading: str, slug: str) -> None:
    assert v.github_slug(heading) == slug


def test_markdown_anchors_number_duplicates_and_skip_code() -> None:
    text = "# A\n## Steps\n## Steps\n```\n# Not a heading\n```\nSetext\n======\n"
    assert v.markdown_anchors(text) == {"a", "steps", "steps-1", "setext"}


# ------------------------------------------------------------------------ PromQL, Grafana


def test_substitute_grafana_variables() -> None:
    expr = (
        'sum by (route) (rate(http_requests_total{job=~"$job",env="${env:regex}"}'
        "[$__rate_interval]))"
    )
    assert v.substitute_grafana_variables(expr) == (
        'sum by (route) (rate(http_requests_total{job=~"x",env="x"}[5m]))'
    )
    assert v.substitute_grafana_variables("topk($n, up) offset $__interval") == (
        "topk(1, up) offset 5m"
    )


def test_promql_check(tmp_path: Path) -> None:
    assert v.promql_check({"ok": "sum(rate(up[5m]))"}, tmp_path) == ""
    assert "check:broken" in v.promql_check({"broken": "sum(rate(up[5m])"}, tmp_path)


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("up", {"up"}),
        (
            "histogram_quantile(0.99, sum by (le) "
            '(rate(http_request_duration_seconds_bucket{route="/predict"}[5m])))',
            {"http_request_duration_seconds_bucket"},
        ),
        (
            "sum(rate(errors_total[5m])) / sum(rate(requests_total[5m] offset 1h30m)) > bool 0.01",
            {"errors_total", "requests_total"},
        ),
        ('count({__name__="model_info", version!=""}) without (instance)', {"model_info"}),
        (
            "a:ratio:rate5m * on (job) group_left (version) build_info",
            {"a:ratio:rate5m", "build_info"},
        ),
        ("max_over_time(queue_depth[1h:5m]) and ignoring (pod) absent(up)", {"queue_depth", "up"}),
    ],
)
def test_promql_metric_names(expr: str, names: set[str]) -> None:
    assert v.promql_metric_names(expr) == names


def _dashboard(tmp_path: Path, panels: list[dict[str, object]]) -> Path:
    dashboard = {"title": "svc", "uid": "svc", "schemaVersion": 39, "panels": panels}
    return write(tmp_path / "dashboard.json", json.dumps(dashboard))


def _panel(panel_id: int, x: int, y: int, expr: str = "up") -> dict[str, object]:
    return {
        "id": panel_id,
        "type": "timeseries",
        "title": f"panel {panel_id}",
        "gridPos": {"x": x, "y": y, "w": 12, "h": 8},
        "targets": [{"refId": "A", "expr": expr, "legendFormat": "{{route}}"}],
    }


def test_grafana_promql(tmp_path: Path) -> None:
    good = _dashboard(tmp_path / "good", [_panel(1, 0, 0, "rate(up[$__rate_interval])")])
    bad = _dashboard(tmp_path / "bad", [_panel(7, 0, 0, "rate(up[$__rate_interval]")])
    assert v.grafana_promql([good], tmp_path) == ""
    assert "panel7" in v.grafana_promql([bad], tmp_path)


def test_grafana_layout(tmp_path: Path) -> None:
    good = _dashboard(tmp_path / "good", [_panel(1, 0, 0), _panel(2, 12, 0), _panel(3, 0, 8)])
    assert v.grafana_layout([good]) == ""
    bad = _dashboard(tmp_path / "bad", [_panel(1, 0, 0), _panel(1, 6, 4), _panel(3, 20, 20)])
    problems = v.grafana_layout([bad])
    assert "panel id 1" in problems
    assert "overlap" in problems
    assert "24-column" in problems


def test_grafana_schema(tmp_path: Path) -> None:
    panel = _panel(1, 0, 0) | {
        "fieldConfig": {
            "defaults": {
                "thresholds": {"mode": "absolute", "steps": [{"color": "green", "value": None}]}
            },
            "overrides": [],
        }
    }
    good = _dashboard(tmp_path / "good", [panel])
    assert v.grafana_schema([good], tmp_path) == ""
    wrong = panel | {"gridPos": {"x": 0, "y": 0, "w": "12", "h": 8}, "bogusKey": True}
    problems = v.grafana_schema([_dashboard(tmp_path / "bad", [wrong])], tmp_path)
    assert "not assignable" in problems or "bogusKey" in problems


# ------------------------------------------------------------------------------ rendering


def test_render_failure_carries_copiers_message(renderer: Renderer) -> None:
    bad = Case("realtime-inference", "selftest-invalid-name", {"project_name": "Not Valid"})
    with pytest.raises(pytest.fail.Exception, match="must use lowercase") as first:
        renderer(bad)
    with pytest.raises(pytest.fail.Exception) as again:  # cached: not rendered twice
        renderer(bad)
    assert str(again.value) == str(first.value)
    assert "selftest-invalid-name" not in renderer.rendered


def test_markdown_links(tmp_path: Path) -> None:
    write(tmp_path / "docs" / "runbook.md", "# Runbook\n\n## ServiceDown\n")
    good = write(
        tmp_path / "README.md",
        "See [the runbook](docs/runbook.md#servicedown), [top](#readme),"
        " [site](https://example.org) and `[code](nowhere.md)`.\n\n# README\n",
    )
    assert v.markdown_links([good], tmp_path) == ""
    bad = write(
        tmp_path / "BAD.md",
        "[gone](docs/missing.md) [anchor](docs/runbook.md#nope) [out](../../etc/passwd)\n",
    )
    problems = v.markdown_links([bad], tmp_path)
    assert "docs/missing.md" in problems
    assert "#nope" in problems
    assert "../../etc/passwd" in problems


# ---------------------------------------------------------------------------- CODEOWNERS


def test_codeowners_paths(tmp_path: Path) -> None:
    write(tmp_path / "infra" / "main.tf", "")
    write(tmp_path / "docs" / "runbook.md", "# Runbook\n")
    codeowners = write(
        tmp_path / "CODEOWNERS",
        """
        # owners
        *              @acme/ml
        /infra/        @acme/ml
        docs/*.md      @acme/ml
        /CODEOWNERS    @acme/ml
        """,
    )
    assert v.codeowners_paths(codeowners, tmp_path) == ""
    write(tmp_path / "deploy", "a file, not a folder\n")
    write(
        codeowners, "*  @acme/ml\n/infra/  @acme/ml\n/deploy/  @acme/ml\n/monitoring/  @acme/ml\n"
    )
    problems = v.codeowners_paths(codeowners, tmp_path)
    assert "CODEOWNERS:3: /deploy/" in problems
    assert "CODEOWNERS:4: /monitoring/" in problems
    assert "/infra/" not in problems
