"""Terminal questions through questionary; Ctrl-C becomes a clean "aborted" error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import questionary

from goldenpath.errors import UsageError

Validate = Callable[[str], str]  # returns "" when valid, else the message to show


def _answered(value: Any) -> Any:
    if value is None:  # questionary returns None on Ctrl-C / Ctrl-D
        raise UsageError("aborted: nothing was written")
    return value


def text(message: str, default: str, validate: Validate, instruction: str = "") -> str:
    """Free-form answer, re-asked until ``validate`` accepts it."""

    def check(value: str) -> bool | str:
        problem = validate(value)
        return problem or True

    answer = questionary.text(
        message, default=default, validate=check, instruction=instruction or None
    ).ask()
    return str(_answered(answer))


def select(message: str, choices: list[tuple[str, Any]], default: Any) -> Any:
    """One of ``choices`` (label, value); arrow keys and Enter."""
    options = [questionary.Choice(title=label, value=value) for label, value in choices]
    chosen = next((o for o in options if o.value == default), options[0])
    return _answered(questionary.select(message, choices=options, default=chosen).ask())


def confirm(message: str, default: bool = True) -> bool:
    """Yes or no."""
    return bool(_answered(questionary.confirm(message, default=default).ask()))
