"""slices: slicing dimensions, per-slice profiles and drift between consecutive periods."""

from typing import Any

import dagster as dg
import duckdb

from dataraum_assets.analysis.slices import OUTPUT_SCHEMAS, SliceOptions, build_slices
from dataraum_assets.checks import schema_checks
from dataraum_assets.markdown import markdown_table
from dataraum_assets.partitions import sources_partitions
from dataraum_assets.resources import WarehouseResource
from dataraum_assets.warehouse import attached_databases

ASSET = "slices"
UPSTREAMS = ("temporal_profiles", "typed_tables", "statistical_profiles")
OPTIONAL_UPSTREAMS = ("semantic_annotations",)


@dg.asset(
    name=ASSET,
    deps=[*UPSTREAMS, *OPTIONAL_UPSTREAMS],
    partitions_def=sources_partitions,
    group_name="meaning",
    kinds={"duckdb"},
    description="""Slicing dimensions, per-slice profiles and drift between consecutive periods.

Reads `temporal_profiles` (time columns, granularity, run date), `typed_tables` (the data),
`statistical_profiles` and, when materialized, `semantic_annotations` (roles, measures, the
table's time column).
Candidates are text/boolean columns and columns annotated 'dimension'; each is accepted or
rejected by the first failing rule: not a key or identifier (annotated key/FK/identifier,
key-like name, uuid/email/url, all values distinct), 2–50 distinct values, ≥ 5 rows per value
on average, null ratio ≤ 5%, balanced (normalized entropy ≥ 0.5). Accepted columns are ranked
by entropy (bits); the top 3 per table are kept.
Per slice: rows, share, null cells, and per measure (as temporal_profiles picks them) count,
sum and mean. Drift per kept dimension along the table's time column, at the finest level
(not finer than its granularity) whose periods hold a median of ≥ 30 rows, between each period
and the previous one: Jensen-Shannon divergence (base 2) of the value mix, flagged at ≥
max(0.1, 3 × the divergence sampling alone gives for the two period sizes); relative mean shift
of each measure per slice (≥ 10 values in both periods), flagged at |shift| ≥ 0.5 with
|z| ≥ 3. Each drift row stores its threshold.
Tables: `slice_dimensions`, `slice_profiles`, `slice_measures`, `slice_drift`.
Output: `<data_dir>/warehouse/<source>/slices.duckdb`.""",
)
def slices(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.write(
        context.partition_key, ASSET, reads=UPSTREAMS, optional_reads=OPTIONAL_UPSTREAMS
    ) as con:
        semantic = "semantic_annotations" in attached_databases(con)
        build_slices(
            con,
            SliceOptions(),
            progress=context.log.info,
            typed_database="typed_tables",
            profiles_database="statistical_profiles",
            temporal_database="temporal_profiles",
            semantic_database="semantic_annotations" if semantic else None,
        )
        metadata = slices_metadata(con)
    return dg.MaterializeResult(metadata=metadata)


def slices_metadata(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    kept = con.execute(
        "SELECT table_name, column_name, rank, distinct_count, entropy_bits, "
        "normalized_entropy FROM slice_dimensions WHERE status = 'accepted' "
        "ORDER BY table_name, rank"
    ).fetchall()
    drifted = con.execute(
        "SELECT table_name, slice_column, slice_value, measure, period, metric, value, "
        "threshold FROM slice_drift WHERE drifted ORDER BY table_name, slice_column, period, "
        "metric, slice_value NULLS FIRST, measure"
    ).fetchall()
    [(candidates, drift_rows)] = con.execute(
        "SELECT (SELECT count(*) FROM slice_dimensions), (SELECT count(*) FROM slice_drift)"
    ).fetchall()
    preview = (
        "### Slicing dimensions\n\n"
        + markdown_table(
            ["table", "column", "rank", "values", "entropy (bits)", "balance"],
            [list(row) for row in kept],
        )
        + "\n\n### Drift flagged\n\n"
        + markdown_table(
            ["table", "dimension", "slice", "measure", "period", "metric", "value", "threshold"],
            [list(row) for row in drifted[:30]],
        )
    )
    return {
        "dagster/row_count": len(kept),
        "candidates_evaluated": candidates,
        "drift_rows": drift_rows,
        "drift_flagged": len(drifted),
        "preview": dg.MetadataValue.md(preview),
    }


slices_checks = schema_checks(ASSET, OUTPUT_SCHEMAS)
