"""The bundled example source ``acme_books``: a deterministic, deliberately messy business data set.

Acme Books is a fictional publisher and distributor that sells print books, e-books, audiobooks
and stationery to bookshops, libraries, schools, companies and individuals in five countries.
The generator writes 18 months of its activity (2024-01-01 .. 2025-06-30, "as of" 2025-06-30)
as eleven CSV files. Everything comes from ``random.Random(SEED)`` and integer arithmetic on
cents, so every run on every machine writes byte-identical files (UTF-8, ``\\n`` line ends,
minimal quoting).

Tables and what links them:

| table | key | references |
| --- | --- | --- |
| chart_of_accounts | account_number | |
| customers | customer_id | |
| vendors | vendor_id | |
| products | sku | |
| employees | employee_id | manager_id -> employee_id (self-reference) |
| invoices | invoice_number | customer_id, sales_rep_id -> employees.employee_id |
| invoice_lines | (invoice_number, line_no) | invoice_number, sku |
| payments | payment_id | invoice_number |
| bills | bill_id | vendor_id, account_number |
| vendor_payments | vendor_payment_id | bill_id, vendor_id |
| journal_lines | (journal_id, line_no) | account_number |

Business processes visible in the data: order-to-cash (invoice -> invoice lines -> payments;
invoice status draft/sent/paid/overdue/void), procure-to-pay (bill -> vendor payment in Friday
payment runs; bill status open/paid/overdue/void) and period close (journal_lines: daily sales
and receipts summaries, one posting per bill, payment runs, monthly payroll, depreciation, cost
of goods sold, royalty accrual, accrued fees and their reversal, sales-tax remittance, loan
instalments). Volumes grow through the period and peak in Aug-Sep (schools) and Nov-Dec
(holidays); rent steps up in 2025-01. Amounts are log-normal, so Benford tests are meaningful.
Non-USD invoices are converted to USD in the ledger at fixed rates (``USD_PER_UNIT``).
Benford: invoices, invoice lines and payments conform closely (MAD < 0.012, n > 1,000);
bills and vendor payments conform less well because they include recurring fixed amounts
(rent, subscriptions), which is how real payables look.

Injected problems (exact counts; ``dataraum_assets_tests/test_example_data.py`` pins them):

| table | column | problem | count |
| --- | --- | --- | --- |
| invoices | customer_id | orphan: customer id not in customers (C-0317, C-0342) | 2 rows |
| invoices | invoice_number | key violation: two different invoices share one number | 1 number |
| invoices | status | misspelled rare value ``payed`` | 2 rows |
| invoices | invoice_date | date in the future (year typed as 2026) | 1 row |
| invoices | sales_rep_id | null token ``NULL`` (empty = web order, a legitimate null) | 4 rows |
| invoices | net_amount, total_amount | outliers 50-100x the median (bulk orders) | 4 rows |
| invoice_lines | quantity | unparseable text ``twelve``, ``six``, ``1O`` | 3 rows |
| invoice_lines | quantity | bulk quantities behind the invoice outliers | 4 rows |
| invoice_lines | sku | orphan: discontinued SKU not in products | 2 rows |
| payments | invoice_number | orphan: invoice from the pre-migration system | 3 rows |
| payments | (all) | exact duplicate rows (double-imported) | 4 rows |
| payments | payment_date | US ``MM/DD/YYYY`` among ISO dates | 12 rows |
| payments | payment_date | payment earlier than its invoice date | 2 rows |
| payments | method | null token ``N/A`` | 5 rows |
| customers | phone | null tokens: empty 6, ``N/A`` 4, ``n/a`` 3 | 13 rows |
| customers | phone | mixed national / international formats (by design) | all rows |
| customers | email | malformed (no ``@`` / no top-level domain) | 2 rows |
| customers | postal_code | placeholder ``-`` | 2 rows |
| customers | postal_code | codes with leading zeros (must stay text) | 54 rows |
| vendors | email | null token ``NULL`` | 3 rows |
| products | unit_price | currency symbol ``$12.50`` (by design) | all rows |
| products | category | placeholder ``-`` | 2 rows |
| bills | amount | thousands separators ``1,234.50`` (by design) | 320 rows (>= 1,000) |
| bills | amount | outliers 45-95x the median (big print runs, a forklift) | 3 rows |
| vendor_payments | bill_id | orphan: bill from the legacy system | 2 rows |
| journal_lines | debit, credit | unbalanced: transposed digits, missing line, typo | 3 entries |
| journal_lines | account_number | orphan: suspense account 9999 not in the chart | 2 rows |
| journal_lines | fiscal_period | entry posted to the prior period (year-end adjustment) | 1 entry |
| employees | manager_id | empty for the CEO (a legitimate null) | 1 row |

Contact data is fake: person names come from small built-in lists, e-mail addresses use the
reserved ``example.com`` / ``example.org`` / ``example.net`` domains and phone numbers come from
ranges reserved for fiction (North America 555-01xx, UK Ofcom drama numbers, Australian
5550 xxxx, French ARCEP fiction blocks).
"""

import argparse
import csv
import datetime as dt
import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

EXAMPLE_SOURCE_NAME = "acme_books"
AS_OF = dt.date(2025, 6, 30)
PERIOD_START = dt.date(2024, 1, 1)
SEED = 20250630

# USD per unit of currency, in ten-thousandths; fixed so the ledger conversion is reproducible.
USD_PER_UNIT: dict[str, int] = {
    "USD": 10000,
    "CAD": 7300,
    "GBP": 12700,
    "AUD": 6600,
    "EUR": 10800,
}

