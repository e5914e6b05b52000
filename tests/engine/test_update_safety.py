"""``goldenpath update`` can never cost a user their work.

Failures of every kind (a catalog version that does not render, any exception inside copier,
Ctrl-C at each stage, ``kill -9`` at random moments) leave either the untouched repository
with its committed edits, or an interrupted update that ``check``/``update`` name in one line
and that ``update --abort`` undoes byte for byte (``--continue`` finishes it). No goldenpath
temporary folder survives, and a killed run's folders are swept by the next run.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from goldenpath import scratch
from goldenpath.adapters import copier_adapter, git_adapter
from goldenpath.services import check as check_service
from goldenpath.services import update as update_service
from goldenpath.services import update_journal

from .catalog_factory import GIT_ENV, change_config, git, git_catalog, tag_next, write
from .conftest import invoke

LOCAL_EDIT = "timeout_seconds: 30"
JOURNAL = ".git/goldenpath/update.json"


# --- helpers -----------------------------------------------------------------------------


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree_state(repo: Path) -> dict[str, str]:
    """Every work-tree file, the index as git sees it, HEAD and every ref."""
    state = {
        str(p.relative_to(repo)): _sha(p.read_bytes())
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }
    state["<index entries>"] = git(repo, "ls-files", "-s")
    state["<HEAD>"] = git(repo, "rev-parse", "HEAD")
    state["<refs>"] = git(repo, "show-ref")
    return state


def exact_state(repo: Path) -> dict[str, str]:
    """``tree_state`` plus the raw bytes of ``.git/index`` and ``.git/HEAD``: untouched."""
    state = tree_state(repo)
    state["<.git/index bytes>"] = _sha((repo / ".git/index").read_bytes())
    state["<.git/HEAD bytes>"] = _sha((repo / ".git/HEAD").read_bytes())
    return state


def one_error(output: str) -> str:
    """The single ``error:`` line of a failed command (also: a hint, no traceback)."""
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    hints = [line for line in output.splitlines() if line.startswith("hint:")]
    assert len(errors) == 1, output
    assert len(hints) == 1, output
    return errors[0]


def leftovers(tmp: Path) -> list[str]:
    """Whatever is left in the test's temporary folder (nothing, after any run)."""
    return sorted(p.name for p in tmp.iterdir())


@pytest.fixture
def tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private system temporary folder, so leftovers of this test alone can be counted."""
    folder = tmp_path / "systmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    """An organisation catalog with v1.0.0 (v1.1.0 is added by each test)."""
    return git_catalog(tmp_path / "org-catalog")


def new_repo(cli: CliRunner, catalog: Path, dest: Path) -> Path:
    """A generated repository with a committed local edit of config.yaml."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    code, output = invoke(cli, "new", "svc", str(dest), "--defaults", "--catalog", str(catalog))
    assert code == 0, output
    config = dest / "config.yaml"
    config.write_text(config.read_text().replace("timeout_seconds: 10", LOCAL_EDIT))
    git(dest, "commit", "-qam", "local edit")
    return dest


def release_good(catalog: Path) -> None:
    """v1.1.0: config.yaml changes near its end, NEW.md appears."""
    change_config(catalog)
    tag_next(catalog, "1.1.0", "config logs at warning level")


def release_broken(catalog: Path) -> None:
    """v1.1.0 with a Jinja syntax error in one file."""
    write(catalog / "svc/template/config.yaml.jinja", "broken: {{ project_name }\n")
    tag_next(catalog, "1.1.0", "a broken file")


def assert_untouched(repo: Path, before: dict[str, str], tmp: Path) -> None:
    """Byte-identical, clean, the local edit on disk, no journal, no temporary folder."""
    assert exact_state(repo) == before
    assert git(repo, "status", "--porcelain") == ""
    assert LOCAL_EDIT in (repo / "config.yaml").read_text()
    assert not (repo / JOURNAL).exists()
    assert leftovers(tmp) == []


