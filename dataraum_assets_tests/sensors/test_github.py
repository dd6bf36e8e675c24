"""github_sensor and github_full_resync_schedule: ticks from given cursors against a local GitHub
server over real HTTP, and one end-to-end run of the pipeline on the snapshot."""

import csv
import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dataraum_assets.definitions import defs
from dataraum_assets.github_snapshot import SyncCursor, read_snapshot
from dataraum_assets.partitions import SOURCES_PARTITION_NAME
from dataraum_assets.resources import GitHubResource, WarehouseResource
from dataraum_assets.sensors.github import (
    PIPELINE_SELECTION,
    build_github_full_resync_schedule,
    github_sensor,
)
from dataraum_assets_tests.github_server import (
    FakeGitHub,
    FakeIssue,
    FakeRepo,
    at,
    running_github,
)
from dataraum_assets_tests.pipeline import REPO_ROOT

BIN = Path(sys.executable).parent
SOURCE = "github-acme"
TOKEN = "ghp_TESTONLY0123456789abcdefSECRET"


def _widgets_issues() -> list[FakeIssue]:
    return [
        FakeIssue(1, "Crash on start 💥", "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z",
                  labels=["bug", "P0"], assignees=["ana"]),
        FakeIssue(2, "Löschen schlägt fehl", "2024-01-02T00:00:00Z", "2024-02-02T00:00:00Z",
                  labels=["Bug", "Severity: High"]),
        FakeIssue(3, "Fix crash", "2024-01-03T00:00:00Z", "2024-02-03T00:00:00Z",
                  labels=["bug"], state="closed", closed_at="2024-02-03T00:00:00Z",
                  pull_request=True),
        FakeIssue(4, "Add CSV export", "2024-01-04T00:00:00Z", "2024-02-04T00:00:00Z",
                  labels=["enhancement"], comments=3),
        FakeIssue(5, "Typo, in \"docs\"", "2024-01-05T00:00:00Z", "2024-02-05T00:00:00Z",
                  labels=["documentation"], state="closed", closed_at="2024-01-06T00:00:00Z"),
        FakeIssue(6, "Docs", "2024-01-06T00:00:00Z", "2024-02-06T00:00:00Z",
                  pull_request=True, author=None),
        FakeIssue(7, "データが消える", "2024-01-07T00:00:00Z", "2024-02-07T00:00:00Z",
                  labels=["kind/bug"], state="closed", closed_at="2024-01-09T12:00:00Z"),
    ]  # fmt: skip


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    state = FakeGitHub()
    state.add_owner("acme", "Organization")
    state.add_owner("octo-dev", "User")
    state.add_repo(FakeRepo("acme", "widgets", stars=42, forks=3, topics=["etl"]))
    state.add_repo(FakeRepo("acme", "empty", language=None))  # a repository without issues
    state.add_repo(FakeRepo("octo-dev", "dotfiles"))
    for issue in _widgets_issues():
        state.add_issue("acme/widgets", issue)
    state.add_issue(
        "octo-dev/dotfiles", FakeIssue(1, "zsh", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z")
    )
    with running_github(state):
        yield state


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


@dataclass
class Env:
    github: FakeGitHub
    instance: dg.DagsterInstance
    data_dir: Path

    def resources(self, **settings: object) -> dict[str, object]:
        options: dict = {
            "base_url": self.github.base_url,
            "owners": ["acme"],
            "per_page": 2,  # the 7 issues of acme/widgets come in 4 pages
            "max_retries": 2,
            "backoff_seconds": 0.01,
            "seconds_between_requests": 0,
        }
        options.update(settings)
        return {
            "github": GitHubResource(**options),
            "warehouse": WarehouseResource(data_dir=str(self.data_dir)),
        }

    def tick(
        self, cursor: str | None, log_handler: logging.Handler | None = None, **settings: object
    ) -> dg.SensorResult | dg.SkipReason:
        with dg.build_sensor_context(
            instance=self.instance, cursor=cursor, resources=self.resources(**settings)
        ) as context:
            if log_handler:
                # Every level: the daemon's captured tick logs keep DEBUG lines that the
                # console (INFO) drops.
                context.log.addHandler(log_handler)
            result = github_sensor(context)
        assert isinstance(result, dg.SensorResult | dg.SkipReason)
        return result

    def apply(self, result: dg.SensorResult | dg.SkipReason) -> dg.SensorResult:
        """Add the requested partitions, as the daemon does after a tick."""
        assert isinstance(result, dg.SensorResult), result
        for request in result.dynamic_partitions_requests or []:
            assert isinstance(request, dg.AddDynamicPartitionsRequest)
            self.instance.add_dynamic_partitions(
                request.partitions_def_name, list(request.partition_keys)
            )
        return result

    @property
    def folder(self) -> Path:
        return self.data_dir / "github" / SOURCE

    def rows(self, table: str) -> list[dict[str, str]]:
        with open(self.folder / f"{table}.csv", encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    def files(self) -> dict[str, bytes]:
        return {path.name: path.read_bytes() for path in sorted(self.folder.iterdir())}


@pytest.fixture
def env(github: FakeGitHub, instance: dg.DagsterInstance, tmp_path: Path) -> Env:
    return Env(github, instance, tmp_path / "data")


def _sensor_result(result: dg.SensorResult | dg.SkipReason) -> dg.SensorResult:
    assert isinstance(result, dg.SensorResult), result
    return result


def test_first_tick_writes_the_snapshot_and_requests_the_pipeline(env: Env) -> None:
    result = _sensor_result(env.tick(None))
    snapshot = read_snapshot(env.folder)
    assert snapshot is not None
    fingerprint = snapshot.fingerprint()
    [request] = result.run_requests or []
    assert request.run_key == f"{SOURCE}:{fingerprint}"
    assert request.partition_key == SOURCE
    assert request.tags == {
        "dataraum/source": SOURCE,
        "dataraum/trigger": "github_sensor",
        "dataraum/fingerprint": fingerprint,
    }
    [partitions] = result.dynamic_partitions_requests or []
    assert isinstance(partitions, dg.AddDynamicPartitionsRequest)
    assert (partitions.partitions_def_name, list(partitions.partition_keys)) == (
        SOURCES_PARTITION_NAME,
        [SOURCE],
    )
    assert WarehouseResource(data_dir=str(env.data_dir)).source(SOURCE).folder == env.folder

    assert [row["full_name"] for row in env.rows("repositories")] == ["acme/empty", "acme/widgets"]
    assert [row["number"] for row in env.rows("issues")] == ["1", "2", "4", "5", "7"]
    assert [row["number"] for row in env.rows("pull_requests")] == ["3", "6"]
    bugs = {row["number"]: row for row in env.rows("bugs")}
    assert {number: row["severity"] for number, row in bugs.items()} == {
        "1": "critical",
        "2": "high",
        "7": "unknown",
    }
    assert bugs["7"]["age_days"] == "2.5"
    assert env.rows("issues")[0]["title"] == "Crash on start 💥"

    cursor = SyncCursor.from_json(result.cursor)
    assert cursor == SyncCursor(
        since={"acme/widgets": at("2024-02-07T00:00:00Z")}, fingerprints={SOURCE: fingerprint}
    )
    widgets = env.github.requests_to("/repos/acme/widgets/issues")
    assert [request.query.get("page", "1") for request in widgets] == ["1", "2", "3", "4"]
    assert all("since" not in request.query for request in widgets)


def test_a_tick_without_changes_requests_nothing_and_writes_nothing(env: Env) -> None:
    first = _sensor_result(env.tick(None))
    files = env.files()
    stamps = [path.stat().st_mtime_ns for path in env.folder.iterdir()]
    env.github.received.clear()

    second = _sensor_result(env.tick(first.cursor))
    assert second.run_requests == []
    assert second.skip_reason is not None
    assert second.skip_reason.skip_message == f"no changes: {SOURCE}: unchanged (1 issues fetched)"
    assert SyncCursor.from_json(second.cursor) == SyncCursor.from_json(first.cursor)
    assert env.files() == files
    assert [path.stat().st_mtime_ns for path in env.folder.iterdir()] == stamps
    [widgets] = env.github.requests_to("/repos/acme/widgets/issues")
    assert widgets.query["since"] == "2024-02-07T00:00:00Z"
    [empty] = env.github.requests_to("/repos/acme/empty/issues")
    assert "since" not in empty.query


def test_updated_closed_and_new_issues_are_merged_and_requested(env: Env) -> None:
    first = env.apply(env.tick(None))
    issues = env.github.issues["acme/widgets"]
    issues[2].state, issues[2].closed_at = "closed", "2024-02-10T00:00:00Z"
    issues[2].updated_at = "2024-02-10T00:00:00Z"
    env.github.add_issue(
        "acme/widgets",
        FakeIssue(
            8, "Neue Meldung", "2024-02-11T00:00:00Z", "2024-02-11T06:00:00Z", labels=["bug", "p1"]
        ),
    )
    env.github.received.clear()

    third = _sensor_result(env.tick(first.cursor))
    [request] = third.run_requests or []
    [old_request] = first.run_requests or []
    assert request.run_key != old_request.run_key
    assert third.dynamic_partitions_requests == []  # the first tick's request added it
    rows = env.rows("issues")
    assert [row["number"] for row in rows] == ["1", "2", "4", "5", "7", "8"]
    closed = next(row for row in rows if row["number"] == "2")
    assert (closed["state"], closed["closed_at"]) == ("closed", "2024-02-10T00:00:00Z")
    bugs = {
        row["number"]: (row["state"], row["severity"], row["age_days"]) for row in env.rows("bugs")
    }
    assert bugs["2"] == ("closed", "high", "39.0")
    assert bugs["8"][:2] == ("open", "high")
    widgets = env.github.requests_to("/repos/acme/widgets/issues")  # issues 7, 2 and 8
    assert [(item.query.get("page", "1"), item.query["since"]) for item in widgets] == [
        ("1", "2024-02-07T00:00:00Z"),
        ("2", "2024-02-07T00:00:00Z"),
    ]
    assert SyncCursor.from_json(third.cursor).since == {"acme/widgets": at("2024-02-11T06:00:00Z")}


def test_a_rate_limited_tick_is_skipped_with_the_reset_time_and_writes_nothing(env: Env) -> None:
    first = _sensor_result(env.tick(None))
    files = env.files()
    env.github.issues["acme/widgets"][1].updated_at = "2024-03-01T00:00:00Z"
    env.github.rate_remaining = 0

    skipped = env.tick(first.cursor)
    assert isinstance(skipped, dg.SkipReason)  # a bare SkipReason keeps the cursor
    assert skipped.skip_message is not None
    assert "rate limit exhausted" in skipped.skip_message
    assert "resets at 2030-03-17T17:46:40Z" in skipped.skip_message
    assert env.files() == files


def test_a_rate_limit_hit_midway_writes_no_partial_snapshot(env: Env) -> None:
    # acme needs 8 requests (owner, org, repository page, empty's issues, 4 issue pages);
    # octo-dev's first request then finds the limit exhausted.
    env.github.rate_remaining = 8
    env.github.rate_limit_status = 429
    skipped = env.tick(None, owners=["acme", "octo-dev"])
    assert isinstance(skipped, dg.SkipReason)
    assert len(env.github.requests_to("/repos/acme/widgets/issues")) == 4
    assert env.github.received[-1].path == "/users/octo-dev"
    assert not (env.data_dir / "github").exists()
    assert not (env.data_dir / "sources").exists()


def test_the_token_never_appears_in_logs_results_or_files(
    env: Env, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3 logs requests at DEBUG
    caplog.set_level(logging.DEBUG, logger="github")  # PyGithub sets its own logger to INFO
    sensor_log = io.StringIO()
    handler = logging.StreamHandler(sensor_log)
    handler.setLevel(logging.DEBUG)
    results = [env.tick(None, handler, token=TOKEN)]
    env.github.issues["acme/widgets"][4].updated_at = "2024-03-01T00:00:00Z"
    results.append(env.tick(None, handler, token=TOKEN, owners=["acme", "ghost"]))
    env.github.rate_remaining = 0
    results.append(env.tick(None, handler, token=TOKEN))

    # The token was really used, so its absence below means something.
    assert {request.authorization for request in env.github.received} == {f"token {TOKEN}"}
    assert isinstance(results[-1], dg.SkipReason)
    captured = capfd.readouterr()
    texts = [caplog.text, sensor_log.getvalue(), captured.out, captured.err, *map(repr, results)]
    texts += [repr(GitHubResource(base_url=env.github.base_url, token=TOKEN))]
    texts += [
        path.read_text(encoding="utf-8") for path in env.data_dir.rglob("*") if path.is_file()
    ]
    assert "rate limit exhausted" in sensor_log.getvalue()  # the logs were captured
    assert all(TOKEN not in text and TOKEN[4:20] not in text for text in texts)


def test_an_unknown_owner_is_reported_and_the_others_go_on(
    env: Env, capfd: pytest.CaptureFixture[str]
) -> None:
    result = _sensor_result(env.tick(None, owners=["ghost", "acme"]))
    assert [request.partition_key for request in result.run_requests or []] == [SOURCE]
    logged = capfd.readouterr().err  # the sensor's context.log writes to stderr
    assert "github-ghost: listing the repositories of 'ghost': GitHub answered HTTP 404" in logged
    assert set(SyncCursor.from_json(result.cursor).fingerprints) == {SOURCE}
    assert not (env.data_dir / "github" / "github-ghost").exists()


def test_no_owners_configured_is_a_skip_with_the_reason(env: Env) -> None:
    skipped = env.tick(None, owners=[])
    assert isinstance(skipped, dg.SkipReason)
    assert skipped.skip_message is not None and "no GitHub owners" in skipped.skip_message
    assert env.github.received == []


def test_a_source_with_a_run_in_flight_waits(env: Env) -> None:
    env.instance.add_run(
        dg.DagsterRun(
            job_name="__ASSET_JOB",
            status=dg.DagsterRunStatus.STARTED,
            tags={"dataraum/source": SOURCE},
        )
    )
    result = _sensor_result(env.tick(None))
    assert result.run_requests == []
    assert result.skip_reason is not None
    assert result.skip_reason.skip_message is not None
    assert result.skip_reason.skip_message.startswith(f"no changes: {SOURCE}: waiting for run ")
    assert not env.folder.exists()
    assert SyncCursor.from_json(result.cursor) == SyncCursor()


def test_a_snapshot_whose_run_request_was_lost_is_requested_again(env: Env) -> None:
    first = _sensor_result(env.tick(None))
    files = env.files()
    # The tick wrote the files but its cursor and run request never reached the daemon.
    again = _sensor_result(env.tick(None))
    assert [request.run_key for request in again.run_requests or []] == [
        request.run_key for request in first.run_requests or []
    ]  # the same run key: Dagster launches it at most once
    assert env.files() == files


def test_full_resync_removes_deleted_issues_and_repositories(env: Env) -> None:
    env.apply(env.tick(None, owners=["acme", "octo-dev"]))
    del env.github.issues["acme/widgets"][4]
    del env.github.repos["acme/empty"]
    env.github.received.clear()

    schedule = build_github_full_resync_schedule("0 3 * * *")
    resources = env.resources(owners=["acme", "octo-dev"])
    schedule_defs = dg.Definitions(
        assets=[*(defs.assets or [])],
        asset_checks=[*(defs.asset_checks or [])],
        schedules=[schedule],
        resources=resources,
    )
    repository = schedule_defs.get_repository_def()
    with dg.build_schedule_context(
        instance=env.instance, repository_def=repository, resources=resources
    ) as context:
        data = schedule.evaluate_tick(context)
    [request] = data.run_requests or []
    assert request.partition_key == SOURCE
    assert request.tags["dataraum/trigger"] == "github_full_resync_schedule"
    assert request.tags["dagster/schedule_name"] == "github_full_resync_schedule"
    assert [row["number"] for row in env.rows("issues")] == ["1", "2", "5", "7"]
    assert [row["full_name"] for row in env.rows("repositories")] == ["acme/widgets"]
    assert all("since" not in item.query for item in env.github.requests_to("/issues"))

    with dg.build_schedule_context(
        instance=env.instance, repository_def=repository, resources=resources
    ) as context:
        unchanged = schedule.evaluate_tick(context)
    assert unchanged.run_requests == []
    assert unchanged.skip_message is not None
    assert unchanged.skip_message.startswith("no changes: github-acme: unchanged")


def test_the_resync_schedule_adds_the_partition_of_a_new_owner(env: Env) -> None:
    schedule = build_github_full_resync_schedule("*/30 * * * *")
    with dg.build_schedule_context(instance=env.instance, resources=env.resources()) as context:
        result = schedule(context)
    assert isinstance(result, list)
    assert [request.partition_key for request in result] == [SOURCE]
    assert env.instance.get_dynamic_partitions(SOURCES_PARTITION_NAME) == [SOURCE]


def test_the_code_location_wires_the_sensor_and_schedule() -> None:
    repository = defs.get_repository_def()
    sensor = repository.get_sensor_def("github_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    assert sensor.minimum_interval_seconds == 300
    schedule = repository.get_schedule_def("github_full_resync_schedule")
    assert schedule.cron_schedule == GitHubResource().full_resync_cron == "0 3 * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    # Every per-source asset; run_history summarises the instance, not a source.
    graph = defs.resolve_asset_graph()
    per_source = {key for key in graph.get_all_asset_keys() if graph.get(key).partitions_def}
    assert PIPELINE_SELECTION.resolve(graph) == per_source
    assert dg.AssetKey("entropy_context") in per_source


def _pipeline() -> list[dg.AssetsDefinition | dg.AssetChecksDefinition]:
    assets = [item for item in defs.assets or [] if isinstance(item, dg.AssetsDefinition)]
    checks = [
        item for item in defs.asset_checks or [] if isinstance(item, dg.AssetChecksDefinition)
    ]
    return [*assets, *checks]


def test_end_to_end_a_github_owner_becomes_typed_tables(env: Env) -> None:
    result = env.apply(env.tick(None))
    [request] = result.run_requests or []
    assert request.partition_key is not None

    warehouse = WarehouseResource(data_dir=str(env.data_dir))
    run = dg.materialize(
        _pipeline(),
        partition_key=request.partition_key,
        instance=env.instance,
        resources={"warehouse": warehouse},
        tags=request.tags,
    )
    assert run.success
    failed = [item.check_name for item in run.get_asset_check_evaluations() if not item.passed]
    assert failed == []

    path = warehouse.layout.asset_path(SOURCE, "typed_tables")
    with duckdb.connect(str(path), read_only=True) as con:
        counts = dict(con.execute("SELECT table_name, rows FROM table_summary").fetchall())
        assert counts == {"bugs": 3, "issues": 5, "pull_requests": 2, "repositories": 2}
        types = {
            table: dict(
                con.execute(
                    "SELECT column_name, data_type FROM type_decisions WHERE table_name = ? "
                    "ORDER BY position",
                    [table],
                ).fetchall()
            )
            for table in counts
        }
        stamp, text, big = "TIMESTAMP WITH TIME ZONE", "VARCHAR", "BIGINT"
        issue_types = {
            "repo": text,
            "number": big,
            "title": text,
            "state": text,
            "labels": text,
            "assignees": text,
            "author": text,
            "created_at": stamp,
            "updated_at": stamp,
            "closed_at": stamp,
            "comments": big,
            "is_pull_request": "BOOLEAN",
        }
        assert types == {
            "issues": issue_types,
            "pull_requests": issue_types,
            "bugs": {
                "repo": text,
                "number": big,
                "title": text,
                "state": text,
                "severity": text,
                "labels": text,
                "author": text,
                "created_at": stamp,
                "closed_at": stamp,
                "age_days": "DOUBLE",
            },
            "repositories": {
                "full_name": text,
                "owner": text,
                "name": text,
                "language": text,
                "stars": big,
                "forks": big,
                "open_issues": big,
                "created_at": stamp,
                "updated_at": stamp,
                "pushed_at": stamp,
                "archived": "BOOLEAN",
                "default_branch": text,
                "topics": text,
            },
        }
        assert con.execute("SELECT count(*) FROM quarantine").fetchall() == [(0,)]
        assert con.execute(
            "SELECT number, severity, age_days, closed_at = TIMESTAMPTZ '2024-01-09 12:00:00+00' "
            "FROM typed.\"bugs\" WHERE state = 'closed'"
        ).fetchall() == [(7, "unknown", 2.5, True)]
        assert con.execute(
            'SELECT count(*), count(*) FILTER (WHERE is_pull_request) FROM typed."issues"'
        ).fetchall() == [(5, 0)]
        assert con.execute(
            'SELECT full_name, stars, archived FROM typed."repositories" ORDER BY full_name'
        ).fetchall() == [("acme/empty", 0, False), ("acme/widgets", 42, False)]


@pytest.mark.integration
def test_the_readme_commands_turn_the_sensor_and_schedule_on(tmp_path: Path) -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "home")}
    (tmp_path / "home").mkdir()
    commands = {
        "sensor start github_sensor": "Started sensor github_sensor",
        "schedule start github_full_resync_schedule": (
            "Started schedule github_full_resync_schedule"
        ),
    }
    for command, expected in commands.items():
        line = f".venv/bin/dagster {command} -m dataraum_assets.definitions"
        assert line in readme.splitlines()
        finished = subprocess.run(
            [str(BIN / "dagster"), *command.split(), "-m", "dataraum_assets.definitions"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert finished.returncode == 0, finished.stderr[-3000:]
        assert expected in finished.stdout
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        states = {
            state.instigator_name: state.status.value for state in instance.all_instigator_state()
        }
    assert states == {"github_sensor": "RUNNING", "github_full_resync_schedule": "RUNNING"}
