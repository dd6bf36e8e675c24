import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import duckdb
import pytest
from pandera.errors import SchemaError

from dataraum_assets.analysis.typed_tables import (
    OUTPUT_SCHEMAS,
    ColumnTyping,
    TableTyping,
    TypeDecision,
    TypedTablesResult,
    TypingOptions,
    _validator,
    build_typed_tables,
    cast_expression,
    infer_column_type,
)

UTC = dt.UTC
DEFAULTS = TypingOptions()

Columns = Mapping[str, Sequence[str | None]]


def raw_connection(
    tables: Mapping[str, Columns], headers: Mapping[str, str] | None = None
) -> duckdb.DuckDBPyConnection:
    """A connection with ``raw_tables`` attached in memory, laid out like raw_tables.duckdb."""
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS raw_tables")
    con.execute("CREATE SCHEMA raw_tables.raw")
    con.execute(
        "CREATE TABLE raw_tables.main.column_map(table_name VARCHAR, position INTEGER, "
        "column_name VARCHAR, original_header VARCHAR, null_count BIGINT, "
        "placeholder_count BIGINT, max_length BIGINT)"
    )
    for table, columns in tables.items():
        names = list(columns)
        quoted = ", ".join('"' + n.replace('"', '""') + '" VARCHAR' for n in names)
        con.execute(f'CREATE TABLE raw_tables.raw."{table}"(_row BIGINT, {quoted})')
        length = len(next(iter(columns.values()))) if columns else 0
        if length:
            unnests = ", ".join(["unnest(?::VARCHAR[])"] * len(names))
            con.execute(
                f'INSERT INTO raw_tables.raw."{table}" SELECT unnest(range(1, ?)), {unnests}',
                [length + 1, *(list(columns[n]) for n in names)],
            )
        for position, name in enumerate(names, start=1):
            values = columns[name]
            con.execute(
                "INSERT INTO raw_tables.main.column_map VALUES (?, ?, ?, ?, ?, 0, ?)",
                [
                    table,
                    position,
                    name,
                    (headers or {}).get(name, name.upper()),
                    sum(v is None for v in values),
                    max((len(v) for v in values if v is not None), default=0),
                ],
            )
    return con


@pytest.fixture
def connections() -> Iterator[list[duckdb.DuckDBPyConnection]]:
    opened: list[duckdb.DuckDBPyConnection] = []
    yield opened
    for con in opened:
        con.close()


def type_one(
    values: Sequence[str | None],
    name: str = "c",
    options: TypingOptions = DEFAULTS,
) -> tuple[TypeDecision, list[Any], list[tuple[int, str]]]:
    """Type one column through the DuckDB path: (decision, typed values, quarantined cells)."""
    con = raw_connection({"t": {name: values}})
    try:
        result = build_typed_tables(con, options)
        quoted = '"' + name.replace('"', '""') + '"'
        typed = [
            r[0] for r in con.execute(f"SELECT {quoted} FROM typed.t ORDER BY _row").fetchall()
        ]
        quarantined = con.execute(
            "SELECT row_number, original_value FROM quarantine ORDER BY row_number"
        ).fetchall()
    finally:
        con.close()
    (decision,) = result.decisions
    return decision, typed, quarantined


def summary(typing: ColumnTyping) -> tuple[str, str, tuple[str, ...], str | None, float]:
    return (
        typing.semantic_type,
        typing.data_type,
        typing.formats,
        typing.unit,
        typing.confidence,
    )


# ---------------------------------------------------------------------------------------------
# infer_column_type: one candidate type at a time
# ---------------------------------------------------------------------------------------------


def test_boolean_words_are_boolean_and_cast() -> None:
    values = ["yes", "No", "Y", "n", "TRUE", "false", "t", "F", None]
    assert summary(infer_column_type(values, "active")) == (
        "boolean",
        "BOOLEAN",
        ("true", "yes", "y", "t", "false", "no", "n", "f"),
        None,
        1.0,
    )
    _, typed, quarantined = type_one(values)
    assert typed == [True, False, True, False, True, False, True, False, None]
    assert quarantined == []


