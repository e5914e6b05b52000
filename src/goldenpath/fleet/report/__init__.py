"""The fleet status as ONE self-contained HTML file a platform engineer can put on a wiki.

Everything is inline: the style sheet, the sorting/filtering script and the charts (SVG
drawn in Python, see ``charts``). A Content-Security-Policy in the page forbids every
network request, so the file shows the same offline, behind a proxy or years later, and
can never leak the fleet's names to a CDN. Every text that comes from a repository or a
forge (names, paths, error messages, check titles, request titles and URLs) is HTML-escaped:
their content is not markup; a request URL is a link only when it is http(s).
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from html import escape
from importlib import resources
from pathlib import Path

from goldenpath import __version__
from goldenpath.adapters.forge import ChangeRequest
from goldenpath.errors import GoldenpathError
from goldenpath.fleet import kpis
from goldenpath.fleet.kpis import Kpi, Ratio, Totals
from goldenpath.fleet.report import charts
from goldenpath.fleet.status import (
    FailOn,
    FleetStatus,
    ProjectStatus,
    RepoStatus,
    UpdateBranch,
    request_text,
)
from goldenpath.readiness.model import Level
from goldenpath.versions import Gap, Version

_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)
COLUMNS = (
    ("repository", "Repository", "text"),
    ("project", "Project", "text"),
    ("template", "Template", "text"),
    ("version", "Version", "version"),
    ("latest", "Latest", "version"),
    ("behind", "Releases behind", "number"),
    ("notes", "Notes", "text"),
    ("tier", "Tier", "number"),
    ("readiness", "Readiness", "number"),
    ("failing", "Failing checks", "text"),
    ("branch", "Update branch", "text"),
    ("outcome", "Outcome", "text"),
)


def _asset(name: str) -> str:
    return (resources.files(__package__) / name).read_text(encoding="utf-8")


def _version_key(text: str | None) -> str:
    """Sorts versions numerically as text (``0002.0010.0001``); empty sorts first."""
    version = Version.maybe(text or "")
    if version is None:
        return ""
    return f"{version.major:04d}.{version.minor:04d}.{version.patch:04d}"


def _cell(value: str, sort: str | None = None, cls: str = "") -> str:
    attrs = f' data-sort="{escape(sort)}"' if sort is not None else ""
    attrs += f' class="{cls}"' if cls else ""
    return f"<td{attrs}>{escape(value)}</td>"


def _tile(kpi: Kpi) -> str:
    ratio = kpi.ratio
    value = ratio.percent if ratio is not None and ratio.value is not None else "-"
    if ratio is None:
        detail = "not measured in this run"
    else:
        detail = f"{ratio.numerator} of {ratio.denominator}"
    verdict = {
        "on-target": "on target",
        "below": "below target",
        "above": "above target",
        "not-measured": "not measured",
    }[kpi.verdict]
    return (
        f'<div class="tile kpi {escape(kpi.verdict)}" data-kpi="{escape(kpi.key)}">'
        f'<h3>{escape(kpi.title)}</h3><p class="value">{escape(value)}</p>'
        f'<p class="detail">{escape(detail)}</p>'
        f'<p class="target">target {escape(kpi.target)}: <strong>{escape(verdict)}</strong></p>'
        "</div>"
    )


def _small_tile(title: str, value: int, cls: str = "") -> str:
    return (
        f'<div class="tile small {cls}"><h3>{escape(title)}</h3><p class="value">{value}</p></div>'
    )


def _tiles(totals: Totals) -> str:
    behind = totals.behind
    small = [
        _small_tile("Repositories", totals.repositories),
        _small_tile("Generated projects", totals.projects),
        _small_tile("Current", totals.current),
        _small_tile("Behind a major version", behind["major"], "warn" if behind["major"] else ""),
        _small_tile("With action-needed notes", totals.action_needed),
        _small_tile("Open update branches", totals.open_update_branches),
        _small_tile(
            "Errors",
            totals.project_errors + totals.unreadable,
            "bad" if totals.project_errors + totals.unreadable else "",
        ),
    ]
    big = "".join(_tile(k) for k in totals.kpis())
    return (
        f'<section class="tiles">{big}</section><section class="tiles">{"".join(small)}</section>'
    )


def _notes(project: ProjectStatus) -> str:
    notes = []
    if project.major_between:
        notes.append("major version")
    if project.action_needed:
        notes.append("action needed in " + ", ".join(project.action_needed))
    if project.forge_error is not None:
        notes.append(f"pull requests not listed: {project.forge_error.message}")
    return "; ".join(notes)


def _request(request: ChangeRequest) -> str:
    """``#12 draft, needs-resolution`` with the number linking to the request; a URL that
    is not http(s) (``javascript:``...) stays text: the forge's answer is not trusted."""
    text = escape(request_text(request))
    if not request.url.lower().startswith(("https://", "http://")):
        return text
    number = f"#{request.number}"
    rest = text.removeprefix(escape(number))
    return (
        f'<a href="{escape(request.url)}" title="{escape(request.title)}">'
        f"{escape(number)}</a>{rest}"
    )


