"""Terminal questions through questionary; Ctrl-C becomes a clean "aborted" error."""

from __future__ import annotations

import shutil
import textwrap
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
    """Free-form answer, asked again until ``validate`` accepts it.

    The answer is checked on Enter, not while typing: prompt_toolkit shows a live
    validation message in a one-line toolbar that cuts it at the terminal width, and the
    catalog's messages (what is wrong and how to fix it) are longer than that. A refused
    answer prints its whole message, wrapped, and is offered again for editing.

    A default that spans several lines (a yaml list, one entry per line) is edited in a
    multi-line prompt: Enter adds a line, Esc then Enter (or Alt+Enter) submits.
    """
    multiline = "\n" in default
    answer = default
    while True:
        answer = str(
            _answered(
                questionary.text(
                    message,
                    default=answer,
                    multiline=multiline,
                    instruction=instruction or None,
                ).ask()
            )
        )
        problem = validate(answer)
        if not problem:
            return answer
        questionary.print(_wrapped(f"✗ {problem}"), style="fg:ansired")


def _wrapped(text: str) -> str:
    width = max(shutil.get_terminal_size().columns - 2, 40)
    return textwrap.fill(text, width=width, subsequent_indent="  ")


def select(message: str, choices: list[tuple[str, Any]], default: Any) -> Any:
    """One of ``choices`` (label, value); arrow keys and Enter."""
    options = [questionary.Choice(title=label, value=value) for label, value in choices]
    chosen = next((o for o in options if o.value == default), options[0])
    return _answered(questionary.select(message, choices=options, default=chosen).ask())


def confirm(message: str, default: bool = True) -> bool:
    """Yes or no, submitted with Enter: a single key must not answer, or the Enter typed
    after it would answer the next question too."""
    return bool(_answered(questionary.confirm(message, default=default, auto_enter=False).ask()))
