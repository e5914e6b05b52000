"""Security checks: no root containers, no committed secrets, scanned and least-privilege
infrastructure.

Dockerfiles are read the way the builder reads them (parser directives, line
continuations with comment lines inside, heredocs, stages, ``ARG``/``ENV`` substitution),
because a regex over raw lines is fooled by exactly the files that matter: a multi-stage
build whose builder runs as root, or a ``USER ${UID}`` whose value only the build knows.
Terraform is not parsed (that needs a grammar this package does not ship): IAM
statements are found as the brace blocks around an ``Effect`` or a ``statement``, which
is the part of the syntax the verdict depends on. Secrets are reported by kind and
location only, never by value.
"""

from __future__ import annotations

import fnmatch
import math
import posixpath
import re
import shlex
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from goldenpath.readiness.facts import CiJob, K8sObject, Repo
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


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction with the line it starts on (continuations joined)."""

    line: int
    keyword: str
    args: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions in order: comment lines (also inside continuations), blank lines and
    heredoc bodies are skipped; the ``escape`` parser directive is honoured."""
    lines = text.splitlines()
    escape = "\\"
    for raw in lines:
        directive = re.match(r"^#\s*([A-Za-z]+)\s*=\s*(\S*)\s*$", raw)
        if not directive:
            break
        if directive.group(1).lower() == "escape" and directive.group(2) in {"`", "\\"}:
            escape = directive.group(2)
    found: list[Instruction] = []
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        start = index + 1
        parts: list[str] = []
        while index < len(lines):
            content = lines[index].rstrip()
            index += 1
            if content.endswith(escape):
                parts.append(content[: -len(escape)].strip())
                while index < len(lines) and (
                    not lines[index].strip() or lines[index].lstrip().startswith("#")
                ):
                    index += 1
                continue
            parts.append(content.strip())
            break
        keyword, _, args = " ".join(p for p in parts if p).partition(" ")
        keyword = keyword.upper()
        if keyword in {"RUN", "COPY", "ADD"}:
            for delimiter in re.findall(r"<<-?\s*[\"']?([A-Za-z_]\w*)[\"']?", args):
                while index < len(lines) and lines[index].strip() != delimiter:
                    index += 1
                index += 1
        found.append(Instruction(start, keyword, args.strip()))
    return found


_VARIABLE = re.compile(r"\$(?:\{(?P<braced>\w+)(?::?(?P<op>[-+])(?P<word>[^}]*))?\}|(?P<bare>\w+))")


def substitute(value: str, known: dict[str, str | None]) -> str | None:
    """``$VAR``/``${VAR}``/``${VAR:-default}``/``${VAR:+alt}`` replaced from ``known``;
    None when a variable has no value the Dockerfile itself gives (a build argument
    without a default)."""
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group("braced") or match.group("bare")
        current = known.get(name)
        op = match.group("op")
        if op == "-":
            return current if current else match.group("word")
        if op == "+":
            return match.group("word") if current else ""
        if current is None:
            missing = True
            return ""
        return current

    result = _VARIABLE.sub(replace, value)
    return None if missing else result


@dataclass
class Stage:
    """One build stage: where it starts, its base and the users it switches to."""

    line: int
    base: str
    name: str | None
    variables: dict[str, str | None] = field(default_factory=dict)
    users: list[tuple[int, str, str | None]] = field(default_factory=list)  # line, raw, value


def dockerfile_stages(text: str) -> list[Stage]:
    """The build stages of a Dockerfile, with ``ARG``/``ENV`` values known at each USER."""
    stages: list[Stage] = []
    global_args: dict[str, str | None] = {}
    for item in parse_dockerfile(text):
        if item.keyword == "FROM":
            words = [w for w in item.args.split() if not w.startswith("--")]
            base = substitute(words[0], global_args) if words else None
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None  # noqa: PLR2004
            stages.append(Stage(item.line, base or (words[0] if words else ""), name))
            continue
        if item.keyword == "ARG":
            for declaration in item.args.split():
                key, has_default, default = declaration.partition("=")
                target = stages[-1].variables if stages else global_args
                if has_default:
                    target[key] = substitute(default.strip("\"'"), target)
                elif stages:
                    target.setdefault(key, global_args.get(key))
                else:
                    global_args[key] = None
            continue
        if not stages:
            continue
        stage = stages[-1]
        if item.keyword == "ENV":
            pairs = re.findall(r"(\w+)=(\"[^\"]*\"|'[^']*'|\S+)", item.args)
            if not pairs:  # legacy form: ENV NAME value
                key, _, value = item.args.partition(" ")
                pairs = [(key, value.strip())]
            for key, value in pairs:
                stage.variables[key] = substitute(value.strip("\"'"), stage.variables)
        elif item.keyword == "USER":
            raw = item.args.strip()
            stage.users.append((item.line, raw, substitute(raw, stage.variables)))
    return stages


