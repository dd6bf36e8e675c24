"""github_sensor and github_full_resync_schedule: GitHub owners become pipeline sources.

The decisions (what to fetch, how changes merge, what a bug is, how files are written) live in
:mod:`dataraum_assets.github_snapshot`; these wrappers read the cursor, fetch through the
resource's client, write the snapshots and return run requests.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import dagster as dg

from dataraum_assets.github_snapshot import (
    FetchedOwner,
    GitHubError,
    GitHubRateLimitError,
    Snapshot,
    SnapshotReadError,
    SyncCursor,
    fetch_owner,
    merge_snapshot,
    read_snapshot,
    since_by_repository,
    snapshot_changes,
    snapshot_folder,
    snapshot_lock,
    write_snapshot,
)
from dataraum_assets.partitions import SOURCES_PARTITION_NAME, sources_partitions
from dataraum_assets.resources import GitHubResource, WarehouseResource
from dataraum_assets.run_tags import FINGERPRINT_TAG, SOURCE_TAG, TRIGGER_TAG
from dataraum_assets.sensors.pipeline_runs import IN_FLIGHT_STATUSES, PIPELINE_SELECTION
from dataraum_assets.sources import register_source

SENSOR_NAME = "github_sensor"
SCHEDULE_NAME = "github_full_resync_schedule"


@dataclass(frozen=True)
class SyncResult:
    run_requests: list[dg.RunRequest] = field(default_factory=list)
    new_sources: list[str] = field(default_factory=list)  # sources without a partition yet
    cursor: SyncCursor = field(default_factory=SyncCursor)
    notes: list[str] = field(default_factory=list)  # one line per source, for the tick message
    skip_reason: str | None = None  # the whole tick was skipped: nothing written


def _in_flight_run(instance: dg.DagsterInstance, source: str) -> str | None:
    runs = instance.get_runs(
        filters=dg.RunsFilter(tags={SOURCE_TAG: source}, statuses=IN_FLIGHT_STATUSES), limit=1
    )
    return runs[0].run_id if runs else None


def _stored(source: str, warehouse: WarehouseResource, log: logging.Logger) -> Snapshot | None:
    try:
        return read_snapshot(snapshot_folder(warehouse.layout.data_dir, source))
    except SnapshotReadError as error:
        log.warning(f"{error}; fetching {source} in full and replacing it")
        return None


def sync_owners(
    github: GitHubResource,
    warehouse: WarehouseResource,
    instance: dg.DagsterInstance,
    cursor: SyncCursor,
    *,
    full: bool,
    trigger: str,
    log: logging.Logger,
) -> SyncResult:
    """Fetch every configured owner (incrementally from ``cursor`` unless ``full``), write the
    snapshots that changed and return a run request per source whose content is new.

    Fetching happens before anything is written: an exhausted rate limit skips the whole tick
    with no partial snapshot and the cursor unchanged. Other errors (an unknown owner, GitHub
    down after the retries) skip only that owner. In full mode the snapshot is replaced, so
    deleted repositories and issues disappear; incremental mode only upserts.
    """
    plans = github.plans()
    rules = github.bug_rules()
    if not plans:
        return SyncResult(
            cursor=cursor,
            skip_reason="no GitHub owners or repositories configured (GitHubResource.owners, "
            ".repositories)",
        )
    notes: list[str] = []
    fetched: list[FetchedOwner] = []
    client = github.client()
    try:
        for plan in plans:
            busy = _in_flight_run(instance, plan.source)
            if busy:
                notes.append(f"{plan.source}: waiting for run {busy} to finish")
                continue
            since = (
                {}
                if full
                else since_by_repository(cursor.since, _stored(plan.source, warehouse, log))
            )
            try:
                fetched.append(fetch_owner(client, plan, since))
            except GitHubRateLimitError:
                raise
            except GitHubError as error:
                log.error(f"{plan.source}: {error}")
                notes.append(f"{plan.source}: skipped: {error}")
    except GitHubRateLimitError as error:
        return SyncResult(
            cursor=cursor,
            skip_reason=f"{error}. Nothing was written and the cursor is unchanged; the next "
            "tick after the reset continues.",
        )
    finally:
        client.close()

    layout = warehouse.layout
    run_requests: list[dg.RunRequest] = []
    synced: list[str] = []
    new_cursor = cursor
    for owner in fetched:
        source = owner.plan.source
        folder = snapshot_folder(layout.data_dir, source)
        with snapshot_lock(folder):
            previous = _stored(source, warehouse, log)
            snapshot = (
                Snapshot.of(owner.repositories, owner.issues)
                if full
                else merge_snapshot(previous, owner.repositories, owner.issues)
            )
            changes = snapshot_changes(previous, snapshot)
            if previous is None or changes.has_changes:
                write_snapshot(folder, snapshot, rules, datetime.now(UTC))
        fingerprint = snapshot.fingerprint()
        new_cursor = new_cursor.updated(owner.repository_names, snapshot, source, fingerprint)
        # The sensor compares with the fingerprint it last requested a run for, so a snapshot
        # written by a tick that died before its run request still gets its run; the resync
        # compares with what was stored.
        if full:
            reference = previous.fingerprint() if previous else None
        else:
            reference = cursor.fingerprints.get(source)
        if fingerprint == reference:
            notes.append(f"{source}: unchanged ({len(owner.issues)} issues fetched)")
            continue
        register_source(layout, source, folder)
        synced.append(source)
        notes.append(f"{source}: run requested; {changes.describe()}")
        run_requests.append(
            dg.RunRequest(
                run_key=f"{source}:{fingerprint}",
                partition_key=source,
                tags={SOURCE_TAG: source, TRIGGER_TAG: trigger, FINGERPRINT_TAG: fingerprint},
            )
        )
    known = set(instance.get_dynamic_partitions(SOURCES_PARTITION_NAME))
    return SyncResult(
        run_requests=run_requests,
        new_sources=sorted(set(synced) - known),
        cursor=new_cursor,
        notes=notes,
    )


@dg.sensor(
    name=SENSOR_NAME,
    target=PIPELINE_SELECTION,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="""Syncs the GitHub owners and repositories configured on the `github` resource
