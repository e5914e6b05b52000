"""Fixtures shared by every template test: rendered matrix cases and the missing-tool rule.

- ``case``: parametrised over every matrix case (``all_cases()``), ids = ``case.id``, each
  marked ``xdist_group(case.id)`` so ``pytest -n 2 --dist loadgroup`` renders a case once.
  A template's own test module narrows it with
  ``@pytest.mark.parametrize("case", case_params(cases_for("<template>")))``.
- ``project``: the rendered project directory of ``case`` (rendered once per worker).
- A tool that is not installed raises ``ToolMissing``: the test is skipped locally and
  FAILS when the environment variable ``CI`` is set, so CI never skips a check silently.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path

import pytest
from template_harness.cases import Case, all_cases
from template_harness.render import CopieSession, Renderer, case_params
from template_harness.tools import ToolMissing


def in_ci() -> bool:
    """CI sets ``CI`` (GitHub Actions and GitLab both set ``CI=true``)."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def tool_missing(reason: str) -> None:
    """The rule for a check whose tool is absent: skip locally, fail in CI."""
    if in_ci():
        pytest.fail(f"required tool missing in CI: {reason}", pytrace=False)
    pytest.skip(f"tool missing (this fails in CI): {reason}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    except ToolMissing as exc:
        tool_missing(str(exc))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    except ToolMissing as exc:
        tool_missing(str(exc))


@pytest.fixture(scope="session")
def renderer(copie_session: CopieSession) -> Renderer:
    """Renders each case at most once in this process (one per xdist worker)."""
    return Renderer(copie_session)


@pytest.fixture(params=case_params(all_cases()))
def case(request: pytest.FixtureRequest) -> Case:
    """One matrix case; see the module docstring for how a template narrows the list."""
    value: Case = request.param
    return value


@pytest.fixture
def project(case: Case, renderer: Renderer) -> Path:
    """The rendered project of ``case``: shared by all its tests, treat it as read-only."""
    return renderer(case)


@pytest.fixture(scope="session")
def tool_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Per-worker cache directory for tools that warm up (mypy), kept outside renders."""
    return tmp_path_factory.mktemp("tool-cache")
