"""GitHub owner snapshots: what is fetched, how changes merge, which issues are bugs, the CSVs.

A snapshot of one owner (an organisation or a user) is its repositories and their issues (pull
requests included, told apart by ``is_pull_request``). It is written as a source folder of CSV
files that the pipeline ingests like any other::

    <data_dir>/github/<source>/repositories.csv
    <data_dir>/github/<source>/issues.csv          issues only
    <data_dir>/github/<source>/pull_requests.csv   pull requests (same columns as issues.csv)
    <data_dir>/github/<source>/bugs.csv            issues labelled as bugs, with severity and age

Syncing is incremental: the caller keeps, per repository, the ``updated_at`` of the newest issue
seen, fetches only issues updated since then, and merges them into the stored snapshot (key:
repository + number). A full resync replaces the snapshot, so deleted repositories and issues
disappear. Everything here is plain Python (no dagster import); the sensor and schedule in
``dataraum_assets.sensors.github`` only read state, call these functions and return results.
"""

import contextlib
import csv
import fcntl
import hashlib
import json
import os
import random
import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import takewhile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import requests
from urllib3.util.retry import Retry

if TYPE_CHECKING:
    from github.Issue import Issue as PyGithubIssue
    from github.Repository import Repository as PyGithubRepository

from dataraum_assets.identifiers import is_valid_source_name
from dataraum_assets.warehouse import fsync_dir

SEVERITIES = ("critical", "high", "medium", "low")
UNKNOWN_SEVERITY = "unknown"
DEFAULT_BUG_LABELS: tuple[str, ...] = ("bug", "type: bug", "kind/bug")
DEFAULT_SEVERITY_LABELS: Mapping[str, str] = {
    "critical": "critical",
    "p0": "critical",
    "severity: critical": "critical",
    "high": "high",
    "p1": "high",
    "severity: high": "high",
    "medium": "medium",
    "p2": "medium",
    "severity: medium": "medium",
    "low": "low",
    "p3": "low",
    "severity: low": "low",
}
SOURCE_PREFIX = "github-"
TABLE_FILES = ("repositories.csv", "issues.csv", "pull_requests.csv", "bugs.csv")

_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_SECONDS_PER_DAY = 86400


# --- records ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Repository:
    full_name: str  # "owner/name" as GitHub spells it
    owner: str
    name: str
    language: str | None
    stars: int
    forks: int
    open_issues: int  # GitHub's open_issues_count: open issues *and* open pull requests
    created_at: datetime
    updated_at: datetime
    pushed_at: datetime | None
    archived: bool
    default_branch: str
    topics: tuple[str, ...]


@dataclass(frozen=True)
class Issue:
    """An item of GitHub's issues API: an issue or (``is_pull_request``) a pull request."""

    repo: str  # full name of the repository
    number: int
    title: str
    state: str  # "open" or "closed"
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    author: str | None  # None when the account was deleted
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    comments: int
    is_pull_request: bool

    @property
    def key(self) -> tuple[str, int]:
        return (self.repo, self.number)


@dataclass(frozen=True)
class Bug:
    repo: str
    number: int
    title: str
    state: str
    severity: str  # one of SEVERITIES or UNKNOWN_SEVERITY
    labels: tuple[str, ...]
    author: str | None
    created_at: datetime
    closed_at: datetime | None
    age_days: float  # open: created → snapshot time; closed: created → closed


@dataclass(frozen=True)
class Snapshot:
    """One owner's repositories and issues, sorted, one issue per (repo, number)."""

    repositories: tuple[Repository, ...]
    issues: tuple[Issue, ...]

    @classmethod
    def of(cls, repositories: Iterable[Repository], issues: Iterable[Issue]) -> "Snapshot":
        """A snapshot of the given records; a later record with the same key wins."""
        repos_by_name = {repo.full_name: repo for repo in repositories}
        issues_by_key = {issue.key: issue for issue in issues}
        return cls(
            repositories=tuple(repos_by_name[name] for name in sorted(repos_by_name)),
            issues=tuple(issues_by_key[key] for key in sorted(issues_by_key)),
        )

    def fingerprint(self) -> str:
        """SHA-256 of the content (repositories and issues; bugs derive from them)."""
        digest = hashlib.sha256()
        for row in (*map(_repository_row, self.repositories), *map(_issue_row, self.issues)):
            digest.update(json.dumps(row, ensure_ascii=False).encode("utf-8"))
            digest.update(b"\n")
        return digest.hexdigest()


