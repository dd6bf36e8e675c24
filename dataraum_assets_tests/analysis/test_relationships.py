import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd
import pandera.errors
import pytest

from dataraum_assets.analysis.relationships import (
    OUTPUT_SCHEMAS,
    Relationship,
    RelationshipOptions,
    accepted_keys,
    build_relationships,
    key_family,
    name_affinity,
    name_tokens,
)
from dataraum_assets.analysis.statistical_profiles import build_statistical_profiles
from dataraum_assets_tests.relationship_sources import (
    SOURCES,
    Source,
    Table,
    load_typed,
    precision_recall,
)

DEFAULTS = RelationshipOptions()


def run_relationships(
    source: Source,
    options: RelationshipOptions = DEFAULTS,
    *,
    profiles: bool = True,
) -> tuple[tuple[Relationship, ...], duckdb.DuckDBPyConnection]:
    """Load ``source`` as typed tables, profile it as the statistical_profiles asset would (or
    not), and build the relationships into ``memory``."""
    con = duckdb.connect()
    load_typed(con, source)
    if profiles:
        con.execute("ATTACH ':memory:' AS statistical_profiles")
        con.execute("USE statistical_profiles")
        build_statistical_profiles(con)
        con.execute("USE memory")
    result = build_relationships(
        con, options, profiles_database="statistical_profiles" if profiles else None
    )
    return result, con


@functools.cache
def generated(name: str) -> tuple[Source, tuple[Relationship, ...]]:
    """A generated source and its relationships with the default options, built once."""
    source = SOURCES[name]()
    return source, run_relationships(source)[0]


def tiny_source(tables: Sequence[tuple[str, dict[str, str], list[list[Any]]]]) -> Source:
    return Source("tiny", [Table(name, columns, rows) for name, columns, rows in tables])


def row_of(result: Sequence[Relationship], child: str, parent: str) -> Relationship:
    """The row whose child and parent are ``table.column`` (or ``table(a, b)``) labels."""

    def label(table: str, columns: Sequence[str]) -> str:
        return f"{table}.{columns[0]}" if len(columns) == 1 else f"{table}({', '.join(columns)})"

    (row,) = [
        r
        for r in result
        if label(r.child_table, r.child_columns) == child
        and label(r.parent_table, r.parent_columns) == parent
    ]
    return row


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_documented_keys_are_found_with_exact_orphans(name: str) -> None:
    source, result = generated(name)
    found = accepted_keys(result)
    precision, recall = precision_recall(found, source.keys)
    assert recall == 1.0, source.keys - found
    assert precision >= 0.9, found - source.keys
    orphans = {
        (r.child_table, r.child_columns, r.parent_table, r.parent_columns): r.orphan_count
        for r in result
        if r.status == "accepted"
    }
    assert {key: orphans[key] for key in source.keys} == source.orphans
    # The output matches its published schema.
    frame = pd.DataFrame([r.__dict__ for r in result])
    OUTPUT_SCHEMAS["relationships"].validate(frame)


def test_keys_named_differently_and_self_references_are_found() -> None:
    _, result = generated("chinook_like")
    support = row_of(result, "customers.supportrepid", "employees.employeeid")
    assert (support.status, support.cardinality, support.fan_out) == ("accepted", "N:1", False)
    assert "person role" in support.name_affinity
    reports = row_of(result, "employees.reportsto", "employees.employeeid")
    assert reports.status == "accepted"
    assert reports.null_count == 1  # the general manager reports to nobody
    # {3, 4, 5} also lies inside media_types 1..5, genres 1..25, ...: coincidences.
    media = row_of(result, "customers.supportrepid", "media_types.mediatypeid")
    assert media.status == "rejected"
    assert media.reason.startswith("coincidental overlap")


