import itertools
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd
import pandera.errors
import pytest

from dataraum_assets.analysis import statistical_profiles
from dataraum_assets.analysis.statistical_profiles import (
    OUTPUT_SCHEMAS,
    ColumnProfile,
    HistogramBucket,
    ProfileOptions,
    ProfilesResult,
    TopValue,
    build_statistical_profiles,
    output_schemas,
)
from dataraum_assets.identifiers import quote_identifier

SCHEMA_ERRORS = (pandera.errors.SchemaError, pandera.errors.SchemaErrors)
SEMANTIC_TYPES = {
    "BOOLEAN": "boolean",
    "INTEGER": "integer",
    "BIGINT": "integer",
    "DOUBLE": "decimal",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
    "VARCHAR": "text",
}


@pytest.fixture(autouse=True, params=["long", "wide"])
def query_shape(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run every test with both query shapes: tiny tables are normally profiled "long"
    (unpivoted batches); a zero budget forces the "wide" SELECTs used for tall tables."""
    if request.param == "wide":
        monkeypatch.setattr(statistical_profiles, "_UNPIVOT_CELL_BUDGET", 0)
    return request.param


def typed_tables_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory connection with an empty ``typed_tables`` database attached, shaped like
    the typed_tables asset's output (docs/data-plane.md)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("ATTACH ':memory:' AS typed_tables")
    con.execute("CREATE SCHEMA typed_tables.typed")
    con.execute(
        "CREATE TABLE typed_tables.main.type_decisions (table_name VARCHAR, column_name VARCHAR, "
        "original_header VARCHAR, position INTEGER, data_type VARCHAR, semantic_type VARCHAR, "
        "formats VARCHAR[], unit VARCHAR, confidence DOUBLE, match_rate DOUBLE, "
        "cast_rate DOUBLE, distinct_sampled BIGINT, non_null BIGINT, failed_count BIGINT, "
        "failed_examples VARCHAR[], note VARCHAR)"
    )
    con.execute(
        "CREATE TABLE typed_tables.main.quarantine (table_name VARCHAR, row_number BIGINT, "
        "column_name VARCHAR, original_header VARCHAR, data_type VARCHAR, original_value VARCHAR)"
    )
    return con


def add_typed_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: dict[str, str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Create ``typed_tables.typed.<table>`` (``_row`` + ``columns``), insert ``rows`` and one
    type decision per column."""
    definitions = ", ".join(f"{quote_identifier(name)} {kind}" for name, kind in columns.items())
    target = f"typed_tables.typed.{quote_identifier(table)}"
    con.execute(f"CREATE TABLE {target} (_row BIGINT, {definitions})")
    if rows:
        marks = ", ".join("?" for _ in range(len(columns) + 1))
        con.executemany(
            f"INSERT INTO {target} VALUES ({marks})",
            [[number, *row] for number, row in enumerate(rows, start=1)],
        )
    con.executemany(
        "INSERT INTO typed_tables.main.type_decisions "
        "(table_name, column_name, original_header, position, data_type, semantic_type) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            [table, name, name.upper(), position, kind, SEMANTIC_TYPES.get(kind, "decimal")]
            for position, (name, kind) in enumerate(columns.items(), start=1)
        ],
    )


def profile_of(result: ProfilesResult, table: str, column: str) -> ColumnProfile:
    (profile,) = [p for p in result.profiles if p.table_name == table and p.column_name == column]
    return profile


def tops(result: ProfilesResult, column: str) -> list[tuple[int, str, int]]:
    return [(t.rank, t.value, t.count) for t in result.top_values if t.column_name == column]


def buckets(result: ProfilesResult, column: str) -> list[HistogramBucket]:
    return [h for h in result.histograms if h.column_name == column]


def sample_skewness(values: Sequence[float]) -> float:
    """Adjusted Fisher–Pearson G1, textbook form."""
    n = len(values)
    mean = statistics.fmean(values)
    m2 = sum((x - mean) ** 2 for x in values) / n
    m3 = sum((x - mean) ** 3 for x in values) / n
    return math.sqrt(n * (n - 1)) / (n - 2) * m3 / m2**1.5


