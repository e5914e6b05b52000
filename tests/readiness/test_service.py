"""The readiness engine: levels, score and section minimum, requires, settings, plugins
through the entry-point group, and repositories that are odd (empty, not git, not ours)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import ClassVar

import pytest

from goldenpath.errors import EXIT_ATTENTION, EXIT_OK, GoldenpathError, UsageError
from goldenpath.readiness import registry
from goldenpath.readiness.facts import Repo
from goldenpath.readiness.model import (
    Check,
    CheckResult,
    Evidence,
    Finding,
    Level,
    ReadinessReport,
    Section,
    State,
    Status,
    failed,
    not_applicable,
    passed,
)
from goldenpath.readiness.service import assess
from tests.readiness.conftest import git_init, write_files


class _Fixed(Check):
    """A check whose state a test sets through the marker file it looks for."""

    section = Section.DATA
    level = Level.BRONZE
    why = "test"
    reference = "test"
    hint = "create the marker"
    marker: ClassVar[str] = ""

    def run(self, repo: Repo) -> Finding:
        if repo.exists(f"{self.marker}.na"):
            return not_applicable("marker says so")
        if repo.exists(self.marker):
            return passed("marker found", Evidence("present", self.marker, 1))
        return failed("marker missing", Evidence(f"looked for {self.marker}"))


def _check(
    check_id: str,
    level: Level,
    section: Section = Section.DATA,
    weight: int = 1,
    requires: tuple[str, ...] = (),
) -> type[Check]:
    attrs = {
        "id": check_id,
        "title": check_id,
        "level": level,
        "section": section,
        "weight": weight,
        "requires": requires,
        "marker": check_id,
    }
    return type(check_id.replace("-", "_"), (_Fixed,), attrs)


BRONZE = _check("b-one", Level.BRONZE, weight=2)
SILVER = _check("s-one", Level.SILVER, Section.MONITORING, requires=("b-one",))
GOLD = _check("g-one", Level.GOLD, Section.OWNERSHIP, weight=3)
SET = [BRONZE, SILVER, GOLD]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write_files(root, {"README.md": "# x\n"})
    git_init(root)
    return root


def _touch(root: Path, *names: str) -> None:
    for name in names:
        (root / name).write_text("x\n", encoding="utf-8")


def test_levels_are_cumulative_and_score_is_weighted(repo: Path) -> None:
    _touch(repo, "b-one", "g-one")  # silver fails: gold cannot count even though it passes
    report = assess(repo, checks=SET)
    assert report.level is Level.BRONZE
    assert report.score == round(100 * 5 / 6, 1)
    assert report.section_scores()[Section.MONITORING] == 0.0
    assert report.section_minimum == 0.0
    _touch(repo, "s-one")
    report = assess(repo, checks=SET)
    assert (report.level, report.score, report.section_minimum) == (Level.GOLD, 100.0, 100.0)


def test_not_applicable_is_excluded_and_unknown_blocks(repo: Path) -> None:
    _touch(repo, "b-one", "s-one", "g-one.na")
    report = assess(repo, checks=SET)
    assert report.result("g-one").finding.state is State.NOT_APPLICABLE  # type: ignore[union-attr]
    assert report.level is Level.GOLD
    assert report.score == 100.0
    (repo / "b-one").unlink()
    report = assess(repo, checks=SET)
    silver = report.result("s-one")
    assert silver is not None
    assert silver.finding.state is State.UNKNOWN
    assert "b-one" in silver.finding.detail
    assert report.level is Level.NONE


def test_a_crashing_check_is_unknown_and_the_others_still_run(repo: Path) -> None:
    class Boom(_Fixed):
        id = "boom"
        title = "boom"

        def run(self, repo: Repo) -> Finding:
            raise RuntimeError("kaput")

    _touch(repo, "b-one")
    report = assess(repo, checks=[BRONZE, Boom])
    boom = report.result("boom")
    assert boom is not None
    assert boom.finding.state is State.UNKNOWN
    assert "kaput" in str(boom.finding.evidence[0])
    assert report.result("b-one").finding.state is State.PASS  # type: ignore[union-attr]


def test_required_level_comes_from_option_settings_then_tier(repo: Path) -> None:
    _touch(repo, "b-one")
    assert assess(repo, checks=SET).required is Level.BRONZE  # no tier known: lowest bar
    assert assess(repo, checks=SET, tier=1).required is Level.GOLD
    assert assess(repo, checks=SET, tier=1).exit_code == EXIT_ATTENTION
    assert assess(repo, checks=SET, tier=1, fail_under=Level.BRONZE).exit_code == EXIT_OK
    write_files(
        repo,
        {
            "catalog-info.yaml": """
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata: {name: x, annotations: {goldenpath.dev/tier: "2"}}
        """
        },
    )
    report = assess(repo, checks=SET)
    assert (report.tier, report.required) == (2, Level.SILVER)
    assert "catalog-info.yaml" in report.tier_source
    write_files(
        repo,
        {
            "pyproject.toml": """
        [tool.goldenpath.readiness]
        tier = 3
        required = { "3" = "silver" }
        """
        },
    )
    report = assess(repo, checks=SET)
    assert (report.tier, report.required) == (3, Level.SILVER)


def test_disabled_and_later_checks_are_shown_not_counted(repo: Path) -> None:
    _touch(repo, "b-one")
    write_files(
        repo,
        {
            ".goldenpath.toml": """
        [readiness]
        disable = { "s-one" = "no monitoring stack in this sandbox" }
        later = { "g-one" = "owners named next quarter" }
        """
        },
    )
    report = assess(repo, checks=SET)
    silver, gold = report.result("s-one"), report.result("g-one")
    assert silver is not None
    assert silver.status is Status.DISABLED
    assert silver.reason == "no monitoring stack in this sandbox"
    assert gold is not None
    assert gold.status is Status.LATER
    assert not gold.counted
    assert report.level is Level.GOLD
    assert report.score == 100.0
    assert report.to_dict()["checks"][1]["status"] == "disabled"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[readiness]\ndisable = ["s-one"]\n', "needs a reason"),
        ("[readiness]\ntier = 7\n", "tier 7"),
        ('[readiness]\nrequired = { "1" = "platinum" }\n', "platinum"),
        ("[readiness]\nbogus = 1\n", "unknown key"),
        ("[readiness\n", "not valid TOML"),
    ],
)
def test_malformed_settings_are_an_error_naming_the_problem(
    repo: Path, text: str, message: str
) -> None:
    (repo / ".goldenpath.toml").write_text(text, encoding="utf-8")
    report = assess(repo, checks=SET)
    assert report.error is not None
    assert message in report.error.message
    assert report.exit_code == 1
    assert report.results == []


def test_unknown_check_ids_are_a_usage_error_with_a_suggestion(repo: Path) -> None:
    with pytest.raises(UsageError, match="unknown readiness check 's-on'") as info:
        assess(repo, checks=SET, only=["s-on"])
    assert "s-one" in (info.value.hint or "")
    report = assess(repo, checks=SET, only=["s-one"])  # its requirement runs too
    assert [r.check.id for r in report.results] == ["b-one", "s-one"]


def test_registry_refuses_duplicates_cycles_and_unknown_requirements() -> None:
    with pytest.raises(GoldenpathError, match="share the id"):
        registry._validate([BRONZE, _check("b-one", Level.GOLD)])
    with pytest.raises(GoldenpathError, match="unknown 'zzz'"):
        registry._validate([_check("x", Level.GOLD, requires=("zzz",))])
    a, b = _check("a", Level.GOLD, requires=("b",)), _check("b", Level.GOLD, requires=("a",))
    with pytest.raises(GoldenpathError, match="cycle"):
        registry._ordered([a, b])
    ordered = registry._ordered([SILVER, BRONZE])
    assert [c.id for c in ordered] == ["b-one", "s-one"]


def test_report_json_is_complete(repo: Path) -> None:
    _touch(repo, "b-one")
    data = assess(repo, checks=SET).to_dict()
    assert data["level"] == "bronze"
    assert data["required"] == "bronze"
    assert data["meets"]
    first = data["checks"][0]
    assert first["evidence"] == [{"path": "b-one", "line": 1, "text": "present"}]
    failing = next(c for c in data["checks"] if c["id"] == "g-one")
    assert failing["state"] == "fail"
    assert failing["hint"] == "create the marker"
    json.dumps(data)


def test_a_folder_outside_git_and_a_missing_one_are_clear_errors(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    report = assess(plain, checks=SET)
    assert report.error is not None
    assert "not inside a git repository" in report.error.message
    assert report.to_dict()["level"] == "none"
    missing = assess(tmp_path / "nope", checks=SET)
    assert missing.error is not None
    assert "does not exist" in missing.error.message


def test_cli_scores_an_empty_repository_and_exits_3_below_the_bar(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    done = _cli("readiness", str(root), "--json")
    data = json.loads(done.stdout)
    assert done.returncode == EXIT_ATTENTION, done.stderr
    assert data["level"] == "none"
    assert data["error"] is None
    assert any(c["state"] == "fail" for c in data["checks"])
    text = _cli("readiness", str(root))
    assert text.returncode == EXIT_ATTENTION
    assert "Level none" in text.stdout
    assert "fix:" in text.stdout
    assert "Traceback" not in text.stdout + text.stderr


def test_cli_usage_errors_exit_2(tmp_path: Path) -> None:
    assert _cli("readiness", str(tmp_path), "--fail-under", "platinum").returncode == 2
    assert _cli("readiness", str(tmp_path), "--tier", "9").returncode == 2
    bad = _cli("readiness", str(tmp_path), "--check", "no-such-check")
    assert bad.returncode == 2
    assert "unknown readiness check" in bad.stderr


PLUGIN = """
from goldenpath.readiness.model import Check, Level, Section, failed, passed

