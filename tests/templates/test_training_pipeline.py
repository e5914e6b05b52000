"""Checks specific to the training-pipeline template, on top of the generic validators.

- The README's path works: the default render trains end to end against a local MLflow
  store, registers a ``challenger``, promotes it to ``champion`` with an audit record, and
  a separate process (as a service would) loads ``models:/<name>@champion`` as a pyfunc
  model and predicts on a DataFrame of the contract's features.
- A service generated from the realtime-inference template with
  ``model_source=mlflow`` and that model URI serves the champion over HTTP.
- Every metric the alert rules and the dashboard query is one the pipeline really emits
  (in the textfiles of that run, and in metrics.py for every case).
- Continuous training is wired: scheduled and manual runs, promotion behind an approval;
  with orchestrator=airflow, the render's Airflow DAGs load in a DagBag (its own
  tests/test_dag.py, run in .venv-airflow) and the CI schedules no second trainer.

The questions' refusals are tested for every template in test_refused_answers.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from copier import run_copy
from template_harness import tools
from template_harness.cases import Case, cases_for
from template_harness.render import Renderer, case_params

T = "training-pipeline"
CASES = cases_for(T)
DEFAULT_CASE = CASES[0]
METRIC = re.compile(r"\btraining_pipeline_[a-z_]+\b")

pytestmark = pytest.mark.slow


def _run(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python <args>`` in the shared generated-project environment, in the render."""
    return tools.run_in_project(workdir, args, ("PIPELINE_",))


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


# A service's view of the registry: nothing of the pipeline's package is importable here
# (PYTHONPATH is cleared), so the model must carry its feature code.
SERVE = """
import json, sys
import mlflow, pandas as pd
from mlflow import MlflowClient
uri, name, features = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
mlflow.set_tracking_uri(uri)
client = MlflowClient(uri, uri)
champion = client.get_model_version_by_alias(name, "champion")
model = mlflow.pyfunc.load_model(f"models:/{name}@champion")
rows = pd.DataFrame([[0.5] * len(features)] * 3, columns=features)
predictions = model.predict(rows)
print(json.dumps({
    "champion": str(champion.version),
    "tags": dict(champion.tags),
    "aliases": [a for a in ("challenger", "champion") if a in champion.aliases],
    "rows": len(predictions),
}))
"""


