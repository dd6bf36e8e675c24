"""Within-table associations over every table in ``typed_tables``: the ``correlations`` stage.

Reads ``"<typed>".typed."<table>"`` (the data) and ``"<profiles>".main.column_profiles`` (types,
distinct counts and uniqueness, exact over the full table, which decide what each column is
analysed as) and writes ``numeric_correlations``, ``categorical_associations``,
``derived_columns``, ``functional_dependencies``, ``multicollinearity``, ``table_samples`` and
``skipped_columns`` into the connection's default database (``docs/data-plane.md``).

Definitions:

- **Analysed rows.** A table with more than ``sample_above_rows`` rows is sampled down to about
  ``sample_rows`` rows: every row with ``hash(_row, seed) % k = 0``, ``k = ceil(rows /
  sample_rows)``. That depends only on ``_row``, never on the physical row order (typed tables
  are written without preserving insertion order, so ``USING SAMPLE reservoir(...) REPEATABLE``
  would give a different sample after a rewrite), and costs one filtered scan (5× faster than a
  reservoir on 10M rows). Everything below runs on that one sample, materialized once per table
  and read back in ``_row`` order into numpy (correlations, ranks, pair counts and derived
  columns are cheaper on ≤ 200k-row arrays than as hundreds of SQL aggregates, and the fixed
  order makes the floating-point sums, hence the results, identical run to run);
  ``table_samples`` records ``sampled`` and ``sample_size``, and every result row ``sampled``.
- **Numeric column**: integer, decimal or floating-point, not an identifier (a key-like name,
  :data:`KEY_NAME`, or integers that are all distinct: their order is an assignment, so a
  correlation with them means nothing) and not constant. Non-finite values count as nulls.
- **Categorical column**: text or boolean with 2..``max_categories`` distinct values (full-table
  count from ``column_profiles``). Others are listed in ``skipped_columns`` with the reason.
- **Pearson** = DuckDB ``corr`` over the rows where both values are present (``n``);
  ``p_value`` from Student's t with n − 2 degrees of freedom. **Spearman** = Pearson of the
  average ranks (ties share their mean rank). Ranks are taken over each column's non-null
  values, so with nulls in a pair this is an approximation; without nulls it is exact.
- **Cramér's V**, bias-corrected (Bergsma 2013): φ² = χ²/n, φ²⁺ = max(0, φ² − (r−1)(c−1)/(n−1)),
  r⁺ = r − (r−1)²/(n−1), c⁺ = c − (c−1)²/(n−1), V = √(φ²⁺ / min(r⁺−1, c⁺−1)); 1 for a perfect
  association, 0 for independence (the uncorrected V of independent columns is positive in
  every finite sample). ``p_value`` is the χ² test of independence.
- **Strength** of a numeric pair (max of |pearson|, |spearman|) or of V: ``very_strong`` ≥ 0.9,
  ``strong`` ≥ 0.7, ``moderate`` ≥ 0.5, ``weak`` ≥ 0.3, else ``negligible``.
- **Derived column**: among three numeric columns one equals the sum or the product of the other
  two, within ``derived_relative_tolerance`` (|t − e| ≤ tol · max(|t|, |e|)), on at least
  ``derived_min_match_rate`` of the tested rows. Rows where an operand is the operation's
  identity (0 for a sum; 0 or 1 for a product) are not tested: there the relation holds or
  fails trivially (a tax of 0 makes total = net + tax say nothing). At least
  ``derived_min_rows`` rows must be tested. a = b − c is the same relation as b = a + c (and
  a = b ÷ c as b = a × c), so each relation is tested in its sum/product form and reported once,
  with the column that comes last in the table as the target (derived columns usually follow
  their inputs): ``operation`` is ``add``/``multiply`` when the last column is the sum/product,
  else ``subtract``/``divide``. Only two operands: ``line = quantity × price × (1 − discount)``
  is not found. At most ``derived_max_columns`` numeric columns per table are combined. Each
  candidate is first screened on ``derived_screen_rows`` rows drawn with the seed and tested on
  all rows only if it matches at least ``derived_min_match_rate − derived_screen_margin`` there.
- **Functional dependency** A → B: ``confidence`` = share of the rows (both present) whose B
  equals the most frequent B of their A value, counted over the rows whose A value occurs more
  than once (``n``; a value seen once agrees with itself and is no evidence), at least
  ``fd_min_rows`` of them; reported when ≥ ``fd_min_confidence``. Excluded
  as trivial: A unique in the full table (a key determines everything), A with more than
  ``fd_max_determinant_ratio`` distinct values per analysed row (near-unique: most groups have
  one row and agree with themselves), and B whose most frequent value alone already covers
  ``fd_min_confidence`` of the rows (``baseline``: any A "determines" a near-constant column).
  Single-column determinants only.
- **Multicollinearity**: condition index √(λmax/λmin) of the Pearson correlation matrix of the
  numeric columns (those with a defined correlation to every other), λmin floored at
  λmax·1e-12. Belsley's bands: ``strong`` ≥ 30, ``moderate`` ≥ 10, else ``none``.
  ``involved_columns`` are the columns loading ≥ 0.3 (absolute) on the eigenvector of λmin.
"""

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
from pandera.typing import Series
from scipy import stats

