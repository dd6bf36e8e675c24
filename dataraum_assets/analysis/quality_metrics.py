"""Data quality metrics and findings over every table in ``typed_tables``.

Reads ``"<typed>".typed."<table>"`` and ``"<typed>".main.type_decisions`` (the data) and
``"<profiles>".main.column_profiles`` / ``top_values`` (counts already computed exactly), and
writes ``benford``, ``outliers`` and ``findings`` into the connection's default database
(``docs/data-plane.md`` lists their columns). Everything is exact over the full data, in SQL.

Definitions:

- **Measure-like column**: an integer, decimal or floating-point column that is not an
  identifier (a key-like name, see :data:`KEY_NAME`, or integers that are all distinct) and not a
  year (integers all within 1800..2100). Only these get the Benford and outlier tests; skipped
  numeric columns are listed in ``benford`` with ``skipped_reason``.
- **Benford applies** (Nigrini: magnitudes that are not assigned numbers and span several orders
  of magnitude) when the column has at least ``benford_min_n`` positive values, at least
  ``benford_min_distinct`` distinct positive values (fewer are codes, rates or counters such as
  a line number or a discount of 0/5/10/15%) and its positive values span at least
  ``benford_min_orders`` orders of magnitude between the 1st and 99th percentile (prices set by
  policy, say 9.99..49.99, do not follow Benford and are not wrong for it). Otherwise the row
  says which condition failed.
- **Benford** (first digit, Nigrini 2012): over the positive, finite values (negative amounts
  are a different population: credit notes, reversals). ``chi_square`` = Σ (O−E)²/E over the
  nine digits with E = n·log10(1 + 1/d); ``p_value`` = P(χ²₈ > chi_square). For an even number
  of degrees of freedom the survival function has the exact closed form
  e^(−x/2) · Σ_{i<4} (x/2)^i / i!, so no scipy is needed. ``mad`` = mean |observed share −
  expected share| over the digits; ``conformity`` uses Nigrini's first-digit MAD bands (close ≤
  0.006, acceptable ≤ 0.012, marginal ≤ 0.015, else nonconformity). With large n the chi-square
  test rejects almost everything, which is why the verdict follows MAD, not the p-value.
- **Outlier population and scale**: columns with fewer than ``outlier_min_distinct`` distinct
  values are a discrete scale and get no outlier test. When at least ``zero_inflation_share`` of
  the values are 0 (a debit column that is 0 on credit lines, a discount that is usually 0), the
  zeros are a mode of their own and the fences are computed on the non-zero values
  (``population`` = 'non_zero'). When the tested values are all positive and their skewness
  exceeds ``log_scale_skewness`` (amounts, quantities: log-normal-like), the fences are computed
  on ln(x) and reported back in the column's units (``scale`` = 'log'); on the linear scale
  Tukey's fences would flag ~10% of any such column, which is its shape, not an error.
- **IQR outliers** (Tukey): values outside [p25 − k·IQR, p75 + k·IQR], k =
  ``iqr_multiplier``, quartiles by ``quantile_cont``.
- **Modified z-score** (Iglewicz & Hoaglin): |0.6745·(x − median)/MAD| > ``modified_z_threshold``
  with the unscaled median absolute deviation; the fences are median ± threshold·MAD/0.6745.
  Not defined when MAD = 0 (more than half the values equal), so no row then.
  ``outlier_ratio`` = outliers / finite values; ``sample_values`` are the values furthest from
  the median, most extreme first.
- **Duplicate rows**: rows equal to an earlier row (by ``_row``) on every column but ``_row``.
- **Key uniqueness violation**: a key-named column whose distinct ratio (distinct / non-null) is
  at least ``key_min_distinct_ratio`` but below 1: meant to be unique, and is not.
- **Constant / near-constant**: one distinct non-null value / a top value holding at least
  ``near_constant_share`` of the non-null values.
- **Null-token leftovers**: text values that, trimmed and lowercased, are a null spelling
  (``null_tokens``) — the ingestion nulls exact tokens only, so `` null `` or ``NONE`` survive.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import duckdb
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from dataraum_assets.analysis.column_kinds import KEY_NAME, YEAR_RANGE, is_numeric_type
from dataraum_assets.analysis.output_tables import is_list_or_null, write_records
from dataraum_assets.analysis.typed_tables import typed_columns
from dataraum_assets.identifiers import ROW_NUMBER_COLUMN, quote_identifier

BENFORD_EXPECTED = tuple(math.log10(1 + 1 / digit) for digit in range(1, 10))
# Φ⁻¹(3/4): makes MAD/0.6745 a consistent estimate of the standard deviation (Iglewicz-Hoaglin).
MODIFIED_Z_CONSTANT = 0.6745
# Nigrini (2012), "Benford's Law", table 7.1: first-digit MAD conformity bands.
NIGRINI_FIRST_DIGIT_BANDS = (("close", 0.006), ("acceptable", 0.012), ("marginal", 0.015))
CONFORMITY = ("close", "acceptable", "marginal", "nonconformity")
SEVERITIES = ("error", "warning", "info")
FINDING_KINDS = (
    "benford_nonconformity",
    "iqr_outliers",
    "modified_z_outliers",
    "duplicate_rows",
    "key_uniqueness_violation",
    "near_constant",
    "constant",
    "null_token_leftover",
)


@dataclass(frozen=True)
class QualityOptions:
    """Thresholds of the quality tests (module docstring for the definitions)."""

    # Benford needs enough values for digit shares to mean anything; Nigrini suggests ≥ 100.
    benford_min_n: int = 100
    # Fewer distinct positive values are codes, rates or counters, not magnitudes.
    benford_min_distinct: int = 50
    # Orders of magnitude (log10 of p99 / p1 of the positive values) a Benford column must span.
    benford_min_orders: float = 2.0
    # Fewer distinct values are a discrete scale: no outlier fences.
    outlier_min_distinct: int = 10
    # From this share of zeros on, the fences are computed on the non-zero values.
    zero_inflation_share: float = 0.2
    # Positive values skewed more than this get their fences on ln(x).
    log_scale_skewness: float = 1.0
    # Tukey's fences.
    iqr_multiplier: float = 1.5
    # Iglewicz & Hoaglin's recommended cut-off for |modified z|.
    modified_z_threshold: float = 3.5
    # Share of the non-null values held by the top value that makes a column near-constant.
    near_constant_share: float = 0.95
    # Example values/rows kept as evidence per finding.
    sample_values: int = 5
    # A key-named column this distinct (distinct / non-null) is meant to be unique.
    key_min_distinct_ratio: float = 0.98
    # Severity: outliers are a warning from this share of the values on, else info.
    outlier_warning_ratio: float = 0.01
    # Severity: duplicate rows are an error from this share of the table's rows on, else warning.
    duplicate_error_share: float = 0.05
    # Severity: Benford "marginal" is info, "nonconformity" a warning (never an error: many
    # legitimate measures, e.g. prices set by policy, do not follow Benford).
    benford_warning_conformity: str = "nonconformity"
    null_tokens: tuple[str, ...] = field(
        default=(
            "",
            "null",
            "none",
            "nan",
            "na",
            "n/a",
            "#n/a",
            "#null!",
            "nil",
            "missing",
            "undefined",
            "-",
            "--",
            "?",
        )
    )

    def __post_init__(self) -> None:
        if self.benford_min_n < 1:
            raise ValueError(f"benford_min_n must be at least 1, got {self.benford_min_n}")
        if not 0 < self.near_constant_share <= 1:
            raise ValueError(
                f"near_constant_share must be in (0, 1], got {self.near_constant_share}"
            )
        if self.sample_values < 1:
            raise ValueError(f"sample_values must be at least 1, got {self.sample_values}")
        if self.benford_warning_conformity not in CONFORMITY:
            raise ValueError(f"unknown conformity {self.benford_warning_conformity!r}")


@dataclass(frozen=True)
class BenfordTest:
    """One row of ``benford``: a tested column, or a skipped one with ``skipped_reason``."""

    table_name: str
    column_name: str
    n: int
    chi_square: float | None = None
    p_value: float | None = None
    mad: float | None = None
    conformity: str | None = None
    observed: tuple[float, ...] | None = None
    expected: tuple[float, ...] | None = None
    skipped_reason: str | None = None


@dataclass(frozen=True)
class OutlierTest:
    """One row of ``outliers``."""

    table_name: str
    column_name: str
    method: str
    lower_fence: float
    upper_fence: float
    outlier_count: int
    outlier_ratio: float
    sample_values: tuple[str, ...]
    # 'all' or 'non_zero' (zero-inflated column) and 'linear' or 'log' (skewed positive values).
    population: str = "all"
    scale: str = "linear"
    tested_values: int = 0


@dataclass(frozen=True)
class Finding:
    """One row of ``findings``."""

    table_name: str
    column_name: str | None
    kind: str
    severity: str
    value: float | None
    detail: str
    evidence: str | None


@dataclass(frozen=True)
class QualityResult:
    """Everything written to the three output tables; findings most severe first."""

    benford: tuple[BenfordTest, ...] = ()
    outliers: tuple[OutlierTest, ...] = ()
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class _Profile:
    data_type: str
    non_null: int
    distinct_count: int
    is_unique: bool
    top_count: int | None


def build_quality_metrics(
    con: duckdb.DuckDBPyConnection,
    options: QualityOptions = QualityOptions(),  # frozen, so a safe default
    progress: Callable[[str], None] | None = None,
    typed_database: str = "typed_tables",
    profiles_database: str = "statistical_profiles",
) -> QualityResult:
    """Test every table of ``typed_database`` and write ``benford``, ``outliers`` and
    ``findings`` (always created, empty when there is nothing to test). Returns what was
    written."""
    typed = quote_identifier(typed_database)
    profiles = _profiles(con, quote_identifier(profiles_database))
    tables = typed_columns(con, typed_database)
    benford: list[BenfordTest] = []
    outliers: list[OutlierTest] = []
    findings: list[Finding] = []
    for number, (table, columns) in enumerate(tables.items(), start=1):
        source = f"{typed}.typed.{quote_identifier(table)}"
        findings.extend(_duplicate_rows(con, source, table, [c for c, _ in columns], options))
        for column, data_type in columns:
            profile = profiles.get((table, column))
            if profile is not None:
                findings.extend(_column_findings(con, source, table, column, profile, options))
            if is_numeric_type(data_type):
                tests = _numeric_tests(con, source, table, column, data_type, profile, options)
                benford.append(tests[0])
                outliers.extend(tests[1])
            elif data_type == "VARCHAR":
                findings.extend(_null_tokens(con, source, table, column, options))
        if progress is not None:
            progress(f"table {number}/{len(tables)} {table}: {len(columns)} columns tested")
    findings.extend(_benford_findings(benford, options))
    findings.extend(_outlier_findings(outliers, options))
    rank = {severity: index for index, severity in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (rank[f.severity], f.table_name, f.column_name or "", f.kind))
    result = QualityResult(tuple(benford), tuple(outliers), tuple(findings))
    _write_outputs(con, result)
    return result


def _profiles(con: duckdb.DuckDBPyConnection, database: str) -> dict[tuple[str, str], _Profile]:
    rows = con.execute(
        "SELECT p.table_name, p.column_name, p.data_type, p.rows - p.nulls, p.distinct_count, "
        f"p.is_unique, t.count FROM {database}.main.column_profiles p "
        f"LEFT JOIN {database}.main.top_values t ON t.table_name = p.table_name "
        "AND t.column_name = p.column_name AND t.rank = 1"
    ).fetchall()
    return {(row[0], row[1]): _Profile(*row[2:]) for row in rows}


def _duplicate_rows(
    con: duckdb.DuckDBPyConnection,
    source: str,
    table: str,
    columns: Sequence[str],
    options: QualityOptions,
) -> list[Finding]:
    if not columns:
        return []
    partition = ", ".join(quote_identifier(column) for column in columns)
    row = quote_identifier(ROW_NUMBER_COLUMN)
    [(rows, duplicates, examples)] = con.execute(
        f"WITH numbered AS (SELECT {row} AS r, row_number() OVER "
        f"(PARTITION BY {partition} ORDER BY {row}) AS occurrence FROM {source}) "
        "SELECT count(*), count(*) FILTER (WHERE occurrence > 1), "
        "(list(r ORDER BY r) FILTER (WHERE occurrence > 1))[1:?] FROM numbered",
        [options.sample_values],
    ).fetchall()
    if not duplicates:
        return []
    share = duplicates / rows
    return [
        Finding(
            table_name=table,
            column_name=None,
            kind="duplicate_rows",
            severity="error" if share >= options.duplicate_error_share else "warning",
            value=float(duplicates),
            detail=f"{duplicates:,} of {rows:,} rows ({share:.2%}) repeat an earlier row "
            f"on every column",
            evidence="duplicate _row: " + ", ".join(str(r) for r in examples),
        )
    ]


def _column_findings(
    con: duckdb.DuckDBPyConnection,
    source: str,
    table: str,
    column: str,
    profile: _Profile,
    options: QualityOptions,
) -> list[Finding]:
    findings: list[Finding] = []
    non_null, distinct = profile.non_null, profile.distinct_count
    if non_null >= 2 and distinct == 1:
        findings.append(
            Finding(table, column, "constant", "info", 1.0, f"one value in {non_null:,} rows", None)
        )
    elif non_null >= 2 and profile.top_count is not None:
        share = profile.top_count / non_null
        if share >= options.near_constant_share:
            findings.append(
                Finding(
                    table,
                    column,
                    "near_constant",
                    "info",
                    share,
                    f"the top value holds {share:.2%} of {non_null:,} non-null values "
                    f"(threshold {options.near_constant_share:.0%})",
                    None,
                )
            )
    if KEY_NAME.match(column) and non_null and distinct < non_null:
        ratio = distinct / non_null
        if ratio >= options.key_min_distinct_ratio:
            findings.append(_key_violation(con, source, table, column, non_null, ratio, options))
    return findings


def _key_violation(
    con: duckdb.DuckDBPyConnection,
    source: str,
    table: str,
    column: str,
    non_null: int,
    ratio: float,
    options: QualityOptions,
) -> Finding:
    quoted = quote_identifier(column)
    rows = con.execute(
        f"SELECT CAST({quoted} AS VARCHAR), count(*) FROM {source} WHERE {quoted} IS NOT NULL "
        f"GROUP BY {quoted} HAVING count(*) > 1 ORDER BY count(*) DESC, {quoted}"
    ).fetchall()
    duplicates = sum(count - 1 for _, count in rows)
    return Finding(
        table_name=table,
        column_name=column,
        kind="key_uniqueness_violation",
        severity="error",
        value=float(duplicates),
        detail=f"key-like column with distinct ratio {ratio:.4f}: {duplicates:,} of "
        f"{non_null:,} non-null values repeat an earlier one ({len(rows):,} values repeated)",
        evidence=", ".join(f"{value} ×{count}" for value, count in rows[: options.sample_values]),
    )


def _null_tokens(
    con: duckdb.DuckDBPyConnection,
    source: str,
    table: str,
    column: str,
    options: QualityOptions,
) -> list[Finding]:
    quoted = quote_identifier(column)
    rows = con.execute(
        f"SELECT {quoted}, count(*) FROM {source} "
        f"WHERE lower(trim({quoted})) IN (SELECT unnest(?)) GROUP BY {quoted} "
        f"ORDER BY count(*) DESC, {quoted}",
        [list(options.null_tokens)],
    ).fetchall()
    if not rows:
        return []
    total = sum(count for _, count in rows)
    return [
        Finding(
            table_name=table,
            column_name=column,
            kind="null_token_leftover",
            severity="warning",
            value=float(total),
            detail=f"{total:,} text values are a null spelling that survived ingestion",
            evidence=", ".join(f"{value!r} ×{count}" for value, count in rows),
        )
    ]


def _skip_reason(
    column: str, data_type: str, profile: _Profile | None, low: float | None, high: float | None
) -> str | None:
    integer = data_type not in ("FLOAT", "DOUBLE") and not data_type.startswith("DECIMAL")
    if KEY_NAME.match(column):
        return "identifier: key-like column name"
    if integer and profile is not None and profile.is_unique:
        return "identifier: every integer value is distinct"
    if integer and low is not None and high is not None:
        within = YEAR_RANGE[0] <= low and high <= YEAR_RANGE[1]
        return "year: integers within 1800..2100" if within else None
    return None


def _numeric_tests(
    con: duckdb.DuckDBPyConnection,
    source: str,
    table: str,
    column: str,
    data_type: str,
    profile: _Profile | None,
    options: QualityOptions,
) -> tuple[BenfordTest, list[OutlierTest]]:
    quoted = quote_identifier(column)
    # isfinite is only defined on floating point; casting first keeps NaN/inf out of everything.
    values = (
        f"SELECT CAST({quoted} AS DOUBLE) AS x, CAST({quoted} AS VARCHAR) AS text FROM {source} "
        f"WHERE {quoted} IS NOT NULL AND isfinite(CAST({quoted} AS DOUBLE))"
    )
    [(n, low, high, distinct, zeros, positives, positive_distinct, p01, p99, digits)] = con.execute(
        "SELECT count(*), min(x), max(x), count(DISTINCT x), count(*) FILTER (WHERE x = 0), "
        "count(*) FILTER (WHERE x > 0), count(DISTINCT x) FILTER (WHERE x > 0), "
        "quantile_cont(x, 0.01) FILTER (WHERE x > 0), "
        "quantile_cont(x, 0.99) FILTER (WHERE x > 0), "
        # %e puts the first significant digit first, which avoids log10 rounding at powers
        # of 10; abs because DuckDB evaluates the cast on every row, FILTER or not.
        "list(CAST(substr(printf('%.14e', abs(x)), 1, 1) AS INTEGER)) FILTER (WHERE x > 0) "
        f"FROM ({values})"
    ).fetchall()
    reason = _skip_reason(column, data_type, profile, low, high)
    if reason is not None:
        return BenfordTest(table, column, positives, skipped_reason=reason), []
    orders = math.log10(p99 / p01) if positives and p01 > 0 else 0.0
    if positives < options.benford_min_n:
        reason = f"too few positive values: {positives:,} < {options.benford_min_n:,}"
    elif positive_distinct < options.benford_min_distinct:
        reason = (
            f"too few distinct positive values for a magnitude: {positive_distinct:,} < "
            f"{options.benford_min_distinct:,} (codes, rates or counters)"
        )
    elif orders < options.benford_min_orders:
        reason = (
            f"values span {orders:.2f} orders of magnitude (p1..p99 of the positive values), "
            f"Benford needs ≥ {options.benford_min_orders:g}"
        )
    benford = (
        BenfordTest(table, column, positives, skipped_reason=reason)
        if reason is not None
        else _benford(table, column, digits)
    )
    if not n or distinct < options.outlier_min_distinct:
        return benford, []
    return benford, _outlier_tests(con, values, table, column, n, zeros, options)


def _outlier_tests(
    con: duckdb.DuckDBPyConnection,
    values: str,
    table: str,
    column: str,
    n: int,
    zeros: int,
    options: QualityOptions,
) -> list[OutlierTest]:
    population = "non_zero" if zeros / n >= options.zero_inflation_share else "all"
    tested = f"SELECT x, text FROM ({values})" + (" WHERE x <> 0" if population != "all" else "")
    [(count, low, skewness)] = con.execute(
        f"SELECT count(*), min(x), skewness(x) FROM ({tested})"
    ).fetchall()
    if not count:
        return []
    scale = "log" if low > 0 and (skewness or 0.0) > options.log_scale_skewness else "linear"
    # y is the value on the scale the fences are computed on.
    points = f"SELECT x, text, {'ln(x)' if scale == 'log' else 'x'} AS y FROM ({tested})"
    [(q1, median, q3, mad)] = con.execute(
        f"SELECT quantile_cont(y, 0.25), median(y), quantile_cont(y, 0.75), mad(y) FROM ({points})"
    ).fetchall()
    iqr = q3 - q1
    fences = [("iqr", q1 - options.iqr_multiplier * iqr, q3 + options.iqr_multiplier * iqr)]
    if mad > 0:
        spread = options.modified_z_threshold * mad / MODIFIED_Z_CONSTANT
        fences.append(("modified_z", median - spread, median + spread))
    tests: list[OutlierTest] = []
    for method, lower, upper in fences:
        [(outliers, samples)] = con.execute(
            f"SELECT count(*), (list(text ORDER BY abs(y - ?) DESC, x))[1:?] FROM ({points}) "
            "WHERE y < ? OR y > ?",
            [median, options.sample_values, lower, upper],
        ).fetchall()
        unit = math.exp if scale == "log" else float
        tests.append(
            OutlierTest(
                table_name=table,
                column_name=column,
                method=method,
                lower_fence=unit(lower),
                upper_fence=unit(upper),
                outlier_count=outliers,
                outlier_ratio=outliers / count,
                sample_values=tuple(samples or ()),
                population=population,
                scale=scale,
                tested_values=count,
            )
        )
    return tests


def chi_square_8_sf(statistic: float) -> float:
    """P(χ² > statistic) with 8 degrees of freedom: exact closed form for even df."""
    half = statistic / 2
    return math.exp(-half) * sum(half**i / math.factorial(i) for i in range(4))


def nigrini_conformity(mad: float) -> str:
    """Nigrini's first-digit conformity band for a mean absolute deviation."""
    for name, limit in NIGRINI_FIRST_DIGIT_BANDS:
        if mad <= limit:
            return name
    return "nonconformity"