def _branches(branches: list[UpdateBranch]) -> str:
    """The update-branch cell: each branch, its state and its open request."""
    parts = []
    for branch in branches:
        state = escape(branch.state)
        if branch.request is not None:
            state += f", {_request(branch.request)}"
        parts.append(f"{escape(branch.name)} ({state})")
    return f"<td>{', '.join(parts)}</td>"


def _outcome(project: ProjectStatus) -> tuple[str, str]:
    """(text, outcome key) for a project row."""
    if project.error is not None:
        return f"error: {project.error.message}", "error"
    if not project.generated:
        return "not from the catalog", "not-from-catalog"
    if project.gap is Gap.NONE:
        return "current", "current"
    return f"behind ({project.gap.name.lower()})", "behind"


def _project_row(project: ProjectStatus, colours: dict[str, str]) -> str:
    report = project.readiness
    if report is None:
        level_text, level_sort, failing = "not assessed", "-1", ""
    elif report.error is not None:
        level_text, level_sort, failing = f"error: {report.error.message}", "-1", ""
    else:
        level_text = report.level.label
        if not report.meets:
            level_text += f" (needs {report.required.label})"
        level_sort = str(int(report.level))
        failing = ", ".join(
            f'<span title="{escape(r.check.title)}">{escape(r.check.id)}</span>'
            for r in report.failing()
        )
    outcome, key = _outcome(project)
    template = project.template or ""
    swatch = ""
    if template in colours:
        swatch = f'<span class="swatch" style="background:{colours[template]}"></span>'
    cells = [
        _cell(project.repository),
        _cell(project.path),
        f'<td data-sort="{escape(template)}">{swatch}{escape(template)}</td>',
        _cell(project.current or "", _version_key(project.current)),
        _cell(project.latest or "", _version_key(project.latest)),
        _cell(
            "" if project.releases_behind is None else str(project.releases_behind),
            str(project.releases_behind if project.releases_behind is not None else -1),
        ),
        _cell(_notes(project), cls="notes" if project.action_needed or project.forge_error else ""),
        _cell(str(project.tier) if project.tier else "?", str(project.tier or 9)),
        _cell(
            level_text,
            level_sort,
            "level-" + (report.level.label if report and not report.error else "none"),
        ),
        f'<td class="failing">{failing}</td>',  # already escaped: ids with their titles
        _branches(project.update_branches),
        _cell(outcome, cls=f"outcome {key}"),
    ]
    return f'<tr data-outcome="{key}">{"".join(cells)}</tr>'


def _repo_row(repo: RepoStatus) -> str:
    if repo.entry.skip:
        text, key = f"skipped: {repo.entry.skip}", "skipped"
    else:
        message = repo.error.message if repo.error else "unreadable"
        text, key = f"unreadable: {message}", "error"
    cells = [_cell(repo.entry.name), _cell(repo.entry.source)]
    cells += [_cell("", "") for _ in range(len(COLUMNS) - 3)]
    cells.append(_cell(text, cls=f"outcome {key}"))
    return f'<tr data-outcome="{key}">{"".join(cells)}</tr>'


def _table(result: FleetStatus, colours: dict[str, str]) -> str:
    head = "".join(
        f'<th scope="col" data-key="{key}" data-type="{kind}" aria-sort="none" tabindex="0">'
        f"{escape(title)}</th>"
        for key, title, kind in COLUMNS
    )
    rows = []
    for repo in result.repositories:
        if repo.entry.skip or repo.error is not None:
            rows.append(_repo_row(repo))
        else:
            rows.extend(_project_row(p, colours) for p in repo.projects)
    options = "".join(
        f'<option value="{value}">{escape(label)}</option>'
        for value, label in (
            ("", "every outcome"),
            ("current", "current"),
            ("behind", "behind"),
            ("error", "errors"),
            ("not-from-catalog", "not from the catalog"),
            ("skipped", "skipped"),
        )
    )
    return (
        '<section class="projects"><h2>Projects</h2>'
        '<div class="controls"><label>Filter <input id="filter" type="search" '
        'placeholder="repository, template, check, error..." autocomplete="off"></label>'
        f'<label>Outcome <select id="outcome">{options}</select></label>'
        f'<span id="shown" aria-live="polite">{len(rows)} rows</span></div>'
        f'<table id="fleet"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        "</section>"
    )