_MONTHS: tuple[tuple[int, int], ...] = tuple((2024 + (i // 12), i % 12 + 1) for i in range(18))
# Relative invoice volume per calendar month: back-to-school (Aug-Sep) and holiday (Nov-Dec).
_SEASON = (0.80, 0.85, 0.95, 0.95, 1.00, 0.90, 0.85, 1.20, 1.25, 1.05, 1.20, 1.30)
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_FIRST_NAMES = (
    "Alice", "Amir", "Ana", "Ben", "Carla", "Chen", "Daniel", "Deepa", "Elena", "Emeka",
    "Farah", "Felix", "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jonas", "Julia", "Kenji",
    "Laila", "Leo", "Maya", "Marco", "Nadia", "Noah", "Olga", "Omar", "Priya", "Rafael",
    "Rosa", "Sam", "Sofia", "Tariq", "Tomas", "Uma", "Victor", "Wen", "Yara", "Zoe",
)  # fmt: skip
_LAST_NAMES = (
    "Abbott", "Alvarez", "Bauer", "Bianchi", "Brooks", "Carter", "Chowdhury", "Dubois",
    "Eriksen", "Fischer", "Garcia", "Hansen", "Hughes", "Ibrahim", "Jensen", "Kaur",
    "Kowalski", "Larsen", "Lindqvist", "Mahoney", "Moreau", "Nakamura", "Novak", "Okafor",
    "Olsen", "Patel", "Quinn", "Rossi", "Santos", "Schmidt", "Silva", "Tanaka", "Turner",
    "Varga", "Walsh", "Weber", "Xu", "Yilmaz", "Young", "Zimmer",
)  # fmt: skip
_ADJECTIVES = (
    "Amber", "Blue", "Bright", "Cedar", "Copper", "Crimson", "Golden", "Green", "Hidden",
    "Iron", "Lantern", "Maple", "Marble", "Northern", "Oak", "Old", "Quiet", "Red", "Silver",
    "Stone", "Sunny", "Willow",
)  # fmt: skip
_NOUNS = (
    "Arch", "Bear", "Bridge", "Compass", "Crow", "Feather", "Fox", "Harbor", "Hollow",
    "Kettle", "Lark", "Meadow", "Mill", "Owl", "Quill", "River", "Sparrow", "Tide", "Tower",
    "Wren",
)  # fmt: skip
_FRENCH_SHOPS = (
    "du Château", "des Écoles", "La Plume", "Le Marque-Page", "L'Étagère", "Saint-Éloi",
    "Les Mots Bleus", "La Boussole", "Au Fil des Pages", "Le Héron",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _City:
    country: str
    name: str
    postal_codes: tuple[str, ...]
    area: str  # dialling area code as written nationally, without trunk prefix
    block: str  # exchange block reserved for fiction (UK, AU, FR); unused for +1
    tax_bp: int  # sales tax / VAT on books in basis points
    weight: int


_CITIES: tuple[_City, ...] = (
    _City("US", "Boston", ("02108", "02110", "02115", "02116"), "617", "", 625, 6),
    _City("US", "Providence", ("02903", "02906"), "401", "", 700, 2),
    _City("US", "Hartford", ("06103", "06106"), "860", "", 635, 2),
    _City("US", "Newark", ("07102", "07105"), "973", "", 663, 2),
    _City("US", "Portland", ("04101", "04103"), "207", "", 550, 2),
    _City("US", "Burlington", ("05401",), "802", "", 700, 1),
    _City("US", "New York", ("10001", "10011", "10016", "10024"), "212", "", 888, 8),
    _City("US", "Chicago", ("60601", "60605", "60614"), "312", "", 1025, 5),
    _City("US", "Austin", ("78701", "78704"), "512", "", 825, 4),
    _City("US", "Seattle", ("98101", "98104", "98109"), "206", "", 1025, 4),
    _City("US", "Denver", ("80202", "80205"), "303", "", 881, 3),
    _City("US", "Atlanta", ("30303", "30308"), "404", "", 890, 3),
    _City("US", "San Francisco", ("94103", "94110"), "415", "", 863, 4),
    _City("US", "Minneapolis", ("55401", "55403"), "612", "", 803, 2),
    _City("CA", "Toronto", ("M5V 2T6", "M4W 1A8"), "416", "", 1300, 4),
    _City("CA", "Vancouver", ("V6B 1A1", "V5K 0A1"), "604", "", 500, 3),
    _City("CA", "Montreal", ("H2X 1Y4", "H3B 4W8"), "514", "", 500, 2),
    _City("CA", "Ottawa", ("K1P 1J1",), "613", "", 1300, 1),
    _City("GB", "London", ("EC1A 1BB", "W1A 0AX", "SE1 7PB"), "20", "7946 0", 0, 6),
    _City("GB", "Manchester", ("M1 1AE", "M4 5JD"), "161", "496 0", 0, 3),
    _City("GB", "Birmingham", ("B2 4QA",), "121", "496 0", 0, 2),
    _City("GB", "Edinburgh", ("EH1 1YZ",), "131", "496 0", 0, 2),
    _City("AU", "Sydney", ("2000", "2010"), "2", "5550", 1000, 4),
    _City("AU", "Melbourne", ("3000", "3053"), "3", "5550", 1000, 3),
    _City("AU", "Brisbane", ("4000",), "7", "5550", 1000, 1),
    _City("AU", "Darwin", ("0800", "0810"), "8", "5550", 1000, 1),
    _City("AU", "Perth", ("6000",), "8", "5550", 1000, 1),
    _City("FR", "Paris", ("75003", "75011"), "1", "99 00", 550, 4),
    _City("FR", "Lyon", ("69002",), "4", "65 71", 550, 2),
    _City("FR", "Marseille", ("13001",), "4", "65 71", 550, 1),
    _City("FR", "Nice", ("06000",), "4", "65 71", 550, 1),
    _City("FR", "Bourg-en-Bresse", ("01000",), "4", "65 71", 550, 1),
)
_COUNTRY_WEIGHTS = {"US": 58, "GB": 15, "CA": 11, "FR": 8, "AU": 8}
_CURRENCY = {"US": "USD", "CA": "CAD", "GB": "GBP", "AU": "AUD", "FR": "EUR"}

_CHART: tuple[tuple[str, str, str], ...] = (
    # (account_number, name, type); contra accounts get the opposite normal balance below.
    ("1000", "Cash - Operating Account", "asset"),
    ("1010", "Cash - Payroll Account", "asset"),
    ("1100", "Accounts Receivable", "asset"),
    ("1200", "Inventory - Finished Books", "asset"),
    ("1210", "Inventory - Paper and Materials", "asset"),
    ("1300", "Prepaid Expenses", "asset"),
    ("1500", "Equipment", "asset"),
    ("1510", "Accumulated Depreciation", "asset"),
    ("2000", "Accounts Payable", "liability"),
    ("2100", "Accrued Liabilities", "liability"),
    ("2200", "Sales Tax Payable", "liability"),
    ("2300", "Payroll Liabilities", "liability"),
    ("2400", "Royalties Payable", "liability"),
    ("2500", "Deferred Revenue", "liability"),
    ("2700", "Long-term Loan", "liability"),
    ("3000", "Common Stock", "equity"),
    ("3100", "Retained Earnings", "equity"),
    ("4000", "Book Sales Revenue", "revenue"),
    ("4100", "Digital Sales Revenue", "revenue"),
    ("4900", "Sales Returns and Discounts", "revenue"),
    ("5000", "Cost of Goods Sold", "expense"),
    ("5100", "Royalty Expense", "expense"),
    ("5200", "Freight and Shipping", "expense"),
    ("6000", "Salaries and Wages", "expense"),
    ("6100", "Payroll Taxes and Benefits", "expense"),
    ("6200", "Rent", "expense"),
    ("6300", "Utilities", "expense"),
    ("6400", "Software and Subscriptions", "expense"),
    ("6500", "Marketing and Advertising", "expense"),
    ("6600", "Office Supplies", "expense"),
    ("6700", "Professional Fees", "expense"),
    ("6800", "Depreciation Expense", "expense"),
    ("6900", "Bank and Card Fees", "expense"),
    ("7000", "Interest Expense", "expense"),
)
_CONTRA_ACCOUNTS = frozenset({"1510", "4900"})

# Employees: (department, job title, index of manager in this tuple or None, salary band).
_ORG: tuple[tuple[str, str, int | None, int, int], ...] = (
    ("Executive", "Chief Executive Officer", None, 210000, 230000),
    ("Finance", "Chief Financial Officer", 0, 165000, 180000),
    ("Sales", "VP of Sales", 0, 150000, 165000),
    ("Editorial", "Editorial Director", 0, 130000, 145000),
    ("Operations", "Operations Director", 0, 120000, 135000),
    ("Marketing", "Marketing Director", 0, 125000, 140000),
    ("IT", "IT Manager", 1, 110000, 125000),
    ("Sales", "Regional Sales Manager", 2, 95000, 110000),
    ("Sales", "Regional Sales Manager", 2, 95000, 110000),
    *(("Sales", "Account Executive", 7 + i % 2, 58000, 78000) for i in range(10)),
    ("Finance", "Senior Accountant", 1, 82000, 92000),
    ("Finance", "Accounts Payable Specialist", 19, 52000, 60000),
    ("Finance", "Accounts Receivable Specialist", 19, 52000, 60000),
    ("Editorial", "Senior Editor", 3, 85000, 95000),
    ("Editorial", "Senior Editor", 3, 85000, 95000),
    ("Editorial", "Editor", 22, 62000, 72000),
    ("Editorial", "Editor", 22, 62000, 72000),
    ("Editorial", "Editor", 23, 62000, 72000),
    ("Editorial", "Production Editor", 3, 60000, 68000),
    ("Operations", "Warehouse Supervisor", 4, 62000, 68000),
    *(("Operations", "Warehouse Associate", 28, 38000, 44000) for _ in range(4)),
    ("Operations", "Logistics Coordinator", 4, 50000, 56000),
    ("Marketing", "Marketing Specialist", 5, 55000, 65000),
    ("Marketing", "Marketing Specialist", 5, 55000, 65000),
    ("Marketing", "Content Writer", 5, 50000, 58000),
    ("Marketing", "Events Coordinator", 5, 48000, 55000),
    ("IT", "Systems Administrator", 6, 78000, 88000),
    ("IT", "Software Developer", 6, 90000, 105000),
)
# Fixed hire dates that the data depends on: two account executives join during the period
# (they only appear on later invoices) and one warehouse associate joins in 2024-05.
_FIXED_HIRE_DATES = {
    0: dt.date(2011, 4, 4),
    17: dt.date(2024, 9, 16),
    18: dt.date(2025, 2, 3),
    32: dt.date(2024, 5, 6),
}

# Vendors: (name, category, country, payment terms, payment method).
_VENDORS: tuple[tuple[str, str, str, str, str], ...] = (
    ("Riverside Printing Co.", "printing", "US", "Net 60", "ach"),
    ("Northgate Press Services", "printing", "US", "Net 45", "ach"),
    ("Keystone Book Manufacturing", "printing", "US", "Net 60", "ach"),
    ("Lakeshore Print & Bind", "printing", "US", "Net 45", "check"),
    ("Summit Offset Printers", "printing", "US", "Net 60", "ach"),
    ("Blackwood Litho Ltd", "printing", "GB", "Net 45", "wire"),
    ("Pinecrest Digital Print", "printing", "CA", "Net 30", "wire"),
    ("Harborview Bindery", "printing", "US", "Net 30", "check"),
    ("Northwind Paper Supply", "paper", "US", "Net 30", "ach"),
    ("Cascade Pulp & Paper", "paper", "US", "2/10 Net 30", "ach"),
    ("Evergreen Stock Co.", "paper", "US", "Net 30", "check"),
    ("Papeterie Moreau SAS", "paper", "FR", "Net 45", "wire"),
    ("Granite Paper Mills", "paper", "US", "Net 30", "ach"),
    ("Swift Lane Logistics", "freight", "US", "Net 15", "ach"),
    ("Bluewater Freight", "freight", "US", "Net 30", "ach"),
    ("Crossroads Courier", "freight", "US", "Net 15", "check"),
    ("Atlas Parcel Services", "freight", "US", "Net 30", "ach"),
    ("Meridian Shipping Ltd", "freight", "GB", "Net 30", "wire"),
    ("Redline Trucking LLC", "freight", "US", "Net 15", "ach"),
    ("Hartley Literary Agency", "royalties", "US", "Net 30", "ach"),
    ("Quillstone Authors Ltd", "royalties", "GB", "Net 30", "wire"),
    ("Bramble & Finch Literary", "royalties", "US", "Net 30", "ach"),
    ("Okafor Rights Management", "royalties", "US", "Net 30", "check"),
    ("Moreau Droits d'Auteur", "royalties", "FR", "Net 30", "wire"),
    ("Sterling Page Agency", "royalties", "US", "Net 30", "ach"),
    ("Westbrook Literary Partners", "royalties", "US", "Net 30", "ach"),
    ("Nakamura & Silva Rights", "royalties", "CA", "Net 30", "wire"),
    ("Cloudledger Accounting", "software", "US", "Due on receipt", "credit_card"),
    ("Inkwell Editorial Suite", "software", "US", "Due on receipt", "credit_card"),
    ("Stackhouse Hosting", "software", "US", "Due on receipt", "credit_card"),
    ("Mailcrest Email Services", "software", "US", "Due on receipt", "credit_card"),
    ("Orbit CRM, Inc.", "software", "US", "Due on receipt", "credit_card"),
    ("Metro Power & Light", "utilities", "US", "Net 15", "ach"),
    ("City Water Authority", "utilities", "US", "Net 15", "check"),
    ("FiberLink Internet", "utilities", "US", "Net 15", "ach"),
    ("Harbor Lane Properties LLC", "rent", "US", "Due on receipt", "ach"),
    ("Brightside Media Group", "marketing", "US", "Net 30", "ach"),
    ("Chapter One Advertising", "marketing", "US", "Net 30", "ach"),
    ("Signal Social Agency", "marketing", "US", "Net 30", "ach"),
    ("Paper Crane Design Studio", "marketing", "US", "Net 15", "check"),
    ("Bookfair Events Ltd", "marketing", "GB", "Net 30", "wire"),
    ("Lantern PR Partners", "marketing", "US", "Net 30", "ach"),
    ("Northstar Promotions", "marketing", "US", "Net 30", "ach"),
    ("OfficeHub Supplies", "office", "US", "Net 30", "ach"),
    ("Desk & Drawer Co.", "office", "US", "Net 30", "check"),
    ("Staple Street Stationers", "office", "US", "Net 30", "ach"),
    ("Copperleaf Coffee Service", "office", "US", "Net 15", "ach"),
    ("CleanSweep Janitorial", "office", "US", "Net 15", "check"),
    ("Greenline Plants & Decor", "office", "US", "Net 30", "ach"),
    ("Whitfield & Shaw LLP", "professional", "US", "Net 30", "ach"),
    ("Granger Audit Partners", "professional", "US", "Net 30", "ach"),
    ("Maple Tax Advisors", "professional", "CA", "Net 30", "wire"),
    ("Ridgeway IT Consulting", "professional", "US", "Net 30", "ach"),
    ("Carter Recruiting Group", "professional", "US", "Net 30", "ach"),
    ("Sable Translation Services", "professional", "US", "Net 15", "ach"),
    ("Forklift Direct Inc.", "equipment", "US", "Net 30", "ach"),
    ("Rackworks Shelving", "equipment", "US", "Net 30", "check"),
    ("ByteBench Computers", "equipment", "US", "Net 30", "ach"),
    ("Bulwark Mutual Insurance", "insurance", "US", "Net 30", "ach"),
    ("Keel & Compass Underwriters", "insurance", "US", "Net 30", "ach"),
)
_BILL_ACCOUNT = {
    "printing": "1200",
    "paper": "1210",
    "freight": "5200",
    "royalties": "2400",
    "software": "6400",
    "utilities": "6300",
    "rent": "6200",
    "marketing": "6500",
    "office": "6600",
    "professional": "6700",
    "equipment": "1500",
    "insurance": "1300",
}
# Irregular bills: category -> (bills over the period, median USD, log-normal sigma).
_IRREGULAR_BILLS: dict[str, tuple[int, float, float]] = {
    "printing": (90, 5200.0, 0.7),
    "paper": (50, 2100.0, 0.6),
    "freight": (90, 380.0, 0.8),
    "marketing": (60, 1400.0, 0.9),
    "office": (50, 160.0, 0.8),
    "professional": (30, 2300.0, 0.7),
    "equipment": (8, 3500.0, 0.8),
}
_SOFTWARE_MONTHLY_CENTS = (12900, 34900, 0, 0, 240000)  # hosting and e-mail vary, see _bills
_EMAIL_SEAT_CENTS = 725
_MAX_ORDINARY_LINE_CENTS = 250000

_SEGMENT_WEIGHTS = {
    "Retail": 34,
    "Library": 18,
    "Education": 18,
    "Corporate": 15,
    "Individual": 15,
}
_SEGMENT_ACTIVITY = {
    "Retail": 1.5,
    "Library": 1.0,
    "Education": 1.0,
    "Corporate": 0.8,
    "Individual": 0.35,
}
_SEGMENT_TERMS_DAYS = {"Retail": 30, "Library": 45, "Education": 60, "Corporate": 30}
_CATEGORY_PREFERENCE: dict[str, dict[str, float]] = {
    "Retail": {
        "Fiction": 3.0,
        "Non-Fiction": 2.0,
        "Children": 2.0,
        "Textbook": 0.2,
        "Reference": 1.0,
        "Stationery": 1.5,
    },
    "Library": {
        "Fiction": 2.0,
        "Non-Fiction": 2.0,
        "Children": 1.5,
        "Textbook": 0.3,
        "Reference": 1.5,
        "Stationery": 0.1,
    },
    "Education": {
        "Fiction": 0.5,
        "Non-Fiction": 0.5,
        "Children": 2.0,
        "Textbook": 5.0,
        "Reference": 2.0,
        "Stationery": 0.5,
    },
    "Corporate": {
        "Fiction": 0.3,
        "Non-Fiction": 3.0,
        "Children": 0.1,
        "Textbook": 0.5,
        "Reference": 2.0,
        "Stationery": 2.0,
    },
    "Individual": {
        "Fiction": 3.0,
        "Non-Fiction": 2.0,
        "Children": 1.5,
        "Textbook": 0.5,
        "Reference": 0.5,
        "Stationery": 1.0,
    },
}
_FORMAT_PREFERENCE: dict[str, dict[str, float]] = {
    "Retail": {"Hardcover": 1.0, "Paperback": 1.5, "E-book": 0.0, "Audiobook": 0.0},
    "Library": {"Hardcover": 1.5, "Paperback": 0.8, "E-book": 1.0, "Audiobook": 1.0},
    "Education": {"Hardcover": 1.0, "Paperback": 1.0, "E-book": 0.8, "Audiobook": 0.1},
    "Corporate": {"Hardcover": 1.0, "Paperback": 1.0, "E-book": 1.0, "Audiobook": 0.3},
    "Individual": {"Hardcover": 0.6, "Paperback": 1.0, "E-book": 2.0, "Audiobook": 1.5},
}
_DIGITAL_FORMATS = frozenset({"E-book", "Audiobook"})
_SKU_PREFIX = {
    "Hardcover": "HC",
    "Paperback": "PB",
    "E-book": "EB",
    "Audiobook": "AB",
    "Merchandise": "MR",
}
_PRICE_POINTS: dict[tuple[str, str], tuple[int, ...]] = {
    ("Book", "Paperback"): (999, 1299, 1499, 1699, 1799, 1899),
    ("Book", "Hardcover"): (2499, 2699, 2799, 2999, 3200, 3499),
    ("Book", "E-book"): (499, 799, 999, 1199, 1499),
    ("Book", "Audiobook"): (1499, 1999, 2499, 2999),
    ("Children", "Paperback"): (699, 899, 999),
    ("Children", "Hardcover"): (1499, 1699, 1999),
    ("Textbook", "Hardcover"): (4999, 6999, 8950, 10900, 12900),
    ("Textbook", "E-book"): (2999, 3999, 5999),
    ("Reference", "Paperback"): (1299, 1599),
    ("Reference", "Hardcover"): (2999, 3999, 4500),
}
_STATIONERY = (
    ("Notebook A5 Dotted", 899),
    ("Notebook A5 Lined", 899),
    ("Notebook A4 Squared", 1250),
    ("Bookmark Set (6)", 499),
    ("Leather Bookmark", 1250),
    ("Fountain Pen Ink - Blue", 1250),
    ("Fountain Pen Ink - Black", 1250),
    ("Clip-on Reading Light", 1800),
    ("Canvas Tote Bag", 2400),
    ("Book Lover's Mug", 1600),
    ("Gift Card 25", 2500),
    ("Gift Card 50", 5000),
    ("Pencil Set (12)", 250),
    ("Literary Calendar 2025", 1800),
)

_ORPHAN_CUSTOMER_IDS = ("C-0317", "C-0342")
_ORPHAN_SKUS = ("PB-0872", "HC-0904")
_ORPHAN_PAYMENT_INVOICES = ("INV-2023-01187", "INV-2023-01204", "INV-2023-01219")
_ORPHAN_BILL_IDS = ("BILL-09113", "BILL-09120")
_UNPARSEABLE_QUANTITIES = (("twelve", 12), ("six", 6), ("1O", 10))
_SUSPENSE_ACCOUNT = "9999"


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    header: tuple[str, ...]
    rows: list[list[str]]


@dataclass(slots=True)
class _Employee:
    employee_id: int
    first_name: str
    last_name: str
    department: str
    title: str
    manager_id: int | None
    hire_date: dt.date
    salary: int


@dataclass(slots=True)
class _Customer:
    customer_id: str
    name: str
    segment: str
    contact_name: str
    email: str
    phone: str
    city: _City
    postal_code: str
    created_at: dt.datetime
    payer: str
    method: str
    weight: float
    rep_id: int | None


@dataclass(slots=True)
class _Product:
    sku: str
    name: str
    category: str
    fmt: str
    price_cents: int
    cost_cents: int
    is_active: bool
    launched_on: dt.date
    weight: float

    @property
    def kind(self) -> str:
        if self.category == "Stationery":
            return "merch"
        if self.fmt in _DIGITAL_FORMATS:
            return "digital"
        return "textbook" if self.category == "Textbook" else "print"


@dataclass(slots=True)
class _Line:
    product: _Product
    sku: str
    quantity: int
    unit_price: int  # cents, invoice currency
    discount_pct: int
    quantity_text: str = ""

    @property
    def amount(self) -> int:
        return (self.unit_price * self.quantity * (100 - self.discount_pct) + 50) // 100


@dataclass(slots=True)
class _Invoice:
    customer: _Customer
    customer_id: str
    invoice_date: dt.date
    due_date: dt.date
    currency: str
    tax_bp: int
    sales_rep: str
    lines: list[_Line]
    number: str = ""
    shown_date: dt.date | None = None
    line_offset: int = 0
    status: str = ""
    void: bool = False
    draft: bool = False

    @property
    def net(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def tax(self) -> int:
        return (self.net * self.tax_bp + 5000) // 10000

    @property
    def total(self) -> int:
        return self.net + self.tax


@dataclass(slots=True)
class _Payment:
    invoice_number: str
    currency: str
    payment_date: dt.date
    amount: int
    method: str
    shown_date: str = ""
    shown_method: str = ""
    duplicated: bool = False  # written twice: the bank file was imported twice


@dataclass(slots=True)
class _Bill:
    vendor: int  # index into _VENDORS
    bill_date: dt.date
    account: str
    description: str
    amount: int
    bill_id: str = ""
    void: bool = False
    status: str = ""

    @property
    def due_date(self) -> dt.date:
        return self.bill_date + dt.timedelta(days=_terms_days(_VENDORS[self.vendor][3]))


@dataclass(slots=True)
class _VendorPayment:
    bill_id: str
    vendor: int
    payment_date: dt.date
    amount: int
    method: str


@dataclass(slots=True)
class _Entry:
    entry_date: dt.date
    source: str
    description: str
    lines: list[tuple[str, int, int, str]] = field(default_factory=list)
    fiscal_period: str = ""


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _money_grouped(cents: int) -> str:
    return f"{cents // 100:,}.{cents % 100:02d}"


def _percent(bp: int) -> str:
    return f"{bp // 100}.{bp % 100:02d}%"


def _to_usd(cents: int, currency: str) -> int:
    return (cents * USD_PER_UNIT[currency] + 5000) // 10000


def _from_usd(cents: int, currency: str) -> int:
    rate = USD_PER_UNIT[currency]
    return (cents * 10000 + rate // 2) // rate


def _terms_days(terms: str) -> int:
    return 0 if terms == "Due on receipt" else int(terms.rsplit(" ", 1)[1])


def _period(day: dt.date) -> str:
    return f"{day.year}-{day.month:02d}"


def _month_days(year: int, month: int) -> list[dt.date]:
    day = dt.date(year, month, 1)
    days: list[dt.date] = []
    while day.month == month:
        days.append(day)
        day += dt.timedelta(days=1)
    return days


def _is_business_day(day: dt.date) -> bool:
    """Monday to Friday, except New Year's Day and Christmas Day."""
    return day.weekday() < 5 and (day.month, day.day) not in ((1, 1), (12, 25))


def _weekdays(year: int, month: int) -> list[dt.date]:
    return [d for d in _month_days(year, month) if _is_business_day(d) and d <= AS_OF]


def _next_weekday(day: dt.date) -> dt.date:
    while not _is_business_day(day):
        day += dt.timedelta(days=1)
    return day


def _previous_weekday(day: dt.date) -> dt.date:
    while not _is_business_day(day):
        day -= dt.timedelta(days=1)
    return day


def _friday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(4 - day.weekday()) % 7)


def _friday_on_or_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=(day.weekday() - 4) % 7)


def _slug(text: str) -> str:
    kept = "".join(ch.lower() if ch.isascii() and ch.isalnum() else " " for ch in text)
    return "-".join(kept.split())


class _AcmeBooks:
    """Builds all tables from one seeded random generator, in a fixed order."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.employees = self._employees()
        self.customers = self._customers()
        self.products = self._products()
        self.invoices = self._invoices()
        self.payments = self._payments()
        self.bills = self._bills()
        self.vendor_payments = self._vendor_payments()
        self.entries = self._journal()

    # ---- helpers -------------------------------------------------------------------------

    def _lognormal(self, median: float, sigma: float) -> float:
        return self.rng.lognormvariate(math.log(median), sigma)

    def _date_between(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))

    def _person(self) -> tuple[str, str]:
        return self.rng.choice(_FIRST_NAMES), self.rng.choice(_LAST_NAMES)

    def _phone(self, city: _City) -> str:
        rng = self.rng
        international = rng.random() < 0.45
        if city.country in ("US", "CA"):
            xx = f"{rng.randint(0, 99):02d}"
            return rng.choice(
                (
                    f"+1-{city.area}-555-01{xx}",
                    f"({city.area}) 555-01{xx}",
                    f"{city.area}.555.01{xx}",
                    f"+1 {city.area} 555 01{xx}",
                )
            )
        if city.country == "GB":
            xxx = f"{rng.randint(0, 999):03d}"
            if rng.random() < 0.25:  # Ofcom's mobile drama range 07700 900000-900999
                return f"+44 7700 900{xxx}" if international else f"07700 900{xxx}"
            if international:
                return f"+44 {city.area} {city.block}{xxx}"
            return f"0{city.area} {city.block}{xxx}"
        if city.country == "AU":
            xxxx = f"{rng.randint(0, 9999):04d}"
            if international:
                return f"+61 {city.area} {city.block} {xxxx}"
            return f"(0{city.area}) {city.block} {xxxx}"
        pair_a, pair_b = f"{rng.randint(0, 99):02d}", f"{rng.randint(0, 99):02d}"
        if international:
            return f"+33 {city.area} {city.block} {pair_a} {pair_b}"
        return f"0{city.area} {city.block} {pair_a} {pair_b}"

    def _city(self, country: str) -> _City:
        cities = [c for c in _CITIES if c.country == country]
        return self.rng.choices(cities, weights=[c.weight for c in cities])[0]

    # ---- master data ---------------------------------------------------------------------

    def _employees(self) -> list[_Employee]:
        rng = self.rng
        employees: list[_Employee] = []
        used: set[tuple[str, str]] = set()
        for index, (department, title, manager, low, high) in enumerate(_ORG):
            name = self._person()
            while name in used:
                name = self._person()
            used.add(name)
            if index in _FIXED_HIRE_DATES:
                hired = _FIXED_HIRE_DATES[index]
            elif index < 9:
                hired = self._date_between(dt.date(2012, 1, 1), dt.date(2016, 12, 31))
            else:
                hired = self._date_between(dt.date(2014, 1, 1), dt.date(2023, 10, 31))
            employees.append(
                _Employee(
                    employee_id=101 + index,
                    first_name=name[0],
                    last_name=name[1],
                    department=department,
                    title=title,
                    manager_id=None if manager is None else 101 + manager,
                    hire_date=_next_weekday(hired),
                    salary=rng.randint(low // 500, high // 500) * 500,
                )
            )
        return employees

    def _customer_name(self, segment: str, city: _City, contact: tuple[str, str]) -> str:
        rng = self.rng
        adjective, noun = rng.choice(_ADJECTIVES), rng.choice(_NOUNS)
        last = rng.choice(_LAST_NAMES)
        if segment == "Individual":
            return f"{contact[0]} {contact[1]}"
        if segment == "Retail":
            if city.country == "FR":
                return f"Librairie {rng.choice(_FRENCH_SHOPS)}"
            return rng.choice(
                (
                    f"{adjective} {noun} Books",
                    f"{adjective} {noun} Bookshop",
                    f"{last}'s Bookshop",
                    f"The {adjective} Page",
                )
            )
        if segment == "Library":
            return rng.choice(
                (
                    f"{city.name} Public Library - {noun} Branch",
                    f"{last} Memorial Library",
                    f"{city.name} University Library",
                )
            )
        if segment == "Education":
            return rng.choice(
                (
                    f"{last} Elementary School",
                    f"{city.name} Community College",
                    f"{adjective} {noun} Academy",
                    f"{last} High School",
                )
            )
        suffix = {
            "US": ("Inc.", ", Inc.", "LLC"),
            "CA": ("Inc.", "Ltd"),
            "GB": ("Ltd", "PLC"),
            "AU": ("Pty Ltd",),
            "FR": ("SAS", "SARL"),
        }[city.country]
        kind = rng.choice(("Analytics", "Consulting", "Logistics", "Health", "Labs", "Group"))
        legal = rng.choice(suffix)
        separator = "" if legal.startswith(",") else " "
        return f"{adjective} {noun} {kind}{separator}{legal}"

    def _customers(self) -> list[_Customer]:
        rng = self.rng
        segments = list(_SEGMENT_WEIGHTS)
        countries = list(_COUNTRY_WEIGHTS)
        reps = [e for e in self.employees if e.department == "Sales" and e.title != "VP of Sales"]
        customers: list[_Customer] = []
        names: set[str] = set()
        emails: set[str] = set()
        for index in range(300):
            segment = rng.choices(segments, weights=list(_SEGMENT_WEIGHTS.values()))[0]
            country = rng.choices(countries, weights=list(_COUNTRY_WEIGHTS.values()))[0]
            city = self._city(country)
            contact = self._person()
            name = self._customer_name(segment, city, contact)
            while name in names:
                contact = self._person()
                name = self._customer_name(segment, city, contact)
            names.add(name)
            local = f"{contact[0]}.{contact[1]}".lower()
            email = f"{local}@example.{rng.choice(('com', 'org', 'net'))}"
            suffix = 2
            while email in emails:
                email = f"{local}{suffix}@{email.split('@', 1)[1]}"
                suffix += 1
            emails.add(email)
            if rng.random() < 0.7:
                created_day = self._date_between(dt.date(2019, 1, 2), dt.date(2023, 12, 29))
            else:
                created_day = self._date_between(dt.date(2024, 1, 2), dt.date(2025, 6, 20))
            created_at = dt.datetime.combine(
                _next_weekday(created_day),
                dt.time(rng.randint(8, 18), rng.randint(0, 59), rng.randint(0, 59)),
            )
            eligible = [r for r in reps if r.hire_date <= created_at.date()]
            rep = None if segment == "Individual" else rng.choice(eligible).employee_id
            payer = rng.choices(("prompt", "normal", "late", "defaulter"), weights=(35, 45, 15, 5))[
                0
            ]
            if segment == "Individual":
                method = rng.choices(("credit_card", "paypal"), weights=(7, 3))[0]
            elif country != "US":
                method = "bank_transfer"
            elif segment in ("Library", "Education"):
                method = rng.choice(("check", "ach"))
            else:
                method = rng.choices(("ach", "bank_transfer", "check"), weights=(6, 2, 2))[0]
            customers.append(
                _Customer(
                    customer_id=f"C-{index + 1:04d}",
                    name=name,
                    segment=segment,
                    contact_name=f"{contact[0]} {contact[1]}",
                    email=email,
                    phone=self._phone(city),
                    city=city,
                    postal_code=rng.choice(city.postal_codes),
                    created_at=created_at,
                    payer=payer,
                    method=method,
                    weight=self._lognormal(1.0, 0.9) * _SEGMENT_ACTIVITY[segment],
                    rep_id=rep,
                )
            )
        return customers

    def _products(self) -> list[_Product]:
        rng = self.rng
        titles: list[tuple[str, str, str]] = []  # (title, category, pricing group)
        used: set[str] = set()

        def add(category: str, group: str, make: str) -> None:
            if make not in used:
                used.add(make)
                titles.append((make, category, group))

        topics = (
            "Bridges", "Tea", "Maps", "Bees", "Clocks", "Salt", "Rivers", "Typography",
            "Sailing", "Bread", "Stars", "Gardens",
        )  # fmt: skip
        heroes = ("Pip", "Milo", "Luna", "Otto", "Bea", "Finn")
        subjects = (
            "Accounting", "Statistics", "Biology", "Chemistry", "Economics", "Algebra",
            "World History", "Physics", "Marketing", "Psychology",
        )  # fmt: skip
        while sum(1 for t in titles if t[1] == "Fiction") < 16:
            add("Fiction", "Book", f"The {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}")
        while sum(1 for t in titles if t[1] == "Non-Fiction") < 12:
            topic = rng.choice(topics)
            pattern = rng.choice(
                (f"A Short History of {topic}", f"The Art of {topic}", f"{topic}: A Field Guide")
            )
            add("Non-Fiction", "Book", pattern)
        while sum(1 for t in titles if t[1] == "Children") < 8:
            hero = rng.choice(heroes)
            add("Children", "Children", f"{hero} and the {rng.choice(_NOUNS)}")
        while sum(1 for t in titles if t[1] == "Textbook") < 11:
            subject = rng.choice(subjects)
            edition = rng.choice(("2nd", "3rd", "4th", "5th"))
            pattern = rng.choice(
                (f"Introduction to {subject}", f"{subject} Fundamentals, {edition} Edition")
            )
            add("Textbook", "Textbook", pattern)
        for language in ("French", "Spanish", "German", "Italian"):
            add("Reference", "Reference", f"The Pocket {language} Dictionary")
        for region in ("the Americas", "Europe", "the Pacific"):
            add("Reference", "Reference", f"Atlas of {region}")

        formats_for = {
            "Book": ("Hardcover", "Paperback", "E-book", "Audiobook"),
            "Children": ("Hardcover", "Paperback"),
            "Textbook": ("Hardcover", "E-book"),
            "Reference": ("Hardcover", "Paperback"),
        }
        products: list[_Product] = []
        number = 1001

        def launched() -> dt.date:
            if rng.random() < 0.15:
                return self._date_between(dt.date(2024, 2, 1), dt.date(2025, 5, 30))
            return self._date_between(dt.date(2014, 1, 1), dt.date(2023, 12, 31))

        for title, category, group in titles:
            formats = [f for f in formats_for[group] if rng.random() < 0.6]
            if not formats:
                formats = [formats_for[group][0]]
            launch = launched()
            for fmt in formats:
                price = rng.choice(_PRICE_POINTS[(group, fmt)])
                share = rng.randint(8, 15) if fmt in _DIGITAL_FORMATS else rng.randint(28, 42)
                products.append(
                    _Product(
                        sku=f"{_SKU_PREFIX[fmt]}-{number}",
                        name=title,
                        category=category,
                        fmt=fmt,
                        price_cents=price,
                        cost_cents=price * share // 100,
                        is_active=rng.random() > 0.06,
                        launched_on=launch,
                        weight=0.0,
                    )
                )
                number += 1
        for name, price in _STATIONERY:
            products.append(
                _Product(
                    sku=f"MR-{number}",
                    name=name,
                    category="Stationery",
                    fmt="Merchandise",
                    price_cents=price,
                    cost_cents=price * rng.randint(40, 55) // 100,
                    is_active=rng.random() > 0.06,
                    launched_on=launched(),
                    weight=0.0,
                )
            )
            number += 1
        ranks = list(range(1, len(products) + 1))
        rng.shuffle(ranks)
        for product, rank in zip(products, ranks, strict=True):
            product.weight = 1.0 / rank**0.8
        return products

    # ---- order to cash -------------------------------------------------------------------

    def _quantity(self, segment: str, kind: str) -> int:
        if segment == "Individual":
            return 1 if self.rng.random() < 0.9 else 2
        median, sigma = {
            ("Retail", "merch"): (10.0, 0.6),
            ("Library", "print"): (2.0, 0.6),
            ("Library", "digital"): (3.0, 0.5),
            ("Education", "textbook"): (24.0, 0.5),
            ("Education", "print"): (10.0, 0.6),
            ("Corporate", "print"): (8.0, 0.8),
        }.get((segment, kind), (6.0, 0.7))
        return max(1, int(self._lognormal(median, sigma) + 0.5))

    def _discount(self, segment: str) -> int:
        rng = self.rng
        chance, options = {
            "Retail": (0.12, (10, 15, 20)),
            "Library": (0.10, (5,)),
            "Education": (0.15, (5, 10)),
            "Corporate": (0.08, (10,)),
        }.get(segment, (0.0, (0,)))
        return rng.choice(options) if rng.random() < chance else 0

    def _invoice(self, customer: _Customer, day: dt.date) -> _Invoice:
        rng = self.rng
        segment = customer.segment
        pool: list[_Product] = []
        weights: list[float] = []
        for product in self.products:
            if product.launched_on > day:
                continue
            if not product.is_active and day >= dt.date(2025, 1, 1):
                continue
            format_weight = _FORMAT_PREFERENCE[segment].get(product.fmt, 1.0)
            weight = product.weight * _CATEGORY_PREFERENCE[segment][product.category]
            if weight * format_weight > 0:
                pool.append(product)
                weights.append(weight * format_weight)
        count = {
            "Individual": rng.choice((1, 1, 1, 2, 2, 3)),
            "Retail": rng.randint(1, 5),
            "Library": rng.randint(1, 4),
            "Education": rng.randint(1, 4),
            "Corporate": rng.randint(1, 3),
        }[segment]
        chosen: list[_Product] = []
        while len(chosen) < count:
            product = rng.choices(pool, weights=weights)[0]
            if all(product.sku != c.sku for c in chosen):
                chosen.append(product)
        currency = _CURRENCY[customer.city.country]
        lines: list[_Line] = []
        for product in chosen:
            line = _Line(
                product=product,
                sku=product.sku,
                quantity=self._quantity(segment, product.kind),
                unit_price=_from_usd(product.price_cents, currency),
                discount_pct=self._discount(segment),
            )
            # Ordinary lines stay below a cap so that the injected bulk orders are the only
            # invoices far out in the tail (about 25x the median invoice).
            while line.amount > _MAX_ORDINARY_LINE_CENTS:
                line.quantity = self._quantity(segment, product.kind)
            lines.append(line)
        exempt = segment in ("Library", "Education")
        rep = "" if customer.rep_id is None else str(customer.rep_id)
        return _Invoice(
            customer=customer,
            customer_id=customer.customer_id,
            invoice_date=day,
            due_date=day + dt.timedelta(days=_SEGMENT_TERMS_DAYS.get(segment, 0)),
            currency=currency,
            tax_bp=0 if exempt else customer.city.tax_bp,
            sales_rep=rep,
            lines=lines,
        )

    def _invoices(self) -> list[_Invoice]:
        rng = self.rng
        invoices: list[_Invoice] = []
        for index, (year, month) in enumerate(_MONTHS):
            count = int(70 * (1 + 0.02 * index) * _SEASON[month - 1] + 0.5)
            days = _weekdays(year, month)
            for _ in range(count):
                day = rng.choice(days)
                eligible = [c for c in self.customers if c.created_at.date() <= day]
                customer = rng.choices(eligible, weights=[c.weight for c in eligible])[0]
                invoices.append(self._invoice(customer, day))
        invoices.sort(key=lambda inv: inv.invoice_date)

        b2b = [inv for inv in invoices if inv.customer.segment != "Individual"]
        # Unparseable quantities: the true quantity is known, the export wrote it in words.
        candidates = [
            line for inv in b2b[100:1000] for line in inv.lines if line.product.kind == "print"
        ]
        for line, (text, quantity) in zip(
            rng.sample(candidates, len(_UNPARSEABLE_QUANTITIES)),
            _UNPARSEABLE_QUANTITIES,
            strict=True,
        ):
            line.quantity = quantity
            line.quantity_text = text
        # Orphan SKUs: products deleted from the master after they were discontinued.
        early = [inv for inv in b2b if inv.invoice_date < dt.date(2024, 4, 1)]
        for inv, sku in zip(rng.sample(early, len(_ORPHAN_SKUS)), _ORPHAN_SKUS, strict=True):
            inv.lines[-1].sku = sku

        # Bulk orders: 55-95x the median invoice, on otherwise ordinary invoices.
        median = sorted(inv.net for inv in invoices)[len(invoices) // 2]
        bulk_pool = [
            inv
            for inv in b2b
            if dt.date(2024, 3, 1) <= inv.invoice_date <= dt.date(2025, 4, 30)
            and not any(line.quantity_text for line in inv.lines)
        ]
        for inv in rng.sample(bulk_pool, 4):
            target = rng.randint(55, 95) * median
            line = inv.lines[0]
            others = inv.net - line.amount
            per_unit = line.unit_price * (100 - line.discount_pct)
            line.quantity = max(line.quantity, (target - others) * 100 // per_unit)

        # Two invoices for customers that are missing from the customer master.
        for inv, customer_id in zip(
            rng.sample([inv for inv in b2b if inv.invoice_date.year == 2024], 2),
            _ORPHAN_CUSTOMER_IDS,
            strict=True,
        ):
            inv.customer_id = customer_id

        # NULL typed into the sales rep field on four B2B invoices (web orders leave it empty).
        for inv in rng.sample(b2b, 4):
            inv.sales_rep = "NULL"

        # Voids and drafts.
        for inv in invoices:
            if inv.invoice_date < dt.date(2025, 6, 1) and rng.random() < 0.02:
                inv.void = True
            elif inv.invoice_date >= dt.date(2025, 6, 24) and rng.random() < 0.6:
                inv.draft = True
        may = [
            inv
            for inv in invoices
            if inv.invoice_date.month == 5 and inv.invoice_date.year == 2025 and not inv.void
        ]
        typo = rng.choice(may)
        typo.draft = True
        typo.shown_date = typo.invoice_date.replace(year=2026)
        typo.due_date = typo.due_date.replace(year=2026)

        # Numbering: per-year sequence; one invoice was given the previous invoice's number.
        duplicate_at = next(
            i for i, inv in enumerate(invoices) if inv.invoice_date >= dt.date(2024, 10, 15)
        )
        sequence: dict[int, int] = {}
        for index, inv in enumerate(invoices):
            year = inv.invoice_date.year
            if index == duplicate_at:
                previous = invoices[index - 1]
                inv.number = previous.number
                inv.line_offset = previous.line_offset + len(previous.lines)
                continue
            sequence[year] = sequence.get(year, 0) + 1
            inv.number = f"INV-{year}-{sequence[year]:05d}"
        return invoices

    def _payment_plan(self, inv: _Invoice) -> list[tuple[dt.date, int]]:
        rng = self.rng
        customer = inv.customer
        total = inv.total
        if customer.segment == "Individual":
            day = inv.invoice_date + dt.timedelta(days=rng.randint(0, 2))
            return [(_next_weekday(day), total)]
        payer = customer.payer
        if payer == "defaulter" and rng.random() < 0.7:
            return []
        if payer == "prompt":
            day = inv.due_date - dt.timedelta(days=rng.randint(0, 20))
            day = max(day, inv.invoice_date + dt.timedelta(days=3))
        elif payer == "normal":
            day = inv.due_date + dt.timedelta(days=rng.randint(-7, 12))
        else:
            day = inv.due_date + dt.timedelta(days=rng.randint(10, 80))
        day = _next_weekday(day)
        if rng.random() < 0.04:
            first = total * rng.randint(30, 70) // 100
            later = _next_weekday(day + dt.timedelta(days=rng.randint(14, 45)))
            return [(day, first), (later, total - first)]
        return [(day, total)]

    def _payments(self) -> list[_Payment]:
        rng = self.rng
        payments: list[_Payment] = []
        for inv in self.invoices:
            if inv.void or inv.draft:
                inv.status = "void" if inv.void else "draft"
                continue
            paid = 0
            for day, amount in self._payment_plan(inv):
                if day > AS_OF:
                    continue
                method = inv.customer.method
                if inv.customer.segment != "Individual" and rng.random() < 0.1:
                    method = rng.choice(("ach", "bank_transfer", "check"))
                payments.append(_Payment(inv.number, inv.currency, day, amount, method))
                paid += amount
            if paid >= inv.total:
                inv.status = "paid"
            else:
                inv.status = "overdue" if inv.due_date < AS_OF else "sent"
        for inv in rng.sample([i for i in self.invoices if i.status == "paid"], 2):
            inv.status = "payed"

        # Payments dated before their invoice (keyed against the wrong document date).
        by_number = {inv.number: inv for inv in self.invoices}
        counts: dict[str, int] = {}
        for p in payments:
            counts[p.invoice_number] = counts.get(p.invoice_number, 0) + 1
        singles = [
            p
            for p in payments
            if counts[p.invoice_number] == 1
            and by_number[p.invoice_number].customer.segment != "Individual"
        ]
        for p in rng.sample(singles, 2):
            inv = by_number[p.invoice_number]
            p.payment_date = _previous_weekday(
                inv.invoice_date - dt.timedelta(days=rng.randint(3, 9))
            )

        # Receipts for invoices that live in the pre-migration system.
        for number in _ORPHAN_PAYMENT_INVOICES:
            day = _next_weekday(self._date_between(dt.date(2024, 1, 3), dt.date(2024, 2, 28)))
            amount = int(self._lognormal(900.0, 0.6) * 100)
            payments.append(_Payment(number, "USD", day, amount, "check"))

        payments.sort(key=lambda p: (p.payment_date, p.invoice_number))
        for payment in payments:
            payment.shown_date = payment.payment_date.isoformat()
            payment.shown_method = payment.method
        picked = rng.sample(range(len(payments)), 12 + 5 + 4)
        for index in picked[:12]:
            payments[index].shown_date = payments[index].payment_date.strftime("%m/%d/%Y")
        for index in picked[12:17]:
            payments[index].shown_method = "N/A"
        for index in picked[17:]:
            payments[index].duplicated = True
        return payments

    # ---- procure to pay ------------------------------------------------------------------

    def _vendor_index(self, category: str) -> list[int]:
        return [i for i, v in enumerate(_VENDORS) if v[1] == category]

    def _bills(self) -> list[_Bill]:
        rng = self.rng
        bills: list[_Bill] = []

        def month_label(year: int, month: int) -> str:
            return f"{_MONTH_NAMES[month - 1]} {year}"

        for year, month in _MONTHS:
            label = month_label(year, month)
            rent = 1250000 if year == 2024 else 1312500  # lease escalation from 2025-01
            for vendor in self._vendor_index("rent"):
                bills.append(
                    _Bill(
                        vendor,
                        dt.date(year, month, 1),
                        "6200",
                        f"Office and warehouse rent {label}",
                        rent,
                    )
                )
            for offset, vendor in enumerate(self._vendor_index("utilities")):
                if offset == 0:
                    median = 650.0 * (1.35 if month in (1, 2, 7, 8, 12) else 1.0)
                    amount = int(self._lognormal(median, 0.15) * 100)
                elif offset == 1:
                    amount = int(self._lognormal(180.0, 0.2) * 100)
                else:
                    amount = 24900
                day = dt.date(year, month, 3 + offset * 2)
                name = _VENDORS[vendor][0]
                bills.append(_Bill(vendor, day, "6300", f"{name} - {label}", amount))
            month_end = _month_days(year, month)[-1]
            headcount = sum(1 for e in self.employees if e.hire_date <= month_end)
            for offset, vendor in enumerate(self._vendor_index("software")):
                name = _VENDORS[vendor][0]
                if offset == 2:  # hosting is billed on usage
                    amount = int(self._lognormal(1250.0, 0.25) * 100)
                elif offset == 3:  # e-mail is billed per seat
                    amount = headcount * _EMAIL_SEAT_CENTS
                else:
                    amount = _SOFTWARE_MONTHLY_CENTS[offset]
                bills.append(
                    _Bill(
                        vendor,
                        dt.date(year, month, 1 + offset * 3),
                        "6400",
                        f"{name} subscription {label}",
                        amount,
                    )
                )
            if month in (1, 4, 7, 10):
                for vendor, amount in zip(
                    self._vendor_index("insurance"), (360000, 115000), strict=True
                ):
                    bills.append(
                        _Bill(
                            vendor,
                            dt.date(year, month, 10),
                            "1300",
                            f"Insurance premium Q{(month + 2) // 3} {year}",
                            amount,
                        )
                    )
            if month in (1, 4, 7, 10):
                quarter = 4 if month == 1 else (month - 1) // 3
                royalty_year = year - 1 if month == 1 else year
                for vendor in self._vendor_index("royalties"):
                    bills.append(
                        _Bill(
                            vendor,
                            _next_weekday(dt.date(year, month, 15)),
                            "2400",
                            f"Royalty statement Q{quarter} {royalty_year}",
                            int(self._lognormal(3500.0, 0.9) * 100),
                        )
                    )

        month_weights = [
            (1 + 0.02 * i) * (1.6 if category_month in (7, 8, 9, 10) else 1.0)
            for i, (_, category_month) in enumerate(_MONTHS)
        ]
        descriptions = {
            "printing": "Print run",
            "paper": "Paper stock",
            "freight": "Freight - outbound shipments",
            "marketing": "Campaign",
            "office": "Office supplies",
            "professional": "Professional services",
            "equipment": "Equipment purchase",
        }
        book_titles = [p for p in self.products if p.kind in ("print", "textbook")]
        for category, (count, median, sigma) in _IRREGULAR_BILLS.items():
            vendors = self._vendor_index(category)
            for _ in range(count):
                if category == "printing":
                    year, month = rng.choices(_MONTHS, weights=month_weights)[0]
                else:
                    year, month = rng.choice(_MONTHS)
                day = rng.choice(_weekdays(year, month))
                amount = self._lognormal(median, sigma)
                while amount > 30000.0:  # natural amounts stay far below the injected outliers
                    amount = self._lognormal(median, sigma)
                text = f"{descriptions[category]} {month_label(year, month)}"
                if category == "printing":
                    book = rng.choice(book_titles)
                    text = f"Print run: {book.name} ({book.fmt})"
                bills.append(
                    _Bill(
                        rng.choice(vendors),
                        day,
                        _BILL_ACCOUNT[category],
                        text,
                        int(amount * 100),
                    )
                )
        bills.sort(key=lambda b: b.bill_date)
        for index, bill in enumerate(bills):
            bill.bill_id = f"BILL-{index + 1:05d}"

        median = sorted(b.amount for b in bills)[len(bills) // 2]
        large = [
            b for b in bills if b.account in ("1200", "1500") and b.bill_date < dt.date(2025, 5, 1)
        ]
        for bill in rng.sample(large, 3):
            bill.amount = rng.randint(55, 95) * median + rng.randint(0, 99)
        irregular = [b for b in bills if b.account not in ("6200", "6300", "6400", "1300")]
        for bill in rng.sample(irregular, 6):
            bill.void = True
        return bills

    def _vendor_payments(self) -> list[_VendorPayment]:
        rng = self.rng
        payments: list[_VendorPayment] = []
        for bill in self.bills:
            if bill.void:
                bill.status = "void"
                continue
            _, category, _, terms, method = _VENDORS[bill.vendor]
            if method == "credit_card":
                first_day = bill.bill_date  # card autopay charges on the billing day
            elif category == "rent":
                first_day = _next_weekday(bill.bill_date)  # direct debit on the next bank day
            elif terms == "Due on receipt":
                first_day = _friday_on_or_after(bill.bill_date + dt.timedelta(days=1))
            else:
                first_day = _friday_on_or_before(bill.due_date)
                if first_day <= bill.bill_date:
                    first_day = _friday_on_or_after(bill.bill_date + dt.timedelta(days=1))
                if rng.random() < 0.12:
                    first_day = _friday_on_or_after(
                        bill.due_date + dt.timedelta(days=rng.randint(7, 28))
                    )
            plan = [(first_day, bill.amount)]
            if bill.amount > 500000 and rng.random() < 0.3:
                half = bill.amount // 2
                later = first_day + dt.timedelta(days=7 * rng.randint(2, 4))
                plan = [(first_day, half), (later, bill.amount - half)]
            paid = 0
            for day, amount in plan:
                if day <= AS_OF:
                    payments.append(_VendorPayment(bill.bill_id, bill.vendor, day, amount, method))
                    paid += amount
            if paid >= bill.amount:
                bill.status = "paid"
            else:
                bill.status = "overdue" if bill.due_date < AS_OF else "open"
        # Payments whose bills were never migrated from the legacy AP system.
        for bill_id in _ORPHAN_BILL_IDS:
            vendor = rng.choice(self._vendor_index("printing") + self._vendor_index("paper"))
            day = _friday_on_or_after(self._date_between(dt.date(2024, 1, 8), dt.date(2024, 3, 1)))
            amount = int(self._lognormal(2600.0, 0.5) * 100)
            payments.append(_VendorPayment(bill_id, vendor, day, amount, _VENDORS[vendor][4]))
        payments.sort(key=lambda p: (p.payment_date, p.bill_id))
        return payments

    # ---- general ledger ------------------------------------------------------------------

    def _journal(self) -> list[_Entry]:
        rng = self.rng
        entries: list[_Entry] = []
        by_kind: dict[str, list[_Entry]] = {}

        def post(entry: _Entry, kind: str) -> _Entry:
            entries.append(entry)
            by_kind.setdefault(kind, []).append(entry)
            return entry

        opening = [
            ("1000", 41235000, 0),
            ("1100", 3850000, 0),
            ("1200", 21500000, 0),
            ("1210", 1800000, 0),
            ("1300", 960000, 0),
            ("1500", 18600000, 0),
            ("1510", 0, 6400000),
            ("2000", 0, 2780000),
            ("2300", 0, 1420000),
            ("2400", 0, 2250000),
            ("2700", 0, 15000000),
            ("3000", 0, 25000000),
        ]
        plug = sum(d for _, d, _ in opening) - sum(c for _, _, c in opening)
        opening.append(("3100", 0, plug))
        post(
            _Entry(
                PERIOD_START,
                "opening",
                "Opening balances",
                [(a, d, c, "Opening balance") for a, d, c in opening],
            ),
            "opening",
        )

        posted = [inv for inv in self.invoices if inv.status not in ("void", "draft")]
        sales: dict[dt.date, list[int]] = {}
        month_cost: dict[str, int] = {}
        month_revenue: dict[str, int] = {}
        month_tax: dict[str, int] = {}
        for inv in posted:
            digital = sum(line.amount for line in inv.lines if line.product.kind == "digital")
            print_usd = _to_usd(inv.net - digital, inv.currency)
            digital_usd = _to_usd(digital, inv.currency)
            tax_usd = _to_usd(inv.tax, inv.currency)
            totals = sales.setdefault(inv.invoice_date, [0, 0, 0])
            totals[0] += print_usd
            totals[1] += digital_usd
            totals[2] += tax_usd
            period = _period(inv.invoice_date)
            cost = sum(
                line.quantity * line.product.cost_cents
                for line in inv.lines
                if line.product.kind != "digital"
            )
            month_cost[period] = month_cost.get(period, 0) + cost
            revenue = print_usd + digital_usd
            month_revenue[period] = month_revenue.get(period, 0) + revenue
            month_tax[period] = month_tax.get(period, 0) + tax_usd
        for day in sorted(sales):
            print_usd, digital_usd, tax_usd = sales[day]
            memo = f"Daily sales summary {day.isoformat()}"
            lines = [("1100", print_usd + digital_usd + tax_usd, 0, memo)]
            lines.append(("4000", 0, print_usd, "Book and stationery sales"))
            if digital_usd:
                lines.append(("4100", 0, digital_usd, "Digital sales"))
            if tax_usd:
                lines.append(("2200", 0, tax_usd, "Sales tax collected"))
            post(_Entry(day, "sales", memo, lines), "sales")

        receipts: dict[dt.date, int] = {}
        card_receipts: dict[str, int] = {}
        for payment in self.payments:
            usd = _to_usd(payment.amount, payment.currency)
            receipts[payment.payment_date] = receipts.get(payment.payment_date, 0) + usd
            if payment.method in ("credit_card", "paypal"):
                period = _period(payment.payment_date)
                card_receipts[period] = card_receipts.get(period, 0) + usd
        for day in sorted(receipts):
            memo = f"Customer receipts {day.isoformat()}"
            lines = [("1000", receipts[day], 0, memo), ("1100", 0, receipts[day], memo)]
            post(_Entry(day, "cash_receipts", memo, lines), "receipts")

        for bill in self.bills:
            if bill.void:
                continue
            memo = f"Bill {bill.bill_id} - {_VENDORS[bill.vendor][0]}"
            lines = [
                (bill.account, bill.amount, 0, bill.description),
                ("2000", 0, bill.amount, memo),
            ]
            post(_Entry(bill.bill_date, "purchases", memo, lines), "purchases")

        runs: dict[dt.date, int] = {}
        for vp in self.vendor_payments:
            runs[vp.payment_date] = runs.get(vp.payment_date, 0) + vp.amount
        for day in sorted(runs):
            memo = f"Vendor payment run {day.isoformat()}"
            lines = [("2000", runs[day], 0, memo), ("1000", 0, runs[day], memo)]
            post(_Entry(day, "payables", memo, lines), "payables")

        def close(memo: str, debit: str, credit: str, amount: int, day: dt.date) -> None:
            lines = [(debit, amount, 0, memo), (credit, 0, amount, memo)]
            post(_Entry(day, "close", memo, lines), "close")

        loan = 15000000
        for year, month in _MONTHS:
            period = f"{year}-{month:02d}"
            label = f"{_MONTH_NAMES[month - 1]} {year}"
            last_day = _month_days(year, month)[-1]
            pay_day = _previous_weekday(last_day)
            # Payroll: gross per department, employer taxes 7.65%, net pay 72% of gross.
            gross: dict[str, int] = {}
            for employee in self.employees:
                if employee.hire_date <= last_day:
                    dept = employee.department
                    gross[dept] = gross.get(dept, 0) + employee.salary * 100 // 12
            total_gross = sum(gross.values())
            employer = total_gross * 765 // 10000
            net_pay = total_gross * 72 // 100
            memo = f"Payroll {label}"
            lines = [("6000", amount, 0, f"Salaries - {dept}") for dept, amount in gross.items()]
            lines.append(("6100", employer, 0, "Employer payroll taxes"))
            lines.append(("1010", 0, net_pay, "Net pay"))
            lines.append(("2300", 0, total_gross - net_pay + employer, "Withholdings and taxes"))
            post(_Entry(pay_day, "payroll", memo, lines), "payroll")
            funding = f"Fund payroll account {label}"
            post(
                _Entry(
                    pay_day,
                    "payroll",
                    funding,
                    [("1010", net_pay, 0, funding), ("1000", 0, net_pay, funding)],
                ),
                "payroll",
            )
            remit_day = _next_weekday(dt.date(year + month // 12, month % 12 + 1, 15))
            if remit_day <= AS_OF:
                liabilities = total_gross - net_pay + employer
                memo = f"Remit payroll liabilities {label}"
                lines = [("2300", liabilities, 0, memo), ("1000", 0, liabilities, memo)]
                post(_Entry(remit_day, "payroll", memo, lines), "payroll")

            # Month-end close.
            equipment = sum(
                b.amount for b in self.bills if b.account == "1500" and b.bill_date <= last_day
            )
            close(f"Depreciation {label}", "6800", "1510", 310000 + equipment // 60, last_day)
            close(
                f"Cost of goods sold {label}", "5000", "1200", month_cost.get(period, 0), last_day
            )
            close(
                f"Royalty accrual {label}",
                "5100",
                "2400",
                month_revenue.get(period, 0) // 10,
                last_day,
            )
            close(
                f"Card processing fees {label}",
                "6900",
                "1000",
                card_receipts.get(period, 0) * 29 // 1000 + 4500,
                last_day,
            )
            interest = loan * 600 // 120000
            memo = f"Loan instalment {label}"
            lines = [
                ("7000", interest, 0, "Interest"),
                ("2700", 250000, 0, "Principal"),
                ("1000", 0, interest + 250000, memo),
            ]
            post(_Entry(last_day, "close", memo, lines), "close")
            loan -= 250000
            accrued = int(self._lognormal(2000.0, 0.4) * 100)
            close(f"Accrued professional fees {label}", "6700", "2100", accrued, last_day)
            reversal_day = last_day + dt.timedelta(days=1)
            if reversal_day <= AS_OF:
                close(
                    f"Reverse accrued professional fees {label}",
                    "2100",
                    "6700",
                    accrued,
                    reversal_day,
                )
            remit = _next_weekday(dt.date(year + month // 12, month % 12 + 1, 20))
            if remit <= AS_OF:
                close(
                    f"Sales tax remittance {label}", "2200", "1000", month_tax.get(period, 0), remit
                )

        # Suspense account 9999 is used but missing from the chart of accounts.
        memo = "Unidentified deposit - held in suspense"
        post(
            _Entry(
                dt.date(2024, 11, 18),
                "adjustment",
                memo,
                [("1000", 187040, 0, memo), (_SUSPENSE_ACCOUNT, 0, 187040, memo)],
            ),
            "adjustment",
        )
        memo = "Suspense cleared to customer account"
        post(
            _Entry(
                dt.date(2024, 12, 5),
                "adjustment",
                memo,
                [(_SUSPENSE_ACCOUNT, 187040, 0, memo), ("1100", 0, 187040, memo)],
            ),
            "adjustment",
        )
        # A year-end audit adjustment dated in January but posted to December.
        memo = "Year-end audit adjustment: accrued audit fees"
        post(
            _Entry(
                dt.date(2025, 1, 8),
                "adjustment",
                memo,
                [("6700", 425000, 0, memo), ("2100", 0, 425000, memo)],
                fiscal_period="2024-12",
            ),
            "adjustment",
        )

        # Three unbalanced entries: transposed digits, a missing line, a keying typo.
        purchase = rng.choice(
            [
                e
                for e in by_kind["purchases"]
                if len(str(e.lines[1][2])) >= 5 and str(e.lines[1][2])[0] != str(e.lines[1][2])[1]
            ]
        )
        account, debit, credit, text = purchase.lines[1]
        digits = str(credit)
        purchase.lines[1] = (account, debit, int(digits[1] + digits[0] + digits[2:]), text)
        accrual = next(
            e
            for e in by_kind["close"]
            if e.description == "Accrued professional fees September 2024"
        )
        del accrual.lines[1]
        receipt = rng.choice([e for e in by_kind["receipts"] if e.entry_date.year == 2025])
        account, debit, credit, text = receipt.lines[0]
        receipt.lines[0] = (account, debit + 9000, credit, text)

        order = {
            "opening": 0,
            "sales": 1,
            "cash_receipts": 2,
            "purchases": 3,
            "payables": 4,
            "payroll": 5,
            "close": 6,
            "adjustment": 7,
        }
        entries.sort(key=lambda e: (e.entry_date, order[e.source]))
        for entry in entries:
            if not entry.fiscal_period:
                entry.fiscal_period = _period(entry.entry_date)
        return entries

    # ---- tables --------------------------------------------------------------------------

    def tables(self) -> list[_Table]:
        return [
            self._chart_table(),
            self._customers_table(),
            self._vendors_table(),
            self._products_table(),
            self._employees_table(),
            self._invoices_table(),
            self._invoice_lines_table(),
            self._payments_table(),
            self._bills_table(),
            self._vendor_payments_table(),
            self._journal_table(),
        ]

    def _chart_table(self) -> _Table:
        rows: list[list[str]] = []
        for number, name, kind in _CHART:
            debit_normal = kind in ("asset", "expense")
            if number in _CONTRA_ACCOUNTS:
                debit_normal = not debit_normal
            statement = (
                "balance_sheet" if kind in ("asset", "liability", "equity") else "income_statement"
            )
            rows.append([number, name, kind, "debit" if debit_normal else "credit", statement])
        header = ("account_number", "account_name", "account_type", "normal_balance", "statement")
        return _Table("chart_of_accounts", header, rows)

    def _customers_table(self) -> _Table:
        rng = self.rng
        rows = [
            [
                c.customer_id,
                c.name,
                c.segment,
                c.contact_name,
                c.email,
                c.phone,
                c.city.country,
                c.city.name,
                c.postal_code,
                c.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            ]
            for c in self.customers
        ]
        phones = rng.sample(range(len(rows)), 13)
        for index, token in zip(phones, [""] * 6 + ["N/A"] * 4 + ["n/a"] * 3, strict=True):
            rows[index][5] = token
        rest = [i for i in range(len(rows)) if i not in phones]
        bad_email, bad_postal = rest[17], rest[203]
        rows[bad_email][4] = rows[bad_email][4].replace("@", ".", 1)
        rows[rest[88]][4] = rows[rest[88]][4].rsplit(".", 1)[0]
        rows[bad_postal][8] = "-"
        rows[rest[251]][8] = "-"
        header = (
            "customer_id",
            "customer_name",
            "segment",
            "contact_name",
            "email",
            "phone",
            "country",
            "city",
            "postal_code",
            "created_at",
        )
        return _Table("customers", header, rows)

    def _vendors_table(self) -> _Table:
        rng = self.rng
        rows: list[list[str]] = []
        for index, (name, category, country, terms, _) in enumerate(_VENDORS):
            city = self._city(country)
            rows.append(
                [
                    f"V-{index + 1:04d}",
                    name,
                    category,
                    f"{_slug(name)}@example.net",
                    self._phone(city),
                    country,
                    terms,
                ]
            )
        for index in rng.sample(range(len(rows)), 3):
            rows[index][3] = "NULL"
        header = (
            "vendor_id",
            "vendor_name",
            "category",
            "email",
            "phone",
            "country",
            "payment_terms",
        )
        return _Table("vendors", header, rows)

    def _products_table(self) -> _Table:
        rng = self.rng
        rows = [
            [
                p.sku,
                p.name,
                p.category,
                p.fmt,
                f"${_money(p.price_cents)}",
                _money(p.cost_cents),
                "true" if p.is_active else "false",
                p.launched_on.isoformat(),
            ]
            for p in self.products
        ]
        for index in rng.sample(range(len(rows)), 2):
            rows[index][2] = "-"
        header = (
            "sku",
            "product_name",
            "category",
            "format",
            "unit_price",
            "unit_cost",
            "is_active",
            "launched_on",
        )
        return _Table("products", header, rows)

    def _employees_table(self) -> _Table:
        rows = [
            [
                str(e.employee_id),
                e.first_name,
                e.last_name,
                f"{e.first_name}.{e.last_name}@acme-books.example.com".lower(),
                e.department,
                e.title,
                "" if e.manager_id is None else str(e.manager_id),
                e.hire_date.isoformat(),
                str(e.salary),
            ]
            for e in self.employees
        ]
        header = (
            "employee_id",
            "first_name",
            "last_name",
            "email",
            "department",
            "job_title",
            "manager_id",
            "hire_date",
            "salary",
        )
        return _Table("employees", header, rows)

    def _invoices_table(self) -> _Table:
        rows = [
            [
                inv.number,
                inv.customer_id,
                inv.sales_rep,
                (inv.shown_date or inv.invoice_date).isoformat(),
                inv.due_date.isoformat(),
                inv.status,
                inv.currency,
                _money(inv.net),
                _percent(inv.tax_bp),
                _money(inv.tax),
                _money(inv.total),
            ]
            for inv in self.invoices
        ]
        header = (
            "invoice_number",
            "customer_id",
            "sales_rep_id",
            "invoice_date",
            "due_date",
            "status",
            "currency",
            "net_amount",
            "tax_rate",
            "tax_amount",
            "total_amount",
        )
        return _Table("invoices", header, rows)

    def _invoice_lines_table(self) -> _Table:
        rows: list[list[str]] = []
        for inv in self.invoices:
            for number, line in enumerate(inv.lines, start=inv.line_offset + 1):
                rows.append(
                    [
                        inv.number,
                        str(number),
                        line.sku,
                        line.product.name,
                        line.quantity_text or str(line.quantity),
                        _money(line.unit_price),
                        str(line.discount_pct),
                        _money(line.amount),
                    ]
                )
        header = (
            "invoice_number",
            "line_no",
            "sku",
            "description",
            "quantity",
            "unit_price",
            "discount_pct",
            "line_amount",
        )
        return _Table("invoice_lines", header, rows)

    def _payments_table(self) -> _Table:
        rows: list[list[str]] = []
        for index, p in enumerate(self.payments):
            row = [f"PMT-{index + 1:06d}", p.invoice_number, p.shown_date, _money(p.amount)]
            row.append(p.shown_method)
            rows.append(row)
            if p.duplicated:
                rows.append(list(row))
        header = ("payment_id", "invoice_number", "payment_date", "amount", "method")
        return _Table("payments", header, rows)

    def _bills_table(self) -> _Table:
        rows = [
            [
                b.bill_id,
                f"V-{b.vendor + 1:04d}",
                b.bill_date.isoformat(),
                b.due_date.isoformat(),
                b.account,
                b.description,
                _money_grouped(b.amount),
                b.status,
            ]
            for b in self.bills
        ]
        header = (
            "bill_id",
            "vendor_id",
            "bill_date",
            "due_date",
            "account_number",
            "description",
            "amount",
            "status",
        )
        return _Table("bills", header, rows)

    def _vendor_payments_table(self) -> _Table:
        rows = [
            [
                f"VP-{index + 1:05d}",
                vp.bill_id,
                f"V-{vp.vendor + 1:04d}",
                vp.payment_date.isoformat(),
                _money(vp.amount),
                vp.method,
            ]
            for index, vp in enumerate(self.vendor_payments)
        ]
        header = (
            "vendor_payment_id",
            "bill_id",
            "vendor_id",
            "payment_date",
            "amount",
            "method",
        )
        return _Table("vendor_payments", header, rows)

    def _journal_table(self) -> _Table:
        rows: list[list[str]] = []
        for number, entry in enumerate(self.entries, start=1):
            for line_no, (account, debit, credit, text) in enumerate(entry.lines, start=1):
                rows.append(
                    [
                        f"JE-{number:06d}",
                        str(line_no),
                        entry.entry_date.isoformat(),
                        entry.fiscal_period,
                        entry.source,
                        account,
                        text,
                        _money(debit),
                        _money(credit),
                    ]
                )
        header = (
            "journal_id",
            "line_no",
            "entry_date",
            "fiscal_period",
            "source",
            "account_number",
            "description",
            "debit",
            "credit",
        )
        return _Table("journal_lines", header, rows)


def write_example_source(folder: Path) -> list[Path]:
    """Write the ``acme_books`` CSV files into ``folder`` and return their paths in table order.

    Existing files of the same names are overwritten; other files in the folder are left alone.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for table in _AcmeBooks(SEED).tables():
        path = folder / f"{table.name}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
            writer.writerow(table.header)
            writer.writerows(table.rows)
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dataraum_assets.example_data",
        description=f"Write the bundled example source '{EXAMPLE_SOURCE_NAME}' as CSV files.",
    )
    parser.add_argument("folder", type=Path, help="folder to write the CSV files into")
    args = parser.parse_args(argv)
    for path in write_example_source(args.folder):
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
