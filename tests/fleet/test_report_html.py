"""The HTML report: one self-contained file, checked in a real headless Chromium.

The browser is Debian's ``chromium`` driven by Playwright (``executable_path``: Playwright's
own browser download is never used). Outside CI a machine without them skips the browser
tests with the reason; under ``CI=true`` a missing browser fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from goldenpath.cli import app
from goldenpath.fleet import inventory, report
from goldenpath.fleet import status as status_service
from goldenpath.fleet.inventory import RepoEntry
from goldenpath.fleet.status import FailOn, FleetStatus

from .fleet_factory import Fleet
from .readiness_fakes import CHECKS

pytestmark = pytest.mark.xdist_group("fleet-report")

EVIL_NAME = 'evil<img src=x onerror="document.title=1">'
EVIL_PATH = "/nonexistent/<script>document.title=2</script>"


@pytest.fixture(scope="module")
def fleet_status(fleet: Fleet) -> FleetStatus:
    """The fixture fleet with readiness, plus two unreadable entries whose name and error
    message are markup (they must show as text)."""
    entries = inventory.load_fleet_file(fleet.fleet_file)
    entries.append(RepoEntry(EVIL_NAME, EVIL_PATH, Path(EVIL_PATH)))
    return status_service.status(entries, readiness=True, checks=CHECKS)


@pytest.fixture(scope="module")
def report_file(fleet_status: FleetStatus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report written the way the command writes it."""
    path = tmp_path_factory.mktemp("report") / "fleet.html"
    report.write(path, fleet_status, FailOn.parse(["major"]))
    return path


def test_report_is_one_file_that_loads_nothing(report_file: Path) -> None:
    html = report_file.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in html
    assert "default-src 'none'" in html
    # no element loads anything: no src/href attribute at all (escaped text is not a tag)
    assert re.findall(r"<[a-zA-Z][^>]*\s(?:src|href)\s*=", html) == []
    assert "<link" not in html
    assert re.findall(r"https?://(?!www\.w3\.org/2000/svg)", html) == []
    assert html.count("<svg") == 2


def test_repository_text_is_escaped(report_file: Path) -> None:
    html = report_file.read_text(encoding="utf-8")
    assert EVIL_NAME not in html
    assert "evil&lt;img src=x onerror=&quot;document.title=1&quot;&gt;" in html
    assert "<script>document.title=2" not in html
    assert "&lt;script&gt;document.title=2&lt;/script&gt;" in html
    assert "Says how to contribute &lt;here&gt;" in html  # a check title


def test_write_refuses_a_missing_folder_without_leaving_files(
    fleet_status: FleetStatus, tmp_path: Path
) -> None:
    with pytest.raises(Exception, match="cannot write the report") as caught:
        report.write(tmp_path / "missing" / "r.html", fleet_status)
    assert getattr(caught.value, "exit_code", None) == 1
    assert list(tmp_path.iterdir()) == []


