"""Production readiness in every render: the document claims nothing, CI and make score it.

- ``docs/production-readiness.md`` ticks no box: what files prove is left to
  ``goldenpath readiness``, and the list of what no file can prove is marked as not
  checked by it. It names the repository's tier and the level that tier needs.
- Its table of builtin checks matches the check classes goldenpath ships (same ids, same
  section, same level), so the document cannot drift from the tool.
- ``catalog-info.yaml`` carries the ``service_tier`` answer as ``goldenpath.dev/tier``, in
  the form ``goldenpath readiness`` reads when the answers file is gone.
- CI (GitHub Actions or GitLab CI, whichever the case picks) has a ``readiness`` job after
  the tests that installs goldenpath with pip and runs
  ``goldenpath readiness --fail-under "$READINESS_LEVEL"`` with ``READINESS_LEVEL`` bronze.
- ``make readiness`` runs the same command: ``make -n`` on every case, and for one case per
  template for real (with this checkout's goldenpath): bronze passes, gold fails.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from template_harness import tools
from template_harness.cases import TEMPLATES, Case, cases_for
from template_harness.render import case_params

from goldenpath.readiness import registry

pytestmark = pytest.mark.slow

DOC = "docs/production-readiness.md"
LEVEL_OF_TIER = {1: "gold", 2: "silver", 3: "bronze"}
SECTIONS = ("data", "model", "delivery", "monitoring", "security", "ownership")
LEVELS = ("bronze", "silver", "gold")
# A ticked Markdown task box, or a tick mark standing in for one.
TICKED = re.compile(r"\[[xX]\]|[\u2705\u2611\u2714\u2713]")
INSTALL = 'python -m pip install "$GOLDENPATH_REQUIREMENT"'
SCORE = 'goldenpath readiness --fail-under "$READINESS_LEVEL"'
ONE_CASE_PER_TEMPLATE = [cases_for(template)[0] for template in TEMPLATES]


def _answers(project: Path) -> dict[str, Any]:
    return tools.recorded_answers(project)


def _doc(project: Path) -> str:
    path = project / DOC
    assert path.is_file(), f"{DOC} is missing"
    return path.read_text()


def _section(text: str, heading: str) -> str:
    """The body of the ``## heading`` section (up to the next ``##`` heading)."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"{DOC} has no section '## {heading}'"
    return match.group(1)


# ---------------------------------------------------------------------- the document


def test_document_ticks_no_box(project: Path) -> None:
    ticked = [
        f"{number}: {line}"
        for number, line in enumerate(_doc(project).splitlines(), start=1)
        if TICKED.search(line)
    ]
    assert not ticked, f"{DOC} claims facts with ticked boxes:\n" + "\n".join(ticked)


def test_document_explains_goldenpath_readiness(project: Path) -> None:
    text = _doc(project)
    answers = _answers(project)
    tier = answers["service_tier"]
    ci_file = ".github/workflows/ci.yml" if answers["ci"] == "github" else ".gitlab-ci.yml"
    this_repo = _section(text, "This repository")
    assert f"Service tier: **{tier}**" in this_repo, "the tier answer is not named"
    assert f"**{LEVEL_OF_TIER[tier]}**" in this_repo, "the tier's level is not named"
    checks = _section(text, "What `goldenpath readiness` checks")
    for tier_number, level in LEVEL_OF_TIER.items():
        assert f"tier {tier_number} {level}" in checks, f"tier {tier_number} -> {level} missing"
    run = _section(text, "Run it")
    for needed in ("make readiness", "goldenpath readiness --fail-under", ci_file, INSTALL):
        assert needed in run, f"'## Run it' does not mention {needed!r}"
    for variable in ("READINESS_LEVEL", "GOLDENPATH_REQUIREMENT", "GOLDENPATH_INDEX_URL"):
        assert f"| `{variable}` |" in run, f"CI variable {variable} is not documented"
    settings = _section(text, "When a check does not fit")
    for needed in ("[tool.goldenpath.readiness]", "disable = {", "later = {"):
        assert needed in settings, f"'## When a check does not fit' lacks {needed!r}"


def test_manual_items_are_marked_as_not_checked(project: Path) -> None:
    text = _doc(project)
    manual = _section(text, "Recorded by hand (not checked by `goldenpath readiness`)")
    rows = [line for line in manual.splitlines() if line.startswith("| ")][1:]  # no header
    assert rows, "the by-hand table has no rows"
    for expected in ("rollback drill", "escalation path", "on-call rotation"):
        assert any(expected in row.lower() for row in rows), f"no by-hand row about {expected}"
    unfilled = [row for row in rows if not row.rstrip().endswith("| | | |")]
    assert not unfilled, "by-hand rows must be left for the team to fill:\n" + "\n".join(unfilled)


