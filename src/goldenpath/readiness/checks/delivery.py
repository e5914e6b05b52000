"""Delivery checks: tested on every change, safe to run, safe to change and to undo.

Every verdict comes from the files a forge or a cluster would act on (CI pipelines,
Kubernetes manifests, rollout scripts, runbooks), read through :class:`Repo` and never
executed. GitHub Actions and GitLab CI are read alike through ``Repo.ci_jobs``; a
reusable GitHub workflow counts for the jobs and environments of the workflows that call
it, because that is where its triggers and inputs come from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from goldenpath.readiness.facts import CiJob, K8sObject, Repo
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

# A shell line that runs a test suite (``.venv/bin/pytest``, ``python -m pytest``, ...).
TEST_COMMAND = re.compile(
    r"(?:^|[\s;&|(/])(?:pytest|py\.test)\b|\bpython\d*(?:\.\d+)?\s+-m\s+(?:pytest|unittest)\b"
    r"|(?:^|[\s;&|(/])(?:tox|nox)\b|\bhatch\s+(?:run\s+\S*:?)?test\b"
    r"|\b(?:just|task)\s+test\b"
)
CHANGE_EVENTS = frozenset({"push", "pull_request", "pull_request_target", "merge_group"})
LONG_RUNNING = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Rollout", "Pod"})
PRODUCTION = re.compile(r"^(?:prod|production|prd|live)(?:[-_ .].*)?$", re.IGNORECASE)
GITLAB_DEFAULT_STAGES = (".pre", "build", "test", "deploy", ".post")
_EXPRESSION = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")


def _container_line(repo: Repo, obj: K8sObject, name: str) -> int:
    """Line of a container's ``name:`` entry (searched after ``containers:``)."""
    start = repo.line_of(obj.path, r"^\s*containers\s*:", obj.line) or obj.line
    pattern = rf"^\s*(?:-\s+)?name\s*:\s*['\"]?{re.escape(name)}['\"]?\s*(?:#.*)?$"
    return repo.line_of(obj.path, pattern, start) or obj.line


def _key_line(repo: Repo, path: str, key: str, start: int) -> int:
    return repo.line_of(path, rf"^\s*(?:-\s+)?{re.escape(key)}\s*:", start) or start


def _containers(obj: K8sObject) -> Iterator[tuple[str, dict[str, Any]]]:
    for index, container in enumerate(obj.containers()):
        yield str(container.get("name") or f"#{index + 1}"), container


def _unparsed_manifests(repo: Repo) -> list[Evidence]:
    """YAML files that did not parse but look like Kubernetes manifests (Helm templates,
    broken files): their workloads are invisible, so a verdict would be a guess."""
    repo.k8s_objects  # noqa: B018 - parses every YAML file, recording parse errors
    return [
        e
        for e in repo.parse_errors
        if e.path
        and e.path.endswith((".yml", ".yaml"))
        and re.search(r"^\s*kind\s*:", repo.text(e.path) or "", re.MULTILINE)
    ]


def _job_key_line(repo: Repo, job: CiJob, key: str) -> int:
    """Line of ``key:`` inside the job's own block; the job's line when the key is
    inherited (a GitLab template) or not there."""
    lines = repo.lines(job.path)
    if not 0 < job.line <= len(lines):
        return job.line
    head = lines[job.line - 1]
    indent = len(head) - len(head.lstrip())
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*:")
    for number in range(job.line + 1, len(lines) + 1):
        text = lines[number - 1]
        stripped = text.strip()
        if stripped and not stripped.startswith("#") and len(text) - len(text.lstrip()) <= indent:
            break
        if pattern.search(text):
            return number
    return job.line


def _environment(repo: Repo, job: CiJob) -> tuple[str | None, int]:
    """The job's environment name (None without one) and the line it is named on."""
    value = job.data.get("environment")
    if isinstance(value, dict):
        value = value.get("name")
    if value is None:
        return None, job.line
    return str(value), _job_key_line(repo, job, "environment")


