"""Small pure pieces: versions, changelog, recommendation, answer evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from goldenpath import changelog
from goldenpath.adapters import template_config
from goldenpath.catalog.manifest import load_manifests
from goldenpath.errors import AnswersError
from goldenpath.services import answers
from goldenpath.services.recommend import Recommender, recommender
from goldenpath.versions import Gap, Version

from .catalog_factory import make_catalog_tree

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v1.2.3", Version(1, 2, 3)),
        ("1.2.3", Version(1, 2, 3)),
        ("v1.2.3-4-gabc123", Version(1, 2, 3, 4)),
    ],
)
def test_version_parse(text: str, expected: Version) -> None:
    assert Version.parse(text) == expected


@pytest.mark.parametrize("text", ["main", "1.2", "batch/v1.0.0", "v1.2.3rc1"])
def test_version_rejects_non_versions(text: str) -> None:
    assert Version.maybe(text) is None


@pytest.mark.parametrize(
    ("old", "new", "gap"),
    [
        ("1.0.0", "2.0.0", Gap.MAJOR),
        ("1.0.0", "1.1.0", Gap.MINOR),
        ("1.0.0", "1.0.1", Gap.PATCH),
        ("1.0.0", "1.0.0", Gap.NONE),
        ("1.0.1", "1.0.0", Gap.NONE),
    ],
)
def test_version_gap(old: str, new: str, gap: Gap) -> None:
    assert Version.parse(old).gap_to(Version.parse(new)) is gap


LOG = """# Changelog
## [Unreleased]
- not yet
## [1.2.0] - 2026-03-01
- third
## [1.1.0] - 2026-02-01
- second
## [1.0.0] - 2026-01-01
- first
"""


def test_changelog_between_is_oldest_first_and_skips_unreleased() -> None:
    picked = changelog.between(LOG, Version(1, 0, 0), Version(1, 2, 0))
    assert [(str(e.version), e.body) for e in picked] == [
        ("1.1.0", "- second"),
        ("1.2.0", "- third"),
    ]
    entry = changelog.entry_for(LOG, Version(1, 0, 0))
    assert entry is not None
    assert str(entry.released) == "2026-01-01"


@pytest.mark.parametrize(
    ("facts", "template"),
    [
        ((True, False, False), "realtime-inference"),
        ((False, True, False), "batch-inference"),
        ((False, False, True), "training-pipeline"),
        ((False, True, True), "training-pipeline"),
        ((True, True, True), "realtime-inference"),
        ((False, False, False), "realtime-inference"),
    ],
)
def test_recommendation(facts: tuple[bool, bool, bool], template: str) -> None:
    """The builtin catalog's manifests pick as the wizard always has: a waiting caller
    wins, then training (scheduled retraining is still training), then scheduled scoring,
    and online serving when nothing fits."""
    builtin = recommender(load_manifests(REPO_ROOT / "templates"))
    assert isinstance(builtin, Recommender)
    assert [q.trait for q in builtin.questions] == ["waits", "training", "scheduled"]
    pick = builtin.recommend(dict(zip(["waits", "scheduled", "training"], facts, strict=True)))
    assert pick.template == template
    if not any(facts):
        assert pick.reason == "no other fit: online serving is the default"


def test_a_catalog_without_manifests_recommends_nothing(tmp_path: Path) -> None:
    assert recommender(load_manifests(make_catalog_tree(tmp_path / "c"))) is None


def test_collect_uses_defaults_derived_from_earlier_answers(tmp_path: Path) -> None:
    config = template_config.load(make_catalog_tree(tmp_path / "c"))
    result = answers.collect(config, "svc", {"port": "9090"})
    assert result == {
        "template": "svc",
        "project_name": "demo-project",
        "owner": "team-a",
        "port": 9090,
    }


def test_collect_reports_type_errors(tmp_path: Path) -> None:
    config = template_config.load(make_catalog_tree(tmp_path / "c"))
    with pytest.raises(AnswersError) as caught:
        answers.collect(config, "svc", {"port": "eighty"})
    assert caught.value.problems == [("port", "'eighty' is not a valid int")]


class ScriptedAsker:
    """Answers prompts from a script, recording what was asked."""

    def __init__(self, replies: list[Any]) -> None:
        self.replies = replies
        self.asked: list[str] = []

    def text(self, message: str, default: str, validate: Any) -> str:
        self.asked.append(message)
        reply = self.replies.pop(0)
        while validate(reply):  # a person retypes until the validator accepts
            reply = self.replies.pop(0)
        return str(reply)

    def select(self, message: str, choices: list[tuple[str, Any]], default: Any) -> Any:
        self.asked.append(message)
        return default

    def confirm(self, message: str, default: bool) -> bool:
        self.asked.append(message)
        return default


def test_collect_asks_with_help_and_revalidates(tmp_path: Path) -> None:
    config = template_config.load(make_catalog_tree(tmp_path / "c"))
    asker = ScriptedAsker(["Bad Name", "good-name", "team-b", "80", "8081"])
    result = answers.collect(config, "svc", {}, asker)
    assert result["project_name"] == "good-name"
    assert result["port"] == 8081
    assert asker.asked == ["Project name", "Owning team", "Port the service listens on"]


def test_builtin_catalog_questions_all_have_help_default_and_validation() -> None:
    config = template_config.load(REPO_ROOT / "templates")
    for question in config.questions:
        spec = question.spec
        assert spec.get("help"), question.name
        assert "default" in spec, question.name
        assert spec.get("choices") or spec.get("validator"), question.name


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("my-service", None),
        ("ab", "4 to 24"),
        ("My-Service", "lowercase"),
        ("a--b-c", "single hyphens"),
        ("service-", "not end with a hyphen"),
        ("x" * 25, "4 to 24"),
        ("9lives", "start with a letter"),
    ],
)
def test_builtin_service_name_rules(name: str, problem: str | None) -> None:
    config = template_config.load(REPO_ROOT / "templates")
    if problem is None:
        assert answers.collect(config, "realtime-inference", {"project_name": name})
        return
    with pytest.raises(AnswersError) as caught:
        answers.collect(config, "realtime-inference", {"project_name": name})
    messages = dict(caught.value.problems)
    assert problem in messages["project_name"]


def test_builtin_package_name_cannot_shadow_a_dependency() -> None:
    config = template_config.load(REPO_ROOT / "templates")
    with pytest.raises(AnswersError) as caught:
        answers.collect(config, "batch-inference", {"project_name": "pandas"})
    assert "shadow" in dict(caught.value.problems)["package_name"]
