"""``goldenpath catalog release`` / ``verify``: the platform engineer's release act.

A release is derived only from files on main: ``templates/VERSION`` names the version and
``templates/CHANGELOG.md`` must have its dated section. The release appends one commit (the
tree of ``templates/``, parent = the previous release, fixed identity, the changelog date)
to the catalog bundle shipped in the package, and tags it ``vX.Y.Z``. Git tags of the
goldenpath repository itself play no part: they do not travel with a clone or a wheel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from goldenpath import changelog
from goldenpath.adapters import bundles
from goldenpath.catalog import generate as generated
from goldenpath.catalog import migrations
from goldenpath.errors import EXIT_ERROR, EXIT_OK, CatalogError
from goldenpath.results import Result
from goldenpath.versions import Version

# A catalog folder holds at least one of these (VERSION may be what is missing).
_CATALOG_FILES = ("VERSION", "CHANGELOG.md", "copier.yml")


@dataclass
class ReleaseResult(Result):
    """The version released (or found already released, identical)."""

    version: str
    commit: str
    bundle: Path
    created: bool


@dataclass
class VerifyResult(Result):
    """Consistency of a catalog folder with its bundle."""

    versions: list[str] = field(default_factory=list)
    unreleased: str | None = None
    problems: list[str] = field(default_factory=list)

    def _ok_exit_code(self) -> int:
        """1 when a problem was found: CI must fail on an inconsistent catalog."""
        return EXIT_ERROR if self.problems else EXIT_OK


def _require_catalog(source: Path) -> None:
    """A path that is no catalog folder is named as such, not as a VERSION missing in it."""
    hint = "pass the catalog folder (it holds VERSION, CHANGELOG.md and copier.yml) as --source"
    if not source.exists():
        raise CatalogError(f"catalog folder {source} does not exist", hint=hint)
    if not source.is_dir():
        raise CatalogError(f"{source} is not a folder", hint=hint)
    if not any((source / name).is_file() for name in _CATALOG_FILES):
        raise CatalogError(
            f"{source} is not a catalog folder (no {', '.join(_CATALOG_FILES)})", hint=hint
        )


def source_version(source: Path) -> Version:
    """The version named by ``VERSION`` in a catalog folder."""
    _require_catalog(source)
    version_file = source / "VERSION"
    if not version_file.is_file():
        raise CatalogError(f"{version_file} is missing", hint="write the version, e.g. 1.2.0")
    try:  # a garbled file (not UTF-8, not X.Y.Z) is a ValueError as well
        return Version.parse(version_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogError(f"{version_file}: {exc}", hint="write the version, e.g. 1.2.0") from exc


def _changelog(source: Path) -> str:
    """The catalog's changelog text; "" when it is missing (release and verify say so)."""
    path = source / "CHANGELOG.md"
    if not path.is_file():
        return ""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:  # not UTF-8, unreadable
        raise CatalogError(f"{path}: {exc}", hint="the changelog must be UTF-8 text") from exc


def _released(bundle: Path) -> dict[Version, str]:
    if not bundle.is_file():
        return {}
    return {v: sha for t, sha in bundles.tags(bundle).items() if (v := Version.maybe(t))}


def release(source: Path, bundle: Path) -> ReleaseResult:
    """Release ``VERSION`` of ``source`` into ``bundle``; idempotent for identical content.

    Stale generated files are refused: the release would ship a copier.yml that does not
    offer what the manifests say.
    """
    version = source_version(source)
    stale = generated.stale_files(source)
    if stale:
        raise CatalogError(
            f"generated files are stale: {', '.join(stale)}",
            hint=f"{generated.REGENERATE} {source}, review and commit, then release",
        )
    log = _changelog(source)
    entry = changelog.entry_for(log, version)
    if entry is None or entry.released is None:
        raise CatalogError(
            f"CHANGELOG.md has no dated section for {version}",
            hint=f"add '## [{version}] - YYYY-MM-DD' with the release notes",
        )
    released = _released(bundle)
    if version in released:
        if bundles.tree_at(bundle, version.tag) == bundles.tree_of(source):
            return ReleaseResult(str(version), released[version], bundle, created=False)
        raise CatalogError(
            f"{version.tag} is already released with different content",
            hint="released versions never change: bump VERSION and add a changelog section",
        )
    latest = max(released) if released else None
    if latest and version < latest:
        raise CatalogError(f"{version} is older than the latest release {latest}")
    commit = bundles.release(
        bundle if released else None,
        source,
        version.tag,
        latest.tag if latest else None,
        entry.released.isoformat(),
        bundle,
    )
    return ReleaseResult(str(version), commit, bundle, created=True)


