"""Collect and validate the answers for one template, from data, a person or defaults.

Every question is evaluated in copier's order with copier's rules (``when``, rendered
defaults, choices, validators), and EVERY bad answer is reported, before a single file is
written. Two checks hold for every catalog, whatever its validators say:

- no string answer contains a control character (tabs and line breaks included): answers
  land in TOML, YAML, HCL, CODEOWNERS and shell, where one breaks the file;
- an invalid answer is reported as such and never becomes a render error of a later
  question whose default, ``when`` or validator reads it.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from typing import Any, Protocol

import yaml

from goldenpath.adapters.template_config import (
    Evaluator,
    Question,
    TemplateConfig,
    cast,
    not_a_choice,
)
from goldenpath.errors import AnswersError, CatalogError

TEMPLATE_QUESTION = "template"


class Asker(Protocol):
    """How a person is asked; the CLI wires this to the terminal prompts adapter."""

    def text(self, message: str, default: str, validate: Callable[[str], str]) -> str:
        """A free-form answer that ``validate`` accepts."""

    def select(self, message: str, choices: list[tuple[str, Any]], default: Any) -> Any:
        """One value out of (label, value) choices."""

    def confirm(self, message: str, default: bool) -> bool:
        """Yes or no."""


def template_choices(config: TemplateConfig) -> list[tuple[str, str]]:
    """(label, name) of each template the catalog offers, from its ``template`` question."""
    question = config.question(TEMPLATE_QUESTION)
    if question is None:
        raise CatalogError("the catalog's copier.yml has no 'template' question")
    evaluator = Evaluator(config)
    return [(label, str(value)) for label, value in evaluator.choices(question, {})]


def _ask(
    asker: Asker, evaluator: Evaluator, question: Question, context: dict[str, Any], default: Any
) -> Any:
    message = evaluator.help(question, context)
    choices = evaluator.choices(question, context)
    if choices:
        return asker.select(message, choices, default)
    if question.type == "bool":
        return asker.confirm(message, bool(default))

    def validate(raw: str) -> str:
        try:
            value = cast(question, raw)
        except ValueError as exc:
            return str(exc)
        return control_characters(value) or evaluator.validate(question, value, context)

    shown = "" if default is None else _as_text(question, default)
    return cast(question, asker.text(message, shown, validate))


def _as_text(question: Question, value: Any) -> str:
    """The default as the person edits it.

    A yaml list of mappings becomes one line per entry (``- {name: x, type: float}``): a
    multi-line default is edited in a multi-line prompt, where a long list stays readable,
    instead of one JSON line thousands of characters long.
    """
    if isinstance(value, str):
        return value
    if question.type == "yaml" and isinstance(value, list | dict):
        return yaml.safe_dump(value, default_flow_style=None, sort_keys=False, width=1000)
    if question.type in {"yaml", "json"}:
        return json.dumps(value)
    return str(value)


# Control characters, and the Unicode line and paragraph separators (U+2028, U+2029) that
# Python's splitlines, JavaScript and some YAML readers treat as line breaks.
_BREAKING = {"Cc", "Zl", "Zp"}


def control_characters(value: Any, _open: frozenset[int] = frozenset()) -> str:
    """Why ``value`` (or a string inside it) is refused for control characters, else "".

    A YAML answer can refer to itself through an alias (``&x [*x]``); such a value has no
    finite rendering, so it is refused here instead of recursing forever.
    """
    if isinstance(value, str):
        found = sorted({c for c in value if unicodedata.category(c) in _BREAKING})
        if found:
            shown = ", ".join(repr(c) for c in found)
            return f"must not contain control characters such as tabs or line breaks ({shown})"
        return ""
    if isinstance(value, dict | list | tuple):
        if id(value) in _open:
            return "must not refer to itself (a recursive YAML alias)"
        inner = _open | {id(value)}
        items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        return next((p for p in (control_characters(i, inner) for i in items) if p), "")
    return ""


def collect(
    config: TemplateConfig,
    template: str,
    given: dict[str, Any],
    asker: Asker | None = None,
    suggested: dict[str, Any] | None = None,
    recorded: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Answers for ``template``: ``given`` first, then the person (if any), then defaults.

    ``suggested`` replaces a question's default when it is itself valid (the folder name
    given to ``new`` is the natural project name). ``recorded`` holds a repository's earlier
    answers: used like ``given`` (and validated), but silently left out where the question
    no longer exists or applies, as copier leaves them out of the answers file.

    Raises ``AnswersError`` listing every invalid or unknown answer.
    """
    evaluator = Evaluator(config)
    names = {q.name for q in config.questions}
    problems: list[tuple[str, str]] = [
        (name, "no such question in this catalog") for name in given if name not in names
    ]
    explicit = set(given)
    given = {**{k: v for k, v in (recorded or {}).items() if k in names}, **given}
    invalid = False
    answers: dict[str, Any] = {TEMPLATE_QUESTION: template}
    for question in config.questions:
        if question.name == TEMPLATE_QUESTION:
            continue
        try:
            value, problem = _answer(
                evaluator, question, dict(answers), given, explicit, asker, suggested
            )
        except CatalogError:
            if invalid:
                # Its default, `when` or validator reads an answer already reported as
                # invalid: that report is the one to act on, not a render error here.
                continue
            raise
        if problem:
            problems.append((question.name, problem))
            invalid = True
        if value is not _MISSING:
            answers[question.name] = value
    if problems:
        raise AnswersError(problems)
    return answers


