"""Ownership checks on small repositories: CODEOWNERS, catalog owner, on-call contact and
placeholder owners, with the exact `goldenpath update` hint for generated repositories."""

from __future__ import annotations

from goldenpath.readiness.checks.ownership import (
    CatalogOwnerNamed,
    CodeOwnersCoverAll,
    OnCallContact,
    OwnersReal,
)
from goldenpath.readiness.model import State
from readiness.conftest import MakeRepo, run_check

# What a default render of a builtin template records and writes.
DEFAULT_ANSWERS = """
    _commit: v0.4.0
    template: realtime-inference
    organization: acme
    owner_team: ml-platform
    oncall_contact: ml-platform-oncall@example.com
"""
DEFAULT_CODEOWNERS = """
    # Owners are requested for review on every change (on call: ml-platform-oncall@example.com).
    *                       @acme/ml-platform
    /infra/                 @acme/ml-platform
"""
DEFAULT_RUNBOOK = """
    # Runbook: svc

    - Owner: `@acme/ml-platform`; on call: ml-platform-oncall@example.com

    ## Escalation

    1. The on-call engineer (ml-platform-oncall@example.com) owns the incident.
    2. Page the owning team `@acme/ml-platform` after 30 minutes.
"""
CATALOG = """
    apiVersion: backstage.io/v1alpha1
    kind: Component
    metadata:
      name: svc
      annotations:
        github.com/project-slug: northwind/svc
    spec:
      type: service
      owner: group:fraud-ml
"""


# -- codeowners ----------------------------------------------------------------------------
def test_catch_all_rule_passes(make_repo: MakeRepo) -> None:
    codeowners = "# owners\n/docs/ @northwind/writers\n*   @northwind/fraud-ml\n"
    finding = run_check(CodeOwnersCoverAll, make_repo({".github/CODEOWNERS": codeowners}))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == (".github/CODEOWNERS", 3)


def test_github_reads_dot_github_first(make_repo: MakeRepo) -> None:
    files = {".github/CODEOWNERS": "/src/ @a/b\n", "CODEOWNERS": "* @a/b\n"}
    finding = run_check(CodeOwnersCoverAll, make_repo(files))
    assert finding.state is State.FAIL
    assert finding.evidence[0].path == ".github/CODEOWNERS"


def test_gitlab_section_default_owners_pass(make_repo: MakeRepo) -> None:
    codeowners = "[Everything] @northwind/fraud-ml\n*\n"
    finding = run_check(CodeOwnersCoverAll, make_repo({".gitlab/CODEOWNERS": codeowners}))
    assert finding.state is State.PASS
    assert finding.evidence[0].line == 2


def test_missing_codeowners_fails(make_repo: MakeRepo) -> None:
    finding = run_check(CodeOwnersCoverAll, make_repo({"README.md": "# x\n"}))
    assert finding.state is State.FAIL
    assert "looked for CODEOWNERS" in finding.evidence[0].text


def test_catch_all_without_owners_fails(make_repo: MakeRepo) -> None:
    finding = run_check(CodeOwnersCoverAll, make_repo({"CODEOWNERS": "/src/ @a/b\n*\n"}))
    assert finding.state is State.FAIL
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("CODEOWNERS", 2)


def test_a_later_rule_without_owners_un_owns_files(make_repo: MakeRepo) -> None:
    codeowners = "* @northwind/fraud-ml\n/generated/\n"
    finding = run_check(CodeOwnersCoverAll, make_repo({"docs/CODEOWNERS": codeowners}))
    assert finding.state is State.FAIL
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("docs/CODEOWNERS", 2)


# -- catalog-owner -----------------------------------------------------------------------------
def test_backstage_owner_passes(make_repo: MakeRepo) -> None:
    finding = run_check(CatalogOwnerNamed, make_repo({"catalog-info.yaml": CATALOG}))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("catalog-info.yaml", 9)


def test_second_entity_without_owner_fails(make_repo: MakeRepo) -> None:
    catalog = CATALOG + "---\napiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n"
    catalog += "  name: svc-api\nspec:\n  type: openapi\n"
    finding = run_check(CatalogOwnerNamed, make_repo({"catalog-info.yaml": catalog}))
    assert finding.state is State.FAIL
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("catalog-info.yaml", 11)
    assert "API svc-api" in finding.evidence[0].text


def test_opslevel_owner_passes(make_repo: MakeRepo) -> None:
    opslevel = "version: 1\nservice:\n  name: svc\n  owner: fraud-ml\n"
    finding = run_check(CatalogOwnerNamed, make_repo({"opslevel.yml": opslevel}))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("opslevel.yml", 4)


def test_no_catalog_entry_fails(make_repo: MakeRepo) -> None:
    finding = run_check(CatalogOwnerNamed, make_repo({"README.md": "# x\n"}))
    assert finding.state is State.FAIL
    assert "catalog-info.yaml" in finding.evidence[0].text


def test_broken_catalog_is_unknown(make_repo: MakeRepo) -> None:
    finding = run_check(CatalogOwnerNamed, make_repo({"catalog-info.yaml": "kind: [\n"}))
    assert finding.state is State.UNKNOWN
    assert finding.evidence[0].path == "catalog-info.yaml"


