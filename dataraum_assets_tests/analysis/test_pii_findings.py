"""pii_findings on inline data built from published test vectors, and on real public tables
(vega_datasets) with PII columns and checksum decoys mixed in: precision, recall, no decoy."""

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import vega_datasets

from dataraum_assets.analysis.pii_findings import (
    OUTPUT_SCHEMAS,
    PatternLibraryError,
    build_pii_findings,
    load_options,
    wilson_interval,
)
from dataraum_assets_tests.privacy_data import (
    INVALID_SSNS,
    TEST_SSNS,
    bad_card,
    bad_iban,
    card,
    create_typed_tables,
    email,
    iban,
    ip,
    person,
    phone,
)

VEGA = Path(vega_datasets.__file__).parent / "_data"


def _findings(tables: dict[str, pd.DataFrame], **override: object) -> dict[tuple[str, str], str]:
    con = duckdb.connect()
    create_typed_tables(con, tables)
    result = build_pii_findings(con, load_options(override))
    for name, schema in OUTPUT_SCHEMAS.items():
        schema.validate(con.sql(f"SELECT * FROM {name}").df())
    return {(f.table_name, f.column_name): f.pii_kind for f in result.findings}


def test_each_kind_is_found_from_published_test_vectors() -> None:
    n = 60
    frame = pd.DataFrame(
        {
            "contact": [email(i) for i in range(n)],
            "reach": [phone(i) for i in range(n)],
            "pan_text": [card(i) for i in range(n)],
            "account": [iban(i) for i in range(n)],
            "ref": [TEST_SSNS[i % 2] for i in range(n)],
            "host": [ip(i) for i in range(n)],
        }
    )
    assert _findings({"t": frame}) == {
        ("t", "contact"): "email",
        ("t", "reach"): "phone",
        ("t", "pan_text"): "payment_card",
        ("t", "account"): "iban",
        ("t", "ref"): "ssn",
        ("t", "host"): "ip_address",
    }


def test_checksum_decoys_are_not_pii() -> None:
    n = 60
    frame = pd.DataFrame(
        {
            "card_number": [bad_card(i) for i in range(n)],  # even the header says card
            "iban": [bad_iban(i) for i in range(n)],
            "ssn": [INVALID_SSNS[i % len(INVALID_SSNS)] for i in range(n)],
        }
    )
    con = duckdb.connect()
    create_typed_tables(con, {"t": frame})
    result = build_pii_findings(con, load_options())
    assert result.findings == ()
    failures = {(c.column_name, c.pii_kind): c.checksum_failures for c in result.candidates}
    assert failures == {("card_number", "payment_card"): n, ("iban", "iban"): n, ("ssn", "ssn"): n}


def test_integer_card_numbers_and_bare_ssn_digits_need_the_right_header() -> None:
    cards = [int(card(i).replace(" ", "")) for i in range(40)]
    bare = [int(TEST_SSNS[i % 2].replace("-", "")) for i in range(40)]
    frame = pd.DataFrame({"pan": cards, "ssn": bare, "other": bare})
    assert _findings({"t": frame}) == {("t", "pan"): "payment_card", ("t", "ssn"): "ssn"}


def test_semantic_kinds_need_the_header_or_concept() -> None:
    n = 50
    births = [dt.date(1950 + i % 50, 1 + i % 12, 1 + i % 28) for i in range(n)]
    frame = pd.DataFrame(
        {
            "first_name": [person(i).split()[0] for i in range(n)],
            "label": [person(i) for i in range(n)],  # names, but nothing says so
            "date_of_birth": births,
            "hire_date": births,
            "zip_code": [f"{10000 + 37 * i}" for i in range(n)],
            "station_code": [f"{10000 + 37 * i}" for i in range(n)],
            "street_address": [f"{i + 1} Example Street" for i in range(n)],
        }
    )
    assert _findings({"people": frame}) == {
        ("people", "first_name"): "person_name",
        ("people", "date_of_birth"): "date_of_birth",
        ("people", "zip_code"): "postal_code",
        ("people", "street_address"): "postal_address",
    }


