"""Which repositories make up the fleet: a fleet file, or a folder of clones.

A fleet file is YAML; each repository is a git URL or a local path, with optional
overrides (owner, tier, labels) and an optional ``skip`` reason (archived, pinned...)::

    defaults:                 # optional, applied to every entry that does not say otherwise
      owner: team-ml
    repositories:
      - url: https://git.example.org/ml/churn-scorer.git
        tier: 1
        labels: {domain: churn}
      - path: ../clones/fraud-api            # relative to the fleet file
        name: fraud-api
        owner: team-fraud
      - url: git@git.example.org:ml/legacy-scorer.git
        skip: archived 2026-10
      - https://git.example.org/ml/forecast.git   # a plain string: URL or path

A bad fleet file is one ``UsageError`` naming the entry and the key, before any repository is
touched: a typo in ``tier`` must not silently drop a repository from the tier-1 numbers.
A repository that cannot be read later (a path that is gone, a URL that does not answer) is
not an error of the file: the fleet services report it as data for that repository.

Repositories that hold no generated project count too: they are part of the organisation,
lower the adoption rate, and are listed as not from the catalog.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from goldenpath.adapters import git_adapter
from goldenpath.errors import RepositoryError, UsageError
from goldenpath.results import Record

ANSWERS_PATTERNS = (":(glob)**/.copier-answers*.yml", ":(glob)**/.copier-answers*.yaml")
_ANSWERS_NAME = re.compile(r"^\.copier-answers[^/]*\.ya?ml$")
_ENTRY_KEYS = {"url", "path", "name", "owner", "tier", "labels", "skip"}
_DEFAULT_KEYS = {"owner", "tier", "labels"}
_SCP_URL = re.compile(r"^[\w.-]+@[\w.-]+:")  # git@host:group/repo.git


@dataclass(frozen=True)
class RepoEntry(Record):
    """One repository of the fleet, as the fleet file (or ``--discover``) names it."""

    name: str  # display name (last path/URL segment unless given)
    source: str  # git URL or local path as written in the fleet file
    local: Path | None  # the local clone/work tree when source is a local path
    owner: str | None = None
    tier: int | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    skip: str | None = None  # reason when the fleet file pins/archives it

    @property
    def is_url(self) -> bool:
        """True when the repository is reached through git (cloned into the cache)."""
        return self.local is None


def is_url(source: str) -> bool:
    """True for ``scheme://...`` and scp-like ``user@host:path`` git URLs."""
    return "://" in source or bool(_SCP_URL.match(source))


def default_name(source: str) -> str:
    """The last segment of a URL or path, without ``.git``."""
    tail = re.split(r"[/:]", source.rstrip("/"))[-1]
    return tail.removesuffix(".git") or source


def _bad(where: str, problem: str) -> UsageError:
    return UsageError(
        f"{where}: {problem}",
        hint="see `goldenpath fleet status --help` for the fleet file format",
    )


def _tier(where: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _bad(where, f"tier {value!r} is not 1, 2 or 3")
    text = str(value).strip().lower().removeprefix("tier-").removeprefix("tier")
    if text not in ("1", "2", "3"):
        raise _bad(where, f"tier {value!r} is not 1, 2 or 3")
    return int(text)


def _labels(where: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _bad(where, "labels must be a mapping of name: value")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def _text(where: str, key: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise _bad(where, f"{key} must be a string")
    text = str(value).strip()
    return text or None


def _entry(where: str, raw: Any, base: Path, defaults: dict[str, Any]) -> RepoEntry:
    if isinstance(raw, str):
        raw = {"url": raw} if is_url(raw) else {"path": raw}
    if not isinstance(raw, dict):
        raise _bad(where, "an entry must be a URL, a path, or a mapping with url or path")
    unknown = sorted(str(k) for k in set(raw) - _ENTRY_KEYS)
    if unknown:
        raise _bad(where, f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_ENTRY_KEYS))})")
    url, path = _text(where, "url", raw.get("url")), _text(where, "path", raw.get("path"))
    if (url is None) == (path is None):
        raise _bad(where, "give exactly one of url or path")
    local: Path | None = None
    if url is not None:
        source = url
    else:
        source = str(path)
        expanded = Path(os.path.expanduser(source))
        local = (expanded if expanded.is_absolute() else base / expanded).resolve()
    skip = raw.get("skip")
    if skip is True:
        skip = "skipped in the fleet file"
    elif skip is False:
        skip = None
    merged = {**defaults, **{k: v for k, v in raw.items() if v is not None}}
    return RepoEntry(
        name=_text(where, "name", raw.get("name")) or default_name(source),
        source=source,
        local=local,
        owner=_text(where, "owner", merged.get("owner")),
        tier=_tier(where, merged.get("tier")),
        labels={**_labels(where, defaults.get("labels")), **_labels(where, raw.get("labels"))},
        skip=_text(where, "skip", skip),
    )


