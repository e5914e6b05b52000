"""goldenpath: render complete ML repositories from a versioned template catalog and keep
them up to date with a 3-way merge that never drops local edits."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("goldenpath")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