from dataraum_assets.analysis.column_kinds import INTEGER_TYPES, KEY_NAME, is_numeric_type
from dataraum_assets.analysis.output_tables import is_list, write_records
from dataraum_assets.analysis.typed_tables import typed_columns
from dataraum_assets.identifiers import ROW_NUMBER_COLUMN, quote_identifier

STRENGTHS = (("very_strong", 0.9), ("strong", 0.7), ("moderate", 0.5), ("weak", 0.3))
STRENGTH_LABELS = (*(label for label, _ in STRENGTHS), "negligible")
MULTICOLLINEARITY_BANDS = (("strong", 30.0), ("moderate", 10.0))
MULTICOLLINEARITY_LABELS = ("strong", "moderate", "none")
DERIVED_OPERATIONS = ("add", "subtract", "multiply", "divide")
ANALYSES = ("numeric", "categorical", "functional_dependency")
_CATEGORICAL_TYPES = frozenset({"VARCHAR", "BOOLEAN"})
_SAMPLE_TABLE = "__correlations_sample"
# Loading on the smallest eigenvector from which a column counts as part of the dependency.
_LOADING = 0.3
_EIGEN_FLOOR = 1e-12


@dataclass(frozen=True)
class CorrelationOptions:
    """Thresholds of the correlation stage (module docstring for the definitions)."""

    # Tables with more rows are sampled; 200k rows estimate r to about ±0.005.
    sample_above_rows: int = 200_000
    sample_rows: int = 100_000
    seed: int = 42
    # Text/boolean columns with more distinct values are not categories (names, free text).
    max_categories: int = 50
    derived_min_match_rate: float = 0.8
    # Money rounded to cents on amounts ≥ 5 is within 0.1%.
    derived_relative_tolerance: float = 0.001
    derived_min_rows: int = 10
    # Candidates are screened on this many rows first and dropped when they match less than
    # derived_min_match_rate − derived_screen_margin there.
    derived_screen_rows: int = 2_000
    derived_screen_margin: float = 0.2
    # C(16, 3) × 6 = 3,360 array tests: the cap keeps wide tables from exploding.
    derived_max_columns: int = 16
    fd_min_confidence: float = 0.95
    fd_max_determinant_ratio: float = 0.5
    # Rows in repeated determinant values needed to judge a dependency.
    fd_min_rows: int = 10
    # Pairs of columns tested for dependencies per table: C(40, 2) = 780 grouped queries.
    fd_max_columns: int = 40

    def __post_init__(self) -> None:
        if self.sample_rows < 1 or self.sample_above_rows < self.sample_rows:
            raise ValueError(
                f"need 1 ≤ sample_rows ≤ sample_above_rows, got sample_rows="
                f"{self.sample_rows}, sample_above_rows={self.sample_above_rows}"
            )
        for name in ("derived_min_match_rate", "fd_min_confidence", "fd_max_determinant_ratio"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)}")
        if self.max_categories < 2:
            raise ValueError(f"max_categories must be at least 2, got {self.max_categories}")


@dataclass(frozen=True)
class NumericCorrelation:
    table_name: str
    column_a: str
    column_b: str
    pearson: float | None
    spearman: float | None
    n: int
    sampled: bool
    p_value: float | None
    strength: str


@dataclass(frozen=True)
class CategoricalAssociation:
    table_name: str
    column_a: str
    column_b: str
    cramers_v: float | None
    n: int
    sampled: bool
    chi_square: float | None
    dof: int
    p_value: float | None
    strength: str


@dataclass(frozen=True)
class DerivedColumn:
    table_name: str
    target_column: str
    operation: str
    operand_columns: tuple[str, ...]
    match_rate: float
    rows_tested: int
    expression: str
    sampled: bool


@dataclass(frozen=True)
class FunctionalDependency:
    table_name: str
    determinant_columns: tuple[str, ...]
    dependent_column: str
    confidence: float
    determinant_distinct: int
    violating_rows: int
    n: int
    baseline: float
    sampled: bool


@dataclass(frozen=True)
class Multicollinearity:
    table_name: str
    columns: tuple[str, ...]
    condition_index: float
    severity: str
    involved_columns: tuple[str, ...]
    smallest_eigenvalue: float
    sampled: bool


@dataclass(frozen=True)
class TableSample:
    table_name: str
    rows: int
    sampled: bool
    sample_size: int
    seed: int | None
    numeric_columns: int
    categorical_columns: int


@dataclass(frozen=True)
class SkippedColumn:
    table_name: str
    column_name: str
    data_type: str
    analysis: str
    reason: str


@dataclass(frozen=True)
class CorrelationResult:
    numeric_correlations: tuple[NumericCorrelation, ...] = ()
    categorical_associations: tuple[CategoricalAssociation, ...] = ()
    derived_columns: tuple[DerivedColumn, ...] = ()
    functional_dependencies: tuple[FunctionalDependency, ...] = ()
    multicollinearity: tuple[Multicollinearity, ...] = ()
    table_samples: tuple[TableSample, ...] = ()
    skipped_columns: tuple[SkippedColumn, ...] = ()


@dataclass(frozen=True)
class _Profile:
    non_null: int
    distinct_count: int
    is_unique: bool


