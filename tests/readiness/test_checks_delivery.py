"""Delivery checks on the few files that decide each one: CI pipelines, Kubernetes
manifests, runbooks and rollout scripts."""

from __future__ import annotations

from goldenpath.readiness.checks.delivery import (
    CdPromotionApproval,
    CiTests,
    HealthProbes,
    ProgressiveRollout,
    ResourceLimits,
    Rollback,
)
from goldenpath.readiness.model import Finding, State
from readiness.conftest import MakeRepo, run_check


def where(finding: Finding) -> set[tuple[str | None, int | None]]:
    """(path, line) of every piece of evidence."""
    return {(e.path, e.line) for e in finding.evidence}


CI_ON_CHANGE = """
name: CI
on:
  push:
    branches: [main]
  pull_request:
jobs:
  lint:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - run: ruff check .
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - name: Install
        run: |
          pip install -e ".[dev]"
      - run: pytest -q
"""


# ----------------------------------------------------------------------------- ci-tests


def test_ci_tests_passes_on_a_workflow_run_on_push_and_pull_request(make_repo: MakeRepo) -> None:
    finding = run_check(CiTests, make_repo({".github/workflows/ci.yml": CI_ON_CHANGE}))
    assert finding.state is State.PASS
    assert (".github/workflows/ci.yml", 19) in where(finding)


def test_ci_tests_follows_make_targets_to_the_recipe_that_runs_pytest(
    make_repo: MakeRepo,
) -> None:
    workflow = CI_ON_CHANGE.replace("pytest -q", "make check")
    makefile = "lint:\n\truff check .\n\ntest:\n\t$(BIN)/pytest -q\n\ncheck: lint test\n"
    repo = make_repo({".github/workflows/ci.yml": workflow, "Makefile": makefile})
    finding = run_check(CiTests, repo)
    assert finding.state is State.PASS
    assert {(".github/workflows/ci.yml", 19), ("Makefile", 5)} <= where(finding)


def test_ci_tests_counts_a_reusable_workflow_called_on_every_change(make_repo: MakeRepo) -> None:
    caller = """
    on: [pull_request]
    jobs:
      tests:
        uses: ./.github/workflows/tests.yml
    """
    called = """
    on:
      workflow_call:
    jobs:
      run:
        runs-on: ubuntu-24.04
        steps:
          - run: python -m pytest
    """
    repo = make_repo({".github/workflows/pr.yml": caller, ".github/workflows/tests.yml": called})
    finding = run_check(CiTests, repo)
    assert finding.state is State.PASS
    assert (".github/workflows/tests.yml", 7) in where(finding)


def test_ci_tests_fails_when_the_tests_only_run_on_a_schedule(make_repo: MakeRepo) -> None:
    workflow = CI_ON_CHANGE.replace(
        "  push:\n    branches: [main]\n  pull_request:", "  schedule:\n    - cron: '0 3 * * *'"
    )
    finding = run_check(CiTests, make_repo({".github/workflows/nightly.yml": workflow}))
    assert finding.state is State.FAIL
    assert (".github/workflows/nightly.yml", 18) in where(finding)
    assert "schedule" in " ".join(e.text for e in finding.evidence)


def test_ci_tests_fails_without_a_test_job_or_without_ci(make_repo: MakeRepo) -> None:
    lint_only = CI_ON_CHANGE.replace("pytest -q", "mypy")
    finding = run_check(CiTests, make_repo({".github/workflows/ci.yml": lint_only}))
    assert finding.state is State.FAIL
    assert where(finding) == {(".github/workflows/ci.yml", None)}
    assert run_check(CiTests, make_repo({"README.md": "# x\n"})).state is State.FAIL


def test_ci_tests_reads_gitlab_templates_and_references(make_repo: MakeRepo) -> None:
    pipeline = """
    stages: [test]
    .python:
      image: python:3.11
      script:
        - python -m pytest -q
    test:
      extends: .python
      stage: test
    again:
      stage: test
      script:
        - !reference [.python, script]
    """
    finding = run_check(CiTests, make_repo({".gitlab-ci.yml": pipeline}))
    assert finding.state is State.PASS
    assert (".gitlab-ci.yml", 5) in where(finding)


