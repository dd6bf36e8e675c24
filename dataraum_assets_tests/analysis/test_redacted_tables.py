"""redacted_tables: each strategy, HMAC against Python's hmac, joins surviving, key errors."""

import datetime as dt
import hashlib
import hmac

import duckdb
import pandas as pd
import pytest

from dataraum_assets.analysis.redacted_tables import (
    OUTPUT_SCHEMAS,
    Finding,
    RedactionKeyError,
    RedactionOptions,
    RedactionPlanError,
    Relationship,
    build_redacted_tables,
    plan_redactions,
)
from dataraum_assets_tests.privacy_data import create_typed_tables, email, phone

KEY = b"test-key-not-a-secret-0123456789"


def _setup(findings: list[tuple[str, str, str, str]], relationships: list[tuple] | None = None):
    con = duckdb.connect()
    customers = pd.DataFrame(
        {
            "email": [email(i) for i in range(4)],
            "phone": [phone(i) for i in range(4)],
            "born": [dt.date(1980, 5, 17), dt.date(1991, 12, 2), None, dt.date(2001, 1, 31)],
            "zip": ["94110", "10001", "SW1A 1AA", None],
            "street": ["1 Example Street", "2 Example Road", "3 Example Way", "4 Example Lane"],
        }
    )
    orders = pd.DataFrame({"order_id": [1, 2, 3], "buyer": [email(0), email(0), email(3)]})
    create_typed_tables(con, {"customers": customers, "orders": orders})
    con.execute("ATTACH ':memory:' AS pii_findings")
    con.execute(
        "CREATE TABLE pii_findings.pii_findings (table_name VARCHAR, column_name VARCHAR, "
        "pii_kind VARCHAR, redaction VARCHAR)"
    )
    con.executemany("INSERT INTO pii_findings.pii_findings VALUES (?, ?, ?, ?)", findings)
    if relationships is not None:
        con.execute("ATTACH ':memory:' AS relationships")
        con.execute(
            "CREATE TABLE relationships.relationships (child_table VARCHAR, child_columns "
            "VARCHAR[], parent_table VARCHAR, parent_columns VARCHAR[], status VARCHAR)"
        )
        con.executemany(
            "INSERT INTO relationships.relationships VALUES (?, ?, ?, ?, ?)", relationships
        )
    return con


FINDINGS = [
    ("customers", "email", "email", "mask"),
    ("customers", "phone", "phone", "mask"),
    ("customers", "born", "date_of_birth", "generalize"),
    ("customers", "zip", "postal_code", "generalize"),
    ("customers", "street", "postal_address", "drop"),
]


def test_strategies_mask_generalize_and_drop() -> None:
    con = _setup(FINDINGS)
    build_redacted_tables(con, RedactionOptions())
    rows = con.execute("SELECT * FROM redacted.customers ORDER BY _row").fetchall()
    # "+1 212 555 0100", "(312) 555-0101", "+1-415-555-0102", "020 7946 0003"
    assert [row[2] for row in rows] == [
        "*" * 11 + "0100",
        "*" * 10 + "0101",
        "*" * 11 + "0102",
        "*" * 9 + "0003",
    ]
    assert [row[3] for row in rows] == [
        dt.date(1980, 5, 1),
        dt.date(1991, 12, 1),
        None,
        dt.date(2001, 1, 1),
    ]
    assert [row[4] for row in rows] == ["941", "100", "SW1", None]
    columns = [
        name
        for (name,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'redacted' "
            "AND table_name = 'customers' ORDER BY column_index"
        ).fetchall()
    ]
    assert columns == ["_row", "email", "phone", "born", "zip"]
    OUTPUT_SCHEMAS["redactions"].validate(con.sql("SELECT * FROM redactions").df())
    changed = dict(con.execute("SELECT column_name, values_changed FROM redactions").fetchall())
    assert changed == {"email": 4, "phone": 4, "born": 3, "zip": 3, "street": 4}


def test_keyed_hash_is_hmac_sha256_and_foreign_keys_survive() -> None:
    relationship = ("orders", ["buyer"], "customers", ["email"], "accepted")
    con = _setup(FINDINGS, [relationship])
    build_redacted_tables(
        con, RedactionOptions(), key=lambda: KEY, relationships_database="relationships"
    )
    [(token,)] = con.execute("SELECT email FROM redacted.customers WHERE _row = 1").fetchall()
    assert token == hmac.new(KEY, email(0).encode(), hashlib.sha256).hexdigest()
    # the same join on real and on redacted tables: same row pairs
    join = (
        "SELECT o._row, c._row FROM {s}.orders o JOIN {s}.customers c ON o.buyer = c.email "
        "ORDER BY 1"
    )
    real = con.execute(join.format(s="typed_tables.typed")).fetchall()
    assert con.execute(join.format(s="redacted")).fetchall() == real == [(1, 1), (2, 1), (3, 4)]
    reasons = dict(con.execute("SELECT column_name, reason FROM redactions").fetchall())
    assert reasons["buyer"] == "joins customers.email: hashed on both sides so the join survives"


def test_a_needed_key_that_is_missing_is_a_clear_error() -> None:
    con = _setup(FINDINGS, [("orders", ["buyer"], "customers", ["email"], "accepted")])

    def missing() -> bytes:
        raise RedactionKeyError("set the environment variable DATARAUM_REDACTION_KEY")

    with pytest.raises(RedactionKeyError, match="DATARAUM_REDACTION_KEY"):
        build_redacted_tables(con, key=missing, relationships_database="relationships")
    with pytest.raises(RedactionKeyError, match=r"customers\.email, orders\.buyer"):
        build_redacted_tables(con, key=lambda: b"", relationships_database="relationships")
    # no column needs a hash: no key asked for
    build_redacted_tables(_setup(FINDINGS), key=missing)


def test_plan_overrides_and_bad_settings() -> None:
    findings = [Finding("t", "mail", "email", "mask"), Finding("t", "name", "person_name", "drop")]
    plan = plan_redactions(
        findings,
        [],
        RedactionOptions(strategies={"email": "keyed_hash"}, columns={"t.name": "keep"}),
    )
    assert {key: item.strategy for key, item in plan.items()} == {("t", "mail"): "keyed_hash"}
    chained = plan_redactions(
        findings[:1],
        [Relationship("u", ("mail",), "t", ("mail",)), Relationship("v", ("m",), "u", ("mail",))],
        RedactionOptions(),
    )
    assert {key: item.strategy for key, item in chained.items()} == {
        ("t", "mail"): "keyed_hash",
        ("u", "mail"): "keyed_hash",
        ("v", "m"): "keyed_hash",
    }
    with pytest.raises(RedactionPlanError, match="'scramble' for 'email'"):
        RedactionOptions(strategies={"email": "scramble"})
    con = _setup([("customers", "email", "email", "generalize")])
    with pytest.raises(RedactionPlanError, match=r"customers\.email: generalize applies"):
        build_redacted_tables(con)
