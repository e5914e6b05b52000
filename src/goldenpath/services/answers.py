"""Collect and validate the answers for one template, from data, a person or defaults.

Every question is evaluated in copier's order with copier's rules (``when``, rendered
defaults, choices, validators), and EVERY bad answer is reported, before a single file is
written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from goldenpath.adapters.template_config import Evaluator, Question, TemplateConfig, cast
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
        return evaluator.validate(question, value, context)

    shown = "" if default is None else _as_text(question, default)
    return cast(question, asker.text(message, shown, validate))


def _as_text(question: Question, value: Any) -> str:
    if question.type in {"yaml", "json"} and not isinstance(value, str):
        import json  # noqa: PLC0415 - only needed for structured defaults

        return json.dumps(value)
    return str(value)


def collect(
    config: TemplateConfig,
    template: str,
    given: dict[str, Any],
    asker: Asker | None = None,
    suggested: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Answers for ``template``: ``given`` first, then the person (if any), then defaults.

    ``suggested`` replaces a question's default when it is itself valid (the folder name
    given to ``new`` is the natural project name).

    Raises ``AnswersError`` listing every invalid or unknown answer.
    """
    evaluator = Evaluator(config)
    names = {q.name for q in config.questions}
    problems: list[tuple[str, str]] = [
        (name, "no such question in this catalog") for name in given if name not in names
    ]
    answers: dict[str, Any] = {TEMPLATE_QUESTION: template}
    for question in config.questions:
        if question.name == TEMPLATE_QUESTION:
            continue
        context = dict(answers)
        if not evaluator.when(question, context):
            if question.name in given:
                problems.append((question.name, f"does not apply to the {template} template"))
            continue
        default = evaluator.default(question, context) if "default" in question.spec else None
        hint = (suggested or {}).get(question.name)
        if hint is not None and not evaluator.validate(question, hint, context):
            default = hint
        if question.name in given:
            try:
                value = cast(question, given[question.name])
            except ValueError as exc:
                problems.append((question.name, str(exc)))
                continue
        elif asker is not None:
            value = _ask(asker, evaluator, question, context, default)
        elif default is not None or "default" in question.spec:
            value = default
        else:
            problems.append((question.name, "has no default: pass it with --data"))
            continue
        message = evaluator.validate(question, value, context)
        if message:
            problems.append((question.name, message))
        answers[question.name] = value
    if problems:
        raise AnswersError(problems)
    return answers


def summary(config: TemplateConfig, answers: dict[str, Any]) -> list[tuple[str, str]]:
    """(question, answer) rows in question order, for the confirmation screen."""
    order = [q.name for q in config.questions]
    return [(name, str(answers[name])) for name in order if name in answers]