def _github_triggers(repo: Repo, path: str) -> set[str]:
    data = repo.yaml(path)
    if not isinstance(data, dict):
        return set()
    # YAML 1.1 reads the bare key ``on`` as the boolean true.
    events = data.get("on", data.get(True))
    if isinstance(events, str):
        return {events}
    if isinstance(events, (list, dict)):
        return {str(e) for e in events}
    return set()


def _called_workflow(job: CiJob) -> str | None:
    uses = job.data.get("uses")
    if isinstance(uses, str) and uses.startswith("./"):
        return uses[2:].split("@", 1)[0]
    return None


def _gitlab_manual(job: CiJob) -> bool:
    if job.data.get("when") == "manual":
        return True
    rules = job.data.get("rules")
    return isinstance(rules, list) and any(
        isinstance(r, dict) and r.get("when") == "manual" for r in rules
    )


def _deployment_evidence(repo: Repo) -> Evidence | None:
    """Something this repository deploys: a workload, a chart, Terraform or a CI
    environment. None for a library or a tool that is only published."""
    workloads = repo.workloads()
    if workloads:
        obj = workloads[0]
        return Evidence(f"{obj.kind} {obj.name}", obj.path, obj.line)
    definitions = repo.glob("Chart.yaml", "*/Chart.yaml", "*.tf")
    if definitions:
        return Evidence("deployment definition", definitions[0])
    for job in repo.ci_jobs:
        name, line = _environment(repo, job)
        if name:
            return Evidence(f"job {job.name} deploys to {name}", job.path, line)
    return None


class CiTests(Check):
    """CI runs the tests on every change."""

    id = "ci-tests"
    section = Section.DELIVERY
    level = Level.BRONZE
    weight = 2
    title = "CI runs the tests on every change"
    why = (
        "Tests that only run on a laptop stop being run; a pipeline on every push and "
        "merge request keeps a broken change out of the main branch."
    )
    reference = "ML Test Score: Infrastructure 2"
    hint = (
        "run the test suite (pytest, tox, nox, make test) in a CI job triggered on push and "
        "pull_request (GitHub) or in every merge-request pipeline (GitLab)"
    )

    def run(self, repo: Repo) -> Finding:
        if not repo.ci_files:
            return failed(
                "no CI pipeline",
                Evidence("looked for .github/workflows/*.yml and .gitlab-ci.yml"),
            )
        changes = self._change_workflows(repo)
        on_change: list[Evidence] = []
        elsewhere: list[Evidence] = []
        for job in repo.ci_jobs:
            runs = self._test_lines(repo, job)
            if not runs:
                continue
            if job.system == "gitlab":
                target = elsewhere if self._gitlab_only_scheduled(job) else on_change
            else:
                target = on_change if job.path in changes else elsewhere
            target.append(Evidence(f"job {job.name}: {runs[0].text}", runs[0].path, runs[0].line))
            if runs[-1].path != job.path:  # the recipe line that really runs the tests
                target.append(runs[-1])
        if on_change:
            return passed("CI runs the tests on every change", *on_change)
        if elsewhere:
            return failed(
                "the tests run in CI, but not on push or merge requests",
                *elsewhere,
                *(
                    Evidence(f"triggers: {', '.join(sorted(t))}", p)
                    for p, t in self._triggers(repo)
                ),
            )
        if repo.parse_errors and any(e.path in repo.ci_files for e in repo.parse_errors):
            return unknown(
                "a CI file does not parse",
                *(e for e in repo.parse_errors if e.path in repo.ci_files),
            )
        return failed(
            "no CI job runs the tests",
            *(
                Evidence("looked for pytest/tox/nox/make test in its jobs", path)
                for path in repo.ci_files
            ),
        )

    @staticmethod
    def _test_lines(repo: Repo, job: CiJob) -> list[Evidence]:
        for command in job.commands:
            for step in repo.commands_run_by(command):
                if TEST_COMMAND.search(step.text):
                    return [command, step] if step is not command else [command]
        return []

    @staticmethod
    def _triggers(repo: Repo) -> Iterator[tuple[str, set[str]]]:
        for path in repo.ci_files:
            if path.startswith(".github/"):
                yield path, _github_triggers(repo, path)

    @staticmethod
    def _change_workflows(repo: Repo) -> set[str]:
        """GitHub workflows that run on a change, plus the reusable ones they call."""
        reached = {
            path
            for path in repo.ci_files
            if path.startswith(".github/") and _github_triggers(repo, path) & CHANGE_EVENTS
        }
        grew = True
        while grew:
            grew = False
            for job in repo.ci_jobs:
                called = _called_workflow(job)
                if job.path in reached and called and called not in reached:
                    reached.add(called)
                    grew = True
        return reached

    @staticmethod
    def _gitlab_only_scheduled(job: CiJob) -> bool:
        if _gitlab_manual(job):
            return True
        rules = job.data.get("rules")
        if isinstance(rules, list) and rules:
            conditions = [str(r.get("if", "")) for r in rules if isinstance(r, dict)]
            return all(re.search(r"schedule|\"web\"|trigger", c) for c in conditions)
        only = job.data.get("only")
        if isinstance(only, list) and only:
            return all(str(o) in {"schedules", "web", "triggers", "api"} for o in only)
        return False


