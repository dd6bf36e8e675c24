"""entropy_context: entropy scores, readiness under contracts, the context document and the
visual profile report of a source."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from dataraum_assets.analysis.context_document import (
    JSON_NAME,
    MARKDOWN_NAME,
    REPORT_NAME,
    build_document,
    render_markdown,
    validate_document,
    write_documents,
)
from dataraum_assets.analysis.entropy_context import (
    OUTPUT_SCHEMAS,
    UPSTREAM_ASSETS,
    EntropyOptions,
    build_entropy_context,
    load_contracts,
)
from dataraum_assets.analysis.profile_report import collect_charts, render_report
from dataraum_assets.checks import schema_checks, source_gate
from dataraum_assets.markdown import markdown_table
from dataraum_assets.partitions import sources_partitions
from dataraum_assets.resources import WarehouseResource
from dataraum_assets.sources import SourceSettings
from dataraum_assets.warehouse import WarehouseLayout

ASSET = "entropy_context"
# Attached when materialized; each detector says which of their tables it needs and is skipped
# (recorded in `detectors`) without them. statistical_profiles lists the columns: required.
REQUIRED = ("statistical_profiles",)
OPTIONAL = tuple(name for name in UPSTREAM_ASSETS if name not in REQUIRED)
# Graph edges: every upstream it reads, so a run orders this step last.
DEPS = UPSTREAM_ASSETS
# The Markdown shown in the UI: the context document cut to fit comfortably in event metadata.
METADATA_MARKDOWN_CHARS = 20_000


def context_dir(layout: WarehouseLayout, source: str) -> Path:
    """``<data_dir>/context/<source>/``: entropy_context.json, entropy_context.md, report.html."""
    return layout.data_dir / "context" / layout.source_dir(source).name


@dg.asset(
    name=ASSET,
    deps=list(DEPS),
    partitions_def=sources_partitions,
    group_name="context",
    kinds={"duckdb"},
    description="""Entropy scores in [0, 1] per (column/table/source, dimension), readiness
(ready / investigate / blocked) under every contract, the top issues, the context document and
the visual profile report.

