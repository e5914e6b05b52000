"""Which infrastructure-as-code scanners a CI job runs, on which kinds of files and where.

A scanner counts for the kinds it reads (``checkov --framework terraform`` does not read
Kubernetes manifests) and the paths it is pointed at (``-d infra``, ``cd infra && tfsec .``),
so a repository is only called scanned where a scanner really looks. Installing a scanner
(``pip install checkov``) is not running it: only the command word of each simple command
counts, after variable assignments and wrappers (``sudo``, ``uvx``, ``python -m``,
``docker run IMAGE``).
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from goldenpath.readiness.facts import CiJob, Repo
from goldenpath.readiness.model import Evidence


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


def covers(scan: Scan, path: str) -> bool:
    for raw in scan.paths:
        where = posixpath.normpath(raw).rstrip("/")
        if where in {"", "."} or where.startswith(("$", "/")):
            return True  # the workspace (a CI variable or the container's mount of it)
        if path == where or path.startswith(where + "/") or fnmatch.fnmatch(path, where):
            return True
    return False


def job_scans(repo: Repo, job: CiJob) -> Iterator[Scan]:
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


def gitlab_template_scans(repo: Repo) -> list[Scan]:
    """GitLab's own IaC scanning template (kics on the whole repository), when included."""
    found: list[Scan] = []
    for path in repo.ci_files:
        if path.startswith(".github/"):
            continue
        for evidence in repo.grep(_GITLAB_IAC_TEMPLATE, path):
            found.append(Scan("kics", _ALL, (".",), evidence))
    return found