def test_ci_tests_does_not_count_a_manual_gitlab_job(make_repo: MakeRepo) -> None:
    pipeline = "test:\n  when: manual\n  script:\n    - pytest\n"
    finding = run_check(CiTests, make_repo({".gitlab-ci.yml": pipeline}))
    assert finding.state is State.FAIL
    assert (".gitlab-ci.yml", 4) in where(finding)


def test_ci_tests_is_unknown_when_the_pipeline_does_not_parse(make_repo: MakeRepo) -> None:
    finding = run_check(CiTests, make_repo({".gitlab-ci.yml": "test: [unclosed\n"}))
    assert finding.state is State.UNKNOWN
    assert any(e.path == ".gitlab-ci.yml" for e in finding.evidence)


# ------------------------------------------------------------------------ health-probes

DEPLOYMENT = """
# the service
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: server
          image: api:1
          resources:
            requests:
              cpu: 250m
              memory: 256Mi
            limits:
              memory: 512Mi
          livenessProbe:
            httpGet: {path: /healthz, port: 8080}
          readinessProbe:
            httpGet: {path: /readyz, port: 8080}
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
              image: job:1
"""


def test_health_probes_pass_with_liveness_and_readiness(make_repo: MakeRepo) -> None:
    finding = run_check(HealthProbes, make_repo({"deploy/deployment.yaml": DEPLOYMENT}))
    assert finding.state is State.PASS
    assert where(finding) == {("deploy/deployment.yaml", 18)}


def test_health_probes_fail_names_the_container_without_readiness(make_repo: MakeRepo) -> None:
    manifest = DEPLOYMENT.split("          readinessProbe:", maxsplit=1)[0]
    finding = run_check(HealthProbes, make_repo({"deploy/deployment.yaml": manifest}))
    assert finding.state is State.FAIL
    assert where(finding) == {("deploy/deployment.yaml", 10)}
    assert "readinessProbe" in finding.evidence[0].text


def test_health_probes_not_applicable_to_jobs_or_without_kubernetes(make_repo: MakeRepo) -> None:
    finding = run_check(HealthProbes, make_repo({"deploy/cronjob.yaml": CRONJOB}))
    assert finding.state is State.NOT_APPLICABLE
    assert "CronJob" in finding.detail
    assert run_check(HealthProbes, make_repo({"app.py": "x = 1\n"})).state is State.NOT_APPLICABLE


def test_health_probes_unknown_when_the_manifests_do_not_parse(make_repo: MakeRepo) -> None:
    helm = "kind: Deployment\nmetadata:\n  name: {{ .Values.name }}\n  labels: [\n"
    finding = run_check(HealthProbes, make_repo({"chart/templates/deployment.yaml": helm}))
    assert finding.state is State.UNKNOWN


# ---------------------------------------------------------------------- resource-limits


def test_resource_limits_pass_with_requests_and_memory_limit(make_repo: MakeRepo) -> None:
    finding = run_check(ResourceLimits, make_repo({"deploy/deployment.yaml": DEPLOYMENT}))
    assert finding.state is State.PASS
    assert where(finding) == {("deploy/deployment.yaml", 12)}


def test_resource_limits_fail_on_a_job_without_resources(make_repo: MakeRepo) -> None:
    repo = make_repo({"deploy/deployment.yaml": DEPLOYMENT, "deploy/cronjob.yaml": CRONJOB})
    finding = run_check(ResourceLimits, repo)
    assert finding.state is State.FAIL
    assert where(finding) == {("deploy/cronjob.yaml", 12)}
    assert "limits.memory" in finding.evidence[0].text


def test_resource_limits_not_applicable_without_workloads(make_repo: MakeRepo) -> None:
    finding = run_check(ResourceLimits, make_repo({"README.md": "# lib\n"}))
    assert finding.state is State.NOT_APPLICABLE


# ----------------------------------------------------------------------------- rollback


def test_rollback_passes_on_a_documented_rollout_undo(make_repo: MakeRepo) -> None:
    runbook = "# Runbook\n\n## Rollback\n\n`kubectl -n api rollout undo deployment/api`\n"
    repo = make_repo({"deploy/deployment.yaml": DEPLOYMENT, "docs/runbook.md": runbook})
    finding = run_check(Rollback, repo)
    assert finding.state is State.PASS
    assert ("docs/runbook.md", 5) in where(finding)


