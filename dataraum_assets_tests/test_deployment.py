"""The multi-process deployment (scripts/serve) against real processes on loopback: PostgreSQL,
a gRPC code server, dagster-webserver and dagster-daemon, driven over HTTP like a user would.

One topology serves the whole module; the tests build on each other's runs in file order
(pytest keeps it): the README's GraphQL examples launch the example source, webhooks report
those runs, a failed run is re-executed, a run worker is killed, run_history summarizes it all,
and finally the logs are searched for planted secrets.
"""

import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import psutil
import psycopg2
import pytest

from dataraum_assets.run_tags import SOURCE_TAG
from dataraum_assets.webhooks import SIGNATURE_HEADER
from dataraum_assets_tests.deployment import Deployment, run_cli, running_deployment
from dataraum_assets_tests.pipeline import EXAMPLE_FOLDER, REPO_ROOT
from dataraum_assets_tests.postgres_server import PostgresServer, running_postgres
from dataraum_assets_tests.webhook_receiver import Receiver, running_receiver

pytestmark = pytest.mark.integration

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
SECRET = "planted-Secret-8f3b1c2d9e"  # never to be found in logs, metadata, tags or config
GITHUB_SECRET = "ghp_plantedToken0123456789abcdef"
WEBHOOK_TOKEN = "querytoken-5a6b7c"  # in a webhook URL's query string; must not be logged
SMALL = ["raw_tables", "typed_tables"]


def readme_example(name: str) -> str:
    """The code block that follows ``<!-- example: name -->`` in README.md."""
    match = re.search(
        rf"<!-- example: {re.escape(name)} -->\n```(?:bash|python)\n(.*?)```", README, re.DOTALL
    )
    assert match, f"README.md has no example {name!r}"
    return match.group(1)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    # A database of its own: run_history and retry-failed look at every run of the instance.
    with running_postgres(tmp_path_factory.mktemp("deployment-pg")) as server:
        yield server


