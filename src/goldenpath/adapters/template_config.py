"""Read a catalog's ``copier.yml`` and evaluate its questions the way copier does.

goldenpath validates every answer BEFORE copier renders anything, and reports every bad
answer at once (copier stops at the first one). To stay faithful it uses copier's own YAML
conventions (``!include`` with globs, multi-document merge) and copier's Jinja setup
(sandboxed, with the Ansible filters copier enables), and copier still re-validates on render.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from goldenpath.errors import CatalogError

UNSAFE_KEYS = ("_tasks", "_migrations", "_jinja_extensions")
_TRUE = {"y", "yes", "t", "true", "on", "1"}
_FALSE = {"n", "no", "f", "false", "off", "0", ""}


def _load_yaml(path: Path, root: Path) -> list[dict[str, Any]]:
    class Loader(yaml.SafeLoader):
        """Per-call loader so the ``!include`` constructor never leaks globally."""

    def include(loader: yaml.SafeLoader, node: yaml.Node) -> list[dict[str, Any]]:
        pattern = str(loader.construct_scalar(node))  # type: ignore[arg-type]
        if PurePosixPath(pattern).is_absolute():
            raise CatalogError(f"{path.name}: !include path must be relative: {pattern}")
        docs: list[dict[str, Any]] = []
        for included in sorted(root.glob(pattern)):
            if not included.resolve().is_relative_to(root.resolve()):
                raise CatalogError(f"{path.name}: !include leaves the catalog: {pattern}")
            docs.extend(_load_yaml(included, root))
        return docs

    Loader.add_constructor("!include", include)
    try:
        raw = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=Loader))
    except yaml.YAMLError as exc:
        raise CatalogError(f"cannot parse {path.name}: {exc}".splitlines()[0]) from exc
    docs: list[dict[str, Any]] = []
    for doc in raw:
        if isinstance(doc, list):
            docs.extend(d for d in doc if isinstance(d, dict))
        elif isinstance(doc, dict):
            docs.append(doc)
    return docs


@dataclass(frozen=True)
class Question:
    """One question as written in copier.yml."""

    name: str
    spec: dict[str, Any]

    @property
    def type(self) -> str:
        """copier's type name; copier defaults to yaml when no type is given."""
        return str(self.spec.get("type", "yaml"))


@dataclass
class TemplateConfig:
    """Settings (``_``-keys) and ordered questions of a catalog."""

    settings: dict[str, Any] = field(default_factory=dict)
    questions: list[Question] = field(default_factory=list)
    root: Path | None = None  # the checkout: question fields may import partials from it

    def unsafe_features(self) -> list[str]:
        """Which of copier's unsafe features the catalog uses (they need trust)."""
        return [key.lstrip("_") for key in UNSAFE_KEYS if self.settings.get(key)]

    def question(self, name: str) -> Question | None:
        """The question called ``name``, if any."""
        return next((q for q in self.questions if q.name == name), None)


def load(root: Path) -> TemplateConfig:
    """Load ``copier.yml`` (or ``copier.yaml``) of a catalog checkout."""
    path = next((root / n for n in ("copier.yml", "copier.yaml") if (root / n).is_file()), None)
    if path is None:
        raise CatalogError(f"{root} has no copier.yml: not a catalog")
    config = TemplateConfig(root=root)
    seen: dict[str, Question] = {}
    for doc in _load_yaml(path, root):
        for key, value in doc.items():
            if key.startswith("_"):
                config.settings[key] = value
            else:
                spec = value if isinstance(value, dict) else {"default": value}
                seen[key] = Question(key, spec)
    config.questions = list(seen.values())
    return config


