"""pii_findings against a plain DuckDB read of the same table (issue 8's target: within 3×).

Generates a table of ``--rows`` rows and 20 text columns (names, e-mails, phones, cards, IBANs,
IPs from published test vectors, checksum decoys, codes, free text) straight into a
typed_tables-like DuckDB file, then in the same process times

- **read**: DuckDB reading every column of the table once (``min(length(c))`` per column, so
  every string is materialized), and
- **pii_findings**: ``build_pii_findings`` on the same file,

and prints both, the ratio and PASS/FAIL against ``--target`` (3.0).

    .venv/bin/python bench/privacy.py --rows 1000000
"""

import argparse
import math
import tempfile
import time
from pathlib import Path

import duckdb

from dataraum_assets.analysis.pii_findings import build_pii_findings, load_options
from dataraum_assets.identifiers import quote_identifier

TABLE = "people"
# (column, SQL expression over i = 0..rows-1); values from published test vectors only.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("customer_email", "'user' || i || '@example.' || ['com', 'org', 'net'][i % 3 + 1]"),
    ("phone", "'+1 212 555 01' || lpad(CAST(i % 100 AS VARCHAR), 2, '0')"),
    ("card_number", "['4111111111111111', '5555555555554444', '378282246310005'][i % 3 + 1]"),
    ("iban", "['GB82WEST12345698765432', 'DE89370400440532013000'][i % 2 + 1]"),
    ("client_ip", "'192.0.2.' || (i % 256)"),
    ("contact_name", "['Jane Doe', 'John Roe', 'Maria Garcia'][i % 3 + 1]"),
    ("zip_code", "CAST(10000 + i % 89999 AS VARCHAR)"),
    ("tax_id", "['078-05-1120', '219-09-9999'][i % 2 + 1]"),
    ("ref_number", "lpad(CAST((i * 7919) % 9999999999999999 AS VARCHAR), 16, '4')"),
    ("wire_account", "'GB83WEST12345698765432'"),
    ("order_number", "'ORD-' || lpad(CAST(i AS VARCHAR), 9, '0')"),
    ("status", "['open', 'paid', 'void'][i % 3 + 1]"),
    ("city", "['Berlin', 'Paris', 'Lisbon', 'Oslo'][i % 4 + 1]"),
    ("sku", "'SKU-' || (i % 5000)"),
    ("note", "'delivered in ' || (i % 30) || ' days'"),
    ("country", "['DE', 'FR', 'PT', 'NO'][i % 4 + 1]"),
    ("channel", "['web', 'store', 'phone order'][i % 3 + 1]"),
    ("event_day", "'2024-' || lpad(CAST(1 + i % 12 AS VARCHAR), 2, '0') || '-15'"),
    ("batch", "CAST(20240101 + i % 28 AS VARCHAR)"),
    ("comment", "CASE WHEN i % 10 = 0 THEN NULL ELSE 'ok ' || (i % 97) END"),
)


def generate(path: Path, rows: int) -> None:
    """A typed_tables-like file: ``typed.people`` with ``_row`` and the 20 text columns."""
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA typed")
    select = ", ".join(f"{expression} AS {name}" for name, expression in COLUMNS)
    con.execute(
        f"CREATE TABLE typed.{TABLE} AS SELECT i + 1 AS _row, {select} "
        f"FROM range({int(rows)}) AS r(i)"
    )
    con.close()


def time_read(path: Path) -> float:
    con = duckdb.connect()
    con.execute(f"ATTACH '{path}' AS typed_tables (READ_ONLY)")
    columns = ", ".join(f"min(length({quote_identifier(name)}))" for name, _ in COLUMNS)
    started = time.perf_counter()
    con.execute(f"SELECT {columns} FROM typed_tables.typed.{TABLE}").fetchall()
    return time.perf_counter() - started


def time_pii(path: Path) -> tuple[float, int]:
    con = duckdb.connect()
    con.execute(f"ATTACH '{path}' AS typed_tables (READ_ONLY)")
    started = time.perf_counter()
    result = build_pii_findings(con, load_options())
    return time.perf_counter() - started, len(result.findings)


def run(rows: int, target: float, folder: Path) -> tuple[float, float, float, int]:
    path = folder / "typed_tables.duckdb"
    generate(path, rows)
    read = min(time_read(path) for _ in range(2))  # warm cache, best of two
    pii, found = time_pii(path)
    return read, pii, pii / read if read > 0 else math.inf, found


def main() -> None:
    parser = argparse.ArgumentParser(description="pii_findings against a plain DuckDB read")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--target", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        read, pii, ratio, found = run(args.rows, args.target, Path(folder))
    verdict = "PASS" if ratio <= args.target else "FAIL"
    print(  # noqa: T201 - a script's report
        f"rows={args.rows:,} columns={len(COLUMNS)} read={read:.2f}s pii_findings={pii:.2f}s "
        f"ratio={ratio:.2f} (target ≤ {args.target}) pii_columns={found} {verdict}"
    )


if __name__ == "__main__":
    main()
