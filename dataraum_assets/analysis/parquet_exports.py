"""Parquet exports of the typed, redacted and synthetic tables: the ``parquet_exports`` stage.

Writes ``<output_dir>/<kind>/<table>.parquet`` (kind: ``typed``, ``redacted``, ``synthetic``)
with ``_row`` first, and ``<output_dir>/manifest.json`` listing every file with its rows, its
schema (column → DuckDB type) and the run that materialized the exported asset; the same rows go
to the ``manifest`` table of the connection's main database.

Each kind's folder is written beside the final one (``.<kind>.<id>.tmp``) and swapped in by
rename, so a reader never sees half a kind; a kind not exported this time keeps no stale folder
in the manifest (its folder is removed).
"""

import json
import shutil
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandera.pandas as pa
from pandera.typing import Series

from dataraum_assets.analysis.output_tables import write_records
from dataraum_assets.identifiers import ROW_NUMBER_COLUMN, quote_identifier, quote_literal
from dataraum_assets.warehouse import atomic_file

EXPORT_KINDS: Mapping[str, tuple[str, str]] = {
    # kind → (attached database, schema of its tables)
    "typed": ("typed_tables", "typed"),
    "redacted": ("redacted_tables", "redacted"),
    "synthetic": ("synthetic_tables", "synthetic"),
}
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class ExportedFile:
    """One row of ``manifest``."""

    kind: str
    table_name: str
    file: str  # relative to the output folder
    rows: int
    bytes: int
    columns: tuple[str, ...]
    column_types: tuple[str, ...]
    source_asset: str
    source_run_id: str | None
    export_run_id: str | None


def build_parquet_exports(
    con: duckdb.DuckDBPyConnection,
    output_dir: Path,
    kinds: Sequence[str] = tuple(EXPORT_KINDS),
    source_run_ids: Mapping[str, str | None] | None = None,
    export_run_id: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[ExportedFile, ...]:
    """Export the tables of ``kinds`` (their databases attached under the asset names) and write
    the manifest file and table; returns the manifest rows."""
    unknown = [kind for kind in kinds if kind not in EXPORT_KINDS]
    if unknown:
        raise ValueError(f"unknown export kinds {unknown}; choose from {', '.join(EXPORT_KINDS)}")
    output_dir.mkdir(parents=True, exist_ok=True)
    source_run_ids = source_run_ids or {}
    exported: list[ExportedFile] = []
    for kind in EXPORT_KINDS:
        final = output_dir / kind
        if kind not in kinds:
            shutil.rmtree(final, ignore_errors=True)
            continue
        database, schema = EXPORT_KINDS[kind]
        temp = output_dir / f".{kind}.{uuid.uuid4().hex}.tmp"
        temp.mkdir()
        try:
            tables = [
                name
                for (name,) in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND "
                    "schema_name = ? ORDER BY table_name",
                    [database, schema],
                ).fetchall()
            ]
            for table in tables:
                qualified = (
                    f"{quote_identifier(database)}.{quote_identifier(schema)}."
                    f"{quote_identifier(table)}"
                )
                path = temp / f"{table}.parquet"
                order = quote_identifier(ROW_NUMBER_COLUMN)
                con.execute(
                    f"COPY (SELECT * FROM {qualified} ORDER BY {order}) TO "
                    f"{quote_literal(str(path))} (FORMAT parquet, COMPRESSION zstd)"
                )
                described = con.execute(
                    "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? "
                    "AND schema_name = ? AND table_name = ? ORDER BY column_index",
                    [database, schema, table],
                ).fetchall()
                [(rows,)] = con.execute(f"SELECT count(*) FROM {qualified}").fetchall()
                exported.append(
                    ExportedFile(
                        kind=kind,
                        table_name=table,
                        file=f"{kind}/{table}.parquet",
                        rows=int(rows),
                        bytes=path.stat().st_size,
                        columns=tuple(name for name, _ in described),
                        column_types=tuple(data_type for _, data_type in described),
                        source_asset=database,
                        source_run_id=source_run_ids.get(database),
                        export_run_id=export_run_id,
                    )
                )
            retired = output_dir / f".{kind}.{uuid.uuid4().hex}.old"
            if final.exists():
                final.rename(retired)
            temp.rename(final)
            shutil.rmtree(retired, ignore_errors=True)
        finally:
            shutil.rmtree(temp, ignore_errors=True)
        if progress:
            progress(f"parquet_exports: {kind}: {len(tables)} tables to {final}")
    manifest = {
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "export_run_id": export_run_id,
        "files": [
            {
                **{k: v for k, v in asdict(item).items() if k not in ("columns", "column_types")},
                "schema": dict(zip(item.columns, item.column_types, strict=True)),
            }
            for item in exported
        ],
    }
    with atomic_file(output_dir / MANIFEST_FILE) as temp_manifest:
        temp_manifest.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    write_records(con, "manifest", _MANIFEST_DDL, exported)
    return tuple(exported)


_MANIFEST_DDL = {
    "kind": "VARCHAR",
    "table_name": "VARCHAR",
    "file": "VARCHAR",
    "rows": "BIGINT",
    "bytes": "BIGINT",
    "columns": "VARCHAR[]",
    "column_types": "VARCHAR[]",
    "source_asset": "VARCHAR",
    "source_run_id": "VARCHAR",
    "export_run_id": "VARCHAR",
}


class ManifestSchema(pa.DataFrameModel):
    kind: Series[str] = pa.Field(isin=list(EXPORT_KINDS))
    table_name: Series[str]
    file: Series[str] = pa.Field(unique=True)
    rows: Series[int] = pa.Field(ge=0)
    bytes: Series[int] = pa.Field(gt=0)
    columns: Series[object]
    column_types: Series[object]
    source_asset: Series[str]
    source_run_id: Series[str] = pa.Field(nullable=True)
    export_run_id: Series[str] = pa.Field(nullable=True)

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True


OUTPUT_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {"manifest": ManifestSchema}
