"""The interactive wizard, driven through a real pseudo-terminal as a person would.

Yes/no questions take y or n AND Enter (a single key must not answer, or the Enter typed
after it answers the next question). A refused answer prints its whole message, wrapped
to the terminal, and is asked again.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pexpect
import pytest

from .catalog_factory import git, git_catalog, make_catalog_tree, write

DOWN = "\x1b[B"
CLEAR_LINE = "\x15"  # Ctrl-U: prompt_toolkit's unix-line-discard
SUBMIT_MULTILINE = "\x1b\r"  # Esc then Enter
CATALOG_DIR = Path(__file__).resolve().parents[2] / "templates"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|[\r\x07]")


def _spawn(args: list[str], home: Path, cwd: Path, columns: int = 160) -> pexpect.spawn:
    env = {**os.environ, "HOME": str(home), "TERM": "xterm", "COLUMNS": str(columns)}
    env["LINES"] = "50"
    return pexpect.spawn(
        sys.executable,
        ["-m", "goldenpath", *args],
        cwd=str(cwd),
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(50, columns),
    )


def _manifest(name: str, trait: str, question: str, rank: int, fallback: str = "") -> str:
    return (
        f"name: {name}\ndescription: A small {name}\nchoice_label: '{name}: a small {name}'\n"
        f"component: service\nnoun: {name}\n"
        f"defaults: {{project_name: demo-project, description: A small {name}}}\n"
        "next_steps: [make run]\npresets: {aws-github: {}}\n"
        f"recommend: {{trait: {trait}, question: '{question}', reason: it is a {name}, "
        f"rank: {rank}{', fallback: the default' if fallback else ''}}}\n"
    )


def _catalog_with_manifests(root: Path) -> Path:
    """The tiny catalog whose two templates carry manifests: the wizard asks their traits."""
    make_catalog_tree(root)
    waits = "Does a caller wait for each prediction?"
    write(root / "svc/template.yml", _manifest("svc", "waits", waits, 1, fallback="yes"))
    scheduled = "Is the job scheduled over stored data?"
    write(root / "job/template.yml", _manifest("job", "scheduled", scheduled, 2))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "v1.0.0")
    git(root, "tag", "v1.0.0")
    return root


def _words(screen: str) -> str:
    """Terminal output as plain words: escape sequences removed, whitespace collapsed."""
    return " ".join(ANSI.sub("", screen).split())


def test_wizard_recommends_asks_validates_summarises_and_renders(
    tmp_path: Path, fresh_user: Path
) -> None:
    catalog = _catalog_with_manifests(tmp_path / "catalog")
    child = _spawn(["new", "--catalog", str(catalog), "my-job"], fresh_user, tmp_path)
    # The use-case questions come from the catalog's manifests: nobody waits, it is
    # scheduled. The recommended template is the list's default: Enter takes it.
    child.expect("wait for each prediction")
    child.send("n\r")
    child.expect("scheduled over stored data")
    child.send("y\r")
    child.expect("Recommended: job")
    child.expect("Template")
    child.send("\r")
    child.expect("Project name")
    child.send(CLEAR_LINE + "Bad Name\r")
    child.expect("use lowercase letters")  # the validator's message, then the question again
    child.expect("Project name")
    child.send(CLEAR_LINE + "nightly-job\r")
    child.expect("Owning team")
    child.send("\r")  # keep the default
    child.expect("Summary")
    child.expect("nightly-job")
    child.expect("Generate the repository")
    child.send("y\r")
    child.expect("Created ")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    answers = (tmp_path / "my-job/.copier-answers.yml").read_text()
    assert "template: job" in answers
    assert "project_name: nightly-job" in answers
    assert "owner: team-a" in answers


def test_wizard_cancel_writes_nothing(tmp_path: Path, fresh_user: Path) -> None:
    catalog = git_catalog(tmp_path / "catalog")
    child = _spawn(["new", "svc", "out", "--catalog", str(catalog)], fresh_user, tmp_path)
    child.expect("Project name")
    child.send("\r")
    child.expect("Owning team")
    child.send("\r")
    child.expect("Port")
    child.send("\r")
    child.expect("Generate the repository")
    child.send("n\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert not (tmp_path / "out").exists()


def test_a_yes_no_answer_waits_for_enter(tmp_path: Path, fresh_user: Path) -> None:
    """Typing n then Enter answers one question, never the next one too."""
    catalog = _catalog_with_manifests(tmp_path / "catalog")
    child = _spawn(["new", "--catalog", str(catalog), "my-job"], fresh_user, tmp_path)
    child.expect("wait for each prediction")
    child.send("n")
    assert child.expect(["scheduled over stored data", pexpect.TIMEOUT], timeout=1.5) == 1
    child.send("\r")
    child.expect("scheduled over stored data")
    child.send("y")
    child.send("\r")
    child.expect("Recommended: job")  # scheduled, nobody waits
    child.expect("Template")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2


def test_a_catalog_without_manifests_offers_its_templates_without_questions(
    tmp_path: Path, fresh_user: Path
) -> None:
    """No manifest, no traits: the wizard does not ask questions it cannot act on."""
    catalog = git_catalog(tmp_path / "catalog")
    child = _spawn(["new", "--catalog", str(catalog), "my-job"], fresh_user, tmp_path)
    child.expect("Template")
    assert "use case" not in _words(child.before)
    child.send(DOWN)
    child.send("\r")
    child.expect("Project name")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2


def test_a_long_validation_message_is_shown_whole(tmp_path: Path, fresh_user: Path) -> None:
    """On a 60-column terminal the catalog's message (about 140 characters) is wrapped,
    not cut at the terminal's edge."""
    child = _spawn(
        ["new", "batch-inference", "out", "--catalog", str(CATALOG_DIR)],
        fresh_user,
        tmp_path,
        columns=60,
    )
    child.expect("Name of the job")
    child.send(CLEAR_LINE + "Bad Name\r")
    child.expect(r"resource name\)")  # the message's last words
    message = _words(child.before + child.after)
    assert (
        "must use lowercase letters, digits and single hyphens, start with a letter and not "
        "end with a hyphen (it becomes a Kubernetes and cloud resource name)"
    ) in message
    shown = ANSI.sub("", child.before + child.after).split("✗", 1)[1]
    assert max(map(len, shown.splitlines())) <= 60
    child.expect("Name of the job")  # asked again, with the refused text to edit
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2


