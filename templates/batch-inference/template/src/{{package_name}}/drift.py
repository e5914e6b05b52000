"""Drift of the scored input against the training reference, computed chunk by chunk.

The reference (logged beside the model at training time) holds, per feature, decile edges
of the training data and the share of training rows in each bin. A run accumulates counts
in the same bins, so memory stays flat, and reports the population stability index (PSI):
below 0.1 stable, 0.1-0.25 a shift worth watching, above 0.25 drift.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .contract import FEATURES

PSI_WARN = 0.1
PSI_DRIFT = 0.25
_BINS = 10
_EPSILON = 1e-6


def build_reference(training: pd.DataFrame) -> dict[str, Any]:
    """Bin edges and expected shares per feature, from the training features."""
    features: dict[str, Any] = {}
    for name in FEATURES:
        values = training[name].to_numpy(dtype="float64")
        edges = np.unique(np.quantile(values, np.linspace(0, 1, _BINS + 1)[1:-1]))
        counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
        features[name] = {
            "edges": edges.tolist(),
            "expected": (counts / counts.sum()).tolist(),
        }
    return {"rows": len(training), "features": features}


class DriftAccumulator:
    """Counts input rows per reference bin, one chunk at a time."""

    def __init__(self, reference: dict[str, Any]) -> None:
        self.reference = reference
        self._edges = {
            name: np.asarray(spec["edges"], dtype="float64")
            for name, spec in reference["features"].items()
        }
        self.counts = {name: np.zeros(len(e) + 1, dtype="int64") for name, e in self._edges.items()}

    def add(self, rows: pd.DataFrame) -> None:
        """Add the rows of one validated chunk."""
        for name, edges in self._edges.items():
            self.add_counts(name, bin_counts(rows[name].to_numpy(dtype="float64"), edges))

    def add_counts(self, name: str, counts: np.ndarray[Any, np.dtype[np.int64]]) -> None:
        """Add counts computed elsewhere (the Spark engine bins on its executors)."""
        self.counts[name] += counts

    def report(self) -> dict[str, Any]:
        """PSI per feature and the largest one; empty when no row was scored."""
        psi: dict[str, float] = {}
        for name, counts in self.counts.items():
            total = counts.sum()
            if total == 0:
                continue
            expected = np.clip(
                np.asarray(self.reference["features"][name]["expected"]), _EPSILON, None
            )
            actual = np.clip(counts / total, _EPSILON, None)
            psi[name] = round(float(np.sum((actual - expected) * np.log(actual / expected))), 6)
        worst = max(psi.values(), default=0.0)
        return {
            "psi": psi,
            "max_psi": worst,
            "status": "drift" if worst > PSI_DRIFT else "watch" if worst > PSI_WARN else "stable",
            "drifted_features": sorted(n for n, v in psi.items() if v > PSI_DRIFT),
            "thresholds": {"watch": PSI_WARN, "drift": PSI_DRIFT},
        }


def bin_counts(
    values: np.ndarray[Any, np.dtype[np.float64]], edges: np.ndarray[Any, np.dtype[np.float64]]
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """How many values fall in each reference bin (edges are the bins' upper bounds).

    The same counts as ``np.bincount(np.searchsorted(edges, values, side="right"))``, but
    with one vectorised comparison per edge: with ten bins that is several times faster
    than a binary search per value, and drift is computed on every scored row.
    """
    below = np.fromiter(
        (np.count_nonzero(values < edge) for edge in edges), dtype="int64", count=len(edges)
    )
    return np.diff(below, prepend=0, append=len(values))
