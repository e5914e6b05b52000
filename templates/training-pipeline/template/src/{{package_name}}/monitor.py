"""Monitor: compare recent data with the training reference, feature by feature.

Each feature gets a population stability index (PSI, over ten quantile bins of the
reference) and a two-sample Kolmogorov-Smirnov test (scipy). A feature whose PSI is above
the threshold counts as drifted; any drifted feature makes continuous training retrain.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .contract import FEATURES
from .files import replace_text

_BINS = 10
_EPSILON = 1e-6


def psi(reference: np.ndarray, current: np.ndarray, bins: int = _BINS) -> float:
    """Population stability index of ``current`` against ``reference`` (0 = same shape)."""
    edges = np.unique(np.quantile(reference, np.linspace(0.0, 1.0, bins + 1)))
    if len(edges) < 2:  # noqa: PLR2004 - a constant reference has a single edge
        return 0.0 if np.allclose(current, edges[0]) else float("inf")
    edges[0], edges[-1] = -np.inf, np.inf
    expected = np.histogram(reference, edges)[0] / len(reference)
    actual = np.histogram(current, edges)[0] / len(current)
    expected = np.clip(expected, _EPSILON, None)
    actual = np.clip(actual, _EPSILON, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    psi: float
    ks_statistic: float
    ks_pvalue: float
    drifted: bool


@dataclass(frozen=True)
class DriftReport:
    threshold: float
    reference_rows: int
    current_rows: int
    features: list[FeatureDrift]

    @property
    def drifted_features(self) -> list[str]:
        return [item.feature for item in self.features if item.drifted]

    @property
    def drift_detected(self) -> bool:
        return bool(self.drifted_features)

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "drift_detected": self.drift_detected,
            "drifted_features": self.drifted_features,
        }

    def to_text(self) -> str:
        head = (
            f"drift: {len(self.drifted_features)} of {len(self.features)} features above "
            f"PSI {self.threshold} ({self.current_rows} recent rows vs "
            f"{self.reference_rows} reference rows)"
        )
        rows = [
            f"  {'DRIFT' if item.drifted else 'ok   '} {item.feature}: psi={item.psi:.4f} "
            f"ks={item.ks_statistic:.4f} p={item.ks_pvalue:.4g}"
            for item in sorted(self.features, key=lambda item: -item.psi)
        ]
        return "\n".join([head, *rows])

    def write(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        replace_text(directory / "drift.json", json.dumps(self.to_dict(), indent=2) + "\n")
        replace_text(directory / "drift.txt", self.to_text() + "\n")


def compare(reference: pd.DataFrame, current: pd.DataFrame, threshold: float) -> DriftReport:
    """Drift of every contract feature between two frames of model inputs."""
    results = []
    for feature in FEATURES:
        ref = reference[feature].to_numpy(dtype="float64")
        cur = current[feature].to_numpy(dtype="float64")
        score = psi(ref, cur)
        ks = stats.ks_2samp(ref, cur)
        results.append(
            FeatureDrift(
                feature=feature,
                psi=score,
                ks_statistic=float(ks.statistic),
                ks_pvalue=float(ks.pvalue),
                drifted=score > threshold,
            )
        )
    return DriftReport(
        threshold=threshold,
        reference_rows=len(reference),
        current_rows=len(current),
        features=results,
    )
