"""A fleet of real git repositories in a temporary folder, for the fleet tests.

A small catalog (one copier template, templates ``svc`` and ``job``, five released versions)
is built once per test session, each template/version/answers combination is rendered once
through goldenpath's own ``generate`` service, and every fleet copies those renders, so a
module can build a fresh fleet in about a second. Every repository is a clone whose
``origin`` is a bare repository beside it (``remotes/<name>.git``), with ``main`` pushed and
``origin/HEAD`` set, the way a developer's clone of a forge repository looks.

The catalog, newest first (``Action needed`` marks what users must act on)::

    2.1.1  job: schedule comment fixed                                   (patch)
    2.1.0  job: runs at 04:00, Action needed; every template: CONTRIBUTING.md
    2.0.0  svc: port -> listen_port, Action needed; job: README section   (major)
    1.1.0  svc: logs at warning level, NEW.md
    1.0.0  first release

The fleet (``clones/<name>``; ``REPOS`` below holds the same facts as data)::

    svc-current       svc 2.1.1, tier 1 (answer)               up to date
    svc-edited        svc 1.0.0, tier 1 (answer)               committed edit of README.md
    svc-conflict      svc 1.0.0, tier 2 (answer)               committed edit of the line 1.1.0
                                                               changes (config.yaml log_level)
    svc-stale-branch  svc 2.0.0, tier 2 (answer)               an older update branch
                                                               goldenpath/update-to-v2.1.0,
                                                               local and pushed
    job-minor         job 2.0.0, tier 3 (.goldenpath.toml)
    mono              services/api: svc 1.1.0, tier 1 (answer)  two projects, one repository
                      jobs/nightly: job 2.1.0, tier 3 (.goldenpath.toml)
    broken-answers    .copier-answers.yml that is not YAML     an error, as data
    plain-lib         no answers file                          not from the catalog

The fleet file (``fleet.yml``) lists every clone by path except ``job-minor`` and
``plain-lib``, which it lists by the ``file://`` URL of their bare remote (read through the
clone cache), gives ``plain-lib`` tier 2, an owner and labels, and adds one entry that is
skipped (``archived``) and points nowhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from user_isolation import GIT_ENV

from goldenpath.config import Settings
from goldenpath.services import generate as generate_service

VERSIONS = ("1.0.0", "1.1.0", "2.0.0", "2.1.0", "2.1.1")
LATEST = VERSIONS[-1]
UPDATE_BRANCH_PREFIX = "goldenpath/update-to-v"

# --- the catalog --------------------------------------------------------------------------

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
--- !include "*/questions.yml"
"""

SVC_QUESTIONS = """\
service_tier:
  type: int
  help: Service tier (1 is the most critical)
  choices: [1, 2, 3]
  default: 2
  when: "{{ template == 'svc' }}"
"""

SVC_CONFIG = """\
# Service settings
name: {{ project_name }}
port: 8080
timeout_seconds: 10
retries: 3
log_level: info
"""

README = """\
# {{ project_name }}

Owned by {{ owner }}.

Run it with `make run`.
"""

CHANGELOG_SECTIONS = {
    "1.0.0": ("2026-01-01", "### Added\n- First release."),
    "1.1.0": ("2026-02-01", "### Changed\n- `svc`: the config logs at warning level; NEW.md."),
    "2.0.0": (
        "2026-03-01",
        "### Changed\n"
        "- `svc`: `port` is now `listen_port` in config.yaml. Action needed: change the\n"
        "  deployment manifests that read `port`.\n"
        "- `job`: the README has a Schedule section.",
    ),
    "2.1.0": (
        "2026-04-01",
        "### Changed\n"
        "- `job`: the schedule runs at 04:00. Action needed: move dependent jobs by one hour.\n"
        "### Added\n"
        "- A CONTRIBUTING.md.",
    ),
    "2.1.1": ("2026-05-01", "### Fixed\n- `job`: the schedule's comment names the right hour."),
}


def write(path: Path, text: str) -> None:
    """Write ``text`` creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with the test identity; its stdout."""
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    ).stdout


