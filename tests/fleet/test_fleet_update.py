"""``goldenpath fleet update`` on the shared fleet of real git repositories with bare remotes:
the right branches pushed, default branches and clones untouched, each outcome exactly,
older branches superseded, shards, exit codes, and pull requests through a local forge."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

import goldenpath.cli.fleet_update as fleet_update_cli  # registers `fleet update`
from goldenpath.adapters import git_branches
from goldenpath.cli import app
from goldenpath.errors import UsageError
from goldenpath.fleet import inventory
from goldenpath.fleet import update as fleet_update
from goldenpath.fleet.inventory import RepoEntry
from goldenpath.fleet.outcomes import Outcome

from .fleet_factory import (
    CONFLICTING_LOG_LEVEL,
    LATEST,
    README_EDIT,
    REPOS,
    Fleet,
    FleetCatalog,
    build_fleet,
    git,
    write,
)
from .forge_server import TOKEN, State, serve

pytestmark = pytest.mark.xdist_group("fleet-update")

BRANCH = f"goldenpath/update-to-v{LATEST}"


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["fleet", "update", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _run_json(*args: str) -> tuple[int, dict[str, Any]]:
    code, stdout, stderr = _invoke(*args, "--json")
    assert stdout.strip(), stderr
    return code, json.loads(stdout)


def _by_project(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["name"], p["path"]): p for r in data["results"] for p in r["projects"]}


def _by_repo(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in data["results"]}


def _branches(remote: Path) -> dict[str, str]:
    out = git(remote, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads/")
    return dict(line.split() for line in out.splitlines())


def _show(remote: Path, rev: str, path: str) -> str:
    return git(remote, "show", f"{rev}:{path}")


@dataclass
class Run:
    """The module's one full fleet update: its exit code, JSON, and the state before it."""

    code: int
    data: dict[str, Any]
    remotes_before: dict[str, dict[str, str]]
    clones_before: dict[str, tuple[str, str]]  # HEAD commit, `git status`


def _clone_state(clone: Path) -> tuple[str, str]:
    return git(clone, "rev-parse", "HEAD").strip(), git(clone, "status", "--porcelain")


@pytest.fixture(scope="module")
def ran(fleet: Fleet) -> Run:
    remotes = {name: _branches(repo.remote) for name, repo in fleet.repos.items()}
    clones = {name: _clone_state(repo.clone) for name, repo in fleet.repos.items()}
    code, data = _run_json("--fleet", str(fleet.fleet_file), "--push")
    return Run(code, data, remotes, clones)


# --- one full run -----------------------------------------------------------------------------


def test_each_project_gets_exactly_its_outcome(ran: Run) -> None:
    outcomes = {key: p["outcome"] for key, p in _by_project(ran.data).items()}
    assert outcomes == {
        ("svc-current", "."): "up_to_date",
        ("svc-edited", "."): "updated",
        ("svc-conflict", "."): "conflicts",
        ("svc-stale-branch", "."): "updated",
        ("job-minor", "."): "updated",
        ("mono", "jobs/nightly"): "updated",
        ("mono", "services/api"): "updated",
        ("broken-answers", "."): "failed",
        ("plain-lib", "."): "skipped",
        ("legacy-scorer", "."): "skipped",
    }
    assert ran.data["counts"] == {
        "up_to_date": 1,
        "updated": 5,
        "conflicts": 1,
        "verify_failed": 0,
        "failed": 1,
        "skipped": 2,
    }
    projects = _by_project(ran.data)
    assert projects[("svc-conflict", ".")]["conflicts"] == ["config.yaml"]
    assert all(p["conflicts"] == [] for k, p in projects.items() if k[0] != "svc-conflict")
    assert projects[("legacy-scorer", ".")]["reason"] == "archived"
    assert projects[("plain-lib", ".")]["reason"] == (
        "not generated from the catalog (no .copier-answers.yml)"
    )
    assert projects[("broken-answers", ".")]["reason"].startswith("cannot parse ")
    assert [(p["from"], p["to"]) for k, p in projects.items() if k[0] == "mono"] == [
        ("2.1.0", LATEST),
        ("1.1.0", LATEST),
    ]