@dataclass(frozen=True)
class _Plan:
    """Which columns of one table take part in which analysis."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    dependency: tuple[str, ...]
    determinants: frozenset[str]
    skipped: tuple[SkippedColumn, ...]

    @property
    def coded(self) -> tuple[str, ...]:
        """Columns copied into the sample in their own type and counted in pairs."""
        return self.dependency + tuple(c for c in self.categorical if c not in self.dependency)


def strength(value: float | None) -> str:
    """The strength label of an absolute correlation or a Cramér's V."""
    if value is None or math.isnan(value):
        return "negligible"
    for label, limit in STRENGTHS:
        if abs(value) >= limit:
            return label
    return "negligible"


def cramers_v(counts: np.ndarray) -> tuple[float | None, float | None, int, float | None]:
    """Bias-corrected Cramér's V, χ², degrees of freedom and the χ² p-value of a contingency
    table (rows × columns of counts; empty rows/columns are ignored). V is None when a side
    has fewer than two categories."""
    table = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0].astype(float)
    n = table.sum()
    r, c = table.shape
    if r < 2 or c < 2 or n < 2:
        return None, None, 0, None
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi_square = float(((table - expected) ** 2 / expected).sum())
    dof = (r - 1) * (c - 1)
    p_value = float(stats.chi2.sf(chi_square, dof))
    phi2 = max(0.0, chi_square / n - (r - 1) * (c - 1) / (n - 1))
    r_corrected = r - (r - 1) ** 2 / (n - 1)
    c_corrected = c - (c - 1) ** 2 / (n - 1)
    denominator = min(r_corrected - 1, c_corrected - 1)
    value = math.sqrt(phi2 / denominator) if denominator > 0 else None
    return (min(value, 1.0) if value is not None else None), chi_square, dof, p_value


