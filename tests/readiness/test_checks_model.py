"""Model checks on small repositories: card, gate, registry, seeds, locked dependencies."""

from __future__ import annotations

import pytest

from goldenpath.readiness.checks.model import (
    EvaluationGate,
    ModelCard,
    ModelCardFilled,
    RegistryMetadata,
    ReproducibleDependencies,
    SeededTraining,
)
from goldenpath.readiness.model import State
from readiness.conftest import MakeRepo, run_check

ML_CODE = "import mlflow\n\nmodel = mlflow.pyfunc.load_model(URI)\n"

CARD = """
    # Model card: fraud-scorer

    Owned by the fraud team; questions e.g. to user@example.com.

    ## Intended use

    Scores card transactions. We fill in missing values with the training median.

    ## Evaluation

    ### Metrics

    ROC AUC 0.97 on the March hold-out.

    ```yaml
    threshold: {{ not a template }}
    ```
"""


# -- model-card ----------------------------------------------------------------------------
def test_docs_model_card_passes(make_repo: MakeRepo) -> None:
    finding = run_check(ModelCard, make_repo({"docs/model-card.md": CARD, "src/m.py": ML_CODE}))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("docs/model-card.md", 1)


def test_other_card_names_pass(make_repo: MakeRepo) -> None:
    finding = run_check(ModelCard, make_repo({"models/scorer/MODEL_CARD.md": CARD}))
    assert finding.state is State.PASS
    assert finding.evidence[0].path == "models/scorer/MODEL_CARD.md"


def test_model_without_card_fails(make_repo: MakeRepo) -> None:
    finding = run_check(ModelCard, make_repo({"src/m.py": ML_CODE, "README.md": "# x\n"}))
    assert finding.state is State.FAIL
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("src/m.py", 1)


def test_no_model_is_not_applicable(make_repo: MakeRepo) -> None:
    finding = run_check(ModelCard, make_repo({"src/app.py": "import fastapi\n"}))
    assert finding.state is State.NOT_APPLICABLE


# -- model-card-filled ---------------------------------------------------------------------
def test_filled_card_passes(make_repo: MakeRepo) -> None:
    finding = run_check(ModelCardFilled, make_repo({"docs/model-card.md": CARD}))
    assert finding.state is State.PASS, finding.evidence
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("docs/model-card.md", 1)
    assert finding.evidence[0].text.startswith("4 sections")


@pytest.mark.parametrize(
    ("line", "text", "problem"),
    [
        (5, "TODO: describe the intended use", "boilerplate 'TODO'"),
        (5, "Scores {{ model_name }} transactions.", "template leftover '{{ model_name }}'"),
        (5, "Scores [[ model_name ]] transactions.", "template leftover '[[ model_name ]]'"),
        (5, "Lorem ipsum dolor sit amet.", "boilerplate 'Lorem ipsum'"),
    ],
)
def test_boilerplate_fails_on_its_line(
    make_repo: MakeRepo, line: int, text: str, problem: str
) -> None:
    card = f"# Model card\n\n## Intended use\n\n{text}\n"
    finding = run_check(ModelCardFilled, make_repo({"MODEL_CARD.md": card}))
    assert finding.state is State.FAIL
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("MODEL_CARD.md", line)
    assert finding.evidence[0].text.startswith(problem)


def test_empty_sections_fail_on_their_heading(make_repo: MakeRepo) -> None:
    card = """
        # Model card

        ## Intended use

        ## Training data

        <!-- Describe the data: source, size, time range. -->

        ## Evaluation

        ### Metrics

        AUC 0.9

        ## Limitations
    """
    finding = run_check(ModelCardFilled, make_repo({"docs/model_card.md": card}))
    assert finding.state is State.FAIL
    # "Evaluation" has a subsection with content; the other three are empty
    assert [e.line for e in finding.evidence] == [3, 5, 15]
    assert finding.evidence[0].text == "empty section '## Intended use'"


def test_card_check_without_card_is_not_applicable(make_repo: MakeRepo) -> None:
    assert run_check(ModelCardFilled, make_repo({"a.py": ""})).state is State.NOT_APPLICABLE


