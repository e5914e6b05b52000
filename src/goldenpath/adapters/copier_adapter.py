"""Copier's public API (``run_copy``, ``run_update``) behind goldenpath's errors.

Copier is always called non-interactively: goldenpath has asked and validated every answer
already, so copier only renders and merges.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from copier import run_copy, run_update
from copier.errors import CopierError, UnsafeTemplateError, UserMessageError

from goldenpath.errors import CatalogError, RenderError


def _trust_error(source: str) -> CatalogError:
    return CatalogError(
        f"catalog {source} uses unsafe copier features (tasks, migrations or Jinja extensions)",
        hint="pass --trust, or add it to 'trusted' in the goldenpath config, if you trust it",
    )


@contextmanager
def _copier_errors(source: str, what: str) -> Iterator[None]:
    """Copier's exceptions as goldenpath errors; its warnings stay out of the user's way."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except UnsafeTemplateError as exc:
        raise _trust_error(source) from exc
    except (CopierError, UserMessageError, ValueError, OSError) as exc:
        raise RenderError(f"{what} failed: {_one_line(exc)}") from exc


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
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
