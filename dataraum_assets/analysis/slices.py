"""Slicing dimensions, per-slice profiles and drift between consecutive periods.

Reads ``"<typed>".typed."<table>"`` and ``type_decisions``, ``"<profiles>".main.column_profiles``,
``"<temporal>".main.temporal_columns`` (time columns, their granularity and the run date) and,
when attached, ``"<semantic>".main.column_annotations`` / ``table_annotations`` (roles, measures
and the table's time column). Writes ``slice_dimensions``, ``slice_profiles``,
``slice_measures`` and ``slice_drift`` (``docs/data-plane.md``). Everything is exact
``GROUP BY``s over the full table.

Definitions (thresholds are fields of :class:`SliceOptions`):

- **Candidates**: text and boolean columns, and columns annotated role = 'dimension'. Each is
  accepted or rejected by the first rule it fails, in this order: not a key or identifier
  (annotated key/foreign_key/identifier, a key-like name, a uuid/email/url, or every non-null
  value distinct); ``min_values``..``max_values`` distinct non-null values; at least
  ``min_rows_per_value`` rows per value on average (names, titles); null ratio ≤
  ``max_null_ratio``; balanced: normalized entropy H/ln(k) ≥ ``min_balance`` (1 = all k values
  equally frequent; a column where one value holds nearly everything is not worth slicing by).
  Accepted columns are ranked by entropy in bits (information: how much a slice tells) and the
  first ``max_dimensions`` per table are kept.
- **Slice profile**: per value of a kept dimension (NULL is a slice of its own): rows, share
  of the table, null cells over the table's other columns; per measure (as temporal_profiles
  chooses them): non-null count, sum and mean.
- **Drift** needs a time column: the table annotation's time column, else the table's temporal
  column with the most in-range values. The drift period is the finest level, not finer than
  its granularity, whose periods hold a median of at least ``drift_min_rows`` rows (daily
  invoices drift per month, not per day). Values after the run date are left out. Between each
  period and the one before it (both with rows):

  - ``js_divergence`` (slice_value NULL): Jensen-Shannon divergence, base 2 (0 = same mix,
    1 = disjoint), of the dimension's value mix. Flagged when it is at least the threshold
    max(``js_threshold``, ``noise_factor`` × (k − 1)·(1/n₁ + 1/n₂) / (8·ln 2)); the second
    term is ``noise_factor`` times the divergence sampling alone produces between two samples
    of sizes n₁, n₂ of the same k-value mix (a second-order expansion of JSD), so that small
    periods of a many-valued dimension are not flagged for noise.
  - ``relative_mean_shift`` per slice value and measure: (mean₂ − mean₁) / |mean₁|, when both
    periods hold at least ``min_slice_rows`` values of the measure in the slice and mean₁ ≠ 0.
    Flagged when |shift| ≥ ``mean_shift_threshold`` and the difference is at least
    ``noise_factor`` standard errors (``z`` = (mean₂ − mean₁)/√(s₁²/n₁ + s₂²/n₂)).
"""

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from dataraum_assets.analysis.column_kinds import KEY_NAME
from dataraum_assets.analysis.output_tables import write_records
from dataraum_assets.analysis.temporal_profiles import (
    LEVELS,
    period_index_sql,
    period_start,
    select_measures,
)
from dataraum_assets.analysis.typed_tables import typed_columns
from dataraum_assets.identifiers import quote_identifier

STATUSES = ("accepted", "rejected")
METRICS = ("js_divergence", "relative_mean_shift")
_IDENTIFIER_SEMANTIC = frozenset({"uuid", "email", "url"})
_KEY_ROLES = frozenset({"key", "foreign_key", "identifier"})