def test_exit_code_3_names_what_needs_attention(ran: Run) -> None:
    assert ran.code == 3
    assert ran.data["exit_code"] == 3
    assert ran.data["needs_attention"] == ["svc-conflict", "broken-answers"]


def test_pushes_exactly_the_update_branches(ran: Run, fleet: Fleet) -> None:
    repos = _by_repo(ran.data)
    for name, repo in fleet.repos.items():
        after = _branches(repo.remote)
        added = sorted(set(after) - set(ran.remotes_before[name]))
        pushed = name in {"svc-edited", "svc-conflict", "svc-stale-branch", "job-minor", "mono"}
        assert added == ([BRANCH] if pushed else []), name
        assert repos[name]["pushed"] is pushed
        if pushed:
            assert after[BRANCH] == repos[name]["commit"]
            base = git(repo.remote, "merge-base", BRANCH, "main").strip()
            assert base == ran.remotes_before[name]["main"]  # from the default branch head


def test_default_branches_and_own_clones_are_untouched(ran: Run, fleet: Fleet) -> None:
    for name, repo in fleet.repos.items():
        assert _branches(repo.remote)["main"] == ran.remotes_before[name]["main"], name
        assert _clone_state(repo.clone) == ran.clones_before[name], name
        assert BRANCH not in _branches(repo.clone)  # nothing was made in the user's clone


def test_update_commit_keeps_local_edits_and_carries_the_changelog(ran: Run, fleet: Fleet) -> None:
    remote = fleet["svc-edited"].remote
    assert f"_commit: v{LATEST}" in _show(remote, BRANCH, ".copier-answers.yml")
    assert README_EDIT in _show(remote, BRANCH, "README.md")
    assert "listen_port: 8080" in _show(remote, BRANCH, "config.yaml")
    message = git(remote, "log", "-1", "--format=%B", BRANCH)
    assert message.startswith(f"goldenpath: update svc to v{LATEST}\n")
    assert "Catalog update 1.0.0 -> 2.1.1" in message
    assert "## 1.1.0" in message
    assert "`port` is now `listen_port` in config.yaml. Action needed" in message
    assert "`job`" not in message  # another template's notes are not this repository's
    assert message.rstrip().endswith(f"Goldenpath-Update: v{LATEST}")


def test_conflicts_come_from_the_files_and_are_committed(ran: Run, fleet: Fleet) -> None:
    config = _show(fleet["svc-conflict"].remote, BRANCH, "config.yaml")
    assert "<<<<<<< before updating" in config
    assert CONFLICTING_LOG_LEVEL in config
    message = git(fleet["svc-conflict"].remote, "log", "-1", "--format=%B", BRANCH)
    assert "Conflicts to resolve (markers or .rej files are committed):\n- config.yaml" in message


def test_monorepo_projects_are_updated_on_one_branch_one_commit_each(
    ran: Run, fleet: Fleet
) -> None:
    remote = fleet["mono"].remote
    subjects = git(remote, "log", "--format=%s", f"main..{BRANCH}").splitlines()
    assert subjects == [
        f"goldenpath: update svc in services/api to v{LATEST}",
        f"goldenpath: update job in jobs/nightly to v{LATEST}",
    ]
    for rev, folder in ((f"{BRANCH}~1", "jobs/nightly"), (BRANCH, "services/api")):
        touched = git(remote, "diff-tree", "-r", "--name-only", "--no-commit-id", rev).split()
        assert touched
        assert all(path.startswith(f"{folder}/") for path in touched), touched
        answers = _show(remote, BRANCH, f"{folder}/.copier-answers.yml")
        assert f"_commit: v{LATEST}" in answers
    assert "0 4 * * *" in _show(remote, BRANCH, "jobs/nightly/schedule.txt")
    assert "listen_port" in _show(remote, BRANCH, "services/api/config.yaml")


