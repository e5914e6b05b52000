"""Every applicable validator over every matrix case.

Each case is rendered once per worker (``project`` fixture) and every tool is called once
per case with all the files it applies to. A validator applies when a file of its kind
exists in the render, judged by the file's path only (``v.find_*``), never by its content:
which paths a render has follows from the answers (the template, ``ci``), so "not
applicable" means "these answers render no such file", and a broken file (a rule file
without ``groups``) fails its checks instead of skipping them. The paths a template must
always produce are asserted by ``test_required_paths``. A tool that is not installed skips
locally and fails in CI (see conftest.py).

Terraform is checked offline only: ``fmt``, a python-hcl2 parse and checkov. ``terraform
validate`` needs the aws/google providers, which cannot be downloaded here.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
import yaml
from template_harness import tools
from template_harness import validators as v
from template_harness.cases import CI_PATHS, Case, required_paths

pytestmark = pytest.mark.slow


def expect_clean(tool: str, problems: str) -> None:
    """Fail with the tool's own output when it found problems."""
    if problems:
        pytest.fail(f"{tool} found problems:\n{problems}", pytrace=False)


def applicable(files: list[Path], artifact: str) -> list[Path]:
    """The files a validator checks; skip as not applicable when there are none.

    ``files`` must come from a path-based finder, so that a skip follows from the answers.
    """
    if not files:
        pytest.skip(f"not applicable: this render has no {artifact}")
    return files


# ------------------------------------------------------------------- structure of a render


def test_required_paths(case: Case, project: Path) -> None:
    """The template's REQUIRED_PATHS and the chosen CI's files exist; the other CI's don't."""
    chosen_ci = case.data().get("ci", "github")
    patterns = [*required_paths(case.template), CI_PATHS[chosen_ci]]
    missing = [pattern for pattern in patterns if not any(project.glob(pattern))]
    unexpected = [
        pattern
        for ci, pattern in CI_PATHS.items()
        if ci != chosen_ci and any(project.glob(pattern))
    ]
    assert not missing, f"required paths missing from the render: {missing}"
    assert not unexpected, f"files of another CI system rendered for ci={chosen_ci}: {unexpected}"


def test_codeowners_names_only_rendered_paths(project: Path) -> None:
    codeowners = project / "CODEOWNERS"
    if not codeowners.is_file():
        pytest.skip("not applicable: this render has no CODEOWNERS")
    expect_clean("CODEOWNERS paths", v.codeowners_paths(codeowners, project))


def test_answers_file_records_the_case(case: Case, project: Path) -> None:
    answers_file = project / ".copier-answers.yml"
    assert answers_file.is_file(), "no .copier-answers.yml: `goldenpath update` would fail"
    recorded = yaml.safe_load(answers_file.read_text())
    expected = case.data()
    differing = {key: recorded.get(key) for key in expected if recorded.get(key) != expected[key]}
    assert not differing, f"answers recorded differently from the case: {differing}"


def test_no_leftover_jinja(project: Path) -> None:
    expect_clean("leftover Jinja check", v.leftover_jinja(project))


def test_no_placeholder_text(project: Path) -> None:
    expect_clean("placeholder check", v.placeholders(project))


def test_yamllint(project: Path) -> None:
    expect_clean("yamllint", v.yamllint(applicable(v.find_yaml(project), "YAML file")))


# ------------------------------------------------------------------------------ Python code


def test_ruff_check(project: Path) -> None:
    applicable(v.find_python(project), "Python file")
    expect_clean("ruff check", v.ruff_check(project))


def test_ruff_format(project: Path) -> None:
    applicable(v.find_python(project), "Python file")
    expect_clean("ruff format --check", v.ruff_format(project))


def test_mypy_strict(project: Path, tool_cache: Path) -> None:
    applicable(v.find_python(project), "Python file")
    expect_clean("mypy --strict", v.mypy_strict(project, tool_cache / "mypy"))


def test_project_test_suite(project: Path, tmp_path: Path) -> None:
    """The render's own tests pass in the shared generated-project environment."""
    applicable([p for p in [project / "tests"] if p.is_dir()], "tests/ directory")
    if _depends_on_pyspark(project) and shutil.which("java") is None:
        # Its tests start a local Spark session (a render with Spark as its engine).
        raise tools.ToolMissing(
            "java (17+) runs the Spark tests: apt install openjdk-17-jre-headless"
        )
    expect_clean("the project's own pytest run", v.project_tests(project, tmp_path))


