"""Synthetic copies of the typed tables and a fidelity report: the ``synthetic_tables`` stage.

Reads ``"<typed>".typed."<table>"``, ``"<pii>".main.pii_findings``, ``"<profiles>".main.
column_profiles`` (exact null rates, uniqueness) and, when attached, ``"<relationships>".main.
relationships``; writes ``synthetic."<table>"`` (same columns and types, ``_row`` = 1..N),
``column_fidelity`` and ``table_fidelity``.

How a table is synthesized (everything seeded: the same data and seed give the same rows):

- **Fit sample**: at most ``fit_rows`` real rows, deterministic (``hash(_row) % k = 0``).
- **Keys**: a unique, non-null integer or text column gets fresh unique values: integers count
  up from the real minimum; text keys keep a shared prefix and digit width (``C-0001`` →
  ``C-0001``.. in sequence) or become ``<column>_<n>``.
- **Foreign keys**: the child column of an accepted single-column relationship draws its values
  from the *synthetic* parent column (parents are synthesized first), so every synthetic child
  value exists in the synthetic parent; the child's null rate is kept.
- **PII columns** (from ``pii_findings``) get generated values of their kind, never taken from
  the real data: e-mails at RFC 2606 domains, +1 ... 555-01xx phone numbers, Luhn-valid card
  numbers in the 400000 test range, GB IBANs with a correct check and bank code TEST, SSNs in
  the never-issued 9xx area, RFC 5737 / RFC 3849 documentation IP addresses, names from a small
  built-in list, dates of birth from the copula jittered by up to 30 days, postal codes and
  other kinds as random characters in the shape of a real value. Afterwards every synthetic row
  is compared with every real row on the table's PII columns (in DuckDB, all rows); equal rows
  are regenerated, and the stage fails rather than write a row equal to a real one.
- **Everything else** (numbers, dates and timestamps, categories) goes through one Gaussian
  copula per table: each column's non-null values become normal scores of their mid-ranks
  (categories ordered by frequency), their pairwise correlation matrix (made positive
  semi-definite by clipping eigenvalues) drives a multivariate normal draw, and each column
  maps the draw back through its own empirical quantile function (inverted CDF: only values
  seen in the real column, in their real frequencies). So per-column distributions (numeric
  quantiles, category frequencies) and rank correlations are kept. Nulls are drawn per column
  at the real null rate.

Fidelity (written as tables and shown as asset metadata): per column, the two-sample
Kolmogorov-Smirnov statistic (numbers, dates) or the total variation distance (categories)
between the real fit sample and the synthetic values, and both null rates; per table, the
largest and mean column distance, the largest and mean absolute difference between the real
and synthetic Pearson correlation matrices of the numeric columns, the share of synthetic
child foreign-key values found in the synthetic parent, and the count of synthetic rows equal
to a real row on the PII columns (always 0).
"""

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import duckdb
import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pyarrow
from pandera.typing import Series
from scipy import stats

from dataraum_assets.analysis.output_tables import write_records
from dataraum_assets.analysis.typed_tables import typed_columns
from dataraum_assets.identifiers import ROW_NUMBER_COLUMN, quote_identifier

OUTPUT_SCHEMA = "synthetic"
METHODS = ("copula", "key", "foreign_key", "pii")
METRICS = ("ks", "total_variation")
_NUMERIC_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER"}
    | {"UBIGINT", "FLOAT", "DOUBLE"}
)
_INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
)
_TEMPORAL_TYPES = frozenset({"DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS"})
_PII_RETRIES = 20
_FIRST_NAMES = (
    "Alex",
    "Sam",
    "Robin",
    "Jordan",
    "Taylor",
    "Casey",
    "Morgan",
    "Jamie",
    "Avery",
    "Riley",
    "Quinn",
    "Charlie",
    "Drew",
    "Emery",
    "Finley",
    "Harper",
    "Jules",
    "Kai",
    "Logan",
    "Parker",
)
_LAST_NAMES = (
    "Example",
    "Sample",
    "Testwell",
    "Placeholder",
    "Fictional",
    "Madeup",
    "Synthia",
    "Mockford",
    "Dummett",
    "Fakely",
    "Notreal",
    "Inventa",
    "Pseudon",
    "Doe",
    "Roe",
    "Moe",
    "Stand",
    "Proxy",
)
_STREETS = ("Example", "Sample", "Test", "Placeholder", "Fiction", "Synthetic", "Mock", "Demo")
_STREET_SUFFIXES = ("Street", "Avenue", "Road", "Lane", "Way", "Close")


