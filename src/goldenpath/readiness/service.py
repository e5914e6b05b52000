"""``goldenpath readiness``: score one repository (or a project folder inside one).

The fleet calls :func:`assess` for every project it knows, so it returns a report with
``error`` set instead of raising for anything about the repository itself; only a bad
command line (an unknown check id) or a broken check pack raises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from goldenpath.adapters import git_adapter
from goldenpath.errors import GoldenpathError, as_goldenpath_error
from goldenpath.readiness import registry, settings
from goldenpath.readiness.facts import Repo
from goldenpath.readiness.model import (
    Check,
    CheckResult,
    Evidence,
    Finding,
    Level,
    ReadinessReport,
    State,
    Status,
)


class NotAGitRepositoryError(GoldenpathError):
    """Readiness reads git's view of a repository (what would be committed)."""


def tier_from_files(repo: Repo) -> tuple[int | None, str]:
    """The tier a repository states about itself (answer, then catalog-info.yaml) and
    where it says so; public so the fleet decides tiers exactly as readiness does."""
    answer = repo.answers.get("service_tier")
    if isinstance(answer, int) and answer in (1, 2, 3):
        return answer, "answer service_tier"
    info = repo.yaml("catalog-info.yaml") if repo.exists("catalog-info.yaml") else None
    metadata: Any = info.get("metadata") if isinstance(info, dict) else None
    if isinstance(metadata, dict):
        for key in ("annotations", "labels"):
            table = metadata.get(key)
            if not isinstance(table, dict):
                continue
            for name in ("goldenpath.dev/tier", "tier", "service-tier"):
                value = str(table.get(name, "")).lower().removeprefix("tier-").strip()
                if value in ("1", "2", "3"):
                    return int(value), f"catalog-info.yaml {key} {name}"
    return None, ""


def _run_one(check: type[Check], repo: Repo, done: dict[str, CheckResult]) -> Finding:
    for needed in check.requires:
        state = done[needed].finding.state
        if state is State.NOT_APPLICABLE:
            return Finding(State.NOT_APPLICABLE, f"{needed} does not apply")
        if state is not State.PASS:
            return Finding(
                State.UNKNOWN,
                f"not run: it needs {needed}, which did not pass",
                hint=f"fix {needed} first",
            )
    try:
        return check().run(repo)
    except Exception as exc:  # a check's bug must not hide the other checks' verdicts
        return Finding(
            State.UNKNOWN,
            "the check crashed",
            (Evidence(f"{type(exc).__name__}: {exc}"),),
            hint=f"report it to the maintainers of {check.__module__}",
        )


def open_repo(path: Path) -> Repo:
    """The repository at ``path`` as checks see it; NotAGitRepositoryError when git does not
    know it (readiness scores what would be committed, so it needs git's view)."""
    root = path.resolve()
    if not root.is_dir():
        raise NotAGitRepositoryError(f"{path} does not exist or is not a folder")
    files = git_adapter.work_tree_files(root)
    if files is None:
        raise NotAGitRepositoryError(
            f"{path} is not inside a git repository",
            hint="readiness reads what git would commit: run `git init` there first",
        )
    return Repo(root, files)


def assess(
    path: Path,
    *,
    tier: int | None = None,
    fail_under: Level | None = None,
    only: list[str] | None = None,
    checks: list[type[Check]] | None = None,
) -> ReadinessReport:
    """Run the checks on ``path`` and return the report (``error`` set when the
    repository cannot be read or its settings are malformed).

    ``checks`` lets a caller that scores many repositories load the registry once.
    """
    known = checks if checks is not None else registry.all_checks()
    selected = registry.select(known, only) if only else known
    report = ReadinessReport(path=str(path.resolve()))
    try:
        repo = open_repo(path)
        config = settings.load(repo)
    except GoldenpathError as exc:
        report.error = exc
        return report
    except Exception as exc:
        report.error = as_goldenpath_error(exc)
        return report
    report.template = repo.template
    if tier is not None:
        report.tier, report.tier_source = tier, "--tier"
    elif config.tier is not None:
        report.tier, report.tier_source = config.tier, config.source
    else:
        report.tier, report.tier_source = tier_from_files(repo)
    if fail_under is not None:
        report.required = fail_under
    else:
        report.required = config.required.get(report.tier or 3, Level.BRONZE)
    done: dict[str, CheckResult] = {}
    for check in selected:
        finding = _run_one(check, repo, done)
        if check.id in config.disable:
            result = CheckResult(check, finding, Status.DISABLED, config.disable[check.id])
        elif check.id in config.later:
            result = CheckResult(check, finding, Status.LATER, config.later[check.id])
        else:
            result = CheckResult(check, finding)
        done[check.id] = result
        report.results.append(result)
    return report