def assert_updated(repo: Path) -> None:
    """What a complete update to v1.1.0 leaves: both sides of the merge, nothing committed."""
    config = (repo / "config.yaml").read_text()
    assert LOCAL_EDIT in config
    assert "log_level: warning" in config
    assert (repo / "NEW.md").read_text() == "New in v2 for svc.\n"
    assert "_commit: v1.1.0" in (repo / ".copier-answers.yml").read_text()
    assert git(repo, "log", "-1", "--format=%s") == "local edit\n"
    assert not (repo / JOURNAL).exists()
    assert git(repo, "for-each-ref", "refs/goldenpath") == ""


# --- a catalog version that does not render ----------------------------------------------


@pytest.mark.parametrize("args", [(), ("--dry-run",)], ids=["update", "dry-run"])
def test_a_version_that_fails_to_render_changes_nothing(
    catalog: Path, tmp_path: Path, tmp: Path, cli: CliRunner, args: tuple[str, ...]
) -> None:
    repo = new_repo(cli, catalog, tmp_path / "svc")
    release_broken(catalog)
    before = exact_state(repo)

    code, output = invoke(cli, "update", str(repo), *args)

    assert code == 1
    line = one_error(output)
    assert "config.yaml.jinja line 1: unexpected '}'" in line
    assert_untouched(repo, before, tmp)
    # A rerun is not refused as "dirty": it fails the same clear way.
    assert one_error(invoke(cli, "update", str(repo))[1]) == line


def test_new_from_a_version_that_fails_to_render_is_one_line(
    catalog: Path, tmp_path: Path, tmp: Path, cli: CliRunner
) -> None:
    release_broken(catalog)
    dest = tmp_path / "svc"

    code, output = invoke(
        cli, "new", "svc", str(dest), "--defaults", "--catalog", str(catalog), "--version", "1.1.0"
    )

    assert code == 1
    assert "unexpected '}'" in one_error(output)
    assert not dest.exists()
    assert [p.name for p in tmp_path.iterdir() if "goldenpath" in p.name] == []
    assert leftovers(tmp) == []


# --- exceptions and Ctrl-C at every stage ------------------------------------------------


def _raiser(exc: BaseException) -> Callable[..., Any]:
    def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise exc

    return boom


