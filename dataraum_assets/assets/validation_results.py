"""validation_results: declarative business-rule checks bound to the data by meaning."""

from typing import Any

import dagster as dg
import duckdb

from dataraum_assets.analysis.validation_results import (
    CHECKS_FILE_NAME,
    OUTPUT_SCHEMAS,
    STATUSES,
    ValidationOptions,
    build_validation_results,
    merge_checks,
    packaged_checks,
    source_checks,
)
from dataraum_assets.checks import schema_checks
from dataraum_assets.markdown import markdown_table
from dataraum_assets.partitions import sources_partitions
from dataraum_assets.resources import WarehouseResource
from dataraum_assets.warehouse import attached_databases

ASSET = "validation_results"
UPSTREAMS = ("semantic_annotations", "typed_tables")
# Only the checks that follow a relationship need it; they are skipped with that reason
# when relationships has not been materialized for the source.
OPTIONAL_UPSTREAMS = ("relationships",)
PREVIEW_ROWS = 25


@dg.asset(
    name=ASSET,
    deps=[*UPSTREAMS, *OPTIONAL_UPSTREAMS],
    partitions_def=sources_partitions,
    group_name="quality",
    kinds={"duckdb"},
    description=f"""Declarative business-rule checks and their outcomes (passed, failed, skipped,
error), one row per check and binding.

Reads the concepts and roles of `semantic_annotations` to bind each check to columns, the data
in `typed_tables`, and the accepted joins of `relationships` (when materialized) for checks
across tables. A check whose concepts, roles or relationships are missing is `skipped` with the
reason, never failed or dropped. A check passes when its observed value ≤ its tolerance.
Generic checks (dataraum_assets/validations/generic.yaml): key uniqueness (role key, tolerance
0 duplicated values), foreign-key orphan rate per accepted relationship (tolerance 0), non-
negative amounts (amount, quantity, unit price, tax, salary measures; 0 rows), dates not in the
future (role timestamp except due dates, after the run date or `validation_results.as_of` in
dataraum.yaml; 0 rows). Finance checks (finance.yaml): double entry per journal entry (tolerance
0.005), trial balance (0.01), ledger sign conventions, account normal balances (slack 0.005),
fiscal period continuity, entries in their fiscal period, payments not before their invoice,
due dates not before the document date, documents not after the last ledger posting
(cut-off); all 0 failing rows/accounts/periods. A source adds or replaces checks in
`{CHECKS_FILE_NAME}` in its folder and turns checks off with
`validation_results.disabled_checks` in dataraum.yaml (reported as skipped).
Table: `validation_results`.
Output: `<data_dir>/warehouse/<source>/validation_results.duckdb`.""",
)
def validation_results(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    source = warehouse.source(context.partition_key)
    source_settings = source.settings()
    settings = source_settings.validation_results
    # A single-file source has no folder of its own for a checks file.
    own = source_checks(source.folder) if source.folder.is_dir() else []
    checks = merge_checks(packaged_checks(), own)
    options = ValidationOptions(
        as_of=settings.as_of or source_settings.as_of,
        disabled_checks=frozenset(settings.disabled_checks),
    )
    with warehouse.write(
        context.partition_key, ASSET, reads=UPSTREAMS, optional_reads=OPTIONAL_UPSTREAMS
    ) as con:
        attached = attached_databases(con)
        summary = build_validation_results(
            con,
            options,
            progress=context.log.info,
            checks=checks,
            typed_database="typed_tables",
            semantic_database="semantic_annotations",
            relationships_database="relationships" if "relationships" in attached else None,
        )
        metadata = _metadata(con)
    metadata["as_of"] = dg.MetadataValue.text(summary.as_of.isoformat())
    metadata["source_checks"] = dg.MetadataValue.int(len(own))
    return dg.MaterializeResult(metadata=metadata)


def _metadata(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = con.execute(
        "SELECT status, check_id, table_name, observed, tolerance, failing_count, sample, reason "
        "FROM validation_results"
    ).fetchall()
    failed = [row for row in rows if row[0] in ("failed", "error")]
    preview = "### Failed checks\n\n" + markdown_table(
        ["status", "check", "table", "observed", "tolerance", "failing", "sample", "reason"],
        [
            [status, check, table, observed, tolerance, failing, ", ".join(sample or []), reason]
            for status, check, table, observed, tolerance, failing, sample, reason in failed[
                :PREVIEW_ROWS
            ]
        ],
    )
    skipped = sorted({row[1] for row in rows if row[0] == "skipped"})
    return {
        "dagster/row_count": len(rows),
        **{f"{status}_checks": sum(1 for row in rows if row[0] == status) for status in STATUSES},
        "skipped_check_ids": dg.MetadataValue.text(", ".join(skipped) or "none"),
        "preview": dg.MetadataValue.md(preview),
    }


validation_results_checks = schema_checks(ASSET, OUTPUT_SCHEMAS)
