"""Monitoring checks: objectives, the alerts that defend them, and what they page on.

Every verdict comes from the files a production setup reads: SLO documents and specs
(OpenSLO, Sloth, Pyrra), Prometheus rules, runbooks, Grafana dashboards and the code that
exports metrics (see :mod:`goldenpath.readiness.prometheus` for how those are read).
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from goldenpath.readiness.facts import AlertRule, Repo
from goldenpath.readiness.markdown import markdown_anchors, markdown_lines
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
from goldenpath.readiness.placeholders import boilerplate_in
from goldenpath.readiness.prometheus import (
    GROUP_KEYS,
    ExportedMetrics,
    RecordingRule,
    RuleFile,
    dashboard_queries,
    dashboards,
    expanded,
    exported_metrics,
    promql_metrics,
    recording_rules,
    rule_files,
    rule_line,
    rule_problems,
    well_known,
)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


# -- SLO documents and specs ---------------------------------------------------------------

_SLO_FILE = re.compile(r"(^|[-_.])(slos?|service[-_]level[-_]objectives?)([-_.]|$)", re.I)
_SLO_HEADING = re.compile(r"\bSLOs?\b|service[- ]level objectives?", re.IGNORECASE)
# A percentage between these is an objective; lower ones are budgets or shares.
_MIN_OBJECTIVE, _ALL = 50.0, 100.0
_PERCENT = re.compile(r"(?<![\d.])(\d{2}(?:\.\d+)?)\s?%")
_LATENCY = re.compile(
    r"(?<![\w.])\d+(?:\.\d+)?\s?(?:ms|milliseconds?)\b"
    r"|\b(?:latency|p\d{2,3}|percentile)\b.*?(?<![\w.])\d+(?:\.\d+)?\s?(?:s|sec|seconds?)\b",
    re.IGNORECASE,
)
# Deadlines ("written by 06:00 UTC") and freshness ("no older than 26 hours").
_CLOCK_DEADLINE = re.compile(r"\b(?:by|before|until|no later than)\s+\d{1,2}:\d{2}\b", re.I)
_FRESHNESS_WORD = re.compile(
    r"\b(?:fresh(?:ness)?|stale(?:ness)?|deadline|late(?:ness)?|delay(?:ed)?|age|older|"
    r"within)\b",
    re.IGNORECASE,
)
_FRESHNESS_AMOUNT = re.compile(
    r"(?<![\w.])\d+(?:\.\d+)?\s?(?:min(?:ute)?s?|h|hrs?|hours?|d|days?)\b", re.IGNORECASE
)
_MARKDOWN = ("*.md", "*.markdown")
_VENDORED = ("node_modules/", ".venv/", "venv/", "vendor/", "site-packages/")


@dataclass(frozen=True)
class _Target:
    evidence: Evidence
    kinds: frozenset[str]  # "ratio", "latency", "freshness"


def _target_kinds(line: str) -> frozenset[str]:
    """Which kinds of numeric objective a line of an SLO document states."""
    if boilerplate_in(line) or "{{" in line or "[[" in line:
        return frozenset()
    kinds: set[str] = set()
    if any(_MIN_OBJECTIVE <= float(m.group(1)) < _ALL for m in _PERCENT.finditer(line)):
        kinds.add("ratio")
    if _LATENCY.search(line):
        kinds.add("latency")
    if _CLOCK_DEADLINE.search(line) or (
        _FRESHNESS_WORD.search(line) and _FRESHNESS_AMOUNT.search(line)
    ):
        kinds.add("freshness")
    return frozenset(kinds)


def _slo_sections(repo: Repo, path: str) -> Iterator[tuple[int, str]]:
    """Lines under headings that name SLOs, up to the next heading of the same level."""
    level: int | None = None
    for number, line in markdown_lines(repo, path):
        heading = re.match(r"^(#{1,6})\s+(.*)", line)
        if heading:
            depth = len(heading.group(1))
            if level is not None and depth <= level:
                level = None
            if level is None and _SLO_HEADING.search(heading.group(2)):
                level = depth
            continue
        if level is not None:
            yield number, line


def _markdown_targets(repo: Repo) -> list[_Target]:
    targets: list[_Target] = []
    for path in repo.glob(*_MARKDOWN):
        if any(part in path for part in _VENDORED) or "changelog" in path.lower():
            continue
        name = PurePosixPath(path).stem
        lines = markdown_lines(repo, path) if _SLO_FILE.search(name) else _slo_sections(repo, path)
        for number, line in lines:
            kinds = _target_kinds(line)
            if kinds:
                targets.append(_Target(Evidence(line.strip()[:160], path, number), kinds))
    return targets


def _spec_targets(repo: Repo) -> list[_Target]:
    """Objectives of OpenSLO, Sloth and Pyrra specs."""
    targets: list[_Target] = []
    for path in repo.yaml_files():
        for doc in repo.yaml_documents(path):
            data = doc.data
            if not isinstance(data, dict):
                continue
            api = str(data.get("apiVersion", "")) + " " + str(data.get("version", ""))
            spec = data.get("spec") if isinstance(data.get("spec"), dict) else data
            values: list[Any] = []
            if api.startswith("openslo/") and data.get("kind") == "SLO":
                values = [_get(o, "target") or _get(o, "targetPercent") for o in _objectives(spec)]
            elif "sloth.slok.dev/" in api or "prometheus/v1" in api:
                values = [_get(slo, "objective") for slo in _list(_get(spec, "slos"))]
            elif api.startswith("pyrra.dev/") and data.get("kind") == "ServiceLevelObjective":
                values = [_get(spec, "target")]
            if any(_number(v) is not None for v in values):
                line = repo.line_of(path, r"\b(target|targetPercent|objective):", doc.line)
                text = f"objective {next(v for v in values if _number(v) is not None)}"
                targets.append(
                    _Target(Evidence(text, path, line or doc.line), frozenset({"ratio"}))
                )
    return targets


def _objectives(spec: Any) -> list[Any]:
    return _list(_get(spec, "objectives"))


def _number(value: Any) -> float | None:
    try:
        number = float(str(value).rstrip("%"))
    except ValueError:
        return None
    return number if 0 < number <= _ALL else None


def _slo_targets(repo: Repo) -> list[_Target]:
    return _spec_targets(repo) + _markdown_targets(repo)


# -- which repository a link points into ---------------------------------------------------

_FORGE_LINK = re.compile(
    r"^https?://(?P<host>[^/]+)/(?P<slug>.+?)(?:/-)?/(?:blob|tree|src)/(?P<rest>[^#?]+)"
    r"(?:\?[^#]*)?(?:#(?P<anchor>.*))?$"
)
_REMOTE = re.compile(r"^(?:[\w+]+://)?(?:[^@/]+@)?(?P<host>[^/:]+)[:/](?P<slug>.+?)(?:\.git)?/?$")


@dataclass(frozen=True)
class _Identity:
    """This repository's ``owner/name`` slugs and its folder inside the git checkout."""

    slugs: frozenset[str]
    prefix: str


