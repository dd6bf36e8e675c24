"""The real pipeline through Dagster on sources a user would bring: messy, hostile, broken."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

import dataraum_assets.assets.typed_tables as typed_tables_module
from dataraum_assets_tests.pipeline import REPO_ROOT, per_source_warehouse_assets, run_pipeline

BIN = Path(sys.executable).parent


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


def _write(folder: Path, name: str, content: str | bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def _messy_source(folder: Path) -> None:
    _write(
        folder, "orders.csv", "order_id,amount,ordered_on\n1,10.50,2024-01-02\n2,7.25,2024-01-03\n"
    )
    _write(
        folder,
        '"; DROP TABLE x; --.csv',
        '"""; DROP TABLE x; --",../../etc/passwd,,Größe\n1,a,b,3\n2,c,d,4\n',
    )
    _write(folder, "kunden.csv", "Name;Stadt\nJosé;Köln\nRené;Zürich\n".encode("cp1252"))
    _write(folder, "broken.csv", 'id,comment\n1,"fine"\n2,"never closed\n3,x\n')
    _write(folder, "readme.txt", "not data")


def test_messy_source_loads_good_files_and_reports_the_broken_one(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    _messy_source(tmp_path / "src")
    run = run_pipeline(tmp_path / "src", tmp_path / "data", instance)
    assert run.result.success
    checks = run.check_results()
    assert checks["raw_tables_all_files_loaded"].passed is False
    failed = {name for name, evaluation in checks.items() if not evaluation.passed}
    assert failed == {"raw_tables_all_files_loaded"}

    raw = run.connect("raw_tables")
    log = dict(raw.execute("SELECT file_path, status FROM ingestion_log").fetchall())
    assert log == {
        '"; DROP TABLE x; --.csv': "repaired",  # the blank header was named
        "broken.csv": "rejected",
        "kunden.csv": "loaded",
        "orders.csv": "loaded",
    }
    error = raw.execute("SELECT error FROM ingestion_log WHERE file_path = 'broken.csv'").fetchone()
    assert error is not None and "broken.csv" in error[0] and "line 3" in error[0]

    typed = run.connect("typed_tables")
    tables = {row[0] for row in typed.execute("SELECT table_name FROM table_summary").fetchall()}
    assert tables == {"drop_table_x", "kunden", "orders"}
    assert typed.execute('SELECT "name", "stadt" FROM typed."kunden" ORDER BY _row').fetchall() == [
        ("José", "Köln"),
        ("René", "Zürich"),
    ]
    headers = typed.execute(
        "SELECT column_name, original_header FROM type_decisions "
        "WHERE table_name = 'drop_table_x' ORDER BY position"
    ).fetchall()
    assert headers == [
        ("drop_table_x", '"; DROP TABLE x; --'),
        ("etc_passwd", "../../etc/passwd"),
        ("column_3", ""),
        ("groe", "Größe"),
    ]
    decisions = dict(
        typed.execute(
            "SELECT column_name, semantic_type FROM type_decisions WHERE table_name = 'orders'"
        ).fetchall()
    )
    assert decisions == {"order_id": "integer", "amount": "decimal", "ordered_on": "date"}

    profiles = run.connect("statistical_profiles")
    row = profiles.execute(
        "SELECT rows, nulls, min_value, max_value FROM column_profiles "
        "WHERE table_name = 'orders' AND column_name = 'amount'"
    ).fetchone()
    assert row == (2, 0, "7.25", "10.5") or row == (2, 0, "7.25", "10.50")

    metadata = run.materialization_metadata("raw_tables")
    assert metadata["dagster/row_count"].value == 6
    assert metadata["files_rejected"].value == 1
    assert metadata["ignored_files"].value == 1
    assert "never closed" not in str(metadata["preview"].value)  # errors, not data, are shown
    schema = metadata["dagster/column_schema"].value
    assert isinstance(schema, dg.TableSchema)
    assert "orders.amount" in [column.name for column in schema.columns]


def test_block_on_rejection_fails_the_run_and_keeps_the_previous_output(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    source = tmp_path / "src"
    _write(source, "orders.csv", "order_id,amount\n1,10.50\n")
    _write(source, "dataraum.yaml", "raw_tables:\n  block_on_rejection: true\n")
    first = run_pipeline(source, tmp_path / "data", instance)
    assert first.result.success

    _write(source, "broken.csv", 'id,comment\n1,"never closed\n')
    second = run_pipeline(source, tmp_path / "data", instance, selection=["raw_tables"])
    assert not second.result.success
    [failure] = [
        event for event in second.result.all_events if event.event_type_value == "STEP_FAILURE"
    ]
    assert "broken.csv" in str(failure.event_specific_data)
    raw = second.connect("raw_tables")
    assert raw.execute("SELECT file_path FROM ingestion_log").fetchall() == [("orders.csv",)]


def test_quarantine_gate_blocks_downstream(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    rows = "\n".join(f"{index},{index * 3}" for index in range(1, 18))
    junk = "\n".join(f"{index},n/a{index}" for index in range(18, 21))
    _write(tmp_path / "src", "counts.csv", f"id,quantity\n{rows}\n{junk}\n")
    run = run_pipeline(tmp_path / "src", tmp_path / "data", instance)
    assert not run.result.success
    gate = run.check_results()["typed_tables_quarantine_within_limit"]
    assert gate.passed is False
    assert "counts" in str(gate.metadata["tables_over_limit"].value)
    assert not run.warehouse.layout.asset_path(run.source, "statistical_profiles").exists()
    typed = run.connect("typed_tables")
    assert typed.execute(
        "SELECT row_number, original_value FROM quarantine ORDER BY row_number"
    ).fetchall() == [(18, "n/a18"), (19, "n/a19"), (20, "n/a20")]


def test_failed_step_keeps_previous_version(
    tmp_path: Path, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "src", "orders.csv", "order_id,amount\n1,10.50\n2,3.00\n")
    first = run_pipeline(tmp_path / "src", tmp_path / "data", instance)
    assert first.result.success

    def crash(con: duckdb.DuckDBPyConnection, *args: object, **kwargs: object) -> None:
        con.execute("CREATE SCHEMA typed")
        con.execute("CREATE TABLE typed.orders AS SELECT 'half-written' AS x")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(typed_tables_module, "build_typed_tables", crash)
    second = run_pipeline(tmp_path / "src", tmp_path / "data", instance, selection=["typed_tables"])
    assert not second.result.success
    typed = second.connect("typed_tables")
    assert typed.execute('SELECT order_id, amount FROM typed."orders" ORDER BY 1').fetchall() == [
        (1, 10.5),
        (2, 3.0),
    ]
    folder = second.warehouse.layout.source_dir(second.source)
    # No temp file of the failed swap is left beside the outputs of the first run.
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        f"{name}.duckdb" for name in per_source_warehouse_assets()
    )


def test_two_sources_run_at_the_same_time_from_the_cli(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "home"),
        "DATARAUM_DATA_DIR": str(tmp_path / "data"),
    }
    for name in ["left", "right"]:
        body = "\n".join(f"{index},{name}-{index},{index}.5" for index in range(2000))
        _write(tmp_path / name, "items.csv", f"id,label,price\n{body}\n")
        subprocess.run(
            [str(BIN / "dataraum-assets"), "register", str(tmp_path / name)],
            env=env,
            check=True,
            capture_output=True,
        )
    processes = [
        subprocess.Popen(
            [
                str(BIN / "dagster"),
                "asset",
                "materialize",
                "-m",
                "dataraum_assets.definitions",
                "--select",
                "*",
                "--partition",
                name,
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in ["left", "right"]
    ]
    for process in processes:
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, output[-3000:]
    for name in ["left", "right"]:
        path = tmp_path / "data" / "warehouse" / name / "statistical_profiles.duckdb"
        con = duckdb.connect(str(path), read_only=True)
        assert con.execute(
            "SELECT rows FROM column_profiles WHERE column_name = 'label'"
        ).fetchall() == [(2000,)]
