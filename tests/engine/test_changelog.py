"""Changelog entries per template: what ``update`` shows a repository of one template."""

from __future__ import annotations

from pathlib import Path

from goldenpath import changelog
from goldenpath.services.release import release, verify
from goldenpath.versions import Version

from .catalog_factory import make_catalog_tree, release_notes

REPO_ROOT = Path(__file__).resolve().parents[2]

LOG = """\
# Changelog

Tag bullets with `svc`: ... (this preamble is no version).

## [1.2.0] - 2026-03-01
### Added
- `job`: a retry policy.
- `svc`, `job`: JSON logs. Action needed: set `LOG_FORMAT`
  in your deployment, e.g.
  `LOG_FORMAT=json`.

  A second paragraph of the same bullet.
- A shared partial for both.

### Fixed
- `job`: the schedule is read in UTC.

## [1.1.0] - 2026-02-01
### Changed
- `job`: faster reads
  across chunks.

## [1.0.0] - 2026-01-01
- First release.
"""


def _bodies(template: str | None) -> dict[str, str]:
    entries = changelog.between(LOG, Version(1, 0, 0), Version(1, 2, 0), template=template)
    return {str(e.version): e.body for e in entries}


def test_tags_are_backticked_names_before_a_colon() -> None:
    assert changelog.tags("- `job`: a retry policy.") == ["job"]
    assert changelog.tags("- `svc`, `job`: JSON logs.") == ["svc", "job"]
    assert changelog.tags("* `svc`,`job` : both") == ["svc", "job"]
    assert changelog.tags("- A shared partial for both.") == []
    assert changelog.tags("- `storage.py` reads chunks: faster") == []  # no colon after the tag
    assert changelog.tags("- First catalog: `svc`, `job`") == []


def test_without_a_template_every_bullet_is_shown() -> None:
    bodies = _bodies(None)
    assert list(bodies) == ["1.1.0", "1.2.0"]
    assert "a retry policy" in bodies["1.2.0"]
    assert "faster reads" in bodies["1.1.0"]


def test_a_template_sees_its_bullets_and_the_untagged_ones_only() -> None:
    bodies = _bodies("svc")
    assert list(bodies) == ["1.2.0"], "1.1.0 holds nothing for svc: the entry is dropped"
    assert bodies["1.2.0"] == (
        "### Added\n"
        "- `svc`, `job`: JSON logs. Action needed: set `LOG_FORMAT`\n"
        "  in your deployment, e.g.\n"
        "  `LOG_FORMAT=json`.\n"
        "\n"
        "  A second paragraph of the same bullet.\n"
        "- A shared partial for both."
    ), "multi-line bullets stay whole; a heading left empty (### Fixed) is dropped"


def test_the_other_template_keeps_its_continuation_lines_and_headings() -> None:
    bodies = _bodies("job")
    assert bodies["1.1.0"] == "### Changed\n- `job`: faster reads\n  across chunks."
    assert "### Fixed\n- `job`: the schedule is read in UTC." in bodies["1.2.0"]
    assert "a retry policy" in bodies["1.2.0"]
    assert "A second paragraph of the same bullet." in bodies["1.2.0"]


def test_a_template_named_nowhere_still_sees_untagged_bullets() -> None:
    bodies = _bodies("other")
    assert bodies == {"1.2.0": "### Added\n- A shared partial for both."}


def test_real_changelog_realtime_update_shows_no_other_templates_notes() -> None:
    """A realtime-inference repository updated from 0.2.0 to 0.3.2 must not be told to run
    batch-inference's `terraform import` (0.3.0) or read training-pipeline's notes."""
    text = (REPO_ROOT / "templates" / "CHANGELOG.md").read_text(encoding="utf-8")
    everything = " ".join(
        " ".join(e.body.split())
        for e in changelog.between(text, Version(0, 2, 0), Version(0, 3, 2))
    )
    terraform_import = "terraform -chdir=infra/envs/prod import"
    assert terraform_import in everything, "the test's premise: 0.3.0 asks batch jobs to act"
    entries = changelog.between(
        text, Version(0, 2, 0), Version(0, 3, 2), template="realtime-inference"
    )
    shown = "\n".join(e.body for e in entries)
    flat = " ".join(shown.split())
    assert [str(e.version) for e in entries] == ["0.3.1"]
    assert "`realtime-inference`:" in shown
    assert "`batch-inference`" not in shown
    assert "`training-pipeline`" not in shown
    assert terraform_import not in flat
    assert "Action needed" not in flat
    # the 0.3.1 fix is shown whole, continuation lines included
    assert shown.rstrip().endswith("A failed model load now also logs its message (`load_error`).")


def test_real_changelog_tags_name_only_catalog_templates() -> None:
    text = (REPO_ROOT / "templates" / "CHANGELOG.md").read_text(encoding="utf-8")
    names = set(changelog.tagged_templates(text))
    assert names, "the catalog changelog tags its bullets"
    assert names <= {"realtime-inference", "batch-inference", "training-pipeline"}


def test_verify_reports_a_tag_that_names_no_template(tmp_path: Path) -> None:
    source = make_catalog_tree(tmp_path / "src")  # templates svc and job
    bundle = tmp_path / "a.bundle"
    release(source, bundle)
    release_notes(source, "1.1.0", "`svc`: good tag")
    assert verify(source, bundle).problems == []
    release_notes(source, "1.2.0", "`scv`: a typo hides this bullet from every repository")
    problems = verify(source, bundle).problems
    assert problems == [
        "CHANGELOG.md (1.2.0): bullet tagged `scv`, which is no template of the catalog (job, svc)"
    ]
