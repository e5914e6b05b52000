"""The private catalog an upgrade test updates through: the released history of a catalog
plus the working-tree folder committed on top of it as one more release.

A real update reads the old version from the catalog recorded in the repository and the
new one from a tag of the same catalog, so the test needs both in one repository. Building
it reuses the release machinery (``adapters/bundles.py``): the same files a release would
store, on top of the latest release as parent. It is written into the run's scratch
folder only; the shipped bundle (or an organisation's catalog) is only ever read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from goldenpath.adapters import bundles, git_adapter
from goldenpath.errors import CatalogError
from goldenpath.services import catalogs
from goldenpath.services.release import source_version
from goldenpath.versions import Version

BUNDLE_NAME = "catalog.bundle"


@dataclass(frozen=True)
class TestCatalog:
    """The private catalog, what it holds, and which version is the working tree."""

    bundle: Path
    origin: str  # where the released versions came from, as shown to people
    released: tuple[Version, ...]  # releases older than the target, oldest first
    target: Version  # the working tree's version in this catalog
    note: str = ""  # how the target was chosen, when it is not simply VERSION

    __test__ = False  # not a pytest test class, whatever its name says


def _origin(catalog: str | None) -> tuple[str, str]:
    """(source git can read, label) of the released versions; default: the shipped bundle."""
    if catalog is None or catalog == catalogs.BUILTIN_NAME:
        return str(catalogs.packaged_bundle()), catalogs.BUILTIN_NAME
    resolved = catalogs.for_source(catalog)
    if not resolved.versioned:
        raise CatalogError(
            f"{catalog} has no released versions (it is not a git repository or bundle)",
            hint="pass the catalog's git repository, bundle or URL with --catalog",
        )
    return resolved.source, resolved.label


@contextmanager
def _local(source: str, latest: Version) -> Iterator[Path]:
    """A local repository or bundle holding every tag of ``source`` (a URL is cloned)."""
    if "://" in source or source.startswith("git@"):
        with git_adapter.checkout(source, latest.tag) as clone:
            yield clone
    else:
        yield Path(git_adapter.expand(source))


def build(source: Path, catalog: str | None, folder: Path) -> TestCatalog:
    """Write ``folder/catalog.bundle``: the releases of ``catalog`` + ``source`` as target.

    The target is ``source``'s VERSION. When that version is released already, an identical
    tree is tested as released; a changed tree (work in progress before VERSION is bumped)
    is tested as the next patch version, and the result says so. A VERSION older than the
    latest release is refused, as ``catalog release`` refuses it.
    """
    wanted = source_version(source)  # also refuses a path that is no catalog folder
    origin, label = _origin(catalog)
    released = sorted(
        v for tag in git_adapter.version_tags(origin) if (v := Version.maybe(tag)) and not v.extra
    )
    if not released:
        raise CatalogError(f"{label} has no vX.Y.Z release to update from")
    latest = released[-1]
    if wanted < latest:
        raise CatalogError(
            f"VERSION {wanted} of {source} is older than the latest release {latest} of {label}",
            hint="set VERSION to the version the working tree will be released as",
        )
    out = folder / BUNDLE_NAME
    today = datetime.now(tz=UTC).date().isoformat()
    with _local(origin, latest) as local:
        if wanted == latest and bundles.tree_at(local, latest.tag) == bundles.tree_of(source):
            bundles.merge([local], latest.tag, out)
            return TestCatalog(out, label, tuple(released[:-1]), latest)
        if wanted == latest:
            target = Version(latest.major, latest.minor, latest.patch + 1)
            bundles.release(local, source, target.tag, latest.tag, today, out)
            note = (
                f"VERSION {wanted} is released and {source} changed since: "
                f"tested as {target} (bump VERSION before releasing)"
            )
            return TestCatalog(out, label, tuple(released), target, note)
        bundles.release(local, source, wanted.tag, latest.tag, today, out)
        return TestCatalog(out, label, tuple(released), wanted)
