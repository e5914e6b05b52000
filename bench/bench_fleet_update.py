"""Benchmark of ``goldenpath fleet update --jobs 2`` against ``goldenpath update`` run on each
repository one after another (not a test).

Builds ``--repos`` (default 50) git repositories, each a clone with a bare ``origin``, from
renders of an older catalog version (one in three with a committed local edit of its
README), then times in rounds:

- baseline: ``goldenpath update REPO`` for every repository, one process after another, in
  the clones themselves (what a platform engineer would script without ``fleet``);
- fleet: ``goldenpath fleet update --discover DIR --jobs 2 --push --json``, which does more
  per repository: a working clone from ``origin`` into a cold cache, the branch, a commit
  with the changelog, and the push.

Between runs the clones are reset to ``main``, the pushed branches deleted and the cache
emptied, so every run does the whole work; the two sides alternate which goes first. Both
must report every repository updated (the fleet run's JSON is checked). Prints the median
and range of each side over the rounds and the median of the per-round ratios; goal:
fleet <= 0.75x baseline. ``--check`` exits 1 when the goal is missed.

    .venv/bin/python bench/bench_fleet_update.py [--repos 50] [--rounds 3] [--jobs 2]
        [--catalog small|builtin] [--keep DIR] [--check]

``--catalog small`` (default) uses the two-template catalog of the fleet tests (a few files
per project: goldenpath's own overhead shows); ``builtin`` the shipped catalog's three
templates from the release before the latest to the latest (about 150 files each: copier's
rendering dominates, and a round takes several minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO

GOAL_RATIO = 0.75
PYTHON = REPO / ".venv" / "bin" / "python"
GOLDENPATH = REPO / ".venv" / "bin" / "goldenpath"
# `fleet update` through the same entry point as the console script (its module imported
# explicitly, in case the command is not registered in this checkout yet).
FLEET = [
    str(PYTHON),
    "-c",
    "import sys, goldenpath.cli.fleet_update; from goldenpath.cli import main; "
    "sys.argv[0] = 'goldenpath'; main()",
]
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@localhost",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@localhost",
}
BUILTIN_TEMPLATES = ("realtime-inference", "batch-inference", "training-pipeline")


def environment(root: Path) -> dict[str, str]:
    """A user of its own: HOME, cache, temporary folder, no global git config."""
    home, tmp = root / "home", root / "tmp"
    home.mkdir(parents=True, exist_ok=True)
    tmp.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in {"GOLDENPATH_CATALOG", "CI"}}
    return {
        **env,
        **GIT_IDENTITY,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GOLDENPATH_CACHE": str(root / "cache"),
        "TMPDIR": str(tmp),
    }


def git(repo: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout


def run(command: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in ok:
        sys.exit(f"{' '.join(command[-6:])} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def small_renders(root: Path, env: dict[str, str]) -> tuple[list[Path], str]:
    """Renders from the fleet tests' catalog at 1.0.0 / 2.0.0; the target is its latest."""
    script = f"""
import sys
from pathlib import Path
sys.path.insert(0, {str(REPO / "tests")!r})
from fleet.fleet_factory import make_catalog
catalog = make_catalog(Path({str(root / "small")!r}))
print(catalog.render("svc", "1.0.0", 1))
print(catalog.render("svc", "2.0.0", 2))
print(catalog.render("job", "2.0.0", None))
"""
    out = run([str(PYTHON), "-c", script], env)
    return [Path(line) for line in out.split()], "2.1.1"


def builtin_renders(root: Path, env: dict[str, str]) -> tuple[list[Path], str]:
    """The builtin catalog's templates at the release before the latest; the target the latest."""
    bundle = REPO / "src" / "goldenpath" / "_catalog" / "builtin.bundle"
    out = git(REPO, env, "ls-remote", "--tags", str(bundle))
    tags = [line.rpartition("refs/tags/v")[2] for line in out.splitlines() if "refs/tags/v" in line]
    versions = sorted(tags, key=lambda v: tuple(int(p) for p in v.split(".")))
    older, latest = versions[-2], versions[-1]
    renders = []
    (root / "renders").mkdir(parents=True, exist_ok=True)
    for template in BUILTIN_TEMPLATES:
        dest = root / "renders" / f"{template}-{older}"
        if not dest.exists():
            print(f"rendering {template} {older}", flush=True)
            run(
                [str(GOLDENPATH), "new", template, str(dest), "--defaults", "--version", older], env
            )
        renders.append(dest)
    return renders, latest