@pytest.fixture(scope="module")
def trained(renderer: Renderer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The default render, copied, trained, promoted and monitored as its README says."""
    workdir = tmp_path_factory.mktemp("training") / "project"
    shutil.copytree(renderer(DEFAULT_CASE), workdir)
    answers = tools.recorded_answers(workdir)
    package = answers["package_name"]
    run_all = _ok(_run(workdir, "-m", package, "run-all"))
    promote = _ok(_run(workdir, "-m", package, "promote", "--reason", "goldenpath test"))
    monitor = _ok(_run(workdir, "-m", package, "monitor"))
    features = _ok(
        _run(workdir, "-c", f"import json, {package}.contract as c; print(json.dumps(c.FEATURES))")
    )
    database = workdir / answers["mlflow_tracking_uri"].removeprefix("sqlite:///")
    served = _run(
        workdir.parent,  # outside the project: only what the model carries is importable
        "-c",
        SERVE,
        f"sqlite:///{database}",
        answers["registered_model_name"],
        features.strip(),
    )
    return {
        "workdir": workdir,
        "answers": answers,
        "run_all": run_all,
        "promote": promote,
        "monitor": monitor,
        "served": json.loads(_ok(served).strip().splitlines()[-1]),
    }


def test_a_run_registers_a_challenger(trained: dict[str, Any]) -> None:
    name = trained["answers"]["registered_model_name"]
    assert f"registered models:/{name}/1 as challenger" in trained["run_all"]
    card = (trained["workdir"] / "build" / "model-card.md").read_text()
    assert "fingerprint (SHA-256)" in card


def test_promotion_makes_it_champion_with_an_audit_record(trained: dict[str, Any]) -> None:
    assert "version 1 is now champion" in trained["promote"]
    served = trained["served"]
    assert served["champion"] == "1"
    assert served["aliases"] == ["champion"]  # the challenger alias moved on
    assert served["tags"]["promotion_reason"] == "goldenpath test"
    assert served["tags"]["gate"] == "passed"
    audit = trained["workdir"] / "build" / "audit" / "promotions.jsonl"
    assert json.loads(audit.read_text().splitlines()[-1])["version"] == "1"


def test_a_service_loads_the_champion_as_a_pyfunc_model(trained: dict[str, Any]) -> None:
    assert trained["served"]["rows"] == 3


def test_monitoring_reports_drift_per_feature(trained: dict[str, Any]) -> None:
    report = json.loads((trained["workdir"] / "build" / "reports" / "drift.json").read_text())
    assert report["features"], "the drift report lists no features"
    assert not report["drift_detected"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _http(url: str, body: dict[str, Any] | None = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"content-type": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, str(error)


def test_a_realtime_service_serves_the_champion(trained: dict[str, Any], tmp_path: Path) -> None:
    """The README's hand-over: realtime-inference, model_source=mlflow, the champion's URI."""
    answers = trained["answers"]
    name = answers["registered_model_name"]
    service = tmp_path / "service"
    run_copy(
        str(Path(__file__).parents[2] / "templates"),
        service,
        data={
            "template": "realtime-inference",
            "project_name": "scoring-service",
            "model_source": "mlflow",
            "mlflow_model_uri": f"models:/{name}@champion",
        },
        defaults=True,
        quiet=True,
    )
    database = trained["workdir"] / answers["mlflow_tracking_uri"].removeprefix("sqlite:///")
    port = _free_port()
    env = tools.project_env(service, ("PIPELINE_",))
    env.update(
        MLFLOW_TRACKING_URI=f"sqlite:///{database}",
        SCORING_SERVICE_PORT=str(port),
        SCORING_SERVICE_HOST="127.0.0.1",
    )
    server = subprocess.Popen(
        [str(tools.gen_python()), "-m", "scoring_service"],
        cwd=service,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while _http(f"{base}/readyz")[0] != 200:
            assert server.poll() is None, f"the service exited:\n{server.stderr.read()[-3000:]}"
            assert time.monotonic() < deadline, "the service never became ready"
            time.sleep(1)
        features = json.loads(
            _ok(
                _run(
                    trained["workdir"],
                    "-c",
                    "import json, "
                    f"{answers['package_name']}.contract as c; print(json.dumps(c.FEATURES))",
                )
            )
        )
        status, body = _http(
            f"{base}/v1/predict", {"instances": [dict.fromkeys(features, 1.0)] * 2}
        )
        assert status == 200, body
        reply = json.loads(body)
        assert reply["model_version"] == "1"
        assert len(reply["predictions"]) == 2
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _queried_metrics(project: Path) -> set[str]:
    text = (project / "monitoring" / "prometheus" / "alerts.yml").read_text()
    text += (project / "monitoring" / "grafana" / "dashboard.json").read_text()
    return set(METRIC.findall(text))


def test_alerts_and_dashboard_use_only_emitted_metrics(trained: dict[str, Any]) -> None:
    """Every name queried appears in the textfiles the run, promotion and monitor wrote."""
    emitted = "".join(
        path.read_text() for path in (trained["workdir"] / "build" / "metrics").glob("*.prom")
    )
    emitted_names = set(re.findall(r"^(training_pipeline_[a-z_]+)[{ ]", emitted, re.M))
    missing = _queried_metrics(trained["workdir"]) - emitted_names
    assert not missing, f"queried but never emitted: {sorted(missing)}"


@pytest.mark.parametrize("case", case_params(CASES))
def test_every_queried_metric_is_defined(project: Path) -> None:
    """Static version of the check above for every case (names from metrics.py)."""
    package = tools.recorded_answers(project)["package_name"]
    source = (project / "src" / package / "metrics.py").read_text()
    defined = {f"training_pipeline_{name}" for name in re.findall(r'gauge\(\s*"(\w+)"', source)}
    missing = _queried_metrics(project) - defined
    assert not missing, f"queried but not defined in metrics.py: {sorted(missing)}"


@pytest.mark.parametrize("case", case_params(CASES))
def test_continuous_training_is_scheduled_and_promotion_approved(case: Case, project: Path) -> None:
    answers = tools.recorded_answers(project)
    if answers.get("orchestrator") == "airflow":
        _airflow_is_the_only_trainer(project, answers)
        return
    if answers["ci"] == "github":
        workflow = yaml.safe_load((project / ".github" / "workflows" / "ct.yml").read_text())
        triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 `on`
        crons = [entry["cron"] for entry in triggers["schedule"]]
        assert answers["retrain_schedule"] in crons
        assert "workflow_dispatch" in triggers
        assert workflow["jobs"]["promote"]["environment"] == "production"
        assert workflow["jobs"]["promote"]["needs"] == "train"
    else:
        pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
        sources = " ".join(rule["if"] for rule in pipeline["workflow"]["rules"])
        assert '"schedule"' in sources, "scheduled pipelines are filtered out by workflow:rules"
        assert '"web"' in sources, "manual pipelines are filtered out by workflow:rules"
        promote = pipeline["promote"]
        assert promote["environment"]["name"] == "production"
        assert all(rule.get("when") == "manual" for rule in promote["rules"])
        assert answers["retrain_schedule"] in (project / ".gitlab-ci.yml").read_text()


def _airflow_is_the_only_trainer(project: Path, answers: dict[str, Any]) -> None:
    """The DAG carries the schedule; CI keeps only the approved promotion."""
    dag = (project / "dags" / f"{answers['package_name']}_training.py").read_text()
    assert f'RETRAIN_SCHEDULE = "{answers["retrain_schedule"]}"' in dag
    if answers["ci"] == "github":
        workflow = yaml.safe_load((project / ".github" / "workflows" / "ct.yml").read_text())
        triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 `on`
        assert "schedule" not in triggers, "CI schedules a second trainer"
        assert set(workflow["jobs"]) == {"promote"}
        assert workflow["jobs"]["promote"]["environment"] == "production"
    else:
        pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
        sources = " ".join(rule["if"] for rule in pipeline["workflow"]["rules"])
        assert '"schedule"' not in sources, "scheduled pipelines would train a second time"
        assert "continuous-training" not in pipeline
        assert pipeline["promote"]["environment"]["name"] == "production"


AIRFLOW_CASES = [case for case in CASES if case.answers.get("orchestrator") == "airflow"]


@pytest.mark.parametrize("case", case_params(AIRFLOW_CASES))
def test_the_airflow_dags_load_in_a_dagbag(project: Path, tmp_path: Path) -> None:
    """The render's own DAG tests, in .venv-airflow as `make dag-test` runs them.

    Without .venv-airflow this skips locally and fails in CI (ToolMissing); inside it, a
    skipped DAG test means Airflow did not import, which fails here as well.
    """
    python = tools.airflow_python()
    copy = tmp_path / project.name
    shutil.copytree(project, copy)
    # The outer session's pytest variables must not reach the nested run.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env.update(PYTHONDONTWRITEBYTECODE="1", AIRFLOW__CORE__LOAD_EXAMPLES="False")
    test_args = ["-q", "-rs", "-p", "no:cacheprovider", "--noconftest", "tests/test_dag.py"]
    result = subprocess.run(
        [str(python), "-m", "pytest", *test_args],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = tools.output_of(result)
    assert result.returncode == 0, output
    assert "skipped" not in output, output
    assert re.search(r"\b[1-9]\d* passed\b", output), output
