"""temporal_profiles: granularity, coverage, gaps, staleness, trend, seasonality, change points."""

import datetime as dt
from typing import Any

import dagster as dg
import duckdb
from pydantic import Field

from dataraum_assets.analysis.temporal_profiles import (
    OUTPUT_SCHEMAS,
    TemporalOptions,
    build_temporal_profiles,
)
from dataraum_assets.checks import schema_checks
from dataraum_assets.markdown import markdown_table
from dataraum_assets.partitions import sources_partitions
from dataraum_assets.resources import WarehouseResource
from dataraum_assets.warehouse import attached_databases

ASSET = "temporal_profiles"
UPSTREAMS = ("typed_tables", "statistical_profiles")
OPTIONAL_UPSTREAMS = ("semantic_annotations",)


class TemporalProfilesConfig(dg.Config):
    as_of: str | None = Field(
        default=None,
        description="Date (YYYY-MM-DD) staleness and future values are measured against; "
        "default: the run's date (UTC).",
    )


@dg.asset(
    name=ASSET,
    deps=[*UPSTREAMS, *OPTIONAL_UPSTREAMS],
    partitions_def=sources_partitions,
    group_name="meaning",
    kinds={"duckdb"},
    description="""Time behaviour of every DATE/TIMESTAMP column (including text typed as dates,
year-month and year-quarter periods), as of the run's date (UTC); run config `as_of`, else
`as_of` in the source's dataraum.yaml, overrides it.

Reads `typed_tables` (data and type decisions), `statistical_profiles` (to tell measures from
identifiers and years) and, when materialized, `semantic_annotations` (columns with role
'measure' are the measures; otherwise numeric columns that are not percentages, key-named,
years or integer sequences; at most 5 per table).
Per column: min, max, precision (coarsest level at which all values lie: all :00 → hour, all
on the 1st → month) and granularity (finest level, not finer than the precision, at which ≥ 50%
of the steps between consecutive distinct periods are 1), a weekday calendar for daily data
with ≤ 1% weekend values, expected vs observed periods and completeness, gaps (runs of ≥ 2
missing seconds/minutes/hours/days, ≥ 1 missing week/month/quarter/year), values after the
run date (counted, left out of the range) and staleness in days.
On exact per-period aggregates (row count and measure sums, GROUP BY over the full table;
coarser level above 20,000 periods): trend (Mann-Kendall via scipy kendalltau, Theil-Sen slope,
p < 0.05, ≥ 8 points), seasonality per lag (hour 24/168, day 7/365, weekdays 5, week 52,
month 12, quarter 4: moving-average detrend, one-way ANOVA by phase, strength ω² ≥ 0.1 and
p < 0.05, ≥ 3 cycles), change points (PELT, l2 cost, ruptures, penalty 2·ln(n) on the
unit-variance series without its seasonal phase means, ≥ 10 points). Each test row says on how
many points it ran, or why it was skipped.
Tables: `temporal_columns`, `series_tests`, `gaps`, `period_series`.
Output: `<data_dir>/warehouse/<source>/temporal_profiles.duckdb`.""",
)
def temporal_profiles(
    context: dg.AssetExecutionContext,
    config: TemporalProfilesConfig,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    # Run config first, then the source's own `as_of` (a snapshot's date), then today.
    run_date = (
        dt.date.fromisoformat(config.as_of)
        if config.as_of
        else warehouse.source(context.partition_key).settings().as_of
        or dt.datetime.now(dt.UTC).date()
    )
    with warehouse.write(
        context.partition_key, ASSET, reads=UPSTREAMS, optional_reads=OPTIONAL_UPSTREAMS
    ) as con:
        semantic = "semantic_annotations" in attached_databases(con)
        build_temporal_profiles(
            con,
            run_date,
            TemporalOptions(),
            progress=context.log.info,
            typed_database="typed_tables",
            profiles_database="statistical_profiles",
            semantic_database="semantic_annotations" if semantic else None,
        )
        metadata = temporal_metadata(con)
    return dg.MaterializeResult(metadata={**metadata, "run_date": run_date.isoformat()})


def temporal_metadata(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    columns = con.execute(
        "SELECT table_name, column_name, granularity, calendar, min_value, max_value, "
        "completeness, gap_count, future_values, staleness_days FROM temporal_columns "
        "ORDER BY table_name, column_name"
    ).fetchall()
    findings = con.execute(
        "SELECT table_name, column_name, series, test, lag, n_points, statistic, p_value, "
        "result FROM series_tests WHERE result IN ('increasing', 'decreasing', 'seasonal') "
        "ORDER BY table_name, column_name, series, test, lag"
    ).fetchall()
    [(tests, skipped)] = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE result = 'skipped') FROM series_tests"
    ).fetchall()
    preview = (
        "### Temporal columns\n\n"
        + markdown_table(
            [
                "table",
                "column",
                "granularity",
                "calendar",
                "min",
                "max",
                "completeness",
                "gaps",
                "future",
                "staleness (days)",
            ],
            [list(row) for row in columns],
        )
        + "\n\n### Significant trends and seasonality\n\n"
        + markdown_table(
            ["table", "column", "series", "test", "lag", "points", "statistic", "p", "result"],
            [list(row) for row in findings[:30]],
        )
    )
    return {
        "dagster/row_count": len(columns),
        "series_tests": tests,
        "series_tests_skipped": skipped,
        "granularities": ", ".join(f"{t}.{c}: {g}" for t, c, g, *_ in columns),
        "preview": dg.MetadataValue.md(preview),
    }


temporal_profiles_checks = schema_checks(ASSET, OUTPUT_SCHEMAS)