EMPTY_SNAPSHOT = Snapshot(repositories=(), issues=())


# --- configuration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerPlan:
    """What to fetch for one owner, and the source its snapshot becomes."""

    owner: str
    source: str
    all_repositories: bool  # the owner itself is configured: every repository it has
    repositories: tuple[str, ...]  # explicitly configured "owner/name" of this owner


def source_name_for_owner(owner: str) -> str:
    """The source (and partition) name of an owner's snapshot: ``github-<login>``."""
    name = SOURCE_PREFIX + owner.strip().lower()
    if not owner.strip() or not is_valid_source_name(name):
        raise ValueError(f"GitHub owner {owner!r} does not give a valid source name ({name!r})")
    return name


def snapshot_folder(data_dir: Path, source: str) -> Path:
    """Where the snapshot of ``source`` lives: ``<data_dir>/github/<source>/``."""
    if not is_valid_source_name(source):
        raise ValueError(f"invalid source name {source!r}")
    return data_dir / "github" / source


def plan_sources(owners: Sequence[str], repositories: Sequence[str]) -> list[OwnerPlan]:
    """One plan per owner: configured owners take all their repositories, explicit
    ``owner/name`` repositories are grouped under their owner. Logins are case-insensitive."""
    whole: dict[str, str] = {}
    for owner in owners:
        login = owner.strip()
        source_name_for_owner(login)
        whole.setdefault(login.lower(), login)
    explicit: dict[str, list[str]] = {}
    spelled: dict[str, str] = {}
    for full_name in repositories:
        parts = full_name.strip().split("/")
        if len(parts) != 2 or not all(parts):
            raise ValueError(f"GitHub repository {full_name!r} is not of the form owner/name")
        source_name_for_owner(parts[0])
        spelled.setdefault(parts[0].lower(), parts[0])
        names = explicit.setdefault(parts[0].lower(), [])
        if "/".join(parts).lower() not in {name.lower() for name in names}:
            names.append("/".join(parts))
    return [
        OwnerPlan(
            owner=whole.get(key) or spelled[key],
            source=source_name_for_owner(key),
            all_repositories=key in whole,
            repositories=tuple(explicit.get(key, ())),
        )
        for key in sorted(whole.keys() | explicit.keys())
    ]


@dataclass(frozen=True)
class BugRules:
    """Which labels make an issue a bug and which give its severity (case-insensitive)."""

    bug_labels: tuple[str, ...] = DEFAULT_BUG_LABELS
    severity_labels: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_SEVERITY_LABELS)
    )

    def __post_init__(self) -> None:
        unknown = sorted(set(self.severity_labels.values()) - set(SEVERITIES))
        if unknown:
            raise ValueError(
                f"severity labels map to {unknown}; severities are {', '.join(SEVERITIES)}"
            )
        object.__setattr__(self, "bug_labels", tuple(_label(name) for name in self.bug_labels))
        object.__setattr__(
            self,
            "severity_labels",
            {_label(name): severity for name, severity in self.severity_labels.items()},
        )


def _label(name: str) -> str:
    return " ".join(name.split()).casefold()


def is_bug(issue: Issue, rules: BugRules) -> bool:
    """An issue (never a pull request: a fix is not a report) with one of the bug labels."""
    return not issue.is_pull_request and any(
        _label(name) in rules.bug_labels for name in issue.labels
    )


def severity_of(labels: Iterable[str], rules: BugRules) -> str:
    """The highest severity any label maps to, else ``unknown``."""
    found = {rules.severity_labels.get(_label(name)) for name in labels}
    return next((severity for severity in SEVERITIES if severity in found), UNKNOWN_SEVERITY)