def _check_unique(label: str, entries: list[RepoEntry]) -> None:
    seen: dict[str, RepoEntry] = {}
    for entry in entries:
        key = str(entry.local) if entry.local else entry.source
        if key in seen:
            raise _bad(label, f"{entry.source} is listed twice")
        seen[key] = entry
    names: dict[str, RepoEntry] = {}
    for entry in entries:
        if entry.name in names:
            raise _bad(
                label,
                f"two repositories are named {entry.name!r} "
                f"({names[entry.name].source} and {entry.source}); give one a name:",
            )
        names[entry.name] = entry


def load_fleet_file(path: Path) -> list[RepoEntry]:
    """The repositories a fleet file lists, in its order; ``UsageError`` on a bad file."""
    label = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read fleet file {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise _bad(label, f"not valid YAML: {str(exc).splitlines()[0]}") from exc
    if isinstance(data, list):  # a bare list of repositories is accepted too
        data = {"repositories": data}
    if not isinstance(data, dict) or not isinstance(data.get("repositories"), list):
        raise _bad(label, "expected a mapping with a 'repositories:' list")
    unknown = sorted(str(k) for k in set(data) - {"repositories", "defaults"})
    if unknown:
        raise _bad(label, f"unknown top-level key {unknown[0]!r} (known: defaults, repositories)")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict) or set(defaults) - _DEFAULT_KEYS:
        raise _bad(label, f"defaults may only set {', '.join(sorted(_DEFAULT_KEYS))}")
    _tier(f"{label}: defaults", defaults.get("tier"))
    base = path.resolve().parent
    entries = [
        _entry(f"{label}: repositories[{index}]", raw, base, defaults)
        for index, raw in enumerate(data["repositories"])
    ]
    _check_unique(label, entries)
    return entries


def _is_work_tree(folder: Path) -> bool:
    return (folder / ".git").exists()


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []


def discover(folder: Path) -> list[RepoEntry]:
    """Git work trees directly under ``folder`` and one level deeper (``org/repo``).

    A work tree's own subfolders are not searched: a monorepo is one repository, its
    projects are found inside it. Bare repositories are not work trees and are left out.
    """
    if not folder.is_dir():
        raise UsageError(f"--discover: {folder} is not a folder")
    root = folder.resolve()
    entries: list[RepoEntry] = []
    for child in _children(root):
        if _is_work_tree(child):
            entries.append(RepoEntry(child.name, str(child), child))
            continue
        for grandchild in _children(child):
            if _is_work_tree(grandchild):
                name = f"{child.name}/{grandchild.name}"
                entries.append(RepoEntry(name, str(grandchild), grandchild))
    return entries


def answers_files(repo_root: Path) -> list[str]:
    """Every ``.copier-answers*.yml`` git would commit, relative to ``repo_root``, sorted.

    Each one is a generated project (a monorepo holds several; a folder may hold more than
    one when several templates were applied to it). Ignored files do not count.
    """
    found = git_adapter.find_files(repo_root, ANSWERS_PATTERNS)
    if found is None:
        raise RepositoryError(f"{repo_root} is not a git work tree")
    return sorted(p for p in found if _ANSWERS_NAME.match(PurePosixPath(p).name))


def project_dirs(repo_root: Path) -> list[str]:
    """Relative folders ("." for the root) holding ``.copier-answers*.yml``, via git ls-files."""
    return sorted({str(PurePosixPath(p).parent) for p in answers_files(repo_root)})


def entry_for(path: Path) -> RepoEntry:
    """An entry for one local repository (for callers that start from a path)."""
    resolved = path.resolve()
    return RepoEntry(resolved.name, str(path), resolved)
