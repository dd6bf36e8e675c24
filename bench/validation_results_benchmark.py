"""Time validation_results on a generated ledger, invoices and payments of a given size.

Builds the typed tables, their semantic annotations and accepted relationships directly in a
DuckDB file (no CSV, no upstream stages: only the checks are measured), runs every shipped check
and prints wall time per check and in total as JSON. One unbalanced entry, one early payment
and one orphan payment are planted so the failing paths (samples) are measured too.

    .venv/bin/python bench/validation_results_benchmark.py --lines 2000000
"""

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb

from dataraum_assets.analysis.validation_results import (
    ValidationOptions,
    build_validation_results,
)
from dataraum_assets.identifiers import quote_identifier, quote_literal

AS_OF = dt.date(2025, 6, 30)
ANNOTATIONS = (
    ("journal_lines", "journal_id", "identifier", "journal_entry"),
    ("journal_lines", "line_no", "identifier", None),
    ("journal_lines", "account_number", "foreign_key", "account"),
    ("journal_lines", "entry_date", "timestamp", "transaction_date"),
    ("journal_lines", "fiscal_period", "timestamp", "fiscal_period"),
    ("journal_lines", "debit", "measure", "debit"),
    ("journal_lines", "credit", "measure", "credit"),
    ("chart_of_accounts", "account_number", "key", "account"),
    ("chart_of_accounts", "normal_balance", "dimension", "normal_balance"),
    ("invoices", "invoice_number", "key", "invoice"),
    ("invoices", "invoice_date", "timestamp", "invoice_date"),
    ("invoices", "due_date", "timestamp", "due_date"),
    ("invoices", "total_amount", "measure", "amount"),
    ("payments", "payment_id", "key", "payment"),
    ("payments", "invoice_number", "foreign_key", "invoice"),
    ("payments", "payment_date", "timestamp", "payment_date"),
    ("payments", "amount", "measure", "amount"),
)
RELATIONSHIPS = (
    ("journal_lines", "account_number", "chart_of_accounts", "account_number"),
    ("payments", "invoice_number", "invoices", "invoice_number"),
)


