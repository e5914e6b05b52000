"""Security checks: no root containers, no committed secrets, scanned and least-privilege
infrastructure.

Each verdict reads the files as the tool that uses them would: Dockerfiles through
:mod:`goldenpath.readiness.dockerfile` (stages, continuations, build arguments), CI scanner
runs through :mod:`goldenpath.readiness.iacscan` (kinds and paths each run covers), IAM
statements through :mod:`goldenpath.readiness.iam`. Secrets are reported by kind and
location only, never by value, so the report itself never leaks one.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from goldenpath.readiness.dockerfile import dockerfile_stages, effective_user
from goldenpath.readiness.facts import K8sObject, Repo
from goldenpath.readiness.iacscan import covers, gitlab_template_scans, iac_files, job_scans
from goldenpath.readiness.iam import blank_comments, iam_statements, statement_problem
from goldenpath.readiness.model import (
    Check,
    Evidence,
    Finding,
    Level,
    Section,
    State,
    failed,
    not_applicable,
    passed,
    unknown,
)

# ----------------------------------------------------------------------------- Dockerfile


_ROOT_USERS = frozenset({"root", "0", "containeradministrator"})


def dockerfile_user(path: str, text: str) -> Finding:
    """Whether the final stage of one Dockerfile runs as a non-root user."""
    stages = dockerfile_stages(text)
    if not stages:
        return unknown(
            "no FROM instruction", Evidence("not a Dockerfile goldenpath can read", path)
        )
    final = len(stages) - 1
    stage, user = effective_user(stages, final)
    if user is None:
        if "nonroot" in stage.base.lower():
            return passed(
                "the base image runs as nonroot",
                Evidence(f"FROM {stage.base}", path, stage.line),
            )
        return failed(
            "the final stage sets no USER: it runs as the base image's user (root for most)",
            Evidence(f"no USER after FROM {stage.base}", path, stages[final].line),
        )
    line, raw, value = user
    if value is None:
        return unknown(
            "USER names a build argument without a default: the user is chosen at build time",
            Evidence(f"USER {raw}", path, line),
        )
    name = value.split(":", 1)[0].strip().lower()
    if not name or name in _ROOT_USERS:
        return failed("the final stage runs as root", Evidence(f"USER {raw}", path, line))
    return passed(f"runs as {value}", Evidence(f"USER {raw}", path, line))


def dockerfiles(repo: Repo) -> list[str]:
    """Dockerfiles that build images (development containers and templates excluded)."""
    return [
        f
        for f in repo.glob(
            "Dockerfile",
            "*/Dockerfile",
            "*Dockerfile.*",
            "*.Dockerfile",
            "*.dockerfile",
            "Containerfile",
            "*/Containerfile",
        )
        if not f.startswith(".devcontainer/")
        and "/.devcontainer/" not in f
        and not f.endswith((".dockerignore", ".jinja", ".j2"))  # ignore files, templates
    ]


def _security_context(data: dict[str, Any]) -> dict[str, Any]:
    value = data.get("securityContext")
    return value if isinstance(value, dict) else {}


def _pod_containers(obj: K8sObject) -> Iterator[dict[str, Any]]:
    spec = obj.pod_spec() or {}
    for key in ("initContainers", "containers"):
        items = spec.get(key)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                yield item


def workload_non_root(repo: Repo, obj: K8sObject) -> Evidence | None:
    """None when every container of ``obj`` must run as non-root, else what is wrong."""
    pod = _security_context(obj.pod_spec() or {})
    for container in _pod_containers(obj):
        own = _security_context(container)
        name = container.get("name", "?")
        non_root = own.get("runAsNonRoot", pod.get("runAsNonRoot"))
        user = own.get("runAsUser", pod.get("runAsUser"))
        if non_root is not True or user == 0:
            problem = "runAsUser: 0" if user == 0 else "no runAsNonRoot: true"
            start = repo.line_of(obj.path, r"^\s*(?:init)?[cC]ontainers\s*:", obj.line)
            pattern = rf"^\s*-?\s*name\s*:\s*['\"]?{re.escape(str(name))}['\"]?\s*$"
            line = repo.line_of(obj.path, pattern, start or obj.line)
            return Evidence(
                f"{obj.kind} {obj.name}, container {name}: {problem}", obj.path, line or obj.line
            )
    return None


class ContainerNonRoot(Check):
    """Images and pods run as a non-root user."""

    id = "container-non-root"
    section = Section.SECURITY
    level = Level.BRONZE
    weight = 2
    title = "Containers run as a non-root user"
    why = (
        "A process that breaks out of a root container is root on the node; a non-root "
        "user in the image and runAsNonRoot in the pod make the kubelet refuse a root one."
    )
    reference = "Readiness: container hardening"
    hint = (
        "end the Dockerfile's final stage with a non-root `USER 10001` and set "
        "`securityContext.runAsNonRoot: true` on every pod"
    )

    def run(self, repo: Repo) -> Finding:
        files = dockerfiles(repo)
        workloads = repo.workloads()
        if not files and not workloads:
            return not_applicable("no Dockerfile and no Kubernetes workload")
        findings = [dockerfile_user(path, repo.text(path) or "") for path in files]
        good = [e for f in findings if f.state is State.PASS for e in f.evidence]
        bad = [e for f in findings if f.state is State.FAIL for e in f.evidence]
        undecided = [e for f in findings if f.state is State.UNKNOWN for e in f.evidence]
        for obj in workloads:
            problem = workload_non_root(repo, obj)
            if problem:
                bad.append(problem)
            else:
                line = repo.line_of(obj.path, r"^\s*runAsNonRoot\s*:\s*true", obj.line)
                good.append(Evidence(f"{obj.kind} {obj.name}: runAsNonRoot", obj.path, line))
        if bad:
            return failed("a container can run as root", *bad)
        if undecided:
            return unknown("the user of an image is only known at build time", *undecided)
        return passed("images and pods run as non-root users", *good)


# ---------------------------------------------------------------------------- no-secrets

# Shapes of real credentials, reported by kind.
TOKEN_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_\w{60,}")),
    ("GitLab token", re.compile(r"\bgl(?:pat|dt|rt|ptt|cbt)-[\w-]{20,}")),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("Slack webhook", re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+")),
    ("Google API key", re.compile(r"\bAIza[\w-]{35}\b")),
    ("Stripe live key", re.compile(r"\b[rs]k_live_[A-Za-z0-9]{20,}")),
)
# A name whose value is a credential: the last word decides (token_url is a URL).
SECRET_NAME = re.compile(
    r"(?:password|passwd|passphrase|secret|token|api_?key|secret_?key|access_?key|"
    r"private_?key|client_?secret|auth_?token|credentials?)$",
    re.IGNORECASE,
)
_QUOTED = re.compile(
    r"(?P<name>[A-Za-z_][\w.-]*)[\"']?\s*(?::\s*[A-Za-z_][\w\[\]., |]*\s*(?==))?"
    r"(?:=|:|=>)\s*(?P<q>[\"'])(?P<value>[^\"'\n]*)(?P=q)"
)
_BARE = re.compile(
    r"^\s*(?:export\s+|ENV\s+|ARG\s+|-\s+)?(?P<name>[A-Za-z_][\w.-]*)\s*[:=]\s*"
    r"(?P<value>[^\s\"'#]+)\s*(?:#.*)?$"
)
_URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@\"']+:(?P<value>[^/\s@\"']+)@")
_FAKE = re.compile(
    r"example|sample|dummy|fake|placeholder|changeme|change-me|replace|your|redacted|"
    r"xxxx|\*\*\*|not-?a-?real|test|mock|secret|password|\.\.\.|<|>",
    re.IGNORECASE,
)
_ALLOW = re.compile(r"pragma:\s*allowlist secret|gitleaks:allow|noqa:\s*S10[567]|nosec")
_SKIP_FILES = ("*.lock", "*-lock.json", "*-lock.yaml", "*.lock.json", "go.sum", ".secrets.baseline")
# Where a name = "literal" assignment is a credential (code), and where an unquoted value
# is a literal too (configuration); elsewhere (docs) only token shapes count.
_CODE_FILES = ("*.py", "*.json", "*.toml", "*.tf", "*.tfvars", "*.tf.json")
_CONFIG_FILES = (
    "*.yml",
    "*.yaml",
    "*.ini",
    "*.cfg",
    "*.conf",
    "*.env",
    "*.sh",
    "*.properties",
    "*Dockerfile*",
    "*.env.*",
    ".env",
)
_ENV_TEMPLATES = re.compile(r"\.(?:example|sample|template|dist|tmpl|defaults?)$")
_KEY_FILES = ("id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "*.p12", "*.pfx", "*.jks", "*.keystore")


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _literal_secret(value: str) -> bool:
    """A value that looks like a credential rather than a reference, path or stand-in."""
    if len(value) < 8 or any(c.isspace() for c in value) or _FAKE.search(value):  # noqa: PLR2004
        return False
    if value.startswith(("$", "{", "%", "/", "./", "~", "http://", "https://", "arn:")):
        return False
    if re.fullmatch(r"[\w.-]+\.(?:json|pem|key|txt|crt|yaml|yml|env)", value):
        return False
    if re.fullmatch(r"(?:true|false|null|none|read|write|[A-Za-z_]+\(.*\))", value, re.I):
        return False
    return _entropy(value) >= 3.0  # noqa: PLR2004 - below it: words, not keys


def _is_env_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return (name == ".env" or name.startswith(".env.") or name.endswith(".env")) and not bool(
        _ENV_TEMPLATES.search(name)
    )


def _token_in_line(line: str) -> str | None:
    """The kind of credential-shaped token on a line (a documented example excluded)."""
    for kind, pattern in TOKEN_PATTERNS:
        match = pattern.search(line)
        documented = re.search(r"example|fake|dummy", line, re.IGNORECASE)
        if match and not documented and not _FAKE.search(match.group(0)):
            return kind
    url = _URL_PASSWORD.search(line)
    return "password in a URL" if url and _literal_secret(url.group("value")) else None


def _assignment_in_line(line: str, bare: bool) -> str | None:
    """``secret_name = "literal"`` (and ``name: literal`` when ``bare``) on a line."""
    candidates = [(m.group("name"), m.group("value")) for m in _QUOTED.finditer(line)]
    unquoted = _BARE.match(line) if bare else None
    if unquoted:
        candidates.append((unquoted.group("name"), unquoted.group("value")))
    for name, value in candidates:
        if SECRET_NAME.search(re.sub(r"[-.]", "_", name)) and _literal_secret(value):
            return f"literal value for {name}"
    return None


def _secret_in_line(line: str, mode: str) -> str | None:
    """The kind of secret on one line, or None; ``mode`` is "code", "config" or ""."""
    if _ALLOW.search(line):
        return None
    return _token_in_line(line) or (
        _assignment_in_line(line, bare=mode == "config") if mode else None
    )


# Anything that could start a finding, as plain lower-case words (searched in lower-cased
# text, many times faster than the patterns themselves): only those lines are examined.
_SUSPECT = re.compile(
    r"begin|akia|asia|abia|acca|gh[pousr]_|github_pat_|gl(?:pat|dt|rt|ptt|cbt)-|xox"
    r"|hooks\.slack|aiza|k_live_|://|pass|secret|token|api_?key|access_?key|private_?key"
    r"|credential"
)


def _suspect_lines(text: str) -> Iterator[tuple[int, str]]:
    """(number, line) of the lines ``_SUSPECT`` matches, each once."""
    last = 0
    lowered = text.lower()
    if len(lowered) != len(text):  # a character whose lower case is longer: keep offsets
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    for match in _SUSPECT.finditer(lowered):
        start = text.rfind("\n", 0, match.start()) + 1
        if start < last:
            continue
        end = text.find("\n", match.start())
        end = len(text) if end < 0 else end
        last = end + 1
        yield text.count("\n", 0, start) + 1, text[start:end]


class NoSecrets(Check):
    """No credentials are committed."""

    id = "no-secrets"
    section = Section.SECURITY
    level = Level.BRONZE
    weight = 2
    title = "No secrets are committed"
    why = (
        "A credential in git is readable by everyone with a clone, forever (history keeps "
        "it after a fix); secrets belong in a secret manager or the CI's secret store."
    )
    reference = "Readiness: secret management"
    hint = (
        "revoke the credential, remove it from the repository (and its history) and read it "
        "from a secret store or an environment variable"
    )

    def run(self, repo: Repo) -> Finding:
        found: list[Evidence] = []
        scanned = 0
        for path in repo.files:
            name = path.rsplit("/", 1)[-1]
            if any(fnmatch.fnmatch(name, p) for p in _KEY_FILES):
                found.append(Evidence("private key or keystore file", path))
                continue
            if any(fnmatch.fnmatch(name, p) for p in _SKIP_FILES):
                continue
            text = repo.text(path)
            if text is None:
                continue
            scanned += 1
            env_file = _is_env_file(path)
            mode = ""
            if env_file or any(fnmatch.fnmatch(name, p) for p in _CONFIG_FILES):
                mode = "config"
            elif any(fnmatch.fnmatch(name, p) for p in _CODE_FILES):
                mode = "code"
            found.extend(
                Evidence(kind, path, number)
                for number, line in _suspect_lines(text)
                if (kind := _secret_in_line(line, mode))
            )
            if env_file and not any(e.path == path for e in found):
                where = repo.line_of(path, r"^\s*(?:export\s+)?\w+\s*=\s*\S")
                if where:
                    found.append(Evidence("committed .env file with values", path, where))
        found.extend(self._k8s_secrets(repo))
        if found:
            return failed("credentials are committed", *found[:20])
        return passed(
            f"no private keys, tokens or literal credentials in {scanned} files",
            Evidence(
                "looked for private keys, cloud/forge/chat tokens, credentials in URLs, "
                "literal password/secret/token values and .env files",
                repo.files[0] if repo.files else None,
            ),
        )

    @staticmethod
    def _k8s_secrets(repo: Repo) -> Iterator[Evidence]:
        for obj in repo.k8s_objects:
            if obj.kind != "Secret":
                continue
            values = [
                value
                for key in ("data", "stringData")
                if isinstance(obj.data.get(key), dict)
                for value in obj.data[key].values()
                if value not in (None, "")
            ]
            if values:
                yield Evidence(f"Secret {obj.name} with literal data", obj.path, obj.line)


# --------------------------------------------------------------------------- iac-scanned


class IacScanned(Check):
    """Infrastructure code is scanned for misconfigurations in CI."""

    id = "iac-scanned"
    section = Section.SECURITY
    level = Level.SILVER
    title = "Infrastructure code is scanned in CI"
    why = (
        "A public bucket or a privileged pod is one line of Terraform or YAML; a scanner "
        "in CI (checkov, tfsec, trivy config, kics, kube-linter) catches it before apply."
    )
    reference = "Readiness: infrastructure security"
    hint = (
        "scan every kind of infrastructure code in CI, e.g. "
        "`checkov -d infra -d deploy/k8s --framework terraform kubernetes`"
    )

    def run(self, repo: Repo) -> Finding:
        files = iac_files(repo)
        if not files:
            return not_applicable(
                "no Terraform, Kubernetes manifests, Helm charts or CloudFormation"
            )
        scans = [scan for job in repo.ci_jobs for scan in job_scans(repo, job)]
        scans += gitlab_template_scans(repo)
        covered: list[Evidence] = []
        missing: list[Evidence] = []
        for kind, paths in files.items():
            left = [p for p in paths if not any(kind in s.kinds and covers(s, p) for s in scans)]
            by = [s for s in scans if kind in s.kinds and any(covers(s, p) for p in paths)]
            if left:
                missing.append(
                    Evidence(
                        f"{kind}: {len(left)} of {len(paths)} files not scanned by any CI job",
                        left[0],
                    )
                )
            if by:
                covered.append(by[0].evidence)
        if missing:
            return failed(
                "infrastructure code that no CI scanner reads",
                *missing,
                *(s.evidence for s in scans),
            )
        return passed("every kind of infrastructure code is scanned in CI", *dict.fromkeys(covered))


# ------------------------------------------------------------------------ least-privilege


ADMIN_GRANTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "AWS administrator policy",
        re.compile(
            r"arn:aws:iam::aws:policy/(?:AdministratorAccess|PowerUserAccess|IAMFullAccess|\w*FullAccess)\b"
        ),
    ),
    (
        "GCP basic or admin role",
        re.compile(r"[\"']roles/(?:owner|editor|[\w.]*(?:\.admin|Admin))[\"']"),
    ),
    ("public IAM member", re.compile(r"[\"'](?:allUsers|allAuthenticatedUsers)[\"']")),
    (
        "Azure owner/contributor role",
        re.compile(
            r"role_definition_name\s*=\s*\"(?:Owner|Contributor|User Access Administrator)\""
        ),
    ),
)
# A role granted by name (GCP IAM members/bindings, Azure role assignments).
_ROLE_GRANT = re.compile(r"^\s*(?:role|role_definition_name)\s*=\s*\"")
_CLUSTER_WIDE_ROLES = frozenset({"cluster-admin", "admin", "edit"})


def rbac_problems(repo: Repo) -> Iterator[Evidence]:
    """Kubernetes bindings to admin roles and rules with wildcard verbs or resources."""
    for obj in repo.k8s_objects:
        if obj.kind in {"ClusterRoleBinding", "RoleBinding"}:
            role = str((obj.data.get("roleRef") or {}).get("name", ""))
            if role == "cluster-admin" or (
                obj.kind == "ClusterRoleBinding" and role in _CLUSTER_WIDE_ROLES
            ):
                line = repo.line_of(obj.path, rf"name\s*:\s*['\"]?{re.escape(role)}", obj.line)
                yield Evidence(f"{obj.kind} {obj.name} binds {role}", obj.path, line or obj.line)
        elif obj.kind in {"ClusterRole", "Role"}:
            for rule in obj.data.get("rules") or []:
                if not isinstance(rule, dict):
                    continue
                for key in ("verbs", "resources"):
                    if "*" in (rule.get(key) or []):
                        line = repo.line_of(obj.path, rf"^\s*-?\s*{key}\s*:.*\*", obj.line)
                        yield Evidence(
                            f"{obj.kind} {obj.name}: wildcard {key}", obj.path, line or obj.line
                        )
                        break


def automount_problems(repo: Repo) -> tuple[list[Evidence], list[Evidence]]:
    """(problems, good evidence) for service-account token automounting."""
    accounts = {o.name: o for o in repo.k8s_objects if o.kind == "ServiceAccount"}
    problems: list[Evidence] = []
    good: list[Evidence] = []
    pattern = r"^\s*automountServiceAccountToken\s*:"
    for obj in repo.workloads():
        spec = obj.pod_spec() or {}
        if "automountServiceAccountToken" in spec:
            line = repo.line_of(obj.path, pattern, obj.line)
            good.append(
                Evidence(f"{obj.kind} {obj.name}: automountServiceAccountToken set", obj.path, line)
            )
            continue
        name = str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")
        account = accounts.get(name)
        if account is not None and "automountServiceAccountToken" in account.data:
            continue
        problems.append(
            Evidence(
                f"{obj.kind} {obj.name}: service account token mounted by default (account {name})",
                obj.path,
                obj.line,
            )
        )
    for account in accounts.values():
        if "automountServiceAccountToken" in account.data:
            line = repo.line_of(account.path, pattern, account.line)
            good.append(
                Evidence(f"ServiceAccount {account.name}: automount set", account.path, line)
            )
        else:
            users = [
                w
                for w in repo.workloads()
                if str((w.pod_spec() or {}).get("serviceAccountName", "")) == account.name
            ]
            if not users or not all(
                "automountServiceAccountToken" in (w.pod_spec() or {}) for w in users
            ):
                problems.append(
                    Evidence(
                        f"ServiceAccount {account.name}: automountServiceAccountToken not set",
                        account.path,
                        account.line,
                    )
                )
    return problems, good


class LeastPrivilege(Check):
    """Cloud and cluster identities get only what they need."""

    id = "least-privilege"
    section = Section.SECURITY
    level = Level.GOLD
    title = "Identities follow least privilege"
    why = (
        "A leaked pod or CI identity can do what its policy allows: wildcard actions, admin "
        "roles and automounted cluster tokens turn one compromise into the whole account."
    )
    reference = "Readiness: least privilege"
    hint = (
        "name actions and resources in IAM policies, use no owner/editor/admin roles or "
        "cluster-admin bindings, and set automountServiceAccountToken: false"
    )

    def run(self, repo: Repo) -> Finding:
        terraform = repo.glob("*.tf")
        policies = [p for p in repo.glob("*.json") if '"Statement"' in (repo.text(p) or "")]
        rbac_kinds = {"ServiceAccount", "ClusterRoleBinding", "RoleBinding", "ClusterRole", "Role"}
        k8s = repo.workloads() or [o for o in repo.k8s_objects if o.kind in rbac_kinds]
        if not terraform and not policies and not k8s:
            return not_applicable("no Terraform, IAM policy files or Kubernetes identities")
        problems: list[Evidence] = []
        good: list[Evidence] = []
        for path in [*terraform, *policies]:
            text = repo.text(path) or ""
            statements = list(iam_statements(path, text))
            for statement in statements:
                problem = statement_problem(statement)
                if problem:
                    problems.append(problem)
            if statements and not any(p.path == path for p in problems):
                good.append(
                    Evidence(f"{len(statements)} IAM statements scoped", path, statements[0].line)
                )
            clean = blank_comments(text) if path.endswith(".tf") else text
            grants: list[int] = []
            for number, line in enumerate(clean.splitlines(), start=1):
                if _ROLE_GRANT.search(line):
                    grants.append(number)
                for kind, pattern in ADMIN_GRANTS:
                    if pattern.search(line):
                        problems.append(Evidence(f"{kind}: {line.strip()[:120]}", path, number))
            if grants and not any(p.path == path for p in problems):
                good.append(Evidence(f"{len(grants)} predefined role grants", path, grants[0]))
        problems.extend(rbac_problems(repo))
        mount_problems, mount_good = automount_problems(repo)
        problems.extend(mount_problems)
        good.extend(mount_good)
        if problems:
            return failed("an identity has more access than it needs", *problems[:20])
        if not good:
            good.append(
                Evidence(
                    "no IAM statement, admin role, RBAC binding or automounted token found",
                    (terraform or policies or [o.path for o in k8s])[0],
                )
            )
        return passed("no wildcard grants, admin roles or automounted tokens", *good[:12])


CHECKS: tuple[type[Check], ...] = (ContainerNonRoot, NoSecrets, IacScanned, LeastPrivilege)
