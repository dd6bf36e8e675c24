"""semantic_annotations and cycle_analysis through Dagster: the bundled example and real public
data the rules were not designed on (vega_datasets' CSV files and its cars/iris JSON as CSV)."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import vega_datasets

from dataraum_assets_tests.pipeline import EXAMPLE_FOLDER, PipelineRun, run_pipeline

SELECTION = [
    "raw_tables",
    "typed_tables",
    "statistical_profiles",
    "semantic_annotations",
    "cycle_analysis",
]
VEGA = Path(vega_datasets.__file__).parent / "_data"


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineRun]:
    with dg.instance_for_test() as instance:
        data = tmp_path_factory.mktemp("acme")
        yield run_pipeline(EXAMPLE_FOLDER, data, instance, source="acme_books", selection=SELECTION)


@pytest.fixture(scope="module")
def vega(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineRun]:
    folder = tmp_path_factory.mktemp("vega_source")
    for name in ("airports", "seattle-weather", "stocks", "us-employment"):
        shutil.copy(VEGA / f"{name}.csv", folder / f"{name}.csv")
    for name in ("cars", "iris"):  # shipped as JSON only
        duckdb.sql(
            f"COPY (SELECT * FROM read_json_auto('{VEGA / name}.json')) "
            f"TO '{folder / name}.csv' (HEADER)"
        )
    with dg.instance_for_test() as instance:
        data = tmp_path_factory.mktemp("vega_data")
        yield run_pipeline(folder, data, instance, source="vega", selection=SELECTION)


def roles(run: PipelineRun) -> dict[tuple[str, str], tuple[str, str | None]]:
    con = run.connect("semantic_annotations")
    return {
        (t, c): (role, concept)
        for t, c, role, concept in con.execute(
            "SELECT table_name, column_name, role, concept FROM column_annotations"
        ).fetchall()
    }


def tables(run: PipelineRun) -> dict[str, tuple[str, list[str], str | None]]:
    con = run.connect("semantic_annotations")
    return {
        t: (kind, list(grain), time)
        for t, kind, grain, time in con.execute(
            "SELECT table_name, kind, grain_columns, time_column FROM table_annotations"
        ).fetchall()
    }


def test_runs_and_checks_pass(acme: PipelineRun, vega: PipelineRun) -> None:
    for run in (acme, vega):
        assert run.result.success
        checks = run.check_results()
        assert {
            "semantic_annotations_column_annotations_matches_schema",
            "cycle_analysis_processes_matches_schema",
        } <= set(checks)
        assert [name for name, evaluation in checks.items() if not evaluation.passed] == []


def test_example_roles_and_concepts(acme: PipelineRun) -> None:
    found = roles(acme)
    expected = {
        ("invoices", "invoice_number"): ("key", "invoice"),
        ("invoices", "customer_id"): ("foreign_key", "customer"),
        ("invoices", "invoice_date"): ("timestamp", "invoice_date"),
        ("invoices", "total_amount"): ("measure", "amount"),
        ("invoices", "currency"): ("dimension", "currency"),
        ("invoices", "status"): ("dimension", "status"),
        ("invoice_lines", "invoice_number"): ("foreign_key", "invoice"),
        ("invoice_lines", "quantity"): ("measure", "quantity"),
        ("payments", "payment_date"): ("timestamp", "payment_date"),
        ("journal_lines", "debit"): ("measure", "debit"),
        ("journal_lines", "credit"): ("measure", "credit"),
        ("journal_lines", "journal_id"): ("identifier", "journal_entry"),
        ("journal_lines", "account_number"): ("foreign_key", "account"),
        ("journal_lines", "fiscal_period"): ("timestamp", "fiscal_period"),
        ("journal_lines", "entry_date"): ("timestamp", "transaction_date"),
        ("chart_of_accounts", "account_number"): ("key", "account"),
        ("chart_of_accounts", "normal_balance"): ("dimension", "normal_balance"),
        ("chart_of_accounts", "account_type"): ("dimension", "account_type"),
        ("employees", "salary"): ("measure", "salary"),
        ("bills", "due_date"): ("timestamp", "due_date"),
        ("customers", "email"): ("attribute", "email"),
    }
    assert {key: found[key] for key in expected} == expected
    kinds = tables(acme)
    assert kinds["invoices"] == ("fact", ["invoice_number"], "invoice_date")
    assert kinds["invoice_lines"] == ("fact", ["invoice_number", "line_no"], None)
    assert kinds["journal_lines"] == ("fact", ["journal_id", "line_no"], "entry_date")
    for dimension in ("customers", "vendors", "products", "chart_of_accounts", "employees"):
        assert kinds[dimension][0] == "dimension", dimension
    con = acme.connect("semantic_annotations")
    [(unit_table, unit_column)] = con.execute(
        "SELECT unit_table, unit_column FROM column_annotations "
        "WHERE table_name = 'payments' AND column_name = 'amount'"
    ).fetchall()
    assert (unit_table, unit_column) == ("invoices", "currency")


def test_example_processes(acme: PipelineRun) -> None:
    con = acme.connect("cycle_analysis")
    detected = {
        process: (rate, method, documents, completed)
        for process, rate, method, documents, completed in con.execute(
            "SELECT process, completion_rate, completion_method, documents, completed "
            "FROM processes WHERE detected"
        ).fetchall()
    }
    assert {"order_to_cash", "procure_to_pay", "period_close"} <= set(detected)
    assert "payroll" not in detected and "inventory" not in detected
    typed = acme.connect("typed_tables")
    # order to cash: paid invoices among the non-void ones, counted in the data.
    [(paid, not_void)] = typed.execute(
        "SELECT count(*) FILTER (WHERE status = 'paid'), count(*) FILTER (WHERE status <> 'void') "
        "FROM typed.invoices"
    ).fetchall()
    assert detected["order_to_cash"] == (paid / not_void, "status", not_void, paid)
    [(bills_paid,)] = typed.execute(
        "SELECT count(*) FROM typed.bills WHERE status = 'paid'"
    ).fetchall()
    assert detected["procure_to_pay"][3] == bills_paid
    [(periods,)] = typed.execute(
        "SELECT count(DISTINCT fiscal_period) FROM typed.journal_lines"
    ).fetchall()
    close = detected["period_close"]
    assert (close[1], close[2]) == ("balance", periods)
    assert close[3] < periods  # the injected unbalanced entries
    stages = con.execute(
        "SELECT stage, table_name, value, row_count FROM process_stages "
        "WHERE process = 'order_to_cash' AND kind = 'value'"
    ).fetchall()
    assert ("payment", "invoices", "paid", paid) in stages


def test_public_data_roles(vega: PipelineRun) -> None:
    found = roles(vega)
    expected_roles = {
        ("airports", "iata"): "key",
        ("airports", "state"): "dimension",
        ("seattle_weather", "date"): "timestamp",
        ("seattle_weather", "precipitation"): "measure",
        ("seattle_weather", "weather"): "dimension",
        ("stocks", "symbol"): "dimension",
        ("stocks", "date"): "timestamp",
        ("stocks", "price"): "measure",
        ("cars", "horsepower"): "measure",
        ("cars", "origin"): "dimension",
        ("cars", "year"): "timestamp",
        ("iris", "species"): "dimension",
        ("iris", "petallength"): "measure",
        ("us_employment", "month"): "timestamp",
        ("us_employment", "nonfarm"): "measure",
    }
    assert {key: found[key][0] for key in expected_roles} == expected_roles
    kinds = tables(vega)
    assert kinds["stocks"] == ("fact", ["symbol", "date"], "date")
    assert kinds["seattle_weather"] == ("fact", ["date"], "date")
    assert kinds["airports"][:2] == ("dimension", ["iata"])
    assert kinds["iris"] == ("flat", [], None)


def test_public_data_has_no_business_process(vega: PipelineRun) -> None:
    con = vega.connect("cycle_analysis")
    assert con.execute("SELECT count(*) FROM processes WHERE detected").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM processes").fetchall()[0][0] >= 7
    assert con.execute("SELECT count(*) FROM process_stages").fetchall() == [(0,)]
