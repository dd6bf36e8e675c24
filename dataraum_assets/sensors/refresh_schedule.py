"""Nightly full refresh of every registered source, and freshness checks on the final asset."""

import datetime as dt
from collections.abc import Sequence

import dagster as dg

from dataraum_assets.partitions import SOURCES_PARTITION_NAME
from dataraum_assets.run_tags import SOURCE_TAG, TRIGGER_TAG
from dataraum_assets.sensors.pipeline_runs import IN_FLIGHT_STATUSES, PIPELINE_SELECTION

SCHEDULE_NAME = "nightly_refresh_schedule"
DEFAULT_REFRESH_CRON = "0 2 * * *"
# A nightly refresh plus slack: warn after a day without a fresh entropy_context for any
# source, fail after 26 hours (a missed night).
ENTROPY_CONTEXT_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=dt.timedelta(hours=26), warn_window=dt.timedelta(hours=24)
)


def refresh_requests(
    sources: Sequence[str], busy: set[str], scheduled_for: str
) -> tuple[list[dg.RunRequest], list[str]]:
    """One run request per source not already queued or running; the skipped sources."""
    requests = [
        dg.RunRequest(
            run_key=f"{source}:refresh:{scheduled_for}",
            partition_key=source,
            tags={SOURCE_TAG: source, TRIGGER_TAG: SCHEDULE_NAME},
        )
        for source in sorted(sources)
        if source not in busy
    ]
    return requests, sorted(set(sources) & busy)


def build_nightly_refresh_schedule(
    cron_schedule: str = DEFAULT_REFRESH_CRON,
) -> dg.ScheduleDefinition:
    """``nightly_refresh_schedule`` on ``cron_schedule`` (definitions.py), stopped by default."""

    @dg.schedule(
        name=SCHEDULE_NAME,
        cron_schedule=cron_schedule,
        target=PIPELINE_SELECTION,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=f"""Full refresh of every registered source (cron `{cron_schedule}`, set
in definitions.py): requests the whole pipeline once per source (tags `dataraum/source`,
`dataraum/trigger={SCHEDULE_NAME}`), skipping sources with a run queued or in flight. The
queued run coordinator still runs at most one run per source. Stopped by default; start it in
the UI (Automation) or with `dagster schedule start {SCHEDULE_NAME}`.""",
    )
    def nightly_refresh_schedule(
        context: dg.ScheduleEvaluationContext,
    ) -> list[dg.RunRequest] | dg.SkipReason:
        sources = context.instance.get_dynamic_partitions(SOURCES_PARTITION_NAME)
        in_flight = context.instance.get_run_records(
            filters=dg.RunsFilter(statuses=IN_FLIGHT_STATUSES)
        )
        busy = {
            record.dagster_run.tags[SOURCE_TAG]
            for record in in_flight
            if SOURCE_TAG in record.dagster_run.tags
        }
        scheduled = context.scheduled_execution_time
        stamp = scheduled.isoformat() if scheduled else "manual"
        requests, skipped = refresh_requests(sources, busy, stamp)
        if skipped:
            context.log.info(f"skipped, a run is already queued or running: {', '.join(skipped)}")
        if not requests:
            return dg.SkipReason(
                "no registered sources" if not sources else "every source has a run in flight"
            )
        return requests

    return nightly_refresh_schedule


def with_freshness_policy(
    asset: dg.AssetsDefinition, policy: dg.FreshnessPolicy = ENTROPY_CONTEXT_FRESHNESS
) -> dg.AssetsDefinition:
    """``asset`` with ``policy`` attached; the daemon's freshness evaluation marks the asset
    degraded (warn window) or failed (fail window) in the UI when no partition was
    materialized within the window."""
    return asset.map_asset_specs(lambda spec: dg.apply_freshness_policy(spec, policy))
