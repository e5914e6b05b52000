"""Security checks on small repositories: Dockerfiles read like the builder reads them,
secrets found by shape without false alarms on references, IaC scanner coverage by kind
and path, IAM statements judged by what they grant."""

from __future__ import annotations

import pytest

from goldenpath.readiness.checks.security import (
    ContainerNonRoot,
    IacScanned,
    LeastPrivilege,
    NoSecrets,
)
from goldenpath.readiness.model import Finding, State
from readiness.conftest import MakeRepo, run_check


def where(finding: Finding) -> set[tuple[str | None, int | None]]:
    """(path, line) of every piece of evidence."""
    return {(e.path, e.line) for e in finding.evidence}


# Built at run time so that no scanner mistakes this file for a leak.
AWS_KEY = "AKIA" + "Z7XQ2M4K9T3B6N8P"
PRIVATE_KEY = "-----BEGIN " + "RSA PRIVATE KEY-----"
GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
PASSWORD = "q8Zr2" + "LmX7vKpW3"

# ------------------------------------------------------------------- container-non-root

MULTI_STAGE = """\
# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
USER root
RUN pip install --no-cache-dir . \\
    # a comment inside the continuation is dropped by the builder
    && python -m compileall /app

FROM python:3.11-slim
RUN groupadd --gid 10001 app \\
    && useradd --uid 10001 --gid app app
COPY --from=build /app /app
USER 10001:10001
CMD ["python", "-m", "app"]
"""


@pytest.mark.parametrize(
    ("dockerfile", "state", "line"),
    [
        pytest.param(MULTI_STAGE, State.PASS, 12, id="final-stage-uid-and-gid"),
        pytest.param(MULTI_STAGE + "USER root\n", State.FAIL, 14, id="user-root-appended"),
        pytest.param(MULTI_STAGE + "USER 0\n", State.FAIL, 14, id="user-0"),
        pytest.param(MULTI_STAGE + "USER 0:10001\n", State.FAIL, 14, id="uid-0-with-group"),
        pytest.param(
            'FROM python:3.11 AS build\nUSER app\nFROM python:3.11-slim\nCMD ["app"]\n',
            State.FAIL,
            3,
            id="builder-non-root-final-stage-without-user",
        ),
        pytest.param(
            'FROM python:3.11 AS base\nUSER app\nFROM base AS final\nCMD ["app"]\n',
            State.PASS,
            2,
            id="final-stage-inherits-user-of-named-stage",
        ),
        pytest.param(
            'FROM python:3.11\nRUN true \\\n  && echo ok\n# USER app\nCMD ["app"]\n',
            State.FAIL,
            1,
            id="commented-user-does-not-count",
        ),
        pytest.param(
            'FROM python:3.11\nRUN <<EOF\nUSER app\nEOF\nCMD ["app"]\n',
            State.FAIL,
            1,
            id="heredoc-body-is-not-an-instruction",
        ),
        pytest.param(
            'FROM gcr.io/distroless/python3:nonroot\nCMD ["app"]\n',
            State.PASS,
            1,
            id="nonroot-base-image",
        ),
    ],
)
def test_container_non_root_reads_the_final_stage(
    make_repo: MakeRepo, dockerfile: str, state: State, line: int
) -> None:
    finding = run_check(ContainerNonRoot, make_repo({"Dockerfile": dockerfile}))
    assert finding.state is state
    assert where(finding) == {("Dockerfile", line)}