def extract_bugs(issues: Iterable[Issue], rules: BugRules, as_of: datetime) -> list[Bug]:
    """The bugs among ``issues`` with severity and age in days (2 decimals): open bugs are aged
    up to ``as_of`` (the snapshot time), closed ones by their time to close."""
    bugs = []
    for issue in issues:
        if not is_bug(issue, rules):
            continue
        end = issue.closed_at if issue.state == "closed" and issue.closed_at else as_of
        age = max((end - issue.created_at).total_seconds(), 0.0) / _SECONDS_PER_DAY
        bugs.append(
            Bug(
                repo=issue.repo,
                number=issue.number,
                title=issue.title,
                state=issue.state,
                severity=severity_of(issue.labels, rules),
                labels=issue.labels,
                author=issue.author,
                created_at=issue.created_at,
                closed_at=issue.closed_at,
                age_days=round(age, 2),
            )
        )
    return bugs


# --- merging and cursors -----------------------------------------------------------------------


def merge_snapshot(
    previous: Snapshot | None, repositories: Iterable[Repository], changed_issues: Iterable[Issue]
) -> Snapshot:
    """An incremental sync: ``previous`` with fetched repositories and changed issues upserted.

    Nothing is removed (GitHub does not report deletions to ``since`` queries); a full resync
    (:func:`Snapshot.of` of everything fetched) does that.
    """
    base = previous or EMPTY_SNAPSHOT
    return Snapshot.of([*base.repositories, *repositories], [*base.issues, *changed_issues])


@dataclass(frozen=True)
class SnapshotChanges:
    added_issues: int
    updated_issues: int
    removed_issues: int
    added_repositories: int
    updated_repositories: int
    removed_repositories: int

    @property
    def has_changes(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__)

    def describe(self) -> str:
        return (
            f"issues: {self.added_issues} new, {self.updated_issues} changed, "
            f"{self.removed_issues} removed; repositories: {self.added_repositories} new, "
            f"{self.updated_repositories} changed, {self.removed_repositories} removed"
        )


def snapshot_changes(previous: Snapshot | None, new: Snapshot) -> SnapshotChanges:
    """Counts of what differs between two snapshots (for logs and tick reasons)."""
    base = previous or EMPTY_SNAPSHOT
    old_issues = {issue.key: issue for issue in base.issues}
    new_issues = {issue.key: issue for issue in new.issues}
    old_repos = {repo.full_name: repo for repo in base.repositories}
    new_repos = {repo.full_name: repo for repo in new.repositories}
    return SnapshotChanges(
        added_issues=len(new_issues.keys() - old_issues.keys()),
        updated_issues=sum(
            1 for key in new_issues.keys() & old_issues.keys() if new_issues[key] != old_issues[key]
        ),
        removed_issues=len(old_issues.keys() - new_issues.keys()),
        added_repositories=len(new_repos.keys() - old_repos.keys()),
        updated_repositories=sum(
            1 for name in new_repos.keys() & old_repos.keys() if new_repos[name] != old_repos[name]
        ),
        removed_repositories=len(old_repos.keys() - new_repos.keys()),
    )


def latest_updates(snapshot: Snapshot) -> dict[str, datetime]:
    """Per repository, the ``updated_at`` of its most recently updated issue."""
    latest: dict[str, datetime] = {}
    for issue in snapshot.issues:
        if issue.repo not in latest or issue.updated_at > latest[issue.repo]:
            latest[issue.repo] = issue.updated_at
    return latest


def since_by_repository(
    cursor_since: Mapping[str, datetime], previous: Snapshot | None
) -> dict[str, datetime]:
    """Where each repository's incremental fetch starts.

    Only repositories whose issues are in the stored snapshot get a ``since`` (no snapshot: a
    full fetch), and it is the earlier of the cursor and the snapshot's own newest issue, so a
    snapshot older than the cursor (restored, or written by an interrupted tick) is caught up
    instead of silently missing changes. GitHub's ``since`` is inclusive; the boundary issue
    comes back and merges onto itself.
    """
    if previous is None:
        return {}
    stored = latest_updates(previous)
    return {repo: min(when, stored[repo]) for repo, when in cursor_since.items() if repo in stored}


