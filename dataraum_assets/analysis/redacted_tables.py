"""Redacted copies of the typed tables: the ``redacted_tables`` stage.

Reads ``"<pii>".main.pii_findings``, ``"<typed>".typed."<table>"`` and, when attached,
``"<relationships>".main.relationships``, and writes ``redacted."<table>"`` (every typed table,
PII columns redacted, ``_row`` kept) and ``redactions`` (one row per column that was changed).

Strategies (per PII kind, default from the pattern library's ``redaction``, overridable per kind
and per column; no default needs a secret, so a source without configuration never fails for
want of a key):

- ``mask``: every character but the last ``mask_keep_last`` (4) becomes ``*``; values no longer
  than that are masked whole. The result is text.
- ``keyed_hash``: HMAC-SHA256 of the value's text under a secret key, as 64 hex characters.
  Same input and key → same token, so equality, joins and distinct counts survive; without the
  key the token cannot be reversed or recomputed from a guess. The HMAC is computed inside
  DuckDB (SHA-256 of ``key ⊕ opad || SHA-256(key ⊕ ipad || value)``, RFC 2104), so no value
  leaves the database and 10M values take seconds. The key is asked for only when some column
  needs it; it is never written, logged or returned.
- ``drop``: the column is left out.
- ``generalize``: dates (``date_of_birth``, any DATE/TIMESTAMP column) to the first day of
  their month; postal codes to their first ``postal_code_prefix`` (3) characters, the HIPAA
  Safe Harbor rule for US ZIP codes. Other kinds cannot be generalized (a clear error).
- ``keep``: unchanged.

**Foreign keys survive.** Every accepted relationship whose child or parent columns include a
redacted column gets ``keyed_hash`` on both sides (whatever the kinds' strategies), repeated
until no relationship links a hashed column to an unhashed one: a masked or dropped key would
break the join, a hashed one keeps it exact.
"""

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import duckdb
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from dataraum_assets.analysis.output_tables import write_records
from dataraum_assets.analysis.typed_tables import typed_columns
from dataraum_assets.identifiers import ROW_NUMBER_COLUMN, quote_identifier

STRATEGIES = ("mask", "keyed_hash", "drop", "generalize", "keep")
OUTPUT_SCHEMA = "redacted"
_TEMPORAL_TYPES = frozenset({"DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS"})
_HMAC_BLOCK = 64  # SHA-256 block size in bytes (RFC 2104's B)


class RedactionKeyError(RuntimeError):
    """A keyed hash is needed and no key is available; the message names the variable."""


class RedactionPlanError(ValueError):
    """A configured strategy cannot be applied to a column."""


@dataclass(frozen=True)
class RedactionOptions:
    """Per-kind and per-column strategies on top of the findings' defaults."""

    strategies: Mapping[str, str] = field(default_factory=dict)  # PII kind → strategy
    columns: Mapping[str, str] = field(default_factory=dict)  # 'table.column' → strategy
    mask_keep_last: int = 4
    postal_code_prefix: int = 3

    def __post_init__(self) -> None:
        for where, strategy in [*self.strategies.items(), *self.columns.items()]:
            if strategy not in STRATEGIES:
                raise RedactionPlanError(
                    f"redaction strategy {strategy!r} for {where!r} is not one of "
                    f"{', '.join(STRATEGIES)}"
                )


@dataclass(frozen=True)
class Finding:
    """What redaction needs of a ``pii_findings`` row."""

    table_name: str
    column_name: str
    pii_kind: str
    redaction: str


@dataclass(frozen=True)
class Relationship:
    child_table: str
    child_columns: tuple[str, ...]
    parent_table: str
    parent_columns: tuple[str, ...]


@dataclass(frozen=True)
class ColumnRedaction:
    """One row of ``redactions``: a column whose values were changed or dropped."""

    table_name: str
    column_name: str
    pii_kind: str | None  # NULL for a key column hashed only because a relationship needs it
    strategy: str
    reason: str
    values_changed: int = 0
    output_type: str | None = None  # NULL when dropped


