"""``goldenpath catalog test-upgrades``: update real renders of released versions to the
working tree, with a team's typical edits in them, and check nothing was lost.

A release is safe to ship when every team on an older version can update to it and keep
its work. So for each released version (``from``), template and answer preset of the
working tree, one *cell*:

1. renders ``from`` with the preset's answers through the service ``goldenpath new`` uses,
   committed like a new repository (answers ``from`` does not know are dropped and noted);
2. applies the user-edit fixtures (``edits.py``) and commits them;
3. updates to the working tree's version through the service ``goldenpath update`` uses
   (migrations included), from a private catalog (``repository.py``);
4. runs the checks (``checks.py``): conflicts, kept edits, migrations, the answers file,
   the project's own lint and tests.

Cells are independent, so they run in parallel processes (``jobs``); a failure in one is
data in its result, never an abort of the others.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

from goldenpath import scratch
from goldenpath.adapters import git_adapter
from goldenpath.catalog import migrations
from goldenpath.catalog.manifest import Manifest, load_manifests
from goldenpath.catalog.upgrades import checks, edits, repository
from goldenpath.catalog.upgrades.checks import Check, Toolchain
from goldenpath.config import Settings
from goldenpath.errors import (
    EXIT_ATTENTION,
    EXIT_OK,
    AnswersError,
    CatalogError,
    GoldenpathError,
    UsageError,
    as_goldenpath_error,
)
from goldenpath.results import Record, Result
from goldenpath.services import answers as answers_service
from goldenpath.services import catalogs
from goldenpath.services import generate as generate_service
from goldenpath.services import project as project_service
from goldenpath.services import update as update_service
from goldenpath.versions import Version

PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"
DEFAULT_FROM_COUNT = 2  # without --from: the last two releases older than the target


@dataclass(frozen=True)
class UpgradeRequest:
    """Inputs of one run; empty ``templates``/``presets`` mean all of them."""

    source: Path = Path("templates")
    catalog: str | None = None  # released versions from; None: the builtin bundle
    from_version: str | None = None  # None: the last DEFAULT_FROM_COUNT releases
    templates: tuple[str, ...] = ()
    presets: tuple[str, ...] = ()
    python: Path | None = None  # None: make setup + make lint/test in every cell
    jobs: int = 1
    timeout: float = 900.0  # per project tool call


@dataclass
class Cell(Record):
    """One (from, to, template, preset) update and what its checks found."""

    from_version: str
    to_version: str
    template: str
    preset: str
    outcome: str = PASSED  # passed | failed | skipped
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    _json_rename: ClassVar = {"from_version": "from", "to_version": "to"}

    @property
    def first_failure(self) -> Check | None:
        """The first check that failed (None when none did)."""
        return next((check for check in self.checks if check.failed), None)

    @property
    def case(self) -> str:
        """The matrix case id of the preset, as the template tests name it."""
        return f"{self.template}-{self.preset}"

    def _json_extra(self) -> dict[str, Any]:
        failure = self.first_failure
        return {
            "seconds": round(self.seconds, 1),
            "failed_check": failure.name if failure else None,
            "detail": failure.detail if failure else None,
        }


@dataclass
class UpgradeResult(Result):
    """Every cell of a run; exit code 3 when one failed."""

    source: Path
    catalog: str
    target: str
    from_versions: list[str] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    _json_rename: ClassVar = {"from_versions": "from"}

    def count(self, outcome: str) -> int:
        """How many cells ended with ``outcome``."""
        return sum(1 for cell in self.cells if cell.outcome == outcome)

    def _ok_exit_code(self) -> int:
        """3 when a cell failed: a release that loses a team's work needs a person."""
        return EXIT_ATTENTION if self.count(FAILED) else EXIT_OK

    def _json_extra(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 1),
            "passed": self.count(PASSED),
            "failed": self.count(FAILED),
            "skipped": self.count(SKIPPED),
        }


