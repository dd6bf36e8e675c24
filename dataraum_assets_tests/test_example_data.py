"""The bundled example source: reproducible byte for byte, and it keeps every injected problem.

Later stages (typing, relationships, quality, validations, PII) are demonstrated on these files,
so the counts below are pinned: a change to the generator that removes or adds a problem must
update the module docstring table and these numbers together.
"""

import csv
import datetime as dt
import functools
import math
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from dataraum_assets.example_data import (
    AS_OF,
    EXAMPLE_SOURCE_NAME,
    main,
    write_example_source,
)

EXAMPLE_FOLDER = Path(__file__).resolve().parents[1] / "examples" / EXAMPLE_SOURCE_NAME
TABLES = (
    "chart_of_accounts",
    "customers",
    "vendors",
    "products",
    "employees",
    "invoices",
    "invoice_lines",
    "payments",
    "bills",
    "vendor_payments",
    "journal_lines",
)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
US_DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")


@functools.cache
def _rows(table: str) -> list[dict[str, str]]:
    path = EXAMPLE_FOLDER / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _column(table: str, column: str) -> list[str]:
    return [row[column] for row in _rows(table)]


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(",", "").removeprefix("$"))


def _iso(text: str) -> str:
    if US_DATE.match(text):
        return dt.datetime.strptime(text, "%m/%d/%Y").date().isoformat()
    return text


def _median(values: list[Decimal]) -> Decimal:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _orphans(child: str, column: str, parent: str, key: str) -> list[str]:
    keys = set(_column(parent, key))
    return sorted(v for v in _column(child, column) if v and v != "NULL" and v not in keys)


# ---- reproducibility ---------------------------------------------------------------------


def test_regenerated_files_are_byte_identical_to_committed(tmp_path: Path) -> None:
    paths = write_example_source(tmp_path)

    committed = sorted(p.name for p in EXAMPLE_FOLDER.glob("*.csv"))
    assert sorted(p.name for p in paths) == committed
    for path in paths:
        assert path.read_bytes() == (EXAMPLE_FOLDER / path.name).read_bytes(), path.name


def test_write_example_source_returns_one_file_per_table_in_order(tmp_path: Path) -> None:
    paths = write_example_source(tmp_path / "nested" / "folder")

    assert [p.name for p in paths] == [f"{t}.csv" for t in TABLES]
    assert all(p.parent == tmp_path / "nested" / "folder" for p in paths)


def test_main_writes_the_files_and_lists_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path)]) == 0

    listed = capsys.readouterr().out.splitlines()
    assert listed == [str(tmp_path / f"{t}.csv") for t in TABLES]
    assert (tmp_path / "journal_lines.csv").read_bytes() == (
        EXAMPLE_FOLDER / "journal_lines.csv"
    ).read_bytes()


def test_files_are_utf8_with_lf_line_ends_and_minimal_quoting() -> None:
    for table in TABLES:
        data = (EXAMPLE_FOLDER / f"{table}.csv").read_bytes()
        assert b"\r" not in data, table
        assert not data.startswith(b"\xef\xbb\xbf"), table
        data.decode("utf-8")
    customers = (EXAMPLE_FOLDER / "customers.csv").read_text(encoding="utf-8")
    assert any(ord(ch) > 127 for ch in customers)  # French shop names exercise UTF-8
    quoted = re.findall(r'"([^"]*)"', customers)
    assert quoted
    assert all("," in value for value in quoted)  # minimal quoting: only where needed


def test_table_row_counts() -> None:
    counts = {table: len(_rows(table)) for table in TABLES}

    assert counts == {
        "chart_of_accounts": 34,
        "customers": 300,
        "vendors": 60,
        "products": 115,
        "employees": 40,
        "invoices": 1455,
        "invoice_lines": 3892,
        "payments": 1331,
        "bills": 600,
        "vendor_payments": 607,
        "journal_lines": 4131,
    }


# ---- keys and references -----------------------------------------------------------------


def test_orphan_foreign_keys() -> None:
    assert _orphans("invoices", "customer_id", "customers", "customer_id") == [
        "C-0317",
        "C-0342",
    ]
    assert _orphans("payments", "invoice_number", "invoices", "invoice_number") == [
        "INV-2023-01187",
        "INV-2023-01204",
        "INV-2023-01219",
    ]
    assert _orphans("vendor_payments", "bill_id", "bills", "bill_id") == [
        "BILL-09113",
        "BILL-09120",
    ]
    assert _orphans("invoice_lines", "sku", "products", "sku") == ["HC-0904", "PB-0872"]
    assert _orphans("journal_lines", "account_number", "chart_of_accounts", "account_number") == [
        "9999",
        "9999",
    ]


