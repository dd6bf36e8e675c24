"""quality_metrics: Benford, outliers and data quality findings with severities."""

from typing import Any

import dagster as dg
import duckdb

from dataraum_assets.analysis.quality_metrics import (
    OUTPUT_SCHEMAS,
    SEVERITIES,
    QualityOptions,
    build_quality_metrics,
)
from dataraum_assets.checks import schema_checks
from dataraum_assets.markdown import markdown_table
from dataraum_assets.partitions import sources_partitions
from dataraum_assets.resources import WarehouseResource

ASSET = "quality_metrics"
UPSTREAMS = ("statistical_profiles", "typed_tables")
PREVIEW_FINDINGS = 25


@dg.asset(
    name=ASSET,
    deps=list(UPSTREAMS),
    partitions_def=sources_partitions,
    group_name="quality",
    kinds={"duckdb"},
    description="""Data quality metrics and findings, each with a severity (error, warning, info).

Reads the typed data from `typed_tables` and the exact counts from `statistical_profiles`.
Per measure-like numeric column (not identifiers, not years): Benford first-digit test on the
positive values when n ≥ 100 with ≥ 50 distinct values spanning ≥ 2 orders of magnitude
(chi-square, p-value, MAD with Nigrini's bands: close ≤ 0.006, acceptable ≤ 0.012, marginal ≤
0.015, else nonconformity), IQR outliers (1.5 × IQR fences) and modified z-score outliers
(|0.6745·(x − median)/MAD| > 3.5), with ratio and sample values. Outlier fences need ≥ 10
distinct values; they are computed on the non-zero values when ≥ 20% are 0, and on ln(x) when
the values are positive with skewness > 1 (log-normal amounts), reported in the column's units.
Per column: constant and near-constant (top value ≥ 95% of non-null values), key uniqueness
violations (key-named columns with distinct ratio ≥ 0.98 but not unique), null-token leftovers
(text values such as ' null ' or 'NONE'); per table: exact duplicate rows.
Severities: key violations are errors; duplicate rows errors from 5% of rows, else warnings;
outliers warnings from 1% of values, else info; Benford nonconformity a warning, marginal info.
Tables: `benford`, `outliers`, `findings`.
Output: `<data_dir>/warehouse/<source>/quality_metrics.duckdb`.""",
)
def quality_metrics(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    with warehouse.write(context.partition_key, ASSET, reads=UPSTREAMS) as con:
        build_quality_metrics(
            con,
            QualityOptions(),
            progress=context.log.info,
            typed_database="typed_tables",
            profiles_database="statistical_profiles",
        )
        metadata = _metadata(con)
    return dg.MaterializeResult(metadata=metadata)


def _metadata(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    # findings are stored most severe first
    findings = con.execute(
        "SELECT severity, kind, table_name, column_name, value, detail FROM findings"
    ).fetchall()
    [(tested, skipped)] = con.execute(
        "SELECT count(*) FILTER (WHERE skipped_reason IS NULL), "
        "count(*) FILTER (WHERE skipped_reason IS NOT NULL) FROM benford"
    ).fetchall()
    preview = "### Top findings\n\n" + markdown_table(
        ["severity", "kind", "table", "column", "value", "detail"],
        [list(row) for row in findings[:PREVIEW_FINDINGS]],
    )
    return {
        "dagster/row_count": len(findings),
        **{
            f"{severity}_findings": sum(1 for row in findings if row[0] == severity)
            for severity in SEVERITIES
        },
        "benford_columns_tested": tested,
        "benford_columns_skipped": skipped,
        "preview": dg.MetadataValue.md(preview),
    }


quality_metrics_checks = schema_checks(ASSET, OUTPUT_SCHEMAS)
