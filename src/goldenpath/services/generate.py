"""``goldenpath new``: render one template into a new repository, atomically.

The project is rendered into a temporary folder beside DEST, committed there, and only then
renamed to DEST: a failure at any point leaves no DEST behind.
"""

from __future__ import annotations

import difflib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldenpath import scratch
from goldenpath.adapters import copier_adapter, git_adapter
from goldenpath.adapters.template_config import TemplateConfig
from goldenpath.config import Settings
from goldenpath.errors import CatalogError, RepositoryError, UsageError
from goldenpath.results import Result
from goldenpath.services import answers as answers_service
from goldenpath.services import catalogs
from goldenpath.services import recommend as recommend_service
from goldenpath.services.answers import Asker
from goldenpath.services.recommend import Recommender


@dataclass
class NewRequest:
    """Inputs of ``new``; ``asker`` None means non-interactive (data + defaults)."""

    dest: Path | None = None  # None: ./<project_name>
    template: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    catalog: str | None = None
    version: str | None = None
    trust: bool = False
    settings: Settings = field(default_factory=Settings)
    asker: Asker | None = None
    # callable(choices, recommender or None) -> template name, for the wizard
    choose_template: Any = None


@dataclass
class NewResult(Result):
    """What ``new`` produced (``new`` raises its errors: the CLI prints them alone)."""

    path: Path
    template: str
    catalog: str
    version: str | None
    files: int
    commit: str
    answers: dict[str, Any]
    next_steps: list[str]


def check_destination(dest: Path) -> None:
    """Refuse a DEST that exists and is not an empty folder."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise RepositoryError(
            f"destination {dest} exists and is not empty",
            hint="choose a new folder; goldenpath never writes into existing files",
        )


def _check_parent(dest: Path) -> None:
    check_destination(dest)
    if not dest.parent.is_dir():
        raise RepositoryError(f"parent folder {dest.parent} does not exist")


def _one_template(argument: str | None, answer: Any) -> str | None:
    """The template named as an argument or as ``--data template=``; never both, differing.

    A conflicting pair is refused rather than one silently winning: the user meant something
    and goldenpath cannot know which.
    """
    if answer is None:
        return argument
    if argument is not None and argument != str(answer):
        raise UsageError(
            f"template {argument!r} conflicts with --data template={answer}",
            hint="name the template once, as the first argument",
        )
    return str(answer)


def _refuse_near_miss(word: str, names: list[str]) -> None:
    """A word that is almost a template name is a typo, not a folder name: say so.

    Without this, ``new realtime-inferense`` would create a folder of that name (or start
    the wizard and offer it as the project name).
    """
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.8)
    if close:
        raise UsageError(
            f"unknown template {word!r}; did you mean {close[0]!r}?",
            hint="choose one of: " + ", ".join(names),
        )


def _choose_template(
    request: NewRequest,
    config: TemplateConfig,
    answer: Any,
    dest: Path | None,
    recommender: Recommender | None = None,
) -> tuple[str, Path | None]:
    """The template to render, and DEST when the only argument turned out to be the folder.

    The wizard's recommender comes from the manifests of the catalog version in use.
    """
    choices = answers_service.template_choices(config)
    names = [name for _, name in choices]
    template = request.template
    if template is not None and template not in names and dest is None:
        # `goldenpath new my-svc`: a single argument that is no template is the folder.
        _refuse_near_miss(template, names)
        dest, template = Path(template).resolve(), None
        _check_parent(dest)
    template = _one_template(template, answer)
    if template is None and request.choose_template is not None:
        template = request.choose_template(choices, recommender)
    if template is None:
        raise UsageError("no template given", hint="choose one of: " + ", ".join(names))
    if template not in names:
        _refuse_near_miss(template, names)
        raise UsageError(
            f"unknown template {template!r}", hint="choose one of: " + ", ".join(names)
        )
    return template, dest


def generate(request: NewRequest, confirm: Any = None) -> NewResult:
    """Validate everything, render into a temp folder, commit, move to DEST.

    ``confirm`` (callable(rows) -> bool) shows the answers summary in interactive runs.
    """
    dest = request.dest.resolve() if request.dest is not None else None
    if dest is not None:
        _check_parent(dest)
    catalog = catalogs.resolve(request.catalog, request.settings)
    version = catalogs.pick(catalog, request.version)
    with catalogs.open_version(catalog, version) as view:
        data = dict(request.data)
        template, dest = _choose_template(
            request,
            view.config,
            data.pop("template", None),
            dest,
            recommend_service.recommender(view.manifests),
        )
        unsafe = view.config.unsafe_features()
        trusted = request.trust or request.settings.is_trusted(catalog.source)
        if unsafe and not trusted:
            raise CatalogError(
                f"catalog {catalog.label} uses unsafe copier features: {', '.join(unsafe)}",
                hint="pass --trust, or list it under 'trusted' in the goldenpath config",
            )
        suggested = {"project_name": dest.name} if dest is not None else {}
        answers = answers_service.collect(view.config, template, data, request.asker, suggested)
        if confirm is not None and not confirm(answers_service.summary(view.config, answers)):
            raise UsageError("cancelled: nothing was written")
        if dest is None:
            dest = Path(str(answers.get("project_name") or template)).resolve()
            _check_parent(dest)
        _, steps = view.describe(template, template)
    tmp = scratch.beside(dest)
    try:
        copier_adapter.copy(catalog.source, tmp, answers, version.tag if version else None, trusted)
        label = f"{template} {version}" if version else template
        commit = git_adapter.init_and_commit(tmp, f"Initial commit from goldenpath ({label})")
        files = sum(1 for p in tmp.rglob("*") if p.is_file() and ".git" not in p.parts)
        check_destination(dest)  # nobody created it meanwhile
        if dest.exists():
            dest.rmdir()
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp's private 0700 must not leak into DEST
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return NewResult(
        path=dest,
        template=template,
        catalog=catalog.label,
        version=str(version) if version else None,
        files=files,
        commit=commit,
        answers=dict(answers),
        next_steps=[f"cd {dest}", *steps],
    )
