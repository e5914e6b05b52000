"""Read-only, cached access to a repository's files, shared by every readiness check.

Checks ask questions ("which Kubernetes objects are there?", "which alert rules?") rather
than open files themselves, so one repository is listed once, each file is read and
parsed at most once per run, and a file that does not parse becomes evidence instead of a
crash. Nothing here writes, runs the project's code or touches the network.
"""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from goldenpath.readiness.model import Evidence

# Files bigger than this are data, not configuration: never read them for evidence.
MAX_BYTES = 2_000_000


@dataclass(frozen=True)
class Document:
    """One parsed YAML document with the file and the line it starts on."""

    path: str
    line: int
    data: Any


@dataclass(frozen=True)
class AlertRule:
    """A Prometheus alerting rule as written in a rules file."""

    path: str
    line: int
    name: str
    expr: str
    labels: dict[str, Any]
    annotations: dict[str, Any]
    duration: str | None


@dataclass(frozen=True)
class K8sObject:
    """A Kubernetes object found in a manifest (a YAML document with apiVersion and kind)."""

    path: str
    line: int
    kind: str
    name: str
    data: dict[str, Any]

    def pod_spec(self) -> dict[str, Any] | None:
        """The pod template's spec of a workload (Deployment, CronJob, Rollout...)."""
        spec = self.data.get("spec")
        if not isinstance(spec, dict):
            return None
        if self.kind == "Pod":
            return spec
        if self.kind == "CronJob":
            spec = _dig(spec, "jobTemplate", "spec") or {}
        template = _dig(spec, "template", "spec")
        return template if isinstance(template, dict) else None

    def containers(self) -> list[dict[str, Any]]:
        """The workload's containers (not init containers)."""
        spec = self.pod_spec() or {}
        items = spec.get("containers")
        return [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []


@dataclass(frozen=True)
class CiJob:
    """A CI job as the forge runs it: a GitHub Actions job, or a GitLab job with its
    ``extends`` templates, ``default`` scripts and ``!reference`` tags resolved.

    ``commands`` are its shell lines (and GitHub ``uses:`` steps as ``uses: owner/action``),
    each with the file line it is written on, so a check can cite the exact step.
    """

    path: str
    line: int
    name: str
    system: str  # "github" or "gitlab"
    data: dict[str, Any]
    commands: tuple[Evidence, ...]


# Top-level keys of a GitLab pipeline that are not jobs.
GITLAB_GLOBAL_KEYS = frozenset(
    {
        "default",
        "include",
        "stages",
        "variables",
        "workflow",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
        "types",
        "spec",
    }
)


WORKLOAD_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "Rollout"}
)

# Calls that fit a model: scikit-learn style estimators, boosting libraries, trainer
# objects and hand-written PyTorch loops.
TRAINING_CALL = re.compile(
    r"\.(?:partial_)?fit\(|\b(?:xgb|xgboost|lgb|lightgbm|catboost)\.train\(|"
    r"Trainer\(|\btrainer\.train\(|\.backward\(\)"
)


def is_demo(path: str) -> bool:
    """A module or folder named as a demo or example (``demo_model.py``, ``examples/``).

    Serving repositories ship a demo model so they run before the real one exists; its
    training is a fixture, not the repository's training pipeline.
    """
    parts = path.lower().split("/")
    stem = parts[-1].removesuffix(".py")
    return stem.startswith(("demo", "example")) or any(
        part in {"demo", "demos", "example", "examples"} for part in parts[:-1]
    )


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers where each document starts."""


class GitLabReference(tuple[str, ...]):
    """GitLab's ``!reference [job, key, ...]`` tag: kept as the path it names, resolved
    when CI jobs are read (a plain SafeLoader would reject the whole pipeline file)."""


def _gitlab_reference(loader: yaml.SafeLoader, node: yaml.Node) -> GitLabReference:
    if not isinstance(node, yaml.SequenceNode):
        raise yaml.constructor.ConstructorError(
            None, None, "!reference needs a list", node.start_mark
        )
    return GitLabReference(str(item) for item in loader.construct_sequence(node))


_LineLoader.add_constructor("!reference", _gitlab_reference)


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """GitLab's ``extends`` merge: mappings merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in over.items():
        old = merged.get(key)
        both = isinstance(old, dict) and isinstance(value, dict)
        merged[key] = _deep_merge(old, value) if both else value  # type: ignore[arg-type]
    return merged


