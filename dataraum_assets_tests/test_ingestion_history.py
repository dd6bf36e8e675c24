"""The ingestion history: one Parquet file per run, read back as one table."""

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dataraum_assets.analysis.raw_tables import FileIngestion
from dataraum_assets.cli import main
from dataraum_assets.ingestion_history import (
    HistoryRun,
    history_glob,
    history_table,
    write_history,
)

AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _ingestion(path: str, status: str, rows: int, error: str | None = None) -> FileIngestion:
    return FileIngestion(
        file_path=path,
        table_name=None if status == "rejected" else path.removesuffix(".csv"),
        status=status,
        size_bytes=100,
        sha256="ab" * 32,
        encoding="utf-8",
        delimiter=",",
        line_ending="\n",
        header_line=1,
        rows=rows,
        columns=2,
        null_tokens=(),
        warnings=(),
        error=error,
        duration_seconds=0.1,
        ingested_at=AT,
    )


FILES = (
    _ingestion("orders.csv", "loaded", 3),
    _ingestion("broken.csv", "rejected", 0, "broken.csv: line 3: unclosed quote"),
)


def test_history_table_has_one_row_per_file_with_the_run() -> None:
    run = HistoryRun("shop", "run-1", "0123456789abcdef", "csv_inbox_sensor", recorded_at=AT)
    assert history_table(run, FILES).to_pylist() == [
        {
            "recorded_at": AT,
            "source": "shop",
            "run_id": "run-1",
            "fingerprint": "0123456789abcdef",
            "trigger": "csv_inbox_sensor",
            "file_path": "orders.csv",
            "table_name": "orders",
            "outcome": "loaded",
            "rows": 3,
            "size_bytes": 100,
            "sha256": "ab" * 32,
            "error": None,
            "ingested_at": AT,
        },
        {
            "recorded_at": AT,
            "source": "shop",
            "run_id": "run-1",
            "fingerprint": "0123456789abcdef",
            "trigger": "csv_inbox_sensor",
            "file_path": "broken.csv",
            "table_name": None,
            "outcome": "rejected",
            "rows": 0,
            "size_bytes": 100,
            "sha256": "ab" * 32,
            "error": "broken.csv: line 3: unclosed quote",
            "ingested_at": AT,
        },
    ]


def test_runs_append_files_that_read_back_as_one_table(tmp_path: Path) -> None:
    first = write_history(tmp_path, HistoryRun("shop", "run-1", recorded_at=AT), FILES)
    assert first == tmp_path / "history" / "ingestion" / "shop" / "run-1.parquet"
    write_history(tmp_path, HistoryRun("other", "run-2", "f" * 16), FILES[:1])
    # A retried step rewrites its own run's file: no duplicate rows.
    write_history(tmp_path, HistoryRun("shop", "run-1", recorded_at=AT), FILES)
    # A file written by a later version with one more column still reads with the others.
    newer = history_table(HistoryRun("shop", "run-3"), FILES[:1]).append_column(
        "new_column", pa.array(["x"])
    )
    pq.write_table(newer, tmp_path / "history" / "ingestion" / "shop" / "run-3.parquet")

    con = duckdb.connect()
    rows = con.execute(
        "SELECT source, run_id, file_path, outcome, new_column FROM "
        "read_parquet(?, union_by_name = true) ORDER BY ALL",
        [history_glob(tmp_path)],
    ).fetchall()
    assert rows == [
        ("other", "run-2", "orders.csv", "loaded", None),
        ("shop", "run-1", "broken.csv", "rejected", None),
        ("shop", "run-1", "orders.csv", "loaded", None),
        ("shop", "run-3", "orders.csv", "loaded", "x"),
    ]
    assert sorted(path.name for path in first.parent.iterdir()) == [
        "run-1.parquet",
        "run-3.parquet",
    ]


@pytest.mark.parametrize(
    ("source", "run_id"), [("../x", "run-1"), ("shop", "../../etc"), ("shop", "")]
)
def test_names_never_escape_the_history_folder(tmp_path: Path, source: str, run_id: str) -> None:
    with pytest.raises(ValueError, match="invalid"):
        write_history(tmp_path, HistoryRun(source, run_id), FILES)
    with pytest.raises(ValueError, match="invalid source name"):
        history_glob(tmp_path, "../x")


def test_history_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATARAUM_DATA_DIR", str(tmp_path))
    assert main(["history"]) == 2
    assert "no ingestion history yet" in capfd.readouterr().err

    write_history(tmp_path, HistoryRun("shop", "run-1", recorded_at=AT), FILES)
    write_history(tmp_path, HistoryRun("other", "run-2", recorded_at=AT), FILES[:1])
    assert main(["history", "shop", "--csv"]) == 0
    lines = capfd.readouterr().out.splitlines()
    assert lines[0].split(",")[:8] == [
        "recorded_at",
        "source",
        "run_id",
        "fingerprint",
        "trigger",
        "file_path",
        "table_name",
        "outcome",
    ]
    assert [line.split(",")[5:8] for line in lines[1:]] == [
        ["broken.csv", "", "rejected"],
        ["orders.csv", "orders", "loaded"],
    ]
    assert main(["history", "--run", "run-2", "--csv"]) == 0
    assert [line.split(",")[1:3] for line in capfd.readouterr().out.splitlines()[1:]] == [
        ["other", "run-2"]
    ]
    assert main(["history"]) == 0
    shown = capfd.readouterr().out
    assert "run-1" in shown and "run-2" in shown and "unclosed quote" in shown