def _identity(repo: Repo) -> _Identity:
    slugs: set[str] = set()
    for path in repo.glob("catalog-info.yaml", "catalog-info.yml", ".backstage/*.yaml"):
        for doc in repo.yaml_documents(path):
            annotations = _get(_get(doc.data, "metadata"), "annotations")
            for key, value in (annotations or {}).items():
                if str(key).endswith("/project-slug"):
                    slugs.add(str(value))
                elif key == "backstage.io/source-location":
                    match = _FORGE_LINK.match(str(value).removeprefix("url:"))
                    if match:
                        slugs.add(match.group("slug"))
    answers = repo.answers
    if repo.template and answers.get("organization") and answers.get("project_name"):
        slugs.add(f"{answers['organization']}/{answers['project_name']}")
    prefix = ""
    top = _git_top(repo.root)
    if top is not None:
        prefix = "" if top == repo.root else repo.root.relative_to(top).as_posix() + "/"
        slugs.update(_remote_slugs(top / ".git" / "config"))
    return _Identity(frozenset(s.strip("/").lower() for s in slugs), prefix)


def _git_top(root: Path) -> Path | None:
    for folder in (root, *root.parents):
        if (folder / ".git" / "config").is_file():
            return folder
    return None


def _remote_slugs(config_path: Path) -> set[str]:
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(config_path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, configparser.Error):
        return set()
    slugs: set[str] = set()
    for section in parser.sections():
        if section.startswith("remote ") and parser.has_option(section, "url"):
            match = _REMOTE.match(parser.get(section, "url").strip())
            if match:
                slugs.add(match.group("slug"))
    return slugs