def test_older_branch_with_commits_by_people_is_kept_and_reported(ran: Run, fleet: Fleet) -> None:
    repo = _by_repo(ran.data)["svc-stale-branch"]
    assert repo["superseded"] == [
        {
            "branch": "goldenpath/update-to-v2.1.0",
            "deleted": False,
            "pull_request": None,
            "note": "kept: 1 commit(s) on it were not made by goldenpath",
        }
    ]
    assert "goldenpath/update-to-v2.1.0" in _branches(fleet["svc-stale-branch"].remote)


# --- reruns, superseding, branches people work on -----------------------------------------------


def _pair_fleet(tmp_path: Path, fleet_catalog: FleetCatalog) -> Fleet:
    specs = tuple(s for s in REPOS if s.name in {"svc-edited", "svc-conflict"})
    return build_fleet(tmp_path / "fleet", fleet_catalog, specs)


def test_supersede_goldenpath_branches_rerun_without_changes_and_leave_peoples_branches(
    tmp_path: Path, fleet_catalog: FleetCatalog
) -> None:
    fleet = _pair_fleet(tmp_path, fleet_catalog)
    old = "goldenpath/update-to-v2.1.0"
    code, data = _run_json("--fleet", str(fleet.fleet_file), "--push", "--to", "2.1.0")
    assert code == 3  # svc-conflict
    assert all(old in _branches(r.remote) for r in fleet.repos.values())
    # someone resolves the conflict on the older branch: their commit must not be lost
    work = tmp_path / "resolve"
    git(tmp_path, "clone", "-q", "-b", old, str(fleet["svc-conflict"].remote), str(work))
    write(
        work / "config.yaml",
        _show(fleet["svc-conflict"].remote, old, "config.yaml").split("<<<")[0],
    )
    git(work, "commit", "-qam", "Resolve the conflict")
    git(work, "push", "-q", "origin", old)

    code, data = _run_json("--fleet", str(fleet.fleet_file), "--push", "--jobs", "2")

    repos = _by_repo(data)
    assert data["jobs"] == 2
    assert repos["svc-edited"]["superseded"] == [
        {"branch": old, "deleted": True, "pull_request": None, "note": ""}
    ]
    assert old not in _branches(fleet["svc-edited"].remote)
    assert repos["svc-conflict"]["superseded"][0]["deleted"] is False
    assert old in _branches(fleet["svc-conflict"].remote)
    assert {repos[name]["branch"] for name in fleet.repos} == {BRANCH}

    tips = {name: _branches(r.remote)[BRANCH] for name, r in fleet.repos.items()}
    code, again = _run_json("--fleet", str(fleet.fleet_file), "--push")
    for name in fleet.repos:
        repo = _by_repo(again)[name]
        assert repo["pushed"] is False, name
        assert repo["push_note"] == "the upstream branch already holds this update"
        assert repo["commit"] == tips[name]
        assert _branches(fleet[name].remote)[BRANCH] == tips[name]
    assert code == 3  # the conflict is still there: never reported clean

    # someone pushes to this run's branch: the next run leaves it to them
    work = tmp_path / "resolve-latest"
    git(tmp_path, "clone", "-q", "-b", BRANCH, str(fleet["svc-conflict"].remote), str(work))
    write(work / "config.yaml", "resolved: true\n")
    git(work, "commit", "-qam", "Resolve the conflict")
    git(work, "push", "-q", "origin", BRANCH)
    tip = _branches(fleet["svc-conflict"].remote)[BRANCH]

    code, data = _run_json("--fleet", str(fleet.fleet_file), "--push")

    project = _by_project(data)[("svc-conflict", ".")]
    assert project["outcome"] == "skipped"
    assert project["reason"] == (
        f"{BRANCH} has 1 commit(s) not made by goldenpath; left as is for whoever works on it"
    )
    assert _branches(fleet["svc-conflict"].remote)[BRANCH] == tip
    assert code == 0  # svc-edited as before, svc-conflict in a person's hands


