import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pandera.errors
import pytest

from dataraum_assets.analysis.validation_results import (
    OUTPUT_SCHEMAS,
    Check,
    CheckDefinitionError,
    ValidationOptions,
    ValidationResult,
    bind,
    build_validation_results,
    merge_checks,
    packaged_checks,
    parse_checks,
    read_catalog,
    render_sql,
    source_checks,
)
from dataraum_assets.sources import CHECKS_FILE_NAME, list_source_files
from dataraum_assets_tests.analysis.test_statistical_profiles import (
    add_typed_table,
    typed_tables_connection,
)

AS_OF = dt.date(2024, 6, 30)
D = dt.date
# table -> ({column: type}, rows); annotations: (table, column, role, concept)
Tables = dict[str, tuple[dict[str, str], list[list[Any]]]]
Annotation = tuple[str, str, str, str | None]


def connection(
    tables: Tables,
    annotations: Sequence[Annotation] = (),
    relationships: Sequence[tuple[str, str, str, str]] | None = (),
    grains: dict[str, list[str]] | None = None,
    annotated: bool = True,
) -> duckdb.DuckDBPyConnection:
    """Typed tables plus ``semantic_annotations`` and ``relationships`` databases with the
    contract columns (relationships None: not attached; each is (child, child column, parent,
    parent column), accepted)."""
    con = typed_tables_connection()
    for name, (columns, rows) in tables.items():
        add_typed_table(con, name, columns, rows)
    if annotated:
        con.execute("ATTACH ':memory:' AS semantic_annotations")
        con.execute(
            "CREATE TABLE semantic_annotations.column_annotations (table_name VARCHAR, "
            "column_name VARCHAR, role VARCHAR, concept VARCHAR, unit_column VARCHAR, "
            "naming_clarity VARCHAR, evidence VARCHAR)"
        )
        con.execute(
            "CREATE TABLE semantic_annotations.table_annotations (table_name VARCHAR, "
            "kind VARCHAR, grain_columns VARCHAR[], time_column VARCHAR, evidence VARCHAR)"
        )
        if annotations:
            con.executemany(
                "INSERT INTO semantic_annotations.column_annotations "
                "(table_name, column_name, role, concept) VALUES (?, ?, ?, ?)",
                [list(a) for a in annotations],
            )
        for table, grain in (grains or {}).items():
            con.execute(
                "INSERT INTO semantic_annotations.table_annotations (table_name, kind, "
                "grain_columns) VALUES (?, 'fact', ?)",
                [table, grain],
            )
    if relationships is not None:
        con.execute("ATTACH ':memory:' AS relationships")
        con.execute(
            "CREATE TABLE relationships.relationships (child_table VARCHAR, "
            "child_columns VARCHAR[], parent_table VARCHAR, parent_columns VARCHAR[], "
            "status VARCHAR, reason VARCHAR)"
        )
        for child, child_column, parent, parent_column in relationships:
            con.execute(
                "INSERT INTO relationships.relationships VALUES (?, ?, ?, ?, 'accepted', '')",
                [child, [child_column], parent, [parent_column]],
            )
        # A rejected candidate is never a binding.
        con.execute(
            "INSERT INTO relationships.relationships VALUES "
            "('nowhere', ['x'], 'nothing', ['y'], 'rejected', 'no overlap')"
        )
    return con


def shipped(check_id: str) -> Check:
    (check,) = [c for c in packaged_checks() if c.spec.id == check_id]
    return check


def run(con: duckdb.DuckDBPyConnection, *checks: Check, **options: Any) -> list[ValidationResult]:
    return list(
        build_validation_results(
            con, ValidationOptions(as_of=AS_OF, **options), checks=list(checks)
        ).results
    )


def verdict(result: ValidationResult) -> tuple[Any, ...]:
    return (
        result.status,
        result.observed,
        result.failing_count,
        result.total_count,
        result.sample,
    )


# ---- one case per shipped check: (tables, annotations, relationships, failing, passing) ----


def _keys(values: list[str | None]) -> Tables:
    return {"orders": ({"order_id": "VARCHAR"}, [[v] for v in values])}


def case_key_uniqueness() -> tuple[Any, ...]:
    annotations = [("orders", "order_id", "key", None)]
    failing = (_keys(["a", "b", "b", "c", "c", "c", None]), ("failed", 2.0, 2, 3, ("c", "b")))
    passing = (_keys(["a", "b", "c", None]), ("passed", 0.0, 0, 3, ()))
    return annotations, [], failing, passing