def _benford(table: str, column: str, digits: Sequence[int]) -> BenfordTest:
    n = len(digits)
    counts = [0] * 9
    for digit in digits:
        counts[digit - 1] += 1
    observed = tuple(count / n for count in counts)
    chi_square = sum(
        (count - n * share) ** 2 / (n * share)
        for count, share in zip(counts, BENFORD_EXPECTED, strict=True)
    )
    mad = sum(abs(o - e) for o, e in zip(observed, BENFORD_EXPECTED, strict=True)) / 9
    return BenfordTest(
        table_name=table,
        column_name=column,
        n=n,
        chi_square=chi_square,
        p_value=chi_square_8_sf(chi_square),
        mad=mad,
        conformity=nigrini_conformity(mad),
        observed=observed,
        expected=BENFORD_EXPECTED,
    )


def _benford_findings(tests: Sequence[BenfordTest], options: QualityOptions) -> list[Finding]:
    warning_from = CONFORMITY.index(options.benford_warning_conformity)
    return [
        Finding(
            table_name=test.table_name,
            column_name=test.column_name,
            kind="benford_nonconformity",
            severity="warning" if CONFORMITY.index(test.conformity) >= warning_from else "info",
            value=test.mad,
            detail=f"first digits deviate from Benford's law: MAD {test.mad:.4f} "
            f"({test.conformity}), chi-square {test.chi_square:.1f}, p = {test.p_value:.3g}, "
            f"n = {test.n:,}",
            evidence="observed shares of digits 1-9: "
            + ", ".join(f"{share:.3f}" for share in test.observed or ()),
        )
        for test in tests
        if test.conformity in ("marginal", "nonconformity")
        and test.mad is not None
        and test.chi_square is not None
        and test.p_value is not None
    ]


