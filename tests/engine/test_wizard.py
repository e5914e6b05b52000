"""The interactive wizard, driven through a real pseudo-terminal as a person would."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import pytest

from .catalog_factory import git_catalog

DOWN = "\x1b[B"
CLEAR_LINE = "\x15"  # Ctrl-U: prompt_toolkit's unix-line-discard


def _spawn(args: list[str], home: Path, cwd: Path) -> pexpect.spawn:
    env = {**os.environ, "HOME": str(home), "TERM": "xterm", "COLUMNS": "160", "LINES": "50"}
    return pexpect.spawn(
        sys.executable,
        ["-m", "goldenpath", *args],
        cwd=str(cwd),
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 160),
    )


def test_wizard_recommends_asks_validates_summarises_and_renders(
    tmp_path: Path, fresh_user: Path
) -> None:
    catalog = git_catalog(tmp_path / "catalog")
    child = _spawn(["new", "--catalog", str(catalog), "my-job"], fresh_user, tmp_path)
    # The use-case questions: nobody waits, it is scheduled, it is not about training.
    child.expect("wait for each prediction")
    child.send("n")
    child.expect("scheduled over stored data")
    child.send("y")
    child.expect("training")
    child.send("n")
    child.expect("Recommended: ")
    # The catalog's own template ids are svc/job; the recommendation is one of the builtin
    # templates, so the person moves to "job" with the arrow key.
    child.expect("Template")
    child.send(DOWN)
    child.send("\r")
    child.expect("Project name")
    child.send(CLEAR_LINE + "Bad Name\r")
    child.expect("use lowercase letters")  # validator message, shown while typing
    child.send(CLEAR_LINE + "nightly-job\r")
    child.expect("Owning team")
    child.send("\r")  # keep the default
    child.expect("Summary")
    child.expect("nightly-job")
    child.expect("Generate the repository")
    child.send("y")
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
    child.send("n")
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