def build_fleet(root: Path, repos: int, renders: list[Path], env: dict[str, str]) -> list[Path]:
    """``repos`` clones under ``root/clones``, each with a bare origin in ``root/remotes``."""
    clones, remotes = root / "clones", root / "remotes"
    shutil.rmtree(clones, ignore_errors=True)
    shutil.rmtree(remotes, ignore_errors=True)
    clones.mkdir(parents=True)
    remotes.mkdir(parents=True)
    started = time.perf_counter()
    made = []
    for index in range(repos):
        clone = clones / f"repo-{index:03d}"
        shutil.copytree(renders[index % len(renders)], clone, symlinks=True)
        if index % 3 == 1:
            readme = clone / "README.md"
            readme.write_text(readme.read_text() + "\nTeam notes: deployed by hand.\n")
            git(clone, env, "commit", "-qam", "Team notes")
        remote = remotes / f"repo-{index:03d}.git"
        git(remotes, env, "init", "-q", "--bare", "-b", "main", str(remote))
        git(clone, env, "remote", "add", "origin", str(remote))
        git(clone, env, "push", "-q", "-u", "origin", "main")
        git(clone, env, "remote", "set-head", "origin", "main")
        made.append(clone)
    print(f"built {repos} repositories in {time.perf_counter() - started:.1f} s", flush=True)
    return made


def reset(root: Path, clones: list[Path], env: dict[str, str]) -> None:
    """Clones back to main, pushed update branches deleted, the cache emptied."""
    for clone in clones:
        git(clone, env, "reset", "-q", "--hard", "main")
        git(clone, env, "clean", "-qfdx")
    for remote in (root / "remotes").iterdir():
        branches = git(remote, env, "for-each-ref", "--format=%(refname)", "refs/heads/goldenpath/")
        for ref in branches.split():
            git(remote, env, "update-ref", "-d", ref)
    shutil.rmtree(root / "cache", ignore_errors=True)
    shutil.rmtree(root / "tmp", ignore_errors=True)
    (root / "tmp").mkdir()


def baseline(clones: list[Path], target: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    for clone in clones:
        run([str(GOLDENPATH), "update", str(clone), "--to", target], env, ok=(0, 3))
    return time.perf_counter() - started


def fleet(root: Path, repos: int, target: str, jobs: int, env: dict[str, str]) -> float:
    command = [*FLEET, "fleet", "update", "--discover", str(root / "clones"), "--to", target]
    command += ["--jobs", str(jobs), "--push", "--json"]
    started = time.perf_counter()
    out = run(command, env, ok=(0, 3))
    seconds = time.perf_counter() - started
    counts = json.loads(out)["counts"]
    if counts["updated"] + counts["conflicts"] != repos:
        sys.exit(f"the fleet run did not update every repository: {counts}")
    return seconds


def describe(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.1f} s "
        f"(range {min(values):.1f}-{max(values):.1f} s over {len(values)} rounds)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repos", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--catalog", choices=("small", "builtin"), default="small")
    parser.add_argument("--keep", type=Path, help="build in (and keep) this folder")
    parser.add_argument("--check", action="store_true", help="exit 1 when the goal is missed")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-fleet-update-"))
    env = environment(root)
    base_times: list[float] = []
    fleet_times: list[float] = []
    ratios: list[float] = []
    try:
        renders, target = (small_renders if args.catalog == "small" else builtin_renders)(root, env)
        clones = build_fleet(root, args.repos, renders, env)
        print(f"catalog {args.catalog}: {len(renders)} renders, updating to {target}", flush=True)
        for index in range(args.rounds):
            reset(root, clones, env)
            if index % 2 == 0:
                base_times.append(baseline(clones, target, env))
                reset(root, clones, env)
                fleet_times.append(fleet(root, args.repos, target, args.jobs, env))
            else:
                fleet_times.append(fleet(root, args.repos, target, args.jobs, env))
                reset(root, clones, env)
                base_times.append(baseline(clones, target, env))
            ratios.append(fleet_times[-1] / base_times[-1])
            print(
                f"round {index + 1}: update one after another {base_times[-1]:.1f} s, "
                f"fleet update --jobs {args.jobs} {fleet_times[-1]:.1f} s, ratio {ratios[-1]:.2f}",
                flush=True,
            )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)

    ratio = statistics.median(ratios)
    print()
    print(f"goldenpath update, one after another: {describe(base_times)}")
    print(f"goldenpath fleet update --jobs {args.jobs}:    {describe(fleet_times)}")
    print(
        f"ratio: median {ratio:.2f} (range {min(ratios):.2f}-{max(ratios):.2f}); "
        f"goal <= {GOAL_RATIO}: {'met' if ratio <= GOAL_RATIO else 'MISSED'}"
    )
    if args.check and ratio > GOAL_RATIO:
        print("the goal was missed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