def case_foreign_key_orphan_rate() -> tuple[Any, ...]:
    def tables(customer_ids: list[str | None]) -> Tables:
        return {
            "customers": ({"customer_id": "VARCHAR"}, [["c1"], ["c2"]]),
            "orders": ({"customer_id": "VARCHAR"}, [[v] for v in customer_ids]),
        }

    relationships = [("orders", "customer_id", "customers", "customer_id")]
    failing = (tables(["c1", "c9", "c9", "c8", None]), ("failed", 0.75, 3, 4, ("c8", "c9")))
    passing = (tables(["c1", "c2", None]), ("passed", 0.0, 0, 2, ()))
    return [], relationships, failing, passing


def case_non_negative_amounts() -> tuple[Any, ...]:
    def tables(amounts: list[float | None]) -> Tables:
        return {"sales": ({"amount": "DOUBLE"}, [[v] for v in amounts])}

    annotations = [("sales", "amount", "measure", "amount")]
    failing = (tables([5.0, -1.0, None, -3.0]), ("failed", 2.0, 2, 3, ("row 4", "row 2")))
    passing = (tables([5.0, 0.0, None]), ("passed", 0.0, 0, 2, ()))
    return annotations, [], failing, passing


def case_dates_not_in_future() -> tuple[Any, ...]:
    def tables(dates: list[dt.date]) -> Tables:
        # due dates may lie ahead: never part of the check
        return {
            "orders": (
                {"ordered_on": "DATE", "due_on": "DATE"},
                [[d, D(2030, 1, 1)] for d in dates],
            )
        }

    annotations = [
        ("orders", "ordered_on", "timestamp", None),
        ("orders", "due_on", "timestamp", "due_date"),
    ]
    failing = (tables([AS_OF, D(2024, 7, 1)]), ("failed", 1.0, 1, 2, ("row 2",)))
    passing = (tables([AS_OF, D(2020, 1, 1)]), ("passed", 0.0, 0, 2, ()))
    return annotations, [], failing, passing


LEDGER_ANNOTATIONS = [
    ("ledger", "entry", "identifier", "journal_entry"),
    ("ledger", "debit", "measure", "debit"),
    ("ledger", "credit", "measure", "credit"),
]


def _ledger(lines: list[tuple[str, float, float]]) -> Tables:
    return {
        "ledger": (
            {"entry": "VARCHAR", "debit": "DOUBLE", "credit": "DOUBLE"},
            [list(line) for line in lines],
        )
    }


def case_double_entry_balances() -> tuple[Any, ...]:
    balanced = [("E1", 10.0, 0.0), ("E1", 0.0, 10.0), ("E3", 1.004, 0.0), ("E3", 0.0, 1.0)]
    # E2 is off by 1; E3's 0.004 is within the half-cent tolerance
    failing = (
        _ledger([*balanced, ("E2", 5.0, 0.0), ("E2", 0.0, 4.0)]),
        ("failed", 1.0, 1, 3, ("E2",)),
    )
    passing = (_ledger(balanced), ("passed", 0.004, 0, 2, ()))
    return LEDGER_ANNOTATIONS, [], failing, passing


def case_trial_balance() -> tuple[Any, ...]:
    failing = (_ledger([("E1", 10.0, 0.0), ("E2", 0.0, 8.5)]), ("failed", 1.5, 1, 1, ()))
    passing = (_ledger([("E1", 10.0, 0.0), ("E2", 0.0, 10.0)]), ("passed", 0.0, 0, 1, ()))
    return LEDGER_ANNOTATIONS, [], failing, passing


def case_ledger_sign_conventions() -> tuple[Any, ...]:
    failing = (
        _ledger([("E1", 10.0, 0.0), ("E1", -5.0, 0.0), ("E2", 3.0, 3.0), ("E3", 0.0, 0.0)]),
        ("failed", 2.0, 2, 4, ("row 2", "row 3")),
    )
    passing = (
        _ledger([("E1", 10.0, 0.0), ("E1", 0.0, 10.0), ("E3", 0.0, 0.0)]),
        ("passed", 0.0, 0, 3, ()),
    )
    return LEDGER_ANNOTATIONS, [], failing, passing