def sample_excess_kurtosis(values: Sequence[float]) -> float:
    """Bias-corrected excess kurtosis G2, textbook form."""
    n = len(values)
    mean = statistics.fmean(values)
    m2 = sum((x - mean) ** 2 for x in values) / n
    m4 = sum((x - mean) ** 4 for x in values) / n
    return (n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * (m4 / m2**2 - 3) + 6)


def percentiles(values: Sequence[float]) -> list[float]:
    """p01, p25, p50, p75, p99 with quantile_cont's definition (R type 7)."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return [cuts[0], cuts[24], cuts[49], cuts[74], cuts[98]]


def mad(values: Sequence[float]) -> float:
    median = statistics.median(values)
    return statistics.median([abs(x - median) for x in values])


def assert_profile(actual: ColumnProfile, expected: ColumnProfile) -> None:
    """Field by field; floats to 1e-12 relative (sums and roots round differently)."""
    for name, value in asdict(expected).items():
        if isinstance(value, float):
            assert getattr(actual, name) == pytest.approx(value, rel=1e-12, abs=1e-12), name
        else:
            assert getattr(actual, name) == value, name


def read_table(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    return con.sql(f"SELECT * FROM {table}").df()


def validate_outputs(con: duckdb.DuckDBPyConnection, options: ProfileOptions) -> None:
    """Validate the three tables as the asset checks do (lazily, all failures at once)."""
    for table, schema in output_schemas(options).items():
        schema.validate(read_table(con, table), lazy=True)


def test_integer_column_has_exact_statistics() -> None:
    con = typed_tables_connection()
    add_typed_table(con, "t", {"n": "INTEGER"}, [[1], [2], [2], [None], [5], [8]])

    result = build_statistical_profiles(con)

    values = [1, 2, 2, 5, 8]
    profile = profile_of(result, "t", "n")
    expected_stddev = statistics.stdev(values)
    assert_profile(
        profile,
        ColumnProfile(
            table_name="t",
            column_name="n",
            position=1,
            data_type="INTEGER",
            semantic_type="integer",
            rows=6,
            nulls=1,
            null_ratio=1 / 6,
            quarantined=0,
            distinct_count=4,
            cardinality_ratio=4 / 5,
            is_unique=False,
            min_value="1",
            max_value="8",
            mean=3.6,
            stddev=expected_stddev,
            skewness=sample_skewness(values),
            kurtosis=sample_excess_kurtosis(values),
            p01=1.04,  # position 0.04 between 1 and 2
            p25=2.0,
            p50=2.0,
            p75=5.0,
            p99=7.88,  # position 3.96 between 5 and 8
            cv=expected_stddev / 3.6,
            mad=1.0,  # median 2, deviations 1 0 0 3 6
            robust_cv=1.4826 * 1.0 / 2.0,
            zeros=0,
            negatives=0,
            min_length=None,
            max_length=None,
            avg_length=None,
        ),
    )
    assert percentiles(values) == pytest.approx([profile.p01, 2.0, 2.0, 5.0, profile.p99])
    assert mad(values) == 1.0
    # DuckDB's own one-pass skewness/kurtosis agree with the two-pass values.
    duck_skew, duck_kurt = con.execute(
        "SELECT skewness(n), kurtosis(n) FROM typed_tables.typed.t"
    ).fetchall()[0]
    assert (profile.skewness, profile.kurtosis) == pytest.approx((duck_skew, duck_kurt))
    assert tops(result, "n") == [(1, "2", 2), (2, "1", 1), (3, "5", 1), (4, "8", 1)]
    assert [t.share for t in result.top_values] == pytest.approx([2 / 6, 1 / 6, 1 / 6, 1 / 6])


def test_histogram_has_equal_width_buckets_with_the_last_one_closed() -> None:
    con = typed_tables_connection()
    add_typed_table(con, "t", {"n": "INTEGER"}, [[1], [2], [2], [None], [5], [8]])

    result = build_statistical_profiles(con, ProfileOptions(histogram_buckets=7))

    assert [(h.bucket, h.lower, h.upper, h.count) for h in buckets(result, "n")] == [
        (0, 1.0, 2.0, 1),
        (1, 2.0, 3.0, 2),
        (2, 3.0, 4.0, 0),
        (3, 4.0, 5.0, 0),
        (4, 5.0, 6.0, 1),
        (5, 6.0, 7.0, 0),
        (6, 7.0, 8.0, 1),
    ]
    assert [(h.lower_label, h.upper_label) for h in buckets(result, "n")][:2] == [
        ("1", "2"),
        ("2", "3"),
    ]
    validate_outputs(con, ProfileOptions(histogram_buckets=7))


def test_double_column_leaves_nan_and_infinity_out_of_the_moments() -> None:
    con = typed_tables_connection()
    rows = [[1.5], [math.nan], [math.inf], [-math.inf], [2.5], [None], [0.0], [1.5]]
    add_typed_table(con, "t", {"x": "DOUBLE"}, rows)

    result = build_statistical_profiles(con)

    finite = [1.5, 2.5, 0.0, 1.5]
    profile = profile_of(result, "t", "x")
    assert (profile.rows, profile.nulls, profile.distinct_count) == (8, 1, 6)
    assert (profile.min_value, profile.max_value) == ("-inf", "nan")
    assert profile.mean == pytest.approx(statistics.fmean(finite))
    assert profile.stddev == pytest.approx(statistics.stdev(finite))
    assert profile.skewness == pytest.approx(sample_skewness(finite))
    assert profile.kurtosis == pytest.approx(sample_excess_kurtosis(finite))
    assert [profile.p01, profile.p25, profile.p50, profile.p75, profile.p99] == pytest.approx(
        percentiles(finite)
    )
    assert profile.mad == pytest.approx(mad(finite))
    assert (profile.zeros, profile.negatives) == (1, 1)  # 0.0 and -inf
    assert sum(h.count for h in buckets(result, "x")) == len(finite)
    assert tops(result, "x")[0] == (1, "1.5", 2)
    validate_outputs(con, ProfileOptions())


def test_decimal_columns_are_numeric_and_do_not_overflow() -> None:
    con = typed_tables_connection()
    huge = "9" * 38  # bound as text and cast by DuckDB: a Python Decimal would go via DOUBLE
    add_typed_table(
        con,
        "t",
        {"amount": "DECIMAL(10,2)", "huge": "DECIMAL(38,0)"},
        [
            [Decimal("1.10"), huge],
            [Decimal("2.20"), huge],
            [Decimal("-3.30"), "9" * 37 + "8"],
            [Decimal("0.00"), huge],
        ],
    )

    result = build_statistical_profiles(con)

    amount = profile_of(result, "t", "amount")
    assert (amount.min_value, amount.max_value) == ("-3.30", "2.20")
    assert amount.mean == pytest.approx(0.0, abs=1e-12)
    assert amount.cv is None  # mean 0
    assert amount.p50 == pytest.approx(statistics.median([1.1, 2.2, -3.3, 0.0]))
    assert (amount.zeros, amount.negatives) == (1, 1)
    assert tops(result, "amount") == [
        (1, "-3.30", 1),
        (2, "0.00", 1),
        (3, "1.10", 1),
        (4, "2.20", 1),
    ]
    huge_profile = profile_of(result, "t", "huge")
    # A HUGEINT sum of these values would overflow; as DOUBLEs they are all 1e38.
    assert huge_profile.mean == pytest.approx(1e38)
    assert huge_profile.distinct_count == 2
    validate_outputs(con, ProfileOptions())


def test_date_histogram_is_in_epoch_seconds_with_date_labels() -> None:
    con = typed_tables_connection()
    rows = [[date(2024, 1, 1)], [date(2024, 1, 3)], [None], [date(2024, 1, 3)]]
    add_typed_table(con, "t", {"d": "DATE"}, rows)

    result = build_statistical_profiles(con, ProfileOptions(histogram_buckets=2))

    profile = profile_of(result, "t", "d")
    assert (profile.min_value, profile.max_value) == ("2024-01-01", "2024-01-03")
    assert (profile.distinct_count, profile.nulls, profile.mean, profile.p50) == (2, 1, None, None)
    assert (profile.zeros, profile.min_length) == (None, None)
    day = 86_400.0
    start = 1_704_067_200.0  # 2024-01-01T00:00:00Z
    assert buckets(result, "d") == [
        HistogramBucket("t", "d", 0, start, start + day, "2024-01-01", "2024-01-02", 1),
        HistogramBucket("t", "d", 1, start + day, start + 2 * day, "2024-01-02", "2024-01-03", 2),
    ]
    assert tops(result, "d") == [(1, "2024-01-03", 2), (2, "2024-01-01", 1)]


def test_timestamp_histograms_label_with_time_and_zone() -> None:
    con = typed_tables_connection()
    rows = [
        [datetime(2024, 1, 1, 0, 0, 0), "2024-01-01 00:00:00+00"],
        [datetime(2024, 1, 1, 0, 0, 20), "2024-01-01 02:00:20+02"],
    ]
    add_typed_table(con, "t", {"ts": "TIMESTAMP", "tz": "TIMESTAMP WITH TIME ZONE"}, rows)

    result = build_statistical_profiles(con, ProfileOptions(histogram_buckets=2))

    assert [(h.lower_label, h.upper_label, h.count) for h in buckets(result, "ts")] == [
        ("2024-01-01 00:00:00", "2024-01-01 00:00:10", 1),
        ("2024-01-01 00:00:10", "2024-01-01 00:00:20", 1),
    ]
    assert [(h.lower_label, h.upper_label, h.count) for h in buckets(result, "tz")] == [
        ("2024-01-01 00:00:00+00:00", "2024-01-01 00:00:10+00:00", 1),
        ("2024-01-01 00:00:10+00:00", "2024-01-01 00:00:20+00:00", 1),
    ]
    tz = profile_of(result, "t", "tz")
    assert (tz.min_value, tz.max_value) == ("2024-01-01 00:00:00+00", "2024-01-01 00:00:20+00")
    assert (tz.distinct_count, tz.is_unique, tz.mean) == (2, True, None)


def test_small_samples_have_bias_corrected_shape() -> None:
    con = typed_tables_connection()
    add_typed_table(
        con, "t", {"two": "INTEGER", "four": "INTEGER"}, [[0, 0], [1, 0], [None, 1], [None, 1]]
    )

    result = build_statistical_profiles(con)

    two = profile_of(result, "t", "two")
    assert (two.stddev, two.skewness, two.kurtosis) == (pytest.approx(math.sqrt(0.5)), None, None)
    four = profile_of(result, "t", "four")
    # g2 = -2; G2 = 3/(2·1) · (5·(-2) + 6) = -6, as DuckDB's kurtosis().
    assert (four.skewness, four.kurtosis) == (pytest.approx(0.0, abs=1e-12), pytest.approx(-6.0))
    validate_outputs(con, ProfileOptions())


def test_boolean_column_is_categorical() -> None:
    con = typed_tables_connection()
    add_typed_table(con, "t", {"b": "BOOLEAN"}, [[True], [False], [True], [None]])

    result = build_statistical_profiles(con)

    profile = profile_of(result, "t", "b")
    assert (profile.distinct_count, profile.min_value, profile.max_value) == (2, "false", "true")
    assert (profile.mean, profile.zeros, profile.min_length) == (None, None, None)
    assert tops(result, "b") == [(1, "true", 2), (2, "false", 1)]
    assert buckets(result, "b") == []


def test_text_column_lengths_count_characters() -> None:
    con = typed_tables_connection()
    add_typed_table(con, "t", {"s": "VARCHAR"}, [["a"], ["héllo"], ["👍"], [None], ["a"]])

    result = build_statistical_profiles(con)

    profile = profile_of(result, "t", "s")
    assert (profile.min_length, profile.max_length, profile.avg_length) == (1, 5, 2.0)
    assert (profile.min_value, profile.max_value) == ("a", "👍")
    assert (profile.mean, profile.p50, profile.zeros) == (None, None, None)
    assert tops(result, "s") == [(1, "a", 2), (2, "héllo", 1), (3, "👍", 1)]
    assert buckets(result, "s") == []


def test_all_null_and_constant_columns() -> None:
    con = typed_tables_connection()
    add_typed_table(
        con,
        "t",
        {"empty": "INTEGER", "same": "DOUBLE", "blank": "VARCHAR"},
        [[None, 7.0, None], [None, 7.0, None], [None, 7.0, None]],
    )

    result = build_statistical_profiles(con)

    empty = profile_of(result, "t", "empty")
    assert (empty.nulls, empty.null_ratio, empty.distinct_count) == (3, 1.0, 0)
    assert (empty.cardinality_ratio, empty.is_unique, empty.min_value) == (None, False, None)
    assert (empty.mean, empty.stddev, empty.p50, empty.mad) == (None, None, None, None)
    assert (empty.zeros, empty.negatives) == (0, 0)
    same = profile_of(result, "t", "same")
    assert (same.mean, same.stddev, same.skewness, same.kurtosis) == (7.0, 0.0, None, None)
    assert (same.p01, same.p50, same.p99, same.mad) == (7.0, 7.0, 7.0, 0.0)
    assert (same.cv, same.robust_cv, same.distinct_count) == (0.0, 0.0, 1)
    blank = profile_of(result, "t", "blank")
    assert (blank.min_length, blank.max_length, blank.avg_length) == (None, None, None)
    assert tops(result, "empty") == [] and tops(result, "blank") == []
    assert tops(result, "same") == [(1, "7.0", 3)]
    assert buckets(result, "empty") == []
    assert buckets(result, "same") == [HistogramBucket("t", "same", 0, 7.0, 7.0, "7", "7", 3)]
    validate_outputs(con, ProfileOptions())


def test_table_without_rows_is_profiled_and_validates() -> None:
    con = typed_tables_connection()
    add_typed_table(con, "empty", {"n": "BIGINT", "s": "VARCHAR", "d": "DATE"}, [])

    result = build_statistical_profiles(con)

    n = profile_of(result, "empty", "n")
    assert (n.rows, n.nulls, n.null_ratio, n.distinct_count, n.is_unique) == (0, 0, 0.0, 0, False)
    assert (n.cardinality_ratio, n.mean, n.p50, n.min_value) == (None, None, None, None)
    assert (result.top_values, result.histograms) == ((), ())
    assert len(read_table(con, "column_profiles")) == 3
    validate_outputs(con, ProfileOptions())


def test_no_tables_still_creates_the_output_tables() -> None:
    con = typed_tables_connection()

    result = build_statistical_profiles(con)

    assert result == ProfilesResult(profiles=())
    for table in ("column_profiles", "top_values", "histograms"):
        assert read_table(con, table).empty
    validate_outputs(con, ProfileOptions())


def test_uniqueness_needs_every_row_distinct_and_no_nulls() -> None:
    con = typed_tables_connection()
    add_typed_table(con, "t", {"key": "BIGINT", "gappy": "BIGINT"}, [[1, 1], [2, None], [3, 3]])

    result = build_statistical_profiles(con)

    assert profile_of(result, "t", "key").is_unique is True
    gappy = profile_of(result, "t", "gappy")
    assert (gappy.is_unique, gappy.cardinality_ratio) == (False, 1.0)


def test_top_values_break_ties_by_natural_value_order() -> None:
    con = typed_tables_connection()
    values = [10, 9, 100, 9, 10, 100, 5, 7, 7, 7]
    add_typed_table(con, "t", {"n": "INTEGER", "s": "VARCHAR"}, [[v, str(v)] for v in values])

    result = build_statistical_profiles(con, ProfileOptions(top_k=3))

    # Numbers tie-break numerically (9 < 10 < 100), text by its own order ("10" < "100" < "9").
    assert tops(result, "n") == [(1, "7", 3), (2, "9", 2), (3, "10", 2)]
    assert tops(result, "s") == [(1, "7", 3), (2, "10", 2), (3, "100", 2)]
    validate_outputs(con, ProfileOptions(top_k=3))


def test_quarantined_cells_are_counted_per_column() -> None:
    con = typed_tables_connection()
    add_typed_table(con, "a", {"amount": "DOUBLE", "day": "DATE"}, [[None, None], [1.0, None]])
    add_typed_table(con, "b", {"amount": "DOUBLE"}, [[None]])
    con.executemany(
        "INSERT INTO typed_tables.main.quarantine VALUES (?, ?, ?, ?, ?, ?)",
        [
            ["a", 1, "amount", "Amount", "DOUBLE", "12,3x"],
            ["a", 1, "day", "Day", "DATE", "31/02/2024"],
            ["a", 2, "day", "Day", "DATE", "yesterday"],
            ["b", 1, "amount", "Amount", "DOUBLE", "n/a?"],
        ],
    )

    result = build_statistical_profiles(con)

    assert [(p.table_name, p.column_name, p.nulls, p.quarantined) for p in result.profiles] == [
        ("a", "amount", 1, 1),
        ("a", "day", 2, 2),
        ("b", "amount", 1, 1),
    ]


def test_hostile_and_unicode_names_and_values_are_quoted() -> None:
    con = typed_tables_connection()
    table = 'wëird "table"; DROP TABLE x; --'
    columns = {'a"b': "INTEGER", "Ünï code": "VARCHAR", "select": "DOUBLE", "0": "INTEGER"}
    rows = [[1, "O'Brien", 0.5, 3], [2, "'); DROP TABLE y; --", 1.5, 3]]
    add_typed_table(con, table, columns, rows)

    result = build_statistical_profiles(con)

    assert [p.column_name for p in result.profiles] == list(columns)
    assert profile_of(result, table, 'a"b').mean == 1.5
    assert tops(result, "Ünï code") == [(1, "'); DROP TABLE y; --", 1), (2, "O'Brien", 1)]
    assert profile_of(result, table, "0").distinct_count == 1
    assert read_table(con, "column_profiles")["table_name"].unique().tolist() == [table]
    validate_outputs(con, ProfileOptions())


def test_positions_and_semantic_types_come_from_type_decisions() -> None:
    con = typed_tables_connection()
    add_typed_table(con, "t", {"a": "INTEGER", "b": "VARCHAR"}, [[1, "x"]])
    con.execute(
        "UPDATE typed_tables.main.type_decisions SET position = 3 - position, "
        "semantic_type = CASE column_name WHEN 'b' THEN 'code' ELSE semantic_type END"
    )

    result = build_statistical_profiles(con)

    assert [(p.column_name, p.position, p.semantic_type) for p in result.profiles] == [
        ("b", 1, "code"),
        ("a", 2, "integer"),
    ]


def test_histogram_counts_sum_to_finite_non_null_values() -> None:
    con = typed_tables_connection()
    con.execute(
        "CREATE TABLE typed_tables.typed.g AS SELECT i AS _row, "
        "CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 37) % 1001 END AS n, "
        "((i * 13) % 997) / 7.0 AS x, "
        "CASE WHEN i % 5 = 0 THEN NULL ELSE DATE '2020-01-01' + (i % 400)::INTEGER END AS d, "
        "TIMESTAMP '2021-06-01' + to_seconds((i * 7919) % 86400) AS ts "
        "FROM range(1, 1001) AS t(i)"
    )

    result = build_statistical_profiles(con)

    for profile in result.profiles:
        histogram = buckets(result, profile.column_name)
        assert [h.bucket for h in histogram] == list(range(20))
        assert sum(h.count for h in histogram) == profile.rows - profile.nulls
        assert all(a.upper == b.lower for a, b in itertools.pairwise(histogram))
    validate_outputs(con, ProfileOptions())


def test_extreme_values_do_not_overflow() -> None:
    con = typed_tables_connection()
    big = 2**63 - 1
    add_typed_table(
        con,
        "t",
        {"i": "BIGINT", "x": "DOUBLE"},
        [[-big - 1, -1.7e308], [big, 1.7e308], [0, 0.0]],
    )

    result = build_statistical_profiles(con, ProfileOptions(histogram_buckets=2))

    assert [h.count for h in buckets(result, "i")] == [1, 2]
    assert [h.count for h in buckets(result, "x")] == [1, 2]
    x = profile_of(result, "t", "x")
    # Squares of these values overflow DOUBLE; the scaled two-pass moments do not.
    assert x.stddev == pytest.approx(1.7e308)
    assert (x.mean, x.p50, x.skewness, x.cv) == (0.0, 0.0, 0.0, None)
    i = profile_of(result, "t", "i")
    assert i.stddev == pytest.approx(float(big))
    validate_outputs(con, ProfileOptions(histogram_buckets=2))


def _mixed_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE TABLE typed_tables.typed.m AS SELECT i AS _row, "
        "(hash(i) % 1000)::INTEGER % 37 AS a, "
        "round((hash(i * 3) % 100000) / 1000.0 + 1 / 7, 3)::DOUBLE AS b, "
        "((hash(i * 5) % 5000) / 100)::DECIMAL(10,2) AS c, "
        "CASE WHEN i % 5 = 0 THEN NULL ELSE (hash(i * 11) % 1000000) / 1e6 END AS d, "
        "i % 3 = 0 AS e, 'v' || (i % 11) AS f, DATE '2020-01-01' + (i % 40)::INTEGER AS g "
        "FROM range(3000) AS t(i)"
    )


def test_every_computation_path_gives_the_same_profiles(monkeypatch: pytest.MonkeyPatch) -> None:
    con = typed_tables_connection()
    _mixed_table(con)
    results = []
    # (unpivot budget, max distinct for frequency quantiles): per-column frequencies with
    # Python quantiles and histograms; per-column with SQL quantiles; unpivoted batches.
    for unpivot_budget, frequency_distinct in [(0, 10**9), (0, 0), (10**9, 0)]:
        monkeypatch.setattr(statistical_profiles, "_UNPIVOT_CELL_BUDGET", unpivot_budget)
        monkeypatch.setattr(
            statistical_profiles, "_FREQUENCY_QUANTILE_MAX_DISTINCT", frequency_distinct
        )
        results.append(build_statistical_profiles(con))

    first = results[0]
    for other in results[1:]:
        for expected, actual in zip(first.profiles, other.profiles, strict=True):
            assert_profile(actual, expected)
        assert other.top_values == first.top_values
        assert other.histograms == first.histograms


def test_wide_tables_are_profiled_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statistical_profiles, "_SELECT_BATCH_COLUMNS", 7)
    con = typed_tables_connection()
    columns = ", ".join(f"(i * {k}) % 13 AS c{k}" for k in range(40))
    con.execute(
        f"CREATE TABLE typed_tables.typed.w AS SELECT i AS _row, {columns} FROM range(50) t(i)"
    )

    result = build_statistical_profiles(con)

    assert len(result.profiles) == 40
    for k, profile in enumerate(result.profiles):
        values = [(i * k) % 13 for i in range(50)]
        assert profile.column_name == f"c{k}"
        assert profile.position == k + 1  # no type decision: table order
        assert profile.distinct_count == len(set(values))
        assert profile.mean == pytest.approx(statistics.fmean(values))
        assert profile.p25 == pytest.approx(percentiles(values)[1])
        assert sum(count for _, _, count in tops(result, f"c{k}")) == min(
            50, sum(sorted((values.count(v) for v in set(values)), reverse=True)[:20])
        )


def test_outputs_match_the_result_and_the_documented_columns() -> None:
    con = typed_tables_connection()
    _mixed_table(con)

    result = build_statistical_profiles(con)

    profiles = read_table(con, "column_profiles")
    assert list(profiles.columns) == list(asdict(result.profiles[0]))
    assert list(profiles.columns)[:14] == [
        "table_name",
        "column_name",
        "position",
        "data_type",
        "semantic_type",
        "rows",
        "nulls",
        "null_ratio",
        "quarantined",
        "distinct_count",
        "cardinality_ratio",
        "is_unique",
        "min_value",
        "max_value",
    ]
    assert len(profiles) == len(result.profiles) == 7
    top_values = read_table(con, "top_values")
    assert list(top_values.columns) == list(asdict(result.top_values[0]))
    assert len(top_values) == len(result.top_values)
    histograms = read_table(con, "histograms")
    assert list(histograms.columns) == list(asdict(result.histograms[0]))
    assert len(histograms) == len(result.histograms) == 5 * 20  # a, b, c, d, g
    assert set(OUTPUT_SCHEMAS) == {"column_profiles", "top_values", "histograms"}
    for table, schema in OUTPUT_SCHEMAS.items():
        schema.validate(read_table(con, table))


def test_output_schemas_reject_broken_rows() -> None:
    con = typed_tables_connection()
    _mixed_table(con)
    build_statistical_profiles(con)

    profiles = read_table(con, "column_profiles")
    profiles.loc[0, "null_ratio"] = 1.5
    with pytest.raises(SCHEMA_ERRORS):
        OUTPUT_SCHEMAS["column_profiles"].validate(profiles)
    top_values = read_table(con, "top_values")
    top_values.loc[0, "rank"] = 21
    with pytest.raises(SCHEMA_ERRORS):
        OUTPUT_SCHEMAS["top_values"].validate(top_values)
    histograms = read_table(con, "histograms")
    histograms.loc[0, "bucket"] = 20
    with pytest.raises(SCHEMA_ERRORS):
        OUTPUT_SCHEMAS["histograms"].validate(histograms)
    extra = read_table(con, "histograms").assign(extra=1)
    with pytest.raises(SCHEMA_ERRORS):
        OUTPUT_SCHEMAS["histograms"].validate(extra)


def test_progress_reports_one_line_per_table() -> None:
    con = typed_tables_connection()
    add_typed_table(con, "alpha", {"n": "INTEGER"}, [[1], [2]])
    add_typed_table(con, "beta", {"n": "INTEGER", "s": "VARCHAR"}, [])
    lines: list[str] = []

    build_statistical_profiles(con, progress=lines.append)

    assert len(lines) == 2
    assert re.fullmatch(r"table 1/2 alpha: 1 columns profiled, [\d,]+ rows/s", lines[0])
    assert re.fullmatch(r"table 2/2 beta: 2 columns profiled, 0 rows/s", lines[1])


def test_typed_database_name_is_configurable() -> None:
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS \"up stream\"")
    con.execute('CREATE SCHEMA "up stream".typed')
    con.execute('CREATE TABLE "up stream".typed.t AS SELECT 1 AS _row, 42 AS n')
    con.execute(
        "CREATE TABLE \"up stream\".main.type_decisions AS SELECT 't' AS table_name, "
        "'n' AS column_name, 1 AS position, 'INTEGER' AS data_type, 'integer' AS semantic_type"
    )
    con.execute(
        'CREATE TABLE "up stream".main.quarantine '
        "(table_name VARCHAR, row_number BIGINT, column_name VARCHAR)"
    )

    result = build_statistical_profiles(con, typed_database="up stream")

    assert [(p.table_name, p.column_name, p.max_value) for p in result.profiles] == [
        ("t", "n", "42")
    ]


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="top_k"):
        ProfileOptions(top_k=0)
    with pytest.raises(ValueError, match="histogram_buckets"):
        ProfileOptions(histogram_buckets=0)


def test_top_value_records_are_typed() -> None:
    con = typed_tables_connection()
    add_typed_table(con, "t", {"s": "VARCHAR"}, [["x"], ["x"], ["y"], [None]])

    result = build_statistical_profiles(con)

    assert result.top_values == (
        TopValue("t", "s", 1, "x", 2, 0.5),
        TopValue("t", "s", 2, "y", 1, 0.25),
    )