@dataclass(frozen=True)
class SliceOptions:
    """Thresholds of the slicing (module docstring for the definitions)."""

    min_values: int = 2
    max_values: int = 50
    max_null_ratio: float = 0.05
    # Normalized entropy: 0.5 rejects e.g. a 2-value column split 89/11 or a 5-value column
    # with one value at ~80%.
    min_balance: float = 0.5
    # Slices averaging fewer rows per value are too fine to profile (first names, titles).
    min_rows_per_value: float = 5.0
    max_dimensions: int = 3
    drift_min_rows: int = 30
    js_threshold: float = 0.1
    mean_shift_threshold: float = 0.5
    min_slice_rows: int = 10
    noise_factor: float = 3.0
    max_measures: int = 5

    def __post_init__(self) -> None:
        if not 2 <= self.min_values <= self.max_values:
            raise ValueError(
                f"need 2 <= min_values <= max_values, got {self.min_values}, {self.max_values}"
            )
        if not 0 <= self.max_null_ratio <= 1:
            raise ValueError(f"max_null_ratio must be in [0, 1], got {self.max_null_ratio}")
        if not 0 <= self.min_balance <= 1:
            raise ValueError(f"min_balance must be in [0, 1], got {self.min_balance}")


@dataclass(frozen=True)
class SliceDimension:
    """One row of ``slice_dimensions``: an evaluated candidate."""

    table_name: str
    column_name: str
    status: str
    reason: str
    rank: int | None
    distinct_count: int
    null_ratio: float
    entropy_bits: float | None
    normalized_entropy: float | None


@dataclass(frozen=True)
class SliceProfile:
    """One row of ``slice_profiles``."""

    table_name: str
    slice_column: str
    slice_value: str | None
    rows: int
    row_share: float
    null_cells: int
    null_ratio: float


@dataclass(frozen=True)
class SliceMeasure:
    """One row of ``slice_measures``."""

    table_name: str
    slice_column: str
    slice_value: str | None
    measure: str
    non_null: int
    sum: float | None
    mean: float | None


@dataclass(frozen=True)
class SliceDrift:
    """One row of ``slice_drift`` (``period`` as ISO text; stored as TIMESTAMP)."""

    table_name: str
    slice_column: str
    slice_value: str | None
    time_column: str
    period_level: str
    period: str
    metric: str
    measure: str | None
    value: float
    threshold: float
    z: float | None
    drifted: bool
    n_previous: int
    n_current: int


@dataclass(frozen=True)
class SliceResult:
    dimensions: tuple[SliceDimension, ...] = ()
    profiles: tuple[SliceProfile, ...] = ()
    measures: tuple[SliceMeasure, ...] = ()
    drift: tuple[SliceDrift, ...] = ()


def js_divergence(first: Sequence[float], second: Sequence[float]) -> float:
    """Jensen-Shannon divergence (base 2) of two count or probability vectors."""
    total_first, total_second = sum(first), sum(second)
    if total_first <= 0 or total_second <= 0:
        raise ValueError("both distributions need a positive total")
    p = [v / total_first for v in first]
    q = [v / total_second for v in second]
    divergence = 0.0
    for a, b in zip(p, q, strict=True):
        m = (a + b) / 2
        if a > 0:
            divergence += 0.5 * a * math.log2(a / m)
        if b > 0:
            divergence += 0.5 * b * math.log2(b / m)
    return max(0.0, divergence)


def js_noise_threshold(
    categories: int, n_first: int, n_second: int, options: SliceOptions
) -> float:
    """The JS divergence above which a change in mix is flagged (module docstring)."""
    noise = (categories - 1) * (1 / n_first + 1 / n_second) / (8 * math.log(2))
    return max(options.js_threshold, options.noise_factor * noise)


def entropy(counts: Sequence[int]) -> tuple[float, float]:
    """(entropy in bits, normalized entropy H/ln k) of value counts; k = len(counts) ≥ 2."""
    total = sum(counts)
    bits = -sum(c / total * math.log2(c / total) for c in counts if c)
    normalized = bits / math.log2(len(counts)) if len(counts) > 1 else 0.0
    return bits, normalized