def case_account_normal_balance() -> tuple[Any, ...]:
    chart = (
        {"account": "BIGINT", "normal_balance": "VARCHAR"},
        [[1000, "Debit"], [2000, "credit"], [3000, "DR"], [4000, "memo"]],
    )

    def tables(lines: list[tuple[int, float, float]]) -> Tables:
        return {
            "chart": chart,
            "gl": (
                {"account": "BIGINT", "debit": "DOUBLE", "credit": "DOUBLE"},
                [list(line) for line in lines],
            ),
        }

    annotations = [
        ("chart", "account", "key", "account"),
        ("chart", "normal_balance", "dimension", "normal_balance"),
        ("gl", "account", "foreign_key", "account"),
        ("gl", "debit", "measure", "debit"),
        ("gl", "credit", "measure", "credit"),
    ]
    relationships = [("gl", "account", "chart", "account")]
    # 1000 debit-normal, +50: fine; 2000 credit-normal with a debit balance of 20; 3000
    # debit-normal with a credit balance of 10; 4000 has no known normal side.
    failing = (
        tables([(1000, 50.0, 0.0), (2000, 30.0, 10.0), (3000, 0.0, 10.0), (4000, 0.0, 99.0)]),
        ("failed", 2.0, 2, 3, ("2000", "3000")),
    )
    passing = (
        tables([(1000, 50.0, 0.0), (2000, 10.0, 30.0), (3000, 10.0, 0.0), (4000, 99.0, 0.0)]),
        ("passed", 0.0, 0, 3, ()),
    )
    return annotations, relationships, failing, passing


def _periods(periods: list[dt.date], dates: list[dt.date] | None = None) -> Tables:
    dates = dates or periods
    return {
        "gl": (
            {"period": "DATE", "posted_on": "DATE"},
            [[p, d] for p, d in zip(periods, dates, strict=True)],
        )
    }


PERIOD_ANNOTATIONS = [
    ("gl", "period", "timestamp", "fiscal_period"),
    ("gl", "posted_on", "timestamp", "transaction_date"),
]


def case_fiscal_period_continuity() -> tuple[Any, ...]:
    failing = (
        _periods([D(2024, 1, 1), D(2024, 2, 1), D(2024, 2, 1), D(2024, 4, 1), D(2024, 5, 1)]),
        ("failed", 1.0, 1, 5, ("2024-03",)),
    )
    # quarterly periods: the step is three months, so nothing is missing
    passing = (
        _periods([D(2024, 1, 1), D(2024, 4, 1), D(2024, 7, 1), D(2024, 10, 1)]),
        ("passed", 0.0, 0, 4, ()),
    )
    return PERIOD_ANNOTATIONS, [], failing, passing


def case_fiscal_period_matches_entry_date() -> tuple[Any, ...]:
    periods = [D(2024, 11, 1), D(2024, 12, 1), D(2024, 12, 1)]
    failing = (
        _periods(periods, [D(2024, 11, 30), D(2024, 12, 31), D(2025, 1, 8)]),
        ("failed", 1.0, 1, 3, ("row 3",)),
    )
    passing = (
        _periods(periods, [D(2024, 11, 30), D(2024, 12, 1), D(2024, 12, 31)]),
        ("passed", 0.0, 0, 3, ()),
    )
    return PERIOD_ANNOTATIONS, [], failing, passing


def case_payment_not_before_invoice() -> tuple[Any, ...]:
    # INV-2 is used twice (a key violation): a payment is early only before the earlier date
    invoices = (
        {"number": "VARCHAR", "issued": "DATE"},
        [["INV-1", D(2024, 3, 10)], ["INV-2", D(2024, 3, 1)], ["INV-2", D(2024, 3, 20)]],
    )

    def tables(payments: list[list[Any]]) -> Tables:
        return {
            "invoices": invoices,
            "payments": ({"payment_id": "VARCHAR", "number": "VARCHAR", "paid": "DATE"}, payments),
        }

    annotations = [
        ("invoices", "number", "key", "invoice"),
        ("invoices", "issued", "timestamp", "invoice_date"),
        ("payments", "payment_id", "key", "payment"),
        ("payments", "number", "foreign_key", "invoice"),
        ("payments", "paid", "timestamp", "payment_date"),
    ]
    relationships = [("payments", "number", "invoices", "number")]
    base = [["P1", "INV-1", D(2024, 3, 10)], ["P2", "INV-2", D(2024, 3, 5)]]
    failing = (
        tables([*base, ["P3", "INV-1", D(2024, 3, 9)], ["P4", "INV-9", D(2024, 1, 1)]]),
        ("failed", 1.0, 1, 3, ("P3",)),
    )
    passing = (tables(base), ("passed", 0.0, 0, 2, ()))
    return annotations, relationships, failing, passing