class SyntheticDataError(RuntimeError):
    """Synthetic data could not be made without a row equal to a real one on PII columns."""


@dataclass(frozen=True)
class SyntheticOptions:
    rows: int | None = None  # per table; None: as many as the real table, capped at max_rows
    max_rows: int = 100_000
    tables: Mapping[str, int] = field(default_factory=dict)  # table → rows
    seed: int = 0
    fit_rows: int = 100_000

    def rows_for(self, table: str, real_rows: int) -> int:
        if table in self.tables:
            return int(self.tables[table])
        if self.rows is not None:
            return int(self.rows)
        return min(real_rows, self.max_rows)


@dataclass(frozen=True)
class ColumnFidelity:
    table_name: str
    column_name: str
    method: str  # copula, key, foreign_key, pii
    metric: str | None  # ks, total_variation; NULL for keys and PII (not meant to match)
    distance: float | None
    real_null_rate: float
    synthetic_null_rate: float


@dataclass(frozen=True)
class TableFidelity:
    table_name: str
    real_rows: int
    synthetic_rows: int
    fit_rows: int
    max_distance: float | None
    mean_distance: float | None
    correlation_columns: int
    correlation_max_abs_diff: float | None
    correlation_mean_abs_diff: float | None
    foreign_keys: int
    fk_integrity: float | None  # share of non-null synthetic FK values found in the parent
    pii_row_collisions: int


@dataclass(frozen=True)
class SyntheticResult:
    columns: tuple[ColumnFidelity, ...] = ()
    tables: tuple[TableFidelity, ...] = ()


@dataclass(frozen=True)
class _ForeignKey:
    child_table: str
    child_column: str
    parent_table: str
    parent_column: str


@dataclass
class _Profile:
    null_ratio: float
    is_unique: bool