def build_slices(
    con: duckdb.DuckDBPyConnection,
    options: SliceOptions = SliceOptions(),  # frozen, so a safe default
    progress: Callable[[str], None] | None = None,
    typed_database: str = "typed_tables",
    profiles_database: str = "statistical_profiles",
    temporal_database: str = "temporal_profiles",
    semantic_database: str | None = None,
) -> SliceResult:
    """Choose slicing dimensions, profile the slices and measure drift; write the four
    tables (always created). Returns what was written."""
    typed = quote_identifier(typed_database)
    roles, time_columns = _annotations(con, semantic_database)
    decisions = dict(
        ((table, column), semantic)
        for table, column, semantic in con.execute(
            f"SELECT table_name, column_name, semantic_type FROM {typed}.main.type_decisions"
        ).fetchall()
    )
    profiles = {
        (row[0], row[1]): (int(row[2]), int(row[3]), float(row[4]), bool(row[5]))
        for row in con.execute(
            "SELECT table_name, column_name, rows, distinct_count, null_ratio, is_unique "
            f"FROM {quote_identifier(profiles_database)}.main.column_profiles"
        ).fetchall()
    }
    temporal = _temporal_columns(con, quote_identifier(temporal_database))
    measures = select_measures(
        con, typed_database, profiles_database, semantic_database, options.max_measures
    )
    dimensions: list[SliceDimension] = []
    slice_profiles: list[SliceProfile] = []
    slice_measures: list[SliceMeasure] = []
    drift: list[SliceDrift] = []
    tables = typed_columns(con, typed_database)
    for number, (table, columns) in enumerate(tables.items(), start=1):
        source = f"{typed}.typed.{quote_identifier(table)}"
        table_measures = measures.get(table, ([], "inferred"))[0]
        evaluated = [
            _evaluate(con, source, table, column, data_type, decisions, profiles, roles, options)
            for column, data_type in columns
            if data_type in ("VARCHAR", "BOOLEAN") or roles.get((table, column)) == "dimension"
        ]
        evaluated = _rank(evaluated, options)
        dimensions.extend(evaluated)
        kept = [d.column_name for d in evaluated if d.status == "accepted"]
        all_columns = [column for column, _ in columns]
        time = _time_column(table, temporal, time_columns)
        for dimension in kept:
            profile_rows, measure_rows = _profile(
                con, source, table, dimension, all_columns, table_measures
            )
            slice_profiles.extend(profile_rows)
            slice_measures.extend(measure_rows)
            if time is not None:
                drift.extend(_drift(con, source, table, dimension, time, table_measures, options))
        if progress is not None:
            progress(f"table {number}/{len(tables)} {table}: {len(kept)} slicing dimensions")
    result = SliceResult(
        tuple(dimensions), tuple(slice_profiles), tuple(slice_measures), tuple(drift)
    )
    _write_outputs(con, result)
    return result


def _annotations(
    con: duckdb.DuckDBPyConnection, database: str | None
) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    if database is None:
        return {}, {}
    tables = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
            "AND schema_name = 'main'",
            [database],
        ).fetchall()
    }
    quoted = quote_identifier(database)
    roles: dict[tuple[str, str], str] = {}
    if "column_annotations" in tables:
        roles = {
            (table, column): role
            for table, column, role in con.execute(
                f"SELECT table_name, column_name, role FROM {quoted}.main.column_annotations"
            ).fetchall()
        }
    times: dict[str, str] = {}
    if "table_annotations" in tables:
        times = {
            table: column
            for table, column in con.execute(
                f"SELECT table_name, time_column FROM {quoted}.main.table_annotations "
                "WHERE time_column IS NOT NULL"
            ).fetchall()
        }
    return roles, times


@dataclass(frozen=True)
class _TimeColumn:
    column: str
    granularity: str
    run_date: dt.date


