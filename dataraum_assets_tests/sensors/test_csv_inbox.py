"""csv_inbox_sensor ticks from given cursors, on real files in a temporary inbox."""

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from dataraum_assets.cli import main
from dataraum_assets.definitions import defs
from dataraum_assets.inbox import fingerprint
from dataraum_assets.partitions import SOURCES_PARTITION_NAME
from dataraum_assets.resources import CsvInboxResource, WarehouseResource
from dataraum_assets.sensors.csv_inbox import csv_inbox_sensor
from dataraum_assets.sources import get_source
from dataraum_assets_tests.pipeline import PipelineRun


# One instance for the module: creating one costs ~1.5 s. Tests use distinct source names, and
# a run a test leaves in flight would show up as `busy` in the tick messages they assert.
@pytest.fixture(scope="module")
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


@dataclass
class Inbox:
    """A temporary data folder with an inbox, and the sensor's cursor between ticks."""

    data_dir: Path
    instance: dg.DagsterInstance
    cursor: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def warehouse(self) -> WarehouseResource:
        return WarehouseResource(data_dir=str(self.data_dir))

    def write(self, relative: str, content: str | bytes, mtime_ns: int | None = None) -> Path:
        path = self.path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        path.write_bytes(data)
        if mtime_ns is not None:
            os.utime(path, ns=(mtime_ns, mtime_ns))
        return path

    def tick(self) -> dg.SensorResult:
        context = dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursor,
            resources={
                "warehouse": self.warehouse,
                "csv_inbox": CsvInboxResource(**self.settings),
            },
        )
        result = csv_inbox_sensor(context)
        assert isinstance(result, dg.SensorResult)
        assert result.cursor is not None
        self.cursor = result.cursor
        return result

    def run(self, request: dg.RunRequest) -> PipelineRun:
        """Execute a requested run as the daemon would: its partition, its tags."""
        assert request.partition_key is not None
        if not self.instance.has_dynamic_partition(SOURCES_PARTITION_NAME, request.partition_key):
            self.instance.add_dynamic_partitions(SOURCES_PARTITION_NAME, [request.partition_key])
        assets = [item for item in defs.assets or [] if isinstance(item, dg.AssetsDefinition)]
        result = dg.materialize(
            [*assets, *(defs.asset_checks or [])],
            partition_key=request.partition_key,
            instance=self.instance,
            resources={"warehouse": self.warehouse},
            tags=request.tags,
            raise_on_error=False,
        )
        return PipelineRun(result=result, warehouse=self.warehouse, source=request.partition_key)


@pytest.fixture
def inbox(tmp_path: Path, instance: dg.DagsterInstance) -> Inbox:
    inbox = Inbox(data_dir=tmp_path / "data", instance=instance)
    inbox.path.mkdir(parents=True)
    return inbox