def _outlier_findings(tests: Sequence[OutlierTest], options: QualityOptions) -> list[Finding]:
    return [
        Finding(
            table_name=test.table_name,
            column_name=test.column_name,
            kind=f"{test.method}_outliers",
            severity="warning" if test.outlier_ratio >= options.outlier_warning_ratio else "info",
            value=test.outlier_ratio,
            detail=f"{test.outlier_count:,} of {test.tested_values:,} values "
            f"({test.outlier_ratio:.2%}) outside [{test.lower_fence:.6g}, "
            f"{test.upper_fence:.6g}] ({test.method}, {test.scale} scale"
            + (", zeros excluded" if test.population == "non_zero" else "")
            + ")",
            evidence=", ".join(test.sample_values),
        )
        for test in tests
        if test.outlier_count
    ]


_BENFORD_DDL = {
    "table_name": "VARCHAR",
    "column_name": "VARCHAR",
    "n": "BIGINT",
    "chi_square": "DOUBLE",
    "p_value": "DOUBLE",
    "mad": "DOUBLE",
    "conformity": "VARCHAR",
    "observed": "DOUBLE[]",
    "expected": "DOUBLE[]",
    "skipped_reason": "VARCHAR",
}
_OUTLIERS_DDL = {
    "table_name": "VARCHAR",
    "column_name": "VARCHAR",
    "method": "VARCHAR",
    "lower_fence": "DOUBLE",
    "upper_fence": "DOUBLE",
    "outlier_count": "BIGINT",
    "outlier_ratio": "DOUBLE",
    "sample_values": "VARCHAR[]",
    "population": "VARCHAR",
    "scale": "VARCHAR",
    "tested_values": "BIGINT",
}
_FINDINGS_DDL = {
    "table_name": "VARCHAR",
    "column_name": "VARCHAR",
    "kind": "VARCHAR",
    "severity": "VARCHAR",
    "value": "DOUBLE",
    "detail": "VARCHAR",
    "evidence": "VARCHAR",
}