def _changelog(upto: str) -> str:
    sections = [
        f"## [{version}] - {day}\n{body}\n"
        for version, (day, body) in CHANGELOG_SECTIONS.items()
        if VERSIONS.index(version) <= VERSIONS.index(upto)
    ]
    return "# Changelog\n\n" + "\n".join(reversed(sections))


def _catalog_tree(root: Path, version: str) -> None:
    """The catalog's files as of ``version`` (each version rewrites what changed)."""
    index = VERSIONS.index(version)

    def since(first: str) -> bool:
        return index >= VERSIONS.index(first)

    write(root / "copier.yml", COPIER_YML)
    write(root / "VERSION", version + "\n")
    write(root / "CHANGELOG.md", _changelog(version))
    write(
        root / "catalog.yml",
        "templates:\n  svc:\n    description: A small service\n"
        "  job:\n    description: A small job\n",
    )
    write(root / "svc/questions.yml", SVC_QUESTIONS)
    write(root / "job/questions.yml", "{}\n")
    for name in ("svc", "job"):
        tree = root / name / "template"
        write(
            tree / "{{_copier_conf.answers_file}}.jinja",
            "{{ _copier_answers | to_nice_yaml -}}\n",
        )
        readme = README
        if name == "job" and since("2.0.0"):
            readme += "\n## Schedule\n\nSee schedule.txt.\n"
        write(tree / "README.md.jinja", readme)
        if since("2.1.0"):
            write(tree / "CONTRIBUTING.md", "Open a merge request; CI must pass.\n")
    config = SVC_CONFIG
    if since("1.1.0"):
        config = config.replace("log_level: info", "log_level: warning")
        write(root / "svc/template/NEW.md.jinja", "New in 1.1.0 for {{ project_name }}.\n")
    if since("2.0.0"):
        config = config.replace("port: 8080", "listen_port: 8080")
    write(root / "svc/template/config.yaml.jinja", config)
    schedule = "# every day at 03:00\n0 3 * * *\n"
    if since("2.1.0"):
        schedule = "# every day at 03:00\n0 4 * * *\n"
    if since("2.1.1"):
        schedule = "# every day at 04:00\n0 4 * * *\n"
    write(root / "job/template/schedule.txt", schedule)


