"""Exact per-column statistical profiles of every table in ``typed_tables``.

Reads ``"<typed>".typed."<table>"``, ``"<typed>".main.type_decisions`` and
``"<typed>".main.quarantine`` and writes ``column_profiles``, ``top_values`` and ``histograms``
into the connection's default database (``docs/data-plane.md`` lists their columns).

Everything is exact over the full table, in a handful of passes per table rather than one query
per column per statistic:

1. streaming aggregates (counts, min/max, mean, zeros, negatives, text lengths, and the finite
   range the histograms need);
2. the exact distinct count and top values from a frequency table (value, count);
3. exact quantiles and MAD: for a numeric column with few distinct values, from its frequency
   table in Python; otherwise DuckDB's ``quantile_cont``/``mad`` over the raw values;
4. equal-width histograms and central moments (from the frequency table when there is one).

Each pass has two query shapes, chosen by the table's height. Tall tables get "wide" SELECTs
(up to 100 columns' aggregates in one scan) and one GROUP BY per column for the frequencies.
Short tables get "long" queries: a batch of same-typed columns is unpivoted into (column,
value) and aggregated GROUP BY column, because DuckDB's fixed cost per aggregate and per query
dominates when there are few rows (a 5,000-column, 1,000-row table: 3 s long, over 30 s wide).

Definitions:

- ``nulls`` counts NULL cells of the typed table, which include quarantined cells (failed casts);
  ``quarantined`` counts those separately so the two kinds of NULL are never confused.
- ``null_ratio`` = nulls / rows (0 for a table without rows); ``cardinality_ratio`` = distinct
  non-null values / non-null cells (NULL without non-null cells).
- ``is_unique``: the column could be a primary key: at least one row, no NULLs, and every value
  distinct.
- Numeric statistics cover integer, decimal and floating-point columns. NaN and ±inf are values
  (counted in rows, distinct counts, top values and min/max, and ±inf in zeros/negatives) but
  are left out of mean, stddev, skewness, kurtosis, quantiles, MAD and histograms, which are
  defined on finite numbers only.
- ``stddev`` is the sample standard deviation (n − 1). ``skewness`` is the adjusted
  Fisher–Pearson coefficient G1 and ``kurtosis`` the bias-corrected *excess* kurtosis G2 (0 for a
  normal distribution): the same definitions as DuckDB's ``skewness``/``kurtosis``, computed
  from two-pass central moments so that they neither overflow nor lose precision on large
  values. Both are NULL for constant columns and for n < 3 / n < 4.
- Quantiles are ``quantile_cont`` (linear interpolation between order statistics, R type 7).
  ``mad`` is the median absolute deviation from the median, unscaled. ``cv`` =
  stddev / |mean| (NULL when mean = 0); ``robust_cv`` = 1.4826 · MAD / |median| (NULL when
  median = 0): 1.4826 makes MAD a consistent estimator of the standard deviation for normal
  data, so ``robust_cv`` is comparable to ``cv``.
- Text lengths are in characters (Unicode code points), VARCHAR columns only.
- Top values leave NULL out; ties on count are broken by the value's natural order (numbers
  numerically, dates chronologically), and ``share`` is count / rows.
- Histograms: ``histogram_buckets`` equal-width buckets over [finite min, finite max] for numeric
  and date/timestamp columns (bounds in epoch seconds, UTC, for temporal columns); the last
  bucket is closed; a constant column has one bucket with lower = upper.
"""

import bisect
import itertools
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, TypeVar

import duckdb
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from dataraum_assets.analysis.column_kinds import FLOAT_TYPES, INTEGER_TYPES
from dataraum_assets.analysis.output_tables import write_records
from dataraum_assets.analysis.typed_tables import typed_columns
from dataraum_assets.identifiers import quote_identifier

_T = TypeVar("_T")

QUANTILES = (0.01, 0.25, 0.5, 0.75, 0.99)
# 1 / Φ⁻¹(3/4): scales MAD to the standard deviation of a normal distribution.
MAD_NORMAL_SCALE = 1.4826

# Columns per wide SELECT: a 5,000-column table needs 50 scans per pass, and DuckDB's planning
# time, which grows faster than linearly with the number of aggregates, stays small.
_SELECT_BATCH_COLUMNS = 100
# Tables with at most this many cells per batch are profiled in long form (module docstring),
# so batches of min(100, budget // rows) columns; at 500,000 rows and more, wide form. Measured
# on 2 cores: long form is 5-25x faster at 1,000-10,000 rows and 1.6x slower at 1,000,000.
_UNPIVOT_CELL_BUDGET = 1_000_000
# Exact quantiles hold every value in memory; this bounds the values held by one query.
_HOLISTIC_CELL_BUDGET = 20_000_000
# A numeric column with at most this many distinct values gets its quantiles and MAD from its
# frequency table (sorted value, count) in Python: on 10M rows this is ~10× faster than
# quantile_cont over the raw values, which sorts them all.
_FREQUENCY_QUANTILE_MAX_DISTINCT = 100_000

_TEMPORAL_TYPES = frozenset(
    {
        "DATE",
        "TIMESTAMP",
        "TIMESTAMP WITH TIME ZONE",
        "TIMESTAMP_S",
        "TIMESTAMP_MS",
        "TIMESTAMP_NS",
    }
)


@dataclass(frozen=True)
class ProfileOptions:
    """How many top values and histogram buckets to keep per column."""

    top_k: int = 20
    histogram_buckets: int = 20

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {self.top_k}")
        if self.histogram_buckets < 1:
            raise ValueError(f"histogram_buckets must be at least 1, got {self.histogram_buckets}")


