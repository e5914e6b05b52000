"""``goldenpath fleet update``: every repository of the fleet to a newer catalog version, as
reviewable branches; progress as a bar on a terminal, as plain lines in CI and pipes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from goldenpath.cli.common import JsonOpt, emit, err, json_errors, out, run
from goldenpath.cli.fleet import (
    FleetFileOpt,
    ForgeKindOpt,
    ForgeUrlOpt,
    TokenEnvOpt,
    fleet_app,
)
from goldenpath.config import load_settings
from goldenpath.errors import UsageError
from goldenpath.fleet import inventory
from goldenpath.fleet import update as fleet_update
from goldenpath.fleet.inventory import RepoEntry
from goldenpath.fleet.outcomes import FleetUpdateResult, Outcome, RepoResult

_HELP = """Update every repository of the fleet to a newer catalog version, one reviewable branch each.

Give the repositories with --fleet FILE or --discover DIR (the fleet file format is in
`goldenpath fleet status --help`). Default branches and your own clones are never touched:
each repository is cloned into the cache ($GOLDENPATH_CACHE/update, default
~/.cache/goldenpath/fleet/update) from its URL, or from the origin of a local clone, and
branch goldenpath/update-to-vX.Y.Z is made there from the default branch head. Each project
of the repository (a monorepo has several) is updated on that branch with `goldenpath
update`'s 3-way merge and committed with its template's changelog entries.

