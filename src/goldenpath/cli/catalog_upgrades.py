"""``goldenpath catalog test-upgrades``: update renders of released versions to the working
tree's catalog, with typical team edits in them, and report every cell."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from goldenpath.catalog.upgrades import service
from goldenpath.cli.common import JsonOpt, catalog_app, emit, err, json_errors, out
from goldenpath.cli.common import run as _run


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def _progress(cell: service.Cell) -> None:
    failure = cell.first_failure
    what = f"{cell.outcome}" + (f" ({failure.name})" if failure else "")
    err.print(
        f"  {what:<24} {cell.from_version} -> {cell.to_version}  {cell.case}  {cell.seconds:.0f} s",
        markup=False,
    )


def _print(result: service.UpgradeResult) -> None:
    out.print(
        f"Upgrades to {result.target} ({result.source}) from {', '.join(result.from_versions)} "
        f"of {result.catalog}",
        markup=False,
    )
    for note in result.notes:
        out.print(f"note: {note}", markup=False)
    rows = [("from", "to", "template", "preset", "outcome", "time", "first failing check")]
    for cell in result.cells:
        failure = cell.first_failure
        rows.append(
            (
                cell.from_version,
                cell.to_version,
                cell.template,
                cell.preset,
                cell.outcome,
                f"{cell.seconds:.0f} s",
                f"{failure.name}: {_first_line(failure.detail)}" if failure else "",
            )
        )
    # Plain columns rather than a boxed table: CI logs and narrow terminals keep them whole.
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [value.ljust(width) for value, width in zip(row, widths, strict=False)]
        out.print("  ".join([*cells, row[-1]]).rstrip(), markup=False)
    for cell in result.cells:
        failure = cell.first_failure
        # The table shows a detail's first line; a tool's output follows here in full.
        if failure is not None and "\n" in failure.detail.strip():
            out.print(f"{cell.from_version} -> {cell.to_version} {cell.case}:", markup=False)
            out.print(f"  {failure.name}: {failure.detail}", markup=False)
        for note in cell.notes:
            out.print(f"note: {cell.from_version} {cell.case}: {note}", markup=False)
    out.print(
        f"{result.count(service.PASSED)} passed, {result.count(service.FAILED)} failed, "
        f"{result.count(service.SKIPPED)} skipped in {result.seconds:.0f} s",
        markup=False,
    )


@catalog_app.command("test-upgrades")
def catalog_test_upgrades(
    source: Annotated[
        Path, typer.Argument(help="Catalog folder of the working tree; its VERSION is the target.")
    ] = Path("templates"),
    from_version: Annotated[
        str | None,
        typer.Option("--from", help="Oldest release to update from (default: the last two)."),
    ] = None,
    preset: Annotated[
        list[str] | None, typer.Option("--preset", help="Only this answer preset (repeatable).")
    ] = None,
    template: Annotated[
        list[str] | None, typer.Option("--template", help="Only this template (repeatable).")
    ] = None,
    catalog: Annotated[
        str | None,
        typer.Option(
            "--catalog", help="Released versions from (git URL, path or bundle; default: builtin)."
        ),
    ] = None,
    python: Annotated[
        Path | None,
        typer.Option(
            "--python", help="Interpreter with the projects' dependencies (default: make setup)."
        ),
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", help="Cells run in parallel processes.")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Update renders of released versions to the working tree, with typical user edits.

    One cell per released version, template and answer preset: render the old version,
    edit it like a team would (a function added, an alert threshold changed, an optional
    file deleted), update, then check for conflicts, kept edits, migrations, the recorded
    version, and the project's own lint and tests. Exit 0 when every cell passed, 3 when
    one failed, 1 on an error.
    """

    @json_errors(as_json)
    def action() -> int:
        request = service.UpgradeRequest(
            source=source,
            catalog=catalog,
            from_version=from_version,
            templates=tuple(template or ()),
            presets=tuple(preset or ()),
            python=python,
            jobs=jobs,
        )
        result = service.run(request, on_cell=None if as_json else _progress)
        return emit(result, as_json, lambda: _print(result))

    _run(action)
