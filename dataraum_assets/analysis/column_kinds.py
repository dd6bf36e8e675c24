"""What a column's DuckDB type and name say about it, shared by every stage that asks.

- ``INTEGER_TYPES`` / ``FLOAT_TYPES`` / ``NUMERIC_TYPES``: DuckDB's names in
  ``duckdb_columns().data_type``; ``DECIMAL(p, s)`` carries its precision, so
  :func:`is_numeric_type` also accepts any ``DECIMAL...``.
- ``KEY_NAME``: a key-like column name (``id``, ``*_id``, ``*_number``, ``*_no``, ``*_nr``,
  ``*_key``, ``*_code``): its values are labels, not magnitudes.
- ``YEAR_RANGE``: integers all within it are taken for years.
"""

import re

INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER"}
    | {"UBIGINT", "UHUGEINT"}
)
FLOAT_TYPES = frozenset({"FLOAT", "DOUBLE"})
NUMERIC_TYPES = INTEGER_TYPES | FLOAT_TYPES
KEY_NAME = re.compile(r"^(id|.*_id|.*_number|.*_no|.*_nr|.*_key|.*_code)$")
YEAR_RANGE = (1800, 2100)


def is_numeric_type(data_type: str) -> bool:
    """An integer, floating-point or DECIMAL column."""
    return data_type in NUMERIC_TYPES or data_type.startswith("DECIMAL")
