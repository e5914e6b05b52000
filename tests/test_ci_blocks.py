"""The CI building blocks: the GitHub Action (``action.yml``) and the GitLab CI/CD component
(``ci/components/goldenpath/template.yml``).

- Each is valid for its platform: the action against the GitHub action schema and through
  actionlint (a workflow that uses it, so actionlint reads its metadata and the inputs a
  workflow passes); the component's header and its job (inputs interpolated the way GitLab
  does, on the parsed YAML) against the GitLab CI schema. yamllint and shellcheck read both.
- Both run the same script (the test keeps the two copies identical), and it is run here
  the way each platform would run it (``bash -eo pipefail``, the step's environment or the
  job's variables), with this checkout's goldenpath in place of the installing step, on a
  generated repository: outputs, the Markdown summary and the exit code are checked.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml
from engine.catalog_factory import git_catalog, tag_next
from template_harness import tools, validators
from template_harness.tools import ToolMissing

pytestmark = pytest.mark.xdist_group("ci-blocks")

REPO = Path(__file__).resolve().parents[1]
ACTION = REPO / "action.yml"
COMPONENT = REPO / "ci" / "components" / "goldenpath" / "template.yml"
TEST_BIN = Path(sys.executable).parent
NEW_SERVICE = ["new", "realtime-inference", "my-service", "--defaults", "--data", "service_tier=1"]
MARKER = "# goldenpath check and readiness, then outputs and a Markdown summary."
YAMLLINT = (
    "{extends: default, rules: {line-length: {max: 120}, document-start: disable,"
    " truthy: {check-keys: false}}}"
)
# An address that refuses connections at once: a recorded catalog the job cannot reach.
UNREACHABLE = "https://127.0.0.1:9/ml/catalog.git"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def missing(reason: str) -> NoReturn:
    """A missing tool skips locally and fails in CI, so CI never skips a check silently."""
    if in_ci():
        pytest.fail(f"required tool missing in CI: {reason}", pytrace=False)
    pytest.skip(f"tool missing (this fails in CI): {reason}")


def clean(validator: Callable[..., str], *args: Any, **kwargs: Any) -> str:
    """Run a harness validator (or tool finder) that may find its tool missing."""
    try:
        return validator(*args, **kwargs)
    except ToolMissing as exc:
        missing(str(exc))


# ------------------------------------------------------------------------------ reading


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return loaded


def action_step(step_id: str) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in action()["runs"]["steps"] if s.get("id") == step_id)
    return step


def component_documents() -> tuple[dict[str, Any], dict[str, Any]]:
    header, body = yaml.safe_load_all(COMPONENT.read_text(encoding="utf-8"))
    return header, body


_INPUT = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]")


def interpolate(node: Any, inputs: dict[str, Any]) -> Any:
    """GitLab's interpolation: on the parsed YAML, in keys and string values; a value that
    is a single interpolation takes the input's own type."""
    if isinstance(node, dict):
        return {interpolate(k, inputs): interpolate(v, inputs) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(item, inputs) for item in node]
    if isinstance(node, str):
        whole = _INPUT.fullmatch(node.strip())
        if whole:
            return inputs[whole.group(1)]
        return _INPUT.sub(lambda m: str(inputs[m.group(1)]), node)
    return node


def component_job(**overrides: Any) -> tuple[str, dict[str, Any]]:
    header, body = component_documents()
    spec = header["spec"]["inputs"]
    unknown = set(overrides) - set(spec)
    assert not unknown, f"not inputs of the component: {unknown}"
    values = {name: overrides.get(name, entry.get("default")) for name, entry in spec.items()}
    for name, entry in spec.items():
        if "options" in entry:
            assert values[name] in entry["options"], (name, values[name])
    ((name, job),) = interpolate(body, values).items()
    return name, job


def shared_script_of_action() -> str:
    run: str = action_step("goldenpath")["run"]
    assert MARKER in run, "the action's run step lost the shared script"
    return run[run.index(MARKER) :]


def shared_script_of_component() -> str:
    _, job = component_job()
    (script,) = job["script"]
    assert isinstance(script, str)
    return script


# ----------------------------------------------------------------------------- validity


