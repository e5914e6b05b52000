"""``goldenpath fleet status`` on the fleet fixture: every row and every total, exactly.

Readiness numbers use three small checks defined here (the registry's checks change as the
catalog grows; the fleet's arithmetic must not depend on them). One test runs the real
registry to make sure every row gets a report.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from goldenpath.adapters import git_adapter
from goldenpath.cli import app
from goldenpath.fleet import inventory, kpis
from goldenpath.fleet import status as status_service
from goldenpath.fleet.inventory import RepoEntry
from goldenpath.fleet.status import FailOn, FleetStatus, ProjectStatus
from goldenpath.versions import Gap

from .fleet_factory import Fleet, git, write
from .readiness_fakes import CHECKS

pytestmark = pytest.mark.xdist_group("fleet-status")


def _row(project: ProjectStatus) -> tuple[Any, ...]:
    return (
        project.repository,
        project.path,
        project.outcome,
        project.template,
        project.current,
        project.latest,
        project.releases_behind,
        project.gap.name.lower(),
        project.major_between,
        project.action_needed,
        project.tier,
    )


@pytest.fixture(scope="module")
def by_file(fleet: Fleet) -> FleetStatus:
    """Status from the fleet file, without readiness."""
    return status_service.status(inventory.load_fleet_file(fleet.fleet_file))


@pytest.fixture(scope="module")
def with_readiness(fleet: Fleet) -> FleetStatus:
    """Status from the fleet file with the three checks above."""
    return status_service.status(
        inventory.load_fleet_file(fleet.fleet_file), readiness=True, checks=CHECKS
    )


def test_every_row_of_the_fleet_file(by_file: FleetStatus) -> None:
    assert [_row(p) for p in by_file.projects] == [
        ("svc-current", ".", "current", "svc", "2.1.1", "2.1.1", 0, "none", False, [], 1),
        ("svc-edited", ".", "behind", "svc", "1.0.0", "2.1.1", 4, "major", True, ["2.0.0"], 1),
        ("svc-conflict", ".", "behind", "svc", "1.0.0", "2.1.1", 4, "major", True, ["2.0.0"], 2),
        ("svc-stale-branch", ".", "behind", "svc", "2.0.0", "2.1.1", 2, "minor", False, [], 2),
        ("job-minor", ".", "behind", "job", "2.0.0", "2.1.1", 2, "minor", False, ["2.1.0"], 3),
        ("mono", "jobs/nightly", "behind", "job", "2.1.0", "2.1.1", 1, "patch", False, [], 3),
        ("mono", "services/api", "behind", "svc", "1.1.0", "2.1.1", 3, "major", True, ["2.0.0"], 1),
        ("broken-answers", ".", "error", None, None, None, None, "none", False, [], None),
        ("plain-lib", ".", "not-from-catalog", None, None, None, None, "none", False, [], 2),
    ]
    by_name = {(p.repository, p.path): p for p in by_file.projects}
    broken = by_name[("broken-answers", ".")]
    assert broken.error is not None
    assert broken.error.message.startswith("cannot parse .copier-answers.yml")
    assert by_name[("plain-lib", ".")].owner == "team-data"
    assert by_name[("plain-lib", ".")].tier_source == "fleet file"
    assert by_name[("svc-edited", ".")].owner == "team-ml"  # the recorded answer
    assert by_name[("svc-edited", ".")].tier_source == "answer service_tier"
    assert by_name[("job-minor", ".")].tier_source == ".goldenpath.toml [readiness]"


def test_repositories_outcomes_and_catalog_read_once(by_file: FleetStatus, fleet: Fleet) -> None:
    assert [(r.entry.name, r.outcome) for r in by_file.repositories] == [
        ("svc-current", "catalog"),
        ("svc-edited", "catalog"),
        ("svc-conflict", "catalog"),
        ("svc-stale-branch", "catalog"),
        ("job-minor", "catalog"),
        ("mono", "catalog"),
        ("broken-answers", "catalog"),
        ("plain-lib", "not-from-catalog"),
        ("legacy-scorer", "skipped"),
    ]
    assert [(c.label, str(c.latest)) for c in by_file.catalogs] == [(fleet.catalog.source, "2.1.1")]


def test_totals_without_readiness(by_file: FleetStatus, fleet: Fleet) -> None:
    totals = kpis.totals(by_file)
    assert totals.to_dict() | {"kpis": None} == {
        "repositories": 8,
        "skipped": 1,
        "unreadable": 0,
        "from_catalog": 7,
        "not_from_catalog": 1,
        "projects": 8,
        "project_errors": 1,
        "current": 1,
        "behind": {"patch": 1, "minor": 2, "major": 3},
        "major_between": 3,
        "action_needed": 4,
        "open_update_branches": 1,
        "adoption": {"numerator": 7, "denominator": 8, "value": 0.875},
        "readiness_assessed": False,
        "readiness_compliance": {},
        "drift_measured": False,
        "drift_coverage": {},
        "readiness_levels": {},
        "version_distribution": {
            fleet.catalog.source: {
                "2.1.1": {"svc": 1},
                "2.1.0": {"job": 1},
                "2.0.0": {"job": 1, "svc": 1},
                "1.1.0": {"svc": 1},
                "1.0.0": {"svc": 2},
            }
        },
        "kpis": None,
    }
    assert [(k.key, k.verdict) for k in totals.kpis()] == [
        ("adoption", "above"),
        ("tier1-readiness", "not-measured"),
        ("tier1-drift", "not-measured"),
    ]


def test_update_branches_as_git_knows_them(by_file: FleetStatus) -> None:
    stale = next(r for r in by_file.repositories if r.entry.name == "svc-stale-branch")
    assert [b.to_dict() for b in stale.update_branches] == [
        {
            "name": "goldenpath/update-to-v2.1.0",
            "target": "2.1.0",
            "local": True,
            "remote": True,
            "merged": False,
            "state": "pushed",
            "request": None,  # no forge is asked without forge_prs
        }
    ]
    assert stale.projects[0].update_branches == stale.update_branches
    assert stale.forge is None
    assert by_file.forge_prs is False
    others = [r for r in by_file.repositories if r.entry.name != "svc-stale-branch"]
    assert all(not r.update_branches for r in others)


def test_branch_states_local_pushed_merged_and_cached_clones(fleet: Fleet, tmp_path: Path) -> None:
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(fleet["svc-stale-branch"].remote), str(work))
    git(work, "branch", "goldenpath/update-to-v2.1.1")  # at main's head: merged
    git(work, "branch", "goldenpath/update-to-next", "origin/goldenpath/update-to-v2.1.0")
    git(work, "branch", "feature/other")  # not an update branch
    result = status_service.status([inventory.entry_for(work)])
    assert [(b.name, b.target, b.state) for b in result.repositories[0].update_branches] == [
        ("goldenpath/update-to-next", None, "local"),
        ("goldenpath/update-to-v2.1.0", "2.1.0", "pushed"),
        ("goldenpath/update-to-v2.1.1", "2.1.1", "merged"),
    ]
    # a URL entry is read from a clone goldenpath owns: its local branches are not the team's
    by_url = status_service.status(
        [RepoEntry("s", fleet["svc-stale-branch"].url, None)], cache_dir=tmp_path / "cache"
    )
    assert [(b.name, b.local, b.remote) for b in by_url.repositories[0].update_branches] == [
        ("goldenpath/update-to-v2.1.0", False, True)
    ]


def test_discover_reads_the_same_repositories_without_overrides(fleet: Fleet) -> None:
    result = status_service.status(inventory.discover(fleet.clones))
    totals = kpis.totals(result)
    assert (totals.repositories, totals.skipped, totals.from_catalog, totals.adoption.percent) == (
        8,
        0,
        7,
        "87.5 %",
    )
    plain = next(p for p in result.projects if p.repository == "plain-lib")
    assert (plain.tier, plain.owner) == (None, None)  # no fleet file: nothing says
    assert [p.repository for p in result.projects if p.outcome == "behind"] == [
        "job-minor",
        "mono",
        "mono",
        "svc-conflict",
        "svc-edited",
        "svc-stale-branch",
    ]


def test_catalog_versions_are_read_once_per_source(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = git_adapter.version_tags

    def counted(source: str) -> dict[str, str]:
        calls.append(source)
        return real(source)

    monkeypatch.setattr(git_adapter, "version_tags", counted)
    result = status_service.status(inventory.discover(fleet.clones))
    assert len([p for p in result.projects if p.latest]) == 7
    assert calls == [fleet.catalog.source]


def test_readiness_rows(with_readiness: FleetStatus) -> None:
    rows = [
        (
            p.repository,
            p.path,
            p.tier,
            p.readiness.level.label if p.readiness else None,
            p.readiness.required.label if p.readiness else None,
            p.failing_checks,
            p.drift_state.value if p.drift_state else None,
        )
        for p in with_readiness.projects
    ]
    drift_fails = ["contributing", "drift-monitor"]
    assert rows == [
        ("svc-current", ".", 1, "gold", "gold", [], "pass"),
        ("svc-edited", ".", 1, "bronze", "gold", drift_fails, "fail"),
        ("svc-conflict", ".", 2, "bronze", "silver", drift_fails, "fail"),
        ("svc-stale-branch", ".", 2, "bronze", "silver", ["contributing"], "pass"),
        ("job-minor", ".", 3, "bronze", "bronze", ["contributing"], "not-applicable"),
        ("mono", "jobs/nightly", 3, "gold", "bronze", [], "not-applicable"),
        ("mono", "services/api", 1, "bronze", "gold", drift_fails, "fail"),
        ("broken-answers", ".", None, "bronze", "bronze", ["contributing"], "not-applicable"),
        ("plain-lib", ".", 2, "bronze", "silver", ["contributing"], "not-applicable"),
    ]


def test_readiness_totals(with_readiness: FleetStatus) -> None:
    totals = kpis.totals(with_readiness).to_dict()
    assert totals["readiness_compliance"] == {
        "1": {"numerator": 1, "denominator": 3, "value": 0.3333},
        "2": {"numerator": 0, "denominator": 3, "value": 0.0},
        "3": {"numerator": 2, "denominator": 2, "value": 1.0},
        "unknown": {"numerator": 1, "denominator": 1, "value": 1.0},
    }
    assert totals["drift_coverage"] == {
        "1": {"numerator": 1, "denominator": 3, "value": 0.3333},
        "2": {"numerator": 1, "denominator": 2, "value": 0.5},
        "3": {"numerator": 0, "denominator": 0, "value": None},
        "unknown": {"numerator": 0, "denominator": 0, "value": None},
    }
    zero = {"none": 0, "bronze": 0, "silver": 0, "gold": 0, "error": 0}
    assert totals["readiness_levels"] == {
        "1": zero | {"bronze": 2, "gold": 1},
        "2": zero | {"bronze": 3},
        "3": zero | {"bronze": 1, "gold": 1},
        "unknown": zero | {"bronze": 1},
    }
    assert [(k["key"], k["verdict"]) for k in totals["kpis"]] == [
        ("adoption", "above"),
        ("tier1-readiness", "below"),
        ("tier1-drift", "below"),
    ]


def test_fail_on_policies_and_exit_codes(by_file: FleetStatus, with_readiness: FleetStatus) -> None:
    # the broken answers file needs attention whatever the policy
    assert by_file.attention(FailOn()) == [
        ("broken-answers", "error: cannot parse .copier-answers.yml: while parsing a flow sequence")
    ]
    assert by_file.exit_code == 3  # judged by the default policy
    major = [w for w, r in by_file.attention(FailOn.parse(["major"])) if "behind" in r]
    assert major == ["svc-edited", "svc-conflict", "mono/services/api"]
    minor = [w for w, r in by_file.attention(FailOn.parse(["minor"])) if "behind" in r]
    assert minor == [
        "svc-edited",
        "svc-conflict",
        "svc-stale-branch",
        "job-minor",
        "mono/services/api",
    ]
    patch = [w for w, r in by_file.attention(FailOn.parse(["patch", "major"])) if "behind" in r]
    assert len(patch) == 6  # the smallest gap given wins
    below = [
        w for w, r in with_readiness.attention(FailOn.parse(["readiness"])) if "readiness" in r
    ]
    assert below == [
        "svc-edited",
        "svc-conflict",
        "svc-stale-branch",
        "mono/services/api",
        "plain-lib",
    ]
    with pytest.raises(ValueError, match="one of major, minor, patch, readiness"):
        FailOn.parse(["minr"])


def test_a_current_fleet_exits_zero_under_every_policy(fleet: Fleet) -> None:
    result = status_service.status(
        [inventory.entry_for(fleet["svc-current"].clone)], readiness=True, checks=CHECKS
    )
    for values in ([], ["patch"], ["readiness"], ["patch", "readiness"]):
        assert replace(result, fail_on=FailOn.parse(values)).exit_code == 0


def test_unreadable_repositories_and_interrupted_updates_are_data(
    fleet: Fleet, tmp_path: Path
) -> None:
    interrupted = tmp_path / "interrupted"
    shutil.copytree(fleet["job-minor"].clone, interrupted, symlinks=True)
    write(
        interrupted / ".git" / "goldenpath" / "update.json",
        json.dumps(
            {
                "format": 1,
                "pid": 999_999_999,
                "head": "0" * 40,
                "target": "0" * 40,
                "template": "job",
                "from_version": "2.0.0",
                "to_version": "2.1.1",
            }
        ),
    )
    entries = [
        RepoEntry("gone-url", (tmp_path / "gone.git").as_uri(), None),
        RepoEntry("gone-path", str(tmp_path / "gone"), tmp_path / "gone"),
        RepoEntry("not-git", str(tmp_path), tmp_path),
        inventory.entry_for(interrupted),
        inventory.entry_for(fleet["svc-current"].clone),
    ]
    result = status_service.status(entries, cache_dir=tmp_path / "cache")
    assert [(r.entry.name, r.outcome) for r in result.repositories] == [
        ("gone-url", "error"),
        ("gone-path", "error"),
        ("not-git", "error"),
        ("interrupted", "catalog"),
        ("svc-current", "catalog"),
    ]
    messages = [r.error.message if r.error else None for r in result.repositories]
    assert messages[0] is not None
    assert messages[0].startswith("git clone failed")
    assert messages[1] == f"{tmp_path / 'gone'} does not exist or is not a folder"
    assert messages[2] == f"{tmp_path} is not a git work tree"
    project = result.repositories[3].projects[0]
    assert project.outcome == "error"
    assert project.error is not None
    assert project.error.message == (
        "an update to v2.1.1 was interrupted (journal .git/goldenpath/update.json)"
    )
    totals = kpis.totals(result)
    assert (totals.repositories, totals.unreadable, totals.adoption.to_dict()) == (
        5,
        3,
        {"numerator": 2, "denominator": 2, "value": 1.0},
    )
    assert result.exit_code == 3
    as_json = json.loads(json.dumps(result.to_dict()))
    assert as_json["repositories"][0]["error"]["exit_code"] == 1


def test_the_real_readiness_registry_scores_every_row(fleet: Fleet) -> None:
    result = status_service.status(inventory.discover(fleet.clones), readiness=True)
    assert len(result.projects) == 9
    for project in result.projects:
        assert project.readiness is not None
        assert project.readiness.error is None, project.readiness.error
        assert project.readiness.results  # the registry ran checks on it


# --- the command ---------------------------------------------------------------------------


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["fleet", "status", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_command_json_matches_the_service(fleet: Fleet) -> None:
    code, output = _invoke("--fleet", str(fleet.fleet_file), "--json", "--fail-on", "major")
    assert code == 3
    data = json.loads(output)
    assert data["exit_code"] == 3
    assert data["totals"]["adoption"] == {"numerator": 7, "denominator": 8, "value": 0.875}
    assert data["totals"]["behind"] == {"patch": 1, "minor": 2, "major": 3}
    assert [a["where"] for a in data["attention"]] == [
        "svc-edited",
        "svc-conflict",
        "mono/services/api",
        "broken-answers",
    ]
    mono = next(r for r in data["repositories"] if r["name"] == "mono")
    assert [(p["path"], p["current"], p["gap"]) for p in mono["projects"]] == [
        ("jobs/nightly", "2.1.0", "patch"),
        ("services/api", "1.1.0", "major"),
    ]


def test_command_text_output_and_exit_zero(fleet: Fleet) -> None:
    code, output = _invoke("--discover", str(fleet.clones))
    assert code == 3  # the broken answers file
    assert "svc-edited" in output
    assert "1.0.0 -> 2.1.1" in output
    assert "Adoption rate: 7 of 8 repositories (87.5 %)" in output
    assert "broken-answers: error: cannot parse .copier-answers.yml" in output
    fleet_file = fleet.write_fleet_file(
        fleet.root / "current-only.yml", [{"path": str(fleet["svc-current"].clone)}]
    )
    code, output = _invoke("--fleet", str(fleet_file), "--fail-on", "patch")
    assert code == 0, output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give --fleet FILE or --discover DIR"),
        (("--fleet", "a.yml", "--discover", "."), "give --fleet FILE or --discover DIR, not both"),
        (("--discover", ".", "--fail-on", "sometimes"), "--fail-on 'sometimes'"),
        (("--fleet", "/nonexistent/fleet.yml"), "cannot read fleet file"),
    ],
)
def test_command_usage_errors(args: tuple[str, ...], message: str) -> None:
    code, output = _invoke(*args)
    assert code == 2
    assert message in output


def test_command_usage_error_as_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["fleet", "status", "--fleet", str(tmp_path / "none.yml"), "--json"]
    )
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["exit_code"] == 2
    assert error["message"].startswith("cannot read fleet file")


def test_project_path_in_json_is_posix_and_rows_have_gap_names() -> None:
    row = ProjectStatus(repository="r", path="a/b", answers_file="a/b/.copier-answers.yml")
    row.gap = Gap.MINOR
    assert row.to_dict()["gap"] == "minor"
    assert row.to_dict()["path"] == "a/b"