def case_due_date_not_before_document_date() -> tuple[Any, ...]:
    def tables(rows: list[list[Any]]) -> Tables:
        return {"invoices": ({"number": "VARCHAR", "issued": "DATE", "due": "DATE"}, rows)}

    annotations = [
        ("invoices", "number", "key", "invoice"),
        ("invoices", "issued", "timestamp", "invoice_date"),
        ("invoices", "due", "timestamp", "due_date"),
    ]
    ok = [["I1", D(2024, 1, 10), D(2024, 2, 9)], ["I2", D(2024, 1, 10), D(2024, 1, 10)]]
    failing = (
        tables([*ok, ["I3", D(2024, 1, 10), D(2024, 1, 9)]]),
        ("failed", 1.0, 1, 3, ("I3",)),
    )
    passing = (tables(ok), ("passed", 0.0, 0, 2, ()))
    return annotations, [], failing, passing


def case_documents_within_ledger_period() -> tuple[Any, ...]:
    def tables(invoice_dates: list[dt.date]) -> Tables:
        return {
            "gl": (
                {"posted_on": "DATE", "debit": "DOUBLE", "credit": "DOUBLE"},
                [[D(2024, 6, 28), 1.0, 0.0], [D(2024, 6, 30), 0.0, 1.0]],
            ),
            "invoices": (
                {"number": "VARCHAR", "issued": "DATE"},
                [[f"I{n}", d] for n, d in enumerate(invoice_dates, start=1)],
            ),
        }

    annotations = [
        ("gl", "posted_on", "timestamp", "transaction_date"),
        ("gl", "debit", "measure", "debit"),
        ("gl", "credit", "measure", "credit"),
        ("invoices", "number", "key", "invoice"),
        ("invoices", "issued", "timestamp", "invoice_date"),
    ]
    failing = (
        tables([D(2024, 6, 30), D(2025, 6, 29), D(2024, 1, 1)]),
        ("failed", 1.0, 1, 3, ("I2",)),
    )
    passing = (tables([D(2024, 6, 30), D(2024, 1, 1)]), ("passed", 0.0, 0, 2, ()))
    return annotations, [], failing, passing


CASES: dict[str, Callable[[], tuple[Any, ...]]] = {
    name.removeprefix("case_"): function
    for name, function in globals().items()
    if name.startswith("case_")
}


def test_every_shipped_check_has_a_failing_and_a_passing_case() -> None:
    assert sorted(CASES) == sorted(check.spec.id for check in packaged_checks())


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_shipped_check_fails_and_passes(check_id: str) -> None:
    annotations, relationships, failing, passing = CASES[check_id]()
    for tables, expected in (failing, passing):
        con = connection(tables, annotations, relationships)
        [result] = run(con, shipped(check_id))
        status, observed, *rest = expected
        assert result.observed == pytest.approx(observed), (check_id, result.reason, result.sql)
        assert verdict(result) == (status, result.observed, *rest), (check_id, result.reason)
        OUTPUT_SCHEMAS["validation_results"].validate(
            con.sql("SELECT * FROM validation_results").df(), lazy=True
        )


# ---- binding ----------------------------------------------------------------------------


def test_finance_checks_are_skipped_on_data_without_finance_concepts() -> None:
    con = connection(
        {
            "iris": (
                {"sepal_length": "DOUBLE", "species": "VARCHAR"},
                [[5.1, "setosa"], [7.0, "versicolor"]],
            ),
            "weather": ({"date": "DATE", "temp_max": "DOUBLE"}, [[D(2012, 1, 1), 12.8]]),
        },
        [
            ("iris", "sepal_length", "measure", None),
            ("iris", "species", "dimension", None),
            ("weather", "date", "timestamp", None),
            ("weather", "temp_max", "measure", None),
        ],
    )
    results = run(con, *packaged_checks())
    statuses = {(r.check_set, r.check_id): r.status for r in results}
    assert {k: s for k, s in statuses.items() if k[0] == "finance"} == {
        ("finance", check.spec.id): "skipped"
        for check in packaged_checks()
        if check.check_set == "finance"
    }
    assert statuses[("generic", "dates_not_in_future")] == "passed"
    [ledger] = [r for r in results if r.check_id == "double_entry_balances"]
    assert ledger.reason == (
        "no binding for ledger: needs one table with debit (concept debit, type numeric): none; "
        "credit (concept credit, type numeric): none; entry (concept journal_entry): none"
    )
    assert (ledger.observed, ledger.bindings, ledger.sql) == (None, None, None)


