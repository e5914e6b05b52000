"""Contract tests of the forge adapter against a local GitHub/GitLab stand-in on 127.0.0.1.

The stand-in (``forge_server.py``) implements the documented endpoints the adapter uses and
records every request, so each test checks both sides of the contract: what goldenpath
sends (method, path, fields, headers) and what it makes of the documented answers,
including rate limits (403/429) and server errors (5xx), with a fake clock and sleep.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from goldenpath.adapters import forge
from goldenpath.adapters.forge import ForgeError, RetryPolicy
from goldenpath.errors import GoldenpathError, UsageError

from .forge_server import TOKEN, Fault, State, serve

PROJECT = "acme/svc-edited"
GL_PROJECT = "ml/platform/svc-edited"
BRANCH = "goldenpath/update-to-v2.1.1"


@dataclass
class FakeTime:
    """A clock that only moves when slept on; every sleep is recorded."""

    now: float = 1_700_000_000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """urllib honours proxy variables; the stand-in is on loopback."""
    for name in (
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[tuple[str, State]]:
    with serve() as running:
        yield running


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def _github(url: str, fake_time: FakeTime, **retry: float) -> forge.Forge:
    policy = RetryPolicy(**retry)  # type: ignore[arg-type]
    return forge.client("github", f"{url}/gh", TOKEN, policy, fake_time.clock, fake_time.sleep)


def _gitlab(url: str, fake_time: FakeTime) -> forge.Forge:
    return forge.client(
        "gitlab", f"{url}/gl/api/v4", TOKEN, RetryPolicy(), fake_time.clock, fake_time.sleep
    )


# --- GitHub -----------------------------------------------------------------------------


def test_contract_github_create_sends_documented_fields_and_headers(
    server: tuple[str, State], fake_time: FakeTime
) -> None:
    url, state = server
    created = _github(url, fake_time).create(
        PROJECT, BRANCH, "main", "Update to v2.1.1", "notes", draft=True, labels=("goldenpath",)
    )

    post = state.calls("POST", "/pulls")[0]
    assert post.path == f"/gh/repos/{PROJECT}/pulls"
    assert post.body == {
        "title": "Update to v2.1.1",
        "head": BRANCH,
        "base": "main",
        "body": "notes",
        "draft": True,
    }
    assert post.headers["authorization"] == f"Bearer {TOKEN}"
    assert post.headers["accept"] == "application/vnd.github+json"
    assert post.headers["x-github-api-version"] == "2022-11-28"
    assert post.headers["content-type"] == "application/json"
    assert state.calls("POST", "/issues/1/labels")[0].body == {"labels": ["goldenpath"]}
    assert (created.number, created.head, created.base, created.draft) == (1, BRANCH, "main", True)
    assert created.labels == ("goldenpath",)
    assert created.url == f"https://github.test/{PROJECT}/pull/1"


def test_contract_github_list_by_head_and_prefix_follows_pagination(
    server: tuple[str, State], fake_time: FakeTime
) -> None:
    url, state = server
    client = _github(url, fake_time)
    for n, branch in enumerate(["goldenpath/update-to-v2.0.0", "feature/x", BRANCH]):
        client.create(PROJECT, branch, "main", f"pr {n}", "")
    state.page_size = 1  # three pages for three requests

    by_head = client.list_open(PROJECT, head=BRANCH)
    by_prefix = client.list_open(PROJECT, head_prefix="goldenpath/update-to-")

    assert [r.head for r in by_head] == [BRANCH]
    assert state.calls("GET")[0].query == {
        "state": "open",
        "per_page": "100",
        "head": f"acme:{BRANCH}",
    }
    assert sorted(r.head for r in by_prefix) == ["goldenpath/update-to-v2.0.0", BRANCH]
    pages = [c.query.get("page", "1") for c in state.calls("GET")[1:]]
    assert pages == ["1", "2", "3"]  # the Link rel="next" chain, followed to its end


def test_contract_github_update_title_body_draft_and_labels(
    server: tuple[str, State], fake_time: FakeTime
) -> None:
    url, state = server
    client = _github(url, fake_time)
    created = client.create(
        PROJECT, BRANCH, "main", "t", "b", draft=True, labels=("needs-resolution",)
    )

    ready = client.update(
        PROJECT,
        created,
        title="Update to v2.1.1",
        body="new body",
        draft=False,
        add_labels=("goldenpath",),
        remove_labels=("needs-resolution",),
    )

    assert state.calls("PATCH")[0].body == {"title": "Update to v2.1.1", "body": "new body"}
    graphql = state.calls("POST", "/graphql")[0]
    assert "markPullRequestReadyForReview" in graphql.body["query"]
    assert graphql.body["variables"] == {"id": "PR_1"}
    assert state.calls("DELETE")[0].path == f"/gh/repos/{PROJECT}/issues/1/labels/needs-resolution"
    assert (ready.title, ready.draft, ready.labels) == ("Update to v2.1.1", False, ("goldenpath",))
    stored = state.pulls[PROJECT][0]
    assert (stored["draft"], [x["name"] for x in stored["labels"]]) == (False, ["goldenpath"])

    again = client.update(PROJECT, ready, draft=True)
    assert "convertPullRequestToDraft" in state.calls("POST", "/graphql")[1].body["query"]
    assert again.draft
    assert stored["draft"]


def test_contract_github_graphql_url_for_enterprise() -> None:
    assert forge.graphql_url("https://api.github.com") == "https://api.github.com/graphql"
    assert (
        forge.graphql_url("https://ghe.example.org/api/v3/")
        == "https://ghe.example.org/api/graphql"
    )


def test_contract_github_close_comments_first_then_closes(
    server: tuple[str, State], fake_time: FakeTime
) -> None:
    url, state = server
    client = _github(url, fake_time)
    old = client.create(PROJECT, "goldenpath/update-to-v2.0.0", "main", "old", "")

    client.close(PROJECT, old.number, comment="Superseded by https://github.test/acme/pull/2")

    calls = [(c.method, c.path) for c in state.requests[-2:]]
    assert calls == [
        ("POST", f"/gh/repos/{PROJECT}/issues/1/comments"),
        ("PATCH", f"/gh/repos/{PROJECT}/pulls/1"),
    ]
    assert state.requests[-1].body == {"state": "closed"}
    assert state.comments[(PROJECT, 1)] == ["Superseded by https://github.test/acme/pull/2"]
    assert client.list_open(PROJECT) == []


def test_contract_github_create_when_one_is_open_returns_it(
    server: tuple[str, State], fake_time: FakeTime
) -> None:
    """A create retried after a lost answer meets GitHub's 422 "already exists"."""
    url, state = server
    client = _github(url, fake_time)
    first = client.create(PROJECT, BRANCH, "main", "t", "b")

    second = client.create(PROJECT, BRANCH, "main", "t2", "b2")

    assert second.number == first.number
    assert len(state.pulls[PROJECT]) == 1
    assert state.pulls[PROJECT][0]["title"] == "t2"


