"""relationships: foreign keys between the tables of a source, verified on the data."""

from typing import Any

import dagster as dg
import duckdb

from dataraum_assets.analysis.relationships import (
    OUTPUT_SCHEMAS,
    RelationshipOptions,
    build_relationships,
)
from dataraum_assets.checks import schema_checks
from dataraum_assets.markdown import markdown_table
from dataraum_assets.partitions import sources_partitions
from dataraum_assets.resources import WarehouseResource
from dataraum_assets.warehouse import attached_databases

ASSET = "relationships"
UPSTREAMS = ("typed_tables", "statistical_profiles")
PREVIEW_ACCEPTED = 30
PREVIEW_REJECTED = 15


@dg.asset(
    name=ASSET,
    deps=list(UPSTREAMS),
    partitions_def=sources_partitions,
    group_name="structure",
    kinds={"duckdb"},
    description="""Foreign keys between the tables of a source, found by value containment and
verified on the data, with the reason for every accepted and rejected candidate.

Reads the typed data from `typed_tables` and the exact distinct counts, nulls and min/max of
`statistical_profiles`, which prune candidates before any join (same type family: integers with
integers, text with text, dates with dates; overlapping ranges; distinct-count ratios). Parent
keys are columns with distinct/non-null ≥ 0.98 (near-unique: a duplicate key is reported as
fan-out), or pairs of columns unique together (composite keys, in tables up to 2,000,000 rows).
Booleans and fractional numbers are never keys; a single date or timestamp key only references
a calendar table (dates, calendar, ... or a table the child column names).
Containment (share of the child's distinct values found in the parent), reverse containment
and Jaccard are exact up to 200,000 distinct child values, above that estimated on a hash
sample of 50,000 values (`method` = approximate). Accepted when containment ≥ 0.8 and the
values are strong evidence (text keys; integers in a sparse range), or weak evidence (integers
inside a dense parent range such as ids 1..N, dates, fewer than 3 distinct values, one-character
codes) with the tie broken by name affinity (same name, names the parent table, shared stem, or a
person role such as support_rep_id → employees). Weak overlaps without affinity are rejected as
coincidental; candidates below 0.5 containment are not written; each child key keeps its best
parent. Accepted rows get exact orphan counts and examples, null count, cardinality and
fan-out. Table: `relationships`. Output: `<data_dir>/warehouse/<source>/relationships.duckdb`.""",
)
def relationships(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    with warehouse.write(
        context.partition_key,
        ASSET,
        reads=["typed_tables"],
        optional_reads=["statistical_profiles"],
    ) as con:
        profiles = (
            "statistical_profiles" if "statistical_profiles" in attached_databases(con) else None
        )
        build_relationships(
            con,
            RelationshipOptions(),
            progress=context.log.info,
            typed_database="typed_tables",
            profiles_database=profiles,
        )
        metadata = _metadata(con)
    return dg.MaterializeResult(metadata=metadata)


def _metadata(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    accepted = con.execute(
        "SELECT child_table || '(' || array_to_string(child_columns, ', ') || ')', "
        "parent_table || '(' || array_to_string(parent_columns, ', ') || ')', containment, "
        "orphan_count, cardinality, fan_out, method FROM relationships "
        "WHERE status = 'accepted' ORDER BY child_table, child_columns"
    ).fetchall()
    # The most instructive rejections: near-complete containment that was still refused.
    rejected = con.execute(
        "SELECT child_table || '(' || array_to_string(child_columns, ', ') || ')', "
        "parent_table || '(' || array_to_string(parent_columns, ', ') || ')', containment, "
        "reason FROM relationships WHERE status = 'rejected' "
        "ORDER BY containment DESC, score DESC, child_table, parent_table LIMIT ?",
        [PREVIEW_REJECTED],
    ).fetchall()
    [(rows, orphans)] = con.execute(
        "SELECT count(*), coalesce(sum(orphan_count), 0) FROM relationships"
    ).fetchall()
    preview = (
        f"### Accepted relationships ({len(accepted)})\n\n"
        + markdown_table(
            ["child", "parent", "containment", "orphan rows", "cardinality", "fan-out", "method"],
            [list(row) for row in accepted[:PREVIEW_ACCEPTED]],
        )
        + "\n\n### Most interesting rejections\n\n"
        + markdown_table(["child", "parent", "containment", "reason"], [list(r) for r in rejected])
    )
    return {
        "dagster/row_count": rows,
        "accepted": len(accepted),
        "rejected": rows - len(accepted),
        "orphan_rows": int(orphans),
        "preview": dg.MetadataValue.md(preview),
    }


relationships_checks = schema_checks(ASSET, OUTPUT_SCHEMAS)
