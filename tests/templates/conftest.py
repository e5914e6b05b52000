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

try:  # pytest >= 9.2 keeps node ids as structured objects
    from _pytest.nodeid import NodeId
except ImportError:  # pragma: no cover
    NodeId = None  # type: ignore[assignment,misc]


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


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> Generator[None, None, None]:
    """Group every test of a case on one worker under ``--dist loadgroup``.

    Before the other hooks: marks given in a fixture's ``params`` do not reach xdist, so
    ``xdist_group(case.id)`` is added here from the ``case`` parameter, however the test
    got it. After them: pytest-xdist 3.8 tags a grouped item by setting ``item._nodeid``
    to ``<id>@<group>``, but pytest 9.2 builds ``item.nodeid`` from ``item._id``, so the
    tag would be lost and each worker would render every case; the tag is copied to where
    pytest reads it (a no-op on versions where the tag already shows in ``item.nodeid``).
    """
    for item in items:
        callspec = getattr(item, "callspec", None)
        case = callspec.params.get("case") if callspec else None
        if isinstance(case, Case) and not any(
            mark.args == (case.id,) for mark in item.iter_markers("xdist_group")
        ):
            item.add_marker(pytest.mark.xdist_group(case.id))
    result = yield
    for item in items:
        tagged = item.__dict__.get("_nodeid")
        if NodeId is not None and isinstance(tagged, str) and item.nodeid != tagged:
            item._id = NodeId.parse(tagged)  # type: ignore[attr-defined]
    return result


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