def _ratio_cell(ratio: Ratio | None) -> str:
    if ratio is None or ratio.value is None:
        return "<td>-</td>"
    parts = f"({ratio.numerator} of {ratio.denominator})"
    return f"<td>{escape(ratio.percent)} <small>{parts}</small></td>"


def _tiers(totals: Totals) -> str:
    if not totals.readiness_assessed:
        return ""
    rows = []
    for key in kpis.TIER_KEYS:
        if key not in totals.readiness_compliance:
            continue
        rows.append(
            f'<tr><th scope="row">{escape("tier " + key)}</th>'
            f"{_ratio_cell(totals.readiness_compliance.get(key))}"
            f"{_ratio_cell(totals.drift_coverage.get(key))}</tr>"
        )
    return (
        '<section class="per-tier"><h2>Per tier</h2><table id="tiers"><thead><tr>'
        "<th>Tier</th><th>Readiness compliance</th><th>Drift-monitoring coverage</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


_DEFINITIONS = """<section class="definitions"><h2>How the figures are counted</h2><dl>
<dt>Adoption rate</dt><dd>Repositories holding at least one project generated from the catalog,
out of the repositories listed (skipped and unreadable ones left out). Target 60-80 %.</dd>
<dt>Readiness compliance</dt><dd>Projects of a tier whose readiness level reaches the level
the tier requires, out of those assessed; one that could not be assessed counts as not
compliant. Target for tier 1: 90 % or more.</dd>
<dt>Drift-monitoring coverage</dt><dd>Projects of a tier with a model (the drift-monitor check
applies) whose drift-monitor check passes. Target for tier 1: 80 % or more.</dd>
<dt>Update branch</dt><dd>goldenpath/update-to-* branches as git knows them{forge}:
local, pushed, or merged into the default branch.</dd></dl></section>"""
_FORGE_ASKED = (
    ", with the open pull/merge request the forge lists for each (number, open or draft, "
    "needs-resolution when labelled so)"
)
_FORGE_NOT_ASKED = " (no forge was asked)"


def render(result: FleetStatus, fail_on: FailOn | None = None, now: datetime | None = None) -> str:
    """The whole report as one HTML document."""
    totals = kpis.totals(result)
    colours = charts.template_colours(totals)
    latest = {c.label: str(c.latest) for c in result.catalogs if c.latest}
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    catalogs = ", ".join(f"{c.label} (latest {c.latest or '?'})" for c in result.catalogs)
    attention = result.attention(fail_on or FailOn())
    summary = f"{len(attention)} item(s) need attention" if attention else "nothing needs attention"
    levels = ", ".join(level.label for level in Level)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Fleet status - goldenpath</title>"
        f"<style>{_asset('report.css')}</style></head><body>"
        "<header><h1>Fleet status</h1>"
        f'<p class="meta">Generated {escape(stamp)} by goldenpath {escape(__version__)}; '
        f"catalogs: {escape(catalogs or 'none')}; {escape(summary)}.</p></header>"
        f"{_tiles(totals)}"
        '<section class="charts">'
        "<figure><figcaption>Version adoption</figcaption>"
        f"{charts.version_chart(totals, latest)}</figure>"
        f"<figure><figcaption>Readiness levels ({escape(levels)})</figcaption>"
        f"{charts.readiness_chart(totals)}</figure></section>"
        f"{_table(result, colours)}{_tiers(totals)}"
        f"{_DEFINITIONS.format(forge=_FORGE_ASKED if result.forge_prs else _FORGE_NOT_ASKED)}"
        f"<script>{_asset('report.js')}</script></body></html>\n"
    )


def write(path: Path, result: FleetStatus, fail_on: FailOn | None = None) -> None:
    """Write the report to ``path`` atomically (a reader never sees half a file)."""
    text = render(result, fail_on)
    temporary: Path | None = None
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        temporary = Path(name)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        temporary.chmod(0o644)  # mkstemp makes it private; a report is for reading
        temporary.replace(path)
    except OSError as exc:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise GoldenpathError(
            f"cannot write the report {path}: {exc.strerror or exc}",
            hint="choose a folder that exists and that you can write to",
        ) from exc