def _sha(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def _skip(result: dg.SensorResult) -> str:
    assert not result.run_requests
    assert result.skip_reason is not None and result.skip_reason.skip_message is not None
    return result.skip_reason.skip_message


def _keys(result: dg.SensorResult) -> list[str]:
    return [request.run_key or "" for request in result.run_requests or []]


ORDERS = "order_id,amount\n1,10.50\n2,7.25\n"


def test_new_folder_waits_one_tick_then_is_requested_once(inbox: Inbox) -> None:
    path = inbox.write("My Shop/orders.csv", ORDERS)
    inbox.write("My Shop/notes.txt", "not data")

    first = inbox.tick()
    assert _skip(first) == (
        f"csv inbox {inbox.path}: waiting 1 (my_shop); ignored 1 (My Shop/notes.txt)"
    )
    assert not (inbox.data_dir / "sources" / "my_shop.json").exists()

    second = inbox.tick()
    content = fingerprint([("orders.csv", len(ORDERS), _sha(ORDERS))])
    [request] = second.run_requests or []
    assert request.run_key == f"my_shop:{content}"
    assert request.partition_key == "my_shop"
    assert request.tags == {
        "dataraum/source": "my_shop",
        "dataraum/trigger": "csv_inbox_sensor",
        "dataraum/fingerprint": content,
    }
    [partitions] = second.dynamic_partitions_requests or []
    assert isinstance(partitions, dg.AddDynamicPartitionsRequest)
    assert (partitions.partitions_def_name, list(partitions.partition_keys)) == (
        "sources",
        ["my_shop"],
    )
    registered = get_source(inbox.warehouse.layout, "my_shop")
    assert registered.folder == inbox.data_dir / "snapshots" / "my_shop" / content
    assert sorted(item.name for item in registered.folder.iterdir()) == ["orders.csv"]
    assert (registered.folder / "orders.csv").stat().st_ino == path.stat().st_ino

    third = inbox.tick()
    assert (
        _skip(third)
        == f"csv inbox {inbox.path}: unchanged 1 (my_shop); ignored 1 (My Shop/notes.txt)"
    )


def test_changed_file_is_requested_again_and_old_snapshot_kept(inbox: Inbox) -> None:
    inbox.write("shop/orders.csv", ORDERS)
    inbox.tick()
    [first] = inbox.tick().run_requests or []

    changed = ORDERS + "3,1.00\n"
    temp = inbox.write("shop/.orders.csv.part", changed)
    os.replace(temp, inbox.path / "shop" / "orders.csv")
    assert "waiting 1 (shop)" in _skip(inbox.tick())
    [second] = inbox.tick().run_requests or []

    content = fingerprint([("orders.csv", len(changed), _sha(changed))])
    assert second.run_key == f"shop:{content}"
    assert second.run_key != first.run_key
    snapshots = inbox.data_dir / "snapshots" / "shop"
    assert sorted(path.name for path in snapshots.iterdir()) == sorted(
        [first.tags["dataraum/fingerprint"], content]
    )
    assert (snapshots / first.tags["dataraum/fingerprint"] / "orders.csv").read_text() == ORDERS
    assert get_source(inbox.warehouse.layout, "shop").folder == snapshots / content


def test_touched_but_identical_file_is_not_requested_again(inbox: Inbox) -> None:
    inbox.write("shop/orders.csv", ORDERS, mtime_ns=1_000_000_000)
    inbox.tick()
    assert len(inbox.tick().run_requests or []) == 1

    os.utime(inbox.path / "shop" / "orders.csv", ns=(2_000_000_000, 2_000_000_000))
    assert "waiting 1 (shop)" in _skip(inbox.tick())
    assert _skip(inbox.tick()) == f"csv inbox {inbox.path}: unchanged 1 (shop)"


def test_file_still_being_written_is_waited_for(inbox: Inbox) -> None:
    path = inbox.write("shop/orders.csv", "order_id,amount\n", mtime_ns=1_000)
    assert "waiting 1 (shop)" in _skip(inbox.tick())
    with open(path, "a") as handle:
        handle.write("1,10.50\n")
    os.utime(path, ns=(2_000, 2_000))
    assert "waiting 1 (shop)" in _skip(inbox.tick())
    # The cursor remembers what was seen, so the next unchanged tick requests the full file.
    with open(path, "a") as handle:
        handle.write("2,7.25\n")
    os.utime(path, ns=(3_000, 3_000))
    assert "waiting 1 (shop)" in _skip(inbox.tick())
    [request] = inbox.tick().run_requests or []
    assert request.tags["dataraum/fingerprint"] == fingerprint(
        [("orders.csv", len(ORDERS), _sha(ORDERS))]
    )
    snapshot = get_source(inbox.warehouse.layout, "shop").folder
    assert (snapshot / "orders.csv").read_text() == ORDERS


def test_hundred_loose_files_are_each_requested_exactly_once(inbox: Inbox) -> None:
    for index in range(100):
        inbox.write(f"export {index:03d}.csv", f"id,value\n{index},{'x' * index}\n")
    # A small hashing budget spreads the work over several ticks.
    inbox.settings = {"max_hash_bytes_per_tick": 2_000}

    assert "waiting 100" in _skip(inbox.tick())
    keys: list[str] = []
    partitions: list[str] = []
    per_tick: list[int] = []
    for _ in range(10):
        result = inbox.tick()
        if not result.run_requests:
            assert (
                _skip(result)
                == f"csv inbox {inbox.path}: unchanged 100 ("
                + ", ".join(f"export_{index:03d}" for index in range(10))
                + " and 90 more)"
            )
            break
        per_tick.append(len(result.run_requests))
        keys += _keys(result)
        for request in result.dynamic_partitions_requests or []:
            assert isinstance(request, dg.AddDynamicPartitionsRequest)
            partitions += list(request.partition_keys)
    # ~6.2 kB in 2 kB hashing budgets: spread over four ticks, each source once.
    assert per_tick == [52, 25, 20, 3]
    assert len(set(keys)) == len(keys) == 100
    assert sorted(key.split(":")[0] for key in keys) == [
        f"export_{index:03d}" for index in range(100)
    ]
    assert sorted(partitions) == sorted(key.split(":")[0] for key in keys)
    assert len(list((inbox.data_dir / "sources").iterdir())) == 100


def test_too_large_file_skips_only_its_source(inbox: Inbox) -> None:
    inbox.settings = {"max_file_bytes": 100}
    inbox.write("big/huge.csv", "id\n" + "1\n" * 60)
    inbox.write("small/orders.csv", ORDERS)
    inbox.tick()
    result = inbox.tick()
    assert [request.partition_key for request in result.run_requests or []] == ["small"]
    after = _skip(inbox.tick())
    assert after == f"csv inbox {inbox.path}: too large 1 (big); unchanged 1 (small)"
    assert not (inbox.data_dir / "snapshots" / "big").exists()


def test_source_with_a_run_in_flight_waits_for_it(inbox: Inbox) -> None:
    inbox.write("queued/orders.csv", ORDERS)
    inbox.tick()
    [request] = inbox.tick().run_requests or []
    run = inbox.instance.add_run(
        dg.DagsterRun(
            job_name="__anonymous_asset_job_csv_inbox_sensor",
            status=dg.DagsterRunStatus.STARTED,
            tags=request.tags,
        )
    )
    changed = ORDERS + "3,1.00\n"
    inbox.write("queued/orders.csv", changed)
    inbox.tick()
    busy = _skip(inbox.tick())
    assert busy == f"csv inbox {inbox.path}: busy 1 (queued)"
    assert _skip(inbox.tick()) == busy

    inbox.instance.report_run_failed(run)
    [again] = inbox.tick().run_requests or []
    content = fingerprint([("orders.csv", len(changed), _sha(changed))])
    assert again.run_key == f"queued:{content}"


def test_unreadable_cursor_and_missing_inbox_do_not_break_the_sensor(
    inbox: Inbox, tmp_path: Path
) -> None:
    inbox.write("shop/orders.csv", ORDERS)
    inbox.cursor = "{not json"
    assert "waiting 1 (shop)" in _skip(inbox.tick())

    inbox.settings = {"inbox_dir": str(tmp_path / "nowhere")}
    cursor = inbox.cursor
    assert _skip(inbox.tick()) == (
        f"the inbox {tmp_path / 'nowhere'} does not exist; create it and drop folders of CSV "
        "files (or single CSV files) into it"
    )
    assert inbox.cursor == cursor


def test_broken_file_does_not_stop_the_tick_or_the_good_tables(inbox: Inbox) -> None:
    inbox.write("mixed/orders.csv", ORDERS)
    inbox.write("mixed/broken.csv", 'id,comment\n1,"fine"\n2,"never closed\n3,x\n')
    inbox.write("other.csv", "id,name\n1,a\n")
    inbox.tick()
    result = inbox.tick()
    requests = {request.partition_key or "": request for request in result.run_requests or []}
    assert sorted(requests) == ["mixed", "other"]

    run = inbox.run(requests["mixed"])
    assert run.result.success
    checks = run.check_results()
    assert checks["raw_tables_all_files_loaded"].passed is False
    typed = run.connect("typed_tables")
    assert typed.execute('SELECT order_id, amount FROM typed."orders" ORDER BY 1').fetchall() == [
        (1, 10.5),
        (2, 7.25),
    ]
    history = duckdb.connect().execute(
        "SELECT file_path, outcome, rows, error FROM read_parquet(?) ORDER BY file_path",
        [str(inbox.data_dir / "history" / "ingestion" / "mixed" / f"{run.result.run_id}.parquet")],
    )
    [broken, orders] = history.fetchall()
    assert broken[:3] == ("broken.csv", "rejected", 0)
    assert "broken.csv" in broken[3] and "line 3" in broken[3]
    assert orders == ("orders.csv", "loaded", 2, None)


def test_dropped_folder_end_to_end(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Drop a folder, let the sensor tick as the daemon does (definitions, instance), run the
    requested job with the request's partition and tags, and read the outputs and history."""
    monkeypatch.setenv("DATARAUM_DATA_DIR", str(inbox.data_dir))
    inbox.write(
        "Acme Books/customers.csv", "customer_id,name,since\n1,Ann,2024-01-02\n2,Bo,2024-02-03\n"
    )
    inbox.write("Acme Books/invoices.csv", "invoice_id,customer_id,total\n10,1,99.50\n11,2,5.00\n")

    def tick() -> dg.SensorResult:
        context = dg.build_sensor_context(
            instance=inbox.instance,
            instance_ref=inbox.instance.get_ref(),
            cursor=inbox.cursor,
            definitions=defs,
            # The sensor's own resources as the code location binds them.
            resources={key: (defs.resources or {})[key] for key in ("warehouse", "csv_inbox")},
        )
        data = csv_inbox_sensor.evaluate_tick(context)
        inbox.cursor = data.cursor
        for request in data.dynamic_partitions_requests or []:
            assert isinstance(request, dg.AddDynamicPartitionsRequest)
            inbox.instance.add_dynamic_partitions(
                request.partitions_def_name, list(request.partition_keys)
            )
        return dg.SensorResult(run_requests=data.run_requests, cursor=data.cursor)

    assert not tick().run_requests
    [request] = tick().run_requests or []
    assert request.partition_key == "acme_books"
    assert request.tags["dagster/partition"] == "acme_books"
    assert request.tags["dagster/sensor_name"] == "csv_inbox_sensor"
    assert request.job_name is None  # the sensor's own target job
    job = defs.get_repository_def().get_job(csv_inbox_sensor.job_name or "")

    result = job.execute_in_process(
        instance=inbox.instance, partition_key="acme_books", tags=request.tags
    )
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    passed = {evaluation.check_name for evaluation in evaluations if evaluation.passed}
    assert passed == {evaluation.check_name for evaluation in evaluations}
    assert {"raw_tables_all_files_loaded", "typed_tables_quarantine_within_limit"} <= passed

    typed = duckdb.connect(
        str(inbox.data_dir / "warehouse" / "acme_books" / "typed_tables.duckdb"), read_only=True
    )
    assert typed.execute(
        "SELECT table_name, column_name, data_type FROM type_decisions ORDER BY ALL"
    ).fetchall() == [
        ("customers", "customer_id", "BIGINT"),
        ("customers", "name", "VARCHAR"),
        ("customers", "since", "DATE"),
        ("invoices", "customer_id", "BIGINT"),
        ("invoices", "invoice_id", "BIGINT"),
        ("invoices", "total", "DOUBLE"),
    ]
    history = duckdb.connect().execute(
        "SELECT source, run_id, fingerprint, trigger, file_path, outcome, rows, sha256 "
        "FROM read_parquet(?, union_by_name = true) ORDER BY file_path",
        [str(inbox.data_dir / "history" / "ingestion" / "*" / "*.parquet")],
    )
    fingerprint_tag = request.tags["dataraum/fingerprint"]
    customers = (inbox.path / "Acme Books" / "customers.csv").read_text()
    invoices = (inbox.path / "Acme Books" / "invoices.csv").read_text()
    assert history.fetchall() == [
        (
            "acme_books",
            result.run_id,
            fingerprint_tag,
            "csv_inbox_sensor",
            "customers.csv",
            "loaded",
            2,
            _sha(customers),
        ),
        (
            "acme_books",
            result.run_id,
            fingerprint_tag,
            "csv_inbox_sensor",
            "invoices.csv",
            "loaded",
            2,
            _sha(invoices),
        ),
    ]
    capfd.readouterr()
    assert main(["history", "acme_books", "--csv"]) == 0
    out = capfd.readouterr().out
    assert out.count(result.run_id) == 2
    assert not tick().run_requests  # the same content again: nothing to do
