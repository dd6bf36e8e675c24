"""cycle_analysis: business processes found in the data, their stages and completion."""

from typing import Any

import dagster as dg
import duckdb

from dataraum_assets.analysis.cycle_analysis import (
    OUTPUT_SCHEMAS,
    CycleOptions,
    build_cycle_analysis,
)
from dataraum_assets.assets.semantic_annotations import source_files
from dataraum_assets.checks import schema_checks
from dataraum_assets.markdown import markdown_table
from dataraum_assets.partitions import sources_partitions
from dataraum_assets.resources import WarehouseResource
from dataraum_assets.sources import PROCESSES_FILE_NAME
from dataraum_assets.warehouse import attached_databases

ASSET = "cycle_analysis"
UPSTREAMS = ("semantic_annotations", "typed_tables")
# In the graph as the spec's minimal edge; read when materialized (the span of document dates).
OPTIONAL_UPSTREAMS = ("temporal_profiles",)


@dg.asset(
    name=ASSET,
    # The optional upstream orders this step after it in a run; it is read only when its file
    # exists, so a selection without it still works (with less evidence, said in the rows).
    deps=[*UPSTREAMS, *OPTIONAL_UPSTREAMS],
    partitions_def=sources_partitions,
    group_name="meaning",
    kinds={"duckdb"},
    description="""Business processes (order to cash, procure to pay, accounts receivable and
payable, inventory, payroll, period close) found in the data, with stage counts and completion
rates computed from the data.

Reads `semantic_annotations` (concepts, keys, time columns), `typed_tables` (all counts) and
`temporal_profiles` when materialized (span of the document dates). Stages are evidenced by
table names, key concepts, values of status-like columns (concept status, or text dimensions
with ≤ 20 values) and column concepts (due dates, fiscal periods), from the vocabulary
`dataraum_assets/vocabularies/processes.yaml` plus the source's `dataraum_processes.yaml`. A
process is detected only with ≥ 2 evidenced stages, one of them a document table: nothing is
claimed on data without business documents. Completion: share of non-cancelled documents in a
terminal status, else share of documents with a row in the next stage's table, else (period
close) share of periods whose debits equal credits within 0.01. Tables: `processes`,
`process_stages`. Output: `<data_dir>/warehouse/<source>/cycle_analysis.duckdb`.""",
)
def cycle_analysis(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    source = warehouse.source(context.partition_key)
    settings = source.settings().cycle_analysis
    options = CycleOptions(
        process_files=source_files(source, settings.process_files, PROCESSES_FILE_NAME)
    )
    with warehouse.write(
        context.partition_key, ASSET, reads=UPSTREAMS, optional_reads=OPTIONAL_UPSTREAMS
    ) as con:
        temporal = "temporal_profiles" if "temporal_profiles" in attached_databases(con) else None
        build_cycle_analysis(con, options, progress=context.log.info, temporal_database=temporal)
        metadata = _metadata(con)
    return dg.MaterializeResult(metadata=metadata)


def _metadata(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    processes = con.execute(
        "SELECT process, detected, completion_rate, completion_method, document_table, "
        "evidence_count FROM processes ORDER BY NOT detected, process"
    ).fetchall()
    [(stage_rows,)] = con.execute("SELECT count(*) FROM process_stages").fetchall()
    preview = "### Processes\n\n" + markdown_table(
        ["process", "detected", "completion", "method", "document table", "stages"], processes
    )
    return {
        "dagster/row_count": len(processes),
        "detected_processes": sum(1 for row in processes if row[1]),
        "stage_evidence_rows": stage_rows,
        "preview": dg.MetadataValue.md(preview),
    }


cycle_analysis_checks = schema_checks(ASSET, OUTPUT_SCHEMAS)