def _write_outputs(con: duckdb.DuckDBPyConnection, result: QualityResult) -> None:
    """(Re)create the three tables; the caller makes the file replacement atomic."""
    write_records(con, "benford", _BENFORD_DDL, result.benford)
    write_records(con, "outliers", _OUTLIERS_DDL, result.outliers)
    write_records(con, "findings", _FINDINGS_DDL, result.findings)


class BenfordSchema(pa.DataFrameModel):
    table_name: Series[str]
    column_name: Series[str]
    n: Series[int] = pa.Field(ge=0)
    chi_square: Series[float] = pa.Field(nullable=True, ge=0)
    p_value: Series[float] = pa.Field(nullable=True, in_range={"min_value": 0, "max_value": 1})
    mad: Series[float] = pa.Field(nullable=True, in_range={"min_value": 0, "max_value": 1})
    conformity: Series[str] = pa.Field(nullable=True, isin=list(CONFORMITY))
    observed: Series[object] = pa.Field(nullable=True)
    expected: Series[object] = pa.Field(nullable=True)
    skipped_reason: Series[str] = pa.Field(nullable=True)

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True
        unique = ["table_name", "column_name"]  # noqa: RUF012 - pandera reads it as is

    @pa.check("observed", "expected", name="list")
    @classmethod
    def lists(cls, series: pd.Series) -> pd.Series:
        return is_list_or_null(series)

    @pa.dataframe_check
    @classmethod
    def tested_or_skipped(cls, frame: pd.DataFrame) -> pd.Series:
        """Exactly one of a verdict and a reason to skip."""
        return pd.Series(frame["conformity"].isna() != frame["skipped_reason"].isna())