def _temporal_columns(
    con: duckdb.DuckDBPyConnection, temporal: str
) -> dict[str, list[_TimeColumn]]:
    """Table → its temporal columns with a granularity, most in-range values first."""
    rows = con.execute(
        "SELECT table_name, column_name, granularity, run_date FROM "
        f"{temporal}.main.temporal_columns WHERE granularity IS NOT NULL "
        "ORDER BY table_name, non_null - future_values DESC, future_values, column_name"
    ).fetchall()
    by_table: dict[str, list[_TimeColumn]] = {}
    for table, column, granularity, run_date in rows:
        by_table.setdefault(table, []).append(_TimeColumn(column, granularity, run_date))
    return by_table


def _time_column(
    table: str, temporal: dict[str, list[_TimeColumn]], annotated: dict[str, str]
) -> _TimeColumn | None:
    candidates = temporal.get(table, [])
    for candidate in candidates:
        if annotated.get(table) == candidate.column:
            return candidate
    return candidates[0] if candidates else None


def _evaluate(
    con: duckdb.DuckDBPyConnection,
    source: str,
    table: str,
    column: str,
    data_type: str,
    decisions: dict[tuple[str, str], str | None],
    profiles: dict[tuple[str, str], tuple[int, int, float, bool]],
    roles: dict[tuple[str, str], str],
    options: SliceOptions,
) -> SliceDimension:
    quoted = quote_identifier(column)
    counts = [
        count
        for (count,) in con.execute(
            f"SELECT count(*) FROM {source} WHERE {quoted} IS NOT NULL GROUP BY {quoted} "
            "ORDER BY count(*) DESC"
        ).fetchall()
    ]
    [(rows, nulls)] = con.execute(
        f"SELECT count(*), count(*) - count({quoted}) FROM {source}"
    ).fetchall()
    distinct = len(counts)
    null_ratio = nulls / rows if rows else 0.0
    bits, normalized = entropy(counts) if distinct >= 2 else (None, None)

    def verdict(status: str, reason: str) -> SliceDimension:
        return SliceDimension(
            table, column, status, reason, None, distinct, null_ratio, bits, normalized
        )

    role = roles.get((table, column))
    semantic = decisions.get((table, column))
    profile = profiles.get((table, column))
    if role in _KEY_ROLES:
        return verdict("rejected", f"key or identifier: annotated role {role}")
    if KEY_NAME.match(column):
        return verdict("rejected", "key or identifier: key-like column name")
    if semantic in _IDENTIFIER_SEMANTIC:
        return verdict("rejected", f"key or identifier: {semantic} values")
    if distinct >= 2 and distinct == rows - nulls and (profile is None or profile[3]):
        return verdict("rejected", "key or identifier: every non-null value is distinct")
    if not options.min_values <= distinct <= options.max_values:
        return verdict(
            "rejected",
            f"{distinct} distinct values, need {options.min_values}..{options.max_values}",
        )
    if (rows - nulls) / distinct < options.min_rows_per_value:
        return verdict(
            "rejected",
            f"too fine: {(rows - nulls) / distinct:.1f} rows per value on average, need "
            f"{options.min_rows_per_value:g}",
        )
    if null_ratio > options.max_null_ratio:
        return verdict(
            "rejected", f"null ratio {null_ratio:.1%} above {options.max_null_ratio:.0%}"
        )
    assert normalized is not None and bits is not None
    if normalized < options.min_balance:
        return verdict(
            "rejected",
            f"unbalanced: normalized entropy {normalized:.2f} below {options.min_balance:g} "
            f"(top value holds {counts[0] / (rows - nulls):.0%})",
        )
    return verdict(
        "accepted",
        f"{distinct} values, null ratio {null_ratio:.1%}, normalized entropy {normalized:.2f}, "
        f"{bits:.2f} bits",
    )


