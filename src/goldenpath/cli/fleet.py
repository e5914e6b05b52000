"""``goldenpath fleet ...``: status and bulk updates across an organisation's repositories."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from goldenpath.cli.common import JsonOpt, app, emit, err, json_errors, out, run
from goldenpath.errors import UsageError
from goldenpath.fleet import inventory, kpis, report
from goldenpath.fleet import status as fleet_status
from goldenpath.fleet.inventory import RepoEntry
from goldenpath.fleet.status import FailOn, FleetStatus, ProjectStatus
from goldenpath.fleet.update import ForgeOptions
from goldenpath.versions import Gap

# Options both fleet commands take, declared once so they read and behave alike.
FleetFileOpt = Annotated[
    Path | None, typer.Option("--fleet", help="Fleet file (YAML) listing the repositories.")
]
ForgeKindOpt = Annotated[
    str | None,
    typer.Option("--forge", help="github or gitlab (default: from the remote's host)."),
]
ForgeUrlOpt = Annotated[
    str | None,
    typer.Option("--forge-url", help="API base URL (GitHub Enterprise, self-hosted GitLab)."),
]
TokenEnvOpt = Annotated[
    str | None, typer.Option("--token-env", help="Environment variable holding the API token.")
]

fleet_app = typer.Typer(
    no_args_is_help=True, help="See and move every repository generated from the catalog."
)
app.add_typer(fleet_app, name="fleet")


_STATUS_HELP = """Where every repository of the fleet stands: catalog versions, readiness, update branches.

Give the repositories with --fleet FILE or --discover DIR. A fleet file is YAML:

\b
  defaults: {owner: team-ml}          # optional
  repositories:
    - url: https://git.example.org/ml/churn.git
      tier: 1                         # optional overrides: owner, tier, labels
    - path: ../clones/fraud-api       # relative to the file
    - url: git@git.example.org:ml/legacy.git
      skip: archived                  # listed, never read

--discover DIR reads every git work tree directly under DIR and one level deeper. URL
entries are cloned into a cache ($GOLDENPATH_CACHE, default ~/.cache/goldenpath/fleet) and
fetched on later runs; local clones are only read, never fetched.

Every .copier-answers*.yml is a project (a monorepo has several); a repository without one is
listed as not from the catalog and lowers the adoption rate.

--forge-prs also asks each repository's forge (GitHub or GitLab, told from the remote's
host, or --forge and --forge-url as for `fleet update`) for its open pull/merge requests
from goldenpath/update-to-* branches: one list call per repository, token from
$GITHUB_TOKEN / $GITLAB_TOKEN (or --token-env). Each update branch then shows its request's
number, state (open or draft) and the needs-resolution label. Repositories whose remote is
a local path are not looked up; a forge that cannot be asked is a note on the repository's
rows and counts as needing attention. Without --forge-prs no forge is asked.

--fail-on (repeatable) decides what else makes the run exit 3: major, minor or patch: a
project behind its catalog's latest version by at least that much (the smallest given
wins); readiness: a project below the readiness level its tier requires (implies
--readiness).