_ROOT_USERS = frozenset({"root", "0", "containeradministrator"})


def _effective_user(
    stages: list[Stage], index: int, seen: frozenset[int] = frozenset()
) -> tuple[Stage, tuple[int, str, str | None] | None]:
    """The stage that last set the user of stage ``index`` (following ``FROM <stage>``)
    and that USER instruction, or (the first stage without one, None)."""
    stage = stages[index]
    if stage.users:
        return stage, stage.users[-1]
    for number, other in enumerate(stages[:index]):
        named = other.name and other.name.lower() == stage.base.lower()
        if (named or stage.base == str(number)) and number not in seen:
            return _effective_user(stages, number, seen | {index})
    return stage, None


def dockerfile_user(path: str, text: str) -> Finding:
    """Whether the final stage of one Dockerfile runs as a non-root user."""
    stages = dockerfile_stages(text)
    if not stages:
        return unknown(
            "no FROM instruction", Evidence("not a Dockerfile goldenpath can read", path)
        )
    final = len(stages) - 1
    stage, user = _effective_user(stages, final)
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


@dataclass(frozen=True)
class Scan:
    """One scanner run found in CI: what it reads and where it is written."""

    tool: str
    kinds: frozenset[str]
    paths: tuple[str, ...]
    evidence: Evidence


IAC_KINDS = ("terraform", "kubernetes", "helm", "cloudformation")
_ALL = frozenset(IAC_KINDS)
_CHECKOV_FRAMEWORKS = {
    "terraform": "terraform",
    "terraform_plan": "terraform",
    "terraform_json": "terraform",
    "kubernetes": "kubernetes",
    "kustomize": "kubernetes",
    "helm": "helm",
    "cloudformation": "cloudformation",
}
_ACTIONS = {
    "bridgecrewio/checkov-action": ("checkov", _ALL),
    "aquasecurity/tfsec-action": ("tfsec", frozenset({"terraform"})),
    "aquasecurity/tfsec-pr-commenter-action": ("tfsec", frozenset({"terraform"})),
    "checkmarx/kics-github-action": ("kics", _ALL),
    "stackrox/kube-linter-action": ("kube-linter", frozenset({"kubernetes", "helm"})),
    "tenable/terrascan-action": ("terrascan", _ALL),
    "snyk/actions/iac": ("snyk", _ALL),
}
_GITLAB_IAC_TEMPLATE = re.compile(r"SAST-IaC", re.IGNORECASE)
_NOT_K8S_GROUPS = ("backstage.io", "openslo")


def _tokens(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=True)
    except ValueError:
        return text.split()


def _option_values(tokens: list[str], *names: str) -> list[str]:
    """Values of ``--name value``, ``--name=value`` and ``-n value`` (all occurrences,
    comma lists split, several values after one option collected)."""
    values: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        key, has_value, value = token.partition("=")
        if key in names:
            if has_value:
                values.extend(value.split(","))
            else:
                index += 1
                while index < len(tokens) and not tokens[index].startswith("-"):
                    values.extend(tokens[index].split(","))
                    index += 1
                continue
        index += 1
    return [v for v in values if v]


def _positionals(tokens: list[str]) -> list[str]:
    found: list[str] = []
    skip = False
    for token in tokens:
        if skip:
            skip = False
            continue
        if token.startswith("-"):
            skip = "=" not in token and token.lstrip("-") in {
                "format",
                "output",
                "o",
                "f",
                "severity",
                "config",
                "c",
                "exit-code",
                "skip-dirs",
                "skip-files",
                "minimum-severity",
                "out",
                "config-file",
            }
            continue
        found.append(token)
    return found


_Parsed = tuple[frozenset[str], list[str]] | None