def _rank(evaluated: list[SliceDimension], options: SliceOptions) -> list[SliceDimension]:
    accepted = sorted(
        (d for d in evaluated if d.status == "accepted"),
        key=lambda d: (-(d.entropy_bits or 0.0), d.column_name),
    )
    ranks = {d.column_name: rank for rank, d in enumerate(accepted, start=1)}
    ranked: list[SliceDimension] = []
    for dimension in evaluated:
        rank = ranks.get(dimension.column_name)
        if rank is None:
            ranked.append(dimension)
        elif rank > options.max_dimensions:
            ranked.append(
                SliceDimension(
                    **{
                        **dimension.__dict__,
                        "status": "rejected",
                        "rank": rank,
                        "reason": f"passes every rule but ranks {rank} by entropy; the top "
                        f"{options.max_dimensions} are kept ({dimension.reason})",
                    }
                )
            )
        else:
            ranked.append(SliceDimension(**{**dimension.__dict__, "rank": rank}))
    return ranked


def _profile(
    con: duckdb.DuckDBPyConnection,
    source: str,
    table: str,
    dimension: str,
    columns: Sequence[str],
    measures: Sequence[str],
) -> tuple[list[SliceProfile], list[SliceMeasure]]:
    key = quote_identifier(dimension)
    others = [c for c in columns if c != dimension]
    null_cells = " + ".join(f"count(*) - count({quote_identifier(c)})" for c in others) or "0"
    measure_sql = "".join(
        f", count({quote_identifier(m)}), sum(CAST({quote_identifier(m)} AS DOUBLE)), "
        f"avg(CAST({quote_identifier(m)} AS DOUBLE))"
        for m in measures
    )
    rows = con.execute(
        f"SELECT CAST({key} AS VARCHAR) AS v, count(*), {null_cells}{measure_sql} "
        f"FROM {source} GROUP BY v ORDER BY count(*) DESC, v NULLS LAST"
    ).fetchall()
    total = sum(row[1] for row in rows)
    profiles = [
        SliceProfile(
            table,
            dimension,
            row[0],
            row[1],
            row[1] / total,
            int(row[2]),
            int(row[2]) / (row[1] * len(others)) if others else 0.0,
        )
        for row in rows
    ]
    slice_measures = [
        SliceMeasure(table, dimension, row[0], measure, *row[3 + 3 * i : 6 + 3 * i])
        for row in rows
        for i, measure in enumerate(measures)
    ]
    return profiles, slice_measures


def _drift_level(
    con: duckdb.DuckDBPyConnection,
    in_range: str,
    cutoff: dt.datetime,
    granularity: str,
    minimum: int,
) -> str | None:
    for level in LEVELS[LEVELS.index(granularity) :]:
        [(median,)] = con.execute(
            f"SELECT median(n) FROM (SELECT count(*) AS n FROM ({in_range}) "
            f"GROUP BY {period_index_sql(level, 't')})",
            [cutoff],
        ).fetchall()
        if median is not None and median >= minimum:
            return level
    return None