def plan_redactions(
    findings: Sequence[Finding],
    relationships: Sequence[Relationship],
    options: RedactionOptions,
) -> dict[tuple[str, str], ColumnRedaction]:
    """(table, column) → how it is redacted: the finding's default strategy, then the per-kind
    and per-column overrides, then keyed hashes on both sides of every relationship that
    touches a redacted column (to a fixed point). Columns left as they are are not listed."""
    plan: dict[tuple[str, str], ColumnRedaction] = {}
    for finding in findings:
        key = (finding.table_name, finding.column_name)
        strategy, reason = finding.redaction, f"default for {finding.pii_kind}"
        if finding.pii_kind in options.strategies:
            strategy, reason = options.strategies[finding.pii_kind], "per-kind setting"
        plan[key] = ColumnRedaction(
            finding.table_name, finding.column_name, finding.pii_kind, strategy, reason
        )
    pinned = set()
    for name, strategy in options.columns.items():
        table, _, column = name.partition(".")
        if not column:
            raise RedactionPlanError(f"redaction column {name!r} must be 'table.column'")
        previous = plan.get((table, column))
        plan[(table, column)] = ColumnRedaction(
            table, column, previous.pii_kind if previous else None, strategy, "per-column setting"
        )
        pinned.add((table, column))
    pairs = [
        ((r.child_table, child), (r.parent_table, parent))
        for r in relationships
        for child, parent in zip(r.child_columns, r.parent_columns, strict=True)
    ]
    changed = True
    while changed:
        changed = False
        for child, parent in pairs:
            sides = [side for side in (child, parent) if _redacted(plan.get(side))]
            if not sides:
                continue
            for side, other in ((child, parent), (parent, child)):
                current = plan.get(side)
                if (current and current.strategy == "keyed_hash") or side in pinned:
                    continue
                plan[side] = ColumnRedaction(
                    side[0],
                    side[1],
                    current.pii_kind if current else None,
                    "keyed_hash",
                    f"joins {other[0]}.{other[1]}: hashed on both sides so the join survives",
                )
                changed = True
    return {key: item for key, item in plan.items() if item.strategy != "keep"}


def _redacted(item: ColumnRedaction | None) -> bool:
    return item is not None and item.strategy != "keep"


@dataclass(frozen=True)
class RedactionResult:
    tables: Mapping[str, int] = field(default_factory=dict)  # table → rows
    redactions: tuple[ColumnRedaction, ...] = ()
    hashed_columns: int = 0


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """RFC 2104's inner and outer padded keys for HMAC-SHA256."""
    if len(key) > _HMAC_BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_HMAC_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def build_redacted_tables(
    con: duckdb.DuckDBPyConnection,
    options: RedactionOptions = RedactionOptions(),  # frozen, so a safe default
    key: Callable[[], bytes] | None = None,
    progress: Callable[[str], None] | None = None,
    pii_database: str = "pii_findings",
    typed_database: str = "typed_tables",
    relationships_database: str | None = None,
) -> RedactionResult:
    """Write ``redacted."<table>"`` for every typed table and ``redactions``. ``key`` is called
    once, only when a column needs a keyed hash; it raises :class:`RedactionKeyError` (or returns
    an empty key, which is refused the same way) when none is configured."""
    findings = [
        Finding(*row)
        for row in con.execute(
            "SELECT table_name, column_name, pii_kind, redaction FROM "
            f"{quote_identifier(pii_database)}.main.pii_findings ORDER BY table_name, column_name"
        ).fetchall()
    ]
    relationships = _relationships(con, relationships_database) if relationships_database else []
    tables = typed_columns(con, typed_database)
    known = {(table, column) for table, columns in tables.items() for column, _ in columns}
    relationships = [
        r
        for r in relationships
        if all((r.child_table, c) in known for c in r.child_columns)
        and all((r.parent_table, c) in known for c in r.parent_columns)
    ]
    plan = plan_redactions(findings, relationships, options)
    unknown = sorted(f"{t}.{c}" for t, c in plan if (t, c) not in known)
    if unknown:
        raise RedactionPlanError(f"redaction settings name unknown columns: {', '.join(unknown)}")
    hashed = sorted(f"{t}.{c}" for (t, c), item in plan.items() if item.strategy == "keyed_hash")
    pads: tuple[bytes, bytes] | None = None
    if hashed:
        secret = key() if key is not None else b""
        if not secret:
            raise RedactionKeyError(
                f"a redaction key is needed to hash {', '.join(hashed)} and none is set"
            )
        pads = hmac_pads(secret)
    typed = quote_identifier(typed_database)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {OUTPUT_SCHEMA}")
    rows_by_table: dict[str, int] = {}
    written: list[ColumnRedaction] = []
    for table, columns in tables.items():
        source = f"{typed}.typed.{quote_identifier(table)}"
        select = [quote_identifier(ROW_NUMBER_COLUMN)]
        params: list[object] = []
        changed: list[tuple[ColumnRedaction, str]] = []
        for column, data_type in columns:
            item = plan.get((table, column))
            if item is None:
                select.append(quote_identifier(column))
                continue
            if item.strategy == "drop":
                changed.append((item, column))
                continue
            expression, expression_params = _expression(item, column, data_type, options, pads)
            select.append(f"{expression} AS {quote_identifier(column)}")
            params.extend(expression_params)
            changed.append((item, column))
        target = f"{OUTPUT_SCHEMA}.{quote_identifier(table)}"
        con.execute(
            f"CREATE OR REPLACE TABLE {target} AS SELECT {', '.join(select)} FROM {source}", params
        )
        if changed:
            counts = con.execute(
                "SELECT count(*), "
                + ", ".join(f"count({quote_identifier(column)})" for _, column in changed)
                + f" FROM {source}"
            ).fetchall()[0]
            types = dict(
                con.execute(
                    "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? "
                    "AND table_name = ? AND database_name = current_database()",
                    [OUTPUT_SCHEMA, table],
                ).fetchall()
            )
            for index, (item, column) in enumerate(changed):
                written.append(
                    ColumnRedaction(
                        item.table_name,
                        item.column_name,
                        item.pii_kind,
                        item.strategy,
                        item.reason,
                        values_changed=int(counts[index + 1]),
                        output_type=types.get(column),
                    )
                )
        [(rows,)] = con.execute(f"SELECT count(*) FROM {target}").fetchall()
        rows_by_table[table] = int(rows)
        if progress:
            progress(f"redacted_tables: {table}: {len(changed)} columns redacted, {rows:,} rows")
    write_records(con, "redactions", _REDACTIONS_DDL, written)
    return RedactionResult(rows_by_table, tuple(written), len(hashed))