@pytest.mark.parametrize(
    ("lines", "state"),
    [
        pytest.param("ARG UID=10001\nUSER ${UID}", State.PASS, id="arg-with-default"),
        pytest.param("ARG UID=0\nUSER $UID", State.FAIL, id="arg-defaulting-to-root"),
        pytest.param("ARG UID\nUSER ${UID}", State.UNKNOWN, id="arg-without-default"),
        pytest.param("ARG UID\nUSER ${UID:-10001}", State.PASS, id="shell-style-default"),
        pytest.param("ENV APP_USER=root\nUSER ${APP_USER}", State.FAIL, id="env-to-root"),
    ],
)
def test_container_non_root_substitutes_build_arguments_honestly(
    make_repo: MakeRepo, lines: str, state: State
) -> None:
    repo = make_repo({"Dockerfile": f'FROM python:3.11\n{lines}\nCMD ["app"]\n'})
    finding = run_check(ContainerNonRoot, repo)
    assert finding.state is state
    assert where(finding) == {("Dockerfile", 3)}


def test_container_non_root_global_arg_reaches_a_stage_that_redeclares_it(
    make_repo: MakeRepo,
) -> None:
    dockerfile = "ARG UID=10001\nFROM python:3.11\nARG UID\nUSER ${UID}\n"
    finding = run_check(ContainerNonRoot, make_repo({"Dockerfile": dockerfile}))
    assert finding.state is State.PASS
    assert where(finding) == {("Dockerfile", 4)}


def test_container_non_root_honours_the_escape_directive(make_repo: MakeRepo) -> None:
    dockerfile = "# escape=`\nFROM mcr.microsoft.com/windows\nRUN echo a `\n  b\nUSER root\n"
    finding = run_check(ContainerNonRoot, make_repo({"Dockerfile": dockerfile}))
    assert finding.state is State.FAIL
    assert where(finding) == {("Dockerfile", 5)}


POD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
        - name: server
          image: api:1
