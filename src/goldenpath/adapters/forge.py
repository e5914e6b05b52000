"""Pull requests (GitHub) and merge requests (GitLab) through the forges' REST APIs.

Only the standard library (``urllib``): a fleet update must run on any CI runner without a
forge SDK. What a fleet run needs is small: list the open requests of a branch, open one,
change its title, body, draft state and labels, comment on it and close it.

Retrying is honest and bounded, because a fleet run makes many calls and CI minutes cost:

- a rate limit (429, or 403 with ``Retry-After`` / ``X-RateLimit-Remaining: 0``) waits as
  long as the forge asks (``Retry-After``, else the ``X-RateLimit-Reset`` / ``RateLimit-Reset``
  time) and no longer; a wait beyond ``RetryPolicy.max_wait`` fails at once with the time
  the limit resets, instead of sleeping through a CI job;
- a 5xx or a dropped connection is retried with exponential backoff;
- at most ``RetryPolicy.attempts`` tries per call; everything else (401, 404, 422...)
  fails at once. Every failure is one ``GoldenpathError`` line; the token never appears.

Clock and sleep are injectable so that tests check the waits without waiting.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Literal, Protocol

from goldenpath.errors import GoldenpathError, RepositoryError, UsageError
from goldenpath.results import Record

Kind = Literal["github", "gitlab"]
KINDS: tuple[Kind, ...] = ("github", "gitlab")
TOKEN_ENV: dict[Kind, str] = {"github": "GITHUB_TOKEN", "gitlab": "GITLAB_TOKEN"}
_NAMES: dict[Kind, str] = {"github": "GitHub", "gitlab": "GitLab"}
_MAX_PAGES = 50  # 5,000 open requests per repository is far beyond any real one
_GITLAB_DRAFT = re.compile(r"^\s*(\[draft\]|\(draft\)|draft:|draft\s*-\s*)\s*", re.IGNORECASE)


class ForgeError(GoldenpathError):
    """A forge API call failed (after the retries it deserved)."""


@dataclass(frozen=True)
class ChangeRequest(Record):
    """A pull request (GitHub) or merge request (GitLab), as far as goldenpath cares."""

    number: int  # GitHub's PR number, GitLab's MR iid: what humans and URLs use
    url: str
    head: str
    base: str
    title: str
    draft: bool
    state: str  # "open", "closed" or "merged"
    labels: tuple[str, ...] = ()
    node_id: str = ""  # GitHub's GraphQL id (draft changes go through GraphQL)

    _json_rename: ClassVar = {"node_id": None}  # an API detail, not for people


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one API call tries: ``attempts`` in all, 5xx waits ``base_delay * 2**n``
    (at most ``max_delay``), a rate-limit wait longer than ``max_wait`` fails instead."""

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_wait: float = 600.0
    # GitHub's advice for a secondary rate limit that names no time: wait a minute.
    unnamed_limit_wait: float = 60.0
    timeout: float = 30.0


class Forge(Protocol):
    """The calls a fleet update makes; ``project`` is ``owner/name`` (GitLab: the full path)."""

    kind: Kind

    def list_open(
        self, project: str, head: str | None = None, head_prefix: str | None = None
    ) -> list[ChangeRequest]:
        """Open requests whose source branch is ``head`` or starts with ``head_prefix``."""

    def create(
        self,
        project: str,
        head: str,
        base: str,
        title: str,
        body: str,
        draft: bool = False,
        labels: tuple[str, ...] = (),
    ) -> ChangeRequest:
        """Open a request from ``head`` into ``base`` (an existing open one is returned)."""

    def update(
        self,
        project: str,
        request: ChangeRequest,
        title: str | None = None,
        body: str | None = None,
        draft: bool | None = None,
        add_labels: tuple[str, ...] = (),
        remove_labels: tuple[str, ...] = (),
    ) -> ChangeRequest:
        """Change what is given; the request as it is afterwards."""

    def comment(self, project: str, number: int, body: str) -> None:
        """Add a comment."""

    def close(self, project: str, number: int, comment: str | None = None) -> None:
        """Close without merging, after ``comment`` when given."""


@dataclass
class Response:
    """A decoded API response."""

    status: int
    headers: Message
    data: Any

    def next_link(self) -> str | None:
        """The ``rel="next"`` URL of a paginated list (GitHub and GitLab both send it)."""
        for part in (self.headers.get("Link") or "").split(","):
            match = re.match(r'\s*<([^>]+)>\s*;.*rel="?next"?', part)
            if match:
                return match.group(1)
        return None


