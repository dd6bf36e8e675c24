"""A local GitHub REST API for tests: real HTTP on 127.0.0.1, GitHub's JSON shapes and headers.

Serves, under a GitHub Enterprise style prefix (``/api/v3``), the endpoints the GitHub client
uses: ``/users/{login}``, ``/orgs/{org}``, ``/orgs/{org}/repos``, ``/users/{login}/repos``,
``/repos/{owner}/{repo}`` and ``/repos/{owner}/{repo}/issues`` (``state``, ``since``, ``sort``,
``direction``, ``per_page``, ``page``), with ``Link`` pagination headers and ``X-RateLimit-*``
headers on every response. Tests change the data between ticks, make requests fail (5xx, dropped
connections), exhaust the rate limit (403 or 429), and read back every request received.
"""

import contextlib
import json
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qs, urlencode, urlsplit

PREFIX = "/api/v3"
RATE_LIMIT_MESSAGE = (
    "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests "
    "get a higher rate limit. Check out the documentation for more details.)"
)
DOCS = "https://docs.github.com/rest"


def _id(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def at(text: str) -> datetime:
    """``"2024-01-02T03:04:05Z"`` → aware datetime (test data is written as GitHub writes it)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@dataclass
class ReceivedRequest:
    path: str  # without the prefix
    query: dict[str, str]
    authorization: str | None


@dataclass
class PlannedFailure:
    path_contains: str
    times: int
    status: int | None  # None: drop the connection without an answer


@dataclass
class FakeRepo:
    owner: str
    name: str
    language: str | None = "Python"
    stars: int = 0
    forks: int = 0
    created_at: str = "2020-01-01T00:00:00Z"
    updated_at: str = "2024-01-01T00:00:00Z"
    pushed_at: str | None = "2024-01-01T00:00:00Z"
    archived: bool = False
    default_branch: str = "main"
    topics: list[str] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class FakeIssue:
    number: int
    title: str
    created_at: str
    updated_at: str
    state: str = "open"
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    author: str | None = "octocat"
    closed_at: str | None = None
    comments: int = 0
    pull_request: bool = False


@dataclass
class FakeGitHub:
    """The server's state. Mutate it between requests; it is read under a lock."""

    accounts: dict[str, str] = field(default_factory=dict)  # login -> "Organization" | "User"
    repos: dict[str, FakeRepo] = field(default_factory=dict)  # full name -> repo
    issues: dict[str, dict[int, FakeIssue]] = field(default_factory=dict)
    rate_limit: int = 5000
    rate_remaining: int = 5000
    rate_reset: int = 1_900_000_000  # epoch seconds, 2030-03-17
    rate_limit_status: int = 403  # GitHub answers an exhausted limit with 403 or 429
    retry_after: int | None = None  # secondary rate limits send Retry-After instead
    failures: list[PlannedFailure] = field(default_factory=list)
    received: list[ReceivedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""

    def add_owner(self, login: str, kind: str = "Organization") -> None:
        self.accounts[login] = kind

    def add_repo(self, repo: FakeRepo) -> FakeRepo:
        self.repos[repo.full_name] = repo
        self.issues.setdefault(repo.full_name, {})
        return repo

    def add_issue(self, full_name: str, issue: FakeIssue) -> FakeIssue:
        self.issues[full_name][issue.number] = issue
        return issue

    def fail(self, path_contains: str, *, times: int = 1, status: int | None = 502) -> None:
        """The next ``times`` requests whose path contains ``path_contains`` fail with
        ``status`` (None: the connection is closed without an answer)."""
        self.failures.append(PlannedFailure(path_contains, times, status))

    def requests_to(self, path_contains: str) -> list[ReceivedRequest]:
        return [request for request in self.received if path_contains in request.path]

    # --- JSON shaped like GitHub's documented responses -------------------------------------

    def _account_json(self, login: str) -> dict[str, Any]:
        kind = self.accounts[login]
        base = "orgs" if kind == "Organization" else "users"
        return {
            "login": login,
            "id": _id(login),
            "node_id": f"MDQ6VXNlcj{login}",
            "avatar_url": f"https://avatars.example/{login}",
            "gravatar_id": "",
            "url": f"{self.base_url}/{base}/{login}",
            "html_url": f"https://github.example/{login}",
            "repos_url": f"{self.base_url}/{base}/{login}/repos",
            "type": kind,
            "site_admin": False,
            "name": login.title(),
            "public_repos": sum(1 for repo in self.repos.values() if repo.owner == login),
            "created_at": "2019-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
        }

    def _user_json(self, login: str) -> dict[str, Any]:
        return {
            "login": login,
            "id": _id(login),
            "node_id": f"MDQ6VXNlcj{login}",
            "avatar_url": f"https://avatars.example/{login}",
            "url": f"{self.base_url}/users/{login}",
            "html_url": f"https://github.example/{login}",
            "type": self.accounts.get(login, "User"),
            "site_admin": False,
        }

    def _repo_json(self, repo: FakeRepo) -> dict[str, Any]:
        open_count = sum(1 for item in self.issues[repo.full_name].values() if item.state == "open")
        url = f"{self.base_url}/repos/{repo.full_name}"
        return {
            "id": _id(repo.full_name),
            "node_id": f"R_{repo.name}",
            "name": repo.name,
            "full_name": repo.full_name,
            "private": False,
            "owner": self._user_json(repo.owner),
            "html_url": f"https://github.example/{repo.full_name}",
            "description": f"The {repo.name} repository",
            "fork": False,
            "url": url,
            "issues_url": f"{url}/issues{{/number}}",
            "pulls_url": f"{url}/pulls{{/number}}",
            "created_at": repo.created_at,
            "updated_at": repo.updated_at,
            "pushed_at": repo.pushed_at,
            "homepage": None,
            "size": 128,
            "stargazers_count": repo.stars,
            "watchers_count": repo.stars,
            "language": repo.language,
            "has_issues": True,
            "forks_count": repo.forks,
            "archived": repo.archived,
            "disabled": False,
            "open_issues_count": open_count,
            "license": None,
            "topics": repo.topics,
            "visibility": "public",
            "forks": repo.forks,
            "open_issues": open_count,
            "watchers": repo.stars,
            "default_branch": repo.default_branch,
        }

    def _issue_json(self, full_name: str, issue: FakeIssue) -> dict[str, Any]:
        url = f"{self.base_url}/repos/{full_name}/issues/{issue.number}"
        kind = "pull" if issue.pull_request else "issues"
        body: dict[str, Any] = {
            "id": _id(f"{full_name}#{issue.number}"),
            "node_id": f"I_{issue.number}",
            "url": url,
            "repository_url": f"{self.base_url}/repos/{full_name}",
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "html_url": f"https://github.example/{full_name}/{kind}/{issue.number}",
            "number": issue.number,
            "state": issue.state,
            "state_reason": "completed" if issue.state == "closed" else None,
            "title": issue.title,
            "body": "Steps to reproduce: …",
            "user": self._user_json(issue.author) if issue.author else None,
            "labels": [
                {
                    "id": _id(name),
                    "node_id": f"LA_{index}",
                    "url": f"{self.base_url}/repos/{full_name}/labels/{name}",
                    "name": name,
                    "color": "d73a4a",
                    "default": name == "bug",
                    "description": None,
                }
                for index, name in enumerate(issue.labels)
            ],
            "assignee": self._user_json(issue.assignees[0]) if issue.assignees else None,
            "assignees": [self._user_json(login) for login in issue.assignees],
            "milestone": None,
            "locked": False,
            "active_lock_reason": None,
            "comments": issue.comments,
            "closed_at": issue.closed_at,
            "created_at": issue.created_at,
            "updated_at": issue.updated_at,
            "closed_by": None,
            "author_association": "MEMBER",
        }
        if issue.pull_request:
            pull = f"{self.base_url}/repos/{full_name}/pulls/{issue.number}"
            body["pull_request"] = {
                "url": pull,
                "html_url": body["html_url"],
                "diff_url": f"{body['html_url']}.diff",
                "patch_url": f"{body['html_url']}.patch",
                "merged_at": issue.closed_at,
            }
        return body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    @property
    def state(self) -> FakeGitHub:
        return cast("_Server", self.server).state

    def do_GET(self) -> None:
        state = self.state
        parts = urlsplit(self.path)
        path = parts.path
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        with state.lock:
            if not path.startswith(PREFIX + "/"):
                self._send(404, {"message": "Not Found", "documentation_url": DOCS})
                return
            path = path[len(PREFIX) :]
            state.received.append(ReceivedRequest(path, query, self.headers.get("Authorization")))
            for failure in state.failures:
                if failure.times > 0 and failure.path_contains in path:
                    failure.times -= 1
                    if failure.status is None:
                        self.close_connection = True
                        return
                    self._send(failure.status, {"message": "Server Error"})
                    return
            if state.rate_remaining <= 0:
                headers = {"Retry-After": str(state.retry_after)} if state.retry_after else {}
                self._send(
                    state.rate_limit_status,
                    {"message": RATE_LIMIT_MESSAGE, "documentation_url": DOCS},
                    extra=headers,
                )
                return
            state.rate_remaining -= 1
            self._route(state, path, query, parts.query)

    def _route(self, state: FakeGitHub, path: str, query: dict[str, str], raw_query: str) -> None:
        segments = path.strip("/").split("/")
        not_found = {"message": "Not Found", "documentation_url": DOCS}
        match segments:
            case ["users", login] if login in state.accounts:
                self._send(200, state._account_json(login))
            case ["orgs", login] if state.accounts.get(login) == "Organization":
                self._send(200, state._account_json(login))
            case ["orgs" | "users", login, "repos"] if login in state.accounts:
                repos = [
                    state._repo_json(repo)
                    for name, repo in sorted(state.repos.items())
                    if repo.owner == login
                ]
                self._send_page(path, query, repos)
            case ["repos", owner, name] if f"{owner}/{name}" in state.repos:
                self._send(200, state._repo_json(state.repos[f"{owner}/{name}"]))
            case ["repos", owner, name, "issues"] if f"{owner}/{name}" in state.repos:
                self._send_page(path, query, self._issues(state, f"{owner}/{name}", query))
            case _:
                self._send(404, not_found)

    @staticmethod
    def _issues(state: FakeGitHub, full_name: str, query: dict[str, str]) -> list[dict[str, Any]]:
        items = list(state.issues[full_name].values())
        wanted = query.get("state", "open")
        if wanted != "all":
            items = [item for item in items if item.state == wanted]
        if "since" in query:
            since = at(query["since"])
            items = [item for item in items if at(item.updated_at) >= since]
        field_name = {"updated": "updated_at", "comments": "comments"}.get(
            query.get("sort", "created"), "created_at"
        )
        items.sort(
            key=lambda item: (getattr(item, field_name), item.number),
            reverse=query.get("direction", "desc") == "desc",
        )
        return [state._issue_json(full_name, item) for item in items]

    def _send_page(self, path: str, query: dict[str, str], items: list[dict[str, Any]]) -> None:
        per_page = min(int(query.get("per_page", "30")), 100)
        page = max(int(query.get("page", "1")), 1)
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page : page * per_page]

        def link(number: int) -> str:
            params = urlencode({**query, "page": str(number)})
            return f"<{self.state.base_url}{path}?{params}>"

        links = []
        if page < last:
            links += [f'{link(page + 1)}; rel="next"', f'{link(last)}; rel="last"']
        if page > 1:
            links += [f'{link(1)}; rel="first"', f'{link(page - 1)}; rel="prev"']
        self._send(200, chunk, extra={"Link": ", ".join(links)} if links else {})

    def _send(
        self,
        status: int,
        body: Any,
        *,
        extra: dict[str, str] | None = None,
    ) -> None:
        state = self.state
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-RateLimit-Limit", str(state.rate_limit))
        self.send_header("X-RateLimit-Remaining", str(max(state.rate_remaining, 0)))
        self.send_header("X-RateLimit-Reset", str(state.rate_reset))
        self.send_header("X-RateLimit-Used", str(state.rate_limit - state.rate_remaining))
        self.send_header("X-RateLimit-Resource", "core")
        self.send_header("X-GitHub-Media-Type", "github.v3; format=json")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: FakeGitHub) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


@contextlib.contextmanager
def running_github(state: FakeGitHub) -> Iterator[FakeGitHub]:
    """Serve ``state`` on a free loopback port; ``state.base_url`` is the API root."""
    server = _Server(state)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-github", daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
