"""Contract tests of ``goldenpath fleet status --forge-prs`` against the local GitHub stand-in
(``forge_server.py``): each update branch gets its open pull request (number, URL, open or
draft, needs-resolution), one list call per repository, a forge error is that repository's
note, and without the flag no forge is asked.

The repositories look like forge clones: two local clones whose ``origin`` is a GitHub-style
URL (status never fetches local clones, so the URL need not resolve) and one fleet-file URL
entry that git reaches in its bare remote through ``insteadOf``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from goldenpath.adapters import forge
from goldenpath.adapters.forge import ChangeRequest, RetryPolicy
from goldenpath.cli import app, common
from goldenpath.fleet import inventory, report
from goldenpath.fleet import status as status_service
from goldenpath.fleet import update as fleet_update
from goldenpath.fleet.inventory import RepoEntry
from goldenpath.fleet.status import FleetStatus, ProjectStatus, RepoStatus, UpdateBranch
from goldenpath.fleet.update import ForgeOptions

from . import forge_server
from .fleet_factory import Fleet, git
from .forge_server import TOKEN, State, serve

pytestmark = pytest.mark.xdist_group("fleet-status-forge")

STALE = "goldenpath/update-to-v2.1.0"  # the fleet's pushed update branch of svc-stale-branch
NEWER = "goldenpath/update-to-v2.1.1"  # pushed after the clone's last fetch: git does not know
STALE_URL = "https://github.test/acme/svc-stale-branch.git"
TITLE = '<b>"update" & more</b>'


def _pull(number: int, head: str, *, draft: bool = False, **extra: Any) -> dict[str, Any]:
    """A pull request as GitHub lists it."""
    return {
        "number": number,
        "node_id": f"PR_{number}",
        "html_url": f"https://github.test/acme/svc-stale-branch/pull/{number}",
        "state": "open",
        "title": f"goldenpath: update svc ({number})",
        "body": "",
        "draft": draft,
        "head": {"ref": head},
        "base": {"ref": "main"},
        "labels": [{"name": "goldenpath"}],
        "merged_at": None,
        **extra,
    }


@pytest.fixture(scope="module")
def forge_fleet(fleet: Fleet) -> Fleet:
    """The module's fleet with two clones whose origin is on the (stand-in) forge."""
    for name in ("svc-current", "svc-edited"):
        git(fleet[name].clone, "remote", "set-url", "origin", f"https://github.test/acme/{name}")
    return fleet