_MAX_REFERENCE_DEPTH = 10
_MAX_EXPANSION_DEPTH = 3
_MAKE_CALL = re.compile(
    r"(?:^|[\s;&|(])(?:\$\(MAKE\)|make)(?:\s+-[-\w]+)*\s+(?P<targets>[\w.-]+(?:\s+[\w.-]+)*)"
)
_MAKE_RULE = re.compile(
    r"^(?P<targets>[\w./%-]+(?:[ \t]+[\w./%-]+)*)[ \t]*::?(?!=)(?P<prerequisites>.*)$"
)
_SCRIPT_CALL = re.compile(r"(?:^|[\s;&|(])((?:\./)?[\w./-]+\.(?:sh|bash))\b")


def _script_lines(value: Any, jobs: dict[str, dict[str, Any]], depth: int = 0) -> list[str]:
    """A GitLab script (a string, a list, nested lists, ``!reference`` tags) as lines."""
    if depth > _MAX_REFERENCE_DEPTH:  # a cycle: GitLab refuses it, so do we (silently)
        return []
    if isinstance(value, GitLabReference):
        target: Any = jobs.get(value[0]) if value else None
        for key in value[1:]:
            target = target.get(key) if isinstance(target, dict) else None
        return _script_lines(target, jobs, depth + 1)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [line for item in value for line in _script_lines(item, jobs, depth + 1)]
    return []


