"""Data checks on small repositories: schemas in code, tests of bad input, fingerprints."""

from __future__ import annotations

from goldenpath.readiness.checks.data import (
    DataFingerprint,
    DataValidationTested,
    InputSchemaValidation,
)
from goldenpath.readiness.model import State
from readiness.conftest import MakeRepo, run_check

STRICT_MODEL = """
    from pydantic import BaseModel, ConfigDict, Field


    class Instance(BaseModel):
        model_config = ConfigDict(strict=True, extra="forbid")

        age: int = Field(ge=0, le=150)
"""

PANDERA_SCHEMA = """
    import pandera.pandas as pa

    ROWS = 10


    def schema() -> pa.DataFrameSchema:
        return pa.DataFrameSchema({"id": pa.Column("int64")})
"""


# -- input-schema-validation ------------------------------------------------------------
def test_constrained_pydantic_model_passes(make_repo: MakeRepo) -> None:
    finding = run_check(InputSchemaValidation, make_repo({"src/svc/schemas.py": STRICT_MODEL}))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("src/svc/schemas.py", 5)


def test_pandera_schema_passes(make_repo: MakeRepo) -> None:
    finding = run_check(InputSchemaValidation, make_repo({"src/job/contract.py": PANDERA_SCHEMA}))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("src/job/contract.py", 7)
    assert "pandera" in finding.evidence[0].text


def test_jsonschema_validation_passes(make_repo: MakeRepo) -> None:
    code = """
        import jsonschema

        SCHEMA = {"type": "object"}


        def check(event: dict) -> None:
            jsonschema.validate(event, SCHEMA)
    """
    finding = run_check(InputSchemaValidation, make_repo({"consumer/events.py": code}))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("consumer/events.py", 7)


def test_hand_written_contract_module_passes(make_repo: MakeRepo) -> None:
    code = """
        def check(row: dict) -> None:
            if row["age"] < 0:
                raise ContractError("age must not be negative")
    """
    finding = run_check(InputSchemaValidation, make_repo({"app/data_contract.py": code}))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("app/data_contract.py", 3)


def test_unconstrained_model_and_settings_fail(make_repo: MakeRepo) -> None:
    files = {
        "app/api.py": """
            from pydantic import BaseModel


            class Request(BaseModel):
                age: int
        """,
        "app/config.py": """
            from pydantic import Field
            from pydantic_settings import BaseSettings


            class Settings(BaseSettings):
                workers: int = Field(default=2, ge=1)
        """,
    }
    finding = run_check(InputSchemaValidation, make_repo(files))
    assert finding.state is State.FAIL
    assert "2 source files" in finding.evidence[0].text
    assert finding.evidence[0].path is None


def test_schema_in_tests_or_demo_does_not_count(make_repo: MakeRepo) -> None:
    files = {"tests/test_schema.py": STRICT_MODEL, "app/demo.py": STRICT_MODEL, "app/main.py": ""}
    assert run_check(InputSchemaValidation, make_repo(files)).state is State.FAIL


def test_no_code_is_not_applicable(make_repo: MakeRepo) -> None:
    finding = run_check(InputSchemaValidation, make_repo({"README.md": "# notes\n"}))
    assert finding.state is State.NOT_APPLICABLE


def test_code_in_another_language_is_unknown(make_repo: MakeRepo) -> None:
    finding = run_check(InputSchemaValidation, make_repo({"cmd/main.go": "package main\n"}))
    assert finding.state is State.UNKNOWN
    assert finding.evidence[0].path == "cmd/main.go"


# -- data-validation-tested --------------------------------------------------------------
def test_api_test_expecting_422_passes(make_repo: MakeRepo) -> None:
    files = {
        "src/svc/schemas.py": STRICT_MODEL,
        "tests/test_api.py": """
            from svc.schemas import Instance


            def test_predict(client) -> None:
                assert client.post("/predict", json={"age": 3}).status_code == 200


            def test_negative_age(client) -> None:
                response = client.post("/predict", json={"age": -1})
                assert response.status_code == 422
        """,
    }
    finding = run_check(DataValidationTested, make_repo(files))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("tests/test_api.py", 10)
    assert finding.evidence[0].text.startswith("test_negative_age:")


def test_schema_error_test_passes(make_repo: MakeRepo) -> None:
    files = {
        "src/job/contract.py": PANDERA_SCHEMA,
        "tests/test_contract.py": """
            import pandera.errors
            import pytest

            from job.contract import schema


            def test_strings_are_not_ids() -> None:
                with pytest.raises(pandera.errors.SchemaError):
                    schema().validate(frame)
        """,
    }
    finding = run_check(DataValidationTested, make_repo(files))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("tests/test_contract.py", 8)


