"""``goldenpath fleet status``: where every repository of the fleet stands.

For each generated project (every ``.copier-answers*.yml`` of every repository) it reports
the template, the catalog source, the current and latest version, how many releases lie in
between and whether one of them is a major version or carries an "Action needed" note for
the project's template, the project's tier, its readiness (optional: ``readiness=True``)
and any update branch (``goldenpath/update-to-vX.Y.Z``) the repository holds, with its open
pull/merge request when asked (optional: ``forge_prs=``). A repository
with no answers file is one row of its own, "not from the catalog": it is part of the
organisation and lowers the adoption rate.

Guarantees and why:

- Read-only. The user's clones are never fetched, checked out or written to (remote
  branches are reported as of their last fetch); only cached clones of URL entries, which
  goldenpath owns, are refreshed (``fleet.cache``).
- Errors are data. A repository that cannot be read, an answers file that does not parse,
  a catalog that cannot be reached: each becomes the ``error`` of its row and the run goes
  on, so one broken repository cannot hide the other 199.
- Each catalog source is asked for its versions and changelog once per run, never once
  per repository: a fleet shares a handful of catalogs, and ``git ls-remote`` per
  repository would dominate the run. Repositories are read in a thread pool (the work is
  mostly ``git`` subprocesses).
- The forge is asked only on request (``forge_prs``), and then once per repository (one
  list of its open requests, whatever the number of projects and branches): a status run
  must not spend an API rate limit, or need a token or the network, unless asked to. A
  forge that cannot be asked is a note on the repository's rows, never a failed run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

import yaml

from goldenpath import changelog
from goldenpath.adapters import forge, git_adapter, git_branches
from goldenpath.errors import (
    EXIT_ATTENTION,
    EXIT_OK,
    GoldenpathError,
    RepositoryError,
    UsageError,
    as_goldenpath_error,
)
from goldenpath.fleet import cache, inventory
from goldenpath.fleet.inventory import RepoEntry
from goldenpath.fleet.outcomes import NEEDS_RESOLUTION
from goldenpath.readiness import registry
from goldenpath.readiness import service as readiness_service
from goldenpath.readiness import settings as readiness_settings
from goldenpath.readiness.facts import Repo
from goldenpath.readiness.model import Check, ReadinessReport, State
from goldenpath.results import Record, Result
from goldenpath.services import catalogs, update_journal
from goldenpath.versions import Gap, Version

if TYPE_CHECKING:  # the update service's options; importing it at run time loads copier
    from goldenpath.fleet.update import ForgeOptions

UPDATE_BRANCH_PREFIX = "goldenpath/update-to-"
DRIFT_CHECK = "drift-monitor"
_ACTION_NEEDED = re.compile(r"action needed", re.IGNORECASE)
_TIER_FILES = (".goldenpath.toml", "pyproject.toml", "catalog-info.yaml")


# --- results ------------------------------------------------------------------------------


def request_state(request: forge.ChangeRequest) -> str:
    """``draft`` or ``open``: whether the request is ready for review."""
    return "draft" if request.draft else "open"


def request_text(request: forge.ChangeRequest) -> str:
    """``#12 draft, needs-resolution``: the request as one short phrase."""
    text = f"#{request.number} {request_state(request)}"
    return f"{text}, {NEEDS_RESOLUTION}" if NEEDS_RESOLUTION in request.labels else text


def _request_dict(request: forge.ChangeRequest | None) -> dict[str, Any] | None:
    if request is None:
        return None
    return {
        "number": request.number,
        "url": request.url,
        "state": request_state(request),
        "needs_resolution": NEEDS_RESOLUTION in request.labels,
        "labels": list(request.labels),
        "title": request.title,
    }


@dataclass(frozen=True)
class UpdateBranch(Record):
    """An update branch found in a repository: what git knows, and its open pull/merge
    request when the forge was asked."""

    name: str  # goldenpath/update-to-vX.Y.Z
    target: str | None  # the version it updates to, when the name carries one
    local: bool  # a branch of the user's clone (never for cached clones of URL entries)
    # a branch of a remote, as of the clone's last fetch, or the head of an open request
    # (the forge knows it even when the clone was not fetched since it was pushed)
    remote: bool
    merged: bool  # its head is part of the default branch already
    request: forge.ChangeRequest | None = None  # its open request (only with forge_prs)

    @property
    def state(self) -> str:
        """``merged``, ``pushed`` (on the remote: a pull request may be open) or ``local``."""
        if self.merged:
            return "merged"
        return "pushed" if self.remote else "local"

    def _json_extra(self) -> dict[str, Any]:
        return {"state": self.state, "request": _request_dict(self.request)}


