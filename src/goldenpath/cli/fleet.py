"""``goldenpath fleet ...``: status and bulk updates across an organisation's repositories."""

from __future__ import annotations

import typer

from goldenpath.cli.common import app

fleet_app = typer.Typer(
    no_args_is_help=True, help="See and move every repository generated from the catalog."
)
app.add_typer(fleet_app, name="fleet")