_MISSING = object()  # no value: the question does not apply, or its answer has no type


def _answer(
    evaluator: Evaluator,
    question: Question,
    context: dict[str, Any],
    given: dict[str, Any],
    explicit: set[str],
    asker: Asker | None,
    suggested: dict[str, Any] | None,
) -> tuple[Any, str]:
    """(value, problem) of one question; ``problem`` is "" when the value is valid.

    Only an ``explicit`` answer to a question that does not apply is a problem.

    Raises ``CatalogError`` when a field of the question cannot be rendered in ``context``.
    """
    if not evaluator.when(question, context):
        if question.name in explicit:
            return _MISSING, f"does not apply to the {context[TEMPLATE_QUESTION]} template"
        return _MISSING, ""
    default = evaluator.default(question, context) if "default" in question.spec else None
    hint = (suggested or {}).get(question.name)
    if hint is not None and not evaluator.validate(question, hint, context):
        default = hint
    if question.name in given:
        try:
            value = cast(question, given[question.name])
        except ValueError as exc:
            choices = evaluator.choices(question, context)
            return _MISSING, not_a_choice(given[question.name], choices) if choices else str(exc)
    elif asker is not None:
        value = _ask(asker, evaluator, question, context, default)
    elif default is not None or "default" in question.spec:
        value = default
    else:
        return _MISSING, "has no default: pass it with --data"
    return value, control_characters(value) or evaluator.validate(question, value, context)


def summary(config: TemplateConfig, answers: dict[str, Any]) -> list[tuple[str, str]]:
    """(question, answer) rows in question order, for the confirmation screen."""
    order = [q.name for q in config.questions]
    return [(name, str(answers[name])) for name in order if name in answers]


class TerminalAsker:
    """The :class:`Asker` for a person at a terminal, through the prompts adapter.

    It lives with the protocol it implements, so the CLI picks it without importing an
    adapter; prompt_toolkit is loaded only when a question is really asked.
    """

    def text(self, message: str, default: str, validate: Callable[[str], str]) -> str:
        """Free-form answer."""
        from goldenpath.adapters import prompts  # noqa: PLC0415 - loads prompt_toolkit lazily

        return prompts.text(message, default, validate)

    def select(self, message: str, choices: list[tuple[str, Any]], default: Any) -> Any:
        """One of the choices."""
        from goldenpath.adapters import prompts  # noqa: PLC0415

        return prompts.select(message, choices, default)

    def confirm(self, message: str, default: bool) -> bool:
        """Yes or no."""
        from goldenpath.adapters import prompts  # noqa: PLC0415

        return prompts.confirm(message, default)