def _documented_checks(text: str) -> dict[str, set[tuple[str, str]]]:
    """Section -> {(check id, level)} from the document's table of checks."""
    table = _section(text, "What `goldenpath readiness` checks")
    found: dict[str, set[tuple[str, str]]] = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] not in SECTIONS:
            continue
        found[cells[0]] = {
            (check_id, level)
            for level, cell in zip(LEVELS, cells[2:], strict=True)
            for check_id in re.findall(r"`([a-z0-9-]+)`", cell)
        }
    return found


@pytest.mark.parametrize("case", case_params(ONE_CASE_PER_TEMPLATE))
def test_document_lists_the_builtin_checks(case: Case, project: Path) -> None:
    """Same ids, sections and levels as the builtin check classes. A section whose checks
    goldenpath does not ship yet cannot be compared: the test says so instead of passing."""
    documented = _documented_checks(_doc(project))
    assert set(documented) == set(SECTIONS), f"table sections: {sorted(documented)}"
    shipped: dict[str, set[tuple[str, str]]] = {}
    for name in registry.BUILTIN_MODULES:
        try:
            module = importlib.import_module(f"goldenpath.readiness.checks.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"goldenpath.readiness.checks.{name}":
                raise
            continue
        for check in module.CHECKS:
            shipped.setdefault(check.section.value, set()).add((check.id, check.level.label))
    differing = {
        section: {
            "only in the document": sorted(documented[section] - checks),
            "only in goldenpath": sorted(checks - documented[section]),
        }
        for section, checks in shipped.items()
        if checks != documented.get(section)
    }
    assert not differing, f"{DOC} and the builtin checks differ: {differing}"
    missing = sorted(set(SECTIONS) - set(shipped))
    if missing:
        pytest.skip(f"goldenpath ships no checks of section(s) {missing} yet; the rest match")


def test_catalog_info_carries_the_tier(project: Path) -> None:
    info = yaml.safe_load((project / "catalog-info.yaml").read_text())
    annotations = info["metadata"]["annotations"]
    assert annotations.get("goldenpath.dev/tier") == str(_answers(project)["service_tier"])


# -------------------------------------------------------------------------------- CI


def _needs(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return (
        [needs]
        if isinstance(needs, str)
        else [n if isinstance(n, str) else n["job"] for n in needs]
    )


def _in_order(commands: list[str], first: str, then: str) -> bool:
    at = {
        text: next((i for i, c in enumerate(commands) if text in c), -1) for text in (first, then)
    }
    return 0 <= at[first] < at[then]


def test_ci_scores_readiness_after_the_tests(case: Case, project: Path) -> None:
    ci = _answers(project)["ci"]
    if ci == "github":
        workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
        jobs = workflow["jobs"]
        job = jobs.get("readiness")
        assert job, f"no readiness job in ci.yml (jobs: {sorted(jobs)})"
        commands = [step.get("run", "") for step in job["steps"]]
        variables = job.get("env", {})
        assert "vars.GOLDENPATH_REQUIREMENT" in variables.get("GOLDENPATH_REQUIREMENT", "")
        assert "vars.GOLDENPATH_INDEX_URL" in variables.get("GOLDENPATH_INDEX_URL", "")
    else:
        pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
        jobs = {k: v for k, v in pipeline.items() if isinstance(v, dict) and "script" in v}
        job = jobs.get("readiness")
        assert job, f"no readiness job in .gitlab-ci.yml (jobs: {sorted(jobs)})"
        stages = pipeline["stages"]
        assert job["stage"] in stages, f"stage {job['stage']} is not declared in {stages}"
        assert stages.index(job["stage"]) >= stages.index(jobs["test"]["stage"])
        assert "slim" not in job["image"], "goldenpath reads git, which slim images lack"
        commands = job["script"]
        variables = job.get("variables", {})
        assert variables.get("GOLDENPATH_REQUIREMENT") == "goldenpath"
    assert "test" in jobs, "the template's CI has no test job"
    assert "test" in _needs(job), f"the readiness job does not wait for the tests: {job}"
    assert variables.get("READINESS_LEVEL") == "bronze", f"READINESS_LEVEL: {variables}"
    assert _in_order(commands, INSTALL, SCORE), f"install, then score; got {commands}"
    assert any('PIP_INDEX_URL="$GOLDENPATH_INDEX_URL"' in c for c in commands), (
        f"GOLDENPATH_INDEX_URL does not reach pip: {commands}"
    )


# ------------------------------------------------------------------------------ make


def _make(project: Path, *args: str, env: dict[str, str] | None = None) -> str:
    make = tools.find_tool("make", hint="apt-get install make")
    result = tools.run([make, *args], cwd=project, env=env, timeout=120)
    assert result.returncode == 0, f"make {' '.join(args)} failed:\n{tools.output_of(result)}"
    return result.stdout


def test_make_readiness_runs_goldenpath_readiness(project: Path) -> None:
    assert "goldenpath readiness --fail-under bronze" in _make(project, "-n", "readiness")
    tightened = _make(project, "-n", "readiness", "READINESS_LEVEL=gold", "GOLDENPATH=/opt/gp")
    assert "/opt/gp readiness --fail-under gold" in tightened
    assert re.search(r"^readiness\t", _make(project, "--no-print-directory", "help"), re.M)


def _git_copy(project: Path, tmp_path: Path) -> Path:
    """A copy of the render in a fresh git repository (readiness reads git's file list)."""
    copy = tmp_path / "repo"
    shutil.copytree(project, copy)
    git = tools.find_tool("git")
    subprocess.run([git, "init", "-q", str(copy)], check=True, capture_output=True)
    return copy


@pytest.mark.parametrize("case", case_params(ONE_CASE_PER_TEMPLATE))
def test_make_readiness_passes_bronze_and_not_gold(
    case: Case, project: Path, tmp_path: Path
) -> None:
    """With this checkout's goldenpath: a default render reaches bronze (its CI is green),
    and its placeholder owners keep it below gold (make fails, naming the level)."""
    repo = _git_copy(project, tmp_path)
    goldenpath = tools.find_tool("goldenpath")
    env = {"HOME": str(tmp_path / "home"), "GOLDENPATH": goldenpath}
    passed = _make(repo, "--no-print-directory", "readiness", env=env)
    assert "meets the required bronze" in passed, passed
    make = tools.find_tool("make")
    gold = tools.run([make, "readiness", "READINESS_LEVEL=gold"], cwd=repo, env=env)
    assert gold.returncode != 0, f"a render with placeholder owners reached gold:\n{gold.stdout}"
    assert "below the required gold" in gold.stdout, tools.output_of(gold)


@pytest.mark.parametrize("case", case_params(ONE_CASE_PER_TEMPLATE))
def test_readiness_reads_the_tier_annotation(case: Case, project: Path, tmp_path: Path) -> None:
    """Without the answers file (a repository no longer generated), the tier still comes
    from catalog-info.yaml."""
    repo = _git_copy(project, tmp_path)
    tier = _answers(repo)["service_tier"]
    (repo / ".copier-answers.yml").unlink()
    goldenpath = tools.find_tool("goldenpath")
    result = tools.run(
        [goldenpath, "readiness", "--json", "--check", "codeowners", str(repo)],
        env={"HOME": str(tmp_path / "home")},
    )
    report = json.loads(result.stdout)
    assert report["tier"] == tier, report
    assert "goldenpath.dev/tier" in report["tier_source"], report


def _goldenpath_hooks(project: Path) -> list[dict[str, Any]]:
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    local = [repo for repo in config["repos"] if repo["repo"] == "local"]
    return [h for repo in local for h in repo["hooks"] if h["id"].startswith("goldenpath-")]


def test_pre_commit_offers_the_goldenpath_gates_on_demand(project: Path) -> None:
    hooks = {hook["id"]: hook for hook in _goldenpath_hooks(project)}
    assert sorted(hooks) == ["goldenpath-check", "goldenpath-readiness"]
    for hook in hooks.values():  # opt-in: never on a plain commit until the team says so
        assert hook["stages"] == ["manual"]
        assert hook["pass_filenames"] is False
    assert hooks["goldenpath-readiness"]["entry"].startswith("goldenpath readiness --fail-under")


@pytest.mark.parametrize("case", case_params(ONE_CASE_PER_TEMPLATE))
def test_the_readiness_hook_runs_through_pre_commit(
    case: Case, project: Path, tmp_path: Path
) -> None:
    """The generated hook as pre-commit runs it (only the local hooks: the others need
    their repositories cloned, which needs the network)."""
    repo = _git_copy(project, tmp_path)
    git = tools.find_tool("git")
    subprocess.run([git, "-C", str(repo), "add", "-A"], check=True, capture_output=True)
    config = tmp_path / "hooks.yaml"
    hooks = [h for h in _goldenpath_hooks(repo) if h["id"] == "goldenpath-readiness"]
    config.write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}))
    pre_commit = tools.find_tool("pre-commit", hint="pip install pre-commit")
    goldenpath = Path(tools.find_tool("goldenpath"))
    env = {
        "HOME": str(tmp_path / "home"),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit"),
        "PATH": f"{goldenpath.parent}:/usr/bin:/bin",
    }
    args = [pre_commit, "run", "-c", str(config), "--all-files"]
    skipped = tools.run(args, cwd=repo, env=env, timeout=120)
    assert "goldenpath readiness" not in skipped.stdout, "an opt-in hook ran on a plain run"
    ran = tools.run([*args, "--hook-stage", "manual"], cwd=repo, env=env, timeout=120)
    assert ran.returncode == 0, tools.output_of(ran)
    assert re.search(r"goldenpath readiness\.+Passed", ran.stdout), ran.stdout