def test_implausible_birth_dates_are_not_dates_of_birth() -> None:
    frame = pd.DataFrame({"birth_date": [dt.date(2200, 1, 1)] * 30 + [dt.date(1700, 1, 1)] * 30})
    assert _findings({"t": frame}) == {}


def test_semantic_concepts_name_a_column() -> None:
    con = duckdb.connect()
    create_typed_tables(con, {"t": pd.DataFrame({"who": [person(i) for i in range(30)]})})
    con.execute("ATTACH ':memory:' AS semantic_annotations")
    con.execute(
        "CREATE TABLE semantic_annotations.column_annotations AS "
        "SELECT 't' AS table_name, 'who' AS column_name, 'person_name' AS concept"
    )
    result = build_pii_findings(con, load_options(), annotations_database="semantic_annotations")
    [finding] = result.findings
    assert (finding.column_name, finding.pii_kind, finding.named_by) == (
        "who",
        "person_name",
        "concept",
    )


def test_share_confidence_and_counts_never_values() -> None:
    values = [email(i) for i in range(80)] + ["n/a yet"] * 20 + [None] * 10
    con = duckdb.connect()
    create_typed_tables(con, {"t": pd.DataFrame({"mail": values})})
    build_pii_findings(con, load_options())
    row = con.execute(
        "SELECT pii_kind, match_share, confidence, example_count, values_examined, frameworks, "
        "sampled, named_by, redaction FROM pii_findings"
    ).fetchall()
    # 80 of 100 non-null; the header names email: + 0.2
    assert row == [("email", 0.8, 1.0, 80, 100, ["GDPR"], False, "header", "mask")]
    stored = con.execute("SELECT * FROM pii_findings").fetchall()[0]
    assert not any(isinstance(cell, str) and "@" in cell for cell in stored)


def test_below_the_threshold_is_a_candidate_only() -> None:
    values = [email(i) for i in range(60)] + ["someone"] * 40
    con = duckdb.connect()
    create_typed_tables(con, {"t": pd.DataFrame({"notes": values})})
    result = build_pii_findings(con, load_options())
    assert result.findings == ()
    [candidate] = result.candidates
    assert (candidate.confidence, candidate.detected) == (0.6, False)


def test_threshold_and_kinds_come_from_the_yaml_override() -> None:
    values = [email(i) for i in range(60)] + ["someone"] * 40
    frame = pd.DataFrame({"notes": values, "badge": [f"EMP-{i:06d}" for i in range(100)]})
    found = _findings(
        {"t": frame},
        confidence_threshold=0.5,
        kinds={"badge": {"frameworks": ["GDPR"], "detection": "value", "pattern": "EMP-[0-9]{6}"}},
    )
    assert found == {("t", "notes"): "email", ("t", "badge"): "badge"}
    assert _findings({"t": frame}, confidence_threshold=0.5, disabled_kinds=["email"]) == {}


def test_bad_library_entries_are_clear_errors() -> None:
    with pytest.raises(PatternLibraryError, match="'x': framework 'SOX'"):
        load_options(
            {"kinds": {"x": {"frameworks": ["SOX"], "detection": "value", "pattern": "a"}}}
        )
    with pytest.raises(PatternLibraryError, match="unknown PII library keys: treshold"):
        load_options({"treshold": 0.5})
    con = duckdb.connect()
    create_typed_tables(con, {"t": pd.DataFrame({"a": ["x"]})})
    bad_regex = {"kinds": {"x": {"frameworks": ["GDPR"], "detection": "value", "pattern": "(?=a)"}}}
    with pytest.raises(PatternLibraryError, match="'x': pattern is not an RE2 expression"):
        build_pii_findings(con, load_options(bad_regex))


