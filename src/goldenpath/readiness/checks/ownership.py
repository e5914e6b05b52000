"""Ownership checks: every file has code owners, the service catalog names an owner, and
the owners and the on-call contact are real people rather than a template's samples.

On-call contacts are read only where contacts live (the runbook's on-call lines and
section, the README's on-call line, CODEOWNERS comments, catalog-info annotations and
alert annotations): an address given as an example in a sentence elsewhere, such as
"e.g. user@example.com" in a model card, is not anyone's contact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from goldenpath.readiness.facts import Repo
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
from goldenpath.readiness.placeholders import placeholder_in

# GitHub reads the first of these that exists; GitLab also reads .gitlab/CODEOWNERS.
CODEOWNERS_PLACES = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
_CATCH_ALL = frozenset({"*", "**", "/**", "**/*", "/**/*"})
_GITLAB_SECTION = re.compile(r"^\^?\[[^\]]+\](?:\[\d+\])?\s*(.*)$")


@dataclass(frozen=True)
class Rule:
    """One CODEOWNERS line: a pattern and the owners it names (none: unowned)."""

    line: int
    pattern: str
    owners: tuple[str, ...]


@dataclass(frozen=True)
class CodeOwners:
    """The CODEOWNERS file in effect and its rules, in order."""

    path: str
    rules: tuple[Rule, ...]
    comments: tuple[tuple[int, str], ...] = field(default=())


def codeowners(repo: Repo) -> CodeOwners | None:
    """The CODEOWNERS file the forge uses, parsed, or None when there is none."""
    path = next((p for p in CODEOWNERS_PLACES if repo.exists(p)), None)
    if path is None:
        return None
    rules: list[Rule] = []
    comments: list[tuple[int, str]] = []
    defaults: tuple[str, ...] = ()
    for number, raw in enumerate(repo.lines(path), start=1):
        text = raw.strip()
        if not text:
            continue
        if text.startswith("#"):
            comments.append((number, text))
            continue
        section = _GITLAB_SECTION.match(text)
        if section:  # GitLab section: its owners are the default of the rules under it
            defaults = tuple(t for t in section.group(1).split() if not t.startswith("#"))
            continue
        tokens = re.split(r"(?<!\\)\s+", text)
        owners: list[str] = []
        for token in tokens[1:]:
            if token.startswith("#"):
                break
            owners.append(token)
        rules.append(Rule(number, tokens[0], tuple(owners) or defaults))
    return CodeOwners(path, tuple(rules), tuple(comments))


def _looked_for_codeowners() -> Evidence:
    return Evidence("looked for CODEOWNERS in .github/, the root, docs/ and .gitlab/")


class CodeOwnersCoverAll(Check):
    """A CODEOWNERS rule covers every file."""

    id = "codeowners"
    section = Section.OWNERSHIP
    level = Level.BRONZE
    title = "CODEOWNERS assigns an owner to every file"
    why = (
        "Without owners on every path, changes merge without the people who run the "
        "service, and nobody is asked when something breaks."
    )
    reference = "Readiness: ownership"
    hint = "add a CODEOWNERS file whose first rule is `*  @your-org/your-team`"

    def run(self, repo: Repo) -> Finding:
        parsed = codeowners(repo)
        if parsed is None:
            return failed("no CODEOWNERS file", _looked_for_codeowners())
        catch_all = [i for i, r in enumerate(parsed.rules) if r.pattern in _CATCH_ALL]
        if not catch_all:
            return failed(
                "no CODEOWNERS rule covers every file",
                Evidence("no `*` rule: files outside the listed paths have no owner", parsed.path),
            )
        rule = parsed.rules[catch_all[-1]]
        if not rule.owners:
            return failed(
                "the catch-all rule names no owner",
                Evidence(f"`{rule.pattern}` without owners", parsed.path, rule.line),
            )
        for later in parsed.rules[catch_all[-1] + 1 :]:
            if not later.owners:
                return failed(
                    f"files under {later.pattern} have no owner",
                    Evidence(
                        f"`{later.pattern}` without owners un-owns them", parsed.path, later.line
                    ),
                )
        owners = " ".join(rule.owners)
        return passed(
            f"every file is owned ({owners})",
            Evidence(f"{rule.pattern} {owners}", parsed.path, rule.line),
        )


# -- service catalog ------------------------------------------------------------------
_OWNED_KINDS = frozenset({"Component", "API", "Resource", "System", "Domain", "Template"})


@dataclass(frozen=True)
class CatalogOwner:
    """An owner named by a service catalog entry (or its absence, ``owner`` empty)."""

    path: str
    line: int
    entity: str
    owner: str


def catalog_files(repo: Repo) -> list[str]:
    """Backstage entity files and OpsLevel service files."""
    return repo.glob(
        "catalog-info.yaml",
        "catalog-info.yml",
        "*/catalog-info.yaml",
        "*/catalog-info.yml",
        "opslevel.yml",
        "opslevel.yaml",
    )


def catalog_owners(repo: Repo) -> list[CatalogOwner]:
    """Every catalog entity that should name an owner, with the owner it names."""
    found: list[CatalogOwner] = []
    for path in catalog_files(repo):
        for doc in repo.yaml_documents(path):
            data = doc.data
            if not isinstance(data, dict):
                continue
            if path.rsplit("/", 1)[-1].startswith("opslevel"):
                service = data.get("service")
                owner = service.get("owner") if isinstance(service, dict) else None
                name = service.get("name", "service") if isinstance(service, dict) else "service"
            elif data.get("kind") in _OWNED_KINDS:
                spec = data.get("spec")
                owner = spec.get("owner") if isinstance(spec, dict) else None
                metadata = data.get("metadata")
                label = metadata.get("name") if isinstance(metadata, dict) else None
                name = f"{data['kind']} {label or '?'}"
            else:
                continue
            owner_text = str(owner).strip() if owner not in (None, "") else ""
            line = repo.line_of(path, r"^\s*owner\s*:", doc.line) if owner_text else None
            found.append(CatalogOwner(path, line or doc.line, str(name), owner_text))
    return found


class CatalogOwnerNamed(Check):
    """A service catalog entry names an owner."""

    id = "catalog-owner"
    section = Section.OWNERSHIP
    level = Level.SILVER
    title = "The service catalog entry names an owner"
    why = (
        "The catalog is where incident responders and other teams look up who owns a "
        "service; an entry without an owner sends them nowhere."
    )
    reference = "Readiness: ownership"
    hint = "add catalog-info.yaml (Backstage) with `spec.owner: group:<your-team>`"

    def run(self, repo: Repo) -> Finding:
        files = catalog_files(repo)
        entries = catalog_owners(repo)
        broken = [e for e in repo.parse_errors if e.path in files]
        if not entries and broken:
            return unknown("the catalog file does not parse", *broken)
        if not entries:
            return failed(
                "no service catalog entry",
                Evidence("looked for catalog-info.yaml (Backstage) and opslevel.yml"),
            )
        missing = [e for e in entries if not e.owner]
        if missing:
            return failed(
                "a catalog entry names no owner",
                *(Evidence(f"{e.entity} has no spec.owner", e.path, e.line) for e in missing),
            )
        return passed(
            f"owned by {entries[0].owner}",
            *(Evidence(f"{e.entity} owner: {e.owner}", e.path, e.line) for e in entries[:3]),
        )


# -- placeholders in owners and contacts -------------------------------------------------
_EXAMPLES = {
    "organization": "<your-github-org>",
    "owner_team": "<your-team>",
    "oncall_contact": "<your-rotation-address>",
}


def _update_hint(repo: Repo, answers: tuple[str, ...]) -> str | None:
    """``goldenpath update`` naming the answers to change, when a recorded answer of a
    generated repository is itself a placeholder (None otherwise: then a hand edit put
    the placeholder there, and the file is what to fix)."""
    if not repo.template:
        return None
    recorded = {a: str(repo.answers.get(a, "")) for a in answers}
    if not any(placeholder_in(value) for value in recorded.values() if value):
        return None
    version = str(repo.answers.get("_commit", "")).removeprefix("v")
    to = f" --to {version}" if re.fullmatch(r"\d+\.\d+\.\d+", version) else ""
    data = " ".join(f"--data {a}={_EXAMPLES.get(a, '...')}" for a in answers)
    now = ", ".join(f"{a}={v}" for a, v in recorded.items())
    return f"run `goldenpath update{to} {data}` with your real values (recorded: {now})"


class OwnersReal(Check):
    """The owners named in CODEOWNERS and the catalog are not placeholders."""

    id = "owners-real"
    section = Section.OWNERSHIP
    level = Level.GOLD
    requires = ("codeowners",)
    title = "The named owners are real teams, not placeholders"
    why = (
        "A template's sample owner (@acme/...) requests reviews from nobody and sends "
        "incident responders to a team that does not exist."
    )
    reference = "Readiness: ownership"
    hint = "replace the placeholder owners in CODEOWNERS and catalog-info.yaml with your team"

    def run(self, repo: Repo) -> Finding:
        parsed = codeowners(repo)
        if parsed is None:
            return not_applicable("no CODEOWNERS file")
        named: list[Evidence] = []
        fake: list[Evidence] = []
        reported: set[str] = set()
        for rule in parsed.rules:
            for owner in rule.owners:
                found = placeholder_in(owner)
                if found and owner not in reported:  # once per owner: the first rule naming it
                    reported.add(owner)
                    text = f"placeholder {found!r} in owner {owner}"
                    fake.append(Evidence(text, parsed.path, rule.line))
                elif not found and not named:
                    named.append(Evidence(f"{rule.pattern} {owner}", parsed.path, rule.line))
        for entry in catalog_owners(repo):
            found = placeholder_in(entry.owner) if entry.owner else None
            if found:
                fake.append(
                    Evidence(
                        f"placeholder {found!r} in owner {entry.owner}", entry.path, entry.line
                    )
                )
            elif entry.owner:
                named.append(
                    Evidence(f"{entry.entity} owner: {entry.owner}", entry.path, entry.line)
                )
        if fake:
            hint = _update_hint(repo, ("organization", "owner_team"))
            return failed(f"{len(fake)} owner(s) are placeholders", *fake[:5], hint=hint)
        if not named:
            return failed(
                "no owner is named", Evidence("CODEOWNERS rules name no owner", parsed.path)
            )
        return passed("the owners are real", *named[:3])


# -- on-call contact -----------------------------------------------------------------
_ON_CALL = re.compile(r"on[\s_-]?call|pagerduty|opsgenie", re.IGNORECASE)
# Headings of sections that list whom to page (their lines need not say "on call").
_ON_CALL_SECTION = re.compile(r"on[\s_-]?call|escalation|paging|contacts?\b", re.IGNORECASE)
_ON_CALL_VALUE = re.compile(
    r"on[\s_-]?call(?:\s+(?:contact|rotation|e-?mail|channel|address|alias|team|pager))?\*{0,2}"
    r"\s*(?:is\s+)?[:=]\*{0,2}\s*(?P<value>[^;()|]+)",
    re.IGNORECASE,
)
_CONTACT_TOKEN = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail
    r"|https?://[^\s)>\]]*(?:pagerduty|opsgenie|slack|ilert|victorops|incident)[^\s)>\]]*"
    r"|(?<![\w/#(])#[a-z0-9][\w-]+"  # chat channel (not a link anchor)
    r"|(?<![\w.@/])@[\w-]+(?:/[\w-]+)?",  # handle
    re.IGNORECASE,
)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*)$")
_RUNBOOKS = ("*runbook*.md", "*RUNBOOK*.md", "*Runbook*.md", "docs/runbooks/*.md")
_CONTACT_KEY = re.compile(
    r"on[\s_-]?call|contact|escalation|pager|opsgenie|ilert|victorops|splunk|slack", re.IGNORECASE
)


@dataclass(frozen=True)
class Contact:
    """An on-call contact found in the repository."""

    value: str
    path: str
    line: int


def _clean(value: str) -> str:
    return value.strip().strip("`*_").strip().rstrip(".,;:)").strip("`*_ <>")


def _line_contacts(text: str) -> list[str]:
    """Contacts on one line that talks about on call: the value after "on call:",
    else every e-mail, paging/chat URL, channel or handle on it."""
    value = _ON_CALL_VALUE.search(text)
    if value:
        cleaned = _clean(value.group("value"))
        if cleaned:
            return [cleaned]
    return [_clean(m.group(0)) for m in _CONTACT_TOKEN.finditer(text)]


def _markdown_contacts(repo: Repo, path: str) -> list[Contact]:
    found: list[Contact] = []
    in_section = False
    for number, raw in enumerate(repo.lines(path), start=1):
        heading = _HEADING.match(raw)
        if heading:
            in_section = bool(_ON_CALL_SECTION.search(heading.group(1)))
            continue
        if in_section:
            values = [_clean(m.group(0)) for m in _CONTACT_TOKEN.finditer(raw)]
            values = values or (_line_contacts(raw) if _ON_CALL.search(raw) else [])
        elif _ON_CALL.search(raw):
            values = _line_contacts(raw)
        else:
            values = []
        found.extend(Contact(v, path, number) for v in values if v)
    return found


def _yaml_contacts(repo: Repo, path: str, values: dict[str, Any], start: int) -> list[Contact]:
    found: list[Contact] = []
    for key, value in values.items():
        if _CONTACT_KEY.search(str(key)) and isinstance(value, (str, int)) and str(value).strip():
            line = repo.line_of(path, rf"^\s*['\"]?{re.escape(str(key))}['\"]?\s*:", start)
            found.append(Contact(str(value).strip(), path, line or start))
    return found


def on_call_contacts(repo: Repo) -> list[Contact]:
    """On-call contacts where contacts live, runbooks first."""
    found: list[Contact] = []
    for path in repo.glob(*_RUNBOOKS):
        found += _markdown_contacts(repo, path)
    for path in catalog_files(repo):
        for doc in repo.yaml_documents(path):
            metadata = doc.data.get("metadata") if isinstance(doc.data, dict) else None
            annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
            if isinstance(annotations, dict):
                found += _yaml_contacts(repo, path, annotations, doc.line)
    for rule in repo.alert_rules:
        found += _yaml_contacts(repo, rule.path, {**rule.labels, **rule.annotations}, rule.line)
    parsed = codeowners(repo)
    if parsed is not None:
        for number, text in parsed.comments:
            if _ON_CALL.search(text):
                found += [Contact(v, parsed.path, number) for v in _line_contacts(text) if v]
    if repo.exists("README.md"):
        found += _markdown_contacts(repo, "README.md")
    return found


class OnCallContact(Check):
    """A real on-call contact exists."""

    id = "oncall-contact"
    section = Section.OWNERSHIP
    level = Level.GOLD
    weight = 2
    title = "A real on-call contact is named"
    why = (
        "When an alert fires at night, the runbook and the catalog must say whom to page; "
        "a template's sample address pages nobody."
    )
    reference = "Readiness: on-call ownership"
    hint = (
        "name the on-call contact (rotation e-mail, pager or chat channel) in the runbook "
        "and catalog-info.yaml"
    )

    def run(self, repo: Repo) -> Finding:
        contacts = on_call_contacts(repo)
        if not contacts:
            return failed(
                "no on-call contact found",
                Evidence(
                    "looked for on-call lines and sections in the runbook and README, "
                    "CODEOWNERS comments, catalog-info annotations (pagerduty.com/..., "
                    "opsgenie.com/...) and alert annotations"
                ),
            )
        fake = [(c, found) for c in contacts if (found := placeholder_in(c.value))]
        if fake:
            # The escalation section may page the owning team, whose name comes from the
            # organization/owner_team answers: name those too when they are the placeholder.
            team = [
                a
                for a in ("organization", "owner_team")
                if (value := str(repo.answers.get(a, "")))
                and placeholder_in(value)
                and any(value in c.value for c, _ in fake)
            ]
            hint = _update_hint(repo, ("oncall_contact", *team))
            if hint is None:
                hint = f"replace the placeholder contact at {fake[0][0].path}:{fake[0][0].line}"
            return failed(
                f"{len(fake)} on-call contact(s) are placeholders",
                *(
                    Evidence(f"placeholder {f!r} in contact {c.value}", c.path, c.line)
                    for c, f in fake[:5]
                ),
                hint=hint,
            )
        return passed(
            f"on call: {contacts[0].value}",
            *(Evidence(f"on-call contact {c.value}", c.path, c.line) for c in contacts[:3]),
        )


CHECKS: tuple[type[Check], ...] = (CodeOwnersCoverAll, CatalogOwnerNamed, OnCallContact, OwnersReal)