def test_to_an_older_version_skips_newer_projects_and_an_unknown_one_fails(
    fleet: Fleet, tmp_path: Path
) -> None:
    fleet_file = fleet.write_fleet_file(
        tmp_path / "two.yml",
        [{"path": str(fleet[name].clone)} for name in ("svc-current", "svc-stale-branch")],
    )
    code, data = _run_json("--fleet", str(fleet_file), "--to", "2.0.0")
    projects = _by_project(data)
    assert code == 0
    assert projects[("svc-current", ".")]["outcome"] == "skipped"
    assert projects[("svc-current", ".")]["reason"] == "at 2.1.1, newer than --to 2.0.0"
    assert projects[("svc-stale-branch", ".")]["outcome"] == "up_to_date"

    code, data = _run_json("--fleet", str(fleet_file), "--to", "9.9.9")
    assert code == 3
    assert {p["outcome"] for p in _by_project(data).values()} == {"failed"}
    assert _by_project(data)[("svc-current", ".")]["reason"].startswith("version 9.9.9 is not in ")


def test_failures_half_way_keep_what_was_decided_and_nothing_undelivered_is_updated(
    tmp_path: Path, fleet_catalog: FleetCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet = build_fleet(
        tmp_path / "fleet",
        fleet_catalog,
        tuple(s for s in REPOS if s.name in {"svc-edited", "mono"}),
    )
    real_update_project = fleet_update._Repository._update_project

    def second_project_breaks(self: Any, clone: Path, branch: str, plan: Any) -> None:
        if plan.outcome.path == "services/api":
            raise OSError("disk full")
        real_update_project(self, clone, branch, plan)

    def push_refused(*args: object) -> None:
        raise UsageError("git push failed: ! [rejected] (stale info)")

    monkeypatch.setattr(fleet_update._Repository, "_update_project", second_project_breaks)
    monkeypatch.setattr(git_branches, "push", push_refused)

    code, data = _run_json("--fleet", str(fleet.fleet_file), "--push")

    assert code == 3
    projects = _by_project(data)
    assert projects[("svc-edited", ".")]["outcome"] == "failed"
    assert projects[("svc-edited", ".")]["reason"] == (
        "committed, but not delivered: git push failed: ! [rejected] (stale info)"
    )
    assert projects[("mono", "jobs/nightly")]["outcome"] == "failed"
    assert projects[("mono", "jobs/nightly")]["reason"] == (
        "committed, but not delivered: internal error: OSError: disk full"
    )
    assert projects[("mono", "jobs/nightly")]["commit"]
    assert projects[("mono", "services/api")]["reason"] == "internal error: OSError: disk full"
    assert _by_repo(data)["mono"]["error"]["message"] == "internal error: OSError: disk full"
    for repo in fleet.repos.values():
        assert BRANCH not in _branches(repo.remote)


# --- verify -----------------------------------------------------------------------------------


def test_verify_failure_is_its_own_outcome_with_the_output_tail(
    fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "secret-value")
    fleet_file = fleet.write_fleet_file(
        tmp_path / "one.yml", [{"path": str(fleet["svc-edited"].clone)}]
    )
    command = (
        'for i in $(seq 1 60); do echo "line $i"; done; echo "token=${GITHUB_TOKEN:-unset}"; exit 4'
    )
    before = _branches(fleet["svc-edited"].remote)

    code, data = _run_json("--fleet", str(fleet_file), "--verify", command)

    repo = data["results"][0]
    assert code == 3
    assert repo["projects"][0]["outcome"] == "verify_failed"
    assert repo["projects"][0]["reason"] == f"`{command}` exited 4"
    verify = repo["verify"]
    assert (verify["exit_code"], verify["passed"]) == (4, False)
    tail = verify["tail"].splitlines()
    assert tail[-1] == "token=unset"  # the forge token is not handed to the repository's code
    assert tail[0] == "line 22"  # the last 40 lines
    assert repo["pushed"] is False
    assert _branches(fleet["svc-edited"].remote) == before  # no --push: nothing leaves the cache
    clone = Path(repo["clone"])
    assert git(clone, "rev-parse", "HEAD").strip() == repo["commit"]


def test_verify_that_passes_keeps_updated_and_a_killed_runs_leftovers_do_not_block(
    ran: Run, fleet: Fleet, tmp_path: Path
) -> None:
    clone = Path(_by_repo(ran.data)["job-minor"]["clone"])
    (clone / ".git" / "index.lock").write_text("")  # a git killed with the run
    journal = clone / ".git" / "goldenpath" / "update.json"
    journal.parent.mkdir(exist_ok=True)
    journal.write_text('{"format": 1}')  # an update killed half-way
    fleet_file = fleet.write_fleet_file(tmp_path / "one.yml", [{"url": fleet["job-minor"].url}])

    code, data = _run_json("--fleet", str(fleet_file), "--verify", "grep -q '0 4' schedule.txt")

    assert code == 0, json.dumps(data["results"])
    repo = data["results"][0]
    assert repo["clone"] == str(clone)
    assert repo["projects"][0]["outcome"] == "updated"
    assert repo["verify"]["passed"] is True
    assert not journal.exists()


# --- pull requests through the forge ------------------------------------------------------------


@pytest.fixture
def forge(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, State]]:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with serve() as running:
        yield running


