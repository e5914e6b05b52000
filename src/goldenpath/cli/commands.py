"""The core commands: new, update, check, templates and catalog release/verify."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from goldenpath import __version__
from goldenpath.cli import completion
from goldenpath.cli.common import (
    JsonOpt,
    TrustOpt,
    app,
    catalog_app,
    emit,
    err,
    out,
)
from goldenpath.cli.common import (
    json_errors as _json_errors,
)
from goldenpath.cli.common import (
    run as _run,
)
from goldenpath.config import load_settings
from goldenpath.errors import (
    EXIT_OK,
    UsageError,
)
from goldenpath.services import check as check_service
from goldenpath.services import generate as generate_service
from goldenpath.services import release as release_service
from goldenpath.services import templates as templates_service
from goldenpath.services import update as update_service
from goldenpath.services.answers import TerminalAsker
from goldenpath.services.recommend import Recommender
from goldenpath.versions import Gap


def _version(value: bool) -> None:
    if value:
        out.print(f"goldenpath {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def main_callback(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Render complete ML repositories from a versioned catalog and keep them up to date."""


# --- new ----------------------------------------------------------------------------------


def _parse_data(pairs: list[str], data_file: Path | None) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if data_file is not None:
        try:
            loaded = yaml.safe_load(data_file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise UsageError(f"cannot read --data-file {data_file}: {exc}".splitlines()[0]) from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise UsageError(f"--data-file {data_file} must hold a mapping of answers")
        data.update(loaded or {})
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--data {pair!r} is not KEY=VALUE")
        data[key.strip()] = value
    return data


def _choose_template(
    asker: TerminalAsker,
) -> Callable[[list[tuple[str, str]], Recommender | None], str]:
    def choose(choices: list[tuple[str, str]], recommender: Recommender | None) -> str:
        if recommender is None:  # a catalog without manifests: nothing to recommend from
            return str(asker.select("Template", choices, None))
        out.print("A few questions about your use case first.")
        facts = {q.trait: asker.confirm(q.text, False) for q in recommender.questions}
        pick = recommender.recommend(facts)
        out.print(f"Recommended: {pick.template} ({pick.reason}).")
        return str(asker.select("Template", choices, pick.template))

    return choose


def _confirm_summary(asker: TerminalAsker) -> Callable[[list[tuple[str, str]]], bool]:
    def confirm(rows: list[tuple[str, str]]) -> bool:
        table = Table(title="Summary", show_header=False)
        for name, value in rows:
            table.add_row(name, value)
        out.print(table)
        return asker.confirm("Generate the repository with these answers?", True)

    return confirm


@app.command()
def new(
    template: Annotated[
        str | None,
        typer.Argument(
            help="Template name (asked when omitted).", autocompletion=completion.template_names
        ),
    ] = None,
    dest: Annotated[
        Path | None, typer.Argument(help="New folder (default: ./<project_name>).")
    ] = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Ask nothing: --data, then defaults.")
    ] = False,
    data: Annotated[
        list[str] | None, typer.Option("--data", "-d", help="An answer, KEY=VALUE (repeatable).")
    ] = None,
    data_file: Annotated[
        Path | None, typer.Option("--data-file", help="YAML file of answers.")
    ] = None,
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            help="Catalog version X.Y.Z (default: latest).",
            autocompletion=completion.new_versions,
        ),
    ] = None,
    catalog: Annotated[
        str | None, typer.Option("--catalog", help="Catalog git URL, path or bundle.")
    ] = None,
    trust: TrustOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Generate a new repository from a catalog template."""

    @_json_errors(as_json)
    def action() -> int:
        interactive = not defaults
        if interactive and not sys.stdin.isatty():
            raise UsageError(
                "no terminal to ask questions on",
                hint="pass --defaults (answers from --data/--data-file, then defaults)",
            )
        asker = TerminalAsker() if interactive else None
        request = generate_service.NewRequest(
            dest=dest,
            template=template,
            data=_parse_data(data or [], data_file),
            catalog=catalog,
            version=version,
            trust=trust,
            settings=load_settings(),
            asker=asker,
            choose_template=_choose_template(asker) if asker else None,
        )
        result = generate_service.generate(
            request, confirm=_confirm_summary(asker) if asker else None
        )

        def created() -> None:
            where = f"{result.catalog} {result.version}" if result.version else result.catalog
            out.print(
                f"Created {result.path} from {result.template} ({where}), "
                f"{result.files} files, initial commit {result.commit[:10]}.",
                markup=False,
            )
            out.print("Next steps:")
            for step in result.next_steps:
                out.print(f"  {step}", markup=False)

        return emit(result, as_json, created)

    _run(action)


# --- update -------------------------------------------------------------------------------


def _print_update(result: update_service.UpdateResult) -> None:
    if result.up_to_date:
        out.print(f"{result.path}: already at {result.to_version}; nothing to do.", markup=False)
        return
    verb = "would update" if result.dry_run else "updated"
    moved = (
        f"{result.from_version} -> {result.to_version}"
        if result.from_version != result.to_version
        else f"{result.to_version} (answers only)"
    )
    out.print(f"{result.path}: {verb} {result.template} {moved}", markup=False)
    for change in result.answers:
        out.print(f"  answer {change.name}: {change.old!r} -> {change.new!r}", markup=False)
    for step in result.migrations:
        out.print(f"  migration {step.version} {step.description}: {step.outcome}", markup=False)
    for label, files in (
        ("changed", result.changed),
        ("added", result.added),
        ("removed", result.removed),
        ("CONFLICTS", result.conflicts),
    ):
        if files:
            out.print(f"  {label} ({len(files)}): " + ", ".join(files), markup=False)
    if result.changelog:
        out.print("Changelog:")
        for entry in result.changelog:
            out.print(f"  {entry.version}:", markup=False)
            for line in entry.body.splitlines():
                out.print(f"    {line}", markup=False)
    if result.dry_run:
        out.print("Diff that the update would apply (nothing was changed):")
        out.print(result.diff or "(empty)", markup=False)
    elif result.conflicts:
        out.print("Resolve the conflicts, review with `git diff`, then commit.")
    else:
        out.print("Review with `git diff`, then commit (goldenpath never commits for you).")


def _print_abort(result: update_service.UpdateResult) -> None:
    out.print(
        f"{result.path}: the interrupted update to {result.to_version} was undone; "
        "the tree is back at HEAD.",
        markup=False,
    )


@app.command()
def update(
    path: Annotated[Path, typer.Argument(help="Repository to update.")] = Path(),
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Target version X.Y.Z (default: latest).",
            autocompletion=completion.update_versions,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the diff; change nothing.")
    ] = False,
    conflict: Annotated[
        str, typer.Option("--conflict", help="inline markers or .rej files.")
    ] = "inline",
    abort: Annotated[
        bool, typer.Option("--abort", help="Undo an interrupted update: restore HEAD.")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--continue", help="Finish an interrupted update.")
    ] = False,
    data: Annotated[
        list[str] | None,
        typer.Option("--data", "-d", help="Change an answer, KEY=VALUE (repeatable)."),
    ] = None,
    data_file: Annotated[
        Path | None, typer.Option("--data-file", help="YAML file of answers to change.")
    ] = None,
    ask: Annotated[
        list[str] | None,
        typer.Option("--ask", help="Ask this question again in the terminal (repeatable)."),
    ] = None,
    trust: TrustOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Update a generated repository to a newer catalog version, or change its answers.

    Both go through the same 3-way merge: local edits are kept. With --data, --data-file or
    --ask and no --to, the repository also moves to the latest version; pass --to with the
    current version to change answers only.
    """

    def action() -> int:
        if conflict not in {"inline", "rej"}:
            raise UsageError(f"--conflict must be inline or rej, not {conflict!r}")
        if abort and resume:
            raise UsageError("--abort and --continue exclude each other")
        changing = bool(data or data_file or ask)
        if (abort or resume) and (dry_run or to is not None or changing):
            raise UsageError("--abort and --continue take no --to, --dry-run or answers")
        if ask and not sys.stdin.isatty():
            raise UsageError("--ask needs a terminal", hint="pass the answers with --data instead")
        answers = update_service.AnswersRequest(
            data=_parse_data(data or [], data_file),
            ask=list(ask or []),
            asker=TerminalAsker() if ask else None,
        )
        if abort:
            result = update_service.abort(path)
        elif resume:
            result = update_service.resume(path)
        else:
            result = update_service.update(
                path,
                to=to,
                dry_run=dry_run,
                conflict="rej" if conflict == "rej" else "inline",
                trust=trust,
                settings=load_settings(),
                answers=answers,
            )
        return emit(result, as_json, lambda: (_print_abort if abort else _print_update)(result))

    _run(action)


