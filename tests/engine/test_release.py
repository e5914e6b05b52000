"""Catalog releases: derived from VERSION + CHANGELOG, deterministic, append-only."""

from __future__ import annotations

from pathlib import Path

import pytest

from goldenpath.adapters import bundles
from goldenpath.errors import CatalogError
from goldenpath.services import catalogs
from goldenpath.services.release import release, verify

from .catalog_factory import change_config, make_catalog_tree, release_notes, write

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_release_is_deterministic_and_append_only(tmp_path: Path) -> None:
    source = make_catalog_tree(tmp_path / "src")
    first = release(source, tmp_path / "a.bundle")
    again = release(source, tmp_path / "b.bundle")  # built again elsewhere
    assert first.created
    assert first.commit == again.commit
    assert release(source, tmp_path / "a.bundle").created is False  # idempotent
    change_config(source)
    release_notes(source, "1.1.0", "warning level")
    second = release(source, tmp_path / "a.bundle")
    assert bundles.parent_of(tmp_path / "a.bundle", "v1.1.0") == first.commit
    assert release(source, tmp_path / "b.bundle").commit == second.commit
    assert verify(source, tmp_path / "a.bundle").problems == []


def test_release_refuses_changed_content_under_an_old_version(tmp_path: Path) -> None:
    source = make_catalog_tree(tmp_path / "src")
    release(source, tmp_path / "a.bundle")
    change_config(source)
    with pytest.raises(CatalogError, match="already released with different content"):
        release(source, tmp_path / "a.bundle")
    assert verify(source, tmp_path / "a.bundle").problems == [
        "templates changed after v1.0.0 was released: bump VERSION"
    ]


def test_release_needs_a_dated_changelog_section(tmp_path: Path) -> None:
    source = make_catalog_tree(tmp_path / "src")
    write(source / "VERSION", "1.0.1\n")
    with pytest.raises(CatalogError, match=r"no dated section for 1\.0\.1"):
        release(source, tmp_path / "a.bundle")
    assert not (tmp_path / "a.bundle").exists()


def test_verify_reports_a_missing_changelog_instead_of_crashing(tmp_path: Path) -> None:
    source = make_catalog_tree(tmp_path / "src")
    release(source, tmp_path / "a.bundle")
    (source / "CHANGELOG.md").unlink()
    problems = verify(source, tmp_path / "a.bundle").problems
    assert f"{source / 'CHANGELOG.md'} is missing or empty" in problems
    assert "v1.0.0 has no section in CHANGELOG.md" in problems


def test_shipped_bundle_matches_the_catalog_on_main() -> None:
    """The package's bundle is consistent with templates/: every release has its changelog
    section, releases form one line, and released content was never edited in place."""
    result = verify(REPO_ROOT / "templates", catalogs.packaged_bundle())
    assert result.problems == []
    assert result.versions, "the package ships no catalog version"
