"""synthetic_tables: distributions, null rates, correlations, FK integrity, no PII row equal to
a real one, determinism, and the fidelity report."""

import duckdb
import numpy as np
import pandas as pd
import pytest

from dataraum_assets.analysis.synthetic_tables import (
    OUTPUT_SCHEMAS,
    SyntheticOptions,
    build_synthetic_tables,
    iban_check_digits,
    luhn_check_digit,
)
from dataraum_assets_tests.privacy_data import create_typed_tables, email, luhn_ok

N = 2000


def _source() -> duckdb.DuckDBPyConnection:
    rng = np.random.default_rng(1)
    x = rng.normal(100, 15, N)
    customers = pd.DataFrame(
        {
            "customer_id": [f"C-{i:05d}" for i in range(1, 301)],
            "email": [email(i) for i in range(300)],
            "segment": rng.choice(["retail", "corporate", "library"], 300, p=[0.6, 0.3, 0.1]),
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1, N + 1),
            "customer_id": [f"C-{i:05d}" for i in rng.integers(1, 301, N)],
            "amount": x,
            "tax": np.where(rng.random(N) < 0.1, np.nan, x * 0.2 + rng.normal(0, 1, N)),
        }
    )
    con = duckdb.connect()
    create_typed_tables(con, {"customers": customers, "orders": orders})
    con.execute("ATTACH ':memory:' AS pii_findings")
    con.execute(
        "CREATE TABLE pii_findings.pii_findings AS SELECT 'customers' AS table_name, "
        "'email' AS column_name, 'email' AS pii_kind"
    )
    con.execute("ATTACH ':memory:' AS statistical_profiles")
    con.execute(
        "CREATE TABLE statistical_profiles.column_profiles (table_name VARCHAR, column_name "
        "VARCHAR, null_ratio DOUBLE, is_unique BOOLEAN)"
    )
    con.executemany(
        "INSERT INTO statistical_profiles.column_profiles VALUES (?, ?, ?, ?)",
        [
            ("customers", "customer_id", 0.0, True),
            ("customers", "email", 0.0, True),
            ("customers", "segment", 0.0, False),
            ("orders", "order_id", 0.0, True),
            ("orders", "customer_id", 0.0, False),
            ("orders", "amount", 0.0, True),
            ("orders", "tax", 0.1, False),
        ],
    )
    con.execute("ATTACH ':memory:' AS relationships")
    con.execute(
        "CREATE TABLE relationships.relationships AS SELECT 'orders' AS child_table, "
        "['customer_id'] AS child_columns, 'customers' AS parent_table, ['customer_id'] AS "
        "parent_columns, 'accepted' AS status"
    )
    return con


@pytest.fixture(scope="module")
def synthesized() -> duckdb.DuckDBPyConnection:
    con = _source()
    build_synthetic_tables(con, SyntheticOptions(seed=3), relationships_database="relationships")
    return con


def test_fidelity_report_within_bounds(synthesized: duckdb.DuckDBPyConnection) -> None:
    con = synthesized
    for name, schema in OUTPUT_SCHEMAS.items():
        schema.validate(con.sql(f"SELECT * FROM {name}").df())
    tables = {row[0]: row for row in con.execute("SELECT * FROM table_fidelity").fetchall()}
    assert tables["orders"][2] == N and tables["customers"][2] == 300
    assert tables["orders"][10] == 1.0  # FK integrity
    assert tables["orders"][7] < 0.1  # |Δ corr(amount, tax)|
    columns = {
        (t, c): (method, metric, distance, real_null, synthetic_null)
        for t, c, method, metric, distance, real_null, synthetic_null in con.execute(
            "SELECT * FROM column_fidelity"
        ).fetchall()
    }
    assert columns[("orders", "customer_id")][0] == "foreign_key"
    assert columns[("customers", "email")][:3] == ("pii", None, None)
    assert columns[("orders", "amount")][1] == "ks" and columns[("orders", "amount")][2] < 0.05
    assert columns[("customers", "segment")][1] == "total_variation"
    assert columns[("customers", "segment")][2] < 0.1
    assert abs(columns[("orders", "tax")][4] - 0.1) < 0.03


def test_foreign_keys_join_and_pii_is_never_real(synthesized: duckdb.DuckDBPyConnection) -> None:
    con = synthesized
    [(orphans,)] = con.execute(
        "SELECT count(*) FROM synthetic.orders o ANTI JOIN synthetic.customers c "
        "USING (customer_id)"
    ).fetchall()
    assert orphans == 0
    [(equal,)] = con.execute(
        "SELECT count(*) FROM synthetic.customers s JOIN typed_tables.typed.customers r "
        "ON s.email = r.email"
    ).fetchall()
    assert equal == 0
    keys = [k for (k,) in con.execute("SELECT customer_id FROM synthetic.customers").fetchall()]
    assert len(set(keys)) == 300 and keys[0] == "C-00001"


def test_same_seed_same_rows() -> None:
    first, second = _source(), _source()
    for con in (first, second):
        build_synthetic_tables(
            con, SyntheticOptions(seed=3, rows=50), relationships_database="relationships"
        )
    query = "SELECT * FROM synthetic.orders ORDER BY _row"
    assert first.execute(query).fetchall() == second.execute(query).fetchall()
    assert len(first.execute(query).fetchall()) == 50


def test_generated_checksums_are_valid() -> None:
    partial = "400000123456789"
    assert luhn_ok(partial + luhn_check_digit(partial))
    # the registry's example: GB82 WEST 1234 5698 7654 32
    assert iban_check_digits("GB", "WEST12345698765432") == "82"
