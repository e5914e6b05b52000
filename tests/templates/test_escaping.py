"""Every answer is written through an escaping filter fit for the language of the file.

Each template is rendered once with a hostile description: quotes, backslashes that form
escape sequences (``\\n``, ``\\p``), HCL's ``${``/``%{``, YAML's ``: `` and `` #``, Markdown's
``*``, backticks, ``[l](u)``, HTML, ``|``, ``~~``, ``$math$``, an entity, non-ASCII and an
emoji outside the BMP, a triple quote and a trailing backslash, on one line long enough to
need wrapping in Python and a lint exception in YAML. Then:

- every file parses with the parser of its language (the harness's ``parse_render``: Python
  ``compile()`` with warnings as errors, TOML, YAML, JSON, python-hcl2 and Terraform's own
  parser, cron, CODEOWNERS; plus ``bash -n``);
- wherever the description lands, it reads back exactly as typed: as a string value of the
  parsed Python, TOML, YAML, JSON or HCL, and as the plain text of a Markdown paragraph,
  heading or table cell (no emphasis, code, link, HTML or cell break formed from it);
- the project's own ruff (check and format) and its own yamllint configuration accept the
  render, so ``make lint`` and pre-commit pass for such a description.

Answers other than the description are restricted by their validators; the filters apply
to them too (see templates/_shared/README.md), and the matrix tests cover their usual values.
The filters themselves are checked on tricky texts (YAML 1.1 booleans, list and heading
starts, HCL escapes ...) against each language's parser, bash and make.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment
from markdown_it import MarkdownIt
from template_harness import parsers, tools
from template_harness import validators as v
from template_harness.cases import TEMPLATES, Case
from template_harness.render import Renderer, case_params

HOSTILE = (
    'Scores "churn" for C:\\new\\path — 50% of {x} ${var} %{if} #1 | a: b * `x` '
    '<b>é🚀</b> \'q\' """ ~~s~~ [l](u) _e_ &amp; $m$, in one long line that tools must '
    "not wrap or break \\"
)
# A word of the description that no template writes by itself: a file holding it holds
# (some form of) the description.
MARKER = "churn"

CASES = [Case(t, f"{t}-hostile-description", {"description": HOSTILE}) for t in TEMPLATES]

# Files every template writes the description into (relative to the render's root).
MUST_HOLD_DESCRIPTION = [
    "README.md",
    "pyproject.toml",
    "catalog-info.yaml",
    ".copier-answers.yml",
    "docs/runbook.md",
    "docs/model-card.md",
    "src/*/__init__.py",
]


@pytest.fixture(params=case_params(CASES))
def hostile(request: pytest.FixtureRequest, renderer: Renderer) -> Path:
    """The render of one template with the hostile description (once per worker)."""
    case: Case = request.param
    return renderer(case)


def _normalized(text: str) -> str:
    """Whitespace runs as one space: wrapping a docstring or a Markdown line changes
    nothing else."""
    return " ".join(text.split())


# ------------------------------------------------------------------------------- parsing


def _load(path: Path, text: str) -> list[Any]:
    """The parsed documents of a file whose language has a Python parser."""
    if path.suffix == ".py":
        return [ast.parse(text)]
    if path.suffix == ".toml":
        return [tomllib.loads(text)]
    if path.suffix in {".yml", ".yaml"}:
        return list(yaml.load_all(text, Loader=parsers.YamlLoader))
    if path.suffix == ".json":
        return [json.loads(text)]
    return []


def test_every_file_parses(hostile: Path) -> None:
    """The harness's parsers (Python compile with warnings as errors, TOML, YAML, JSON, HCL
    with python-hcl2 and Terraform's own parser, cron, CODEOWNERS, leftover Jinja), and
    ``bash -n`` for shell scripts."""
    assert v.find_terraform(hostile), "the render has no Terraform files to parse"
    found = parsers.parse_render(hostile, tools.recorded_answers(hostile))
    problems = [f"{check}:\n{text}" for check, text in found.items()]
    for script in [p for p in v.project_files(hostile) if p.suffix == ".sh"]:
        result = tools.run(["bash", "-n", script])
        if result.returncode != 0:
            problems.append(f"{script.relative_to(hostile)}: {tools.output_of(result)}")
    assert not problems, "files that do not parse:\n" + "\n".join(problems)


