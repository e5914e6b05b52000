"""A fresh user for tests that run goldenpath: their own HOME (where the builtin catalog is
installed), config dir and git identity, and no catalog from the environment, so nothing
is read from or written to the HOME of whoever runs the tests."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

# Commits made by tests (and by goldenpath under test) need an identity; it comes from the
# environment only, never from the tester's git configuration.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.org",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.org",
}


@contextmanager
def isolated_user(home: Path, cache: Path | None = None) -> Iterator[Mapping[str, str]]:
    """A fresh user: HOME, config, git identity and, when given, the clone cache.

    Module- and session-scoped fixtures cannot use ``monkeypatch``; this sets and restores
    ``os.environ`` itself.
    """
    home.mkdir(parents=True, exist_ok=True)
    values = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        **({"GOLDENPATH_CACHE": str(cache)} if cache is not None else {}),
        **GIT_ENV,
    }
    saved = {key: os.environ.get(key) for key in [*values, "GOLDENPATH_CATALOG"]}
    os.environ.pop("GOLDENPATH_CATALOG", None)
    os.environ.update(values)
    try:
        yield values
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