class HealthProbes(Check):
    """Long-running Kubernetes workloads have liveness and readiness probes."""

    id = "health-probes"
    section = Section.DELIVERY
    level = Level.BRONZE
    title = "Kubernetes workloads have liveness and readiness probes"
    why = (
        "Without a readiness probe traffic reaches pods that cannot answer yet; without a "
        "liveness probe a hung process is never restarted."
    )
    reference = "Readiness: health checking"
    hint = "add livenessProbe and readinessProbe to every container of each Deployment"

    def run(self, repo: Repo) -> Finding:
        workloads = repo.workloads()
        services = [w for w in workloads if w.kind in LONG_RUNNING]
        if not services:
            unparsed = _unparsed_manifests(repo)
            if unparsed and not workloads:
                return unknown("Kubernetes manifests that do not parse", *unparsed)
            if workloads:
                kinds = sorted({w.kind for w in workloads})
                return not_applicable(
                    f"only run-to-completion workloads ({', '.join(kinds)}): nothing to probe"
                )
            return not_applicable("no Kubernetes workload")
        good: list[Evidence] = []
        bad: list[Evidence] = []
        for obj in services:
            for name, container in _containers(obj):
                line = _container_line(repo, obj, name)
                missing = [
                    p
                    for p in ("livenessProbe", "readinessProbe")
                    if not isinstance(container.get(p), dict)
                ]
                if missing:
                    bad.append(
                        Evidence(
                            f"{obj.kind} {obj.name}, container {name}: no {' or '.join(missing)}",
                            obj.path,
                            line,
                        )
                    )
                else:
                    good.append(
                        Evidence(
                            f"{obj.kind} {obj.name}, container {name}: liveness and readiness",
                            obj.path,
                            _key_line(repo, obj.path, "livenessProbe", line),
                        )
                    )
        if bad:
            return failed("a long-running container has no health probes", *bad)
        return passed("every long-running container has liveness and readiness probes", *good)


class ResourceLimits(Check):
    """Workload containers request cpu and memory and cap memory."""

    id = "resource-limits"
    section = Section.DELIVERY
    level = Level.SILVER
    title = "Kubernetes containers set cpu/memory requests and a memory limit"
    why = (
        "Requests let the scheduler place pods where they fit; a memory limit keeps one "
        "leaking model from evicting its neighbours."
    )
    reference = "Readiness: capacity"
    hint = (
        "set resources.requests.cpu, resources.requests.memory and resources.limits.memory "
        "on every container"
    )

    def run(self, repo: Repo) -> Finding:
        workloads = repo.workloads()
        if not workloads:
            unparsed = _unparsed_manifests(repo)
            if unparsed:
                return unknown("Kubernetes manifests that do not parse", *unparsed)
            return not_applicable("no Kubernetes workload")
        good: list[Evidence] = []
        bad: list[Evidence] = []
        for obj in workloads:
            for name, container in _containers(obj):
                line = _container_line(repo, obj, name)
                resources = container.get("resources")
                resources = resources if isinstance(resources, dict) else {}
                requests = resources.get("requests")
                limits = resources.get("limits")
                requests = requests if isinstance(requests, dict) else {}
                limits = limits if isinstance(limits, dict) else {}
                missing = [f"requests.{k}" for k in ("cpu", "memory") if k not in requests]
                missing += [] if "memory" in limits else ["limits.memory"]
                where = f"{obj.kind} {obj.name}, container {name}"
                if missing:
                    bad.append(Evidence(f"{where}: no {', '.join(missing)}", obj.path, line))
                else:
                    good.append(
                        Evidence(
                            f"{where}: requests {requests['cpu']} cpu / {requests['memory']}, "
                            f"memory limit {limits['memory']}",
                            obj.path,
                            _key_line(repo, obj.path, "resources", line),
                        )
                    )
        if bad:
            return failed("a container runs without requests or a memory limit", *bad)
        return passed("every container sets cpu/memory requests and a memory limit", *good)


