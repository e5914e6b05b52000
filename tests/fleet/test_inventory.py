"""The fleet's inventory: fleet files, --discover, the projects in a repository, and the
clone cache of repositories listed by URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from goldenpath.errors import RepositoryError, UsageError
from goldenpath.fleet import cache, inventory
from goldenpath.fleet.inventory import RepoEntry

from .fleet_factory import Fleet, dedent, git, write

pytestmark = pytest.mark.xdist_group("fleet-inventory")


def _fleet_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.yml"
    write(path, dedent(text))
    return path


def test_fleet_file_of_the_fixture_lists_every_entry_in_order(fleet: Fleet) -> None:
    entries = inventory.load_fleet_file(fleet.fleet_file)
    assert [e.name for e in entries] == [*fleet.repos, "legacy-scorer"]
    by_name = {e.name: e for e in entries}
    assert by_name["svc-edited"].local == fleet["svc-edited"].clone
    assert by_name["job-minor"].local is None
    assert by_name["job-minor"].source == fleet["job-minor"].url
    assert by_name["plain-lib"] == RepoEntry(
        name="plain-lib",
        source=fleet["plain-lib"].url,
        local=None,
        owner="team-data",
        tier=2,
        labels={"domain": "shared"},
    )
    assert by_name["legacy-scorer"].skip == "archived"
    assert [e.name for e in entries if e.skip] == ["legacy-scorer"]


def test_fleet_file_defaults_relative_paths_and_plain_strings(tmp_path: Path) -> None:
    path = _fleet_file(
        tmp_path,
        """
        defaults:
          owner: team-ml
          tier: 2
          labels: {org: ml}
        repositories:
          - https://git.example.org/ml/churn-scorer.git
          - git@git.example.org:ml/fraud-api.git
          - ../clones/forecast
          - path: ~/work/pricing
            name: pricing-svc
            tier: tier-1
            owner: team-pricing
            labels: {domain: pricing}
          - url: https://git.example.org/ml/legacy.git
            skip: true
        """,
    )
    entries = inventory.load_fleet_file(path)
    assert [(e.name, e.local is None) for e in entries] == [
        ("churn-scorer", True),
        ("fraud-api", True),
        ("forecast", False),
        ("pricing-svc", False),
        ("legacy", True),
    ]
    assert entries[2].local == (tmp_path.parent / "clones" / "forecast").resolve()
    assert entries[3].local == Path.home() / "work" / "pricing"
    assert [(e.owner, e.tier) for e in entries] == [
        ("team-ml", 2),
        ("team-ml", 2),
        ("team-ml", 2),
        ("team-pricing", 1),
        ("team-ml", 2),
    ]
    assert entries[0].labels == {"org": "ml"}
    assert entries[3].labels == {"org": "ml", "domain": "pricing"}
    assert entries[4].skip == "skipped in the fleet file"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("repositories: {}\n", "expected a mapping with a 'repositories:' list"),
        ("repos: []\n", "expected a mapping with a 'repositories:' list"),
        ("repositories: [\n", "not valid YAML"),
        (
            "repositories:\n  - url: https://x/a.git\n    teir: 1\n",
            "repositories[0]: unknown key 'teir'",
        ),
        (
            "repositories:\n  - https://x/a.git\n  - url: https://x/b.git\n    tier: 4\n",
            "repositories[1]: tier 4 is not 1, 2 or 3",
        ),
        ("repositories:\n  - {name: a}\n", "repositories[0]: give exactly one of url or path"),
        (
            "repositories:\n  - {url: 'https://x/a.git', path: a}\n",
            "repositories[0]: give exactly one of url or path",
        ),
        ("repositories:\n  - 3\n", "repositories[0]: an entry must be a URL, a path"),
        (
            "repositories:\n  - {url: 'https://x/a.git', labels: [a]}\n",
            "labels must be a mapping",
        ),
        (
            "repositories:\n  - https://x/a.git\n  - https://x/a.git\n",
            "https://x/a.git is listed twice",
        ),
        (
            "repositories:\n  - https://x/one/api.git\n  - https://x/two/api.git\n",
            "two repositories are named 'api'",
        ),
        ("defaults: {skip: x}\nrepositories: []\n", "defaults may only set"),
        ("extra: 1\nrepositories: []\n", "unknown top-level key 'extra'"),
    ],
)
def test_a_bad_fleet_file_is_one_usage_error_naming_the_entry(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "fleet.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        inventory.load_fleet_file(path)
    assert message in caught.value.message
    assert caught.value.message.startswith(str(path))
    assert "\n" not in caught.value.message
    assert caught.value.exit_code == 2


def test_a_missing_fleet_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read fleet file"):
        inventory.load_fleet_file(tmp_path / "nope.yml")


def test_discover_finds_work_trees_one_and_two_levels_down(fleet: Fleet, tmp_path: Path) -> None:
    found = inventory.discover(fleet.clones)
    assert [e.name for e in found] == sorted(fleet.repos)
    assert all(e.local == fleet.clones / e.name for e in found)

    nested = tmp_path / "nested"
    (nested / "group-a" / "api").mkdir(parents=True)
    git(nested / "group-a" / "api", "init", "-q")
    (nested / "solo").mkdir()
    git(nested / "solo", "init", "-q")
    (nested / "solo" / "sub").mkdir()
    git(nested / "solo" / "sub", "init", "-q")  # inside a work tree: not searched
    (nested / "empty").mkdir()
    git(nested, "init", "-q", "--bare", "bare.git")  # bare: not a work tree
    assert [e.name for e in inventory.discover(nested)] == ["group-a/api", "solo"]


def test_discover_of_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is not a folder"):
        inventory.discover(tmp_path / "nope")


def test_project_dirs_of_single_monorepo_broken_and_plain_repositories(fleet: Fleet) -> None:
    assert inventory.project_dirs(fleet["svc-edited"].clone) == ["."]
    assert inventory.project_dirs(fleet["mono"].clone) == ["jobs/nightly", "services/api"]
    assert inventory.project_dirs(fleet["broken-answers"].clone) == ["."]
    assert inventory.project_dirs(fleet["plain-lib"].clone) == []


def test_every_answers_file_counts_and_ignored_ones_do_not(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    for rel in (
        ".copier-answers.yml",
        ".copier-answers.ml.yml",
        "infra/.copier-answers.yaml",
        "build/.copier-answers.yml",
        "docs/copier-answers.yml",
    ):
        write(repo / rel, "_commit: v1.0.0\n")
    write(repo / ".gitignore", "build/\n")
    git(repo, "init", "-q")
    assert inventory.answers_files(repo) == [
        ".copier-answers.ml.yml",
        ".copier-answers.yml",
        "infra/.copier-answers.yaml",
    ]
    assert inventory.project_dirs(repo) == [".", "infra"]


def test_project_dirs_outside_git_is_a_repository_error(tmp_path: Path) -> None:
    with pytest.raises(RepositoryError, match="not a git work tree"):
        inventory.project_dirs(tmp_path)


# --- the clone cache ------------------------------------------------------------------------


def test_working_copy_of_a_path_is_the_path_itself(fleet: Fleet, tmp_path: Path) -> None:
    entry = inventory.entry_for(fleet["svc-edited"].clone)
    assert cache.working_copy(entry, tmp_path / "cache") == fleet["svc-edited"].clone
    assert not (tmp_path / "cache").exists()
    with pytest.raises(RepositoryError, match="does not exist"):
        cache.working_copy(RepoEntry("gone", "gone", tmp_path / "gone"))


def test_working_copy_of_a_url_clones_once_then_fetches(fleet: Fleet, tmp_path: Path) -> None:
    # its own remote: this test pushes to it
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(fleet["job-minor"].remote), str(remote))
    entry = RepoEntry("job-minor", remote.as_uri(), None)
    store = tmp_path / "cache"
    first = cache.working_copy(entry, store)
    assert first == cache.slot(entry.source, store)
    assert first.parent == store
    assert (first / ".copier-answers.yml").is_file()
    head = git(first, "rev-parse", "HEAD").strip()

    # a new commit and a new branch upstream; leftovers of an earlier run in the clone
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(remote), str(work))
    write(work / "NOTES.md", "notes\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "notes")
    git(work, "push", "-q", "origin", "main", "main:goldenpath/update-to-v2.1.1")
    write(first / "leftover.txt", "from an earlier run\n")

    second = cache.working_copy(entry, store)
    assert second == first
    assert git(second, "rev-parse", "HEAD").strip() != head
    assert (second / "NOTES.md").is_file()
    assert not (second / "leftover.txt").exists()
    assert "origin/goldenpath/update-to-v2.1.1" in git(second, "branch", "-r")

    # a branch deleted upstream disappears from the clone on the next refresh
    git(work, "push", "-q", "origin", ":goldenpath/update-to-v2.1.1")
    cache.working_copy(entry, store)
    assert "goldenpath/update-to-v2.1.1" not in git(second, "branch", "-r")


def test_working_copy_of_an_unreachable_url_is_a_repository_error(tmp_path: Path) -> None:
    entry = RepoEntry("gone", (tmp_path / "gone.git").as_uri(), None)
    with pytest.raises(RepositoryError, match="git clone failed"):
        cache.working_copy(entry, tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == [
        cache.slot(entry.source, tmp_path / "cache").with_name(
            cache.slot(entry.source, tmp_path / "cache").name + ".lock"
        )
    ]  # no half-made clone left behind


def test_cache_slots_differ_for_same_named_repositories(tmp_path: Path) -> None:
    one = cache.slot("https://git.example.org/a/api.git", tmp_path)
    two = cache.slot("https://git.example.org/b/api.git", tmp_path)
    assert one != two
    assert one.name.startswith("a-api-")
    assert two.name.startswith("b-api-")


def test_cache_root_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GOLDENPATH_CACHE", str(tmp_path / "c"))
    assert cache.cache_root() == tmp_path / "c"
    monkeypatch.delenv("GOLDENPATH_CACHE")
    assert cache.cache_root() == Path.home() / ".cache" / "goldenpath" / "fleet"