def test_contract_github_validation_error_is_one_line(
    server: tuple[str, State], fake_time: FakeTime
) -> None:
    url, _ = server
    with pytest.raises(ForgeError) as caught:
        _github(url, fake_time).create(PROJECT, BRANCH, "", "t", "b")
    assert caught.value.message == (
        f"GitHub POST /repos/{PROJECT}/pulls failed: 422 Validation Failed: missing_field"
    )
    assert "\n" not in caught.value.message


def test_contract_github_403_rate_limit_waits_until_reset(
    server: tuple[str, State], fake_time: FakeTime
) -> None:
    url, state = server
    reset = int(fake_time.now) + 42
    state.faults.append(
        Fault(
            403,
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
            {"message": "API rate limit exceeded for user ID 1."},
        )
    )

    found = _github(url, fake_time).list_open(PROJECT)

    assert found == []
    assert fake_time.sleeps == [43.0]  # until the reset second has passed, not a guess
    assert len(state.calls("GET")) == 2


def test_contract_429_honours_retry_after(server: tuple[str, State], fake_time: FakeTime) -> None:
    url, state = server
    state.faults.append(Fault(429, {"Retry-After": "7"}, {"message": "slow down"}))

    _github(url, fake_time).create(PROJECT, BRANCH, "main", "t", "b")

    assert fake_time.sleeps == [7.0]
    assert len(state.pulls[PROJECT]) == 1


def test_contract_secondary_rate_limit_without_headers_waits_a_minute(
    server: tuple[str, State], fake_time: FakeTime
) -> None:
    url, state = server
    state.faults.append(
        Fault(403, {}, {"message": "You have exceeded a secondary rate limit. Please wait."})
    )
    _github(url, fake_time).list_open(PROJECT)
    assert fake_time.sleeps == [60.0]


