"""A local stand-in for the GitHub and GitLab REST endpoints a fleet update calls.

It runs on 127.0.0.1 in a thread, keeps pull/merge requests in memory, records every
request, and answers like the documented APIs do: the same paths, fields, status codes
(201 on create, 422 / 409 for a duplicate, 401 without the token, 404 for a missing label),
GitHub's ``Link`` pagination and GitLab's ``Draft:`` titles. ``faults`` queues canned
answers (a rate limit, a 502...) that the next requests get before the normal handling.

GitHub routes (under ``/gh``): ``GET/POST /repos/{owner}/{repo}/pulls``,
``PATCH /repos/{owner}/{repo}/pulls/{n}``, ``POST /repos/{owner}/{repo}/issues/{n}/comments``,
``POST /repos/{owner}/{repo}/issues/{n}/labels``,
``DELETE /repos/{owner}/{repo}/issues/{n}/labels/{name}``, ``POST /graphql``
(``convertPullRequestToDraft`` / ``markPullRequestReadyForReview``).
GitLab routes (under ``/gl/api/v4``): ``GET/POST /projects/{id}/merge_requests``,
``PUT /projects/{id}/merge_requests/{iid}``, ``POST /projects/{id}/merge_requests/{iid}/notes``.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "test-token-123"  # noqa: S105 - the stand-in's only valid token


@dataclass
class Recorded:
    """One request as the server saw it (header names in lower case)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Fault:
    """A canned answer for the next request (optionally only for ``method``)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    method: str | None = None


@dataclass
class State:
    """What the fake forge holds."""

    requests: list[Recorded] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    pulls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # project -> items
    comments: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    page_size: int = 100
    lock: threading.Lock = field(default_factory=threading.Lock)

    def calls(self, method: str | None = None, contains: str = "") -> list[Recorded]:
        """Recorded requests, filtered by method and a path fragment."""
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and contains in r.path
        ]

    def seed(self, project: str, item: dict[str, Any]) -> None:
        """Put a request in place as if someone had opened it before."""
        self.pulls.setdefault(project, []).append(item)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``state.requests`` instead."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        parts = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        state = self.server.state
        with state.lock:
            state.requests.append(
                Recorded(
                    method,
                    parts.path,
                    dict(urllib.parse.parse_qsl(parts.query)),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
            )
            fault = next(
                (f for f in state.faults if f.method in {None, method}),
                None,
            )
            if fault is not None:
                state.faults.remove(fault)
                self._reply(fault.status, fault.body, fault.headers)
                return
            try:
                status, data, headers = _route(self, state, method, parts, body)
            except KeyError as exc:
                status, data, headers = 404, {"message": f"Not Found: {exc}"}, {}
        self._reply(status, data, headers)

    def _reply(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(data).encode() if data is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    state: State


Reply = tuple[int, Any, dict[str, str]]


def _route(
    handler: _Handler,
    state: State,
    method: str,
    parts: urllib.parse.SplitResult,
    body: Any,
) -> Reply:
    path = parts.path
    query = dict(urllib.parse.parse_qsl(parts.query))
    if path.startswith("/gh/"):
        if handler.headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {"message": "Bad credentials"}, {}
        return _github(handler, state, method, path.removeprefix("/gh"), query, body)
    if path.startswith("/gl/api/v4/"):
        if handler.headers.get("PRIVATE-TOKEN") != TOKEN:
            return 401, {"message": "401 Unauthorized"}, {}
        return _gitlab(handler, state, method, path.removeprefix("/gl/api/v4"), query, body)
    return 404, {"message": "Not Found"}, {}


def _page(
    handler: _Handler, state: State, items: list[dict[str, Any]], query: dict[str, str]
) -> Reply:
    size = min(int(query.get("per_page", "30")), state.page_size)
    page = int(query.get("page", "1"))
    chunk = items[(page - 1) * size : page * size]
    headers: dict[str, str] = {}
    if page * size < len(items):
        host = handler.headers.get("Host")
        nxt = {**query, "page": str(page + 1)}
        base = urllib.parse.urlsplit(handler.path).path
        headers["Link"] = (
            f'<http://{host}{base}?{urllib.parse.urlencode(nxt)}>; rel="next", '
            f'<http://{host}{base}?page=1>; rel="first"'
        )
    return 200, chunk, headers


# --- GitHub -----------------------------------------------------------------------------

_GH_PULLS = re.compile(r"^/repos/(?P<project>[^/]+/[^/]+)/pulls(?:/(?P<n>\d+))?$")
_GH_ISSUE = re.compile(
    r"^/repos/(?P<project>[^/]+/[^/]+)/issues/(?P<n>\d+)/(?P<what>comments|labels)(?:/(?P<label>[^/]+))?$"
)


def _github(  # noqa: PLR0911, PLR0912 - one route table, read top to bottom
    handler: _Handler, state: State, method: str, path: str, query: dict[str, str], body: Any
) -> Reply:
    if path == "/graphql" and method == "POST":
        return _github_graphql(state, body)
    match = _GH_PULLS.match(path)
    if match:
        project = urllib.parse.unquote(match["project"])
        pulls = state.pulls.setdefault(project, [])
        if match["n"] is None and method == "GET":
            items = [p for p in pulls if p["state"] == query.get("state", "open")]
            if "head" in query:
                items = [
                    p
                    for p in items
                    if f"{project.split('/')[0]}:{p['head']['ref']}" == query["head"]
                ]
            return _page(handler, state, items, query)
        if match["n"] is None and method == "POST":
            missing = [k for k in ("title", "head", "base") if not (body or {}).get(k)]
            if missing:
                return (
                    422,
                    {
                        "message": "Validation Failed",
                        "errors": [{"field": missing[0], "code": "missing_field"}],
                    },
                    {},
                )
            owner = project.partition("/")[0]
            if any(p["head"]["ref"] == body["head"] and p["state"] == "open" for p in pulls):
                return (
                    422,
                    {
                        "message": "Validation Failed",
                        "errors": [
                            {
                                "message": "A pull request already exists for "
                                f"{owner}:{body['head']}."
                            }
                        ],
                    },
                    {},
                )
            number = 1 + max((p["number"] for p in _all(state)), default=0)
            item = {
                "number": number,
                "node_id": f"PR_{number}",
                "html_url": f"https://github.test/{project}/pull/{number}",
                "state": "open",
                "title": body["title"],
                "body": body.get("body"),
                "draft": bool(body.get("draft", False)),
                "head": {"ref": body["head"]},
                "base": {"ref": body["base"]},
                "labels": [],
                "merged_at": None,
            }
            pulls.append(item)
            return 201, item, {}
        if match["n"] is not None and method == "PATCH":
            item = _find(pulls, "number", int(match["n"]))
            for key in ("title", "body", "state"):
                if key in (body or {}):
                    item[key] = body[key]
            return 200, item, {}
    match = _GH_ISSUE.match(path)
    if match:
        project = urllib.parse.unquote(match["project"])
        item = _find(state.pulls.get(project, []), "number", int(match["n"]))
        if match["what"] == "comments" and method == "POST":
            state.comments.setdefault((project, item["number"]), []).append(body["body"])
            return 201, {"id": 1, "body": body["body"]}, {}
        if match["what"] == "labels" and method == "POST" and match["label"] is None:
            for name in body["labels"]:
                if name not in [x["name"] for x in item["labels"]]:
                    item["labels"].append({"name": name})
            return 200, item["labels"], {}
        if match["what"] == "labels" and method == "DELETE" and match["label"]:
            name = urllib.parse.unquote(match["label"])
            if name not in [x["name"] for x in item["labels"]]:
                return 404, {"message": "Label does not exist"}, {}
            item["labels"] = [x for x in item["labels"] if x["name"] != name]
            return 200, item["labels"], {}
    return 404, {"message": "Not Found"}, {}


def _github_graphql(state: State, body: Any) -> Reply:
    query = str((body or {}).get("query", ""))
    node = str(((body or {}).get("variables") or {}).get("id", ""))
    item = next((p for p in _all(state) if p["node_id"] == node), None)
    if item is None:
        return (
            200,
            {
                "data": None,
                "errors": [
                    {"message": f"Could not resolve to a node with the global id of '{node}'"}
                ],
            },
            {},
        )
    if "convertPullRequestToDraft" in query:
        item["draft"] = True
        return 200, {"data": {"convertPullRequestToDraft": {"pullRequest": {"isDraft": True}}}}, {}
    if "markPullRequestReadyForReview" in query:
        item["draft"] = False
        return (
            200,
            {"data": {"markPullRequestReadyForReview": {"pullRequest": {"isDraft": False}}}},
            {},
        )
    return 200, {"errors": [{"message": "unknown mutation"}]}, {}


def _all(state: State) -> Iterator[dict[str, Any]]:
    for items in state.pulls.values():
        yield from items


def _find(items: list[dict[str, Any]], key: str, value: int) -> dict[str, Any]:
    for item in items:
        if item.get(key) == value:
            return item
    raise KeyError(f"{key} {value}")


# --- GitLab -----------------------------------------------------------------------------

_GL_MRS = re.compile(
    r"^/projects/(?P<project>[^/]+)/merge_requests(?:/(?P<iid>\d+)(?:/(?P<what>notes))?)?$"
)


def _gitlab(  # noqa: PLR0911, PLR0912 - one route table, read top to bottom
    handler: _Handler, state: State, method: str, path: str, query: dict[str, str], body: Any
) -> Reply:
    # The project id is one URL-encoded path segment ("group%2Fname"); the raw path keeps it.
    raw_path = urllib.parse.urlsplit(handler.path).path.removeprefix("/gl/api/v4")
    match = _GL_MRS.match(raw_path)
    if not match:
        return 404, {"message": "404 Not Found"}, {}
    project = urllib.parse.unquote(match["project"])
    mrs = state.pulls.setdefault(project, [])
    if match["iid"] is None and method == "GET":
        items = [m for m in mrs if m["state"] == query.get("state", "opened")]
        if "source_branch" in query:
            items = [m for m in items if m["source_branch"] == query["source_branch"]]
        return _page(handler, state, items, query)
    if match["iid"] is None and method == "POST":
        missing = [
            k for k in ("source_branch", "target_branch", "title") if not (body or {}).get(k)
        ]
        if missing:
            return 400, {"message": f"{missing[0]} is missing"}, {}
        clash = next(
            (
                m
                for m in mrs
                if m["source_branch"] == body["source_branch"] and m["state"] == "opened"
            ),
            None,
        )
        if clash is not None:
            return (
                409,
                {
                    "message": [
                        "Another open merge request already exists for this source branch: "
                        f"!{clash['iid']}"
                    ]
                },
                {},
            )
        iid = 1 + max((m["iid"] for m in mrs), default=0)
        item = {
            "iid": iid,
            "web_url": f"https://gitlab.test/{project}/-/merge_requests/{iid}",
            "state": "opened",
            "title": body["title"],
            "description": body.get("description"),
            "draft": str(body["title"]).startswith("Draft:"),
            "source_branch": body["source_branch"],
            "target_branch": body["target_branch"],
            "labels": [x for x in str(body.get("labels", "")).split(",") if x],
        }
        mrs.append(item)
        return 201, item, {}
    item = _find(mrs, "iid", int(match["iid"]))
    if match["what"] == "notes" and method == "POST":
        state.comments.setdefault((project, item["iid"]), []).append(body["body"])
        return 201, {"id": 1, "body": body["body"]}, {}
    if match["what"] is None and method == "PUT":
        body = body or {}
        if "title" in body:
            item["title"] = body["title"]
            item["draft"] = str(body["title"]).startswith("Draft:")
        if "description" in body:
            item["description"] = body["description"]
        if body.get("state_event") == "close":
            item["state"] = "closed"
        for name in str(body.get("add_labels", "")).split(","):
            if name and name not in item["labels"]:
                item["labels"].append(name)
        for name in str(body.get("remove_labels", "")).split(","):
            if name in item["labels"]:
                item["labels"].remove(name)
        return 200, item, {}
    return 404, {"message": "404 Not Found"}, {}


@contextmanager
def serve() -> Iterator[tuple[str, State]]:
    """Run the fake forge; yields its base URL (``http://127.0.0.1:PORT``) and state."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = State()
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