# Commands that undo a release, wherever they are written.
ROLLBACK_COMMAND = re.compile(
    r"\bkubectl\b.*\brollout\s+undo\b|\bhelm\s+rollback\b"
    r"|\b(?:kubectl[- ])?argo[- ]rollouts\s+(?:abort|undo)\b"
    r"|[\w./-]+\.(?:sh|py)\s+(?:rollback|abort|undo)\b|\bmake\s+rollback\b"
    r"|\bset_registered_model_alias\b",
    re.IGNORECASE,
)
# A rollback entry point of a script: a shell function, a case arm or a make target.
ROLLBACK_ENTRY = re.compile(r"^\s*(?:function\s+)?(?:rollback|abort|undo)\s*(?:\(\)|\))|^rollback:")
# Moving a model alias (champion, production...) back: how a model-only release is undone.
ALIAS_BACK = re.compile(
    r"\balias\b.*\b(?:back\b|previous\s+(?:model\s+)?version|roll(?:ing)?[- ]?back|revert)"
    r"|\b(?:roll(?:ing)?[- ]?back|revert)\b.*\balias\b",
    re.IGNORECASE,
)
ROLLBACK_HEADING = re.compile(r"^#{1,6}\s.*\b(?:roll(?:ing)?[- ]?back|rollback|revert)", re.I)
_DOCS = ("*.md", "*.rst", "*.adoc", "*.txt")
_SCRIPTS = ("*.sh", "*.bash", "Makefile", "justfile", "*/Makefile")


class Rollback(Check):
    """A documented or scripted way back to the previous version."""

    id = "rollback"
    section = Section.DELIVERY
    level = Level.SILVER
    title = "A rollback path is documented or scripted"
    why = (
        "During an incident the fastest fix is the previous version; a command written down "
        "in advance turns a rollback from an investigation into a minute."
    )
    reference = "ML Test Score: Infrastructure 7"
    hint = (
        "document the rollback command in the runbook (kubectl rollout undo, helm rollback, "
        "a rollout script's rollback, moving the model alias back)"
    )

    def run(self, repo: Repo) -> Finding:
        deployed = _deployment_evidence(repo)
        if deployed is None:
            return not_applicable(
                "nothing is deployed: no workload, chart, Terraform or CI environment"
            )
        docs = [p for p in repo.glob(*_DOCS) if "changelog" not in p.lower()]
        found = repo.grep(ROLLBACK_COMMAND, *docs) if docs else []
        found += repo.grep(ALIAS_BACK, *docs) if docs else []
        found += self._sections(repo, docs)
        scripts = repo.glob(*_SCRIPTS)
        found += repo.grep(ROLLBACK_ENTRY, *scripts) if scripts else []
        found += [
            c for job in repo.ci_jobs for c in job.commands if ROLLBACK_COMMAND.search(c.text)
        ]
        if found:
            unique = list(dict.fromkeys(found))
            return passed("a rollback path is written down", *unique[:6])
        return failed(
            "no rollback command in the docs or scripts",
            Evidence(
                "looked for kubectl rollout undo, helm rollback, argo rollouts abort/undo, a "
                "script's rollback/abort, a model alias moved back, or a Rollback section with "
                "a command, in " + (", ".join(docs[:5]) or "no documentation")
            ),
            deployed,
        )

    @staticmethod
    def _sections(repo: Repo, docs: Iterable[str]) -> list[Evidence]:
        """Commands (code spans or blocks) inside a "Rollback"/"Rolling back" section."""
        found: list[Evidence] = []
        for path in docs:
            level = 0
            fenced = False
            for number, line in enumerate(repo.lines(path), start=1):
                if line.lstrip().startswith("```"):
                    fenced = not fenced
                    continue
                heading = re.match(r"^(#{1,6})\s", line)
                if heading and not fenced:
                    depth = len(heading.group(1))
                    if ROLLBACK_HEADING.match(line):
                        level = depth
                    elif level and depth <= level:
                        level = 0
                    continue
                spans = re.findall(r"`([^`]+)`", line)
                if level and (fenced or any(re.search(r"\S\s+\S", span) for span in spans)):
                    found.append(Evidence(line.strip()[:160], path, number))
                    break
        return found


