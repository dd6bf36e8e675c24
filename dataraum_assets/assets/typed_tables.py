"""typed_tables: each raw table cast to its inferred types, with quarantine and decisions."""

from typing import Any

import dagster as dg
import duckdb

from dataraum_assets.analysis.typed_tables import (
    OUTPUT_SCHEMAS,
    TypingOptions,
    build_typed_tables,
)
from dataraum_assets.assets.metadata import column_schema
from dataraum_assets.checks import schema_checks, source_gate
from dataraum_assets.markdown import markdown_table
from dataraum_assets.partitions import sources_partitions
from dataraum_assets.resources import WarehouseResource
from dataraum_assets.sources import SourceSettings

ASSET = "typed_tables"
UPSTREAM = "raw_tables"
PREVIEW_DECISIONS = 25


@dg.asset(
    name=ASSET,
    deps=[UPSTREAM],
    partitions_def=sources_partitions,
    group_name="ingestion",
    kinds={"duckdb"},
    # Reads and writes DuckDB files on the data disk: a transient I/O error is retried.
    retry_policy=dg.RetryPolicy(
        max_retries=2, delay=1, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
    ),
    description="""Each raw table cast to inferred types.

Candidates per column: boolean, integer, decimal (dot/comma, thousands separators),
percentage, currency (unit recorded), date (ISO, m/d/Y, d/m/Y, d.m.Y, d-Mon-Y, YYYYMMDD when
clearly a date), timestamp, time, year-month, year-quarter; uuid, email and url stay text with
a semantic tag; leading-zero codes stay text. A type is kept when ≥ `min_match_rate` (0.5) of
distinct sampled values match its pattern, ≥ `min_cast_rate` (0.8) of non-null values cast and
the confidence is ≥ `min_confidence` (0.85); otherwise the column stays text.

Tables: `typed."<table>"`, `type_decisions` (type, confidence, match/cast rates, failed
examples, unit, note), `quarantine` (every cell whose cast failed, with its original value; the
typed cell is NULL), `table_summary`. Data gate: `typed_tables_quarantine_within_limit` fails
when a table's quarantined cells exceed `quarantine_max_share` (0.05) of its non-null cells.
Settings: `dataraum.yaml`, section `typed_tables`. Output:
`<data_dir>/warehouse/<source>/typed_tables.duckdb`.""",
)
def typed_tables(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    settings = warehouse.source(context.partition_key).settings().typed_tables
    options = TypingOptions(
        min_match_rate=settings.min_match_rate,
        min_cast_rate=settings.min_cast_rate,
        min_confidence=settings.min_confidence,
    )
    with warehouse.write(context.partition_key, ASSET, reads=[UPSTREAM]) as con:
        build_typed_tables(con, options, progress=context.log.info, raw_database=UPSTREAM)
        metadata = _metadata(con)
    return dg.MaterializeResult(metadata=metadata)


def _metadata(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    decisions = con.sql(
        "SELECT table_name, column_name, original_header, data_type, semantic_type, unit, "
        "confidence, match_rate, cast_rate, failed_count, note "
        "FROM type_decisions ORDER BY table_name, position"
    ).fetchall()
    summary = con.sql(
        "SELECT table_name, rows, columns, quarantined_cells, quarantine_share "
        "FROM table_summary ORDER BY table_name"
    ).fetchall()
    typed = [row for row in decisions if row[4] != "text"]
    least_confident = sorted(typed, key=lambda row: (row[6], row[0], row[1]))[:PREVIEW_DECISIONS]
    preview = (
        "### Tables\n\n"
        + markdown_table(["table", "rows", "columns", "quarantined cells", "share"], summary)
        + f"\n\n### Type decisions, least confident first ({len(typed)} typed columns, "
        f"{len(decisions) - len(typed)} kept as text)\n\n"
        + markdown_table(
            [
                "table",
                "column",
                "type",
                "semantic",
                "unit",
                "confidence",
                "match",
                "cast",
                "failed",
            ],
            [[*row[:2], *row[3:10]] for row in least_confident],
        )
    )
    notes = [f"- `{row[0]}.{row[1]}`: {row[10]}" for row in decisions if row[10]]
    if notes:
        preview += "\n\n### Notes\n\n" + "\n".join(notes[:50])
    return {
        "dagster/row_count": sum(row[1] for row in summary),
        "dagster/column_schema": column_schema(
            (
                f"{table}.{column}",
                data_type,
                f"{semantic}{f' ({unit})' if unit else ''}; header {header!r}; "
                f"confidence {confidence:.2f}; {failed:,} quarantined",
            )
            for table, column, header, data_type, semantic, unit, confidence, _, _, failed, _ in (
                decisions
            )
        ),
        "tables": len(summary),
        "typed_columns": len(typed),
        "text_columns": len(decisions) - len(typed),
        "quarantined_cells": sum(row[3] for row in summary),
        "preview": dg.MetadataValue.md(preview),
    }


def _quarantine_within_limit(
    con: duckdb.DuckDBPyConnection, settings: SourceSettings
) -> dg.AssetCheckResult:
    limit = settings.typed_tables.quarantine_max_share
    rows = con.execute(
        "SELECT table_name, quarantined_cells, quarantine_share "
        "FROM typed_tables.table_summary ORDER BY quarantine_share DESC, table_name"
    ).fetchall()
    violations = [row for row in rows if row[2] > limit]
    return dg.AssetCheckResult(
        passed=not violations,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "quarantine_max_share": limit,
            "worst_share": rows[0][2] if rows else 0.0,
            "tables_over_limit": dg.MetadataValue.md(
                markdown_table(["table", "quarantined cells", "share"], violations)
                if violations
                else "none"
            ),
        },
    )


typed_tables_checks = [
    *schema_checks(ASSET, OUTPUT_SCHEMAS),
    source_gate(
        ASSET,
        "typed_tables_quarantine_within_limit",
        "Data gate: no table has more quarantined cells (failed casts) than "
        "`typed_tables.quarantine_max_share` (default 0.05) of its non-null cells. Blocking.",
        _quarantine_within_limit,
        blocking=True,
    ),
]