def _depends_on_pyspark(project: Path) -> bool:
    """pyspark among the render's (not optional) dependencies."""
    pyproject = project / "pyproject.toml"
    if not pyproject.is_file():
        return False
    dependencies = tomllib.loads(pyproject.read_text()).get("project", {}).get("dependencies", [])
    return any(str(item).startswith("pyspark") for item in dependencies)


# --------------------------------------------------------------- containers and Kubernetes


def test_hadolint(project: Path) -> None:
    files = applicable(v.find_dockerfiles(project), "Dockerfile")
    expect_clean("hadolint", v.hadolint(files, cwd=project))


def test_kubernetes_manifests(project: Path) -> None:
    files = applicable(v.find_k8s_manifests(project), "deploy/k8s manifest")
    expect_clean("kubernetes-validate --strict", v.kubernetes_validate(files))


# ------------------------------------------------------------------------------ Terraform


def test_terraform_fmt(project: Path) -> None:
    applicable(v.find_terraform(project), "Terraform file")
    expect_clean("terraform fmt -check", v.terraform_fmt(project))


def test_terraform_parses(project: Path) -> None:
    files = applicable(v.find_terraform(project), "Terraform file")
    expect_clean("python-hcl2", v.hcl2_parse(files))


def test_checkov(project: Path) -> None:
    applicable(
        v.find_terraform(project)
        + v.find_k8s_manifests(project)
        + v.find_dockerfiles(project)
        + v.find_github_workflows(project),
        "Terraform, Kubernetes, Dockerfile or GitHub workflow",
    )
    expect_clean("checkov", v.checkov(project))


# ------------------------------------------------------------------------------------- CI


def test_actionlint(project: Path) -> None:
    files = applicable(v.find_github_workflows(project), "GitHub workflow")
    expect_clean("actionlint", v.actionlint(files, cwd=project))


def test_github_workflow_schema(project: Path) -> None:
    files = applicable(v.find_github_workflows(project), "GitHub workflow")
    expect_clean("check-jsonschema github-workflows", v.github_workflow_schema(files))


def test_gitlab_ci_schema(project: Path) -> None:
    files = applicable(v.find_gitlab_ci(project), ".gitlab-ci.yml")
    expect_clean("check-jsonschema gitlab-ci", v.gitlab_ci_schema(files))


# ----------------------------------------------------------------------------- monitoring


def test_promtool_check_rules(project: Path) -> None:
    files = applicable(v.find_prometheus_rules(project), "Prometheus rule file")
    expect_clean("promtool check rules", v.promtool_check_rules(files))


def test_promtool_test_rules(project: Path) -> None:
    rules = applicable(v.find_prometheus_rules(project), "Prometheus rule file")
    tests = v.find_prometheus_tests(project)
    assert tests, f"rule files {[p.name for p in rules]} have no promtool tests (*.test.yml)"
    expect_clean("promtool test rules", v.promtool_test_rules(tests))
    expect_clean("alert test coverage", v.alerts_without_tests(rules, tests))


def test_alert_metadata(project: Path) -> None:
    rules = applicable(v.find_prometheus_rules(project), "Prometheus rule file")
    expect_clean("alert labels and annotations", v.alert_metadata(rules))


def test_runbook_anchors(project: Path) -> None:
    rules = applicable(v.find_prometheus_rules(project), "Prometheus rule file")
    expect_clean("runbook links", v.runbook_anchors(rules, project / "docs" / "runbook.md"))


def test_grafana_promql(project: Path, tmp_path: Path) -> None:
    dashboards = applicable(v.find_grafana_dashboards(project), "Grafana dashboard")
    exprs = [e for d in dashboards for e in v.dashboard_exprs(json.loads(d.read_text()))]
    assert exprs, "the dashboards have no PromQL queries"
    expect_clean("PromQL of dashboard panels", v.grafana_promql(dashboards, tmp_path))


def test_grafana_layout(project: Path) -> None:
    dashboards = applicable(v.find_grafana_dashboards(project), "Grafana dashboard")
    expect_clean("dashboard panel ids and layout", v.grafana_layout(dashboards))


def test_grafana_schema(project: Path, tmp_path: Path) -> None:
    dashboards = applicable(v.find_grafana_dashboards(project), "Grafana dashboard")
    expect_clean("tsc against @grafana/schema", v.grafana_schema(dashboards, tmp_path))


def test_markdown_links(project: Path) -> None:
    files = applicable(v.find_markdown(project), "Markdown file")
    expect_clean("relative Markdown links", v.markdown_links(files, project))