def _unknown_tags(source: Path, log: str) -> list[str]:
    """Changelog bullets tagged with a name that is no template of the catalog: ``update``
    would show them to no repository at all, so a typo there hides release notes."""
    templates = {path.parent.name for path in source.glob("*/template") if path.is_dir()}
    if not templates:
        return []
    return [
        f"CHANGELOG.md ({', '.join(versions)}): bullet tagged `{name}`, which is no template "
        f"of the catalog ({', '.join(sorted(templates))})"
        for name, versions in sorted(changelog.tagged_templates(log).items())
        if name not in templates
    ]


def _stale_generated(source: Path) -> list[str]:
    """Generated files that differ from the manifests, or why they cannot be generated."""
    try:
        stale = generated.stale_files(source)
    except CatalogError as exc:
        return [f"cannot generate the copier files: {exc.message}"]
    return [f"{source / name} is stale: {generated.REGENERATE}" for name in stale]


def _migration_notes(source: Path, log: str) -> list[str]:
    """Migrations the changelog does not explain: ``copier update`` ignores
    ``migrations.yml``, so its users learn what to do by hand from the release notes alone.

    Each migration's version needs a section whose notes for the template name every path
    and answer the migration touches (a rename: both names).
    """
    problems: list[str] = []
    for path in sorted(source.glob(f"*/{migrations.MIGRATIONS_FILE}")):
        template = path.parent.name
        try:
            declared = migrations.parse(path)
        except CatalogError as exc:
            problems.append(exc.message)
            continue
        for step in declared:
            entry = changelog.entry_for(log, step.version)
            notes = changelog.for_template(entry, template) if entry else None
            if notes is None:
                problems.append(
                    f"{path}: {step.describe()} ({step.version}) has no notes for `{template}` "
                    f"in CHANGELOG.md's {step.version} section"
                )
                continue
            missing = [name for name in step.mentions() if name not in notes.body]
            if missing:
                problems.append(
                    f"CHANGELOG.md ({step.version}) does not mention {', '.join(missing)} of "
                    f"`{template}`'s migration '{step.describe()}': copier users need it"
                )
    return problems


def verify(source: Path, bundle: Path) -> VerifyResult:
    """Check the bundle's history against the changelog and the source folder."""
    _require_catalog(source)  # before the bundle: a wrong --source is the likelier mistake
    result = VerifyResult()
    released = _released(bundle)
    result.versions = [str(v) for v in sorted(released)]
    if not released:
        result.problems.append(
            f"{bundle} {'holds no release' if bundle.exists() else 'does not exist'}"
        )
        return result
    log = _changelog(source)
    if not log:
        result.problems.append(f"{source / 'CHANGELOG.md'} is missing or empty")
    result.problems.extend(_unknown_tags(source, log))
    result.problems.extend(_stale_generated(source))
    result.problems.extend(_migration_notes(source, log))
    ordered = sorted(released)
    for previous, version in zip([None, *ordered], ordered, strict=False):
        if changelog.entry_for(log, version) is None:
            result.problems.append(f"{version.tag} has no section in CHANGELOG.md")
        parent = bundles.parent_of(bundle, version.tag)
        expected = released[previous] if previous else None
        if parent != expected:
            result.problems.append(f"{version.tag} does not follow the previous release")
    current, latest = source_version(source), ordered[-1]
    if current == latest:
        if bundles.tree_at(bundle, latest.tag) != bundles.tree_of(source):
            result.problems.append(
                f"templates changed after {latest.tag} was released: bump VERSION"
            )
    elif current > latest:
        result.unreleased = str(current)
    else:
        result.problems.append(f"VERSION {current} is older than the released {latest}")
    return result