def test_the_action_is_valid_for_github(tmp_path: Path) -> None:
    checker = clean(tools.find_tool, "check-jsonschema", hint="pip install check-jsonschema")
    schema = tools.run([checker, "--builtin-schema", "vendor.github-actions", ACTION])
    assert schema.returncode == 0, tools.output_of(schema)

    # actionlint reads a local action's metadata when a workflow of the same git
    # repository uses it.
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    shutil.copy(ACTION, tmp_path / "action.yml")
    workflow = tmp_path / ".github" / "workflows" / "goldenpath.yml"
    workflow.parent.mkdir(parents=True)
    with_inputs = "\n".join(
        f"          {name}: {value}"
        for name, value in {
            "fail-on": "minor",
            "readiness": "silver",
            "catalog": "${{ secrets.CATALOG_URL }}",
            "version": "0.2.0",
        }.items()
    )
    outputs = "".join(
        f"          {name.upper().replace('-', '_')}: ${{{{ steps.gp.outputs.{name} }}}}\n"
        for name in action()["outputs"]
    )
    workflow.write_text(
        "name: goldenpath\non: [pull_request]\npermissions:\n  contents: read\njobs:\n"
        "  goldenpath:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        f"      - uses: ./\n        id: gp\n        with:\n{with_inputs}\n"
        '      - run: echo "$CURRENT_VERSION $READINESS_LEVEL"\n'
        f"        env:\n{outputs}",
        encoding="utf-8",
    )
    assert clean(validators.actionlint, [workflow], tmp_path) == ""
    broken = workflow.read_text(encoding="utf-8").replace("fail-on:", "fail_on:")
    workflow.write_text(broken, encoding="utf-8")
    assert 'input "fail_on" is not defined' in clean(validators.actionlint, [workflow], tmp_path)


def test_the_component_is_valid_for_gitlab(tmp_path: Path) -> None:
    header, _ = component_documents()
    header_file = tmp_path / "header.yml"
    header_file.write_text(yaml.safe_dump(header), encoding="utf-8")
    assert clean(validators.gitlab_ci_schema, [header_file]) == ""
    for overrides in ({}, {"fail_on": "never", "readiness": "gold", "job_name": "gp check"}):
        name, job = component_job(**overrides)
        pipeline = tmp_path / "pipeline.yml"
        pipeline.write_text(yaml.safe_dump({name: job}, sort_keys=False), encoding="utf-8")
        assert clean(validators.gitlab_ci_schema, [pipeline]) == ""
    # The schema can fail: a wrong type in the header is refused.
    header["spec"]["inputs"]["fail_on"]["options"] = "minor"
    header_file.write_text(yaml.safe_dump(header), encoding="utf-8")
    assert "options" in clean(validators.gitlab_ci_schema, [header_file])


def test_yamllint_and_shellcheck_read_both(tmp_path: Path) -> None:
    yamllint = clean(tools.find_tool, "yamllint", hint="pip install yamllint")
    linted = tools.run([yamllint, "--format", "parsable", "-d", YAMLLINT, ACTION, COMPONENT])
    assert linted.returncode == 0, tools.output_of(linted)

    scripts = {f"action-{s['id']}": s["run"] for s in action()["runs"]["steps"]}
    _, job = component_job()
    scripts["component-before"] = "\n".join(job["before_script"])
    scripts["component-script"] = "\n".join(job["script"])
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        missing("shellcheck not on PATH")
    for name, script in scripts.items():
        # Inputs reach scripts through the environment only: an expression inside a script
        # would be pasted into the shell code (script injection).
        assert "${{" not in script, name
        path = tmp_path / f"{name}.sh"
        path.write_text(script, encoding="utf-8")
        checked = tools.run([str(shellcheck), "-s", "bash", path])
        assert checked.returncode == 0, f"{name}:\n{tools.output_of(checked)}"


def test_both_run_the_same_script_with_the_same_settings() -> None:
    assert shared_script_of_action() == shared_script_of_component()
    _, job = component_job()
    action_env = set(action_step("goldenpath")["env"])
    component_env = set(job["variables"]) - {
        "PIP_DISABLE_PIP_VERSION_CHECK",
        "PIP_ROOT_USER_ACTION",
    }
    # The action takes GP_OUTPUT and GP_SUMMARY from GitHub's files, in the script itself;
    # the component installs goldenpath before the script, from GP_VERSION & co.
    assert action_env | {"GP_OUTPUT", "GP_SUMMARY"} == component_env - {
        "GP_VERSION",
        "GP_REQUIREMENT",
        "GP_INDEX_URL",
    }
    assert set(action()["inputs"]) - {"python"} == {
        name.replace("_", "-") for name in component_documents()[0]["spec"]["inputs"]
    } - {"job-name", "stage", "image"}
    outputs = action()["outputs"]
    for name, entry in outputs.items():
        assert entry["value"] == f"${{{{ steps.goldenpath.outputs.{name} }}}}"


