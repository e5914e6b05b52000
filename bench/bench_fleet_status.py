"""Benchmark of ``goldenpath fleet status`` on a fleet of local repositories (not a test).

Builds a fleet of ``--repos`` (default 200) git repositories in a temporary folder: copies
of the builtin catalog's templates rendered once each at two catalog versions (the latest
and the one before), one in ten with an older ``goldenpath/update-to-*`` branch, one in
twenty a monorepo holding two projects, one in twenty not from the catalog. Then it times
the command as a user runs it, a new process each time, in rounds:

- without readiness: ``goldenpath fleet status --discover DIR --json`` (goal: <= 5 s for 200
  repositories);
- with readiness: the same with ``--readiness`` (goal: readiness adds <= 0.25 s per
  repository, i.e. (with - without) / repositories).

Each round runs both, one after the other, so that load from elsewhere on the machine hits
them alike; the median and the range over the rounds are printed, with the ratios to the
goals (<= 1.0 meets a goal). The first, untimed run warms the clone of the builtin catalog
and the file system cache. ``--check`` exits 1 when a median misses its goal.

    .venv/bin/python bench/bench_fleet_status.py [--repos 200] [--rounds 3] [--fleet DIR] [--check]

``--fleet DIR`` reuses (or, when empty, builds and keeps) a fleet in DIR; the builtin
catalog is installed under DIR/home, which is the HOME of every command run here.
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

GOAL_PLAIN_SECONDS = 5.0  # for 200 repositories
GOAL_READINESS_PER_REPO = 0.25
TEMPLATES = ("realtime-inference", "batch-inference", "training-pipeline")
GOLDENPATH = REPO / ".venv" / "bin" / "goldenpath"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@localhost",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@localhost",
}


def environment(root: Path) -> dict[str, str]:
    """A user of its own: HOME (where the builtin catalog is installed), no global config."""
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "GOLDENPATH_CATALOG"}
    return {
        **env,
        **GIT_IDENTITY,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "COLUMNS": "200",
    }


def git(repo: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout


def catalog_versions(env: dict[str, str]) -> list[str]:
    bundle = REPO / "src" / "goldenpath" / "_catalog" / "builtin.bundle"
    out = git(REPO, env, "ls-remote", "--tags", str(bundle))
    tags = [line.rpartition("refs/tags/v")[2] for line in out.splitlines() if "refs/tags/v" in line]
    return sorted(tags, key=lambda v: tuple(int(p) for p in v.split(".")))


def render_all(root: Path, env: dict[str, str]) -> dict[tuple[str, str], Path]:
    """Each template at the latest and the previous catalog version, rendered once."""
    versions = catalog_versions(env)[-2:]
    renders: dict[tuple[str, str], Path] = {}
    (root / "renders").mkdir(parents=True, exist_ok=True)
    for template in TEMPLATES:
        for version in versions:
            dest = root / "renders" / f"{template}-{version}"
            if not dest.exists():
                print(f"rendering {template} {version}", flush=True)
                done = subprocess.run(
                    [str(GOLDENPATH), "new", template, str(dest), "--defaults",
                     "--version", version],
                    env=env, check=False, capture_output=True, text=True,
                )  # fmt: skip
                if done.returncode:
                    sys.exit(f"rendering {template} {version} failed: {done.stderr.strip()}")
            renders[(template, version)] = dest
    return renders


def build_fleet(root: Path, repos: int, env: dict[str, str]) -> Path:
    """``repos`` repositories under ``root/fleet`` (see the module docstring)."""
    fleet = root / "fleet"
    if fleet.is_dir() and len(list(fleet.iterdir())) >= repos:
        return fleet
    shutil.rmtree(fleet, ignore_errors=True)
    renders = render_all(root, env)
    keys = sorted(renders)
    fleet.mkdir(parents=True)
    started = time.perf_counter()
    for index in range(repos):
        dest = fleet / f"repo-{index:04d}"
        if index % 20 == 19:  # not from the catalog: a hand-written library
            dest.mkdir()
            (dest / "README.md").write_text("# a library\n", encoding="utf-8")
            (dest / "lib.py").write_text("VALUE = 1\n", encoding="utf-8")
            git(dest, env, "init", "-q", "-b", "main")
            git(dest, env, "add", "-A")
            git(dest, env, "commit", "-q", "-m", "initial")
            continue
        key = keys[index % len(keys)]
        if index % 20 == 9:  # a monorepo: two projects in sub-folders
            dest.mkdir()
            for sub, other in (("service", key), ("job", keys[(index + 1) % len(keys)])):
                shutil.copytree(renders[other], dest / sub, ignore=shutil.ignore_patterns(".git"))
            git(dest, env, "init", "-q", "-b", "main")
            git(dest, env, "add", "-A")
            git(dest, env, "commit", "-q", "-m", "initial")
            continue
        shutil.copytree(renders[key], dest, symlinks=True)
        if index % 10 == 3:  # an older update branch, one commit ahead of main
            git(dest, env, "checkout", "-q", "-b", "goldenpath/update-to-v0.0.1")
            git(dest, env, "commit", "-q", "--allow-empty", "-m", "update")
            git(dest, env, "checkout", "-q", "main")
    print(f"built {repos} repositories in {time.perf_counter() - started:.1f} s", flush=True)
    return fleet


def timed(command: list[str], env: dict[str, str]) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 3):
        sys.exit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, json.loads(done.stdout)


def describe(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.2f} s "
        f"(range {min(values):.2f}-{max(values):.2f} s over {len(values)} rounds)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fleet", type=Path, help="build (or reuse) the fleet in this folder")
    parser.add_argument("--jobs", type=int, help="passed to fleet status --jobs")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()

    root = args.fleet or Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    env = environment(root)
    try:
        fleet = build_fleet(root, args.repos, env)
        command = [str(GOLDENPATH), "fleet", "status", "--discover", str(fleet), "--json"]
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        _, data = timed([*command, "--readiness"], env)  # warm-up, untimed
        totals = data["totals"]
        assert isinstance(totals, dict)
        print(
            f"fleet: {totals['repositories']} repositories, {totals['projects']} generated "
            f"projects, {totals['not_from_catalog']} not from the catalog, "
            f"{totals['open_update_branches']} with an update branch"
        )
        plain: list[float] = []
        ready: list[float] = []
        for round_ in range(args.rounds):
            seconds, _ = timed(command, env)
            plain.append(seconds)
            seconds, _ = timed([*command, "--readiness"], env)
            ready.append(seconds)
            print(f"round {round_ + 1}: without readiness {plain[-1]:.2f} s, "
                  f"with readiness {ready[-1]:.2f} s", flush=True)  # fmt: skip
    finally:
        if args.fleet is None:
            shutil.rmtree(root, ignore_errors=True)

    repos = args.repos
    goal_plain = GOAL_PLAIN_SECONDS * repos / 200
    plain_median = statistics.median(plain)
    per_repo = [(r - p) / repos for r, p in zip(ready, plain, strict=True)]
    per_repo_median = statistics.median(per_repo)
    print()
    print(
        f"without readiness: {describe(plain)}; {1000 * plain_median / repos:.1f} ms per repository"
    )
    print(f"with readiness:    {describe(ready)}")
    print(
        f"readiness adds:    median {1000 * per_repo_median:.1f} ms per repository "
        f"(range {1000 * min(per_repo):.1f}-{1000 * max(per_repo):.1f} ms)"
    )
    ratio_plain = plain_median / goal_plain
    ratio_ready = per_repo_median / GOAL_READINESS_PER_REPO
    print(f"goal without readiness <= {goal_plain:.1f} s: ratio {ratio_plain:.2f}")
    print(f"goal readiness <= {1000 * GOAL_READINESS_PER_REPO:.0f} ms per repository: "
          f"ratio {ratio_ready:.2f}")  # fmt: skip
    missed = ratio_plain > 1 or ratio_ready > 1
    if args.check and missed:
        print("a goal was missed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