def test_contract_rate_limit_beyond_max_wait_fails_at_once_with_the_reset_time(
    server: tuple[str, State], fake_time: FakeTime
) -> None:
    url, state = server
    state.faults.append(
        Fault(
            403,
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(fake_time.now) + 3599)},
            {"message": "API rate limit exceeded"},
        )
    )
    with pytest.raises(ForgeError) as caught:
        _github(url, fake_time, max_wait=600).list_open(PROJECT)
    assert fake_time.sleeps == []
    assert "rate limited for 3600 s more" in caught.value.message
    assert "longer than the 600 s goldenpath waits" in caught.value.message


def test_contract_5xx_retried_with_exponential_backoff(
    server: tuple[str, State], fake_time: FakeTime
) -> None:
    url, state = server
    state.faults.extend([Fault(502), Fault(503), Fault(500)])

    created = _github(url, fake_time).create(PROJECT, BRANCH, "main", "t", "b")

    assert created.number == 1
    assert fake_time.sleeps == [1.0, 2.0, 4.0]
    assert len(state.calls("POST", "/pulls")) == 4


def test_contract_5xx_retries_are_bounded(server: tuple[str, State], fake_time: FakeTime) -> None:
    url, state = server
    state.faults.extend([Fault(502, body={"message": "Bad Gateway"})] * 10)

    with pytest.raises(ForgeError) as caught:
        _github(url, fake_time, attempts=3).list_open(PROJECT)

    assert len(state.calls("GET")) == 3
    assert fake_time.sleeps == [1.0, 2.0]
    assert caught.value.message == (
        f"GitHub GET /repos/{PROJECT}/pulls failed: 502 Bad Gateway (gave up after 3 attempts)"
    )


def test_contract_403_without_rate_limit_is_not_retried(
    server: tuple[str, State], fake_time: FakeTime
) -> None:
    url, state = server
    state.faults.append(Fault(403, {}, {"message": "Resource not accessible by integration"}))
    with pytest.raises(ForgeError) as caught:
        _github(url, fake_time).create(PROJECT, BRANCH, "main", "t", "b")
    assert fake_time.sleeps == []
    assert len(state.requests) == 1
    assert "403 Resource not accessible by integration" in caught.value.message
    assert "write access" in caught.value.hint


def test_contract_bad_token_is_401_with_a_hint_and_no_token_in_the_message(
    server: tuple[str, State], fake_time: FakeTime
) -> None:
    url, _ = server
    client = forge.client(
        "github", f"{url}/gh", "wrong-token", None, fake_time.clock, fake_time.sleep
    )
    with pytest.raises(GoldenpathError) as caught:
        client.list_open(PROJECT)
    assert "401 Bad credentials" in caught.value.message
    assert "GITHUB_TOKEN" in caught.value.hint
    assert "wrong-token" not in caught.value.message + caught.value.hint


def test_contract_unreachable_forge_is_retried_then_one_line(fake_time: FakeTime) -> None:
    client = forge.client(
        "github",
        "http://127.0.0.1:9",
        TOKEN,
        RetryPolicy(attempts=2),
        fake_time.clock,
        fake_time.sleep,
    )
    with pytest.raises(ForgeError) as caught:
        client.list_open(PROJECT)
    assert fake_time.sleeps == [1.0]
    assert "(gave up after 2 attempts)" in caught.value.message
    assert "\n" not in caught.value.message


def test_contract_next_page_link_to_another_host_is_refused(
    server: tuple[str, State], fake_time: FakeTime
) -> None:
    url, state = server
    state.faults.append(Fault(200, {"Link": '<https://evil.example/next>; rel="next"'}, []))
    with pytest.raises(ForgeError, match="next-page link to another host"):
        _github(url, fake_time).list_open(PROJECT)


# --- GitLab -----------------------------------------------------------------------------


