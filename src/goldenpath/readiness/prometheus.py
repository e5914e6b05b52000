"""What a repository's Prometheus setup says, read from files: rules, PromQL, metric names.

Monitoring checks need the same few facts: which files hold Prometheus rules (plain files or
``PrometheusRule`` objects) and whether Prometheus would load them, which metrics a PromQL
expression selects, which metric names the code exports, and which queries a Grafana
dashboard runs. Nothing is run: PromQL is read with a small tokenizer that is good enough to
name the metrics a query uses, and the code's metric names come from its syntax tree
(literals, string constants and f-strings built from them), so a name assembled as
``f"{PREFIX}_{name}"`` still counts.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from goldenpath.readiness.facts import Repo
from goldenpath.readiness.model import Evidence

# -- rule files ----------------------------------------------------------------------------

_RULE_KEYS = frozenset(
    {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
)
GROUP_KEYS = frozenset({"name", "interval", "rules", "limit", "query_offset", "labels"})
_DURATION = re.compile(r"^(?:0|(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?)$")
# A path that names a rules file: a file of this kind that does not parse is a broken rules
# file, not some unrelated YAML.
_RULE_PATH = re.compile(r"(^|/)(prometheus|alerts?|alerting|rules?)(/|[-_.])", re.IGNORECASE)
_RULE_WORDS = re.compile(r"^\s*-?\s*(groups|alert|record|expr):", re.MULTILINE)


@dataclass(frozen=True)
class RuleFile:
    """The groups of one rules file, or of one ``PrometheusRule`` object (``start`` line)."""

    path: str
    start: int
    groups: Any


@dataclass(frozen=True)
class RecordingRule:
    """A recording rule: the series ``name`` is computed by ``expr``."""

    name: str
    expr: str
    path: str
    line: int


def rule_files(repo: Repo) -> tuple[list[RuleFile], list[Evidence]]:
    """Rules files (top-level ``groups``, not ``promtool test`` files) and PrometheusRule
    objects; plus evidence for files named like rules files that do not parse."""
    found: list[RuleFile] = []
    broken: list[Evidence] = []
    for path in repo.yaml_files():
        if path.startswith(".github/") or ".gitlab-ci" in path:
            continue
        docs = repo.yaml_documents(path)
        if not docs:
            text = repo.text(path) or ""
            if _RULE_PATH.search(path) and _RULE_WORDS.search(text):
                broken.extend(e for e in repo.parse_errors if e.path == path)
            continue
        data = docs[0].data
        if not isinstance(data, dict) or "groups" not in data:
            continue
        if "tests" in data or "rule_files" in data:
            continue
        groups = data["groups"]
        looks_like_rules = isinstance(groups, list) and any(
            isinstance(g, dict) and "rules" in g for g in groups
        )
        if looks_like_rules or _RULE_PATH.search(path):
            found.append(RuleFile(path, docs[0].line, groups))
    for obj in repo.k8s_objects:
        if obj.kind == "PrometheusRule":
            spec = obj.data.get("spec")
            groups = spec.get("groups") if isinstance(spec, dict) else None
            found.append(RuleFile(obj.path, obj.line, groups))
    return found, broken


def rule_line(repo: Repo, path: str, key: str, name: str, start: int) -> int:
    """The line of ``<key>: <name>`` (key ``alert`` or ``record``) at or after ``start``."""
    pattern = rf"\b{key}:\s*['\"]?{re.escape(name)}(?![\w:])"
    return repo.line_of(path, pattern, start) or start


def recording_rules(repo: Repo) -> dict[str, RecordingRule]:
    """Recording rules by name (the first definition wins)."""
    rules: dict[str, RecordingRule] = {}
    for rule_file in rule_files(repo)[0]:
        for group in _list(rule_file.groups):
            for rule in _list(_get(group, "rules")):
                name, expr = _get(rule, "record"), _get(rule, "expr")
                if isinstance(name, str) and isinstance(expr, str) and name not in rules:
                    line = rule_line(repo, rule_file.path, "record", name, rule_file.start)
                    rules[name] = RecordingRule(name, expr, rule_file.path, line)
    return rules


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def rule_problems(rule: dict[Any, Any]) -> Iterator[str]:
    """What Prometheus would refuse in one rule's fields (its name checked elsewhere)."""
    unknown_keys = sorted(set(map(str, rule)) - _RULE_KEYS)
    if unknown_keys:
        yield f"unknown keys {unknown_keys}"
    expr = rule.get("expr")
    if not isinstance(expr, (str, int, float)) or not str(expr).strip():
        yield "no expr"
    else:
        problem = bracket_problem(str(expr))
        if problem:
            yield f"expr has {problem}"
    for key in ("for", "keep_firing_for"):
        if key in rule and not _DURATION.match(str(rule[key])):
            yield f"{key} '{rule[key]}' is not a duration"
    for key in ("labels", "annotations"):
        if key in rule and not isinstance(rule[key], dict):
            yield f"{key} must be a mapping"


