"""Recommend a template from three plain questions about the use case.

The questions describe the situation rather than the solution, so someone who does not
know the catalog still lands on the right golden path.
"""

from __future__ import annotations

from dataclasses import dataclass

USE_CASE_QUESTIONS = (
    ("waits", "Does a caller (an app or another service) wait for each prediction?"),
    ("scheduled", "Is the job scheduled over stored data (tables or files scored in bulk)?"),
    ("training", "Is it about training, evaluating and registering models?"),
)


@dataclass(frozen=True)
class Recommendation:
    """The template to suggest and the reason shown to the user."""

    template: str
    reason: str


def recommend(waits: bool, scheduled: bool, training: bool) -> Recommendation:
    """Pick one template; online serving wins because a waiting caller sets the bar."""
    if waits:
        return Recommendation("realtime-inference", "a caller waits for each prediction")
    if training:  # scheduled retraining is still training
        return Recommendation("training-pipeline", "it trains and registers models")
    if scheduled:
        return Recommendation("batch-inference", "stored data is scored on a schedule")
    return Recommendation("realtime-inference", "no other fit: online serving is the default")
