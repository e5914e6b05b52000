"""Finding and running the external tools the validators call.

A tool that cannot be found raises :class:`ToolMissing`; ``tests/templates/conftest.py``
turns that into a skip on a developer machine and into a failure in CI, so CI never
passes a check it did not run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from copier import run_copy

REPO = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = REPO / "templates"
GRAFANA_TOOLING = REPO / "tests" / "templates" / "grafana"

# Most validators finish in well under a second; the generous bound only stops a hung tool.
DEFAULT_TIMEOUT = 300


class ToolMissing(Exception):  # noqa: N818  (a condition, not an error of the code under test)
    """A validator's tool is not installed; the message says how to install it."""


def gen_python() -> Path:
    """Interpreter of the shared environment that runs the generated projects."""
    configured = os.environ.get("GOLDENPATH_GEN_PYTHON")
    python = Path(configured) if configured else REPO / ".venv-gen" / "bin" / "python"
    if not python.exists():
        raise ToolMissing(
            f"generated-project interpreter {python} not found: create .venv-gen from "
            ".ci/requirements-generated.txt or set GOLDENPATH_GEN_PYTHON"
        )
    return python


def airflow_python() -> Path:
    """Interpreter of .venv-airflow: Apache Airflow and its Kubernetes provider, which load
    the training pipeline's DAGs (their pins clash with .venv-gen's, hence an env of its own)."""
    configured = os.environ.get("GOLDENPATH_AIRFLOW_PYTHON")
    python = Path(configured) if configured else REPO / ".venv-airflow" / "bin" / "python"
    if not python.exists():
        raise ToolMissing(
            f"Airflow interpreter {python} not found: create .venv-airflow from "
            ".ci/requirements-airflow.txt (scripts/setup) or set GOLDENPATH_AIRFLOW_PYTHON"
        )
    return python


def find_tool(name: str, *, env_var: str | None = None, hint: str = "") -> str:
    """Absolute path of ``name``: an env override, then this interpreter's bin, then PATH."""
    if env_var and os.environ.get(env_var):
        configured = os.environ[env_var]
        if not Path(configured).exists():
            raise ToolMissing(f"{env_var}={configured} does not exist")
        return configured
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(f"{name} not found on PATH{': ' + hint if hint else ''}")
    return found


def gen_tool(name: str) -> str:
    """A console script of the generated-project environment (ruff, mypy), else ours."""
    candidate = gen_python().parent / name
    if candidate.exists():
        return str(candidate)
    return find_tool(name, hint="install it into .venv-gen (.ci/requirements-generated.txt)")


def checkov() -> str:
    """checkov lives in its own environment because its pins clash with ours."""
    default = REPO / ".venv-checkov" / "bin" / "checkov"
    configured = os.environ.get("GOLDENPATH_CHECKOV")
    path = Path(configured) if configured else default
    if not path.exists():
        raise ToolMissing(
            f"checkov not found at {path}: create .venv-checkov from "
            ".ci/requirements-checkov.txt or set GOLDENPATH_CHECKOV"
        )
    return str(path)


def run(
    cmd: Sequence[str | Path],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run a tool and capture its output as text; never raises on a non-zero exit."""
    merged = {**os.environ, **(env or {})}
    return subprocess.run(
        [str(part) for part in cmd],
        cwd=cwd,
        env=merged,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    """stdout and stderr of a finished tool, for a failure message."""
    parts = [result.stdout.strip(), result.stderr.strip()]
    text = "\n".join(part for part in parts if part)
    return text or f"exit code {result.returncode} and no output"


def recorded_answers(project: Path) -> dict[str, Any]:
    """The answers a render recorded in its ``.copier-answers.yml``."""
    answers: dict[str, Any] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return answers


def project_env(workdir: Path, drop_prefixes: tuple[str, ...] = ()) -> dict[str, str]:
    """Environment for running a render's own code from the shared env, without install.

    Variables of pytest, MLflow and the project's own settings (``drop_prefixes``) are
    dropped so the outer test session cannot leak into the project under test.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "MLFLOW_", *drop_prefixes))
    }
    env.update(
        PYTHONPATH=str(workdir / "src"),
        PYTHONDONTWRITEBYTECODE="1",
        MLFLOW_DISABLE_TELEMETRY="true",
        OMP_NUM_THREADS="1",
    )
    return env


def render_with(template: str, answers: Mapping[str, Any], dst: Path) -> None:
    """Render ``template`` of the working-tree catalog with ``answers`` on top of defaults.

    Raises copier's ``ValueError`` when a validator refuses an answer.
    """
    run_copy(
        str(TEMPLATES_DIR),
        dst,
        data={"template": template, **answers},
        defaults=True,
        quiet=True,
        unsafe=False,
    )


def run_in_project(
    workdir: Path, args: Sequence[str], drop_prefixes: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """``python <args>`` from the shared generated-project environment, inside a render."""
    return subprocess.run(
        [str(gen_python()), *args],
        cwd=workdir,
        env=project_env(workdir, drop_prefixes),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