def test_small_integer_ranges_years_and_codes_are_not_foreign_keys() -> None:
    _, result = generated("overlapping_ids")
    quantity = row_of(result, "sales.quantity", "stores.store_id")
    assert (quantity.status, quantity.containment, quantity.evidence) == (
        "rejected",
        1.0,
        "weak",
    )
    assert "dense parent range 1..40" in quantity.reason
    year = row_of(result, "products.launch_year", "sales.sale_id")
    assert year.status == "rejected"
    shift = row_of(result, "sales.shift", "pay_grades.grade")
    assert (shift.status, shift.evidence) == ("rejected", "weak")
    assert "one-character codes" in shift.reason
    # Booleans are never compared.
    assert not [r for r in result if "is_return" in r.child_columns or "active" in r.child_columns]
    # Rejected rows carry no verification; accepted rows do.
    assert (quantity.orphan_count, quantity.cardinality, quantity.fan_out) == (None, None, None)


def test_orphans_are_counted_exactly_with_examples() -> None:
    source, result = generated("overlapping_ids")
    promo = row_of(result, "sales.promo_id", "promotions.promo_id")
    promo_values = [row[3] for row in source.table("sales").rows]
    orphan_values = [v for v in promo_values if v is not None and v >= 120]
    assert promo.status == "accepted"
    assert promo.containment == pytest.approx(20 / 24)
    assert promo.orphan_count == len(orphan_values)
    assert promo.null_count == promo_values.count(None)
    assert sorted(promo.orphan_examples or ()) == ["120", "121", "122", "123"]


def test_composite_key_with_orphans() -> None:
    source, result = generated("nycflights_like")
    composite = row_of(result, "flights(origin, time_hour)", "weather(origin, time_hour)")
    key = ("flights", ("origin", "time_hour"), "weather", ("origin", "time_hour"))
    assert composite.status == "accepted"
    assert composite.orphan_count == source.orphans[key] > 0
    assert composite.cardinality == "N:1"
    assert composite.orphan_examples and composite.orphan_examples[0].startswith("(")
    # weather is keyed by the pair only: neither column alone is a parent.
    assert not [r for r in result if r.parent_table == "weather" and len(r.parent_columns) == 1]


def test_low_containment_is_rejected_and_noise_is_not_written() -> None:
    source = tiny_source(
        [
            ("codes", {"code": "VARCHAR"}, [[f"K{i:03d}"] for i in range(100)]),
            # 60% of the distinct values are codes: a candidate, rejected.
            (
                "half",
                {"code": "VARCHAR"},
                [[f"K{i:03d}"] for i in range(6)] + [["X1"], ["X2"], ["X3"], ["X4"]],
            ),
            # 30%: below the reporting floor, not written at all.
            (
                "little",
                {"code": "VARCHAR"},
                [["K001"], ["K002"], ["K003"]] + [[f"Z{i}"] for i in range(7)],
            ),
        ]
    )
    result, _ = run_relationships(source)
    half = row_of(result, "half.code", "codes.code")
    assert (half.status, half.containment) == ("rejected", 0.6)
    assert half.reason.startswith("containment too low")
    assert not [r for r in result if r.child_table == "little"]


def test_duplicate_parent_keys_fan_out() -> None:
    source = tiny_source(
        [
            ("orders", {"order_no": "VARCHAR"}, [[f"O-{i}"] for i in range(50)] + [["O-7"]]),
            ("shipments", {"order_no": "VARCHAR"}, [[f"O-{i % 20}"] for i in range(60)]),
        ]
    )
    result, _ = run_relationships(source)
    row = row_of(result, "shipments.order_no", "orders.order_no")
    assert (row.status, row.parent_unique, row.cardinality, row.fan_out) == (
        "accepted",
        False,
        "N:M",
        True,
    )
    assert row.fan_out_rows == 3  # O-7 appears 3 times in shipments, twice in orders
    assert "a join adds 3 rows" in row.reason


def test_sparse_integer_parent_is_strong_evidence_without_names() -> None:
    # Account numbers 1000, 1010, ...: containment in a sparse range is not a coincidence.
    accounts = [[1000 + 10 * i] for i in range(40)]
    postings = [[1000 + 10 * (i % 30)] for i in range(200)]
    source = tiny_source(
        [
            ("ledger_accounts", {"acct": "BIGINT"}, accounts),
            ("postings", {"gl": "BIGINT"}, postings),
        ]
    )
    result, _ = run_relationships(source)
    row = row_of(result, "postings.gl", "ledger_accounts.acct")
    assert (row.status, row.evidence, row.name_affinity) == ("accepted", "strong", "none")
    # The same values in a dense range are no evidence, and no name breaks the tie.
    dense = tiny_source(
        [
            ("ledger_accounts", {"acct": "BIGINT"}, [[i] for i in range(1, 41)]),
            ("postings", {"gl": "BIGINT"}, [[1 + i % 30] for i in range(200)]),
        ]
    )
    result, _ = run_relationships(dense)
    assert row_of(result, "postings.gl", "ledger_accounts.acct").status == "rejected"


