from collections.abc import Sequence

import duckdb
import pytest

from dataraum_assets.analysis.topology_metrics import (
    OUTPUT_SCHEMAS,
    Relationship,
    TopologyOptions,
    TopologyResult,
    build_topology_metrics,
    topology,
)


def fk(child: str, parent: str, column: str | None = None) -> Relationship:
    return Relationship(child, (column or f"{parent}_id",), parent, (f"{parent}_id",))


def tables_only(tables: Sequence[str], relationships: Sequence[Relationship]) -> TopologyResult:
    return topology(tables, relationships, [], [], [], [])


def roles(result: TopologyResult) -> dict[str, str]:
    return {node.table_name: node.role for node in result.table_graph}


def test_star() -> None:
    result = tables_only(
        ["sales", "customer", "product", "store"],
        [fk("sales", "customer"), fk("sales", "product"), fk("sales", "store")],
    )
    summary = result.summary
    assert (summary.schema_pattern, summary.main_component_pattern) == ("star", "star")
    assert (summary.tables, summary.relationships, summary.components) == (4, 3, 1)
    assert (summary.hubs, summary.leaves, summary.bridges, summary.cycles) == (("sales",), 3, 3, 0)
    assert roles(result) == {"sales": "hub", "customer": "leaf", "product": "leaf", "store": "leaf"}
    (sales,) = [n for n in result.table_graph if n.table_name == "sales"]
    assert (sales.degree, sales.in_degree, sales.out_degree) == (3, 0, 3)
    assert summary.evidence.startswith("sales is related to all 3 other tables")


def test_snowflake() -> None:
    result = tables_only(
        ["sales", "customer", "product", "store", "category"],
        [
            fk("sales", "customer"),
            fk("sales", "product"),
            fk("sales", "store"),
            fk("product", "category"),
        ],
    )
    assert result.summary.schema_pattern == "snowflake"
    assert result.summary.bridges == 4
    assert roles(result)["product"] == "connector"
    assert "branching at sales" in result.summary.evidence


def test_chain_including_two_tables() -> None:
    result = tables_only(["a", "b", "c"], [fk("c", "b"), fk("b", "a")])
    assert result.summary.schema_pattern == "chain"
    assert roles(result) == {"a": "leaf", "b": "connector", "c": "leaf"}
    assert tables_only(["a", "b"], [fk("b", "a")]).summary.schema_pattern == "chain"
    # Three tables around one centre are still a chain (a path), not a star.
    assert tables_only(["a", "b", "c"], [fk("a", "b"), fk("a", "c")]).summary.schema_pattern == (
        "chain"
    )


def test_mesh_with_an_undirected_cycle() -> None:
    result = tables_only(
        ["bills", "vendors", "vendor_payments"],
        [
            fk("bills", "vendors"),
            fk("vendor_payments", "bills"),
            fk("vendor_payments", "vendors"),
        ],
    )
    summary = result.summary
    assert summary.schema_pattern == "mesh"
    assert (summary.bridges, summary.cycles, summary.self_references) == (0, 1, 0)
    (cycle,) = result.cycles
    assert (cycle.kind, cycle.tables, cycle.length) == (
        "undirected",
        ("bills", "vendor_payments", "vendors"),
        3,
    )
    assert all(edge.in_cycle and not edge.is_bridge for edge in result.table_edges)
    assert "3 relationships between 3 tables > 2" in summary.evidence


def test_directed_cycle_between_two_tables() -> None:
    result = tables_only(["a", "b"], [fk("a", "b"), fk("b", "a")])
    (cycle,) = result.cycles
    assert (cycle.kind, cycle.tables) == ("directed", ("a", "b"))
    # Two relationships join a and b: neither alone is a bridge.
    assert [edge.is_bridge for edge in result.table_edges] == [False, False]
    assert result.summary.schema_pattern == "chain"


def test_self_reference_and_single_table() -> None:
    result = tables_only(["employees"], [fk("employees", "employees", "manager_id")])
    summary = result.summary
    assert summary.schema_pattern == "single"
    assert (summary.self_references, summary.cycles, summary.bridges) == (1, 1, 0)
    (node,) = result.table_graph
    assert (node.role, node.degree, node.self_reference) == ("isolated", 0, True)
    (cycle,) = result.cycles
    assert (cycle.kind, cycle.tables, cycle.length) == ("self_reference", ("employees",), 1)
    (edge,) = result.table_edges
    assert (edge.self_reference, edge.in_cycle, edge.is_bridge) == (True, True, False)


def test_disconnected_reports_the_largest_component() -> None:
    result = tables_only(
        ["sales", "customer", "product", "store", "audit_log", "employees"],
        [
            fk("sales", "customer"),
            fk("sales", "product"),
            fk("sales", "store"),
            fk("employees", "employees", "manager_id"),
        ],
    )
    summary = result.summary
    assert (summary.schema_pattern, summary.main_component_pattern) == ("disconnected", "star")
    assert (summary.components, summary.isolated_tables, summary.self_references) == (3, 2, 1)
    assert summary.evidence.startswith("3 components (2 isolated tables); the largest (4 tables)")
    components = {node.table_name: node.component for node in result.table_graph}
    assert components["sales"] == components["store"] == 1
    assert {components["audit_log"], components["employees"]} == {2, 3}


def test_tables_named_only_by_relationships_are_nodes() -> None:
    result = tables_only([], [fk("b", "a")])
    assert [node.table_name for node in result.table_graph] == ["a", "b"]


