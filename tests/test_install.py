"""goldenpath as users get it: a built wheel in a fresh virtualenv, and the pre-commit hooks.

Offline by design (tests never reach a package index): the wheel is built with
``--no-build-isolation`` (hatchling comes from the test environment), installed with
``--no-index --no-deps``, and the fresh virtualenv sees goldenpath's dependencies through a
``.pth`` file naming a folder of links to the test environment's packages, with goldenpath's
own editable install left out. So these tests prove what the package ships (its files, the
builtin catalog, the ``goldenpath`` console script, the hooks definition) and that it runs
outside this clone; that every module goldenpath imports is a declared dependency is
checked from the wheel's metadata instead of by resolving against an index.

pre-commit builds its hook environment with ``pip install .`` of this repository; the same
environment variables (``PIP_NO_INDEX``, ``PIP_NO_BUILD_ISOLATION=0``, ``PYTHONPATH`` at the
links folder) keep that offline. With a package index, the same hooks work without them.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

pytestmark = pytest.mark.xdist_group("install")

REPO = Path(__file__).resolve().parents[1]
TEST_BIN = Path(sys.executable).parent
NEW_SERVICE = [
    "goldenpath",
    "new",
    "realtime-inference",
    "my-service",
    "--defaults",
    "--data",
    "service_tier=1",
]
PIP = [sys.executable, "-m", "pip"]
TIMEOUT = 300


def in_ci() -> bool:
    """CI sets ``CI`` (GitHub Actions and GitLab both set ``CI=true``)."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def require(condition: bool, reason: str) -> None:
    """A missing tool skips locally and fails in CI, so CI never skips silently."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"required tool missing in CI: {reason}", pytrace=False)
    pytest.skip(f"tool missing (this fails in CI): {reason}")


def run(
    cmd: list[str | Path], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command by name or path (PATH from ``env``); never raises on failure."""
    return subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


@dataclass(frozen=True)
class Installed:
    """A fresh virtualenv holding the built wheel, and a user to run it as."""

    wheel: Path
    venv: Path
    home: Path
    env: dict[str, str]
    deps: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"


def dependency_links(target: Path) -> Path:
    """A folder of links to the test environment's packages, goldenpath itself left out."""
    target.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        if "goldenpath" in entry.name.lower() or entry.suffix == ".pth":
            continue  # the editable install (its finder .pth and metadata)
        (target / entry.name).symlink_to(entry)
    return target