@dataclass(frozen=True)
class ForgeLookup(Record):
    """What the forge said about one repository's update requests (``forge_prs``)."""

    kind: forge.Kind | None  # None when the remote's host is neither known nor given
    project: str  # the repository's path on the forge (owner/name, GitLab group/name)
    requests: tuple[forge.ChangeRequest, ...] = ()  # open, head goldenpath/update-to-*
    error: GoldenpathError | None = None

    # the requests themselves are shown on their branches; here only how many there are
    _json_rename: ClassVar = {"requests": None}

    def _json_extra(self) -> dict[str, Any]:
        return {"open_requests": len(self.requests)}


@dataclass
class ProjectStatus(Record):
    """One row of the fleet: a generated project, or a repository not from the catalog."""

    repository: str
    path: str  # the project's folder inside the repository, "." for the root
    answers_file: str | None  # relative to the repository; None when not from the catalog
    owner: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    template: str | None = None
    source: str | None = None  # the catalog source the project records
    catalog: str | None = None  # how the catalog is shown ("builtin" or the source)
    version: Version | None = None  # the recorded catalog version
    latest: str | None = None
    releases_behind: int | None = None
    gap: Gap = Gap.NONE
    major_between: bool = False
    action_needed: list[str] = field(default_factory=list)  # versions with "Action needed"
    tier: int | None = None
    tier_source: str = ""
    readiness: ReadinessReport | None = None
    update_branches: list[UpdateBranch] = field(default_factory=list)
    error: GoldenpathError | None = None
    # the repository's forge could not be asked for its requests: a note, the rest stands
    forge_error: GoldenpathError | None = None

    @property
    def current(self) -> str | None:
        """The recorded catalog version as text."""
        return str(self.version) if self.version is not None else None

    @property
    def generated(self) -> bool:
        """True for a project generated from a catalog (it has an answers file)."""
        return self.answers_file is not None

    @property
    def outcome(self) -> str:
        """``error``, ``not-from-catalog``, ``current`` or ``behind``."""
        if self.error is not None:
            return "error"
        if not self.generated:
            return "not-from-catalog"
        return "behind" if self.gap is not Gap.NONE else "current"

    @property
    def failing_checks(self) -> list[str]:
        """Ids of the counted readiness checks that did not pass."""
        if self.readiness is None or self.readiness.error is not None:
            return []
        return [r.check.id for r in self.readiness.failing()]

    @property
    def drift_state(self) -> State | None:
        """The drift-monitor check's finding (None when not assessed or no such check)."""
        if self.readiness is None or self.readiness.error is not None:
            return None
        result = self.readiness.result(DRIFT_CHECK)
        return result.finding.state if result is not None else None

    _json_rename: ClassVar = {"version": "current"}

    def _json_extra(self) -> dict[str, Any]:
        # readiness summarised: level, required, failing checks
        return {
            "tier_source": self.tier_source or None,
            "readiness": _readiness_dict(self.readiness),
            "outcome": self.outcome,
        }


def _readiness_dict(report: ReadinessReport | None) -> dict[str, Any] | None:
    if report is None:
        return None
    if report.error is not None:
        return {"level": None, "meets": False, "error": report.error.to_dict()}
    drift = report.result(DRIFT_CHECK)
    return {
        "level": report.level.label,
        "required": report.required.label,
        "meets": report.meets,
        "score": report.score,
        "failing": [
            {
                "id": r.check.id,
                "title": r.check.title,
                "level": r.check.level.label,
                "state": r.finding.state.value,
                "detail": r.finding.detail,
            }
            for r in report.failing()
        ],
        "drift_monitor": drift.finding.state.value if drift is not None else None,
        "error": None,
    }


@dataclass
class RepoStatus(Record):
    """One repository of the fleet and its rows."""

    entry: RepoEntry
    root: Path | None = None  # the work tree read (the clone, or the cached clone)
    projects: list[ProjectStatus] = field(default_factory=list)
    update_branches: list[UpdateBranch] = field(default_factory=list)
    error: GoldenpathError | None = None
    forge: ForgeLookup | None = None  # None unless asked, or when no forge hosts its remote

    @property
    def outcome(self) -> str:
        """``skipped``, ``error`` (unreadable), ``not-from-catalog`` or ``catalog``."""
        if self.entry.skip:
            return "skipped"
        if self.error is not None:
            return "error"
        if not any(p.generated for p in self.projects):
            return "not-from-catalog"
        return "catalog"

    # the entry's keys are the repository's own; its rows follow them
    _json_rename: ClassVar = {"entry": None, "projects": None, "update_branches": None}

    def _json_extra(self) -> dict[str, Any]:
        return {
            **self.entry.to_dict(),
            "outcome": self.outcome,
            "projects": self.projects,
            "update_branches": self.update_branches,
        }