@dataclass(frozen=True)
class CellJob:
    """Everything one cell needs, picklable: cells may run in other processes."""

    bundle: Path
    from_version: Version
    target: Version
    template: str
    preset: str
    answers: dict[str, Any]  # complete, for the old version (empty when ``problem``)
    tools: Toolchain
    migrations: tuple[migrations.Migration, ...] = ()  # those the update crosses
    problem: str = ""  # the old version refuses the preset's answers
    skip: str = ""  # why the cell cannot run (the template is not in the old version)
    notes: tuple[str, ...] = ()

    def cell(self) -> Cell:
        """An empty cell for this job."""
        return Cell(
            str(self.from_version),
            str(self.target),
            self.template,
            self.preset,
            notes=[*self.notes],
        )


# --- planning -------------------------------------------------------------------------------


def _from_versions(
    released: tuple[Version, ...], target: Version, wanted: str | None
) -> list[Version]:
    """The released versions to update from, oldest first."""
    if not released:
        raise CatalogError(f"no release older than {target} to update from")
    if wanted is None:
        return list(released[-DEFAULT_FROM_COUNT:])
    try:
        start = Version.parse(wanted)
    except ValueError as exc:
        raise UsageError(f"--from: {exc}") from exc
    if start not in released:
        raise UsageError(
            f"--from {start} is not a release older than {target}",
            hint="released: " + ", ".join(str(v) for v in released),
        )
    return [v for v in released if v >= start]


def _manifests(request: UpgradeRequest) -> list[tuple[Manifest, list[str]]]:
    """(manifest, preset names) to test, after the --template and --preset filters."""
    manifests = load_manifests(request.source)
    if not manifests:
        raise CatalogError(
            f"{request.source} has no template manifests (<template>/template.yml)",
            hint="pass the catalog folder of the working tree, e.g. templates",
        )
    names = [m.name for m in manifests]
    unknown = [t for t in request.templates if t not in names]
    if unknown:
        raise UsageError(
            f"unknown template {unknown[0]!r}", hint="choose from: " + ", ".join(names)
        )
    chosen = [m for m in manifests if not request.templates or m.name in request.templates]
    selected = [
        (m, [p.name for p in m.presets if not request.presets or p.name in request.presets])
        for m in chosen
    ]
    known = {p for _, presets in selected for p in presets}
    missing = [p for p in request.presets if p not in known]
    if missing:
        offered = sorted({p.name for m in chosen for p in m.presets})
        raise UsageError(
            f"no selected template has a preset {missing[0]!r}",
            hint="presets: " + ", ".join(offered),
        )
    return [(m, presets) for m, presets in selected if presets]


def _jobs_for_version(
    request: UpgradeRequest,
    catalog: repository.TestCatalog,
    version: Version,
    selected: list[tuple[Manifest, list[str]]],
    tools: Toolchain,
) -> list[CellJob]:
    """The cells updating from ``version``: answers checked against that version's questions."""
    source = catalogs.Catalog(str(catalog.bundle), versioned=True)
    jobs: list[CellJob] = []
    with catalogs.open_version(source, version) as view:
        offered = [name for _, name in answers_service.template_choices(view.config)]
        questions = {q.name for q in view.config.questions}
        for manifest, presets in selected:
            # The working tree is the target: its migrations are the ones the update applies.
            declared = migrations.load(request.source, manifest.name)
            crossed = tuple(migrations.select(declared, version, catalog.target))
            for name in presets:
                base = CellJob(
                    catalog.bundle,
                    version,
                    catalog.target,
                    manifest.name,
                    name,
                    {},
                    tools,
                    migrations=crossed,
                )
                if manifest.name not in offered:
                    skip = f"{manifest.name} is not a template of {version}: nothing to update"
                    jobs.append(replace(base, skip=skip))
                    continue
                preset = dict(manifest.preset(name).answers)
                # Like a repository's recorded answers: validated where the old version
                # asks the question of this template, left out where it does not (a newer
                # question, or one the old version asks of other templates only).
                try:
                    complete = answers_service.collect(
                        view.config, manifest.name, {}, recorded=preset
                    )
                except AnswersError as exc:
                    jobs.append(replace(base, problem=exc.message))
                    continue
                unknown = sorted(k for k in preset if k not in questions)
                inapplicable = sorted(k for k in preset if k in questions and k not in complete)
                notes = []
                if unknown:
                    notes.append(f"answers {version} does not know, dropped: {', '.join(unknown)}")
                if inapplicable:
                    notes.append(
                        f"answers {version} does not ask of {manifest.name}, dropped: "
                        + ", ".join(inapplicable)
                    )
                jobs.append(replace(base, answers=complete, notes=tuple(notes)))
    return jobs


