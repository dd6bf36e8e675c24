import multiprocessing
import os
from pathlib import Path

import duckdb
import pytest

from dataraum_assets.resources import WarehouseResource
from dataraum_assets.warehouse import (
    MissingUpstreamError,
    WarehouseLayout,
    atomic_database_file,
    attach_read_only,
    attached_databases,
)


def _write_version(final: Path, version: int) -> None:
    with atomic_database_file(final) as temp:
        con = duckdb.connect(str(temp))
        con.execute("CREATE TABLE t AS SELECT ? AS version", [version])
        con.close()


def _read_version(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("SELECT version FROM t").fetchone()
        assert row is not None
        return row[0]
    finally:
        con.close()


def _crash_mid_write(final: str) -> None:
    with atomic_database_file(Path(final)) as temp:
        con = duckdb.connect(str(temp))
        con.execute("CREATE TABLE t AS SELECT 2 AS version")
        con.execute("CHECKPOINT")
        os._exit(9)  # like kill -9: no cleanup, no rename


def test_successful_write_replaces_file(tmp_path: Path) -> None:
    final = tmp_path / "asset.duckdb"
    _write_version(final, 1)
    _write_version(final, 2)
    assert _read_version(final) == 2
    assert [path.name for path in tmp_path.iterdir()] == ["asset.duckdb"]


def test_exception_keeps_previous_version(tmp_path: Path) -> None:
    final = tmp_path / "asset.duckdb"
    _write_version(final, 1)
    with pytest.raises(RuntimeError, match="boom"), atomic_database_file(final) as temp:
        con = duckdb.connect(str(temp))
        con.execute("CREATE TABLE t AS SELECT 2 AS version")
        con.close()
        raise RuntimeError("boom")
    assert _read_version(final) == 1
    assert [path.name for path in tmp_path.iterdir()] == ["asset.duckdb"]


def test_killed_writer_leaves_previous_version_and_next_write_cleans_up(tmp_path: Path) -> None:
    final = tmp_path / "asset.duckdb"
    _write_version(final, 1)
    process = multiprocessing.get_context("spawn").Process(
        target=_crash_mid_write, args=(str(final),)
    )
    process.start()
    process.join(60)
    assert process.exitcode == 9
    assert _read_version(final) == 1
    assert any(path.name.endswith(".tmp") for path in tmp_path.iterdir())
    _write_version(final, 3)
    assert _read_version(final) == 3
    assert [path.name for path in tmp_path.iterdir()] == ["asset.duckdb"]


def _hold_read_only(path: str, ready, release, result) -> None:
    con = duckdb.connect()
    attach_read_only(con, "upstream", Path(path))
    row = con.execute("SELECT version FROM upstream.t").fetchone()
    ready.wait(30)  # every reader is attached at once before anyone lets go
    release.wait(30)
    result.put(row[0] if row else None)
    con.close()


def test_readers_in_several_processes_while_writer_replaces(tmp_path: Path) -> None:
    final = tmp_path / "asset.duckdb"
    _write_version(final, 1)
    context = multiprocessing.get_context("spawn")
    ready, release, result = context.Barrier(3), context.Event(), context.Queue()
    readers = [
        context.Process(target=_hold_read_only, args=(str(final), ready, release, result))
        for _ in range(2)
    ]
    for reader in readers:
        reader.start()
    ready.wait(30)
    _write_version(final, 2)  # the writer never opens the file the readers hold
    release.set()
    for reader in readers:
        reader.join(60)
        assert reader.exitcode == 0
    assert sorted(result.get(timeout=5) for _ in readers) == [1, 1]
    assert _read_version(final) == 2


def test_missing_upstream_is_a_clear_error(tmp_path: Path) -> None:
    con = duckdb.connect()
    with pytest.raises(MissingUpstreamError, match="typed_tables has not been materialized"):
        attach_read_only(con, "typed_tables", tmp_path / "typed_tables.duckdb")


@pytest.mark.parametrize("name", ["../etc", "a/b", "", "Upper", "x" * 64, "-lead"])
def test_layout_rejects_source_names_that_could_escape(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="invalid source name"):
        WarehouseLayout(tmp_path).asset_path(name, "raw_tables")


def test_optional_upstreams_are_attached_only_when_materialized(tmp_path: Path) -> None:
    warehouse = WarehouseResource(data_dir=str(tmp_path))
    with warehouse.write("src", "typed_tables") as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS version")
    with warehouse.write(
        "src", "entropy_context", optional_reads=["typed_tables", "pii_findings"]
    ) as con:
        attached = attached_databases(con)
        assert "typed_tables" in attached
        assert "pii_findings" not in attached
        assert con.execute("SELECT version FROM typed_tables.t").fetchall() == [(1,)]
