"""The ``goldenpath`` command: parse arguments, call one service, render its result.

``common`` holds the apps and error handling; each other module adds its commands to
them when imported, so a capability's commands live next to each other.
"""

from __future__ import annotations

from goldenpath.cli import catalog_generate as _catalog_generate  # noqa: F401
from goldenpath.cli import catalog_upgrades as _catalog_upgrades  # noqa: F401
from goldenpath.cli import commands as _commands  # noqa: F401 - registers the commands
from goldenpath.cli import completion as _completion
from goldenpath.cli import fleet as _fleet  # noqa: F401
from goldenpath.cli import fleet_update as _fleet_update  # noqa: F401
from goldenpath.cli import readiness as _readiness  # noqa: F401
from goldenpath.cli.common import app

_completion.register()

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