def build_synthetic_tables(
    con: duckdb.DuckDBPyConnection,
    options: SyntheticOptions = SyntheticOptions(),  # frozen, so a safe default
    progress: Callable[[str], None] | None = None,
    typed_database: str = "typed_tables",
    pii_database: str = "pii_findings",
    profiles_database: str = "statistical_profiles",
    relationships_database: str | None = None,
) -> SyntheticResult:
    """Write ``synthetic."<table>"`` for every typed table plus ``column_fidelity`` and
    ``table_fidelity``; returns the fidelity records."""
    tables = typed_columns(con, typed_database)
    pii = {
        (table, column): kind
        for table, column, kind in con.execute(
            f"SELECT table_name, column_name, pii_kind FROM {quote_identifier(pii_database)}"
            ".main.pii_findings"
        ).fetchall()
    }
    profiles = {
        (table, column): _Profile(float(null_ratio or 0.0), bool(is_unique))
        for table, column, null_ratio, is_unique in con.execute(
            "SELECT table_name, column_name, null_ratio, is_unique FROM "
            f"{quote_identifier(profiles_database)}.main.column_profiles"
        ).fetchall()
    }
    foreign_keys = (
        _foreign_keys(con, relationships_database, tables) if relationships_database else []
    )
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {OUTPUT_SCHEMA}")
    typed = quote_identifier(typed_database)
    column_records: list[ColumnFidelity] = []
    table_records: list[TableFidelity] = []
    for index, table in enumerate(_parents_first(list(tables), foreign_keys)):
        rng = np.random.default_rng([options.seed, index])
        source = f"{typed}.typed.{quote_identifier(table)}"
        [(real_rows,)] = con.execute(f"SELECT count(*) FROM {source}").fetchall()
        n = options.rows_for(table, int(real_rows))
        real = _fit_sample(con, source, int(real_rows), options.fit_rows)
        columns = tables[table]
        table_fks = {fk.child_column: fk for fk in foreign_keys if fk.child_table == table}
        methods: dict[str, str] = {}
        synthetic: dict[str, np.ndarray] = {}
        copula_columns: list[tuple[str, str]] = []
        for column, data_type in columns:
            profile = profiles.get(
                (table, column), _Profile(_null_rate(_series(real, column)), False)
            )
            if column in table_fks:
                methods[column] = "foreign_key"
                synthetic[column] = _foreign_key_values(
                    con, table_fks[column], n, profile.null_ratio, rng
                )
            elif (table, column) in pii:
                methods[column] = "pii"
            elif (
                profile.is_unique
                and profile.null_ratio == 0
                and (data_type in _INTEGER_TYPES or data_type == "VARCHAR")
            ):
                methods[column] = "key"
                synthetic[column] = _key_values(_series(real, column), column, data_type, n)
            else:
                methods[column] = "copula"
                copula_columns.append((column, data_type))
        nulls = {
            column: profiles.get(
                (table, column), _Profile(_null_rate(_series(real, column)), False)
            )
            for column, _ in columns
        }
        synthetic.update(
            _copula(real, copula_columns, n, {c: p.null_ratio for c, p in nulls.items()}, rng)
        )
        pii_columns = [
            (column, data_type) for column, data_type in columns if methods[column] == "pii"
        ]
        for column, data_type in pii_columns:
            synthetic[column] = _pii_values(
                pii[(table, column)],
                column,
                data_type,
                _series(real, column),
                n,
                nulls[column].null_ratio,
                rng,
            )
        collisions = _resolve_pii_collisions(
            con, source, table, pii_columns, pii, synthetic, real, nulls, rng
        )
        _write_table(con, table, columns, synthetic, n)
        records = [
            _column_fidelity(
                table,
                column,
                data_type,
                methods[column],
                _series(real, column),
                synthetic[column],
                nulls[column].null_ratio,
            )
            for column, data_type in columns
        ]
        column_records.extend(records)
        numeric = [c for c, t in columns if methods[c] == "copula" and t in _NUMERIC_TYPES]
        correlation = _correlation_difference(real, synthetic, numeric)
        integrity = [_fk_integrity(con, fk) for fk in foreign_keys if fk.child_table == table]
        distances = [r.distance for r in records if r.distance is not None]
        table_records.append(
            TableFidelity(
                table_name=table,
                real_rows=int(real_rows),
                synthetic_rows=n,
                fit_rows=len(real),
                max_distance=max(distances) if distances else None,
                mean_distance=float(np.mean(distances)) if distances else None,
                correlation_columns=len(numeric),
                correlation_max_abs_diff=correlation[0],
                correlation_mean_abs_diff=correlation[1],
                foreign_keys=len(integrity),
                fk_integrity=min(integrity) if integrity else None,
                pii_row_collisions=collisions,
            )
        )
        if progress:
            progress(
                f"synthetic_tables: {table}: {n:,} rows from {len(real):,} real rows, "
                f"{len(copula_columns)} copula columns, {len(pii_columns)} PII columns"
            )
    table_records.sort(key=lambda r: r.table_name)
    write_records(con, "column_fidelity", _COLUMN_DDL, column_records)
    write_records(con, "table_fidelity", _TABLE_DDL, table_records)
    return SyntheticResult(tuple(column_records), tuple(table_records))


def _foreign_keys(
    con: duckdb.DuckDBPyConnection, database: str, tables: Mapping[str, Sequence[tuple[str, str]]]
) -> list[_ForeignKey]:
    columns = {(t, c) for t, cols in tables.items() for c, _ in cols}
    keys = []
    seen: set[tuple[str, str]] = set()
    for child_table, child, parent_table, parent in con.execute(
        "SELECT child_table, child_columns, parent_table, parent_columns FROM "
        f"{quote_identifier(database)}.main.relationships WHERE status = 'accepted' "
        "ORDER BY child_table, child_columns, parent_table, parent_columns"
    ).fetchall():
        # Composite keys are left to the copula: drawing a tuple from the parent would need
        # all its columns generated together (not done yet).
        if len(child) != 1 or len(parent) != 1 or child_table == parent_table:
            continue
        if (child_table, child[0]) in seen or (child_table, child[0]) not in columns:
            continue
        if (parent_table, parent[0]) not in columns:
            continue
        seen.add((child_table, child[0]))
        keys.append(_ForeignKey(child_table, child[0], parent_table, parent[0]))
    return keys


