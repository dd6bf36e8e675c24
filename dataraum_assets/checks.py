"""Quality gates: blocking asset checks built by one factory around pandera.

Every tabular output of a stage has a pandera model; :func:`schema_checks` turns them into one
blocking check per table, so a stage whose output is malformed stops its dependents. Data gates
on the user's data (e.g. the share of quarantined cells) are built with :func:`source_gate`.
"""

import warnings
from collections.abc import Callable, Mapping, Sequence

import dagster as dg
import duckdb
import pandas as pd
import pandera.pandas as pa

from dataraum_assets.identifiers import quote_identifier
from dataraum_assets.markdown import markdown_table
from dataraum_assets.partitions import sources_partitions
from dataraum_assets.resources import WarehouseResource
from dataraum_assets.sources import SourceSettings

MAX_FAILURE_ROWS_SHOWN = 20

# Partitioned asset checks are a preview feature in Dagster 1.13, and the one that lets a check
# run for exactly the source its asset was materialized for. We depend on it knowingly; the
# warning would otherwise repeat in every CLI call and run log.
warnings.filterwarnings(
    "ignore", message=".*partitions_def on an AssetCheckSpec.*", category=dg.PreviewWarning
)


def failure_cases_metadata(error: pa.errors.SchemaErrors) -> dict[str, dg.MetadataValue]:
    """The failing rows/columns of a lazy pandera validation, as check metadata."""
    cases = error.failure_cases
    shown = cases.head(MAX_FAILURE_ROWS_SHOWN)
    rows = [
        [
            record.get("column"),
            record.get("check"),
            record.get("failure_case"),
            record.get("index"),
        ]
        for record in shown.to_dict("records")
    ]
    return {
        "failure_count": dg.MetadataValue.int(len(cases)),
        "failure_cases": dg.MetadataValue.md(
            markdown_table(["column", "check", "failure case", "row index"], rows)
        ),
    }


def validate_frame(schema: type[pa.DataFrameModel], frame: pd.DataFrame) -> dg.AssetCheckResult:
    """Validate ``frame`` lazily against ``schema``; failures go to the result's metadata."""
    metadata: dict[str, dg.MetadataValue] = {"rows_checked": dg.MetadataValue.int(len(frame))}
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as error:
        metadata.update(failure_cases_metadata(error))
        return dg.AssetCheckResult(
            passed=False, severity=dg.AssetCheckSeverity.ERROR, metadata=metadata
        )
    return dg.AssetCheckResult(passed=True, metadata=metadata)


def schema_checks(
    asset_name: str, schemas: Mapping[str, type[pa.DataFrameModel]]
) -> list[dg.AssetChecksDefinition]:
    """One blocking check per output table of ``asset_name``: ``<asset>_<table>_matches_schema``."""
    return [_schema_check(asset_name, table, schema) for table, schema in schemas.items()]


def _schema_check(
    asset_name: str, table: str, schema: type[pa.DataFrameModel]
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset_name,
        name=f"{asset_name}_{table}_matches_schema",
        blocking=True,
        partitions_def=sources_partitions,
        description=f"`{table}` in {asset_name}.duckdb satisfies its pandera model "
        f"`{schema.__name__}`; blocking, so a malformed output stops downstream steps.",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        with warehouse.read(context.partition_key, [asset_name]) as con:
            frame = con.sql(
                f"SELECT * FROM {quote_identifier(asset_name)}.main.{quote_identifier(table)}"
            ).df()
        return validate_frame(schema, frame)

    return _check


GateFunction = Callable[[duckdb.DuckDBPyConnection, SourceSettings], dg.AssetCheckResult]


def source_gate(
    asset_name: str,
    name: str,
    description: str,
    evaluate: GateFunction,
    *,
    blocking: bool,
    reads: Sequence[str] = (),
) -> dg.AssetChecksDefinition:
    """A data gate on the user's data: ``evaluate`` gets the asset's database (and ``reads``)
    attached read-only and the source's settings, and returns the check result."""

    @dg.asset_check(
        asset=asset_name,
        name=name,
        blocking=blocking,
        partitions_def=sources_partitions,
        description=description,
    )
    def _gate(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        settings = warehouse.source(context.partition_key).settings()
        with warehouse.read(context.partition_key, [asset_name, *reads]) as con:
            return evaluate(con, settings)

    return _gate
