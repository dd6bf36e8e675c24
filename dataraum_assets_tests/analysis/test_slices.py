import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import duckdb
import pytest

from dataraum_assets.analysis.slices import (
    OUTPUT_SCHEMAS,
    SliceDimension,
    SliceOptions,
    SliceResult,
    build_slices,
    entropy,
    js_divergence,
    js_noise_threshold,
)
from dataraum_assets.analysis.statistical_profiles import build_statistical_profiles
from dataraum_assets.analysis.temporal_profiles import build_temporal_profiles
from dataraum_assets_tests.analysis.test_statistical_profiles import (
    add_typed_table,
    typed_tables_connection,
)

RUN_DATE = dt.date(2025, 6, 30)
DEFAULTS = SliceOptions()


def run_slices(
    columns: dict[str, str], rows: Sequence[Sequence[Any]], options: SliceOptions = DEFAULTS
) -> tuple[duckdb.DuckDBPyConnection, SliceResult]:
    """typed_tables → statistical_profiles → temporal_profiles → slices, for one table ``t``."""
    con = typed_tables_connection()
    add_typed_table(con, "t", columns, rows)
    for database in ("statistical_profiles", "temporal_profiles"):
        con.execute(f"ATTACH ':memory:' AS {database}")
    con.execute("USE statistical_profiles")
    build_statistical_profiles(con)
    con.execute("USE temporal_profiles")
    build_temporal_profiles(con, RUN_DATE)
    con.execute("USE memory")
    return con, build_slices(con, options)


def dimension_of(result: SliceResult, column: str) -> SliceDimension:
    (found,) = [d for d in result.dimensions if d.column_name == column]
    return found


def test_js_divergence_exact_on_small_cases() -> None:
    assert js_divergence([1, 0], [0, 1]) == 1.0
    assert js_divergence([3, 1], [6, 2]) == 0.0
    # p = (1/2, 1/2), q = (1, 0), m = (3/4, 1/4): ½·KL(p‖m) + ½·KL(q‖m).
    expected = 0.5 * (0.5 * math.log2(0.5 / 0.75) + 0.5 * math.log2(0.5 / 0.25)) + 0.5 * (
        math.log2(1 / 0.75)
    )
    assert js_divergence([1, 1], [1, 0]) == pytest.approx(expected)
    assert expected == pytest.approx(0.311278, abs=1e-6)


def test_js_threshold_grows_with_sampling_noise() -> None:
    options = DEFAULTS
    assert js_noise_threshold(2, 10_000, 10_000, options) == 0.1
    # 30 values, 30 rows per period: noise alone gives ~0.35 bits.
    assert js_noise_threshold(30, 30, 30, options) == pytest.approx(
        3 * 29 * (2 / 30) / (8 * math.log(2))
    )


def test_entropy_and_balance() -> None:
    assert entropy([5, 5]) == (1.0, 1.0)
    bits, normalized = entropy([9, 1])
    assert bits == pytest.approx(0.468996, abs=1e-6)
    assert normalized == pytest.approx(bits)


def candidates_rows() -> tuple[dict[str, str], list[list[Any]]]:
    columns = {
        "order_id": "VARCHAR",
        "region": "VARCHAR",
        "channel": "VARCHAR",
        "flag": "VARCHAR",
        "city": "VARCHAR",
        "note": "VARCHAR",
        "single": "VARCHAR",
        "name": "VARCHAR",
    }
    rows = [
        [
            f"O-{i}",
            ["north", "south", "east", "west"][i % 4],
            ["web", "shop"][i % 2] if i % 10 else None,  # 10% nulls
            "rare" if i == 0 else "common",  # one value holds 99%
            f"city-{i % 60}",  # 60 values
            f"text {i // 4}",  # 4 rows per value
            "same",
            f"name-{i}",
        ]
        for i in range(120)
    ]
    return columns, rows