def test_clean_foreign_keys_have_no_orphans() -> None:
    assert _orphans("invoice_lines", "invoice_number", "invoices", "invoice_number") == []
    assert _orphans("bills", "vendor_id", "vendors", "vendor_id") == []
    assert _orphans("bills", "account_number", "chart_of_accounts", "account_number") == []
    assert _orphans("vendor_payments", "vendor_id", "vendors", "vendor_id") == []
    assert _orphans("employees", "manager_id", "employees", "employee_id") == []
    assert _orphans("invoices", "sales_rep_id", "employees", "employee_id") == []


def test_sales_rep_id_is_a_foreign_key_to_sales_employees_hired_before_the_invoice() -> None:
    employees = {row["employee_id"]: row for row in _rows("employees")}
    reps = [row for row in _rows("invoices") if row["sales_rep_id"] not in ("", "NULL")]

    assert len(reps) > 1200
    for invoice in reps:
        employee = employees[invoice["sales_rep_id"]]
        assert employee["department"] == "Sales"
        assert employee["hire_date"] <= invoice["invoice_date"]


def test_employees_form_one_tree_under_the_ceo() -> None:
    managers = {row["employee_id"]: row["manager_id"] for row in _rows("employees")}

    assert [e for e, m in managers.items() if m == ""] == ["101"]
    for employee in managers:
        seen: set[str] = set()
        while managers[employee]:
            assert employee not in seen
            seen.add(employee)
            employee = managers[employee]
        assert employee == "101"


def test_one_invoice_number_is_shared_by_two_different_invoices() -> None:
    numbers = Counter(_column("invoices", "invoice_number"))
    duplicated = [n for n, count in numbers.items() if count > 1]

    assert duplicated == ["INV-2024-00702"]
    first, second = [r for r in _rows("invoices") if r["invoice_number"] == duplicated[0]]
    assert first["customer_id"] != second["customer_id"]
    # The lines of both invoices stay unique on (invoice_number, line_no).
    line_keys = Counter((r["invoice_number"], r["line_no"]) for r in _rows("invoice_lines"))
    assert max(line_keys.values()) == 1


def test_primary_keys_are_unique_elsewhere() -> None:
    for table, key in (
        ("chart_of_accounts", "account_number"),
        ("customers", "customer_id"),
        ("vendors", "vendor_id"),
        ("products", "sku"),
        ("employees", "employee_id"),
        ("bills", "bill_id"),
        ("vendor_payments", "vendor_payment_id"),
    ):
        values = _column(table, key)
        assert len(set(values)) == len(values), table
    journal_keys = Counter((r["journal_id"], r["line_no"]) for r in _rows("journal_lines"))
    assert max(journal_keys.values()) == 1


def test_payments_have_four_exact_duplicate_rows_and_no_other_table_has_any() -> None:
    for table in TABLES:
        rows = [tuple(row.values()) for row in _rows(table)]
        duplicates = len(rows) - len(set(rows))
        assert duplicates == (4 if table == "payments" else 0), table
    ids = Counter(_column("payments", "payment_id"))
    assert sum(1 for count in ids.values() if count == 2) == 4


# ---- values ------------------------------------------------------------------------------


def test_null_tokens_and_placeholders() -> None:
    phone_tokens = Counter(v for v in _column("customers", "phone") if v in ("", "N/A", "n/a"))
    assert phone_tokens == {"": 6, "N/A": 4, "n/a": 3}
    assert _column("vendors", "email").count("NULL") == 3
    assert _column("invoices", "sales_rep_id").count("NULL") == 4
    assert _column("payments", "method").count("N/A") == 5
    assert _column("products", "category").count("-") == 2
    assert _column("customers", "postal_code").count("-") == 2
    assert _column("employees", "manager_id").count("") == 1
    # Web orders of individual customers have no sales rep: a real, not a token, null.
    customers = {r["customer_id"]: r["segment"] for r in _rows("customers")}
    web = [r for r in _rows("invoices") if r["sales_rep_id"] == ""]
    assert len(web) == 105
    assert {customers[r["customer_id"]] for r in web} == {"Individual"}


def test_payment_date_mixes_iso_and_us_formats() -> None:
    dates = _column("payments", "payment_date")
    us = [d for d in dates if US_DATE.match(d)]

    assert len(us) == 12
    assert all(ISO_DATE.match(d) for d in dates if d not in us)
    # Days above 12 show that the minority format is month/day/year.
    assert any(int(d[3:5]) > 12 for d in us)


