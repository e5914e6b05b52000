"""User settings: which catalog to use and which catalogs are trusted.

Precedence, most specific first: command-line option, ``GOLDENPATH_CATALOG``, the user
config file (``$XDG_CONFIG_HOME/goldenpath/config.toml``, default ``~/.config``), the builtin
catalog. The config file looks like::

    catalog = "https://git.example.org/ml/catalog.git"
    trusted = ["https://git.example.org/ml/", "/srv/catalogs/"]

``trusted`` entries are prefixes: a catalog whose source starts with one may use copier's
unsafe features (tasks, migrations, Jinja extensions).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from goldenpath.errors import UsageError

CATALOG_ENV = "GOLDENPATH_CATALOG"


def config_path() -> Path:
    """Where the user config file lives (it does not have to exist)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "goldenpath" / "config.toml"


@dataclass(frozen=True)
class Settings:
    """The resolved user settings."""

    catalog: str | None = None
    trusted: tuple[str, ...] = field(default_factory=tuple)

    def is_trusted(self, source: str) -> bool:
        """True when ``source`` starts with one of the trusted prefixes."""
        return any(source.startswith(prefix) for prefix in self.trusted if prefix)


def load_settings(path: Path | None = None) -> Settings:
    """Read the config file and the environment; a broken file is a one-line error."""
    path = path or config_path()
    data: dict[str, object] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {path}: {exc}", hint="fix or remove the file") from exc
    catalog = data.get("catalog")
    trusted = data.get("trusted", [])
    if catalog is not None and not isinstance(catalog, str):
        raise UsageError(f"{path}: 'catalog' must be a string")
    if not isinstance(trusted, list) or not all(isinstance(t, str) for t in trusted):
        raise UsageError(f"{path}: 'trusted' must be a list of strings")
    env_catalog = os.environ.get(CATALOG_ENV) or None
    return Settings(catalog=env_catalog or catalog, trusted=tuple(trusted))