# -- evaluation-gate -------------------------------------------------------------------------
TRAIN = """
    from sklearn.linear_model import LogisticRegression


    def train(x, y):
        return LogisticRegression(random_state=7).fit(x, y)
"""


def test_threshold_gate_before_registration_passes(make_repo: MakeRepo) -> None:
    files = {
        "src/pipe/train.py": TRAIN,
        "src/pipe/promote.py": """
            import mlflow


            def promote(run_id, auc, champion_auc, min_auc):
                if auc < min_auc or auc < champion_auc:
                    raise SystemExit("candidate refused")
                mlflow.register_model(f"runs:/{run_id}/model", "fraud")
        """,
    }
    finding = run_check(EvaluationGate, make_repo(files))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("src/pipe/promote.py", 5)
    assert (finding.evidence[1].path, finding.evidence[1].line) == ("src/pipe/promote.py", 7)


def test_mlflow_metric_threshold_passes(make_repo: MakeRepo) -> None:
    files = {
        "src/pipe/train.py": TRAIN,
        "src/pipe/validate.py": """
            from mlflow.models import MetricThreshold

            THRESHOLDS = {"roc_auc": MetricThreshold(threshold=0.9)}
        """,
    }
    finding = run_check(EvaluationGate, make_repo(files))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("src/pipe/validate.py", 3)


def test_training_without_gate_fails(make_repo: MakeRepo) -> None:
    files = {
        "src/pipe/train.py": TRAIN
        + "\nmlflow.sklearn.log_model(m, name='model', registered_model_name='fraud')\n"
    }
    finding = run_check(EvaluationGate, make_repo(files))
    assert finding.state is State.FAIL
    assert "looked for" in finding.evidence[0].text


def test_registration_that_ignores_the_gate_fails(make_repo: MakeRepo) -> None:
    files = {
        "src/pipe/train.py": TRAIN,
        "src/pipe/evaluate.py": "def ok(score, threshold):\n    return score >= threshold\n",
        "src/pipe/publish.py": "import mlflow\n\nmlflow.register_model(uri, 'fraud')\n",
    }
    finding = run_check(EvaluationGate, make_repo(files))
    assert finding.state is State.FAIL
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("src/pipe/publish.py", 3)
    assert (finding.evidence[1].path, finding.evidence[1].line) == ("src/pipe/evaluate.py", 2)


def test_no_training_is_not_applicable(make_repo: MakeRepo) -> None:
    finding = run_check(EvaluationGate, make_repo({"src/app.py": ML_CODE}))
    assert finding.state is State.NOT_APPLICABLE
    assert finding.detail == "the repository trains no model"


def test_demo_training_only_is_not_applicable(make_repo: MakeRepo) -> None:
    finding = run_check(EvaluationGate, make_repo({"src/svc/demo_model.py": TRAIN}))
    assert finding.state is State.NOT_APPLICABLE
    assert "src/svc/demo_model.py" in finding.detail


# -- registry-metadata ---------------------------------------------------------------------
def test_pinned_alias_in_configuration_passes(make_repo: MakeRepo) -> None:
    files = {
        "src/svc/model.py": ML_CODE,
        "deploy/configmap.yaml": """
            kind: ConfigMap
            data:
              # models:/fraud/latest was the old setting
              MODEL_URI: models:/fraud@champion
        """,
    }
    finding = run_check(RegistryMetadata, make_repo(files))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("deploy/configmap.yaml", 4)


def test_registered_versions_pass(make_repo: MakeRepo) -> None:
    code = """
        from mlflow import MlflowClient


        def promote(name, version):
            MlflowClient().set_registered_model_alias(name, "champion", version)
    """
    finding = run_check(RegistryMetadata, make_repo({"src/pipe/registry.py": code}))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("src/pipe/registry.py", 5)


def test_floating_uri_fails(make_repo: MakeRepo) -> None:
    files = {"src/svc/config.py": 'MODEL_URI = "models:/fraud/latest"\n', "src/svc/m.py": ML_CODE}
    finding = run_check(RegistryMetadata, make_repo(files))
    assert finding.state is State.FAIL
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("src/svc/config.py", 1)


