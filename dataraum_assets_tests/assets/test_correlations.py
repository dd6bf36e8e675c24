"""correlations through Dagster on the bundled example and on public data it was not designed
for (vega_datasets' cars)."""

import csv
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import vega_datasets

from dataraum_assets_tests.pipeline import EXAMPLE_FOLDER, PipelineRun, run_pipeline

SELECTION = ["raw_tables", "typed_tables", "statistical_profiles", "correlations"]
TABLES = (
    "numeric_correlations",
    "categorical_associations",
    "derived_columns",
    "functional_dependencies",
    "multicollinearity",
    "table_samples",
    "skipped_columns",
)
CARS = Path(vega_datasets.__file__).parent / "_data" / "cars.json"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineRun]:
    with dg.instance_for_test() as instance:
        data = tmp_path_factory.mktemp("example") / "data"
        yield run_pipeline(EXAMPLE_FOLDER, data, instance, source="acme_books", selection=SELECTION)


def test_checks_pass(example: PipelineRun) -> None:
    assert example.result.success
    checks = example.check_results()
    assert {f"correlations_{table}_matches_schema" for table in TABLES} <= set(checks)
    assert [name for name, evaluation in checks.items() if not evaluation.passed] == []


def test_example_derived_columns(example: PipelineRun) -> None:
    con = example.connect("correlations")
    derived = {
        (table, expression): (operation, operands, rate, tested)
        for table, expression, operation, operands, rate, tested in con.execute(
            "SELECT table_name, expression, operation, operand_columns, match_rate, rows_tested "
            "FROM derived_columns"
        ).fetchall()
    }
    # The generator computes totals on cents: exact on every invoice with a tax.
    operation, operands, rate, tested = derived[
        ("invoices", "total_amount = net_amount + tax_amount")
    ]
    assert (operation, operands, rate) == ("add", ["net_amount", "tax_amount"], 1.0)
    typed = example.connect("typed_tables")
    [(taxed,)] = typed.execute(
        "SELECT count(*) FROM typed.invoices WHERE tax_amount <> 0 AND net_amount <> 0 "
        "AND total_amount IS NOT NULL"
    ).fetchall()
    assert tested == taxed
    # line_amount = quantity × unit_price × (1 − discount): a three-operand relation. Its
    # two-operand form holds exactly on the undiscounted lines, and only there.
    operation, operands, rate, tested = derived[
        ("invoice_lines", "line_amount = quantity × unit_price")
    ]
    [(undiscounted, lines)] = typed.execute(
        "SELECT count(*) FILTER (WHERE discount_pct = 0), count(*) FROM typed.invoice_lines "
        "WHERE quantity NOT IN (0, 1) AND unit_price NOT IN (0, 1) AND line_amount IS NOT NULL"
    ).fetchall()
    assert (operation, tested) == ("multiply", lines)
    assert rate == pytest.approx(undiscounted / lines)


def test_example_functional_dependencies(example: PipelineRun) -> None:
    con = example.connect("correlations")
    found = {
        (table, determinants[0], dependent): (confidence, distinct)
        for table, determinants, dependent, confidence, distinct in con.execute(
            "SELECT table_name, determinant_columns, dependent_column, confidence, "
            "determinant_distinct FROM functional_dependencies"
        ).fetchall()
    }
    assert found[("chart_of_accounts", "account_type", "statement")] == (1.0, 5)
    assert found[("invoice_lines", "sku", "description")][0] == 1.0
    for dependent in ("entry_date", "fiscal_period", "source"):
        assert found[("journal_lines", "journal_id", dependent)][0] == 1.0
    # Two contra accounts (asset with a credit balance, revenue with a debit balance) make
    # account_type → normal_balance hold on 32 of 34 accounts: 0.94 < 0.95. The categorical
    # association still shows it.
    assert ("chart_of_accounts", "account_type", "normal_balance") not in found
    [(v,)] = con.execute(
        "SELECT cramers_v FROM categorical_associations WHERE table_name = 'chart_of_accounts' "
        "AND column_a = 'account_type' AND column_b = 'normal_balance'"
    ).fetchall()
    assert v >= 0.7
    # A unique key determines everything and is never reported.
    profiles = example.connect("statistical_profiles")
    unique = set(
        profiles.execute(
            "SELECT table_name, column_name FROM column_profiles WHERE is_unique"
        ).fetchall()
    )
    assert ("customers", "customer_id") in unique
    assert [key for key in found if key[:2] in unique] == []