\b
Outcome per project:
  up_to_date     already at the target version
  updated        committed on the branch, merged cleanly
  conflicts      committed with conflict markers or .rej files (listed); the
                 branch is pushed, its request is a draft marked needs-resolution
  verify_failed  --verify failed on the branch (the output's tail is kept)
  failed         could not be updated (reason)
  skipped        left alone on purpose (reason: archived/pinned in the fleet file,
                 not from the catalog, newer than --to, a branch people push to)

--push pushes the branch (with a lease: a branch someone else changed is refused, not
overwritten); --open-pr (implies --push) opens or updates its GitHub pull request or GitLab
merge request through the REST API, token from $GITHUB_TOKEN / $GITLAB_TOKEN (or
--token-env). An older goldenpath/update-to-* branch is superseded: its request closed with
a comment linking the new one, the branch deleted unless people pushed commits to it.

--shard K/N runs the K-th of N deterministic parts of the fleet (a stable hash of each
repository's URL, or name for a local clone), for a CI matrix.

Exit codes: 0 every project up to date, updated or skipped; 3 any conflicts, verify_failed
or failed (listed at the end); 1 the run itself failed; 2 bad usage or a bad fleet file."""


def _entries(fleet_file: Path | None, discover: Path | None) -> list[RepoEntry]:
    hint = "see `goldenpath fleet update --help`"
    if fleet_file is not None and discover is not None:
        raise UsageError("give --fleet FILE or --discover DIR, not both", hint=hint)
    if fleet_file is not None:
        return inventory.load_fleet_file(fleet_file)
    if discover is not None:
        return inventory.discover(discover)
    raise UsageError("give --fleet FILE or --discover DIR", hint=hint)


# --- reporting ------------------------------------------------------------------------------

_DELIVERED = {Outcome.UPDATED, Outcome.CONFLICTS, Outcome.VERIFY_FAILED}


def repo_line(repo: RepoResult) -> str:
    """One line per repository: each project's outcome, then where the branch went."""
    parts: list[str] = []
    for project in repo.projects:
        text = str(project.outcome)
        if len(repo.projects) > 1 or project.path != ".":
            text = f"{project.path} {text}"
        if project.outcome in _DELIVERED and project.from_version:
            text += f" {project.from_version} -> {project.to_version}"
        if project.conflicts:
            text += f" ({', '.join(project.conflicts)})"
        if project.reason:
            text += f": {project.reason}"
        parts.append(text)
    line = f"{repo.name}: " + "; ".join(parts)
    if repo.branch and repo.commit:
        if repo.pushed:
            line += f" -> {repo.branch} pushed"
        elif repo.push_note:
            line += f" -> {repo.branch} ({repo.push_note})"
        else:
            line += f" -> {repo.branch} in {repo.clone}"
    if repo.pull_request:
        line += f", {repo.pull_request['action']} {repo.pull_request['url']}"
    for old in repo.superseded:
        what = "deleted" if old.deleted else old.note
        closed = f", closed {old.pull_request}" if old.pull_request else ""
        line += f"; superseded {old.branch} ({what}{closed})"
    if repo.error:
        line += f"; error: {repo.error['message']}"
    return line


def _print_summary(result: FleetUpdateResult) -> None:
    counts = ", ".join(f"{n} {outcome}" for outcome, n in result.counts().items())
    projects = sum(len(repo.projects) for repo in result.repositories)
    shard = f", shard {result.shard[0]}/{result.shard[1]} of {result.total}" if result.shard else ""
    out.print(
        f"{len(result.repositories)} repositories{shard}, {projects} projects: {counts} "
        f"({result.seconds:.1f} s, --jobs {result.jobs})",
        markup=False,
    )
    attention = result.needs_attention
    if attention:
        out.print(f"Needs attention ({len(attention)}):", markup=False)
        for repo in attention:
            out.print(f"  {repo_line(repo)}", markup=False)
            if repo.verify is not None and not repo.verify.passed:
                for line in repo.verify.tail.splitlines()[-10:]:
                    out.print(f"    | {line}", markup=False)


def _interactive(console: Console) -> bool:
    """A live bar only for a person at a terminal; CI logs get one line per repository."""
    return console.is_terminal and not os.environ.get("CI")


@contextmanager
def _progress(total: int, as_json: bool) -> Iterator[Callable[[RepoResult], None]]:
    console = err if as_json else out
    if _interactive(console):
        with Progress(
            TextColumn("fleet update"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("", total=total)

            def advance(repo: RepoResult) -> None:
                bar.update(task, advance=1, description=repo.name)
                mark = "!" if repo.needs_attention else " "
                bar.console.print(f"{mark} {repo_line(repo)}", markup=False)

            yield advance
        return
    done = 0

    def line(repo: RepoResult) -> None:
        nonlocal done
        done += 1
        console.print(f"[{done}/{total}] {repo_line(repo)}", markup=False)

    yield line


@fleet_app.command("update", help=_HELP)
def update(
    fleet_file: FleetFileOpt = None,
    discover: Annotated[
        Path | None, typer.Option("--discover", help="Folder of clones to update instead.")
    ] = None,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Target version X.Y.Z (default: each catalog's latest)."),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", min=1, help="Repositories updated at once (worker processes).")
    ] = 1,
    push: Annotated[bool, typer.Option("--push", help="Push each update branch.")] = False,
    open_pr: Annotated[
        bool,
        typer.Option("--open-pr", help="Open or update a pull/merge request (implies --push)."),
    ] = False,
    verify: Annotated[
        str | None, typer.Option("--verify", help="Command run on each branch, e.g. 'make test'.")
    ] = None,
    verify_timeout: Annotated[
        float, typer.Option("--verify-timeout", min=1, help="Seconds --verify may take.")
    ] = 3600.0,
    shard: Annotated[
        str | None, typer.Option("--shard", help="K/N: only the K-th of N parts of the fleet.")
    ] = None,
    forge_kind: ForgeKindOpt = None,
    forge_url: ForgeUrlOpt = None,
    token_env: TokenEnvOpt = None,
    as_json: JsonOpt = False,
) -> None:
    @json_errors(as_json)
    def action() -> int:
        options = fleet_update.UpdateOptions(
            to=to,
            push=push,
            open_pr=open_pr,
            verify=verify,
            verify_timeout=verify_timeout,
            jobs=jobs,
            shard=fleet_update.parse_shard(shard) if shard is not None else None,
            forge=fleet_update.ForgeOptions(
                kind=fleet_update.ForgeOptions.parse_kind(forge_kind),
                api_url=forge_url,
                token_env=token_env,
            ),
            settings=load_settings(),
        )
        entries = _entries(fleet_file, discover)
        total = len(fleet_update.select_shard(entries, options.shard))
        with _progress(total, as_json) as report:
            result = fleet_update.update_fleet(entries, options, on_result=report)
        return emit(result, as_json, lambda: _print_summary(result))

    run(action)
