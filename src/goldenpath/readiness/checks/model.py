"""Model checks: a filled-in model card, an evaluation gate before promotion, a registry
with versions, seeded training and locked dependencies.

Demo modules (``demo_model.py``, ``examples/``) that train a stand-in model so a serving
repository runs before its real model exists are not training code: a serving repository
gets its models from a registry, and its gate and seeds live where the model is trained.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from goldenpath.readiness.facts import Repo, is_demo
from goldenpath.readiness.model import (
    Check,
    Evidence,
    Finding,
    Level,
    Section,
    State,
    failed,
    not_applicable,
    passed,
    unknown,
)
from goldenpath.readiness.placeholders import boilerplate_in

_ML_IMPORT = re.compile(
    r"^\s*(?:import|from)\s+(?:mlflow|sklearn|torch|tensorflow|keras|xgboost|lightgbm|catboost|"
    r"transformers|onnxruntime|bentoml|sagemaker|skops|statsmodels|prophet)\b",
    re.MULTILINE,
)
_MODEL_FILES = ("*.pkl", "*.joblib", "*.onnx", "*.pt", "*.pth", "*.h5", "*.keras", "*/MLmodel")


def _model_evidence(repo: Repo) -> Evidence | None:
    """Where the repository has a model (ML code or a model file), or None."""
    for path in repo.source_files():
        line = repo.line_of(path, _ML_IMPORT)
        if line:
            return Evidence("machine-learning code", path, line)
    files = repo.glob(*_MODEL_FILES)
    return Evidence("model file", files[0]) if files else None


# -- model card ------------------------------------------------------------------------
_CARD = re.compile(r"(?:^|/)model[-_ ]?card[^/]*\.(?:md|markdown|rst|txt)$", re.IGNORECASE)


def _cards(repo: Repo) -> list[str]:
    cards = [f for f in repo.files if _CARD.search(f)]
    # The conventional places first, so the evidence names the card people read.
    return sorted(cards, key=lambda f: (f.count("/"), f))


class ModelCard(Check):
    """A model card exists."""

    id = "model-card"
    section = Section.MODEL
    level = Level.BRONZE
    title = "A model card documents the model"
    why = (
        "Users and reviewers need the intended use, training data, evaluation and "
        "limitations of a model before they trust its predictions."
    )
    reference = "Readiness: model documentation (Model Cards, Mitchell et al. 2019)"
    hint = (
        "add docs/model-card.md with model details, intended use, training data, "
        "evaluation, limitations and monitoring"
    )

    def run(self, repo: Repo) -> Finding:
        cards = _cards(repo)
        if cards:
            line = repo.line_of(cards[0], r"\S") or 1
            return passed(f"model card {cards[0]}", Evidence("model card", cards[0], line))
        model = _model_evidence(repo)
        if model is None:
            return not_applicable("no model in the repository (no ML code, no model file)")
        return failed(
            "the repository has a model but no model card",
            model,
            Evidence("looked for docs/model-card.md, MODEL_CARD.md, model_card*.md"),
        )


_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+\S")
_LEFTOVER = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|\[\[\s*[A-Za-z_][\w.|' ]*\]\]|\[%.*?%\]"
    r"|<\s*(?:insert|describe)\b[^>]*>",
    re.IGNORECASE,
)
_COMMENT = re.compile(r"<!--.*?-->")


@dataclass
class _Section:
    line: int
    level: int
    text: str
    has_content: bool = False


def _visible(lines: list[str]) -> list[tuple[int, str]]:
    """Numbered lines outside fenced code, HTML comments removed (a fenced block is
    content, shown as one opaque line)."""
    shown: list[tuple[int, str]] = []
    in_fence = in_comment = False
    for number, raw in enumerate(lines, start=1):
        if _FENCE.match(raw):
            in_fence = not in_fence
            shown.append((number, "```"))
            continue
        if in_fence:
            continue
        text = _COMMENT.sub("", raw)
        if in_comment:
            in_comment = "-->" not in text
            text = "" if in_comment else text.split("-->", 1)[1]
        if "<!--" in text:
            in_comment, text = True, text.split("<!--", 1)[0]
        shown.append((number, text))
    return shown


def _empty_sections(visible: list[tuple[int, str]]) -> list[_Section]:
    """Headings with nothing under them before the next heading of the same or a higher
    level (a heading followed by its own subsections is not empty)."""
    sections: list[_Section] = []
    for number, text in visible:
        heading = _HEADING.match(text)
        if heading:
            sections.append(_Section(number, len(heading.group(1)), text.strip()))
        elif text.strip() and sections:
            sections[-1].has_content = True
    return [
        section
        for section, following in zip(sections, [*sections[1:], None], strict=True)
        if not section.has_content and (following is None or following.level <= section.level)
    ]


def _count_sections(repo: Repo, path: str) -> int:
    return sum(1 for _, text in _visible(repo.lines(path)) if _HEADING.match(text))


def _card_problems(repo: Repo, path: str) -> list[Evidence]:
    """Boilerplate, template leftovers and empty sections of one card, by line."""
    lines = repo.lines(path)
    problems = [
        Evidence(f"boilerplate {marker!r} left", path, number)
        for number, raw in enumerate(lines, start=1)
        if (marker := boilerplate_in(raw))
    ]
    visible = _visible(lines)
    problems += [
        Evidence(f"template leftover {found.group(0)!r}", path, number)
        for number, text in visible
        if (found := _LEFTOVER.search(text))
    ]
    problems += [
        Evidence(f"empty section {section.text!r}", path, section.line)
        for section in _empty_sections(visible)
    ]
    return sorted(problems, key=lambda e: e.line or 0)


class ModelCardFilled(Check):
    """The model card has no template boilerplate left."""

    id = "model-card-filled"
    section = Section.MODEL
    level = Level.GOLD
    requires = ("model-card",)
    title = "The model card is filled in"
    why = (
        "A card that still says TODO or has empty sections documents nothing, and readers "
        "cannot tell which parts are true."
    )
    reference = "Readiness: model documentation (Model Cards, Mitchell et al. 2019)"
    hint = "fill in every section of the model card and remove TODO/TBD and template leftovers"

    def run(self, repo: Repo) -> Finding:
        cards = _cards(repo)
        if not cards:
            return not_applicable("no model card")
        problems = [p for card in cards for p in _card_problems(repo, card)]
        if problems:
            return failed(f"{len(problems)} unfinished place(s) in the model card", *problems[:8])
        return passed(
            "every section of the model card has content",
            *(
                Evidence(f"{_count_sections(repo, card)} sections, all filled in", card, 1)
                for card in cards[:3]
            ),
        )


# -- evaluation gate -----------------------------------------------------------------
_GATE_NAME = re.compile(
    r"\bMetricThreshold\(|\bvalidation_thresholds\s*=|\bvalidate_evaluation_results\("
    r"|\b(?:evaluation_gate|quality_gate|gate_passed|passed_gate|passes_gate|meets_threshold"
    r"|beats_(?:champion|baseline|production)|better_than_(?:champion|baseline|production))\b"
)
_COMPARISON = re.compile(r"(?<![<>=-])[<>]=?(?![<>=])")
_METRIC_WORD = re.compile(
    r"metric|score|auc|accuracy|\bf1|rmse|\bmae\b|\bmse\b|\br2\b|loss|precision|recall",
    re.IGNORECASE,
)
_THRESHOLD_WORD = re.compile(
    r"threshold|champion|baseline|incumbent|\bmin_\w+|\bmax_\w+|minimum|maximum",
    re.IGNORECASE,
)
# One group behind one look-behind: Python's re scans an alternation of \b-prefixed
# branches several times slower.
_REGISTER = re.compile(
    r"(?<!def )(?<!\w)(?:register_model\(|registered_model_name\s*=|create_model_version\("
    r"|set_registered_model_alias\(|transition_model_version_stage\(|create_model_package\("
    r"|Model\.upload\(|link_model\()"
)
_GATE_REF = re.compile(r"passed|gate|threshold|champion|evaluat", re.IGNORECASE)


def _gate_line(repo: Repo, path: str) -> int | None:
    text = repo.text(path) or ""
    if _GATE_NAME.search(text):
        return repo.line_of(path, _GATE_NAME)
    if not _THRESHOLD_WORD.search(text):
        return None
    for number, line in enumerate(repo.lines(path), start=1):
        code = line.split("#", 1)[0]
        if (
            _COMPARISON.search(code)
            and _METRIC_WORD.search(code)
            and _THRESHOLD_WORD.search(code)
            and not code.lstrip().startswith(("def ", "class ", "@"))
        ):
            return number
    return None


def _not_training(repo: Repo) -> Finding:
    demo = repo.training_files(demo=True)
    if demo:
        return not_applicable(
            f"only a demo model is trained ({demo[0]}); real models come from elsewhere"
        )
    return not_applicable("the repository trains no model")


class EvaluationGate(Check):
    """A model is promoted only when it passes an evaluation gate."""

    id = "evaluation-gate"
    section = Section.MODEL
    level = Level.SILVER
    weight = 2
    title = "Models are promoted only through an evaluation gate"
    why = (
        "Without a gate that compares a candidate with a threshold and the current model, "
        "a worse model reaches production as easily as a better one."
    )
    reference = "ML Test Score: Model 7 (offline proxy metrics) / Infrastructure 3"
    hint = (
        "compare the candidate's metric with a threshold and the champion before "
        "registering or promoting it (e.g. mlflow.validate_evaluation_results)"
    )

    def run(self, repo: Repo) -> Finding:
        if not repo.training_files():
            return _not_training(repo)
        code = [f for f in repo.source_files() if not is_demo(f)]
        gates = [
            Evidence("evaluation gate", p, line) for p in code if (line := _gate_line(repo, p))
        ]
        if not gates:
            return failed(
                "models are trained without an evaluation gate",
                Evidence(
                    "looked for a metric compared with a threshold/champion/baseline, or "
                    "mlflow MetricThreshold/validate_evaluation_results, in the source"
                ),
            )
        gate_modules = {g.path.rsplit("/", 1)[-1].removesuffix(".py") for g in gates if g.path}
        for path in code:
            line = repo.line_of(path, _REGISTER)
            if line is None:
                continue
            text = repo.text(path) or ""
            if not _GATE_REF.search(text) and not any(m in text for m in gate_modules):
                return failed(
                    "a model is registered without consulting the evaluation gate",
                    Evidence("registers without a gate", path, line),
                    gates[0],
                )
            return passed(
                "the gate decides before registration",
                gates[0],
                Evidence("registration consults the gate", path, line),
            )
        return passed("candidates pass an evaluation gate", *gates[:2])


# -- registry -------------------------------------------------------------------------
_REGISTRY_SCAN = ("*.py", "*.yaml", "*.yml", "*.toml", "*.json", "*.env", "*.cfg", "*.ini")
# A models:/ URI in code or configuration: not in a comment, not quoted in a docstring.
_URI = r"^[^#]*(?<![`\w])models:/[A-Za-z0-9][\w.-]*"
_PINNED_URI = re.compile(_URI + r"(?:@[\w-]+|/\d+\b|/(?:Production|Staging)\b)")
_FLOATING_URI = re.compile(_URI + r"(?:/(?:latest|None)\b|(?=[\"'\s]|$))")
# Version metadata first (aliases, version tags), then plain registration.
_VERSION_CALL = re.compile(
    r"\b(?:set_registered_model_alias|set_model_version_tag|get_model_version_by_alias)\("
)
_LOCAL_LOAD = re.compile(
    r"\b(?:pickle|cloudpickle|joblib|dill|torch)\.load\(|\bload_model\(\s*['\"][^'\"]+\."
    r"(?:pkl|joblib|h5|keras|pt|pth)['\"]"
)


def _config_files(repo: Repo) -> list[str]:
    tests = set(repo.test_files())
    return [
        f
        for f in repo.glob(*_REGISTRY_SCAN)
        if f not in tests
        and not f.startswith(("tests/", "test/"))
        and "/tests/" not in f
        and not f.startswith(".copier-answers")
    ]


class RegistryMetadata(Check):
    """Models come from or go to a registry with version metadata."""

    id = "registry-metadata"
    section = Section.MODEL
    level = Level.SILVER
    title = "Models are registered with versions and served by version or alias"
    why = (
        "A model loaded from a local file or a floating 'latest' cannot be traced, "
        "compared or rolled back; a registry version or alias can."
    )
    reference = "ML Test Score: Infrastructure 4 (model specs versioned) / Monitoring 4"
    hint = (
        "register models (mlflow register_model, aliases, version tags) and serve a pinned "
        "URI such as models:/name@champion or models:/name/3"
    )

    def run(self, repo: Repo) -> Finding:
        files = _config_files(repo)
        uris = [f for f in files if "models:/" in (repo.text(f) or "")]
        floating = repo.grep(_FLOATING_URI, *uris) if uris else []
        if floating:
            return failed("a served model URI floats (no version or alias)", *floating[:3])
        pinned = repo.grep(_PINNED_URI, *uris) if uris else []
        code = [f for f in files if f.endswith(".py") and "model" in (repo.text(f) or "")]
        found = pinned + (
            repo.grep(_VERSION_CALL, *code) + repo.grep(_REGISTER, *code) if code else []
        )
        if found:
            return passed("models are resolved through a registry", *found[:3])
        model = _model_evidence(repo)
        if model is None:
            return not_applicable("no model in the repository (no ML code, no model file)")
        local = repo.grep(_LOCAL_LOAD, *repo.source_files()) if repo.source_files() else []
        return failed(
            "models are not registered or loaded from a registry",
            *(local[:2] or [model]),
            Evidence("looked for models:/ URIs with a version or alias and registry calls"),
        )


# -- seeds ------------------------------------------------------------------------------
_SEED = re.compile(
    r"\brandom_state\s*=\s*(?!None\b)\w"
    r"|\b(?:np\.random|numpy\.random|random|torch|torch\.cuda|tf\.random|tf\.keras\.utils"
    r"|keras\.utils)\.(?:manual_)?seed(?:_all)?\(\s*(?!\))"
    r"|\b(?:set_seed|seed_everything|set_random_seed|manual_seed)\(\s*(?!\))"
    r"|\bseed\s*=\s*(?!None\b)\w|\bdefault_rng\(\s*(?!\))|\bRandomState\(\s*(?!\))",
    re.IGNORECASE,
)


class SeededTraining(Check):
    """Training sets its random seeds."""

    id = "seeded-training"
    section = Section.MODEL
    level = Level.GOLD
    title = "Training sets random seeds"
    why = (
        "An unseeded run cannot be repeated: a regression cannot be told apart from "
        "noise, and a model cannot be rebuilt to audit it."
    )
    reference = "ML Test Score: Infrastructure 1 (training is reproducible)"
    hint = "pass a fixed seed (random_state=..., np.random.seed, torch.manual_seed) to training"

    def run(self, repo: Repo) -> Finding:
        training = repo.training_files()
        if not training:
            return _not_training(repo)
        found = repo.grep(_SEED, *training)
        if not found:
            # The seed may be set where the estimator is built or in the settings.
            others = [f for f in repo.source_files() if f not in training and not is_demo(f)]
            found = repo.grep(_SEED, *others) if others else []
        if found:
            return passed("training is seeded", *found[:2])
        return failed(
            "training sets no random seed",
            *(Evidence("training code without a seed", path) for path in training[:3]),
            Evidence("looked for random_state=, seed=, np.random.seed, torch.manual_seed"),
        )


# -- dependencies --------------------------------------------------------------------
_LOCKS = (
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "Pipfile.lock",
    "pixi.lock",
    "conda-lock.yml",
    "*.conda-lock.yml",
)
_NAMED_LOCKS = ("uv.lock", "poetry.lock", "pdm.lock", "pixi.lock")
_REQUIREMENTS = re.compile(
    r"^(?:requirements[^/]*\.(?:txt|lock|in)|constraints[^/]*\.txt|requirements/[^/]+\.txt)$"
)
_OTHER_ECOSYSTEMS = {
    "package.json": ("package-lock.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb"),
    "go.mod": ("go.sum",),
    "Cargo.toml": ("Cargo.lock",),
}
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
# Files whose commands install the project: where a constraints file has to be applied.
_INSTALLERS = (
    "Dockerfile",
    "*/Dockerfile",
    "Dockerfile.*",
    "*.Dockerfile",
    "Containerfile",
    "Makefile",
    "*/Makefile",
    "justfile",
    "tox.ini",
    "noxfile.py",
    "*.sh",
    "scripts/*",
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
    ".gitlab-ci.yml",
    ".gitlab/ci/*.yml",
)
_EXACT = re.compile(r"===?\s*[\w.+!-]+(?![\w.*])|@\s*\S+#sha256=|--hash=")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class _Requirement:
    name: str
    text: str
    line: int
    exact: bool


def _requirement_lines(repo: Repo, path: str) -> list[_Requirement]:
    found: list[_Requirement] = []
    for number, raw in enumerate(repo.lines(path), start=1):
        text = raw.split(" #", 1)[0].strip()
        if not text or text.startswith(("#", "-", "\\")):
            if "--hash=" in text and found:
                prev = found[-1]
                found[-1] = _Requirement(prev.name, prev.text, prev.line, True)
            continue
        name = _NAME.match(text)
        if name:
            found.append(
                _Requirement(_normal(name.group(1)), text, number, bool(_EXACT.search(text)))
            )
    return found


def _constraint_users(repo: Repo, path: str) -> list[Evidence]:
    """Install commands that apply the constraints file ``path`` (pip's or uv's ``-c`` /
    ``--constraint``, or ``PIP_CONSTRAINT``). A constraints file pins nothing by itself:
    it only counts when the installs that build the project use it."""
    name = re.escape(path)
    pattern = re.compile(
        rf"(?:\s-c\s*|--constraint(?:=|\s+)|PIP_CONSTRAINT\s*[=:]\s*)[\"']?(?:\S*/)?{name}(?![\w.-])"
    )
    return repo.grep(pattern, *_INSTALLERS)


def _pyproject_dependencies(repo: Repo) -> list[_Requirement] | None:
    """Runtime dependencies of the root pyproject.toml (PEP 621 or Poetry)."""
    data = repo.toml("pyproject.toml")
    if data is None:
        return None
    found: list[_Requirement] = []
    project = data.get("project")
    specs = project.get("dependencies") if isinstance(project, dict) else None
    for spec in specs if isinstance(specs, list) else []:
        name = _NAME.match(str(spec))
        if name:
            line = repo.line_of("pyproject.toml", rf"['\"]{re.escape(str(spec))}['\"]") or 1
            exact = bool(re.search(r"===?\s*[\w.]+\s*(?:;|$)", str(spec))) and "," not in str(spec)
            found.append(_Requirement(_normal(name.group(1)), str(spec), line, exact))
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    deps = poetry.get("dependencies") if isinstance(poetry, dict) else None
    for name, spec in deps.items() if isinstance(deps, dict) else ():
        if name.lower() == "python":
            continue
        version = spec.get("version", "") if isinstance(spec, dict) else str(spec)
        line = repo.line_of("pyproject.toml", rf"^\s*['\"]?{re.escape(name)}['\"]?\s*=") or 1
        exact = bool(re.fullmatch(r"=?=?\s*\d[\w.]*", version.strip()))
        found.append(_Requirement(_normal(name), f"{name} = {version}", line, exact))
    return found


def _is_lock(path: str) -> bool:
    return any(fnmatch.fnmatch(path, pattern) for pattern in _LOCKS)


def _lock_names(repo: Repo, path: str) -> set[str] | None:
    """Package names a lock file pins, or None when its format is not read here."""
    if path.rsplit("/", 1)[-1] in _NAMED_LOCKS:
        text = repo.text(path) or ""
        return {_normal(n) for n in re.findall(r'^name\s*=\s*"([^"]+)"', text, re.MULTILINE)}
    if path.endswith("Pipfile.lock"):
        data = repo.json(path)
        default = data.get("default") if isinstance(data, dict) else None
        return {_normal(n) for n in default} if isinstance(default, dict) else None
    return None


def _judge_lock(repo: Repo, lock: str, runtime: set[str]) -> Finding:
    names = _lock_names(repo, lock)
    missing = sorted(runtime - names) if names is not None else []
    if missing:
        return failed(
            "the lock file is stale: it misses declared dependencies",
            Evidence(f"not in the lock: {', '.join(missing[:5])}", lock),
        )
    return passed("dependencies are locked", Evidence("lock file", lock))


def _judge_requirements(
    repo: Repo, requirements: list[str], runtime: set[str]
) -> tuple[Finding | None, list[Evidence], list[Evidence]]:
    """A passing finding when a requirements file pins every runtime dependency (a
    constraints file only when an install applies it), else the loose requirements of
    runtime files and the fully pinned constraints files nothing installs with."""
    loose: list[Evidence] = []
    unused: list[Evidence] = []
    for path in requirements:
        items = _requirement_lines(repo, path)
        unpinned = [r for r in items if not r.exact]
        if items and not unpinned and not runtime - {r.name for r in items}:
            first = Evidence("every requirement pinned", path, items[0].line)
            if not path.startswith("constraints"):
                return passed("dependencies are pinned", first), [], []
            users = _constraint_users(repo, path)
            if users:
                found = passed("pinned by constraints the installs apply", first, *users[:2])
                return found, [], []
            text = (
                f"every requirement pinned, but no install applies it (looked for -c {path} "
                "or PIP_CONSTRAINT in the Dockerfile, CI, Makefile and scripts)"
            )
            unused.append(Evidence(text, path, items[0].line))
        elif not re.search(r"dev|test|doc|lint", path):
            loose += [Evidence(f"range, not a pin: {r.text}", path, r.line) for r in unpinned]
    return None, loose, unused


def _judge_declared(repo: Repo, declared: list[_Requirement], loose: list[Evidence]) -> Finding:
    """No lock file: pass only when every runtime dependency is pinned exactly."""
    if declared and not loose and all(r.exact for r in declared):
        first = Evidence(declared[0].text, "pyproject.toml", declared[0].line)
        return passed("every runtime dependency is pinned exactly", first)
    if not declared and not loose:
        if repo.exists("setup.py"):
            return unknown(
                "dependencies are declared in setup.py, which is not read",
                Evidence("setup.py", "setup.py"),
            )
        return passed(
            "no runtime dependencies declared",
            Evidence("no runtime dependencies", "pyproject.toml"),
        )
    ranges = [
        Evidence(f"range, not a pin: {r.text}", "pyproject.toml", r.line)
        for r in declared
        if not r.exact
    ]
    ranges += loose
    return failed(
        f"{len(ranges)} runtime dependencies are version ranges and no lock file is committed",
        *ranges[:3],
        Evidence(
            "looked for uv.lock, poetry.lock, pdm.lock, Pipfile.lock, conda-lock.yml or "
            "requirements*.txt pinned with ==/--hash"
        ),
    )


class ReproducibleDependencies(Check):
    """Dependencies are locked to exact versions."""

    id = "reproducible-dependencies"
    section = Section.MODEL
    level = Level.SILVER
    title = "Dependencies are locked to exact versions"
    why = (
        "With version ranges, the same commit installs different libraries next month: "
        "a model or a service can change behaviour without any change to the repository."
    )
    reference = "ML Test Score: Infrastructure 1 (training is reproducible)"
    hint = (
        "commit a lock file (uv lock, poetry lock, pip-compile --generate-hashes) and "
        "install from it in CI and the Dockerfile"
    )

    def run(self, repo: Repo) -> Finding:
        declared = _pyproject_dependencies(repo)
        if declared is None and repo.exists("pyproject.toml"):
            return unknown("pyproject.toml does not parse", *repo.parse_errors[-1:])
        requirements = [f for f in repo.files if _REQUIREMENTS.match(f)]
        locks = [f for f in repo.files if "/" not in f and _is_lock(f)]
        if declared is None and not requirements and not locks:
            return self._other_ecosystems(repo)
        runtime = {r.name for r in declared or []}
        if locks:
            return _judge_lock(repo, locks[0], runtime)
        pinned, loose, unused = _judge_requirements(repo, requirements, runtime)
        if pinned:
            return pinned
        finding = _judge_declared(repo, declared or [], loose)
        if unused and finding.state is not State.PASS:
            return failed(
                "the constraints file pins every dependency, but no install command applies it",
                *unused,
                hint=f"apply it where the project is installed: `pip install -c {unused[0].path}`",
            )
        return finding

    def _other_ecosystems(self, repo: Repo) -> Finding:
        for manifest, locks in _OTHER_ECOSYSTEMS.items():
            if repo.exists(manifest):
                lock = next((f for f in locks if repo.exists(f)), None)
                if lock:
                    return passed("dependencies are locked", Evidence("lock file", lock))
                return failed(
                    f"{manifest} without a lock file",
                    Evidence(f"looked for {', '.join(locks)}", manifest),
                )
        if repo.source_files():
            return failed(
                "Python code without declared dependencies",
                Evidence("looked for pyproject.toml, requirements*.txt and lock files"),
            )
        return not_applicable("no dependencies declared and no code")


CHECKS: tuple[type[Check], ...] = (
    ModelCard,
    ModelCardFilled,
    EvaluationGate,
    RegistryMetadata,
    SeededTraining,
    ReproducibleDependencies,
)
