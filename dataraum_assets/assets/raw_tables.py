"""raw_tables: every CSV file of a source loaded losslessly as text, with its ingestion log."""

from typing import Any

import dagster as dg
import duckdb

from dataraum_assets.analysis.raw_tables import OUTPUT_SCHEMAS, RawTablesOptions, ingest_files
from dataraum_assets.assets.metadata import column_schema
from dataraum_assets.checks import schema_checks, source_gate
from dataraum_assets.ingestion_history import HistoryRun, write_history
from dataraum_assets.markdown import markdown_table
from dataraum_assets.partitions import sources_partitions
from dataraum_assets.resources import WarehouseResource
from dataraum_assets.run_tags import FINGERPRINT_TAG, TRIGGER_TAG
from dataraum_assets.sources import SourceSettings

ASSET = "raw_tables"


@dg.asset(
    name=ASSET,
    partitions_def=sources_partitions,
    group_name="ingestion",
    kinds={"csv", "pyarrow", "duckdb"},
    retry_policy=dg.RetryPolicy(
        max_retries=2, delay=1, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
    ),
    description="""Every CSV/TSV file of the source loaded losslessly as text (via pyarrow).

Tables: `raw."<table>"` (one per file, `_row` = record number), `ingestion_log` (path, size,
sha256, encoding, delimiter, rows, columns, warnings, error per file), `column_map` (original
header → SQL-safe name, null and placeholder counts), `repairs` (every repaired or rejected
line with its line number). Encoding, delimiter and line ends are detected; ragged rows, NUL
bytes and undecodable bytes are repaired and recorded, or the file is rejected with the file,
line and reason. Other files still load; the `raw_tables_all_files_loaded` check fails.

Settings (`dataraum.yaml` in the source folder, section `raw_tables`): `null_tokens` (cells
that become NULL; default empty, NULL, null, None, NaN, NA, N/A, #N/A, #NULL!, #REF!,
#VALUE!, #DIV/0!, --), `placeholder_tokens` (reported, not nulled; default `-` and `.`),
`block_on_rejection` (default false: a rejected file fails the run instead),
`max_file_bytes`. Output: `<data_dir>/warehouse/<source>/raw_tables.duckdb`; each run also
appends its files' outcomes to the ingestion history (`dataraum-assets history`).""",
)
def raw_tables(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    source = warehouse.source(context.partition_key)
    settings = source.settings().raw_tables
    listing = source.listing()
    for name in listing.ignored:
        context.log.info(f"ignoring {name}: not a .csv or .tsv file")
    context.log.info(f"source {source.name}: {len(listing.files)} files in {source.folder}")
    options = RawTablesOptions(
        null_tokens=settings.null_tokens,
        placeholder_tokens=settings.placeholder_tokens,
        max_file_bytes=settings.max_file_bytes,
        # Transcoded and repaired copies stay on the data disk, not in a small system /tmp.
        temp_dir=warehouse.layout.temp_dir(),
    )
    with warehouse.write(source.name, ASSET) as con:
        result = ingest_files(con, listing.files, options, progress=context.log.info)
        tags = context.run.tags
        write_history(
            warehouse.layout.data_dir,
            HistoryRun(
                source.name, context.run.run_id, tags.get(FINGERPRINT_TAG), tags.get(TRIGGER_TAG)
            ),
            result.files,
        )
        rejected = [item for item in result.files if item.status == "rejected"]
        if rejected and settings.block_on_rejection:
            raise dg.Failure(
                description=f"{len(rejected)} of {len(result.files)} files rejected and "
                "block_on_rejection is set; the previous raw_tables output is kept:\n"
                + "\n".join(f"- {item.error}" for item in rejected),
                allow_retries=False,
            )
        metadata = _metadata(con)
    metadata["ignored_files"] = dg.MetadataValue.int(len(listing.ignored))
    return dg.MaterializeResult(metadata=metadata)


def _metadata(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    log = con.sql(
        "SELECT file_path, table_name, status, rows, columns, encoding, delimiter, "
        "len(warnings), error FROM ingestion_log ORDER BY file_path"
    ).fetchall()
    columns = con.sql(
        "SELECT table_name, column_name, original_header, null_count, placeholder_count "
        "FROM column_map ORDER BY table_name, position"
    ).fetchall()
    repairs = con.sql(
        "SELECT file_path, kind, count(*), min(line) FROM repairs GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    statuses = [row[2] for row in log]
    preview = "### Files\n\n" + markdown_table(
        ["file", "table", "status", "rows", "columns", "encoding", "delimiter", "warnings"],
        [[*row[:6], repr(row[6]) if row[6] else None, row[7]] for row in log],
    )
    errors = [f"- `{row[0]}`: {row[8]}" for row in log if row[8]]
    if errors:
        preview += "\n\n### Rejected files\n\n" + "\n".join(errors)
    if repairs:
        preview += "\n\n### Repairs\n\n" + markdown_table(
            ["file", "kind", "lines", "first line"], repairs
        )
    return {
        "dagster/row_count": sum(row[3] or 0 for row in log),
        "dagster/column_schema": column_schema(
            (
                f"{table}.{column}",
                "VARCHAR",
                f"header {header!r}; {nulls:,} nulls; {placeholders:,} placeholders",
            )
            for table, column, header, nulls, placeholders in columns
        ),
        "tables": len([row for row in log if row[1] and row[2] != "rejected"]),
        "files_loaded": statuses.count("loaded"),
        "files_repaired": statuses.count("repaired"),
        "files_rejected": statuses.count("rejected"),
        "preview": dg.MetadataValue.md(preview),
    }


def _all_files_loaded(con: duckdb.DuckDBPyConnection, _: SourceSettings) -> dg.AssetCheckResult:
    rejected = con.sql(
        "SELECT file_path, error FROM raw_tables.ingestion_log WHERE status = 'rejected' "
        "ORDER BY file_path"
    ).fetchall()
    total = con.execute("SELECT count(*) FROM raw_tables.ingestion_log").fetchone()
    return dg.AssetCheckResult(
        passed=not rejected,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "files": total[0] if total else 0,
            "rejected_files": len(rejected),
            "rejections": dg.MetadataValue.md(
                markdown_table(["file", "error"], rejected) if rejected else "none"
            ),
        },
    )


raw_tables_checks = [
    *schema_checks(ASSET, OUTPUT_SCHEMAS),
    source_gate(
        ASSET,
        "raw_tables_all_files_loaded",
        "Every file of the source was loaded (possibly repaired). Not blocking: the other "
        "files flow on; set `raw_tables.block_on_rejection` to fail the run instead.",
        _all_files_loaded,
        blocking=False,
    ),
]