# --- check --------------------------------------------------------------------------------


@app.command()
def check(
    path: Annotated[Path, typer.Argument(help="Repository to check.")] = Path(),
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on",
            help="Smallest gap that fails: major, minor or patch.",
            autocompletion=completion.gaps,
        ),
    ] = "patch",
    as_json: JsonOpt = False,
) -> None:
    """Report the catalog version of a repository; exit 3 when it is behind."""

    def action() -> int:
        try:
            threshold = Gap[fail_on.upper()]
        except KeyError:
            raise UsageError(f"--fail-on must be major, minor or patch, not {fail_on!r}") from None
        if threshold is Gap.NONE:
            raise UsageError("--fail-on must be major, minor or patch")
        result = check_service.check(path, threshold)

        def state() -> None:
            gap = f"behind ({result.gap.name.lower()} update available)"
            out.print(
                f"{result.path}: {result.template} {result.current}, latest "
                f"{result.latest}: {gap if result.behind else 'up to date'}",
                markup=False,
            )

        return emit(result, as_json, state)

    _run(action)


# --- templates ----------------------------------------------------------------------------


@app.command()
def templates(
    catalog: Annotated[
        str | None, typer.Option("--catalog", help="Catalog git URL, path or bundle.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the catalog's templates and its released versions (latest first)."""

    @_json_errors(as_json)
    def action() -> int:
        result = templates_service.list_templates(catalog, load_settings())

        def listing() -> None:
            if result.version:
                out.print(f"Catalog {result.catalog}, version {result.version}", markup=False)
                out.print("Versions: " + ", ".join(result.versions), markup=False)
            else:
                out.print(
                    f"Catalog {result.catalog}, unversioned: it renders, but what it renders "
                    "cannot be updated",
                    markup=False,
                )
            for info in result.templates:
                out.print(f"  {info.name:<20} {info.description}", markup=False)

        return emit(result, as_json, listing)

    _run(action)


# --- catalog release / verify -------------------------------------------------------------

SourceOpt = Annotated[Path, typer.Option("--source", help="Catalog folder (holds VERSION).")]
BundleOpt = Annotated[Path, typer.Option("--bundle", help="Bundle file to release into.")]
DEFAULT_SOURCE = Path("templates")
DEFAULT_BUNDLE = Path("src/goldenpath/_catalog/builtin.bundle")


@catalog_app.command("release")
def catalog_release(
    source: SourceOpt = DEFAULT_SOURCE,
    bundle: BundleOpt = DEFAULT_BUNDLE,
    as_json: JsonOpt = False,
) -> None:
    """Release VERSION of the catalog folder into the bundle (needs a dated changelog entry)."""

    @_json_errors(as_json)
    def action() -> int:
        result = release_service.release(source, bundle)

        def released() -> None:
            if result.created:
                out.print(
                    f"Released v{result.version} as {result.commit} into {bundle}.", markup=False
                )
            else:
                out.print(
                    f"v{result.version} is already released, identical ({result.commit}).",
                    markup=False,
                )

        return emit(result, as_json, released)

    _run(action)


@catalog_app.command("verify")
def catalog_verify(
    source: SourceOpt = DEFAULT_SOURCE,
    bundle: BundleOpt = DEFAULT_BUNDLE,
    as_json: JsonOpt = False,
) -> None:
    """Check the bundle's releases against the changelog and the catalog folder."""

    @_json_errors(as_json)
    def action() -> int:
        result = release_service.verify(source, bundle)

        def verified() -> None:
            out.print("Released: " + (", ".join(result.versions) or "none"), markup=False)
            if result.unreleased:
                out.print(f"Unreleased: {result.unreleased}", markup=False)
            for problem in result.problems:
                err.print(f"problem: {problem}", markup=False)

        return emit(result, as_json, verified)

    _run(action)