Exit codes: 0 nothing needs attention; 3 a repository or project could not be read (listed
as errors) or one matched --fail-on; 1 the run itself failed (e.g. the --html file cannot be
written); 2 bad usage or a bad fleet file."""


_SHOWN_CHECKS = 3  # failing checks named per row; --json and --html have all of them


def _gap_text(project: ProjectStatus) -> str:
    if project.version is None or project.latest is None:
        return ""
    if project.gap is Gap.NONE:
        return f"{project.current} (latest)"
    return f"{project.current} -> {project.latest}"


def _notes(project: ProjectStatus) -> str:
    notes: list[str] = []
    if project.releases_behind:
        notes.append(f"{project.releases_behind} behind")
    if project.major_between:
        notes.append("MAJOR")
    if project.action_needed:
        notes.append("action needed: " + ", ".join(project.action_needed))
    if project.forge_error is not None:
        notes.append(f"pull requests not listed: {project.forge_error.message}")
    return "; ".join(notes)


def _readiness_text(project: ProjectStatus) -> str:
    report = project.readiness
    if report is None:
        return ""
    if report.error is not None:
        return "error"
    mark = "" if report.meets else f" < {report.required.label}"
    failing = project.failing_checks
    more = ", ..." if len(failing) > _SHOWN_CHECKS else ""
    shown = f" ({', '.join(failing[:_SHOWN_CHECKS])}{more})" if failing else ""
    return f"{report.level.label}{mark}{shown}"


def _branch_text(project: ProjectStatus) -> str:
    """``goldenpath/update-to-v2.1.1 (pushed, #12 draft, needs-resolution)``; merged
    branches are history unless a request is still open for them."""
    return ", ".join(
        f"{b.name} ({b.state}, {fleet_status.request_text(b.request)})"
        if b.request is not None
        else f"{b.name} ({b.state})"
        for b in project.update_branches
        if not b.merged or b.request is not None
    )


def _print_status(result: FleetStatus, fail_on: FailOn) -> None:
    table = Table(show_edge=False, pad_edge=False, box=None)
    for column in ("repository", "project", "template", "version"):
        table.add_column(column, no_wrap=True)  # names and versions must stay greppable
    table.add_column("notes", min_width=24)  # "4 behind; MAJOR; action needed: 2.0.0"
    table.add_column("tier", no_wrap=True)
    if result.readiness:
        table.add_column("readiness", min_width=20)  # "bronze < silver (slo-defined, ...)"
    # folded, not cut: a branch name and "needs-resolution" must stay whole at any width
    table.add_column("update branch", min_width=14, overflow="fold")
    for repo in result.repositories:
        if repo.outcome in ("skipped", "error"):
            text = f"skipped: {repo.entry.skip}" if repo.entry.skip else "error"
            cells = [repo.entry.name, "", "", text, "", ""]
            table.add_row(*cells, *([""] if result.readiness else []), "")
            continue
        for project in repo.projects:
            if project.outcome == "error":
                version = "error"
            elif not project.generated:
                version = "not from the catalog"
            else:
                version = _gap_text(project)
            cells = [
                project.repository,
                project.path,
                project.template or "",
                version,
                _notes(project),
                str(project.tier) if project.tier else "?",
            ]
            if result.readiness:
                cells.append(_readiness_text(project))
            table.add_row(*(escape(c) for c in [*cells, _branch_text(project)]))
    out.print(table)
    _print_totals(result, fail_on)


def _print_totals(result: FleetStatus, fail_on: FailOn) -> None:
    totals = kpis.totals(result)
    out.print()
    out.print(
        f"Adoption rate: {totals.adoption.numerator} of {totals.adoption.denominator} "
        f"repositories ({totals.adoption.percent})"
        + (f"; {totals.unreadable} unreadable" if totals.unreadable else "")
        + (f"; {totals.skipped} skipped" if totals.skipped else ""),
        markup=False,
    )
    behind = ", ".join(f"{count} {gap}" for gap, count in totals.behind.items() if count)
    out.print(
        f"Projects: {totals.projects}; {totals.current} current; behind: {behind or 'none'}; "
        f"{totals.action_needed} with action-needed notes; {totals.project_errors} with errors",
        markup=False,
    )
    if totals.readiness_assessed:
        for key, ratio in totals.readiness_compliance.items():
            drift = totals.drift_coverage.get(key)
            drift_text = (
                f"; drift monitoring {drift.numerator} of {drift.denominator} ({drift.percent})"
                if drift is not None and drift.denominator
                else ""
            )
            out.print(
                f"Tier {key}: readiness compliance {ratio.numerator} of {ratio.denominator} "
                f"({ratio.percent}){drift_text}",
                markup=False,
            )
    attention = result.attention(fail_on)
    if attention:
        out.print()
        out.print(f"Needs attention ({len(attention)}):", markup=False)
        for where, reason in attention:
            out.print(f"  {where}: {reason}", markup=False)


@contextmanager
def _progress(total: int) -> Iterator[Callable[[str], None] | None]:
    """A transient bar on stderr for a person at a terminal (reading hundreds of
    repositories, some over the network, takes a while); nothing in CI or a pipe, where
    the table at the end is the whole output."""
    if not err.is_terminal or os.environ.get("CI"):
        yield None
        return
    with Progress(
        TextColumn("fleet status"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=total)
        yield lambda name: bar.update(task, advance=1, description=name)


def _entries(fleet_file: Path | None, discover: Path | None) -> list[RepoEntry]:
    hint = "see `goldenpath fleet status --help`"
    if fleet_file is not None and discover is not None:
        raise UsageError("give --fleet FILE or --discover DIR, not both", hint=hint)
    if fleet_file is not None:
        return inventory.load_fleet_file(fleet_file)
    if discover is not None:
        return inventory.discover(discover)
    raise UsageError("give --fleet FILE or --discover DIR", hint=hint)


def _forge_options(
    forge_prs: bool, kind: str | None, api_url: str | None, token_env: str | None
) -> ForgeOptions | None:
    """The forge to ask with --forge-prs (None without it; its options alone are a mistake:
    they would silently do nothing)."""
    if not forge_prs:
        given = [
            name
            for name, value in (
                ("--forge", kind),
                ("--forge-url", api_url),
                ("--token-env", token_env),
            )
            if value is not None
        ]
        if given:
            verb = "applies" if len(given) == 1 else "apply"
            raise UsageError(f"{', '.join(given)} only {verb} with --forge-prs")
        return None
    chosen = ForgeOptions.parse_kind(kind)
    return ForgeOptions(kind=chosen, api_url=api_url, token_env=token_env)


@fleet_app.command("status", help=_STATUS_HELP)
def status(
    fleet_file: FleetFileOpt = None,
    discover: Annotated[
        Path | None,
        typer.Option("--discover", help="Folder of clones to read instead of a fleet file."),
    ] = None,
    readiness: Annotated[
        bool,
        typer.Option("--readiness", help="Also score every project with `goldenpath readiness`."),
    ] = False,
    fail_on: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-on", help="major, minor, patch or readiness (repeatable): what else exits 3."
        ),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Also write a self-contained HTML report to this file."),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", min=1, help="Repositories read at once (default: 2 per core, at most 8)."
        ),
    ] = None,
    forge_prs: Annotated[
        bool,
        typer.Option(
            "--forge-prs",
            help="Also list the open pull/merge requests of the update branches "
            "(GitHub/GitLab API, one call per repository).",
        ),
    ] = False,
    forge_kind: ForgeKindOpt = None,
    forge_url: ForgeUrlOpt = None,
    token_env: TokenEnvOpt = None,
    as_json: JsonOpt = False,
) -> None:
    @json_errors(as_json)
    def action() -> int:
        try:
            policy = FailOn.parse(fail_on or [])
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        requests = _forge_options(forge_prs, forge_kind, forge_url, token_env)
        if requests is not None:
            fleet_status.check_forge_token(requests)  # before the fleet file is even read
        entries = _entries(fleet_file, discover)
        with _progress(len(entries)) as advance:
            result = fleet_status.status(
                entries,
                readiness=readiness or policy.readiness,
                jobs=jobs,
                progress=advance,
                forge_prs=requests,
                fail_on=policy,
            )
        if html is not None:
            report.write(html, result, policy)

        def summary() -> None:
            _print_status(result, policy)
            if html is not None:
                out.print(f"Report written to {html}", markup=False)

        return emit(result, as_json, summary, extra={"html": str(html) if html else None})

    run(action)
