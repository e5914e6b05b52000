"""Where templates come from: the builtin catalog shipped in the package, or an
organisation catalog (a git repository or bundle with ``vX.Y.Z`` tags).

The builtin catalog is installed as ONE bundle file under ``~/.goldenpath/catalog/`` and
generated repositories record that path with a literal ``~``. Copier expands it on every
machine, so a teammate or a CI runner with the same or a newer goldenpath can update the
repository offline. Installing never drops versions: the user's bundle always ends up with
the union of what every goldenpath that ran on this machine shipped.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from goldenpath.adapters import bundles, git_adapter, template_config
from goldenpath.catalog.manifest import Manifest, load_manifests
from goldenpath.config import Settings
from goldenpath.errors import CatalogError
from goldenpath.versions import Version

BUILTIN_SOURCE = "~/.goldenpath/catalog/builtin.bundle"
BUILTIN_NAME = "builtin"


def packaged_bundle() -> Path:
    """The catalog bundle shipped inside this goldenpath package."""
    return Path(str(resources.files("goldenpath") / "_catalog" / "builtin.bundle"))


def installed_bundle() -> Path:
    """Where the builtin catalog lives for this user (the recorded ``~`` path)."""
    return Path(os.path.expanduser(BUILTIN_SOURCE))


@dataclass(frozen=True)
class Catalog:
    """A resolved catalog: the source string copier records, and how to read it."""

    source: str
    versioned: bool
    builtin: bool = False

    @property
    def label(self) -> str:
        """Name shown to users."""
        return BUILTIN_NAME if self.builtin else self.source


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # concurrent goldenpath runs install one by one
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _latest_tag(tags: dict[str, str]) -> str:
    versions = sorted(v for v in (Version.maybe(t) for t in tags) if v)
    if not versions:
        raise CatalogError("the catalog bundle holds no vX.Y.Z version")
    return versions[-1].tag


def install_builtin() -> Path:
    """Make sure the user's bundle holds every version this package ships; return it.

    A newer bundle already installed (from a newer goldenpath) is kept as is; an older one
    is replaced by the union of both, so no version ever disappears from a machine.
    """
    shipped = packaged_bundle()
    if not shipped.is_file():
        raise CatalogError(f"the builtin catalog is missing from the package ({shipped})")
    target = installed_bundle()
    with _lock(target):
        shipped_tags = bundles.tags(shipped)
        if not target.exists():
            bundles.merge([shipped], _latest_tag(shipped_tags), target)
            return target
        installed_tags = bundles.tags(target)
        clash = [t for t, sha in shipped_tags.items() if installed_tags.get(t, sha) != sha]
        if clash:
            raise CatalogError(
                f"catalog version {clash[0]} in {target} differs from the one shipped",
                hint="the installed bundle was changed by hand; move it away and rerun",
            )
        if set(shipped_tags) - set(installed_tags):
            union = {**installed_tags, **shipped_tags}
            bundles.merge([target, shipped], _latest_tag(union), target)
    return target


def resolve(option: str | None, settings: Settings) -> Catalog:
    """The catalog to use for ``new``: option, then env/config, then builtin."""
    chosen = option or settings.catalog
    if not chosen or chosen == BUILTIN_NAME:
        install_builtin()
        return Catalog(BUILTIN_SOURCE, versioned=True, builtin=True)
    return for_source(chosen)


def for_source(source: str) -> Catalog:
    """A catalog from a source string (as typed, or as recorded in a repository)."""
    if source == BUILTIN_SOURCE:
        install_builtin()
        return Catalog(BUILTIN_SOURCE, versioned=True, builtin=True)
    if "://" in source or source.startswith("git@"):
        return Catalog(source, versioned=True)
    path = Path(git_adapter.expand(source)).resolve()
    if path.is_file():  # a bundle file
        return Catalog(str(path), versioned=True)
    if not path.is_dir():
        raise CatalogError(f"catalog not found: {source}")
    # A plain folder (e.g. a catalog under development) renders but cannot be updated.
    return Catalog(str(path), versioned=git_adapter.is_repo_root(path))


def versions(catalog: Catalog) -> list[Version]:
    """Released versions of a catalog, oldest first (empty for an unversioned folder)."""
    if not catalog.versioned:
        return []
    tags = git_adapter.version_tags(catalog.source)
    return sorted(v for v in (Version.maybe(t) for t in tags) if v and f"v{v}" in tags)


def pick(catalog: Catalog, wanted: str | None) -> Version | None:
    """The version to render: ``wanted`` if released, else the latest (None: unversioned)."""
    if not catalog.versioned:
        if wanted:
            raise CatalogError(f"{catalog.label} is not versioned; --version cannot apply")
        return None
    return select(catalog, versions(catalog), wanted)


def select(catalog: Catalog, known: list[Version], wanted: str | None) -> Version:
    """``wanted`` when it is a released version of ``catalog``, the latest when None."""
    if not known:
        raise CatalogError(f"{catalog.label} has no vX.Y.Z release tag")
    if wanted is None:
        return known[-1]
    try:
        version = Version.parse(wanted)
    except ValueError as exc:
        raise CatalogError(str(exc)) from exc
    if version not in known:
        raise CatalogError(
            f"version {version} is not in {catalog.label}",
            hint="released: " + ", ".join(str(v) for v in known),
        )
    return version


def require_known(catalog: Catalog, version: Version, known: list[Version]) -> None:
    """Fail clearly when a repository names a version this machine's catalog lacks."""
    base = Version(version.major, version.minor, version.patch)
    if base not in known:
        hint = (
            "upgrade goldenpath: this repository was made with a newer catalog"
            if catalog.builtin
            else "the catalog no longer has that tag; was it deleted or moved?"
        )
        raise CatalogError(f"catalog version {base} is unknown to {catalog.label}", hint=hint)