def test_local_pickle_fails(make_repo: MakeRepo) -> None:
    code = "import joblib\nimport sklearn\n\nmodel = joblib.load('model.pkl')\n"
    finding = run_check(RegistryMetadata, make_repo({"app/serve.py": code}))
    assert finding.state is State.FAIL
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("app/serve.py", 4)


def test_uri_in_docstring_or_test_does_not_count(make_repo: MakeRepo) -> None:
    files = {
        "app/serve.py": 'import mlflow\n"""Loads ``models:/name@alias``."""\n',
        "tests/test_serve.py": 'URI = "models:/fraud@champion"\n',
    }
    assert run_check(RegistryMetadata, make_repo(files)).state is State.FAIL


def test_no_model_registry_check_is_not_applicable(make_repo: MakeRepo) -> None:
    finding = run_check(RegistryMetadata, make_repo({"app/main.py": "import fastapi\n"}))
    assert finding.state is State.NOT_APPLICABLE


# -- seeded-training -------------------------------------------------------------------------
def test_seeded_estimator_passes(make_repo: MakeRepo) -> None:
    finding = run_check(SeededTraining, make_repo({"src/pipe/train.py": TRAIN}))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("src/pipe/train.py", 5)


def test_seed_in_settings_passes(make_repo: MakeRepo) -> None:
    files = {
        "src/pipe/train.py": "def train(m, x, y):\n    return m.fit(x, y)\n",
        "src/pipe/config.py": "SEED = 42\n",
    }
    finding = run_check(SeededTraining, make_repo(files))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("src/pipe/config.py", 1)


def test_unseeded_training_fails(make_repo: MakeRepo) -> None:
    code = "from sklearn.ensemble import RandomForestClassifier\n\n" + (
        "def train(x, y):\n    return RandomForestClassifier(random_state=None).fit(x, y)\n"
    )
    finding = run_check(SeededTraining, make_repo({"src/pipe/train.py": code}))
    assert finding.state is State.FAIL
    assert finding.evidence[0].path == "src/pipe/train.py"


def test_seeds_without_training_are_not_applicable(make_repo: MakeRepo) -> None:
    finding = run_check(SeededTraining, make_repo({"src/demo.py": TRAIN, "src/app.py": ""}))
    assert finding.state is State.NOT_APPLICABLE
    assert "src/demo.py" in finding.detail


# -- reproducible-dependencies -------------------------------------------------------------
PYPROJECT = """
    [project]
    name = "svc"
    dependencies = [
        "fastapi>=0.115",
        "scikit-learn==1.5.2",
    ]
"""


def test_current_lock_file_passes(make_repo: MakeRepo) -> None:
    lock = '[[package]]\nname = "fastapi"\n\n[[package]]\nname = "scikit-learn"\n'
    finding = run_check(
        ReproducibleDependencies, make_repo({"pyproject.toml": PYPROJECT, "uv.lock": lock})
    )
    assert finding.state is State.PASS
    assert finding.evidence[0].path == "uv.lock"


def test_stale_lock_file_fails(make_repo: MakeRepo) -> None:
    lock = '[[package]]\nname = "fastapi"\n'
    finding = run_check(
        ReproducibleDependencies, make_repo({"pyproject.toml": PYPROJECT, "poetry.lock": lock})
    )
    assert finding.state is State.FAIL
    assert finding.evidence[0].path == "poetry.lock"
    assert "scikit-learn" in finding.evidence[0].text


def test_ranges_without_lock_fail_on_their_line(make_repo: MakeRepo) -> None:
    finding = run_check(ReproducibleDependencies, make_repo({"pyproject.toml": PYPROJECT}))
    assert finding.state is State.FAIL
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("pyproject.toml", 4)
    assert len(finding.evidence) == 2  # the one range, then what was looked for


