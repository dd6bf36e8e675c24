"""The ingestion history: which file was ingested when, by which run, with what outcome.

Every raw_tables run appends one Parquet file::

    <data_dir>/history/ingestion/<source>/<run_id>.parquet

One file per run (never a shared database) means concurrent runs never contend for a writer
lock, and a retried step simply replaces its own run's file. Readers union the files with
DuckDB's ``read_parquet(..., union_by_name = true)``, so columns added later stay readable next
to old files.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from dataraum_assets.identifiers import is_valid_source_name
from dataraum_assets.warehouse import atomic_file

if TYPE_CHECKING:
    # Only the record type; importing the loader would pull pandas/pandera into the CLI.
    from dataraum_assets.analysis.raw_tables import FileIngestion

# Dagster run ids are UUIDs; anything else must not become a file name.
_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

HISTORY_SCHEMA = pa.schema(
    [
        pa.field("recorded_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("fingerprint", pa.string()),
        pa.field("trigger", pa.string()),
        pa.field("file_path", pa.string(), nullable=False),
        pa.field("table_name", pa.string()),
        pa.field("outcome", pa.string(), nullable=False),
        pa.field("rows", pa.int64(), nullable=False),
        pa.field("size_bytes", pa.int64(), nullable=False),
        pa.field("sha256", pa.string()),
        pa.field("error", pa.string()),
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


@dataclass(frozen=True)
class HistoryRun:
    """The run a set of file ingestions belongs to."""

    source: str
    run_id: str
    fingerprint: str | None = None  # the inbox content fingerprint, when a sensor launched it
    trigger: str | None = None  # who launched the run (the run's dataraum/trigger tag)
    recorded_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def history_root(data_dir: Path) -> Path:
    return data_dir / "history" / "ingestion"


def history_glob(data_dir: Path, source: str | None = None) -> str:
    """The ``read_parquet`` glob for one source's history, or every source's."""
    if source is not None and not is_valid_source_name(source):
        raise ValueError(f"invalid source name {source!r}")
    return str(history_root(data_dir) / (source or "*") / "*.parquet")


def history_table(run: HistoryRun, files: Sequence["FileIngestion"]) -> pa.Table:
    """One row per file of ``run`` (``outcome`` is the ingestion_log status)."""
    rows = [
        {
            "recorded_at": run.recorded_at,
            "source": run.source,
            "run_id": run.run_id,
            "fingerprint": run.fingerprint,
            "trigger": run.trigger,
            "file_path": item.file_path,
            "table_name": item.table_name,
            "outcome": item.status,
            "rows": item.rows,
            "size_bytes": item.size_bytes,
            "sha256": item.sha256,
            "error": item.error,
            "ingested_at": item.ingested_at,
        }
        for item in files
    ]
    return pa.Table.from_pylist(rows, schema=HISTORY_SCHEMA)


def write_history(data_dir: Path, run: HistoryRun, files: Sequence["FileIngestion"]) -> Path:
    """Write ``run``'s history file atomically (temporary file, then rename) and return it.

    Rewriting the same run (a retried step) replaces its file, so reruns stay idempotent.
    """
    if not is_valid_source_name(run.source):
        raise ValueError(f"invalid source name {run.source!r}")
    if not _RUN_ID.match(run.run_id):
        raise ValueError(f"invalid run id {run.run_id!r}")
    final = history_root(data_dir) / run.source / f"{run.run_id}.parquet"
    # The temporary file is hidden and does not end in .parquet: readers' globs never see it.
    with atomic_file(final) as temp:
        pq.write_table(history_table(run, files), temp)
    return final