# --- one cell ---------------------------------------------------------------------------


def run_cell(job: CellJob) -> Cell:
    """Run one cell; every failure, of any kind, ends up as a failed check in the cell."""
    started = time.monotonic()
    cell = job.cell()
    if job.skip:
        cell.outcome = SKIPPED
        cell.notes.append(job.skip)
        return cell
    try:
        with scratch.folder() as tmp:
            _run_steps(job, cell, tmp)
    except BaseException as exc:  # the cell carries every failure, Ctrl-C included
        cell.checks.append(checks.failed("internal", as_goldenpath_error(exc).message))
        if isinstance(exc, KeyboardInterrupt):
            raise
    cell.outcome = FAILED if cell.first_failure else PASSED
    cell.seconds = time.monotonic() - started
    return cell


def _run_steps(job: CellJob, cell: Cell, tmp: Path) -> None:
    if job.problem:
        cell.checks.append(checks.failed("render", job.problem))
        return
    try:
        project = _render(job, tmp)
    except GoldenpathError as exc:
        cell.checks.append(checks.failed("render", exc.message))
        return
    cell.checks.append(checks.passed("render", f"{job.template} {job.from_version}"))
    plan = edits.plan(project)
    try:
        for edit in plan.edits:
            edit.apply(project)
        git_adapter.commit_all(project, "Local changes")
    except (OSError, ValueError, GoldenpathError) as exc:
        cell.checks.append(checks.failed("edits", str(exc)))
        return
    cell.checks.append(checks.passed("edits", "; ".join(e.describe() for e in plan.edits)))
    cell.notes.extend(f"no {name} edit: {why}" for name, why in plan.not_applicable.items())
    updated = update_service.update(project, to=str(job.target), trust=True, settings=Settings())
    if updated.error is not None:
        cell.checks.append(checks.failed("update", updated.error.message))
        return
    cell.checks.append(
        checks.passed(
            "update",
            f"{len(updated.changed)} changed, {len(updated.added)} added, "
            f"{len(updated.removed)} removed",
        )
    )
    _check_project(job, cell, project, updated, plan)


def _render(job: CellJob, tmp: Path) -> Path:
    """The old version rendered and committed, as ``goldenpath new`` leaves a repository."""
    name = str(job.answers.get("project_name") or job.template)
    request = generate_service.NewRequest(
        dest=tmp / name,
        template=job.template,
        data=dict(job.answers),
        catalog=str(job.bundle),
        version=str(job.from_version),
        trust=True,  # the catalog under test: its own tests run anyway, so trust adds nothing
        settings=Settings(),
    )
    return generate_service.generate(request).path