def _checkov(args: list[str]) -> _Parsed:
    frameworks = _option_values(args, "--framework")
    skipped = {_CHECKOV_FRAMEWORKS.get(f) for f in _option_values(args, "--skip-framework")}
    kinds = (
        set(_ALL)
        if not frameworks or "all" in frameworks
        else {_CHECKOV_FRAMEWORKS[f] for f in frameworks if f in _CHECKOV_FRAMEWORKS}
    )
    paths = _option_values(args, "-d", "--directory", "-f", "--file")
    return frozenset(k for k in kinds if k not in skipped), paths


def _tfsec(args: list[str]) -> _Parsed:
    return frozenset({"terraform"}), _positionals(args)[:1]


def _trivy(args: list[str]) -> _Parsed:
    scanners = ",".join(_option_values(args, "--scanners", "--security-checks"))
    config = args[:1] in (["config"], ["conf"])
    misconfig = args[:1] in (["fs"], ["filesystem"], ["repo"], ["repository"]) and (
        "misconfig" in scanners or "config" in scanners.split(",")
    )
    return (_ALL, _positionals(args[1:])[-1:]) if config or misconfig else None


def _kics(args: list[str]) -> _Parsed:
    types = {t.lower() for t in _option_values(args, "-t", "--type")}
    kinds = frozenset(k for k in IAC_KINDS if not types or k in types)
    return kinds, _option_values(args, "-p", "--path")


_TERRASCAN_TYPES = {
    "terraform": "terraform",
    "k8s": "kubernetes",
    "kustomize": "kubernetes",
    "helm": "helm",
    "cft": "cloudformation",
}


def _terrascan(args: list[str]) -> _Parsed:
    types = {t.lower() for t in _option_values(args, "-i", "--iac-type")}
    kinds = {_TERRASCAN_TYPES[t] for t in types if t in _TERRASCAN_TYPES} if types else _ALL
    return frozenset(kinds), _option_values(args, "-d", "--iac-dir", "-f", "--iac-file")


def _kubernetes_linter(args: list[str]) -> _Parsed:
    if args and args[0] in {"lint", "scan", "score", "audit", "all"}:
        args = args[1:]
    paths = _option_values(args, "--audit-path", "-f") or _positionals(args)
    return frozenset({"kubernetes", "helm"}), paths


def _snyk(args: list[str]) -> _Parsed:
    return (_ALL, _positionals(args[2:])) if args[:2] == ["iac", "test"] else None


SCANNERS = {
    "checkov": _checkov,
    "tfsec": _tfsec,
    "trivy": _trivy,
    "kics": _kics,
    "terrascan": _terrascan,
    "kube-linter": _kubernetes_linter,
    "kubesec": _kubernetes_linter,
    "kube-score": _kubernetes_linter,
    "kubeaudit": _kubernetes_linter,
    "polaris": _kubernetes_linter,
    "snyk": _snyk,
}
_WRAPPERS = (
    ("sudo",),
    ("exec",),
    ("time",),
    ("uvx",),
    ("npx",),
    ("pipx", "run"),
    ("poetry", "run"),
    ("uv", "run"),
    ("pdm", "run"),
    ("hatch", "run"),
)
_IMAGE = re.compile(r"^[\w.:/-]*?(" + "|".join(map(re.escape, SCANNERS)) + r")(?::[\w.-]+)?$")


def _simple_commands(text: str) -> Iterator[list[str]]:
    """Each simple command of a shell line, without leading variable assignments and
    wrappers (``sudo``, ``uvx``, ``python -m``, ``docker run IMAGE``...)."""
    for part in re.split(r"&&|\|\||;|\|", text):
        tokens = _tokens(part)
        while tokens and re.match(r"^\w+=", tokens[0]):
            tokens = tokens[1:]
        stripped = True
        while stripped and tokens:
            stripped = False
            for wrapper in _WRAPPERS:
                if tuple(tokens[: len(wrapper)]) == wrapper:
                    tokens = tokens[len(wrapper) :]
                    stripped = True
            if re.fullmatch(r"python[\d.]*", tokens[0] if tokens else "") and tokens[1:2] == ["-m"]:
                tokens = tokens[2:]
                stripped = True
        if tokens[:2] in (["docker", "run"], ["podman", "run"]):
            image = next((i for i, t in enumerate(tokens) if _IMAGE.match(t)), None)
            if image is None:
                continue
            name = _IMAGE.match(tokens[image])
            tokens = [name.group(1) if name else tokens[image], *tokens[image + 1 :]]
        if tokens:
            yield tokens


