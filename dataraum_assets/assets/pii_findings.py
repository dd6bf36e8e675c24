"""pii_findings: which columns hold personal data, of which kind, for which regulations."""

from typing import Any

import dagster as dg
import duckdb

from dataraum_assets.analysis.pii_findings import (
    OUTPUT_SCHEMAS,
    build_pii_findings,
    load_options,
)
from dataraum_assets.checks import schema_checks
from dataraum_assets.markdown import markdown_table
from dataraum_assets.partitions import sources_partitions
from dataraum_assets.resources import WarehouseResource
from dataraum_assets.warehouse import attached_databases

ASSET = "pii_findings"
UPSTREAMS = ("typed_tables",)
OPTIONAL_UPSTREAMS = ("semantic_annotations",)


@dg.asset(
    name=ASSET,
    deps=list(UPSTREAMS),
    partitions_def=sources_partitions,
    group_name="privacy",
    kinds={"duckdb"},
    description="""Columns holding personal data (PII): kind, share of matching values, confidence,
count of matching values (never the values), and the frameworks that care (GDPR, HIPAA, PCI).

Reads the typed data from `typed_tables`; uses the concepts of `semantic_annotations` when that
asset was materialized for the source (optional read, not a graph edge).
Kinds (pattern library `dataraum_assets/analysis/pii_patterns.yaml`, overridable per source in
`dataraum.yaml` under `privacy: pii:`): email, phone (international and national formats),
payment_card (IIN ranges + Luhn), iban (per-country length + mod-97), ssn (000/666/9xx area,
00 group, 0000 serial excluded), ip_address (IPv4/IPv6), and — only where the header or
semantic concept names them — date_of_birth (age 0..120 years), person_name, postal_address,
postal_code. Values of the right shape that fail the checksum are counted, never found.
Confidence = match share (+0.2 when the header/concept names the kind; semantic kinds: 0.95 ×
share); a column is PII at confidence ≥ 0.7 and keeps its most confident kind.
Sample first: 10,000 rows per table (hash of `_row`, deterministic); a column whose 99.9%
Wilson interval straddles the threshold is recounted on the full column.
Tables: `pii_findings` (found columns), `pii_candidates` (every (column, kind) with a match).
Output: `<data_dir>/warehouse/<source>/pii_findings.duckdb`.""",
)
def pii_findings(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    settings = warehouse.source(context.partition_key).settings()
    options = load_options(settings.privacy.pii)
    with warehouse.write(
        context.partition_key, ASSET, reads=UPSTREAMS, optional_reads=OPTIONAL_UPSTREAMS
    ) as con:
        annotations = (
            "semantic_annotations"
            if "semantic_annotations" in attached_databases(con) and _has_annotations(con)
            else None
        )
        result = build_pii_findings(
            con,
            options,
            progress=context.log.info,
            typed_database="typed_tables",
            annotations_database=annotations,
        )
        metadata = _metadata(con, annotations is not None, result.confirmed_columns, options)
    return dg.MaterializeResult(metadata=metadata)


def _has_annotations(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'semantic_annotations' "
            "AND table_name = 'column_annotations'"
        ).fetchall()[0][0]
    )


def _metadata(
    con: duckdb.DuckDBPyConnection, used_concepts: bool, confirmed: int, options: Any
) -> dict[str, Any]:
    rows = con.execute(
        "SELECT table_name, column_name, pii_kind, match_share, confidence, example_count, "
        "array_to_string(frameworks, ', '), sampled FROM pii_findings "
        "ORDER BY table_name, column_name"
    ).fetchall()
    [(decoys,)] = con.execute(
        "SELECT count(*) FROM pii_candidates WHERE NOT detected AND checksum_failures > 0"
    ).fetchall()
    kinds: dict[str, int] = {}
    for row in rows:
        kinds[row[2]] = kinds.get(row[2], 0) + 1
    preview = "### PII columns\n\n" + markdown_table(
        [
            "table",
            "column",
            "kind",
            "match share",
            "confidence",
            "matches",
            "frameworks",
            "sampled",
        ],
        [list(row) for row in rows],
    )
    return {
        "dagster/row_count": len(rows),
        "pii_columns": len(rows),
        "pii_kinds": dg.MetadataValue.json(kinds),
        "tables_with_pii": len({row[0] for row in rows}),
        "checksum_decoys_rejected": decoys,
        "confirmed_on_full_column": confirmed,
        "confidence_threshold": options.confidence_threshold,
        "used_semantic_concepts": used_concepts,
        "preview": dg.MetadataValue.md(preview),
    }


pii_findings_checks = schema_checks(ASSET, OUTPUT_SCHEMAS)