"""


def test_container_non_root_requires_run_as_non_root_on_workloads(make_repo: MakeRepo) -> None:
    finding = run_check(ContainerNonRoot, make_repo({"deploy/api.yaml": POD}))
    assert finding.state is State.PASS
    assert where(finding) == {("deploy/api.yaml", 9)}

    override = POD + "          securityContext:\n            runAsNonRoot: false\n"
    finding = run_check(ContainerNonRoot, make_repo({"deploy/api.yaml": override}))
    assert finding.state is State.FAIL
    assert where(finding) == {("deploy/api.yaml", 11)}

    root_uid = POD.replace("runAsNonRoot: true", "runAsNonRoot: true\n        runAsUser: 0")
    finding = run_check(ContainerNonRoot, make_repo({"deploy/api.yaml": root_uid}))
    assert finding.state is State.FAIL
    assert "runAsUser: 0" in finding.evidence[0].text


def test_container_non_root_not_applicable_without_images_or_workloads(
    make_repo: MakeRepo,
) -> None:
    finding = run_check(ContainerNonRoot, make_repo({"src/lib.py": "x = 1\n"}))
    assert finding.state is State.NOT_APPLICABLE


# --------------------------------------------------------------------------- no-secrets


def test_no_secrets_passes_on_references_and_obvious_fakes(make_repo: MakeRepo) -> None:
    repo = make_repo(
        {
            "src/app/settings.py": (
                "import os\n"
                'API_TOKEN = os.environ["API_TOKEN"]\n'
                'token_url = "https://sts.example.org/v1/token"\n'
                "token = request_id_var.set(request_id)\n"
                'password_file = "/run/secrets/db"\n'
            ),
            ".github/workflows/cd.yml": (
                "env:\n  MLFLOW_TRACKING_TOKEN: ${{ secrets.MLFLOW_TRACKING_TOKEN }}\n"
                "permissions:\n  id-token: write\n"
            ),
            "infra/main.tf": "token = data.aws_eks_cluster_auth.this.token\n",
            "tests/test_auth.py": 'PASSWORD = "fake-password-for-tests"\n',
            ".env.example": "DB_PASSWORD=changeme\n",
            "docs/setup.md": f"export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n{AWS_KEY[:8]}\n",
        }
    )
    finding = run_check(NoSecrets, repo)
    assert finding.state is State.PASS, finding.evidence
    assert finding.evidence[0].path


@pytest.mark.parametrize(
    ("path", "text", "line", "kind"),
    [
        pytest.param("config/prod.yaml", f"aws:\n  key_id: {AWS_KEY}\n", 2, "AWS", id="aws-key"),
        pytest.param("deploy/key.pem", f"{PRIVATE_KEY}\nMIIE\n", 1, "private key", id="pem"),
        pytest.param("README.md", f"token {GITHUB_TOKEN}\n", 1, "GitHub", id="token-in-docs"),
        pytest.param(
            "src/app/db.py", f'DB_PASSWORD = "{PASSWORD}"\n', 1, "DB_PASSWORD", id="literal"
        ),
        pytest.param(
            "config.yaml",
            f"db:\n  url: postgresql://svc:{PASSWORD}@db:5432/x\n",
            2,
            "URL",
            id="url",
        ),
        pytest.param(".env", "# local\nAPI_KEY=\nREGION=eu-west-1\n", 3, ".env", id="env-file"),
    ],
)
def test_no_secrets_fails_naming_the_kind_and_line_never_the_value(
    make_repo: MakeRepo, path: str, text: str, line: int, kind: str
) -> None:
    finding = run_check(NoSecrets, make_repo({path: text, "README.txt": "nothing\n"}))
    assert finding.state is State.FAIL
    assert (path, line) in where(finding)
    evidence = " ".join(e.text for e in finding.evidence)
    assert kind in evidence
    for secret in (AWS_KEY, GITHUB_TOKEN, PASSWORD):
        assert secret not in evidence


def test_no_secrets_fails_on_a_kubernetes_secret_with_data(make_repo: MakeRepo) -> None:
    manifest = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: aHVudGVy\n"
    finding = run_check(NoSecrets, make_repo({"deploy/secret.yaml": manifest}))
    assert finding.state is State.FAIL
    assert where(finding) == {("deploy/secret.yaml", 1)}


def test_no_secrets_respects_an_allowlist_pragma(make_repo: MakeRepo) -> None:
    line = f'SIGNING_SECRET = "{PASSWORD}"  # pragma: allowlist secret\n'
    assert run_check(NoSecrets, make_repo({"src/app/x.py": line})).state is State.PASS


# -------------------------------------------------------------------------- iac-scanned

TERRAFORM = 'resource "aws_s3_bucket" "data" {\n  bucket = "data"\n}\n'
MANIFEST = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"


def workflow(*runs: str) -> str:
    steps = "".join(f"      - run: {run}\n" for run in runs)
    return f"on: [push]\njobs:\n  scan:\n    runs-on: ubuntu-24.04\n    steps:\n{steps}"


def test_iac_scanned_passes_when_every_kind_is_scanned(make_repo: MakeRepo) -> None:
    repo = make_repo(
        {
            "infra/main.tf": TERRAFORM,
            "deploy/k8s/settings.yaml": MANIFEST,
            ".github/workflows/ci.yml": workflow(
                "pip install checkov",
                "checkov -d infra -d deploy/k8s --framework terraform kubernetes",
            ),
        }
    )
    finding = run_check(IacScanned, repo)
    assert finding.state is State.PASS
    assert where(finding) == {(".github/workflows/ci.yml", 7)}


def test_iac_scanned_fails_on_manifests_outside_the_scanned_framework(
    make_repo: MakeRepo,
) -> None:
    repo = make_repo(
        {
            "infra/main.tf": TERRAFORM,
            "deploy/k8s/settings.yaml": MANIFEST,
            ".github/workflows/ci.yml": workflow(
                "pip install checkov", "checkov --quiet -d infra --framework terraform"
            ),
        }
    )
    finding = run_check(IacScanned, repo)
    assert finding.state is State.FAIL
    assert where(finding) == {("deploy/k8s/settings.yaml", None), (".github/workflows/ci.yml", 7)}
    assert finding.evidence[0].text.startswith("kubernetes")


def test_iac_scanned_does_not_count_installing_a_scanner(make_repo: MakeRepo) -> None:
    repo = make_repo(
        {"infra/main.tf": TERRAFORM, ".github/workflows/ci.yml": workflow("pip install checkov")}
    )
    finding = run_check(IacScanned, repo)
    assert finding.state is State.FAIL
    assert where(finding) == {("infra/main.tf", None)}


@pytest.mark.parametrize(
    ("command", "state"),
    [
        pytest.param("cd infra && tfsec .", State.PASS, id="cd-then-tfsec"),
        pytest.param("cd deploy && tfsec .", State.FAIL, id="cd-elsewhere"),
        pytest.param("trivy config .", State.PASS, id="trivy-config"),
        pytest.param("trivy fs .", State.FAIL, id="trivy-fs-without-misconfig"),
        pytest.param(
            "docker run --rm -v $PWD:/src bridgecrew/checkov:3 -d /src", State.PASS, id="docker"
        ),
        pytest.param("make scan", State.PASS, id="make-target"),
    ],
)
def test_iac_scanned_reads_how_the_scanner_is_called(
    make_repo: MakeRepo, command: str, state: State
) -> None:
    repo = make_repo(
        {
            "infra/main.tf": TERRAFORM,
            "Makefile": "scan:\n\tcheckov -d infra\n",
            ".github/workflows/ci.yml": workflow(command),
        }
    )
    assert run_check(IacScanned, repo).state is state


def test_iac_scanned_accepts_scanner_actions_and_gitlab_jobs(make_repo: MakeRepo) -> None:
    action = (
        "on: [pull_request]\njobs:\n  scan:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: aquasecurity/trivy-action@0.28.0\n        with:\n"
        "          scan-type: config\n"
    )
    repo = make_repo({"deploy/settings.yaml": MANIFEST, ".github/workflows/ci.yml": action})
    finding = run_check(IacScanned, repo)
    assert finding.state is State.PASS
    assert where(finding) == {(".github/workflows/ci.yml", 6)}

    pipeline = ".scan:\n  script:\n    - kube-linter lint deploy\nlint-k8s:\n  extends: .scan\n"
    repo = make_repo({"deploy/settings.yaml": MANIFEST, ".gitlab-ci.yml": pipeline})
    finding = run_check(IacScanned, repo)
    assert finding.state is State.PASS
    assert where(finding) == {(".gitlab-ci.yml", 3)}


def test_iac_scanned_not_applicable_without_infrastructure_code(make_repo: MakeRepo) -> None:
    catalog = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\n"
    finding = run_check(IacScanned, make_repo({"catalog-info.yaml": catalog}))
    assert finding.state is State.NOT_APPLICABLE


# ---------------------------------------------------------------------- least-privilege

SCOPED = """\
resource "aws_kms_key" "data" {
  policy = jsonencode({
    Statement = [
      {
        Sid       = "AccountAdministersKey" # the default key policy
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.this.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
    ]
  })
}

resource "aws_s3_bucket_policy" "data" {
  policy = jsonencode({
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.data.arn]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

resource "aws_iam_role_policy" "job" {
  policy = jsonencode({
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${aws_s3_bucket.data.arn}/*"]
      },
      {
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = "*"
      },
    ]
  })
}
"""


def test_least_privilege_passes_on_scoped_policies(make_repo: MakeRepo) -> None:
    finding = run_check(LeastPrivilege, make_repo({"infra/main.tf": SCOPED}))
    assert finding.state is State.PASS
    assert where(finding) == {("infra/main.tf", 4)}


CONDITION = '      Condition = { Bool = { "aws:SecureTransport" = "false" } }\n'


@pytest.mark.parametrize(
    ("edits", "line", "text"),
    [
        pytest.param([('["s3:GetObject"]', '"*"')], 32, "wildcard action *", id="action-star"),
        pytest.param([('["s3:GetObject"]', '["s3:*"]')], 32, "s3:*", id="service-wide"),
        pytest.param(
            [('["${aws_s3_bucket.data.arn}/*"]', '"*"')], 33, "wildcard resource", id="resource"
        ),
        pytest.param([('"Deny"', '"Allow"')], 20, "resource policy grants s3:*", id="allow-s3"),
        pytest.param(
            [('"Deny"', '"Allow"'), ('"s3:*"', '"s3:GetObject"'), (CONDITION, "")],
            17,
            "every principal",
            id="public-principal",
        ),
    ],
)
def test_least_privilege_fails_on_wildcards_with_the_line(
    make_repo: MakeRepo, edits: list[tuple[str, str]], line: int, text: str
) -> None:
    terraform = SCOPED
    for old, new in edits:
        assert old in terraform
        terraform = terraform.replace(old, new, 1)
    finding = run_check(LeastPrivilege, make_repo({"infra/main.tf": terraform}))
    assert finding.state is State.FAIL
    assert where(finding) == {("infra/main.tf", line)}
    assert text in finding.evidence[0].text


def test_least_privilege_reads_policy_documents_and_json(make_repo: MakeRepo) -> None:
    document = (
        'data "aws_iam_policy_document" "ci" {\n  statement {\n'
        '    actions   = ["*"]\n    resources = ["arn:aws:s3:::x"]\n  }\n}\n'
    )
    finding = run_check(LeastPrivilege, make_repo({"infra/ci.tf": document}))
    assert finding.state is State.FAIL
    assert where(finding) == {("infra/ci.tf", 3)}

    policy = (
        '{\n  "Statement": [\n    {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}\n  ]\n}\n'
    )
    finding = run_check(LeastPrivilege, make_repo({"policies/admin.json": policy}))
    assert finding.state is State.FAIL
    assert where(finding) == {("policies/admin.json", 3)}


@pytest.mark.parametrize(
    ("path", "text", "line"),
    [
        pytest.param(
            "infra/iam.tf",
            'resource "aws_iam_role_policy_attachment" "a" {\n'
            '  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"\n}\n',
            2,
            id="aws-admin",
        ),
        pytest.param(
            "infra/iam.tf",
            'resource "google_project_iam_member" "m" {\n  role   = "roles/owner"\n}\n',
            2,
            id="gcp-owner",
        ),
        pytest.param(
            "deploy/rbac.yaml",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
            "metadata:\n  name: ci\nroleRef:\n  kind: ClusterRole\n  name: cluster-admin\n",
            7,
            id="cluster-admin",
        ),
        pytest.param(
            "deploy/role.yaml",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n"
            'rules:\n  - apiGroups: [""]\n    resources: [pods]\n    verbs: ["*"]\n',
            8,
            id="wildcard-verbs",
        ),
        pytest.param("deploy/api.yaml", POD, 1, id="token-automounted"),
    ],
)
def test_least_privilege_fails_on_admin_roles_and_mounted_tokens(
    make_repo: MakeRepo, path: str, text: str, line: int
) -> None:
    finding = run_check(LeastPrivilege, make_repo({path: text}))
    assert finding.state is State.FAIL
    assert where(finding) == {(path, line)}


def test_least_privilege_accepts_tokens_turned_off_on_the_account(make_repo: MakeRepo) -> None:
    pod = POD.replace(
        "      securityContext:", "      serviceAccountName: api\n      securityContext:"
    )
    account = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: api\n"
    account += "automountServiceAccountToken: false\n"
    repo = make_repo({"deploy/api.yaml": pod, "deploy/sa.yaml": account})
    finding = run_check(LeastPrivilege, repo)
    assert finding.state is State.PASS
    assert where(finding) == {("deploy/sa.yaml", 5)}


def test_least_privilege_not_applicable_without_identities(make_repo: MakeRepo) -> None:
    finding = run_check(LeastPrivilege, make_repo({"src/lib.py": "x = 1\n"}))
    assert finding.state is State.NOT_APPLICABLE
