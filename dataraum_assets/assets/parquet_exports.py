"""parquet_exports: typed, redacted and synthetic tables as Parquet files with a manifest."""

import os
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from pydantic import Field

from dataraum_assets.analysis.parquet_exports import (
    EXPORT_KINDS,
    OUTPUT_SCHEMAS,
    build_parquet_exports,
)
from dataraum_assets.checks import schema_checks
from dataraum_assets.markdown import markdown_table
from dataraum_assets.partitions import sources_partitions
from dataraum_assets.resources import WarehouseResource

ASSET = "parquet_exports"
UPSTREAMS = ("typed_tables", "redacted_tables", "synthetic_tables")
EXPORT_DIR_ENV_VAR = "DATARAUM_EXPORT_DIR"


class ParquetExportsConfig(dg.Config):
    output_dir: str | None = Field(
        default=None,
        description=f"Export root; defaults to ${EXPORT_DIR_ENV_VAR}, else <data_dir>/exports. "
        "Files go to <root>/<source>/<kind>/<table>.parquet.",
    )


def export_root(configured: str | None, data_dir: Path) -> Path:
    """The export root: run config, else ``$DATARAUM_EXPORT_DIR``, else ``<data_dir>/exports``."""
    chosen = configured or os.environ.get(EXPORT_DIR_ENV_VAR)
    return Path(chosen).expanduser().absolute() if chosen else data_dir / "exports"


@dg.asset(
    name=ASSET,
    deps=list(UPSTREAMS),
    partitions_def=sources_partitions,
    group_name="privacy",
    kinds={"duckdb", "parquet"},
    description="""Typed, redacted and synthetic tables written as Parquet, with a manifest.

Reads `typed_tables`, `redacted_tables` and `synthetic_tables` (the kinds chosen under
`privacy: exports: kinds` in `dataraum.yaml`; default all three). An asset of its own rather than
part of redaction or synthesis: exporting is delivery, not analysis — it can be re-run to a new
folder without recomputing HMACs or copulas, one manifest covers all kinds, and the redacted and
synthetic assets stay one DuckDB file each like every other stage.
Files: `<export root>/<source>/<kind>/<table>.parquet` (zstd, ordered by `_row`) and
`<export root>/<source>/manifest.json` (every file with rows, bytes, schema, the run that
materialized its source asset, and this run). Export root: run config `output_dir`, else
`$DATARAUM_EXPORT_DIR`, else `<data_dir>/exports`. Each kind's folder is written beside the final
one and swapped in by rename. Mind that `typed` files hold the PII in clear.
Table: `manifest` (same rows as manifest.json).
Output: `<data_dir>/warehouse/<source>/parquet_exports.duckdb`.""",
)
def parquet_exports(
    context: dg.AssetExecutionContext, config: ParquetExportsConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    source = context.partition_key
    kinds = warehouse.source(source).settings().privacy.exports.kinds
    reads = [EXPORT_KINDS[kind][0] for kind in kinds]
    output_dir = export_root(config.output_dir, warehouse.layout.data_dir) / source
    run_ids = {asset: _latest_run_id(context.instance, asset, source) for asset in reads}
    with warehouse.write(source, ASSET, reads=reads) as con:
        build_parquet_exports(
            con,
            output_dir,
            kinds=kinds,
            source_run_ids=run_ids,
            export_run_id=context.run.run_id,
            progress=context.log.info,
        )
        metadata = _metadata(con, output_dir)
    return dg.MaterializeResult(metadata=metadata)


def _latest_run_id(instance: dg.DagsterInstance, asset: str, source: str) -> str | None:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[source]), limit=1
    ).records
    return records[0].run_id if records else None


def _metadata(con: duckdb.DuckDBPyConnection, output_dir: Path) -> dict[str, Any]:
    rows = con.execute(
        "SELECT kind, table_name, file, rows, bytes FROM manifest ORDER BY kind, table_name"
    ).fetchall()
    preview = "### Exported files\n\n" + markdown_table(
        ["kind", "table", "file", "rows", "bytes"], [list(row) for row in rows]
    )
    return {
        "dagster/row_count": len(rows),
        "output_dir": dg.MetadataValue.path(str(output_dir)),
        "files": len(rows),
        "bytes": sum(row[4] for row in rows),
        "preview": dg.MetadataValue.md(preview),
    }


parquet_exports_checks = schema_checks(ASSET, OUTPUT_SCHEMAS)