def test_one_direction_for_one_to_one_tables() -> None:
    films = [[i, f"Film {i}"] for i in range(1, 31)]
    texts = [[i, f"Text {i}"] for i in range(1, 31)]
    source = tiny_source(
        [
            ("film", {"film_id": "BIGINT", "title": "VARCHAR"}, films),
            ("film_text", {"film_id": "BIGINT", "description": "VARCHAR"}, texts),
        ]
    )
    result, _ = run_relationships(source)
    assert accepted_keys(result) == {("film_text", ("film_id",), "film", ("film_id",))}
    reverse = row_of(result, "film.film_id", "film_text.film_id")
    assert reverse.status == "rejected" and reverse.reason.startswith("reverse of the accepted")
    assert row_of(result, "film_text.film_id", "film.film_id").cardinality == "1:1"


def test_approximate_containment_above_the_exact_limit() -> None:
    source, exact = generated("chinook_like")
    options = RelationshipOptions(exact_max_distinct=50, sample_size=40)
    approximate, _ = run_relationships(source, options)
    assert accepted_keys(approximate) == accepted_keys(exact) == source.keys
    track = row_of(approximate, "invoice_items.trackid", "tracks.trackid")
    # Accepted rows are verified exactly; rejected ones keep the sampled estimate.
    assert (track.method, track.orphan_count, track.sample_size) == ("exact", 0, None)
    sampled = [r for r in approximate if r.method == "approximate"]
    assert sampled and all(r.status == "rejected" and r.sample_size for r in sampled)
    assert all(r.sample_size is None for r in exact)


def test_without_profiles_the_numbers_are_computed() -> None:
    source, with_profiles = generated("nycflights_like")
    without, _ = run_relationships(source, profiles=False)
    assert accepted_keys(without) == accepted_keys(with_profiles) == source.keys


def test_empty_source_writes_an_empty_table() -> None:
    con = duckdb.connect()
    load_typed(con, Source("empty", []))
    assert build_relationships(con, profiles_database=None) == ()
    assert con.execute("SELECT count(*) FROM relationships").fetchall() == [(0,)]


def test_missing_typed_database_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="'typed_tables' is not attached"):
        build_relationships(duckdb.connect())


def test_key_families() -> None:
    assert [key_family(t) for t in ("BIGINT", "INTEGER", "DECIMAL(12,0)", "VARCHAR")] == [
        "integer",
        "integer",
        "integer",
        "text",
    ]
    assert [key_family(t) for t in ("BOOLEAN", "DOUBLE", "DECIMAL(10,2)")] == [None, None, None]
    assert key_family("TIMESTAMP") == "TIMESTAMP"


def test_name_tokens() -> None:
    assert name_tokens("ArtistId") == ("artist",)
    assert name_tokens("artistid") == ("artist",)
    assert name_tokens("SupportRepId") == ("support", "rep")
    assert name_tokens("reports_to") == ("report",)
    assert name_tokens("categories") == ("category",)
    assert name_tokens("id") == ()


def test_name_affinity() -> None:
    assert name_affinity("customer_id", "customers", "customer_id") == (
        4,
        "same name + names the parent table",
    )
    assert name_affinity("customer_id", "customers", "id")[0] == 2
    assert name_affinity("original_language_id", "language", "language_id")[0] == 2
    assert name_affinity("ship_via", "shippers", "shipper_id") == (1, "shared stem")
    assert name_affinity("SupportRepId", "employees", "EmployeeId")[0] == 1
    assert name_affinity("supportrepid", "employees", "employeeid")[0] == 1
    assert name_affinity("quantity", "stores", "store_id") == (0, "none")
    assert name_affinity("MediaTypeId", "genres", "GenreId") == (0, "none")
    assert name_affinity("id", "customers", "id") == (0, "none")


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="min_containment"):
        RelationshipOptions(min_containment=1.5)
    with pytest.raises(ValueError, match="must not exceed"):
        RelationshipOptions(min_containment=0.6, report_min_containment=0.7)