Reads `statistical_profiles` (required) and, when materialized, `typed_tables`,
`quality_metrics`, `relationships`, `correlations`, `semantic_annotations`, `temporal_profiles`,
`slices`, `cycle_analysis`, `validation_results`, `topology_metrics`, `pii_findings`. A
dimension whose upstream is missing is skipped with the reason (table `detectors`).
Scores are plain rates: structural.types = max(1 − type confidence, quarantined / non-null);
structural.relations = max(orphan rows / non-null keys, 1 − 1/candidate parents, parent
duplicate share); semantic.business_meaning = (no concept + naming 0/0.5/1) / 2;
semantic.units = 1 for a measure without a unit source; semantic.temporal = share of date
columns without a time role (1 for a fact table without time column); semantic.coverage =
1 − observed/expected periods; semantic.cycles = 1 − process completion; value.nulls =
(nulls − quarantined) / rows; value.outliers = modified-z outlier ratio; value.distribution =
½·Σ|observed − Benford| first-digit shares; value.temporal = share of series tests reporting a
change; value.variance = share of drifted slice cells; computational.derived_values =
1 − formula match rate; computational.reconciliation = 1 per failed validation check.
Contracts (exploratory_analysis, data_science, operational_analytics, aggregation_safe,
executive_dashboard, regulatory_reporting; thresholds in entropy_contracts.yaml, extendable in
dataraum.yaml `entropy_context.contracts`); the source is judged by `entropy_context.contract`.
Top issues: not ready under at least one contract, by impact (2 per blocking contract, 1 per
investigate), top 20. Tables: `entropy_scores`, `readiness`, `top_issues`, `detectors`.
Documents (written atomically): `<data_dir>/context/<source>/entropy_context.json` (schema
`dataraum_assets/schemas/entropy_context.v1.schema.json`), `entropy_context.md` (≤ 60,000
characters), `report.html` (self-contained).
Output: `<data_dir>/warehouse/<source>/entropy_context.duckdb`.""",
)
def entropy_context(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    source = context.partition_key
    settings = warehouse.source(source).settings().entropy_context
    contracts = load_contracts(settings.contracts)
    options = EntropyOptions(contracts=contracts, contract=settings.contract)
    generated_at = datetime.now(UTC).isoformat(timespec="seconds")
    with warehouse.write(source, ASSET, reads=REQUIRED, optional_reads=OPTIONAL) as con:
        result = build_entropy_context(con, options, progress=context.log.info)
        document = build_document(con, result, contracts, source=source, generated_at=generated_at)
        charts = collect_charts(con)
        validate_document(document)
        metadata = _metadata(con, document)
    folder = context_dir(warehouse.layout, source)
    markdown = render_markdown(document)
    write_documents(
        folder,
        {
            JSON_NAME: json.dumps(document, indent=2, ensure_ascii=False) + "\n",
            MARKDOWN_NAME: markdown,
            REPORT_NAME: render_report(document, charts),
        },
    )
    metadata["context_document"] = dg.MetadataValue.path(str(folder / JSON_NAME))
    metadata["profile_report"] = dg.MetadataValue.path(str(folder / REPORT_NAME))
    metadata["context"] = dg.MetadataValue.md(
        render_markdown(document, budget=METADATA_MARKDOWN_CHARS)[:METADATA_MARKDOWN_CHARS]
    )
    return dg.MaterializeResult(metadata=metadata)


def _metadata(con: duckdb.DuckDBPyConnection, document: dict[str, Any]) -> dict[str, Any]:
    [(scores,)] = con.execute("SELECT count(*) FROM entropy_scores").fetchall()
    skipped = [d["dimension"] for d in document["detectors"] if d["status"] == "skipped"]
    readiness = document["overview"]["readiness"]
    return {
        "dagster/row_count": scores,
        "contract": document["contract"],
        "readiness": readiness[document["contract"]]["readiness"],
        "top_issues": len(document["top_issues"]),
        "dimensions_skipped": ", ".join(skipped) or "none",
        "readiness_by_contract": dg.MetadataValue.md(
            markdown_table(
                ["contract", "readiness", "not ready"],
                [[n, e["readiness"], ", ".join(e["violations"])] for n, e in readiness.items()],
            )
        ),
    }


def _readiness_gate(
    con: duckdb.DuckDBPyConnection, settings: SourceSettings
) -> dg.AssetCheckResult:
    wanted = settings.entropy_context
    rows = con.execute(
        "SELECT target_type, table_name, column_name, readiness, violations "
        "FROM entropy_context.main.readiness WHERE contract = ? AND readiness = 'blocked' "
        "ORDER BY target_type DESC, table_name, column_name",
        [wanted.contract],
    ).fetchall()
    source_blocked = any(row[0] == "source" for row in rows)
    shown = [row for row in rows if row[0] != "source"][:20]
    metadata: dict[str, Any] = {
        "contract": wanted.contract,
        "enabled": wanted.block_when_blocked,
        "blocked_targets": len(rows) - int(source_blocked),
        "blocked": dg.MetadataValue.md(
            markdown_table(
                ["target", "table", "column", "violations"],
                [[r[0], r[1], r[2], ", ".join(r[4])] for r in shown],
            )
        ),
    }
    if not wanted.block_when_blocked:
        metadata["note"] = "gate off: set entropy_context.block_when_blocked in dataraum.yaml"
        return dg.AssetCheckResult(passed=True, metadata=metadata)
    return dg.AssetCheckResult(
        passed=not source_blocked, severity=dg.AssetCheckSeverity.ERROR, metadata=metadata
    )


entropy_context_checks = [
    *schema_checks(ASSET, OUTPUT_SCHEMAS),
    source_gate(
        ASSET,
        "entropy_context_readiness_not_blocked",
        "The source's readiness under its configured contract (dataraum.yaml "
        "`entropy_context.contract`) is not `blocked`. Off by default: passes unless "
        "`entropy_context.block_when_blocked` is true; blocking when on.",
        _readiness_gate,
        blocking=True,
    ),
]