# -- shared repository facts ---------------------------------------------------------------

_LONG_RUNNING_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "Rollout", "InferenceService"}
)
_SERVING_CODE = re.compile(
    r"^\s*(?:from|import)\s+(fastapi|flask|starlette|django|aiohttp|tornado|grpc|bentoml|"
    r"litserve|sanic|falcon)\b",
    re.MULTILINE,
)
_MODEL_CODE = re.compile(
    r"^\s*(?:from|import)\s+(sklearn|torch|tensorflow|keras|xgboost|lightgbm|catboost|mlflow|"
    r"onnxruntime|transformers|statsmodels|prophet)\b|\.(predict|predict_proba|fit)\(",
    re.MULTILINE,
)
_MODEL_FILES = (
    "*.pkl",
    "*.joblib",
    "*.onnx",
    "*.pt",
    "*.pth",
    "*.h5",
    "*.keras",
    "*.safetensors",
    "*/MLmodel",
)


def _long_running(repo: Repo) -> Evidence | None:
    """Evidence that the repository runs a long-lived service (not only scheduled jobs)."""
    for obj in repo.k8s_objects:
        knative = obj.kind == "Service" and "knative" in str(obj.data.get("apiVersion"))
        if obj.kind in _LONG_RUNNING_KINDS or knative:
            return Evidence(f"{obj.kind} {obj.name}", obj.path, obj.line)
    found = repo.grep(_SERVING_CODE, *repo.source_files()) if repo.source_files() else []
    return found[0] if found else None


def _model_evidence(repo: Repo) -> Evidence | None:
    files = repo.source_files()
    found = repo.grep(_MODEL_CODE, *files) if files else []
    if found:
        return found[0]
    artifacts = repo.glob(*_MODEL_FILES)
    return Evidence("model artifact", artifacts[0]) if artifacts else None


def _rules_looked_for() -> Evidence:
    return Evidence(
        "looked for Prometheus rules files (top-level groups) and PrometheusRule objects"
    )


# -- checks --------------------------------------------------------------------------------


class SloDefined(Check):
    """SLOs with numeric targets are written down."""

    id = "slo-defined"
    section = Section.MONITORING
    level = Level.SILVER
    weight = 2
    title = "Service level objectives have numeric targets"
    why = (
        "Without a numeric objective (availability %, latency ms, a freshness deadline for "
        "a batch job) nobody can tell whether the service is healthy or what to alert on."
    )
    reference = "Readiness: service level objectives"
    hint = (
        "write docs/slo.md (or an OpenSLO/Sloth/Pyrra spec) with numeric objectives: "
        "availability %, latency ms, or the deadline/freshness of a scheduled job"
    )

    def run(self, repo: Repo) -> Finding:
        targets = _slo_targets(repo)
        if targets:
            kinds = sorted({k for t in targets for k in t.kinds})
            return passed(
                f"{len(targets)} numeric objective(s) ({', '.join(kinds)})",
                *(t.evidence for t in targets[:3]),
            )
        docs = [p for p in repo.glob(*_MARKDOWN) if _SLO_FILE.search(PurePosixPath(p).stem)]
        if docs:
            return failed(
                "the SLO document states no numeric target",
                *(Evidence("no percentage, latency or deadline target", p) for p in docs),
            )
        return failed(
            "no SLO found",
            Evidence(
                "looked for docs/slo.md-like files, SLO sections in Markdown and "
                "OpenSLO/Sloth/Pyrra specs"
            ),
        )


