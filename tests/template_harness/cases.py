"""Matrix cases: one rendered project per case, checked by every applicable validator.

Each template's manifest (``templates/<name>/template.yml``) lists its cases as
``presets``; the case id is ``<template>-<preset>``. The matrix must cover every cloud x
every CI system, and every value of each other choice in at least one case;
``tests/templates/test_matrix_coverage.py`` enforces that against copier.yml. Functions
take a catalog folder, so a template folder added to a copy of the catalog gets its own
matrix without any edit here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldenpath.catalog.manifest import Manifest, load_manifests
from template_harness.tools import TEMPLATES_DIR


def manifests(catalog_dir: Path = TEMPLATES_DIR) -> list[Manifest]:
    """The catalog's template manifests, in their (recommendation rank) order."""
    return load_manifests(catalog_dir)


TEMPLATES = tuple(m.name for m in manifests())

# Files every template renders (repository hygiene from the shared partials); each
# manifest's ``required_paths`` adds the template's own.
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


def _manifest(template: str, catalog_dir: Path) -> Manifest:
    found = [m for m in manifests(catalog_dir) if m.name == template]
    if not found:
        raise KeyError(f"no template {template!r} in {catalog_dir}")
    return found[0]


def cases_for(template: str, catalog_dir: Path = TEMPLATES_DIR) -> list[Case]:
    """The matrix of one template: its manifest's presets, in their order (the first,
    ``aws-github``, is the template's representative case)."""
    manifest = _manifest(template, catalog_dir)
    return [Case(template, f"{template}-{p.name}", dict(p.answers)) for p in manifest.presets]


def all_cases(catalog_dir: Path = TEMPLATES_DIR) -> list[Case]:
    """Every case of every template, in a stable order."""
    return [case for m in manifests(catalog_dir) for case in cases_for(m.name, catalog_dir)]


def required_paths(template: str, catalog_dir: Path = TEMPLATES_DIR) -> list[str]:
    """Glob patterns that must match in every render of ``template``: COMMON_PATHS and the
    manifest's ``required_paths`` (e.g. ``"Dockerfile"``, ``"deploy/k8s/*.yaml"``)."""
    return [*COMMON_PATHS, *_manifest(template, catalog_dir).required_paths]


# Files that exist exactly when a CI system is chosen (checked for every case).
CI_PATHS = {"github": ".github/workflows/*.yml", "gitlab": ".gitlab-ci.yml"}