class TeamDashboardLinked(Check):
    id = "team-dashboard-linked"
    section = Section.OWNERSHIP
    level = Level.BRONZE
    weight = 5
    title = "The team's dashboard is linked from the README"
    why = "on-call finds it in one click"
    reference = "Team standard 7"
    hint = "link the dashboard in README.md"

    def run(self, repo):
        line = repo.line_of("README.md", "dashboards.example.internal")
        if line:
            return passed("linked", )
        return failed("no dashboard link in README.md")

CHECKS = [TeamDashboardLinked]
"""


def _plugin_path(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    write_files(
        site,
        {
            "team_checks.py": PLUGIN,
            "team_checks-1.0.dist-info/METADATA": (
                "Metadata-Version: 2.1\nName: team-checks\nVersion: 1.0\n"
            ),
            "team_checks-1.0.dist-info/entry_points.txt": (
                "[goldenpath.readiness]\nteam = team_checks:CHECKS\n"
            ),
        },
    )
    return site


def test_a_third_party_pack_registered_by_entry_point_shows_up_and_counts(
    tmp_path: Path, repo: Path
) -> None:
    site = _plugin_path(tmp_path)
    env = {"PYTHONPATH": str(site)}
    listed = _cli("readiness", "--list", env=env)
    assert "team-dashboard-linked" in listed.stdout
    before = json.loads(_cli("readiness", str(repo), "--json", env=env).stdout)
    mine = next(c for c in before["checks"] if c["id"] == "team-dashboard-linked")
    assert mine["state"] == "fail"
    assert mine["counted"]
    assert mine["weight"] == 5
    (repo / "README.md").write_text("see https://dashboards.example.internal/x\n")
    after = json.loads(_cli("readiness", str(repo), "--json", env=env).stdout)
    mine = next(c for c in after["checks"] if c["id"] == "team-dashboard-linked")
    assert mine["state"] == "pass"
    assert after["sections"]["ownership"] > before["sections"]["ownership"]


def test_a_pack_that_fails_to_load_is_an_error_not_silently_dropped(tmp_path: Path) -> None:
    site = _plugin_path(tmp_path)
    (site / "team_checks.py").write_text("raise ImportError('broken pack')\n")
    done = _cli("readiness", "--list", env={"PYTHONPATH": str(site)})
    assert done.returncode == 1
    assert "readiness check pack 'team' failed to load: broken pack" in done.stderr


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "goldenpath", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        check=False,
        timeout=120,
    )


def test_readme_table_of_checks_is_generated_from_the_registry() -> None:
    from goldenpath.readiness import docs  # noqa: PLC0415

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- readiness-checks:start -->\n", "<!-- readiness-checks:end -->"
    assert start in readme, "README lacks the generated table's start marker"
    assert end in readme, "README lacks the generated table's end marker"
    table = readme.split(start, 1)[1].split(end, 1)[0]
    expected = docs.checks_table(registry.all_checks())
    assert table == expected, textwrap.dedent(
        """README's table of checks is stale: regenerate it with
        goldenpath readiness --list --markdown"""
    )


def test_check_result_hint_prefers_the_findings_own(repo: Path) -> None:
    finding = failed("x", hint="goldenpath update --data organization=northwind")
    result = CheckResult(BRONZE, finding)
    assert result.hint.startswith("goldenpath update")
    assert CheckResult(BRONZE, failed("x")).hint == "create the marker"
    assert ReadinessReport(path="p").section_minimum == 100.0


HAND_WRITTEN = {
    "app/main.py": """
        from fastapi import FastAPI
        from pydantic import BaseModel, Field

        app = FastAPI()

        class Request(BaseModel):
            amount: float = Field(ge=0)

        @app.post("/predict")
        def predict(body: Request) -> dict[str, float]:
            return {"score": body.amount / 100}
        """,
    "requirements.txt": "fastapi\nuvicorn\n",
    "Dockerfile": """
        FROM python:3.11-slim
        COPY . /app
        RUN pip install -r /app/requirements.txt
        CMD ["uvicorn", "app.main:app"]
        """,
    "README.md": "# scorer\n",
}


def test_a_hand_written_fastapi_repository_gets_a_low_level_with_hints(tmp_path: Path) -> None:
    root = tmp_path / "scorer"
    write_files(root, HAND_WRITTEN)
    git_init(root)
    report = assess(root)
    assert report.error is None
    assert report.template is None
    assert report.level is Level.NONE
    states = {r.check.id: r.finding.state for r in report.results}
    assert states["catalog-current"] is State.NOT_APPLICABLE
    assert states["input-schema-validation"] is State.PASS  # pydantic constraints count
    for check_id in ("ci-tests", "container-non-root", "codeowners", "alerts-defined"):
        assert states[check_id] is State.FAIL, check_id
    for result in report.failing():
        assert result.hint, result.check.id
    assert report.section_minimum == 0.0
    done = _cli("readiness", str(root))
    assert done.returncode == EXIT_ATTENTION
    assert "Traceback" not in done.stdout + done.stderr
    assert "fix:" in done.stdout