def test_quarantine_in_a_bad_input_test_passes(make_repo: MakeRepo) -> None:
    files = {
        "src/job/validation.py": "def split(rows):\n    return rows\n",
        "tests/test_validation.py": """
            from job.validation import split


            def test_clean_rows() -> None:
                assert split(rows).rejected.empty


            def test_bad_rows_are_quarantined() -> None:
                result = split(bad)
                assert len(result.rejected) == 2
        """,
    }
    finding = run_check(DataValidationTested, make_repo(files))
    assert finding.state is State.PASS
    # the clean-rows test mentions "rejected" too, but feeds no bad input
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("tests/test_validation.py", 10)


def test_happy_path_tests_only_fail(make_repo: MakeRepo) -> None:
    files = {
        "src/svc/schemas.py": STRICT_MODEL,
        "tests/test_api.py": """
            from svc.schemas import Instance


            def test_predict(client) -> None:
                assert client.post("/predict", json={"age": 3}).status_code == 200
        """,
        "tests/test_io.py": """
            import pytest


            def test_disk_full() -> None:
                with pytest.raises(OSError):
                    write()
        """,
    }
    finding = run_check(DataValidationTested, make_repo(files))
    assert finding.state is State.FAIL
    assert "2 test files" in finding.evidence[0].text


def test_no_tests_fail(make_repo: MakeRepo) -> None:
    finding = run_check(DataValidationTested, make_repo({"src/svc/schemas.py": STRICT_MODEL}))
    assert finding.state is State.FAIL
    assert finding.detail == "the repository has no tests"


def test_validation_tests_without_code_are_not_applicable(make_repo: MakeRepo) -> None:
    assert run_check(DataValidationTested, make_repo({"docs/a.md": "x\n"})).state is (
        State.NOT_APPLICABLE
    )


# -- data-fingerprint ----------------------------------------------------------------------
TRAINING = """
    import pandas as pd


    def train(model, path):
        frame = pd.read_parquet(path)
        return model.fit(frame, frame["y"])
"""


def test_fingerprint_function_passes(make_repo: MakeRepo) -> None:
    files = {
        "src/pipe/train.py": TRAINING,
        "src/pipe/data.py": """
            \"\"\"Read the data and fingerprint it.\"\"\"
            import hashlib


            def fingerprint(frame) -> str:
                return hashlib.sha256(frame.to_csv().encode()).hexdigest()
        """,
    }
    finding = run_check(DataFingerprint, make_repo(files))
    assert finding.state is State.PASS
    # the docstring mentions the word; the evidence is the code that does it
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("src/pipe/data.py", 5)


def test_hash_next_to_a_data_read_passes(make_repo: MakeRepo) -> None:
    files = {
        "jobs/score.py": """
            import hashlib

            import pandas as pd


            def run(path):
                raw = open(path, "rb").read()
                digest = hashlib.sha256(raw).hexdigest()
                return pd.read_csv(path), digest
        """,
    }
    finding = run_check(DataFingerprint, make_repo(files))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("jobs/score.py", 8)


def test_dvc_and_lineage_records_pass(make_repo: MakeRepo) -> None:
    dvc = run_check(DataFingerprint, make_repo({"src/t.py": TRAINING, "data/raw.csv.dvc": "x\n"}))
    assert dvc.state is State.PASS
    assert dvc.evidence[0].path == "data/raw.csv.dvc"


def test_lineage_record_passes(make_repo: MakeRepo) -> None:
    files = {
        "src/job/run.py": "import pandas as pd\nrows = pd.read_parquet('in')\n",
        "src/job/contract.py": 'ID = "id"\nLINEAGE_COLUMNS = ("model_version", "run_id")\n',
    }
    finding = run_check(DataFingerprint, make_repo(files))
    assert finding.state is State.PASS
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("src/job/contract.py", 2)


def test_training_without_fingerprint_fails(make_repo: MakeRepo) -> None:
    finding = run_check(DataFingerprint, make_repo({"src/pipe/train.py": TRAINING}))
    assert finding.state is State.FAIL
    assert finding.evidence[0].path == "src/pipe/train.py"
    assert "training code" in finding.evidence[0].text


def test_cronjob_makes_it_a_data_pipeline(make_repo: MakeRepo) -> None:
    files = {
        "app/main.py": "print('score')\n",
        "deploy/cronjob.yaml": """
            apiVersion: batch/v1
            kind: CronJob
            metadata:
              name: nightly
            spec:
              schedule: "0 3 * * *"
        """,
    }
    finding = run_check(DataFingerprint, make_repo(files))
    assert finding.state is State.FAIL
    assert (finding.evidence[0].path, finding.evidence[0].line) == ("deploy/cronjob.yaml", 1)


def test_online_service_is_not_applicable(make_repo: MakeRepo) -> None:
    files = {
        "src/svc/app.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "src/svc/demo_model.py": TRAINING,  # a demo model's training is not a data pipeline
    }
    finding = run_check(DataFingerprint, make_repo(files))
    assert finding.state is State.NOT_APPLICABLE
    assert "online service" in finding.detail