class _CatalogLoader(FileSystemLoader):
    """Loads partials from the catalog root, as copier's loader does for question fields.

    Like copier, a file that resolves outside the root (through a symlink) is refused, so a
    validator can never read files of the machine it runs on.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        super().__init__(str(self.root))

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        if not Path(filename).resolve().is_relative_to(self.root):
            raise CatalogError(f"{template} leaves the catalog")
        return source, filename, uptodate


class _Jinja:
    """One catalog's Jinja environment with its compiled question fields.

    Compiling the fields and the partials they import costs far more than rendering them;
    the same catalog checkout is evaluated many times in one process (a wizard re-validates
    on every answer, tests collect thousands of answer sets), so both are compiled once.
    Imported partials are reloaded when their file changes (Jinja's ``auto_reload``).
    """

    def __init__(self, root: Path | None, envops: dict[str, Any]) -> None:
        self.env = SandboxedEnvironment(
            extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
            undefined=StrictUndefined,
            loader=_CatalogLoader(root) if root else None,
            **envops,
        )
        self._compiled: dict[str, Template] = {}

    def template(self, source: str) -> Template:
        compiled = self._compiled.get(source)
        if compiled is None:
            compiled = self._compiled[source] = self.env.from_string(source)
        return compiled


@functools.lru_cache(maxsize=8)
def _jinja(root: Path | None, envops: str) -> _Jinja:
    return _Jinja(root, json.loads(envops))


class Evaluator:
    """Renders question fields (default, when, help, choices, validator) like copier.

    copier renders them with a loader rooted at the template's checkout, so a validator can
    ``{% from '_shared/partials/cron.jinja' import ... %}``; the loader here is rooted the
    same way, so both evaluate a catalog identically.
    """

    def __init__(self, config: TemplateConfig) -> None:
        envops = json.dumps(config.settings.get("_envops") or {}, sort_keys=True)
        self._jinja = _jinja(config.root.resolve() if config.root else None, envops)
        self.env = self._jinja.env

    def render(self, value: Any, context: dict[str, Any]) -> Any:
        """Render strings; lists and dicts recursively; other values unchanged."""
        if isinstance(value, str):
            try:
                return self._jinja.template(value).render(context)
            except TemplateError as exc:
                raise CatalogError(f"cannot render {value[:60]!r}: {exc}") from exc
        if isinstance(value, list):
            return [self.render(v, context) for v in value]
        return value

    def when(self, question: Question, context: dict[str, Any]) -> bool:
        """Whether the question applies given the answers so far."""
        when = question.spec.get("when", True)
        if isinstance(when, bool):
            return when
        return str(self.render(when, context)).strip().lower() not in _FALSE

    def help(self, question: Question, context: dict[str, Any]) -> str:
        """The help text shown when asking."""
        text = self.render(question.spec.get("help", ""), context)
        return " ".join(str(text).split()) or question.name

    def choices(self, question: Question, context: dict[str, Any]) -> list[tuple[str, Any]]:
        """(label, value) pairs, empty when the question is free-form."""
        raw = question.spec.get("choices")
        if isinstance(raw, str):
            raw = yaml.safe_load(self.render(raw, context))
        if isinstance(raw, dict):
            pairs = list(raw.items())
        elif isinstance(raw, list):
            pairs = [tuple(c) if isinstance(c, list | tuple) else (c, c) for c in raw]
        else:
            return []
        result: list[tuple[str, Any]] = []
        for label, raw_value in pairs:
            value = raw_value.get("value") if isinstance(raw_value, dict) else raw_value
            rendered = self.render(value, context)
            result.append((str(self.render(label, context)), cast(question, rendered)))
        return result

    def default(self, question: Question, context: dict[str, Any]) -> Any:
        """The rendered and typed default (None when the question has none)."""
        if "default" not in question.spec:
            return None
        return cast(question, self.render(question.spec["default"], context))

    def validate(self, question: Question, answer: Any, context: dict[str, Any]) -> str:
        """Empty string when valid, else the message copier's validator would show."""
        choices = self.choices(question, context)
        if choices and answer not in [v for _, v in choices]:
            return not_a_choice(answer, choices)
        validator = question.spec.get("validator")
        if not validator:
            return ""
        message = self.render(validator, {**context, question.name: answer})
        return " ".join(str(message).split())


def not_a_choice(answer: Any, choices: list[tuple[str, Any]]) -> str:
    """The message for an answer that is none of the question's choices."""
    return f"{answer!r} is not one of {', '.join(str(v) for _, v in choices)}"


def cast(question: Question, value: Any) -> Any:  # noqa: PLR0911 - one return per type
    """Convert an answer (often a string from ``--data``) to the question's type.

    Floats must be finite: every range check is false for ``nan``, so a validator written
    as "refuse when below or above" lets it through, and ``inf`` lands in alert rules and
    configuration as text no tool reads.
    """
    kind = question.type
    if kind == "float":
        return _finite_float(value)
    try:
        if kind == "str":
            return "" if value is None else str(value)
        if kind == "int":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)  # int() would quietly turn 2.5 into 2 and True into 1
            return int(value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError(text)
        if kind in {"yaml", "json"} and isinstance(value, str):
            return json.loads(value) if kind == "json" else yaml.safe_load(value)
    except (TypeError, ValueError, OverflowError, yaml.YAMLError) as exc:
        raise ValueError(f"{value!r} is not a valid {kind}") from exc
    return value


def _finite_float(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"{value!r} is not a valid float") from exc
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number
