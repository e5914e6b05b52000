"""Evaluate: the gate between a trained candidate and the registry.

A candidate passes when its metric meets the threshold AND it is not worse than the
current champion on the same test rows. Only a candidate that passes becomes a challenger.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from .contract import TARGET
from .features import featurize
from .files import replace_text

HIGHER_IS_BETTER = {
    "roc_auc": True,
    "f1": True,
    "accuracy": True,
    "r2": True,
    "rmse": False,
    "mae": False,
}


class Model(Protocol):
    def predict(self, frame: pd.DataFrame) -> Any: ...


def score(model: Model, frame: pd.DataFrame, metric: str) -> float:
    """The metric of a fitted model on labelled rows."""
    inputs, truth = featurize(frame), frame[TARGET].to_numpy()
    if metric == "roc_auc":
        probabilities = model.predict_proba(inputs)  # type: ignore[attr-defined]
        return float(skm.roc_auc_score(truth, np.asarray(probabilities)[:, 1]))
    predicted = np.asarray(model.predict(inputs))
    if metric == "f1":
        return float(skm.f1_score(truth, predicted))
    if metric == "accuracy":
        return float(skm.accuracy_score(truth, predicted))
    if metric == "r2":
        return float(skm.r2_score(truth, predicted))
    if metric == "rmse":
        return float(skm.root_mean_squared_error(truth, predicted))
    if metric == "mae":
        return float(skm.mean_absolute_error(truth, predicted))
    raise ValueError(f"unknown metric {metric!r}; known: {sorted(HIGHER_IS_BETTER)}")


def at_least_as_good(value: float, reference: float, metric: str) -> bool:
    """True when ``value`` is as good as ``reference`` or better, for this metric."""
    return value >= reference if HIGHER_IS_BETTER[metric] else value <= reference


@dataclass(frozen=True)
class Evaluation:
    """The gate's decision and the numbers behind it."""

    metric: str
    value: float
    threshold: float
    champion_value: float | None
    meets_threshold: bool
    beats_champion: bool

    @property
    def passed(self) -> bool:
        return self.meets_threshold and self.beats_champion

    def reason(self) -> str:
        bound = "minimum" if HIGHER_IS_BETTER[self.metric] else "maximum"
        parts = [f"{self.metric}={self.value:.4f} ({bound} {self.threshold})"]
        if self.champion_value is not None:
            parts.append(f"champion {self.metric}={self.champion_value:.4f}")
        if not self.meets_threshold:
            parts.append(
                "below the threshold" if HIGHER_IS_BETTER[self.metric] else "above the maximum"
            )
        if not self.beats_champion:
            parts.append("worse than the champion")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed, "reason": self.reason()}

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_text(path, json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def read(cls, path: Path) -> Evaluation:
        data = json.loads(path.read_text())
        return cls(
            metric=data["metric"],
            value=data["value"],
            threshold=data["threshold"],
            champion_value=data["champion_value"],
            meets_threshold=data["meets_threshold"],
            beats_champion=data["beats_champion"],
        )


def evaluate(
    candidate: Model,
    test: pd.DataFrame,
    metric: str,
    threshold: float,
    champion: Model | None = None,
) -> Evaluation:
    """Score the candidate (and the champion, if any) on the same test rows."""
    value = score(candidate, test, metric)
    champion_value = score(champion, test, metric) if champion is not None else None
    return Evaluation(
        metric=metric,
        value=value,
        threshold=threshold,
        champion_value=champion_value,
        meets_threshold=at_least_as_good(value, threshold, metric),
        beats_champion=champion_value is None or at_least_as_good(value, champion_value, metric),
    )
