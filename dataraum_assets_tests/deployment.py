"""The multi-process deployment (scripts/serve) on loopback, for tests and the launch benchmark.

`running_deployment` starts ``scripts/serve`` (gRPC code server, dagster-webserver,
dagster-daemon) against a PostgreSQL server, on free loopback ports, waits until the webserver
has loaded the code location and the daemon is healthy, and always stops it on exit.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import requests

from dataraum_assets.run_tags import SOURCE_TAG
from dataraum_assets_tests.pipeline import REPO_ROOT
from dataraum_assets_tests.postgres_server import PostgresServer

LOCATION = "dataraum_assets"
REPOSITORY = "__repository__"
ASSET_JOB = "__ASSET_JOB"
_START_TIMEOUT_SECONDS = 180
FINISHED_STATUSES = frozenset({"SUCCESS", "FAILURE", "CANCELED"})

LAUNCH_MUTATION = """
mutation Launch($executionParams: ExecutionParams!) {
  launchPipelineExecution(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on Error { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""

RUN_QUERY = """
query Run($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run {
      runId status startTime endTime
      tags { key value }
      stepStats { stepKey status attempts { startTime } }
    }
    ... on Error { message }
  }
}
"""

_READY_QUERY = """
{
  workspaceOrError {
    ... on Workspace {
      locationEntries { name locationOrLoadError { __typename ... on PythonError { message } } }
    }
  }
  instance { daemonHealth { allDaemonStatuses { daemonType required healthy } } }
}
"""


class DeploymentError(RuntimeError):
    """The deployment did not come up, or a GraphQL call failed; carries the process log."""


@dataclass(frozen=True)
class Deployment:
    """A running scripts/serve topology and how to reach it."""

    home: Path
    data_dir: Path
    url: str
    grpc_port: int
    env: Mapping[str, str]
    log_file: Path
    pid: int

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        response = requests.post(
            self.graphql_url, json={"query": query, "variables": dict(variables or {})}, timeout=60
        )
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise DeploymentError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def launch(
        self, source: str | None, assets: Sequence[str], tags: Mapping[str, str] | None = None
    ) -> str:
        """Launch a materialization of ``assets`` for ``source`` (None: assets that are not
        partitioned); returns the run id."""
        source_tags = {"dagster/partition": source, SOURCE_TAG: source} if source else {}
        all_tags = {**source_tags, **(tags or {})}
        result = self.graphql(
            LAUNCH_MUTATION,
            {
                "executionParams": {
                    "selector": {
                        "repositoryLocationName": LOCATION,
                        "repositoryName": REPOSITORY,
                        "pipelineName": ASSET_JOB,
                        "assetSelection": [{"path": [asset]} for asset in assets],
                    },
                    "executionMetadata": {
                        "tags": [{"key": k, "value": v} for k, v in all_tags.items()]
                    },
                }
            },
        )["launchPipelineExecution"]
        if result["__typename"] != "LaunchRunSuccess":
            raise DeploymentError(f"launch failed: {result}")
        return result["run"]["runId"]

    def run(self, run_id: str) -> dict[str, Any]:
        result = self.graphql(RUN_QUERY, {"runId": run_id})["runOrError"]
        if result["__typename"] != "Run":
            raise DeploymentError(f"no run {run_id}: {result}")
        return result

    def wait_for_run(self, run_id: str, timeout: float = 120) -> dict[str, Any]:
        """Poll until the run has finished; returns its last state."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.run(run_id)
            if run["status"] in FINISHED_STATUSES:
                return run
            if time.monotonic() > deadline:
                raise DeploymentError(
                    f"run {run_id} still {run['status']} after {timeout}s\n{self.log_tail()}"
                )
            time.sleep(0.25)

    def log_tail(self, chars: int = 6000) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")[-chars:]


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_cli(
    deployment: Deployment, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a command of the venv with the deployment's environment (instance, data folder)."""
    bin_dir = REPO_ROOT / ".venv" / "bin"
    return subprocess.run(
        [str(bin_dir / args[0]), *args[1:]],
        cwd=REPO_ROOT,
        env=dict(deployment.env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def running_deployment(
    postgres: PostgresServer, base_dir: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[Deployment]:
    """Run scripts/serve with a fresh DAGSTER_HOME (the repository's dagster.yaml) under
    ``base_dir`` against ``postgres``; stop it (and every process it started) on exit."""
    home = base_dir / "dagster_home"
    data_dir = base_dir / "data"
    home.mkdir(parents=True)
    data_dir.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    webserver_port, grpc_port = free_loopback_port(), free_loopback_port()
    env = {
        **os.environ,
        **postgres.env(),
        "DAGSTER_HOME": str(home),
        "DATARAUM_DATA_DIR": str(data_dir),
        "DATARAUM_WEBSERVER_PORT": str(webserver_port),
        "DATARAUM_GRPC_PORT": str(grpc_port),
        **(extra_env or {}),
    }
    log_file = base_dir / "serve.log"
    with log_file.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [str(REPO_ROOT / "scripts" / "serve")],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deployment = Deployment(
        home=home,
        data_dir=data_dir,
        url=f"http://127.0.0.1:{webserver_port}",
        grpc_port=grpc_port,
        env=env,
        log_file=log_file,
        pid=process.pid,
    )
    try:
        _wait_until_ready(deployment, process)
        yield deployment
    finally:
        _stop(process)


def _wait_until_ready(deployment: Deployment, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DeploymentError(
                f"scripts/serve exited with {process.returncode}\n{deployment.log_tail()}"
            )
        try:
            data = deployment.graphql(_READY_QUERY)
        except (requests.RequestException, DeploymentError) as error:
            last = str(error)
        else:
            entries = data["workspaceOrError"].get("locationEntries") or []
            loaded = [
                entry
                for entry in entries
                if (entry["locationOrLoadError"] or {}).get("__typename") == "RepositoryLocation"
            ]
            daemons = data["instance"]["daemonHealth"]["allDaemonStatuses"]
            unhealthy = [d["daemonType"] for d in daemons if d["required"] and not d["healthy"]]
            if loaded and not unhealthy:
                return
            last = f"locations {entries}, unhealthy daemons {unhealthy}"
        time.sleep(0.5)
    raise DeploymentError(
        f"deployment not ready after {_START_TIMEOUT_SECONDS}s: {last}\n{deployment.log_tail()}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    # scripts/serve runs each process in its own process group (job control), so the leftovers
    # (a run worker mid-step, a process that ignored the signal) are found by parentage.
    try:
        descendants = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            # A code server waits for its runs; the runs of a test need not finish.
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    for child in descendants:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    psutil.wait_procs(descendants, timeout=10)