def _drift(
    con: duckdb.DuckDBPyConnection,
    source: str,
    table: str,
    dimension: str,
    time: _TimeColumn,
    measures: Sequence[str],
    options: SliceOptions,
) -> list[SliceDrift]:
    cutoff = dt.datetime.combine(time.run_date + dt.timedelta(days=1), dt.time())
    stamp = f"CAST({quote_identifier(time.column)} AS TIMESTAMP)"
    measure_columns = "".join(f", {quote_identifier(m)}" for m in measures)
    in_range = (
        f"SELECT {stamp} AS t, CAST({quote_identifier(dimension)} AS VARCHAR) AS v"
        f"{measure_columns} FROM {source} WHERE {stamp} IS NOT NULL AND {stamp} < ?"
    )
    level = _drift_level(con, in_range, cutoff, time.granularity, options.drift_min_rows)
    if level is None:
        return []
    index = period_index_sql(level, "t")
    mix: dict[int, dict[str | None, int]] = {}
    for period, value, count in con.execute(
        f"SELECT {index} AS p, v, count(*) FROM ({in_range}) GROUP BY p, v", [cutoff]
    ).fetchall():
        mix.setdefault(period, {})[value] = count
    drift: list[SliceDrift] = []
    categories = sorted(
        {v for counts in mix.values() for v in counts}, key=lambda v: (v is None, v)
    )

    def row(**values: object) -> SliceDrift:
        return SliceDrift(
            table_name=table,
            slice_column=dimension,
            time_column=time.column,
            period_level=level,
            **values,  # type: ignore[arg-type]
        )

    for period in sorted(mix):
        previous = mix.get(period - 1)
        if previous is None:
            continue
        current = mix[period]
        n_previous, n_current = sum(previous.values()), sum(current.values())
        value = js_divergence(
            [previous.get(c, 0) for c in categories], [current.get(c, 0) for c in categories]
        )
        present = sum(1 for c in categories if previous.get(c) or current.get(c))
        threshold = js_noise_threshold(present, n_previous, n_current, options)
        drift.append(
            row(
                slice_value=None,
                period=period_start(level, period).isoformat(sep=" "),
                metric="js_divergence",
                measure=None,
                value=value,
                threshold=threshold,
                z=None,
                drifted=value >= threshold,
                n_previous=n_previous,
                n_current=n_current,
            )
        )
    for measure in measures:
        quoted = quote_identifier(measure)
        stats = {
            (period, value): (count, mean, variance)
            for period, value, count, mean, variance in con.execute(
                f"SELECT {index} AS p, v, count({quoted}), avg(CAST({quoted} AS DOUBLE)), "
                f"var_samp(CAST({quoted} AS DOUBLE)) FROM ({in_range}) GROUP BY p, v",
                [cutoff],
            ).fetchall()
        }
        for (period, value), (n_current, mean, variance) in sorted(
            stats.items(), key=lambda item: (item[0][1] is None, item[0][1] or "", item[0][0])
        ):
            before = stats.get((period - 1, value))
            if before is None:
                continue
            n_previous, mean_previous, variance_previous = before
            if min(n_previous, n_current) < options.min_slice_rows or not mean_previous:
                continue
            shift = (mean - mean_previous) / abs(mean_previous)
            error = math.sqrt(
                (variance or 0.0) / n_current + (variance_previous or 0.0) / n_previous
            )
            z = (mean - mean_previous) / error if error > 0 else None
            significant = (z is None and mean != mean_previous) or (
                z is not None and abs(z) >= options.noise_factor
            )
            drift.append(
                row(
                    slice_value=value,
                    period=period_start(level, period).isoformat(sep=" "),
                    metric="relative_mean_shift",
                    measure=measure,
                    value=shift,
                    threshold=options.mean_shift_threshold,
                    z=z,
                    drifted=abs(shift) >= options.mean_shift_threshold and significant,
                    n_previous=n_previous,
                    n_current=n_current,
                )
            )
    return drift


_DIMENSIONS_DDL = {
    "table_name": "VARCHAR",
    "column_name": "VARCHAR",
    "status": "VARCHAR",
    "reason": "VARCHAR",
    "rank": "BIGINT",
    "distinct_count": "BIGINT",
    "null_ratio": "DOUBLE",
    "entropy_bits": "DOUBLE",
    "normalized_entropy": "DOUBLE",
}
_PROFILES_DDL = {
    "table_name": "VARCHAR",
    "slice_column": "VARCHAR",
    "slice_value": "VARCHAR",
    "rows": "BIGINT",
    "row_share": "DOUBLE",
    "null_cells": "BIGINT",
    "null_ratio": "DOUBLE",
}
_MEASURES_DDL = {
    "table_name": "VARCHAR",
    "slice_column": "VARCHAR",
    "slice_value": "VARCHAR",
    "measure": "VARCHAR",
    "non_null": "BIGINT",
    "sum": "DOUBLE",
    "mean": "DOUBLE",
}
_DRIFT_DDL = {
    "table_name": "VARCHAR",
    "slice_column": "VARCHAR",
    "slice_value": "VARCHAR",
    "time_column": "VARCHAR",
    "period_level": "VARCHAR",
    "period": "VARCHAR",
    "metric": "VARCHAR",
    "measure": "VARCHAR",
    "value": "DOUBLE",
    "threshold": "DOUBLE",
    "z": "DOUBLE",
    "drifted": "BOOLEAN",
    "n_previous": "BIGINT",
    "n_current": "BIGINT",
}