def _scan_of(command: Evidence) -> Scan | None:
    """The scanner a shell line runs, with the kinds of IaC and the paths it covers."""
    folder = "."  # ``cd infra && checkov -d .`` scans infra
    for tokens in _simple_commands(command.text):
        if tokens[0] == "cd" and len(tokens) == 2:  # noqa: PLR2004 - cd and its folder
            folder = posixpath.normpath(posixpath.join(folder, tokens[1]))
            continue
        parser = SCANNERS.get(tokens[0].rsplit("/", 1)[-1])
        parsed = parser(tokens[1:]) if parser else None
        if parsed is not None:
            kinds, paths = parsed
            where = [p if p.startswith(("$", "/")) else posixpath.join(folder, p) for p in paths]
            return Scan(tokens[0].rsplit("/", 1)[-1], kinds, tuple(where) or (folder,), command)
    return None


def _covers(scan: Scan, path: str) -> bool:
    for raw in scan.paths:
        where = posixpath.normpath(raw).rstrip("/")
        if where in {"", "."} or where.startswith(("$", "/")):
            return True  # the workspace (a CI variable or the container's mount of it)
        if path == where or path.startswith(where + "/") or fnmatch.fnmatch(path, where):
            return True
    return False


def iac_files(repo: Repo) -> dict[str, list[str]]:
    """Infrastructure files by kind: Terraform, Kubernetes manifests, Helm charts,
    CloudFormation templates."""
    kinds: dict[str, list[str]] = {k: [] for k in IAC_KINDS}
    kinds["terraform"] = repo.glob("*.tf", "*.tf.json")
    kinds["kubernetes"] = sorted(
        {
            o.path
            for o in repo.k8s_objects
            if not any(g in str(o.data.get("apiVersion", "")) for g in _NOT_K8S_GROUPS)
            and o.path.rsplit("/", 1)[-1] not in {"catalog-info.yaml", "catalog-info.yml"}
        }
    )
    kinds["helm"] = repo.glob("Chart.yaml", "*/Chart.yaml")
    kinds["cloudformation"] = [
        p for p in repo.yaml_files() if "AWSTemplateFormatVersion" in (repo.text(p) or "")[:4000]
    ]
    return {k: v for k, v in kinds.items() if v}


def _job_scans(repo: Repo, job: CiJob) -> Iterator[Scan]:
    steps = job.data.get("steps")
    for step in steps if isinstance(steps, list) else []:
        uses = step.get("uses") if isinstance(step, dict) else None
        if not isinstance(uses, str):
            continue
        action = uses.split("@", 1)[0].lower()
        settings = step.get("with") if isinstance(step.get("with"), dict) else {}
        line = repo.line_of(job.path, re.escape(uses), job.line) or job.line
        evidence = Evidence(f"job {job.name}: uses {uses}", job.path, line)
        if action in _ACTIONS:
            tool, kinds = _ACTIONS[action]
            where = [
                str(settings[k])
                for k in ("directory", "working_directory", "path", "iac_dir", "file")
                if k in settings
            ]
            yield Scan(tool, kinds, tuple(where) or (".",), evidence)
        elif action == "aquasecurity/trivy-action" and str(settings.get("scan-type")) == "config":
            yield Scan("trivy", _ALL, (str(settings.get("scan-ref", ".")),), evidence)
    for command in job.commands:
        for step in repo.commands_run_by(command):
            scan = _scan_of(step)
            if scan:
                yield Scan(
                    scan.tool,
                    scan.kinds,
                    scan.paths,
                    Evidence(f"job {job.name}: {step.text}", step.path, step.line),
                )
            if re.search(r"\bpre-commit\s+run\b", step.text):
                yield from _pre_commit_scans(repo, step)


_PRE_COMMIT_HOOKS = {
    "checkov": _ALL,
    "terraform_checkov": frozenset({"terraform"}),
    "terraform_tfsec": frozenset({"terraform"}),
    "tfsec": frozenset({"terraform"}),
    "terraform_trivy": frozenset({"terraform"}),
    "terrascan": _ALL,
    "terraform_terrascan": frozenset({"terraform"}),
    "kube-linter": frozenset({"kubernetes", "helm"}),
    "kics": _ALL,
}