def test_open_pr_creates_draft_for_conflicts_and_closes_the_superseded_one(
    tmp_path: Path,
    fleet_catalog: FleetCatalog,
    forge: tuple[str, State],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, state = forge
    names = {"svc-conflict", "svc-stale-branch"}
    fleet = build_fleet(
        tmp_path / "fleet", fleet_catalog, tuple(s for s in REPOS if s.name in names)
    )
    # The repositories are listed by forge URLs; git reaches them in the bare remotes.
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", f"url.{(fleet.root / 'remotes').as_uri()}/.insteadOf")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "https://github.test/acme/")
    fleet_file = fleet.write_fleet_file(
        tmp_path / "forge.yml",
        [{"url": f"https://github.test/acme/{n}.git"} for n in sorted(names)],
    )
    state.seed(
        "acme/svc-stale-branch",
        {
            "number": 7,
            "node_id": "PR_7",
            "html_url": "https://github.test/acme/svc-stale-branch/pull/7",
            "state": "open",
            "title": "Update to v2.1.0",
            "body": "",
            "draft": False,
            "head": {"ref": "goldenpath/update-to-v2.1.0"},
            "base": {"ref": "main"},
            "labels": [],
            "merged_at": None,
        },
    )

    code, data = _run_json(
        "--fleet", str(fleet_file), "--open-pr", "--forge", "github", "--forge-url", f"{url}/gh"
    )

    assert code == 3
    repos = _by_repo(data)
    conflict = state.pulls["acme/svc-conflict"][0]
    assert conflict["draft"] is True
    assert conflict["title"] == f"[needs resolution] goldenpath: update svc to v{LATEST}"
    assert [x["name"] for x in conflict["labels"]] == ["goldenpath", "needs-resolution"]
    assert "- `config.yaml`" in conflict["body"]
    assert (conflict["head"]["ref"], conflict["base"]["ref"]) == (BRANCH, "main")
    old, new = state.pulls["acme/svc-stale-branch"]
    assert (new["draft"], new["title"]) == (False, f"goldenpath: update svc to v{LATEST}")
    assert [x["name"] for x in new["labels"]] == ["goldenpath"]
    assert "#### 2.1.0\n\n##### Added\n- A CONTRIBUTING.md." in new["body"]
    assert repos["svc-stale-branch"]["pull_request"]["action"] == "created"
    assert repos["svc-stale-branch"]["pull_request"]["url"] == new["html_url"]
    assert all(r["pushed"] for r in repos.values())
    assert old["state"] == "closed"
    assert state.comments[("acme/svc-stale-branch", 7)] == [
        f"Superseded by {new['html_url']} ({BRANCH}): goldenpath opened a newer catalog update."
    ]
    assert repos["svc-stale-branch"]["superseded"][0]["pull_request"] == old["html_url"]
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in state.requests)

    # A rerun updates the requests in place; nothing is opened twice.
    code, again = _run_json(
        "--fleet", str(fleet_file), "--open-pr", "--forge", "github", "--forge-url", f"{url}/gh"
    )
    assert {r["pull_request"]["action"] for r in again["results"]} == {"updated"}
    assert len(state.pulls["acme/svc-conflict"]) == 1
    assert state.pulls["acme/svc-conflict"][0]["draft"] is True


