import datetime as dt
from pathlib import Path

import duckdb

from dataraum_assets.analysis.cycle_analysis import (
    OUTPUT_SCHEMAS,
    CycleOptions,
    CycleResult,
    ProcessRecord,
    build_cycle_analysis,
)
from dataraum_assets.analysis.semantic_annotations import build_semantic_annotations
from dataraum_assets.analysis.statistical_profiles import build_statistical_profiles
from dataraum_assets_tests.analysis.test_statistical_profiles import (
    add_typed_table,
    typed_tables_connection,
)

DAY = dt.date(2024, 1, 1)


DEFAULTS = CycleOptions()


def analyse(con: duckdb.DuckDBPyConnection, options: CycleOptions = DEFAULTS) -> CycleResult:
    for name in ("statistical_profiles", "semantic_annotations"):
        con.execute(f"ATTACH ':memory:' AS {name}")
    con.execute("USE statistical_profiles")
    build_statistical_profiles(con)
    con.execute("USE semantic_annotations")
    build_semantic_annotations(con, relationships_database=None)
    con.execute("USE memory")
    return build_cycle_analysis(con, options, temporal_database=None)


def process(result: CycleResult, name: str) -> ProcessRecord:
    (found,) = [p for p in result.processes if p.process == name]
    return found


def invoices(con: duckdb.DuckDBPyConnection, statuses: list[str]) -> None:
    add_typed_table(
        con,
        "invoices",
        {"invoice_id": "VARCHAR", "invoice_date": "DATE", "status": "VARCHAR", "amount": "DOUBLE"},
        [[f"I{i}", DAY + dt.timedelta(days=i), s, 10.0 + i] for i, s in enumerate(statuses)],
    )


def test_status_completion_excludes_cancelled() -> None:
    con = typed_tables_connection()
    invoices(con, ["paid"] * 6 + ["sent"] * 2 + ["void"] * 2)
    result = analyse(con)
    o2c = process(result, "order_to_cash")
    # invoice table + 'sent' (invoice stage) + 'paid' (payment stage): 2 stages, one table.
    assert (o2c.detected, o2c.stages_found) == (True, ("invoice", "payment"))
    assert (o2c.completion_method, o2c.documents, o2c.completed) == ("status", 8, 6)
    assert o2c.completion_rate == 6 / 8
    counts = {
        (s.stage, s.value): s.row_count
        for s in result.stages
        if s.process == "order_to_cash" and s.kind == "value"
    }
    assert counts == {("invoice", "sent"): 2, ("payment", "paid"): 6}


def test_one_stage_is_not_a_process() -> None:
    # The same invoices without a status column: one stage, no second piece of evidence.
    con = typed_tables_connection()
    add_typed_table(
        con,
        "invoices",
        {"invoice_id": "VARCHAR", "amount": "DOUBLE"},
        [[f"I{i}", 1.0 + i] for i in range(10)],
    )
    o2c = process(analyse(con), "order_to_cash")
    assert (o2c.detected, o2c.completion_rate, o2c.stages_found) == (False, None, ("invoice",))
    assert "1 stage(s) evidenced, 2 independent pieces needed" in o2c.evidence


def test_master_data_alone_is_not_a_process() -> None:
    con = typed_tables_connection()
    add_typed_table(
        con,
        "employees",
        {"employee_id": "BIGINT", "salary": "DOUBLE"},
        [[i, 1000.0 + i] for i in range(10)],
    )
    payroll = process(analyse(con), "payroll")
    assert payroll.stages_found == ("employee", "compensation")
    assert payroll.detected is False
    assert "no table for a document stage (pay_run)" in payroll.evidence