@dataclass(frozen=True)
class SyncCursor:
    """The sensor's cursor: per repository the newest issue ``updated_at`` seen, and per source
    the fingerprint of the last snapshot a run was requested for."""

    since: Mapping[str, datetime] = field(default_factory=dict)
    fingerprints: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": 1,
                "since": {repo: _format_time(when) for repo, when in sorted(self.since.items())},
                "fingerprints": dict(sorted(self.fingerprints.items())),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | None) -> "SyncCursor":
        """The cursor in ``text``; empty (a full first sync) when absent or unreadable."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            return cls(
                since={repo: _parse_time(value) for repo, value in data["since"].items()},
                fingerprints={str(key): str(value) for key, value in data["fingerprints"].items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return cls()

    def updated(
        self, repositories: Iterable[str], snapshot: Snapshot, source: str, fingerprint: str
    ) -> "SyncCursor":
        """This cursor with ``repositories`` set from ``snapshot`` and ``source``'s fingerprint."""
        names = set(repositories)
        since = {repo: when for repo, when in self.since.items() if repo not in names}
        since.update(
            {repo: when for repo, when in latest_updates(snapshot).items() if repo in names}
        )
        return SyncCursor(since=since, fingerprints={**self.fingerprints, source: fingerprint})


# --- the client --------------------------------------------------------------------------------


class GitHubError(Exception):
    """A GitHub request failed; the message names the request and the reason, never a token."""


class GitHubRateLimitError(GitHubError):
    """The rate limit is exhausted (403/429 with no requests remaining, or Retry-After)."""

    def __init__(self, message: str, reset_at: datetime | None) -> None:
        super().__init__(message)
        self.reset_at = reset_at


class GitHubUnavailableError(GitHubError):
    """5xx responses or connection errors that outlasted the bounded retries."""


class GitHubRequestError(GitHubError):
    """A request GitHub refused for good (unknown owner, bad credentials, no access)."""


class GitHubClient(Protocol):
    def owner_repositories(self, owner: str) -> list[Repository]:
        """Every repository of an organisation or user."""
        ...

    def repository(self, full_name: str) -> Repository:
        """One repository by ``owner/name``."""
        ...

    def issues(self, full_name: str, since: datetime | None) -> list[Issue]:
        """Issues and pull requests of a repository in any state, oldest update first; only
        those updated at or after ``since`` when given."""
        ...


class _JitteredRetry(Retry):
    """urllib3's Retry with backoff from the first retry on: the n-th retry waits
    ``backoff_factor * 2**(n-1)`` scaled by a random factor in [0.5, 1] (so many clients that
    failed together do not retry together), capped by ``backoff_max``."""

    def get_backoff_time(self) -> float:
        failures = len(
            list(takewhile(lambda entry: entry.redirect_location is None, reversed(self.history)))
        )
        if failures == 0:
            return 0.0
        delay = self.backoff_factor * 2 ** (failures - 1)
        return min(self.backoff_max, delay * (0.5 + random.random() / 2))


def transient_retry(max_retries: int, backoff_seconds: float) -> Retry:
    """Retries for idempotent GETs: 5xx responses and connection/read errors, at most
    ``max_retries`` times. Rate-limit responses (403/429) are not retried here: waiting for a
    reset can take an hour, so the caller skips instead. Retry-After is not slept on for the same
    reason."""
    return _JitteredRetry(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        other=0,
        redirect=0,
        status_forcelist=tuple(range(500, 600)),
        allowed_methods=frozenset({"GET", "HEAD"}),
        backoff_factor=backoff_seconds,
        backoff_max=max(backoff_seconds * 2**max_retries, backoff_seconds),
        raise_on_status=False,  # the last 5xx reaches PyGithub, which raises with its status
        respect_retry_after_header=False,
    )


