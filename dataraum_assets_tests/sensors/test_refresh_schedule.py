import datetime as dt

import dagster as dg

from dataraum_assets.definitions import defs
from dataraum_assets.partitions import SOURCES_PARTITION_NAME
from dataraum_assets.run_tags import SOURCE_TAG, TRIGGER_TAG
from dataraum_assets.sensors.refresh_schedule import (
    ENTROPY_CONTEXT_FRESHNESS,
    SCHEDULE_NAME,
    build_nightly_refresh_schedule,
    refresh_requests,
)


def test_refresh_requests_one_run_per_idle_source() -> None:
    requests, skipped = refresh_requests(["b", "a", "c"], {"c"}, "2025-01-02T02:00:00+00:00")
    assert skipped == ["c"]
    assert [(r.partition_key, r.run_key, dict(r.tags)) for r in requests] == [
        (
            "a",
            "a:refresh:2025-01-02T02:00:00+00:00",
            {SOURCE_TAG: "a", TRIGGER_TAG: SCHEDULE_NAME},
        ),
        (
            "b",
            "b:refresh:2025-01-02T02:00:00+00:00",
            {SOURCE_TAG: "b", TRIGGER_TAG: SCHEDULE_NAME},
        ),
    ]


def test_schedule_skips_sources_with_a_run_in_flight() -> None:
    assert build_nightly_refresh_schedule("30 1 * * *").cron_schedule == "30 1 * * *"
    repository = defs.get_repository_def()
    schedule = repository.get_schedule_def(SCHEDULE_NAME)
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(
            instance=instance,
            repository_def=repository,
            scheduled_execution_time=dt.datetime(2025, 1, 2, 1, 30, tzinfo=dt.UTC),
        )
        assert isinstance(schedule.evaluate_tick(context).skip_message, str)
        instance.add_dynamic_partitions(SOURCES_PARTITION_NAME, ["shop", "crm"])
        instance.add_run(
            dg.DagsterRun(
                job_name="__ASSET_JOB",
                run_id="running-shop",
                status=dg.DagsterRunStatus.STARTED,
                tags={SOURCE_TAG: "shop"},
            )
        )
        result = schedule.evaluate_tick(context)
    assert [r.partition_key for r in result.run_requests or []] == ["crm"]


def test_entropy_context_carries_the_freshness_policy() -> None:
    node = defs.resolve_asset_graph().get(dg.AssetKey("entropy_context"))
    assert node.freshness_policy == ENTROPY_CONTEXT_FRESHNESS
