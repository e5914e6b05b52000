"""Template manifests: ``<catalog>/<name>/template.yml``, everything goldenpath knows about
one template besides its questions and its tree.

A template is one folder: adding one must not mean editing lists of templates elsewhere.
So whatever lists or describes templates (copier's ``template`` question, ``goldenpath
templates``, the wizard's recommendation, the next steps ``new`` prints, the test matrix)
reads the manifests, and ``goldenpath catalog generate`` writes the copier files that
cannot read them at render time.

Manifests are validated strictly (unknown keys, wrong types, duplicate keys included): a
typo must fail here with the file and the key named, in one line, not later as a confusing
render error or a template that silently never gets recommended.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from goldenpath.errors import CatalogError

MANIFEST_FILE = "template.yml"
QUESTIONS_FILE = "questions.yml"
TREE_FOLDER = "template"
COMPONENTS = ("service", "job", "pipeline")  # Backstage component types
# Shared questions whose default differs per template (read by _shared/questions.yml).
DEFAULT_KEYS = ("project_name", "description")

_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*\Z")
_TRAIT = re.compile(r"[a-z][a-z0-9_]*\Z")
_REQUIRED = (
    "name",
    "description",
    "choice_label",
    "component",
    "noun",
    "defaults",
    "next_steps",
    "recommend",
    "presets",
)
_OPTIONAL = ("required_paths",)
_RECOMMEND_REQUIRED = ("trait", "question", "reason", "rank")
_RECOMMEND_OPTIONAL = ("fallback",)


@dataclass(frozen=True)
class Preset:
    """Answers for one test case of a template; its case id is ``<template>-<name>``."""

    name: str
    answers: dict[str, Any]


@dataclass(frozen=True)
class Recommend:
    """When the wizard suggests the template: a yes to ``question`` (the ``trait``).

    Several templates may match; the lowest ``rank`` wins. ``fallback`` is the reason shown
    when no template matches; exactly one manifest of a catalog has it.
    """

    trait: str
    question: str
    reason: str
    rank: int
    fallback: str | None = None


@dataclass(frozen=True)
class Manifest:
    """One template's ``template.yml``."""

    name: str
    description: str
    choice_label: str  # the label of the template's choice in copier's `template` question
    component: str  # service | job | pipeline
    noun: str  # how questions name the thing, e.g. "training pipeline"
    defaults: dict[str, str]  # per-template defaults of shared questions (DEFAULT_KEYS)
    next_steps: tuple[str, ...]
    recommend: Recommend
    presets: tuple[Preset, ...]
    required_paths: tuple[str, ...] = ()
    path: Path | None = None  # the file it was read from

    def preset(self, name: str) -> Preset:
        """The preset called ``name``."""
        for preset in self.presets:
            if preset.name == name:
                return preset
        raise CatalogError(f"{self.path or self.name}: no preset {name!r}")


class _StrictLoader(yaml.SafeLoader):
    """Safe loading that refuses a key written twice in one mapping: plain YAML keeps the
    last one silently, which would drop a preset or a question without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                line = key_node.start_mark.line + 1
                raise CatalogError(f"{self.name}: key {key!r} is written twice (line {line})")
            seen.add(key)
        return super().construct_mapping(node, deep)


def read_yaml(path: Path) -> Any:
    """A catalog YAML file (manifest or questions) read strictly; one-line errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"cannot read {path}: {exc.strerror}") from exc
    loader = _StrictLoader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise CatalogError(f"cannot parse {path}: {exc}".splitlines()[0]) from exc
    finally:
        loader.dispose()


