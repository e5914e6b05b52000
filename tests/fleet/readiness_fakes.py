"""Three readiness checks whose verdicts follow from the fleet fixture's files.

The registry's checks change as the catalog grows; the fleet's arithmetic (levels,
compliance, drift coverage per tier) is tested against these instead, so its expected
numbers cannot drift with them.
"""

from __future__ import annotations

from goldenpath.readiness.facts import Repo
from goldenpath.readiness.model import (
    Check,
    Evidence,
    Finding,
    Level,
    Section,
    failed,
    not_applicable,
    passed,
)


class HasReadme(Check):
    """Bronze: a README exists."""

    id = "readme"
    section = Section.OWNERSHIP
    level = Level.BRONZE
    title = "Has a README"
    why = "w"
    reference = "r"
    hint = "h"

    def run(self, repo: Repo) -> Finding:
        return passed("README.md") if repo.exists("README.md") else failed("no README.md")


class HasContributing(Check):
    """Silver: CONTRIBUTING.md exists (catalog 2.1.0 and later render it)."""

    id = "contributing"
    section = Section.DELIVERY
    level = Level.SILVER
    title = "Says how to contribute <here>"
    why = "w"
    reference = "r"
    hint = "h"

    def run(self, repo: Repo) -> Finding:
        if repo.exists("CONTRIBUTING.md"):
            return passed("CONTRIBUTING.md")
        return failed("no CONTRIBUTING.md", Evidence("looked for CONTRIBUTING.md"))


class DriftMonitor(Check):
    """Gold: a service (config.yaml: "has a model") listens on ``listen_port`` (2.0.0+)."""

    id = "drift-monitor"
    section = Section.MONITORING
    level = Level.GOLD
    title = "Drift is monitored"
    why = "w"
    reference = "r"
    hint = "h"

    def run(self, repo: Repo) -> Finding:
        if not repo.exists("config.yaml"):
            return not_applicable("no model")
        if "listen_port" in (repo.text("config.yaml") or ""):
            return passed("monitored")
        return failed("not monitored")


CHECKS: list[type[Check]] = [HasReadme, HasContributing, DriftMonitor]