def test_contract_gitlab_create_list_update_close(
    server: tuple[str, State], fake_time: FakeTime
) -> None:
    url, state = server
    client = _gitlab(url, fake_time)

    created = client.create(
        GL_PROJECT,
        BRANCH,
        "main",
        "Update to v2.1.1",
        "notes",
        draft=True,
        labels=("needs-resolution",),
    )

    post = state.calls("POST", "/merge_requests")[0]
    assert post.path == "/gl/api/v4/projects/ml%2Fplatform%2Fsvc-edited/merge_requests"
    assert post.headers["private-token"] == TOKEN
    assert "authorization" not in post.headers
    assert post.body == {
        "source_branch": BRANCH,
        "target_branch": "main",
        "title": "Draft: Update to v2.1.1",
        "description": "notes",
        "labels": "needs-resolution",
    }
    assert (created.number, created.draft, created.labels) == (1, True, ("needs-resolution",))

    listed = client.list_open(GL_PROJECT, head=BRANCH)
    assert [r.number for r in listed] == [1]
    assert state.calls("GET")[0].query == {
        "state": "opened",
        "per_page": "100",
        "source_branch": BRANCH,
    }

    ready = client.update(
        GL_PROJECT, created, draft=False, body="resolved", remove_labels=("needs-resolution",)
    )
    put = state.calls("PUT")[0]
    assert put.body == {
        "title": "Update to v2.1.1",
        "description": "resolved",
        "remove_labels": "needs-resolution",
    }
    assert (ready.title, ready.draft, ready.labels) == ("Update to v2.1.1", False, ())

    client.close(GL_PROJECT, 1, comment="Superseded by !2")
    assert [(c.method, c.path.rsplit("/", 1)[-1]) for c in state.requests[-2:]] == [
        ("POST", "notes"),
        ("PUT", "1"),
    ]
    assert state.requests[-1].body == {"state_event": "close"}
    assert state.comments[(GL_PROJECT, 1)] == ["Superseded by !2"]
    assert client.list_open(GL_PROJECT) == []


def test_contract_gitlab_duplicate_409_returns_the_open_one(
    server: tuple[str, State], fake_time: FakeTime
) -> None:
    url, state = server
    client = _gitlab(url, fake_time)
    first = client.create(GL_PROJECT, BRANCH, "main", "t", "b")
    second = client.create(GL_PROJECT, BRANCH, "main", "t", "b2", draft=True)
    assert second.number == first.number
    assert second.draft
    assert len(state.pulls[GL_PROJECT]) == 1


def test_contract_gitlab_429_with_ratelimit_reset(
    server: tuple[str, State], fake_time: FakeTime
) -> None:
    url, state = server
    state.faults.append(
        Fault(429, {"RateLimit-Reset": str(int(fake_time.now) + 9)}, {"message": "Retry later"})
    )
    _gitlab(url, fake_time).list_open(GL_PROJECT)
    assert fake_time.sleeps == [10.0]


# --- choosing the forge ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        (
            "https://github.com/acme/svc.git",
            ("github.com", "acme/svc", "github", "https://api.github.com"),
        ),
        (
            "git@github.com:acme/svc.git",
            ("github.com", "acme/svc", "github", "https://api.github.com"),
        ),
        (
            "ssh://git@gitlab.example.org:2222/ml/platform/svc.git",
            (
                "gitlab.example.org",
                "ml/platform/svc",
                "gitlab",
                "https://gitlab.example.org/api/v4",
            ),
        ),
        ("https://git.corp.example/ml/svc", ("git.corp.example", "ml/svc", None, None)),
    ],
)
def test_contract_remote_urls_name_host_and_project(
    remote: str, expected: tuple[str, str, str | None, str | None]
) -> None:
    parsed = forge.parse_remote(remote)
    assert parsed is not None
    assert (parsed.host, parsed.project, parsed.kind, parsed.api_url) == expected


@pytest.mark.parametrize("remote", ["/srv/git/svc.git", "file:///srv/git/svc.git", "../svc"])
def test_contract_local_remotes_have_no_forge(remote: str) -> None:
    assert forge.parse_remote(remote) is None


def test_contract_enterprise_api_urls() -> None:
    assert forge.default_api_url("github", "ghe.corp") == "https://ghe.corp/api/v3"
    assert forge.default_api_url("gitlab", "git.corp") == "https://git.corp/api/v4"


def test_contract_token_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITLAB_TOKEN", raising=False)
    with pytest.raises(UsageError, match=r"needs a token in \$GITLAB_TOKEN"):
        forge.token_from_env("gitlab")
    monkeypatch.setenv("FLEET_BOT_TOKEN", "abc")
    assert forge.token_from_env("github", "FLEET_BOT_TOKEN") == "abc"