def _relationships(con: duckdb.DuckDBPyConnection, database: str) -> list[Relationship]:
    rows = con.execute(
        "SELECT child_table, child_columns, parent_table, parent_columns FROM "
        f"{quote_identifier(database)}.main.relationships WHERE status = 'accepted'"
    ).fetchall()
    return [
        Relationship(child_table, tuple(child), parent_table, tuple(parent))
        for child_table, child, parent_table, parent in rows
        if child and parent and len(child) == len(parent)
    ]


def _expression(
    item: ColumnRedaction,
    column: str,
    data_type: str,
    options: RedactionOptions,
    pads: tuple[bytes, bytes] | None,
) -> tuple[str, list[object]]:
    quoted = quote_identifier(column)
    text = f"CAST({quoted} AS VARCHAR)"
    if item.strategy == "mask":
        keep = int(options.mask_keep_last)
        return (
            f"CASE WHEN length({text}) > {keep} THEN repeat('*', length({text}) - {keep}) || "
            f"right({text}, {keep}) ELSE repeat('*', length({text})) END",
            [],
        )
    if item.strategy == "keyed_hash":
        assert pads is not None  # planned above: a key was obtained for every hashed column
        inner, outer = pads
        return (f"sha256(?::BLOB || unhex(sha256(?::BLOB || encode({text}))))", [outer, inner])
    if item.strategy == "generalize":
        if data_type in _TEMPORAL_TYPES:
            return f"CAST(date_trunc('month', {quoted}) AS DATE)", []
        if item.pii_kind == "date_of_birth":
            return f"strftime(date_trunc('month', TRY_CAST(trim({text}) AS DATE)), '%Y-%m')", []
        if item.pii_kind == "postal_code":
            return f"left(trim({text}), {int(options.postal_code_prefix)})", []
        raise RedactionPlanError(
            f"{item.table_name}.{item.column_name}: generalize applies to dates and postal "
            f"codes, not to {item.pii_kind or data_type}; choose mask, keyed_hash or drop"
        )
    raise RedactionPlanError(f"{item.table_name}.{item.column_name}: no strategy {item.strategy}")


_REDACTIONS_DDL = {
    "table_name": "VARCHAR",
    "column_name": "VARCHAR",
    "pii_kind": "VARCHAR",
    "strategy": "VARCHAR",
    "reason": "VARCHAR",
    "values_changed": "BIGINT",
    "output_type": "VARCHAR",
}


class RedactionsSchema(pa.DataFrameModel):
    table_name: Series[str]
    column_name: Series[str]
    pii_kind: Series[str] = pa.Field(nullable=True)
    # The column is named strategy like the records; pandera's hypothesis hook of the same name
    # is never used here.
    strategy: Series[str] = pa.Field(  # pyright: ignore[reportIncompatibleMethodOverride]
        isin=[s for s in STRATEGIES if s != "keep"]
    )
    reason: Series[str]
    values_changed: Series[int] = pa.Field(ge=0)
    output_type: Series[str] = pa.Field(nullable=True)

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True
        unique = ["table_name", "column_name"]  # noqa: RUF012 - pandera reads it as is

    @pa.dataframe_check
    @classmethod
    def dropped_has_no_type(cls, frame: pd.DataFrame) -> pd.Series:
        """A dropped column has no output type; every other redacted column has one."""
        return pd.Series((frame["strategy"] == "drop") == frame["output_type"].isna())


OUTPUT_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {"redactions": RedactionsSchema}