def condition_index(matrix: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Condition index √(λmax/λmin), λmin (floored) and the eigenvector of λmin of a
    symmetric correlation matrix."""
    values, vectors = np.linalg.eigh(matrix)
    largest = float(values[-1])
    smallest = max(float(values[0]), largest * _EIGEN_FLOOR)
    return math.sqrt(largest / smallest), smallest, vectors[:, 0]


def build_correlations(
    con: duckdb.DuckDBPyConnection,
    options: CorrelationOptions = CorrelationOptions(),  # frozen, so a safe default
    progress: Callable[[str], None] | None = None,
    typed_database: str = "typed_tables",
    profiles_database: str = "statistical_profiles",
) -> CorrelationResult:
    """Analyse every table of ``typed_database`` and write the seven output tables (always
    created, empty when there is nothing to analyse). Returns what was written."""
    typed = quote_identifier(typed_database)
    profiles = _profiles(con, quote_identifier(profiles_database))
    tables = typed_columns(con, typed_database)
    numeric: list[NumericCorrelation] = []
    categorical: list[CategoricalAssociation] = []
    derived: list[DerivedColumn] = []
    dependencies: list[FunctionalDependency] = []
    collinear: list[Multicollinearity] = []
    samples: list[TableSample] = []
    skipped: list[SkippedColumn] = []
    for number, (table, columns) in enumerate(tables.items(), start=1):
        plan = _plan(table, columns, profiles, options)
        skipped.extend(plan.skipped)
        source = f"{typed}.typed.{quote_identifier(table)}"
        sample = _sample(con, source, table, plan, options)
        samples.append(sample)
        if sample.sample_size:
            pairs = _numeric_pairs(con, table, plan.numeric, sample.sampled)
            numeric.extend(pairs)
            collinear.extend(_multicollinearity(table, plan.numeric, pairs, sample.sampled))
            derived.extend(_derived(con, table, columns, plan.numeric, sample.sampled, options))
            associations, found = _pairs(con, table, plan, sample.sampled, options)
            categorical.extend(associations)
            dependencies.extend(found)
        con.execute(f"DROP TABLE IF EXISTS temp.{_SAMPLE_TABLE}")
        if progress is not None:
            progress(
                f"table {number}/{len(tables)} {table}: {sample.sample_size:,} of "
                f"{sample.rows:,} rows analysed, {len(plan.numeric)} numeric and "
                f"{len(plan.categorical)} categorical columns"
            )
    result = CorrelationResult(
        numeric_correlations=tuple(numeric),
        categorical_associations=tuple(categorical),
        derived_columns=tuple(derived),
        functional_dependencies=tuple(dependencies),
        multicollinearity=tuple(collinear),
        table_samples=tuple(samples),
        skipped_columns=tuple(skipped),
    )
    _write_outputs(con, result)
    return result


def _profiles(con: duckdb.DuckDBPyConnection, database: str) -> dict[tuple[str, str], _Profile]:
    rows = con.execute(
        "SELECT table_name, column_name, rows - nulls, distinct_count, is_unique "
        f"FROM {database}.main.column_profiles"
    ).fetchall()
    return {(row[0], row[1]): _Profile(row[2], row[3], bool(row[4])) for row in rows}


def _plan(
    table: str,
    columns: Sequence[tuple[str, str]],
    profiles: dict[tuple[str, str], _Profile],
    options: CorrelationOptions,
) -> _Plan:
    numeric: list[str] = []
    categorical: list[str] = []
    dependency: list[str] = []
    determinants: set[str] = set()
    skipped: list[SkippedColumn] = []

    def skip(column: str, data_type: str, analysis: str, reason: str) -> None:
        skipped.append(SkippedColumn(table, column, data_type, analysis, reason))

    for column, data_type in columns:
        profile = profiles.get((table, column))
        if profile is None:
            skip(column, data_type, "numeric", "no statistical profile for the column")
            continue
        if profile.distinct_count < 2:
            analysis = (
                "numeric"
                if is_numeric_type(data_type)
                else "categorical"
                if data_type in _CATEGORICAL_TYPES
                else "functional_dependency"
            )
            skip(column, data_type, analysis, "fewer than two distinct values")
            continue
        if profile.is_unique:
            # A unique column determines everything (trivially) and depends only on another
            # unique column, which is excluded as a determinant for the same reason.
            skip(column, data_type, "functional_dependency", "every value is distinct")
        elif len(dependency) < options.fd_max_columns:
            dependency.append(column)
            ratio = profile.distinct_count / profile.non_null if profile.non_null else 1.0
            if ratio <= options.fd_max_determinant_ratio:
                determinants.add(column)
        else:
            skip(
                column,
                data_type,
                "functional_dependency",
                f"beyond the first {options.fd_max_columns} columns tested for dependencies",
            )
        if is_numeric_type(data_type):
            if KEY_NAME.match(column):
                skip(column, data_type, "numeric", "identifier: key-like column name")
            elif data_type in INTEGER_TYPES and profile.is_unique:
                skip(column, data_type, "numeric", "identifier: every integer value is distinct")
            else:
                numeric.append(column)
        elif data_type in _CATEGORICAL_TYPES:
            if profile.is_unique:
                skip(column, data_type, "categorical", "every value is distinct: not a category")
            elif profile.distinct_count > options.max_categories:
                skip(
                    column,
                    data_type,
                    "categorical",
                    f"{profile.distinct_count:,} distinct values > {options.max_categories}",
                )
            else:
                categorical.append(column)
    return _Plan(
        tuple(numeric),
        tuple(categorical),
        tuple(dependency),
        frozenset(determinants),
        tuple(skipped),
    )


def _x(index: int) -> str:
    """The sample's DOUBLE copy of the index-th numeric column."""
    return f"x{index}"


def _c(column: str, plan_columns: Sequence[str]) -> str:
    """The sample's copy of a column in its own type."""
    return f"c{plan_columns.index(column)}"


def _sample(
    con: duckdb.DuckDBPyConnection,
    source: str,
    table: str,
    plan: _Plan,
    options: CorrelationOptions,
) -> TableSample:
    [(rows,)] = con.execute(f"SELECT count(*) FROM {source}").fetchall()
    sampled = rows > options.sample_above_rows
    selected = [
        f"CASE WHEN isfinite(CAST({quote_identifier(column)} AS DOUBLE)) "
        f"THEN CAST({quote_identifier(column)} AS DOUBLE) END AS {_x(index)}"
        for index, column in enumerate(plan.numeric)
    ] + [f"{quote_identifier(column)} AS {_c(column, plan.coded)}" for column in plan.coded]
    # The row number travels with the sample so arrays are fetched in file order: results then
    # do not depend on the order DuckDB's parallel insert happened to store the rows in.
    selected.append(f"{quote_identifier(ROW_NUMBER_COLUMN)} AS r")
    where = ""
    if sampled:
        # Integer literals, not bound parameters: with `hash(_row, ?) % ? = 0` DuckDB 2.0 does
        # not push the filter below the projection and the scan of 1M rows took 0.7 s instead
        # of 0.08 s. Both are ints from the options, never data.
        seed, step = int(options.seed), math.ceil(rows / options.sample_rows)
        where = f"WHERE hash({quote_identifier(ROW_NUMBER_COLUMN)}, {seed}) % {step} = 0"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_SAMPLE_TABLE} AS "
        f"SELECT {', '.join(selected)} FROM {source} {where}"
    )
    [(size,)] = con.execute(f"SELECT count(*) FROM temp.{_SAMPLE_TABLE}").fetchall()
    return TableSample(
        table_name=table,
        rows=rows,
        sampled=sampled,
        sample_size=size,
        seed=options.seed if sampled else None,
        numeric_columns=len(plan.numeric),
        categorical_columns=len(plan.categorical),
    )