@dataclass(frozen=True)
class ColumnProfile:
    """One row of ``column_profiles`` (fields in the table's column order)."""

    table_name: str
    column_name: str
    position: int
    data_type: str
    semantic_type: str | None
    rows: int
    nulls: int
    null_ratio: float
    quarantined: int
    distinct_count: int
    cardinality_ratio: float | None
    is_unique: bool
    min_value: str | None
    max_value: str | None
    mean: float | None
    stddev: float | None
    skewness: float | None
    kurtosis: float | None
    p01: float | None
    p25: float | None
    p50: float | None
    p75: float | None
    p99: float | None
    cv: float | None
    mad: float | None
    robust_cv: float | None
    zeros: int | None
    negatives: int | None
    min_length: int | None
    max_length: int | None
    avg_length: float | None


@dataclass(frozen=True)
class TopValue:
    """One row of ``top_values``."""

    table_name: str
    column_name: str
    rank: int
    value: str
    count: int
    share: float


@dataclass(frozen=True)
class HistogramBucket:
    """One row of ``histograms``."""

    table_name: str
    column_name: str
    bucket: int
    lower: float
    upper: float
    lower_label: str
    upper_label: str
    count: int


@dataclass(frozen=True)
class ProfilesResult:
    """Everything written to the three output tables, in table order."""

    profiles: tuple[ColumnProfile, ...]
    top_values: tuple[TopValue, ...] = ()
    histograms: tuple[HistogramBucket, ...] = ()


class _Kind(Enum):
    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOAT = "float"
    TEMPORAL = "temporal"
    BOOLEAN = "boolean"
    TEXT = "text"
    OTHER = "other"

    @property
    def numeric(self) -> bool:
        return self in (_Kind.INTEGER, _Kind.DECIMAL, _Kind.FLOAT)


def _kind_of(data_type: str) -> _Kind:
    if data_type in INTEGER_TYPES:
        return _Kind.INTEGER
    if data_type.startswith("DECIMAL"):
        return _Kind.DECIMAL
    if data_type in FLOAT_TYPES:
        return _Kind.FLOAT
    if data_type in _TEMPORAL_TYPES:
        return _Kind.TEMPORAL
    if data_type == "BOOLEAN":
        return _Kind.BOOLEAN
    if data_type == "VARCHAR":
        return _Kind.TEXT
    return _Kind.OTHER


@dataclass
class _Column:
    """A column being profiled: what is known so far, filled pass by pass."""

    name: str
    position: int
    data_type: str
    semantic_type: str | None
    quarantined: int
    kind: _Kind
    non_null: int = 0
    distinct_count: int = 0
    min_value: str | None = None
    max_value: str | None = None
    finite: int = 0  # numeric: finite values; temporal: finite dates/timestamps
    low: float | None = None  # finite min (epoch seconds for temporal columns)
    high: float | None = None
    mean: float | None = None
    zeros: int | None = None
    negatives: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    avg_length: float | None = None
    quantiles: tuple[float | None, ...] = (None,) * len(QUANTILES)
    mad: float | None = None
    moments: tuple[float, float, float, float] | None = None  # E[z^k], k=1..4, z=(x-mean)/scale
    moment_scale: float | None = None
    # numeric columns with few distinct values: sorted finite values and their counts
    frequency: tuple[list[float], list[int]] | None = None
    top: list[tuple[int, str, int]] = field(default_factory=list)  # (rank, value, count)
    histogram: list[int] | None = None

    @property
    def quoted(self) -> str:
        return quote_identifier(self.name)

    def finite_value(self, ref: str) -> str:
        """SQL for ``ref`` (this column, or its unpivoted value) as DOUBLE, NULL where it is not
        a finite number or time."""
        if self.kind is _Kind.FLOAT:
            return f"CASE WHEN isfinite({ref}) THEN CAST({ref} AS DOUBLE) END"
        if self.kind is _Kind.TEMPORAL:
            return f"CASE WHEN isfinite({ref}) THEN epoch({ref}) END"
        return f"CAST({ref} AS DOUBLE)"

    def mean_value(self, ref: str) -> str:
        """SQL for the values to average. Integers and DECIMALs up to 18 digits are summed
        exactly in HUGEINT (so a decimal column averaging 0 has mean 0, not 1e-16); wider types
        could overflow that sum and are averaged as DOUBLE."""
        if self.data_type in ("HUGEINT", "UHUGEINT") or self.kind is _Kind.FLOAT:
            return self.finite_value(ref)
        if self.kind is _Kind.DECIMAL:
            width = int(self.data_type.removeprefix("DECIMAL(").split(",")[0])
            return ref if width <= 18 else self.finite_value(ref)
        return ref

    @property
    def constant(self) -> bool:
        return self.low is not None and self.low == self.high