class OutliersSchema(pa.DataFrameModel):
    table_name: Series[str]
    column_name: Series[str]
    method: Series[str] = pa.Field(isin=["iqr", "modified_z"])
    lower_fence: Series[float]
    upper_fence: Series[float]
    outlier_count: Series[int] = pa.Field(ge=0)
    outlier_ratio: Series[float] = pa.Field(in_range={"min_value": 0, "max_value": 1})
    sample_values: Series[object]
    population: Series[str] = pa.Field(isin=["all", "non_zero"])
    scale: Series[str] = pa.Field(isin=["linear", "log"])
    tested_values: Series[int] = pa.Field(gt=0)

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True
        unique = ["table_name", "column_name", "method"]  # noqa: RUF012 - pandera reads it

    @pa.check("sample_values", name="list")
    @classmethod
    def lists(cls, series: pd.Series) -> pd.Series:
        return is_list_or_null(series) & series.notna()

    @pa.dataframe_check
    @classmethod
    def fences_are_ordered(cls, frame: pd.DataFrame) -> pd.Series:
        return pd.Series(frame["lower_fence"] <= frame["upper_fence"])


class FindingsSchema(pa.DataFrameModel):
    table_name: Series[str]
    column_name: Series[str] = pa.Field(nullable=True)
    kind: Series[str] = pa.Field(isin=list(FINDING_KINDS))
    severity: Series[str] = pa.Field(isin=list(SEVERITIES))
    value: Series[float] = pa.Field(nullable=True)
    detail: Series[str]
    evidence: Series[str] = pa.Field(nullable=True)

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True
        unique = ["table_name", "column_name", "kind"]  # noqa: RUF012 - pandera reads it as is


OUTPUT_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "benford": BenfordSchema,
    "outliers": OutliersSchema,
    "findings": FindingsSchema,
}
