"""Shell completion: what TAB offers for arguments, and ``goldenpath completion SHELL``.

Typer completes commands and options itself; the functions here complete the values that
depend on data: template names, catalog versions, readiness check ids and levels. They read
the catalog the command line already names (``--catalog``, or the repository's recorded
one for ``update --to``) through :mod:`goldenpath.services.catalog_index`, which is offline
and side-effect free.

``goldenpath --install-completion`` (Typer's) detects the running shell and edits its
start-up file; ``goldenpath completion bash|zsh|fish`` prints the script for a shell named
explicitly, for dotfiles, images and shells that detection gets wrong.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

# The scripts Typer's --show-completion prints; Typer exposes them under this name only.
from typer._completion_shared import get_completion_script

from goldenpath.cli.common import app
from goldenpath.readiness import registry
from goldenpath.readiness.model import Level
from goldenpath.services import catalog_index
from goldenpath.versions import Gap

PROG_NAME = "goldenpath"
COMPLETE_VAR = "_GOLDENPATH_COMPLETE"  # what Typer derives from the program name

Choice = tuple[str, str]


# Typer wraps a long help text onto a second line, which breaks zsh's completion list;
# a short one also reads better beside the value.
_HELP_WIDTH = 60


def _short(text: str) -> str:
    if len(text) <= _HELP_WIDTH:
        return text
    return text[: _HELP_WIDTH - 3].rsplit(" ", 1)[0].rstrip(",;:") + "..."


def _matching(choices: list[Choice], incomplete: str) -> list[Choice]:
    return [(value, _short(text)) for value, text in choices if value.startswith(incomplete)]


def template_names(ctx: typer.Context, incomplete: str) -> list[Choice]:
    """Templates of the catalog ``new`` would use, with their descriptions."""
    return _matching(catalog_index.templates(ctx.params.get("catalog")), incomplete)


def new_versions(ctx: typer.Context, incomplete: str) -> list[Choice]:
    """Released versions of the catalog ``new`` would use, newest first."""
    found = catalog_index.versions(ctx.params.get("catalog"))
    return _matching([(v, "latest" if i == 0 else "") for i, v in enumerate(found)], incomplete)


def update_versions(ctx: typer.Context, incomplete: str) -> list[Choice]:
    """Versions the repository being updated can move to, newest first."""
    # While the option being completed has no value yet, click stops parsing before it
    # assigns positional arguments, so a PATH typed before it is still in ctx.args.
    typed = [arg for arg in ctx.args if not arg.startswith("-")]
    repo = Path(typed[0]) if typed else Path(ctx.params.get("path") or ".")
    found = catalog_index.update_targets(repo)
    return _matching([(v, "latest" if i == 0 else "") for i, v in enumerate(found)], incomplete)


def check_ids(ctx: typer.Context, incomplete: str) -> list[Choice]:
    """Readiness check ids (builtin and installed packs), minus those already given."""
    given = set(ctx.params.get("only") or ())
    try:
        checks = registry.all_checks()
    except Exception:  # a broken pack is reported when the command runs, not on TAB
        return []
    choices = [(c.id, c.title) for c in checks if c.id not in given]
    return _matching(choices, incomplete)


_LEVEL_HELP = {
    Level.BRONZE: "basics every service has",
    Level.SILVER: "operable in production",
    Level.GOLD: "fully owned and reproducible",
}


def levels(incomplete: str) -> list[Choice]:
    """The readiness levels ``--fail-under`` accepts."""
    return _matching([(level.label, text) for level, text in _LEVEL_HELP.items()], incomplete)


def gaps(incomplete: str) -> list[Choice]:
    """The version gaps ``check --fail-on`` accepts, largest first."""
    choices = [(gap.name.lower(), "") for gap in sorted(Gap, reverse=True) if gap is not Gap.NONE]
    return _matching(choices, incomplete)


class Shell(enum.StrEnum):
    """Shells goldenpath prints a completion script for."""

    BASH = "bash"
    ZSH = "zsh"
    FISH = "fish"


def script(shell: Shell) -> str:
    """The completion script for ``shell``: it calls ``goldenpath`` back on every TAB."""
    return get_completion_script(prog_name=PROG_NAME, complete_var=COMPLETE_VAR, shell=shell)


def completion(
    shell: Annotated[
        Shell, typer.Argument(help="bash, zsh or fish.", metavar="SHELL", case_sensitive=False)
    ],
) -> None:
    """Print the shell completion script for SHELL.

    --install-completion finds out which shell runs goldenpath and installs its script;
    this prints the script of the shell you name, to load it yourself:

    \b
      bash  eval "$(goldenpath completion bash)"   in ~/.bashrc
      zsh   eval "$(goldenpath completion zsh)"    in ~/.zshrc, after compinit
      fish  goldenpath completion fish > ~/.config/fish/completions/goldenpath.fish
    """
    typer.echo(script(shell))  # as is: no markup or emoji codes


def register() -> None:
    """Add ``goldenpath completion`` (called last, so it is listed after the main commands)."""
    app.command("completion")(completion)
