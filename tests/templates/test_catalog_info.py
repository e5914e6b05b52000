"""``catalog-info.yaml`` of every render: the Backstage entry says what goldenpath made it from.

- ``goldenpath.dev/template`` names the case's template.
- ``goldenpath.dev/catalog-version`` is absent here: the matrix renders the working-tree
  catalog, an unversioned folder (``tests/engine/test_backstage_annotations.py`` renders a
  versioned one and updates it).
- ``backstage.io/source-template`` is only suggested in a comment: it names a Backstage
  Template entity, which exists only if the organisation wraps goldenpath in one.
- The runbook link points into the repository on the case's forge (GitLab's blob URLs
  carry ``/-/``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from template_harness.cases import Case
from template_harness.tools import recorded_answers

pytestmark = pytest.mark.slow


def test_catalog_info_names_the_template_and_no_invented_version(case: Case, project: Path) -> None:
    text = (project / "catalog-info.yaml").read_text(encoding="utf-8")
    annotations = yaml.safe_load(text)["metadata"]["annotations"]
    assert annotations["goldenpath.dev/template"] == case.template
    assert "_commit" not in recorded_answers(project)
    assert "goldenpath.dev/catalog-version" not in annotations
    assert "backstage.io/source-template" not in annotations
    assert f"# backstage.io/source-template: template:default/{case.template}\n" in text


def test_catalog_info_links_the_runbook_on_the_forge(case: Case, project: Path) -> None:
    answers = recorded_answers(project)
    info = yaml.safe_load((project / "catalog-info.yaml").read_text(encoding="utf-8"))
    repo = f"{answers['organization']}/{answers['project_name']}"
    expected = {
        "github": f"https://github.com/{repo}/blob/main/docs/runbook.md",
        "gitlab": f"https://gitlab.com/{repo}/-/blob/main/docs/runbook.md",
    }[answers["ci"]]
    assert [link["url"] for link in info["metadata"]["links"]] == [expected]
    assert (project / "docs" / "runbook.md").is_file()