def test_rollback_passes_on_a_rollback_section_with_a_command(make_repo: MakeRepo) -> None:
    runbook = """
    # Runbook

    ## Rolling back a champion

    Run `python -m pipeline promote --version <previous> --reason "rollback"`.

    ## Escalation
    """
    repo = make_repo({"infra/main.tf": "", "docs/runbook.md": runbook})
    finding = run_check(Rollback, repo)
    assert finding.state is State.PASS
    assert where(finding) == {("docs/runbook.md", 5)}


def test_rollback_passes_on_a_scripted_rollback(make_repo: MakeRepo) -> None:
    script = (
        "#!/usr/bin/env bash\nrollback() {\n  kubectl scale deploy/api-canary --replicas=0\n}\n"
    )
    repo = make_repo({"deploy/deployment.yaml": DEPLOYMENT, "deploy/rollout.sh": script})
    finding = run_check(Rollback, repo)
    assert finding.state is State.PASS
    assert where(finding) == {("deploy/rollout.sh", 2)}


def test_rollback_fails_when_nothing_says_how_to_go_back(make_repo: MakeRepo) -> None:
    runbook = "# Runbook\n\n## Rollback\n\nAsk the platform team.\n"
    repo = make_repo({"deploy/deployment.yaml": DEPLOYMENT, "docs/runbook.md": runbook})
    finding = run_check(Rollback, repo)
    assert finding.state is State.FAIL
    assert ("deploy/deployment.yaml", 2) in where(finding)
    assert "docs/runbook.md" in finding.evidence[0].text


def test_rollback_not_applicable_when_nothing_is_deployed(make_repo: MakeRepo) -> None:
    finding = run_check(Rollback, make_repo({"src/lib.py": "x = 1\n", "README.md": "# lib\n"}))
    assert finding.state is State.NOT_APPLICABLE


# ------------------------------------------------------------------ progressive-rollout

ROLLOUT = """
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: api
spec:
  strategy:
    canary:
      steps:
        - setWeight: 10
  template:
    spec:
      containers:
        - name: server
          image: api:1
"""


def test_progressive_rollout_passes_on_an_argo_canary(make_repo: MakeRepo) -> None:
    finding = run_check(ProgressiveRollout, make_repo({"deploy/rollout.yaml": ROLLOUT}))
    assert finding.state is State.PASS
    assert where(finding) == {("deploy/rollout.yaml", 7)}


def test_progressive_rollout_passes_on_stable_and_canary_with_a_script(
    make_repo: MakeRepo,
) -> None:
    canary = DEPLOYMENT.replace("name: api", "name: api-canary")
    script = '#!/bin/sh\nCANARY=api-canary\nkubectl scale "deployment/$CANARY" --replicas=1\n'
    repo = make_repo(
        {
            "deploy/stable.yaml": DEPLOYMENT,
            "deploy/canary.yaml": canary,
            "deploy/rollout.sh": script,
        }
    )
    finding = run_check(ProgressiveRollout, repo)
    assert finding.state is State.PASS
    assert {("deploy/canary.yaml", 2), ("deploy/stable.yaml", 2), ("deploy/rollout.sh", 3)} == (
        where(finding)
    )


def test_progressive_rollout_fails_on_a_canary_nothing_promotes(make_repo: MakeRepo) -> None:
    canary = DEPLOYMENT.replace("name: api", "name: api-canary")
    repo = make_repo({"deploy/stable.yaml": DEPLOYMENT, "deploy/canary.yaml": canary})
    finding = run_check(ProgressiveRollout, repo)
    assert finding.state is State.FAIL
    assert ("deploy/canary.yaml", 2) in where(finding)


def test_progressive_rollout_fails_on_a_plain_deployment(make_repo: MakeRepo) -> None:
    finding = run_check(ProgressiveRollout, make_repo({"deploy/deployment.yaml": DEPLOYMENT}))
    assert finding.state is State.FAIL
    assert ("deploy/deployment.yaml", 2) in where(finding)


def test_progressive_rollout_not_applicable_to_batch_jobs(make_repo: MakeRepo) -> None:
    finding = run_check(ProgressiveRollout, make_repo({"deploy/cronjob.yaml": CRONJOB}))
    assert finding.state is State.NOT_APPLICABLE


# ---------------------------------------------------------------- cd-promotion-approval

