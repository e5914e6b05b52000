"""Dockerfiles read the way the builder reads them, without running it.

Parser directives, line continuations (with the comment lines the builder drops inside
them), heredoc bodies, build stages and ``ARG``/``ENV`` substitution are honoured, because
a regex over raw lines is fooled by exactly the files that matter: a multi-stage build whose
builder runs as root, a ``# USER app`` comment, or a ``USER ${UID}`` whose value only the
build knows (then the value is None: unknown, never guessed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction with the line it starts on (continuations joined)."""

    line: int
    keyword: str
    args: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions in order: comment lines (also inside continuations), blank lines and
    heredoc bodies are skipped; the ``escape`` parser directive is honoured."""
    lines = text.splitlines()
    escape = "\\"
    for raw in lines:
        directive = re.match(r"^#\s*([A-Za-z]+)\s*=\s*(\S*)\s*$", raw)
        if not directive:
            break
        if directive.group(1).lower() == "escape" and directive.group(2) in {"`", "\\"}:
            escape = directive.group(2)
    found: list[Instruction] = []
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        start = index + 1
        parts: list[str] = []
        while index < len(lines):
            content = lines[index].rstrip()
            index += 1
            if content.endswith(escape):
                parts.append(content[: -len(escape)].strip())
                while index < len(lines) and (
                    not lines[index].strip() or lines[index].lstrip().startswith("#")
                ):
                    index += 1
                continue
            parts.append(content.strip())
            break
        keyword, _, args = " ".join(p for p in parts if p).partition(" ")
        keyword = keyword.upper()
        if keyword in {"RUN", "COPY", "ADD"}:
            for delimiter in re.findall(r"<<-?\s*[\"']?([A-Za-z_]\w*)[\"']?", args):
                while index < len(lines) and lines[index].strip() != delimiter:
                    index += 1
                index += 1
        found.append(Instruction(start, keyword, args.strip()))
    return found


_VARIABLE = re.compile(r"\$(?:\{(?P<braced>\w+)(?::?(?P<op>[-+])(?P<word>[^}]*))?\}|(?P<bare>\w+))")


def substitute(value: str, known: dict[str, str | None]) -> str | None:
    """``$VAR``/``${VAR}``/``${VAR:-default}``/``${VAR:+alt}`` replaced from ``known``;
    None when a variable has no value the Dockerfile itself gives (a build argument
    without a default)."""
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group("braced") or match.group("bare")
        current = known.get(name)
        op = match.group("op")
        if op == "-":
            return current if current else match.group("word")
        if op == "+":
            return match.group("word") if current else ""
        if current is None:
            missing = True
            return ""
        return current

    result = _VARIABLE.sub(replace, value)
    return None if missing else result


@dataclass
class Stage:
    """One build stage: where it starts, its base and the users it switches to."""

    line: int
    base: str
    name: str | None
    variables: dict[str, str | None] = field(default_factory=dict)
    users: list[tuple[int, str, str | None]] = field(default_factory=list)  # line, raw, value


def dockerfile_stages(text: str) -> list[Stage]:
    """The build stages of a Dockerfile, with ``ARG``/``ENV`` values known at each USER."""
    stages: list[Stage] = []
    global_args: dict[str, str | None] = {}
    for item in parse_dockerfile(text):
        if item.keyword == "FROM":
            words = [w for w in item.args.split() if not w.startswith("--")]
            base = substitute(words[0], global_args) if words else None
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None  # noqa: PLR2004
            stages.append(Stage(item.line, base or (words[0] if words else ""), name))
            continue
        if item.keyword == "ARG":
            for declaration in item.args.split():
                key, has_default, default = declaration.partition("=")
                target = stages[-1].variables if stages else global_args
                if has_default:
                    target[key] = substitute(default.strip("\"'"), target)
                elif stages:
                    target.setdefault(key, global_args.get(key))
                else:
                    global_args[key] = None
            continue
        if not stages:
            continue
        stage = stages[-1]
        if item.keyword == "ENV":
            pairs = re.findall(r"(\w+)=(\"[^\"]*\"|'[^']*'|\S+)", item.args)
            if not pairs:  # legacy form: ENV NAME value
                key, _, value = item.args.partition(" ")
                pairs = [(key, value.strip())]
            for key, value in pairs:
                stage.variables[key] = substitute(value.strip("\"'"), stage.variables)
        elif item.keyword == "USER":
            raw = item.args.strip()
            stage.users.append((item.line, raw, substitute(raw, stage.variables)))
    return stages


def effective_user(
    stages: list[Stage], index: int, seen: frozenset[int] = frozenset()
) -> tuple[Stage, tuple[int, str, str | None] | None]:
    """The stage that last set the user of stage ``index`` (following ``FROM <stage>``)
    and that USER instruction, or (the first stage without one, None)."""
    stage = stages[index]
    if stage.users:
        return stage, stage.users[-1]
    for number, other in enumerate(stages[:index]):
        named = other.name and other.name.lower() == stage.base.lower()
        if (named or stage.base == str(number)) and number not in seen:
            return effective_user(stages, number, seen | {index})
    return stage, None