def test_zero_one_stays_integer() -> None:
    assert summary(infer_column_type(["0", "1", "1", "0"], "flag")) == (
        "integer",
        "BIGINT",
        ("0",),
        None,
        1.0,
    )


def test_padded_boolean_words_are_trimmed() -> None:
    decision, typed, _ = type_one([" yes", "no ", "Yes"])
    assert decision.semantic_type == "boolean"
    assert typed == [True, False, True]


def test_zero_one_next_to_words_is_boolean() -> None:
    _, typed, _ = type_one(["yes", "no", "1", "0"])
    assert typed == [True, False, True, False]


def test_integers_with_signs() -> None:
    decision, typed, quarantined = type_one(["12", "-7", "+3", " 40 ", "0", None])
    assert (decision.semantic_type, decision.data_type, decision.confidence) == (
        "integer",
        "BIGINT",
        1.0,
    )
    assert typed == [12, -7, 3, 40, 0, None]
    assert quarantined == []


def test_integers_beyond_bigint_become_hugeint() -> None:
    decision, typed, _ = type_one(["99999999999999999999", "1"])
    assert decision.data_type == "HUGEINT"
    assert typed == [99999999999999999999, 1]


def test_decimals_with_dot() -> None:
    decision, typed, _ = type_one(["1.5", "-2.25", "3", ".5", "-0.125"])
    assert (decision.semantic_type, decision.data_type, decision.formats) == (
        "decimal",
        "DOUBLE",
        ("0.#",),
    )
    assert typed == [1.5, -2.25, 3.0, 0.5, -0.125]


def test_scientific_notation_is_decimal() -> None:
    decision, typed, _ = type_one(["1.5e3", "2E-2", "7"])
    assert decision.semantic_type == "decimal"
    assert decision.formats == ("0.#E+0",)
    assert typed == [1500.0, 0.02, 7.0]


@pytest.mark.parametrize(
    ("values", "expected", "formats"),
    [
        (["1,234,567", "12,345", "999", "-1,000"], [1234567, 12345, 999, -1000], ("#,##0",)),
        (["1.234.567", "12.345", "999", "1.000,5"], [1234567.0, 12345.0, 999.0, 1000.5], None),
        (["1 234 567", "12 345", "7"], [1234567, 12345, 7], ("# ##0",)),
        (["1'234'567", "12'345", "7"], [1234567, 12345, 7], ("#'##0",)),
        (["1,234.5", "12,345.25", "7"], [1234.5, 12345.25, 7.0], ("#,##0.#",)),
    ],
)
def test_thousands_separators(
    values: list[str], expected: list[float], formats: tuple[str, ...] | None
) -> None:
    decision, typed, quarantined = type_one(values)
    assert typed == expected
    assert quarantined == []
    if formats is not None:
        assert decision.formats == formats
    assert decision.confidence == 1.0


def test_decimal_commas() -> None:
    decision, typed, _ = type_one(["1.234,56", "12,5", "-3,75", "7"])
    assert (decision.semantic_type, decision.formats) == ("decimal", ("#.##0,#",))
    assert typed == [1234.56, 12.5, -3.75, 7.0]


def test_decimal_comma_without_groups() -> None:
    decision, typed, _ = type_one(["12,5", "0,25", "3"])
    assert (decision.semantic_type, decision.formats) == ("decimal", ("0,#",))
    assert typed == [12.5, 0.25, 3.0]


def test_undecided_decimal_mark_uses_dot_default_and_says_so() -> None:
    typing = infer_column_type(["1,234", "5,678", "9,999"], "amount")
    assert summary(typing) == ("integer", "BIGINT", ("#,##0",), None, 0.9)
    assert "decimal mark undecided" in typing.note
    assert "confidence = cast rate 1.000 x certainty 0.900" in typing.note


def test_percentages_keep_percent_points() -> None:
    decision, typed, _ = type_one(["5%", "12.5 %", "-3.5%", "0"])
    assert (decision.semantic_type, decision.data_type, decision.unit) == (
        "percentage",
        "DOUBLE",
        "%",
    )
    assert decision.formats == ("0.#%",)
    assert typed == [5.0, 12.5, -3.5, 0.0]


