"""Data checks: inputs meet a schema in code, tests prove bad input is refused, and the
data a model learns from or scores is fingerprinted.

The evidence is the code itself (a schema definition, a test's rejection assertion, a
hash over the data), never a document saying so: a data contract that no code enforces
does not stop a bad row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from goldenpath.readiness.facts import Repo, is_demo
from goldenpath.readiness.model import (
    Check,
    Evidence,
    Finding,
    Level,
    Section,
    failed,
    not_applicable,
    passed,
    unknown,
)

# Source in other languages: their validation cannot be read here, so "no Python schema"
# is not a "no".
_OTHER_CODE = (
    "*.go",
    "*.java",
    "*.kt",
    "*.scala",
    "*.rs",
    "*.ts",
    "*.js",
    "*.cs",
    "*.rb",
    "*.jl",
    "*.R",
)


@dataclass(frozen=True)
class _Kind:
    """One way of validating data: the import that brings it and the line that uses it."""

    name: str
    imports: re.Pattern[str]
    uses: re.Pattern[str]


_KINDS = (
    _Kind(
        "pandera schema",
        re.compile(r"^\s*(?:import|from)\s+pandera\b", re.MULTILINE),
        re.compile(r"\bDataFrameSchema\(|\(\s*(?:\w+\.)?(?:DataFrameModel|SchemaModel)\s*\)"),
    ),
    _Kind(
        "great_expectations suite",
        re.compile(r"^\s*(?:import|from)\s+great_expectations\b", re.MULTILINE),
        re.compile(r"\bexpect_\w+\(|\bExpect[A-Z]\w+\(|\bExpectationSuite\("),
    ),
    _Kind(
        "JSON Schema validation",
        re.compile(r"^\s*(?:import|from)\s+(?:fast)?jsonschema\b", re.MULTILINE),
        re.compile(r"\bvalidate\(|\bDraft\w*Validator\b|\bcompile\("),
    ),
    _Kind(
        "pydantic model with constraints",
        re.compile(r"^\s*(?:import|from)\s+pydantic\b", re.MULTILINE),
        re.compile(
            r"\b(?:ge|gt|le|lt|min_length|max_length|pattern|multiple_of|allow_inf_nan)\s*="
            r"|\bcon(?:int|float|str|list|bytes)\("
            r"|\bextra\s*=\s*['\"]forbid['\"]|\bstrict\s*=\s*True"
            r"|@(?:field_|model_)?validator\b"
        ),
    ),
    _Kind(
        "marshmallow schema",
        re.compile(r"^\s*(?:import|from)\s+marshmallow\b", re.MULTILINE),
        re.compile(r"\bvalidate\s*=|@validates\w*\b"),
    ),
    _Kind(
        "TensorFlow Data Validation",
        re.compile(r"^\s*(?:import|from)\s+tensorflow_data_validation\b", re.MULTILINE),
        re.compile(r"\bvalidate_statistics\(|\bvalidate_examples\w*\("),
    ),
)

# A hand-written data contract: a module named for it that raises on bad data.
_CONTRACT_MODULE = re.compile(r"(?:^|_)(?:contracts?|schemas?|validation|validators?)$")
_RAISES = re.compile(r"^\s*raise\s+\w*(?:Error|Exception|Invalid)\w*\b")
_PYDANTIC_MODEL = re.compile(r"^\s*class\s+\w+\(\s*(?:pydantic\.)?BaseModel\b", re.MULTILINE)


def _code(repo: Repo) -> list[str]:
    return [f for f in repo.source_files() if not is_demo(f)]


def _no_code(repo: Repo) -> Finding | None:
    """N/A for a repository without code, unknown for one whose code is not Python."""
    if _code(repo) or repo.test_files():
        return None
    other = repo.glob(*_OTHER_CODE)
    if other:
        return unknown(
            "only Python code is inspected and this repository's code is not Python",
            Evidence("code in another language", other[0]),
        )
    return not_applicable("no code in the repository, so no input to validate")


def _schema_evidence(repo: Repo) -> list[Evidence]:
    found: list[Evidence] = []
    for path in _code(repo):
        text = repo.text(path) or ""
        for kind in _KINDS:
            if not kind.imports.search(text):
                continue
            if kind.name.startswith("pydantic") and not _PYDANTIC_MODEL.search(text):
                continue  # settings classes have constraints too; they are not inputs
            line = repo.line_of(path, kind.uses)
            if line:
                found.append(Evidence(kind.name, path, line))
                break
        else:
            stem = path.rsplit("/", 1)[-1].removesuffix(".py")
            line = repo.line_of(path, _RAISES) if _CONTRACT_MODULE.search(stem) else None
            if line:
                found.append(Evidence("data contract module that rejects bad data", path, line))
    return found


class InputSchemaValidation(Check):
    """Inputs are validated against a schema in code."""

    id = "input-schema-validation"
    section = Section.DATA
    level = Level.BRONZE
    weight = 2
    title = "Inputs are validated against a schema in code"
    why = (
        "A model scores whatever it is given: without a schema, a renamed column or a "
        "string where a number belongs becomes a silent wrong prediction."
    )
    reference = "ML Test Score: Data 1"
    hint = (
        "validate inputs with constrained pydantic models (request bodies) or a pandera/"
        "great_expectations/jsonschema schema (tables, events)"
    )

    def run(self, repo: Repo) -> Finding:
        empty = _no_code(repo)
        if empty is not None:
            return empty
        found = _schema_evidence(repo)
        if found:
            return passed(f"inputs are validated ({found[0].text})", *found[:3])
        return failed(
            "no schema validation found in the code",
            Evidence(
                "looked for pydantic models with constraints, pandera, great_expectations, "
                f"jsonschema, marshmallow or a contract module in {len(_code(repo))} "
                "source files"
            ),
        )


# What a test of the validation asserts. Strong: a refused request or a validation error,
# enough by itself. Weak: a rejected or quarantined row, a raised error, a report that is
# not valid; enough in a test whose name says it feeds bad input.
_STRONG = re.compile(
    r"\bstatus(?:_code)?\s*==\s*4(?:00|22)\b|\b422\b|HTTP_4(?:00|22)_\w+|ValidationError"
    r"|\w*SchemaErrors?\b|\bInvalid\w*Error\b"
    r"|(?:pytest\.raises|assertRaises)\(\s*\(?[\w.]*(?:Validation|Schema|Invalid|Contract|Reject)"
)
_WEAK = re.compile(
    r"quarantin|\breject(?:ed|s|ion)?\b|\brefuse|\bis_valid\b.*\b(?:False|not)\b"
    r"|\bnot\s+\w*\.?valid\b|pytest\.raises\(|assertRaises\w*\("
)
# Words of a test's name (between underscores) that say it feeds bad input.
_BAD_INPUT_NAME = re.compile(
    r"(?:^|_)(?:bad|invalid|malformed|missing|wrong|unknown|extra|reject\w*|refuse\w*"
    r"|quarantin\w*|out_of_range|negative|nan|inf|too_(?:many|large|big|long)|empty"
    r"|duplicates?|unreadable|corrupt\w*|nulls?|broken)(?=_|$)",
    re.IGNORECASE,
)
_TEST_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(test\w*)")
# What ties a test file to the validation code.
_VALIDATION_WORDS = re.compile(
    r"validat|schema|contract|pandera|pydantic|jsonschema|great_expectations|expectation",
    re.IGNORECASE,
)
_FOCUSED_NAME = re.compile(r"valid|schema|contract|reject|quarantin", re.IGNORECASE)


def _rejection_in(repo: Repo, path: str) -> Evidence | None:
    """The first test of ``path`` that feeds bad input and asserts it is refused."""
    name = ""
    for number, line in enumerate(repo.lines(path), start=1):
        test = _TEST_DEF.match(line)
        if test:
            name = test.group(1)
            continue
        if not name or line.lstrip().startswith("#"):
            continue
        if _STRONG.search(line) or (_BAD_INPUT_NAME.search(name) and _WEAK.search(line)):
            return Evidence(f"{name}: {line.strip()[:140]}", path, number)
    return None


def _validation_tests(repo: Repo, modules: set[str]) -> list[str]:
    """Test files about validation, the ones named for it first."""

    def about(path: str) -> bool:
        text = repo.text(path) or ""
        return bool(_VALIDATION_WORDS.search(text)) or any(
            re.search(rf"\b{re.escape(module)}\b", text) for module in modules
        )

    tests = [t for t in repo.test_files() if about(t)]
    return sorted(tests, key=lambda t: not _FOCUSED_NAME.search(t.rsplit("/", 1)[-1]))


class DataValidationTested(Check):
    """Tests feed invalid input and expect it to be rejected."""

    id = "data-validation-tested"
    section = Section.DATA
    level = Level.SILVER
    title = "Tests feed invalid input and expect a rejection"
    why = (
        "Validation that is never exercised with bad input rots unnoticed: the first "
        "malformed batch in production is its first test."
    )
    reference = "ML Test Score: Data 1"
    hint = (
        "add a test that sends invalid rows or requests (wrong type, missing field, out of "
        "range) and asserts a 422/ValidationError/quarantine"
    )

    def run(self, repo: Repo) -> Finding:
        empty = _no_code(repo)
        if empty is not None:
            return empty
        tests = repo.test_files()
        if not tests:
            return failed("the repository has no tests", Evidence("looked for test_*.py files"))
        modules = {
            e.path.rsplit("/", 1)[-1].removesuffix(".py")
            for e in _schema_evidence(repo)
            if e.path is not None
        }
        for path in _validation_tests(repo, modules):
            found = _rejection_in(repo, path)
            if found is not None:
                return passed("a test expects invalid input to be rejected", found)
        return failed(
            "no test feeds invalid input to the validation",
            Evidence(
                f"looked in {len(tests)} test files for a test about validation that asserts "
                "a rejection (400/422, ValidationError, SchemaError, quarantine, pytest.raises)"
            ),
        )


# Reading data in bulk: what a batch job or a training pipeline does, and a service not.
_DATA_READ = re.compile(
    r"\bread_(?:csv|parquet|json|table|sql\w*|feather|orc|excel|delta)\(|\bParquetFile\("
    r"|\bspark\.read\b|\bload_dataset\(|\b(?:pyarrow|pa|pads|ds)\.dataset\(|\bdd\.read_\w+\("
)
_FINGERPRINT = re.compile(
    r"\b(?:def|class)\s+\w*fingerprint|\b\w*fingerprint\w*\s*=(?!=)|['\"]\w*fingerprint\w*['\"]\s*:"
    r"|\bhash_pandas_object\(|\bmlflow\.log_input\(|\bmlflow\.data\.from_\w+\("
    r"|\bopenlineage\b",
    re.IGNORECASE,
)
# A cheap first look: most files mention none of these words.
_FINGERPRINT_WORDS = re.compile(
    r"(?i)fingerprint|hash_pandas_object|mlflow\.log_input|mlflow\.data\.|openlineage"
)
_HASH = re.compile(r"\bhashlib\.(?:sha\d+|md5|blake2[bs]|sha3_\d+|new)\(|\bxxhash\.\w+\(")
_LINEAGE = re.compile(r"\b\w*(?:lineage|LINEAGE)\w*\s*(?:=|\(|:\s*\w)|\bclass\s+\w*Lineage\b")
_DATA_VERSIONING = ("dvc.lock", "dvc.yaml", "*.dvc")


def _data_pipeline(repo: Repo) -> Evidence | None:
    """Where the repository trains on or scores stored data, or None for a pure service."""
    training = repo.training_files()
    if training:
        return Evidence("training code", training[0])
    for path in _code(repo):
        line = repo.line_of(path, _DATA_READ)
        if line:
            return Evidence("reads data in bulk", path, line)
    for obj in repo.workloads():
        if obj.kind in {"Job", "CronJob"}:
            return Evidence(f"{obj.kind} {obj.name}", obj.path, obj.line)
    return None


def _fingerprints(repo: Repo) -> list[Evidence]:
    found = [Evidence("data versioned with DVC", path) for path in repo.glob(*_DATA_VERSIONING)]
    for path in _code(repo):
        text = repo.text(path) or ""
        line = repo.line_of(path, _FINGERPRINT) if _FINGERPRINT_WORDS.search(text) else None
        if line is None and repo.line_of(path, _DATA_READ):
            line = repo.line_of(path, _HASH)
        if line:
            found.append(Evidence("data fingerprint", path, line))
    if found:
        return found
    for path in _code(repo):
        line = repo.line_of(path, _LINEAGE)
        if line:
            found.append(Evidence("lineage record", path, line))
    return found


class DataFingerprint(Check):
    """The data a model is trained on or scores is fingerprinted or recorded."""

    id = "data-fingerprint"
    section = Section.DATA
    level = Level.GOLD
    title = "Training and scoring data is fingerprinted or its lineage recorded"
    why = (
        "Without a record of exactly which data a model saw, a bad model or a bad batch "
        "cannot be traced back to its input, nor a run repeated."
    )
    reference = "ML Test Score: Infrastructure 1"
    hint = (
        "record a hash of the data (e.g. SHA-256 over the rows, mlflow.log_input) or a "
        "lineage record (input partition, model version, run id) with every run"
    )

    def run(self, repo: Repo) -> Finding:
        pipeline = _data_pipeline(repo)
        if pipeline is None:
            return not_applicable(
                "no data pipeline: nothing trains on or scores stored data (an online service)"
            )
        found = _fingerprints(repo)
        if found:
            return passed(f"{found[0].text} recorded", *found[:3])
        return failed(
            "the data is neither fingerprinted nor its lineage recorded",
            pipeline,
            Evidence(
                "looked for a data hash/fingerprint, mlflow.log_input, DVC files, "
                "OpenLineage or a lineage record in the source"
            ),
        )


CHECKS: tuple[type[Check], ...] = (InputSchemaValidation, DataValidationTested, DataFingerprint)
