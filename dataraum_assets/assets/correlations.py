"""correlations: within-table numeric/categorical associations, derived columns, dependencies."""

from typing import Any

import dagster as dg
import duckdb

from dataraum_assets.analysis.correlations import (
    OUTPUT_SCHEMAS,
    CorrelationOptions,
    build_correlations,
)
from dataraum_assets.checks import schema_checks
from dataraum_assets.markdown import markdown_table
from dataraum_assets.partitions import sources_partitions
from dataraum_assets.resources import WarehouseResource

ASSET = "correlations"
UPSTREAMS = ("statistical_profiles", "typed_tables")
PREVIEW_ROWS = 15


@dg.asset(
    name=ASSET,
    deps=list(UPSTREAMS),
    partitions_def=sources_partitions,
    group_name="structure",
    kinds={"duckdb"},
    description="""Associations between the columns of each table.

Reads column types, distinct counts and uniqueness from `statistical_profiles` and the data
from `typed_tables`. Tables above 200,000 rows are sampled to ~100,000 rows by a hash of `_row`
(seed 42, deterministic); `table_samples` records the sample size and every result row `sampled`.
Numeric pairs (not identifiers: key-like names or all-distinct integers): Pearson (with p-value)
and Spearman (average ranks). Categorical pairs (text/boolean with 2..50 distinct values):
bias-corrected Cramér's V (Bergsma) with the χ² p-value. Strength labels: very_strong ≥ 0.9,
strong ≥ 0.7, moderate ≥ 0.5, weak ≥ 0.3. Derived columns: one numeric column equal to the
sum/difference/product/quotient of two others within 0.1% on ≥ 80% of the tested rows (rows
where an operand is 0, or 1 for products, are not tested; at least 10 rows). Functional
dependencies A → B with confidence ≥ 0.95 (share of rows agreeing with the majority B of their
A), excluding unique or near-unique A (> 0.5 distinct values per row) and near-constant B.
Multicollinearity: condition index of the numeric columns' correlation matrix (≥ 10 moderate,
≥ 30 strong) with the columns involved. Skipped columns and why: `skipped_columns`.
Tables: `numeric_correlations`, `categorical_associations`, `derived_columns`,
`functional_dependencies`, `multicollinearity`, `table_samples`, `skipped_columns`.
Output: `<data_dir>/warehouse/<source>/correlations.duckdb`.""",
)
def correlations(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    with warehouse.write(context.partition_key, ASSET, reads=UPSTREAMS) as con:
        build_correlations(
            con,
            CorrelationOptions(),
            progress=context.log.info,
            typed_database="typed_tables",
            profiles_database="statistical_profiles",
        )
        metadata = _metadata(con)
    return dg.MaterializeResult(metadata=metadata)


def _metadata(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    counts = {
        table: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        for table in OUTPUT_SCHEMAS
    }
    strong = con.execute(
        "SELECT table_name, column_a, column_b, pearson, spearman, strength "
        "FROM numeric_correlations WHERE strength IN ('very_strong', 'strong') "
        "ORDER BY greatest(abs(pearson), abs(spearman)) DESC, table_name, column_a, column_b"
    ).fetchall()
    derived = con.execute(
        "SELECT table_name, expression, match_rate FROM derived_columns "
        "ORDER BY table_name, expression"
    ).fetchall()
    dependencies = con.execute(
        "SELECT table_name, array_to_string(determinant_columns, ', '), dependent_column, "
        "confidence FROM functional_dependencies ORDER BY confidence DESC, table_name"
    ).fetchall()
    [(sampled,)] = con.execute("SELECT count(*) FROM table_samples WHERE sampled").fetchall()
    preview = "\n\n".join(
        [
            "### Strong numeric correlations\n\n"
            + markdown_table(
                ["table", "a", "b", "pearson", "spearman", "strength"],
                [list(row) for row in strong[:PREVIEW_ROWS]],
            ),
            "### Derived columns\n\n"
            + markdown_table(
                ["table", "relation", "match rate"], [list(row) for row in derived[:PREVIEW_ROWS]]
            ),
            "### Functional dependencies\n\n"
            + markdown_table(
                ["table", "determinant", "dependent", "confidence"],
                [list(row) for row in dependencies[:PREVIEW_ROWS]],
            ),
        ]
    )
    return {
        "dagster/row_count": counts["numeric_correlations"]
        + counts["categorical_associations"]
        + counts["derived_columns"]
        + counts["functional_dependencies"],
        **{f"{table}_rows": count for table, count in counts.items()},
        "strong_numeric_correlations": len(strong),
        "tables_sampled": sampled,
        "preview": dg.MetadataValue.md(preview),
    }


correlations_checks = schema_checks(ASSET, OUTPUT_SCHEMAS)