# -- PromQL --------------------------------------------------------------------------------

_PROMQL_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_PROMQL_GROUPING = re.compile(
    r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", re.IGNORECASE
)
# A name, possibly built from Grafana variables ($var, ${var}, ${var:format}).
_VARIABLE = r"\$(?:\{[^{}]*\}|\w+)"
_PROMQL_TOKEN = re.compile(rf"(?<![\w.:$}}])(?:[A-Za-z_:]|{_VARIABLE})(?:[\w:]|{_VARIABLE})*")
_PROMQL_KEYWORDS = frozenset(
    {
        "and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
        "group_right", "bool", "offset", "inf", "nan", "start", "end",
    }
)  # fmt: skip
_GRAFANA_VARIABLE = re.compile(rf"^{_VARIABLE}$")


def promql_metrics(expr: str) -> tuple[set[str], set[str]]:
    """Metric names a PromQL expression selects, and tokens it cannot resolve (metric
    names built from Grafana variables). Functions, keywords and label names are not
    metrics; neither are strings, durations or numbers."""
    text = _PROMQL_STRING.sub(" ", expr)
    text = re.sub(r"(?<!\$)\{[^{}]*\}", " ", text)  # label matchers, not ${var}
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = _PROMQL_GROUPING.sub(" ", text)
    text = re.sub(r"\boffset\s+-?[\w$]+", " ", text, flags=re.IGNORECASE)
    metrics: set[str] = set()
    unresolved: set[str] = set()
    for match in _PROMQL_TOKEN.finditer(text):
        token = match.group()
        rest = text[match.end() :].lstrip()
        if rest.startswith("(") or token.lower() in _PROMQL_KEYWORDS:
            continue
        if _GRAFANA_VARIABLE.match(token):
            continue
        (unresolved if "$" in token else metrics).add(token)
    return metrics, unresolved


def bracket_problem(expr: str) -> str | None:
    """Why the brackets of ``expr`` do not balance (strings skipped), or None."""
    text = _PROMQL_STRING.sub(lambda m: " " * len(m.group()), expr)
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[tuple[str, int]] = []
    for column, char in enumerate(text, start=1):
        if char in "([{":
            stack.append((char, column))
        elif char in pairs:
            if not stack or stack[-1][0] != pairs[char]:
                return f"unexpected {char!r} at column {column}"
            stack.pop()
    if stack:
        char, column = stack[-1]
        return f"{char!r} at column {column} is never closed"
    if text.count('"') % 2 or text.count("'") % 2:
        return "an unterminated string"
    return None


def expanded(expr: str, recording: dict[str, RecordingRule], depth: int = 3) -> str:
    """``expr`` followed by the expressions of the recording rules it uses (a few levels),
    so windows and metrics hidden behind ``slo:...:ratio_rate1h`` are visible."""
    parts = [expr]
    names, _ = promql_metrics(expr)
    for name in sorted(names):
        if name in recording and depth > 0:
            parts.append(expanded(recording[name].expr, recording, depth - 1))
    return "\n".join(parts)


# -- metrics exported by the code ----------------------------------------------------------