# ------------------------------------------------------------------------------ running


@dataclass
class Run:
    """One run of the shared script, as a platform would run it."""

    code: int
    log: str
    outputs: dict[str, str]
    summary: str


def user_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOLDENPATH", "GP_", "GIT_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        PATH=f"{TEST_BIN}{os.pathsep}{os.environ['PATH']}",
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.org",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.org",
    )
    return env


def _bash(
    script: str, cwd: Path, env: dict[str, str], tmp: Path
) -> subprocess.CompletedProcess[str]:
    path = tmp / "step.sh"
    path.write_text(script, encoding="utf-8")
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _key_values(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    return dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines())


_EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def run_action(repo: Path, env: dict[str, str], tmp: Path, **inputs: str) -> Run:
    """The action's goldenpath step with its step environment (installing step replaced by
    this checkout's goldenpath), the way the runner runs a composite step."""
    declared = action()["inputs"]
    assert set(inputs) <= set(declared), set(inputs) - set(declared)
    context = {f"inputs.{name}": str(entry.get("default", "")) for name, entry in declared.items()}
    context |= {f"inputs.{name}": value for name, value in inputs.items()}
    context |= {"steps.install.outputs.bin": str(TEST_BIN), "runner.temp": str(tmp / "runner")}
    step = action_step("goldenpath")
    step_env = {
        key: _EXPRESSION.sub(lambda m: context[m.group(1)], str(value))
        for key, value in step["env"].items()
    }
    files = {"GITHUB_OUTPUT": tmp / "github-output", "GITHUB_STEP_SUMMARY": tmp / "summary.md"}
    for file in files.values():
        file.unlink(missing_ok=True)
    result = _bash(step["run"], repo, env | step_env | {k: str(v) for k, v in files.items()}, tmp)
    summary = files["GITHUB_STEP_SUMMARY"]
    return Run(
        result.returncode,
        result.stdout + result.stderr,
        _key_values(files["GITHUB_OUTPUT"]),
        summary.read_text(encoding="utf-8") if summary.is_file() else "",
    )


def run_component(repo: Path, env: dict[str, str], tmp: Path, **inputs: Any) -> Run:
    """The component's job script with its variables, in the project directory (goldenpath
    and python from this checkout's environment stand in for the job's pip install)."""
    _, job = component_job(**inputs)
    variables = {key: str(value) for key, value in job["variables"].items()}
    # A CI job has /tmp to itself; runs on one machine (test workers) must not share it.
    variables["GP_WORK"] = str(tmp / "goldenpath-work")
    for name in (variables["GP_OUTPUT"], variables["GP_SUMMARY"]):
        (repo / name).unlink(missing_ok=True)
    result = _bash("\n".join(job["script"]), repo, env | variables, tmp)
    summary, dotenv = repo / variables["GP_SUMMARY"], repo / variables["GP_OUTPUT"]
    try:
        return Run(
            result.returncode,
            result.stdout + result.stderr,
            _key_values(dotenv),
            summary.read_text(encoding="utf-8") if summary.is_file() else "",
        )
    finally:  # the job's artifacts would be read by the next readiness run on this render
        summary.unlink(missing_ok=True)
        dotenv.unlink(missing_ok=True)


