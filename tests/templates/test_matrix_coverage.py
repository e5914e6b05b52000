"""The answer matrix covers the catalog's questions, and every question is well-formed.

``templates/copier.yml`` is read with a small YAML loader that understands copier's
``!include`` documents. For each case, the questions that apply (``when``) and the values
used (the case's answer, else the rendered default) are worked out the way copier does it,
in question order, so a question guarded by another answer (``model_source == 'mlflow'``)
counts only in cases where it is asked.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from jinja2.sandbox import SandboxedEnvironment
from template_harness.cases import TEMPLATES, Case, all_cases, cases_for
from template_harness.tools import TEMPLATES_DIR

COPIER_YML = TEMPLATES_DIR / "copier.yml"


class _IncludeLoader(yaml.SafeLoader):
    """SafeLoader plus ``!include <glob>`` resolved from the template root, like copier."""


def _include(loader: _IncludeLoader, node: yaml.Node) -> Any:
    pattern = loader.construct_scalar(node)  # type: ignore[arg-type]
    paths = sorted(TEMPLATES_DIR.glob(str(pattern)))
    assert paths, f"copier.yml includes {pattern!r}, which matches no file"
    merged: dict[str, Any] = {}
    for path in paths:
        merged.update(yaml.load(path.read_text(), Loader=_IncludeLoader) or {})  # noqa: S506
    return merged


_IncludeLoader.add_constructor("!include", _include)


def load_copier_config(path: Path = COPIER_YML) -> dict[str, Any]:
    """All documents of copier.yml merged in order, includes expanded."""
    config: dict[str, Any] = {}
    for document in yaml.load_all(path.read_text(), Loader=_IncludeLoader):
        config.update(document or {})
    return config


def questions(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Questions in declaration order (copier's settings start with an underscore)."""
    return {
        name: spec if isinstance(spec, dict) else {"default": spec}
        for name, spec in config.items()
        if not name.startswith("_")
    }


_JINJA = SandboxedEnvironment(extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"])
_FALSY = {"", "false", "0", "no", "off", "none", "null", "n", "f"}


def _render(value: Any, context: dict[str, Any]) -> Any:
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        return _JINJA.from_string(value).render(**context)
    return value


def applies(spec: dict[str, Any], context: dict[str, Any]) -> bool:
    """A question's ``when``, evaluated like copier (a rendered string cast to bool)."""
    when = spec.get("when", True)
    if isinstance(when, bool):
        return when
    return str(_render(when, context)).strip().lower() not in _FALSY


def choice_values(spec: dict[str, Any], context: dict[str, Any]) -> list[Any]:
    """The values a question can take: its choices (dict, list or pairs), or both bools."""
    if spec.get("type") == "bool" and "choices" not in spec:
        return [True, False]
    choices = spec.get("choices")
    if choices is None:
        return []
    if isinstance(choices, dict):
        raw = [c["value"] if isinstance(c, dict) else c for c in choices.values()]
    else:
        raw = [c[1] if isinstance(c, list | tuple) else c for c in choices]
    return [_render(value, context) for value in raw]


def _typed(value: Any, spec: dict[str, Any]) -> Any:
    if spec.get("type") == "bool" and isinstance(value, str):
        return value.strip().lower() not in _FALSY
    if spec.get("type") == "int" and isinstance(value, str):
        return int(value)
    return value


def effective_answers(case: Case, qs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The answer of every question that applies in ``case`` (given, else its default)."""
    context: dict[str, Any] = {}
    data = case.data()
    for name, spec in qs.items():
        if not applies(spec, context):
            continue
        if name in data:
            context[name] = data[name]
        else:
            context[name] = _typed(_render(spec.get("default"), context), spec)
    return context


CONFIG = load_copier_config()
QUESTIONS = questions(CONFIG)


def test_case_ids_are_unique() -> None:
    counts = Counter(case.id for case in all_cases())
    duplicates = sorted(case_id for case_id, n in counts.items() if n > 1)
    assert not duplicates, f"duplicate case ids: {duplicates}"


def test_template_choices_match_the_matrix() -> None:
    offered = set(choice_values(QUESTIONS["template"], {}))
    assert offered == set(TEMPLATES), "copier.yml `template` choices differ from TEMPLATES"


@pytest.mark.parametrize("template", TEMPLATES)
def test_cases_answer_only_known_questions(template: str) -> None:
    unknown = {case.id: sorted(set(case.answers) - set(QUESTIONS)) for case in cases_for(template)}
    assert not any(unknown.values()), f"answers to questions copier.yml does not ask: {unknown}"
    wrong = [case.id for case in cases_for(template) if case.template != template]
    assert not wrong, f"cases of another template in the {template} matrix: {wrong}"


@pytest.mark.parametrize("template", TEMPLATES)
def test_matrix_covers_every_cloud_and_ci(template: str) -> None:
    pairs = {
        (answers.get("cloud"), answers.get("ci"))
        for answers in (effective_answers(case, QUESTIONS) for case in cases_for(template))
    }
    wanted = {
        (cloud, ci)
        for cloud in choice_values(QUESTIONS["cloud"], {})
        for ci in choice_values(QUESTIONS["ci"], {})
    }
    assert not wanted - pairs, f"{template}: cloud x ci pairs not in the matrix: {wanted - pairs}"


@pytest.mark.parametrize("template", TEMPLATES)
def test_matrix_covers_every_choice(template: str) -> None:
    """Each value of each choice question that applies to the template is used at least
    once, counting only cases where the question is actually asked."""
    used: dict[str, set[Any]] = {}
    offered: dict[str, set[Any]] = {}
    for case in cases_for(template):
        answers = effective_answers(case, QUESTIONS)
        context: dict[str, Any] = {}
        for name, spec in QUESTIONS.items():
            if name in answers:
                values = choice_values(spec, context)
                if values and name != "template":
                    offered.setdefault(name, set()).update(values)
                    chosen = answers[name]
                    used.setdefault(name, set()).update(
                        chosen if spec.get("multiselect") else [chosen]
                    )
                context[name] = answers[name]
    missing = {
        name: sorted(map(str, values - used.get(name, set())))
        for name, values in offered.items()
        if values - used.get(name, set())
    }
    assert not missing, f"{template}: choice values no case uses: {missing}"


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_question_is_well_formed(name: str) -> None:
    """Every question has a type, help, a default, and choices or a validator (a bool's
    type already closes its domain)."""
    spec = QUESTIONS[name]
    problems = [key for key in ("type", "help") if not spec.get(key)]
    if "default" not in spec:
        problems.append("default")
    if spec.get("type") != "bool" and not (spec.get("choices") or spec.get("validator")):
        problems.append("choices or validator")
    assert not problems, f"question {name!r} lacks: {', '.join(problems)}"


def test_catalog_needs_no_unsafe_features() -> None:
    """Rendering must not need copier's --trust (tasks, migrations, Jinja extensions)."""
    unsafe = sorted(set(CONFIG) & {"_tasks", "_migrations", "_jinja_extensions"})
    assert not unsafe, f"copier.yml uses unsafe features: {unsafe}"