def build_source(con: duckdb.DuckDBPyConnection, lines: int) -> None:
    """Create ``typed_tables``, ``semantic_annotations`` and ``relationships`` databases in
    ``con`` (attached in-process) holding a ledger of ``lines`` lines (two per entry) and
    ``lines // 4`` invoices and payments."""
    entries = max(lines // 2, 2)
    documents = max(lines // 4, 2)
    con.execute("CREATE SCHEMA typed_tables.typed")
    con.execute(
        "CREATE TABLE typed_tables.typed.chart_of_accounts AS "
        "SELECT row_number() OVER () AS _row, 1000 + 100 * i AS account_number, "
        "CASE WHEN i < 10 THEN 'debit' ELSE 'credit' END AS normal_balance FROM range(20) t(i)"
    )
    # Entry e debits account (e % 10) and credits account 10 + (e % 10); entry 1 is unbalanced.
    con.execute(
        "CREATE TABLE typed_tables.typed.journal_lines AS "
        "SELECT row_number() OVER () AS _row, 'JE-' || lpad(CAST(e AS VARCHAR), 9, '0') AS "
        "journal_id, side + 1 AS line_no, "
        "1000 + 100 * (CASE WHEN side = 0 THEN e % 10 ELSE 10 + e % 10 END) AS account_number, "
        "DATE '2020-01-01' + CAST(e * 2000 // $entries AS INTEGER) AS entry_date, "
        "CAST(date_trunc('month', DATE '2020-01-01' + CAST(e * 2000 // $entries AS INTEGER)) "
        "AS DATE) AS fiscal_period, "
        "CASE WHEN side = 0 THEN 10.0 + e % 97 + CASE WHEN e = 1 THEN 9 ELSE 0 END ELSE 0 END "
        "AS debit, CASE WHEN side = 1 THEN 10.0 + e % 97 ELSE 0 END AS credit "
        "FROM range($entries) a(e), range(2) b(side)",
        {"entries": entries},
    )
    con.execute(
        "CREATE TABLE typed_tables.typed.invoices AS "
        "SELECT row_number() OVER () AS _row, 'INV-' || CAST(i AS VARCHAR) AS invoice_number, "
        "DATE '2020-01-01' + CAST(i * 1990 // $documents AS INTEGER) AS invoice_date, "
        "DATE '2020-01-31' + CAST(i * 1990 // $documents AS INTEGER) AS due_date, "
        "10.0 + i % 997 AS total_amount FROM range($documents) t(i)",
        {"documents": documents},
    )
    # Payment 0 predates its invoice; the last payment references a missing invoice.
    con.execute(
        "CREATE TABLE typed_tables.typed.payments AS "
        "SELECT row_number() OVER () AS _row, 'PMT-' || CAST(i AS VARCHAR) AS payment_id, "
        "'INV-' || CAST(CASE WHEN i = $documents - 1 THEN -1 ELSE i END AS VARCHAR) "
        "AS invoice_number, "
        "DATE '2020-01-05' + CAST(i * 1990 // $documents AS INTEGER) "
        "- CASE WHEN i = 0 THEN 30 ELSE 0 END AS payment_date, "
        "10.0 + i % 997 AS amount FROM range($documents) t(i)",
        {"documents": documents},
    )
    con.execute(
        "CREATE TABLE semantic_annotations.column_annotations (table_name VARCHAR, "
        "column_name VARCHAR, role VARCHAR, concept VARCHAR, unit_column VARCHAR, "
        "naming_clarity VARCHAR, evidence VARCHAR)"
    )
    con.executemany(
        "INSERT INTO semantic_annotations.column_annotations (table_name, column_name, role, "
        "concept) VALUES (?, ?, ?, ?)",
        [list(row) for row in ANNOTATIONS],
    )
    con.execute(
        "CREATE TABLE semantic_annotations.table_annotations (table_name VARCHAR, kind VARCHAR, "
        "grain_columns VARCHAR[], time_column VARCHAR, evidence VARCHAR)"
    )
    con.execute(
        "INSERT INTO semantic_annotations.table_annotations VALUES "
        "('journal_lines', 'fact', ['journal_id', 'line_no'], 'entry_date', 'bench')"
    )
    con.execute(
        "CREATE TABLE relationships.relationships (child_table VARCHAR, child_columns VARCHAR[], "
        "parent_table VARCHAR, parent_columns VARCHAR[], status VARCHAR)"
    )
    con.executemany(
        "INSERT INTO relationships.relationships VALUES (?, ?, ?, ?, 'accepted')",
        [[child, [c], parent, [p]] for child, c, parent, p in RELATIONSHIPS],
    )


def measure(lines: int, workdir: Path) -> dict[str, object]:
    """Build the source under ``workdir`` and time the shipped checks over it."""
    con = duckdb.connect(str(workdir / "validation_results.duckdb"))
    for name in ("typed_tables", "semantic_annotations", "relationships"):
        path = quote_literal(str(workdir / f"{name}.duckdb"))
        con.execute(f"ATTACH {path} AS {quote_identifier(name)}")
    started = time.perf_counter()
    build_source(con, lines)
    built = time.perf_counter() - started
    marks: list[tuple[str, float]] = []
    started = time.perf_counter()
    summary = build_validation_results(
        con,
        ValidationOptions(as_of=AS_OF),
        progress=lambda message: marks.append((message, time.perf_counter())),
    )
    total = time.perf_counter() - started
    per_check: dict[str, float] = {}
    previous = started
    for message, at in marks:
        per_check[message.split(" ")[2].rstrip(":")] = round(at - previous, 3)
        previous = at
    con.close()
    return {
        "lines": lines,
        "build_seconds": round(built, 3),
        "checks_seconds": round(total, 3),
        "per_check_seconds": per_check,
        "counts": dict(summary.counts),
        "failed": sorted(
            {f"{r.check_id}:{r.table_name}" for r in summary.results if r.status == "failed"}
        ),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=2_000_000, help="ledger lines")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="validation-bench-") as folder:
        result = measure(args.lines, Path(folder))
    print(json.dumps(result, indent=2))  # noqa: T201 - the script's output
    return 0


if __name__ == "__main__":
    sys.exit(main())