def _pre_commit_scans(repo: Repo, step: Evidence) -> Iterator[Scan]:
    data = repo.yaml(".pre-commit-config.yaml")
    for source in data.get("repos", []) if isinstance(data, dict) else []:
        for hook in source.get("hooks", []) if isinstance(source, dict) else []:
            hook_id = str(hook.get("id", "")) if isinstance(hook, dict) else ""
            if hook_id in _PRE_COMMIT_HOOKS:
                line = repo.line_of(".pre-commit-config.yaml", rf"id:\s*{re.escape(hook_id)}\b")
                yield Scan(
                    hook_id,
                    _PRE_COMMIT_HOOKS[hook_id],
                    (".",),
                    Evidence(
                        f"pre-commit hook {hook_id}, run in CI by: {step.text}",
                        ".pre-commit-config.yaml",
                        line,
                    ),
                )


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
        scans = [scan for job in repo.ci_jobs for scan in _job_scans(repo, job)]
        scans += self._gitlab_templates(repo)
        covered: list[Evidence] = []
        missing: list[Evidence] = []
        for kind, paths in files.items():
            left = [p for p in paths if not any(kind in s.kinds and _covers(s, p) for s in scans)]
            by = [s for s in scans if kind in s.kinds and any(_covers(s, p) for p in paths)]
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

    @staticmethod
    def _gitlab_templates(repo: Repo) -> list[Scan]:
        found: list[Scan] = []
        for path in repo.ci_files:
            if path.startswith(".github/"):
                continue
            for evidence in repo.grep(_GITLAB_IAC_TEMPLATE, path):
                found.append(Scan("kics", _ALL, (".",), evidence))
        return found


# ------------------------------------------------------------------------ least-privilege


@dataclass(frozen=True)
class Statement:
    """An IAM policy statement as written (HCL jsonencode, policy document or JSON)."""

    path: str
    line: int
    effect: str
    actions: tuple[str, ...]
    not_actions: bool
    resources: tuple[str, ...]
    not_resources: bool
    principal: str | None  # the principal text, None for an identity policy
    conditioned: bool
    action_line: int
    resource_line: int


def _blank_comments(text: str) -> str:
    """HCL comments replaced by spaces (line numbers and offsets kept)."""
    out: list[str] = []
    for line in text.split("\n"):
        quoted = False
        cut = len(line)
        index = 0
        while index < len(line):
            char = line[index]
            if char == '"' and (index == 0 or line[index - 1] != "\\"):
                quoted = not quoted
            elif not quoted and (char == "#" or line.startswith("//", index)):
                cut = index
                break
            index += 1
        out.append(line[:cut] + " " * (len(line) - cut))
    return "\n".join(out)


def _block_around(text: str, position: int) -> tuple[int, int] | None:
    depth = 0
    start = -1
    for index in range(position - 1, -1, -1):
        if text[index] == "}":
            depth += 1
        elif text[index] == "{":
            if depth == 0:
                start = index
                break
            depth -= 1
    if start < 0:
        return None
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return start, index + 1
    return None


def _own_text(block: str) -> str:
    """The block's text without its nested blocks (Condition, Principal...)."""
    out: list[str] = []
    depth = 0
    for char in block[1:-1]:
        depth += char == "{"
        if depth == 0 or char == "\n":
            out.append(char)
        depth -= char == "}"
    return "".join(out)


def _principal_text(block: str) -> str | None:
    """The principal of a statement (a string or a whole nested block), None without."""
    match = re.search(r"\b(?:Principal|principals)\b[\"']?\s*[=:]?\s*", block)
    if not match:
        return None
    rest = block[match.end() :]
    if rest.startswith("{"):
        span = _block_around(rest, 1)
        return rest[: span[1]] if span else rest.split("\n", 1)[0]
    return rest.split("\n", 1)[0]


def _values(block: str, *keys: str) -> tuple[tuple[str, ...], int] | None:
    """String values of the first of ``keys`` (a string or a list) and its offset."""
    pattern = re.compile(
        r"[\"']?\b(?:" + "|".join(keys) + r")\b[\"']?\s*[=:]\s*(\[[^\]]*\]|\"[^\"]*\"|\S+)"
    )
    match = pattern.search(block)
    if not match:
        return None
    raw = match.group(1)
    strings = tuple(re.findall(r"\"([^\"]*)\"", raw)) or (raw,)
    return strings, match.start()


