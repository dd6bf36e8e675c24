"""run_history: how the pipeline has been running, from the Dagster instance's own records."""

import time
from collections.abc import Sequence
from datetime import UTC, datetime

import dagster as dg

from dataraum_assets.analysis.run_history import (
    HistoryStats,
    RunSample,
    StepSample,
    asset_history,
    source_history,
)
from dataraum_assets.markdown import markdown_table
from dataraum_assets.run_tags import SOURCE_TAG

ASSET = "run_history"
WINDOW_DAYS = 30
MAX_RUNS = 1000
MAX_REASON_CHARS = 300
PARENT_RUN_TAG = "dagster/parent_run_id"
FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]


@dg.asset(
    name=ASSET,
    group_name="operations",
    kinds={"dagster"},
    description=f"""How the pipeline has been running, computed from the Dagster instance
(run records, step statistics and failure events; SQLite or PostgreSQL alike), not from a
bookkeeping of our own. Covers finished runs of the last {WINDOW_DAYS} days (at most
{MAX_RUNS}, newest first).

Per source (runs tagged `dataraum/source`): runs, success rate (successes / (successes +
failures)), run duration p50 and p95 (nearest rank), retries (runs that re-execute an earlier
run: automatic run retries and `dataraum-assets retry-failed`), the last failure with its
reason. Per asset (its step in every run): the same, with step retries (attempts beyond the
first, from step retry policies). Shown as Markdown tables in the metadata; not partitioned,
writes no file. Materialize it on demand or on a schedule.""",
)
def run_history(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    instance = context.instance
    # Asset steps are keyed by the asset's name, the others are checks. Every asset a run
    # planned is known to the instance, so this also finds assets that were renamed or removed.
    asset_names = {key.to_user_string() for key in instance.get_asset_keys()}
    runs, steps = _samples(instance, asset_names, time.time() - WINDOW_DAYS * 86400)
    sources = source_history(runs)
    assets = asset_history(steps)
    decided = sum(s.successes + s.failures for s in sources)
    successes = sum(s.successes for s in sources)
    context.log.info(f"run_history: {len(runs)} runs, {len(steps)} asset steps")
    return dg.MaterializeResult(
        metadata={
            "runs": len(runs),
            "window_days": WINDOW_DAYS,
            "sources": len(sources),
            "success_rate": dg.MetadataValue.float(successes / decided) if decided else None,
            "by_source": dg.MetadataValue.md(_table("source", sources)),
            "by_asset": dg.MetadataValue.md(_table("asset", assets)),
        }
    )


def _samples(
    instance: dg.DagsterInstance, asset_names: set[str], since: float
) -> tuple[list[RunSample], list[StepSample]]:
    records = instance.get_run_records(
        filters=dg.RunsFilter(
            statuses=FINISHED, created_after=datetime.fromtimestamp(since, tz=UTC)
        ),
        limit=MAX_RUNS,
    )
    runs: list[RunSample] = []
    steps: list[StepSample] = []
    for record in records:
        run = record.dagster_run
        source = run.tags.get(SOURCE_TAG) or run.tags.get("dagster/partition")
        step_errors = _step_errors(instance, run.run_id) if run.status.value == "FAILURE" else {}
        reason = None
        if run.status.value == "FAILURE":
            reason = "; ".join(f"{k}: {v}" for k, v in sorted(step_errors.items())) or (
                _run_failure_message(instance, run.run_id)
            )
        runs.append(
            RunSample(
                run_id=run.run_id,
                source=source,
                status=run.status.value,
                started_at=record.start_time,
                ended_at=record.end_time,
                is_retry=PARENT_RUN_TAG in run.tags,
                failure_reason=_short(reason),
            )
        )
        for stats in instance.get_run_step_stats(run.run_id):
            if stats.step_key not in asset_names or stats.status is None:
                continue
            steps.append(
                StepSample(
                    run_id=run.run_id,
                    source=source,
                    asset=stats.step_key,
                    status=stats.status.value,
                    started_at=stats.start_time,
                    ended_at=stats.end_time,
                    attempts=stats.attempts or 1,
                    failure_reason=_short(step_errors.get(stats.step_key)),
                )
            )
    return runs, steps


def _step_errors(instance: dg.DagsterInstance, run_id: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    for record in instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.STEP_FAILURE
    ).records:
        event = record.event_log_entry.dagster_event
        if event is None or event.step_key is None:
            continue
        error = event.step_failure_data.error
        errors[event.step_key] = error.message.strip() if error else event.message or "failed"
    return errors


def _run_failure_message(instance: dg.DagsterInstance, run_id: str) -> str | None:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is not None and event.message:
            return event.message
    # A run whose worker died is marked failed by whoever noticed, with an engine event first.
    return None


def _short(text: str | None) -> str | None:
    if text is None:
        return None
    line = " ".join(text.split())
    return line if len(line) <= MAX_REASON_CHARS else line[: MAX_REASON_CHARS - 1] + "…"


def _table(label: str, stats: Sequence[HistoryStats]) -> str:
    if not stats:
        return "no finished runs in the window"
    return markdown_table(
        [label, "runs", "success rate", "p50 s", "p95 s", "retries", "last failure", "reason"],
        [
            [
                s.name,
                s.runs,
                None if s.success_rate is None else f"{s.success_rate:.0%}",
                None if s.duration_p50 is None else round(s.duration_p50, 2),
                None if s.duration_p95 is None else round(s.duration_p95, 2),
                s.retries,
                None
                if s.last_failure_at is None
                else datetime.fromtimestamp(s.last_failure_at, tz=UTC).strftime("%Y-%m-%d %H:%M"),
                s.last_failure_reason,
            ]
            for s in stats
        ],
    )