def test_currency_symbols_codes_and_negative_forms() -> None:
    decision, typed, quarantined = type_one(
        ["$1,200.50", "($3.00)", "-$4", "$-5", "USD 6", "7 USD", "$0"]
    )
    assert (decision.semantic_type, decision.data_type, decision.unit) == (
        "currency",
        "DOUBLE",
        "USD",
    )
    assert typed == [1200.5, -3.0, -4.0, -5.0, 6.0, 7.0, 0.0]
    assert quarantined == []
    assert "negative amounts in parentheses" in decision.note


def test_euro_amounts_with_decimal_comma() -> None:
    decision, typed, _ = type_one(["1.234,50 €", "€ 5,25", "-3,00 €", "EUR 12"])
    assert (decision.semantic_type, decision.unit) == ("currency", "EUR")
    assert typed == [1234.5, 5.25, -3.0, 12.0]


def test_several_currencies_are_noted() -> None:
    typing = infer_column_type(["$5", "$6", "€7"], "amount")
    assert (typing.semantic_type, typing.unit) == ("currency", "USD")
    assert "several currencies in one column (USD 67%, EUR 33%)" in typing.note


# ---------------------------------------------------------------------------------------------
# Dates, times, periods
# ---------------------------------------------------------------------------------------------


def test_iso_dates() -> None:
    decision, typed, _ = type_one(["2024-03-15", "2024-1-5", None])
    assert (decision.semantic_type, decision.data_type, decision.formats) == (
        "date",
        "DATE",
        ("%Y-%m-%d",),
    )
    assert typed == [dt.date(2024, 3, 15), dt.date(2024, 1, 5), None]


def test_us_dates_resolved_by_a_day_above_12() -> None:
    decision, typed, _ = type_one(["03/15/2024", "01/02/2024", "12/31/2023"])
    assert (decision.formats, decision.confidence) == (("%m/%d/%Y",), 1.0)
    assert typed == [dt.date(2024, 3, 15), dt.date(2024, 1, 2), dt.date(2023, 12, 31)]


def test_eu_dates_resolved_by_a_day_above_12() -> None:
    decision, typed, _ = type_one(["15/03/2024", "01/02/2024"])
    assert (decision.formats, decision.confidence) == (("%d/%m/%Y",), 1.0)
    assert typed == [dt.date(2024, 3, 15), dt.date(2024, 2, 1)]


def test_unresolvable_day_month_order_takes_the_default_and_says_so() -> None:
    typing = infer_column_type(["03/04/2024", "01/02/2024", "12/11/2024"], "booked")
    assert summary(typing) == ("date", "DATE", ("%m/%d/%Y",), None, 0.9)
    assert "day/month order unresolved" in typing.note
    assert "read month first (the default for '/')" in typing.note


def test_dotted_dates_are_day_first() -> None:
    decision, typed, _ = type_one(["15.03.2024", "1.2.2024", "05.04.2024"])
    assert decision.formats == ("%d.%m.%Y",)
    assert decision.confidence == 1.0
    assert typed == [dt.date(2024, 3, 15), dt.date(2024, 2, 1), dt.date(2024, 4, 5)]


def test_day_month_name_year() -> None:
    decision, typed, _ = type_one(["05-Mar-2024", "17-DEC-2023", "01-jan-2024"])
    assert decision.formats == ("%d-%b-%Y",)
    assert typed == [dt.date(2024, 3, 5), dt.date(2023, 12, 17), dt.date(2024, 1, 1)]


