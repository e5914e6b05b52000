"""Adding a template is adding its folder: copy a sibling, edit its manifest, regenerate.

The copy of the catalog gets a ``nightly-scoring`` template made from ``batch-inference``
with nothing but its own ``template.yml`` edited. After ``goldenpath catalog generate``
it is listed, recommended for its trait, rendered by ``new`` and part of the test matrix,
and no file outside its folder changed except the generated ones.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import yaml
from template_harness.cases import all_cases, cases_for
from typer.testing import CliRunner

from goldenpath.catalog.generate import COPIER_CONFIG, MANIFESTS_JINJA
from goldenpath.config import Settings
from goldenpath.services import generate as generate_service
from goldenpath.services.recommend import Recommender

from .conftest import invoke

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
NEW = "nightly-scoring"
QUESTION = "Does it rescore the whole customer base every night?"


def _files(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _copy_with_new_template(tmp_path: Path) -> Path:
    catalog = tmp_path / "catalog"
    shutil.copytree(TEMPLATES, catalog, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(catalog / "batch-inference", catalog / NEW)
    manifest_file = catalog / NEW / "template.yml"
    manifest = yaml.safe_load(manifest_file.read_text(encoding="utf-8"))
    manifest.update(
        name=NEW,
        description="Nightly rescoring of the whole customer base",
        choice_label=f"{NEW}: the nightly rescoring of every customer",
        recommend={
            "trait": "nightly",
            "question": QUESTION,
            "reason": "everything is rescored every night",
            "rank": 4,
        },
    )
    manifest_file.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return catalog


def test_a_copied_template_folder_is_listed_recommended_rendered_and_tested(
    tmp_path: Path, cli: CliRunner
) -> None:
    catalog = _copy_with_new_template(tmp_path)
    before = _files(catalog)

    code, output = invoke(cli, "catalog", "generate", str(catalog))
    assert code == 0, output
    changed = {name for name, digest in _files(catalog).items() if before.get(name) != digest}
    assert changed == {COPIER_CONFIG, MANIFESTS_JINJA}, "only generated files may change"
    code, output = invoke(cli, "catalog", "generate", str(catalog), "--check")
    assert code == 0, output

    code, output = invoke(cli, "templates", "--catalog", str(catalog))
    assert code == 0, output
    assert f"{NEW}" in output
    assert "Nightly rescoring of the whole customer base" in output

    # `new` as the wizard runs it: the recommender comes from this catalog's manifests.
    asked: list[str] = []

    def choose(choices: list[tuple[str, str]], recommender: Recommender | None) -> str:
        assert recommender is not None
        asked.extend(q.text for q in recommender.questions)
        assert (f"{NEW}: the nightly rescoring of every customer", NEW) in choices
        return recommender.recommend({"nightly": True}).template

    dest = tmp_path / "scores"
    request = generate_service.NewRequest(
        dest=dest, catalog=str(catalog), settings=Settings(), choose_template=choose
    )
    result = generate_service.generate(request)
    assert QUESTION in asked
    assert result.template == NEW
    assert result.next_steps == [f"cd {dest}", "make setup", "make test", "make run"]
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["template"] == NEW
    assert answers["schedule"] == "0 3 * * *"  # batch-inference's questions apply to it too
    # Shared defaults read the new template's manifest through the generated Jinja file.
    assert answers["description"] == "Scheduled batch scoring for scores"
    assert "type: job" in (dest / "catalog-info.yaml").read_text(encoding="utf-8")

    ids = [case.id for case in cases_for(NEW, catalog)]
    assert ids[0] == f"{NEW}-aws-github"
    assert len(ids) == len(cases_for("batch-inference", catalog))
    assert set(ids) <= {case.id for case in all_cases(catalog)}
