import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import pytest

from dataraum_assets.analysis.statistical_profiles import build_statistical_profiles
from dataraum_assets.analysis.temporal_profiles import (
    OUTPUT_SCHEMAS,
    TemporalColumn,
    TemporalOptions,
    TemporalResult,
    build_temporal_profiles,
    change_point_test,
    period_label,
    seasonality_test,
    trend_test,
)
from dataraum_assets_tests.analysis.test_statistical_profiles import (
    add_typed_table,
    typed_tables_connection,
)

RUN_DATE = dt.date(2025, 6, 30)
OPTIONS = TemporalOptions()


def profile(
    tables: dict[str, tuple[dict[str, str], Sequence[Sequence[Any]]]],
    run_date: dt.date = RUN_DATE,
    options: TemporalOptions = OPTIONS,
) -> tuple[duckdb.DuckDBPyConnection, TemporalResult]:
    """Typed tables → statistical_profiles → temporal profiles, as the pipeline runs them."""
    con = typed_tables_connection()
    for name, (columns, rows) in tables.items():
        add_typed_table(con, name, columns, rows)
    con.execute("ATTACH ':memory:' AS statistical_profiles")
    con.execute("USE statistical_profiles")
    build_statistical_profiles(con)
    con.execute("USE memory")
    return con, build_temporal_profiles(con, run_date, options)


def column_of(result: TemporalResult, table: str, column: str) -> TemporalColumn:
    (found,) = [c for c in result.columns if (c.table_name, c.column_name) == (table, column)]
    return found


def dates(start: dt.date, count: int, step_days: int = 1) -> list[dt.date]:
    return [start + dt.timedelta(days=step_days * i) for i in range(count)]


