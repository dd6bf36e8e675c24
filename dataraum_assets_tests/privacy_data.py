"""Test data for the privacy stages, from published test vectors only: payment processors' test
card numbers, the IBAN registry's examples, RFC 2606 example domains, 555-01xx fiction phone
numbers (NANP) and Ofcom's 020 7946 0xxx drama range, RFC 5737 / RFC 3849 documentation IP
addresses, and the two SSNs the SSA lists as used in advertising (never real people's data)."""

from collections.abc import Mapping

import duckdb
import pandas as pd

from dataraum_assets.identifiers import ROW_NUMBER_COLUMN, quote_identifier

# Stripe / Adyen / Braintree documentation test cards (all pass Luhn).
TEST_CARDS = (
    "4111111111111111",
    "5555555555554444",
    "378282246310005",
    "4242424242424242",
    "4012888888881881",
    "5105105105105100",
    "6011111111111117",
    "371449635398431",
    "5200828282828210",
    "4000056655665556",
    "6011000990139424",
    "3530111333300000",
)
# SWIFT IBAN registry examples (valid check digits).
TEST_IBANS = (
    "GB82WEST12345698765432",
    "DE89370400440532013000",
    "FR1420041010050500013M02606",
    "NL91ABNA0417164300",
    "ES9121000418450200051332",
    "IT60X0542811101000000123456",
    "CH9300762011623852957",
    "BE68539007547034",
    "AT611904300234573201",
    "PL61109010140000071219812874",
)
# The SSA's "advertising" numbers, invalidated long ago.
TEST_SSNS = ("078-05-1120", "219-09-9999")
INVALID_SSNS = ("000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000")
FIRST = ("Jane", "John", "Maria", "Ahmed", "Li", "Sofia", "Lucas", "Emma", "Noah", "Olivia")
LAST = ("Doe", "Roe", "Smith", "Garcia", "Chen", "Müller", "Rossi", "Kowalski", "Silva", "Berg")


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in reversed(number)]
    total = sum(
        d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits)
    )
    return total % 10 == 0


def card(i: int) -> str:
    value = TEST_CARDS[i % len(TEST_CARDS)]
    if i % 3 == 1:  # the spaced form people type
        value = " ".join(value[j : j + 4] for j in range(0, len(value), 4))
    return value


def bad_card(i: int) -> str:
    """A test card with its last digit changed so it fails Luhn."""
    value = TEST_CARDS[i % len(TEST_CARDS)]
    last = (int(value[-1]) + 1 + i % 8) % 10
    bad = value[:-1] + str(last)
    return bad if not luhn_ok(bad) else value[:-1] + str((last + 1) % 10)


def iban(i: int) -> str:
    value = TEST_IBANS[i % len(TEST_IBANS)]
    return " ".join(value[j : j + 4] for j in range(0, len(value), 4)) if i % 2 else value


def bad_iban(i: int) -> str:
    """A registry IBAN with a wrong check digit (mod-97 fails)."""
    value = TEST_IBANS[i % len(TEST_IBANS)]
    check = (int(value[2:4]) + 1 + i % 5) % 100
    return f"{value[:2]}{check:02d}{value[4:]}"


def email(i: int) -> str:
    domain = ("example.com", "example.org", "example.net", "mail.example")[i % 4]
    return f"{FIRST[i % 10].lower()}.{LAST[(i // 10) % 10].lower()}{i}@{domain}"


def phone(i: int) -> str:
    formats = (
        f"+1 212 555 01{i % 100:02d}",
        f"(312) 555-01{i % 100:02d}",
        f"+1-415-555-01{i % 100:02d}",
        f"020 7946 0{i % 1000:03d}",
        f"+44 20 7946 0{i % 1000:03d}",
    )
    return formats[i % len(formats)]


def ip(i: int) -> str:
    options = (
        f"192.0.2.{i % 256}",
        f"198.51.100.{i % 256}",
        f"203.0.113.{i % 256}",
        f"2001:db8::{i % 65536:x}",
        f"2001:db8:85a3::8a2e:370:{i % 65536:x}",
    )
    return options[i % len(options)]


def person(i: int) -> str:
    return f"{FIRST[i % 10]} {LAST[(i * 7) % 10]}"


def create_typed_tables(
    con: duckdb.DuckDBPyConnection, tables: Mapping[str, pd.DataFrame], alias: str = "typed_tables"
) -> None:
    """A ``typed_tables``-like attached database: ``typed."<table>"`` with ``_row``."""
    con.execute(f"ATTACH ':memory:' AS {quote_identifier(alias)}")
    con.execute(f"CREATE SCHEMA {quote_identifier(alias)}.typed")
    for name, frame in tables.items():
        view = f"__frame_{name}"
        con.register(view, frame.reset_index(drop=True))
        con.execute(
            f"CREATE TABLE {quote_identifier(alias)}.typed.{quote_identifier(name)} AS SELECT "
            f"row_number() OVER () AS {ROW_NUMBER_COLUMN}, * FROM {quote_identifier(view)}"
        )
        con.unregister(view)
