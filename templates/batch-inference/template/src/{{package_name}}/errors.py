"""Errors the job raises on purpose; the CLI turns each into a message and an exit code."""

from __future__ import annotations


class JobError(Exception):
    """Root of the job's errors: the message is meant for the person on call."""

    exit_code = 1


class InputPartitionMissingError(JobError):
    """The input partition does not exist (yet): upstream data is missing or late."""

    exit_code = 3


class InputSchemaError(JobError):
    """The input cannot be validated row by row (a column is missing or mistyped)."""

    exit_code = 4


class TooManyRejectedRowsError(JobError):
    """More rows failed validation than the contract allows; output left untouched."""

    exit_code = 5


class OutputValidationError(JobError):
    """The scored rows break the output contract (a model or code defect)."""

    exit_code = 6