def _clean(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _pearson_p_value(r: float | None, n: int) -> float | None:
    if r is None or n < 3:
        return None
    if abs(r) >= 1:
        return 0.0
    t = r * math.sqrt((n - 2) / (1 - r * r))
    return float(2 * stats.t.sf(abs(t), n - 2))


def _numeric_arrays(con: duckdb.DuckDBPyConnection, count: int) -> list[np.ndarray]:
    """The sample's first ``count`` numeric columns as float arrays, NaN for null."""
    if not count:
        return []
    arrays = con.execute(
        f"SELECT {', '.join(_x(k) for k in range(count))} FROM temp.{_SAMPLE_TABLE} ORDER BY r"
    ).fetchnumpy()
    # fetchnumpy gives a masked array when a column has nulls; np.asarray would drop the mask.
    return [
        np.ma.filled(np.ma.asarray(arrays[_x(k)], dtype=np.float64), np.nan) for k in range(count)
    ]


def _average_ranks(values: np.ndarray) -> np.ndarray:
    ranks = np.full(values.shape, np.nan)
    present = ~np.isnan(values)
    # One sort: a value's average rank is the last position of its tie minus (size − 1)/2
    # (scipy's rankdata gives the same, ~10× slower on 100k values).
    _, inverse, counts = np.unique(values[present], return_inverse=True, return_counts=True)
    ranks[present] = (np.cumsum(counts) - (counts - 1) / 2)[inverse]
    return ranks


def _corr(a: np.ndarray, b: np.ndarray) -> float | None:
    if a.size < 2:
        return None
    da, db = a - a.mean(), b - b.mean()
    denominator = math.sqrt(float((da * da).sum()) * float((db * db).sum()))
    if denominator == 0:
        return None
    return max(-1.0, min(1.0, float((da * db).sum()) / denominator))


def _numeric_pairs(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], sampled: bool
) -> list[NumericCorrelation]:
    pairs = list(itertools.combinations(range(len(columns)), 2))
    if not pairs:
        return []
    # numpy on the (sampled) arrays: the equivalent SQL (corr() plus two rank windows per
    # column) took 1.1 s on 100k rows × 8 columns, this a small fraction of that.
    values = _numeric_arrays(con, len(columns))
    ranks = [_average_ranks(v) for v in values]
    present = [~np.isnan(v) for v in values]
    results = []
    for i, j in pairs:
        both = present[i] & present[j]
        n = int(both.sum())
        pearson = _corr(values[i][both], values[j][both])
        spearman = _corr(ranks[i][both], ranks[j][both])
        peak = max((abs(v) for v in (pearson, spearman) if v is not None), default=None)
        results.append(
            NumericCorrelation(
                table_name=table,
                column_a=columns[i],
                column_b=columns[j],
                pearson=pearson,
                spearman=spearman,
                n=n,
                sampled=sampled,
                p_value=_pearson_p_value(pearson, n),
                strength=strength(peak),
            )
        )
    return results


def _multicollinearity(
    table: str, columns: Sequence[str], pairs: Sequence[NumericCorrelation], sampled: bool
) -> list[Multicollinearity]:
    r = {(p.column_a, p.column_b): p.pearson for p in pairs}
    kept = list(columns)
    # Drop the column with the most undefined correlations until every pair is defined.
    while len(kept) >= 2:
        missing = {
            column: sum(
                1
                for other in kept
                if other != column and r.get((column, other), r.get((other, column))) is None
            )
            for column in kept
        }
        worst = max(kept, key=lambda column: missing[column])
        if not missing[worst]:
            break
        kept.remove(worst)
    if len(kept) < 2:
        return []
    matrix = np.eye(len(kept))
    for (a, column_a), (b, column_b) in itertools.combinations(enumerate(kept), 2):
        value = r.get((column_a, column_b), r.get((column_b, column_a)))
        matrix[a, b] = matrix[b, a] = value if value is not None else 0.0
    index, smallest, vector = condition_index(matrix)
    severity = next((label for label, limit in MULTICOLLINEARITY_BANDS if index >= limit), "none")
    involved = tuple(kept[k] for k in range(len(kept)) if abs(vector[k]) >= _LOADING)
    return [
        Multicollinearity(
            table_name=table,
            columns=tuple(kept),
            condition_index=index,
            severity=severity,
            involved_columns=involved,
            smallest_eigenvalue=smallest,
            sampled=sampled,
        )
    ]


def _match(
    values: Sequence[np.ndarray],
    present: Sequence[np.ndarray],
    target: int,
    p: int,
    q: int,
    op: str,
    rows: np.ndarray | None,
    options: CorrelationOptions,
) -> tuple[int, float]:
    """(rows tested, share matching) of ``values[target] = values[p] op values[q]`` on the
    given row positions (all rows when None)."""

    def pick(array: np.ndarray) -> np.ndarray:
        return array if rows is None else array[rows]

    t, a, b = pick(values[target]), pick(values[p]), pick(values[q])
    tested = pick(present[target]) & pick(present[p]) & pick(present[q]) & (a != 0) & (b != 0)
    with np.errstate(all="ignore"):
        if op == "add":
            combined = a + b
        else:
            combined = a * b
            tested &= (a != 1) & (b != 1)
        close = np.abs(t - combined) <= options.derived_relative_tolerance * np.maximum(
            np.abs(t), np.abs(combined)
        )
    count = int(tested.sum())
    return count, (int((tested & close).sum()) / count if count else 0.0)


