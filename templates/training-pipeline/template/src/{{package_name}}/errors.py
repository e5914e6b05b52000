"""Errors a pipeline step raises; the command line prints their message, not a traceback."""

from __future__ import annotations


class PipelineError(Exception):
    """A step could not complete; the message says why and what to do."""


class DataRejectedError(PipelineError):
    """The data broke the data contract (the validation report lists every failure)."""


class GateRefusedError(PipelineError):
    """The candidate model is below the threshold or worse than the champion."""


class RegistryError(PipelineError):
    """The model registry does not hold what the step expects (e.g. no challenger)."""
