"""Where every asset's output lives, and how it is written atomically.

Layout under the data folder (``docs/data-plane.md`` is the user-facing description)::

    <data_dir>/sources/<source>.json              registry entry: the folder a source reads
    <data_dir>/warehouse/<source>/<asset>.duckdb  one DuckDB file per (source, asset)
    <data_dir>/tmp/                               DuckDB spill space

One file per asset and source means every step is the only writer of its file, so parallel
steps and parallel sources never contend for DuckDB's single-writer lock. A step writes a fresh
temporary file next to the final one and renames it into place only when the step succeeded:
readers (later steps, users with ``duckdb``) always see a complete previous or new version.
Upstream files are attached ``READ_ONLY``, which DuckDB allows from any number of processes.
"""

import contextlib
import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dataraum_assets.identifiers import is_valid_source_name, quote_identifier, quote_literal


class MissingUpstreamError(RuntimeError):
    """An upstream asset has not been materialized for this source yet."""


@dataclass(frozen=True)
class WarehouseLayout:
    """Paths of the data folder. Source names are validated so no path escapes it."""

    data_dir: Path

    def _checked(self, source: str) -> str:
        if not is_valid_source_name(source):
            raise ValueError(
                f"invalid source name {source!r}: use lowercase letters, digits, '_' and '-'"
            )
        return source

    def registry_dir(self) -> Path:
        return self.data_dir / "sources"

    def registry_path(self, source: str) -> Path:
        return self.registry_dir() / f"{self._checked(source)}.json"

    def source_dir(self, source: str) -> Path:
        return self.data_dir / "warehouse" / self._checked(source)

    def asset_path(self, source: str, asset: str) -> Path:
        return self.source_dir(source) / f"{asset}.duckdb"

    def temp_dir(self) -> Path:
        return self.data_dir / "tmp"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_file(final_path: Path) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``final_path``; when the block succeeds the file
    written there is fsynced and replaces ``final_path`` in one rename.

    On an exception the temporary file is removed and ``final_path`` is untouched. A crash
    (kill -9) leaves at worst a hidden ``.<name>.*.tmp`` file (never matched by ``*.parquet``
    or ``*.json`` globs) that the next write of the same file removes.
    """
    final_path.parent.mkdir(parents=True, exist_ok=True)
    for stale in final_path.parent.glob(f".{final_path.name}.*.tmp*"):
        stale.unlink(missing_ok=True)
    temp_path = final_path.with_name(f".{final_path.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield temp_path
        with open(temp_path, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp_path, final_path)
        fsync_dir(final_path.parent)
    finally:
        temp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_database_file(final_path: Path) -> Iterator[Path]:
    """:func:`atomic_file` for a DuckDB database, whose write-ahead log is removed too."""
    with atomic_file(final_path) as temp_path:
        try:
            yield temp_path
        finally:
            temp_path.with_name(temp_path.name + ".wal").unlink(missing_ok=True)


def attach_read_only(con: duckdb.DuckDBPyConnection, alias: str, path: Path) -> None:
    """Attach ``path`` as database ``alias`` read-only (a missing file is a clear error)."""
    if not path.exists():
        raise MissingUpstreamError(
            f"{alias} has not been materialized for this source yet (no file {path}); "
            f"materialize {alias} for the same partition first"
        )
    con.execute(f"ATTACH {quote_literal(str(path))} AS {quote_identifier(alias)} (READ_ONLY)")


def attached_databases(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the databases attached to ``con`` (upstream assets attached by the resource)."""
    return {
        name for (name,) in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()
    }


def attach_upstreams(
    con: duckdb.DuckDBPyConnection, layout: WarehouseLayout, source: str, assets: Sequence[str]
) -> None:
    for asset in assets:
        attach_read_only(con, asset, layout.asset_path(source, asset))