_STATEMENT_START = re.compile(r"[\"']?\b[Ee]ffect\b[\"']?\s*[=:]|\bstatement\s*\{")


def iam_statements(path: str, text: str) -> Iterator[Statement]:
    """IAM statements in a Terraform or JSON file."""
    clean = _blank_comments(text) if path.endswith(".tf") else text
    seen: set[int] = set()
    for match in _STATEMENT_START.finditer(clean):
        anchor = match.end() if match.group(0).startswith("statement") else match.start()
        span = _block_around(clean, anchor)
        if span is None or span[0] in seen:
            continue
        seen.add(span[0])
        block = clean[span[0] : span[1]]
        own = _own_text(block)
        line_at = clean.count("\n", 0, span[0]) + 1

        def line_of(offset: int, base: int = line_at, full: str = block) -> int:
            return base + full.count("\n", 0, offset)

        effect = _values(own, "Effect", "effect")
        actions = _values(block, "Action", "actions")
        not_actions = _values(block, "NotAction", "not_actions")
        resources = _values(block, "Resource", "resources")
        not_resources = _values(block, "NotResource", "not_resources")
        principal_text = _principal_text(block)
        yield Statement(
            path,
            line_at,
            (effect[0][0] if effect else "Allow").strip("\"'"),
            (actions or not_actions or ((), 0))[0],
            not_actions is not None and actions is None,
            (resources or not_resources or ((), 0))[0],
            not_resources is not None and resources is None,
            principal_text,
            bool(re.search(r"\b[Cc]ondition\b", block)),
            line_of((actions or not_actions or ((), 0))[1]),
            line_of((resources or not_resources or ((), 0))[1]),
        )


# Actions AWS only grants on Resource "*": asking for less is impossible.
_RESOURCELESS_ACTIONS = frozenset(
    {
        "ecr:getauthorizationtoken",
        "sts:getcalleridentity",
        "cloudwatch:putmetricdata",
        "xray:puttracesegments",
        "xray:puttelemetryrecords",
        "s3:listallmybuckets",
    }
)


def _broad_actions(statement: Statement) -> list[str]:
    return [a for a in statement.actions if a == "*" or a.endswith(":*")]


def _resource_policy_problem(statement: Statement, principal: str) -> Evidence | None:
    """A statement with a principal (key, bucket or trust policy): the resource is the
    policy's own, so ``Resource "*"`` is normal; a wildcard principal is not, and a
    wildcard action only for the account itself (the delegation to IAM of AWS's default
    key policy)."""
    wildcard = re.search(r"(?:AWS\s*[=:]\s*\[?\s*)?\"\*\"", principal)
    if wildcard and not statement.conditioned:
        text = 'Allow to every principal ("*") without a condition'
        return Evidence(text, statement.path, statement.line)
    broad = _broad_actions(statement)
    if broad and ":root" not in principal:
        text = f"resource policy grants {broad[0]}"
        return Evidence(text, statement.path, statement.action_line)
    return None


def _identity_policy_problem(statement: Statement) -> Evidence | None:
    """A statement attached to an identity: actions and resources must be named."""
    if statement.not_actions or statement.not_resources:
        which = "NotAction" if statement.not_actions else "NotResource"
        line = statement.action_line if statement.not_actions else statement.resource_line
        return Evidence(f"Allow with {which} grants everything else", statement.path, line)
    broad = _broad_actions(statement)
    if broad:
        return Evidence(f"wildcard action {broad[0]}", statement.path, statement.action_line)
    resourceless = all(a.lower() in _RESOURCELESS_ACTIONS for a in statement.actions)
    if "*" in statement.resources and not resourceless:
        return Evidence('wildcard resource "*"', statement.path, statement.resource_line)
    return None


def statement_problem(statement: Statement) -> Evidence | None:
    """What makes an Allow statement broader than least privilege, or None."""
    if statement.effect.lower() != "allow":
        return None
    if statement.principal is not None:
        return _resource_policy_problem(statement, statement.principal)
    return _identity_policy_problem(statement)


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
            clean = _blank_comments(text) if path.endswith(".tf") else text
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