@pytest.mark.parametrize(
    ("values", "fmt"),
    [
        # statsmodels' elec_equip.csv writes its months like this; it stayed text before.
        (["Jan-1-1995", "Feb-1-1995", "Dec-15-1996"], "%b-%d-%Y"),
        (["Jan/01/1995", "Feb/01/1995", "Dec/15/1996"], "%b/%d/%Y"),
        (["Jan 1 1995", "Feb 1 1995", "Dec 15 1996"], "%b %d %Y"),
        (["January 1, 1995", "February 1, 1995", "December 15, 1996"], "%B %d, %Y"),
    ],
)
def test_month_name_first_dates(values: list[str], fmt: str) -> None:
    decision, typed, quarantined = type_one(values)
    assert (decision.semantic_type, decision.formats) == ("date", (fmt,))
    assert typed == [dt.date(1995, 1, 1), dt.date(1995, 2, 1), dt.date(1996, 12, 15)]
    assert quarantined == []


def test_compact_dates_with_a_date_name() -> None:
    decision, typed, _ = type_one(["20240315", "20231231"], name="order_date")
    assert (decision.semantic_type, decision.formats) == ("date", ("%Y%m%d",))
    assert typed == [dt.date(2024, 3, 15), dt.date(2023, 12, 31)]


def test_compact_dates_without_a_name_hint_stay_integers_when_few() -> None:
    typing = infer_column_type(["20240315", "20231231"], "reference")
    assert summary(typing) == ("integer", "BIGINT", ("0",), None, 1.0)


def test_compact_dates_without_a_name_hint_need_many_valid_values() -> None:
    values = [f"202401{day:02d}" for day in range(1, 11)]
    typing = infer_column_type(values, "reference")
    assert (typing.semantic_type, typing.formats) == ("date", ("%Y%m%d",))
    assert "every sampled value is a valid date" in typing.note
    # One impossible date is enough to keep an unnamed column numeric.
    assert infer_column_type([*values, "20241341"], "reference").semantic_type == "integer"


def test_mixed_date_formats_use_several_formats() -> None:
    decision, typed, quarantined = type_one(
        ["2024-03-15", "2024-03-16", "2024-03-17", "03/15/2024"]
    )
    assert decision.formats == ("%Y-%m-%d", "%m/%d/%Y")
    assert typed == [dt.date(2024, 3, d) for d in (15, 16, 17, 15)]
    assert quarantined == []
    assert "several date formats: %Y-%m-%d (75%), %m/%d/%Y (25%)" in decision.note


def test_invalid_dates_are_quarantined() -> None:
    values = [f"2024-01-{d:02d}" for d in range(1, 31)] + ["2024-02-30"]
    decision, typed, quarantined = type_one(values)
    assert decision.semantic_type == "date"
    assert typed[-1] is None
    assert quarantined == [(31, "2024-02-30")]
    assert (decision.failed_count, decision.failed_examples) == (1, ("2024-02-30",))


def test_naive_timestamps() -> None:
    decision, typed, _ = type_one(
        ["2024-03-15 10:30:00", "2024-03-15T11:00:00.25", "2024-03-16 09:15"]
    )
    assert (decision.semantic_type, decision.data_type) == ("timestamp", "TIMESTAMP")
    assert decision.formats == (
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S.%f",
    )
    assert typed == [
        dt.datetime(2024, 3, 15, 10, 30),
        dt.datetime(2024, 3, 15, 11, 0, 0, 250000),
        dt.datetime(2024, 3, 16, 9, 15),
    ]


def test_timestamps_with_offsets_are_timestamptz_in_utc() -> None:
    decision, typed, _ = type_one(
        ["2024-03-15T10:00:00+02:00", "2024-03-15T10:00:00Z", "2024-03-15 10:00:00"]
    )
    assert decision.data_type == "TIMESTAMP WITH TIME ZONE"
    assert "values without an offset read as UTC" in decision.note
    assert [t.astimezone(UTC) for t in typed] == [
        dt.datetime(2024, 3, 15, 8, tzinfo=UTC),
        dt.datetime(2024, 3, 15, 10, tzinfo=UTC),
        dt.datetime(2024, 3, 15, 10, tzinfo=UTC),
    ]


def test_times() -> None:
    decision, typed, _ = type_one(["10:30", "23:59:59", "07:05"])
    assert (decision.semantic_type, decision.data_type) == ("time", "TIME")
    assert typed == [dt.time(10, 30), dt.time(23, 59, 59), dt.time(7, 5)]


