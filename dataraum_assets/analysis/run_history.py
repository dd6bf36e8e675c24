"""Run history statistics: per source (runs) and per asset (steps), from samples the caller
reads out of the Dagster instance (`dataraum_assets/assets/run_history.py`).

Percentiles use the nearest-rank method (an observed duration, no interpolation), so they are
exact and reproducible on small samples.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SUCCESS = "SUCCESS"
FAILURE = "FAILURE"


@dataclass(frozen=True)
class RunSample:
    run_id: str
    source: str | None
    status: str  # SUCCESS | FAILURE | CANCELED
    started_at: float | None
    ended_at: float | None
    is_retry: bool  # a re-execution of an earlier run (automatic run retry or retry-failed)
    failure_reason: str | None = None


@dataclass(frozen=True)
class StepSample:
    run_id: str
    source: str | None
    asset: str
    status: str  # SUCCESS | FAILURE | SKIPPED
    started_at: float | None
    ended_at: float | None
    attempts: int
    failure_reason: str | None = None


@dataclass(frozen=True)
class HistoryStats:
    name: str
    runs: int
    successes: int
    failures: int
    success_rate: float | None  # successes / (successes + failures); None without either
    duration_p50: float | None  # seconds
    duration_p95: float | None
    retries: int
    last_failure_at: float | None
    last_failure_run_id: str | None
    last_failure_reason: str | None


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``share`` of values at or
    below it; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def _stats(
    name: str,
    samples: Sequence[RunSample] | Sequence[StepSample],
    retries: int,
) -> HistoryStats:
    successes = [s for s in samples if s.status == SUCCESS]
    failures = [s for s in samples if s.status == FAILURE]
    durations = [
        s.ended_at - s.started_at
        for s in samples
        if s.status in (SUCCESS, FAILURE) and s.started_at is not None and s.ended_at is not None
    ]
    decided = len(successes) + len(failures)
    last = max(failures, key=lambda s: s.ended_at or s.started_at or 0.0, default=None)
    return HistoryStats(
        name=name,
        runs=len(samples),
        successes=len(successes),
        failures=len(failures),
        success_rate=len(successes) / decided if decided else None,
        duration_p50=percentile(durations, 0.5),
        duration_p95=percentile(durations, 0.95),
        retries=retries,
        last_failure_at=(last.ended_at or last.started_at) if last else None,
        last_failure_run_id=last.run_id if last else None,
        last_failure_reason=last.failure_reason if last else None,
    )


def source_history(runs: Iterable[RunSample]) -> list[HistoryStats]:
    """Per source: runs, success rate, run duration p50/p95, runs that were retries, the last
    failure. Runs without a source are left out."""
    by_source: dict[str, list[RunSample]] = defaultdict(list)
    for run in runs:
        if run.source:
            by_source[run.source].append(run)
    return [
        _stats(source, samples, sum(1 for s in samples if s.is_retry))
        for source, samples in sorted(by_source.items())
    ]


def asset_history(steps: Iterable[StepSample]) -> list[HistoryStats]:
    """Per asset: step executions, success rate, step duration p50/p95, step retries (attempts
    beyond the first), the last failure."""
    by_asset: dict[str, list[StepSample]] = defaultdict(list)
    for step in steps:
        by_asset[step.asset].append(step)
    return [
        _stats(asset, samples, sum(max(0, s.attempts - 1) for s in samples))
        for asset, samples in sorted(by_asset.items())
    ]