def _parents_first(tables: list[str], foreign_keys: Sequence[_ForeignKey]) -> list[str]:
    """Tables ordered so each parent comes before its children; a foreign key that would close
    a cycle is dropped from the ordering (its child then reads a parent not yet written)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(table: str) -> None:
        if table in order or table in visiting:
            return
        visiting.add(table)
        for fk in foreign_keys:
            if fk.child_table == table:
                visit(fk.parent_table)
        visiting.discard(table)
        order.append(table)

    for table in sorted(tables):
        visit(table)
    return order


def _fit_sample(
    con: duckdb.DuckDBPyConnection, source: str, rows: int, fit_rows: int
) -> pd.DataFrame:
    row = quote_identifier(ROW_NUMBER_COLUMN)
    where = f"WHERE hash({row}) % {math.ceil(rows / fit_rows)} = 0" if rows > fit_rows else ""
    frame = con.execute(f"SELECT * EXCLUDE ({row}) FROM {source} {where} ORDER BY {row}").df()
    return frame


def _series(frame: pd.DataFrame, column: str) -> pd.Series:
    return cast(pd.Series, frame[column])


def _null_rate(values: pd.Series) -> float:
    return float(values.isna().mean()) if len(values) else 0.0


def _key_values(real: pd.Series, column: str, data_type: str, n: int) -> np.ndarray:
    if data_type in _INTEGER_TYPES:
        start = int(real.min()) if len(real.dropna()) else 1
        return np.arange(start, start + n, dtype=np.int64).astype(object)
    texts = [str(v) for v in real.dropna()]
    shapes = {re.fullmatch(r"(\D*?)(\d+)", text) for text in texts[:1000]}
    if texts and all(shapes):
        prefixes = {m.group(1) for m in shapes if m}
        widths = {len(m.group(2)) for m in shapes if m}
        if len(prefixes) == 1:
            prefix, width = prefixes.pop(), max(widths)
            return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)
    return np.array([f"{column}_{i}" for i in range(1, n + 1)], dtype=object)


def _foreign_key_values(
    con: duckdb.DuckDBPyConnection,
    fk: _ForeignKey,
    n: int,
    null_ratio: float,
    rng: np.random.Generator,
) -> np.ndarray:
    target = f"{OUTPUT_SCHEMA}.{quote_identifier(fk.parent_table)}"
    column = quote_identifier(fk.parent_column)
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? "
        "AND database_name = current_database()",
        [OUTPUT_SCHEMA, fk.parent_table],
    ).fetchall()[0][0]
    parents = (
        [
            v
            for (v,) in con.execute(
                f"SELECT DISTINCT {column} FROM {target} WHERE {column} IS NOT NULL ORDER BY 1"
            ).fetchall()
        ]
        if exists
        else []
    )
    values = np.empty(n, dtype=object)
    if not parents:
        return values
    values[:] = [parents[i] for i in rng.integers(0, len(parents), size=n)]
    values[rng.random(n) < null_ratio] = None
    return values


def _is_temporal(data_type: str) -> bool:
    return data_type in _TEMPORAL_TYPES


def _copula(
    real: pd.DataFrame,
    columns: Sequence[tuple[str, str]],
    n: int,
    null_rates: Mapping[str, float],
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Gaussian copula over ``columns`` (module docstring); returns column → n values."""
    if not columns:
        return {}
    supports: dict[str, np.ndarray] = {}
    scores = {}
    for column, data_type in columns:
        values = _series(real, column).dropna()
        if _is_temporal(data_type) or data_type in _NUMERIC_TYPES:
            ordered = values.to_numpy()
            support = np.sort(ordered)
            codes = pd.Series(ordered)
        else:
            originals: dict[str, object] = {}
            for value in values:
                originals.setdefault(str(value), value)
            frequencies = values.astype(str).value_counts(sort=True)
            support = np.arange(len(frequencies))
            lookup = {label: code for code, label in enumerate(frequencies.index)}
            codes = pd.Series([lookup[str(v)] for v in values])
            supports[column + "\x00labels"] = np.array(
                [originals[str(label)] for label in frequencies.index], dtype=object
            )
        supports[column] = np.sort(codes.to_numpy()) if len(codes) else support
        score = pd.Series(np.nan, index=real.index)
        if len(values):
            ranks = stats.rankdata(codes.to_numpy(), method="average")
            score.loc[values.index] = stats.norm.ppf((ranks - 0.5) / len(values))
        scores[column] = score
    frame = pd.DataFrame(scores)
    correlation = frame.corr(min_periods=3).fillna(0.0).to_numpy(copy=True)
    np.fill_diagonal(correlation, 1.0)
    correlation = _nearest_correlation(correlation)
    draws = rng.multivariate_normal(np.zeros(len(columns)), correlation, size=n, method="eigh")
    uniforms = stats.norm.cdf(draws)
    result: dict[str, np.ndarray] = {}
    for position, (column, _data_type) in enumerate(columns):
        support = supports[column]
        values = np.empty(n, dtype=object)
        if len(support):
            index = np.clip(
                np.ceil(uniforms[:, position] * len(support)).astype(int) - 1, 0, len(support) - 1
            )
            picked = support[index]
            labels = supports.get(column + "\x00labels")
            values[:] = list(labels[picked.astype(int)] if labels is not None else picked)
        values[rng.random(n) < null_rates.get(column, 0.0)] = None
        if not len(support):
            values[:] = None
        result[column] = values
    return result


