"""Catalog releases: derived from VERSION + CHANGELOG, deterministic, append-only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from goldenpath.adapters import bundles
from goldenpath.cli import app
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


def _no_changelog(source: Path) -> None:
    (source / "CHANGELOG.md").unlink()


def _no_version(source: Path) -> None:
    (source / "VERSION").unlink()


def _garbled_version(source: Path) -> None:
    write(source / "VERSION", "one point oh\n")


def _binary_version(source: Path) -> None:
    (source / "VERSION").write_bytes(b"\xff\xfe1.0.0")


def _binary_changelog(source: Path) -> None:
    (source / "CHANGELOG.md").write_bytes(b"\xff\xfe## [1.0.0] - 2026-01-01\n")


def _not_a_catalog(source: Path) -> None:
    for name in ("VERSION", "CHANGELOG.md", "copier.yml"):
        (source / name).unlink()


# (breakage, --source/--bundle override, exit code, the one line that says what is wrong)
VERIFY_BREAKAGES = {
    "changelog-missing": (_no_changelog, None, None, 1, "problem: {src}/CHANGELOG.md is missing"),
    "version-missing": (_no_version, None, None, 1, "error: {src}/VERSION is missing"),
    "version-garbled": (_garbled_version, None, None, 1, "error: {src}/VERSION: not a catalog"),
    "version-not-utf8": (_binary_version, None, None, 1, "error: {src}/VERSION: 'utf-8' codec"),
    "changelog-not-utf8": (_binary_changelog, None, None, 1, "error: {src}/CHANGELOG.md: 'utf-8'"),
    "bundle-missing": (None, None, "missing.bundle", 1, "problem: {tmp}/missing.bundle does not"),
    "bundle-not-a-bundle": (None, None, "junk.bundle", 1, "error: git bundle failed"),
    "not-a-catalog": (_not_a_catalog, None, None, 1, "error: {src} is not a catalog folder"),
    "no-such-path": (None, "nowhere", None, 1, "error: catalog folder {tmp}/nowhere does not"),
    "source-is-a-file": (None, "a.bundle", None, 1, "error: {tmp}/a.bundle is not a folder"),
}


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One released catalog folder and its bundle, copied by each breakage below."""
    root = tmp_path_factory.mktemp("released")
    source = make_catalog_tree(root / "src")
    release(source, root / "a.bundle")
    return source, root / "a.bundle"


@pytest.mark.parametrize("case", VERIFY_BREAKAGES.keys())
def test_catalog_verify_says_what_is_wrong_in_one_line(
    case: str, released: tuple[Path, Path], tmp_path: Path, cli: CliRunner
) -> None:
    """No traceback and no internal error, whatever is broken: a line naming it, exit 1;
    with --json, the same as JSON on stdout."""
    breakage, source_name, bundle_name, code, expected = VERIFY_BREAKAGES[case]
    source = tmp_path / "src"
    shutil.copytree(released[0], source)
    shutil.copy(released[1], tmp_path / "a.bundle")
    (tmp_path / "junk.bundle").write_text("not a bundle\n", encoding="utf-8")
    if breakage is not None:
        breakage(source)
    source_arg = tmp_path / source_name if source_name else source
    bundle_arg = tmp_path / (bundle_name or "a.bundle")
    args = ["catalog", "verify", "--source", str(source_arg), "--bundle", str(bundle_arg)]
    result = cli.invoke(app, args, catch_exceptions=False)
    lines = result.output.splitlines()
    assert result.exit_code == code, result.output
    assert any(line.startswith(expected.format(src=source, tmp=tmp_path)) for line in lines)
    assert all(line.startswith(_VERIFY_LINES) for line in lines), result.output
    assert "internal error" not in result.output
    as_json = cli.invoke(app, [*args, "--json"], catch_exceptions=False)
    assert as_json.exit_code == code
    data = json.loads(as_json.stdout)
    assert data.get("problems") or data["error"]["exit_code"] == code


_VERIFY_LINES = ("Released: ", "Unreleased: ", "problem: ", "error: ", "hint: ")