def _check_project(
    job: CellJob,
    cell: Cell,
    project: Path,
    updated: update_service.UpdateResult,
    plan: edits.Plan,
) -> None:
    declared = _declared_conflicts(job, project)
    cell.checks.append(checks.conflicts(project, updated.conflicts, expected=declared))
    cell.checks.extend(checks.edit_kept(project, edit, declared) for edit in plan.edits)
    cell.checks.extend(
        checks.not_applicable(f"kept-{name}", why) for name, why in plan.not_applicable.items()
    )
    span = f"{job.from_version} -> {job.target}"
    cell.checks.append(checks.migrations_applied(updated.migrations, job.migrations, span))
    cell.checks.append(checks.answers_version(project, job.target))
    setup = checks.setup(project, job.tools)
    if setup is not None:
        cell.checks.append(setup)
        if setup.failed:
            return
    cell.checks.append(checks.lint(project, job.tools))
    cell.checks.append(checks.tests(project, job.tools))


def _declared_conflicts(job: CellJob, project: Path) -> dict[str, str]:
    """Path -> reason of the conflicts the release declares (``expect_conflict``), placed
    with the project's answers after the update."""
    if not any(m.kind == migrations.EXPECT_CONFLICT for m in job.migrations):
        return {}
    answers = project_service.load(project).answers
    reasons = [m.reason for m in job.migrations if m.kind == migrations.EXPECT_CONFLICT]
    paths = migrations.expected_conflicts(list(job.migrations), answers)
    return dict(zip(paths, reasons, strict=True))


# --- the run ----------------------------------------------------------------------------


def _run_cells(
    jobs: list[CellJob], parallel: int, on_cell: Callable[[Cell], None] | None
) -> list[Cell]:
    """Every job's cell, in job order; ``on_cell`` hears of each as it finishes."""
    cells: list[Cell | None] = [None] * len(jobs)

    def done(index: int, cell: Cell) -> None:
        cells[index] = cell
        if on_cell is not None:
            on_cell(cell)

    if parallel <= 1 or len(jobs) <= 1:
        for index, job in enumerate(jobs):
            done(index, run_cell(job))
    else:
        # spawn: a fresh interpreter per worker, nothing inherited from this process's threads
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=parallel, mp_context=context) as pool:
            futures: dict[Future[Cell], int] = {
                pool.submit(run_cell, job): index for index, job in enumerate(jobs)
            }
            try:
                for future in as_completed(futures):
                    done(futures[future], _outcome(future, jobs[futures[future]]))
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    return [cell for cell in cells if cell is not None]


def _outcome(future: Future[Cell], job: CellJob) -> Cell:
    """A worker's cell; a worker that died is a failed cell, not a crashed run."""
    try:
        return future.result()
    except Exception as exc:  # a killed worker, an unpicklable result
        cell = job.cell()
        cell.checks.append(checks.failed("internal", as_goldenpath_error(exc).message))
        cell.outcome = FAILED
        return cell


def run(request: UpgradeRequest, on_cell: Callable[[Cell], None] | None = None) -> UpgradeResult:
    """Build the private catalog, plan the cells, run them; ``on_cell`` reports progress.

    Raises ``GoldenpathError`` for what stops the whole run (bad options, no catalog); what
    goes wrong inside a cell is in that cell's checks.
    """
    if request.jobs < 1:
        raise UsageError(f"--jobs must be 1 or more, not {request.jobs}")
    python = request.python.absolute() if request.python is not None else None
    if python is not None and not python.is_file():
        raise UsageError(f"--python {request.python} does not exist")
    started = time.monotonic()
    selected = _manifests(request)
    tools = Toolchain(python, request.timeout)
    with scratch.folder() as tmp:
        catalog = repository.build(request.source, request.catalog, tmp)
        versions = _from_versions(catalog.released, catalog.target, request.from_version)
        jobs = [
            job
            for version in versions
            for job in _jobs_for_version(request, catalog, version, selected, tools)
        ]
        result = UpgradeResult(
            source=request.source,
            catalog=catalog.origin,
            target=str(catalog.target),
            from_versions=[str(v) for v in versions],
            notes=[catalog.note] if catalog.note else [],
        )
        result.cells = _run_cells(jobs, request.jobs, on_cell)
    result.seconds = time.monotonic() - started
    return result