def month_starts(first_year: int, count: int) -> list[dt.date]:
    return [dt.date(first_year + i // 12, i % 12 + 1, 1) for i in range(count)]


@pytest.mark.parametrize(
    ("values", "data_type", "precision", "granularity"),
    [
        (
            [dt.datetime(2024, 1, 1, 0, 0, s) for s in range(0, 40)],
            "TIMESTAMP",
            "second",
            "second",
        ),
        (
            [dt.datetime(2024, 1, 1, 0, m, 0) for m in range(0, 40)],
            "TIMESTAMP",
            "minute",
            "minute",
        ),
        (
            [dt.datetime(2024, 1, 1) + dt.timedelta(hours=h) for h in range(50)],
            "TIMESTAMP",
            "hour",
            "hour",
        ),
        (dates(dt.date(2024, 1, 3), 40), "DATE", "day", "day"),
        # Fridays only: daily precision, weekly data.
        (dates(dt.date(2024, 1, 5), 20, 7), "DATE", "day", "week"),
        (dates(dt.date(2024, 1, 1), 20, 7), "DATE", "week", "week"),
        (month_starts(2020, 30), "DATE", "month", "month"),
        # The 15th of every month: daily precision, monthly data.
        ([d.replace(day=15) for d in month_starts(2020, 30)], "DATE", "day", "month"),
        (month_starts(2020, 36)[::3], "DATE", "quarter", "quarter"),
        ([dt.date(2000 + i, 1, 1) for i in range(12)], "DATE", "year", "year"),
    ],
)
def test_precision_and_granularity_per_level(
    values: list[Any], data_type: str, precision: str, granularity: str
) -> None:
    _, result = profile({"t": ({"at": data_type}, [[v] for v in values])})
    found = column_of(result, "t", "at")
    assert (found.precision, found.granularity) == (precision, granularity)
    assert found.regular is (precision == granularity)


def test_sparse_days_become_the_level_at_which_they_are_dense() -> None:
    # Every third day: at day level one step in three... none is 1; at week level most are.
    values = dates(dt.date(2024, 1, 1), 60, 3)
    _, result = profile({"t": ({"at": "DATE"}, [[v] for v in values])})
    found = column_of(result, "t", "at")
    assert (found.precision, found.granularity, found.regular) == ("day", "week", False)


def test_completeness_with_a_missing_month() -> None:
    months = month_starts(2024, 12)
    del months[4]  # May
    _, result = profile({"t": ({"at": "DATE"}, [[m] for m in months])})
    found = column_of(result, "t", "at")
    assert (found.granularity, found.expected_periods, found.observed_periods) == ("month", 12, 11)
    assert found.completeness == pytest.approx(11 / 12)
    assert (found.gap_count, found.missing_periods) == (1, 1)
    assert (result.gaps[0].gap_start, result.gaps[0].gap_end) == ("2024-05", "2024-05")


def test_a_single_missing_day_is_not_a_gap_two_are() -> None:
    days = dates(dt.date(2024, 3, 1), 30)
    kept = [d for d in days if d not in (days[5], days[12], days[13])]
    _, result = profile({"t": ({"at": "DATE"}, [[d] for d in kept])})
    found = column_of(result, "t", "at")
    assert (found.expected_periods, found.observed_periods, found.gap_count) == (30, 27, 1)
    (gap,) = result.gaps
    assert (gap.gap_start, gap.gap_end, gap.missing_periods) == ("2024-03-13", "2024-03-14", 2)
    assert gap.rule == "≥ 2 consecutive missing days"


def test_weekday_calendar_does_not_expect_weekends() -> None:
    weekdays = [d for d in dates(dt.date(2024, 1, 1), 28) if d.isoweekday() <= 5]
    _, result = profile({"t": ({"at": "DATE"}, [[d] for d in weekdays])})
    found = column_of(result, "t", "at")
    assert (found.granularity, found.calendar) == ("day", "weekdays")
    assert (found.expected_periods, found.observed_periods, found.gap_count) == (20, 20, 0)
    # The same days plus weekend values are an all-days calendar with weekend gaps.
    weekend = [d for d in dates(dt.date(2024, 1, 1), 28) if d.isoweekday() == 6]
    _, result = profile({"t": ({"at": "DATE"}, [[d] for d in weekdays + weekend])})
    found = column_of(result, "t", "at")
    assert (found.calendar, found.expected_periods, found.observed_periods) == ("all", 27, 24)


def test_staleness_and_future_values() -> None:
    values = [*dates(dt.date(2025, 6, 1), 20), dt.date(2026, 5, 9)]
    _, result = profile({"t": ({"at": "DATE"}, [[v] for v in values])})
    found = column_of(result, "t", "at")
    assert (found.min_value, found.max_value) == ("2025-06-01", "2026-05-09")
    assert (found.future_values, found.staleness_days) == (1, 10)
    # The future value does not stretch the calendar.
    assert (found.expected_periods, found.completeness) == (20, 1.0)
    assert found.run_date == "2025-06-30"


def test_series_are_exact_group_by_aggregates_with_missing_periods() -> None:
    rows = [
        [dt.date(2024, 1, 3), 10.0],
        [dt.date(2024, 1, 20), 5.5],
        [dt.date(2024, 3, 9), 1.0],
        [dt.date(2024, 4, 2), None],
    ]
    _, result = profile({"sales": ({"sold_on": "DATE", "amount": "DOUBLE"}, rows)})
    assert column_of(result, "sales", "sold_on").granularity == "month"
    series = {(p.series, p.period): p.value for p in result.points}
    assert series == {
        ("row_count", "2024-01-01 00:00:00"): 2.0,
        ("row_count", "2024-02-01 00:00:00"): 0.0,
        ("row_count", "2024-03-01 00:00:00"): 1.0,
        ("row_count", "2024-04-01 00:00:00"): 1.0,
        ("sum(amount)", "2024-01-01 00:00:00"): 15.5,
        ("sum(amount)", "2024-02-01 00:00:00"): None,
        ("sum(amount)", "2024-03-01 00:00:00"): 1.0,
        ("sum(amount)", "2024-04-01 00:00:00"): None,
    }


def test_measures_exclude_keys_years_sequences_and_percentages() -> None:
    rows = [
        [dt.date(2024, 1, 1 + i), i + 1, 2000 + i, 7 * i + 3.5, 0.2, i * 1000] for i in range(5)
    ]
    columns = {
        "at": "DATE",
        "line_no": "BIGINT",
        "fiscal_year": "BIGINT",
        "amount": "DOUBLE",
        "rate": "DOUBLE",
        "revenue": "BIGINT",
    }
    con = typed_tables_connection()
    add_typed_table(con, "t", columns, rows)
    con.execute(
        "UPDATE typed_tables.type_decisions SET semantic_type = 'percentage' "
        "WHERE column_name = 'rate'"
    )
    con.execute("ATTACH ':memory:' AS statistical_profiles")
    con.execute("USE statistical_profiles")
    build_statistical_profiles(con)
    con.execute("USE memory")
    result = build_temporal_profiles(con, RUN_DATE)
    found = column_of(result, "t", "at")
    # revenue: distinct integers 0..4000 spread far wider than a sequence of 5.
    assert (found.measures, found.measure_source) == (("amount", "revenue"), "inferred")


def test_semantic_annotations_pick_the_measures() -> None:
    rows = [[dt.date(2024, 1, 1 + i), float(i), float(i)] for i in range(5)]
    con = typed_tables_connection()
    add_typed_table(con, "t", {"at": "DATE", "a": "DOUBLE", "b": "DOUBLE"}, rows)
    con.execute("ATTACH ':memory:' AS statistical_profiles")
    con.execute("USE statistical_profiles")
    build_statistical_profiles(con)
    con.execute("ATTACH ':memory:' AS semantic_annotations")
    con.execute(
        "CREATE TABLE semantic_annotations.column_annotations AS SELECT * FROM (VALUES "
        "('t', 'a', 'attribute'), ('t', 'b', 'measure')) v(table_name, column_name, role)"
    )
    con.execute("USE memory")
    result = build_temporal_profiles(con, RUN_DATE, semantic_database="semantic_annotations")
    found = column_of(result, "t", "at")
    assert (found.measures, found.measure_source) == (("b",), "semantic_annotations")


def test_trend_significant_on_a_rising_series_not_on_noise() -> None:
    rng = np.random.default_rng(7)
    x = np.arange(40, dtype=float)
    rising = trend_test(x, 2.0 * x + rng.normal(0, 3, 40), OPTIONS)
    assert rising.result == "increasing"
    assert rising.p_value is not None and rising.p_value < 0.001
    assert rising.slope == pytest.approx(2.0, abs=0.3)
    assert rising.n_points == 40
    noise = trend_test(x, rng.normal(0, 3, 40), OPTIONS)
    assert noise.result == "no_trend"
    assert noise.p_value is not None and noise.p_value > 0.05
    falling = trend_test(x, -x, OPTIONS)
    assert (falling.result, falling.statistic, falling.slope) == ("decreasing", -1.0, -1.0)


def test_trend_skipped_with_too_few_points_or_a_constant_series() -> None:
    short = trend_test(np.arange(7.0), np.arange(7.0), OPTIONS)
    assert (short.result, short.n_points, short.min_points) == ("skipped", 7, 8)
    assert short.skipped_reason == "too few points: 7 < 8"
    constant = trend_test(np.arange(9.0), np.ones(9), OPTIONS)
    assert (constant.result, constant.skipped_reason) == ("skipped", "constant series")


def test_theil_sen_on_a_long_series_samples_pairs_deterministically() -> None:
    x = np.arange(3000, dtype=float)
    first = trend_test(x, 0.5 * x + np.sin(x), OPTIONS)
    second = trend_test(x, 0.5 * x + np.sin(x), OPTIONS)
    assert first.slope == second.slope == pytest.approx(0.5, abs=0.01)
    assert "random pairs, seed 0" in first.method


def test_seasonality_found_at_its_lag_with_strength() -> None:
    rng = np.random.default_rng(3)
    n = 12 * 6
    season = np.tile([0, 1, 3, 6, 9, 10, 9, 6, 3, 1, 0, -1], 6).astype(float)
    values = 100 + 0.5 * np.arange(n) + 4 * season + rng.normal(0, 2, n)
    found = seasonality_test(values, 12, OPTIONS)
    assert (found.result, found.lag) == ("seasonal", 12)
    assert found.statistic is not None and found.statistic > 0.8
    assert found.n_points == n - 12  # the moving average takes half a cycle off each end
    noise = seasonality_test(rng.normal(0, 2, n), 12, OPTIONS)
    assert noise.result == "not_seasonal"
    assert noise.statistic is not None and noise.statistic < 0.1


def test_seasonality_skipped_below_three_cycles() -> None:
    found = seasonality_test(np.arange(18.0), 12, OPTIONS)
    assert (found.result, found.min_points) == ("skipped", 36)
    assert found.skipped_reason == "too few points: 18 < 36 (3 cycles of 12)"


def test_change_point_at_a_known_index() -> None:
    rng = np.random.default_rng(11)
    values = np.concatenate([rng.normal(10, 1, 25), rng.normal(20, 1, 15)])
    labels = [f"p{i}" for i in range(40)]
    found = change_point_test(values, labels, OPTIONS, None)
    assert (found.result, found.change_points, found.n_points) == ("changes", ("p25",), 40)
    flat = change_point_test(rng.normal(10, 1, 40), labels, OPTIONS, None)
    assert (flat.result, flat.change_points) == ("no_changes", ())
    short = change_point_test(values[:9], labels[:9], OPTIONS, None)
    assert (short.result, short.skipped_reason) == ("skipped", "too few points: 9 < 10")


def test_series_tests_on_a_table_say_what_they_ran_on() -> None:
    days = dates(dt.date(2024, 1, 1), 120)
    rows = [[d, float(i)] for i, d in enumerate(days) for _ in range(1 + i // 60)]
    _, result = profile({"t": ({"at": "DATE", "amount": "DOUBLE"}, rows)})
    tests = {(t.series, t.test, t.lag): t for t in result.tests}
    assert tests[("row_count", "trend", None)].result == "increasing"
    assert tests[("row_count", "change_points", None)].change_points == ("2024-03-01",)
    assert tests[("sum(amount)", "trend", None)].n_points == 120
    assert tests[("row_count", "seasonality", 365)].skipped_reason == (
        "too few points: 120 < 1095 (3 cycles of 365)"
    )
    assert {t.period for t in result.tests} == {"day"}


def test_period_labels() -> None:
    assert period_label("quarter", 2024 * 4 + 2) == "2024-Q3"
    assert period_label("week", 2) == "1970-01-12"
    assert period_label("hour", 25) == "1970-01-02 01:00:00"


def test_outputs_match_their_schemas() -> None:
    days = dates(dt.date(2024, 1, 1), 40)
    con, _ = profile({"t": ({"at": "DATE", "amount": "DOUBLE"}, [[d, 1.5] for d in days[::2]])})
    for table, schema in OUTPUT_SCHEMAS.items():
        schema.validate(con.execute(f"SELECT * FROM {table}").df())
    assert con.execute("SELECT typeof(period) FROM period_series LIMIT 1").fetchall() == [
        ("TIMESTAMP",)
    ]
