"""csv_inbox_sensor: folders and CSV files dropped into the inbox become pipeline runs.

The decisions live in :mod:`dataraum_assets.inbox`; this sensor reads its cursor and the
in-flight runs, calls :func:`~dataraum_assets.inbox.evaluate_inbox` and returns the result.
"""

import dagster as dg

from dataraum_assets.inbox import ActiveRun, InboxCursor, InboxOptions, evaluate_inbox
from dataraum_assets.partitions import SOURCES_PARTITION_NAME, sources_partitions
from dataraum_assets.resources import CsvInboxResource, WarehouseResource
from dataraum_assets.run_tags import FINGERPRINT_TAG, SOURCE_TAG, TRIGGER_TAG
from dataraum_assets.sensors.pipeline_runs import IN_FLIGHT_STATUSES, PIPELINE_SELECTION

SENSOR_NAME = "csv_inbox_sensor"


_WARNING_STATUSES = {"too_large", "invalid", "error"}


def _active_runs(instance: dg.DagsterInstance) -> list[ActiveRun]:
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=IN_FLIGHT_STATUSES))
    return [
        ActiveRun(
            source=run.tags[SOURCE_TAG],
            run_id=run.run_id,
            status=run.status.value,
            fingerprint=run.tags.get(FINGERPRINT_TAG),
        )
        for run in runs
        if SOURCE_TAG in run.tags
    ]


@dg.sensor(
    name=SENSOR_NAME,
    target=PIPELINE_SELECTION,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="""Watches the CSV inbox (default `<data_dir>/inbox`, setting
`CsvInboxResource.inbox_dir`): each sub-folder is a source, a loose `.csv`/`.tsv` file a source
of one table. When a source's content fingerprint (file names, sizes, sha256) changes and its
files have not changed since the previous tick, its files are snapshotted into
`<data_dir>/snapshots/<source>/<fingerprint>/`, registered as the source, and the pipeline is
requested for it (run key `<source>:<fingerprint>`, tags `dataraum/source`, `dataraum/trigger`,
`dataraum/fingerprint`). Identical content is never requested twice; a source with a queued or
running run waits for it. Non-CSV files are ignored with a log line; a source with a file over
`max_file_bytes` is skipped. The tick's message lists what was requested, waiting and skipped.""",
)
def csv_inbox_sensor(
    context: dg.SensorEvaluationContext,
    csv_inbox: CsvInboxResource,
    warehouse: WarehouseResource,
) -> dg.SensorResult:
    try:
        cursor = InboxCursor.from_json(context.cursor)
    except ValueError as error:
        # Starting afresh is safe: sources wait one tick, and run keys stop duplicate runs.
        context.log.warning(f"starting from an empty cursor: {error}")
        cursor = InboxCursor()
    data_dir = warehouse.layout.data_dir
    options = InboxOptions(
        inbox_dir=csv_inbox.inbox_path(data_dir),
        data_dir=data_dir,
        max_file_bytes=csv_inbox.max_file_bytes,
        keep_snapshots=csv_inbox.keep_snapshots,
        max_hash_bytes_per_tick=csv_inbox.max_hash_bytes_per_tick,
    )
    tick = evaluate_inbox(options, cursor, _active_runs(context.instance))

    for item in tick.newly_ignored:
        context.log.info(f"ignoring {item.path}: {item.reason}")
    for decision in tick.decisions:
        if decision.status in _WARNING_STATUSES:
            context.log.warning(decision.message)
        elif decision.status != "unchanged":
            context.log.info(decision.message)
    summary = tick.summary()
    context.log.info(summary)

    requested = tick.requested
    if not requested:
        return dg.SensorResult(skip_reason=summary, cursor=tick.cursor.to_json())
    known = set(context.instance.get_dynamic_partitions(SOURCES_PARTITION_NAME))
    new_sources = sorted({decision.source for decision in requested} - known)
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"{decision.source}:{decision.fingerprint}",
                partition_key=decision.source,
                tags={
                    SOURCE_TAG: decision.source,
                    TRIGGER_TAG: SENSOR_NAME,
                    FINGERPRINT_TAG: decision.fingerprint or "",
                },
            )
            for decision in requested
        ],
        dynamic_partitions_requests=(
            [sources_partitions.build_add_request(new_sources)] if new_sources else None
        ),
        cursor=tick.cursor.to_json(),
    )