CD = """
on:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - run: docker build .
  staging:
    needs: build
    runs-on: ubuntu-24.04
    environment: staging
    steps:
      - run: ./deploy.sh staging
  production:
    needs: staging
    runs-on: ubuntu-24.04
    environment:
      name: production
      url: https://api.example.org
    steps:
      - run: ./deploy.sh production
"""


def test_cd_promotion_passes_on_staging_then_production(make_repo: MakeRepo) -> None:
    finding = run_check(CdPromotionApproval, make_repo({".github/workflows/cd.yml": CD}))
    assert finding.state is State.PASS
    assert where(finding) == {(".github/workflows/cd.yml", 12), (".github/workflows/cd.yml", 18)}


def test_cd_promotion_resolves_a_reusable_workflows_environment_input(
    make_repo: MakeRepo,
) -> None:
    caller = """
    on: {push: {branches: [main]}}
    jobs:
      staging:
        uses: ./.github/workflows/deploy.yml
        with:
          environment: staging
      production:
        needs: staging
        uses: ./.github/workflows/deploy.yml
        with:
          environment: production
    """
    called = """
    on:
      workflow_call:
        inputs:
          environment: {type: string, required: true}
    jobs:
      deploy:
        runs-on: ubuntu-24.04
        environment: ${{ inputs.environment }}
        steps:
          - run: ./deploy.sh
    """
    repo = make_repo({".github/workflows/cd.yml": caller, ".github/workflows/deploy.yml": called})
    finding = run_check(CdPromotionApproval, repo)
    assert finding.state is State.PASS
    assert where(finding) == {(".github/workflows/cd.yml", 6), (".github/workflows/cd.yml", 11)}


def test_cd_promotion_fails_on_a_straight_deploy_to_production(make_repo: MakeRepo) -> None:
    straight = CD.replace("needs: staging", "needs: build")
    finding = run_check(CdPromotionApproval, make_repo({".github/workflows/cd.yml": straight}))
    assert finding.state is State.FAIL
    assert where(finding) == {(".github/workflows/cd.yml", 18)}


def test_cd_promotion_fails_without_a_production_environment(make_repo: MakeRepo) -> None:
    repo = make_repo({".github/workflows/cd.yml": CD.split("  production:", maxsplit=1)[0]})
    finding = run_check(CdPromotionApproval, repo)
    assert finding.state is State.FAIL
    assert (".github/workflows/cd.yml", 12) in where(finding)


GITLAB_CD = """
stages: [test, staging, production]
.deploy:
  script: [./deploy.sh]
deploy-staging:
  extends: .deploy
  stage: staging
  environment: staging
deploy-production:
  extends: .deploy
  stage: production
  environment:
    name: production
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
      when: manual
"""


def test_cd_promotion_passes_on_gitlab_stages_and_a_manual_production_job(
    make_repo: MakeRepo,
) -> None:
    finding = run_check(CdPromotionApproval, make_repo({".gitlab-ci.yml": GITLAB_CD}))
    assert finding.state is State.PASS
    assert where(finding) == {(".gitlab-ci.yml", 7), (".gitlab-ci.yml", 11)}


def test_cd_promotion_fails_on_gitlab_production_without_when_manual(make_repo: MakeRepo) -> None:
    automatic = GITLAB_CD.replace("      when: manual\n", "")
    finding = run_check(CdPromotionApproval, make_repo({".gitlab-ci.yml": automatic}))
    assert finding.state is State.FAIL
    assert where(finding) == {(".gitlab-ci.yml", 11)}
    assert "when: manual" in finding.evidence[0].text


def test_cd_promotion_unknown_when_the_environment_is_an_expression(make_repo: MakeRepo) -> None:
    matrix = """
    on: push
    jobs:
      deploy:
        strategy:
          matrix:
            target: [staging, production]
        environment: ${{ matrix.target }}
        runs-on: ubuntu-24.04
        steps:
          - run: ./deploy.sh
    """
    finding = run_check(CdPromotionApproval, make_repo({".github/workflows/cd.yml": matrix}))
    assert finding.state is State.UNKNOWN
    assert where(finding) == {(".github/workflows/cd.yml", 7)}


def test_cd_promotion_not_applicable_when_nothing_is_deployed(make_repo: MakeRepo) -> None:
    finding = run_check(CdPromotionApproval, make_repo({".github/workflows/ci.yml": CI_ON_CHANGE}))
    assert finding.state is State.NOT_APPLICABLE