def test_concepts_must_share_a_table_when_one_alias_names_them() -> None:
    con = connection(
        {
            "debits": ({"entry": "VARCHAR", "debit": "DOUBLE"}, [["E1", 1.0]]),
            "credits": ({"entry": "VARCHAR", "credit": "DOUBLE"}, [["E1", 1.0]]),
        },
        [
            ("debits", "entry", "identifier", "journal_entry"),
            ("debits", "debit", "measure", "debit"),
            ("credits", "entry", "identifier", "journal_entry"),
            ("credits", "credit", "measure", "credit"),
        ],
    )
    [result] = run(con, shipped("double_entry_balances"))
    assert result.status == "skipped"
    assert result.reason == (
        "no binding for ledger: needs one table with debit (concept debit, type numeric): "
        "debits.debit; credit (concept credit, type numeric): credits.credit; entry (concept "
        "journal_entry): credits.entry, debits.entry"
    )


def test_a_concept_on_a_column_of_the_wrong_type_does_not_bind() -> None:
    con = connection(
        {"gl": ({"debit": "VARCHAR", "credit": "DOUBLE"}, [["1", 1.0]])},
        [("gl", "debit", "measure", "debit"), ("gl", "credit", "measure", "credit")],
    )
    [result] = run(con, shipped("trial_balance"))
    assert result.status == "skipped"
    assert "debit (concept debit, type numeric): none" in result.reason


def test_linked_checks_need_an_accepted_relationship() -> None:
    annotations, _, (tables, _), _ = case_payment_not_before_invoice()
    [without] = run(connection(tables, annotations, []), shipped("payment_not_before_invoice"))
    assert without.status == "skipped"
    assert without.reason == (
        "pays: no accepted relationship from payment (payments) to invoice (invoices)"
    )
    [missing] = run(connection(tables, annotations, None), shipped("payment_not_before_invoice"))
    assert (missing.status, missing.reason) == (
        "skipped",
        "relationships has not been materialized for this source",
    )


def test_without_semantic_annotations_only_relationship_checks_bind() -> None:
    _, relationships, (tables, _), _ = case_foreign_key_orphan_rate()
    con = connection(tables, relationships=relationships, annotated=False)
    results = {r.check_id: r for r in run(con, *packaged_checks())}
    assert results["foreign_key_orphan_rate"].status == "failed"
    assert results["key_uniqueness"].reason == (
        "semantic_annotations has not been materialized for this source"
    )
    assert {r.status for r in results.values()} == {"failed", "skipped"}


def test_one_result_per_binding() -> None:
    con = connection(
        {
            "a": ({"id": "BIGINT", "code": "VARCHAR"}, [[1, "x"], [1, "y"]]),
            "b": ({"id": "BIGINT"}, [[1], [2]]),
        },
        [("a", "id", "key", None), ("a", "code", "key", None), ("b", "id", "key", None)],
    )
    results = run(con, shipped("key_uniqueness"))
    assert [(r.table_name, r.bindings, r.status) for r in results] == [
        ("a", "t=a(key=id)", "failed"),
        ("a", "t=a(key=code)", "passed"),
        ("b", "t=b(key=id)", "passed"),
    ]


def test_self_reference_binds_through_its_link_and_unlinked_aliases_need_distinct_tables() -> None:
    con = connection(
        {"employees": ({"employee_id": "BIGINT", "manager_id": "BIGINT"}, [[1, None], [2, 7]])},
        relationships=[("employees", "manager_id", "employees", "employee_id")],
    )
    [orphans] = run(con, shipped("foreign_key_orphan_rate"))
    assert verdict(orphans) == ("failed", 1.0, 1, 1, ("7",))
    assert orphans.bindings == (
        "child=employees; parent=employees; fk: employees(manager_id) -> employees(employee_id)"
    )
    _, _, (tables, _), _ = case_documents_within_ledger_period()
    # the ledger's own transaction date is no document date: one table cannot be both aliases
    con = connection(
        {"gl": tables["gl"]},
        [
            ("gl", "posted_on", "timestamp", "invoice_date"),
            ("gl", "debit", "measure", "debit"),
            ("gl", "credit", "measure", "credit"),
        ],
    )
    [cutoff] = run(con, shipped("documents_within_ledger_period"))
    assert cutoff.status == "skipped"


def test_bindings_beyond_the_limit_are_reported_not_dropped() -> None:
    con = connection(
        {f"t{n}": ({"id": "BIGINT"}, [[1]]) for n in range(3)},
        [(f"t{n}", "id", "key", None) for n in range(3)],
    )
    results = run(con, shipped("key_uniqueness"), max_bindings_per_check=2)
    assert [r.status for r in results] == ["passed", "passed", "skipped"]
    assert results[-1].reason == "1 more bindings not evaluated (max_bindings_per_check = 2)"


