"""Render matrix cases once per test process and hand out the rendered project paths.

Rendering goes through pytest-copie's session fixture ``copie_session``
(``copie_session.copy(extra_answers=case.data(), template_dir=templates/)``): it renders
with copier's public ``run_copy`` into the session's temporary directory and supports our
templated ``_subdirectory`` and ``!include`` layout, so nothing here needs copier itself.
Its ``Result`` swallows exceptions; :class:`Renderer` turns them back into a loud failure
that carries copier's own message.

Each case is rendered at most once per process (one per pytest-xdist worker): tests of a
case share the render, and ``pytest.mark.xdist_group(case.id)`` (see :func:`case_params`)
keeps all tests of a case on one worker under ``--dist loadgroup``. A failed render is
cached too, so every test of that case fails with the same message instead of rendering
again. Validators must treat a render as read-only; a check that writes (the project's
own test suite) works on a copy.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import pytest

from template_harness.cases import Case
from template_harness.tools import TEMPLATES_DIR


class CopieResult(Protocol):
    """The part of pytest-copie's ``Result`` that we read."""

    exception: BaseException | None
    exit_code: Any
    project_dir: Path | None


class CopieSession(Protocol):
    """The part of pytest-copie's ``Copie`` helper that we call."""

    def copy(
        self, extra_answers: dict[str, Any] = ..., template_dir: Path | None = ...
    ) -> CopieResult: ...


class RenderError(Exception):
    """copier could not render a case; the message is copier's."""


class Renderer:
    """Callable cache: ``renderer(case)`` is the path of that case's rendered project."""

    def __init__(self, copie: CopieSession, template_dir: Path = TEMPLATES_DIR) -> None:
        self._copie = copie
        self._template_dir = template_dir
        self._done: dict[str, Path | RenderError] = {}

    def __call__(self, case: Case) -> Path:
        if case.id not in self._done:
            self._done[case.id] = self._render(case)
        outcome = self._done[case.id]
        if isinstance(outcome, RenderError):
            pytest.fail(str(outcome), pytrace=False)
        return outcome

    @property
    def rendered(self) -> dict[str, Path]:
        """Paths of the cases rendered so far by this process."""
        return {key: value for key, value in self._done.items() if isinstance(value, Path)}

    def _render(self, case: Case) -> Path | RenderError:
        result = self._copie.copy(extra_answers=case.data(), template_dir=self._template_dir)
        if result.exception is not None or result.exit_code != 0:
            exc = result.exception
            detail = (
                "".join(traceback.format_exception(exc)).rstrip()
                if exc is not None
                else f"exit code {result.exit_code}"
            )
            return RenderError(
                f"copier could not render case {case.id} with answers {case.data()}:\n{detail}"
            )
        if result.project_dir is None or not result.project_dir.is_dir():
            return RenderError(f"copier rendered case {case.id} but produced no project")
        return result.project_dir


def case_params(cases: Iterable[Case]) -> list[Any]:
    """``pytest.param`` per case: id = case.id, grouped per case for ``--dist loadgroup``.

    Use it for a fixture's ``params`` or to parametrize ``case`` directly in a template's own
    test module, e.g. ``@pytest.mark.parametrize("case", case_params(cases_for(T)))``; the
    ``project`` fixture then renders (once) exactly those cases.
    """
    return [
        pytest.param(case, id=case.id, marks=pytest.mark.xdist_group(case.id)) for case in cases
    ]