def test_large_tables_are_sampled_and_borderline_columns_confirmed() -> None:
    n = 3000
    frame = pd.DataFrame(
        {
            "mail": [email(i) for i in range(n)],
            # 70% e-mails: exactly at the threshold, so the sample cannot decide
            "mixed": [email(i) if i % 10 < 7 else "nobody" for i in range(n)],
        }
    )
    con = duckdb.connect()
    create_typed_tables(con, {"t": frame})
    result = build_pii_findings(con, load_options({"sample_rows": 300}))
    by_column = {f.column_name: f for f in result.findings}
    assert by_column["mail"].sampled and 200 < by_column["mail"].values_examined < 450
    assert not by_column["mixed"].sampled and by_column["mixed"].values_examined == n
    assert result.confirmed_columns == 1


def test_wilson_interval() -> None:
    low, high = wilson_interval(50, 100, 1.96)
    assert (round(low, 4), round(high, 4)) == (0.4038, 0.5962)
    assert wilson_interval(0, 0, 1.96) == (0.0, 1.0)


def _vega_with_pii() -> tuple[dict[str, pd.DataFrame], dict[tuple[str, str], str]]:
    """Real public tables with PII columns and decoys added; returns tables and the truth."""
    tables: dict[str, pd.DataFrame] = {}
    truth: dict[tuple[str, str], str] = {}
    for path in sorted(VEGA.glob("*.csv")):
        name = path.stem.replace("-", "_")
        frame = duckdb.connect().execute(f"SELECT * FROM read_csv('{path}')").df()
        n = len(frame)
        added = {
            "customer_email": ([email(i) for i in range(n)], "email"),
            "contact_phone": ([phone(i) for i in range(n)], "phone"),
            "card_on_file": ([card(i) for i in range(n)], "payment_card"),
            "payout_account": ([iban(i) for i in range(n)], "iban"),
            "tax_id": ([TEST_SSNS[i % 2] for i in range(n)], "ssn"),
            "client_ip": ([ip(i) for i in range(n)], "ip_address"),
            "contact_name": ([person(i) for i in range(n)], "person_name"),
            "date_of_birth": (
                [dt.date(1940 + i % 60, 1 + i % 12, 1 + i % 28) for i in range(n)],
                "date_of_birth",
            ),
            "street_address": (
                [f"{i % 900 + 1} Example Street" for i in range(n)],
                "postal_address",
            ),
            "zip": ([f"{(i * 7919) % 90000 + 10000}" for i in range(n)], "postal_code"),
            # decoys: the right shapes, failing checksums, or codes that only look like PII
            "ref_number": ([bad_card(i) for i in range(n)], None),
            "wire_account": ([bad_iban(i) for i in range(n)], None),
            "case_code": ([INVALID_SSNS[i % 5] for i in range(n)], None),
            "order_number": ([f"ORD-2024-{i:06d}" for i in range(n)], None),
            "batch": ([f"{20240101 + i % 28}" for i in range(n)], None),
            "station_code": ([f"{(i * 7919) % 90000 + 10000}" for i in range(n)], None),
            "event_day": ([f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(n)], None),
            "serial": ([f"{(i * 104729) % 10**16:016d}" for i in range(n)], None),
        }
        for column, (values, kind) in added.items():
            frame[column] = values
            if kind:
                truth[(name, column)] = kind
        tables[name] = frame
    # la-riots.csv itself names people (victims of the 1992 riots) and their addresses: real
    # PII already in the public data, and it must be found too.
    truth |= {
        ("la_riots", "first_name"): "person_name",
        ("la_riots", "last_name"): "person_name",
        ("la_riots", "address"): "postal_address",
    }
    return tables, truth


def test_precision_and_recall_on_real_tables_with_pii_and_decoys() -> None:
    tables, truth = _vega_with_pii()
    found = _findings(tables)
    correct = {key for key, kind in found.items() if truth.get(key) == kind}
    precision = len(correct) / len(found)
    recall = len(correct) / len(truth)
    decoys = {"ref_number", "wire_account", "case_code", "serial"}
    assert [key for key in found if key[1] in decoys] == []
    assert precision >= 0.95, sorted(set(found) - correct)
    assert recall >= 0.95, sorted(set(truth) - correct)
