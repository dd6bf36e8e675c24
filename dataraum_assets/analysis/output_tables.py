"""Writing a stage's result records (frozen dataclasses) as DuckDB tables."""

from collections.abc import Mapping, Sequence

import duckdb
import pandas as pd
import pyarrow as pa

from dataraum_assets.identifiers import quote_identifier

_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "DOUBLE[]": pa.list_(pa.float64()),
    "VARCHAR[]": pa.list_(pa.string()),
}


def _plain(value: object) -> object:
    # Records hold tuples (frozen); Arrow list columns take lists.
    return list(value) if isinstance(value, tuple) else value


def write_records(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Mapping[str, str],
    records: Sequence[object],
) -> None:
    """(Re)create ``table`` with ``columns`` (name → DuckDB type) in the main database and
    insert ``records``, reading each column from the record attribute of the same name. The
    table exists even when there are no records; the caller makes the file replacement atomic.
    """
    ddl = ", ".join(f"{quote_identifier(name)} {kind}" for name, kind in columns.items())
    con.execute(f"CREATE OR REPLACE TABLE {quote_identifier(table)} ({ddl})")
    if not records:
        return
    arrow = pa.table(
        {
            name: pa.array(
                [_plain(getattr(record, name)) for record in records], type=_ARROW_TYPES[kind]
            )
            for name, kind in columns.items()
        }
    )
    view = f"__records_{table}"
    con.register(view, arrow)
    try:
        con.execute(f"INSERT INTO {quote_identifier(table)} SELECT * FROM {quote_identifier(view)}")
    finally:
        con.unregister(view)


def is_list(series: pd.Series) -> pd.Series:
    """Pandera element check for a LIST column: every value is a list (DuckDB gives arrays)."""
    return series.map(lambda value: value is not None and hasattr(value, "__len__"))


def is_list_or_null(series: pd.Series) -> pd.Series:
    """Pandera element check for a nullable LIST column."""
    return series.map(lambda value: value is None or hasattr(value, "__len__"))
