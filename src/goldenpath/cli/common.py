"""What every command shares: the Typer apps, the consoles, and turning any exception
into one ``error:`` line with a documented exit code (0 ok, 1 error, 2 usage, 3 needs
attention: behind the catalog, conflicts left, or below the required readiness level).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from goldenpath.errors import AnswersError, GoldenpathError, as_goldenpath_error
from goldenpath.results import Result

app = typer.Typer(
    add_completion=True,  # --install-completion / --show-completion (see cli/completion.py)
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Render complete ML repositories from a versioned catalog and keep them up to date.",
)
catalog_app = typer.Typer(no_args_is_help=True, help="Release and verify the template catalog.")
app.add_typer(catalog_app, name="catalog")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
TrustOpt = Annotated[
    bool, typer.Option("--trust", help="Allow catalogs that run tasks or migrations.")
]


def fail(exc: GoldenpathError) -> NoReturn:
    """Print the error (and its hint) on stderr and exit with its code."""
    if isinstance(exc, AnswersError):  # one line per bad answer reads better than one long line
        err.print(
            f"error: {len(exc.problems)} invalid answer(s), nothing was written:", markup=False
        )
        for name, problem in exc.problems:
            err.print(f"  {name}: {problem}", markup=False)
    else:
        err.print(f"error: {exc.message}", markup=False)
    if exc.hint:
        err.print(f"hint: {exc.hint}", markup=False)
    raise typer.Exit(exc.exit_code)


def run(action: Callable[[], int]) -> None:
    """Run a command's action; ANY exception becomes one ``error:`` line, never a traceback."""
    try:
        code = action()
    except (typer.Exit, SystemExit):
        raise
    except BaseException as exc:  # Ctrl-C and unexpected errors included
        fail(as_goldenpath_error(exc))
    raise typer.Exit(code)


def json_errors(as_json: bool) -> Callable[[Callable[[], int]], Callable[[], int]]:
    """With ``--json``, a failure is JSON on stdout too (``{"error": {...}}``), not only text.

    Scripts read stdout; an empty stdout on failure would leave them guessing.
    """

    def wrap(action: Callable[[], int]) -> Callable[[], int]:
        def guarded() -> int:
            try:
                return action()
            except (typer.Exit, SystemExit):
                raise
            except BaseException as exc:
                error = as_goldenpath_error(exc)
                if as_json:
                    out.print_json(json.dumps({"error": error.to_dict()}))
                raise error from exc

        return guarded

    return wrap


def emit(
    result: Result, as_json: bool, human: Callable[[], None], *, extra: dict[str, Any] | None = None
) -> int:
    """Show a service's result one way for every command, and return its exit code.

    With ``--json`` stdout carries exactly ``result.to_dict()`` (plus ``extra``), whatever
    happened, so scripts always get a document; a result that carries an error is then also
    one ``error:`` line on stderr with the error's exit code. Without ``--json``, ``human``
    prints the text view, only for results without an error.
    """
    if as_json:
        out.print_json(json.dumps({**result.to_dict(), **(extra or {})}))
    if result.error is not None:
        fail(result.error)
    if not as_json:
        human()
    return result.exit_code