def test_twelve_hour_times() -> None:
    decision, typed, _ = type_one(["10:30 PM", "9:05 am"])
    assert decision.formats == ("%I:%M %p",)
    assert typed == [dt.time(22, 30), dt.time(9, 5)]


def test_year_month_is_the_first_day_of_the_month() -> None:
    decision, typed, _ = type_one(["2024-03", "2024-12", "2023-01"])
    assert (decision.semantic_type, decision.data_type) == ("year_month", "DATE")
    assert typed == [dt.date(2024, 3, 1), dt.date(2024, 12, 1), dt.date(2023, 1, 1)]


def test_year_quarter_is_the_first_day_of_the_quarter() -> None:
    decision, typed, _ = type_one(["2024-Q1", "2024Q4", "2023-q2", "Q3 2023"])
    assert (decision.semantic_type, decision.data_type) == ("year_quarter", "DATE")
    assert typed == [
        dt.date(2024, 1, 1),
        dt.date(2024, 10, 1),
        dt.date(2023, 4, 1),
        dt.date(2023, 7, 1),
    ]


# ---------------------------------------------------------------------------------------------
# Strings that stay strings
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "semantic_type"),
    [
        (["123e4567-e89b-12d3-a456-426614174000", "00000000-0000-0000-0000-000000000000"], "uuid"),
        (["ana@example.com", "b.c@mail.example.org"], "email"),
        (["https://example.com/a?b=1", "http://example.org", "www.example.net"], "url"),
    ],
)
def test_identifier_strings_keep_their_text(values: list[str], semantic_type: str) -> None:
    decision, typed, _ = type_one(values)
    assert (decision.semantic_type, decision.data_type) == (semantic_type, "VARCHAR")
    assert typed == values


def test_leading_zero_codes_stay_text() -> None:
    decision, typed, _ = type_one(["007", "123", "042"], name="agent")
    assert (decision.semantic_type, decision.data_type) == ("code", "VARCHAR")
    assert "leading zeros (e.g. '007')" in decision.note
    assert typed == ["007", "123", "042"]


def test_zip_codes_stay_text() -> None:
    decision, typed, _ = type_one(["01234", "10115", "80331"], name="zip")
    assert decision.semantic_type == "code"
    assert typed == ["01234", "10115", "80331"]


def test_fixed_width_digits_named_like_a_postal_code_stay_text() -> None:
    typing = infer_column_type(["10115", "80331", "50667"], "postal_code")
    assert summary(typing) == ("code", "VARCHAR", ("5 digits",), None, 1.0)
    assert infer_column_type(["10115", "80331", "50667"], "amount").semantic_type == "integer"


# ---------------------------------------------------------------------------------------------
# Evidence, thresholds and quarantine
# ---------------------------------------------------------------------------------------------


def test_fractional_text_in_an_integer_id_column_is_quarantined_not_rounded() -> None:
    # TRY_CAST('170.502' AS BIGINT) is 171 in DuckDB; the guard must reject it.
    values = [str(i) for i in range(1, 101)] + ["170.502"]
    decision, typed, quarantined = type_one(values, name="order_id")
    assert (decision.semantic_type, decision.data_type) == ("integer", "BIGINT")
    assert typed[-1] is None
    assert quarantined == [(101, "170.502")]
    assert "1 sampled values with a fraction are stray" in decision.note


def test_one_fraction_widens_a_measure_to_double() -> None:
    # vega's cars.csv: Displacement is whole numbers but one 97.5, a valid measurement that
    # must not land in quarantine.
    values = [str(i) for i in range(100, 500)] + ["97.5"]
    decision, typed, quarantined = type_one(values, name="Displacement")
    assert (decision.semantic_type, decision.data_type) == ("decimal", "DOUBLE")
    assert typed[-1] == 97.5
    assert quarantined == []


def test_many_fractional_values_widen_to_decimal() -> None:
    values = [str(i) for i in range(1, 96)] + ["1.5", "2.5", "3.25", "4.75", "170.502"]
    decision, typed, quarantined = type_one(values)
    assert (decision.semantic_type, decision.data_type) == ("decimal", "DOUBLE")
    assert typed[-1] == 170.502
    assert quarantined == []