_TRACK_LABELS = ("track", "role", "variant", "slot", "color", "colour")


class ProgressiveRollout(Check):
    """Long-running services roll out to a share of traffic first."""

    id = "progressive-rollout"
    section = Section.DELIVERY
    level = Level.GOLD
    title = "Services roll out progressively (canary or blue-green)"
    why = (
        "A new model or image that reaches a small share of traffic first, watched by its "
        "alerts, fails for few users instead of all of them."
    )
    reference = "ML Test Score: Infrastructure 6"
    hint = (
        "roll out through an Argo Rollouts/Flagger canary, or a stable and a canary "
        "Deployment with a script or pipeline that promotes the canary"
    )

    def run(self, repo: Repo) -> Finding:
        services = [w for w in repo.workloads() if w.kind in LONG_RUNNING]
        controllers = [
            o
            for o in repo.k8s_objects
            if (o.kind == "Rollout" and "argoproj.io" in str(o.data.get("apiVersion")))
            or (o.kind == "Canary" and "flagger.app" in str(o.data.get("apiVersion")))
        ]
        for obj in controllers:
            strategy = (obj.data.get("spec") or {}).get("strategy") or {}
            if obj.kind == "Canary" or {"canary", "blueGreen"} & set(strategy):
                key = "blueGreen" if "blueGreen" in strategy else "canary"
                line = (
                    _key_line(repo, obj.path, key, obj.line) if obj.kind == "Rollout" else obj.line
                )
                return passed(
                    f"{obj.kind} {obj.name} rolls out progressively",
                    Evidence(f"{obj.kind} {obj.name}: {key}", obj.path, line),
                )
        if not services:
            if repo.workloads():
                return not_applicable("only run-to-completion workloads (batch or training jobs)")
            return not_applicable("no long-running Kubernetes workload")
        tracks = [(o, t) for o in services if (t := self._track(o))]
        stable = [o for o in services if not self._track(o)]
        blue_green = {"blue", "green"} <= {t for _, t in tracks}
        if blue_green:
            stable = [o for o, t in tracks if t == "blue"]
            tracks = [(o, t) for o, t in tracks if t == "green"]
        if tracks and stable:
            obj, track = tracks[0]
            promoter = self._promoter(repo, track)
            if promoter:
                return passed(
                    f"{track} Deployment beside the stable one, promoted by a script",
                    Evidence(f"{obj.kind} {obj.name} ({track})", obj.path, obj.line),
                    Evidence(
                        f"{stable[0].kind} {stable[0].name} (stable)",
                        stable[0].path,
                        stable[0].line,
                    ),
                    promoter,
                )
            return failed(
                f"a {track} Deployment exists but nothing shifts traffic to it",
                Evidence(f"{obj.kind} {obj.name} ({track})", obj.path, obj.line),
                Evidence(f"looked for a script or CI job naming {track} and running kubectl/helm"),
            )
        return failed(
            "services are replaced all at once",
            *(
                Evidence(f"{o.kind} {o.name}: no canary or blue-green", o.path, o.line)
                for o in services
            ),
            Evidence(
                "looked for Argo Rollouts/Flagger objects, or a canary Deployment beside a "
                "stable one"
            ),
        )

    @staticmethod
    def _track(obj: K8sObject) -> str | None:
        """``canary``/``blue``/``green`` when the workload is one track of a release."""
        labels = (obj.data.get("metadata") or {}).get("labels") or {}
        for key in _TRACK_LABELS:
            value = str(labels.get(key, "")).lower() if isinstance(labels, dict) else ""
            if value in {"canary", "blue", "green"}:
                return value
        suffix = obj.name.lower().rsplit("-", 1)[-1]
        return suffix if suffix in {"canary", "blue", "green"} else None

    @staticmethod
    def _promoter(repo: Repo, track: str) -> Evidence | None:
        word = re.compile(rf"\b{track}\b", re.IGNORECASE)
        acts = re.compile(r"\b(?:kubectl|helm|promot\w*|scale|set\s+image|patch)\b")
        for path in repo.glob(*_SCRIPTS, "*.py"):
            if path.startswith(("tests/", "src/")) or "/tests/" in path:
                continue
            text = repo.text(path) or ""
            if word.search(text) and acts.search(text):
                both = [
                    n
                    for n, line in enumerate(repo.lines(path), start=1)
                    if word.search(line) and acts.search(line)
                ]
                line = both[0] if both else repo.line_of(path, word) or 1
                return Evidence(f"script shifting traffic to the {track}", path, line)
        for job in repo.ci_jobs:
            for command in job.commands:
                if word.search(command.text) and acts.search(command.text):
                    return command
        return None