# ---- rendering --------------------------------------------------------------------------


def test_identifiers_from_data_are_quoted_and_values_are_parameters() -> None:
    con = connection(
        {'we"ird': ({'id "x"': "VARCHAR"}, [["a"], ["a"]])},
        [('we"ird', 'id "x"', "key", None)],
    )
    [result] = run(con, shipped("key_uniqueness"))
    assert verdict(result) == ("failed", 1.0, 1, 1, ("a",))
    assert result.sql is not None
    assert '"typed_tables"."typed"."we""ird" AS "t"' in result.sql
    assert 'CAST("t"."id ""x""" AS VARCHAR)' in result.sql
    assert "$sample_size" in result.sql


def test_row_key_is_the_key_column_else_the_grain_else_the_row_number() -> None:
    check = shipped("non_negative_amounts")
    tables: Tables = {
        "lines": (
            {"doc": "VARCHAR", "line": "BIGINT", "amount": "DOUBLE"},
            [["D1", 1, 2.0], ["D1", 2, -1.0]],
        )
    }
    base = [("lines", "amount", "measure", "amount")]
    for extra, grains, expected in (
        ([("lines", "doc", "key", None)], None, ("D1",)),
        ([], {"lines": ["doc", "line"]}, ("D1/2",)),
        ([], None, ("row 2",)),
    ):
        [result] = run(connection(tables, [*base, *extra], grains=grains), check)
        assert result.sample == expected


def test_link_tokens_render_composite_keys() -> None:
    spec = parse_checks(
        """
checks:
  - id: pairs
    name: pairs
    kind: rate
    tolerance: 0
    tables: {child: {}, parent: {}}
    links: {fk: {child: child, parent: parent}}
    sql: SELECT {fk.on}, {fk.child_not_null}, {fk.child_key}, {fk.parent_key}
      FROM {child}, {parent}
""",
        "inline",
        "source",
    )[0].spec
    con = connection(
        {
            "flights": ({"origin": "VARCHAR", "hour": "BIGINT"}, []),
            "weather": ({"origin": "VARCHAR", "hour": "BIGINT"}, []),
        },
        relationships=[],
    )
    con.execute(
        "INSERT INTO relationships.relationships VALUES ('flights', ['origin', 'hour'], "
        "'weather', ['origin', 'hour'], 'accepted', '')"
    )
    catalog = read_catalog(con)
    [binding], reason = bind(spec, catalog)
    assert reason is None
    assert render_sql(spec, binding, catalog) == (
        'SELECT ("child"."origin" = "parent"."origin" AND "child"."hour" = "parent"."hour"), '
        '("child"."origin" IS NOT NULL AND "child"."hour" IS NOT NULL), '
        'concat_ws(\'/\', CAST("child"."origin" AS VARCHAR), CAST("child"."hour" AS '
        'VARCHAR)), concat_ws(\'/\', CAST("parent"."origin" AS VARCHAR), '
        'CAST("parent"."hour" AS VARCHAR)) FROM "typed_tables"."typed"."flights" AS "child", '
        '"typed_tables"."typed"."weather" AS "parent"'
    )


# ---- evaluation -------------------------------------------------------------------------


def _check(sql: str, extra: str = "") -> Check:
    [check] = parse_checks(
        f"""
checks:
  - id: custom
    name: Custom
    kind: constraint
    tolerance: 1
    tables: {{t: {{v: {{role: measure}}}}}}
{extra}
    sql: "{sql}"
""",
        "inline",
        "source",
    )
    return check


VALUES: Tables = {"t": ({"v": "DECIMAL(10,2)"}, [[1.5], [2.5]])}
VALUE_ANNOTATIONS: list[Annotation] = [("t", "v", "measure", None)]