def test_ninety_percent_integers_keep_the_type_and_quarantine_the_junk() -> None:
    values = [str(i * 10) for i in range(1, 19)] + ["n.a.", "see note"]
    decision, typed, quarantined = type_one(values, name="qty")
    assert (decision.semantic_type, decision.data_type) == ("integer", "BIGINT")
    assert (decision.match_rate, decision.cast_rate, decision.confidence) == (0.9, 0.9, 0.9)
    assert typed == [i * 10 for i in range(1, 19)] + [None, None]
    assert quarantined == [(19, "n.a."), (20, "see note")]
    assert (decision.failed_count, decision.failed_examples) == (2, ("n.a.", "see note"))


def test_sixty_percent_junk_stays_text() -> None:
    values = ["1", "2", "3", "4", "a", "b", "c", "d", "e", "f"]
    decision, typed, quarantined = type_one(values)
    assert (decision.semantic_type, decision.data_type) == ("text", "VARCHAR")
    assert decision.confidence == 0.6  # 1 - confidence of the best rejected candidate (0.4)
    assert "kept as text: best candidate integer" in decision.note
    assert typed == values
    assert quarantined == []


def test_all_null_column() -> None:
    decision, typed, _ = type_one([None, None, None])
    assert (
        decision.semantic_type,
        decision.data_type,
        decision.confidence,
        decision.non_null,
        decision.distinct_sampled,
    ) == ("text", "VARCHAR", 0.0, 0, 0)
    assert typed == [None, None, None]


def test_huge_exponent_text_does_not_crash() -> None:
    decision, typed, _ = type_one(["1e4000000000", "1e4000000001", "-1e4000000000"])
    assert (decision.semantic_type, decision.data_type) == ("text", "VARCHAR")
    assert typed == ["1e4000000000", "1e4000000001", "-1e4000000000"]


def test_huge_exponent_in_a_numeric_column_is_quarantined() -> None:
    values = [str(i) + ".5" for i in range(20)] + ["1e4000000000"]
    decision, typed, quarantined = type_one(values)
    assert decision.semantic_type == "decimal"
    assert typed[-1] is None
    assert quarantined == [(21, "1e4000000000")]


def test_digit_strings_beyond_python_int_limits_do_not_crash() -> None:
    values = [str(i) for i in range(1, 20)] + ["9" * 5000]
    decision, typed, quarantined = type_one(values)
    assert decision.semantic_type == "integer"
    assert typed[-1] is None
    assert quarantined == [(20, "9" * 5000)]


def test_disagreeing_decimal_marks_follow_the_majority() -> None:
    loose = TypingOptions(min_cast_rate=0.7, min_confidence=0.7)
    typing = infer_column_type(["1,5", "2,25", "3,75", "4.5"], "x", loose)
    assert (typing.semantic_type, typing.formats) == ("decimal", ("0,#",))
    assert "decimal marks disagree: 1 sampled values use '.'" in typing.note
    assert typing.cast_rate == 0.75


def test_values_duckdb_would_cast_but_the_plan_rejects_are_quarantined() -> None:
    values = [str(i) for i in range(1, 50)] + ["0x1F", "1_000", "12."]
    decision, typed, quarantined = type_one(values)
    assert decision.semantic_type == "integer"
    assert typed[-3:] == [None, None, None]
    assert quarantined == [(50, "0x1F"), (51, "1_000"), (52, "12.")]