@dataclass
class Transport:
    """JSON over HTTPS with authentication and the retry rules above."""

    kind: Kind
    base_url: str
    headers: Mapping[str, str]
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        query: Mapping[str, str] | None = None,
        absolute: str | None = None,
        allow: tuple[int, ...] = (),
    ) -> Response:
        """One call; ``path`` is relative to ``base_url`` (``absolute`` for a next-page link).

        Statuses in ``allow`` are returned instead of raised (a missing label, say).
        """
        url = absolute or self.base_url.rstrip("/") + path
        if absolute is not None:
            self._same_origin(absolute)
        if query:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
        shown = f"{_NAMES[self.kind]} {method} {self._shown(url)}"
        data = json.dumps(body).encode("utf-8") if body is not None else None
        for attempt in range(1, self.retry.attempts + 1):
            last = attempt == self.retry.attempts
            try:
                return self._once(method, url, data, allow)
            except urllib.error.HTTPError as exc:
                wait = self._wait_for(exc, attempt, shown)
                if wait is None:
                    raise _http_error(self.kind, shown, exc) from None
                if last:
                    raise ForgeError(
                        f"{shown} failed: {exc.code} {_detail(exc)} "
                        f"(gave up after {attempt} attempts)",
                        hint="the forge is having trouble or limiting this token; rerun later",
                    ) from None
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                if last:
                    raise ForgeError(
                        f"{shown} failed: {reason} (gave up after {attempt} attempts)",
                        hint=f"check that {self.base_url} is reachable from here",
                    ) from None
                wait = self._backoff(attempt)
            self.sleep(wait)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _once(self, method: str, url: str, data: bytes | None, allow: tuple[int, ...]) -> Response:
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - http(s) only
        for name, value in self.headers.items():
            request.add_header(name, value)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.retry.timeout) as reply:  # noqa: S310
                raw = reply.read()
                return Response(reply.status, reply.headers, _json(raw))
        except urllib.error.HTTPError as exc:
            if exc.code in allow:
                return Response(exc.code, exc.headers, _json(exc.read()))
            raise

    def _shown(self, url: str) -> str:
        """The endpoint as the forge documents it: the path below the API base URL."""
        base = urllib.parse.urlsplit(self.base_url).path.rstrip("/")
        path = urllib.parse.urlsplit(url).path
        return path.removeprefix(base) if base and path.startswith(base + "/") else path

    def _same_origin(self, url: str) -> None:
        """A next-page link must stay on the API's host: the token goes with every call."""
        here, there = urllib.parse.urlsplit(self.base_url), urllib.parse.urlsplit(url)
        if (here.scheme, here.netloc) != (there.scheme, there.netloc):
            raise ForgeError(
                f"{_NAMES[self.kind]} sent a next-page link to another host ({there.netloc})",
                hint="the token is only ever sent to the configured API host",
            )

    def _backoff(self, attempt: int) -> float:
        return float(min(self.retry.max_delay, self.retry.base_delay * 2 ** (attempt - 1)))

    def _wait_for(self, exc: urllib.error.HTTPError, attempt: int, shown: str) -> float | None:
        """Seconds to wait before the next attempt, or None when the error is final."""
        if exc.code >= 500:  # noqa: PLR2004 - the server's fault: worth another try
            return self._backoff(attempt)
        if not _rate_limited(exc):
            return None
        wait = self._limit_wait(exc.headers)
        if wait > self.retry.max_wait:
            reset = time.strftime("%H:%M:%S UTC", time.gmtime(self.clock() + wait))
            raise ForgeError(
                f"{shown} is rate limited for {wait:.0f} s more (until {reset}), longer than "
                f"the {self.retry.max_wait:.0f} s goldenpath waits",
                hint="rerun after the reset, or spread the fleet over more time with --shard",
            )
        return wait

    def _limit_wait(self, headers: Message) -> float:
        retry_after = headers.get("Retry-After")
        if retry_after:
            seconds = _seconds(retry_after.strip(), self.clock())
            if seconds is not None:
                return max(seconds, 0.0)
        reset = headers.get("X-RateLimit-Reset") or headers.get("RateLimit-Reset")
        if reset and reset.strip().isdigit():
            # +1: the reset time is whole seconds, and an early retry would be refused again
            return max(float(reset) - self.clock() + 1.0, 0.0)
        return self.retry.unnamed_limit_wait


