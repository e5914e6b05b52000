"""``goldenpath fleet update``: move every repository of the fleet to a newer catalog version as
a reviewable branch, never touching a default branch or anyone's own clone.

Per repository:

1. a working clone of its upstream (the URL, or the ``origin`` of a local clone) in the cache
   (``$GOLDENPATH_CACHE/update``), cloned once and fetched afterwards;
2. branch ``goldenpath/update-to-vX.Y.Z`` from the default branch head;
3. each generated project of the repository (a monorepo has several) updated on that one
   branch through ``goldenpath update``'s own service, with its transaction guarantees, and
   committed with the template's changelog entries between the two versions. A project in a
   subfolder is updated in a one-commit snapshot of that folder (``update`` works on a
   repository root) and the result copied back;
4. conflicts found in the files themselves (conflict markers, ``.rej`` files), never
   inferred from an exit code: such a branch is committed and pushed like any other and its
   request is a draft marked as needing resolution;
5. ``--verify CMD`` run on the branch (its output's tail kept; forge tokens are not passed
   to it: it runs the repository's own code);
6. ``--push``: the branch is pushed with a lease (a branch someone else pushed to in the
   meantime is refused, not overwritten); ``--open-pr`` opens or updates its pull/merge
   request. Older ``goldenpath/update-to-*`` branches are superseded: their requests closed
   with a comment linking the new one, the branches deleted when they hold only goldenpath's
   commits (a branch people pushed to is kept, and said so).

A failure in one repository is data in its result; the run goes on. ``--jobs N`` runs
repositories in N worker processes, not threads: copier changes the process's working
directory and goldenpath points ``tempfile`` at its scratch folders for each merge, both
process-wide, so two merges must not share a process. The git and copier work is
subprocess- and CPU-bound, so processes also run truly in parallel.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from goldenpath import scratch
from goldenpath.adapters import forge, git_adapter, git_branches
from goldenpath.config import Settings
from goldenpath.errors import (
    GoldenpathError,
    InterruptError,
    RepositoryError,
    UsageError,
    as_goldenpath_error,
)
from goldenpath.fleet import cache, inventory
from goldenpath.fleet.inventory import RepoEntry
from goldenpath.fleet.outcomes import (
    LABEL,
    NEEDS_RESOLUTION,
    FleetUpdateResult,
    Outcome,
    ProjectOutcome,
    RepoResult,
    Superseded,
    Verify,
)
from goldenpath.services import catalogs, update_journal
from goldenpath.services import project as project_service
from goldenpath.services import update as update_service
from goldenpath.versions import Version

BRANCH_PREFIX = "goldenpath/update-to-v"
_VERIFY_TAIL_LINES = 40
_VERIFY_TAIL_CHARS = 4000
_BODY_LIMIT = 60_000  # GitHub refuses bodies over 65,536 characters
_MARKER = re.compile(rb"^(<{7}|>{7})( |$)", re.MULTILINE)


@dataclass(frozen=True)
class ForgeOptions:
    """Which forge API opens the requests: kind and API URL from the remote unless given."""

    kind: forge.Kind | None = None
    api_url: str | None = None
    token_env: str | None = None
    retry: forge.RetryPolicy = field(default_factory=forge.RetryPolicy)

    @staticmethod
    def parse_kind(value: str | None) -> forge.Kind | None:
        """``--forge``'s value as a forge kind (None when not given); a usage error names
        the allowed values, so both fleet commands word it alike."""
        if value is None:
            return None
        for kind in forge.KINDS:
            if value.strip().lower() == kind:
                return kind
        raise UsageError(f"--forge must be github or gitlab, not {value!r}")


@dataclass(frozen=True)
class UpdateOptions:
    """What ``fleet update`` was asked to do (picklable: it goes to the worker processes)."""

    to: str | None = None
    push: bool = False
    open_pr: bool = False  # implies push: a request needs its branch upstream
    verify: str | None = None
    verify_timeout: float = 3600.0
    jobs: int = 1
    shard: tuple[int, int] | None = None
    forge: ForgeOptions = field(default_factory=ForgeOptions)
    settings: Settings = field(default_factory=Settings)
    cache: Path | None = None  # where working clones live (default: the cache's update/)

    @property
    def delivers(self) -> bool:
        """True when the branch leaves the cache (pushed, maybe with a request)."""
        return self.push or self.open_pr


# --- sharding -----------------------------------------------------------------------------


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` (1 <= K <= N) as a pair; a usage error otherwise."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise UsageError(
            f"--shard must be K/N with 1 <= K <= N, not {text!r}",
            hint="e.g. --shard 2/8 for the second of eight CI jobs",
        )
    return int(match[1]), int(match[2])


def identity(entry: RepoEntry) -> str:
    """What names a repository the same way on every CI runner: its URL (``.git`` and a
    trailing slash dropped), or for a local clone its name (paths differ between runners)."""
    if entry.local is None:
        return entry.source.strip().rstrip("/").removesuffix(".git")
    return entry.name


def shard_of(entry: RepoEntry, count: int) -> int:
    """The shard (1-based) of ``entry``: a stable hash, so a repository keeps its shard when
    others are added to or removed from the fleet."""
    digest = hashlib.sha256(identity(entry).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def select_shard(entries: list[RepoEntry], shard: tuple[int, int] | None) -> list[RepoEntry]:
    """The entries of shard ``K/N`` in fleet order (all of them without a shard)."""
    if shard is None:
        return list(entries)
    index, count = shard
    return [entry for entry in entries if shard_of(entry, count) == index]


# --- the fleet run ------------------------------------------------------------------------

OnResult = Callable[[RepoResult], None]


def update_fleet(
    entries: list[RepoEntry], options: UpdateOptions, on_result: OnResult | None = None
) -> FleetUpdateResult:
    """Update every repository of ``entries`` (this shard's); results in fleet order.

    Raises only for the run itself (bad options, no token for ``--open-pr``); a repository's
    failure is its result. ``on_result`` sees each repository's result as it completes.
    """
    started = time.monotonic()
    _preflight(options)
    chosen = select_shard(entries, options.shard)
    jobs = max(1, min(options.jobs, len(chosen) or 1))
    done: dict[int, RepoResult] = {}

    def finish(index: int, result: RepoResult) -> None:
        done[index] = result
        if on_result is not None:
            on_result(result)

    if jobs == 1:
        for index, entry in enumerate(chosen):
            finish(index, update_repository(entry, options))
    else:
        _in_processes(chosen, options, jobs, finish)
    return FleetUpdateResult(
        repositories=[done[index] for index in range(len(chosen))],
        shard=options.shard,
        total=len(entries),
        jobs=jobs,
        to=options.to,
        seconds=time.monotonic() - started,
    )


def _in_processes(
    chosen: list[RepoEntry],
    options: UpdateOptions,
    jobs: int,
    finish: Callable[[int, RepoResult], None],
) -> None:
    # spawn, not fork: the caller may run threads (a progress bar), and a forked child
    # inherits their locks in whatever state they were.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context)
    try:
        futures: dict[Future[RepoResult], int] = {
            pool.submit(update_repository, entry, options): index
            for index, entry in enumerate(chosen)
        }
        for future in as_completed(futures):
            index = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # a worker died (killed, out of memory): data, not a crash
                result = _failed_repo(chosen[index], as_goldenpath_error(exc))
            finish(index, result)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _preflight(options: UpdateOptions) -> None:
    """Fail the run before any repository is touched when it cannot deliver what was asked."""
    if options.jobs < 1:
        raise UsageError(f"--jobs must be 1 or more, not {options.jobs}")
    if options.open_pr:
        kinds = [options.forge.kind] if options.forge.kind else list(forge.KINDS)
        names = [options.forge.token_env or forge.TOKEN_ENV[kind] for kind in kinds]
        if not any(os.environ.get(name, "").strip() for name in names):
            raise UsageError(
                "--open-pr needs a forge token in $" + " or $".join(dict.fromkeys(names)),
                hint="a token with write access to pull/merge requests; "
                "choose the variable with --token-env",
            )
    if options.to is not None:
        try:
            Version.parse(options.to)
        except ValueError as exc:
            raise UsageError(f"--to: {exc}") from exc
    root = clones_root(options)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GoldenpathError(
            f"cannot create the working-clone folder {root}: {exc.strerror or exc}",
            hint=f"set ${cache.CACHE_ENV} to a writable folder",
        ) from exc


def clones_root(options: UpdateOptions) -> Path:
    """Where the working clones live: ``update/`` in the fleet cache unless given."""
    return options.cache or cache.cache_root() / "update"


def _failed_repo(entry: RepoEntry, error: GoldenpathError) -> RepoResult:
    result = RepoResult(entry.name, entry.source)
    result.projects = [
        ProjectOutcome(".", Outcome.FAILED, reason=error.message, hint=error.hint or None)
    ]
    return result


def update_repository(entry: RepoEntry, options: UpdateOptions) -> RepoResult:
    """Update one repository; every failure is returned as data (Ctrl-C excepted).

    A failure half-way keeps what was already decided: projects found up to date or already
    committed keep their outcome, the ones still pending fail with the reason.
    """
    started = time.monotonic()
    repository = _Repository(entry, options)
    try:
        result = repository.run()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        result = _failed_half_way(repository.result, entry, as_goldenpath_error(exc), options)
    result.seconds = time.monotonic() - started
    return result


def _failed_half_way(
    result: RepoResult, entry: RepoEntry, error: GoldenpathError, options: UpdateOptions
) -> RepoResult:
    """The result of a repository whose run raised: what was decided stays, projects still
    pending fail with the reason, and a commit that was to be pushed but was not (or whose
    request was not opened) is not reported as updated."""
    if not result.projects:
        return _failed_repo(entry, error)
    result.error = error.to_dict()
    for project in result.projects:
        if project.outcome is Outcome.FAILED and not project.reason:
            project.reason, project.hint = error.message, error.hint or None
        elif project.outcome is Outcome.UPDATED and options.delivers:
            project.outcome = Outcome.FAILED
            project.reason = f"committed, but not delivered: {error.message}"
            project.hint = error.hint or None
    return result


# --- one repository -----------------------------------------------------------------------

_versions: dict[str, list[Version]] = {}  # per catalog source, for the whole run (per process)


def _known_versions(catalog: catalogs.Catalog) -> list[Version]:
    if catalog.source not in _versions:
        _versions[catalog.source] = catalogs.versions(catalog)
    return _versions[catalog.source]


def upstream_of(entry: RepoEntry) -> str:
    """Where the update branch goes: the URL, or the ``origin`` of a local clone (its own
    path when it has none: the branch is then pushed into it, next to its default branch)."""
    if entry.local is None:
        return entry.source
    if not entry.local.is_dir():
        raise RepositoryError(f"{entry.local} does not exist or is not a folder")
    if git_adapter.git_dir(entry.local) is None:
        raise RepositoryError(f"{entry.local} is not a git repository")
    url = git_branches.remote_url(entry.local)
    if url is None:
        return str(entry.local)
    if inventory.is_url(url) or Path(url).is_absolute():
        return url
    return str((entry.local / url).resolve())  # a relative path is relative to the clone


@dataclass
class _Plan:
    """A project that needs updating to ``target``."""

    outcome: ProjectOutcome
    target: Version


class _Repository:
    """The steps for one repository (see the module docstring)."""

    def __init__(self, entry: RepoEntry, options: UpdateOptions) -> None:
        self.entry = entry
        self.options = options
        self.result = RepoResult(entry.name, entry.source)

    def run(self) -> RepoResult:
        if self.entry.skip:
            self.result.projects = [ProjectOutcome(".", Outcome.SKIPPED, reason=self.entry.skip)]
            return self.result
        upstream = upstream_of(self.entry)
        clone = cache.slot(upstream, clones_root(self.options))
        with git_branches.locked(clone):
            git_branches.refresh_clone(upstream, clone)
            self.result.clone = str(clone)
            self._in_clone(clone, upstream)
        return self.result

    def _in_clone(self, clone: Path, upstream: str) -> None:
        base = self._checkout_default(clone, upstream)
        plans = self._plans(clone)
        if not plans:
            return
        target = max(plan.target for plan in plans)
        branch = f"{BRANCH_PREFIX}{target}"
        remote = git_branches.remote_branches(clone, BRANCH_PREFIX)
        if branch in remote and self._taken(clone, branch, base, remote[branch], plans):
            return
        self.result.branch = branch
        git_branches.start_branch(clone, branch, base)
        for plan in plans:
            self._update_project(clone, branch, plan)
        made = [plan for plan in plans if plan.outcome.commit]
        if not made:
            return
        tip = git_adapter.rev_parse(clone, "HEAD")
        self.result.commit = tip
        if branch in remote and tip is not None:
            self._reuse_identical(clone, branch, base, remote[branch], tip, made)
        if self.options.verify:
            self._verify(clone, made)
        if self.options.delivers:
            self._deliver(clone, upstream, branch, base, target, remote)

    def _checkout_default(self, clone: Path, upstream: str) -> str:
        """Check out the default branch head; its commit id.

        The working clone is goldenpath's and locked by this run: what a killed earlier run
        left (git's index lock, an update journal) is stale and goes before the reset.
        """
        git_dir = git_adapter.git_dir(clone)
        if git_dir is not None:
            (git_dir / "index.lock").unlink(missing_ok=True)
        journal = update_journal.location(clone)
        if journal is not None and journal.is_file():
            update_journal.remove(clone)
        default = git_branches.default_branch(clone)
        if default is None:
            raise RepositoryError(f"{upstream} has no commits (no default branch)")
        base = git_adapter.rev_parse(clone, f"refs/remotes/origin/{default}")
        if base is None:
            raise RepositoryError(f"{upstream} has no branch {default}")
        self.result.base = default
        git_branches.start_branch(clone, default, base)
        return base

    def _plans(self, clone: Path) -> list[_Plan]:
        """Every project's outcome recorded; the projects that need updating returned."""
        folders = inventory.project_dirs(clone)
        if not folders:
            reason = "not generated from the catalog (no .copier-answers.yml)"
            self.result.projects = [ProjectOutcome(".", Outcome.SKIPPED, reason=reason)]
            return []
        plans: list[_Plan] = []
        for folder in folders:
            planned = self._plan(clone, folder)
            if isinstance(planned, _Plan):
                plans.append(planned)
                self.result.projects.append(planned.outcome)
            else:
                self.result.projects.append(planned)
        return plans

    def _taken(self, clone: Path, branch: str, base: str, tip: str, plans: list[_Plan]) -> bool:
        """True (and the projects skipped) when people pushed to this run's branch already:
        their work is never overwritten."""
        foreign = git_branches.foreign_commits(clone, base, tip)
        for plan in plans if foreign else []:
            plan.outcome.outcome = Outcome.SKIPPED
            plan.outcome.reason = (
                f"{branch} has {len(foreign)} commit(s) not made by goldenpath; "
                "left as is for whoever works on it"
            )
        return bool(foreign)

    def _plan(self, clone: Path, folder: str) -> _Plan | ProjectOutcome:
        """What to do with one project: its final outcome, or a plan to update it."""
        outcome = ProjectOutcome(folder, Outcome.FAILED)
        try:
            project = project_service.load(clone / folder)
            outcome.template = project.template or None
            outcome.from_version = str(project.version)
            catalog = catalogs.for_source(project.source)
            known = _known_versions(catalog)
            catalogs.require_known(catalog, project.version, known)
            target = catalogs.select(catalog, known, self.options.to)
        except GoldenpathError as exc:
            outcome.reason, outcome.hint = exc.message, exc.hint or None
            return outcome
        outcome.to_version = str(target)
        if project.version > target:
            outcome.outcome = Outcome.SKIPPED
            outcome.reason = (
                f"at {project.version}, newer than --to {target}"
                if self.options.to
                else f"at {project.version}, past the latest release {target}"
            )
            return outcome
        if Version(project.version.major, project.version.minor, project.version.patch) == target:
            outcome.outcome = Outcome.UP_TO_DATE
            return outcome
        return _Plan(outcome, target)

    def _update_project(self, clone: Path, branch: str, plan: _Plan) -> None:
        """``goldenpath update`` on one project, then one commit on the branch."""
        outcome, folder = plan.outcome, plan.outcome.path
        if folder == ".":
            result = self._service_update(clone, plan.target)
        else:
            with scratch.folder() as tmp:
                snapshot = tmp / Path(folder).name
                git_branches.snapshot(clone / folder, snapshot)
                result = self._service_update(snapshot, plan.target)
                if result.error is None:
                    _copy_back(snapshot, clone / folder)
        if result.error is not None:
            outcome.reason, outcome.hint = result.error.message, result.error.hint or None
            git_branches.start_branch(clone, branch, "HEAD")  # drop whatever was left
            return
        prefix = "" if folder == "." else f"{folder}/"
        outcome.changed = [prefix + p for p in result.changed]
        outcome.added = [prefix + p for p in result.added]
        outcome.removed = [prefix + p for p in result.removed]
        outcome.changelog = [{"version": str(e.version), "notes": e.body} for e in result.changelog]
        written, _ = git_branches.staged_changes(clone)
        found = conflicted_files(clone, written)
        outcome.conflicts = sorted({*found, *(prefix + p for p in result.conflicts)})
        outcome.commit = git_branches.commit(clone, commit_message(outcome, plan.target))
        outcome.outcome = Outcome.CONFLICTS if outcome.conflicts else Outcome.UPDATED

    def _service_update(self, path: Path, target: Version) -> update_service.UpdateResult:
        result = update_service.update(path, to=str(target), settings=self.options.settings)
        if isinstance(result.error, InterruptError):
            raise KeyboardInterrupt  # Ctrl-C stops the fleet run, not just this repository
        return result

    def _reuse_identical(
        self, clone: Path, branch: str, base: str, remote_tip: str, tip: str, made: list[_Plan]
    ) -> None:
        """A rerun that produced what the upstream branch already holds keeps that branch
        (same base, same files): nothing to push, the request stays as it is."""
        same_tree = git_branches.tree(clone, tip) == git_branches.tree(clone, remote_tip)
        same_base = git_branches.parent(clone, remote_tip, len(made)) == base
        if not (same_tree and same_base):
            return
        git_branches.start_branch(clone, branch, remote_tip)
        commits = git_adapter.run(
            ["rev-list", "--reverse", f"{base}..{remote_tip}"], cwd=clone
        ).split()
        for plan, commit in zip(made, commits, strict=False):
            plan.outcome.commit = commit
        self.result.commit = remote_tip

    def _verify(self, clone: Path, made: list[_Plan]) -> None:
        command = self.options.verify or ""
        verify = run_verify(clone, command, self.options.verify_timeout, self._secret_names())
        self.result.verify = verify
        if verify.passed:
            return
        for plan in made:
            if plan.outcome.outcome is Outcome.UPDATED:
                plan.outcome.outcome = Outcome.VERIFY_FAILED
                plan.outcome.reason = (
                    f"`{command}` exited {verify.exit_code}"
                    if verify.exit_code is not None
                    else f"`{command}` did not finish"
                )

    def _secret_names(self) -> set[str]:
        names = set(forge.TOKEN_ENV.values())
        if self.options.forge.token_env:
            names.add(self.options.forge.token_env)
        return names

    def _deliver(
        self,
        clone: Path,
        upstream: str,
        branch: str,
        base: str,
        target: Version,
        remote: dict[str, str],
    ) -> None:
        tip = self.result.commit or ""
        if remote.get(branch) == tip:
            self.result.push_note = "the upstream branch already holds this update"
        else:
            git_branches.push(clone, branch, remote.get(branch))
            self.result.pushed = True
        client: forge.Forge | None = None
        project = ""
        request: forge.ChangeRequest | None = None
        open_requests: list[forge.ChangeRequest] = []
        if self.options.open_pr:
            client, project = self._forge(upstream)
            open_requests = client.list_open(project, head_prefix=BRANCH_PREFIX)
            request = self._open_request(client, project, branch, open_requests, target)
        for old, sha in sorted(remote.items()):
            version = Version.maybe(old.removeprefix(BRANCH_PREFIX))
            if old == branch or version is None or version >= target:
                continue
            self.result.superseded.append(
                self._supersede(clone, old, sha, base, client, project, request, open_requests)
            )

    def _forge(self, upstream: str) -> tuple[forge.Forge, str]:
        settings = self.options.forge
        remote = forge.parse_remote(upstream)
        if remote is None:
            raise RepositoryError(
                f"cannot open a pull request for {upstream}: not a forge URL",
                hint="list the repository by its https or ssh URL",
            )
        client = forge.client_for_remote(
            remote,
            kind=settings.kind,
            api_url=settings.api_url,
            token_env=settings.token_env,
            retry=settings.retry,
        )
        return client, remote.project

    def _open_request(
        self,
        client: forge.Forge,
        project: str,
        branch: str,
        open_requests: list[forge.ChangeRequest],
        target: Version,
    ) -> forge.ChangeRequest:
        conflicts = any(p.outcome is Outcome.CONFLICTS for p in self.result.projects)
        verify_failed = self.result.verify is not None and not self.result.verify.passed
        draft = conflicts or verify_failed
        title = request_title(self.result, target)
        body = request_body(self.result, target)
        labels = (LABEL, NEEDS_RESOLUTION) if conflicts else (LABEL,)
        existing = next((r for r in open_requests if r.head == branch), None)
        if existing is None:
            request = client.create(
                project, branch, self.result.base or "", title, body, draft, labels
            )
            action = "created"
        else:
            request = client.update(
                project,
                existing,
                title=title,
                body=body,
                draft=draft,
                add_labels=labels,
                remove_labels=() if conflicts else (NEEDS_RESOLUTION,),
            )
            action = "updated"
        self.result.pull_request = {**request.to_dict(), "action": action}
        return request

    def _supersede(
        self,
        clone: Path,
        old: str,
        sha: str,
        base: str,
        client: forge.Forge | None,
        project: str,
        request: forge.ChangeRequest | None,
        open_requests: list[forge.ChangeRequest],
    ) -> Superseded:
        superseded = Superseded(old, deleted=False)
        if client is not None and request is not None:
            for older in (r for r in open_requests if r.head == old):
                client.close(
                    project,
                    older.number,
                    comment=f"Superseded by {request.url} ({self.result.branch}): "
                    "goldenpath opened a newer catalog update.",
                )
                superseded.pull_request = older.url
        foreign = git_branches.foreign_commits(clone, base, sha)
        if foreign:
            superseded.note = f"kept: {len(foreign)} commit(s) on it were not made by goldenpath"
        else:
            git_branches.delete_remote_branch(clone, old, sha)
            superseded.deleted = True
        return superseded


# --- helpers ------------------------------------------------------------------------------


def _copy_back(snapshot: Path, folder: Path) -> None:
    """Mirror what the update changed in a project's snapshot into its folder of the clone."""
    written, deleted = git_branches.staged_changes(snapshot)
    for relative in deleted:
        target = folder / relative
        if target.is_symlink() or target.is_file():
            target.unlink()
    for relative in written:
        source, target = snapshot / relative, folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.is_file():
            target.unlink()
        shutil.copy2(source, target, follow_symlinks=False)


def conflicted_files(root: Path, paths: list[str]) -> list[str]:
    """The files among ``paths`` left with a conflict: a ``.rej`` beside them, or conflict
    markers (a line starting with ``<<<<<<< `` or ``>>>>>>> ``) in them."""
    found: set[str] = set()
    for relative in paths:
        if relative.endswith(".rej"):
            found.add(relative.removesuffix(".rej"))
            continue
        try:
            data = (root / relative).read_bytes()
        except OSError:
            continue
        if b"\0" not in data[:8000] and _MARKER.search(data):
            found.add(relative)
    return sorted(found)


def commit_message(outcome: ProjectOutcome, target: Version) -> str:
    """The update commit's message: what moved, its changelog, conflicts, and the trailer
    that marks goldenpath's own commits."""
    where = "" if outcome.path == "." else f" in {outcome.path}"
    lines = [
        f"goldenpath: update {outcome.template or 'project'}{where} to v{target}",
        "",
        f"Catalog update {outcome.from_version} -> {target} made by `goldenpath fleet update`.",
    ]
    if outcome.conflicts:
        lines += ["", "Conflicts to resolve (markers or .rej files are committed):"]
        lines += [f"- {path}" for path in outcome.conflicts]
    if outcome.changelog:
        lines += ["", "Changelog:"]
        for entry in outcome.changelog:
            lines += ["", f"## {entry['version']}", entry["notes"]]
    lines += ["", f"{git_branches.TRAILER}: v{target}"]
    return "\n".join(lines) + "\n"


def request_title(result: RepoResult, target: Version) -> str:
    """``goldenpath: update svc to v2.1.1``, flagged when conflicts need resolving."""
    templates = sorted({p.template for p in result.projects if p.commit and p.template})
    title = f"goldenpath: update {', '.join(templates) or 'templates'} to v{target}"
    if any(p.outcome is Outcome.CONFLICTS for p in result.projects):
        title = f"[needs resolution] {title}"
    return title


def request_body(result: RepoResult, target: Version) -> str:
    """The request's description: per project what moved and how, conflicts, changelog,
    the verify result."""
    lines = [
        f"Catalog update to **v{target}**, made by `goldenpath fleet update` from `{result.base}`.",
        "",
        "| project | template | from | to | outcome |",
        "|---|---|---|---|---|",
    ]
    for p in result.projects:
        lines.append(
            f"| `{p.path}` | {p.template or '-'} | {p.from_version or '-'} | "
            f"{p.to_version or '-'} | {p.outcome} |"
        )
    conflicts = [c for p in result.projects for c in p.conflicts]
    if conflicts:
        lines += [
            "",
            "### Needs resolution",
            "",
            "These files hold conflict markers or `.rej` files. Resolve them on this branch, "
            "push, then mark the request ready for review:",
            "",
            *[f"- `{path}`" for path in conflicts],
        ]
    for p in result.projects:
        if p.changelog:
            lines += [
                "",
                f"### Changelog: {p.template} (`{p.path}`) {p.from_version} -> {p.to_version}",
            ]
            for entry in p.changelog:
                lines += ["", f"#### {entry['version']}", "", _demoted(entry["notes"])]
    if result.verify is not None:
        state = "passed" if result.verify.passed else "FAILED"
        lines += ["", f"### Verify: `{result.verify.command}` {state}"]
        if not result.verify.passed:
            lines += ["", "```text", result.verify.tail, "```"]
    body = "\n".join(lines) + "\n"
    if len(body) > _BODY_LIMIT:
        body = body[:_BODY_LIMIT] + "\n\n(truncated; see the commit messages)\n"
    return body


def _demoted(notes: str) -> str:
    """Changelog headings two levels down, below the request's own ``####`` version heading."""
    return "\n".join(f"##{line}" if line.startswith("#") else line for line in notes.splitlines())


def run_verify(cwd: Path, command: str, timeout: float, secrets: set[str]) -> Verify:
    """Run ``command`` through the shell in ``cwd``; its exit code and output's tail.

    The repository's own code runs here, so the forge tokens are left out of its
    environment. On timeout the command's whole process group is killed.
    """
    env = {key: value for key, value in os.environ.items() if key not in secrets}
    started = time.monotonic()
    try:
        process = subprocess.Popen(  # noqa: S602 - the user's own verify command, run as given
            command,
            shell=True,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        return Verify(command, None, time.monotonic() - started, f"could not start: {exc}")
    try:
        output, _ = process.communicate(timeout=timeout)
        code: int | None = process.returncode
        text = output.decode("utf-8", errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        code = None
        text = output.decode("utf-8", errors="replace") + f"\n(stopped after {timeout:.0f} s)"
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    return Verify(command, code, time.monotonic() - started, _tail(text))


def _tail(text: str) -> str:
    lines = text.rstrip("\n").splitlines()[-_VERIFY_TAIL_LINES:]
    return "\n".join(lines)[-_VERIFY_TAIL_CHARS:]