@pytest.mark.parametrize(
    ("values", "name"),
    [
        (["1,234.5", "(3.00)", "-4", "0x1F", "1e5", " 12 ", "inf", "12.", "+5", "1,23"], "n"),
        (["$1,200.50", "($3.00)", "€4", "USD 5", "5 USD", "US$6", "-$7", "$-8", "$$9"], "n"),
        (["1.234,56", "12,5", "1,234.56", "(2,5)", "3 %", "4%", "-5%", "%6", "+7 %"], "n"),
        (["- $5", "-$-5", "+$5", "( $5 )", " $ 5 ", "$5 USD", "5$", "$1 234", "$1,234"], "n"),
        (["1 234,5", "1 234", "12 34", "1'234", " 7 ", "7\t", "1.234.567"], "n"),
        (["yes", " no ", "YES", "Yes", "y", "0", "1", "maybe", "t", "nope"], "b"),
        (["2024-03-15", "03/15/2024", "2024-02-30", "15.03.2024", "24-03-15"], "d"),
        (["2024-03-15T10:00:00+02:00", "2024-03-15 10:00", "2024-03-15", "10:00"], "d"),
        (["10:30", "25:00", "10:30 PM", "13:00 PM", "2024-Q1", "2024-Q5", "2024-03"], "d"),
    ],
)
def test_python_validator_agrees_with_the_sql_cast(values: list[str], name: str) -> None:
    typing = infer_column_type(values, name, TypingOptions(min_match_rate=0, min_cast_rate=0))
    con = duckdb.connect()
    try:
        expression = cast_expression("v", typing.plan)
        got = con.execute(
            f"SELECT {expression} IS NOT NULL FROM unnest(?::VARCHAR[]) AS t(v)", [values]
        ).fetchall()
    finally:
        con.close()
    valid = _validator(typing.plan)
    assert [g[0] for g in got] == [valid(v) for v in values]


# ---------------------------------------------------------------------------------------------
# build_typed_tables: tables, outputs, sampling
# ---------------------------------------------------------------------------------------------


def test_unicode_and_quoted_column_names(connections: list[duckdb.DuckDBPyConnection]) -> None:
    name = 'Größe "netto"; DROP'
    con = raw_connection({"t 1": {name: ["1", "2"]}}, headers={name: "Größe (netto)"})
    connections.append(con)
    result = build_typed_tables(con)
    assert [
        (d.table_name, d.column_name, d.original_header, d.semantic_type) for d in result.decisions
    ] == [("t 1", name, "Größe (netto)", "integer")]
    assert con.execute('SELECT * FROM typed."t 1" ORDER BY _row').fetchall() == [(1, 1), (2, 2)]


def test_empty_table(connections: list[duckdb.DuckDBPyConnection]) -> None:
    con = raw_connection({"empty": {"a": [], "b": []}})
    connections.append(con)
    result = build_typed_tables(con)
    assert result.tables == (TableTyping("empty", 0, 2, 0, 0, 0.0),)
    assert [(d.column_name, d.data_type, d.confidence) for d in result.decisions] == [
        ("a", "VARCHAR", 0.0),
        ("b", "VARCHAR", 0.0),
    ]
    assert con.execute("SELECT count(*) FROM typed.empty").fetchall() == [(0,)]


def test_no_raw_tables_still_creates_every_output(
    connections: list[duckdb.DuckDBPyConnection],
) -> None:
    con = raw_connection({})
    connections.append(con)
    assert build_typed_tables(con) == TypedTablesResult(decisions=(), tables=())
    for name, schema in OUTPUT_SCHEMAS.items():
        frame = con.sql(f"SELECT * FROM {name}").df()
        assert len(frame) == 0
        schema.validate(frame)