def test_features_are_edited_as_yaml_one_per_line(tmp_path: Path, fresh_user: Path) -> None:
    """The realtime features default (30 entries) is a multi-line YAML list, not a line of
    JSON; what the person types is read back as YAML."""
    given = {
        "project_name": "fraud-api",
        "description": "Scores card payments for fraud",
        "package_name": "fraud_api",
        "organization": "acme",
        "owner_team": "ml-platform",
        "oncall_contact": "oncall@example.com",
        "cloud": "aws",
        "ci": "github",
        "data_classification": "internal",
        "model_source": "mlflow",
        "mlflow_model_uri": "models:/fraud@champion",
        "service_tier": "2",
        "slo_availability": "99.9",
        "slo_latency_p99_ms": "250",
        "rollout": "canary",
        "batching": "adaptive",
        "prediction_cache": "off",
    }
    data = [arg for key, value in given.items() for arg in ("-d", f"{key}={value}")]
    command = ["new", "realtime-inference", "out", "--catalog", str(CATALOG_DIR), *data]
    child = _spawn(command, fresh_user, tmp_path)
    child.expect("input features")
    child.expect("- {name: mean_radius, type: float}")
    child.expect("- {name: worst_fractal_dimension, type: float}")
    child.send("- {name: merchant_category, type: str}" + SUBMIT_MULTILINE)
    child.expect("Summary")
    child.expect("Generate the repository")
    summary = _words(child.before)
    assert "[{'name': 'mean_radius', 'type': 'float'}," in summary  # read back as YAML
    assert "merchant_category" in summary
    child.send("n\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("key", ["\x03"])
def test_ctrl_c_aborts_cleanly(tmp_path: Path, fresh_user: Path, key: str) -> None:
    catalog = git_catalog(tmp_path / "catalog")
    child = _spawn(["new", "svc", "out", "--catalog", str(catalog)], fresh_user, tmp_path)
    child.expect("Project name")
    child.send(key)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert "Traceback" not in (child.before or "")
    assert not (tmp_path / "out").exists()
