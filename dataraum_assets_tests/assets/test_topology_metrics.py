"""topology_metrics through Dagster on the bundled example: the schema documented in
``dataraum_assets/example_data.py`` (sales and purchasing/ledger sides that share no table, a
manager → employee self-reference, bills/vendors/vendor payments joined both ways)."""

from collections.abc import Iterator

import dagster as dg
import pytest

from dataraum_assets_tests.pipeline import EXAMPLE_FOLDER, PipelineRun, run_pipeline

SELECTION = [
    "raw_tables",
    "typed_tables",
    "statistical_profiles",
    "correlations",
    "relationships",
    "topology_metrics",
]
TABLES = ("table_graph", "table_edges", "cycles", "column_clusters", "redundant_columns", "summary")


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineRun]:
    with dg.instance_for_test() as instance:
        data = tmp_path_factory.mktemp("example") / "data"
        yield run_pipeline(EXAMPLE_FOLDER, data, instance, source="acme_books", selection=SELECTION)


def test_checks_pass(example: PipelineRun) -> None:
    assert example.result.success
    checks = example.check_results()
    assert {f"topology_metrics_{table}_matches_schema" for table in TABLES} <= set(checks)
    assert [name for name, evaluation in checks.items() if not evaluation.passed] == []


def test_example_table_graph(example: PipelineRun) -> None:
    con = example.connect("topology_metrics")
    [(accepted,)] = (
        example.connect("relationships")
        .execute("SELECT count(*) FROM relationships WHERE status = 'accepted'")
        .fetchall()
    )
    [summary] = con.execute(
        "SELECT schema_pattern, tables, relationships, components, self_references, evidence "
        "FROM summary"
    ).fetchall()
    pattern, tables, relationships, components, self_references, evidence = summary
    assert (tables, relationships, self_references) == (11, accepted, 1)
    # Sales (customers, invoices, lines, payments, products, employees) never meet purchasing
    # and the ledger (vendors, bills, vendor payments, chart of accounts, journal lines).
    assert (pattern, components) == ("disconnected", 2)
    assert evidence.startswith("2 components")
    nodes = {
        name: (component, role, neighbours, self_reference)
        for name, component, role, neighbours, self_reference in con.execute(
            "SELECT table_name, component, role, neighbours, self_reference FROM table_graph"
        ).fetchall()
    }
    sales = {"customers", "invoices", "invoice_lines", "payments", "products", "employees"}
    assert len({nodes[name][0] for name in sales}) == 1
    assert all(nodes[name][0] != nodes["invoices"][0] for name in set(nodes) - sales)
    assert nodes["invoices"][1] == "hub"
    assert {"customers", "employees", "invoice_lines", "payments"} <= set(nodes["invoices"][2])
    assert nodes["employees"][3] is True
    cycles = con.execute("SELECT kind, tables FROM cycles").fetchall()
    assert ("self_reference", ["employees"]) in cycles
    # A vendor payment names both its bill and its vendor: two join paths to vendors.
    assert any(
        kind == "undirected" and {"bills", "vendors", "vendor_payments"} <= set(tables)
        for kind, tables in cycles
    )
    [(bridge,)] = con.execute(
        "SELECT is_bridge FROM table_edges WHERE child_table = 'payments' "
        "AND parent_table = 'invoices'"
    ).fetchall()
    assert bridge is True


def test_example_column_graph(example: PipelineRun) -> None:
    con = example.connect("topology_metrics")
    redundant = con.execute(
        "SELECT reason, redundant_with FROM redundant_columns WHERE table_name = 'invoices' "
        "AND column_name = 'total_amount'"
    ).fetchall()
    assert ("derived", ["net_amount", "tax_amount"]) in redundant
    clusters = dict(
        con.execute(
            "SELECT column_name, cluster FROM column_clusters WHERE table_name = 'invoices'"
        ).fetchall()
    )
    assert clusters["total_amount"] == clusters["net_amount"] == clusters["tax_amount"]
    metadata = example.materialization_metadata("topology_metrics")
    assert metadata["schema_pattern"].value == "disconnected"
    assert metadata["dagster/row_count"].value == 11
