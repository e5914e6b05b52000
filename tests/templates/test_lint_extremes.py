"""Generated projects pass their own lint for the extreme answers the questions accept.

``make lint`` in a generated project runs ``ruff check .`` and ``ruff format --check .``,
and its pre-commit hook and CI run yamllint with its ``.yamllint.yaml``; they must pass
for every answer a validator lets through, not only for the matrix's usual names. Answer
lengths move lines past ruff's and yamllint's limits and package names move imports in
isort's order, so each template is rendered with:

- ``sorts-first`` / ``sorts-last``: package names that sort before and after ``conftest``,
  which the tests of batch-inference import;
- ``longest-names``: the longest project name (24 characters), package name (40) and
  description (200), everything else at its default;
- ``longest-answers``: the longest names again, and every other free-text answer at its
  longest (URIs, model and column names, owner, contact; the non-demo model source where
  there is one, so its files are rendered too). Where a validator sets no limit (an e-mail
  address, an object key) the answer is longer than any one line.

The layout macros of ``_shared/partials/python.jinja``, which give such lines the form ruff
wants, are also checked alone, over lengths on both sides of every break they decide.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment
from template_harness import tools
from template_harness import validators as v
from template_harness.cases import TEMPLATES, Case
from template_harness.render import Renderer, case_params

DESCRIPTION_200 = (
    "Scores every customer of the retail bank for churn risk every night and publishes "
    "the results to the warehouse, so that the marketing and retention teams can plan "
    "their outreach with it every morning."
)
LONGEST_NAMES = {
    "project_name": "longest-project-name-24c",
    "package_name": "longest_package_name_of_forty_characters",
    "description": DESCRIPTION_200,
}
BUCKET = "b" * 63  # the longest bucket name

# Per template, every other free-text answer at the longest its validator accepts.
LONGEST_OTHER_ANSWERS: dict[str, dict[str, Any]] = {
    "batch-inference": {
        "input_uri": f"s3://{BUCKET}/input",
        "output_uri": f"s3://{BUCKET}/outpt",
        "model_uri": "models:/" + "m" * 50 + "@" + "a" * 11,
        "partition_key": "k" * 40,
        "engine": "spark",
        "organization": "o" * 39,
        "owner_team": "t" * 63,
    },
    "realtime-inference": {
        "model_source": "mlflow",
        "mlflow_model_uri": "models:/" + "m" * 100 + "@" + "a" * 64,
        "features": [
            {"name": letter * 63, "type": kind}
            for letter, kind in zip("fisb", ["float", "int", "str", "bool"], strict=True)
        ],
        "slo_latency_p99_ms": 12345,
        "prediction_cache": "lru",  # the cache and its tests name the features too
        "organization": "o" * 39,
        "owner_team": "t" * 63,
        "oncall_contact": "c" * 120 + "@example.com",
    },
    "training-pipeline": {
        "task": "regression",
        "eval_metric": "rmse",
        "metric_threshold": 65.0,
        "data_source": "object-store",
        "data_uri": f"s3://{BUCKET}/" + "d" * 150 + ".parquet",
        "target_column": "y" * 63,
        "timestamp_column": "w" * 63,
        "feature_columns": ",".join(letter * 63 for letter in "ghij"),
        "registered_model_name": "R" + "r" * 62,
        "mlflow_tracking_uri": "https://" + "h" * 120 + ".example.com:5000/mlflow",
        "engine": "spark",
        "orchestrator": "airflow",  # the DAG and its tests carry the longest names too
        "organization": "o" * 39,
        "owner_team": "t" * 63,
        "oncall_contact": "c" * 120 + "@example.com",
    },
}


def _answer_sets(template: str) -> dict[str, dict[str, Any]]:
    return {
        "sorts-first": {"project_name": "aaaa"},
        "sorts-last": {"project_name": "zzzz-zzzz"},
        "longest-names": LONGEST_NAMES,
        "longest-answers": {**LONGEST_NAMES, **LONGEST_OTHER_ANSWERS[template]},
    }


CASES = [
    Case(template, f"{template}-lint-{name}", answers)
    for template in TEMPLATES
    for name, answers in _answer_sets(template).items()
]


def test_every_template_has_longest_answers() -> None:
    """A template added to the catalog needs its own longest answers here."""
    assert sorted(LONGEST_OTHER_ANSWERS) == sorted(TEMPLATES)


def test_answers_are_the_extremes_named() -> None:
    """The sets hold what their names say: the limits are the validators' own."""
    assert len(LONGEST_NAMES["project_name"]) == 24
    assert len(LONGEST_NAMES["package_name"]) == 40
    assert len(LONGEST_NAMES["description"]) == 200
    sets = _answer_sets(TEMPLATES[0])
    first, last = (
        sets[name]["project_name"].replace("-", "_") for name in ["sorts-first", "sorts-last"]
    )
    assert first < "conftest" < last