def build_statistical_profiles(
    con: duckdb.DuckDBPyConnection,
    options: ProfileOptions = ProfileOptions(),  # frozen, so a safe default
    progress: Callable[[str], None] | None = None,
    typed_database: str = "typed_tables",
) -> ProfilesResult:
    """Profile every table of ``typed_database``'s ``typed`` schema and write the three output
    tables (always created, empty when there is nothing to profile). Returns what was written."""
    database = quote_identifier(typed_database)
    decisions = _type_decisions(con, database)
    quarantined = _quarantine_counts(con, database)
    tables = typed_columns(con, typed_database)

    profiles: list[ColumnProfile] = []
    top_values: list[TopValue] = []
    histograms: list[HistogramBucket] = []
    for number, (table, catalog_columns) in enumerate(tables.items(), start=1):
        started = time.perf_counter()
        columns = []
        for ordinal, (name, data_type) in enumerate(catalog_columns, start=1):
            position, semantic_type = decisions.get((table, name), (ordinal, None))
            columns.append(
                _Column(
                    name=name,
                    position=position,
                    data_type=data_type,
                    semantic_type=semantic_type,
                    quarantined=quarantined.get((table, name), 0),
                    kind=_kind_of(data_type),
                )
            )
        source = f"{database}.typed.{quote_identifier(table)}"
        rows = _profile_table(con, source, columns, options)
        columns.sort(key=lambda column: (column.position, column.name))
        profiles.extend(_column_profile(table, column, rows) for column in columns)
        top_values.extend(value for column in columns for value in _top_values(table, column, rows))
        histograms.extend(
            bucket for column in columns for bucket in _histogram_rows(table, column, options)
        )
        if progress is not None:
            elapsed = max(time.perf_counter() - started, 1e-9)
            progress(
                f"table {number}/{len(tables)} {table}: {len(columns)} columns profiled, "
                f"{round(rows / elapsed):,} rows/s"
            )
    result = ProfilesResult(
        profiles=tuple(profiles),
        top_values=tuple(top_values),
        histograms=tuple(histograms),
    )
    _write_outputs(con, result)
    return result


def _type_decisions(
    con: duckdb.DuckDBPyConnection, database: str
) -> dict[tuple[str, str], tuple[int, str | None]]:
    rows = con.execute(
        "SELECT table_name, column_name, position, semantic_type "
        f"FROM {database}.main.type_decisions"
    ).fetchall()
    return {(table, column): (position, semantic) for table, column, position, semantic in rows}


def _quarantine_counts(con: duckdb.DuckDBPyConnection, database: str) -> dict[tuple[str, str], int]:
    rows = con.execute(
        f"SELECT table_name, column_name, count(*) FROM {database}.main.quarantine GROUP BY ALL"
    ).fetchall()
    return {(table, column): count for table, column, count in rows}