(`GitHubResource`) into sources named `github-<owner>`: repositories, issues, pull requests
and bugs as CSV files under `<data_dir>/github/<source>/`, written atomically. Incremental: the
cursor keeps, per repository, the `updated_at` of the newest issue seen, and only issues
updated since are fetched and merged (key: repository + number). A source whose content
changed is registered and the pipeline requested for it (run key `<source>:<fingerprint>`,
tags `dataraum/source`, `dataraum/trigger=github_sensor`). An exhausted rate limit skips the
tick with the reset time, writing nothing. 5xx and connection errors are retried with
exponential backoff. Deletions are caught by `github_full_resync_schedule`.""",
)
def github_sensor(
    context: dg.SensorEvaluationContext, github: GitHubResource, warehouse: WarehouseResource
) -> dg.SensorResult | dg.SkipReason:
    cursor = SyncCursor.from_json(context.cursor)
    result = sync_owners(
        github,
        warehouse,
        context.instance,
        cursor,
        full=False,
        trigger=SENSOR_NAME,
        log=context.log,
    )
    if result.skip_reason:
        context.log.warning(result.skip_reason)
        return dg.SkipReason(result.skip_reason)  # the cursor is not advanced
    summary = "; ".join(result.notes)
    context.log.info(summary)
    if not result.run_requests:
        return dg.SensorResult(skip_reason=f"no changes: {summary}", cursor=result.cursor.to_json())
    return dg.SensorResult(
        run_requests=result.run_requests,
        dynamic_partitions_requests=(
            [sources_partitions.build_add_request(result.new_sources)]
            if result.new_sources
            else None
        ),
        cursor=result.cursor.to_json(),
    )


def build_github_full_resync_schedule(cron_schedule: str) -> dg.ScheduleDefinition:
    """``github_full_resync_schedule`` on ``cron_schedule`` (``GitHubResource.full_resync_cron``
    in definitions.py): re-fetches every configured owner in full and replaces the snapshots."""

    @dg.schedule(
        name=SCHEDULE_NAME,
        cron_schedule=cron_schedule,
        target=PIPELINE_SELECTION,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=f"""Full resync of the GitHub owners of the `github` resource (cron
`{cron_schedule}`, `GitHubResource.full_resync_cron`): fetches every repository and issue again
and replaces each snapshot, so repositories and issues deleted on GitHub disappear (the
incremental `github_sensor` cannot see deletions). Requests the pipeline for each source whose
content changed (tag `dataraum/trigger=github_full_resync_schedule`). Stopped by default; start
it in the UI or with `dagster schedule start github_full_resync_schedule`.""",
    )
    def github_full_resync_schedule(
        context: dg.ScheduleEvaluationContext,
        github: GitHubResource,
        warehouse: WarehouseResource,
    ) -> list[dg.RunRequest] | dg.SkipReason:
        result = sync_owners(
            github,
            warehouse,
            context.instance,
            SyncCursor(),
            full=True,
            trigger=SCHEDULE_NAME,
            log=context.log,
        )
        if result.skip_reason:
            context.log.warning(result.skip_reason)
            return dg.SkipReason(result.skip_reason)
        summary = "; ".join(result.notes)
        context.log.info(summary)
        if result.new_sources:
            # Schedules cannot return partition requests; the partition must exist before the
            # run request is resolved.
            context.instance.add_dynamic_partitions(SOURCES_PARTITION_NAME, result.new_sources)
        if not result.run_requests:
            return dg.SkipReason(f"no changes: {summary}")
        return result.run_requests

    return github_full_resync_schedule