def test_schema_rejects_unverified_accepted_rows() -> None:
    _, result = generated("overlapping_ids")
    frame = pd.DataFrame([r.__dict__ for r in result])
    frame.loc[frame["status"] == "accepted", "cardinality"] = None
    with pytest.raises((pandera.errors.SchemaError, pandera.errors.SchemaErrors)):
        OUTPUT_SCHEMAS["relationships"].validate(frame, lazy=True)


def test_date_keys_need_a_name_and_copies_of_a_key_are_not_references() -> None:
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(60)]
    source = tiny_source(
        [
            # A date dimension keyed by a date, with a second column holding the same dates.
            ("calendar", {"day": "DATE", "day_label": "DATE"}, [[d, d] for d in days]),
            ("visits", {"day": "DATE"}, [[days[i % 45]] for i in range(300)]),
            # Same dates, no name pointing at the calendar: a coincidence of calendars.
            ("audits", {"checked_on": "DATE"}, [[days[i % 30]] for i in range(90)]),
            # Two daily series share a column name; neither is a calendar of the other.
            ("sensor_a", {"day": "DATE", "reading": "DOUBLE"}, [[d, 1.5] for d in days]),
        ]
    )
    result, _ = run_relationships(source)
    visits = row_of(result, "visits.day", "calendar.day")
    assert (visits.status, visits.evidence) == ("accepted", "weak")
    audits = row_of(result, "audits.checked_on", "calendar.day")
    assert audits.status == "rejected" and audits.reason.startswith("coincidental overlap")
    copy = row_of(result, "calendar.day_label", "calendar.day")
    assert copy.status == "rejected" and copy.reason.startswith("same table, same set of values")
    series = row_of(result, "visits.day", "sensor_a.day")
    assert series.status == "rejected" and "sensor_a is not a calendar table" in series.reason
    # Every dated table references the calendar, the series included.
    assert accepted_keys(result) == {
        ("visits", ("day",), "calendar", ("day",)),
        ("sensor_a", ("day",), "calendar", ("day",)),
    }


def test_shared_years_of_unrelated_series_are_not_references() -> None:
    # statsmodels ships copper (1951..1975), elnino (1950..2010) and nile (1871..1970): yearly
    # series, each year once. Their years were accepted as keys on the shared name "year";
    # only a calendar-like parent (fiscal_years) is a reference.
    source = tiny_source(
        [
            ("elnino", {"year": "BIGINT", "jan": "DOUBLE"}, [[y, 24.5] for y in range(1950, 2011)]),
            (
                "copper",
                {"year": "BIGINT", "price": "DOUBLE"},
                [[y, 1.5] for y in range(1951, 1976)],
            ),
            (
                "macro",
                {"year": "BIGINT", "quarter": "BIGINT", "gdp": "DOUBLE"},
                [[y, q, 1.0] for y in range(1959, 2010) for q in (1, 2, 3, 4)],
            ),
            (
                "inflation",
                {"year": "BIGINT", "quarter": "BIGINT", "rate": "DOUBLE"},
                [[y, q, 2.0] for y in range(1970, 2000) for q in (1, 2, 3, 4)],
            ),
            (
                "fiscal_years",
                {"year": "BIGINT", "label": "VARCHAR"},
                [[y, f"FY{y}"] for y in range(1900, 2050)],
            ),
            (
                "budgets",
                {"year": "BIGINT", "amount": "DOUBLE"},
                [[1990 + k % 20, 9.0] for k in range(80)],
            ),
        ]
    )
    result, _ = run_relationships(source)
    copper = row_of(result, "copper.year", "elnino.year")
    assert copper.status == "rejected" and "elnino is not a calendar table" in copper.reason
    quarters = row_of(result, "inflation(year, quarter)", "macro(year, quarter)")
    assert quarters.status == "rejected"
    accepted = accepted_keys(result)
    assert ("budgets", ("year",), "fiscal_years", ("year",)) in accepted
    assert {parent for _, _, parent, _ in accepted} == {"fiscal_years"}