@dataclass(frozen=True)
class CatalogInfo(Record):
    """What the run learnt about one catalog source (once per run)."""

    source: str
    label: str
    catalog: catalogs.Catalog | None = None
    versions: tuple[Version, ...] = ()
    changelog: str = ""
    error: GoldenpathError | None = None

    @property
    def latest(self) -> Version | None:
        """The newest released version."""
        return self.versions[-1] if self.versions else None

    _json_rename: ClassVar = {"catalog": None, "changelog": None}  # for the run, not for JSON

    def _json_extra(self) -> dict[str, Any]:
        return {"latest": self.latest}


@dataclass(frozen=True)
class FailOn:
    """What makes ``fleet status`` exit 3 besides errors: a version gap at least this big,
    and/or a project below its required readiness level."""

    gap: Gap | None = None
    readiness: bool = False

    @classmethod
    def parse(cls, values: Iterable[str]) -> FailOn:
        """From ``--fail-on`` values (``major``, ``minor``, ``patch``, ``readiness``)."""
        gap: Gap | None = None
        readiness = False
        for value in values:
            name = value.strip().lower()
            if name == "readiness":
                readiness = True
            elif name in ("major", "minor", "patch"):
                wanted = Gap[name.upper()]
                gap = wanted if gap is None else min(gap, wanted)
            else:
                raise ValueError(f"--fail-on {value!r}: one of major, minor, patch, readiness")
        return cls(gap, readiness)

    def reasons(self, project: ProjectStatus) -> list[str]:
        """Why ``project`` fails this policy ([] when it does not)."""
        found: list[str] = []
        if project.error is not None:
            found.append(f"error: {project.error.message}")
        if self.gap is not None and project.gap is not Gap.NONE and project.gap >= self.gap:
            found.append(f"{project.gap.name.lower()} version behind")
        report = project.readiness
        if self.readiness and report is not None and not report.meets:
            if report.error is not None:
                found.append(f"readiness could not be assessed: {report.error.message}")
            else:
                found.append(
                    f"readiness {report.level.label} below the required {report.required.label}"
                )
        return found


@dataclass
class FleetStatus(Result):
    """The whole fleet: every repository with its rows, and the catalogs they use."""

    repositories: list[RepoStatus]
    catalogs: list[CatalogInfo]
    readiness: bool  # whether readiness was assessed
    forge_prs: bool = False  # whether the forges were asked for open update requests
    fail_on: FailOn = field(default_factory=FailOn)  # what else than errors exits 3

    # the policy shows in "attention" and "exit_code"; the long lists follow the totals
    _json_rename: ClassVar = {"fail_on": None, "repositories": None, "catalogs": None}

    @property
    def projects(self) -> list[ProjectStatus]:
        """Every row: generated projects and repositories not from the catalog."""
        return [p for r in self.repositories for p in r.projects]

    def attention(self, fail_on: FailOn | None = None) -> list[tuple[str, str]]:
        """(repository/path, reason) for everything that needs attention under ``fail_on``
        (default: the status's own policy): unreadable repositories, projects with errors,
        forges that could not be asked for the update requests, and what the policy fails."""
        policy = self.fail_on if fail_on is None else fail_on
        found: list[tuple[str, str]] = []
        for repo in self.repositories:
            if repo.entry.skip:
                continue
            if repo.error is not None:
                found.append((repo.entry.name, f"error: {repo.error.message}"))
            if repo.forge is not None and repo.forge.error is not None:
                reason = f"pull requests not listed: {repo.forge.error.message}"
                found.append((repo.entry.name, reason))
            for project in repo.projects:
                where = _row_name(project)
                found.extend((where, reason) for reason in policy.reasons(project))
        return found

    def _ok_exit_code(self) -> int:
        """3 when anything needs attention under the status's policy (see :meth:`attention`)."""
        return EXIT_ATTENTION if self.attention() else EXIT_OK

    def _json_extra(self) -> dict[str, Any]:
        from goldenpath.fleet import kpis  # noqa: PLC0415 - kpis imports this module

        return {
            "totals": kpis.totals(self),
            "catalogs": self.catalogs,
            "repositories": self.repositories,
            "attention": [{"where": w, "reason": r} for w, r in self.attention()],
            "exit_code": self.exit_code,
        }


