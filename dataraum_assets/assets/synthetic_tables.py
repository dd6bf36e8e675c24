"""synthetic_tables: synthetic rows with the real data's distributions, keys and correlations."""

from typing import Any

import dagster as dg
import duckdb

from dataraum_assets.analysis.synthetic_tables import (
    OUTPUT_SCHEMAS,
    SyntheticOptions,
    build_synthetic_tables,
)
from dataraum_assets.checks import schema_checks
from dataraum_assets.markdown import markdown_table
from dataraum_assets.partitions import sources_partitions
from dataraum_assets.resources import WarehouseResource
from dataraum_assets.warehouse import attached_databases

ASSET = "synthetic_tables"
UPSTREAMS = ("typed_tables", "pii_findings", "statistical_profiles")
OPTIONAL_UPSTREAMS = ("relationships",)


@dg.asset(
    name=ASSET,
    deps=list(UPSTREAMS),
    partitions_def=sources_partitions,
    group_name="privacy",
    kinds={"duckdb"},
    description="""Synthetic copies of every typed table, with a measured fidelity report.

Reads the data from `typed_tables`, the PII columns from `pii_findings`, exact null rates and
uniqueness from `statistical_profiles`, and the accepted relationships of `relationships` when
that asset was materialized for the source (optional read, not a graph edge).
Rows per table: as many as the real table, at most 100,000 (`privacy: synthetic: rows`,
`max_rows`, `tables` in `dataraum.yaml`); fit on at most 100,000 real rows (deterministic
sample); seed 0. Numbers, dates and categories: one Gaussian copula per table (normal scores of
mid-ranks, PSD-corrected correlation, inverse empirical CDF), so quantiles, category
frequencies, null rates and rank correlations are kept. Unique keys: fresh sequences in the real
format. Foreign keys: drawn from the synthetic parent, so every child value exists there. PII
columns: generated values (RFC 2606 e-mails, 555-01xx phones, test-range cards, 9xx SSNs,
documentation IPs, ...); a synthetic row equal to a real row on its PII columns is regenerated
and never written.
Fidelity: per column KS (numbers, dates) or total variation distance (categories) and null
rates; per table max/mean distance, max/mean |Δ Pearson correlation|, FK integrity, PII
collisions (always 0).
Tables: `synthetic."<table>"`, `column_fidelity`, `table_fidelity`.
Output: `<data_dir>/warehouse/<source>/synthetic_tables.duckdb`.""",
)
def synthetic_tables(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    settings = warehouse.source(context.partition_key).settings().privacy.synthetic
    options = SyntheticOptions(
        rows=settings.rows,
        max_rows=settings.max_rows,
        tables=settings.tables,
        seed=settings.seed,
        fit_rows=settings.fit_rows,
    )
    with warehouse.write(
        context.partition_key, ASSET, reads=UPSTREAMS, optional_reads=OPTIONAL_UPSTREAMS
    ) as con:
        build_synthetic_tables(
            con,
            options,
            progress=context.log.info,
            typed_database="typed_tables",
            pii_database="pii_findings",
            profiles_database="statistical_profiles",
            relationships_database="relationships" if _has_relationships(con) else None,
        )
        metadata = _metadata(con, options)
    return dg.MaterializeResult(metadata=metadata)


def _has_relationships(con: duckdb.DuckDBPyConnection) -> bool:
    if "relationships" not in attached_databases(con):
        return False
    [(count,)] = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'relationships' "
        "AND table_name = 'relationships'"
    ).fetchall()
    return count > 0


def _metadata(con: duckdb.DuckDBPyConnection, options: SyntheticOptions) -> dict[str, Any]:
    rows = con.execute(
        "SELECT table_name, real_rows, synthetic_rows, max_distance, mean_distance, "
        "correlation_max_abs_diff, fk_integrity, pii_row_collisions FROM table_fidelity "
        "ORDER BY table_name"
    ).fetchall()
    distances = [row[3] for row in rows if row[3] is not None]
    correlations = [row[5] for row in rows if row[5] is not None]
    integrity = [row[6] for row in rows if row[6] is not None]
    preview = "### Fidelity per table\n\n" + markdown_table(
        [
            "table",
            "real rows",
            "synthetic rows",
            "max distance",
            "mean distance",
            "max |Δ corr|",
            "FK integrity",
            "PII collisions",
        ],
        [list(row) for row in rows],
    )
    return {
        "dagster/row_count": sum(row[2] for row in rows),
        "tables": len(rows),
        "seed": options.seed,
        "max_column_distance": max(distances) if distances else None,
        "max_correlation_difference": max(correlations) if correlations else None,
        "min_fk_integrity": min(integrity) if integrity else None,
        "pii_row_collisions": sum(row[7] for row in rows),
        "fidelity": dg.MetadataValue.md(preview),
    }


synthetic_tables_checks = schema_checks(ASSET, OUTPUT_SCHEMAS)
