"""Copier's public API (``run_copy``, ``run_update``) behind goldenpath's errors.

Copier is always called non-interactively: goldenpath has asked and validated every answer
already, so copier only renders and merges. Any exception copier lets through (a Jinja
syntax error in a catalog file is not a ``CopierError``) becomes a one-line ``RenderError``,
and copier's temporary folders live in a goldenpath scratch folder, so even a killed run
leaves nothing behind that the next run does not sweep.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from copier import run_copy, run_update
from copier.errors import UnsafeTemplateError
from jinja2 import TemplateError, TemplateSyntaxError

from goldenpath import scratch
from goldenpath.errors import CatalogError, GoldenpathError, RenderError


def _trust_error(source: str) -> CatalogError:
    return CatalogError(
        f"catalog {source} uses unsafe copier features (tasks, migrations or Jinja extensions)",
        hint="pass --trust, or add it to 'trusted' in the goldenpath config, if you trust it",
    )


@contextmanager
def _copier_errors(source: str, what: str) -> Iterator[None]:
    """Copier's exceptions as goldenpath errors; its warnings stay out of the user's way.

    Every ``Exception`` is translated, not only copier's own: a catalog file that fails to
    render raises Jinja's errors straight through copier. ``KeyboardInterrupt`` passes
    unchanged so that callers can clean up and report it as an interruption.
    """
    try:
        with scratch.folder() as tmp, scratch.libraries_use(tmp), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except UnsafeTemplateError as exc:
        raise _trust_error(source) from exc
    except GoldenpathError:
        raise
    except Exception as exc:
        raise RenderError(
            f"{what} failed: {_one_line(exc)}",
            hint=_hint(exc),
        ) from exc


# goldenpath has asked and validated every answer already: copier must never prompt, and it
# may overwrite only inside the folder goldenpath hands it.
_NON_INTERACTIVE: dict[str, Any] = {"defaults": True, "overwrite": True, "quiet": True}


def copy(source: str, dst: Path, data: dict[str, Any], vcs_ref: str | None, trust: bool) -> None:
    """Render ``source`` at ``vcs_ref`` into the empty folder ``dst``."""
    with _copier_errors(source, "rendering"):
        run_copy(
            source,
            dst,
            data=data,
            vcs_ref=vcs_ref,
            unsafe=trust,
            **_NON_INTERACTIVE,
        )


def update(
    dst: Path,
    data: dict[str, Any],
    vcs_ref: str,
    conflict: Literal["inline", "rej"],
    trust: bool,
    source: str,
) -> None:
    """3-way update of ``dst`` to ``vcs_ref`` keeping the recorded answers."""
    with _copier_errors(source, "update"):
        run_update(
            dst,
            data=data,
            vcs_ref=vcs_ref,
            conflict=conflict,
            unsafe=trust,
            skip_answered=True,
            **_NON_INTERACTIVE,
        )


def _one_line(exc: BaseException) -> str:
    text = (str(exc).strip() or type(exc).__name__).splitlines()[0]
    if isinstance(exc, TemplateSyntaxError) and exc.name:
        return f"{exc.name} line {exc.lineno}: {text}"
    return text


def _hint(exc: BaseException) -> str:
    if isinstance(exc, TemplateError):
        return "this catalog version does not render (nothing was changed): tell its owners"
    return "nothing was changed"