def _row_name(project: ProjectStatus) -> str:
    return project.repository if project.path == "." else f"{project.repository}/{project.path}"


# --- reading one repository ---------------------------------------------------------------


@dataclass(frozen=True)
class _Answers:
    template: str | None
    source: str
    version: Version
    owner: str | None


def _read_answers(
    root: Path, rel: str
) -> tuple[_Answers | None, dict[str, Any], GoldenpathError | None]:
    """The recorded answers of one project: the same checks (and messages) as ``update``'s,
    for any answers file name."""
    path = root / rel
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as exc:
        return None, {}, RepositoryError(f"cannot read {rel}: {exc}")
    except yaml.YAMLError as exc:
        return None, {}, RepositoryError(f"cannot parse {rel}: {exc}".splitlines()[0])
    if not isinstance(data, dict):
        return None, {}, RepositoryError(f"{rel} does not hold a mapping of answers")
    source, commit = data.get("_src_path"), data.get("_commit")
    if not source or not commit:
        return (
            None,
            data,
            RepositoryError(
                f"{rel} records no catalog version (_src_path/_commit)",
                hint="it was rendered from an unversioned catalog folder and cannot be updated",
            ),
        )
    try:
        version = Version.parse(str(commit))
    except ValueError:
        return None, data, RepositoryError(f"recorded catalog version {commit!r} is not vX.Y.Z")
    template = data.get("template")
    owner = data.get("owner")
    return (
        _Answers(
            template=str(template) if template is not None else None,
            source=str(source),
            version=version,
            owner=owner if isinstance(owner, str) and owner else None,
        ),
        data,
        None,
    )


def _tier(folder: Path, files: list[str], override: int | None) -> tuple[int | None, str]:
    """The tier the way readiness decides it (settings, answer, catalog-info.yaml), unless
    the fleet file overrides it; reads only the few files that can state a tier."""
    if override is not None:
        return override, "fleet file"
    present = [name for name in _TIER_FILES if (folder / name).is_file()]
    repo = Repo(folder, [*present, *files])
    try:
        config = readiness_settings.load(repo)
    except GoldenpathError:
        config = None  # readiness reports malformed settings; the tier falls back below
    if config is not None and config.tier is not None:
        return config.tier, config.source
    # the one place readiness decides a tier from the repository's own files
    return readiness_service.tier_from_files(repo)


def _update_branches(root: Path, local_allowed: bool) -> list[UpdateBranch]:
    # for-each-ref matches whole path components: ask for the folder, filter by name
    found = git_adapter.refs(root, ("refs/heads/goldenpath/", "refs/remotes/"))
    by_name: dict[str, dict[str, str]] = {}
    for ref, sha in found.items():
        if ref.startswith("refs/heads/"):
            name, where = ref.removeprefix("refs/heads/"), "local"
            if not local_allowed:
                continue
        else:
            name, where = ref.removeprefix("refs/remotes/").partition("/")[2], "remote"
        if not name.startswith(UPDATE_BRANCH_PREFIX):
            continue
        by_name.setdefault(name, {})[where] = sha
    if not by_name:
        return []
    default = git_adapter.symbolic_ref(root, "refs/remotes/origin/HEAD") or "HEAD"
    branches: list[UpdateBranch] = []
    for name in sorted(by_name):
        shas = by_name[name]
        target = Version.maybe(name.removeprefix(UPDATE_BRANCH_PREFIX))
        merged = all(git_adapter.is_ancestor(root, sha, default) for sha in shas.values())
        branches.append(
            UpdateBranch(
                name=name,
                target=str(target) if target else None,
                local="local" in shas,
                remote="remote" in shas,
                merged=merged,
            )
        )
    return branches


# --- open requests, once per repository (forge_prs) ----------------------------------------


def check_forge_token(options: ForgeOptions) -> None:
    """Refuse ``--forge-prs`` without a token before any repository is read: every lookup
    would fail the same way, one note per repository."""
    kinds = [options.kind] if options.kind else list(forge.KINDS)
    names = [options.token_env or forge.TOKEN_ENV[kind] for kind in kinds]
    if not any(os.environ.get(name, "").strip() for name in names):
        raise UsageError(
            "--forge-prs needs a forge token in $" + " or $".join(dict.fromkeys(names)),
            hint="a token that can read pull/merge requests; choose the variable with --token-env",
        )


