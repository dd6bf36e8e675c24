"""Metadata shared by the asset wrappers: column schemas, previews, progress lines."""

from collections.abc import Iterable

import dagster as dg

# The UI and the event log store every column of dagster/column_schema; wide sources (5,000
# columns) are cut here and the cut is stated in the last column's description.
MAX_SCHEMA_COLUMNS = 1000


def column_schema(columns: Iterable[tuple[str, str, str | None]]) -> dg.TableSchema:
    """A ``dagster/column_schema`` from (qualified name, type, description) triples."""
    items = list(columns)
    shown = [
        dg.TableColumn(name=name, type=data_type, description=description)
        for name, data_type, description in items[:MAX_SCHEMA_COLUMNS]
    ]
    if len(items) > MAX_SCHEMA_COLUMNS:
        shown.append(
            dg.TableColumn(
                name="…",
                type="",
                description=f"{len(items) - MAX_SCHEMA_COLUMNS:,} more columns not shown",
            )
        )
    return dg.TableSchema(columns=shown)
