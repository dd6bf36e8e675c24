"""Failed runs are the dead-letter queue: re-execute them from failure over GraphQL.

``dataraum-assets retry-failed [SOURCE] [--run ID]`` (cli.py) calls :func:`retry_failed`
against a running webserver. A failed run keeps its error in the instance; re-executing it
from failure creates a child run (tag ``dagster/parent_run_id``) that runs only the failed
and not-yet-run steps. A failed run that already has a child (an automatic run retry or an
earlier ``retry-failed``) is skipped, so the command can be repeated safely.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from dataraum_assets.run_tags import SOURCE_TAG, TRIGGER_TAG

DEFAULT_URL = "http://127.0.0.1:3000"
URL_ENV_VAR = "DAGSTER_URL"
PARENT_RUN_TAG = "dagster/parent_run_id"
MAX_FAILED_RUNS = 100

_FAILED_RUNS = """
query FailedRuns($filter: RunsFilter!, $limit: Int!) {
  runsOrError(filter: $filter, limit: $limit) {
    __typename
    ... on Runs { results { runId status tags { key value } } }
    ... on Error { message }
  }
}
"""

_CHILDREN = """
query Children($filter: RunsFilter!) {
  runsOrError(filter: $filter, limit: 1) {
    ... on Runs { results { runId } }
    ... on Error { message }
  }
}
"""

_REEXECUTE = """
mutation Reexecute($params: ReexecutionParams!) {
  launchRunReexecution(reexecutionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on Error { message }
  }
}
"""


class ReexecutionError(RuntimeError):
    """The webserver refused a query or a re-execution; the message says which and why."""


@dataclass(frozen=True)
class Retried:
    run_id: str
    source: str | None
    new_run_id: str | None  # None: skipped
    note: str


def _graphql(url: str, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
    try:
        response = requests.post(
            f"{url.rstrip('/')}/graphql", json={"query": query, "variables": variables}, timeout=60
        )
        response.raise_for_status()
    except requests.RequestException as error:
        raise ReexecutionError(f"cannot reach the Dagster webserver at {url}: {error}") from error
    body = response.json()
    if body.get("errors"):
        raise ReexecutionError(f"GraphQL errors from {url}: {body['errors']}")
    return body["data"]


def failed_runs(url: str, source: str | None, run_id: str | None) -> list[dict[str, Any]]:
    """Failed runs: ``run_id`` alone, else every failed run of ``source`` (or of all sources),
    newest first, at most ``MAX_FAILED_RUNS``."""
    run_filter: dict[str, Any] = {"statuses": ["FAILURE"]}
    if run_id:
        run_filter = {"runIds": [run_id]}
    elif source:
        run_filter["tags"] = [{"key": SOURCE_TAG, "value": source}]
    result = _graphql(url, _FAILED_RUNS, {"filter": run_filter, "limit": MAX_FAILED_RUNS})
    runs = result["runsOrError"]
    if runs["__typename"] != "Runs":
        raise ReexecutionError(f"cannot list runs: {runs.get('message')}")
    found = runs["results"]
    if run_id:
        if not found:
            raise ReexecutionError(f"no run {run_id}")
        if found[0]["status"] != "FAILURE":
            raise ReexecutionError(f"run {run_id} is {found[0]['status']}, not FAILURE")
    return found


def _child_of(url: str, run_id: str) -> str | None:
    result = _graphql(
        url, _CHILDREN, {"filter": {"tags": [{"key": PARENT_RUN_TAG, "value": run_id}]}}
    )
    children = result["runsOrError"].get("results") or []
    return children[0]["runId"] if children else None


def retry_failed(
    url: str, source: str | None = None, run_id: str | None = None, triggered_by: str = "cli"
) -> list[Retried]:
    """Re-execute failed runs from failure (strategy FROM_FAILURE); see the module docstring."""
    outcomes: list[Retried] = []
    for run in failed_runs(url, source, run_id):
        tags = {tag["key"]: tag["value"] for tag in run["tags"]}
        run_source = tags.get(SOURCE_TAG)
        child = _child_of(url, run["runId"])
        if child is not None:
            outcomes.append(
                Retried(run["runId"], run_source, None, f"already re-executed as {child}")
            )
            continue
        result = _graphql(
            url,
            _REEXECUTE,
            {
                "params": {
                    "parentRunId": run["runId"],
                    "strategy": "FROM_FAILURE",
                    "extraTags": [
                        {"key": TRIGGER_TAG, "value": "retry-failed"},
                        {"key": "triggered_by", "value": triggered_by},
                    ],
                }
            },
        )["launchRunReexecution"]
        if result["__typename"] != "LaunchRunSuccess":
            raise ReexecutionError(
                f"re-executing run {run['runId']} failed: {result['__typename']}: "
                f"{result.get('message')}"
            )
        outcomes.append(
            Retried(run["runId"], run_source, result["run"]["runId"], "re-executed from failure")
        )
    return outcomes
