"""The dataraum_assets code location."""

import dagster as dg

from dataraum_assets.assets.correlations import correlations, correlations_checks
from dataraum_assets.assets.cycle_analysis import cycle_analysis, cycle_analysis_checks
from dataraum_assets.assets.entropy_context import entropy_context, entropy_context_checks
from dataraum_assets.assets.parquet_exports import parquet_exports, parquet_exports_checks
from dataraum_assets.assets.pii_findings import pii_findings, pii_findings_checks
from dataraum_assets.assets.quality_metrics import quality_metrics, quality_metrics_checks
from dataraum_assets.assets.raw_tables import raw_tables, raw_tables_checks
from dataraum_assets.assets.redacted_tables import redacted_tables, redacted_tables_checks
from dataraum_assets.assets.relationships import relationships, relationships_checks
from dataraum_assets.assets.run_history import run_history
from dataraum_assets.assets.semantic_annotations import (
    semantic_annotations,
    semantic_annotations_checks,
)
from dataraum_assets.assets.slices import slices, slices_checks
from dataraum_assets.assets.statistical_profiles import (
    statistical_profiles,
    statistical_profiles_checks,
)
from dataraum_assets.assets.synthetic_tables import synthetic_tables, synthetic_tables_checks
from dataraum_assets.assets.temporal_profiles import temporal_profiles, temporal_profiles_checks
from dataraum_assets.assets.topology_metrics import topology_metrics, topology_metrics_checks
from dataraum_assets.assets.typed_tables import typed_tables, typed_tables_checks
from dataraum_assets.assets.validation_results import (
    validation_results,
    validation_results_checks,
)
from dataraum_assets.resources import CsvInboxResource, GitHubResource, WarehouseResource
from dataraum_assets.sensors.csv_inbox import csv_inbox_sensor
from dataraum_assets.sensors.github import build_github_full_resync_schedule, github_sensor
from dataraum_assets.sensors.refresh_schedule import (
    build_nightly_refresh_schedule,
    with_freshness_policy,
)
from dataraum_assets.sensors.run_notifications import (
    run_failure_webhook_sensor,
    run_success_webhook_sensor,
)

# GitHub sources: the token is read from $GITHUB_TOKEN when the sensor or schedule runs; set
# owners=[...] / repositories=[...] here (README, "GitHub sources").
github_resource = GitHubResource(token=dg.EnvVar("GITHUB_TOKEN"))

# The in-process executor: DuckDB already uses every core inside one query, and a process per
# step costs ~3-4 s on 2-core machines against ~40 ms in-process (the whole example pipeline,
# 70 steps: 20 s in-process, 312 s multiprocess; README). Parallel sources run as parallel runs.
defs = dg.Definitions(
    assets=[
        raw_tables,
        typed_tables,
        statistical_profiles,
        quality_metrics,
        correlations,
        # The product: its freshness policy flags a missed nightly refresh.
        with_freshness_policy(entropy_context),
        run_history,
        semantic_annotations,
        cycle_analysis,
        relationships,
        topology_metrics,
        pii_findings,
        redacted_tables,
        synthetic_tables,
        parquet_exports,
        validation_results,
        temporal_profiles,
        slices,
    ],
    asset_checks=[
        *raw_tables_checks,
        *typed_tables_checks,
        *statistical_profiles_checks,
        *quality_metrics_checks,
        *correlations_checks,
        *entropy_context_checks,
        *semantic_annotations_checks,
        *cycle_analysis_checks,
        *relationships_checks,
        *topology_metrics_checks,
        *pii_findings_checks,
        *redacted_tables_checks,
        *synthetic_tables_checks,
        *parquet_exports_checks,
        *validation_results_checks,
        *temporal_profiles_checks,
        *slices_checks,
    ],
    resources={
        "warehouse": WarehouseResource(),
        "csv_inbox": CsvInboxResource(),
        "github": github_resource,
    },
    sensors=[
        csv_inbox_sensor,
        github_sensor,
        run_success_webhook_sensor,
        run_failure_webhook_sensor,
    ],
    schedules=[
        build_github_full_resync_schedule(github_resource.full_resync_cron),
        # Cron of the nightly full refresh (stopped by default).
        build_nightly_refresh_schedule("0 2 * * *"),
    ],
    executor=dg.in_process_executor,
)
