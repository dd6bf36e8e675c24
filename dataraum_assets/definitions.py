"""The dataraum_assets code location."""

import dagster as dg

from dataraum_assets.assets.quality_metrics import quality_metrics, quality_metrics_checks
from dataraum_assets.assets.raw_tables import raw_tables, raw_tables_checks
from dataraum_assets.assets.statistical_profiles import (
    statistical_profiles,
    statistical_profiles_checks,
)
from dataraum_assets.assets.typed_tables import typed_tables, typed_tables_checks
from dataraum_assets.resources import CsvInboxResource, GitHubResource, WarehouseResource
from dataraum_assets.sensors.csv_inbox import csv_inbox_sensor
from dataraum_assets.sensors.github import build_github_full_resync_schedule, github_sensor

# GitHub sources: the token is read from $GITHUB_TOKEN when the sensor or schedule runs; set
# owners=[...] / repositories=[...] here (README, "GitHub sources").
github_resource = GitHubResource(token=dg.EnvVar("GITHUB_TOKEN"))

# The in-process executor: DuckDB already uses every core inside one query, and a process per
# step costs ~3.3 s on 2-core machines against ~40 ms in-process (the example source: 2-3 s
# in-process, ~60 s multiprocess; README). Parallel sources run as parallel runs.
defs = dg.Definitions(
    assets=[raw_tables, typed_tables, statistical_profiles, quality_metrics],
    asset_checks=[
        *raw_tables_checks,
        *typed_tables_checks,
        *statistical_profiles_checks,
        *quality_metrics_checks,
    ],
    resources={
        "warehouse": WarehouseResource(),
        "csv_inbox": CsvInboxResource(),
        "github": github_resource,
    },
    sensors=[csv_inbox_sensor, github_sensor],
    schedules=[build_github_full_resync_schedule(github_resource.full_resync_cron)],
    executor=dg.in_process_executor,
)