def user_env(home: Path, bin_dir: Path) -> dict[str, str]:
    """A fresh user whose PATH finds ``goldenpath`` in ``bin_dir`` and never in this clone."""
    keep = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "GOLDENPATH_", "PIP_", "PYTHON", "VIRTUAL_ENV", "GIT_"))
    }
    path = [p for p in os.environ["PATH"].split(os.pathsep) if Path(p) != TEST_BIN]
    home.mkdir(parents=True, exist_ok=True)
    keep.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        PATH=os.pathsep.join([str(bin_dir), *path]),
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.org",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.org",
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return keep


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build the wheel of this checkout and install it into a fresh virtualenv."""
    try:
        import hatchling  # noqa: F401, PLC0415 - only to know it is there
    except ImportError:
        require(False, "hatchling (the build backend) is not installed: pip install -e '.[test]'")
    base = tmp_path_factory.mktemp("install")
    dist = base / "dist"
    built = run(
        [*PIP, "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", dist, REPO],
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
    )
    assert built.returncode == 0, output(built)
    (wheel,) = dist.glob("goldenpath-*.whl")

    venv = base / "venv"
    made = run([sys.executable, "-m", "venv", "--without-pip", venv])
    assert made.returncode == 0, output(made)
    deps = dependency_links(base / "deps")
    purelib = run(
        [venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    )
    (Path(purelib.stdout.strip()) / "goldenpath-test-deps.pth").write_text(f"{deps}\n")
    pip = run(
        [
            *PIP,
            "--python",
            venv / "bin" / "python",
            "install",
            "-q",
            "--no-index",
            "--no-deps",
            wheel,
        ],
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
    )
    assert pip.returncode == 0, output(pip)
    home = base / "home"
    return Installed(wheel, venv, home, user_env(home, venv / "bin"), deps)


@dataclass(frozen=True)
class Rendered:
    """``goldenpath new realtime-inference`` run by name from the fresh virtualenv: a tier-1
    service, whose tier requires gold, which the placeholder answers never reach (the
    README's promise), so a readiness hook with its default level fails on it."""

    result: subprocess.CompletedProcess[str]
    path: Path


@pytest.fixture(scope="module")
def rendered(installed: Installed) -> Rendered:
    work = installed.home.parent / "work"  # outside this clone
    work.mkdir()
    result = run(
        [*NEW_SERVICE],
        cwd=work,
        env=installed.env,
    )
    return Rendered(result, work / "my-service")


def test_the_wheel_runs_by_name_outside_the_clone(installed: Installed, rendered: Rendered) -> None:
    found = shutil.which("goldenpath", path=installed.env["PATH"])
    assert found == str(installed.bin / "goldenpath")
    where = run(
        [installed.bin / "python", "-c", "import goldenpath; print(goldenpath.__file__)"],
        env=installed.env,
    )
    assert Path(where.stdout.strip()).is_relative_to(installed.venv), output(where)

    version = run(["goldenpath", "--version"], cwd=installed.home, env=installed.env)
    assert version.returncode == 0, output(version)
    assert re.fullmatch(r"goldenpath \d+\.\d+\.\d+\S*\n", version.stdout), version.stdout

    templates = run(["goldenpath", "templates"], cwd=installed.home, env=installed.env)
    assert templates.returncode == 0, output(templates)
    assert "Catalog builtin, version " in templates.stdout
    for name in ("realtime-inference", "batch-inference", "training-pipeline"):
        assert name in templates.stdout

    assert rendered.result.returncode == 0, output(rendered.result)
    assert not rendered.path.is_relative_to(REPO)
    assert "from realtime-inference (builtin " in rendered.result.stdout
    answers = (rendered.path / ".copier-answers.yml").read_text(encoding="utf-8")
    assert "_src_path: ~/.goldenpath/catalog/builtin.bundle" in answers
    assert (installed.home / ".goldenpath" / "catalog" / "builtin.bundle").is_file()
    log = run(["git", "log", "--oneline"], cwd=rendered.path, env=installed.env)
    assert log.returncode == 0, output(log)
    assert log.stdout.count("\n") == 1, output(log)  # the initial commit


def test_every_imported_module_is_a_declared_dependency(installed: Installed) -> None:
    """The fresh virtualenv borrows the test environment's packages, so an import of a
    package that only the test extras bring would pass there: the wheel's metadata must
    declare every third-party package goldenpath imports."""
    with zipfile.ZipFile(installed.wheel) as wheel:
        metadata_name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(wheel.read(metadata_name).decode("utf-8"))
    declared = {
        _normal(req.name)
        for req in map(Requirement, metadata.get_all("Requires-Dist") or [])
        if req.marker is None or req.marker.evaluate({"extra": ""})
    }
    imported: set[str] = set()
    for path in (REPO / "src" / "goldenpath").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.partition(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.partition(".")[0])
    third_party = sorted(
        name for name in imported if name not in sys.stdlib_module_names and name != "goldenpath"
    )
    assert third_party, "no third-party import found: the scan is broken"
    from importlib.metadata import packages_distributions  # noqa: PLC0415

    providers = packages_distributions()
    undeclared = {
        module: providers.get(module, ["?"])
        for module in third_party
        if not declared & {_normal(dist) for dist in providers.get(module, [module])}
    }
    assert not undeclared, f"imported but not declared in [project.dependencies]: {undeclared}"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# --------------------------------------------------------------------------- pre-commit


def pre_commit_env(installed: Installed, store: Path) -> dict[str, str]:
    """pre-commit builds its hook environment from this repository with pip, offline."""
    env = user_env(installed.home, TEST_BIN)  # pre-commit itself comes from the test env
    env.update(
        PRE_COMMIT_HOME=str(store),
        PIP_NO_INDEX="1",
        PIP_NO_BUILD_ISOLATION="0",  # pip reads "0" as: do not isolate the build
        PYTHONPATH=str(installed.deps),
        VIRTUALENV_NO_PERIODIC_UPDATE="1",
    )
    return env


def hook_line(text: str, name: str) -> str:
    line = next((line for line in text.splitlines() if line.startswith(name)), "")
    assert line, f"hook {name!r} did not run:\n{text}"
    return line


@pytest.fixture(scope="module")
def pre_commit() -> Path:
    tool = TEST_BIN / "pre-commit"
    require(tool.is_file(), "pre-commit is not installed: pip install -e '.[dev]'")
    return tool


def test_hooks_run_through_try_repo_on_a_generated_repository(
    installed: Installed, rendered: Rendered, pre_commit: Path, tmp_path: Path
) -> None:
    assert rendered.result.returncode == 0, output(rendered.result)
    result = run(
        [pre_commit, "try-repo", REPO, "--all-files", "--verbose"],
        cwd=rendered.path,
        env=pre_commit_env(installed, tmp_path / "store"),
    )
    text = result.stdout + result.stderr
    # A fresh render is current, and its tier (1) needs gold, which placeholder answers do
    # not reach: the check passes and readiness fails, each with goldenpath's own output.
    assert hook_line(text, "goldenpath check").endswith("Passed"), text
    assert "realtime-inference" in text
    assert "up to date" in text
    assert hook_line(text, "goldenpath readiness").endswith("Failed"), text
    assert "- exit code: 3" in text
    assert "below the required gold" in text
    assert result.returncode == 1, text


def test_hook_args_reach_goldenpath(
    installed: Installed, rendered: Rendered, pre_commit: Path, tmp_path: Path
) -> None:
    """What users write in .pre-commit-config.yaml: this repository at a commit, with args."""
    head = run(["git", "rev-parse", "HEAD"], cwd=REPO).stdout.strip()
    committed = run(["git", "cat-file", "-e", f"{head}:.pre-commit-hooks.yaml"], cwd=REPO)
    assert committed.returncode == 0, ".pre-commit-hooks.yaml is not committed at HEAD"
    env = pre_commit_env(installed, tmp_path / "store")

    def run_with(check_args: str, readiness_args: str) -> str:
        config = tmp_path / "pre-commit-config.yaml"
        config.write_text(
            f"repos:\n  - repo: {REPO}\n    rev: {head}\n    hooks:\n"
            f"      - id: goldenpath-check\n        args: {check_args}\n"
            f"      - id: goldenpath-readiness\n        args: {readiness_args}\n",
            encoding="utf-8",
        )
        result = run(
            [pre_commit, "run", "--config", config, "--all-files", "--verbose"],
            cwd=rendered.path,
            env=env,
        )
        return result.stdout + result.stderr

    text = run_with("[--fail-on, minor]", "[--fail-under, bronze]")
    assert hook_line(text, "goldenpath check").endswith("Passed"), text
    assert hook_line(text, "goldenpath readiness").endswith("Passed"), text
    assert re.search(r"Level (bronze|silver) \(meets the required bronze\)", text), text

    text = run_with("[--fail-on, sometimes]", "[--fail-under, platinum]")
    assert hook_line(text, "goldenpath check").endswith("Failed"), text
    assert "--fail-on must be major, minor or patch, not 'sometimes'" in text
    assert hook_line(text, "goldenpath readiness").endswith("Failed"), text
    assert "unknown readiness level 'platinum'" in text