_METRIC_NAME = re.compile(r"^[A-Za-z_:][\w:]*$")
_METRIC_SUFFIXES = ("_total", "_created", "_bucket", "_count", "_sum", "_info", "_gcount", "_gsum")
_METRIC_LIBRARIES = re.compile(
    r"^\s*(?:from|import)\s+(prometheus_client|opentelemetry|aioprometheus|statsd|"
    r"prometheus_fastapi_instrumentator|starlette_exporter|starlette_prometheus)\b",
    re.MULTILINE,
)
# Metrics that instrumentation libraries export by themselves.
_LIBRARY_METRICS = {
    "prometheus_fastapi_instrumentator": (
        "http_requests_total",
        "http_request_duration_seconds",
        "http_request_duration_highr_seconds",
        "http_request_size_bytes",
        "http_response_size_bytes",
    ),
    "starlette_exporter": (
        "starlette_requests_total",
        "starlette_request_duration_seconds",
        "starlette_requests_in_progress",
    ),
    "starlette_prometheus": (
        "starlette_requests_total",
        "starlette_responses_total",
        "starlette_requests_processing_time_seconds",
        "starlette_exceptions_total",
        "starlette_requests_in_progress",
    ),
}
# Series Prometheus itself, client default collectors and well-known exporters provide.
_WELL_KNOWN = frozenset(
    {
        "up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds", "scrape_samples_scraped",
        "scrape_samples_post_metric_relabeling", "scrape_series_added", "push_time_seconds",
        "push_failure_time_seconds",
    }
)  # fmt: skip
_WELL_KNOWN_PREFIXES = (
    "kube_",  # kube-state-metrics
    "container_",  # cAdvisor (kubelet)
    "machine_",
    "kubelet_",
    "node_",  # node_exporter
    "process_",  # client libraries' default collectors
    "python_",
    "go_",
    "apiserver_",
    "prometheus_",
    "alertmanager_",
    "pushgateway_",
    "probe_",  # blackbox_exporter
    "nginx_ingress_controller_",
    "istio_",
    "envoy_",
    "coredns_",
)


@dataclass
class ExportedMetrics:
    """Metric names the code exports, with the file and line of each definition."""

    names: dict[str, Evidence] = field(default_factory=dict)

    def find(self, metric: str) -> Evidence | None:
        """The definition of ``metric`` (suffixes of counters/histograms/summaries/info
        accepted), or None."""
        if metric in self.names:
            return self.names[metric]
        for suffix in _METRIC_SUFFIXES:
            if metric.endswith(suffix) and metric[: -len(suffix)] in self.names:
                return self.names[metric[: -len(suffix)]]
        return None


def well_known(metric: str) -> bool:
    return metric in _WELL_KNOWN or metric.startswith(_WELL_KNOWN_PREFIXES)


def exported_metrics(repo: Repo) -> ExportedMetrics:
    exported = ExportedMetrics()
    for path in repo.source_files():
        text = repo.text(path) or ""
        libraries = sorted(set(_METRIC_LIBRARIES.findall(text)))
        if not libraries:
            continue
        for library in libraries:
            line = repo.line_of(path, rf"\b{library}\b")
            for name in _LIBRARY_METRICS.get(library, ()):
                exported.names.setdefault(name, Evidence(f"{name} ({library})", path, line))
        for name, line in sorted(_names_in_source(text).items()):
            exported.names.setdefault(name, Evidence(f"defines {name}", path, line))
    return exported


def _names_in_source(text: str) -> dict[str, int]:
    """Metric-like names in one module with the line that spells them: first arguments
    (or ``name=``) of calls and items of name tuples/lists, resolved through the module's
    string constants; a template such as ``f"{PREFIX}_{name}"`` is filled with each
    literal first argument of the module (the line is the literal's)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return {}
    return _metric_names_from(*_constants_and_candidates(tree))


def _constants_and_candidates(tree: ast.AST) -> tuple[dict[str, str], list[ast.expr]]:
    """String constants by name, and expressions that may spell a metric name."""
    constants: dict[str, str] = {}
    candidates: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        constants[target.id] = value.value
            elif isinstance(value, (ast.Tuple, ast.List)):
                candidates.extend(value.elts)
        elif isinstance(node, ast.Call):
            candidates.extend(node.args[:1])
            candidates.extend(k.value for k in node.keywords if k.arg == "name")
    return constants, candidates


def _metric_names_from(constants: dict[str, str], candidates: list[ast.expr]) -> dict[str, int]:
    plain: dict[str, int] = {}
    templates: dict[str, int] = {}
    for candidate in candidates:
        resolved = _resolve(candidate, constants)
        if resolved is None:
            continue
        if "\0" in resolved:
            templates.setdefault(resolved, candidate.lineno)
        elif _METRIC_NAME.match(resolved.replace(".", "_")):
            plain.setdefault(resolved.replace(".", "_"), candidate.lineno)
    names = dict(plain)
    for template in templates:
        if template.count("\0") == 1:
            for part, line in plain.items():
                filled = template.replace("\0", part)
                if _METRIC_NAME.match(filled):
                    names.setdefault(filled, line)
    return names


def _resolve(node: ast.expr, constants: dict[str, str]) -> str | None:
    """A string expression with constants substituted and unknown parts as ``\\0``."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.JoinedStr):
        parts: list[str] = []
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                parts.append(value.value)
            elif isinstance(value, ast.FormattedValue):
                inner = _resolve(value.value, constants)
                parts.append("\0" if inner is None else inner)
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _resolve(node.left, constants), _resolve(node.right, constants)
        if left is None and right is None:
            return None
        return (left if left is not None else "\0") + (right if right is not None else "\0")
    return None