@pytest.fixture(scope="module")
def deployment(
    postgres: PostgresServer, receiver: Receiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    base = tmp_path_factory.mktemp("deployment")
    webhooks = base / "webhooks.yaml"
    webhooks.write_text(
        "webhooks:\n"
        f"  - url: {receiver.url}/ok\n"
        "    secret_env: DATARAUM_WEBHOOK_SECRET\n"
        f"  - url: {receiver.url}/flaky/2?token={WEBHOOK_TOKEN}\n"
        "    events: [success]\n"
        "    secret_env: DATARAUM_WEBHOOK_SECRET\n"
        "    backoff_seconds: 0.2\n",
        encoding="utf-8",
    )
    extra_env = {
        "DATARAUM_WEBHOOKS_FILE": str(webhooks),
        "DATARAUM_WEBHOOK_SECRET": SECRET,
        "GITHUB_TOKEN": GITHUB_SECRET,
    }
    with running_deployment(postgres, base, extra_env) as running:
        registered = run_cli(
            running, "dataraum-assets", "register", str(EXAMPLE_FOLDER), "--name", "acme_books"
        )
        assert registered.returncode == 0, registered.stderr
        _wait_for_sensor_ticks(
            running, ["run_success_webhook_sensor", "run_failure_webhook_sensor"]
        )
        yield running


def _wait_for_sensor_ticks(deployment: Deployment, sensors: list[str]) -> None:
    # A run status sensor only reports runs that finish after its first tick.
    query = """query($s: SensorSelector!) { sensorOrError(sensorSelector: $s) {
      ... on Sensor { sensorState { ticks(limit: 1) { status } } } } }"""
    deadline = time.monotonic() + 90
    pending = set(sensors)
    while pending and time.monotonic() < deadline:
        for name in sorted(pending):
            selector = {
                "repositoryLocationName": "dataraum_assets",
                "repositoryName": "__repository__",
                "sensorName": name,
            }
            state = deployment.graphql(query, {"s": selector})["sensorOrError"]["sensorState"]
            if state["ticks"]:
                pending.discard(name)
        time.sleep(0.5)
    assert not pending, f"no ticks of {pending}\n{deployment.log_tail()}"


def _run_example(deployment: Deployment, name: str, **env: str) -> subprocess.CompletedProcess[str]:
    code = readme_example(name)
    command = [sys.executable, "-c", code] if name.endswith("python") else ["bash", "-c", code]
    completed = subprocess.run(
        command,
        env={**os.environ, "DAGSTER_URL": deployment.url, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


def _children(deployment: Deployment, run_id: str) -> list[dict[str, Any]]:
    query = """query($f: RunsFilter!) { runsOrError(filter: $f) { ... on Runs {
      results { runId status tags { key value } } } } }"""
    tags = [{"key": "dagster/parent_run_id", "value": run_id}]
    return deployment.graphql(query, {"f": {"tags": tags}})["runsOrError"]["results"]


def _pg(postgres: PostgresServer):
    return psycopg2.connect(
        host=postgres.host,
        port=postgres.port,
        user=postgres.user,
        password=postgres.password,
        dbname=postgres.database,
    )


RUNS: dict[str, str] = {}  # name -> run id, shared by the tests of this module in file order


def test_readme_graphql_examples_against_the_real_webserver(
    deployment: Deployment, postgres: PostgresServer
) -> None:
    full = _run_example(deployment, "launch-python")
    full_run = full.stdout.strip().splitlines()[-1]
    RUNS["full"] = full_run
    finished = deployment.wait_for_run(full_run, timeout=300)
    assert finished["status"] == "SUCCESS", deployment.log_tail()
    tags = {tag["key"]: tag["value"] for tag in finished["tags"]}
    assert tags[SOURCE_TAG] == "acme_books"
    assert (tags["triggered_by"], tags["dagster/priority"]) == ("aiops-bot", "10")

    selection = json.loads(_run_example(deployment, "launch-curl").stdout)
    selection_run = selection["data"]["launchPipelineExecution"]["run"]["runId"]
    RUNS["selection"] = selection_run
    assert deployment.wait_for_run(selection_run)["status"] == "SUCCESS", deployment.log_tail()

    status = json.loads(_run_example(deployment, "status-curl", RUN_ID=selection_run).stdout)
    run = status["data"]["runOrError"]
    planned = {step["key"] for step in run["executionPlan"]["steps"]}
    assert {"raw_tables", "typed_tables"} <= planned
    assert "statistical_profiles" not in planned
    assert {s["stepKey"] for s in run["stepStats"] if s["status"] == "SUCCESS"} == planned

    progress = _run_example(deployment, "status-python", RUN_ID=selection_run).stdout
    assert progress.strip() == f"SUCCESS: {len(planned)}/{len(planned)} steps done; running: -"

    lineage = json.loads(_run_example(deployment, "lineage-curl").stdout)
    node = lineage["data"]["assetNodeOrError"]
    assert {"/".join(k["path"]) for k in node["dependencyKeys"]} == {"raw_tables"}
    assert "statistical_profiles" in {"/".join(k["path"]) for k in node["dependedByKeys"]}
    [latest] = node["assetMaterializations"]
    assert latest["runId"] == selection_run
    rows = {e["label"]: e.get("intValue") for e in latest["metadataEntries"]}
    assert rows["dagster/row_count"] > 1000

    context = _run_example(deployment, "lineage-python", ASSET="entropy_context").stdout
    assert "upstream: " in context and "statistical_profiles" in context
    assert f"latest run: {full_run}" in context
    assert re.search(r"^readiness: (ready|investigate|blocked)$", context, re.MULTILINE)
    assert re.search(r"^dagster/row_count: \d+$", context, re.MULTILINE)

    # The history is in PostgreSQL, not in SQLite files under DAGSTER_HOME.
    assert not (deployment.home / "history").exists()
    with _pg(postgres) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT run_id, status FROM runs WHERE run_id IN (%s, %s)", (full_run, selection_run)
        )
        assert sorted(cursor.fetchall()) == sorted(
            [(full_run, "SUCCESS"), (selection_run, "SUCCESS")]
        )


def _wait_for_requests(receiver: Receiver, path: str, run_id: str, count: int) -> list[Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        matching = [
            r
            for r in receiver.received(path)
            if r.headers["X-Dataraum-Delivery"].startswith(run_id)
        ]
        if len(matching) >= count:
            return matching
        time.sleep(0.2)
    raise AssertionError(f"{count} requests for {run_id} on {path} not received")


def test_webhooks_signed_with_retries_and_logged(
    deployment: Deployment, receiver: Receiver
) -> None:
    full_run = RUNS["full"]
    [ok] = _wait_for_requests(receiver, "/ok", full_run, 1)
    expected = "sha256=" + hmac.new(SECRET.encode(), ok.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(ok.headers[SIGNATURE_HEADER], expected)
    payload = ok.json()
    assert (payload["event"], payload["source"], payload["run_id"], payload["status"]) == (
        "run.success",
        "acme_books",
        full_run,
        "SUCCESS",
    )
    assert {"raw_tables", "typed_tables", "entropy_context"} <= set(payload["assets"])
    assert payload["row_counts"]["typed_tables"] > 1000
    assert payload["triggered_by"] == "aiops-bot"
    assert set(payload["readiness"]["counts"]) <= {"ready", "investigate", "blocked"}
    assert payload["readiness"]["source"]
    assert payload["top_issues"] and payload["top_issues"][0]["rank"] == 1
    assert payload["error"] is None

    # 500, 500, 200: three attempts of one delivery, the same body and delivery id each time.
    flaky = _wait_for_requests(receiver, "/flaky/2", full_run, 3)
    assert [r.status for r in flaky] == [500, 500, 200]
    assert len({r.body for r in flaky}) == 1
    assert len({r.headers["X-Dataraum-Delivery"] for r in flaky}) == 1

    log = deployment.data_dir / "webhooks" / "deliveries.jsonl"
    # The receiver saw the last attempt just before the sensor appended the log line.
    deadline = time.monotonic() + 10
    mine: list[dict[str, Any]] = []
    while len(mine) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        entries = [json.loads(line) for line in log.read_text().splitlines()]
        mine = [e for e in entries if e["run_id"] == full_run]
    by_url = {entry["url"]: entry for entry in mine}
    flaky_entry = by_url[f"{receiver.url}/flaky/2"]
    assert flaky_entry["delivered"] is True
    assert [a["status_code"] for a in flaky_entry["attempts"]] == [500, 500, 200]
    assert by_url[f"{receiver.url}/ok"]["signed"] is True
    assert WEBHOOK_TOKEN not in log.read_text() and SECRET not in log.read_text()


def test_failed_run_is_a_dead_letter_until_retry_failed(
    deployment: Deployment, receiver: Receiver, tmp_path: Path
) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(EXAMPLE_FOLDER, folder)
    # Deterministic failure: every file is over the limit and a rejection fails the run.
    settings = folder / "dataraum.yaml"
    settings.write_text("raw_tables:\n  max_file_bytes: 10\n  block_on_rejection: true\n")
    registered = run_cli(deployment, "dataraum-assets", "register", str(folder), "--name", "broken")
    assert registered.returncode == 0, registered.stderr
    failed = deployment.launch("broken", SMALL, {"triggered_by": "test"})
    RUNS["failed"] = failed
    run = deployment.wait_for_run(failed)
    assert run["status"] == "FAILURE"
    assert {s["stepKey"]: s["status"] for s in run["stepStats"]}["raw_tables"] == "FAILURE"
    # Exactly one attempt: block_on_rejection is not retried by the step's retry policy.
    [raw_step] = [s for s in run["stepStats"] if s["stepKey"] == "raw_tables"]
    assert len(raw_step["attempts"]) == 1

    [notice] = _wait_for_requests(receiver, "/ok", failed, 1)
    payload = notice.json()
    assert (payload["event"], payload["status"], payload["source"]) == (
        "run.failure",
        "FAILURE",
        "broken",
    )
    assert payload["failed_steps"] == ["raw_tables"]
    assert "max_file_bytes" in payload["error"]
    # The flaky target subscribed to success only.
    assert not [
        r
        for r in receiver.received("/flaky")
        if r.headers["X-Dataraum-Delivery"].startswith(failed)
    ]

    # Not retried automatically (the daemon's retry loop runs every 5 s): a dead letter.
    time.sleep(7)
    assert _children(deployment, failed) == []

    settings.write_text("raw_tables:\n  block_on_rejection: true\n")
    retried = run_cli(
        deployment, "dataraum-assets", "retry-failed", "broken", "--url", deployment.url
    )
    assert retried.returncode == 0, retried.stderr
    [child] = _children(deployment, failed)
    assert f"{failed}\tbroken\tre-executed from failure as {child['runId']}" in retried.stdout
    assert deployment.wait_for_run(child["runId"])["status"] == "SUCCESS"
    tags = {t["key"]: t["value"] for t in child["tags"]}
    assert (tags[SOURCE_TAG], tags["dataraum/trigger"]) == ("broken", "retry-failed")

    again = run_cli(
        deployment, "dataraum-assets", "retry-failed", "--run", failed, "--url", deployment.url
    )
    assert again.returncode == 0, again.stderr
    assert f"already re-executed as {child['runId']}" in again.stdout
    assert len(_children(deployment, failed)) == 1


def _write_big_source(folder: Path, files: int, rows: int) -> None:
    folder.mkdir()
    lines = ["id,day,amount,customer,status"]
    lines += [
        f"{i},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{(i * 7919) % 100000 / 100:.2f},"
        f"C{i % 5000:05d},{('open', 'paid', 'void')[i % 3]}"
        for i in range(rows)
    ]
    text = "\n".join(lines) + "\n"
    for index in range(files):
        (folder / f"events_{index}.csv").write_text(text, encoding="utf-8")


def _run_worker_pid(deployment: Deployment) -> int:
    """The run worker: the code server's child that is executing the run."""
    serve = psutil.Process(deployment.pid)
    [code_server] = [p for p in serve.children() if "api" in p.cmdline() and "grpc" in p.cmdline()]
    workers = [
        child
        for child in code_server.children()
        if child.status() != psutil.STATUS_ZOMBIE
        and not any("resource_tracker" in part for part in child.cmdline())
    ]
    assert len(workers) == 1, [w.cmdline() for w in workers]
    return workers[0].pid


def test_killed_run_worker_is_detected_and_retried(deployment: Deployment, tmp_path: Path) -> None:
    files, rows = 8, 150_000
    _write_big_source(tmp_path / "big", files, rows)
    registered = run_cli(
        deployment, "dataraum-assets", "register", str(tmp_path / "big"), "--name", "big"
    )
    assert registered.returncode == 0, registered.stderr
    first = deployment.launch("big", ["raw_tables"])
    assert deployment.wait_for_run(first)["status"] == "SUCCESS"
    output = deployment.data_dir / "warehouse" / "big" / "raw_tables.duckdb"
    before = output.stat()

    victim = deployment.launch("big", ["raw_tables"], {"triggered_by": "fault-test"})
    RUNS["killed"] = victim
    deadline = time.monotonic() + 120
    while True:
        run = deployment.run(victim)
        steps = {s["stepKey"]: s["status"] for s in run["stepStats"]}
        if steps.get("raw_tables") == "IN_PROGRESS":
            break
        assert run["status"] not in ("SUCCESS", "FAILURE"), run
        assert time.monotonic() < deadline, deployment.log_tail()
        time.sleep(0.05)
    time.sleep(0.5)  # well inside the step: it loads 8 files of 150,000 rows
    os.kill(_run_worker_pid(deployment), signal.SIGKILL)
    killed_at = time.monotonic()

    while deployment.run(victim)["status"] != "FAILURE":
        assert time.monotonic() - killed_at < 60, deployment.log_tail()
        time.sleep(0.05)
    detected = time.monotonic() - killed_at
    run = deployment.run(victim)
    assert {s["stepKey"]: s["status"] for s in run["stepStats"]}.get("raw_tables") != "SUCCESS"
    # The previous output is untouched: the same file, not a half-written replacement.
    after_kill = output.stat()
    assert (after_kill.st_ino, after_kill.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    con = duckdb.connect(str(output), read_only=True)
    assert con.execute("SELECT count(*) FROM raw.events_0").fetchall() == [(rows,)]
    con.close()

    while not _children(deployment, victim):
        assert time.monotonic() - killed_at < 60, deployment.log_tail()
        time.sleep(0.2)
    retried_after = time.monotonic() - killed_at
    [retry] = _children(deployment, victim)
    retry_tags = {t["key"]: t["value"] for t in retry["tags"]}
    assert retry_tags["dagster/retry_number"] == "1"
    assert deployment.wait_for_run(retry["runId"])["status"] == "SUCCESS"
    done = time.monotonic() - killed_at
    sys.stderr.write(
        f"\nkilled run worker: failure detected after {detected:.2f} s, retry launched after "
        f"{retried_after:.2f} s, retry finished after {done:.2f} s\n"
    )

    # Replaced once, by the retry; nothing duplicated; no temp files left behind.
    assert output.stat().st_ino != before.st_ino
    con = duckdb.connect(str(output), read_only=True)
    counts = con.execute(
        "SELECT table_name, rows FROM ingestion_log ORDER BY table_name"
    ).fetchall()
    con.close()
    assert counts == [(f"events_{i}", rows) for i in range(files)]
    assert sorted(p.name for p in output.parent.iterdir()) == ["raw_tables.duckdb"]
    history = deployment.data_dir / "history" / "ingestion" / "big"
    assert sorted(p.stem for p in history.glob("*.parquet")) == sorted([first, retry["runId"]])


def _latest_metadata(deployment: Deployment, asset: str) -> dict[str, Any]:
    query = """query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { ... on AssetNode {
      assetMaterializations(limit: 1) { runId metadataEntries { label
        ... on IntMetadataEntry { intValue } ... on FloatMetadataEntry { floatValue }
        ... on MarkdownMetadataEntry { mdStr } } } } } }"""
    node = deployment.graphql(query, {"key": {"path": [asset]}})["assetNodeOrError"]
    [latest] = node["assetMaterializations"]
    return {
        e["label"]: e.get("intValue", e.get("floatValue", e.get("mdStr")))
        for e in latest["metadataEntries"]
    }


def test_run_history_from_the_postgres_instance(deployment: Deployment) -> None:
    run_id = deployment.launch(None, ["run_history"])
    assert deployment.wait_for_run(run_id)["status"] == "SUCCESS", deployment.log_tail()
    metadata = _latest_metadata(deployment, "run_history")
    rows = {
        line.split(" | ")[0].strip("| "): [cell.strip() for cell in line.strip("|").split("|")]
        for line in metadata["by_source"].splitlines()[2:]
    }
    # Columns: source, runs, success rate, p50, p95, retries, last failure, reason.
    # broken: the failed run and its successful re-execution (a retry).
    assert [rows["broken"][i] for i in (1, 2, 5)] == ["2", "50%", "1"]
    assert "rejected" in rows["broken"][7]
    # big: the first run, the killed one and its automatic retry.
    assert [rows["big"][i] for i in (1, 2, 5)] == ["3", "67%", "1"]
    assert [rows["acme_books"][i] for i in (1, 2, 5, 6)] == ["2", "100%", "0", ""]
    assert "raw_tables" in metadata["by_asset"]


def test_no_planted_secret_in_logs_metadata_tags_or_config(
    deployment: Deployment, postgres: PostgresServer
) -> None:
    secrets = [SECRET, GITHUB_SECRET, WEBHOOK_TOKEN, postgres.password]
    with _pg(postgres) as connection, connection.cursor() as cursor:
        for table, column in [
            ("event_logs", "event"),
            ("runs", "run_body"),
            ("run_tags", "value"),
        ]:
            for secret in secrets:
                cursor.execute(
                    f"SELECT count(*) FROM {table} WHERE {column}::text LIKE %s",
                    (f"%{secret}%",),
                )
                assert cursor.fetchone() == (0,), (table, secret)
        cursor.execute("SELECT count(*) FROM event_logs")
        row = cursor.fetchone()
        assert row is not None and row[0] > 100  # the search looked at real history
    # Captured stdout/stderr of the runs and every file of the data folder.
    searched = 0
    for root in (deployment.home, deployment.data_dir):
        for path in root.rglob("*"):
            if path.is_file() and path.suffix != ".duckdb":
                content = path.read_bytes()
                searched += 1
                for secret in secrets:
                    assert secret.encode() not in content, path
    assert searched > 10
    log = deployment.log_file.read_text(encoding="utf-8", errors="replace")
    for secret in secrets:
        assert secret not in log


def test_launch_latency_benchmark_at_a_tiny_size(deployment: Deployment, tmp_path: Path) -> None:
    out = tmp_path / "latency.json"
    completed = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "bench" / "launch_latency.py"),
            "--url",
            deployment.url,
            "--launches",
            "3",
            "--source",
            "acme_books",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    results = json.loads(out.read_text())
    for kind in ("submission_ms", "status_ms"):
        stats = results[kind]
        assert stats["n"] == 3
        assert 0 < stats["p50"] <= stats["p95"] <= stats["max"]
    assert "submission p95" in completed.stdout
    # The launched runs are real: queued with the benchmark's tags for the source.
    query = """{ runsOrError(filter: {tags: [{key: "triggered_by", value: "launch_latency"}]}) {
      ... on Runs { results { runId tags { key value } } } } }"""
    runs = deployment.graphql(query)["runsOrError"]["results"]
    assert len(runs) == 3
    assert all({"key": SOURCE_TAG, "value": "acme_books"} in run["tags"] for run in runs)