_PROBLEMS_SHOWN = 8


class AlertsDefined(Check):
    """Prometheus alerting rules exist and are structurally valid."""

    id = "alerts-defined"
    section = Section.MONITORING
    level = Level.BRONZE
    title = "Prometheus alerting rules exist and are valid"
    why = (
        "An alert that does not load never fires: every rule needs a name, a balanced "
        "expression, a valid duration and a severity that routes it to the right people."
    )
    reference = "Readiness: alerting"
    hint = (
        "add alerting rules (monitoring/prometheus/alerts.yml: groups/rules with alert, "
        "expr, for, labels.severity) and run `promtool check rules` on them"
    )

    def run(self, repo: Repo) -> Finding:
        files, broken = rule_files(repo)
        problems = list(broken)
        alerts: list[Evidence] = []
        for rule_file in files:
            problems.extend(self._check_file(repo, rule_file, alerts))
        if problems:
            shown = problems[:_PROBLEMS_SHOWN]
            return failed(f"{len(problems)} problem(s) in alerting rules", *shown)
        if not alerts:
            evidence = [Evidence("no alerting rule", f.path, f.start) for f in files]
            return failed("no alerting rules", *(evidence or [_rules_looked_for()]))
        paths = sorted({a.path or "" for a in alerts})
        return passed(
            f"{len(alerts)} alerting rule(s) in {', '.join(paths)}, all structurally valid",
            *alerts[:_PROBLEMS_SHOWN],
        )

    def _check_file(
        self, repo: Repo, rule_file: RuleFile, alerts: list[Evidence]
    ) -> list[Evidence]:
        path, start = rule_file.path, rule_file.start
        if not isinstance(rule_file.groups, list) or not rule_file.groups:
            return [Evidence("groups must be a non-empty list", path, start)]
        problems: list[Evidence] = []
        names: set[str] = set()
        for group in rule_file.groups:
            name = _get(group, "name")
            line = start
            if isinstance(name, str) and name:
                spelled = rf"-\s+name:\s*['\"]?{re.escape(name)}['\"]?\s*(?:#.*)?$"
                line = repo.line_of(path, spelled, start) or start
            if not isinstance(group, dict) or not isinstance(name, str) or not name:
                problems.append(Evidence("a group without a name", path, line))
                continue
            if name in names:
                problems.append(Evidence(f"group {name!r} repeated in the file", path, line))
            names.add(name)
            unknown_keys = sorted(set(map(str, group)) - GROUP_KEYS)
            if unknown_keys:
                problems.append(Evidence(f"group {name}: unknown keys {unknown_keys}", path, line))
            rules = group.get("rules")
            if not isinstance(rules, list):
                problems.append(Evidence(f"group {name}: rules must be a list", path, line))
                continue
            for rule in rules:
                problems.extend(self._check_rule(repo, path, line, rule, alerts))
        return problems

    def _check_rule(
        self, repo: Repo, path: str, start: int, rule: Any, alerts: list[Evidence]
    ) -> Iterator[Evidence]:
        if not isinstance(rule, dict):
            yield Evidence("a rule that is not a mapping", path, start)
            return
        alert, record = rule.get("alert"), rule.get("record")
        key, name = ("alert", alert) if alert is not None else ("record", record)
        line = rule_line(repo, path, key, str(name), start) if name else start
        label = f"{key} {name}" if name else "a rule"
        if (alert is None) == (record is None) or not str(name or "").strip():
            yield Evidence(f"{label}: needs exactly one non-empty alert or record", path, line)
            return
        for problem in rule_problems(rule):
            yield Evidence(f"{label}: {problem}", path, line)
        if alert is not None:
            severity = _get(rule.get("labels"), "severity")
            if not str(severity or "").strip():
                yield Evidence(f"{label}: no severity label", path, line)
            else:
                alerts.append(Evidence(f"{alert} (severity {severity})", path, line))