def _rate_limited(exc: urllib.error.HTTPError) -> bool:
    if exc.code == 429:  # noqa: PLR2004 - Too Many Requests
        return True
    if exc.code != 403:  # noqa: PLR2004 - GitHub also answers a rate limit with 403
        return False
    headers = exc.headers
    if headers.get("Retry-After"):
        return True
    remaining = headers.get("X-RateLimit-Remaining") or headers.get("RateLimit-Remaining")
    if remaining is not None and remaining.strip() == "0":
        return True
    # A secondary limit may come without headers; its message says so. The body is read
    # once here and kept for the error message.
    return "rate limit" in _detail(exc).lower()


def _seconds(value: str, now: float) -> float | None:
    """``Retry-After``: seconds, or an HTTP date."""
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).timestamp() - now
    except (TypeError, ValueError):
        return None


def _json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _detail(exc: urllib.error.HTTPError) -> str:
    """The forge's own explanation (GitHub ``message`` + ``errors``, GitLab ``message``)."""
    cached = getattr(exc, "_goldenpath_detail", None)
    if isinstance(cached, str):
        return cached
    try:
        data = _json(exc.read())
    except OSError:
        data = None
    text = _message(data) or (exc.reason if isinstance(exc.reason, str) else "")
    exc._goldenpath_detail = text  # type: ignore[attr-defined]
    return text


def _message(data: Any) -> str:
    """One line from an error body: GitHub's ``message`` + first of ``errors``, GitLab's
    ``message`` (a string, or a mapping of field -> problems) or ``error``."""
    if not isinstance(data, dict):
        return ""
    parts = [_flatten(data.get("message") or data.get("error") or "")]
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        first = errors[0]
        parts.append(
            _flatten(
                first.get("message") or first.get("code") if isinstance(first, dict) else first
            )
        )
    return " ".join(": ".join(p for p in parts if p).split())[:300]