def test_open_pr_without_a_token_fails_before_touching_anything(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GITLAB_TOKEN", raising=False)
    code, _, stderr = _invoke("--fleet", str(fleet.fleet_file), "--open-pr")
    assert code == 2
    assert "error: --open-pr needs a forge token in $GITHUB_TOKEN or $GITLAB_TOKEN" in stderr


# --- shards, exit codes, output ------------------------------------------------------------------


def _skipped_entries(count: int) -> list[RepoEntry]:
    return [
        RepoEntry(f"repo-{i}", f"https://git.example.org/ml/repo-{i}.git", None, skip="archived")
        for i in range(count)
    ]


def test_shards_partition_the_fleet_deterministically() -> None:
    entries = _skipped_entries(60)
    shards = [fleet_update.select_shard(entries, (k, 4)) for k in range(1, 5)]
    assert sorted(e.name for part in shards for e in part) == sorted(e.name for e in entries)
    assert sum(len(part) for part in shards) == len(entries)  # disjoint
    assert all(part for part in shards)
    # stable: the same shard whatever else is in the fleet, and in fleet order
    assert fleet_update.select_shard(entries[:30], (2, 4)) == [
        e for e in shards[1] if e in entries[:30]
    ]
    assert shards[1] == [e for e in entries if e in shards[1]]
    # a URL's shard does not depend on a trailing .git; a local clone's not on its path
    url = RepoEntry("a", "https://git.example.org/ml/x.git", None)
    assert fleet_update.shard_of(url, 7) == fleet_update.shard_of(
        RepoEntry("b", "https://git.example.org/ml/x", None), 7
    )
    here = RepoEntry("svc", "/runner-1/clones/svc", Path("/runner-1/clones/svc"))
    there = RepoEntry("svc", "/home/ci/work/svc", Path("/home/ci/work/svc"))
    assert fleet_update.shard_of(here, 5) == fleet_update.shard_of(there, 5)


@pytest.mark.parametrize("text", ["0/3", "4/3", "1", "a/b", "1/0"])
def test_bad_shard_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="--shard must be K/N"):
        fleet_update.parse_shard(text)


def test_shard_option_runs_exactly_its_part(tmp_path: Path) -> None:
    entries = _skipped_entries(12)
    fleet_file = tmp_path / "fleet.yml"
    write(
        fleet_file,
        "repositories:\n" + "".join(f"  - url: {e.source}\n    skip: archived\n" for e in entries),
    )
    seen: list[str] = []
    for k in (1, 2, 3):
        code, data = _run_json("--fleet", str(fleet_file), "--shard", f"{k}/3")
        assert code == 0
        assert data["shard"] == f"{k}/3"
        assert data["repositories_in_fleet"] == 12
        names = [r["name"] for r in data["results"]]
        assert names == [e.name for e in fleet_update.select_shard(entries, (k, 3))]
        seen += names
    assert sorted(seen) == sorted(e.name for e in entries)
    code, _, stderr = _invoke("--fleet", str(fleet_file), "--shard", "4/3")
    assert code == 2
    assert "--shard must be K/N with 1 <= K <= N, not '4/3'" in stderr


