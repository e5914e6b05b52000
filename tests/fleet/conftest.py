"""Fleet tests share one catalog (and its renders) per session and build a fresh fleet of
git repositories per module: building one from the cached renders takes about a second."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from user_isolation import isolated_user

from .fleet_factory import Fleet, FleetCatalog, build_fleet, make_catalog


@pytest.fixture(scope="module", autouse=True)
def fleet_user(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mapping[str, str]]:
    """Every fleet test module runs as a fresh user: HOME, git identity, clone cache
    (GOLDENPATH_CACHE); the environment is restored when the module ends, so tests of
    other folders on the same worker never see it."""
    base = tmp_path_factory.mktemp("fleet-user")
    with isolated_user(base / "home", base / "cache") as values:
        yield values


@pytest.fixture(scope="session")
def fleet_catalog(tmp_path_factory: pytest.TempPathFactory) -> FleetCatalog:
    """The test catalog with five versions; renders are made on first use and reused."""
    base = tmp_path_factory.mktemp("fleet-catalog")
    with isolated_user(base / "home", base / "cache"):
        return make_catalog(base)


@pytest.fixture(scope="module")
def fleet(
    tmp_path_factory: pytest.TempPathFactory,
    fleet_catalog: FleetCatalog,
    fleet_user: Mapping[str, str],
) -> Fleet:
    """A fresh fleet for the module (see fleet_factory's docstring for what it holds)."""
    return build_fleet(tmp_path_factory.mktemp("fleet"), fleet_catalog)


def fresh_fleet(tmp_path: Path, fleet_catalog: FleetCatalog) -> Fleet:
    """A fleet of the test's own, for a test that changes repositories."""
    return build_fleet(tmp_path / "fleet", fleet_catalog)