def _write_outputs(con: duckdb.DuckDBPyConnection, result: SliceResult) -> None:
    """(Re)create the four tables; the caller makes the file replacement atomic."""
    write_records(con, "slice_dimensions", _DIMENSIONS_DDL, result.dimensions)
    write_records(con, "slice_profiles", _PROFILES_DDL, result.profiles)
    write_records(con, "slice_measures", _MEASURES_DDL, result.measures)
    write_records(con, "slice_drift", _DRIFT_DDL, result.drift)
    con.execute(
        "ALTER TABLE slice_drift ALTER period TYPE TIMESTAMP USING CAST(period AS TIMESTAMP)"
    )


class SliceDimensionsSchema(pa.DataFrameModel):
    table_name: Series[str]
    column_name: Series[str]
    status: Series[str] = pa.Field(isin=list(STATUSES))
    reason: Series[str]
    rank: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1)
    distinct_count: Series[int] = pa.Field(ge=0)
    null_ratio: Series[float] = pa.Field(in_range={"min_value": 0, "max_value": 1})
    entropy_bits: Series[float] = pa.Field(nullable=True, ge=0)
    normalized_entropy: Series[float] = pa.Field(
        nullable=True, in_range={"min_value": 0, "max_value": 1.000001}
    )

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True
        unique = ["table_name", "column_name"]  # noqa: RUF012 - pandera reads it as is


class SliceProfilesSchema(pa.DataFrameModel):
    table_name: Series[str]
    slice_column: Series[str]
    slice_value: Series[str] = pa.Field(nullable=True)
    rows: Series[int] = pa.Field(ge=1)
    row_share: Series[float] = pa.Field(in_range={"min_value": 0, "max_value": 1})
    null_cells: Series[int] = pa.Field(ge=0)
    null_ratio: Series[float] = pa.Field(in_range={"min_value": 0, "max_value": 1})

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True


class SliceMeasuresSchema(pa.DataFrameModel):
    table_name: Series[str]
    slice_column: Series[str]
    slice_value: Series[str] = pa.Field(nullable=True)
    measure: Series[str]
    non_null: Series[int] = pa.Field(ge=0)
    sum: Series[float] = pa.Field(nullable=True)
    mean: Series[float] = pa.Field(nullable=True)

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True


class SliceDriftSchema(pa.DataFrameModel):
    table_name: Series[str]
    slice_column: Series[str]
    slice_value: Series[str] = pa.Field(nullable=True)
    time_column: Series[str]
    period_level: Series[str] = pa.Field(isin=list(LEVELS))
    period: Series[pd.Timestamp]
    metric: Series[str] = pa.Field(isin=list(METRICS))
    measure: Series[str] = pa.Field(nullable=True)
    value: Series[float]
    threshold: Series[float] = pa.Field(ge=0)
    z: Series[float] = pa.Field(nullable=True)
    drifted: Series[bool]
    n_previous: Series[int] = pa.Field(ge=1)
    n_current: Series[int] = pa.Field(ge=1)

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True

    @pa.dataframe_check
    @classmethod
    def js_in_unit_interval(cls, frame: pd.DataFrame) -> pd.Series:
        js = frame["metric"] == "js_divergence"
        return pd.Series(~js | frame["value"].between(0, 1))


OUTPUT_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "slice_dimensions": SliceDimensionsSchema,
    "slice_profiles": SliceProfilesSchema,
    "slice_measures": SliceMeasuresSchema,
    "slice_drift": SliceDriftSchema,
}