@dataclass
class CatalogView:
    """What goldenpath reads from one catalog version: questions, templates, changelog.

    Templates are described by their manifests (``<name>/template.yml``); versions released
    before manifests existed have ``catalog.yml`` instead (``manifest``), organisation
    catalogs may have neither (then the ``template`` choice labels describe them).
    """

    config: template_config.TemplateConfig
    manifest: dict[str, dict[str, object]]
    changelog: str
    manifests: list[Manifest] = field(default_factory=list)
    # The checked-out catalog folder, for files read on demand (``<name>/migrations.yml``);
    # it exists only while ``open_version`` is open.
    root: Path | None = None

    def describe(self, name: str, label: str) -> tuple[str, list[str]]:
        """(description, next steps) of template ``name`` whose choice label is ``label``."""
        for found in self.manifests:
            if found.name == name:
                return found.description, list(found.next_steps)
        entry = self.manifest.get(name) or {}
        raw_steps = entry.get("next_steps")
        steps = [str(s) for s in raw_steps] if isinstance(raw_steps, list) else []
        description = str(entry.get("description") or label.partition(":")[2].strip() or label)
        return description, steps


@contextmanager
def open_version(catalog: Catalog, version: Version | None) -> Iterator[CatalogView]:
    """Check the catalog out at ``version`` and read what goldenpath needs from it."""
    with git_adapter.checkout(catalog.source, version.tag if version else None) as root:
        config = template_config.load(root)
        manifest: dict[str, dict[str, object]] = {}
        manifest_file = root / "catalog.yml"
        if manifest_file.is_file():
            loaded = yaml.safe_load(manifest_file.read_text(encoding="utf-8")) or {}
            manifest = dict(loaded.get("templates") or {})
        changelog_file = root / "CHANGELOG.md"
        changelog = changelog_file.read_text(encoding="utf-8") if changelog_file.is_file() else ""
        yield CatalogView(config, manifest, changelog, load_manifests(root), root=root)
