"""What the benchmarks share: where the repository is and how a template gets rendered."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def render(template: str, target: Path, *, vcs_ref: str | None = None) -> Path:
    """The template's default render, made with goldenpath's own copier (``.venv``), so
    that a benchmark can run in the generated-project environment, which has no copier.

    ``vcs_ref=None`` renders the working tree; ``"HEAD"`` the last commit.
    """
    copier = REPO / ".venv" / "bin" / "copier"
    command = [str(copier) if copier.exists() else "copier", "copy", "--defaults", "-q"]
    command += ["-d", f"template={template}"]
    if vcs_ref is not None:
        command += ["--vcs-ref", vcs_ref]
    subprocess.run([*command, str(REPO / "templates"), str(target)], check=True)
    return target