def test_column_clusters_and_redundancy() -> None:
    numeric = [
        ("inv", "net", "total", 0.99, 0.995),
        ("inv", "net", "tax", 0.75, 0.5),
        ("inv", "net", "rate", 0.1, 0.2),
        ("inv", "tax", "rate", None, None),
    ]
    categorical = [("inv", "status", "currency", 0.05), ("coa", "type", "statement", 0.95)]
    derived = [
        ("inv", "total", ["net", "tax"], 1.0, "total = net + tax"),
        ("lines", "amount", ["qty", "price"], 0.88, "amount = qty × price"),
    ]
    dependencies = [
        ("coa", ["type"], "statement", 1.0),
        ("coa", ["code"], "name", 1.0),
        ("coa", ["name"], "code", 1.0),
    ]
    result = topology([], [], numeric, categorical, derived, dependencies)
    clusters = {(c.table_name, c.column_name): c for c in result.column_clusters}
    assert {key for key in clusters if key[0] == "inv"} == {
        ("inv", "net"),
        ("inv", "tax"),
        ("inv", "total"),
    }
    total = clusters[("inv", "total")]
    assert (total.cluster, total.cluster_size, total.degree) == (1, 3, 2)
    assert total.edge_kinds == ("correlation", "derived")
    assert clusters[("coa", "type")].edge_kinds == ("association", "dependency")
    assert clusters[("coa", "code")].cluster != clusters[("coa", "type")].cluster
    assert clusters[("lines", "amount")].cluster_size == 3
    redundant = {(r.table_name, r.column_name, r.reason): r for r in result.redundant_columns}
    assert set(redundant) == {
        ("inv", "total", "correlation"),
        ("inv", "total", "derived"),
        ("coa", "name", "mutual_dependency"),
    }
    assert redundant[("inv", "total", "derived")].redundant_with == ("net", "tax")
    assert redundant[("coa", "name", "mutual_dependency")].redundant_with == ("code",)
    assert total.redundant and not clusters[("inv", "net")].redundant
    assert (result.summary.column_clusters, result.summary.redundant_columns) == (4, 3)


def test_thresholds_can_drop_edges() -> None:
    numeric = [("t", "a", "b", 0.69, -0.69)]
    assert topology([], [], numeric, [], [], []).column_clusters == ()
    strict = TopologyOptions(correlation_threshold=0.6)
    assert len(topology([], [], numeric, [], [], [], strict).column_clusters) == 2


def test_build_reads_accepted_relationships_and_writes_valid_tables() -> None:
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS relationships")
    con.execute(
        "CREATE TABLE relationships.relationships (child_table VARCHAR, child_columns VARCHAR[], "
        "parent_table VARCHAR, parent_columns VARCHAR[], status VARCHAR, reason VARCHAR)"
    )
    con.execute(
        "INSERT INTO relationships.relationships VALUES "
        "('orders', ['customer_id'], 'customers', ['customer_id'], 'accepted', 'fk'), "
        "('orders', ['day'], 'calendar', ['day'], 'rejected', 'small integer overlap'), "
        "('employees', ['manager_id'], 'employees', ['employee_id'], 'accepted', 'fk')"
    )
    con.execute("ATTACH ':memory:' AS correlations")
    con.execute("CREATE TABLE correlations.table_samples (table_name VARCHAR)")
    con.execute(
        "INSERT INTO correlations.table_samples VALUES ('orders'), ('customers'), "
        "('employees'), ('calendar')"
    )
    con.execute(
        "CREATE TABLE correlations.numeric_correlations (table_name VARCHAR, column_a VARCHAR, "
        "column_b VARCHAR, pearson DOUBLE, spearman DOUBLE, n BIGINT, sampled BOOLEAN)"
    )
    con.execute(
        "INSERT INTO correlations.numeric_correlations "
        "VALUES ('orders', 'a', 'b', 0.99, 0.99, 10, false)"
    )
    con.execute(
        "CREATE TABLE correlations.categorical_associations (table_name VARCHAR, "
        "column_a VARCHAR, column_b VARCHAR, cramers_v DOUBLE, n BIGINT, sampled BOOLEAN)"
    )
    con.execute(
        "CREATE TABLE correlations.derived_columns (table_name VARCHAR, target_column VARCHAR, "
        "operation VARCHAR, operand_columns VARCHAR[], match_rate DOUBLE, expression VARCHAR)"
    )
    con.execute(
        "CREATE TABLE correlations.functional_dependencies (table_name VARCHAR, "
        "determinant_columns VARCHAR[], dependent_column VARCHAR, confidence DOUBLE)"
    )
    result = build_topology_metrics(con)
    for table, schema in OUTPUT_SCHEMAS.items():
        schema.validate(con.execute(f"SELECT * FROM {table}").df())
    assert con.execute(
        "SELECT schema_pattern, main_component_pattern, tables, relationships, components, "
        "self_references FROM summary"
    ).fetchall() == [("disconnected", "chain", 4, 2, 3, 1)]
    assert result.summary.isolated_tables == 2  # calendar (its candidate was rejected), employees
    assert con.execute("SELECT count(*) FROM redundant_columns").fetchall() == [(1,)]


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="hub_min_degree"):
        TopologyOptions(hub_min_degree=1)
    with pytest.raises(ValueError, match="correlation_threshold"):
        TopologyOptions(correlation_threshold=0)
