"""The answer matrix covers the catalog's questions, and every question is well-formed.

``templates/copier.yml`` is read and evaluated by the engine itself
(``goldenpath.adapters.template_config``: copier's ``!include`` documents, copier's Jinja
setup with a loader rooted at the catalog), so this test and ``goldenpath new`` see the
same questions. For each case, the questions that apply (``when``) and the values used
(the case's answer, else the rendered default) are worked out the way copier does it, in
question order, so a question guarded by another answer (``model_source == 'mlflow'``)
counts only in cases where it is asked.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from template_harness.cases import TEMPLATES, Case, all_cases, cases_for, manifests
from template_harness.tools import TEMPLATES_DIR

from goldenpath.adapters import template_config
from goldenpath.adapters.template_config import Evaluator, Question

CONFIG = template_config.load(TEMPLATES_DIR)
EVALUATOR = Evaluator(CONFIG)
QUESTIONS = {q.name: q for q in CONFIG.questions}


def choice_values(question: Question, context: dict[str, Any]) -> list[Any]:
    """The values a question can take: its choices, or both bools."""
    if question.type == "bool" and "choices" not in question.spec:
        return [True, False]
    return [value for _, value in EVALUATOR.choices(question, context)]


def effective_answers(case: Case) -> dict[str, Any]:
    """The answer of every question that applies in ``case`` (given, else its default)."""
    context: dict[str, Any] = {}
    data = case.data()
    for question in CONFIG.questions:
        if not EVALUATOR.when(question, context):
            continue
        if question.name in data:
            context[question.name] = template_config.cast(question, data[question.name])
        else:
            context[question.name] = EVALUATOR.default(question, context)
    return context


def test_case_ids_are_unique() -> None:
    counts = Counter(case.id for case in all_cases())
    duplicates = sorted(case_id for case_id, n in counts.items() if n > 1)
    assert not duplicates, f"duplicate case ids: {duplicates}"


def test_template_choices_match_the_matrix() -> None:
    offered = set(choice_values(QUESTIONS["template"], {}))
    assert offered == set(TEMPLATES), "copier.yml `template` choices differ from TEMPLATES"


def test_every_template_has_an_aws_github_case_first() -> None:
    """Tests that need one render per template take each template's first case."""
    firsts = {m.name: m.presets[0].name for m in manifests()}
    assert firsts == dict.fromkeys(TEMPLATES, "aws-github")


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
        for answers in (effective_answers(case) for case in cases_for(template))
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
        answers = effective_answers(case)
        context: dict[str, Any] = {}
        for name, question in QUESTIONS.items():
            if name in answers:
                values = choice_values(question, context)
                if values and name != "template":
                    offered.setdefault(name, set()).update(values)
                    chosen = answers[name]
                    used.setdefault(name, set()).update(
                        chosen if question.spec.get("multiselect") else [chosen]
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
    spec = QUESTIONS[name].spec
    problems = [key for key in ("type", "help") if not spec.get(key)]
    if "default" not in spec:
        problems.append("default")
    if spec.get("type") != "bool" and not (spec.get("choices") or spec.get("validator")):
        problems.append("choices or validator")
    assert not problems, f"question {name!r} lacks: {', '.join(problems)}"


def test_catalog_needs_no_unsafe_features() -> None:
    """Rendering must not need copier's --trust (tasks, migrations, Jinja extensions)."""
    unsafe = CONFIG.unsafe_features()
    assert not unsafe, f"copier.yml uses unsafe features: {unsafe}"