def _derived(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[tuple[str, str]],
    numeric: Sequence[str],
    sampled: bool,
    options: CorrelationOptions,
) -> list[DerivedColumn]:
    used = list(numeric[: options.derived_max_columns])
    if len(used) < 3:
        return []
    # numpy, not SQL: C(8, 3) × 12 FILTER aggregates took 4.6 s on 100k rows in DuckDB (no
    # shared subexpressions), the same arithmetic on arrays takes a fraction of a second.
    values = _numeric_arrays(con, len(used))
    present = [~np.isnan(v) for v in values]
    # Screening: every candidate is first tested on derived_screen_rows rows drawn at random
    # with the seed (a stride could alias with periodic data such as every 10th row being a
    # subtotal); only those not clearly failing there are tested on all rows. Most of the
    # C(n, 3) × 6 candidates fail on the screen.
    size = values[0].size
    screen = np.sort(
        np.random.default_rng(options.seed).choice(
            size, size=min(size, options.derived_screen_rows), replace=False
        )
    )
    margin = options.derived_min_match_rate - options.derived_screen_margin
    best: dict[tuple[tuple[int, int, int], str], tuple[float, int, int]] = {}
    for triple in itertools.combinations(range(len(used)), 3):
        for target in triple:
            p, q = (k for k in triple if k != target)
            for op in ("add", "multiply"):
                screened, screened_rate = _match(values, present, target, p, q, op, screen, options)
                if screened >= options.derived_min_rows and screened_rate < margin:
                    continue
                rows_tested, rate = _match(values, present, target, p, q, op, None, options)
                if rows_tested < options.derived_min_rows or rate < options.derived_min_match_rate:
                    continue
                previous = best.get((triple, op))
                if previous is None or rate > previous[0]:
                    best[(triple, op)] = (rate, rows_tested, target)
    position = {column: index for index, (column, _) in enumerate(columns)}
    found = []
    for (triple, op), (rate, rows_tested, target) in sorted(best.items()):
        whole = used[target]
        parts = [used[k] for k in triple if k != target]
        last = max((used[k] for k in triple), key=lambda column: position[column])
        symbol = "+" if op == "add" else "×"
        if last == whole:
            operation, operands = op, parts
            expression = f"{whole} = {parts[0]} {symbol} {parts[1]}"
        else:
            other = parts[0] if parts[1] == last else parts[1]
            operation = "subtract" if op == "add" else "divide"
            operands = [whole, other]
            expression = f"{last} = {whole} {'−' if op == 'add' else '÷'} {other}"
        found.append(
            DerivedColumn(
                table_name=table,
                target_column=last,
                operation=operation,
                operand_columns=tuple(operands),
                match_rate=rate,
                rows_tested=rows_tested,
                expression=expression,
                sampled=sampled,
            )
        )
    return found


