"""Checks specific to the batch-inference template, on top of the generic validators.

- The generated job runs for a date, a rerun replaces the partition without duplicates,
  and a missing partition fails with its documented exit code (the README's promise).
- A commit of an output partition killed at any of its steps leaves the old or the new
  partition whole (batch_partition_swap.py probes ``storage.commit`` of the render).
- Every metric the alert rules and the dashboard query is one the job really emits.
- The Spark-marked tests of ONE render run here, so CI runs them at least once.

The questions' refusals are tested for every template in test_refused_answers.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from template_harness import tools
from template_harness import validators as v
from template_harness.cases import Case, cases_for
from template_harness.render import Renderer, case_params

T = "batch-inference"
CASES = cases_for(T)
# The case whose render runs its Spark-marked tests here (CI runs them once).
SPARK_CASE = "batch-inference-aws-github-spark-registry"
DEFAULT_CASE = CASES[0]
DAY = "2024-01-01"
ROWS = 300

pytestmark = pytest.mark.slow


def _by_id(case_id: str) -> Case:
    return next(case for case in CASES if case.id == case_id)


def _job(workdir: Path, package: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m <package> <args>`` in the shared generated-project environment."""
    return tools.run_in_project(workdir, ["-m", package, *args], ("JOB_",))


@pytest.fixture(scope="module")
def job_run(renderer: Renderer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The default render, copied, with demo data and model, scored twice for DAY."""
    workdir = tmp_path_factory.mktemp("batch-job") / "project"
    shutil.copytree(renderer(DEFAULT_CASE), workdir)
    package = tools.recorded_answers(workdir)["package_name"]
    demo = _job(workdir, package, "demo", "--from", DAY, "--to", DAY, "--rows", str(ROWS))
    assert demo.returncode == 0, tools.output_of(demo)
    runs = [_job(workdir, package, "run", "--date", DAY) for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, tools.output_of(run)
    return {
        "workdir": workdir,
        "package": package,
        "summaries": [json.loads(run.stdout.strip().splitlines()[-1]) for run in runs],
        # what a successful run emitted (a later failed run rewrites the file)
        "metrics": "\n".join(
            path.read_text() for path in sorted((workdir / "data" / "metrics").glob("*.prom"))
        ),
    }


def test_run_then_rerun_replaces_the_partition(job_run: dict[str, Any]) -> None:
    workdir: Path = job_run["workdir"]
    first, second = job_run["summaries"]
    assert first["rows_in"] == second["rows_in"] == ROWS
    assert first["rows_scored"] == second["rows_scored"] == ROWS
    assert first["run_id"] != second["run_id"]
    partition = workdir / "data" / "output" / f"run_date={DAY}"
    files = sorted(path.name for path in partition.iterdir())
    assert files == ["_SUCCESS", "part-00000.parquet"], files
    read = subprocess.run(
        [
            str(tools.gen_python()),
            "-c",
            "import json, sys, pandas as pd; d = pd.read_parquet(sys.argv[1]); "
            "print(json.dumps({'rows': len(d), 'ids': int(d['id'].nunique()), "
            "'run_ids': sorted(set(d['run_id']))}))",
            str(partition),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert read.returncode == 0, tools.output_of(read)
    output = json.loads(read.stdout)
    assert output["rows"] == ROWS
    assert output["ids"] == ROWS, "the rerun duplicated rows"
    assert output["run_ids"] == [second["run_id"]]
    manifest = json.loads((partition / "_SUCCESS").read_text())
    assert manifest["run_id"] == second["run_id"]
    assert not (workdir / "data" / "output" / "_staging").exists()


SWAP_PROBE = Path(__file__).with_name("batch_partition_swap.py")


@pytest.fixture(scope="module")
def swap_project(renderer: Renderer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the default render, for probing its partition commit."""
    workdir = tmp_path_factory.mktemp("batch-swap") / "project"
    shutil.copytree(renderer(DEFAULT_CASE), workdir)
    return workdir


def _probe_swap(workdir: Path, mode: str, scratch: Path) -> dict[str, Any]:
    """Run batch_partition_swap.py (its docstring says what it does) on the render's code."""
    package = tools.recorded_answers(workdir)["package_name"]
    result = tools.run_in_project(workdir, [str(SWAP_PROBE), mode, package, str(scratch)])
    assert result.returncode == 0, tools.output_of(result)
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.xdist_group(DEFAULT_CASE.id)
def test_a_commit_killed_at_any_step_leaves_the_old_or_the_new_partition_whole(
    swap_project: Path, tmp_path: Path
) -> None:
    """The crash-safety promise of storage.commit on a local path (ADR 0001): a run killed
    at any file-system step of a commit, followed by the next run's ``recover``, leaves
    the previous or the new partition complete, never a missing or partial one."""
    report = _probe_swap(swap_project, "crash", tmp_path)
    assert report["steps"] >= 2, (
        f"only {report['steps']} file-system steps of the commit were seen: the probe "
        "cannot kill it between steps (does it write through neither os/shutil nor the "
        "partition's pyarrow file system?)"
    )
    assert not report["problems"], "\n".join(report["problems"])


@pytest.mark.xdist_group(DEFAULT_CASE.id)
@pytest.mark.xfail(
    # Not strict: the reader races the commits, and on a busy runner a run can miss every
    # window; an unexpected pass must not fail CI while the bug is known and open.
    strict=False,
    reason="the local commit renames the old partition away before renaming the new one "
    "in, so a reader between the two renames finds no partition; and every version's data "
    "file is part-00000.parquet, so a read across a swap can take the footer of one version "
    "and the pages of the next. Remove this mark once the local swap keeps the partition "
    "readable throughout (e.g. run-unique data file names behind the manifest, as on "
    "object stores).",
)
def test_a_reader_never_sees_a_missing_or_torn_partition_during_commits(
    swap_project: Path, tmp_path: Path
) -> None:
    report = _probe_swap(swap_project, "read", tmp_path)
    assert report["reads"] >= 50, report  # at least one read per commit
    assert not report["problem_count"], (
        f"{report['problem_count']} of {report['reads']} reads saw a broken partition, "
        f"e.g.: {report['problems']}"
    )


def test_missing_partition_exits_with_code_3(job_run: dict[str, Any]) -> None:
    result = _job(job_run["workdir"], job_run["package"], "run", "--date", "2023-12-31")
    assert result.returncode == 3, tools.output_of(result)
    assert "missing or late" in result.stderr


def _emitted_metric_names(textfile: str) -> set[str]:
    names = set()
    for line in textfile.splitlines():
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", line)
        if match and not line.startswith("#"):
            names.add(match[1])
    return names


@pytest.mark.parametrize("case", case_params(CASES))
def test_alerts_and_dashboard_use_only_emitted_metrics(
    job_run: dict[str, Any], project: Path
) -> None:
    emitted = _emitted_metric_names(job_run["metrics"])
    assert "batch_scoring_last_run_rows_in" in emitted, emitted
    queried: dict[str, set[str]] = {}
    for rule in v.alerting_rules([project / "monitoring/prometheus/alerts.yml"]):
        queried[f"alert {rule['alert']}"] = v.promql_metric_names(str(rule["expr"]))
    dashboard = json.loads((project / "monitoring/grafana/dashboard.json").read_text())
    for key, expr in v.dashboard_exprs(dashboard).items():
        queried[f"dashboard {key}"] = v.promql_metric_names(expr)
    unknown = {where: names - emitted for where, names in queried.items() if names - emitted}
    assert not unknown, f"queries use metrics the job never emits: {unknown}"
    alerts = {where.split(" ", 1)[1] for where in queried if where.startswith("alert ")}
    assert {
        "BatchScoringRunFailed",
        "BatchScoringRunLate",
        "BatchScoringVolumeAnomaly",
        "BatchScoringInputDrift",
    } <= alerts


@pytest.mark.parametrize("case", case_params([_by_id(SPARK_CASE)]))
@pytest.mark.spark
def test_spark_tests_of_one_render(project: Path, tmp_path: Path) -> None:
    """The engine-equivalence tests need Java; CI runs them here, for one case."""
    if shutil.which("java") is None:
        raise tools.ToolMissing(
            "java (17+) is needed by the Spark tests: apt install openjdk-17-jre-headless"
        )
    workdir = tmp_path / project.name
    shutil.copytree(project, workdir)
    env = tools.project_env(workdir, ("JOB_",))
    env.pop("PYTHONPATH")
    result = subprocess.run(
        [str(tools.gen_python()), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "spark"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert result.returncode == 0, tools.output_of(result)
    assert re.search(r"\b2 passed\b", result.stdout), result.stdout


@pytest.mark.parametrize("case", case_params(CASES))
def test_job_defaults_follow_the_answers(project: Path) -> None:
    answers = tools.recorded_answers(project)
    config = (project / "src" / answers["package_name"] / "config.py").read_text()
    assert f'input_uri: str = "{answers["input_uri"]}"' in config
    assert f'engine: Literal["pandas", "spark"] = "{answers["engine"]}"' in config
    if answers["model_uri"] != "demo":
        assert f'model_uri: str = "{answers["model_uri"]}"' in config
    cronjob = yaml.safe_load((project / "deploy/k8s/cronjob.yaml").read_text())
    assert cronjob["spec"]["schedule"] == answers["schedule"]
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