# -- oncall-contact ------------------------------------------------------------------------------
def test_runbook_on_call_line_passes(make_repo: MakeRepo) -> None:
    runbook = DEFAULT_RUNBOOK.replace("ml-platform-oncall@example.com", "fraud@northwind.io")
    runbook = runbook.replace("acme", "northwind")
    finding = run_check(OnCallContact, make_repo({"docs/runbook.md": runbook}))
    assert finding.state is State.PASS
    assert finding.detail == "on call: fraud@northwind.io"
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("docs/runbook.md", 3)


def test_default_render_contacts_fail_with_the_answers_to_change(make_repo: MakeRepo) -> None:
    files = {
        ".copier-answers.yml": DEFAULT_ANSWERS,
        "CODEOWNERS": DEFAULT_CODEOWNERS,
        "docs/runbook.md": DEFAULT_RUNBOOK,
    }
    finding = run_check(OnCallContact, make_repo(files))
    assert finding.state is State.FAIL
    where = [(e.path, e.line) for e in finding.evidence]
    assert where == [
        ("docs/runbook.md", 3),
        ("docs/runbook.md", 7),
        ("docs/runbook.md", 8),
        ("CODEOWNERS", 1),
    ]
    assert finding.detail == "4 on-call contact(s) are placeholders"
    assert finding.hint is not None
    assert "goldenpath update --to 0.4.0 --data oncall_contact=" in finding.hint
    assert "--data organization=" in finding.hint  # the escalation line pages @acme/...


def test_hand_written_placeholder_names_the_file(make_repo: MakeRepo) -> None:
    runbook = "# Runbook\n\nOn-call: TODO\n"
    finding = run_check(OnCallContact, make_repo({"RUNBOOK.md": runbook}))
    assert finding.state is State.FAIL
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("RUNBOOK.md", 3)
    assert finding.hint == "replace the placeholder contact at RUNBOOK.md:3"


def test_example_address_in_a_sentence_is_not_a_contact(make_repo: MakeRepo) -> None:
    files = {
        "docs/model-card.md": "# Card\n\nAsk e.g. user@example.com about the data.\n",
        "docs/runbook.md": "# Runbook\n\n## On call\n\n- Slack: #fraud-ml-oncall\n",
    }
    finding = run_check(OnCallContact, make_repo(files))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("docs/runbook.md", 5)
    assert finding.evidence[0].text == "on-call contact #fraud-ml-oncall"


def test_catalog_and_alert_annotations_count(make_repo: MakeRepo) -> None:
    catalog = CATALOG.replace(
        "github.com/project-slug: northwind/svc", "pagerduty.com/service-id: PX1234"
    )
    alerts = """
        groups:
          - name: svc
            rules:
              - alert: Down
                expr: up == 0
                annotations:
                  summary: down
                  oncall: acmeworks-sre@acmeworks.io
    """
    files = {"catalog-info.yaml": catalog, "monitoring/alerts.yml": alerts}
    finding = run_check(OnCallContact, make_repo(files))
    assert finding.state is State.PASS
    where = [(e.path, e.line) for e in finding.evidence]
    assert where == [("catalog-info.yaml", 6), ("monitoring/alerts.yml", 8)]


def test_no_contact_fails(make_repo: MakeRepo) -> None:
    runbook = "# Runbook\n\nThe on-call rotation has read this page.\n"
    finding = run_check(OnCallContact, make_repo({"docs/runbook.md": runbook}))
    assert finding.state is State.FAIL
    assert finding.evidence[0].path is None
    assert "looked for on-call lines" in finding.evidence[0].text


# -- owners-real ---------------------------------------------------------------------------------
def test_real_owners_pass(make_repo: MakeRepo) -> None:
    files = {"CODEOWNERS": "*  @acmeworks/fraud-ml\n", "catalog-info.yaml": CATALOG}
    finding = run_check(OwnersReal, make_repo(files))
    assert finding.state is State.PASS
    where = [(e.path, e.line) for e in finding.evidence]
    assert where == [("CODEOWNERS", 1), ("catalog-info.yaml", 9)]


def test_default_owners_fail_with_the_answers_to_change(make_repo: MakeRepo) -> None:
    files = {
        ".copier-answers.yml": DEFAULT_ANSWERS,
        "CODEOWNERS": DEFAULT_CODEOWNERS,
        "catalog-info.yaml": CATALOG.replace("group:fraud-ml", "group:your-team"),
    }
    finding = run_check(OwnersReal, make_repo(files))
    assert finding.state is State.FAIL
    where = [(e.path, e.line) for e in finding.evidence]
    assert where == [("CODEOWNERS", 2), ("catalog-info.yaml", 9)]  # each owner once
    assert finding.hint is not None
    assert "goldenpath update --to 0.4.0 --data organization=" in finding.hint
    assert "--data owner_team=" in finding.hint
    assert "organization=acme" in finding.hint


def test_hand_written_placeholder_owner_uses_the_generic_hint(make_repo: MakeRepo) -> None:
    finding = run_check(OwnersReal, make_repo({"CODEOWNERS": "* @example/team\n"}))
    assert finding.state is State.FAIL
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("CODEOWNERS", 1)
    assert finding.hint is None  # the check's generic hint applies


def test_owners_without_codeowners_are_not_applicable(make_repo: MakeRepo) -> None:
    finding = run_check(OwnersReal, make_repo({"catalog-info.yaml": CATALOG}))
    assert finding.state is State.NOT_APPLICABLE