def test_example_numeric_and_skipped(example: PipelineRun) -> None:
    con = example.connect("correlations")
    [(pearson, strength)] = con.execute(
        "SELECT pearson, strength FROM numeric_correlations WHERE table_name = 'invoices' "
        "AND column_a = 'net_amount' AND column_b = 'total_amount'"
    ).fetchall()
    assert pearson > 0.98 and strength == "very_strong"
    skipped = dict(
        con.execute(
            "SELECT table_name || '.' || column_name, reason FROM skipped_columns "
            "WHERE analysis = 'numeric'"
        ).fetchall()
    )
    assert skipped["invoices.sales_rep_id"] == "identifier: key-like column name"
    assert skipped["employees.employee_id"] == "identifier: key-like column name"
    assert "invoices.net_amount" not in skipped
    # Small tables are analysed whole.
    assert con.execute(
        "SELECT count(*) FROM table_samples WHERE sampled OR sample_size <> rows"
    ).fetchall() == [(0,)]
    [(collinear,)] = con.execute(
        "SELECT involved_columns FROM multicollinearity WHERE table_name = 'invoices' "
        "AND severity = 'strong'"
    ).fetchall()
    assert {"net_amount", "total_amount"} <= set(collinear)

    metadata = example.materialization_metadata("correlations")
    counts = {
        table: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] for table in TABLES
    }
    assert metadata["dagster/row_count"].value == sum(
        counts[t]
        for t in (
            "numeric_correlations",
            "categorical_associations",
            "derived_columns",
            "functional_dependencies",
        )
    )


def test_public_data(tmp_path: Path) -> None:
    """cars: engine size, power and weight go together, fuel economy the other way. US
    employment (BLS series): manufacturing jobs are durable plus nondurable goods jobs."""
    records = json.loads(CARS.read_text(encoding="utf-8"))
    folder = tmp_path / "public"
    folder.mkdir()
    shutil.copy(CARS.parent / "us-employment.csv", folder / "us-employment.csv")
    with (folder / "cars.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    with dg.instance_for_test() as instance:
        run = run_pipeline(
            folder, tmp_path / "data", instance, source="public", selection=SELECTION
        )
    assert run.result.success
    assert all(evaluation.passed for evaluation in run.check_results().values())
    con = run.connect("correlations")
    pairs = {
        frozenset((a, b)): (pearson, spearman, n)
        for a, b, pearson, spearman, n in con.execute(
            "SELECT column_a, column_b, pearson, spearman, n FROM numeric_correlations "
            "WHERE table_name = 'cars'"
        ).fetchall()
    }
    engine = ("displacement", "horsepower", "weight_in_lbs", "cylinders")
    for a in engine:
        for b in engine:
            if a < b:
                pearson, spearman, _ = pairs[frozenset((a, b))]
                assert pearson > 0.7 and spearman > 0.7, (a, b)
        if a != "cylinders":
            pearson, spearman, _ = pairs[frozenset((a, "miles_per_gallon"))]
            assert pearson < -0.7 and spearman < -0.7, a
    # Pairs use the rows where both values are present (a few cars lack mpg or horsepower).
    typed = run.connect("typed_tables")
    for a, b in (("displacement", "weight_in_lbs"), ("horsepower", "miles_per_gallon")):
        [(both,)] = typed.execute(
            f"SELECT count(*) FROM typed.cars WHERE {a} IS NOT NULL AND {b} IS NOT NULL"
        ).fetchall()
        assert pairs[frozenset((a, b))][2] == both
    assert pairs[frozenset(("horsepower", "miles_per_gallon"))][2] < len(records)
    [(severity,)] = con.execute(
        "SELECT severity FROM multicollinearity WHERE table_name = 'cars'"
    ).fetchall()
    assert severity in ("moderate", "strong")
    relations = {
        frozenset((target, *operands)): (operation, rate)
        for target, operation, operands, rate in con.execute(
            "SELECT target_column, operation, operand_columns, match_rate FROM derived_columns "
            "WHERE table_name = 'us_employment'"
        ).fetchall()
    }
    operation, rate = relations[frozenset(("manufacturing", "durable_goods", "nondurable_goods"))]
    assert operation in ("add", "subtract") and rate == 1.0
