"""Template manifests and the copier files generated from them.

A tiny catalog in tmp_path (templates ``a`` and ``b``, one shared question) is enough:
every manifest mistake gets a one-line error naming the file and the key, generation
reports and fixes stale files, merges a question two templates define identically and
refuses one they define differently; release and verify refuse stale generated files.
The last test holds the repository's own catalog to the same rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from goldenpath.adapters import template_config
from goldenpath.catalog import generate as gen
from goldenpath.catalog.manifest import load_manifests
from goldenpath.errors import CatalogError
from goldenpath.services import release as release_service

from .catalog_factory import write
from .conftest import invoke

REPO_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PORT = {"type": "int", "help": "Port", "default": 8080, "validator": ""}


def _manifest(name: str, rank: int, /, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": name,
        "description": f"The {name} template",
        "choice_label": f"{name}: the {name} template",
        "component": "service",
        "noun": f"{name} thing",
        "defaults": {"project_name": f"my-{name}", "description": f"A {name}"},
        "next_steps": ["make run"],
        "recommend": {
            "trait": f"is_{name}",
            "question": f"Is it an {name}?",
            "reason": f"it is an {name}",
            "rank": rank,
        },
        "presets": {"aws-github": {"cloud": "aws"}},
    }
    data.update(changes)
    return data


def _catalog(root: Path, a: dict[str, Any] | None = None, b: dict[str, Any] | None = None) -> Path:
    first = _manifest("a", 1)
    first["recommend"]["fallback"] = "nothing else fits"
    write(root / "a/template.yml", yaml.safe_dump(a or first, sort_keys=False))
    write(root / "b/template.yml", yaml.safe_dump(b or _manifest("b", 2), sort_keys=False))
    write(root / "_shared/questions.yml", "owner:\n  type: str\n  help: Owner\n  default: me\n")
    write(root / "a/questions.yml", yaml.safe_dump({"port": PORT}))
    for name in ("a", "b"):
        write(root / name / "template/README.md.jinja", "{{ project_name }}\n")
    return root


def _broken(tmp_path: Path, **changes: Any) -> Path:
    return _catalog(tmp_path / "c", b=_manifest("b", 2, **changes))


def _error(catalog: Path) -> str:
    with pytest.raises(CatalogError) as caught:
        load_manifests(catalog)
    message = caught.value.message
    assert "\n" not in message
    return message


def test_manifests_load_in_rank_order(tmp_path: Path) -> None:
    second = _manifest("a", 2)
    second["recommend"]["fallback"] = "nothing else fits"
    catalog = _catalog(tmp_path / "c", a=second, b=_manifest("b", 1))
    assert [m.name for m in load_manifests(catalog)] == ["b", "a"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"colour": "red"}, "b/template.yml: unknown key 'colour'"),
        ({"name": "c"}, "b/template.yml: 'name' is 'c' but the folder is 'b'"),
        ({"component": "library"}, "b/template.yml: 'component' must be one of service"),
        ({"description": "two\nlines"}, "b/template.yml: 'description' must be one line"),
        ({"next_steps": "make run"}, "b/template.yml: 'next_steps' must be a list of strings"),
        ({"defaults": {"project_name": "x"}}, "b/template.yml: missing key 'defaults.description'"),
        ({"presets": {}}, "b/template.yml: 'presets' must name at least one"),
        ({"presets": {"x": {"template": "a"}}}, "b/template.yml: preset 'x' must not answer"),
        (
            {"recommend": {"trait": "t", "question": "q", "reason": "r", "rank": "2"}},
            "b/template.yml: 'recommend.rank' must be a whole number",
        ),
        (
            {"recommend": {"trait": "t", "question": "q", "reason": "r", "rank": 2, "w": 1}},
            "b/template.yml: unknown key 'recommend.w'",
        ),
    ],
)
def test_a_bad_manifest_is_one_line_naming_file_and_key(
    tmp_path: Path, changes: dict[str, Any], expected: str
) -> None:
    assert expected in _error(_broken(tmp_path, **changes))


def test_a_missing_key_is_named(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path / "c")
    manifest = yaml.safe_load((catalog / "b/template.yml").read_text())
    del manifest["noun"]
    write(catalog / "b/template.yml", yaml.safe_dump(manifest))
    assert "b/template.yml: missing key 'noun'" in _error(catalog)


def test_a_preset_written_twice_is_refused(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path / "c")
    text = (catalog / "b/template.yml").read_text()
    text = text.replace("presets:\n", "presets:\n  aws-github: {cloud: gcp}\n")
    write(catalog / "b/template.yml", text)
    assert "b/template.yml: key 'aws-github' is written twice" in _error(catalog)


def test_exactly_one_fallback(tmp_path: Path) -> None:
    none = _catalog(tmp_path / "none", a=_manifest("a", 1))
    assert "exactly one template needs 'recommend.fallback'" in _error(none)
    assert _error(none).endswith("found none")
    second = _manifest("b", 2)
    second["recommend"]["fallback"] = "this too"
    assert _error(_catalog(tmp_path / "two", b=second)).endswith("found a, b")


def test_ranks_and_traits_must_not_clash(tmp_path: Path) -> None:
    same_rank = _catalog(tmp_path / "r", b=_manifest("b", 1))
    assert "a and b both have 'recommend.rank' 1" in _error(same_rank)
    same_trait = _manifest("b", 2)
    same_trait["recommend"].update(trait="is_a", question="Something else?")
    catalog = _catalog(tmp_path / "t", b=same_trait)
    assert "trait 'is_a' is asked differently by a and b" in _error(catalog)


def test_generate_reports_then_writes_stale_files(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path / "c")
    checked = gen.generate(catalog, write=False)
    assert checked.stale == [gen.COPIER_CONFIG, gen.MANIFESTS_JINJA]
    assert checked.exit_code == 1
    assert not (catalog / gen.COPIER_CONFIG).exists()
    written = gen.generate(catalog, write=True)
    assert written.written
    assert written.exit_code == 0
    assert gen.generate(catalog, write=False).stale == []

    manifest = yaml.safe_load((catalog / "b/template.yml").read_text())
    manifest["choice_label"] = "b: renamed"
    write(catalog / "b/template.yml", yaml.safe_dump(manifest))
    assert gen.generate(catalog, write=False).stale == [gen.COPIER_CONFIG]


def test_generated_config_guards_questions_and_exports_manifests(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path / "c")
    gen.generate(catalog, write=True)
    text = (catalog / gen.COPIER_CONFIG).read_text()
    assert text.startswith("# Generated by `goldenpath catalog generate`")
    config = template_config.load(catalog)
    assert [q.name for q in config.questions] == ["template", "owner", "port"]
    template = config.question("template")
    assert template is not None
    assert template.spec["default"] == "a"
    assert template.spec["choices"] == {"a: the a template": "a", "b: the b template": "b"}
    evaluator = template_config.Evaluator(config)
    port = config.question("port")
    assert port is not None
    assert evaluator.when(port, {"template": "a"})
    assert not evaluator.when(port, {"template": "b"})
    noun = "{% from '_shared/generated/manifests.jinja' import manifests %}"
    noun += "{{ manifests[template].noun }}/{{ manifests[template].defaults.project_name }}"
    assert evaluator.render(noun, {"template": "b"}) == "b thing/my-b"


def test_identical_questions_merge_and_keep_their_own_condition(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path / "c")
    guarded = {**PORT, "when": "{{ owner == 'me' }}"}
    write(catalog / "a/questions.yml", yaml.safe_dump({"port": guarded}))
    write(catalog / "b/questions.yml", yaml.safe_dump({"port": guarded}))
    gen.generate(catalog, write=True)
    config = template_config.load(catalog)
    assert [q.name for q in config.questions].count("port") == 1
    port = config.question("port")
    assert port is not None
    evaluator = template_config.Evaluator(config)
    assert evaluator.when(port, {"template": "b", "owner": "me"})
    assert not evaluator.when(port, {"template": "b", "owner": "you"})
    assert not evaluator.when(port, {"template": "c", "owner": "me"})


def test_a_boolean_condition_is_kept(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path / "c")
    write(catalog / "a/questions.yml", yaml.safe_dump({"port": {**PORT, "when": False}}))
    gen.generate(catalog, write=True)
    config = template_config.load(catalog)
    port = config.question("port")
    assert port is not None
    assert not template_config.Evaluator(config).when(port, {"template": "a"})


def test_different_questions_under_one_name_are_an_error(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path / "c")
    write(catalog / "b/questions.yml", yaml.safe_dump({"port": {**PORT, "default": 9090}}))
    with pytest.raises(CatalogError) as caught:
        gen.generate(catalog, write=True)
    assert caught.value.message == (
        "question 'port' differs between a/questions.yml and b/questions.yml"
    )
    assert not (catalog / gen.COPIER_CONFIG).exists()


@pytest.mark.parametrize(
    ("questions", "expected"),
    [
        ({"owner": PORT}, "question 'owner' is already a shared question"),
        ({"template": PORT}, "'template' cannot be a question of a template"),
        ({"port": 8080}, "question 'port' must be a mapping"),
    ],
)
def test_template_questions_must_not_clash_with_the_catalog(
    tmp_path: Path, questions: dict[str, Any], expected: str
) -> None:
    catalog = _catalog(tmp_path / "c")
    write(catalog / "b/questions.yml", yaml.safe_dump(questions))
    with pytest.raises(CatalogError, match=expected):
        gen.generate(catalog, write=True)


def test_two_templates_with_one_choice_label_are_refused(tmp_path: Path) -> None:
    catalog = _broken(tmp_path, choice_label="a: the a template")
    with pytest.raises(CatalogError, match="'choice_label' is the same as a's"):
        gen.generate(catalog, write=True)


def test_release_refuses_and_verify_reports_stale_generated_files(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path / "c")
    write(catalog / "VERSION", "1.0.0\n")
    write(catalog / "CHANGELOG.md", "# Changelog\n\n## [1.0.0] - 2026-01-01\n- First.\n")
    bundle = tmp_path / "catalog.bundle"
    with pytest.raises(CatalogError, match=r"generated files are stale: copier\.yml"):
        release_service.release(catalog, bundle)
    gen.generate(catalog, write=True)
    release_service.release(catalog, bundle)
    assert release_service.verify(catalog, bundle).problems == []

    manifest = yaml.safe_load((catalog / "b/template.yml").read_text())
    manifest["choice_label"] = "b: renamed"
    write(catalog / "b/template.yml", yaml.safe_dump(manifest))
    problems = release_service.verify(catalog, bundle).problems
    assert f"{catalog / gen.COPIER_CONFIG} is stale: run `goldenpath catalog generate`" in problems


def test_catalog_generate_check_on_the_command_line(tmp_path: Path, cli: CliRunner) -> None:
    catalog = _catalog(tmp_path / "c")
    code, output = invoke(cli, "catalog", "generate", str(catalog), "--check")
    assert code == 1
    assert f"stale: {catalog / gen.COPIER_CONFIG}" in output
    code, output = invoke(cli, "catalog", "generate", str(catalog))
    assert code == 0, output
    assert "Wrote copier.yml, _shared/generated/manifests.jinja" in output


def test_the_repository_catalog_is_generated_from_its_manifests(cli: CliRunner) -> None:
    """CI fails when copier.yml or _shared/generated/ were edited by hand or not
    regenerated after a manifest or questions file changed."""
    code, output = invoke(cli, "catalog", "generate", str(REPO_TEMPLATES), "--check")
    assert code == 0, output