def test_each_dimension_rule_accepts_or_rejects() -> None:
    columns, rows = candidates_rows()
    _, result = run_slices(columns, rows)
    verdicts = {d.column_name: (d.status, d.reason) for d in result.dimensions}
    assert verdicts["order_id"] == ("rejected", "key or identifier: key-like column name")
    assert verdicts["name"] == ("rejected", "key or identifier: every non-null value is distinct")
    assert verdicts["city"] == ("rejected", "60 distinct values, need 2..50")
    assert verdicts["single"] == ("rejected", "1 distinct values, need 2..50")
    assert verdicts["note"] == (
        "rejected",
        "too fine: 4.0 rows per value on average, need 5",
    )
    assert verdicts["channel"] == ("rejected", "null ratio 10.0% above 5%")
    assert verdicts["flag"] == (
        "rejected",
        "unbalanced: normalized entropy 0.07 below 0.5 (top value holds 99%)",
    )
    region = dimension_of(result, "region")
    assert (region.status, region.rank, region.entropy_bits) == ("accepted", 1, 2.0)
    # Each rule can pass: looser thresholds accept channel and flag.
    _, loose = run_slices(columns, rows, SliceOptions(max_null_ratio=0.2, min_balance=0.05))
    assert dimension_of(loose, "channel").status == "accepted"
    assert dimension_of(loose, "flag").status == "accepted"


def test_dimensions_ranked_by_entropy_and_capped() -> None:
    columns, rows = candidates_rows()
    _, result = run_slices(columns, rows, SliceOptions(max_null_ratio=0.2, max_dimensions=1))
    region, channel = dimension_of(result, "region"), dimension_of(result, "channel")
    assert (region.status, region.rank) == ("accepted", 1)
    assert (channel.status, channel.rank) == ("rejected", 2)
    assert channel.reason.startswith("passes every rule but ranks 2 by entropy")


def test_slice_profiles_are_exact() -> None:
    columns = {"kind": "VARCHAR", "amount": "DOUBLE", "other": "VARCHAR"}
    rows = [["a", 1.0, None], ["a", 3.0, "x"], *[["b", 10.0, "y"] for _ in range(8)]]
    _, result = run_slices(columns, rows, SliceOptions(min_rows_per_value=1))
    profiles = {p.slice_value: (p.rows, p.row_share, p.null_cells) for p in result.profiles}
    assert profiles == {"a": (2, 0.2, 1), "b": (8, 0.8, 0)}
    measures = {(m.slice_value, m.measure): (m.non_null, m.sum, m.mean) for m in result.measures}
    assert measures == {("a", "amount"): (2, 4.0, 2.0), ("b", "amount"): (8, 80.0, 10.0)}


def drift_rows(shifted: bool) -> list[list[Any]]:
    """Two months of 40 rows each; in the second month the mix and b's amounts may change."""
    rows: list[list[Any]] = []
    for day in range(40):
        rows.append([dt.date(2024, 1, 1 + day % 28), "a" if day % 2 else "b", 10.0 + day % 3])
    for day in range(40):
        kind = ("a" if day % 8 else "b") if shifted else ("a" if day % 2 else "b")
        amount = 10.0 + day % 3 + (20.0 if shifted and kind == "b" else 0.0)
        rows.append([dt.date(2024, 2, 1 + day % 28), kind, amount])
    return rows


def test_drift_flagged_on_a_changed_mix_and_mean() -> None:
    columns = {"at": "DATE", "kind": "VARCHAR", "amount": "DOUBLE"}
    _, result = run_slices(columns, drift_rows(shifted=True), SliceOptions(min_slice_rows=4))
    drift = {(d.metric, d.slice_value): d for d in result.drift}
    mix = drift[("js_divergence", None)]
    assert (mix.period_level, mix.period, mix.time_column) == ("month", "2024-02-01 00:00:00", "at")
    assert mix.value == pytest.approx(js_divergence([20, 20], [35, 5]))
    assert mix.drifted and mix.threshold == 0.1
    b = drift[("relative_mean_shift", "b")]
    assert b.drifted and b.value == pytest.approx((31.0 - 11.0) / 11.0, abs=0.05)
    assert not drift[("relative_mean_shift", "a")].drifted


def test_drift_not_flagged_on_a_stable_source() -> None:
    columns = {"at": "DATE", "kind": "VARCHAR", "amount": "DOUBLE"}
    _, result = run_slices(columns, drift_rows(shifted=False), SliceOptions(min_slice_rows=4))
    assert result.drift and not any(d.drifted for d in result.drift)
    assert {d.threshold for d in result.drift if d.metric == "relative_mean_shift"} == {0.5}


def test_outputs_match_their_schemas() -> None:
    columns = {"at": "DATE", "kind": "VARCHAR", "amount": "DOUBLE"}
    con, _ = run_slices(columns, drift_rows(shifted=True), SliceOptions(min_slice_rows=4))
    for table, schema in OUTPUT_SCHEMAS.items():
        frame = con.execute(f"SELECT * FROM {table}").df()
        assert len(frame), table
        schema.validate(frame)
