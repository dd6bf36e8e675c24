from dataraum_assets.analysis.run_history import (
    HistoryStats,
    RunSample,
    StepSample,
    asset_history,
    percentile,
    source_history,
)


def test_percentile_is_nearest_rank() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(values, 0.5) == 3.0
    assert percentile(values, 0.95) == 5.0
    assert percentile(values, 0.2) == 1.0
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([], 0.5) is None


def test_source_history_counts_rates_durations_retries_and_last_failure() -> None:
    runs = [
        RunSample("r1", "shop", "SUCCESS", 0.0, 10.0, is_retry=False),
        RunSample("r2", "shop", "FAILURE", 20.0, 24.0, is_retry=False, failure_reason="early"),
        RunSample("r3", "shop", "FAILURE", 30.0, 32.0, is_retry=False, failure_reason="late"),
        RunSample("r4", "shop", "SUCCESS", 40.0, 46.0, is_retry=True),
        RunSample("r5", "shop", "CANCELED", 50.0, 51.0, is_retry=False),
        RunSample("r6", "crm", "SUCCESS", 0.0, 1.0, is_retry=False),
        RunSample("r7", None, "FAILURE", 0.0, 1.0, is_retry=False),  # not a source run
    ]
    assert source_history(runs) == [
        HistoryStats("crm", 1, 1, 0, 1.0, 1.0, 1.0, 0, None, None, None),
        HistoryStats(
            name="shop",
            runs=5,
            successes=2,
            failures=2,
            success_rate=0.5,
            duration_p50=4.0,  # durations 10, 4, 2, 6 (cancelled runs do not count)
            duration_p95=10.0,
            retries=1,
            last_failure_at=32.0,
            last_failure_run_id="r3",
            last_failure_reason="late",
        ),
    ]


def test_asset_history_counts_step_retries_from_attempts() -> None:
    steps = [
        StepSample("r1", "shop", "raw_tables", "SUCCESS", 0.0, 2.0, attempts=1),
        StepSample("r2", "shop", "raw_tables", "SUCCESS", 0.0, 3.0, attempts=3),
        StepSample("r3", "crm", "raw_tables", "FAILURE", 5.0, 6.0, attempts=2, failure_reason="x"),
        StepSample("r3", "crm", "typed_tables", "SKIPPED", None, None, attempts=1),
    ]
    assert asset_history(steps) == [
        HistoryStats("raw_tables", 3, 2, 1, 2 / 3, 2.0, 3.0, 3, 6.0, "r3", "x"),
        HistoryStats("typed_tables", 1, 0, 0, None, None, None, 0, None, None, None),
    ]