def test_exit_0_when_all_clean_with_plain_lines_off_a_terminal(
    fleet: Fleet, tmp_path: Path
) -> None:
    fleet_file = fleet.write_fleet_file(
        tmp_path / "clean.yml",
        [
            {"path": str(fleet["svc-current"].clone)},
            {"url": fleet["plain-lib"].url},
            {"url": "https://git.example.org/ml/old.git", "skip": "pinned to 1.x"},
        ],
    )
    code, stdout, _ = _invoke("--fleet", str(fleet_file))
    assert code == 0
    lines = stdout.splitlines()
    assert lines[:3] == [
        "[1/3] svc-current: up_to_date",
        "[2/3] plain-lib: skipped: not generated from the catalog (no .copier-answers.yml)",
        "[3/3] old: skipped: pinned to 1.x",
    ]
    assert lines[3].startswith(
        "3 repositories, 3 projects: 1 up_to_date, 0 updated, 0 conflicts, 0 verify_failed, "
        "0 failed, 2 skipped ("
    )
    assert "Needs attention" not in stdout


def test_exit_1_when_the_run_itself_fails(
    fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("GOLDENPATH_CACHE", str(blocker))
    code, stdout, stderr = _invoke("--fleet", str(fleet.fleet_file), "--json")
    assert code == 1
    assert stderr.startswith(f"error: cannot create the working-clone folder {blocker}/update")
    assert json.loads(stdout)["error"]["exit_code"] == 1


def test_a_bar_on_a_terminal_plain_lines_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Console(force_terminal=True)
    monkeypatch.delenv("CI", raising=False)
    assert fleet_update_cli._interactive(terminal)
    monkeypatch.setenv("CI", "true")
    assert not fleet_update_cli._interactive(terminal)
    assert not fleet_update_cli._interactive(Console(file=open(os.devnull, "w")))  # noqa: SIM115


def test_conflicted_files_are_found_by_markers_and_rej_files(tmp_path: Path) -> None:
    write(
        tmp_path / "a.yaml",
        "x: 1\n<<<<<<< before updating\ny: 1\n=======\ny: 2\n>>>>>>> after updating\n",
    )
    write(tmp_path / "b.md", "Use <<<<<<< in prose, not at a line start: fine\n")
    write(tmp_path / "c.txt", "clean\n")
    write(tmp_path / "d.py.rej", "@@ -1 +1 @@\n")
    (tmp_path / "e.bin").write_bytes(b"\0\0<<<<<<< x\n>>>>>>> y\n")
    found = fleet_update.conflicted_files(
        tmp_path, ["a.yaml", "b.md", "c.txt", "d.py.rej", "e.bin"]
    )
    assert found == ["a.yaml", "d.py"]


def test_outcomes_that_need_attention() -> None:
    attention = {o for o in Outcome if o.needs_attention}
    assert attention == {Outcome.CONFLICTS, Outcome.VERIFY_FAILED, Outcome.FAILED}


def test_discover_reads_a_folder_of_clones(fleet: Fleet, tmp_path: Path) -> None:
    folder = tmp_path / "clones"
    folder.mkdir()
    for name in ("svc-current", "plain-lib"):
        (folder / name).symlink_to(fleet[name].clone)
    assert [e.name for e in inventory.discover(folder)] == ["plain-lib", "svc-current"]

    code, data = _run_json("--discover", str(folder))

    assert code == 0, json.dumps(data["results"])
    assert {key: p["outcome"] for key, p in _by_project(data).items()} == {
        ("plain-lib", "."): "skipped",
        ("svc-current", "."): "up_to_date",
    }