_FORGE_NAMES: dict[forge.Kind, str] = {"github": "GitHub", "gitlab": "GitLab"}


def _forge_url(entry: RepoEntry) -> str | None:
    """What the forge knows the repository by: the fleet file's URL, or a clone's origin."""
    if entry.local is None:
        return entry.source
    return git_branches.remote_url(entry.local)


def _lookup(entry: RepoEntry, options: ForgeOptions) -> ForgeLookup | None:
    """The repository's open update requests, in one list call; None when its remote is
    not on a forge (a local path, a ``file://`` URL). Kind and API URL are chosen the way
    ``fleet update`` chooses them: the options first, else the remote's host."""
    url = _forge_url(entry)
    remote = forge.parse_remote(url) if url else None
    if remote is None:
        return None
    try:
        client = forge.client_for_remote(
            remote,
            kind=options.kind,
            api_url=options.api_url,
            token_env=options.token_env,
            retry=options.retry,
            purpose="listing",
        )
        found = client.list_open(remote.project, head_prefix=UPDATE_BRANCH_PREFIX)
    except Exception as exc:  # one forge's trouble is that repository's note
        return ForgeLookup(
            options.kind or remote.kind, remote.project, error=as_goldenpath_error(exc)
        )
    kind = options.kind or remote.kind
    return ForgeLookup(kind, remote.project, tuple(found))


def _with_requests(
    branches: list[UpdateBranch], requests: Iterable[forge.ChangeRequest]
) -> list[UpdateBranch]:
    """Each branch with its open request; a request whose branch the clone does not know
    yet (pushed after its last fetch) adds that branch."""
    by_head = {r.head: r for r in requests}  # both forges allow one open request per head
    found = [replace(b, request=by_head.pop(b.name, None)) for b in branches]
    for name, request in by_head.items():
        target = Version.maybe(name.removeprefix(UPDATE_BRANCH_PREFIX))
        found.append(
            UpdateBranch(
                name=name,
                target=str(target) if target else None,
                local=False,
                remote=True,
                merged=False,
                request=request,
            )
        )
    return sorted(found, key=lambda b: b.name)


def _interrupted(root: Path) -> GoldenpathError | None:
    """The interrupted-update error, if ``root`` has a journal (a file test first: cheap)."""
    git_dir = root / ".git"
    if git_dir.is_dir() and not (git_dir / update_journal.FOLDER / update_journal.FILE).exists():
        return None
    try:
        update_journal.refuse_if_interrupted(root)
    except GoldenpathError as exc:
        return exc
    return None


def _read_repository(
    entry: RepoEntry, cache_dir: Path | None, forge_prs: ForgeOptions | None = None
) -> RepoStatus:
    status = RepoStatus(entry)
    if entry.skip:
        return status
    try:
        root = cache.working_copy(entry, cache_dir)
        status.root = root
        files = inventory.answers_files(root)
        status.update_branches = _update_branches(root, local_allowed=entry.local is not None)
    except GoldenpathError as exc:
        status.error = exc
        return status
    except Exception as exc:  # one repository must never stop the fleet
        status.error = as_goldenpath_error(exc)
        return status
    if forge_prs is not None:
        try:
            status.forge = _lookup(entry, forge_prs)
        except Exception as exc:  # e.g. the clone's remote could not be read
            status.forge = ForgeLookup(None, entry.source, error=as_goldenpath_error(exc))
        if status.forge is not None:
            status.update_branches = _with_requests(status.update_branches, status.forge.requests)
    forge_error = status.forge.error if status.forge is not None else None
    interrupted = _interrupted(root)
    if not files:
        tier, tier_source = _tier(root, [], entry.tier)
        status.projects.append(
            ProjectStatus(
                repository=entry.name,
                path=".",
                answers_file=None,
                owner=entry.owner,
                labels=entry.labels,
                tier=tier,
                tier_source=tier_source,
                update_branches=status.update_branches,
                forge_error=forge_error,
            )
        )
        return status
    for rel in files:
        folder = str(PurePosixPath(rel).parent)
        project = ProjectStatus(
            repository=entry.name,
            path=folder,
            answers_file=rel,
            labels=entry.labels,
            update_branches=status.update_branches,
            forge_error=forge_error,
        )
        try:
            answers, data, error = _read_answers(root, rel)
            local_names = [
                PurePosixPath(f).name for f in files if str(PurePosixPath(f).parent) == folder
            ]
            project.tier, project.tier_source = _tier(root / folder, local_names, entry.tier)
            project.owner = entry.owner or (answers.owner if answers else None)
            if answers is not None:
                project.template, project.source = answers.template, answers.source
                project.version = answers.version
            elif isinstance(data.get("template"), str):
                project.template = data["template"]
            project.error = interrupted or error
        except Exception as exc:
            project.error = as_goldenpath_error(exc)
        status.projects.append(project)
    return status