def _nearest_correlation(matrix: np.ndarray) -> np.ndarray:
    """Clip negative eigenvalues and rescale to unit diagonal: a valid correlation matrix."""
    eigenvalues, eigenvectors = np.linalg.eigh((matrix + matrix.T) / 2)
    fixed = eigenvectors @ np.diag(np.clip(eigenvalues, 1e-8, None)) @ eigenvectors.T
    scale = np.sqrt(np.diag(fixed))
    return fixed / np.outer(scale, scale)


def luhn_check_digit(partial: str) -> str:
    """The digit that makes ``partial`` + digit pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(partial)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return str((10 - total % 10) % 10)


def iban_check_digits(country: str, bban: str) -> str:
    """ISO 13616 check digits for ``country`` + ``bban``."""
    rearranged = bban + country + "00"
    number = int("".join(str(int(c, 36)) for c in rearranged))
    return f"{98 - number % 97:02d}"


def _shaped(template: str, rng: np.random.Generator) -> str:
    chars = []
    for char in template:
        if char.isdigit():
            chars.append(str(rng.integers(0, 10)))
        elif char.isalpha():
            letter = chr(ord("A") + int(rng.integers(0, 26)))
            chars.append(letter if char.isupper() else letter.lower())
        else:
            chars.append(char)
    return "".join(chars)


def _fake(kind: str, column: str, template: str, rng: np.random.Generator, i: int) -> str:
    first = _FIRST_NAMES[int(rng.integers(0, len(_FIRST_NAMES)))]
    last = _LAST_NAMES[int(rng.integers(0, len(_LAST_NAMES)))]
    if kind == "email":
        domain = ("example.com", "example.net", "example.org")[int(rng.integers(0, 3))]
        return f"{first.lower()}.{last.lower()}{i}@{domain}"
    if kind == "phone":
        return f"+1 {int(rng.integers(201, 990))} 555 01{int(rng.integers(0, 100)):02d}"
    if kind == "payment_card":
        partial = "400000" + "".join(str(d) for d in rng.integers(0, 10, size=9))
        return partial + luhn_check_digit(partial)
    if kind == "iban":
        bban = "TEST" + "".join(str(d) for d in rng.integers(0, 10, size=14))
        return f"GB{iban_check_digits('GB', bban)}{bban}"
    if kind == "ssn":
        digits = rng.integers(0, 10, size=8)
        return f"9{digits[0]}{digits[1]}-{digits[2]}{digits[3]}-{''.join(map(str, digits[4:]))}"
    if kind == "ip_address":
        if ":" in template:
            return f"2001:db8::{int(rng.integers(1, 65536)):x}:{int(rng.integers(1, 65536)):x}"
        prefix = ("192.0.2", "198.51.100", "203.0.113")[int(rng.integers(0, 3))]
        return f"{prefix}.{int(rng.integers(1, 255))}"
    if kind == "person_name":
        if re.search(r"first|given|fore|fname", column):
            return first
        if re.search(r"last|family|surname|lname|maiden", column):
            return last
        return f"{first} {last}"
    if kind == "postal_address":
        street = _STREETS[int(rng.integers(0, len(_STREETS)))]
        suffix = _STREET_SUFFIXES[int(rng.integers(0, len(_STREET_SUFFIXES)))]
        return f"{int(rng.integers(1, 999))} {street} {suffix}"
    return _shaped(template, rng)


def _pii_values(
    kind: str,
    column: str,
    data_type: str,
    real: pd.Series,
    n: int,
    null_ratio: float,
    rng: np.random.Generator,
) -> np.ndarray:
    present = real.dropna()
    values = np.empty(n, dtype=object)
    if not len(present):
        return values
    if _is_temporal(data_type):
        picked = present.to_numpy()[rng.integers(0, len(present), size=n)]
        jitter = rng.integers(-30, 31, size=n)
        values[:] = [
            _shift_days(value, int(days)) for value, days in zip(picked, jitter, strict=True)
        ]
    else:
        templates = [str(v) for v in present.to_numpy()[rng.integers(0, len(present), size=n)]]
        fakes = [_fake(kind, column, template, rng, i) for i, template in enumerate(templates, 1)]
        values[:] = [_as_type(fake, data_type) for fake in fakes]
    values[rng.random(n) < null_ratio] = None
    return values


def _shift_days(value: object, days: int) -> object:
    return pd.Timestamp(value) + pd.Timedelta(days=days)  # type: ignore[arg-type]


def _as_type(value: str, data_type: str) -> object:
    if data_type in _INTEGER_TYPES:
        digits = re.sub(r"\D", "", value)
        return int(digits) if digits else None
    return value


def _resolve_pii_collisions(
    con: duckdb.DuckDBPyConnection,
    source: str,
    table: str,
    pii_columns: Sequence[tuple[str, str]],
    kinds: Mapping[tuple[str, str], str],
    synthetic: dict[str, np.ndarray],
    real: pd.DataFrame,
    nulls: Mapping[str, _Profile],
    rng: np.random.Generator,
) -> int:
    """Regenerate the PII values of synthetic rows equal to a real row on every PII column;
    returns the collisions left (0) or raises. Compared in DuckDB against all real rows."""
    if not pii_columns:
        return 0
    for _attempt in range(_PII_RETRIES):
        colliding = _collisions(con, source, pii_columns, synthetic)
        if not len(colliding):
            return 0
        for column, data_type in pii_columns:
            fresh = _pii_values(
                kinds[(table, column)],
                column,
                data_type,
                _series(real, column),
                len(colliding),
                nulls[column].null_ratio,
                rng,
            )
            synthetic[column][colliding] = fresh
    left = len(_collisions(con, source, pii_columns, synthetic))
    if left:
        raise SyntheticDataError(
            f"{table}: {left} synthetic rows still equal a real row on the PII columns "
            f"{', '.join(c for c, _ in pii_columns)} after {_PII_RETRIES} regenerations"
        )
    return 0


def _collisions(
    con: duckdb.DuckDBPyConnection,
    source: str,
    pii_columns: Sequence[tuple[str, str]],
    synthetic: Mapping[str, np.ndarray],
) -> np.ndarray:
    names = [column for column, _ in pii_columns]
    arrow = pyarrow.table(
        {
            "__i": pyarrow.array(np.arange(len(synthetic[names[0]]))),
            **{
                f"c{index}": pyarrow.array(
                    [None if v is None else str(v) for v in synthetic[name]], type=pyarrow.string()
                )
                for index, name in enumerate(names)
            },
        }
    )
    con.register("__synthetic_pii", arrow)
    try:
        condition = " AND ".join(
            f"s.c{index} IS NOT DISTINCT FROM CAST(r.{quote_identifier(name)} AS VARCHAR)"
            for index, name in enumerate(names)
        )
        rows = con.execute(
            f"SELECT DISTINCT s.__i FROM __synthetic_pii s SEMI JOIN {source} r ON {condition} "
            "ORDER BY 1"
        ).fetchall()
    finally:
        con.unregister("__synthetic_pii")
    return np.array([i for (i,) in rows], dtype=np.int64)


def _write_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[tuple[str, str]],
    synthetic: Mapping[str, np.ndarray],
    n: int,
) -> None:
    arrays = {ROW_NUMBER_COLUMN: pyarrow.array(np.arange(1, n + 1, dtype=np.int64))}
    casts = [quote_identifier(ROW_NUMBER_COLUMN)]
    for index, (column, data_type) in enumerate(columns):
        values = synthetic.get(column)
        items = values if values is not None else [None] * n
        arrays[f"c{index}"] = pyarrow.array([_text(v) for v in items], type=pyarrow.string())
        text = f"c{index}"
        if _is_temporal(data_type):
            # pandas/numpy spell dates as timestamps ('2020-01-31T00:00:00'): parse, then narrow
            text = f"CAST(c{index} AS TIMESTAMP)"
        casts.append(f"CAST({text} AS {data_type}) AS {quote_identifier(column)}")
    con.register("__synthetic_rows", pyarrow.table(arrays))
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {OUTPUT_SCHEMA}.{quote_identifier(table)} AS "
            f"SELECT {', '.join(casts)} FROM __synthetic_rows"
        )
    finally:
        con.unregister("__synthetic_rows")


def _text(value: object) -> str | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else str(pd.Timestamp(value))
    return str(value)


def _column_fidelity(
    table: str,
    column: str,
    data_type: str,
    method: str,
    real: pd.Series,
    synthetic: np.ndarray,
    real_null_rate: float,
) -> ColumnFidelity:
    present = [v for v in synthetic if v is not None]
    synthetic_null_rate = 1 - len(present) / len(synthetic) if len(synthetic) else 0.0
    metric: str | None = None
    distance: float | None = None
    real_present = real.dropna()
    if method == "copula" and len(present) and len(real_present):
        if data_type in _NUMERIC_TYPES or _is_temporal(data_type):
            metric = "ks"
            ks = stats.ks_2samp(
                _as_numbers(real_present.to_numpy()), _as_numbers(np.array(present))
            )
            distance = float(cast(Any, ks).statistic)
        else:
            metric = "total_variation"
            p = real_present.astype(str).value_counts(normalize=True)
            q = pd.Series([str(v) for v in present]).value_counts(normalize=True)
            categories = p.index.union(q.index)
            gaps = p.reindex(categories, fill_value=0) - q.reindex(categories, fill_value=0)
            distance = float(0.5 * np.abs(gaps.to_numpy()).sum())
    return ColumnFidelity(
        table,
        column,
        method,
        metric,
        distance,
        round(real_null_rate, 6),
        round(synthetic_null_rate, 6),
    )


def _as_numbers(values: np.ndarray) -> np.ndarray:
    if len(values) and not isinstance(values[0], int | float | np.number):
        return pd.to_datetime(pd.Series(values)).astype("int64").to_numpy(dtype=float)
    return values.astype(float)


def _correlation_difference(
    real: pd.DataFrame, synthetic: Mapping[str, np.ndarray], columns: Sequence[str]
) -> tuple[float | None, float | None]:
    if len(columns) < 2:
        return (None, None)
    real_matrix = cast(pd.DataFrame, real[list(columns)]).astype(float).corr().to_numpy()
    frame = pd.DataFrame(
        {c: pd.to_numeric(pd.Series(synthetic[c]), errors="coerce") for c in columns}
    )
    synthetic_matrix = frame.astype(float).corr().to_numpy()
    upper = np.triu_indices(len(columns), k=1)
    differences = np.abs(real_matrix[upper] - synthetic_matrix[upper])
    differences = differences[~np.isnan(differences)]
    if not len(differences):
        return (None, None)
    return (round(float(differences.max()), 6), round(float(differences.mean()), 6))


def _fk_integrity(con: duckdb.DuckDBPyConnection, fk: _ForeignKey) -> float:
    child = f"{OUTPUT_SCHEMA}.{quote_identifier(fk.child_table)}"
    parent = f"{OUTPUT_SCHEMA}.{quote_identifier(fk.parent_table)}"
    c, p = quote_identifier(fk.child_column), quote_identifier(fk.parent_column)
    [(total, found)] = con.execute(
        f"SELECT count(c.{c}), count(c.{c}) FILTER (WHERE c.{c} IN (SELECT {p} FROM {parent})) "
        f"FROM {child} c"
    ).fetchall()
    return 1.0 if not total else found / total


_COLUMN_DDL = {
    "table_name": "VARCHAR",
    "column_name": "VARCHAR",
    "method": "VARCHAR",
    "metric": "VARCHAR",
    "distance": "DOUBLE",
    "real_null_rate": "DOUBLE",
    "synthetic_null_rate": "DOUBLE",
}
_TABLE_DDL = {
    "table_name": "VARCHAR",
    "real_rows": "BIGINT",
    "synthetic_rows": "BIGINT",
    "fit_rows": "BIGINT",
    "max_distance": "DOUBLE",
    "mean_distance": "DOUBLE",
    "correlation_columns": "INTEGER",
    "correlation_max_abs_diff": "DOUBLE",
    "correlation_mean_abs_diff": "DOUBLE",
    "foreign_keys": "INTEGER",
    "fk_integrity": "DOUBLE",
    "pii_row_collisions": "BIGINT",
}
_UNIT = {"min_value": 0, "max_value": 1}


class ColumnFidelitySchema(pa.DataFrameModel):
    table_name: Series[str]
    column_name: Series[str]
    method: Series[str] = pa.Field(isin=list(METHODS))
    metric: Series[str] = pa.Field(nullable=True, isin=list(METRICS))
    distance: Series[float] = pa.Field(nullable=True, in_range=_UNIT)
    real_null_rate: Series[float] = pa.Field(in_range=_UNIT)
    synthetic_null_rate: Series[float] = pa.Field(in_range=_UNIT)

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True
        unique = ["table_name", "column_name"]  # noqa: RUF012 - pandera reads it as is


class TableFidelitySchema(pa.DataFrameModel):
    table_name: Series[str] = pa.Field(unique=True)
    real_rows: Series[int] = pa.Field(ge=0)
    synthetic_rows: Series[int] = pa.Field(ge=0)
    fit_rows: Series[int] = pa.Field(ge=0)
    max_distance: Series[float] = pa.Field(nullable=True, in_range=_UNIT)
    mean_distance: Series[float] = pa.Field(nullable=True, in_range=_UNIT)
    correlation_columns: Series[int] = pa.Field(ge=0)
    correlation_max_abs_diff: Series[float] = pa.Field(nullable=True, ge=0, le=2)
    correlation_mean_abs_diff: Series[float] = pa.Field(nullable=True, ge=0, le=2)
    foreign_keys: Series[int] = pa.Field(ge=0)
    fk_integrity: Series[float] = pa.Field(nullable=True, in_range=_UNIT)
    # A synthetic row equal to a real one on its PII columns is never written.
    pii_row_collisions: Series[int] = pa.Field(eq=0)

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True


OUTPUT_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "column_fidelity": ColumnFidelitySchema,
    "table_fidelity": TableFidelitySchema,
}