def _codes(con: duckdb.DuckDBPyConnection, plan: _Plan) -> dict[str, np.ndarray]:
    """Each dependency column of the sample as integer codes (−1 for null): every pair is then
    counted in numpy, one sort per pair instead of one query. Arrow's dictionary encoding
    keeps each column's type (no text parsing) and is ~10× faster than dense_rank windows."""
    if not plan.coded:
        return {}
    names = [_c(column, plan.coded) for column in plan.coded]
    arrow = con.sql(
        f"SELECT {', '.join(names)} FROM temp.{_SAMPLE_TABLE} ORDER BY r"
    ).to_arrow_table()
    codes = {}
    for column, name in zip(plan.coded, names, strict=True):
        encoded = arrow.column(name).combine_chunks().dictionary_encode()
        indices = encoded.indices.cast(pyarrow.int64()).fill_null(-1)
        codes[column] = np.asarray(indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return codes


@dataclass(frozen=True)
class _Cells:
    """The non-empty cells of a two-column contingency table (codes and row counts)."""

    a: np.ndarray
    b: np.ndarray
    count: np.ndarray


def _cells(a: np.ndarray, b: np.ndarray) -> _Cells:
    present = (a >= 0) & (b >= 0)
    width = int(b.max()) + 1 if b.size else 1
    keys, counts = np.unique(a[present] * width + b[present], return_counts=True)
    return _Cells(keys // width, keys % width, counts)


def _contingency(cells: _Cells) -> np.ndarray:
    _, rows = np.unique(cells.a, return_inverse=True)
    _, cols = np.unique(cells.b, return_inverse=True)
    table = np.zeros((int(rows.max(initial=-1)) + 1, int(cols.max(initial=-1)) + 1))
    table[rows, cols] = cells.count
    return table


def _pairs(
    con: duckdb.DuckDBPyConnection,
    table: str,
    plan: _Plan,
    sampled: bool,
    options: CorrelationOptions,
) -> tuple[list[CategoricalAssociation], list[FunctionalDependency]]:
    codes = _codes(con, plan)
    associations: list[CategoricalAssociation] = []
    dependencies: list[FunctionalDependency] = []
    for a, b in itertools.combinations(plan.categorical, 2):
        counts = _contingency(_cells(codes[a], codes[b]))
        v, chi_square, dof, p_value = cramers_v(counts)
        associations.append(
            CategoricalAssociation(
                table_name=table,
                column_a=a,
                column_b=b,
                cramers_v=v,
                n=int(counts.sum()),
                sampled=sampled,
                chi_square=chi_square,
                dof=dof,
                p_value=p_value,
                strength=strength(v),
            )
        )
    for a, b in itertools.combinations(plan.dependency, 2):
        if a not in plan.determinants and b not in plan.determinants:
            continue
        cells = _cells(codes[a], codes[b])
        n = int(cells.count.sum())
        if not n:
            continue
        sides = {a: _side(cells.a, cells.count), b: _side(cells.b, cells.count)}
        for determinant, dependent in ((a, b), (b, a)):
            if determinant in plan.determinants:
                found = _dependency(table, determinant, dependent, sides, n, sampled, options)
                if found is not None:
                    dependencies.append(found)
    return associations, dependencies


@dataclass(frozen=True)
class _Side:
    """One column's view of a pair's cells, grouped by its values."""

    tested: int  # rows whose value occurs more than once
    consistent: int  # of those, rows agreeing with their value's majority of the other column
    distinct: int
    top: int  # rows of the most frequent value


def _side(groups: np.ndarray, counts: np.ndarray) -> _Side:
    _, inverse = np.unique(groups, return_inverse=True)
    totals = np.bincount(inverse, weights=counts).astype(np.int64)
    majority = np.zeros(totals.size, dtype=np.int64)
    np.maximum.at(majority, inverse, counts)
    repeated = totals > 1
    return _Side(
        tested=int(totals[repeated].sum()),
        consistent=int(majority[repeated].sum()),
        distinct=int(totals.size),
        top=int(totals.max(initial=0)),
    )


def _dependency(
    table: str,
    determinant: str,
    dependent: str,
    sides: dict[str, _Side],
    n: int,
    sampled: bool,
    options: CorrelationOptions,
) -> FunctionalDependency | None:
    side = sides[determinant]
    if side.distinct > options.fd_max_determinant_ratio * n or side.tested < options.fd_min_rows:
        return None
    confidence, baseline = side.consistent / side.tested, sides[dependent].top / n
    if confidence < options.fd_min_confidence or baseline >= options.fd_min_confidence:
        return None
    return FunctionalDependency(
        table_name=table,
        determinant_columns=(determinant,),
        dependent_column=dependent,
        confidence=float(confidence),
        determinant_distinct=side.distinct,
        violating_rows=side.tested - side.consistent,
        n=side.tested,
        baseline=float(baseline),
        sampled=sampled,
    )


_NUMERIC_DDL = {
    "table_name": "VARCHAR",
    "column_a": "VARCHAR",
    "column_b": "VARCHAR",
    "pearson": "DOUBLE",
    "spearman": "DOUBLE",
    "n": "BIGINT",
    "sampled": "BOOLEAN",
    "p_value": "DOUBLE",
    "strength": "VARCHAR",
}
_CATEGORICAL_DDL = {
    "table_name": "VARCHAR",
    "column_a": "VARCHAR",
    "column_b": "VARCHAR",
    "cramers_v": "DOUBLE",
    "n": "BIGINT",
    "sampled": "BOOLEAN",
    "chi_square": "DOUBLE",
    "dof": "BIGINT",
    "p_value": "DOUBLE",
    "strength": "VARCHAR",
}
_DERIVED_DDL = {
    "table_name": "VARCHAR",
    "target_column": "VARCHAR",
    "operation": "VARCHAR",
    "operand_columns": "VARCHAR[]",
    "match_rate": "DOUBLE",
    "rows_tested": "BIGINT",
    "expression": "VARCHAR",
    "sampled": "BOOLEAN",
}
_FD_DDL = {
    "table_name": "VARCHAR",
    "determinant_columns": "VARCHAR[]",
    "dependent_column": "VARCHAR",
    "confidence": "DOUBLE",
    "determinant_distinct": "BIGINT",
    "violating_rows": "BIGINT",
    "n": "BIGINT",
    "baseline": "DOUBLE",
    "sampled": "BOOLEAN",
}
_MULTICOLLINEARITY_DDL = {
    "table_name": "VARCHAR",
    "columns": "VARCHAR[]",
    "condition_index": "DOUBLE",
    "severity": "VARCHAR",
    "involved_columns": "VARCHAR[]",
    "smallest_eigenvalue": "DOUBLE",
    "sampled": "BOOLEAN",
}
_SAMPLES_DDL = {
    "table_name": "VARCHAR",
    "rows": "BIGINT",
    "sampled": "BOOLEAN",
    "sample_size": "BIGINT",
    "seed": "BIGINT",
    "numeric_columns": "BIGINT",
    "categorical_columns": "BIGINT",
}
_SKIPPED_DDL = {
    "table_name": "VARCHAR",
    "column_name": "VARCHAR",
    "data_type": "VARCHAR",
    "analysis": "VARCHAR",
    "reason": "VARCHAR",
}


def _write_outputs(con: duckdb.DuckDBPyConnection, result: CorrelationResult) -> None:
    """(Re)create the output tables; the caller makes the file replacement atomic."""
    write_records(con, "numeric_correlations", _NUMERIC_DDL, result.numeric_correlations)
    write_records(
        con, "categorical_associations", _CATEGORICAL_DDL, result.categorical_associations
    )
    write_records(con, "derived_columns", _DERIVED_DDL, result.derived_columns)
    write_records(con, "functional_dependencies", _FD_DDL, result.functional_dependencies)
    write_records(con, "multicollinearity", _MULTICOLLINEARITY_DDL, result.multicollinearity)
    write_records(con, "table_samples", _SAMPLES_DDL, result.table_samples)
    write_records(con, "skipped_columns", _SKIPPED_DDL, result.skipped_columns)


_UNIT = {"min_value": 0, "max_value": 1}
_SIGNED_UNIT = {"min_value": -1, "max_value": 1}


class NumericCorrelationsSchema(pa.DataFrameModel):
    table_name: Series[str]
    column_a: Series[str]
    column_b: Series[str]
    # corr() can land a hair outside [-1, 1] in floating point.
    pearson: Series[float] = pa.Field(
        nullable=True, in_range={"min_value": -1.000001, "max_value": 1.000001}
    )
    spearman: Series[float] = pa.Field(
        nullable=True, in_range={"min_value": -1.000001, "max_value": 1.000001}
    )
    n: Series[int] = pa.Field(ge=0)
    sampled: Series[bool]
    p_value: Series[float] = pa.Field(nullable=True, in_range=_UNIT)
    strength: Series[str] = pa.Field(isin=list(STRENGTH_LABELS))

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True
        unique = ["table_name", "column_a", "column_b"]  # noqa: RUF012 - pandera reads it as is


class CategoricalAssociationsSchema(pa.DataFrameModel):
    table_name: Series[str]
    column_a: Series[str]
    column_b: Series[str]
    cramers_v: Series[float] = pa.Field(nullable=True, in_range=_UNIT)
    n: Series[int] = pa.Field(ge=0)
    sampled: Series[bool]
    chi_square: Series[float] = pa.Field(nullable=True, ge=0)
    dof: Series[int] = pa.Field(ge=0)
    p_value: Series[float] = pa.Field(nullable=True, in_range=_UNIT)
    strength: Series[str] = pa.Field(isin=list(STRENGTH_LABELS))

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True
        unique = ["table_name", "column_a", "column_b"]  # noqa: RUF012 - pandera reads it as is


class DerivedColumnsSchema(pa.DataFrameModel):
    table_name: Series[str]
    target_column: Series[str]
    operation: Series[str] = pa.Field(isin=list(DERIVED_OPERATIONS))
    operand_columns: Series[object]
    match_rate: Series[float] = pa.Field(in_range=_UNIT)
    rows_tested: Series[int] = pa.Field(gt=0)
    expression: Series[str]
    sampled: Series[bool]

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True

    @pa.check("operand_columns", name="two_operands")
    @classmethod
    def two_operands(cls, series: pd.Series) -> pd.Series:
        return is_list(series) & series.map(lambda value: value is not None and len(value) == 2)


class FunctionalDependenciesSchema(pa.DataFrameModel):
    table_name: Series[str]
    determinant_columns: Series[object]
    dependent_column: Series[str]
    confidence: Series[float] = pa.Field(in_range=_UNIT)
    determinant_distinct: Series[int] = pa.Field(gt=0)
    violating_rows: Series[int] = pa.Field(ge=0)
    n: Series[int] = pa.Field(gt=0)
    baseline: Series[float] = pa.Field(in_range=_UNIT)
    sampled: Series[bool]

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True

    @pa.check("determinant_columns", name="list")
    @classmethod
    def lists(cls, series: pd.Series) -> pd.Series:
        return is_list(series)

    @pa.dataframe_check
    @classmethod
    def better_than_baseline(cls, frame: pd.DataFrame) -> pd.Series:
        return pd.Series(frame["confidence"] > frame["baseline"])


class MulticollinearitySchema(pa.DataFrameModel):
    table_name: Series[str] = pa.Field(unique=True)
    columns: Series[object]
    condition_index: Series[float] = pa.Field(ge=0.999999)
    severity: Series[str] = pa.Field(isin=list(MULTICOLLINEARITY_LABELS))
    involved_columns: Series[object]
    smallest_eigenvalue: Series[float] = pa.Field(gt=0)
    sampled: Series[bool]

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True

    @pa.check("columns", "involved_columns", name="list")
    @classmethod
    def lists(cls, series: pd.Series) -> pd.Series:
        return is_list(series)


class TableSamplesSchema(pa.DataFrameModel):
    table_name: Series[str] = pa.Field(unique=True)
    rows: Series[int] = pa.Field(ge=0)
    sampled: Series[bool]
    sample_size: Series[int] = pa.Field(ge=0)
    seed: Series[float] = pa.Field(nullable=True)
    numeric_columns: Series[int] = pa.Field(ge=0)
    categorical_columns: Series[int] = pa.Field(ge=0)

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True

    @pa.dataframe_check
    @classmethod
    def sample_within_rows(cls, frame: pd.DataFrame) -> pd.Series:
        """A sampled table analyses fewer rows than it has; an unsampled one all of them."""
        return pd.Series(
            (frame["sample_size"] <= frame["rows"])
            & (frame["sampled"] | (frame["sample_size"] == frame["rows"]))
            & (frame["sampled"] == frame["seed"].notna())
        )


class SkippedColumnsSchema(pa.DataFrameModel):
    table_name: Series[str]
    column_name: Series[str]
    data_type: Series[str]
    analysis: Series[str] = pa.Field(isin=list(ANALYSES))
    reason: Series[str]

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True
        unique = ["table_name", "column_name", "analysis"]  # noqa: RUF012 - pandera reads it


OUTPUT_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "numeric_correlations": NumericCorrelationsSchema,
    "categorical_associations": CategoricalAssociationsSchema,
    "derived_columns": DerivedColumnsSchema,
    "functional_dependencies": FunctionalDependenciesSchema,
    "multicollinearity": MulticollinearitySchema,
    "table_samples": TableSamplesSchema,
    "skipped_columns": SkippedColumnsSchema,
}