def _batches(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _same_type_batches(columns: Sequence[_Column], size: int) -> Iterator[Sequence[_Column]]:
    """Batches for UNPIVOT, which needs one type: it then keeps the type, so values still sort
    in their natural order."""
    by_type: dict[str, list[_Column]] = {}
    for column in columns:
        by_type.setdefault(column.data_type, []).append(column)
    for same_type in by_type.values():
        yield from _batches(same_type, size)


def _unpivot_select(batch: Sequence[_Column], source: str) -> tuple[str, str]:
    """(SELECT of the batch's columns under index aliases, the aliases): data-derived names
    stay out of UNPIVOT clauses, and the unpivoted name is the column's index in the batch."""
    aliases = [quote_identifier(str(index)) for index in range(len(batch))]
    selected = ", ".join(f"{c.quoted} AS {a}" for c, a in zip(batch, aliases, strict=True))
    return f"SELECT {selected} FROM {source}", ", ".join(aliases)


def _profile_table(
    con: duckdb.DuckDBPyConnection, source: str, columns: list[_Column], options: ProfileOptions
) -> int:
    """Fill ``columns`` in place; returns the table's row count."""
    rows = _fetch_one(con, f"SELECT count(*) FROM {source}")[0]
    if rows == 0:
        for column in columns:
            if column.kind.numeric:
                column.zeros = column.negatives = 0
        return rows
    # Long form (module docstring) in batches of long_batch columns when that is at least 2.
    long_batch = min(_SELECT_BATCH_COLUMNS, _UNPIVOT_CELL_BUDGET // rows)
    _streaming_aggregates(con, source, columns, long_batch)
    _frequencies(con, source, [c for c in columns if c.non_null > 0], options.top_k, long_batch)
    _quantiles(
        con, source, [c for c in columns if c.kind.numeric and c.finite > 0], rows, long_batch
    )
    _histograms_and_moments(
        con,
        source,
        [c for c in columns if (c.kind.numeric or c.kind is _Kind.TEMPORAL) and c.finite > 0],
        options.histogram_buckets,
        long_batch,
    )
    return rows


def _per_column(
    con: duckdb.DuckDBPyConnection,
    source: str,
    columns: Sequence[_Column],
    expressions: Callable[[_Column, str], list[str]],
    long_batch: int,
    wide_batch: int = _SELECT_BATCH_COLUMNS,
) -> Iterator[tuple[_Column, list[Any]]]:
    """Evaluate the aggregates ``expressions(column, reference)`` for every column and yield
    (column, values): in wide SELECTs of ``wide_batch`` columns, or, when ``long_batch`` >= 2,
    GROUP BY over same-typed columns unpivoted ``long_batch`` at a time."""
    if long_batch >= 2:
        for batch in _same_type_batches(columns, long_batch):
            if len(batch) == 1:
                yield from _per_column(con, source, batch, expressions, 0)
                continue
            select, aliases = _unpivot_select(batch, source)
            sql = (
                f"SELECT CAST(k AS INTEGER), {', '.join(expressions(batch[0], 'v'))} "
                f"FROM ({select}) UNPIVOT INCLUDE NULLS (v FOR k IN ({aliases})) GROUP BY k"
            )
            for index, *values in con.execute(sql).fetchall():
                yield batch[index], values
        return
    for batch in _batches(columns, wide_batch):
        own = [expressions(column, column.quoted) for column in batch]
        flat = ", ".join(expression for group in own for expression in group)
        values = iter(_fetch_one(con, f"SELECT {flat} FROM {source}"))
        for column, group in zip(batch, own, strict=True):
            yield column, _take(values, len(group))


def _streaming_expressions(column: _Column, ref: str) -> list[str]:
    # No FILTER clauses: with two per column they made a 100-column SELECT 10-30x slower in
    # DuckDB 2.0. count(CASE ... END) is also 0, not NULL, on an all-NULL column (count_if is
    # NULL there).
    expressions = [f"count({ref})", f"CAST(min({ref}) AS VARCHAR)", f"CAST(max({ref}) AS VARCHAR)"]
    if column.kind.numeric:
        value = column.finite_value(ref)
        expressions += [
            f"count({value})",
            f"min({value})",
            f"max({value})",
            f"avg({column.mean_value(ref)})",
            f"count(CASE WHEN {ref} = 0 THEN 1 END)",
            f"count(CASE WHEN {ref} < 0 THEN 1 END)",
        ]
    elif column.kind is _Kind.TEMPORAL:
        finite = f"CASE WHEN isfinite({ref}) THEN {ref} END"
        expressions += [f"count({finite})", f"epoch(min({finite}))", f"epoch(max({finite}))"]
    elif column.kind is _Kind.TEXT:
        expressions += [f"min(length({ref}))", f"max(length({ref}))", f"avg(length({ref}))"]
    return expressions


def _streaming_aggregates(
    con: duckdb.DuckDBPyConnection, source: str, columns: list[_Column], long_batch: int
) -> None:
    """Pass 1: every aggregate that needs no earlier result."""
    for column, result in _per_column(con, source, columns, _streaming_expressions, long_batch):
        values = iter(result)
        column.non_null, column.min_value, column.max_value = _take(values, 3)
        if column.kind.numeric:
            column.finite, column.low, column.high, column.mean = _take(values, 4)
            column.zeros, column.negatives = _take(values, 2)
        elif column.kind is _Kind.TEMPORAL:
            column.finite, column.low, column.high = _take(values, 3)
        elif column.kind is _Kind.TEXT:
            column.min_length, column.max_length, column.avg_length = _take(values, 3)


def _take(values: Iterator[Any], count: int) -> list[Any]:
    return [next(values) for _ in range(count)]


def _fetch_one(con: duckdb.DuckDBPyConnection, sql: str, parameters: Sequence[Any] = ()) -> Any:
    row = con.execute(sql, list(parameters)).fetchone()
    if row is None:  # an aggregate without GROUP BY always returns a row
        raise RuntimeError(f"query returned no row: {sql[:200]}")
    return row


def _frequencies(
    con: duckdb.DuckDBPyConnection,
    source: str,
    columns: list[_Column],
    top_k: int,
    long_batch: int,
) -> None:
    """Pass 2: exact distinct counts and top values (plus frequency-table quantiles)."""
    if long_batch < 2:
        for column in columns:
            _column_frequencies(con, source, column, top_k)
        return
    for batch in _same_type_batches(columns, long_batch):
        _unpivoted_frequencies(con, source, batch, top_k)


def _column_frequencies(
    con: duckdb.DuckDBPyConnection, source: str, column: _Column, top_k: int
) -> None:
    # One GROUP BY, materialized once, gives both the distinct count and the top values; the
    # top-N operator keeps only top_k rows in memory even for 10M distinct values.
    q = column.quoted
    result = con.execute(
        f"""
        WITH frequencies AS MATERIALIZED (
            SELECT {q} AS v, count(*) AS c FROM {source} WHERE {q} IS NOT NULL GROUP BY ALL
        )
        SELECT d.distinct_count, t.rank, t.value, t.c
        FROM (SELECT count(*) AS distinct_count FROM frequencies) AS d
        LEFT JOIN (
            SELECT CAST(v AS VARCHAR) AS value, c,
                   row_number() OVER (ORDER BY c DESC, v) AS rank
            FROM (SELECT v, c FROM frequencies ORDER BY c DESC, v LIMIT {int(top_k)})
        ) AS t ON true
        ORDER BY t.rank
        """
    ).fetchall()
    column.distinct_count = result[0][0]
    column.top = [(rank, value, count) for _, rank, value, count in result if rank is not None]
    if (
        column.kind.numeric
        and column.finite > 0
        and column.distinct_count <= _FREQUENCY_QUANTILE_MAX_DISTINCT
    ):
        values, counts = [], []
        for value, count in con.execute(
            f"SELECT v, count(*) FROM (SELECT {column.finite_value(q)} AS v FROM {source}) "
            "WHERE v IS NOT NULL GROUP BY v ORDER BY v"
        ).fetchall():
            values.append(value)
            counts.append(count)
        column.frequency = (values, counts)
        column.quantiles, column.mad = _frequency_quantiles(values, counts)


def _unpivoted_frequencies(
    con: duckdb.DuckDBPyConnection, source: str, batch: Sequence[_Column], top_k: int
) -> None:
    # UNPIVOT without INCLUDE NULLS drops the NULLs, which top values leave out.
    select, aliases = _unpivot_select(batch, source)
    result = con.execute(
        f"""
        WITH frequencies AS (
            SELECT i, v, count(*) AS c
            FROM ({select}) UNPIVOT (v FOR i IN ({aliases}))
            GROUP BY ALL
        )
        SELECT CAST(i AS INTEGER), count(*) OVER (PARTITION BY i),
               row_number() OVER (PARTITION BY i ORDER BY c DESC, v) AS rank,
               CAST(v AS VARCHAR), c
        FROM frequencies
        QUALIFY rank <= {int(top_k)}
        ORDER BY 1, rank
        """
    ).fetchall()
    for index, distinct_count, rank, value, count in result:
        column = batch[index]
        column.distinct_count = distinct_count
        column.top.append((rank, value, count))


def _frequency_quantiles(
    values: Sequence[float], counts: Sequence[int]
) -> tuple[tuple[float | None, ...], float | None]:
    """``quantile_cont`` at QUANTILES and MAD from sorted distinct values and their counts, with
    DuckDB's definition (position (n-1)·q, linear interpolation between neighbours)."""
    quantiles = tuple(_weighted_quantile(values, counts, q) for q in QUANTILES)
    median = _weighted_quantile(values, counts, 0.5)
    deviations = sorted(
        (abs(value - median), count) for value, count in zip(values, counts, strict=True)
    )
    mad = _weighted_quantile([d for d, _ in deviations], [c for _, c in deviations], 0.5)
    return quantiles, mad


def _weighted_quantile(values: Sequence[float], counts: Sequence[int], q: float) -> float:
    ends = list(itertools.accumulate(counts))
    position = (ends[-1] - 1) * q
    lower_index, upper_index = math.floor(position), math.ceil(position)
    lower = values[bisect.bisect_right(ends, lower_index)]
    upper = values[bisect.bisect_right(ends, upper_index)]
    if lower == upper:
        return lower
    # DuckDB's formula for DOUBLE. Its build may fuse the multiply-add, so the two paths can
    # differ in the last bit; both are exact up to that rounding.
    fraction = position - lower_index
    return lower * (1.0 - fraction) + upper * fraction


def _quantile_expressions(column: _Column, ref: str) -> list[str]:
    value = column.finite_value(ref)
    quantiles = "[" + ", ".join(repr(q) for q in QUANTILES) + "]"
    return [f"quantile_cont({value}, {quantiles})", f"mad({value})"]


def _quantiles(
    con: duckdb.DuckDBPyConnection,
    source: str,
    columns: list[_Column],
    rows: int,
    long_batch: int,
) -> None:
    """Pass 3: quantile_cont and mad for the numeric columns that pass 2 did not cover."""
    for column in columns:
        if column.constant:  # interpolating between equal DOUBLEs can be off by one bit
            column.quantiles, column.mad = (column.low,) * len(QUANTILES), 0.0
    pending = [column for column in columns if column.mad is None]
    wide_batch = max(1, min(_SELECT_BATCH_COLUMNS, _HOLISTIC_CELL_BUDGET // rows))
    for column, (quantiles, mad) in _per_column(
        con, source, pending, _quantile_expressions, long_batch, wide_batch
    ):
        column.quantiles, column.mad = tuple(quantiles), mad


def _histograms_and_moments(
    con: duckdb.DuckDBPyConnection,
    source: str,
    columns: list[_Column],
    buckets: int,
    long_batch: int,
) -> None:
    """Pass 4: equal-width histograms (numeric, temporal) and central moments (numeric).

    Bucket of x: floor((x/2 - low/2) / (width/2)); halves keep the arithmetic finite even when
    high - low exceeds the DOUBLE range, and the maximum (index ``buckets``) goes to the last,
    closed bucket. Moments are those of z = (x - mean) / scale with scale = max |x - mean|:
    |z| <= 1 cannot overflow, and the two-pass form does not cancel catastrophically on large,
    tightly spread values (epoch-like numbers)."""
    scanned: list[_Column] = []
    for column in columns:
        if column.constant:
            column.histogram = [column.finite]
            continue
        assert column.low is not None and column.high is not None
        if column.kind.numeric and column.mean is not None:
            scale = max(column.high - column.mean, column.mean - column.low)
            if math.isfinite(scale) and scale > 0:
                column.moment_scale = scale
        if column.frequency is not None:
            _frequency_histogram(column, buckets)
        else:
            scanned.append(column)
    if long_batch < 2:
        for batch in _batches(scanned, _SELECT_BATCH_COLUMNS):
            _wide_histograms(con, source, batch, buckets)
        return
    for batch in _same_type_batches(scanned, long_batch):
        if len(batch) == 1:
            _wide_histograms(con, source, batch, buckets)
        else:
            _long_histograms(con, source, batch, buckets)


def _frequency_histogram(column: _Column, buckets: int) -> None:
    """Pass 4 from the frequency table of pass 2, with the same arithmetic as the SQL."""
    assert column.frequency is not None
    half_low, half_width = _bucket_parameters(column, buckets)
    histogram = [0] * buckets
    sums = [0.0, 0.0, 0.0, 0.0]
    for value, count in zip(*column.frequency, strict=True):
        histogram[min(math.floor((value * 0.5 - half_low) / half_width), buckets - 1)] += count
        if column.moment_scale is not None:
            assert column.mean is not None
            z = (value - column.mean) / column.moment_scale
            sums[0] += count * z
            sums[1] += count * (z * z)
            sums[2] += count * (z * z * z)
            sums[3] += count * ((z * z) * (z * z))
    column.histogram = histogram
    if column.moment_scale is not None:
        n = column.finite
        column.moments = (sums[0] / n, sums[1] / n, sums[2] / n, sums[3] / n)


def _bucket_parameters(column: _Column, buckets: int) -> tuple[float, float]:
    """(low / 2, bucket width / 2) for the bucket formula of pass 4."""
    assert column.low is not None and column.high is not None
    half_low = column.low / 2
    return half_low, (column.high / 2 - half_low) / buckets


def _bucket_expression(value: str, low: str, width: str) -> str:
    return f"CAST(floor(({value} * 0.5 - {low}) / {width}) AS INTEGER)"


def _capped(bucket: str, buckets: int) -> str:
    # Not least(): DuckDB's least() skips NULLs, so it would put NULLs in the last bucket.
    return f"CASE WHEN {bucket} >= {buckets} THEN {buckets - 1} ELSE {bucket} END"


def _wide_histograms(
    con: duckdb.DuckDBPyConnection, source: str, batch: Sequence[_Column], buckets: int
) -> None:
    inner: list[str] = []
    outer: list[str] = []
    parameters: list[float] = []
    for index, column in enumerate(batch):
        value = column.finite_value(column.quoted)
        inner.append(f"{_bucket_expression(value, '?', '?')} AS b{index}")
        parameters += _bucket_parameters(column, buckets)
        outer.append(f"histogram({_capped(f'b{index}', buckets)})")
        if column.moment_scale is not None:
            assert column.mean is not None
            inner.append(f"({value} - ?) / ? AS z{index}")
            parameters += [column.mean, column.moment_scale]
            z = f"z{index}"
            outer += [
                f"avg({z})",
                f"avg({z}*{z})",
                f"avg({z}*{z}*{z})",
                f"avg(({z}*{z})*({z}*{z}))",
            ]
    values = iter(
        _fetch_one(
            con,
            f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM {source})",
            parameters,
        )
    )
    for column in batch:
        counts = next(values) or {}
        column.histogram = [int(counts.get(bucket, 0)) for bucket in range(buckets)]
        if column.moment_scale is not None:
            first, second, third, fourth = _take(values, 4)
            column.moments = (first, second, third, fourth)


def _long_histograms(
    con: duckdb.DuckDBPyConnection, source: str, batch: Sequence[_Column], buckets: int
) -> None:
    # Same-typed columns, unpivoted and joined to their parameters (bound as lists, so the
    # query's size does not grow with the batch): bucket counts and power sums per (column,
    # bucket). The power sums of a column add up to its moments.
    select, aliases = _unpivot_select(batch, source)
    value = batch[0].finite_value("u.v")
    plans = [_bucket_parameters(column, buckets) for column in batch]
    rows = con.execute(
        f"""
        SELECT k, {_capped("b", buckets)}, count(*), sum(z), sum(z*z), sum(z*z*z), sum((z*z)*(z*z))
        FROM (
            SELECT CAST(u.k AS INTEGER) AS k,
                   {_bucket_expression(value, "p.low", "p.width")} AS b,
                   ({value} - p.mean) / p.scale AS z
            FROM ({select}) UNPIVOT (v FOR k IN ({aliases})) AS u
            JOIN (
                SELECT unnest(?::VARCHAR[]) AS k, unnest(?::DOUBLE[]) AS low,
                       unnest(?::DOUBLE[]) AS width, unnest(?::DOUBLE[]) AS mean,
                       unnest(?::DOUBLE[]) AS scale
            ) AS p ON u.k = p.k
        )
        WHERE b IS NOT NULL
        GROUP BY ALL
        """,
        [
            [str(index) for index in range(len(batch))],
            [low for low, _ in plans],
            [width for _, width in plans],
            [column.mean if column.moment_scale is not None else None for column in batch],
            [column.moment_scale for column in batch],
        ],
    ).fetchall()
    sums: dict[int, list[float]] = {}
    for column in batch:
        column.histogram = [0] * buckets
    for index, bucket, count, *powers in rows:
        column = batch[index]
        assert column.histogram is not None
        column.histogram[bucket] += count
        if column.moment_scale is not None:
            totals = sums.setdefault(index, [0.0, 0.0, 0.0, 0.0])
            for power, total in enumerate(powers):
                totals[power] += total
    for index, totals in sums.items():
        n = batch[index].finite
        batch[index].moments = (totals[0] / n, totals[1] / n, totals[2] / n, totals[3] / n)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _shape(column: _Column) -> tuple[float | None, float | None, float | None]:
    """(stddev, skewness, kurtosis) from the moments of pass 4."""
    n = column.finite
    if column.constant:
        return (0.0 if n >= 2 else None), None, None
    if column.moments is None or column.moment_scale is None or n < 2:
        return None, None, None
    # Raw moments about the pass-1 mean → central moments about the exact mean.
    c, a2, a3, a4 = column.moments
    m2 = a2 - c * c
    m3 = a3 - 3 * c * a2 + 2 * c**3
    m4 = a4 - 4 * c * a3 + 6 * c * c * a2 - 3 * c**4
    if m2 <= 0:
        return 0.0, None, None
    stddev = column.moment_scale * math.sqrt(m2 * n / (n - 1))
    skewness = None
    if n >= 3:
        skewness = math.sqrt(n * (n - 1)) / (n - 2) * m3 / m2**1.5
    kurtosis = None
    if n >= 4:
        excess = m4 / (m2 * m2) - 3
        kurtosis = (n - 1) * ((n + 1) * excess + 6) / ((n - 2) * (n - 3))
    return _finite(stddev), _finite(skewness), _finite(kurtosis)


def _column_profile(table: str, column: _Column, rows: int) -> ColumnProfile:
    numeric = column.kind.numeric
    nulls = rows - column.non_null
    stddev, skewness, kurtosis = _shape(column) if numeric else (None, None, None)
    mean = _finite(column.mean) if numeric else None
    median = column.quantiles[QUANTILES.index(0.5)]
    cv = stddev / abs(mean) if stddev is not None and mean else None
    robust_cv = (
        MAD_NORMAL_SCALE * column.mad / abs(median) if column.mad is not None and median else None
    )
    return ColumnProfile(
        table_name=table,
        column_name=column.name,
        position=column.position,
        data_type=column.data_type,
        semantic_type=column.semantic_type,
        rows=rows,
        nulls=nulls,
        null_ratio=nulls / rows if rows else 0.0,
        quarantined=column.quarantined,
        distinct_count=column.distinct_count,
        cardinality_ratio=column.distinct_count / column.non_null if column.non_null else None,
        is_unique=rows > 0 and nulls == 0 and column.distinct_count == rows,
        min_value=column.min_value,
        max_value=column.max_value,
        mean=mean,
        stddev=stddev,
        skewness=skewness,
        kurtosis=kurtosis,
        p01=_finite(column.quantiles[0]),
        p25=_finite(column.quantiles[1]),
        p50=_finite(column.quantiles[2]),
        p75=_finite(column.quantiles[3]),
        p99=_finite(column.quantiles[4]),
        cv=_finite(cv),
        mad=_finite(column.mad),
        robust_cv=_finite(robust_cv),
        zeros=column.zeros,
        negatives=column.negatives,
        min_length=column.min_length,
        max_length=column.max_length,
        avg_length=column.avg_length,
    )


def _top_values(table: str, column: _Column, rows: int) -> list[TopValue]:
    return [
        TopValue(
            table_name=table,
            column_name=column.name,
            rank=rank,
            value=value,
            count=count,
            share=count / rows,
        )
        for rank, value, count in column.top
    ]


def _histogram_rows(table: str, column: _Column, options: ProfileOptions) -> list[HistogramBucket]:
    if column.histogram is None or column.low is None or column.high is None:
        return []
    low, high = column.low, column.high
    if column.constant:
        edges = [low, high]
    else:
        # The same halved arithmetic as the SQL that assigned the buckets (see pass 4).
        buckets = options.histogram_buckets
        half_width = (high / 2 - low / 2) / buckets
        edges = [(low / 2 + half_width * index) * 2 for index in range(buckets)] + [high]
    width = edges[1] - edges[0]
    labels = [_label(column, edge, width) for edge in edges]
    return [
        HistogramBucket(
            table_name=table,
            column_name=column.name,
            bucket=index,
            lower=edges[index],
            upper=edges[index + 1],
            lower_label=labels[index],
            upper_label=labels[index + 1],
            count=count,
        )
        for index, count in enumerate(column.histogram)
    ]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECONDS_PER_DAY = 86_400


def _label(column: _Column, edge: float, width: float) -> str:
    """A readable bucket bound: a date or timestamp for temporal columns, else a number rounded
    to a few digits below the bucket width (the exact bound is in lower/upper)."""
    if column.kind is _Kind.TEMPORAL:
        try:
            moment = _EPOCH + timedelta(seconds=edge)
        except OverflowError:  # beyond year 9999: DuckDB allows it, Python's datetime does not
            return _number_label(edge, width)
        if column.data_type == "DATE" and edge % _SECONDS_PER_DAY == 0:
            return moment.date().isoformat()
        timespec = "seconds" if width >= 1 else "microseconds"
        text = moment.isoformat(sep=" ", timespec=timespec)
        return text if column.data_type == "TIMESTAMP WITH TIME ZONE" else text[: -len("+00:00")]
    if edge == int(edge) and abs(edge) < 2**53:
        return str(int(edge))
    return _number_label(edge, width)


def _number_label(edge: float, width: float) -> str:
    if width < 1e-8 or abs(edge) >= 1e15:
        return f"{edge:.6g}"
    # Two significant digits of the bucket width: enough to tell neighbouring bounds apart.
    decimals = max(2 - math.floor(math.log10(width)), 0)
    text = f"{edge:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


_COLUMN_PROFILES_DDL = {
    "table_name": "VARCHAR",
    "column_name": "VARCHAR",
    "position": "INTEGER",
    "data_type": "VARCHAR",
    "semantic_type": "VARCHAR",
    "rows": "BIGINT",
    "nulls": "BIGINT",
    "null_ratio": "DOUBLE",
    "quarantined": "BIGINT",
    "distinct_count": "BIGINT",
    "cardinality_ratio": "DOUBLE",
    "is_unique": "BOOLEAN",
    "min_value": "VARCHAR",
    "max_value": "VARCHAR",
    **dict.fromkeys(
        ["mean", "stddev", "skewness", "kurtosis", "p01", "p25", "p50", "p75", "p99"], "DOUBLE"
    ),
    **dict.fromkeys(["cv", "mad", "robust_cv"], "DOUBLE"),
    **dict.fromkeys(["zeros", "negatives", "min_length", "max_length"], "BIGINT"),
    "avg_length": "DOUBLE",
}
_TOP_VALUES_DDL = {
    "table_name": "VARCHAR",
    "column_name": "VARCHAR",
    "rank": "INTEGER",
    "value": "VARCHAR",
    "count": "BIGINT",
    "share": "DOUBLE",
}
_HISTOGRAMS_DDL = {
    "table_name": "VARCHAR",
    "column_name": "VARCHAR",
    "bucket": "INTEGER",
    "lower": "DOUBLE",
    "upper": "DOUBLE",
    "lower_label": "VARCHAR",
    "upper_label": "VARCHAR",
    "count": "BIGINT",
}


def _write_outputs(con: duckdb.DuckDBPyConnection, result: ProfilesResult) -> None:
    """(Re)create the three tables; the caller makes the file replacement atomic."""
    write_records(con, "column_profiles", _COLUMN_PROFILES_DDL, result.profiles)
    write_records(con, "top_values", _TOP_VALUES_DDL, result.top_values)
    write_records(con, "histograms", _HISTOGRAMS_DDL, result.histograms)


_FLOAT_PROFILE_COLUMNS = (
    "mean",
    "stddev",
    "skewness",
    "kurtosis",
    "p01",
    "p25",
    "p50",
    "p75",
    "p99",
    "cv",
    "mad",
    "robust_cv",
    "avg_length",
)


def _no_infinities(series: pd.Series) -> pd.Series:
    return ~series.isin([math.inf, -math.inf])


def output_schemas(
    options: ProfileOptions = ProfileOptions(),  # frozen, so a safe default
) -> dict[str, type[pa.DataFrameModel]]:
    """Strict pandera models of the three output tables as read back with
    ``con.sql('SELECT * FROM <table>').df()``, for the given options' top_k and bucket count.

    ``coerce`` is on because DuckDB's pandas conversion picks dtypes from the data (``Int64`` for
    a BIGINT column with NULLs, ``int64`` without, ``object`` for an all-NULL VARCHAR column);
    a value that does not convert still fails.
    """
    top_k = options.top_k
    last_bucket = options.histogram_buckets - 1

    class ColumnProfilesSchema(pa.DataFrameModel):
        table_name: Series[str]
        column_name: Series[str]
        position: Series[int] = pa.Field(ge=1)
        data_type: Series[str]
        semantic_type: Series[str] = pa.Field(nullable=True)
        rows: Series[int] = pa.Field(ge=0)
        nulls: Series[int] = pa.Field(ge=0)
        null_ratio: Series[float] = pa.Field(in_range={"min_value": 0, "max_value": 1})
        quarantined: Series[int] = pa.Field(ge=0)
        distinct_count: Series[int] = pa.Field(ge=0)
        cardinality_ratio: Series[float] = pa.Field(
            nullable=True, in_range={"min_value": 0, "max_value": 1}
        )
        is_unique: Series[bool]
        min_value: Series[str] = pa.Field(nullable=True)
        max_value: Series[str] = pa.Field(nullable=True)
        mean: Series[float] = pa.Field(nullable=True)
        stddev: Series[float] = pa.Field(nullable=True, ge=0)
        skewness: Series[float] = pa.Field(nullable=True)
        kurtosis: Series[float] = pa.Field(nullable=True)  # G2 reaches -6 at n = 4
        p01: Series[float] = pa.Field(nullable=True)
        p25: Series[float] = pa.Field(nullable=True)
        p50: Series[float] = pa.Field(nullable=True)
        p75: Series[float] = pa.Field(nullable=True)
        p99: Series[float] = pa.Field(nullable=True)
        cv: Series[float] = pa.Field(nullable=True, ge=0)
        mad: Series[float] = pa.Field(nullable=True, ge=0)
        robust_cv: Series[float] = pa.Field(nullable=True, ge=0)
        zeros: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
        negatives: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
        min_length: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
        max_length: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
        avg_length: Series[float] = pa.Field(nullable=True, ge=0)

        class Config(pa.DataFrameModel.Config):
            strict = True
            ordered = True
            coerce = True
            unique = ["table_name", "column_name"]  # noqa: RUF012 - pandera reads it as is

        @pa.check(*_FLOAT_PROFILE_COLUMNS, name="finite")
        @classmethod
        def finite(cls, series: pd.Series) -> pd.Series:
            return _no_infinities(series)

        @pa.dataframe_check
        @classmethod
        def counts_are_consistent(cls, frame: pd.DataFrame) -> pd.Series:
            non_null = frame["rows"] - frame["nulls"]
            return pd.Series(
                (frame["nulls"] <= frame["rows"])
                & (frame["distinct_count"] <= non_null)
                & (frame["zeros"].fillna(0) + frame["negatives"].fillna(0) <= non_null)
                & (frame["min_length"].fillna(0) <= frame["max_length"].fillna(0))
            )

        @pa.dataframe_check
        @classmethod
        def quantiles_are_ordered(cls, frame: pd.DataFrame) -> pd.Series:
            ordered = pd.Series(True, index=frame.index)
            names = ["p01", "p25", "p50", "p75", "p99"]
            for lower, upper in itertools.pairwise(names):
                # Interpolation between equal neighbours may round one bit either way.
                slack = (frame[lower].abs() + frame[upper].abs()) * 1e-12
                ordered &= (frame[lower] <= frame[upper] + slack) | frame[lower].isna()
            return ordered

    class TopValuesSchema(pa.DataFrameModel):
        table_name: Series[str]
        column_name: Series[str]
        rank: Series[int] = pa.Field(in_range={"min_value": 1, "max_value": top_k})
        value: Series[str]
        count: Series[int] = pa.Field(ge=1)
        share: Series[float] = pa.Field(gt=0, le=1)

        class Config(pa.DataFrameModel.Config):
            strict = True
            ordered = True
            coerce = True
            unique = ["table_name", "column_name", "rank"]  # noqa: RUF012 - pandera reads it

    class HistogramsSchema(pa.DataFrameModel):
        table_name: Series[str]
        column_name: Series[str]
        bucket: Series[int] = pa.Field(in_range={"min_value": 0, "max_value": last_bucket})
        lower: Series[float]
        upper: Series[float]
        lower_label: Series[str]
        upper_label: Series[str]
        count: Series[int] = pa.Field(ge=0)

        class Config(pa.DataFrameModel.Config):
            strict = True
            ordered = True
            coerce = True
            unique = ["table_name", "column_name", "bucket"]  # noqa: RUF012 - pandera reads it

        @pa.check("lower", "upper", name="finite")
        @classmethod
        def finite(cls, series: pd.Series) -> pd.Series:
            return _no_infinities(series)

        @pa.dataframe_check
        @classmethod
        def bounds_are_ordered(cls, frame: pd.DataFrame) -> pd.Series:
            return pd.Series(frame["lower"] <= frame["upper"])

    return {
        "column_profiles": ColumnProfilesSchema,
        "top_values": TopValuesSchema,
        "histograms": HistogramsSchema,
    }


OUTPUT_SCHEMAS: dict[str, type[pa.DataFrameModel]] = output_schemas()