# --- catalogs, once per source ------------------------------------------------------------


def _load_catalog(source: str) -> CatalogInfo:
    try:
        catalog = catalogs.for_source(source)
        known = catalogs.versions(catalog)
        if not known:
            raise RepositoryError(
                f"catalog {catalog.label} is not versioned (no vX.Y.Z tag)",
                hint="a project rendered from a plain folder cannot be updated",
            )
        text = ""
        with git_adapter.checkout(catalog.source, known[-1].tag) as checkout:
            notes = checkout / "CHANGELOG.md"
            if notes.is_file():
                text = notes.read_text(encoding="utf-8")
        return CatalogInfo(source, catalog.label, catalog, tuple(known), text)
    except Exception as exc:
        error = as_goldenpath_error(exc)
        label = catalogs.BUILTIN_NAME if source == catalogs.BUILTIN_SOURCE else source
        return CatalogInfo(source, label, error=error)


def _place(project: ProjectStatus, info: CatalogInfo) -> None:
    """Fill in latest, gap, releases behind and the changelog facts from the catalog."""
    project.catalog = info.label
    version = project.version
    if info.error is not None or info.catalog is None:
        project.error = project.error or info.error
        return
    if version is None or project.error is not None:
        return
    try:
        catalogs.require_known(info.catalog, version, list(info.versions))
    except GoldenpathError as exc:
        project.error = exc
        return
    latest = info.versions[-1]
    project.latest = str(latest)
    project.gap = version.gap_to(latest)
    project.releases_behind = sum(1 for v in info.versions if v > version)
    project.major_between = latest.major > version.major
    entries = changelog.between(info.changelog, version, latest, project.template)
    project.action_needed = [str(e.version) for e in entries if _ACTION_NEEDED.search(e.body)]


# --- the service --------------------------------------------------------------------------


def status(
    entries: list[RepoEntry],
    *,
    readiness: bool = False,
    checks: list[type[Check]] | None = None,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    forge_prs: ForgeOptions | None = None,
    fail_on: FailOn | None = None,
) -> FleetStatus:
    """Read every repository of ``entries`` (``jobs`` at a time) and return the fleet's
    status, judged by ``fail_on``; with ``readiness``, also score every row with ``checks``
    (default: the registry's, loaded once); with ``forge_prs``, also list each repository's
    open update requests on its forge (a usage error at once when no token is set)."""
    if forge_prs is not None:
        check_forge_token(forge_prs)
    workers = max(1, jobs if jobs is not None else default_jobs())

    def read(entry: RepoEntry) -> RepoStatus:
        result = _read_repository(entry, cache_dir, forge_prs)
        if progress is not None:
            progress(entry.name)
        return result

    with ThreadPoolExecutor(max_workers=workers) as pool:
        repos = list(pool.map(read, entries))
    sources = sorted({p.source for r in repos for p in r.projects if p.source})
    infos = {source: _load_catalog(source) for source in sources}
    for repo in repos:
        for project in repo.projects:
            if project.source is not None:
                _place(project, infos[project.source])
    if readiness:
        known = checks if checks is not None else registry.all_checks()
        rows = [(r.root, r.entry, p) for r in repos if r.root is not None for p in r.projects]

        def assess(item: tuple[Path, RepoEntry, ProjectStatus]) -> None:
            root, entry, project = item
            report = readiness_service.assess(root / project.path, tier=entry.tier, checks=known)
            project.readiness = report
            if report.error is None and report.tier is not None:
                project.tier, project.tier_source = report.tier, report.tier_source

        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(assess, rows))
    return FleetStatus(
        repos,
        [infos[s] for s in sources],
        readiness,
        forge_prs is not None,
        fail_on if fail_on is not None else FailOn(),
    )


def default_jobs() -> int:
    """Threads for reading repositories: git subprocesses overlap well beyond the cores."""
    return min(8, 2 * (os.cpu_count() or 2))