def build_catalog(root: Path) -> Path:
    """A git catalog at ``root`` with every version of ``VERSIONS`` committed and tagged."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    for version in VERSIONS:
        _catalog_tree(root, version)
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"Release v{version}")
        git(root, "tag", f"v{version}")
    return root


# --- the fleet ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectSpec:
    """One generated project of a fleet repository."""

    path: str  # folder inside the repository, "." for the root
    template: str
    version: str
    tier: int | None  # the tier the repository states (answer or .goldenpath.toml)


@dataclass(frozen=True)
class RepoSpec:
    """One repository of the fleet, as data the tests can read expected facts from."""

    name: str
    projects: tuple[ProjectSpec, ...] = ()
    broken_answers: bool = False
    not_from_catalog: bool = False
    stale_branch: str | None = None  # an older update branch, local and pushed
    notes: str = ""


REPOS: tuple[RepoSpec, ...] = (
    RepoSpec("svc-current", (ProjectSpec(".", "svc", "2.1.1", 1),), notes="up to date"),
    RepoSpec(
        "svc-edited",
        (ProjectSpec(".", "svc", "1.0.0", 1),),
        notes="committed local edit of README.md that merges cleanly",
    ),
    RepoSpec(
        "svc-conflict",
        (ProjectSpec(".", "svc", "1.0.0", 2),),
        notes="committed local edit of config.yaml log_level, which 1.1.0 changes too",
    ),
    RepoSpec(
        "svc-stale-branch",
        (ProjectSpec(".", "svc", "2.0.0", 2),),
        stale_branch=f"{UPDATE_BRANCH_PREFIX}2.1.0",
        notes="an older update branch, local and pushed",
    ),
    RepoSpec("job-minor", (ProjectSpec(".", "job", "2.0.0", 3),)),
    RepoSpec(
        "mono",
        (
            ProjectSpec("jobs/nightly", "job", "2.1.0", 3),
            ProjectSpec("services/api", "svc", "1.1.0", 1),
        ),
        notes="a monorepo with two generated projects",
    ),
    RepoSpec("broken-answers", broken_answers=True, notes="answers file that is not YAML"),
    RepoSpec("plain-lib", not_from_catalog=True, notes="not generated from the catalog"),
)
URL_ENTRIES = ("job-minor", "plain-lib")  # listed in fleet.yml by their remote's file:// URL
SKIPPED_ENTRY = {"name": "legacy-scorer", "skip": "archived"}

README_EDIT = "\n## Local notes\n\nThis service is also deployed to the staging cluster.\n"
CONFLICTING_LOG_LEVEL = "log_level: debug"


@dataclass
class FleetCatalog:
    """The session's catalog and its renders (one per template, version and answers)."""

    root: Path
    renders_dir: Path
    _renders: dict[tuple[str, str, int | None], Path] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """The catalog source every generated project records."""
        return str(self.root)

    def render(self, template: str, version: str, tier: int | None) -> Path:
        """A generated repository (with its initial commit) for these answers, made once."""
        key = (template, version, tier)
        if key not in self._renders:
            dest = self.renders_dir / f"{template}-{version}-{tier}"
            data: dict[str, Any] = {"project_name": f"{template}-demo", "owner": "team-ml"}
            if template == "svc" and tier is not None:
                data["service_tier"] = tier
            generate_service.generate(
                generate_service.NewRequest(
                    dest=dest,
                    template=template,
                    data=data,
                    catalog=self.source,
                    version=version,
                    settings=Settings(),
                )
            )
            self._renders[key] = dest
        return self._renders[key]


def make_catalog(root: Path) -> FleetCatalog:
    """Build the catalog under ``root/catalog``; renders go to ``root/renders``."""
    catalog = build_catalog(root / "catalog")
    (root / "renders").mkdir()
    return FleetCatalog(catalog, root / "renders")


@dataclass
class FleetRepo:
    """A built repository: its clone (work tree) and its bare remote."""

    spec: RepoSpec
    clone: Path
    remote: Path

    @property
    def name(self) -> str:
        """The repository's name (its folder name)."""
        return self.spec.name

    @property
    def url(self) -> str:
        """The remote as a ``file://`` URL."""
        return self.remote.as_uri()


@dataclass
class Fleet:
    """A built fleet: ``clones/`` (what ``--discover`` scans), ``remotes/`` and ``fleet.yml``."""

    root: Path
    catalog: FleetCatalog
    repos: dict[str, FleetRepo]

    @property
    def clones(self) -> Path:
        """The folder holding every clone."""
        return self.root / "clones"

    @property
    def fleet_file(self) -> Path:
        """The fleet file listing every repository (see the module docstring)."""
        return self.root / "fleet.yml"

    def __getitem__(self, name: str) -> FleetRepo:
        return self.repos[name]

    def fleet_entries(self) -> list[dict[str, Any]]:
        """The entries ``fleet.yml`` holds, to extend in a test's own fleet file."""
        entries: list[dict[str, Any]] = []
        for name, repo in self.repos.items():
            if name in URL_ENTRIES:
                entry: dict[str, Any] = {"url": repo.url}
            else:
                entry = {"path": str(repo.clone)}
            if name == "plain-lib":
                entry |= {"tier": 2, "owner": "team-data", "labels": {"domain": "shared"}}
            entries.append(entry)
        entries.append(
            {"url": (self.root / "gone" / "legacy-scorer.git").as_uri(), **SKIPPED_ENTRY}
        )
        return entries

    def write_fleet_file(self, path: Path, entries: list[dict[str, Any]]) -> Path:
        """Write a fleet file with ``entries`` (YAML ``repositories:`` list)."""
        write(path, yaml.safe_dump({"repositories": entries}, sort_keys=False))
        return path