class _Reader:
    """Typed access to one mapping of a manifest, naming the file and key on any error."""

    def __init__(self, path: Path, data: Any, where: str = "") -> None:
        self.path = path
        self.where = where
        if not isinstance(data, dict):
            raise self.error(f"{where or 'the file'} must be a mapping")
        self.data: dict[str, Any] = data

    def error(self, message: str) -> CatalogError:
        return CatalogError(f"{self.path}: {message}")

    def key(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def keys(self, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in required + optional:
                known = ", ".join(required + optional)
                raise self.error(f"unknown key {self.key(str(key))!r} (known: {known})")
        for key in required:
            if key not in self.data:
                raise self.error(f"missing key {self.key(key)!r}")

    def text(self, key: str, one_line: bool = True) -> str:
        value = self.data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"{self.key(key)!r} must be a non-empty string")
        if one_line and "\n" in value.strip():
            raise self.error(f"{self.key(key)!r} must be one line")
        return value.strip()

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(f"{self.key(key)!r} must be a list of strings")
        return tuple(value)

    def integer(self, key: str) -> int:
        value = self.data.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.error(f"{self.key(key)!r} must be a whole number")
        return value

    def mapping(self, key: str) -> _Reader:
        return _Reader(self.path, self.data.get(key), self.key(key))


def parse(path: Path) -> Manifest:
    """Read and validate one manifest; the folder it lies in must carry its name."""
    top = _Reader(path, read_yaml(path))
    top.keys(_REQUIRED, _OPTIONAL)
    name = top.text("name")
    if not _NAME.match(name):
        raise top.error(f"'name' {name!r} must be lowercase words joined by single hyphens")
    if name != path.parent.name:
        raise top.error(f"'name' is {name!r} but the folder is {path.parent.name!r}")
    component = top.text("component")
    if component not in COMPONENTS:
        raise top.error(f"'component' must be one of {', '.join(COMPONENTS)}, not {component!r}")
    defaults = top.mapping("defaults")
    defaults.keys(DEFAULT_KEYS, ())
    return Manifest(
        name=name,
        description=top.text("description"),
        choice_label=top.text("choice_label"),
        component=component,
        noun=top.text("noun"),
        defaults={key: defaults.text(key) for key in DEFAULT_KEYS},
        next_steps=top.texts("next_steps"),
        recommend=_recommend(top.mapping("recommend")),
        presets=_presets(top.mapping("presets")),
        required_paths=top.texts("required_paths"),
        path=path,
    )


def _recommend(reader: _Reader) -> Recommend:
    reader.keys(_RECOMMEND_REQUIRED, _RECOMMEND_OPTIONAL)
    trait = reader.text("trait")
    if not _TRAIT.match(trait):
        raise reader.error(f"'recommend.trait' {trait!r} must be a lowercase identifier")
    return Recommend(
        trait=trait,
        question=reader.text("question"),
        reason=reader.text("reason"),
        rank=reader.integer("rank"),
        fallback=reader.text("fallback") if "fallback" in reader.data else None,
    )


def _presets(reader: _Reader) -> tuple[Preset, ...]:
    if not reader.data:
        raise reader.error("'presets' must name at least one set of answers (a test case)")
    presets: list[Preset] = []
    for name, answers in reader.data.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise reader.error(f"preset name {name!r} must be lowercase words joined by hyphens")
        if not isinstance(answers, dict) or not all(isinstance(k, str) for k in answers):
            raise reader.error(f"preset {name!r} must be a mapping of answers")
        if "template" in answers:
            raise reader.error(f"preset {name!r} must not answer 'template' (it is implied)")
        presets.append(Preset(name, dict(answers)))
    return tuple(presets)


def manifest_paths(catalog_dir: Path) -> list[Path]:
    """The manifest files of a catalog folder, one per template folder."""
    return sorted(catalog_dir.glob(f"*/{MANIFEST_FILE}"))


def load_manifests(catalog_dir: Path) -> list[Manifest]:
    """Every manifest of ``catalog_dir``, ordered by recommendation rank ([] when none).

    Raises ``CatalogError`` with a one-line message for a bad manifest, and for a set of
    manifests the wizard could not choose from: two templates with one rank, one trait
    asked with two different questions, no fallback or more than one.
    """
    manifests = sorted(
        (parse(path) for path in manifest_paths(catalog_dir)), key=lambda m: m.recommend.rank
    )
    if not manifests:
        return []
    _check_together(catalog_dir, manifests)
    return manifests


def _check_together(catalog_dir: Path, manifests: list[Manifest]) -> None:
    where = f"{catalog_dir}/*/{MANIFEST_FILE}"
    by_rank: dict[int, str] = {}
    by_trait: dict[str, Manifest] = {}
    for manifest in manifests:
        rank = manifest.recommend.rank
        if rank in by_rank:
            raise CatalogError(
                f"{where}: {by_rank[rank]} and {manifest.name} both have 'recommend.rank' {rank}"
            )
        by_rank[rank] = manifest.name
        trait = manifest.recommend.trait
        other = by_trait.setdefault(trait, manifest)
        if other.recommend.question != manifest.recommend.question:
            raise CatalogError(
                f"{where}: trait {trait!r} is asked differently by {other.name} and "
                f"{manifest.name} ('recommend.question' must match)"
            )
    fallbacks = [m.name for m in manifests if m.recommend.fallback is not None]
    if len(fallbacks) != 1:
        found = ", ".join(fallbacks) if fallbacks else "none"
        raise CatalogError(
            f"{where}: exactly one template needs 'recommend.fallback' (the pick when no "
            f"trait matches); found {found}"
        )


def fallback(manifests: list[Manifest]) -> Manifest:
    """The template picked when no trait matches (``load_manifests`` checked there is one)."""
    return next(m for m in manifests if m.recommend.fallback is not None)