@dataclass(frozen=True)
class Workspace:
    env: dict[str, str]
    service: Path  # a fresh tier-1 realtime-inference render from the builtin catalog


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    base = tmp_path_factory.mktemp("ci-blocks")
    env = user_env(base / "home")
    (base / "home").mkdir()
    made = subprocess.run(
        [TEST_BIN / "goldenpath", *NEW_SERVICE],
        cwd=base,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    return Workspace(env, base / "my-service")


def test_the_action_reports_versions_and_readiness(workspace: Workspace, tmp_path: Path) -> None:
    run = run_action(workspace.service, workspace.env, tmp_path)
    # A fresh render is current; its tier (1) needs gold, which placeholder answers never
    # reach (the README says so): readiness fails.
    assert run.code == 3, run.log
    level = run.outputs["readiness-level"]
    assert level in {"bronze", "silver"}, run.log
    assert run.outputs == {
        "template": "realtime-inference",
        "current-version": run.outputs["current-version"],
        "latest-version": run.outputs["current-version"],
        "behind": "false",
        "gap": "none",
        "readiness-level": level,
        "readiness-required": "gold",
        "readiness-score": run.outputs["readiness-score"],
    }
    assert set(run.outputs) == set(action()["outputs"])
    assert re.fullmatch(r"\d+\.\d+\.\d+", run.outputs["current-version"])
    assert 0 < float(run.outputs["readiness-score"]) < 100
    assert "## goldenpath: realtime-inference (.)" in run.summary
    assert f"| Catalog version | {run.outputs['current-version']}, latest" in run.summary
    assert f"| Readiness | **{level}**, **below** the required gold" in run.summary
    assert "| `owners-real` | gold |" in run.summary
    assert "&lt;your-team&gt;" not in run.summary  # inside a code span it stays as typed
    assert "<your-team>" in run.summary
    assert run.summary in run.log  # the log shows it too

    run = run_action(workspace.service, workspace.env, tmp_path, readiness="bronze")
    assert run.code == 0, run.log
    assert "meets the required bronze" in run.summary


def test_the_component_reports_through_dotenv_and_a_summary_file(
    workspace: Workspace, tmp_path: Path
) -> None:
    run = run_component(workspace.service, workspace.env, tmp_path, readiness="bronze")
    assert run.code == 0, run.log
    assert run.outputs["GOLDENPATH_TEMPLATE"] == "realtime-inference"
    assert run.outputs["GOLDENPATH_BEHIND"] == "false"
    assert run.outputs["GOLDENPATH_READINESS_LEVEL"] in {"bronze", "silver"}
    assert run.outputs["GOLDENPATH_READINESS_REQUIRED"] == "bronze"
    assert "meets the required bronze" in run.summary

    run = run_component(workspace.service, workspace.env, tmp_path, readiness="gold")
    assert run.code == 3, run.log
    assert "**below** the required gold" in run.summary


def test_bad_settings_fail_with_goldenpaths_message(workspace: Workspace, tmp_path: Path) -> None:
    run = run_action(workspace.service, workspace.env, tmp_path, **{"fail-on": "often"})
    assert run.code == 2, run.log
    assert "error: --fail-on must be major, minor or patch, not 'often'" in run.summary
    run = run_action(workspace.service, workspace.env, tmp_path, path="missing", readiness="skip")
    assert run.code == 1, run.log
    assert "does not exist" in run.summary
    assert "Readiness" not in run.summary


@contextmanager
def url_catalog(base: Path, env: dict[str, str]) -> Iterator[tuple[Path, Path]]:
    """A repository whose recorded catalog is a URL the job cannot reach (UNREACHABLE),
    rendered from a local catalog that git maps that URL to."""
    catalog = git_catalog(base / "catalog")
    mapped = env | {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{catalog}.insteadOf",
        "GIT_CONFIG_VALUE_0": UNREACHABLE,
    }
    repo = base / "svc"
    made = subprocess.run(
        [TEST_BIN / "goldenpath", "new", "svc", repo, "--defaults", "--catalog", UNREACHABLE],
        env=mapped,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    assert f"_src_path: {UNREACHABLE}" in (repo / ".copier-answers.yml").read_text()
    yield catalog, repo


def test_the_catalog_input_reads_the_recorded_url_from_elsewhere(
    workspace: Workspace, tmp_path: Path
) -> None:
    with url_catalog(tmp_path, workspace.env) as (catalog, repo):
        tag_next(catalog, "1.1.0", "a minor release")
        run = run_action(repo, workspace.env, tmp_path, readiness="skip")
        assert run.code == 1, run.log  # the recorded URL does not answer here
        assert "| Catalog version | error: " in run.summary

        run = run_action(repo, workspace.env, tmp_path, readiness="skip", catalog=str(catalog))
        assert run.code == 3, run.log
        assert (run.outputs["current-version"], run.outputs["latest-version"]) == (
            "1.0.0",
            "1.1.0",
        )
        assert (run.outputs["behind"], run.outputs["gap"]) == ("true", "minor")
        assert "1.0.0, latest 1.1.0: **behind** (minor update; fail-on minor)" in run.summary

        run = run_component(
            repo, workspace.env, tmp_path, readiness="skip", catalog=str(catalog), fail_on="never"
        )
        assert run.code == 0, run.log
        assert run.outputs["GOLDENPATH_GAP"] == "minor"
        assert "1.0.0, latest 1.1.0: behind (minor update; fail-on never)" in run.summary
