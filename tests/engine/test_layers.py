"""The layers point one way: cli -> services -> adapters.

Only adapters talk to copier, git and questionary, so a library's exceptions and quirks
are translated in one place and a service can be tested with fakes; the CLI only parses,
calls a service and renders its result; services never reach back into the CLI. These
tests read the import statements of every module (imports inside functions and under
``TYPE_CHECKING`` included), so a violation fails here before it spreads.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "goldenpath"

# package (folder under src/goldenpath) -> modules it must never import
FORBIDDEN = {
    "cli": ("goldenpath.adapters", "copier", "git", "questionary"),
    "services": ("goldenpath.cli",),
    "readiness": ("goldenpath.cli",),
    "fleet": ("goldenpath.cli",),
    "catalog": ("goldenpath.cli",),
    "adapters": (
        "goldenpath.cli",
        "goldenpath.services",
        "goldenpath.readiness",
        "goldenpath.fleet",
        "goldenpath.catalog",
    ),
}


def imported_modules(text: str, module: str) -> set[str]:
    """Every module that the source ``text`` of ``module`` imports; ``from a import b``
    counts as ``a`` and ``a.b`` (``b`` may be a module); relative imports are resolved."""
    package = module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _module_name(path: Path) -> str:
    """``goldenpath.cli.fleet`` for cli/fleet.py; a package's ``__init__`` is named as a
    module inside it, so its relative imports resolve against the package itself."""
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def _violates(module: str, forbidden: str) -> bool:
    return module == forbidden or module.startswith(f"{forbidden}.")


def _modules(package: str) -> list[Path]:
    return sorted((PACKAGE / package).rglob("*.py"))


def test_every_package_with_a_rule_exists() -> None:
    """A renamed package must not leave its rule checking nothing."""
    assert [name for name in FORBIDDEN if not list((PACKAGE / name).glob("*.py"))] == []


@pytest.mark.parametrize("package", FORBIDDEN)
def test_no_module_imports_across_its_layer(package: str) -> None:
    problems = [
        f"{path.relative_to(PACKAGE.parent)} imports {module}"
        for path in _modules(package)
        for module in sorted(imported_modules(path.read_text(encoding="utf-8"), _module_name(path)))
        for forbidden in FORBIDDEN[package]
        if _violates(module, forbidden)
    ]
    assert problems == []


def test_the_import_reader_sees_every_form() -> None:
    """The reader itself must be able to fail: each import form is found."""
    text = (
        "import git\n"
        "from goldenpath import adapters\n"
        "from ..adapters.bundles import tags\n"
        "def later():\n"
        "    import questionary\n"
        "if False:\n"
        "    from copier import run_copy\n"
    )
    found = imported_modules(text, "goldenpath.cli.probe")
    for forbidden in FORBIDDEN["cli"]:
        assert any(_violates(name, forbidden) for name in found), forbidden
    assert "goldenpath.adapters.bundles" in found
    assert imported_modules("from . import common\n", "goldenpath.cli.__init__") == {
        "goldenpath.cli",
        "goldenpath.cli.common",
    }
    assert not _violates("goldenpath.adapters_extra", "goldenpath.adapters")
    assert not _violates("gitlab", "git")
