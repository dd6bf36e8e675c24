"""redacted_tables: the typed tables with their PII masked, hashed, dropped or generalized."""

from collections.abc import Callable, Mapping
from typing import Any

import dagster as dg
import duckdb

from dataraum_assets.analysis.redacted_tables import (
    OUTPUT_SCHEMAS,
    RedactionKeyError,
    RedactionOptions,
    build_redacted_tables,
)
from dataraum_assets.checks import schema_checks
from dataraum_assets.markdown import markdown_table
from dataraum_assets.partitions import sources_partitions
from dataraum_assets.privacy_settings import RedactionSettings
from dataraum_assets.resources import WarehouseResource
from dataraum_assets.warehouse import attached_databases

ASSET = "redacted_tables"
UPSTREAMS = ("pii_findings", "typed_tables")
OPTIONAL_UPSTREAMS = ("relationships",)


@dg.asset(
    name=ASSET,
    deps=list(UPSTREAMS),
    partitions_def=sources_partitions,
    group_name="privacy",
    kinds={"duckdb"},
    description="""Every typed table with its PII columns redacted, one strategy per PII kind.

Reads the found columns from `pii_findings` and the data from `typed_tables`; reads the accepted
relationships of `relationships` when that asset was materialized for the source (optional read,
not a graph edge). Default strategies (no secret needed): mask (all but the last 4 characters
become `*`): email, phone, payment_card, iban, ssn, ip_address; drop: person_name,
postal_address; generalize: date_of_birth to its month, postal_code to its first 3 characters.
keyed_hash (HMAC-SHA256, 64 hex characters; same value → same token, so joins and counts
survive) is chosen per kind or column in `dataraum.yaml` under `privacy: redaction:`, and is
applied automatically to both sides of every accepted relationship touching a redacted column,
so foreign keys survive. The HMAC key is read at run time from the environment variable
`DATARAUM_REDACTION_KEY` (the variable's name is configurable, the key never is), only when a
column needs it; unset → the step fails with an error naming the variable and the columns. It
never appears in logs, metadata, run config or outputs.
Tables: `redacted."<table>"` (with `_row`), `redactions` (one row per changed column).
Output: `<data_dir>/warehouse/<source>/redacted_tables.duckdb`.""",
)
def redacted_tables(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    settings = warehouse.source(context.partition_key).settings().privacy.redaction
    options = RedactionOptions(
        strategies=settings.strategies,
        columns=settings.columns,
        mask_keep_last=settings.mask_keep_last,
        postal_code_prefix=settings.postal_code_prefix,
    )
    with warehouse.write(
        context.partition_key, ASSET, reads=UPSTREAMS, optional_reads=OPTIONAL_UPSTREAMS
    ) as con:
        result = build_redacted_tables(
            con,
            options,
            key=redaction_key(settings),
            progress=context.log.info,
            pii_database="pii_findings",
            typed_database="typed_tables",
            relationships_database=("relationships" if _has_relationships(con) else None),
        )
        metadata = _metadata(con, result.tables)
    return dg.MaterializeResult(metadata=metadata)


def redaction_key(settings: RedactionSettings) -> Callable[[], bytes]:
    """Reads the HMAC key from the configured environment variable when called (run time)."""

    def read() -> bytes:
        value = dg.EnvVar(settings.key_env_var).get_value()
        if not value:
            raise RedactionKeyError(
                f"set the environment variable {settings.key_env_var} to a secret key (at least "
                "16 random characters) to hash PII columns, or choose another redaction "
                "strategy for them in dataraum.yaml (privacy: redaction: strategies)"
            )
        return value.encode("utf-8")

    return read


def _has_relationships(con: duckdb.DuckDBPyConnection) -> bool:
    if "relationships" not in attached_databases(con):
        return False
    [(count,)] = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'relationships' "
        "AND table_name = 'relationships'"
    ).fetchall()
    return count > 0


def _metadata(con: duckdb.DuckDBPyConnection, tables: Mapping[str, int]) -> dict[str, Any]:
    rows = con.execute(
        "SELECT table_name, column_name, pii_kind, strategy, reason, values_changed "
        "FROM redactions ORDER BY table_name, column_name"
    ).fetchall()
    strategies: dict[str, int] = {}
    for row in rows:
        strategies[row[3]] = strategies.get(row[3], 0) + 1
    preview = "### Redacted columns\n\n" + markdown_table(
        ["table", "column", "kind", "strategy", "reason", "values changed"],
        [list(row) for row in rows],
    )
    return {
        "dagster/row_count": sum(tables.values()),
        "tables": len(tables),
        "redacted_columns": len(rows),
        "strategies": dg.MetadataValue.json(strategies),
        "preview": dg.MetadataValue.md(preview),
    }


redacted_tables_checks = schema_checks(ASSET, OUTPUT_SCHEMAS)