_MIN_WINDOWS = 2
_WINDOW = re.compile(r"\[(\d+[smhdwy](?:\d+[smhdwy])*)(?::[^\]]*)?\]")
_WINDOW_IN_NAME = re.compile(r"(?:rate|burnrate|window|ratio)_?(\d+[smhdw])\b", re.IGNORECASE)
# factor * budget: "14.4 * 0.001", "14 * (1 - 0.999)"
_BURN_FACTOR = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s*\*\s*\(?\s*(?:1\s*-\s*)?\(?\s*0?\.\d+")
_FRESHNESS_ALERT = re.compile(
    r"\btime\(\)\s*-\s*[^<>]*?(timestamp|_time\b|last_?success|completion|updated)",
    re.IGNORECASE,
)


def _windows(expr: str) -> set[str]:
    return set(_WINDOW.findall(expr)) | set(_WINDOW_IN_NAME.findall(expr))


class BurnRateAlerts(Check):
    """Multiwindow burn-rate alerts defend the SLOs (a deadline alert for scheduled jobs)."""

    id = "burn-rate-alerts"
    section = Section.MONITORING
    level = Level.SILVER
    weight = 2
    requires = ("slo-defined", "alerts-defined")
    title = "SLOs have multiwindow burn-rate alerts"
    why = (
        "Burn-rate alerts over a long and a short window page when the error budget is "
        "really at risk and stop soon after a fix; a scheduled job (no long-running "
        "service) has a deadline or freshness objective instead, so an alert on the time "
        "since its last success counts for it."
    )
    reference = "Readiness: SLO alerting (SRE workbook, multiwindow multi-burn-rate)"
    hint = (
        "alert on the error-budget burn rate over two windows, e.g. "
        "ratio_rate1h > 14.4 * (1 - objective) and ratio_rate5m > 14.4 * (1 - objective); "
        "for scheduled jobs alert on time() - last success timestamp past the deadline"
    )

    def run(self, repo: Repo) -> Finding:
        targets = _slo_targets(repo)
        if not targets:
            return failed("no SLO to defend", Evidence("slo-defined found no numeric objective"))
        rules = repo.alert_rules
        if not rules:
            return failed("no alerting rules", _rules_looked_for())
        recording = recording_rules(repo)
        burn = [r for r in rules if self._is_burn_rate(r, recording)]
        if burn:
            return passed(
                f"{len(burn)} multiwindow burn-rate alert(s)",
                *(
                    Evidence(f"{r.name}: {self._describe(r, recording)}", r.path, r.line)
                    for r in burn
                ),
            )
        service = _long_running(repo)
        freshness = [t for t in targets if "freshness" in t.kinds]
        stale = [r for r in rules if _FRESHNESS_ALERT.search(expanded(r.expr, recording))]
        if service is None and freshness and stale:
            return passed(
                "a scheduled job: its deadline/freshness objective has a lateness alert",
                freshness[0].evidence,
                *(
                    Evidence(f"{r.name}: alerts on time since the last success", r.path, r.line)
                    for r in stale
                ),
            )
        return failed(self._why_not(service, freshness, stale), *self._looked_at(rules, service))

    @staticmethod
    def _is_burn_rate(rule: AlertRule, recording: dict[str, RecordingRule]) -> bool:
        full = expanded(rule.expr, recording)
        combined = re.search(r"\band\b", rule.expr, re.IGNORECASE) is not None
        return (
            combined
            and len(_windows(full)) >= _MIN_WINDOWS
            and (_BURN_FACTOR.search(rule.expr) is not None or "burn" in rule.name.lower())
        )

    @staticmethod
    def _describe(rule: AlertRule, recording: dict[str, RecordingRule]) -> str:
        windows = sorted(_windows(expanded(rule.expr, recording)), key=_seconds)
        return "windows " + ", ".join(windows)

    @staticmethod
    def _why_not(service: Evidence | None, freshness: list[_Target], stale: list[AlertRule]) -> str:
        if service is not None:
            return "no alert combines two windows with an error-budget burn factor"
        if not freshness:
            return (
                "no burn-rate alert, and the SLO states no deadline/freshness objective a "
                "lateness alert could defend"
            )
        if not stale:
            return "no burn-rate alert and no alert on the time since the last success"
        return "no burn-rate alert"

    @staticmethod
    def _looked_at(rules: list[AlertRule], service: Evidence | None) -> list[Evidence]:
        paths = sorted({r.path for r in rules})
        evidence = [Evidence(f"looked at {len(rules)} alert(s)", p) for p in paths]
        if service is not None:
            evidence.append(
                Evidence(f"a long-running service: {service.text}", service.path, service.line)
            )
        return evidence


def _seconds(window: str) -> int:
    units = {"ms": 0, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)(ms|[smhdwy])", window))


@dataclass(frozen=True)
class _Link:
    """Where a runbook link leads: a file (and anchor) here, or why it cannot tell."""

    path: str | None = None
    anchor: str | None = None
    unverifiable: str | None = None
    problem: str | None = None


def _locate(repo: Repo, identity: _Identity, rule: AlertRule, url: str) -> _Link:
    """Resolve a runbook URL to a file of this repository.

    Forge links (``/blob/<ref>/``, GitLab's ``/-/blob/``, Bitbucket's ``/src/``) into
    this repository (its catalog-info slug, goldenpath answers or git remote) resolve to
    the file; any other URL cannot be checked offline. Relative links resolve from the
    root, else from the rules file's folder.
    """
    if "{{" in url:
        return _Link(unverifiable=f"templated runbook_url {url}")
    if re.match(r"^[a-z][a-z0-9+.-]*://", url, re.IGNORECASE):
        link = _FORGE_LINK.match(url)
        if link is None:
            return _Link(unverifiable=f"external runbook {url}")
        if link.group("slug").strip("/").lower() not in identity.slugs:
            this = ", ".join(sorted(identity.slugs)) or "not known"
            return _Link(unverifiable=f"{url} is not this repository (this one: {this})")
        parts = unquote(link.group("rest")).split("/")
        # The ref may contain slashes: take the first split whose path exists here.
        paths = [
            candidate.removeprefix(identity.prefix)
            for candidate in ("/".join(parts[i:]) for i in range(1, len(parts)))
            if candidate.startswith(identity.prefix)
        ]
        path = next((p for p in paths if repo.exists(p)), paths[0] if paths else "")
        return _in_repo(repo, path, link.group("anchor"))
    file_part, _, anchor = url.partition("#")
    file_part = unquote(file_part)
    from_root = _normalize(PurePosixPath(file_part.lstrip("/")))
    beside = _normalize(PurePosixPath(rule.path).parent / file_part)
    path = from_root if repo.exists(from_root) or file_part.startswith("/") else beside
    return _in_repo(repo, path, anchor)


def _in_repo(repo: Repo, path: str, anchor: str | None) -> _Link:
    if not path or not repo.exists(path):
        return _Link(problem=f"runbook file {path or '(none)'} is not in this repository")
    return _Link(path=path, anchor=unquote(anchor) if anchor else None)


class AlertRunbooks(Check):
    """Every alert links to an existing runbook section."""

    id = "alert-runbooks"
    section = Section.MONITORING
    level = Level.SILVER
    weight = 2
    requires = ("alerts-defined",)
    title = "Every alert links to an existing runbook section"
    why = (
        "The engineer paged at night must land on the steps for this alert; a link to a "
        "missing file or heading costs minutes when they matter most, and a link outside "
        "the repository cannot be verified offline (reported unknown)."
    )
    reference = "Readiness: runbooks"
    hint = (
        "give each alert a runbook_url annotation pointing to a heading of a runbook in "
        "this repository (e.g. docs/runbook.md#<alert name lowercased>) and write that section"
    )

    def run(self, repo: Repo) -> Finding:
        rules = repo.alert_rules
        if not rules:
            return failed("no alerting rules", _rules_looked_for())
        identity = _identity(repo)
        anchors: dict[str, dict[str, int]] = {}
        bad: list[Evidence] = []
        unverifiable: list[Evidence] = []
        good: list[Evidence] = []
        for rule in rules:
            url = rule.annotations.get("runbook_url", rule.annotations.get("runbook"))
            if not isinstance(url, str) or not url.strip():
                bad.append(_at(rule, "no runbook_url annotation"))
                continue
            link = _locate(repo, identity, rule, url.strip())
            if link.unverifiable:
                unverifiable.append(_at(rule, link.unverifiable))
            elif link.path is None:
                bad.append(_at(rule, link.problem or "no runbook file"))
            else:
                state, evidence = _section(repo, anchors, rule, link.path, link.anchor)
                {State.PASS: good, State.FAIL: bad}.get(state, unverifiable).append(evidence)
        if bad:
            return failed(f"{len(bad)} of {len(rules)} alert(s) lack a working runbook link", *bad)
        if unverifiable:
            detail = f"{len(unverifiable)} runbook link(s) cannot be checked offline"
            return unknown(detail, *unverifiable)
        return passed(f"all {len(rules)} alert(s) link to an existing runbook section", *good)


def _at(rule: AlertRule, text: str) -> Evidence:
    return Evidence(f"{rule.name}: {text}", rule.path, rule.line)


def _section(
    repo: Repo, cache: dict[str, dict[str, int]], rule: AlertRule, path: str, anchor: str | None
) -> tuple[State, Evidence]:
    """Whether the link's section exists: evidence at the heading, or at the rule."""
    if anchor is None:
        if _squash(PurePosixPath(path).stem) == _squash(rule.name):
            return State.PASS, Evidence(f"{rule.name}: a runbook file of its own", path, 1)
        return State.FAIL, _at(rule, f"runbook_url links {path} without a section anchor")
    if not path.lower().endswith((".md", ".markdown")):
        return State.UNKNOWN, _at(rule, f"cannot resolve #{anchor} in {path} (not Markdown)")
    if path not in cache:
        cache[path] = markdown_anchors(repo, path)
    # GitHub also finds a heading when the fragment differs only in case.
    line = cache[path].get(anchor) or cache[path].get(anchor.lower())
    if line is None:
        return State.FAIL, _at(rule, f"no heading #{anchor} in {path}")
    return State.PASS, Evidence(f"{rule.name}: section #{anchor}", path, line)


def _normalize(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if not parts:
                return ""
            parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts)


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


class DashboardMetrics(Check):
    """A Grafana dashboard exists and queries only metrics that are exported."""

    id = "dashboard-metrics"
    section = Section.MONITORING
    level = Level.SILVER
    title = "The dashboard queries only metrics the code or known exporters export"
    why = (
        "A panel on a metric nobody exports shows 'No data' exactly when someone needs it; "
        "renamed metrics break dashboards silently."
    )
    reference = "ML Test Score: Monitoring 6"
    hint = (
        "export the missing metric from the code (prometheus_client) or fix the panel's "
        "query; keep the dashboard JSON in the repository (e.g. monitoring/grafana/)"
    )

    def run(self, repo: Repo) -> Finding:
        boards, broken = dashboards(repo)
        if broken and not boards:
            return unknown("the dashboard does not parse", *broken)
        if not boards:
            looked = Evidence("looked for Grafana dashboard JSON (panels)")
            return failed("no Grafana dashboard", looked)
        exported = exported_metrics(repo)
        recording = recording_rules(repo)
        missing: list[Evidence] = []
        unresolved: list[Evidence] = []
        used: set[str] = set()
        queries = [q for board in boards for q in dashboard_queries(repo, board)]
        for query in queries:
            metrics, variables = promql_metrics(query.expr)
            unresolved.extend(
                Evidence(f"metric name built from a variable: {token}", query.path, query.line)
                for token in sorted(variables)
            )
            for metric in sorted(metrics - used):
                used.add(metric)
                if not self._known(metric, exported, recording, set()):
                    text = f"{metric} is not exported by the code or a known exporter"
                    missing.append(Evidence(text, query.path, query.line))
        paths = ", ".join(sorted({board.path for board in boards}))
        if missing:
            names = ", ".join(e.text.split(" ", 1)[0] for e in missing)
            return failed(f"{paths} queries metrics nobody exports: {names}", *missing)
        if not queries:
            no_query = (Evidence("no Prometheus expr", b.path, b.line) for b in boards)
            return failed("the dashboard has no Prometheus queries", *no_query)
        if unresolved:
            return unknown("some metric names depend on dashboard variables", *unresolved)
        proof = [e for e in (exported.find(m) for m in sorted(used)) if e is not None][:5]
        if not proof:  # only exporter metrics: point at the dashboard itself
            proof = [
                Evidence(f"queries {', '.join(sorted(used))}", queries[0].path, queries[0].line)
            ]
        return passed(f"all {len(used)} metric(s) queried by {paths} are exported", *proof)

    @staticmethod
    def _known(
        metric: str, exported: ExportedMetrics, recording: dict[str, RecordingRule], seen: set[str]
    ) -> bool:
        if well_known(metric) or exported.find(metric) is not None:
            return True
        rule = recording.get(metric)
        if rule is None or metric in seen:
            return False
        seen.add(metric)
        sources, _ = promql_metrics(rule.expr)
        return all(DashboardMetrics._known(m, exported, recording, seen) for m in sources)


_DRIFT_NAME = re.compile(
    r"drift|psi\b|_psi_|population_stability|divergence|wasserstein|kolmogorov|\bks_|_ks_|"
    r"jensen|hellinger|distribution_shift|skew",
    re.IGNORECASE,
)


class DriftMonitor(Check):
    """A data/prediction drift metric is exported and an alert fires on it."""

    id = "drift-monitor"
    section = Section.MONITORING
    level = Level.SILVER
    weight = 2
    title = "Data or prediction drift is measured and alerted on"
    why = (
        "A model degrades silently when its inputs or predictions drift away from the "
        "training data; only an exported drift metric with an alert on it (or a drift "
        "alert over exported prediction metrics) tells anyone in time."
    )
    reference = "ML Test Score: Monitoring 2"
    hint = (
        "compute a drift statistic (e.g. PSI per feature or of the prediction scores "
        "against the training reference), export it as a metric and alert when it exceeds "
        "a threshold"
    )

    def run(self, repo: Repo) -> Finding:
        model = _model_evidence(repo)
        if model is None:
            return not_applicable("no model: no ML library, predict/fit call or model artifact")
        exported = exported_metrics(repo)
        recording = recording_rules(repo)
        strays: list[Evidence] = []
        for rule in repo.alert_rules:
            metrics, _ = promql_metrics(expanded(rule.expr, recording))
            ours = sorted(m for m in metrics if exported.find(m) is not None)
            drift = [m for m in ours if _DRIFT_NAME.search(m)]
            if not drift and _DRIFT_NAME.search(rule.name):
                drift = ours  # a drift alert computed in PromQL from prediction metrics
            if drift:
                definition = exported.find(drift[0])
                return passed(
                    f"{rule.name} fires on the exported drift metric {drift[0]}",
                    _at(rule, f"alerts on {drift[0]}"),
                    *([definition] if definition else []),
                )
            strays.extend(
                _at(rule, f"uses {m}, which no code exports")
                for m in sorted(metrics - set(recording))
                if _DRIFT_NAME.search(m)
            )
        drift_metrics = [ev for name, ev in exported.names.items() if _DRIFT_NAME.search(name)]
        if not drift_metrics:
            looked = Evidence("looked for drift/psi/divergence metrics in code exporting metrics")
            return failed("no drift metric is exported", *strays, looked)
        return failed(
            "a drift metric is exported but no alert fires on it",
            *drift_metrics[:3],
            *strays,
            Evidence(f"looked at {len(repo.alert_rules)} alerting rule(s)"),
        )


CHECKS: tuple[type[Check], ...] = (
    SloDefined,
    AlertsDefined,
    BurnRateAlerts,
    AlertRunbooks,
    DashboardMetrics,
    DriftMonitor,
)