def _commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def _copy_project(render: Path, dest: Path) -> None:
    """The render's files (not its .git) into ``dest``."""
    shutil.copytree(render, dest, ignore=shutil.ignore_patterns(".git"), dirs_exist_ok=True)


def _tier_file(folder: Path, tier: int) -> None:
    write(folder / ".goldenpath.toml", f"[readiness]\ntier = {tier}\n")


def _build_repo(catalog: FleetCatalog, spec: RepoSpec, clone: Path) -> None:
    clone.mkdir(parents=True)
    git(clone, "init", "-q", "-b", "main")
    for project in spec.projects:
        svc_tier = project.tier if project.template == "svc" else None
        _copy_project(
            catalog.render(project.template, project.version, svc_tier), clone / project.path
        )
        if project.template == "job" and project.tier is not None:
            _tier_file(clone / project.path, project.tier)
    if spec.broken_answers:
        write(
            clone / ".copier-answers.yml",
            f"_commit: v1.0.0\n_src_path: {catalog.source}\ntemplate: [svc\n",
        )
        write(clone / "README.md", "# broken\n")
    if spec.not_from_catalog:
        write(clone / "README.md", "# plain-lib\n\nShared helpers, written by hand.\n")
        write(clone / "src/plain_lib/__init__.py", '"""Shared helpers."""\n')
        write(clone / "pyproject.toml", '[project]\nname = "plain-lib"\nversion = "0.1.0"\n')
    _commit_all(clone, "Initial commit")
    if spec.name == "svc-edited":
        readme = clone / "README.md"
        readme.write_text(readme.read_text(encoding="utf-8") + README_EDIT, encoding="utf-8")
        _commit_all(clone, "Document the staging deployment")
    if spec.name == "svc-conflict":
        config = clone / "config.yaml"
        text = config.read_text(encoding="utf-8").replace("log_level: info", CONFLICTING_LOG_LEVEL)
        config.write_text(text, encoding="utf-8")
        _commit_all(clone, "Debug logging")


def _add_remote(clone: Path, remote: Path) -> None:
    remote.parent.mkdir(parents=True, exist_ok=True)
    git(remote.parent, "init", "-q", "--bare", "-b", "main", str(remote))
    git(clone, "remote", "add", "origin", str(remote))
    git(clone, "push", "-q", "-u", "origin", "main")
    git(clone, "remote", "set-head", "origin", "main")


def _stale_branch(clone: Path, branch: str) -> None:
    """An older update branch: one commit on top of main, pushed, main checked out again."""
    git(clone, "checkout", "-q", "-b", branch)
    answers = clone / ".copier-answers.yml"
    text = answers.read_text(encoding="utf-8")
    version = branch.removeprefix(UPDATE_BRANCH_PREFIX)
    answers.write_text(
        "\n".join(
            f"_commit: v{version}" if line.startswith("_commit:") else line
            for line in text.splitlines()
        )
        + "\n",
        encoding="utf-8",
    )
    _commit_all(clone, f"Update to catalog v{version}")
    git(clone, "push", "-q", "-u", "origin", branch)
    git(clone, "checkout", "-q", "main")


def build_fleet(root: Path, catalog: FleetCatalog, specs: tuple[RepoSpec, ...] = REPOS) -> Fleet:
    """Build every repository of ``specs`` under ``root`` and write ``root/fleet.yml``."""
    repos: dict[str, FleetRepo] = {}
    for spec in specs:
        clone, remote = root / "clones" / spec.name, root / "remotes" / f"{spec.name}.git"
        _build_repo(catalog, spec, clone)
        _add_remote(clone, remote)
        if spec.stale_branch:
            _stale_branch(clone, spec.stale_branch)
        repos[spec.name] = FleetRepo(spec, clone, remote)
    fleet = Fleet(root, catalog, repos)
    fleet.write_fleet_file(fleet.fleet_file, fleet.fleet_entries())
    return fleet


def dedent(text: str) -> str:
    """``textwrap.dedent`` without the leading newline (for inline file contents)."""
    return textwrap.dedent(text).lstrip("\n")
