"""The pipeline on real public data it was not designed on: the CSV files vega_datasets ships
(airports, Seattle and San Francisco weather, stock prices, US employment, LA riots, Iowa
electricity). Expected types are what a reader of each file would say."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import vega_datasets

from dataraum_assets_tests.pipeline import run_pipeline

DATA = Path(vega_datasets.__file__).parent / "_data"


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


def test_public_csv_files(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    source = tmp_path / "vega"
    source.mkdir()
    csv_files = sorted(DATA.glob("*.csv"))
    for path in csv_files:
        shutil.copy(path, source / path.name)
    run = run_pipeline(source, tmp_path / "data", instance, source="vega")
    assert run.result.success
    assert all(evaluation.passed for evaluation in run.check_results().values())

    typed = run.connect("typed_tables")
    decisions = {
        (table, column): (data_type, semantic_type)
        for table, column, data_type, semantic_type in typed.execute(
            "SELECT table_name, column_name, data_type, semantic_type FROM type_decisions"
        ).fetchall()
    }
    expected = {
        ("airports", "iata"): ("VARCHAR", "text"),  # 00M, 00R: codes, not numbers
        ("airports", "latitude"): ("DOUBLE", "decimal"),
        ("seattle_temps", "date"): ("TIMESTAMP", "timestamp"),  # 2010/01/01 00:00
        ("sf_temps", "date"): ("TIMESTAMP", "timestamp"),  # 2010/01/01 00:00:00
        ("seattle_weather", "date"): ("DATE", "date"),  # 2012/01/01
        ("seattle_weather", "weather"): ("VARCHAR", "text"),
        ("stocks", "date"): ("DATE", "date"),  # Jan 1 2000
        ("stocks", "price"): ("DOUBLE", "decimal"),
        ("us_employment", "month"): ("DATE", "date"),
        ("us_employment", "nonfarm"): ("BIGINT", "integer"),
        ("la_riots", "age"): ("BIGINT", "integer"),
        ("iowa_electricity", "net_generation"): ("BIGINT", "integer"),
    }
    assert {key: decisions[key] for key in expected} == expected
    assert typed.execute("SELECT count(*) FROM quarantine").fetchall() == [(0,)]
    assert typed.execute("SELECT min(date), max(date) FROM typed.stocks").fetchall()[0] == (
        __import__("datetime").date(2000, 1, 1),
        __import__("datetime").date(2010, 3, 1),
    )

    profiles = run.connect("statistical_profiles")
    rows = dict(
        profiles.execute("SELECT DISTINCT table_name, rows FROM column_profiles").fetchall()
    )
    for path in csv_files:
        lines = path.read_text(encoding="utf-8").splitlines()
        assert rows[path.stem.replace("-", "_")] == len([line for line in lines[1:] if line])