def _after(real: Callable[..., Any], exc: BaseException) -> Callable[..., Any]:
    """``real`` runs, then ``exc`` is raised: the worst moment, the step has had its effect."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise exc

    return wrapped


@pytest.mark.parametrize(
    "exc", [RuntimeError("copier broke"), ValueError("bad value"), KeyboardInterrupt()]
)
def test_any_exception_inside_copier_leaves_the_repository_untouched(
    catalog: Path,
    tmp_path: Path,
    tmp: Path,
    cli: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    exc: BaseException,
) -> None:
    repo = new_repo(cli, catalog, tmp_path / "svc")
    release_good(catalog)
    before = exact_state(repo)
    monkeypatch.setattr(copier_adapter, "run_update", _raiser(exc))

    code, output = invoke(cli, "update", str(repo))

    assert code == 1
    line = one_error(output)
    assert (str(exc) or "interrupted") in line
    assert_untouched(repo, before, tmp)


# Where Ctrl-C lands: (module, function) patched so that it raises after doing its work.
STAGES = {
    "while fetching": (git_adapter, "fetch_commit"),
    "right after the journal is written": (update_journal, "write"),
    "in the middle of the apply": (git_adapter, "checkout_tree"),
    "after the conflict stages are recorded": (git_adapter, "set_unmerged"),
}


def test_ctrl_c_at_each_stage_restores_head(
    catalog: Path, tmp_path: Path, tmp: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = new_repo(cli, catalog, tmp_path / "svc")
    release_good(catalog)
    before = tree_state(repo)
    # One repository for every stage: each interrupted run must leave it fit for the next.
    for stage, (module, name) in STAGES.items():
        with monkeypatch.context() as patch:
            patch.setattr(module, name, _after(getattr(module, name), KeyboardInterrupt()))
            code, output = invoke(cli, "update", str(repo))

        assert code == 1, stage
        assert one_error(output) == "error: interrupted", stage
        # Before the journal nothing was touched; after it, the apply was undone in place.
        assert tree_state(repo) == before, stage
        assert git(repo, "status", "--porcelain") == "", stage
        assert LOCAL_EDIT in (repo / "config.yaml").read_text(), stage
        assert not (repo / JOURNAL).exists(), stage
        assert leftovers(tmp) == [], stage
    assert invoke(cli, "update", str(repo))[0] == 0  # nothing is in the way of a rerun
    assert_updated(repo)


def test_ctrl_c_after_the_commit_point_keeps_the_complete_update(
    catalog: Path, tmp_path: Path, tmp: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = new_repo(cli, catalog, tmp_path / "svc")
    release_good(catalog)
    monkeypatch.setattr(update_service, "_classify", _raiser(KeyboardInterrupt()))

    code, output = invoke(cli, "update", str(repo))

    assert code == 1
    assert "the update to v1.1.0 was applied" in one_error(output)
    assert_updated(repo)
    assert leftovers(tmp) == []


def test_a_failed_restore_leaves_an_interrupted_update_that_abort_undoes(
    catalog: Path, tmp_path: Path, tmp: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = new_repo(cli, catalog, tmp_path / "svc")
    release_good(catalog)
    before = tree_state(repo)
    with monkeypatch.context() as patch:
        patch.setattr(
            git_adapter, "checkout_tree", _after(git_adapter.checkout_tree, KeyboardInterrupt())
        )
        patch.setattr(git_adapter, "reset_hard", _raiser(OSError("disk gone")))
        code, output = invoke(cli, "update", str(repo))

    assert code == 1
    expected = "error: an update to v1.1.0 was interrupted (journal .git/goldenpath/update.json)"
    assert one_error(output) == expected
    for command in (("check",), ("update",), ("update", "--dry-run")):
        code, output = invoke(cli, *command, str(repo))
        assert (code, one_error(output)) == (1, expected), command
    assert "--abort" in output
    assert "--continue" in output

    code, output = invoke(cli, "update", "--abort", str(repo))

    assert code == 0, output
    assert "was undone" in output
    assert tree_state(repo) == before
    assert git(repo, "status", "--porcelain") == ""
    assert leftovers(tmp) == []


# --- refusals -----------------------------------------------------------------------------


def test_a_dirty_tree_is_refused_before_any_clone_or_copier_call(
    catalog: Path, tmp_path: Path, tmp: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = new_repo(cli, catalog, tmp_path / "svc")
    release_good(catalog)
    write(repo / "scratch.txt", "not committed")
    before = exact_state(repo)

    def forbidden(*_args: Any, **_kwargs: Any) -> None:
        pytest.fail("called although the tree is dirty")

    monkeypatch.setattr(copier_adapter, "update", forbidden)
    monkeypatch.setattr(copier_adapter, "run_update", forbidden)
    monkeypatch.setattr(git_adapter, "clone_local", forbidden)
    monkeypatch.setattr(scratch, "folder", forbidden)

    code, output = invoke(cli, "update", str(repo))

    assert code == 1
    assert "working tree is not clean" in one_error(output)
    assert exact_state(repo) == before
    assert not (repo / ".git/goldenpath").exists()
    assert leftovers(tmp) == []


@pytest.mark.parametrize("flag", ["--abort", "--continue"])
def test_abort_and_continue_without_an_interrupted_update_are_refused(
    catalog: Path, tmp_path: Path, tmp: Path, cli: CliRunner, flag: str
) -> None:
    repo = new_repo(cli, catalog, tmp_path / "svc")
    before = exact_state(repo)

    code, output = invoke(cli, "update", flag, str(repo))

    assert code == 1
    assert "there is no interrupted update to" in one_error(output)
    assert tree_state(repo) == {k: v for k, v in before.items() if not k.startswith("<.git")}


def _interrupt_after_checkout(
    monkeypatch: pytest.MonkeyPatch, repo: Path, step: str = "checkout_tree"
) -> None:
    """Leave an interrupted update behind, as a ``kill -9`` right after ``step`` would.

    After ``checkout_tree`` the index holds the new version; after ``reset_index`` it is
    back at HEAD and the update's new files are untracked.
    """
    with monkeypatch.context() as patch:
        real = getattr(git_adapter, step)
        patch.setattr(git_adapter, step, _after(real, KeyboardInterrupt()))
        patch.setattr(git_adapter, "reset_hard", _raiser(OSError("killed")))
        assert update_service.update(repo).error is not None
    assert (repo / JOURNAL).is_file()


def test_abort_and_continue_are_refused_when_head_moved(
    catalog: Path, tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = new_repo(cli, catalog, tmp_path / "svc")
    release_good(catalog)
    _interrupt_after_checkout(monkeypatch, repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "someone committed the half-applied tree")

    for flag in ("--abort", "--continue"):
        code, output = invoke(cli, "update", flag, str(repo))

        assert code == 1, flag
        assert "HEAD moved since the update to v1.1.0 was interrupted" in one_error(output)
        assert (repo / JOURNAL).is_file()


def test_check_reports_it_and_abort_removes_a_stale_index_lock_never_a_live_one(
    catalog: Path, tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = new_repo(cli, catalog, tmp_path / "svc")
    release_good(catalog)
    before = tree_state(repo)
    _interrupt_after_checkout(monkeypatch, repo)
    error = check_service.check(repo).to_dict()["error"]  # as --json shows it
    assert error["message"].startswith("an update to v1.1.0 was interrupted")
    assert "--abort" in error["hint"]
    assert error["exit_code"] == 1
    lock, journal = repo / ".git/index.lock", repo / JOURNAL
    lock.write_text("")  # what a git killed while writing the index leaves
    data = json.loads(journal.read_text())
    journal.write_text(json.dumps({**data, "pid": os.getppid()}))  # a live process

    code, output = invoke(cli, "update", "--abort", str(repo))

    assert code == 1
    assert f"process {os.getppid()} is still running" in one_error(output)
    assert lock.exists()
    dead = subprocess.Popen(["true"])
    dead.wait()
    journal.write_text(json.dumps({**data, "pid": dead.pid}))

    code, output = invoke(cli, "update", "--abort", str(repo))

    assert code == 0, output
    assert not lock.exists()
    assert tree_state(repo) == before
    assert git(repo, "status", "--porcelain") == ""


# --- the result looks exactly like copier's own in-place update ---------------------------


@pytest.mark.parametrize("conflict", ["inline", "rej"])
def test_the_applied_update_has_the_shape_copier_leaves(
    catalog: Path, tmp_path: Path, cli: CliRunner, conflict: str
) -> None:
    repo = new_repo(cli, catalog, tmp_path / "svc")
    config = repo / "config.yaml"
    config.write_text(config.read_text().replace("log_level: info", "log_level: debug"))
    git(repo, "commit", "-qam", "conflicting edit")
    release_good(catalog)
    in_place = tmp_path / "in-place" / "svc"
    shutil.copytree(repo, in_place, symlinks=True)
    git(in_place, "update-index", "-q", "--refresh")
    copier_adapter.update(
        in_place,
        {"template": "svc"},
        "v1.1.0",
        "rej" if conflict == "rej" else "inline",
        False,
        str(catalog),
    )

    code, output = invoke(cli, "update", str(repo), "--conflict", conflict)

    assert code == 3, output
    for args in (["status", "--porcelain", "--untracked-files=all"], ["ls-files", "-s"]):
        assert git(repo, *args) == git(in_place, *args), args
    assert tree_state(repo).keys() == tree_state(in_place).keys()
    for name in git(in_place, "ls-files", "-co", "--exclude-standard").split():
        assert (repo / name).read_bytes() == (in_place / name).read_bytes(), name


def test_continue_finishes_an_interrupted_update_with_its_conflicts(
    catalog: Path, tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = new_repo(cli, catalog, tmp_path / "svc")
    config = repo / "config.yaml"
    config.write_text(config.read_text().replace("log_level: info", "log_level: debug"))
    git(repo, "commit", "-qam", "conflicting edit")
    release_good(catalog)
    reference = tmp_path / "reference" / "svc"
    shutil.copytree(repo, reference, symlinks=True)
    assert invoke(cli, "update", str(reference))[0] == 3
    _interrupt_after_checkout(monkeypatch, repo, step="reset_index")
    assert "?? NEW.md" in git(repo, "status", "--porcelain")

    code, output = invoke(cli, "update", "--continue", str(repo))

    assert code == 3, output
    assert "CONFLICTS (1): config.yaml" in output
    assert _applied_state(repo) == _applied_state(reference)


def _applied_state(repo: Path) -> dict[str, str]:
    state = {k: v for k, v in tree_state(repo).items() if k != "<refs>"}
    state["<status>"] = git(repo, "status", "--porcelain", "--untracked-files=all")
    return state


# --- kill -9 at random moments of a real `goldenpath update` -----------------------------

KILLS_PER_CASE = 5  # 4 cases: 20 kills, half over the whole run, half during the apply
SEED = 20260601


@dataclass
class KillSetup:
    """A repository to copy for each kill, and what a complete update of it looks like."""

    base: Path
    env: dict[str, str]
    duration: float
    before: dict[str, str]
    updated: dict[str, str]


def _goldenpath(*args: str) -> list[str]:
    return [sys.executable, "-m", "goldenpath", *args]


@pytest.fixture(scope="module")
def kill_setup(tmp_path_factory: pytest.TempPathFactory) -> KillSetup:
    """Built once per test worker: the repository every kill starts from, copied per kill."""
    root = tmp_path_factory.mktemp("kill-setup")
    home = root / "home"
    home.mkdir()
    env = {
        **os.environ,
        **GIT_ENV,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "TMPDIR": str(root),
    }
    env.pop("GOLDENPATH_CATALOG", None)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        catalog = git_catalog(root / "org-catalog")
        base = new_repo(CliRunner(), catalog, root / "base" / "svc")
        release_good(catalog)
    reference = root / "reference" / "svc"
    shutil.copytree(base, reference, symlinks=True)
    started = time.monotonic()
    done = subprocess.run(
        _goldenpath("update", str(reference)), env=env, capture_output=True, check=False
    )
    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert_updated(reference)
    return KillSetup(base, env, duration, tree_state(base), _applied_state(reference))


def _kill_when(
    proc: subprocess.Popen[bytes], journal: Path, rng: random.Random, span: float | None
) -> str:
    """Kill ``proc`` at a random moment: uniformly within ``span`` seconds, or (None) shortly
    after the journal appears. Returns the moment, for failure messages."""
    if span is not None:
        delay = rng.uniform(0, span)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        return f"{delay * 1000:.0f} ms after start"
    while proc.poll() is None and not journal.exists():
        time.sleep(0.0002)  # the apply lasts a few tens of milliseconds
    delay = rng.uniform(0, 0.020)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    return f"{delay * 1000:.1f} ms after the journal appeared"


@pytest.mark.parametrize("case", range(4))
def test_kill_9_at_random_moments_never_loses_work(
    kill_setup: KillSetup, tmp_path: Path, tmp: Path, cli: CliRunner, case: int
) -> None:
    rng = random.Random(SEED + case)  # noqa: S311 - reproducible moments, not secrets
    apply_phase = case % 2 == 1  # cases 0, 2: over the whole run; 1, 3: during the apply
    span = None if apply_phase else 1.1 * kill_setup.duration
    outcomes: list[str] = []
    for trial in range(KILLS_PER_CASE):
        repo = tmp_path / f"kill-{trial}" / "svc"
        shutil.copytree(kill_setup.base, repo, symlinks=True)
        proc = subprocess.Popen(
            _goldenpath("update", str(repo)),
            env={**kill_setup.env, "TMPDIR": str(tmp)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        moment = _kill_when(proc, repo / JOURNAL, rng, span)
        proc.wait()
        context = f"seed {SEED + case}, trial {trial}, killed {moment}"
        outcomes.append(_judge(repo, kill_setup, cli, resume=trial % 2 == 1, context=context))
    if apply_phase:
        assert "interrupted" in " ".join(outcomes), outcomes  # the apply was really hit
    # The next run sweeps what killed processes left, even a run that is refused at once.
    write(tmp_path / "kill-0" / "svc" / "untracked.txt", "makes the tree dirty")
    assert invoke(cli, "update", str(tmp_path / "kill-0" / "svc"))[0] == 1
    assert leftovers(tmp) == [], f"seed {SEED + case}: {outcomes}"


def test_the_next_run_sweeps_folders_of_dead_processes_only(
    catalog: Path, tmp_path: Path, tmp: Path, cli: CliRunner
) -> None:
    repo = new_repo(cli, catalog, tmp_path / "svc")
    dead = subprocess.Popen(["true"])
    dead.wait()  # reaped: its pid names no process now
    stale = tmp / f"goldenpath-{dead.pid}-abc123"
    (stale / "copier._main.old_copy.x").mkdir(parents=True)
    _age(stale)  # left by an earlier goldenpath without a lock file: judged by age and pid
    alive = tmp / f"goldenpath-{os.getppid()}-def456"  # a live process's folder stays
    alive.mkdir()
    foreign = tmp / "goldenpath-notes"  # not one of goldenpath's: never touched
    foreign.mkdir()

    code, output = invoke(cli, "update", str(repo))

    assert code == 0, output  # already current: the sweep runs first all the same
    assert leftovers(tmp) == sorted([alive.name, foreign.name])


def _age(path: Path, seconds: float = 3600) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_folder_in_use_by_a_process_whose_pid_we_cannot_see_is_never_swept(
    tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another PID namespace (a container sharing /tmp) looks like a dead pid: the lock
    its owner holds on the folder is what keeps a sweep away from it."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    with monkeypatch.context() as patched:
        patched.setattr(scratch.os, "getpid", lambda: dead.pid)
        with scratch.folder() as theirs:
            patched.undo()
            (theirs / "work.txt").write_text("in progress")
            _age(theirs)
            assert scratch.sweep(tmp) == []
            assert (theirs / "work.txt").exists()
        assert not theirs.exists()
    abandoned = tmp / f"goldenpath-{dead.pid}-zzz999"  # its owner died: the lock is free
    abandoned.mkdir()
    (abandoned / scratch.LOCK_NAME).touch()
    assert scratch.sweep(tmp) == [abandoned]


def _judge(repo: Path, setup: KillSetup, cli: CliRunner, resume: bool, context: str) -> str:
    """Check the state a kill left; returns which of the three allowed states it was."""
    if not (repo / JOURNAL).exists():
        if git(repo, "status", "--porcelain") == "":
            state = tree_state(repo)
            state.pop("<refs>")  # a run killed after its fetch may leave the private ref
            assert state == {k: v for k, v in setup.before.items() if k != "<refs>"}, context
            assert LOCAL_EDIT in (repo / "config.yaml").read_text(), context
            return "untouched"
        assert _applied_state(repo) == setup.updated, context
        return "complete"
    expected = "error: an update to v1.1.0 was interrupted (journal .git/goldenpath/update.json)"
    for command in ("check", "update"):
        code, output = invoke(cli, command, str(repo))
        assert (code, one_error(output)) == (1, expected), f"{context}: {command}"
    if resume:
        code, output = invoke(cli, "update", "--continue", str(repo))
        assert code == 0, f"{context}: {output}"
        assert _applied_state(repo) == setup.updated, context
        assert_updated(repo)
        return "interrupted, continued"
    code, output = invoke(cli, "update", "--abort", str(repo))
    assert code == 0, f"{context}: {output}"
    assert tree_state(repo) == setup.before, context
    assert git(repo, "status", "--porcelain") == "", context
    assert LOCAL_EDIT in (repo / "config.yaml").read_text(), context
    return "interrupted, aborted"
