"""The questions refuse answers that would render a broken project, whichever way they come.

Each answer below is refused by its question's validator, through both entry points that
evaluate the validators: copier itself (a team may render the catalog with plain copier)
and ``goldenpath new`` (its own evaluation, which names every bad answer on its own line
and writes nothing). No render happens: each case is a fraction of a second.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from template_harness import tools

from goldenpath.errors import AnswersError
from goldenpath.services.generate import NewRequest, generate

# template -> (answers on top of the defaults, part of the message that refuses them)
REFUSED: dict[str, list[tuple[dict[str, Any], str]]] = {
    "realtime-inference": [
        (
            {"model_source": "mlflow", "mlflow_model_uri": "models:/fraud/3"},
            "models:/<name>@<alias>",
        ),
        (
            {"model_source": "mlflow", "features": [{"name": "Amount", "type": "float"}]},
            "snake_case",
        ),
        ({"model_source": "mlflow", "features": [{"name": "class", "type": "float"}]}, "keyword"),
        ({"model_source": "mlflow", "features": [{"name": "a", "type": "decimal"}]}, "float, int"),
        (
            {"model_source": "mlflow", "features": [{"name": "a", "type": "int"}] * 2},
            "appears twice",
        ),
        ({"slo_availability": 100}, "error budget"),
        ({"slo_latency_p99_ms": 1}, "between 5"),
    ],
    "batch-inference": [
        ({"model_uri": "churn"}, "models:/<name>@<alias>"),
        ({"schedule": "daily"}, "five-field cron"),
        ({"input_uri": "gs://bucket/in", "cloud": "aws"}, "gs:// needs cloud gcp"),
        ({"output_uri": "data/input"}, "must differ from the input"),
        ({"partition_key": "Run Date"}, "lowercase identifier"),
        ({"max_rejected_fraction": 1.5}, "between 0 and 1"),
    ],
    "training-pipeline": [
        ({"task": "regression", "eval_metric": "roc_auc"}, "r2, rmse, mae"),
        ({"eval_metric": "roc_auc", "metric_threshold": 1.5}, "between 0 and 1"),
        ({"data_source": "file", "data_uri": "data/training.json"}, ".parquet or .csv"),
        ({"data_source": "object-store", "data_uri": "data/x.parquet"}, "s3://"),
        ({"feature_columns": "a, b"}, "comma-separated"),
        ({"feature_columns": "target,a"}, "target column"),
        ({"retrain_schedule": "every monday"}, "cron"),
        ({"mlflow_tracking_uri": "mlruns"}, "sqlite:///"),
        ({"drift_threshold": 0}, "greater than 0"),
    ],
}


def _through_copier(template: str, answers: dict[str, Any], message: str, dest: Path) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        tools.render_with(template, answers, dest)


def _through_new(template: str, answers: dict[str, Any], message: str, dest: Path) -> None:
    request = NewRequest(
        dest=dest, template=template, data=dict(answers), catalog=str(tools.TEMPLATES_DIR)
    )
    with pytest.raises(AnswersError) as caught:
        generate(request)
    # one line per bad answer: here exactly one, naming an answer that was given
    [(name, problem)] = caught.value.problems
    assert name in answers
    assert message in problem


ENTRY_POINTS = {"copier": _through_copier, "new": _through_new}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize(
    ("template", "answers", "message"),
    [
        pytest.param(template, answers, message, id=f"{template}-{index}")
        for template, cases in REFUSED.items()
        for index, (answers, message) in enumerate(cases)
    ],
)
def test_questions_refuse_broken_answers(
    entry: str, template: str, answers: dict[str, Any], message: str, tmp_path: Path
) -> None:
    parent = tmp_path / "parent"
    parent.mkdir()
    ENTRY_POINTS[entry](template, answers, message, parent / "x")
    assert list(parent.iterdir()) == []  # nothing written, not even beside the destination


def test_every_template_has_refused_answers() -> None:
    """A new template gets its refused answers here too."""
    templates = {path.parent.name for path in tools.TEMPLATES_DIR.glob("*/template")}
    assert templates <= set(REFUSED)