def test_unparseable_quantities_stay_well_under_the_quarantine_limit() -> None:
    quantities = _column("invoice_lines", "quantity")
    assert sorted(q for q in quantities if not q.isdigit()) == ["1O", "six", "twelve"]

    # Cells that a strict cast must quarantine, per table: far below 5% of the cells.
    quarantined = {
        "invoice_lines": 3,
        "payments": sum(1 for d in _column("payments", "payment_date") if US_DATE.match(d)),
    }
    for table, cells in quarantined.items():
        rows = _rows(table)
        assert cells / (len(rows) * len(rows[0])) < 0.01, table


def test_invoice_status_has_a_rare_misspelling() -> None:
    statuses = Counter(_column("invoices", "status"))

    assert set(statuses) == {"draft", "sent", "paid", "overdue", "void", "payed"}
    assert statuses["payed"] == 2
    assert Counter(_column("bills", "status")).keys() == {"open", "paid", "overdue", "void"}


def test_exactly_one_date_lies_after_the_as_of_date() -> None:
    as_of = AS_OF.isoformat()
    future = [r for r in _rows("invoices") if r["invoice_date"] > as_of]

    assert [(r["invoice_number"], r["invoice_date"]) for r in future] == [
        ("INV-2025-00354", "2026-05-09")
    ]
    assert max(_iso(d) for d in _column("payments", "payment_date")) <= as_of
    assert max(_column("bills", "bill_date")) <= as_of
    assert max(_column("vendor_payments", "payment_date")) <= as_of
    assert max(_column("journal_lines", "entry_date")) <= as_of
    assert max(_column("customers", "created_at")) <= as_of


def test_payments_dated_before_their_invoice() -> None:
    invoice_dates: dict[str, str] = {}
    for row in _rows("invoices"):
        invoice_dates.setdefault(row["invoice_number"], row["invoice_date"])
    early = [
        row["payment_id"]
        for row in _rows("payments")
        if row["invoice_number"] in invoice_dates
        and _iso(row["payment_date"]) < invoice_dates[row["invoice_number"]]
    ]

    assert len(early) == 2


def test_postal_codes_with_leading_zeros() -> None:
    codes = _column("customers", "postal_code")

    assert sum(1 for c in codes if c.startswith("0")) == 54
    assert {"02108", "0800", "01000"} & set(codes)


def test_formatted_amounts() -> None:
    prices = _column("products", "unit_price")
    assert all(re.fullmatch(r"\$\d+\.\d{2}", p) for p in prices)

    amounts = _column("bills", "amount")
    grouped = [a for a in amounts if "," in a]
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})+\.\d{2}", a) for a in grouped)
    assert all(re.fullmatch(r"\d{1,3}\.\d{2}", a) for a in amounts if a not in grouped)
    assert len(grouped) == 320

    assert all(re.fullmatch(r"\d+\.\d{2}%", r["tax_rate"]) for r in _rows("invoices"))


def test_amount_outliers() -> None:
    nets = [_amount(v) for v in _column("invoices", "net_amount")]
    median = _median(nets)
    assert sum(1 for v in nets if v > 50 * median) == 4
    assert sum(1 for v in nets if v > 30 * median) == 4

    bills = [_amount(v) for v in _column("bills", "amount")]
    median = _median(bills)
    assert sum(1 for v in bills if v > 40 * median) == 3
    assert sum(1 for v in bills if v > 30 * median) == 3

    bulk = [q for q in _column("invoice_lines", "quantity") if q.isdigit() and int(q) >= 300]
    assert len(bulk) == 4


def test_malformed_emails() -> None:
    emails = [e for e in _column("customers", "email") if e]
    well_formed = re.compile(r"[a-z0-9.]+@example\.(com|org|net)")

    assert len([e for e in emails if not well_formed.fullmatch(e)]) == 2


def test_contact_data_uses_reserved_domains_and_fictional_phone_ranges() -> None:
    fictional = re.compile(
        r"(\+1[- ])?\(?\d{3}\)?[-. ]555[-. ]01\d{2}"
        r"|(\+44 |0)(20 7946 0\d{3}|(161|121|131) 496 0\d{3}|7700 900\d{3})"
        r"|(\+61 [2378]|\(0[2378]\)) 5550 \d{4}"
        r"|(\+33 |0)(1 99 00|4 65 71) \d{2} \d{2}"
    )
    phones = _column("customers", "phone") + _column("vendors", "phone")
    for phone in phones:
        if phone not in ("", "N/A", "n/a"):
            assert fictional.fullmatch(phone), phone
    emails = _column("customers", "email") + _column("vendors", "email")
    emails += _column("employees", "email")
    for email in emails:
        if "@" in email:
            assert re.search(r"@([a-z0-9-]+\.)?example(\.(com|org|net))?$", email), email
    # Both national and international spellings occur.
    assert any(p.startswith("+") for p in phones)
    assert any(p.startswith(("(", "0")) for p in phones)


