"""Matrix cases: one rendered project per case, checked by every applicable validator.

Each template owns one module under ``matrices/`` that defines ``CASES``. The matrix must
cover every cloud x every CI system, and every value of each other choice in at least one
case; ``tests/templates/test_matrix_coverage.py`` enforces that against copier.yml.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

TEMPLATES = ("realtime-inference", "batch-inference", "training-pipeline")

# Files every template renders (repository hygiene from the shared partials); each matrix
# module's REQUIRED_PATHS starts with these and adds its own.
COMMON_PATHS = [
    "README.md",
    "Makefile",
    "pyproject.toml",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".yamllint.yaml",
    "CODEOWNERS",
    "catalog-info.yaml",
    ".copier-answers.yml",
    "constraints.txt",
]


@dataclass(frozen=True)
class Case:
    """One set of answers for one template; ``id`` is unique across the whole matrix."""

    template: str
    id: str
    answers: dict[str, Any] = field(default_factory=dict)

    def data(self) -> dict[str, Any]:
        """Answers as passed to copier (the template choice included)."""
        return {"template": self.template, **self.answers}


def _matrix_module(template: str) -> Any:
    return importlib.import_module(f"template_harness.matrices.{template.replace('-', '_')}")


def cases_for(template: str) -> list[Case]:
    """The matrix of one template, from ``matrices/<template_with_underscores>.py``."""
    cases: list[Case] = _matrix_module(template).CASES
    return cases


def all_cases() -> list[Case]:
    """Every case of every template, in a stable order."""
    return [case for template in TEMPLATES for case in cases_for(template)]


def required_paths(template: str) -> list[str]:
    """Glob patterns that must match in every render of ``template``: the matrix module's
    optional ``REQUIRED_PATHS`` (e.g. ``"Dockerfile"``, ``"deploy/k8s/*.yaml"``)."""
    patterns: list[str] = list(getattr(_matrix_module(template), "REQUIRED_PATHS", []))
    return patterns


# Files that exist exactly when a CI system is chosen (checked for every case).
CI_PATHS = {"github": ".github/workflows/*.yml", "gitlab": ".gitlab-ci.yml"}
