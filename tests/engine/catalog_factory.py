"""Build tiny catalogs in tmp_path, laid out like goldenpath's builtin one.

One copier template with a templated ``_subdirectory``, shared questions and partials under
``_shared/``, two templates (``svc`` with its own guarded question, and ``job``), a
CHANGELOG and VERSION, and ``vX.Y.Z`` tags: enough to exercise every engine path fast.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

from user_isolation import GIT_ENV

from goldenpath.adapters import bundles

COPIER_YML = """\
_subdirectory: "{{ template }}/template"
template:
  type: str
  help: Which template?
  choices:
    "svc: a small service": svc
    "job: a small job": job
  default: svc
project_name:
  type: str
  help: Project name
  default: demo-project
  validator: >-
    {% if not (project_name | regex_search('^[a-z][a-z0-9-]+$')) %}use lowercase letters,
    digits and hyphens{% endif %}
owner:
  type: str
  help: Owning team
  default: team-a
  validator: "{% if not owner %}must not be empty{% endif %}"
--- !include "*/questions.yml"
"""

SVC_QUESTIONS = """\
port:
  type: int
  help: Port the service listens on
  default: 8080
  when: "{{ template == 'svc' }}"
  validator: "{% if port < 1024 %}must be 1024 or more{% endif %}"
"""

CONFIG_V1 = """\
# Service settings
name: {{ project_name }}
port: {{ port }}
timeout_seconds: 10
retries: 3
log_level: info
"""

README = """\
# {{ project_name }}

{% include '_shared/ownership.jinja' %}

Run it with `make run`.
"""


def write(path: Path, text: str) -> None:
    """Write ``text`` (dedented) creating parents."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def git(repo: Path, *args: str, input_text: str | None = None) -> str:
    """Run git in ``repo`` with a test identity (``input_text`` on its stdin)."""
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
        input=input_text,
        env={**os.environ, **GIT_ENV},
    ).stdout


def make_catalog_tree(root: Path, version: str = "1.0.0") -> Path:
    """Write the v1 catalog files into ``root`` (no git)."""
    write(root / "copier.yml", COPIER_YML)
    write(root / "VERSION", version + "\n")
    write(root / "CHANGELOG.md", f"# Changelog\n\n## [{version}] - 2026-01-01\n- First release.\n")
    write(
        root / "catalog.yml",
        "templates:\n  svc:\n    description: A small service\n"
        "    next_steps: [make run]\n  job:\n    description: A small job\n",
    )
    write(root / "_shared/ownership.jinja", "Owned by {{ owner }}.")
    write(root / "_shared/answers.jinja", "{{ _copier_answers | to_nice_yaml -}}\n")
    write(root / "svc/questions.yml", SVC_QUESTIONS)
    for name in ("svc", "job"):
        tree = root / name / "template"
        write(tree / "{{_copier_conf.answers_file}}.jinja", "{% include '_shared/answers.jinja' %}")
        write(tree / "README.md.jinja", README)
    write(root / "svc/template/config.yaml.jinja", CONFIG_V1)
    write(root / "job/template/schedule.txt.jinja", "0 3 * * *\n")
    return root


def release_notes(root: Path, version: str, note: str, day: str = "2026-02-01") -> None:
    """Bump VERSION and prepend a dated changelog section."""
    write(root / "VERSION", version + "\n")
    log = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    head, _, rest = log.partition("\n## ")
    write(root / "CHANGELOG.md", f"{head}\n## [{version}] - {day}\n- {note}\n\n## {rest}")


def change_config(root: Path) -> None:
    """v2: the template changes config.yaml near its end (log_level)."""
    text = (root / "svc/template/config.yaml.jinja").read_text(encoding="utf-8")
    write(
        root / "svc/template/config.yaml.jinja",
        text.replace("log_level: info", "log_level: warning"),
    )
    write(root / "svc/template/NEW.md.jinja", "New in v2 for {{ project_name }}.\n")


def git_catalog(root: Path) -> Path:
    """Make ``root`` a git repository with the v1 catalog tagged v1.0.0."""
    make_catalog_tree(root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "v1.0.0")
    git(root, "tag", "v1.0.0")
    return root


def tag_next(root: Path, version: str, note: str) -> None:
    """Commit the working tree of a git catalog as ``version`` and tag it."""
    release_notes(root, version, note)
    git(root, "add", "-A")
    git(root, "commit", "-qm", f"v{version}")
    git(root, "tag", f"v{version}")


def bundle_versions(tmp: Path) -> tuple[Path, Path]:
    """Two packaged bundles like two goldenpath releases: (old: 1.0.0, new: 1.0.0 + 1.1.0)."""
    source = make_catalog_tree(tmp / "catalog-src")
    old = tmp / "old" / "builtin.bundle"
    bundles.release(None, source, "v1.0.0", None, "2026-01-01", old)
    change_config(source)
    release_notes(source, "1.1.0", "config logs at warning level; NEW.md")
    new = tmp / "new" / "builtin.bundle"
    new.parent.mkdir(parents=True)
    new.write_bytes(old.read_bytes())
    bundles.release(new, source, "v1.1.0", "v1.0.0", "2026-02-01", new)
    return old, new