def _flatten(value: Any) -> str:
    if isinstance(value, dict):  # GitLab: {"base": ["..."]} for validation errors
        return "; ".join(f"{k} {_flatten(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_flatten(v) for v in value)
    return "" if value is None else str(value)


_HINTS = {
    401: "the token was refused: check {env} (or the token option) and that it has not expired",
    403: "the token lacks permission: it needs write access to pull/merge requests",
    404: "not found: check the project path and that the token can see the repository",
}


def _http_error(kind: Kind, shown: str, exc: urllib.error.HTTPError) -> ForgeError:
    hint = _HINTS.get(exc.code, "").format(env=TOKEN_ENV[kind])
    return ForgeError(f"{shown} failed: {exc.code} {_detail(exc)}".rstrip(), hint=hint)


# --- GitHub -----------------------------------------------------------------------------


class GitHub:
    """GitHub's REST API (v3; GitHub Enterprise at ``https://HOST/api/v3``)."""

    kind: Kind = "github"

    def __init__(self, transport: Transport) -> None:
        self.http = transport

    def _pulls(self, project: str) -> str:
        return f"/repos/{_quote_path(project)}/pulls"

    def _issue(self, project: str, number: int) -> str:
        return f"/repos/{_quote_path(project)}/issues/{number}"

    def list_open(
        self, project: str, head: str | None = None, head_prefix: str | None = None
    ) -> list[ChangeRequest]:
        """Open pull requests of ``head`` (or of every branch starting with ``head_prefix``)."""
        query = {"state": "open", "per_page": "100"}
        if head is not None:
            query["head"] = f"{project.partition('/')[0]}:{head}"
        found = [
            _github_request(item)
            for item in _pages(self.http, self._pulls(project), query)
            if isinstance(item, dict)
        ]
        return _on_heads(found, head, head_prefix)

    def create(
        self,
        project: str,
        head: str,
        base: str,
        title: str,
        body: str,
        draft: bool = False,
        labels: tuple[str, ...] = (),
    ) -> ChangeRequest:
        """Open a pull request; when one is open for ``head`` already, that one is returned."""
        payload = {"title": title, "head": head, "base": base, "body": body, "draft": draft}
        reply = self.http.request("POST", self._pulls(project), payload, allow=(422,))
        if reply.status == 422:  # noqa: PLR2004 - e.g. a retried create that did succeed
            existing = self.list_open(project, head=head)
            if not existing:
                raise ForgeError(
                    f"GitHub POST {self._pulls(project)} failed: 422 {_message(reply.data)}",
                    hint="check that the branch was pushed and differs from its base",
                )
            return self.update(project, existing[0], title, body, draft, add_labels=labels)
        created = _github_request(reply.data)
        if labels:
            created = self._label(project, created, labels)
        return created

    def update(
        self,
        project: str,
        request: ChangeRequest,
        title: str | None = None,
        body: str | None = None,
        draft: bool | None = None,
        add_labels: tuple[str, ...] = (),
        remove_labels: tuple[str, ...] = (),
    ) -> ChangeRequest:
        """PATCH title/body; draft state through GraphQL (REST cannot change it); labels."""
        current = request
        payload = {k: v for k, v in (("title", title), ("body", body)) if v is not None}
        if payload:
            reply = self.http.request("PATCH", f"{self._pulls(project)}/{request.number}", payload)
            current = _github_request(reply.data)
        if draft is not None and draft != current.draft:
            self._set_draft(current, draft)
            current = replace(current, draft=draft)
        for name in remove_labels:
            if name in current.labels:
                label = urllib.parse.quote(name, safe="")
                where = f"{self._issue(project, request.number)}/labels/{label}"
                self.http.request("DELETE", where, allow=(404,))
                current = replace(current, labels=tuple(x for x in current.labels if x != name))
        missing = tuple(name for name in add_labels if name not in current.labels)
        if missing:
            current = self._label(project, current, missing)
        return current

    def _label(
        self, project: str, request: ChangeRequest, labels: tuple[str, ...]
    ) -> ChangeRequest:
        reply = self.http.request(
            "POST", f"{self._issue(project, request.number)}/labels", {"labels": list(labels)}
        )
        names = tuple(str(item.get("name")) for item in reply.data or [] if isinstance(item, dict))
        return replace(request, labels=names or tuple(dict.fromkeys((*request.labels, *labels))))

    def _set_draft(self, request: ChangeRequest, draft: bool) -> None:
        mutation = "convertPullRequestToDraft" if draft else "markPullRequestReadyForReview"
        query = (
            f"mutation($id: ID!) {{ {mutation}(input: {{pullRequestId: $id}}) "
            "{ pullRequest { isDraft } } }"
        )
        reply = self.http.request(
            "POST",
            "",
            {"query": query, "variables": {"id": request.node_id}},
            absolute=graphql_url(self.http.base_url),
        )
        errors = reply.data.get("errors") if isinstance(reply.data, dict) else None
        if errors:
            first = errors[0].get("message") if isinstance(errors[0], dict) else errors[0]
            raise ForgeError(f"GitHub GraphQL {mutation} failed: {first}")

    def comment(self, project: str, number: int, body: str) -> None:
        """Comment on the pull request (its conversation is the issue's)."""
        self.http.request("POST", f"{self._issue(project, number)}/comments", {"body": body})

    def close(self, project: str, number: int, comment: str | None = None) -> None:
        """Comment first, so the reason is there when watchers get the close notification."""
        if comment:
            self.comment(project, number, comment)
        self.http.request("PATCH", f"{self._pulls(project)}/{number}", {"state": "closed"})


def graphql_url(base_url: str) -> str:
    """GitHub's GraphQL endpoint for a REST base URL (``/api/v3`` -> ``/api/graphql``)."""
    base = base_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base.removesuffix("/v3") + "/graphql"
    return base + "/graphql"


def _on_heads(
    found: list[ChangeRequest], head: str | None, head_prefix: str | None
) -> list[ChangeRequest]:
    """The requests of ``head``, or of every branch starting with ``head_prefix``: both
    forges filter by source branch loosely (GitHub by owner:branch, GitLab not by prefix)."""
    return [
        r
        for r in found
        if (head is None or r.head == head)
        and (head_prefix is None or r.head.startswith(head_prefix))
    ]


def _github_request(item: Any) -> ChangeRequest:
    if not isinstance(item, dict):
        raise ForgeError("GitHub answered a pull request call without a pull request")
    state = "merged" if item.get("merged_at") else str(item.get("state", "open"))
    return ChangeRequest(
        number=int(item["number"]),
        url=str(item.get("html_url", "")),
        head=str((item.get("head") or {}).get("ref", "")),
        base=str((item.get("base") or {}).get("ref", "")),
        title=str(item.get("title", "")),
        draft=bool(item.get("draft", False)),
        state=state,
        labels=tuple(str(x.get("name")) for x in item.get("labels") or [] if isinstance(x, dict)),
        node_id=str(item.get("node_id", "")),
    )


# --- GitLab -----------------------------------------------------------------------------


class GitLab:
    """GitLab's REST API v4 (self-hosted at ``https://HOST/api/v4``).

    GitLab marks a draft by its title (``Draft: ...``), so ``draft`` is a title prefix here.
    """

    kind: Kind = "gitlab"

    def __init__(self, transport: Transport) -> None:
        self.http = transport

    def _mrs(self, project: str) -> str:
        return f"/projects/{urllib.parse.quote(project, safe='')}/merge_requests"

    def list_open(
        self, project: str, head: str | None = None, head_prefix: str | None = None
    ) -> list[ChangeRequest]:
        """Open merge requests of ``head`` (or of every branch starting with ``head_prefix``)."""
        query = {"state": "opened", "per_page": "100"}
        if head is not None:
            query["source_branch"] = head
        found = [
            _gitlab_request(item)
            for item in _pages(self.http, self._mrs(project), query)
            if isinstance(item, dict)
        ]
        return _on_heads(found, head, head_prefix)

    def create(
        self,
        project: str,
        head: str,
        base: str,
        title: str,
        body: str,
        draft: bool = False,
        labels: tuple[str, ...] = (),
    ) -> ChangeRequest:
        """Open a merge request; when one is open for ``head`` already, that one is returned."""
        payload: dict[str, Any] = {
            "source_branch": head,
            "target_branch": base,
            "title": _gitlab_title(title, draft),
            "description": body,
        }
        if labels:
            payload["labels"] = ",".join(labels)
        reply = self.http.request("POST", self._mrs(project), payload, allow=(409,))
        if reply.status == 409:  # noqa: PLR2004 - "Another open merge request already exists"
            existing = self.list_open(project, head=head)
            if not existing:
                raise ForgeError(
                    f"GitLab POST {self._mrs(project)} failed: 409 {_message(reply.data)}"
                )
            return self.update(project, existing[0], title, body, draft, add_labels=labels)
        return _gitlab_request(reply.data)

    def update(
        self,
        project: str,
        request: ChangeRequest,
        title: str | None = None,
        body: str | None = None,
        draft: bool | None = None,
        add_labels: tuple[str, ...] = (),
        remove_labels: tuple[str, ...] = (),
    ) -> ChangeRequest:
        """One PUT with whatever changes."""
        payload: dict[str, Any] = {}
        if title is not None or draft is not None:
            plain = title if title is not None else _GITLAB_DRAFT.sub("", request.title, count=1)
            payload["title"] = _gitlab_title(plain, request.draft if draft is None else draft)
        if body is not None:
            payload["description"] = body
        if add_labels:
            payload["add_labels"] = ",".join(add_labels)
        removing = [name for name in remove_labels if name in request.labels]
        if removing:
            payload["remove_labels"] = ",".join(removing)
        if not payload:
            return request
        reply = self.http.request("PUT", f"{self._mrs(project)}/{request.number}", payload)
        return _gitlab_request(reply.data)

    def comment(self, project: str, number: int, body: str) -> None:
        """A note on the merge request."""
        self.http.request("POST", f"{self._mrs(project)}/{number}/notes", {"body": body})

    def close(self, project: str, number: int, comment: str | None = None) -> None:
        """Comment first, then close (``state_event=close``)."""
        if comment:
            self.comment(project, number, comment)
        self.http.request("PUT", f"{self._mrs(project)}/{number}", {"state_event": "close"})


def _gitlab_title(title: str, draft: bool) -> str:
    plain = _GITLAB_DRAFT.sub("", title, count=1)
    return f"Draft: {plain}" if draft else plain


def _gitlab_request(item: Any) -> ChangeRequest:
    if not isinstance(item, dict):
        raise ForgeError("GitLab answered a merge request call without a merge request")
    state = {"opened": "open", "locked": "open"}.get(str(item.get("state")), str(item.get("state")))
    title = str(item.get("title", ""))
    draft = bool(item.get("draft", item.get("work_in_progress", False))) or bool(
        _GITLAB_DRAFT.match(title)
    )
    return ChangeRequest(
        number=int(item["iid"]),
        url=str(item.get("web_url", "")),
        head=str(item.get("source_branch", "")),
        base=str(item.get("target_branch", "")),
        title=title,
        draft=draft,
        state=state,
        labels=tuple(str(x) for x in item.get("labels") or []),
    )


# --- choosing a forge -------------------------------------------------------------------


def _pages(http: Transport, path: str, query: Mapping[str, str]) -> list[Any]:
    reply = http.request("GET", path, query=query)
    items = list(reply.data or [])
    for _ in range(_MAX_PAGES - 1):
        link = reply.next_link()
        if not link:
            break
        reply = http.request("GET", "", absolute=link)
        items.extend(reply.data or [])
    return items


def _quote_path(project: str) -> str:
    return "/".join(urllib.parse.quote(part, safe="") for part in project.split("/"))


@dataclass(frozen=True)
class Remote:
    """Where a git remote lives on a forge: its kind (when the host tells), API and project."""

    host: str
    project: str
    kind: Kind | None
    api_url: str | None


def parse_remote(url: str) -> Remote | None:
    """The forge host and project path of a git remote URL (https, ssh or scp-like).

    github.com and hosts named ``gitlab...`` are recognised; any other host needs the kind
    (and for GitHub Enterprise the API URL) given explicitly. None for a local path.
    """
    scp = re.match(r"^(?:[\w.+-]+@)?(?P<host>[\w.-]+):(?!//)(?P<path>[^\\]+)$", url)
    if "://" in url:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme == "file" or not parts.hostname:
            return None
        host, path = parts.hostname, parts.path
    elif scp and not url.startswith("/"):
        host, path = scp["host"], scp["path"]
    else:
        return None
    project = path.strip("/").removesuffix(".git")
    if not project or "/" not in project:
        return None
    kind: Kind | None = None
    api: str | None = None
    if host == "github.com":
        kind, api = "github", "https://api.github.com"
    elif host.startswith("gitlab."):
        kind, api = "gitlab", f"https://{host}/api/v4"
    return Remote(host, project, kind, api)


def default_api_url(kind: Kind, host: str) -> str:
    """The API of ``host``: github.com's own, else GitHub Enterprise's or GitLab's path."""
    if kind == "github":
        return "https://api.github.com" if host == "github.com" else f"https://{host}/api/v3"
    return f"https://{host}/api/v4"


def token_from_env(kind: Kind, env: str | None = None, purpose: str = "opening") -> str:
    """The API token from ``env`` (default GITHUB_TOKEN / GITLAB_TOKEN); a usage error if unset."""
    name = env or TOKEN_ENV[kind]
    token = os.environ.get(name, "").strip()
    if not token:
        access = "write access to" if purpose == "opening" else "that can read"
        raise UsageError(
            f"{purpose} {_NAMES[kind]} requests needs a token in ${name}",
            hint=f"export {name}=<token {access} pull/merge requests>",
        )
    return token


def client_for_remote(
    remote: Remote,
    *,
    kind: Kind | None = None,
    api_url: str | None = None,
    token_env: str | None = None,
    retry: RetryPolicy | None = None,
    purpose: str = "opening",
) -> Forge:
    """The client for a repository's remote. The options win over what the remote's host
    says, so ``fleet status`` and ``fleet update`` always talk to the same API."""
    chosen = kind or remote.kind
    if chosen is None:
        raise RepositoryError(
            f"cannot tell whether {remote.host} is GitHub or GitLab",
            hint="pass --forge github or --forge gitlab (and --forge-url for its API)",
        )
    api = api_url or (remote.api_url if remote.kind == chosen and remote.api_url else None)
    api = api or default_api_url(chosen, remote.host)
    return client(chosen, api, token_from_env(chosen, token_env, purpose), retry)


def client(
    kind: Kind,
    base_url: str,
    token: str,
    retry: RetryPolicy | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Forge:
    """A GitHub or GitLab client for one API base URL."""
    if not base_url.startswith(("https://", "http://")):
        raise UsageError(f"the forge API URL must be an http(s) URL, not {base_url!r}")
    agent = {"User-Agent": "goldenpath"}
    if kind == "github":
        headers = {
            **agent,
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        return GitHub(Transport(kind, base_url, headers, retry or RetryPolicy(), clock, sleep))
    headers = {**agent, "Accept": "application/json", "PRIVATE-TOKEN": token}
    return GitLab(Transport(kind, base_url, headers, retry or RetryPolicy(), clock, sleep))
