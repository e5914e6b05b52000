"""Changed answers for ``goldenpath update --data/--data-file/--ask``.

An answer of an existing repository changes through the same 3-way merge as a version
change: copier renders the recorded answers at the recorded version (the base), the new
answers at the target version, and replays the user's edits onto the latter. goldenpath's
part is to validate the new answers exactly as ``new`` does, against the TARGET version's
questions and together with every recorded answer, before anything is cloned or rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from goldenpath.adapters.template_config import TemplateConfig
from goldenpath.errors import UsageError
from goldenpath.services import answers as answers_service
from goldenpath.services.answers import TEMPLATE_QUESTION, Asker
from goldenpath.services.project import Project


@dataclass(frozen=True)
class AnswerChange:
    """One answer that the update changes."""

    name: str
    old: Any
    new: Any


def changes(
    config: TemplateConfig,
    project: Project,
    data: dict[str, Any],
    ask: list[str],
    asker: Asker | None,
) -> list[AnswerChange]:
    """The answers that differ from the recorded ones, validated; ``AnswersError`` if not.

    ``data`` wins over the recorded answers; the questions named in ``ask`` are asked again
    (with the recorded answer as default) through ``asker``. Recorded answers of questions
    that no longer apply (an earlier answer changed, or the target version dropped them) are
    left out, as copier leaves them out of the answers file.
    """
    data = dict(data)
    wanted = data.pop(TEMPLATE_QUESTION, None)
    if wanted is not None and str(wanted) != project.template:
        raise UsageError(
            f"the template of a repository cannot change (it is {project.template}, "
            f"--data asks for {wanted})",
            hint="render a new repository with `goldenpath new` instead",
        )
    unknown = [name for name in ask if config.question(name) is None]
    if unknown:
        raise UsageError(f"--ask {unknown[0]}: no such question in this catalog version")
    if ask and asker is None:
        raise UsageError("--ask needs a terminal", hint="pass the answers with --data instead")
    recorded = {
        name: value
        for name, value in project.answers.items()
        if not name.startswith("_") and name != TEMPLATE_QUESTION and name not in ask
    }
    # Asked questions keep their recorded answer as the default shown.
    suggested = {name: project.answers[name] for name in ask if name in project.answers}
    answers = answers_service.collect(
        config, project.template, data, asker, suggested, recorded=recorded
    )
    return [
        AnswerChange(name, project.answers.get(name), answers[name])
        for name in answers
        if (name in data or name in ask) and answers[name] != project.answers.get(name)
    ]