class PyGithubClient:
    """:class:`GitHubClient` over PyGithub against ``base_url`` (api.github.com, a GitHub
    Enterprise ``https://host/api/v3`` or a local server). Pagination is followed to the end."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        per_page: int = 100,
        max_retries: int = 3,
        backoff_seconds: float = 1.0,
        timeout_seconds: int = 15,
        seconds_between_requests: float = 0.25,
    ) -> None:
        # PyGithub is imported here: it adds a third of a second to every import of the
        # resources module, which the `dataraum-assets` CLI loads.
        from github import Auth, Github

        self._github = Github(
            base_url=base_url.rstrip("/"),
            auth=Auth.Token(token) if token else None,
            per_page=per_page,
            retry=transient_retry(max_retries, backoff_seconds),
            timeout=timeout_seconds,
            user_agent="dataraum-assets",
            seconds_between_requests=seconds_between_requests or None,
        )
        # Lazy objects are built from a URL without a request: the issues of a repository whose
        # name we already know need no GET of the repository first.
        self._lazy_github = self._github.withLazy(True)

    def close(self) -> None:
        self._github.close()
        self._lazy_github.close()

    def owner_repositories(self, owner: str) -> list[Repository]:
        with _translated_errors(f"listing the repositories of {owner!r}"):
            user = self._github.get_user(owner)
            if user.type == "Organization":
                listing = self._github.get_organization(owner).get_repos(type="all")
            else:
                listing = user.get_repos(type="owner")
            return [_repository(repo) for repo in listing]

    def repository(self, full_name: str) -> Repository:
        with _translated_errors(f"reading repository {full_name!r}"):
            return _repository(self._github.get_repo(full_name))

    def issues(self, full_name: str, since: datetime | None) -> list[Issue]:
        with _translated_errors(f"listing the issues of {full_name!r}"):
            repo = self._lazy_github.get_repo(full_name)
            listing = (
                repo.get_issues(state="all", sort="updated", direction="asc", since=since)
                if since is not None
                else repo.get_issues(state="all", sort="updated", direction="asc")
            )
            return [_issue(full_name, item) for item in listing]


def _repository(repo: "PyGithubRepository") -> Repository:
    return Repository(
        full_name=repo.full_name,
        owner=repo.owner.login,
        name=repo.name,
        language=repo.language,
        stars=repo.stargazers_count,
        forks=repo.forks_count,
        open_issues=repo.open_issues_count,
        created_at=_utc(repo.created_at),
        updated_at=_utc(repo.updated_at),
        pushed_at=_utc(repo.pushed_at) if repo.pushed_at else None,
        archived=repo.archived,
        default_branch=repo.default_branch,
        topics=tuple(repo.topics or ()),
    )


def _issue(full_name: str, item: "PyGithubIssue") -> Issue:
    from github.GithubObject import GithubObject

    # Reading an attribute that is absent from a list response (Issue.pull_request on a plain
    # issue, and CompletableGithubObject.raw_data) makes PyGithub GET the single issue to
    # "complete" it: one request per issue. The base class's raw_data is the JSON as received.
    received: dict[str, Any] = GithubObject.raw_data.__get__(item)
    return Issue(
        repo=full_name,
        number=item.number,
        title=item.title,
        state=item.state,
        labels=tuple(label.name for label in item.labels),
        assignees=tuple(user.login for user in item.assignees),
        author=item.user.login if item.user else None,
        created_at=_utc(item.created_at),
        updated_at=_utc(item.updated_at),
        closed_at=_utc(item.closed_at) if item.closed_at else None,
        comments=item.comments,
        is_pull_request=received.get("pull_request") is not None,
    )


@contextlib.contextmanager
def _translated_errors(what: str) -> Iterator[None]:
    from github import BadAttributeException, GithubException

    try:
        yield
    except GithubException as error:
        raise _classified(what, error.status, error.headers or {}, error.data) from None
    except BadAttributeException as error:
        raise GitHubRequestError(
            f"{what}: a response did not have GitHub's shape (expected {error.expected_type})"
        ) from None
    except requests.RequestException as error:
        # Connection and read errors (and RetryError) after urllib3's bounded retries.
        raise GitHubUnavailableError(
            f"{what}: GitHub unreachable after retries ({type(error).__name__})"
        ) from None


def _classified(what: str, status: int, headers: Mapping[str, Any], data: Any) -> GitHubError:
    lowered = {str(key).lower(): str(value) for key, value in headers.items()}
    message = data.get("message", "") if isinstance(data, dict) else ""
    remaining = lowered.get("x-ratelimit-remaining")
    limited = status in (403, 429) and (
        remaining == "0" or "retry-after" in lowered or "rate limit" in str(message).lower()
    )
    if limited:
        reset_at = _reset_time(lowered)
        when = f"resets at {_format_time(reset_at)}" if reset_at else "reset time unknown"
        return GitHubRateLimitError(
            f"{what}: GitHub rate limit exhausted (HTTP {status}, {when})", reset_at
        )
    if status >= 500:
        return GitHubUnavailableError(f"{what}: GitHub answered HTTP {status} after retries")
    return GitHubRequestError(f"{what}: GitHub answered HTTP {status}: {message or 'no message'}")


def _reset_time(headers: Mapping[str, str]) -> datetime | None:
    with contextlib.suppress(ValueError):
        if "retry-after" in headers:
            return datetime.now(UTC).replace(microsecond=0) + timedelta(
                seconds=int(float(headers["retry-after"]))
            )
        if "x-ratelimit-reset" in headers:
            return datetime.fromtimestamp(int(float(headers["x-ratelimit-reset"])), UTC)
    return None


# --- fetching ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchedOwner:
    plan: OwnerPlan
    repositories: tuple[Repository, ...]
    issues: tuple[Issue, ...]  # every issue (full) or those updated since the cursor

    @property
    def repository_names(self) -> tuple[str, ...]:
        return tuple(repo.full_name for repo in self.repositories)


def fetch_owner(
    client: GitHubClient, plan: OwnerPlan, since: Mapping[str, datetime]
) -> FetchedOwner:
    """Repositories of ``plan`` and their issues (``since`` per repository when given)."""
    repositories = list(client.owner_repositories(plan.owner)) if plan.all_repositories else []
    listed = {repo.full_name.lower() for repo in repositories}
    for full_name in plan.repositories:
        if full_name.lower() not in listed:
            repositories.append(client.repository(full_name))
            listed.add(full_name.lower())
    issues = [
        issue
        for repo in repositories
        for issue in client.issues(repo.full_name, since.get(repo.full_name))
    ]
    return FetchedOwner(plan=plan, repositories=tuple(repositories), issues=tuple(issues))


# --- CSV files ---------------------------------------------------------------------------------

REPOSITORY_COLUMNS = (
    "full_name",
    "owner",
    "name",
    "language",
    "stars",
    "forks",
    "open_issues",
    "created_at",
    "updated_at",
    "pushed_at",
    "archived",
    "default_branch",
    "topics",
)
ISSUE_COLUMNS = (
    "repo",
    "number",
    "title",
    "state",
    "labels",
    "assignees",
    "author",
    "created_at",
    "updated_at",
    "closed_at",
    "comments",
    "is_pull_request",
)
BUG_COLUMNS = (
    "repo",
    "number",
    "title",
    "state",
    "severity",
    "labels",
    "author",
    "created_at",
    "closed_at",
    "age_days",
)


class SnapshotReadError(ValueError):
    """A stored snapshot folder cannot be read back (hand-edited or from another version)."""


def _format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime(_TIMESTAMP_FORMAT)


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, _TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    # PyGithub returns aware datetimes; the comparison and text forms need one zone, UTC.
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _format_time(value)
    if isinstance(value, tuple):
        # Lists (labels, assignees, topics) as JSON arrays: label names may hold any character.
        return json.dumps(list(value), ensure_ascii=False)
    return str(value)


def _repository_row(repo: Repository) -> list[str]:
    return [_cell(getattr(repo, column)) for column in REPOSITORY_COLUMNS]


def _issue_row(issue: Issue) -> list[str]:
    return [_cell(getattr(issue, column)) for column in ISSUE_COLUMNS]


def _bug_row(bug: Bug) -> list[str]:
    return [_cell(getattr(bug, column)) for column in BUG_COLUMNS]


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        handle.flush()
        os.fsync(handle.fileno())


def _read_csv(path: Path, header: Sequence[str]) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != tuple(header):
            raise SnapshotReadError(f"{path}: unexpected columns {reader.fieldnames}")
        return list(reader)


def _optional(text: str) -> str | None:
    return text if text != "" else None


def _repository_from(row: Mapping[str, str]) -> Repository:
    pushed = row["pushed_at"]
    return Repository(
        full_name=row["full_name"],
        owner=row["owner"],
        name=row["name"],
        language=_optional(row["language"]),
        stars=int(row["stars"]),
        forks=int(row["forks"]),
        open_issues=int(row["open_issues"]),
        created_at=_parse_time(row["created_at"]),
        updated_at=_parse_time(row["updated_at"]),
        pushed_at=_parse_time(pushed) if pushed else None,
        archived=row["archived"] == "true",
        default_branch=row["default_branch"],
        topics=tuple(json.loads(row["topics"])),
    )


def _issue_from(row: Mapping[str, str]) -> Issue:
    closed = row["closed_at"]
    return Issue(
        repo=row["repo"],
        number=int(row["number"]),
        title=row["title"],
        state=row["state"],
        labels=tuple(json.loads(row["labels"])),
        assignees=tuple(json.loads(row["assignees"])),
        author=_optional(row["author"]),
        created_at=_parse_time(row["created_at"]),
        updated_at=_parse_time(row["updated_at"]),
        closed_at=_parse_time(closed) if closed else None,
        comments=int(row["comments"]),
        is_pull_request=row["is_pull_request"] == "true",
    )


def read_snapshot(folder: Path) -> Snapshot | None:
    """The snapshot stored in ``folder``, or None when there is none yet.

    Raises :class:`SnapshotReadError` when the files are there but not what we wrote.
    """
    _recover_interrupted_swap(folder)
    if not folder.is_dir():
        return None
    try:
        repositories = [
            _repository_from(row)
            for row in _read_csv(folder / "repositories.csv", REPOSITORY_COLUMNS)
        ]
        issues = [
            _issue_from(row)
            for name in ("issues.csv", "pull_requests.csv")
            for row in _read_csv(folder / name, ISSUE_COLUMNS)
        ]
    except (OSError, ValueError, KeyError, TypeError, csv.Error) as error:
        raise SnapshotReadError(f"{folder}: cannot read the stored snapshot: {error}") from error
    return Snapshot.of(repositories, issues)


def write_snapshot(folder: Path, snapshot: Snapshot, rules: BugRules, as_of: datetime) -> None:
    """Write the four CSV files of ``snapshot`` into ``folder`` atomically.

    The files go to a fresh temporary folder beside ``folder`` which then replaces it by two
    renames (the old folder is moved aside first, then removed). A crash leaves either the old or
    the new folder complete; one between the renames leaves the old one aside, and
    :func:`read_snapshot` moves it back. A pipeline step listing the folder in that instant
    fails and is retried by its retry policy.
    """
    parent = folder.parent
    parent.mkdir(parents=True, exist_ok=True)
    _recover_interrupted_swap(folder)
    for stale in parent.glob(f".{folder.name}.*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)
    token = uuid.uuid4().hex
    temp = parent / f".{folder.name}.{token}.tmp"
    temp.mkdir()
    try:
        issues = [issue for issue in snapshot.issues if not issue.is_pull_request]
        pulls = [issue for issue in snapshot.issues if issue.is_pull_request]
        _write_csv(
            temp / "repositories.csv",
            REPOSITORY_COLUMNS,
            map(_repository_row, snapshot.repositories),
        )
        _write_csv(temp / "issues.csv", ISSUE_COLUMNS, map(_issue_row, issues))
        _write_csv(temp / "pull_requests.csv", ISSUE_COLUMNS, map(_issue_row, pulls))
        _write_csv(
            temp / "bugs.csv", BUG_COLUMNS, map(_bug_row, extract_bugs(issues, rules, as_of))
        )
        aside = parent / f".{folder.name}.{token}.old"
        if folder.exists():
            os.rename(folder, aside)
        os.rename(temp, folder)
        fsync_dir(parent)
        shutil.rmtree(aside, ignore_errors=True)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _recover_interrupted_swap(folder: Path) -> None:
    if folder.exists():
        for old in folder.parent.glob(f".{folder.name}.*.old"):
            shutil.rmtree(old, ignore_errors=True)
        return
    aside = sorted(
        folder.parent.glob(f".{folder.name}.*.old"), key=lambda path: path.stat().st_mtime
    )
    if aside:
        os.rename(aside[-1], folder)


@contextlib.contextmanager
def snapshot_lock(folder: Path) -> Iterator[None]:
    """Exclusive lock for read-merge-write of one snapshot folder (the sensor and the resync
    schedule run in different threads of the daemon and may sync the same owner at once)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "w") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
