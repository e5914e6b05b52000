"""``goldenpath templates``: what a catalog offers, at its latest version, and which
versions it has released (newest first: the order people pick a ``--version`` from)."""

from __future__ import annotations

from dataclasses import dataclass, field

from goldenpath.config import Settings
from goldenpath.results import Result
from goldenpath.services import answers, catalogs


@dataclass
class TemplateInfo:
    """One template of the catalog."""

    name: str
    description: str


@dataclass
class TemplatesResult(Result):
    """The catalog, its latest version, every released version and the templates."""

    catalog: str
    version: str | None
    versions: list[str] = field(default_factory=list)  # newest first; [] when unversioned
    templates: list[TemplateInfo] = field(default_factory=list)


def list_templates(catalog_option: str | None, settings: Settings) -> TemplatesResult:
    """Templates of the latest version, described by their manifests (older versions:
    catalog.yml; catalogs with neither: the choice labels)."""
    catalog = catalogs.resolve(catalog_option, settings)
    known = catalogs.versions(catalog)
    version = known[-1] if known else None
    result = TemplatesResult(
        catalog.label, str(version) if version else None, [str(v) for v in reversed(known)]
    )
    with catalogs.open_version(catalog, version) as view:
        for label, name in answers.template_choices(view.config):
            description, _ = view.describe(name, label)
            result.templates.append(TemplateInfo(name, description))
    return result