def test_bounded_ranges_are_not_pins(make_repo: MakeRepo) -> None:
    pyproject = '[project]\nname = "x"\ndependencies = ["mlflow>=3.1,<4", "numpy==2.*"]\n'
    finding = run_check(ReproducibleDependencies, make_repo({"pyproject.toml": pyproject}))
    assert finding.state is State.FAIL
    assert [e.line for e in finding.evidence[:2]] == [3, 3]


def test_exact_pins_pass(make_repo: MakeRepo) -> None:
    pyproject = '[project]\nname = "x"\ndependencies = [\n  "mlflow==3.1.0",\n]\n'
    finding = run_check(ReproducibleDependencies, make_repo({"pyproject.toml": pyproject}))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("pyproject.toml", 4)


def test_pinned_requirements_pass_and_loose_ones_fail(make_repo: MakeRepo) -> None:
    pinned = "# compiled\nfastapi==0.115.0 \\\n    --hash=sha256:abc\nscikit-learn==1.5.2\n"
    ok = run_check(
        ReproducibleDependencies,
        make_repo({"pyproject.toml": PYPROJECT, "requirements.txt": pinned}),
    )
    assert ok.state is State.PASS
    assert (ok.evidence[0].path, ok.evidence[0].line) == ("requirements.txt", 2)


def test_loose_requirements_fail(make_repo: MakeRepo) -> None:
    finding = run_check(
        ReproducibleDependencies, make_repo({"requirements.txt": "pandas==2.2.0\nnumpy\n"})
    )
    assert finding.state is State.FAIL
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("requirements.txt", 2)


CONSTRAINTS = "# pins\nfastapi==0.115.0\nscikit-learn==1.5.2\nstarlette==0.41.0\n"


@pytest.mark.parametrize(
    ("installer", "text", "line"),
    [
        ("Dockerfile", "FROM python:3.11\nCOPY . .\nRUN pip install -c constraints.txt .\n", 3),
        (
            ".github/workflows/ci.yml",
            "jobs:\n  t:\n    steps:\n      - run: pip install --constraint=./constraints.txt .\n",
            4,
        ),
        (".gitlab-ci.yml", "test:\n  variables:\n    PIP_CONSTRAINT: constraints.txt\n", 3),
    ],
)
def test_pinned_constraints_pass_when_an_install_applies_them(
    make_repo: MakeRepo, installer: str, text: str, line: int
) -> None:
    files = {"pyproject.toml": PYPROJECT, "constraints.txt": CONSTRAINTS, installer: text}
    finding = run_check(ReproducibleDependencies, make_repo(files))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("constraints.txt", 2)
    assert (finding.evidence[1].path, finding.evidence[1].line) == (installer, line)


def test_pinned_constraints_that_no_install_applies_fail(make_repo: MakeRepo) -> None:
    files = {
        "pyproject.toml": PYPROJECT,
        "constraints.txt": CONSTRAINTS,
        "Dockerfile": "FROM python:3.11\nRUN pip install .\n",
        "Makefile": "setup:\n\tpip install -c other-constraints.txt .\n",
    }
    finding = run_check(ReproducibleDependencies, make_repo(files))
    assert finding.state is State.FAIL
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("constraints.txt", 2)
    assert "no install applies it" in finding.evidence[0].text
    assert finding.hint is not None
    assert "pip install -c constraints.txt" in finding.hint


def test_other_ecosystems_and_nothing(make_repo: MakeRepo) -> None:
    node = run_check(ReproducibleDependencies, make_repo({"package.json": "{}"}))
    assert node.state is State.FAIL
    assert node.evidence[0].path == "package.json"


def test_no_dependencies_and_no_code_are_not_applicable(make_repo: MakeRepo) -> None:
    finding = run_check(ReproducibleDependencies, make_repo({"README.md": "# x\n"}))
    assert finding.state is State.NOT_APPLICABLE


def test_broken_pyproject_is_unknown(make_repo: MakeRepo) -> None:
    finding = run_check(ReproducibleDependencies, make_repo({"pyproject.toml": "[project\n"}))
    assert finding.state is State.UNKNOWN
    assert finding.evidence[0].path == "pyproject.toml"