@pytest.fixture
def server(forge_fleet: Fleet, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, State]]:
    """The stand-in with svc-stale-branch's requests; svc-edited's list answers 500 (its
    route wrapped here: the stand-in's queued faults hit whichever request comes next)."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", f"url.{forge_fleet['svc-stale-branch'].url}.insteadOf")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", STALE_URL)
    real = forge_server._github

    def failing_for_svc_edited(
        handler: Any, state: State, method: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        if path.startswith("/repos/acme/svc-edited/"):
            return 500, {"message": "Server Error"}, {}
        return real(handler, state, method, path, query, body)

    monkeypatch.setattr(forge_server, "_github", failing_for_svc_edited)
    with serve() as (url, state):
        labels = [{"name": "goldenpath"}, {"name": "needs-resolution"}]
        state.seed("acme/svc-stale-branch", _pull(7, STALE, draft=True, labels=labels))
        state.seed("acme/svc-stale-branch", _pull(8, NEWER, title=TITLE))
        state.seed("acme/svc-stale-branch", _pull(5, "feature/faster"))  # not an update
        state.seed("acme/svc-stale-branch", _pull(3, "goldenpath/update-to-v2.0.0", state="closed"))
        yield url, state


def _entries(fleet: Fleet) -> list[RepoEntry]:
    return [
        RepoEntry("svc-stale-branch", STALE_URL, None),
        inventory.entry_for(fleet["svc-current"].clone),
        inventory.entry_for(fleet["svc-edited"].clone),
        inventory.entry_for(fleet["plain-lib"].clone),  # origin is a folder: no forge
    ]


def _list_calls(state: State) -> dict[str, int]:
    counts: dict[str, int] = {}
    for call in state.calls("GET", "/pulls"):
        project = call.path.removeprefix("/gh/repos/").removesuffix("/pulls")
        counts[project] = counts.get(project, 0) + 1
    return counts


def test_contract_forge_prs_draft_needs_resolution_none_and_500_as_a_note(
    forge_fleet: Fleet, server: tuple[str, State]
) -> None:
    url, state = server
    options = ForgeOptions(
        kind="github", api_url=f"{url}/gh", retry=RetryPolicy(attempts=2, base_delay=0.0)
    )
    result = status_service.status(_entries(forge_fleet), forge_prs=options)
    data = json.loads(json.dumps(result.to_dict()))
    repos = {r["name"]: r for r in data["repositories"]}

    # one list call per repository (the failing one retried once), none for a folder remote
    assert _list_calls(state) == {
        "acme/svc-stale-branch": 1,
        "acme/svc-current": 1,
        "acme/svc-edited": 2,
    }
    assert state.calls("GET", "/pulls")[0].query == {"state": "open", "per_page": "100"}
    assert data["forge_prs"] is True

    stale = repos["svc-stale-branch"]
    assert stale["forge"] == {
        "kind": "github",
        "project": "acme/svc-stale-branch",
        "open_requests": 2,
        "error": None,
    }
    branches = stale["projects"][0]["update_branches"]
    assert [(b["name"], b["state"], b["local"], b["remote"]) for b in branches] == [
        (STALE, "pushed", False, True),
        (NEWER, "pushed", False, True),  # known from the forge only
    ]
    assert branches[0]["request"] == {
        "number": 7,
        "url": "https://github.test/acme/svc-stale-branch/pull/7",
        "state": "draft",
        "needs_resolution": True,
        "labels": ["goldenpath", "needs-resolution"],
        "title": "goldenpath: update svc (7)",
    }
    newer = branches[1]["request"]
    assert (newer["number"], newer["state"], newer["needs_resolution"]) == (8, "open", False)
    assert newer["url"] == "https://github.test/acme/svc-stale-branch/pull/8"
    assert stale["projects"][0]["forge_error"] is None

    current = repos["svc-current"]
    assert current["forge"]["open_requests"] == 0
    assert current["forge"]["error"] is None
    assert current["update_branches"] == []

    edited = repos["svc-edited"]
    error = edited["forge"]["error"]
    assert error["message"] == (
        "GitHub GET /repos/acme/svc-edited/pulls failed: 500 Server Error "
        "(gave up after 2 attempts)"
    )
    assert edited["projects"][0]["forge_error"] == error
    # the note does not hide the row: the catalog facts are all there
    assert (edited["projects"][0]["outcome"], edited["projects"][0]["current"]) == (
        "behind",
        "1.0.0",
    )
    assert (edited["outcome"], edited["error"]) == ("catalog", None)
    assert {"where": "svc-edited", "reason": f"pull requests not listed: {error['message']}"} in (
        data["attention"]
    )

    assert repos["plain-lib"]["forge"] is None
    assert repos["plain-lib"]["projects"][0]["forge_error"] is None
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in state.requests)


def test_contract_forge_prs_command_table_json_and_html_link(
    forge_fleet: Fleet,
    server: tuple[str, State],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, state = server
    fleet_file = forge_fleet.write_fleet_file(
        tmp_path / "forge.yml",
        [{"url": STALE_URL}, {"path": str(forge_fleet["svc-current"].clone)}],
    )
    html = tmp_path / "report.html"
    args = ["--fleet", str(fleet_file), "--forge-prs", "--forge", "github"]
    args += ["--forge-url", f"{url}/gh"]

    code, output = _invoke(*args, "--json", "--html", str(html))
    assert code == 0, output
    data = json.loads(output)
    stale = data["repositories"][0]["projects"][0]["update_branches"]
    assert [(b["request"]["number"], b["request"]["state"]) for b in stale] == [
        (7, "draft"),
        (8, "open"),
    ]

    page = html.read_text(encoding="utf-8")
    assert (
        f"{STALE} (pushed, "
        '<a href="https://github.test/acme/svc-stale-branch/pull/7" '
        'title="goldenpath: update svc (7)">#7</a> draft, needs-resolution)'
    ) in page
    # the forge's text is escaped, never markup
    assert 'title="&lt;b&gt;&quot;update&quot; &amp; more&lt;/b&gt;">#8</a> open)' in page
    assert TITLE not in page
    assert "with the open pull/merge request the forge lists" in page

    code, output = _invoke(*args, "--json")
    assert code == 0
    assert _list_calls(state) == {"acme/svc-stale-branch": 2, "acme/svc-current": 2}

    _width(monkeypatch, 250)  # one line per row
    code, text = _invoke(*args)
    assert code == 0, text
    assert f" {STALE} (pushed, #7 draft, needs-resolution), {NEWER} (pushed, #8 open)\n" in text
    _width(monkeypatch, 80)  # folded, never cut
    code, text = _invoke(*args)
    assert "…" not in text
    assert "needs-resolution" in "".join(text.split())


def test_a_forge_error_is_the_rows_note_in_the_table_and_the_report(
    forge_fleet: Fleet,
    server: tuple[str, State],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, _ = server
    monkeypatch.setenv("WRONG_TOKEN", "not-the-token")  # 401: final at once, no retry
    _width(monkeypatch, 250)
    html = tmp_path / "report.html"
    code, text = _invoke(
        "--discover", str(forge_fleet.clones), "--forge-prs", "--forge", "github",
        "--forge-url", f"{url}/gh", "--token-env", "WRONG_TOKEN", "--html", str(html),
    )  # fmt: skip
    assert code == 3
    message = "GitHub GET /repos/acme/svc-current/pulls failed: 401 Bad credentials"
    row = next(line for line in text.splitlines() if line.startswith("svc-current "))
    assert f"pull requests not listed: {message}" in row
    assert f"  svc-current: pull requests not listed: {message}\n" in text  # needs attention
    assert "plain-lib: pull requests" not in text  # a folder remote: not looked up
    assert f'<td class="notes">pull requests not listed: {message}</td>' in html.read_text(
        encoding="utf-8"
    )


def test_without_the_flag_no_forge_is_asked(
    forge_fleet: Fleet, server: tuple[str, State], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, state = server

    def no_client(*args: object, **kwargs: object) -> forge.Forge:
        raise AssertionError("a forge client was made without --forge-prs")

    monkeypatch.setattr(forge, "client", no_client)
    result = status_service.status(_entries(forge_fleet))
    assert state.requests == []
    assert result.forge_prs is False
    assert all(r.forge is None for r in result.repositories)
    stale = result.repositories[0].update_branches
    assert [(b.name, b.request) for b in stale] == [(STALE, None)]
    assert "(no forge was asked)" in report.render(result)


def test_an_unknown_host_without_forge_is_a_note(
    forge_fleet: Fleet, server: tuple[str, State]
) -> None:
    _, state = server
    entry = inventory.entry_for(forge_fleet["svc-current"].clone)
    result = status_service.status([entry], forge_prs=ForgeOptions())
    lookup = result.repositories[0].forge
    assert lookup is not None
    assert lookup.error is not None
    assert lookup.error.message == "cannot tell whether github.test is GitHub or GitLab"
    assert state.requests == []


def _width(monkeypatch: pytest.MonkeyPatch, columns: int) -> None:
    """The CLI's console fixes its width when goldenpath.cli is first imported (COLUMNS is
    read then), so a test that needs a width sets it on the console itself."""
    monkeypatch.setattr(common.out, "_width", columns)


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["fleet", "status", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_forge_prs_without_a_token_is_a_usage_error_before_anything_runs(
    forge_fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GITLAB_TOKEN", raising=False)
    read: list[str] = []
    monkeypatch.setattr(status_service, "_read_repository", lambda e, *a: read.append(e.name))
    code, output = _invoke("--discover", str(forge_fleet.clones), "--forge-prs")
    assert code == 2
    assert output.splitlines()[0] == (
        "error: --forge-prs needs a forge token in $GITHUB_TOKEN or $GITLAB_TOKEN"
    )
    assert read == []
    code, output = _invoke("--discover", ".", "--forge-prs", "--token-env", "MY_TOKEN")
    assert (code, output.splitlines()[0]) == (
        2,
        "error: --forge-prs needs a forge token in $MY_TOKEN",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--forge", "github"), "error: --forge only applies with --forge-prs"),
        (
            ("--forge-url", "https://x", "--token-env", "T"),
            "error: --forge-url, --token-env only apply with --forge-prs",
        ),
        (("--forge-prs", "--forge", "gitea"), "error: --forge must be github or gitlab"),
    ],
)
def test_forge_options_usage_errors(
    args: tuple[str, ...], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    code, output = _invoke("--discover", ".", *args)
    assert code == 2
    assert output.splitlines()[0].startswith(message)


def test_the_report_links_only_http_urls_and_escapes_the_forge() -> None:
    request = ChangeRequest(
        number=4,
        url='javascript:alert("x")',
        head="goldenpath/update-to-v1.0.0",
        base="main",
        title="<script>",
        draft=False,
        state="open",
    )
    branch = UpdateBranch("goldenpath/update-to-v1.0.0", "1.0.0", False, True, False, request)
    row = ProjectStatus("r", ".", None, update_branches=[branch])
    result = FleetStatus([RepoStatus(RepoEntry("r", "r", None), projects=[row])], [], False, True)
    page = report.render(result)
    assert "goldenpath/update-to-v1.0.0 (pushed, #4 open)" in page
    assert "javascript:" not in page
    assert page.count("<script>") == 1  # the report's own script, no title as markup


def test_status_looks_for_the_branches_fleet_update_makes() -> None:
    assert status_service.UPDATE_BRANCH_PREFIX + "v" == fleet_update.BRANCH_PREFIX