def test_whole_table_outputs(connections: list[duckdb.DuckDBPyConnection]) -> None:
    con = raw_connection(
        {
            "invoices": {
                "id": ["1", "2", "3", "4", "5"],
                "amount": ["10.50", "20", "x", "7.25", None],
                "issued": ["2024-01-05", "2024-01-06", "2024-01-07", "2024-01-08", "2024-13-01"],
                "customer": ["a", "b", "c", "d", "e"],
            },
            "customers": {"zip": ["01234", "10115"], "vip": ["yes", "no"]},
        }
    )
    connections.append(con)
    lines: list[str] = []
    options = TypingOptions(min_match_rate=0.5, min_cast_rate=0.75, min_confidence=0.75)
    result = build_typed_tables(con, options, progress=lines.append)

    assert [(d.table_name, d.column_name, d.position, d.data_type) for d in result.decisions] == [
        ("customers", "zip", 1, "VARCHAR"),
        ("customers", "vip", 2, "BOOLEAN"),
        ("invoices", "id", 1, "BIGINT"),
        ("invoices", "amount", 2, "DOUBLE"),
        ("invoices", "issued", 3, "DATE"),
        ("invoices", "customer", 4, "VARCHAR"),
    ]
    assert result.tables == (
        TableTyping("customers", 2, 2, 0, 0, 0.0),
        TableTyping("invoices", 5, 4, 2, 2, round(2 / 19, 6)),
    )
    assert con.execute("SELECT * FROM quarantine ORDER BY row_number").fetchall() == [
        ("invoices", 3, "amount", "AMOUNT", "DOUBLE", "x"),
        ("invoices", 5, "issued", "ISSUED", "DATE", "2024-13-01"),
    ]
    column_types = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = 'typed' AND table_name = 'invoices' ORDER BY column_index"
    ).fetchall()
    assert column_types == [("_row", "BIGINT")] + [
        (d.column_name, d.data_type) for d in result.decisions if d.table_name == "invoices"
    ]
    assert lines[0].startswith("table 1/2 customers: 2 columns typed, 0 quarantined cells, ")
    assert lines[1].startswith("table 2/2 invoices: 4 columns typed, 2 quarantined cells, ")
    assert lines[1].endswith(" rows/s")

    for name, schema in OUTPUT_SCHEMAS.items():
        schema.validate(con.sql(f"SELECT * FROM {name}").df())
    stored = con.execute(
        "SELECT * FROM type_decisions WHERE table_name = 'invoices' AND column_name = 'amount'"
    ).fetchall()
    (amount,) = [d for d in result.decisions if d.column_name == "amount"]
    assert stored == [
        (
            amount.table_name,
            amount.column_name,
            amount.original_header,
            amount.position,
            amount.data_type,
            amount.semantic_type,
            list(amount.formats),
            amount.unit,
            amount.confidence,
            amount.match_rate,
            amount.cast_rate,
            amount.distinct_sampled,
            amount.non_null,
            amount.failed_count,
            list(amount.failed_examples),
            amount.note,
        )
    ]
    assert (amount.non_null, amount.failed_count, amount.failed_examples) == (4, 1, ("x",))


def test_output_schemas_reject_bad_rows(connections: list[duckdb.DuckDBPyConnection]) -> None:
    con = raw_connection({"t": {"a": ["1", "x"]}})
    connections.append(con)
    build_typed_tables(con, TypingOptions(min_cast_rate=0.5, min_confidence=0.5))
    frame = con.sql("SELECT * FROM type_decisions").df()
    frame.loc[0, "confidence"] = 1.5
    with pytest.raises(SchemaError, match="confidence"):
        OUTPUT_SCHEMAS["type_decisions"].validate(frame)


def test_sampling_infers_on_a_sample_and_verifies_every_row(
    connections: list[duckdb.DuckDBPyConnection],
) -> None:
    values = [str(i) for i in range(5000)]
    values[4321] = "oops"
    con = raw_connection({"big": {"n": values}})
    connections.append(con)
    options = TypingOptions(sample_rows=500)
    first = build_typed_tables(con, options)
    (decision,) = first.decisions
    assert decision.semantic_type == "integer"
    assert decision.distinct_sampled < 1000
    assert (decision.non_null, decision.failed_count, decision.failed_examples) == (
        5000,
        1,
        ("oops",),
    )
    assert con.execute("SELECT row_number, original_value FROM quarantine").fetchall() == [
        (4322, "oops")
    ]
    assert con.execute("SELECT count(*), count(n) FROM typed.big").fetchall() == [(5000, 4999)]
    assert build_typed_tables(con, options) == first  # the sample is deterministic


def test_distinct_values_beyond_the_examined_limit() -> None:
    values = [f"{i}.5" for i in range(300)]
    options = TypingOptions(max_distinct_examined=50)
    typing = infer_column_type(values, "x", options)
    assert (typing.semantic_type, typing.distinct_sampled, typing.non_null) == ("decimal", 300, 50)
