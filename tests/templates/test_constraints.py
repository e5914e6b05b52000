"""The pins the catalog ships (``templates/_shared/constraints.txt``) are the versions it
tests with, and every render installs with them.

``scripts/setup`` installs ``.venv-gen``, where each render's own test suite runs, from
``.ci/requirements-generated.txt`` under these constraints; ``scripts/refresh-constraints``
writes them from ``.venv-gen``. A package the test environment asks for but the file does
not pin, a pin the environment does not have, or an install command of a render that
ignores the file would make a generated project run with libraries nobody tested.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from template_harness import tools
from template_harness.cases import TEMPLATES, Case

CONSTRAINTS = tools.TEMPLATES_DIR / "_shared" / "constraints.txt"
REQUIREMENTS = tools.REPO / ".ci" / "requirements-generated.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)$")
NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
# `pip install` of the project itself: `.`, `-e .`, `".[dev]"`, `"./[spark]"`.
PROJECT_INSTALL = re.compile(
    r"\bpip install\b(?=.*\s(?:-e\s+)?[\"']?\./?(?:\[[^\]]*\])?[\"']?(?:\s|$))"
)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for number, line in enumerate(CONSTRAINTS.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"constraints.txt:{number}: not a `name==version` pin: {line!r}"
        name = _normal(match.group(1))
        assert name not in pins, f"constraints.txt:{number}: {name} pinned twice"
        pins[name] = match.group(2)
    return pins


def test_the_file_says_what_it_is_and_how_to_refresh_it() -> None:
    header = CONSTRAINTS.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert header.startswith("# Exact versions the goldenpath catalog tests")
    assert "pip install -c constraints.txt" in header
    assert "goldenpath update" in header
    assert "uv pip compile" in header
    assert len(_pins()) > 20


def test_every_package_of_the_test_environment_is_pinned() -> None:
    pins = _pins()
    wanted = []
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        match = NAME.match(text)
        if match:
            wanted.append(_normal(match.group(1)))
    assert len(wanted) > 10, "no packages read from .ci/requirements-generated.txt"
    unpinned = [name for name in wanted if name not in pins]
    assert not unpinned, f"not in constraints.txt (run scripts/refresh-constraints): {unpinned}"


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_runtime_dependency_of_a_template_is_pinned(template: str) -> None:
    """What `goldenpath readiness` (reproducible-dependencies) requires of a render."""
    pyproject = tools.TEMPLATES_DIR / template / "template" / "pyproject.toml.jinja"
    block = re.search(r"^dependencies = \[\n(.*?)^\]", pyproject.read_text(), re.M | re.S)
    assert block, f"{pyproject}: no dependencies list"
    names = [_normal(n) for n in re.findall(r'^\s*"([A-Za-z0-9][A-Za-z0-9._-]*)', block[1], re.M)]
    assert names, f"{pyproject}: no dependencies read"
    pins = _pins()
    assert [n for n in names if n not in pins] == []


def test_the_test_environment_has_exactly_the_pinned_versions() -> None:
    result = tools.run([tools.gen_python(), "-m", "pip", "freeze", "--exclude-editable"])
    assert result.returncode == 0, tools.output_of(result)
    installed = {
        _normal(m.group(1)): m.group(2)
        for m in (PIN.match(line.strip()) for line in result.stdout.splitlines())
        if m
    }
    pins = _pins()
    differ = {
        name: (version, installed.get(name))
        for name, version in pins.items()
        if installed.get(name) != version
    }
    unpinned = sorted(set(installed) - set(pins))
    assert not differ, f"pinned vs installed in .venv-gen (bash scripts/setup): {differ}"
    assert not unpinned, (
        f"installed in .venv-gen, not pinned (scripts/refresh-constraints): {unpinned}"
    )


def _install_lines(project: Path) -> dict[str, list[str]]:
    """Lines that pip-install the project, per kind of file that builds it."""
    kinds = {
        "Dockerfile": [project / "Dockerfile"],
        "Makefile": [project / "Makefile"],
        "CI": [*project.glob(".github/workflows/*.yml"), *project.glob(".gitlab-ci.yml")],
    }
    found: dict[str, list[str]] = {}
    for kind, paths in kinds.items():
        for path in paths:
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if PROJECT_INSTALL.search(line):
                    rel = path.relative_to(project)
                    found.setdefault(kind, []).append(f"{rel}:{number}: {line.strip()}")
    return found


@pytest.mark.slow
def test_every_render_installs_the_project_with_the_pins(case: Case, project: Path) -> None:
    assert (project / "constraints.txt").read_text(encoding="utf-8") == CONSTRAINTS.read_text(
        encoding="utf-8"
    )
    found = _install_lines(project)
    assert set(found) == {"Dockerfile", "Makefile", "CI"}, f"installs found: {found}"
    loose = [line for lines in found.values() for line in lines if "-c constraints.txt" not in line]
    assert not loose, f"installs without -c constraints.txt: {loose}"
