"""What ``goldenpath fleet update`` did, per project and per repository, as plain data.

Results cross process boundaries (``--jobs`` runs repositories in worker processes), so
they hold strings, numbers and lists only; an error is kept as its ``to_dict()`` form.

The outcome of a project is exactly one of:

- ``up_to_date``: already at the target version; nothing was done;
- ``updated``: the update is committed on the update branch, merged cleanly;
- ``conflicts``: committed with conflict markers or ``.rej`` files (found in the files,
  listed in ``conflicts``); the branch is pushed and its request is a draft marked as
  needing resolution. Never counted as clean;
- ``verify_failed``: committed, but ``--verify`` failed on the branch (its output's tail kept);
- ``failed``: this project (or its repository) could not be updated (``reason``);
- ``skipped``: deliberately left alone (``reason``: archived or pinned in the fleet file, not
  generated from the catalog, a newer version than ``--to``, a branch people work on...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from goldenpath.errors import EXIT_ATTENTION, EXIT_OK
from goldenpath.results import Record, Result

# Labels `fleet update` puts on its pull/merge requests; `fleet status` reads the second.
LABEL = "goldenpath"
NEEDS_RESOLUTION = "needs-resolution"


class Outcome(StrEnum):
    """The typed outcome of one project."""

    UP_TO_DATE = "up_to_date"
    UPDATED = "updated"
    CONFLICTS = "conflicts"
    VERIFY_FAILED = "verify_failed"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def needs_attention(self) -> bool:
        """True when a person has to act: conflicts, a failed verify, a failure."""
        return self in {Outcome.CONFLICTS, Outcome.VERIFY_FAILED, Outcome.FAILED}


@dataclass
class ProjectOutcome(Record):
    """One generated project of a repository (``path`` "." for the root)."""

    path: str
    outcome: Outcome
    template: str | None = None
    from_version: str | None = None
    to_version: str | None = None
    commit: str | None = None
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    changelog: list[dict[str, str]] = field(default_factory=list)  # {"version", "notes"}
    reason: str | None = None
    hint: str | None = None

    _json_rename: ClassVar = {"from_version": "from", "to_version": "to"}


@dataclass
class Verify(Record):
    """The ``--verify`` command's run on the update branch."""

    command: str
    exit_code: int | None  # None: it did not finish (timeout) or could not start
    seconds: float
    tail: str  # the last lines of its combined output

    @property
    def passed(self) -> bool:
        """True when the command exited 0."""
        return self.exit_code == 0

    def _json_extra(self) -> dict[str, Any]:
        return {"passed": self.passed, "seconds": round(self.seconds, 3)}


@dataclass
class Superseded(Record):
    """An older ``goldenpath/update-to-*`` branch this run replaced."""

    branch: str
    deleted: bool  # removed upstream (it held goldenpath's commits only)
    pull_request: str | None = None  # the request closed with a comment linking the new one
    note: str = ""


@dataclass
class RepoResult(Record):
    """Everything the update did to one repository of the fleet."""

    name: str
    source: str
    projects: list[ProjectOutcome] = field(default_factory=list)
    branch: str | None = None
    base: str | None = None  # the default branch the update branch starts from
    commit: str | None = None  # the branch tip
    clone: str | None = None  # the working clone in the cache (to inspect the branch)
    pushed: bool = False
    push_note: str = ""
    pull_request: dict[str, Any] | None = None  # the forge's request, with "action"
    superseded: list[Superseded] = field(default_factory=list)
    verify: Verify | None = None
    error: dict[str, object] | None = None  # a failure after the commits (push, forge)
    seconds: float = 0.0

    @property
    def needs_attention(self) -> bool:
        """True when any project needs a person, or delivering the branch failed."""
        return self.error is not None or any(p.outcome.needs_attention for p in self.projects)

    _json_rename: ClassVar = {"projects": None}  # after the repository's own keys

    def _json_extra(self) -> dict[str, Any]:
        return {
            "needs_attention": self.needs_attention,
            "seconds": round(self.seconds, 3),
            "projects": self.projects,
        }


@dataclass
class FleetUpdateResult(Result):
    """The whole run: one result per repository of this shard, in fleet order."""

    repositories: list[RepoResult] = field(default_factory=list)
    shard: tuple[int, int] | None = None
    total: int = 0  # repositories in the fleet before sharding
    jobs: int = 1
    to: str | None = None
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        """Projects per outcome (every outcome present, zeros included)."""
        counts = {str(outcome): 0 for outcome in Outcome}
        for repo in self.repositories:
            for project in repo.projects:
                counts[str(project.outcome)] += 1
        return counts

    @property
    def needs_attention(self) -> list[RepoResult]:
        """Repositories a person has to look at."""
        return [repo for repo in self.repositories if repo.needs_attention]

    # how many repositories there are in the fleet and here; their results come last
    _json_rename: ClassVar = {"repositories": None, "total": "repositories_in_fleet"}

    def _ok_exit_code(self) -> int:
        """3 when any repository needs attention."""
        return EXIT_ATTENTION if self.needs_attention else EXIT_OK

    def _json_extra(self) -> dict[str, Any]:
        return {
            "shard": f"{self.shard[0]}/{self.shard[1]}" if self.shard else None,
            "repositories": len(self.repositories),
            "seconds": round(self.seconds, 3),
            "counts": self.counts(),
            "needs_attention": [repo.name for repo in self.needs_attention],
            "exit_code": self.exit_code,
            "results": self.repositories,
        }
