"""``goldenpath catalog generate``: write (or, with --check, verify) the copier files a
catalog derives from its template manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from goldenpath.catalog import generate as generate_service
from goldenpath.cli.common import JsonOpt, catalog_app, emit, err, out
from goldenpath.cli.common import run as _run


@catalog_app.command("generate")
def catalog_generate(
    source: Annotated[
        Path, typer.Argument(help="Catalog folder (holds <template>/template.yml).")
    ] = Path("templates"),
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 when a generated file is stale."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Generate copier.yml and _shared/generated/ from the template manifests and questions."""

    def action() -> int:
        result = generate_service.generate(source, write=not check)

        def report() -> None:
            if result.written:
                out.print(f"Wrote {', '.join(result.stale)} in {source}.", markup=False)
            elif result.stale:
                for name in result.stale:
                    err.print(f"stale: {source / name}", markup=False)
                err.print(f"hint: {generate_service.REGENERATE} {source}", markup=False)
            else:
                out.print(f"Generated files in {source} are up to date.", markup=False)

        return emit(result, as_json, report)

    _run(action)
