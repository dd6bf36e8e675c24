"""statistical_profiles: exact per-column profiles of every typed table."""

from typing import Any

import dagster as dg
import duckdb

from dataraum_assets.analysis.statistical_profiles import (
    OUTPUT_SCHEMAS,
    ProfileOptions,
    build_statistical_profiles,
)
from dataraum_assets.assets.metadata import column_schema
from dataraum_assets.checks import schema_checks
from dataraum_assets.markdown import markdown_table
from dataraum_assets.partitions import sources_partitions
from dataraum_assets.resources import WarehouseResource

ASSET = "statistical_profiles"
UPSTREAM = "typed_tables"
PREVIEW_COLUMNS = 15


@dg.asset(
    name=ASSET,
    deps=[UPSTREAM],
    partitions_def=sources_partitions,
    group_name="profiling",
    kinds={"duckdb"},
    description="""Exact per-column profiles of every typed table, over the full data.

Per column: rows, nulls, null ratio, quarantined cells, distinct count, cardinality ratio,
uniqueness, min/max; numeric: mean, stddev, skewness, kurtosis, p01/p25/p50/p75/p99,
coefficient of variation, MAD, robust CV, zeros, negatives; text: min/max/avg length.
Tables: `column_profiles`, `top_values` (top 20 values per column with counts),
`histograms` (20 equal-width buckets for numeric and temporal columns).
Output: `<data_dir>/warehouse/<source>/statistical_profiles.duckdb`.""",
)
def statistical_profiles(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    with warehouse.write(context.partition_key, ASSET, reads=[UPSTREAM]) as con:
        build_statistical_profiles(
            con, ProfileOptions(), progress=context.log.info, typed_database=UPSTREAM
        )
        metadata = _metadata(con)
    return dg.MaterializeResult(metadata=metadata)


def _metadata(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    profiles = con.sql(
        "SELECT table_name, column_name, data_type, rows, nulls, null_ratio, distinct_count, "
        "min_value, max_value, mean, p50 FROM column_profiles ORDER BY table_name, position"
    ).fetchall()
    most_nulls = sorted(profiles, key=lambda row: (-row[5], row[0], row[1]))[:PREVIEW_COLUMNS]
    numeric = [row for row in profiles if row[9] is not None]
    preview = (
        "### Columns with most nulls\n\n"
        + markdown_table(
            ["table", "column", "type", "nulls", "null ratio", "distinct"],
            [[row[0], row[1], row[2], row[4], row[5], row[6]] for row in most_nulls],
        )
        + "\n\n### Numeric columns\n\n"
        + markdown_table(
            ["table", "column", "min", "median", "mean", "max"],
            [[row[0], row[1], row[7], row[10], row[9], row[8]] for row in numeric[:50]],
        )
    )
    tables = {row[0]: row[3] for row in profiles}
    return {
        "dagster/row_count": len(profiles),
        "dagster/column_schema": column_schema(
            (f"{row[0]}.{row[1]}", row[2], f"{row[4]:,} nulls; {row[6]:,} distinct")
            for row in profiles
        ),
        "tables": len(tables),
        "profiled_rows": sum(tables.values()),
        "preview": dg.MetadataValue.md(preview),
    }


statistical_profiles_checks = schema_checks(ASSET, OUTPUT_SCHEMAS)