class Repo:
    """A repository (or a project folder inside one) as readiness checks see it.

    ``files`` are the paths git would commit, relative to ``root`` and with ``/``
    separators; ``answers`` are the goldenpath/copier answers files found at the root.
    """

    def __init__(self, root: Path, files: Iterable[str]) -> None:
        self.root = root
        self.files: tuple[str, ...] = tuple(files)
        self._text: dict[str, str | None] = {}
        self._docs: dict[str, list[Document]] = {}
        self.parse_errors: list[Evidence] = []

    # -- raw access -------------------------------------------------------------------
    def glob(self, *patterns: str) -> list[str]:
        """Files matching any shell pattern (``*`` crosses folders, like fnmatch)."""
        return [f for f in self.files if any(fnmatch.fnmatch(f, p) for p in patterns)]

    def exists(self, path: str) -> bool:
        """True when ``path`` is one of the repository's files."""
        return path in self._file_set

    @cached_property
    def _file_set(self) -> frozenset[str]:
        return frozenset(self.files)

    def text(self, path: str) -> str | None:
        """The file's text (None when missing, binary, too big or unreadable)."""
        if path not in self._text:
            self._text[path] = self._read(path)
        return self._text[path]

    def _read(self, path: str) -> str | None:
        full = self.root / path
        try:
            if not full.is_file() or full.stat().st_size > MAX_BYTES:
                return None
            data = full.read_bytes()
        except OSError:
            return None
        if b"\0" in data[:8192]:
            return None
        return data.decode("utf-8", errors="replace")

    def lines(self, path: str) -> list[str]:
        """The file's lines ([] when it cannot be read)."""
        return (self.text(path) or "").splitlines()

    def line_of(self, path: str, pattern: str | re.Pattern[str], start: int = 1) -> int | None:
        """1-based number of the first line at or after ``start`` matching ``pattern``."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        for number, line in enumerate(self.lines(path), start=1):
            if number >= start and regex.search(line):
                return number
        return None

    def grep(
        self, pattern: str | re.Pattern[str], *globs: str, first_only: bool = True
    ) -> list[Evidence]:
        """Lines matching ``pattern`` in files matching ``globs`` (all files if none)."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        found: list[Evidence] = []
        for path in self.glob(*globs) if globs else self.files:
            for number, line in enumerate(self.lines(path), start=1):
                if regex.search(line):
                    found.append(Evidence(line.strip()[:160], path, number))
                    if first_only:
                        break
        return found

    # -- parsed files -----------------------------------------------------------------
    def yaml_documents(self, path: str) -> list[Document]:
        """Every YAML document of a file with its start line; [] (and a parse error
        recorded) when the file is not valid YAML."""
        if path not in self._docs:
            self._docs[path] = self._parse_yaml(path)
        return self._docs[path]

    def _parse_yaml(self, path: str) -> list[Document]:
        text = self.text(path)
        if text is None:
            return []
        docs: list[Document] = []
        try:
            loader = _LineLoader(text)
            try:
                while loader.check_node():
                    node = loader.get_node()
                    if node is None:
                        continue
                    docs.append(
                        Document(path, node.start_mark.line + 1, loader.construct_document(node))
                    )
            finally:
                loader.dispose()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            self.parse_errors.append(
                Evidence(f"not valid YAML: {str(exc).splitlines()[0]}", path, line)
            )
            return []
        return docs

    def yaml(self, path: str) -> Any:
        """The first YAML document of a file, or None."""
        docs = self.yaml_documents(path)
        return docs[0].data if docs else None

    def json(self, path: str) -> Any:
        """A JSON file's content, or None (parse error recorded) when it is not valid JSON."""
        text = self.text(path)
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError as exc:
            self.parse_errors.append(Evidence(f"not valid JSON: {exc}", path))
            return None

    def toml(self, path: str) -> dict[str, Any] | None:
        """A TOML file's content, or None (parse error recorded) when it is not valid TOML."""
        text = self.text(path)
        if text is None:
            return None
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            self.parse_errors.append(Evidence(f"not valid TOML: {exc}", path))
            return None

    # -- domain views ---------------------------------------------------------------
    @cached_property
    def answers(self) -> dict[str, Any]:
        """Answers recorded by goldenpath/copier at this root ({} for hand-written repos)."""
        merged: dict[str, Any] = {}
        for path in sorted(self.glob(".copier-answers*.yml", ".copier-answers*.yaml")):
            if "/" in path:
                continue
            data = self.yaml(path)
            if isinstance(data, dict):
                merged.update(data)
        return merged

    @property
    def template(self) -> str | None:
        """The catalog template this repository was generated from, if any."""
        value = self.answers.get("template")
        return value if isinstance(value, str) else None

    def yaml_files(self) -> list[str]:
        """All YAML files of the repository."""
        return self.glob("*.yml", "*.yaml")

    @cached_property
    def k8s_objects(self) -> list[K8sObject]:
        """Kubernetes objects in every YAML file (documents with apiVersion and kind)."""
        found: list[K8sObject] = []
        for path in self.yaml_files():
            if path.startswith(".github/") or ".gitlab-ci" in path:
                continue
            for doc in self.yaml_documents(path):
                data = doc.data
                if isinstance(data, dict) and "apiVersion" in data and "kind" in data:
                    name = _dig(data, "metadata", "name")
                    found.append(
                        K8sObject(path, doc.line, str(data["kind"]), str(name or ""), data)
                    )
        return found

    def workloads(self) -> list[K8sObject]:
        """Kubernetes objects that run pods."""
        return [o for o in self.k8s_objects if o.kind in WORKLOAD_KINDS]

    @cached_property
    def alert_rules(self) -> list[AlertRule]:
        """Prometheus alerting rules: YAML files with ``groups[].rules[].alert`` (rule
        unit-test files, which have ``rule_files``/``tests``, are not rules)."""
        rules: list[AlertRule] = []
        for path in self.yaml_files():
            data = self.yaml(path)
            if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
                continue
            # A PrometheusRule object keeps its groups under spec; plain files at the top.
            for group in data["groups"]:
                rules.extend(self._rules_of(path, group))
        for obj in self.k8s_objects:
            if obj.kind == "PrometheusRule":
                for group in _dig(obj.data, "spec", "groups") or []:
                    rules.extend(self._rules_of(obj.path, group, obj.line))
        return rules

    def _rules_of(self, path: str, group: Any, start: int = 1) -> Iterator[AlertRule]:
        if not isinstance(group, dict) or not isinstance(group.get("rules"), list):
            return
        for rule in group["rules"]:
            if not isinstance(rule, dict) or "alert" not in rule:
                continue
            name = str(rule["alert"])
            line = self.line_of(path, rf"alert:\s*['\"]?{re.escape(name)}\b", start) or start
            yield AlertRule(
                path,
                line,
                name,
                str(rule.get("expr", "")),
                _mapping(rule.get("labels")),
                _mapping(rule.get("annotations")),
                str(rule["for"]) if "for" in rule else None,
            )

    @cached_property
    def ci_files(self) -> list[str]:
        """CI pipeline definitions: GitHub Actions workflows and GitLab CI files."""
        return self.glob(
            ".github/workflows/*.yml",
            ".github/workflows/*.yaml",
            ".gitlab-ci.yml",
            ".gitlab/ci/*.yml",
            ".gitlab-ci/*.yml",
        )

    @cached_property
    def ci_jobs(self) -> list[CiJob]:
        """Every job of every CI file (GitLab templates, the hidden ``.name`` jobs, are
        merged into the jobs that extend them and not listed themselves)."""
        jobs: list[CiJob] = []
        gitlab: dict[str, tuple[str, dict[str, Any]]] = {}
        defaults: dict[str, Any] = {}
        for path in self.ci_files:
            data = self.yaml(path)
            if not isinstance(data, dict):
                continue
            if path.startswith(".github/"):
                jobs.extend(self._github_jobs(path, data))
                continue
            defaults.update({k: data[k] for k in ("before_script", "image") if k in data})
            defaults.update(_mapping(data.get("default")))
            for key, body in data.items():
                if isinstance(body, dict) and str(key) not in GITLAB_GLOBAL_KEYS:
                    gitlab[str(key)] = (path, body)
        raw = {name: body for name, (_, body) in gitlab.items()}
        for name, (path, _) in gitlab.items():
            if name.startswith("."):
                continue
            body = self._gitlab_extended(name, raw, frozenset())
            inherit = _dig(body, "inherit", "default")
            if inherit is not False:
                body = {**{k: v for k, v in defaults.items() if k not in body}, **body}
            line = self.line_of(path, rf"^['\"]?{re.escape(name)}['\"]?\s*:") or 1
            texts = _script_lines(body.get("before_script"), raw) + _script_lines(
                body.get("script"), raw
            )
            jobs.append(CiJob(path, line, name, "gitlab", body, self._locate(path, line, texts)))
        return jobs

    def _gitlab_extended(
        self, name: str, raw: dict[str, dict[str, Any]], seen: frozenset[str]
    ) -> dict[str, Any]:
        body = raw.get(name, {})
        parents = body.get("extends")
        merged: dict[str, Any] = {}
        for parent in [parents] if isinstance(parents, str) else _list(parents):
            if isinstance(parent, str) and parent in raw and parent not in seen:
                merged = _deep_merge(merged, self._gitlab_extended(parent, raw, seen | {name}))
        return _deep_merge(merged, {k: v for k, v in body.items() if k != "extends"})

    def _github_jobs(self, path: str, data: dict[str, Any]) -> Iterator[CiJob]:
        start = self.line_of(path, r"^jobs\s*:") or 1
        for name, body in _mapping(data.get("jobs")).items():
            if not isinstance(body, dict):
                continue
            line = self.line_of(path, rf"^\s+['\"]?{re.escape(str(name))}['\"]?\s*:", start)
            texts: list[str] = []
            for step in [*_list(body.get("steps")), body]:
                if not isinstance(step, dict):
                    continue
                if isinstance(step.get("run"), str):
                    texts.append(step["run"])
                elif isinstance(step.get("uses"), str):
                    texts.append(f"uses: {step['uses']}")
            line = line or start
            yield CiJob(path, line, str(name), "github", body, self._locate(path, line, texts))

    def _locate(self, path: str, start: int, texts: list[str]) -> tuple[Evidence, ...]:
        """Each non-comment line of ``texts`` with the file line that holds its beginning
        (folded YAML keeps only that): inside the job's own block first, in order, else
        anywhere in the file (a line inherited from a template or a ``!reference``)."""
        lines = self.lines(path)
        indent = len(lines[start - 1]) - len(lines[start - 1].lstrip()) if lines else 0
        end = next(
            (
                n
                for n in range(start + 1, len(lines) + 1)
                if lines[n - 1].strip()
                and not lines[n - 1].lstrip().startswith("#")
                and len(lines[n - 1]) - len(lines[n - 1].lstrip()) <= indent
            ),
            len(lines) + 1,
        )
        cursor = start
        found: list[Evidence] = []
        for text in texts:
            for part in text.splitlines():
                command = part.strip()
                if not command or command.startswith("#"):
                    continue
                key = command[:30]
                own = next((n for n in range(cursor, end) if key in lines[n - 1]), None)
                if own is not None:
                    cursor = own
                where = own or next(
                    (n for n in range(1, len(lines) + 1) if key in lines[n - 1]), start
                )
                found.append(Evidence(command[:160], path, where))
        return tuple(found)

    def commands_run_by(self, command: Evidence, depth: int = 0) -> list[Evidence]:
        """The command plus what it runs inside the repository: the recipe of a ``make``
        target (prerequisites first) or the lines of a repository shell script it calls,
        so ``make check`` in CI counts as the ``pytest`` its recipe runs."""
        found = [command]
        if depth >= _MAX_EXPANSION_DEPTH:
            return found
        call = _MAKE_CALL.search(command.text)
        if call:
            for target in call.group("targets").split():
                for step in self._make_recipe(target, frozenset()):
                    found.extend(self.commands_run_by(step, depth + 1))
        for token in _SCRIPT_CALL.findall(command.text):
            path = token.removeprefix("./")
            if path != command.path and self.exists(path):
                for number, line in enumerate(self.lines(path), start=1):
                    text = line.strip()
                    if text and not text.startswith("#"):
                        found.append(Evidence(text[:160], path, number))
        return found

    @cached_property
    def _make_rules(self) -> dict[str, tuple[list[str], list[Evidence]]]:
        """Targets of the root Makefile: prerequisites and recipe lines."""
        path = next((m for m in ("Makefile", "makefile", "GNUmakefile") if self.exists(m)), None)
        rules: dict[str, tuple[list[str], list[Evidence]]] = {}
        current: list[Evidence] | None = None
        for number, line in enumerate(self.lines(path) if path else [], start=1):
            if line.startswith("\t"):
                recipe = line.strip().lstrip("@-+").strip()
                if current is not None and recipe and not recipe.startswith("#"):
                    current.append(Evidence(recipe[:160], path, number))
                continue
            rule = _MAKE_RULE.match(line)
            current = None
            if rule:
                current = []
                prerequisites = rule.group("prerequisites").split("#", 1)[0].split()
                for target in rule.group("targets").split():
                    rules.setdefault(target, (prerequisites, current))
        return rules

    def _make_recipe(self, target: str, seen: frozenset[str]) -> list[Evidence]:
        prerequisites, recipe = self._make_rules.get(target, ([], []))
        lines: list[Evidence] = []
        for name in prerequisites:
            if name not in seen:
                lines.extend(self._make_recipe(name, seen | {target}))
        return [*lines, *recipe]

    def source_files(self) -> list[str]:
        """Python source outside tests."""
        return [
            f
            for f in self.glob("*.py")
            if not f.startswith(("tests/", "test/"))
            and "/tests/" not in f
            and not f.rsplit("/", 1)[-1].startswith("test_")
        ]

    def test_files(self) -> list[str]:
        """Python test modules (pytest naming)."""
        return [
            f
            for f in self.glob("*.py")
            if f.rsplit("/", 1)[-1].startswith("test_") or f.endswith("_test.py")
        ]

    def training_files(self, *, demo: bool = False) -> list[str]:
        """Python source that fits a model: the repository's training code, or with
        ``demo=True`` only the demo/example modules that train a stand-in model."""
        return [
            f
            for f in self.source_files()
            if is_demo(f) == demo and TRAINING_CALL.search(self.text(f) or "")
        ]
