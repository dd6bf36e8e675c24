"""topology_metrics: shape of the table graph and of the column-association graph."""

from typing import Any

import dagster as dg
import duckdb

from dataraum_assets.analysis.topology_metrics import (
    OUTPUT_SCHEMAS,
    TopologyOptions,
    build_topology_metrics,
)
from dataraum_assets.checks import schema_checks
from dataraum_assets.markdown import markdown_table
from dataraum_assets.partitions import sources_partitions
from dataraum_assets.resources import WarehouseResource

ASSET = "topology_metrics"
UPSTREAMS = ("relationships", "correlations")


@dg.asset(
    name=ASSET,
    deps=list(UPSTREAMS),
    partitions_def=sources_partitions,
    group_name="structure",
    kinds={"duckdb"},
    description="""Shape of the table graph and of the column-association graph.

Reads the accepted relationships (`relationships`, status = 'accepted'; child → parent) and,
from `correlations`, the table list and the column associations. Table graph (undirected, one
edge per related pair of tables, self-references apart): components, degree per table and role
(isolated 0, leaf 1, hub ≥ 3 related tables, else connector), bridges (relationships whose
removal disconnects the schema), cycles (self-references, directed cycles, and undirected
cycles: two join paths between the same tables). Schema pattern, per connected component:
single (one table); mesh (more relationships than tables − 1, i.e. a cycle); chain (a tree
where no table relates to more than two others); star (a tree of ≥ 4 tables with one table
related to all others); snowflake (any other tree: a centre with branches longer than one
relationship). With more than one component the schema is `disconnected` and
`main_component_pattern` describes the largest; `summary.evidence` gives the deciding rule.
Column graph (within each table): |pearson| or |spearman| ≥ 0.7, Cramér's V ≥ 0.7, derived
columns (target–operands), functional dependencies; `column_clusters` are its connected
components. Redundant columns: |pearson| ≥ 0.98, a derived column matching ≥ 99.9% of rows, or
A → B and B → A both ≥ 99.9%.
Tables: `table_graph`, `table_edges`, `cycles`, `column_clusters`, `redundant_columns`,
`summary` (one row).
Output: `<data_dir>/warehouse/<source>/topology_metrics.duckdb`.""",
)
def topology_metrics(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    with warehouse.write(context.partition_key, ASSET, reads=UPSTREAMS) as con:
        build_topology_metrics(
            con,
            TopologyOptions(),
            progress=context.log.info,
            relationships_database="relationships",
            correlations_database="correlations",
        )
        metadata = _metadata(con)
    return dg.MaterializeResult(metadata=metadata)


def _metadata(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    [summary] = con.execute(
        "SELECT schema_pattern, main_component_pattern, tables, relationships, components, "
        "array_to_string(hubs, ', '), bridges, cycles, column_clusters, redundant_columns, "
        "evidence FROM summary"
    ).fetchall()
    (pattern, main, tables, relationships, components, hubs, bridges, cycles) = summary[:8]
    clusters, redundant, evidence = summary[8:]
    nodes = con.execute(
        "SELECT table_name, role, degree, in_degree, out_degree, component FROM table_graph "
        "ORDER BY degree DESC, table_name"
    ).fetchall()
    preview = (
        f"**Schema pattern:** {pattern} (largest component: {main})\n\n{evidence}\n\n"
        "### Tables\n\n"
        + markdown_table(
            ["table", "role", "related tables", "referenced by", "references", "component"],
            [list(row) for row in nodes],
        )
    )
    return {
        "dagster/row_count": tables,
        "schema_pattern": pattern,
        "main_component_pattern": main,
        "relationships": relationships,
        "components": components,
        "hubs": hubs,
        "bridges": bridges,
        "cycles": cycles,
        "column_clusters": clusters,
        "redundant_columns": redundant,
        "preview": dg.MetadataValue.md(preview),
    }


topology_metrics_checks = schema_checks(ASSET, OUTPUT_SCHEMAS)