@dataclass(frozen=True)
class _Deploy:
    """One CI job that deploys to a named environment."""

    workflow: str  # the file whose needs/stages order it
    job: str
    environment: str
    evidence: Evidence
    manual: bool
    needs: tuple[str, ...]
    stage: int


class CdPromotionApproval(Check):
    """CD reaches production through an earlier environment and an approval."""

    id = "cd-promotion-approval"
    section = Section.DELIVERY
    level = Level.GOLD
    title = "CD promotes through environments with an approval"
    why = (
        "A change reaches production only after it ran in an earlier environment and a "
        "person (GitHub environment protection, a GitLab manual job) let it through; for "
        "a training pipeline the earlier environment is where the challenger is trained."
    )
    reference = "Readiness: controlled promotion"
    hint = (
        "deploy to staging first, then to production in a job that needs it: GitHub "
        "`environment: production` (with required reviewers), GitLab `environment:` "
        "plus `when: manual`"
    )

    def run(self, repo: Repo) -> Finding:
        deployed = _deployment_evidence(repo)
        if deployed is None:
            return not_applicable(
                "nothing is deployed: no workload, chart, Terraform or CI environment"
            )
        deploys = self._deploys(repo)
        production = [d for d in deploys if PRODUCTION.match(d.environment)]
        unresolved = [d for d in deploys if "${{" in d.environment]
        if not production:
            if unresolved:
                return unknown(
                    "environment named by an expression goldenpath cannot resolve",
                    *(d.evidence for d in unresolved),
                )
            return failed(
                "no CI job deploys to a production environment",
                *(d.evidence for d in deploys),
                Evidence("looked for `environment: production` on a CI job", None),
                deployed,
            )
        problems: list[Evidence] = []
        for prod in production:
            earlier = self._earlier(prod, deploys)
            if not earlier:
                problems.append(
                    Evidence(
                        f"job {prod.job} deploys to {prod.environment} without an earlier "
                        "environment (no job it needs, or earlier stage, deploys elsewhere)",
                        prod.evidence.path,
                        prod.evidence.line,
                    )
                )
                continue
            gitlab = prod.evidence.path is not None and not prod.evidence.path.startswith(
                ".github/"
            )
            if gitlab and not prod.manual:
                problems.append(
                    Evidence(
                        f"job {prod.job} deploys to {prod.environment} without `when: manual`",
                        prod.evidence.path,
                        prod.evidence.line,
                    )
                )
                continue
            return passed(
                f"{earlier.environment} then {prod.environment}, behind an approval",
                earlier.evidence,
                prod.evidence,
            )
        return failed("production is not reached through an approved promotion", *problems)

    @staticmethod
    def _earlier(prod: _Deploy, deploys: list[_Deploy]) -> _Deploy | None:
        same = {d.job: d for d in deploys if d.workflow == prod.workflow}
        ancestors: set[str] = set()
        todo = list(prod.needs)
        while todo:
            name = todo.pop()
            if name in ancestors:
                continue
            ancestors.add(name)
            todo.extend(same[name].needs if name in same else ())
        for d in deploys:
            if d.workflow != prod.workflow or PRODUCTION.match(d.environment):
                continue
            if d.job in ancestors or (d.stage >= 0 and prod.stage > d.stage):
                return d
        return None

    def _deploys(self, repo: Repo) -> list[_Deploy]:
        by_file: dict[str, list[CiJob]] = {}
        for job in repo.ci_jobs:
            by_file.setdefault(job.path, []).append(job)
        deploys: list[_Deploy] = []
        for job in repo.ci_jobs:
            needs = tuple(self._needs(job))
            if job.system == "gitlab":
                name, line = _environment(repo, job)
                if name:
                    stage = self._stage(repo, job)
                    evidence = Evidence(f"job {job.name}: environment {name}", job.path, line)
                    deploys.append(
                        _Deploy(
                            job.path, job.name, name, evidence, _gitlab_manual(job), needs, stage
                        )
                    )
                continue
            for name, evidence in self._github_environments(repo, job, by_file):
                deploys.append(_Deploy(job.path, job.name, name, evidence, False, needs, -1))
        return deploys

    @staticmethod
    def _github_environments(
        repo: Repo, job: CiJob, by_file: dict[str, list[CiJob]]
    ) -> Iterator[tuple[str, Evidence]]:
        name, line = _environment(repo, job)
        if name:
            yield name, Evidence(f"job {job.name}: environment {name}", job.path, line)
            return
        called = _called_workflow(job)
        if not called:
            return
        given = job.data.get("with")
        inputs = given if isinstance(given, dict) else {}
        declared = CdPromotionApproval._declared_inputs(repo, called)
        line = _job_key_line(repo, job, "environment")
        for inner in by_file.get(called, []):
            value, _ = _environment(repo, inner)
            if not value:
                continue
            match = _EXPRESSION.fullmatch(value.strip())
            if match:
                resolved = inputs.get(match.group(1), declared.get(match.group(1)))
                value = str(resolved) if resolved is not None else value
            text = f"job {job.name} runs {called} (job {inner.name}) in environment {value}"
            yield value, Evidence(text, job.path, line)

    @staticmethod
    def _declared_inputs(repo: Repo, path: str) -> dict[str, Any]:
        data = repo.yaml(path)
        on = data.get("on", data.get(True)) if isinstance(data, dict) else None
        call = on.get("workflow_call") if isinstance(on, dict) else None
        inputs = call.get("inputs") if isinstance(call, dict) else None
        if not isinstance(inputs, dict):
            return {}
        return {str(k): v.get("default") for k, v in inputs.items() if isinstance(v, dict)}

    @staticmethod
    def _needs(job: CiJob) -> Iterator[str]:
        needs = job.data.get("needs")
        for item in [needs] if isinstance(needs, str) else needs if isinstance(needs, list) else []:
            if isinstance(item, str):
                yield item
            elif isinstance(item, dict) and isinstance(item.get("job"), str):
                yield item["job"]

    @staticmethod
    def _stage(repo: Repo, job: CiJob) -> int:
        """Position of the job's stage in the pipeline's ``stages`` (from whichever
        GitLab file declares them), -1 when unknown."""
        order = list(GITLAB_DEFAULT_STAGES)
        for path in repo.ci_files:
            data = None if path.startswith(".github/") else repo.yaml(path)
            if isinstance(data, dict) and isinstance(data.get("stages"), list):
                order = [str(s) for s in data["stages"]]
                break
        stage = str(job.data.get("stage", "test"))
        return order.index(stage) if stage in order else -1


CHECKS: tuple[type[Check], ...] = (
    CiTests,
    HealthProbes,
    ResourceLimits,
    Rollback,
    ProgressiveRollout,
    CdPromotionApproval,
)
