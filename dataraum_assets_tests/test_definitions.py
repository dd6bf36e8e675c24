import dagster as dg

from dataraum_assets.definitions import defs
from dataraum_assets.partitions import sources_partitions

PIPELINE_EDGES = {
    "raw_tables": set(),
    "typed_tables": {"raw_tables"},
    "statistical_profiles": {"typed_tables"},
    "quality_metrics": {"statistical_profiles", "typed_tables"},
}


# ingestion: raw/typed; profiling: statistical_profiles; quality: quality_metrics,
# validation_results; structure: relationships, correlations, topology_metrics; meaning:
# semantic_annotations, temporal_profiles, slices, cycle_analysis; context: entropy_context;
# privacy: pii_findings, redacted_tables, synthetic_tables.
GROUPS = {"ingestion", "profiling", "quality", "structure", "meaning", "context", "privacy"}


def _graph() -> dict[str, set[str]]:
    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string(): {parent.to_user_string() for parent in graph.get(key).parent_keys}
        for key in graph.get_all_asset_keys()
    }


def test_asset_graph_edges() -> None:
    assert _graph() == PIPELINE_EDGES


def test_every_asset_is_partitioned_by_source_and_documented() -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.partitions_def == sources_partitions, key
        assert node.description and len(node.description) > 200, key
        assert node.group_name in GROUPS, key
        assert "duckdb" in node.kinds, key


def test_quality_gates_are_blocking_checks() -> None:
    graph = defs.resolve_asset_graph()
    checks = {key.name: graph.get_check_spec(key) for key in graph.asset_check_keys}
    expected_blocking = {
        "raw_tables_ingestion_log_matches_schema",
        "raw_tables_column_map_matches_schema",
        "raw_tables_repairs_matches_schema",
        "typed_tables_type_decisions_matches_schema",
        "typed_tables_quarantine_matches_schema",
        "typed_tables_table_summary_matches_schema",
        "typed_tables_quarantine_within_limit",
        "statistical_profiles_column_profiles_matches_schema",
        "statistical_profiles_top_values_matches_schema",
        "statistical_profiles_histograms_matches_schema",
        "quality_metrics_benford_matches_schema",
        "quality_metrics_outliers_matches_schema",
        "quality_metrics_findings_matches_schema",
    }
    assert {name for name, spec in checks.items() if spec.blocking} == expected_blocking
    # A rejected file must not stop the other files of the source.
    assert checks["raw_tables_all_files_loaded"].blocking is False


def test_definitions_validate() -> None:
    dg.Definitions.validate_loadable(defs)


def test_sensors_and_schedules_target_the_whole_pipeline() -> None:
    repository = defs.get_repository_def()
    sensors = {sensor.name: sensor for sensor in repository.sensor_defs}
    assert set(sensors) == {"csv_inbox_sensor", "github_sensor"}
    assert sensors["csv_inbox_sensor"].default_status == dg.DefaultSensorStatus.RUNNING
    assert sensors["github_sensor"].default_status == dg.DefaultSensorStatus.STOPPED
    assert [schedule.name for schedule in repository.schedule_defs] == [
        "github_full_resync_schedule"
    ]
    for sensor in sensors.values():
        assert sensor.job_name is not None
        job = repository.get_job(sensor.job_name)
        selected = job.asset_layer.selected_asset_keys
        assert {key.to_user_string() for key in selected} == set(PIPELINE_EDGES), sensor.name
