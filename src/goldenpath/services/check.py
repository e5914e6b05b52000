"""``goldenpath check``: is a repository behind its catalog's latest version?

A repository whose update was interrupted (an update journal exists) is reported as such
first: its recorded version may be half-written, and the fix is ``update --abort/--continue``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goldenpath.errors import EXIT_ATTENTION, EXIT_OK, GoldenpathError
from goldenpath.results import Result
from goldenpath.services import catalogs, update_journal
from goldenpath.services import project as project_service
from goldenpath.versions import Gap


@dataclass
class CheckResult(Result):
    """Status of one repository; ``error`` set instead of raising, for fleet use."""

    path: Path
    template: str | None = None
    current: str | None = None
    latest: str | None = None
    gap: Gap = Gap.NONE
    fail_on: Gap = Gap.PATCH
    error: GoldenpathError | None = None

    @property
    def behind(self) -> bool:
        """True when a newer version exists at all."""
        return self.gap is not Gap.NONE

    @property
    def failing(self) -> bool:
        """True when the gap is at least as large as the ``--fail-on`` threshold."""
        return self.behind and self.gap >= self.fail_on

    def _ok_exit_code(self) -> int:
        """3 when the gap is at least the ``--fail-on`` threshold."""
        return EXIT_ATTENTION if self.failing else EXIT_OK

    def _json_extra(self) -> dict[str, Any]:
        return {"behind": self.behind, "failing": self.failing}


def check(path: Path, fail_on: Gap = Gap.PATCH) -> CheckResult:
    """Compare the recorded catalog version with the newest one the catalog has."""
    result = CheckResult(path=path.resolve(), fail_on=fail_on)
    try:
        update_journal.refuse_if_interrupted(result.path)
        project = project_service.load(path)
        result.template, result.current = project.template, str(project.version)
        catalog = catalogs.for_source(project.source)
        known = catalogs.versions(catalog)
        catalogs.require_known(catalog, project.version, known)
        latest = known[-1]
        result.latest = str(latest)
        result.gap = project.version.gap_to(latest)
    except GoldenpathError as exc:
        result.error = exc
    return result