@pytest.fixture(params=case_params(CASES))
def extreme(request: pytest.FixtureRequest, renderer: Renderer) -> Path:
    """The render of one template with one extreme answer set (once per worker)."""
    case: Case = request.param
    return renderer(case)


def test_make_lint_passes(extreme: Path) -> None:
    """``ruff check .`` and ``ruff format --check .`` with the project's own configuration,
    as its Makefile's ``lint`` target runs them."""
    problems = v.ruff_lint(extreme)
    assert not problems, problems


def test_yamllint_passes(extreme: Path) -> None:
    """yamllint with the project's own configuration, as its pre-commit hook and CI run it:
    a long URI or name moves YAML lines past the line limit too."""
    problems = v.yamllint_project(extreme)
    assert not problems, problems


# ---------------------------------------------------------------- the layout macros alone


def _partials() -> tuple[Any, Any]:
    """python.jinja's macros and pyproject-tools' ruff settings, in copier's Jinja setup."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(tools.TEMPLATES_DIR),
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
    )
    python = env.get_template("_shared/partials/python.jinja").module
    pyproject = env.get_template("_shared/partials/repo/pyproject-tools.toml.jinja").module
    return python, pyproject


def _layouts(py: Any) -> str:
    """A module with every layout of every macro: lengths from below to above each break
    (one line / wrapped / one name or argument per line / noqa), at two indentations."""
    limit = int(py.line_length)
    lines = ['"""Layouts."""', "", "from __future__ import annotations", ""]
    for extra in range(-3, 4):  # the module name takes the flat import to limit + extra
        names = [f"A{extra + 3}", f"b{extra + 3}", f"c{extra + 3}"]
        flat = len(f"from pkg_ import {', '.join(names)}")
        module = "pkg_" + "m" * (limit - flat + extra)
        lines.append(str(py.from_import(module, names)))
    lines.append("")
    for size in range(limit - 30, limit + 30):
        lines.append(str(py.assign(f"NAME_{size}", '"' + "v" * size + '"')))
        lines.append(str(py.assign(f"URI_{size}", '"s3://' + "u" * size + '"')))
    for extra in range(-3, 4):  # a URL too long for any line, starting at limit + extra
        target = "URL_" + "x" * (limit - len("URL_ = ") + extra)
        lines.append(str(py.assign(target, '"s3://' + "u" * limit + '"')))
    lines += ["", "", "def f(*args: object) -> None:", '    """Calls."""']
    for size in range(limit - 50, limit + 30):
        text = '"' + "c" * size + '"'
        half = '"' + "h" * (size // 2) + '"'
        lines.append(str(py.call("f", [text], indent="    ")))
        lines.append(str(py.call("f", [text, "args"], indent="    ")))
        lines.append(str(py.call("f", [half, "args", half], indent="    ")))
        lines.append(str(py.assign(f"local_{size}", text, indent="    ")))
    for extra in range(-3, 3):  # as above; wrapped, `from ... import (` itself must fit
        module = "os_" + "p" * (limit - len("    from os_ import sep") + extra)
        lines.append(str(py.from_import(module, ["sep"], indent="    ")))
        lines += ["", "    f(sep)"]  # ruff format wants a blank line after nested imports
    return "\n".join(lines) + "\n"


def test_layout_macros_give_what_ruff_writes(tmp_path: Path) -> None:
    """Every layout the macros choose is accepted by ruff check and ruff format --check
    under the generated projects' ruff settings."""
    py, pyproject = _partials()
    assert int(py.line_length) == 100
    unused = "the layouts only lay out names; nothing uses them"
    ignores = dict.fromkeys(["F401", "F811", "F841", "PLC0415", "PLR0915"], unused)
    (tmp_path / "pyproject.toml").write_text(str(pyproject.ruff(extra_ignores=ignores)) + "\n")
    (tmp_path / "layouts.py").write_text(_layouts(py))
    problems = v.ruff_lint(tmp_path)
    assert not problems, problems
