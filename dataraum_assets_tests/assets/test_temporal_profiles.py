"""temporal_profiles and slices through Dagster, on the bundled example (as of its own date)
and on real public time series from vega_datasets that the project was not designed on."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import vega_datasets

from dataraum_assets.assets.slices import slices, slices_checks
from dataraum_assets.assets.temporal_profiles import temporal_profiles, temporal_profiles_checks
from dataraum_assets.example_data import AS_OF
from dataraum_assets_tests.pipeline import EXAMPLE_FOLDER, PipelineRun, run_pipeline

VEGA = Path(vega_datasets.__file__).parent / "_data"
VEGA_FILES = ("seattle-weather.csv", "seattle-temps.csv", "stocks.csv", "us-employment.csv")
VEGA_AS_OF = "2016-01-01"
UPSTREAMS = ["raw_tables", "typed_tables", "statistical_profiles"]


def materialize(folder: Path, data_dir: Path, source: str, as_of: str) -> PipelineRun:
    """The upstreams through ``run_pipeline``, then temporal_profiles (as of ``as_of``) and
    slices with their checks."""
    with dg.instance_for_test() as instance:
        upstream = run_pipeline(folder, data_dir, instance, source=source, selection=UPSTREAMS)
        assert upstream.result.success
        result = dg.materialize(
            [temporal_profiles, slices, *temporal_profiles_checks, *slices_checks],
            partition_key=source,
            instance=instance,
            resources={"warehouse": upstream.warehouse},
            run_config={"ops": {"temporal_profiles": {"config": {"as_of": as_of}}}},
        )
    return PipelineRun(result=result, warehouse=upstream.warehouse, source=source)


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineRun]:
    data_dir = tmp_path_factory.mktemp("acme")
    yield materialize(EXAMPLE_FOLDER, data_dir, "acme_books", AS_OF.isoformat())


@pytest.fixture(scope="module")
def vega(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineRun]:
    folder = tmp_path_factory.mktemp("vega_source")
    for name in VEGA_FILES:
        shutil.copy(VEGA / name, folder / name)
    yield materialize(folder, tmp_path_factory.mktemp("vega_data"), "vega", VEGA_AS_OF)


def columns(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple]:
    return {
        (row[0], row[1]): row[2:]
        for row in con.execute(
            "SELECT table_name, column_name, granularity, calendar, completeness, "
            "future_values, staleness_days FROM temporal_columns"
        ).fetchall()
    }


def test_checks_pass(acme: PipelineRun, vega: PipelineRun) -> None:
    for run in (acme, vega):
        assert run.result.success
        checks = run.check_results()
        assert len(checks) == 8
        assert [name for name, evaluation in checks.items() if not evaluation.passed] == []


def test_example_granularity_staleness_and_future_invoice(acme: PipelineRun) -> None:
    found = columns(acme.connect("temporal_profiles"))
    granularity, calendar, completeness, future, staleness = found[("invoices", "invoice_date")]
    # Invoices are issued on weekdays; one was typed with the year 2026.
    assert (granularity, calendar, future, staleness) == ("day", "weekdays", 1, 0)
    assert completeness > 0.9
    assert found[("journal_lines", "fiscal_period")][:2] == ("month", "all")
    assert found[("journal_lines", "fiscal_period")][4] == 29  # 2025-06-01 .. 2025-06-30
    assert found[("payments", "payment_date")][0] == "day"
    metadata = acme.materialization_metadata("temporal_profiles")
    assert metadata["run_date"].value == "2025-06-30"


def test_example_series_are_real_aggregates(acme: PipelineRun) -> None:
    con = acme.connect("temporal_profiles")
    typed = acme.connect("typed_tables")
    [(invoices_in_range,)] = typed.execute(
        "SELECT count(*) FROM typed.invoices WHERE invoice_date <= DATE '2025-06-30'"
    ).fetchall()
    [(total, periods)] = con.execute(
        "SELECT sum(value), count(*) FROM period_series WHERE table_name = 'invoices' "
        "AND column_name = 'invoice_date' AND series = 'row_count'"
    ).fetchall()
    assert total == invoices_in_range
    # Volumes grow through the 18 months.
    [(result, n_points)] = con.execute(
        "SELECT result, n_points FROM series_tests WHERE table_name = 'invoices' "
        "AND column_name = 'invoice_date' AND series = 'row_count' AND test = 'trend'"
    ).fetchall()
    assert (result, n_points) == ("increasing", periods)
    # 18 months are too few for a yearly cycle, and the row says so.
    [(reason,)] = con.execute(
        "SELECT skipped_reason FROM series_tests WHERE table_name = 'journal_lines' "
        "AND column_name = 'fiscal_period' AND series = 'row_count' AND test = 'seasonality'"
    ).fetchall()
    assert reason == "too few points: 18 < 36 (3 cycles of 12)"


def test_example_slices(acme: PipelineRun) -> None:
    con = acme.connect("slices")
    verdicts = {
        (table, column): (status, reason)
        for table, column, status, reason in con.execute(
            "SELECT table_name, column_name, status, reason FROM slice_dimensions"
        ).fetchall()
    }
    assert verdicts[("invoices", "currency")][0] == "accepted"
    assert verdicts[("invoices", "invoice_number")][0] == "rejected"
    assert verdicts[("customers", "email")] == ("rejected", "key or identifier: email values")
    assert verdicts[("invoices", "status")][1].startswith("unbalanced")
    levels = dict(
        con.execute(
            "SELECT DISTINCT table_name, period_level FROM slice_drift "
            "WHERE slice_column IN ('currency', 'method')"
        ).fetchall()
    )
    assert levels["invoices"] == "month"  # ~80 invoices a month, ~20 a week


def test_public_daily_hourly_monthly_series(vega: PipelineRun) -> None:
    con = vega.connect("temporal_profiles")
    found = {key: value[0] for key, value in columns(con).items()}
    assert found == {
        ("seattle_weather", "date"): "day",
        ("seattle_temps", "date"): "hour",
        ("stocks", "date"): "month",
        ("us_employment", "month"): "month",
    }
    tests = {
        (row[0], row[1], row[2], row[3]): row[4:]
        for row in con.execute(
            "SELECT table_name, series, test, coalesce(lag, 0), result, statistic, p_value "
            "FROM series_tests"
        ).fetchall()
    }
    # Seattle's daily maximum temperature follows the year, not the week.
    result, strength, p_value = tests[("seattle_weather", "sum(temp_max)", "seasonality", 365)]
    assert result == "seasonal" and strength > 0.5 and p_value < 1e-6
    assert tests[("seattle_weather", "sum(temp_max)", "seasonality", 7)][0] == "not_seasonal"
    # Hourly temperatures follow the day.
    assert tests[("seattle_temps", "sum(temp)", "seasonality", 24)][0] == "seasonal"
    # BLS employment is seasonally adjusted: no yearly cycle left.
    assert tests[("us_employment", "sum(goods_producing)", "seasonality", 12)][0] == (
        "not_seasonal"
    )
    # Stock prices rose over 2000-2010 in sum, and the series gained GOOG in August 2004.
    assert tests[("stocks", "sum(price)", "trend", 0)][0] == "increasing"
    [(points,)] = con.execute(
        "SELECT change_points FROM series_tests WHERE table_name = 'stocks' "
        "AND series = 'row_count' AND test = 'change_points'"
    ).fetchall()
    assert points == ["2004-08"]
