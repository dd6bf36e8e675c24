"""Webhook notifications for finished runs: read the run from the instance, hand it to
`dataraum_assets.webhooks` (configuration, payload, signature, retries, delivery log)."""

from pathlib import Path

import dagster as dg

from dataraum_assets.resources import WarehouseResource
from dataraum_assets.run_tags import SOURCE_TAG
from dataraum_assets.webhooks import RunOutcome, notify

# Short enough that a notification follows its run within seconds, long enough that an idle
# daemon does not spin; a tick that delivers late still delivers (the cursor only moves on).
INTERVAL_SECONDS = 10
MAX_ERROR_CHARS = 4000

_DESCRIPTION = """POSTs a JSON notification to every webhook configured in
`$DATARAUM_WEBHOOKS_FILE` (default `<data_dir>/webhooks.yaml`) when a run {what}: source, run
id, status, assets materialized with row counts, readiness and top issues when entropy_context
ran{extra}. Signed with HMAC-SHA256 (`X-Dataraum-Signature-256`) when the target names a
`secret_env`; connection errors, timeouts, 408/429 and 5xx are retried with exponential backoff
and jitter (`max_attempts`, `backoff_seconds`). Every delivery is logged to
`<data_dir>/webhooks/deliveries.jsonl`. Without a webhooks file it does nothing."""


def _outcome(
    instance: dg.DagsterInstance, run: dg.DagsterRun, error: str | None, failed_steps: list[str]
) -> RunOutcome:
    records = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=1000
    ).records
    assets: list[str] = []
    row_counts: dict[str, int] = {}
    for record in records:
        materialization = record.asset_materialization
        if materialization is None:
            continue
        name = materialization.asset_key.to_user_string()
        assets.append(name)
        rows = materialization.metadata.get("dagster/row_count")
        if isinstance(rows, dg.IntMetadataValue) and rows.value is not None:
            row_counts[name] = rows.value
    record = instance.get_run_record_by_id(run.run_id)
    return RunOutcome(
        run_id=run.run_id,
        job_name=run.job_name,
        status=run.status.value,
        source=run.tags.get(SOURCE_TAG) or run.tags.get("dagster/partition"),
        tags=run.tags,
        started_at=record.start_time if record else None,
        ended_at=record.end_time if record else None,
        assets=sorted(set(assets)),
        row_counts=row_counts,
        error=error[:MAX_ERROR_CHARS] if error else None,
        failed_steps=failed_steps,
    )


def _report(context: dg.RunStatusSensorContext, outcome: RunOutcome, data_dir: Path) -> None:
    deliveries = notify(data_dir, outcome)
    for delivery in deliveries:
        context.log.info(
            f"webhook {delivery.url}: run {delivery.run_id} {delivery.event} "
            f"{'delivered' if delivery.delivered else 'NOT delivered'} after "
            f"{len(delivery.attempts)} attempt(s)"
        )


@dg.run_status_sensor(
    name="run_success_webhook_sensor",
    run_status=dg.DagsterRunStatus.SUCCESS,
    minimum_interval_seconds=INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=_DESCRIPTION.format(what="succeeds", extra=""),
)
def run_success_webhook_sensor(
    context: dg.RunStatusSensorContext, warehouse: WarehouseResource
) -> None:
    outcome = _outcome(context.instance, context.dagster_run, None, [])
    _report(context, outcome, warehouse.layout.data_dir)


@dg.run_failure_sensor(
    name="run_failure_webhook_sensor",
    minimum_interval_seconds=INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=_DESCRIPTION.format(what="fails", extra=", and the error with the failed steps"),
)
def run_failure_webhook_sensor(
    context: dg.RunFailureSensorContext, warehouse: WarehouseResource
) -> None:
    step_failures = context.get_step_failure_events()
    errors = [
        f"{event.step_key}: {event.step_failure_data.error.message.strip()}"
        for event in step_failures
        if event.step_failure_data.error is not None
    ]
    error = "\n".join(errors) or context.failure_event.message
    failed = sorted({event.step_key for event in step_failures if event.step_key})
    outcome = _outcome(context.instance, context.dagster_run, error, failed)
    _report(context, outcome, warehouse.layout.data_dir)