# ------------------------------------------------------------------------- round trips


def _strings(data: Any) -> Iterator[str]:
    """Every string of parsed data (keys and values, nested)."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(data, list | tuple):
        for item in data:
            yield from _strings(item)
    elif isinstance(data, ast.AST):
        for node in ast.walk(data):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield node.value


_HCL_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_HCL_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _hcl_unquote(body: str) -> str | None:
    """The value of an HCL quoted template: backslash escapes, and ``$${`` / ``%%{`` for a
    literal ``${`` / ``%{``; None when it interpolates (an unescaped ``${`` or ``%{``)."""
    out, i = [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(_HCL_ESCAPES.get(body[i + 1], body[i : i + 2]))
            i += 2
        elif body.startswith(("$${", "%%{"), i):
            out.append(body[i] + "{")
            i += 3
        elif body.startswith(("${", "%{"), i):
            return None
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def _markdown_texts(text: str) -> Iterator[str]:
    """The plain text a reader sees in each paragraph, heading and table cell: text and
    code spans, line breaks as spaces; raw HTML is not shown, markup characters that formed
    emphasis, links or code fences are gone."""
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    for token in md.parse(text):
        if token.type != "inline" or not token.children:
            continue
        parts = []
        for child in token.children:
            if child.type in {"text", "code_inline"}:
                parts.append(child.content)
            elif child.type in {"softbreak", "hardbreak"}:
                parts.append(" ")
            elif child.type not in {"html_inline"}:
                parts.append(f"<{child.type}>")  # emphasis, link, strikethrough ... markers
        yield "".join(parts)


def _round_trips(path: Path, text: str) -> bool:
    """Whether the file's language reads the hostile description back unchanged."""
    wanted = _normalized(HOSTILE)
    if path.suffix == ".md":
        return any(wanted in _normalized(t) for t in _markdown_texts(text))
    if path.suffix == ".tf":
        unquoted = (_hcl_unquote(m.group(1)) for m in _HCL_STRING.finditer(text))
        values = [value for value in unquoted if value is not None]
    else:
        values = [s for doc in _load(path, text) for s in _strings(doc)]
    if path.suffix == ".py":  # docstrings are wrapped to the line length
        return any(wanted in _normalized(value) for value in values)
    return any(HOSTILE in value for value in values)


def test_description_round_trips(hostile: Path) -> None:
    """Every file that holds the description gives it back as typed, in its language."""
    holding, problems = [], []
    for path in v.project_files(hostile):
        text = v.text_of(path)
        if text is None or MARKER not in text:
            continue
        rel = str(path.relative_to(hostile))
        holding.append(rel)
        if path.suffix not in {".md", ".py", ".toml", ".yml", ".yaml", ".json", ".tf"}:
            problems.append(f"{rel}: holds the description but has no round-trip check")
        elif not _round_trips(path, text):
            lines = [line.strip() for line in text.splitlines() if MARKER in line]
            problems.append(f"{rel}: the description does not read back; it is written as {lines}")
    missing = [
        pattern
        for pattern in MUST_HOLD_DESCRIPTION
        if not any(Path(rel).match(pattern) for rel in holding)
    ]
    assert not missing, f"the description is missing from {missing}"
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------- the project's own linters


def test_project_linters_accept_it(hostile: Path) -> None:
    """ruff (check and format) and yamllint with the project's own configuration, as
    ``make lint`` and pre-commit run them: a long description with quotes and backslashes
    must not break the generated repository's own checks."""
    problems = [found] if (found := v.ruff_lint(hostile)) else []
    if found := v.yamllint_project(hostile):
        problems.append(f"yamllint -c .yamllint.yaml:\n{found}")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------ the filters themselves

# Texts that break a naive interpolation in at least one language.
TRICKY = [
    HOSTILE,
    "true",
    "null",
    "0x1F",
    "1e3",
    "- a list item",
    "1. an ordered item",
    "# a heading",
    "> a quote",
    "=====",
    "@at *star &amp ! % |pipe|",
    "a: b #c",
    "'single' and \"double\" and `` two `backticks` ``",
    "${a} %{b} $${c} %%{d}",
    "tab\there, é and 🚀",
    "ends with a backslash \\",
    "C:\\new\\table\\x41\\N{DASH}",
    "<!-- comment --> <div>html</div> [a](b) ![i](j) <https://x.y> ~~s~~ $m$ _e_ __s__",
]


def _filters() -> Any:
    """quote.jinja's macros, in a Jinja environment configured like copier's."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(tools.TEMPLATES_DIR),
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
    )
    return env.get_template("_shared/partials/quote.jinja").module


def _markdown_cells(text: str) -> list[str]:
    return [" ".join(t.split()) for t in _markdown_texts(text)]


def test_filters_read_back_in_their_language() -> None:
    """Each macro's output, parsed by its language, gives back the text (YAML in block and
    flow context, Markdown as a paragraph and a table cell)."""
    q = _filters()
    problems = []
    for s in TRICKY:
        checks: dict[str, Any] = {
            "py_str": ast.literal_eval(str(q.py_str(s))),
            "py_str quote='": ast.literal_eval(str(q.py_str(s, quote="'"))),
            "py_doc": ast.literal_eval('"""' + str(q.py_doc(s, width=30)) + ' """')[:-1],
            "yaml_str block": yaml.safe_load(f"k: {q.yaml_str(s)}")["k"],
            "yaml_str flow": yaml.safe_load(f"[{q.yaml_str(s)}, x]")[0],
            "json_str": json.loads(str(q.json_str(s))),
            "toml_str": tomllib.loads(f"k = {q.toml_str(s)}")["k"],
            "toml_key": next(iter(tomllib.loads(f"{q.toml_key(s)} = 1"))),
            "hcl_str": _hcl_unquote(str(q.hcl_str(s))[1:-1]),
            "md_text": _markdown_cells(str(q.md_text(s)))[0],
            "md_text in a table": _markdown_cells(f"| h |\n|---|\n| {q.md_text(s)} |")[1],
        }
        for name, read in checks.items():
            wrapped = name.startswith(("md_", "py_doc"))  # whitespace runs may change
            want = " ".join(s.split()) if wrapped else s
            got = " ".join(read.split()) if wrapped and read is not None else read
            if got != want:
                problems.append(f"{name}({s!r}) reads back as {got!r}")
    assert not problems, "\n".join(problems)


def test_hcl_filter_output_parses(tmp_path: Path) -> None:
    """hcl_esc inside a template string that also interpolates, as the .tf files use it."""
    q = _filters()
    source = "\n".join(f'k{i} = "x-{q.hcl_esc(s)}-${{var.y}}"' for i, s in enumerate(TRICKY))
    (tmp_path / "main.tf").write_text(source + "\n")
    assert v.hcl2_parse([tmp_path / "main.tf"]) == ""


def test_shell_and_make_filters_read_back(tmp_path: Path) -> None:
    """One bash script and one Makefile print every text; the output must be the texts."""
    q = _filters()
    texts = [s for s in TRICKY if "\t" not in s]
    script = "".join(
        f"printf '%s\\0' {q.sh_str(s)}\nprintf '%s\\0' \"{q.sh_dq(s)}\"\n" for s in texts
    )
    result = tools.run(["bash", "-c", script])
    assert result.returncode == 0, tools.output_of(result)
    assert result.stdout.split("\0")[:-1] == [s for s in texts for _ in (1, 2)]

    # File names as a data path may hold them (make's glob and archive characters, * ? [ ( ),
    # and %, which would make a pattern rule, are not file names a target should have).
    names = [
        "data/my file.csv",
        "data/a#b:c$d.csv",
        "C:\\data\\x.csv",
        "data/x'y\"z.csv",
        "data/ends with a backslash\\",
        "data/a\\ b\\:c.csv",
        "data/é🚀.csv",
    ]
    make = tools.find_tool("make", hint="apt-get install make")
    makefile = "all: " + " ".join(str(q.mk_target(n)) for n in names) + "\n"
    makefile += "".join(f"{q.mk_target(n)}:\n\t@printf '%s\\0' {q.mk_sh(n)}\n" for n in names)
    (tmp_path / "Makefile").write_text(makefile)
    result = tools.run([make, "-s", "all"], cwd=tmp_path)
    assert result.returncode == 0, tools.output_of(result)
    assert result.stdout.split("\0")[:-1] == names
