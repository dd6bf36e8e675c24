import dagster as dg

from dataraum_assets.definitions import defs
from dataraum_assets.partitions import sources_partitions

PIPELINE_EDGES = {
    "raw_tables": set(),
    "typed_tables": {"raw_tables"},
    "statistical_profiles": {"typed_tables"},
    "quality_metrics": {"statistical_profiles", "typed_tables"},
    "semantic_annotations": {"statistical_profiles", "typed_tables", "relationships"},
    "cycle_analysis": {"semantic_annotations", "typed_tables", "temporal_profiles"},
    "correlations": {"statistical_profiles", "typed_tables"},
    "relationships": {"statistical_profiles", "typed_tables"},
    "topology_metrics": {"relationships", "correlations"},
    "entropy_context": {
        "statistical_profiles",
        "semantic_annotations",
        "relationships",
        "correlations",
        "typed_tables",
        "quality_metrics",
        "cycle_analysis",
        "validation_results",
        "topology_metrics",
        "pii_findings",
        "temporal_profiles",
        "slices",
    },
    "pii_findings": {"typed_tables"},
    "redacted_tables": {"pii_findings", "typed_tables"},
    "synthetic_tables": {"typed_tables", "pii_findings", "statistical_profiles"},
    "parquet_exports": {"typed_tables", "redacted_tables", "synthetic_tables"},
    "validation_results": {"semantic_annotations", "typed_tables", "relationships"},
    "temporal_profiles": {"typed_tables", "statistical_profiles", "semantic_annotations"},
    "slices": {
        "temporal_profiles",
        "typed_tables",
        "statistical_profiles",
        "semantic_annotations",
    },
}


# ingestion: raw/typed; profiling: statistical_profiles; quality: quality_metrics,
# validation_results; structure: relationships, correlations, topology_metrics; meaning:
# semantic_annotations, temporal_profiles, slices, cycle_analysis; context: entropy_context;
# privacy: pii_findings, redacted_tables, synthetic_tables.
GROUPS = {"ingestion", "profiling", "quality", "structure", "meaning", "context", "privacy"}

# Instance-wide, not per source (group "operations"): run_history.
OPERATIONS_EDGES: dict[str, set[str]] = {"run_history": set()}


def _graph() -> dict[str, set[str]]:
    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string(): {parent.to_user_string() for parent in graph.get(key).parent_keys}
        for key in graph.get_all_asset_keys()
    }


def test_asset_graph_edges() -> None:
    assert _graph() == {**PIPELINE_EDGES, **OPERATIONS_EDGES}


def test_every_asset_is_partitioned_by_source_and_documented() -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if key.to_user_string() in OPERATIONS_EDGES:
            assert node.partitions_def is None and node.group_name == "operations", key
            assert node.description and len(node.description) > 200, key
            continue
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
        "relationships_relationships_matches_schema",
        "semantic_annotations_column_annotations_matches_schema",
        "semantic_annotations_table_annotations_matches_schema",
        "cycle_analysis_processes_matches_schema",
        "cycle_analysis_process_stages_matches_schema",
        "correlations_numeric_correlations_matches_schema",
        "correlations_categorical_associations_matches_schema",
        "correlations_derived_columns_matches_schema",
        "correlations_functional_dependencies_matches_schema",
        "correlations_multicollinearity_matches_schema",
        "correlations_table_samples_matches_schema",
        "correlations_skipped_columns_matches_schema",
        "topology_metrics_table_graph_matches_schema",
        "topology_metrics_table_edges_matches_schema",
        "topology_metrics_cycles_matches_schema",
        "topology_metrics_column_clusters_matches_schema",
        "topology_metrics_redundant_columns_matches_schema",
        "topology_metrics_summary_matches_schema",
        "entropy_context_entropy_scores_matches_schema",
        "entropy_context_readiness_matches_schema",
        "entropy_context_top_issues_matches_schema",
        "entropy_context_detectors_matches_schema",
        "entropy_context_readiness_not_blocked",
        "pii_findings_pii_findings_matches_schema",
        "pii_findings_pii_candidates_matches_schema",
        "redacted_tables_redactions_matches_schema",
        "synthetic_tables_column_fidelity_matches_schema",
        "synthetic_tables_table_fidelity_matches_schema",
        "parquet_exports_manifest_matches_schema",
        "validation_results_validation_results_matches_schema",
        "temporal_profiles_temporal_columns_matches_schema",
        "temporal_profiles_gaps_matches_schema",
        "temporal_profiles_series_tests_matches_schema",
        "temporal_profiles_period_series_matches_schema",
        "slices_slice_dimensions_matches_schema",
        "slices_slice_profiles_matches_schema",
        "slices_slice_measures_matches_schema",
        "slices_slice_drift_matches_schema",
    }
    assert {name for name, spec in checks.items() if spec.blocking} == expected_blocking
    # A rejected file must not stop the other files of the source.
    assert checks["raw_tables_all_files_loaded"].blocking is False


def test_definitions_validate() -> None:
    dg.Definitions.validate_loadable(defs)


def test_sensors_and_schedules_target_the_whole_pipeline() -> None:
    repository = defs.get_repository_def()
    sensors = {sensor.name: sensor for sensor in repository.sensor_defs}
    assert set(sensors) == {
        "csv_inbox_sensor",
        "github_sensor",
        "run_success_webhook_sensor",
        "run_failure_webhook_sensor",
    }
    assert sensors["run_success_webhook_sensor"].default_status == dg.DefaultSensorStatus.RUNNING
    assert sensors["csv_inbox_sensor"].default_status == dg.DefaultSensorStatus.RUNNING
    assert sensors["github_sensor"].default_status == dg.DefaultSensorStatus.STOPPED
    schedules = {schedule.name: schedule for schedule in repository.schedule_defs}
    assert set(schedules) == {"github_full_resync_schedule", "nightly_refresh_schedule"}
    assert schedules["nightly_refresh_schedule"].default_status == dg.DefaultScheduleStatus.STOPPED
    for sensor in [sensors["csv_inbox_sensor"], sensors["github_sensor"], *schedules.values()]:
        assert sensor.job_name is not None
        job = repository.get_job(sensor.job_name)
        selected = job.asset_layer.selected_asset_keys
        assert {key.to_user_string() for key in selected} == set(PIPELINE_EDGES), sensor.name
