"""Answers that could render a broken repository are refused before anything is written.

Each check runs twice where it can: through ``answers.collect`` (what goldenpath reports,
with its Python-side checks) and through the catalog's own validator alone, as plain
``copier copy`` evaluates it (``Evaluator.validate``). The questions are read from the
working-tree catalog, so a new question is covered by the generic tests the day it is
added. Offline, ~2 s.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from jinja2 import Environment

from goldenpath.adapters import template_config
from goldenpath.adapters.template_config import Evaluator, Question, cast
from goldenpath.errors import AnswersError, CatalogError
from goldenpath.services import answers

from .catalog_factory import write

CATALOG_DIR = Path(__file__).resolve().parents[2] / "templates"
CONFIG = template_config.load(CATALOG_DIR)
EVALUATOR = Evaluator(CONFIG)
# Answers under which every question of the template applies.
ALL_QUESTIONS = {
    "batch-inference": {},
    "realtime-inference": {"model_source": "mlflow"},
    "training-pipeline": {"data_source": "file"},
}


def problems(template: str, given: dict[str, Any]) -> dict[str, str]:
    """{question: message} of every refused answer ({} when all are accepted)."""
    try:
        answers.collect(CONFIG, template, given)
    except AnswersError as exc:
        refused = exc
    else:
        return {}
    assert refused.exit_code == 2
    return dict(refused.problems)


def questions_of(template: str, kind: str) -> list[tuple[Question, dict[str, Any]]]:
    """(question, answers of the questions before it) for every applicable ``kind`` question
    of ``template`` that has a validator."""
    collected = answers.collect(CONFIG, template, ALL_QUESTIONS[template])
    found = []
    for question in CONFIG.questions:
        if question.name in collected and question.type == kind and "validator" in question.spec:
            names = [q.name for q in CONFIG.questions]
            earlier = names[: names.index(question.name)]
            found.append((question, {k: v for k, v in collected.items() if k in earlier}))
    return found


def catalog_validator(question: Question, value: Any, context: dict[str, Any]) -> str:
    return EVALUATOR.validate(question, value, context)


def _cases(kind: str) -> list[Any]:
    return [
        pytest.param(template, question, context, id=f"{template}:{question.name}")
        for template in ALL_QUESTIONS
        for question, context in questions_of(template, kind)
    ]


# ------------------------------------------------------------- line breaks, control chars


def test_question_fields_compile_without_jinja_deprecation_warnings() -> None:
    """Jinja decodes string literals like Python: a regex ending in \\Z is written with the
    backslash doubled, or Jinja warns about an invalid escape (an error in a later Python)."""
    env = Environment(autoescape=True)  # only parsed, never rendered
    for question in CONFIG.questions:
        for key in ("default", "when", "help", "validator"):
            source = question.spec.get(key)
            if isinstance(source, str):
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    env.parse(source)


@pytest.mark.parametrize(("template", "question", "context"), _cases("str"))
@pytest.mark.parametrize("suffix", ["\n", "\r\n", "\t"])
def test_a_trailing_line_break_is_refused_by_every_string_validator(
    template: str, question: Question, context: dict[str, Any], suffix: str
) -> None:
    """A ``$`` in a regular expression matches before a final newline: a validator that
    used it passed ``my-job\\n`` into TOML, YAML, HCL and CODEOWNERS."""
    value = answers.collect(CONFIG, template, ALL_QUESTIONS[template])[question.name]
    assert catalog_validator(question, value, context) == ""
    assert catalog_validator(question, value + suffix, context) != ""
    assert "control characters" in problems(
        template, {**ALL_QUESTIONS[template], question.name: value + suffix}
    ).get(question.name, "")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("project_name", "my-job\n"),
        ("package_name", "my_job\n"),
        ("organization", "acme\n"),
        ("owner_team", "ml-platform\n"),
        ("oncall_contact", "oncall@example.com\n"),
        ("partition_key", "run_date\n"),
        ("schedule", "0 3 * * *\n"),
        ("input_uri", "data/input\n"),
        ("model_uri", "models:/churn@champion\n"),
    ],
)
def test_values_with_a_trailing_newline_from_a_data_file_are_refused(
    tmp_path: Path, name: str, value: str
) -> None:
    """The way such a value arrives: a YAML block scalar keeps its final newline."""
    data_file = tmp_path / "answers.yml"
    data_file.write_text(f"{name}: |\n  {value}")
    given = yaml.safe_load(data_file.read_text())
    assert given[name] == value
    assert name in problems("batch-inference", given)


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f", "\x85", "\u009f", "\v", "\f"])
def test_no_string_answer_may_hold_a_control_character(character: str) -> None:
    for template, applies in ALL_QUESTIONS.items():
        for question, _ in questions_of(template, "str"):
            given = {**applies, question.name: f"ab{character}cd"}
            assert "control characters" in problems(template, given).get(question.name, ""), (
                template,
                question.name,
            )


def test_the_description_validator_refuses_control_characters_on_its_own() -> None:
    question = CONFIG.question("description")
    assert question is not None
    context = {"template": "batch-inference", "project_name": "my-job"}
    assert catalog_validator(question, "Scores churn for the CRM team", context) == ""
    for text in ["Scores churn\tfor the CRM team", "Scores churn for the CRM team\x1b[2J"]:
        assert "control characters" in catalog_validator(question, text, context)


def test_control_characters_inside_a_yaml_answer_are_refused() -> None:
    features = [{"name": "a", "type": "float"}, {"name": "b\n", "type": "int"}]
    found = problems("realtime-inference", {"model_source": "mlflow", "features": features})
    assert "control characters" in found["features"]


def test_a_yaml_answer_that_refers_to_itself_is_refused_not_a_crash() -> None:
    found = problems("realtime-inference", {"model_source": "mlflow", "features": "&x [*x]"})
    assert "refer to itself" in found["features"]


# ------------------------------------------------------------------------ finite floats


@pytest.mark.parametrize(("template", "question", "context"), _cases("float"))
@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "NaN", "1e999"])
def test_floats_must_be_finite(
    template: str, question: Question, context: dict[str, Any], text: str
) -> None:
    found = problems(template, {**ALL_QUESTIONS[template], question.name: text})
    assert found == {question.name: f"{text!r} is not a finite number"}
    # plain copier casts with float() and leaves it to the validator
    assert catalog_validator(question, float(text), context) != ""


def test_a_float_cast_refuses_what_is_not_finite() -> None:
    question = Question("x", {"type": "float"})
    assert cast(question, "0.25") == 0.25
    for value in ["nan", math.inf, "-Infinity", 10**400]:
        with pytest.raises(ValueError, match=r"not a (finite number|valid float)"):
            cast(question, value)
    with pytest.raises(ValueError, match="is not a valid int"):
        cast(Question("n", {"type": "int"}), math.inf)


# ------------------------------------------------------------------------- schedules


SCHEDULES = [("batch-inference", "schedule"), ("training-pipeline", "retrain_schedule")]


@pytest.mark.parametrize(("template", "name"), SCHEDULES)
@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("99 3 * * *", 'minute field "99": 99 is outside 0-59'),
        ("0 3 * * 8", 'day-of-week field "8": 8 is outside 0-6'),
        ("61 25 * * 1", 'minute field "61": 61 is outside 0-59'),
        ("99 99 99 99 99", 'minute field "99"'),
        ("0 0 31 2 *", "it never runs: February has no day 31"),
        ("0 0 L * *", "L, W and # are not supported"),
        ("0 3 * *", "five fields"),
    ],
)
def test_schedules_out_of_range_or_never_running_are_refused(
    template: str, name: str, value: str, reason: str
) -> None:
    message = problems(template, {name: value})[name]
    assert "five-field cron expression" in message
    assert reason in message


@pytest.mark.parametrize(("template", "name"), SCHEDULES)
@pytest.mark.parametrize("value", ["30 * * * *", "0 6 * * MON", "0 3 1 JAN-DEC/3 *", "0 0 29 2 *"])
def test_valid_schedules_are_accepted(template: str, name: str, value: str) -> None:
    assert problems(template, {name: value}) == {}


def test_training_may_not_run_more_often_than_github_actions_allows() -> None:
    assert (
        "every 5 minutes"
        in problems("training-pipeline", {"retrain_schedule": "*/2 * * * *"})["retrain_schedule"]
    )
    assert problems("training-pipeline", {"retrain_schedule": "*/5 * * * *"}) == {}


# --------------------------------------------------------------------------- locations


@pytest.mark.parametrize(
    ("given", "name", "reason"),
    [
        ({"output_uri": "./data/input"}, "output_uri", "must differ from the input location"),
        ({"output_uri": "data//input/"}, "output_uri", "must differ from the input location"),
        ({"output_uri": "data/input/scores"}, "output_uri", "neither may contain the other"),
        ({"input_uri": "data", "output_uri": "data/output"}, "output_uri", "neither may contain"),
        ({"output_uri": "data/../data/input"}, "output_uri", "must differ from the input"),
        (
            {"cloud": "aws", "input_uri": "s3://acme-in/a", "output_uri": "s3://acme-in//a/b/"},
            "output_uri",
            "neither may contain the other",
        ),
        ({"input_uri": "../../etc"}, "input_uri", "must stay inside the repository"),
        ({"input_uri": "data/../../etc"}, "input_uri", "must stay inside the repository"),
        ({"input_uri": "/abs/path"}, "input_uri", "relative to the repository"),
        ({"output_uri": "/mnt/scores"}, "output_uri", "relative to the repository"),
        ({"input_uri": "./"}, "input_uri", "not the repository itself"),
        ({"cloud": "aws", "input_uri": "s3://acme-in/../x"}, "input_uri", "object-store key"),
        ({"input_uri": "data/in put"}, "input_uri", "no spaces"),
    ],
)
def test_batch_locations_are_compared_as_paths_and_stay_in_the_repository(
    given: dict[str, str], name: str, reason: str
) -> None:
    assert reason in problems("batch-inference", given)[name]


@pytest.mark.parametrize(
    "given",
    [
        {"input_uri": "data/input", "output_uri": "data/input2"},
        {"input_uri": "./data/in/", "output_uri": "data/out"},
        {"input_uri": "data/../exports/in", "output_uri": "data/out"},
        {"cloud": "aws", "input_uri": "s3://acme-in/a", "output_uri": "s3://acme-in/ab"},
        {"cloud": "gcp", "input_uri": "gs://acme-in", "output_uri": "gs://acme-out"},
    ],
)
def test_separate_batch_locations_are_accepted(given: dict[str, str]) -> None:
    assert problems("batch-inference", given) == {}


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ({"data_source": "file", "data_uri": "../data/train.csv"}, "inside the repository"),
        ({"data_source": "file", "data_uri": "/data/train.csv"}, "relative to the repository"),
        ({"data_source": "file", "data_uri": "data/my train.csv"}, "no spaces"),
        ({"data_source": "object-store", "data_uri": "s3://acme/x y.csv"}, "no spaces"),
        ({"data_source": "object-store", "data_uri": "s3://acme/a/../b.csv"}, "object-store"),
        ({"data_source": "object-store", "data_uri": "gs://acme/b.csv"}, "gs:// needs cloud gcp"),
        ({"mlflow_tracking_uri": "sqlite:////tmp/mlflow.db"}, "relative to the repository"),
        ({"mlflow_tracking_uri": "sqlite:///../mlflow.db"}, "inside the repository"),
    ],
)
def test_training_paths_stay_in_the_repository(given: dict[str, str], reason: str) -> None:
    found = problems("training-pipeline", given)
    assert len(found) == 1
    assert reason in next(iter(found.values()))


# ------------------------------------------------- choices before dependent defaults


@pytest.mark.parametrize(
    ("tier", "shown"), [("0", "0"), ("4", "4"), ("-1", "-1"), ("two", "'two'"), (2.5, "2.5")]
)
def test_an_invalid_choice_is_reported_not_the_default_it_feeds(tier: Any, shown: str) -> None:
    found = problems("realtime-inference", {"service_tier": tier})
    assert found == {"service_tier": f"{shown} is not one of 1, 2, 3"}


def test_a_later_default_that_cannot_render_is_skipped_after_an_invalid_answer(
    tmp_path: Path,
) -> None:
    """Whatever a catalog writes: a default that reads an invalid earlier answer must not
    turn it into a render error (exit 1, no hint) instead of an answer error (exit 2)."""
    write(
        tmp_path / "copier.yml",
        """\
        template: {type: str, choices: [svc], default: svc}
        tier: {type: int, choices: [1, 2, 3], default: 2}
        slo: {type: float, default: "{{ {1: 99.9, 2: 99.5, 3: 99.0}[tier] }}"}
        """,
    )
    config = template_config.load(tmp_path)
    with pytest.raises(AnswersError) as caught:
        answers.collect(config, "svc", {"tier": "0"})
    assert caught.value.problems == [("tier", "0 is not one of 1, 2, 3")]
    assert answers.collect(config, "svc", {"tier": "3"})["slo"] == 99.0


def test_a_default_that_cannot_render_without_any_bad_answer_is_a_catalog_error(
    tmp_path: Path,
) -> None:
    write(
        tmp_path / "copier.yml",
        """\
        template: {type: str, choices: [svc], default: svc}
        slo: {type: float, default: "{{ {1: 99.9}[7] }}"}
        """,
    )
    with pytest.raises(CatalogError, match="cannot render"):
        answers.collect(template_config.load(tmp_path), "svc", {})


# ----------------------------------------------------------- partials in question fields


def test_validators_import_partials_from_the_catalog_root(tmp_path: Path) -> None:
    write(
        tmp_path / "_shared" / "checks.jinja",
        "{% macro short(v) %}{{ v | length < 4 }}{% endmacro %}",
    )
    write(
        tmp_path / "copier.yml",
        """\
        template: {type: str, choices: [svc], default: svc}
        name:
          type: str
          default: abc
          validator: >-
            {% from '_shared/checks.jinja' import short %}{% if short(name) == 'False'
            %}must be short{% endif %}
        """,
    )
    config = template_config.load(tmp_path)
    assert answers.collect(config, "svc", {})["name"] == "abc"
    with pytest.raises(AnswersError, match="must be short"):
        answers.collect(config, "svc", {"name": "abcdef"})


def test_a_partial_outside_the_catalog_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.jinja").write_text("secret")
    catalog = tmp_path / "catalog"
    write(
        catalog / "copier.yml",
        """\
        template: {type: str, choices: [svc], default: svc}
        name: {type: str, default: "{% include 'link.jinja' %}"}
        other: {type: str, default: "{% include '../outside.jinja' %}"}
        """,
    )
    (catalog / "link.jinja").symlink_to(tmp_path / "outside.jinja")
    config = template_config.load(catalog)
    evaluator = Evaluator(config)
    for name in ["name", "other"]:
        question = config.question(name)
        assert question is not None
        with pytest.raises(CatalogError):
            evaluator.default(question, {"template": "svc"})


# ------------------------------------------------------------------- wizard text forms


def test_a_yaml_list_default_is_edited_one_entry_per_line() -> None:
    question = CONFIG.question("features")
    assert question is not None
    default = question.spec["default"]
    text = answers._as_text(question, default)
    lines = text.splitlines()
    assert len(lines) == len(default)
    assert lines[0] == "- {name: mean_radius, type: float}"
    assert cast(question, text) == default


def test_a_package_name_stays_short_enough_for_file_names() -> None:
    assert problems("batch-inference", {"package_name": "a" * 40}) == {}
    assert (
        "at most 40 characters"
        in problems("batch-inference", {"package_name": "a" * 300})["package_name"]
    )
