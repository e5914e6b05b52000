"""One error hierarchy for goldenpath.

The CLI turns any ``GoldenpathError`` into a one-line message plus a hint and an exit code,
so users never see a traceback for a mistake they can fix. Adapters translate copier and
git exceptions into these classes; nothing else leaks upwards.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_ATTENTION = 3  # behind the latest catalog version, or conflicts left by an update


class GoldenpathError(Exception):
    """Root of every error goldenpath raises on purpose."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, object]:
        """JSON form shared by every result: the message, the hint and the exit code."""
        return {"message": self.message, "hint": self.hint, "exit_code": self.exit_code}


class UsageError(GoldenpathError):
    """The command line or its inputs are wrong (bad option value, missing terminal...)."""

    exit_code = EXIT_USAGE


class CatalogError(GoldenpathError):
    """The catalog cannot be found, read, trusted or released."""


class RepositoryError(GoldenpathError):
    """The target repository is not in a state the command accepts."""


class AnswersError(UsageError):
    """One or more answers failed validation; ``problems`` holds one message per answer."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        count = len(problems)
        super().__init__(
            f"{count} invalid answer{'s' if count != 1 else ''}: "
            + "; ".join(f"{name}: {msg}" for name, msg in problems),
            hint="fix the answers above; nothing was written",
        )
        self.problems = problems

    def to_dict(self) -> dict[str, object]:
        """As every error, plus one entry per bad answer."""
        return {
            **super().to_dict(),
            "problems": [{"answer": name, "problem": msg} for name, msg in self.problems],
        }


class RenderError(GoldenpathError):
    """Copier failed while rendering or updating; the destination was left untouched."""


class InterruptError(GoldenpathError):
    """The user pressed Ctrl-C (or the process got SIGINT); cleanup has already run."""


class InternalError(GoldenpathError):
    """An exception goldenpath did not expect; shown as one line instead of a traceback."""

    def __init__(self, exc: BaseException) -> None:
        detail = (str(exc).strip().splitlines() or [""])[0]
        super().__init__(
            f"internal error: {type(exc).__name__}" + (f": {detail}" if detail else ""),
            hint="nothing of yours was changed; please report this with the output of "
            "`goldenpath --version` and the command you ran",
        )


def as_goldenpath_error(exc: BaseException) -> GoldenpathError:
    """Any exception as a ``GoldenpathError``, so no type can reach the user as a traceback."""
    if isinstance(exc, GoldenpathError):
        return exc
    if isinstance(exc, KeyboardInterrupt):
        return InterruptError("interrupted", hint="nothing of yours was changed")
    return InternalError(exc)