def test_decimal_observations_and_check_parameters() -> None:
    check = _check(
        "SELECT sum({t.v}) - $offset AS observed, 0 AS failing_count, count(*) AS total_count, "
        "[] AS sample FROM {t}",
        "    parameters: {offset: 3}",
    )
    [result] = run(connection(VALUES, VALUE_ANNOTATIONS), check)
    assert verdict(result) == ("passed", 1.0, 0, 2, ())
    assert result.reason == "0 of 2 rows fail; observed 1 <= tolerance 1"


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        (
            "SELECT nope AS observed FROM {t}",
            'the check\'s SQL failed: Binder Error: Referenced column "nope" not found in FROM '
            "clause!",
        ),
        (
            "SELECT 1 AS observed FROM {t}",
            "the check's SQL must return one row with columns ['observed', 'failing_count', "
            "'total_count', 'sample']; got 2 row(s) with ['observed']",
        ),
        (
            "SELECT NULL AS observed, 0 AS failing_count, 0 AS total_count, [] AS sample",
            "observed is None, not a number",
        ),
        ("DELETE FROM {t}", "the check's SQL must be exactly one SELECT statement"),
        (
            "SELECT 1 AS observed, 0 AS failing_count, 0 AS total_count, [] AS sample; SELECT 2",
            "the check's SQL must be exactly one SELECT statement",
        ),
    ],
)
def test_broken_sql_is_an_error_result(sql: str, reason: str) -> None:
    con = connection(VALUES, VALUE_ANNOTATIONS)
    [result] = run(con, _check(sql))
    assert (result.status, result.reason, result.observed) == ("error", reason, None)
    assert con.execute('SELECT count(*) FROM typed_tables.typed."t"').fetchall() == [(2,)]
    OUTPUT_SCHEMAS["validation_results"].validate(
        con.sql("SELECT * FROM validation_results").df(), lazy=True
    )


def test_no_checks_writes_an_empty_table() -> None:
    con = connection({})
    summary = build_validation_results(con, ValidationOptions(as_of=AS_OF), checks=[])
    assert summary.counts == {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
    assert con.execute("SELECT count(*) FROM validation_results").fetchall() == [(0,)]


def test_as_of_defaults_to_today() -> None:
    summary = build_validation_results(connection({}), checks=[])
    assert summary.as_of == dt.datetime.now(dt.UTC).date()


def test_schema_rejects_a_verdict_that_contradicts_the_tolerance() -> None:
    annotations, relationships, (tables, _), _ = case_key_uniqueness()
    con = connection(tables, annotations, relationships)
    run(con, shipped("key_uniqueness"))
    frame = con.sql("SELECT * FROM validation_results").df()
    frame.loc[0, "status"] = "passed"
    with pytest.raises(pandera.errors.SchemaErrors):
        OUTPUT_SCHEMAS["validation_results"].validate(frame, lazy=True)
    skipped = pd.DataFrame(frame.iloc[[0]]).assign(status="skipped")
    with pytest.raises(pandera.errors.SchemaErrors):
        OUTPUT_SCHEMAS["validation_results"].validate(skipped, lazy=True)


# ---- check files ------------------------------------------------------------------------


MINIMAL = """
checks:
  - id: {id}
    name: n
    kind: {kind}
    tolerance: 0
    tables: {tables}
    {extra}
    sql: "{sql}"
"""


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "fuzzy"}, "checks.yaml: check c: kind: Input should be 'balance'"),
        ({"tables": "{t: {v: {type: numeric}}}"}, "a column needs a concept or a role"),
        ({"sql": "SELECT {t.nope}"}, "check c: sql: {t.nope}: t has no slot 'nope'"),
        ({"sql": "SELECT {other}"}, "{other}: 'other' is neither a table alias nor a link"),
        ({"sql": "SELECT $secret"}, "sql: unknown parameters ['secret']"),
        ({"sql": "SELECT {'a': 1}"}, "{'a': 1} is not a binding token"),
        ({"sql": "SELECT 1 }"}, "braces are reserved"),
        ({"extra": "links: {l: {child: t, parent: x}}"}, "links.l: 'x' is not a table alias"),
        ({"extra": "parameters: {tolerance: 2}"}, "['tolerance'] are set by the pipeline"),
        ({"extra": "colour: blue"}, "colour: Extra inputs are not permitted"),
        ({"id": "Bad-Id"}, "id: String should match pattern"),
    ],
)
def test_malformed_checks_are_errors_naming_file_check_and_field(
    fields: dict[str, str], message: str
) -> None:
    values = {"id": "c", "kind": "rate", "tables": "{t: {v: {role: measure}}}", "extra": ""}
    values["sql"] = "SELECT 1"
    values.update(fields)
    with pytest.raises(CheckDefinitionError) as error:
        parse_checks(MINIMAL.format(**values), "checks.yaml", "source")
    assert message in str(error.value)
    assert str(error.value).startswith("checks.yaml: ")