def test_link_completion_and_cycle_time() -> None:
    con = typed_tables_connection()
    add_typed_table(
        con,
        "bills",
        {"bill_id": "VARCHAR", "bill_date": "DATE", "amount": "DOUBLE"},
        [[f"B{i}", DAY, 5.0 + i] for i in range(4)],
    )
    add_typed_table(
        con,
        "vendor_payments",
        {"vendor_payment_id": "VARCHAR", "bill_id": "VARCHAR", "payment_date": "DATE"},
        [
            ["P1", "B0", DAY + dt.timedelta(days=10)],
            ["P2", "B1", DAY + dt.timedelta(days=20)],
            ["P3", "B1", DAY + dt.timedelta(days=40)],
        ],
    )
    result = analyse(con)
    p2p = process(result, "procure_to_pay")
    assert (p2p.detected, p2p.completion_method, p2p.completion_rate) == (True, "link", 0.5)
    assert p2p.median_cycle_days == 15.0  # first payment: 10 and 20 days
    # vendor_payments is a procure-to-pay payment only, never an order-to-cash one.
    assert process(result, "order_to_cash").stages_found == ()


def test_period_close_balance() -> None:
    con = typed_tables_connection()
    rows = []
    for month in range(1, 4):
        period = dt.date(2024, month, 1)
        credit = 100.0 if month != 2 else 90.0  # February does not balance
        rows += [
            ["J" + str(month), period, 100.0, 0.0, "sales"],
            ["J" + str(month), period, 0.0, credit, "close"],
        ]
    add_typed_table(
        con,
        "journal_lines",
        {
            "journal_id": "VARCHAR",
            "fiscal_period": "DATE",
            "debit": "DOUBLE",
            "credit": "DOUBLE",
            "source": "VARCHAR",
        },
        rows,
    )
    close = process(analyse(con), "period_close")
    assert close.detected
    assert set(close.stages_found) == {"journal", "period", "adjustment"}
    assert (close.completion_method, close.documents, close.completed) == ("balance", 3, 2)
    tolerant = process(analyse_again(rows, CycleOptions(balance_tolerance=10.0)), "period_close")
    assert tolerant.completion_rate == 1.0


def analyse_again(rows: list[list[object]], options: CycleOptions) -> CycleResult:
    con = typed_tables_connection()
    add_typed_table(
        con,
        "journal_lines",
        {
            "journal_id": "VARCHAR",
            "fiscal_period": "DATE",
            "debit": "DOUBLE",
            "credit": "DOUBLE",
            "source": "VARCHAR",
        },
        rows,
    )
    return analyse(con, options)


def test_non_business_data_detects_nothing() -> None:
    con = typed_tables_connection()
    add_typed_table(
        con,
        "weather",
        {"date": "DATE", "weather": "VARCHAR", "temp_max": "DOUBLE"},
        [[DAY + dt.timedelta(days=i), ["sun", "rain", "fog"][i % 3], 10.0 + i] for i in range(30)],
    )
    add_typed_table(
        con,
        "stocks",
        {"symbol": "VARCHAR", "date": "DATE", "price": "DOUBLE"},
        [[["A", "B"][i % 2], DAY + dt.timedelta(days=i // 2), 5.0 + i] for i in range(30)],
    )
    result = analyse(con)
    assert [p.process for p in result.processes if p.detected] == []
    assert result.stages == ()


def test_source_process_file_adds_a_process(tmp_path: Path) -> None:
    path = tmp_path / "dataraum_processes.yaml"
    path.write_text(
        "processes:\n  observation:\n    label: Observation\n    document_stages: [weather]\n"
        "    stages:\n      weather:\n        tables: [weather]\n      sunny:\n"
        "        values: [sun]\n",
        encoding="utf-8",
    )
    con = typed_tables_connection()
    add_typed_table(
        con, "weather", {"weather": "VARCHAR"}, [[["sun", "rain"][i % 2]] for i in range(10)]
    )
    result = analyse(con, CycleOptions(process_files=(path,)))
    assert process(result, "observation").detected


def test_outputs_match_their_schemas() -> None:
    con = typed_tables_connection()
    invoices(con, ["paid", "sent", "void", "paid"])
    analyse(con)
    for name, schema in OUTPUT_SCHEMAS.items():
        schema.validate(con.execute(f"SELECT * FROM {name}").df(), lazy=True)
