"""Run the real pipeline (Dagster's materialize) for a folder in a temporary data folder."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

from dataraum_assets.definitions import defs
from dataraum_assets.partitions import SOURCES_PARTITION_NAME
from dataraum_assets.resources import WarehouseResource
from dataraum_assets.sources import register_source

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_FOLDER = REPO_ROOT / "examples" / "acme_books"


@dataclass
class PipelineRun:
    result: dg.ExecuteInProcessResult
    warehouse: WarehouseResource
    source: str

    def connect(self, asset: str) -> duckdb.DuckDBPyConnection:
        path = self.warehouse.layout.asset_path(self.source, asset)
        return duckdb.connect(str(path), read_only=True)

    def check_results(self) -> dict[str, dg.AssetCheckEvaluation]:
        return {
            evaluation.check_name: evaluation
            for evaluation in self.result.get_asset_check_evaluations()
        }

    def materialization_metadata(self, asset: str) -> dict[str, dg.MetadataValue]:
        [event] = self.result.asset_materializations_for_node(asset)
        return dict(event.metadata)


def _pipeline_definitions() -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    assets = [item for item in defs.assets or [] if isinstance(item, dg.AssetsDefinition)]
    checks = [item for item in defs.asset_checks or []]
    return assets, checks  # type: ignore[return-value]


def per_source_warehouse_assets() -> list[str]:
    """Names of the assets that write ``<data_dir>/warehouse/<source>/<asset>.duckdb``: every
    asset partitioned by source does."""
    assets, _ = _pipeline_definitions()
    return sorted(
        key.to_user_string()
        for asset in assets
        if asset.partitions_def is not None
        for key in asset.keys
    )


def run_pipeline(
    folder: Path,
    data_dir: Path,
    instance: dg.DagsterInstance,
    *,
    source: str = "test_source",
    selection: Sequence[str] | None = None,
    raise_on_error: bool = False,
) -> PipelineRun:
    """Register ``folder`` as ``source`` and materialize the pipeline (with its checks)."""
    warehouse = WarehouseResource(data_dir=str(data_dir))
    register_source(warehouse.layout, source, folder)
    if not instance.has_dynamic_partition(SOURCES_PARTITION_NAME, source):
        instance.add_dynamic_partitions(SOURCES_PARTITION_NAME, [source])
    assets, checks = _pipeline_definitions()
    result = dg.materialize(
        [*assets, *checks],
        partition_key=source,
        instance=instance,
        resources={"warehouse": warehouse},
        selection=list(selection) if selection else None,
        raise_on_error=raise_on_error,
    )
    return PipelineRun(result=result, warehouse=warehouse, source=source)