def test_file_level_errors() -> None:
    with pytest.raises(CheckDefinitionError, match=r"^f\.yaml: not valid YAML"):
        parse_checks("checks: [", "f.yaml", "source")
    with pytest.raises(CheckDefinitionError, match=r"^f\.yaml: checks: Field required"):
        parse_checks("other: 1", "f.yaml", "source")
    twice = MINIMAL.format(
        id="c", kind="rate", tables="{t: {v: {role: key}}}", extra="", sql="SELECT 1"
    )
    duplicated = twice + twice.replace("checks:\n", "")
    with pytest.raises(CheckDefinitionError, match="check c: id used twice"):
        parse_checks(duplicated, "f.yaml", "source")


def test_a_source_file_adds_checks_and_replaces_shipped_ones(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("order_id\na\n", encoding="utf-8")
    (tmp_path / CHECKS_FILE_NAME).write_text(
        """
checks:
  - id: key_uniqueness
    name: Keys are unique (one duplicate allowed)
    kind: constraint
    tolerance: 1
    tables: {t: {key: {role: key}}}
    sql: |
      SELECT count(*) - count(DISTINCT {t.key}) AS observed, 0 AS failing_count,
             count(*) AS total_count, [] AS sample FROM {t}
  - id: orders_exist
    name: There are orders
    kind: constraint
    tolerance: 0
    tables: {t: {key: {role: key}}}
    sql: SELECT CAST(count(*) = 0 AS INTEGER) AS observed, 0 AS failing_count,
      count(*) AS total_count, [] AS sample FROM {t}
""",
        encoding="utf-8",
    )
    own = source_checks(tmp_path)
    merged = merge_checks(packaged_checks(), own)
    assert [c.spec.id for c in merged][:2] == ["key_uniqueness", "foreign_key_orphan_rate"]
    assert merged[0].check_set == "source" and merged[-1].spec.id == "orders_exist"
    annotations, _, (tables, _), _ = case_key_uniqueness()
    results = run(connection(tables, annotations), merged[0], merged[-1])
    assert [(r.check_id, r.check_set, r.status, r.observed) for r in results] == [
        ("key_uniqueness", "source", "failed", 4.0),  # 7 rows, 3 distinct keys
        ("orders_exist", "source", "passed", 0.0),
    ]
    # the checks file is not data
    assert [f.relative_path for f in list_source_files(tmp_path).files] == ["orders.csv"]
    assert list_source_files(tmp_path).ignored == ()
    assert source_checks(tmp_path / "nowhere") == []


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="sample_size must be at least 1"):
        ValidationOptions(sample_size=0)
    with pytest.raises(ValueError, match="max_bindings_per_check must be at least 1"):
        ValidationOptions(max_bindings_per_check=0)


def test_samples_are_capped() -> None:
    con = connection(_keys([f"k{n}" for n in range(9) for _ in range(2)]))
    con.execute(
        "INSERT INTO semantic_annotations.column_annotations (table_name, column_name, role) "
        "VALUES ('orders', 'order_id', 'key')"
    )
    [result] = run(con, shipped("key_uniqueness"), sample_size=3)
    assert verdict(result) == ("failed", 9.0, 9, 9, ("k0", "k1", "k2"))


def test_the_readme_example_check_runs() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Validation checks", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    [check] = parse_checks(example, "README.md", "source")
    con = connection(
        {"orders": ({"order_id": "VARCHAR", "total": "DOUBLE"}, [["o1", 50.0], ["o2", 12000.0]])},
        [("orders", "order_id", "key", "order"), ("orders", "total", "measure", "amount")],
    )
    [result] = run(con, check)
    assert verdict(result) == ("failed", 1.0, 1, 2, ("o2",))


def test_disabled_checks_are_reported_skipped_and_unknown_ids_are_errors() -> None:
    annotations, _, (tables, _), _ = case_key_uniqueness()
    con = connection(tables, annotations)
    checks = [shipped("key_uniqueness"), shipped("non_negative_amounts")]
    results = run(con, *checks, disabled_checks=frozenset({"key_uniqueness"}))
    assert [(r.check_id, r.status, r.reason) for r in results] == [
        (
            "key_uniqueness",
            "skipped",
            "disabled for this source (validation_results.disabled_checks)",
        ),
        (
            "non_negative_amounts",
            "skipped",
            "no binding for t: needs a column with amount (concept "
            "amount|quantity|unit_price|tax|salary, role measure, type numeric): none",
        ),
    ]
    with pytest.raises(ValueError, match=r"do not exist: \['nope'\]"):
        run(con, *checks, disabled_checks=frozenset({"nope"}))