def test_command_writes_the_report_or_fails_with_exit_1(fleet: Fleet, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    args = ["fleet", "status", "--fleet", str(fleet.fleet_file), "--html", str(target)]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 3  # the broken answers file
    assert f"Report written to {target}" in done.stdout
    html = target.read_text(encoding="utf-8")
    assert 'id="chart-versions"' in html
    assert "Readiness not assessed: run with --readiness." in html
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary left

    missing = tmp_path / "missing" / "report.html"
    done = CliRunner().invoke(app, [*args[:-1], str(missing), "--json"])
    assert done.exit_code == 1
    assert json.loads(done.stdout)["error"]["message"].startswith(
        f"cannot write the report {missing}"
    )


# --- in a real browser ----------------------------------------------------------------------


def _chromium() -> str | None:
    return (
        os.environ.get("GOLDENPATH_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium through Playwright; skip (fail under CI) when either is missing."""
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 - optional tool
    except ImportError:
        executable = None
    if executable is None:
        reason = "headless Chromium test needs Debian's chromium and the playwright package"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI must have them: see scripts/setup)")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, report_file: Path) -> Iterator[tuple[Any, list[str]]]:
    """The report opened in a fresh page; the list collects console errors, page errors,
    dialogs and any request that is not the file itself."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    problems: list[str] = []
    url = report_file.as_uri()
    opened.on(
        "console",
        lambda m: (
            problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    opened.on("pageerror", lambda e: problems.append(f"page error: {e}"))

    def on_dialog(dialog: Any) -> None:
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    opened.on("dialog", on_dialog)
    opened.on("request", lambda r: problems.append(f"request: {r.url}") if r.url != url else None)
    opened.goto(url)
    opened.wait_for_load_state("load")
    try:
        yield opened, problems
    finally:
        context.close()


def _column(page: Any, index: int) -> list[str]:
    texts: list[str] = page.eval_on_selector_all(
        "#fleet tbody tr:not([hidden])",
        f"rows => rows.map(r => r.cells[{index}].textContent.trim())",
    )
    return texts


def _header_index(page: Any, key: str) -> int:
    keys: list[str] = page.eval_on_selector_all(
        "#fleet thead th", "cells => cells.map(c => c.dataset.key)"
    )
    return keys.index(key)


def test_page_renders_tiles_and_charts_without_errors(
    page: tuple[Any, list[str]], tmp_path: Path
) -> None:
    opened, problems = page
    assert opened.title() == "Fleet status - goldenpath"  # no injected script changed it
    tiles = opened.eval_on_selector_all(
        ".tile.kpi",
        "tiles => tiles.map(t => [t.dataset.kpi, t.querySelector('.value').textContent])",
    )
    assert tiles == [
        ["adoption", "87.5 %"],
        ["tier1-readiness", "33.3 %"],
        ["tier1-drift", "33.3 %"],
    ]
    for chart, bars in (("#chart-versions", 6), ("#chart-readiness", 6)):
        box = opened.locator(chart).bounding_box()
        assert box is not None
        assert box["width"] > 300
        assert box["height"] > 60
        assert opened.locator(f"{chart} rect.bar").count() == bars
    counts = opened.eval_on_selector_all(
        "#chart-versions rect.bar", "bars => bars.map(b => [b.dataset.series, b.dataset.count])"
    )
    assert sorted(counts) == [
        ["job", "1"],
        ["job", "1"],
        ["svc", "1"],
        ["svc", "1"],
        ["svc", "1"],
        ["svc", "2"],
    ]
    assert opened.locator("#fleet img").count() == 0
    assert opened.locator("#fleet script").count() == 0
    shot = tmp_path / "fleet-report.png"
    opened.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert problems == []


def test_sorting_by_number_version_and_text(page: tuple[Any, list[str]]) -> None:
    opened, problems = page
    behind = _header_index(opened, "behind")
    header = opened.locator('#fleet th[data-key="behind"]')
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    values = [int(v) if v else -1 for v in _column(opened, behind)]
    assert values == sorted(values)
    assert values[-2:] == [4, 4]
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    values = [int(v) if v else -1 for v in _column(opened, behind)]
    assert values == sorted(values, reverse=True)

    version = _header_index(opened, "version")
    opened.locator('#fleet th[data-key="version"]').click()
    versions = [v for v in _column(opened, version) if v]
    assert versions == ["1.0.0", "1.0.0", "1.1.0", "2.0.0", "2.0.0", "2.1.0", "2.1.1"]

    opened.locator('#fleet th[data-key="repository"]').focus()
    opened.keyboard.press("Enter")
    names = _column(opened, _header_index(opened, "repository"))
    assert names == sorted(names, key=str.lower)
    assert problems == []


def test_filtering_by_text_and_outcome(page: tuple[Any, list[str]]) -> None:
    opened, problems = page
    repository = _header_index(opened, "repository")
    opened.fill("#filter", "mono")
    assert _column(opened, repository) == ["mono", "mono"]
    assert opened.text_content("#shown") == "2 of 11 rows"
    opened.fill("#filter", "drift-monitor")  # a failing check's id
    assert _column(opened, repository) == ["svc-edited", "svc-conflict", "mono"]
    opened.fill("#filter", "")
    opened.select_option("#outcome", "error")
    assert _column(opened, repository) == ["broken-answers", EVIL_NAME]
    opened.select_option("#outcome", "not-from-catalog")
    assert _column(opened, repository) == ["plain-lib"]
    opened.select_option("#outcome", "")
    assert opened.text_content("#shown") == "11 of 11 rows"
    assert problems == []