@dataclass(frozen=True)
class Dashboard:
    """A Grafana dashboard: its JSON model and where it is (a file, or the object holding it)."""

    path: str
    line: int
    data: dict[str, Any]


@dataclass(frozen=True)
class DashboardQuery:
    """One Prometheus query of a dashboard panel, with the line it is written on."""

    path: str
    line: int
    expr: str


def dashboards(repo: Repo) -> tuple[list[Dashboard], list[Evidence]]:
    """Grafana dashboards: JSON files with panels, and dashboards inside ConfigMaps or
    GrafanaDashboard objects; plus parse errors of files that look like dashboards."""
    found: list[Dashboard] = []
    broken: list[Evidence] = []
    for path in repo.glob("*.json"):
        text = repo.text(path) or ""
        if '"panels"' not in text and '"rows"' not in text:
            continue
        try:
            data = json.loads(text)
        except ValueError as exc:
            if "grafana" in path.lower() or "dashboard" in path.lower():
                broken.append(Evidence(f"not valid JSON: {exc}", path))
            continue
        if isinstance(data, dict) and isinstance(data.get("dashboard"), dict):
            data = data["dashboard"]  # the HTTP API's export format
        if isinstance(data, dict) and ("panels" in data or "rows" in data):
            found.append(Dashboard(path, 1, data))
    for obj in repo.k8s_objects:
        values: list[Any] = []
        if obj.kind == "ConfigMap":  # Grafana's dashboard sidecar
            items = (_get(obj.data, "data") or {}).items()
            values = [v for k, v in items if str(k).endswith(".json")]
        elif obj.kind == "GrafanaDashboard":  # grafana-operator
            values = [_get(_get(obj.data, "spec"), "json")]
        for value in values:
            try:
                data = json.loads(value) if isinstance(value, str) else None
            except ValueError:
                broken.append(Evidence("dashboard JSON does not parse", obj.path, obj.line))
                continue
            if isinstance(data, dict) and "panels" in data:
                found.append(Dashboard(obj.path, obj.line, data))
    return found, broken


_OTHER_DATASOURCES = re.compile(
    r"loki|tempo|elasticsearch|influx|graphite|cloudwatch|sql|jaeger", re.IGNORECASE
)


def dashboard_queries(repo: Repo, board: Dashboard) -> list[DashboardQuery]:
    """Every Prometheus ``expr`` of a dashboard (targets of other data sources skipped)."""
    queries: list[DashboardQuery] = []
    for expr in _exprs(board.data, ""):
        escaped = json.dumps(expr)[1:-1][:60]  # as the JSON file spells it
        line = repo.line_of(board.path, re.escape(escaped), board.line) or board.line
        queries.append(DashboardQuery(board.path, line, expr))
    return queries


def _exprs(node: Any, datasource: str) -> Iterator[str]:
    if isinstance(node, dict):
        own = node.get("datasource")
        if own is not None:
            datasource = json.dumps(own)
        expr = node.get("expr")
        if isinstance(expr, str) and expr.strip() and not _OTHER_DATASOURCES.search(datasource):
            yield expr
        for key, value in node.items():
            if key != "expr":
                yield from _exprs(value, datasource)
    elif isinstance(node, list):
        for item in node:
            yield from _exprs(item, datasource)
