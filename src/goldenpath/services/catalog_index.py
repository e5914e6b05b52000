"""A quick look at a catalog for shell completion: its template names and its versions.

Completion runs on every TAB press, so this reads the least it can and changes nothing:
the builtin catalog is read where it already is (the user's installed bundle and the one
shipped in the package) and never installed, catalog files are read one blob at a time and
never checked out, and a remote catalog (a URL) is never asked: a TAB press must not wait
on a network. Every function returns an empty list instead of raising, because an error
printed during completion would land in the middle of the user's command line.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from goldenpath.adapters import catalog_files, git_adapter
from goldenpath.config import load_settings
from goldenpath.services import catalogs
from goldenpath.services import project as project_service
from goldenpath.versions import Version

T = TypeVar("T")
MANIFEST = "catalog.yml"  # releases before per-template manifests
TEMPLATE_MANIFEST = "template.yml"
COPIER_CONFIG = "copier.yml"


def _quietly(read: Callable[[], list[T]]) -> list[T]:
    try:
        return read()
    except Exception:  # completion must never print a traceback into the command line
        return []


def _chosen(option: str | None) -> str:
    """The catalog ``new`` would use: the option, then env/config, then the builtin one."""
    if option:
        return option
    try:
        configured = load_settings().catalog
    except Exception:  # a broken config file is reported by the command itself, not here
        configured = None
    return configured or catalogs.BUILTIN_NAME


def _local_sources(source: str) -> list[Path]:
    """Local files or folders holding ``source``, preferred first; [] for a remote one."""
    if source in (catalogs.BUILTIN_NAME, catalogs.BUILTIN_SOURCE):
        # The installed bundle holds every version any goldenpath on this machine shipped;
        # the packaged one what this goldenpath ships (not yet installed after an upgrade).
        candidates = [catalogs.installed_bundle(), catalogs.packaged_bundle()]
        return [path for path in candidates if path.is_file()]
    if "://" in source or source.startswith("git@"):
        return []
    path = Path(os.path.expanduser(source))
    return [path] if path.exists() else []


def _releases(paths: list[Path]) -> dict[Version, Path]:
    """Every released version found in ``paths``, each with a source that holds it."""
    found: dict[Version, Path] = {}
    for path in reversed(paths):  # the preferred source wins for a version both hold
        if path.is_dir() and not git_adapter.is_repo_root(path):
            continue  # an unversioned folder
        for tag in git_adapter.version_tags(str(path)):
            version = Version.maybe(tag)
            if version is not None and tag == version.tag:
                found[version] = path
    return found


def _release_only(version: Version) -> Version:
    return Version(version.major, version.minor, version.patch)


def versions(option: str | None) -> list[str]:
    """Released versions of the catalog ``new`` would use, newest first."""

    def read() -> list[str]:
        releases = _releases(_local_sources(_chosen(option)))
        return [str(v) for v in sorted(releases, reverse=True)]

    return _quietly(read)


def update_targets(repo: Path) -> list[str]:
    """Versions a repository can move to with ``update --to``, newest first.

    Its current version is included (``--to`` the current version changes answers only);
    older ones are left out because downgrades are refused.
    """

    def read() -> list[str]:
        project = project_service.load(repo)
        current = _release_only(project.version)
        releases = _releases(_local_sources(project.source))
        return [str(v) for v in sorted(releases, reverse=True) if v >= current]

    return _quietly(read)


def templates(option: str | None) -> list[tuple[str, str]]:
    """(name, description) of the templates of the catalog's latest version.

    Read from each template's manifest (``<name>/template.yml``), else from the older
    catalog-wide ``catalog.yml``; a catalog with neither falls back to the choices of its
    ``template`` question in ``copier.yml``.
    """

    def read() -> list[tuple[str, str]]:
        paths = _local_sources(_chosen(option))
        releases = _releases(paths)

        def file(name: str) -> str | None:
            if releases:
                latest = max(releases)
                return catalog_files.read_at(releases[latest], latest.tag, name)
            folder = next((p for p in paths if p.is_dir()), None)
            found = folder / name if folder else None
            return found.read_text(encoding="utf-8") if found and found.is_file() else None

        config = file(COPIER_CONFIG)
        choices = _from_choices(config) if config is not None else []
        described = [
            (name, _description(file(f"{name}/{TEMPLATE_MANIFEST}"))) for name, _ in choices
        ]
        if any(description is not None for _, description in described):
            return [
                (name, description if description is not None else label)
                for (name, description), (_, label) in zip(described, choices, strict=True)
            ]
        manifest = file(MANIFEST)
        if manifest is not None:
            return _from_manifest(manifest)
        return choices

    return _quietly(read)


def _description(text: str | None) -> str | None:
    """The one-line description of a template manifest; None without a readable one."""
    if text is None:
        return None
    loaded = yaml.safe_load(text)
    found = loaded.get("description") if isinstance(loaded, dict) else None
    return str(found) if found else None


def _from_manifest(text: str) -> list[tuple[str, str]]:
    loaded = yaml.safe_load(text) or {}
    entries: dict[str, Any] = dict(loaded.get("templates") or {})
    return [
        (str(name), str((entry or {}).get("description") or "")) for name, entry in entries.items()
    ]


class _IgnoreTags(yaml.SafeLoader):
    """Safe loading that reads copier's ``!include`` tags as nothing: only the first
    document's ``template`` question matters here, not the files it includes."""


_IgnoreTags.add_multi_constructor("!", lambda _loader, _suffix, _node: None)


def _from_choices(text: str) -> list[tuple[str, str]]:
    first = next(iter(yaml.load_all(text, Loader=_IgnoreTags)), None)  # a SafeLoader
    question = (first or {}).get("template") if isinstance(first, dict) else None
    choices = question.get("choices") if isinstance(question, dict) else None
    if isinstance(choices, dict):
        return [
            (str(value), str(label).partition(":")[2].strip() or str(label))
            for label, value in choices.items()
        ]
    if isinstance(choices, list):
        return [(str(value), "") for value in choices]
    return []
