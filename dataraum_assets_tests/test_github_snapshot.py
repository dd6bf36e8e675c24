"""GitHub snapshots: the pure merge/bug/cursor logic on inline records, the CSV files, and the
PyGithub client against a local GitHub server over real HTTP."""

import csv
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from urllib3.util.retry import RequestHistory

import dataraum_assets.github_snapshot as snapshot_module
from dataraum_assets.github_snapshot import (
    BugRules,
    GitHubRateLimitError,
    GitHubRequestError,
    GitHubUnavailableError,
    Issue,
    OwnerPlan,
    PyGithubClient,
    Repository,
    Snapshot,
    SnapshotChanges,
    SnapshotReadError,
    SyncCursor,
    extract_bugs,
    fetch_owner,
    merge_snapshot,
    plan_sources,
    read_snapshot,
    severity_of,
    since_by_repository,
    snapshot_changes,
    transient_retry,
    write_snapshot,
)
from dataraum_assets_tests.github_server import (
    FakeGitHub,
    FakeIssue,
    FakeRepo,
    at,
    running_github,
)

T0 = at("2024-03-01T00:00:00Z")


def _repo(full_name: str = "acme/widgets", **changes: object) -> Repository:
    owner, name = full_name.split("/")
    base = Repository(
        full_name=full_name,
        owner=owner,
        name=name,
        language="Python",
        stars=10,
        forks=2,
        open_issues=1,
        created_at=at("2020-01-01T00:00:00Z"),
        updated_at=at("2024-01-01T00:00:00Z"),
        pushed_at=None,
        archived=False,
        default_branch="main",
        topics=("etl",),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _issue(number: int, repo: str = "acme/widgets", **changes: object) -> Issue:
    base = Issue(
        repo=repo,
        number=number,
        title=f"issue {number}",
        state="open",
        labels=(),
        assignees=(),
        author="octocat",
        created_at=T0,
        updated_at=T0,
        closed_at=None,
        comments=0,
        is_pull_request=False,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --- configuration -----------------------------------------------------------------------------


def test_plan_sources_groups_repositories_under_their_owner() -> None:
    plans = plan_sources(
        ["Acme", "octo-dev"], ["acme/widgets", "other/tool", "Other/tool", "other/lib"]
    )
    assert plans == [
        OwnerPlan(
            owner="Acme",
            source="github-acme",
            all_repositories=True,
            repositories=("acme/widgets",),
        ),
        OwnerPlan(
            owner="octo-dev", source="github-octo-dev", all_repositories=True, repositories=()
        ),
        OwnerPlan(
            owner="other",
            source="github-other",
            all_repositories=False,
            repositories=("other/tool", "other/lib"),
        ),
    ]


@pytest.mark.parametrize("bad", ["widgets", "acme/", "/widgets", "a/b/c", "ac me/x"])
def test_plan_sources_rejects_malformed_repositories(bad: str) -> None:
    with pytest.raises(ValueError, match="GitHub"):
        plan_sources([], [bad])


# --- bugs and severity -------------------------------------------------------------------------


def test_severity_takes_the_highest_label_case_insensitively() -> None:
    rules = BugRules()
    assert severity_of(["bug", "P1"], rules) == "high"
    assert severity_of(["Severity:  Critical", "low"], rules) == "critical"
    assert severity_of(["p3", "p2"], rules) == "medium"
    assert severity_of(["bug", "documentation"], rules) == "unknown"
    assert severity_of([], rules) == "unknown"


def test_bug_rules_are_configurable_and_validated() -> None:
    rules = BugRules(bug_labels=("Defect",), severity_labels={"Blocker": "critical"})
    assert severity_of(["blocker"], rules) == "critical"
    assert severity_of(["p0"], rules) == "unknown"  # the mapping replaces the default
    assert [bug.number for bug in extract_bugs([_issue(1, labels=("DEFECT",))], rules, T0)] == [1]
    with pytest.raises(ValueError, match="urgent"):
        BugRules(severity_labels={"sev0": "urgent"})


def test_extract_bugs_ages_open_bugs_to_the_snapshot_and_closed_bugs_to_their_close() -> None:
    issues = [
        _issue(1, labels=("bug", "p0"), created_at=T0 - timedelta(days=3, hours=12)),
        _issue(
            2,
            labels=("Type: Bug",),
            state="closed",
            created_at=T0 - timedelta(days=10),
            closed_at=T0 - timedelta(days=9, hours=18),
        ),
        _issue(3, labels=("kind/bug", "high"), is_pull_request=True),  # a fix, not a report
        _issue(4, labels=("enhancement",)),
    ]
    bugs = extract_bugs(issues, BugRules(), as_of=T0)
    assert [(bug.number, bug.state, bug.severity, bug.age_days) for bug in bugs] == [
        (1, "open", "critical", 3.5),
        (2, "closed", "unknown", 0.25),
    ]


# --- merging and cursors -----------------------------------------------------------------------


def test_merge_updates_closed_issues_adds_new_ones_and_keeps_the_rest() -> None:
    previous = Snapshot.of([_repo()], [_issue(1), _issue(2), _issue(5, repo="acme/gadgets")])
    closed = _issue(
        2, state="closed", closed_at=T0 + timedelta(days=1), updated_at=T0 + timedelta(days=1)
    )
    starred = _repo(stars=11)
    merged = merge_snapshot(previous, [starred], [closed, _issue(3), closed])
    assert merged == Snapshot(
        repositories=(starred,),
        issues=(_issue(5, repo="acme/gadgets"), _issue(1), closed, _issue(3)),
    )
    assert snapshot_changes(previous, merged) == SnapshotChanges(
        added_issues=1,
        updated_issues=1,
        removed_issues=0,
        added_repositories=0,
        updated_repositories=1,
        removed_repositories=0,
    )
    assert merge_snapshot(None, [_repo()], [_issue(1)]) == Snapshot.of([_repo()], [_issue(1)])


def test_changes_count_removals_and_nothing_when_equal() -> None:
    previous = Snapshot.of([_repo(), _repo("acme/old")], [_issue(1), _issue(2)])
    resynced = Snapshot.of([_repo()], [_issue(1)])
    changes = snapshot_changes(previous, resynced)
    assert (changes.removed_issues, changes.removed_repositories) == (1, 1)
    assert changes.has_changes
    assert not snapshot_changes(previous, previous).has_changes
    assert snapshot_changes(None, resynced).added_issues == 1


def test_fingerprint_ignores_order_and_sees_every_field() -> None:
    one = Snapshot.of([_repo()], [_issue(1), _issue(2)])
    same = Snapshot.of([_repo()], [_issue(2), _issue(1)])
    assert one.fingerprint() == same.fingerprint()
    assert (
        one.fingerprint()
        != Snapshot.of([_repo()], [_issue(1), _issue(2, comments=1)]).fingerprint()
    )
    assert one.fingerprint() != Snapshot.of([_repo(stars=0)], one.issues).fingerprint()


def test_since_is_the_earlier_of_cursor_and_stored_snapshot() -> None:
    stored = Snapshot.of(
        [_repo()],
        [
            _issue(1, updated_at=T0),
            _issue(2, updated_at=T0 + timedelta(hours=5)),
            _issue(1, repo="acme/gadgets", updated_at=T0),
        ],
    )
    cursor = {
        "acme/widgets": T0 + timedelta(hours=2),  # stored is newer: the cursor wins
        "acme/gadgets": T0 + timedelta(days=1),  # stored is older (restored): catch up from it
        "acme/empty": T0,  # nothing stored for it: fetched in full
    }
    assert since_by_repository(cursor, stored) == {
        "acme/widgets": T0 + timedelta(hours=2),
        "acme/gadgets": T0,
    }
    assert since_by_repository(cursor, None) == {}


def test_cursor_round_trips_and_tolerates_garbage() -> None:
    cursor = SyncCursor(since={"acme/widgets": T0}, fingerprints={"github-acme": "abc"})
    assert SyncCursor.from_json(cursor.to_json()) == cursor
    assert SyncCursor.from_json(None) == SyncCursor()
    assert SyncCursor.from_json("{not json") == SyncCursor()
    assert SyncCursor.from_json('{"since": [1]}') == SyncCursor()
    snapshot = Snapshot.of([_repo()], [_issue(1, updated_at=T0 + timedelta(hours=1))])
    updated = cursor.updated(["acme/widgets", "acme/empty"], snapshot, "github-acme", "def")
    assert updated == SyncCursor(
        since={"acme/widgets": T0 + timedelta(hours=1)}, fingerprints={"github-acme": "def"}
    )


# --- CSV files ---------------------------------------------------------------------------------


def _sample() -> Snapshot:
    return Snapshot.of(
        [_repo(pushed_at=T0, topics=("etl", 'data, "quoted"')), _repo("acme/empty", topics=())],
        [
            _issue(
                1,
                title='Crash on Ünïcode — 日本語, "quoted"',
                labels=("bug", "P1"),
                assignees=("ana", "bo"),
            ),
            _issue(
                2,
                title="Fix the crash",
                is_pull_request=True,
                labels=("bug",),
                state="closed",
                closed_at=T0 + timedelta(hours=6),
                author=None,
            ),
            _issue(3, title="Docs", comments=4),
        ],
    )


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_write_and_read_back_a_snapshot(tmp_path: Path) -> None:
    folder = tmp_path / "github" / "github-acme"
    snapshot = _sample()
    write_snapshot(folder, snapshot, BugRules(), as_of=T0 + timedelta(days=2))
    assert sorted(path.name for path in folder.iterdir()) == [
        "bugs.csv",
        "issues.csv",
        "pull_requests.csv",
        "repositories.csv",
    ]
    assert [path.name for path in folder.parent.iterdir()] == ["github-acme"]  # no temp folders
    assert read_snapshot(folder) == snapshot
    assert _rows(folder / "bugs.csv") == [
        {
            "repo": "acme/widgets",
            "number": "1",
            "title": 'Crash on Ünïcode — 日本語, "quoted"',
            "state": "open",
            "severity": "high",
            "labels": '["bug", "P1"]',
            "author": "octocat",
            "created_at": "2024-03-01T00:00:00Z",
            "closed_at": "",
            "age_days": "2.0",
        }
    ]
    pulls = _rows(folder / "pull_requests.csv")
    assert [(row["number"], row["author"], row["is_pull_request"]) for row in pulls] == [
        ("2", "", "true")
    ]
    issues = _rows(folder / "issues.csv")
    assert [(row["number"], row["assignees"]) for row in issues] == [
        ("1", '["ana", "bo"]'),
        ("3", "[]"),
    ]
    repos = _rows(folder / "repositories.csv")
    assert [(row["full_name"], row["pushed_at"], row["archived"]) for row in repos] == [
        ("acme/empty", "", "false"),
        ("acme/widgets", "2024-03-01T00:00:00Z", "false"),
    ]


def test_a_failed_write_keeps_the_previous_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "github-acme"
    write_snapshot(folder, _sample(), BugRules(), as_of=T0)
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    original = snapshot_module._write_csv

    def crash_on_bugs(path: Path, *args: object) -> None:
        if path.name == "bugs.csv":
            raise OSError("disk full")
        original(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(snapshot_module, "_write_csv", crash_on_bugs)
    with pytest.raises(OSError, match="disk full"):
        write_snapshot(folder, Snapshot.of([_repo()], []), BugRules(), as_of=T0)
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before
    assert [path.name for path in tmp_path.iterdir()] == ["github-acme"]


def test_a_swap_interrupted_between_its_renames_is_undone_on_read(tmp_path: Path) -> None:
    folder = tmp_path / "github-acme"
    write_snapshot(folder, _sample(), BugRules(), as_of=T0)
    folder.rename(tmp_path / ".github-acme.0123.old")  # the crash: moved aside, new not in
    assert read_snapshot(folder) == _sample()
    assert [path.name for path in tmp_path.iterdir()] == ["github-acme"]


def test_reading_a_foreign_folder_is_a_clear_error(tmp_path: Path) -> None:
    assert read_snapshot(tmp_path / "missing") is None
    folder = tmp_path / "github-acme"
    folder.mkdir()
    (folder / "repositories.csv").write_text("name,stars\nx,1\n", encoding="utf-8")
    with pytest.raises(SnapshotReadError, match=r"repositories\.csv"):
        read_snapshot(folder)


# --- retries -----------------------------------------------------------------------------------


def test_backoff_doubles_from_the_first_retry_with_jitter_and_a_cap() -> None:
    retry = transient_retry(max_retries=4, backoff_seconds=0.5)
    failure = RequestHistory("GET", "/x", None, 502, None)
    waits = []
    for failures in range(1, 5):
        waits.append(retry.new(history=(failure,) * failures).get_backoff_time())
    for index, wait in enumerate(waits):
        full = 0.5 * 2**index
        assert full / 2 <= wait <= full
    assert retry.new(history=()).get_backoff_time() == 0.0
    capped = transient_retry(max_retries=1, backoff_seconds=0.5)
    assert capped.new(history=(failure,) * 6).get_backoff_time() <= 1.0


# --- the client against a local GitHub ---------------------------------------------------------


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    state = FakeGitHub()
    state.add_owner("acme", "Organization")
    state.add_owner("octo-dev", "User")
    state.add_repo(FakeRepo("acme", "widgets", stars=42, forks=3, topics=["etl", "csv"]))
    state.add_repo(FakeRepo("acme", "empty", language=None, pushed_at=None))
    state.add_repo(FakeRepo("octo-dev", "dotfiles", archived=True))
    for number in range(1, 8):
        state.add_issue(
            "acme/widgets",
            FakeIssue(
                number=number,
                title=f"Überschrift {number} — バグ",
                created_at="2024-01-01T00:00:00Z",
                updated_at=f"2024-02-0{number}T00:00:00Z",
                labels=["bug"] if number % 2 else [],
                pull_request=number % 3 == 0,
            ),
        )
    with running_github(state):
        yield state


def _client(github: FakeGitHub, **options: object) -> PyGithubClient:
    settings: dict = {"per_page": 3, "max_retries": 2, "backoff_seconds": 0.01}
    settings.update(options)
    return PyGithubClient(github.base_url, seconds_between_requests=0, **settings)


def test_issues_follow_pagination_to_the_end(github: FakeGitHub) -> None:
    issues = _client(github).issues("acme/widgets", None)
    assert [issue.number for issue in issues] == [1, 2, 3, 4, 5, 6, 7]
    assert [issue.is_pull_request for issue in issues] == [
        False,
        False,
        True,
        False,
        False,
        True,
        False,
    ]
    assert issues[0].title == "Überschrift 1 — バグ"
    assert issues[0].labels == ("bug",)
    assert issues[0].updated_at == at("2024-02-01T00:00:00Z")
    requests = github.requests_to("/issues")
    # Three pages and not one request more: no per-issue "completion" GETs for pull_request.
    assert [request.query.get("page", "1") for request in requests] == ["1", "2", "3"]
    assert requests[0].query == {
        "state": "all",
        "sort": "updated",
        "direction": "asc",
        "per_page": "3",
    }


def test_since_fetches_only_changed_issues(github: FakeGitHub) -> None:
    issues = _client(github).issues("acme/widgets", at("2024-02-06T00:00:00Z"))
    assert [issue.number for issue in issues] == [6, 7]
    [request] = github.requests_to("/issues")
    assert request.query["since"] == "2024-02-06T00:00:00Z"


def test_owner_repositories_of_an_organisation_and_a_user(github: FakeGitHub) -> None:
    client = _client(github, per_page=1)
    repos = client.owner_repositories("acme")
    assert [repo.full_name for repo in repos] == ["acme/empty", "acme/widgets"]
    widgets = repos[1]
    assert (widgets.stars, widgets.forks, widgets.open_issues, widgets.topics) == (
        42,
        3,
        7,
        ("etl", "csv"),
    )
    assert (repos[0].language, repos[0].pushed_at) == (None, None)
    assert [request.path for request in github.received] == [
        "/users/acme",
        "/orgs/acme",
        "/orgs/acme/repos",
        "/orgs/acme/repos",
    ]
    [dotfiles] = client.owner_repositories("octo-dev")
    assert dotfiles.archived is True
    assert github.received[-1].path == "/users/octo-dev/repos"
    assert client.issues("acme/empty", None) == []


def test_fetch_owner_adds_explicit_repositories_once(github: FakeGitHub) -> None:
    plan = OwnerPlan("acme", "github-acme", all_repositories=True, repositories=("acme/widgets",))
    fetched = fetch_owner(
        _client(github, per_page=100), plan, {"acme/widgets": at("2024-02-07T00:00:00Z")}
    )
    assert fetched.repository_names == ("acme/empty", "acme/widgets")
    assert [issue.number for issue in fetched.issues] == [7]
    only = OwnerPlan(
        "octo-dev", "github-octo-dev", all_repositories=False, repositories=("octo-dev/dotfiles",)
    )
    assert fetch_owner(_client(github), only, {}).repository_names == ("octo-dev/dotfiles",)
    assert github.received[-2].path == "/repos/octo-dev/dotfiles"


def test_transient_502s_and_dropped_connections_are_retried(github: FakeGitHub) -> None:
    github.fail("/repos/acme/widgets/issues", times=2, status=502)
    started = time.monotonic()
    assert len(_client(github, per_page=100).issues("acme/widgets", None)) == 7
    assert len(github.requests_to("/issues")) == 3
    github.fail("/repos/acme/widgets/issues", times=1, status=None)
    assert len(_client(github, per_page=100).issues("acme/widgets", None)) == 7
    assert time.monotonic() - started < 5


def test_retries_are_bounded(github: FakeGitHub) -> None:
    github.fail("/issues", times=10, status=503)
    with pytest.raises(GitHubUnavailableError, match="HTTP 503 after retries"):
        _client(github, max_retries=2).issues("acme/widgets", None)
    assert len(github.requests_to("/issues")) == 3  # the first try and two retries


def test_unreachable_server_is_unavailable_not_a_crash() -> None:
    client = PyGithubClient(
        "http://127.0.0.1:9/api/v3", max_retries=1, backoff_seconds=0.01, seconds_between_requests=0
    )
    with pytest.raises(GitHubUnavailableError, match="unreachable"):
        client.owner_repositories("acme")


@pytest.mark.parametrize("status", [403, 429])
def test_exhausted_rate_limit_is_a_rate_limit_error_with_the_reset_time(
    github: FakeGitHub, status: int
) -> None:
    github.rate_limit_status = status
    github.rate_remaining = 1  # only the owner lookup gets through
    client = _client(github)
    with pytest.raises(GitHubRateLimitError, match="resets at 2030-03-17T17:46:40Z") as raised:
        client.owner_repositories("acme")
    assert raised.value.reset_at == datetime.fromtimestamp(1_900_000_000, UTC)
    assert len(github.received) == 2  # not retried: waiting for a reset is the caller's call


def test_secondary_rate_limit_uses_retry_after(github: FakeGitHub) -> None:
    github.rate_remaining = 0
    github.retry_after = 120
    with pytest.raises(GitHubRateLimitError) as raised:
        _client(github).issues("acme/widgets", None)
    reset_at = raised.value.reset_at
    assert reset_at is not None
    assert timedelta(seconds=110) < reset_at - datetime.now(UTC) <= timedelta(seconds=120)


def test_unknown_owner_and_bad_requests_are_request_errors(github: FakeGitHub) -> None:
    with pytest.raises(GitHubRequestError, match=r"'ghost'.*HTTP 404: Not Found"):
        _client(github).owner_repositories("ghost")


def test_the_token_is_sent_as_a_header(github: FakeGitHub) -> None:
    _client(github, token="ghp_example").issues("acme/empty", None)
    assert [request.authorization for request in github.received] == ["token ghp_example"]
    _client(github).issues("acme/empty", None)
    assert github.received[-1].authorization is None