# ---- business logic ----------------------------------------------------------------------


def test_journal_entries_balance_except_three() -> None:
    sums: dict[str, list[Decimal]] = {}
    for row in _rows("journal_lines"):
        entry = sums.setdefault(row["journal_id"], [Decimal(0), Decimal(0)])
        entry[0] += _amount(row["debit"])
        entry[1] += _amount(row["credit"])
    unbalanced = {j: d - c for j, (d, c) in sums.items() if d != c}

    assert len(unbalanced) == 3
    lines = Counter(r["journal_id"] for r in _rows("journal_lines"))
    assert sorted(lines[j] for j in unbalanced) == [1, 2, 2]  # one entry lost a line


def test_fiscal_periods_are_continuous_and_match_dates_except_one_adjustment() -> None:
    periods = sorted(set(_column("journal_lines", "fiscal_period")))
    expected = [f"{2024 + i // 12}-{i % 12 + 1:02d}" for i in range(18)]
    assert periods == expected

    mismatched = {
        r["journal_id"] for r in _rows("journal_lines") if r["entry_date"][:7] != r["fiscal_period"]
    }
    assert len(mismatched) == 1


def test_invoice_amounts_are_derived() -> None:
    lines_by_invoice: dict[str, Decimal] = {}
    for line in _rows("invoice_lines"):
        number = line["invoice_number"]
        lines_by_invoice[number] = lines_by_invoice.get(number, Decimal(0)) + _amount(
            line["line_amount"]
        )
    numbers = Counter(_column("invoices", "invoice_number"))
    for invoice in _rows("invoices"):
        net, tax = _amount(invoice["net_amount"]), _amount(invoice["tax_amount"])
        assert net + tax == _amount(invoice["total_amount"])
        rate = Decimal(invoice["tax_rate"].removesuffix("%")) / 100
        assert abs(net * rate - tax) <= Decimal("0.01")
        if numbers[invoice["invoice_number"]] == 1:
            assert lines_by_invoice[invoice["invoice_number"]] == net


def test_order_to_cash_and_procure_to_pay_close_on_paid_documents() -> None:
    paid: dict[str, Decimal] = {}
    for row in {tuple(r.items()): r for r in _rows("payments")}.values():
        paid[row["invoice_number"]] = paid.get(row["invoice_number"], Decimal(0)) + _amount(
            row["amount"]
        )
    numbers = Counter(_column("invoices", "invoice_number"))
    for invoice in _rows("invoices"):
        if numbers[invoice["invoice_number"]] > 1:
            continue
        received = paid.get(invoice["invoice_number"], Decimal(0))
        if invoice["status"] in ("paid", "payed"):
            assert received == _amount(invoice["total_amount"])
        elif invoice["status"] in ("draft", "void"):
            assert received == 0
        else:
            assert received < _amount(invoice["total_amount"])

    settled: dict[str, Decimal] = {}
    for row in _rows("vendor_payments"):
        settled[row["bill_id"]] = settled.get(row["bill_id"], Decimal(0)) + _amount(row["amount"])
    for bill in _rows("bills"):
        if bill["status"] == "paid":
            assert settled[bill["bill_id"]] == _amount(bill["amount"])
        elif bill["status"] == "void":
            assert bill["bill_id"] not in settled


def _benford_mad(values: list[Decimal]) -> float:
    digits = Counter(str(v).lstrip("0.")[0] for v in values if v > 0)
    total = sum(digits.values())
    return sum(abs(digits[str(d)] / total - math.log10(1 + 1 / d)) for d in range(1, 10)) / 9


def test_amount_columns_support_benford_tests() -> None:
    for table, column in (
        ("invoices", "total_amount"),
        ("invoice_lines", "line_amount"),
        ("payments", "amount"),
        ("bills", "amount"),
        ("vendor_payments", "amount"),
        ("journal_lines", "debit"),
    ):
        assert sum(1 for v in _column(table, column) if _amount(v) > 0) >= 100, table
    # Nigrini's "acceptable conformity" bound for first digits.
    assert _benford_mad([_amount(v) for v in _column("invoices", "total_amount")]) < 0.012
    assert _benford_mad([_amount(v) for v in _column("payments", "amount")]) < 0.012
