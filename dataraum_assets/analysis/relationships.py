"""Foreign keys between the tables of a source, found by value containment and verified on data.

Reads ``"<typed>".typed."<table>"`` (the data) and ``"<typed>".main.type_decisions`` (original
headers, for names), and ``"<profiles>".main.column_profiles`` when attached (exact distinct
counts, nulls, min/max: the pruning runs on them before any join; without it the same numbers
are computed here, distinct counts by HyperLogLog). Writes ``relationships`` into the
connection's default database (``docs/data-plane.md`` lists its columns).

How a candidate is found and decided:

- **Key families.** Only type-compatible columns are compared: integers (any width, and
  ``DECIMAL(p, 0)``) with integers, text (and UUID) with text, a date or timestamp type with
  the same type (a date dimension keyed by ``20240131`` is typed DATE). Booleans and
  floating-point or fractional decimals are never keys.
- **Parent side.** A parent key is a column whose distinct values are at least
  ``parent_min_uniqueness`` of its non-null values (near-unique: a real key may carry a
  duplicate, which is then reported as fan-out), with at least two distinct values. A composite
  parent is a pair of columns, neither near-unique alone, that is near-unique together, in a
  table of at most ``composite_max_parent_rows`` rows.
- **Pruning before any join** (from the profiles): same family, value ranges overlap, and the
  child has at most ``parent distinct / report_min_containment`` distinct values (otherwise
  containment cannot reach the reporting floor).
- **Containment** = share of the child's distinct non-null values found in the parent;
  ``reverse_containment`` = share of the parent's distinct values used by the child; ``jaccard`` =
  |C∩P| / |C∪P|; ``score`` = (containment + jaccard) / 2. Exact (a semi-join of the distinct
  sets) when the child has at most ``exact_max_distinct`` distinct values; above that
  ``approximate``: a coordinated hash sample of about ``sample_size`` distinct child values
  (the same values on every run; ``sample_size`` is recorded).
- **Value evidence.** Containment proves little when it is implied by the value range: an
  integer column inside a dense integer range (``max_range_density`` of the integers between the
  parent's min and max are parent values, e.g. ids 1..N) is contained whatever it means
  (quantities 1..20, years, line numbers), and so is a column with fewer than
  ``min_informative_distinct`` distinct values, one-character codes, or dates and timestamps
  (a calendar is dense: every daily table "contains" every other one; a single date key is
  therefore only accepted into a calendar table, one whose name is calendar-like, such as
  ``dates`` or ``calendar``, or that the child column names; the same holds for integer keys
  named as a part of a date, ``year`` or ``(year, quarter)``). That evidence is
  ``weak``; containment of text keys, or of integers in a sparse range, is ``strong``.
- **Name affinity** (a tie-breaker only): the child column's name equals the parent column's,
  or names the parent table (``album_id`` → ``albums``), shares a stem with it (``ship_via`` →
  ``shippers``), or names a person role (``support_rep_id``, ``reports_to``, ``manager_id``)
  while the parent is a person table (employees, staff, users, ...). It never accepts a
  candidate the values contradict.
- **Decision.** Accepted when containment ≥ ``min_containment`` and the evidence is strong, or
  weak but broken by name affinity; a weak candidate without affinity is rejected as a
  coincidental overlap. A child key keeps at most one parent: the accepted candidate with the
  highest (affinity, score); the others are rejected naming the winner. Of two accepted
  opposite directions between the same columns (1:1), the better one is kept. Every written row
  says why in ``reason``. Candidates below ``report_min_containment`` are not written.
- **Verification** (accepted rows, exact over all rows): ``orphan_count`` = child rows whose
  non-null key is missing from the parent (a composite key counts when all its columns are
  non-null), ``orphan_examples``, ``null_count`` = child rows with a null key column,
  ``cardinality`` child:parent ('N:1' when child values repeat and parent values do not; '1:1',
  '1:N', 'N:M' likewise), ``fan_out`` = a join child → parent would duplicate child rows
  (``fan_out_rows`` = the extra rows). Rejected rows leave these NULL.
"""

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import duckdb
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from dataraum_assets.analysis.column_kinds import INTEGER_TYPES
from dataraum_assets.analysis.output_tables import is_list_or_null, write_records
from dataraum_assets.analysis.typed_tables import typed_columns
from dataraum_assets.identifiers import quote_identifier

STATUSES = ("accepted", "rejected")
CARDINALITIES = ("1:1", "N:1", "1:N", "N:M")
METHODS = ("exact", "approximate")
EVIDENCE = ("strong", "weak")
_TEXT_TYPES = frozenset({"VARCHAR", "UUID"})
_TEMPORAL_TYPES = frozenset({"DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS"})
_DECIMAL = re.compile(r"^DECIMAL\(\d+,\s*(\d+)\)$")
# Name parts that say "this is a key" without saying of what.
_GENERIC_TOKENS = frozenset(
    {"id", "key", "code", "no", "nr", "num", "number", "fk", "pk", "ref", "sk", "uid", "to", "by"}
)
# A column naming a person's role points at a table of people (support_rep_id -> employees).
_ROLE_WORDS = (
    "rep",
    "representative",
    "agent",
    "manager",
    "supervisor",
    "boss",
    "report",
    "salesperson",
    "seller",
    "owner",
    "creator",
    "assignee",
    "approver",
    "author",
    "clerk",
    "buyer",
    "handler",
    "lead",
    "mentor",
    "reviewer",
    "cashier",
    "staff",
    "employee",
    "user",
    "person",
)
_PERSON_TABLE_WORDS = frozenset(
    {"employee", "staff", "user", "person", "people", "member", "agent", "worker", "personnel"}
)
_CALENDAR_WORDS = frozenset(
    {
        "date",
        "day",
        "calendar",
        "time",
        "period",
        "week",
        "month",
        "quarter",
        "hour",
        "fiscal",
        "year",
    }
)
# Integer columns named like these hold a part of a date, not an identifier.
_TIME_PARTS = frozenset({"year", "yr", "quarter", "qtr", "month", "week", "day", "hour"})
_SAMPLE_MODULUS = 1_000_000


@dataclass(frozen=True)
class RelationshipOptions:
    """Thresholds of the relationship search (module docstring for the definitions)."""

    # Share of the child's distinct values that must be in the parent to accept (orphans allowed).
    min_containment: float = 0.8
    # Candidates below this containment are not written at all.
    report_min_containment: float = 0.5
    # distinct / non-null of a parent key (near-unique: one duplicate in 1,500 keys is a key).
    parent_min_uniqueness: float = 0.98
    # An integer parent whose values fill this share of its min..max range makes containment weak.
    max_range_density: float = 0.5
    # Fewer distinct child values than this are weak evidence whatever the type.
    min_informative_distinct: int = 3
    # Above this many distinct child values containment is estimated on a hash sample.
    exact_max_distinct: int = 200_000
    # Distinct child values in that sample.
    sample_size: int = 50_000
    # Composite (two-column) parent keys are searched in tables up to this many rows.
    composite_max_parent_rows: int = 2_000_000
    # Orphan values kept as examples per relationship.
    orphan_examples: int = 5

    def __post_init__(self) -> None:
        for name in ("min_containment", "report_min_containment", "parent_min_uniqueness"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {value}")
        if self.report_min_containment > self.min_containment:
            raise ValueError(
                f"report_min_containment ({self.report_min_containment}) must not exceed "
                f"min_containment ({self.min_containment})"
            )
        if self.sample_size < 1 or self.exact_max_distinct < 1:
            raise ValueError("sample_size and exact_max_distinct must be at least 1")
        if self.orphan_examples < 0:
            raise ValueError(f"orphan_examples must be ≥ 0, got {self.orphan_examples}")


@dataclass(frozen=True)
class Relationship:
    """One row of ``relationships``: a candidate foreign key and the verdict on it."""

    child_table: str
    child_columns: tuple[str, ...]
    parent_table: str
    parent_columns: tuple[str, ...]
    status: str
    reason: str
    containment: float
    reverse_containment: float
    jaccard: float
    score: float
    child_distinct: int
    parent_distinct: int
    parent_unique: bool
    evidence: str
    name_affinity: str
    method: str
    sample_size: int | None = None
    orphan_count: int | None = None
    orphan_examples: tuple[str, ...] | None = None
    null_count: int | None = None
    cardinality: str | None = None
    fan_out: bool | None = None
    fan_out_rows: int | None = None


@dataclass(frozen=True)
class _Column:
    table: str
    name: str
    header: str
    data_type: str
    family: str
    rows: int
    non_null: int
    distinct: int
    low: str | None
    high: str | None
    max_length: int | None

    @property
    def uniqueness(self) -> float:
        return self.distinct / self.non_null if self.non_null else 0.0

    @property
    def label(self) -> str:
        return f"{self.table}.{self.name}"


@dataclass(frozen=True)
class _Key:
    """A child or parent key: one column or an ordered pair of one table."""

    table: str
    columns: tuple[_Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def label(self) -> str:
        inner = ", ".join(self.names)
        return f"{self.table}.{inner}" if len(self.columns) == 1 else f"{self.table}({inner})"


@dataclass
class _Candidate:
    child: _Key
    parent: _Key
    child_distinct: int
    parent_distinct: int
    parent_unique: bool
    matched: float = 0.0  # distinct child values found in the parent (estimated if sampled)
    method: str = "exact"
    sample_size: int | None = None
    evidence: str = "strong"
    evidence_note: str = ""
    affinity: int = 0
    affinity_note: str = "none"
    status: str = "rejected"
    reason: str = ""
    verified: dict[str, object] = field(default_factory=dict)

    @property
    def containment(self) -> float:
        return self.matched / self.child_distinct if self.child_distinct else 0.0

    @property
    def reverse_containment(self) -> float:
        return min(1.0, self.matched / self.parent_distinct) if self.parent_distinct else 0.0

    @property
    def jaccard(self) -> float:
        union = self.child_distinct + self.parent_distinct - self.matched
        return self.matched / union if union > 0 else 0.0

    @property
    def score(self) -> float:
        return (self.containment + self.jaccard) / 2


@dataclass
class _Context:
    con: duckdb.DuckDBPyConnection
    typed: str
    options: RelationshipOptions
    value_tables: dict[tuple[str, tuple[str, ...]], str] = field(default_factory=dict)
    composite_distinct: dict[tuple[tuple[str, ...], str], int] = field(default_factory=dict)
    composite_unique: dict[tuple[tuple[str, ...], str], bool] = field(default_factory=dict)

    def source(self, table: str) -> str:
        return f"{self.typed}.typed.{quote_identifier(table)}"


def build_relationships(
    con: duckdb.DuckDBPyConnection,
    options: RelationshipOptions = RelationshipOptions(),  # frozen, so a safe default
    progress: Callable[[str], None] | None = None,
    typed_database: str = "typed_tables",
    profiles_database: str | None = "statistical_profiles",
) -> tuple[Relationship, ...]:
    """Find and verify the foreign keys between the tables of ``typed_database`` and write
    ``relationships`` (always created). ``profiles_database`` (``column_profiles``) is used for
    pruning when attached; ``None`` or absent means the numbers are computed here. Returns the
    rows written: accepted first, then rejected, each by child and parent."""
    report = progress or (lambda _message: None)
    attached = {
        name for (name,) in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()
    }
    if typed_database not in attached:
        raise ValueError(f"relationships: database {typed_database!r} is not attached")
    ctx = _Context(con, quote_identifier(typed_database), options)
    profiles = profiles_database if profiles_database in attached else None
    columns = _columns(con, typed_database, profiles)
    report(
        f"{len({c.table for c in columns})} tables, {len(columns)} columns; statistics from "
        + (f"{profiles}.column_profiles" if profiles else "HyperLogLog over the data")
    )
    try:
        singles = _single_candidates(columns, options)
        report(f"{len(singles)} single-column candidates after pruning on types and ranges")
        _measure(ctx, singles)
        composites = _composite_candidates(ctx, columns, singles)
        report(f"{len(composites)} composite candidates")
        candidates = [
            c for c in [*singles, *composites] if c.containment >= options.report_min_containment
        ]
        for candidate in candidates:
            _judge(candidate, options)
        _one_parent_per_child(candidates)
        _one_direction(candidates)
        for candidate in candidates:
            if candidate.status == "accepted":
                _verify(ctx, candidate)
        accepted = sum(1 for c in candidates if c.status == "accepted")
        report(f"{accepted} accepted, {len(candidates) - accepted} rejected")
        records = _records(candidates)
    finally:
        for table in ctx.value_tables.values():
            con.execute(f"DROP TABLE IF EXISTS {table}")
    write_records(con, "relationships", _DDL, records)
    return records


# --- column statistics ----------------------------------------------------------------------


def key_family(data_type: str) -> str | None:
    """The comparison family of a DuckDB type ('integer', 'text', or the temporal type
    itself), or None for types that are never keys (booleans, floating point, fractions)."""
    if data_type in INTEGER_TYPES:
        return "integer"
    if data_type in _TEXT_TYPES:
        return "text"
    if data_type in _TEMPORAL_TYPES:
        return data_type
    match = _DECIMAL.match(data_type)
    if match and int(match.group(1)) == 0:
        return "integer"
    return None


def _family_type(family: str) -> str:
    return {"integer": "HUGEINT", "text": "VARCHAR"}.get(family, family)


def _columns(
    con: duckdb.DuckDBPyConnection, typed_database: str, profiles: str | None
) -> list[_Column]:
    typed = quote_identifier(typed_database)
    tables = typed_columns(con, typed_database)
    headers: dict[tuple[str, str], str] = {}
    has_decisions = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
        "AND table_name = 'type_decisions'",
        [typed_database],
    ).fetchall()[0][0]
    if has_decisions:
        headers = {
            (table, column): header
            for table, column, header in con.execute(
                f"SELECT table_name, column_name, original_header FROM {typed}.main.type_decisions"
            ).fetchall()
            if header
        }
    stats: dict[tuple[str, str], tuple] = {}
    if profiles is not None:
        stats = {
            (row[0], row[1]): row[2:]
            for row in con.execute(
                "SELECT table_name, column_name, rows, rows - nulls, distinct_count, min_value, "
                f"max_value, max_length FROM {quote_identifier(profiles)}.main.column_profiles"
            ).fetchall()
        }
    result: list[_Column] = []
    for table, table_columns in tables.items():
        keyed = [(name, t, key_family(t)) for name, t in table_columns]
        keyed = [(name, t, f) for name, t, f in keyed if f is not None]
        missing = [name for name, _, _ in keyed if (table, name) not in stats]
        if missing:
            stats.update(
                _compute_stats(
                    con,
                    f"{typed}.typed.{quote_identifier(table)}",
                    table,
                    [(n, t, f) for n, t, f in keyed if n in missing],
                )
            )
        for name, data_type, family in keyed:
            rows, non_null, distinct, low, high, max_length = stats[(table, name)]
            result.append(
                _Column(
                    table=table,
                    name=name,
                    header=headers.get((table, name), name),
                    data_type=data_type,
                    family=family,
                    rows=int(rows or 0),
                    non_null=int(non_null or 0),
                    distinct=int(distinct or 0),
                    low=low,
                    high=high,
                    max_length=max_length,
                )
            )
    return result


def _compute_stats(
    con: duckdb.DuckDBPyConnection,
    source: str,
    table: str,
    columns: Sequence[tuple[str, str, str]],
) -> dict[tuple[str, str], tuple]:
    parts = ["count(*)"]
    for name, _, family in columns:
        quoted = quote_identifier(name)
        parts += [
            f"count({quoted})",
            f"approx_count_distinct({quoted})",
            f"CAST(min({quoted}) AS VARCHAR)",
            f"CAST(max({quoted}) AS VARCHAR)",
            f"max(length({quoted}))" if family == "text" else "NULL",
        ]
    [row] = con.execute(f"SELECT {', '.join(parts)} FROM {source}").fetchall()
    rows = row[0]
    out: dict[tuple[str, str], tuple] = {}
    for index, (name, _, _) in enumerate(columns):
        non_null, distinct, low, high, max_length = row[1 + 5 * index : 6 + 5 * index]
        # HyperLogLog may overshoot; a distinct count above the non-null count is impossible.
        out[(table, name)] = (rows, non_null, min(distinct, non_null), low, high, max_length)
    return out


def _as_int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(Decimal(text))
    except (InvalidOperation, ValueError):
        return None


def _overlaps(child: _Column, parent: _Column) -> bool:
    if None in (child.low, child.high, parent.low, parent.high):
        return False
    if child.family == "integer":
        lows = (_as_int(child.low), _as_int(child.high), _as_int(parent.low), _as_int(parent.high))
        if None in lows:
            return True
        c_low, c_high, p_low, p_high = lows
        return not (c_high < p_low or c_low > p_high)  # type: ignore[operator]
    # Text: profiles give min/max in DuckDB's byte order, which Python's str order matches;
    # dates and timestamps are ISO text, whose order is the calendar's.
    return not (child.high < parent.low or child.low > parent.high)  # type: ignore[operator]


def _is_parent_key(column: _Column, options: RelationshipOptions) -> bool:
    return column.distinct >= 2 and column.uniqueness >= options.parent_min_uniqueness


def _single_candidates(
    columns: Sequence[_Column], options: RelationshipOptions
) -> list[_Candidate]:
    parents = [c for c in columns if _is_parent_key(c, options)]
    children = [c for c in columns if c.distinct >= 1]
    candidates: list[_Candidate] = []
    for parent in parents:
        for child in children:
            if child is parent or child.family != parent.family:
                continue
            if child.distinct * options.report_min_containment > parent.distinct:
                continue
            if not _overlaps(child, parent):
                continue
            candidates.append(
                _Candidate(
                    child=_Key(child.table, (child,)),
                    parent=_Key(parent.table, (parent,)),
                    child_distinct=child.distinct,
                    parent_distinct=parent.distinct,
                    parent_unique=parent.distinct == parent.non_null,
                )
            )
    return candidates


# --- containment ----------------------------------------------------------------------------


def _value_table(ctx: _Context, key: _Key) -> str:
    """A temporary table of the key's distinct non-null values (k0, k1, ...) with their row
    counts ``n``: one scan of the key's columns, after which containment, orphans, cardinality
    and fan-out are computed on distinct values only."""
    ident = (key.table, key.names)
    if ident in ctx.value_tables:
        return ctx.value_tables[ident]
    name = quote_identifier(f"__relationships_values_{len(ctx.value_tables)}")
    casts = ", ".join(
        f"CAST({quote_identifier(c.name)} AS {_family_type(c.family)}) AS k{i}"
        for i, c in enumerate(key.columns)
    )
    not_null = " AND ".join(f"{quote_identifier(c.name)} IS NOT NULL" for c in key.columns)
    ctx.con.execute(
        f"CREATE TEMP TABLE {name} AS SELECT {casts}, count(*) AS n "
        f"FROM {ctx.source(key.table)} WHERE {not_null} GROUP BY ALL"
    )
    ctx.value_tables[ident] = name
    return name


def _join_condition(key: _Key, left: str = "c", right: str = "p") -> str:
    return " AND ".join(f"{left}.k{i} = {right}.k{i}" for i in range(len(key.columns)))


def _parent_values(ctx: _Context, key: _Key, distinct: int) -> str:
    """A relation of the parent key's distinct values (k0, ...): the value table when the parent
    is small, else a projection of its columns that the semi-join scans once."""
    if distinct <= ctx.options.exact_max_distinct:
        return _value_table(ctx, key)
    casts = ", ".join(
        f"CAST({quote_identifier(c.name)} AS {_family_type(c.family)}) AS k{i}"
        for i, c in enumerate(key.columns)
    )
    return f"(SELECT {casts} FROM {ctx.source(key.table)})"


def _measure(ctx: _Context, candidates: Sequence[_Candidate]) -> None:
    """Containment of each candidate's child distinct values in its parent: exact, batched in
    one semi-join per parent key, or on a coordinated hash sample when the child has more than
    ``exact_max_distinct`` distinct values."""
    groups: dict[tuple[str, tuple[str, ...]], list[_Candidate]] = {}
    for candidate in candidates:
        child = _value_table(ctx, candidate.child)
        [(distinct,)] = ctx.con.execute(f"SELECT count(*) FROM {child}").fetchall()
        candidate.child_distinct = int(distinct)
        if distinct > ctx.options.exact_max_distinct:
            _measure_sampled(ctx, candidate)
        else:
            groups.setdefault((candidate.parent.table, candidate.parent.names), []).append(
                candidate
            )
    for group in groups.values():
        parent = _parent_values(ctx, group[0].parent, group[0].parent_distinct)
        width = len(group[0].parent.columns)
        parts = ", ".join(f"k{i}" for i in range(width))
        union = " UNION ALL ".join(
            f"SELECT {number} AS cid, {parts} FROM {_value_table(ctx, candidate.child)}"
            for number, candidate in enumerate(group)
        )
        matched = dict(
            ctx.con.execute(
                f"SELECT c.cid, count(*) FROM ({union}) c SEMI JOIN {parent} p "
                f"ON {_join_condition(group[0].parent)} GROUP BY c.cid"
            ).fetchall()
        )
        for number, candidate in enumerate(group):
            candidate.matched, candidate.method = float(matched.get(number, 0)), "exact"


def _measure_sampled(ctx: _Context, candidate: _Candidate) -> None:
    child = _value_table(ctx, candidate.child)
    parent = _parent_values(ctx, candidate.parent, candidate.parent_distinct)
    # hash() is deterministic for a value and type, so the sample is the same on every run and
    # coordinated across keys (the same values are drawn wherever they occur).
    cut = max(1, math.ceil(ctx.options.sample_size / candidate.child_distinct * _SAMPLE_MODULUS))
    parts = ", ".join(f"k{i}" for i in range(len(candidate.child.columns)))
    sample = f"(SELECT * FROM {child} WHERE hash({parts}) % {_SAMPLE_MODULUS} < {cut})"
    [(drawn, matched)] = ctx.con.execute(
        f"SELECT (SELECT count(*) FROM {sample}), (SELECT count(*) FROM {sample} c "
        f"SEMI JOIN {parent} p ON {_join_condition(candidate.child)})"
    ).fetchall()
    share = matched / drawn if drawn else 0.0
    candidate.matched = share * candidate.child_distinct
    candidate.method, candidate.sample_size = "approximate", int(drawn)


# --- composite keys -------------------------------------------------------------------------


def _composite_candidates(
    ctx: _Context, columns: Sequence[_Column], singles: Sequence[_Candidate]
) -> list[_Candidate]:
    """Two-column keys: a pair of a parent table, neither near-unique alone but near-unique
    together, referenced by a pair of a child table whose columns are each contained in the
    matching parent column."""
    options = ctx.options
    by_table: dict[str, list[_Column]] = {}
    for column in columns:
        by_table.setdefault(column.table, []).append(column)
    parents: list[_Key] = []
    for table, table_columns in by_table.items():
        if table_columns[0].rows <= options.composite_max_parent_rows:
            parents.extend(_composite_parents(ctx, table, table_columns))
    if not parents:
        return []
    # Each part of a child pair must be contained in the matching parent column on its own.
    part_candidates: dict[tuple[str, str, str, str], _Candidate] = {}
    for parent in parents:
        for part in parent.columns:
            for table, table_columns in by_table.items():
                if table == parent.table:
                    continue
                for column in table_columns:
                    ident = (column.table, column.name, part.table, part.name)
                    if (
                        ident not in part_candidates
                        and column.family == part.family
                        and _overlaps(column, part)
                        and column.distinct * options.min_containment <= part.distinct
                    ):
                        part_candidates[ident] = _Candidate(
                            child=_Key(column.table, (column,)),
                            parent=_Key(part.table, (part,)),
                            child_distinct=column.distinct,
                            parent_distinct=part.distinct,
                            parent_unique=False,
                        )
    _measure(ctx, list(part_candidates.values()))
    contained = {
        ident for ident, c in part_candidates.items() if c.containment >= options.min_containment
    }
    found: list[_Candidate] = []
    for parent in parents:
        first, second = parent.columns
        for table, table_columns in by_table.items():
            if table == parent.table:
                continue
            for x in table_columns:
                for y in table_columns:
                    if (
                        x.name != y.name
                        and (table, x.name, first.table, first.name) in contained
                        and (table, y.name, second.table, second.name) in contained
                    ):
                        found.append(
                            _Candidate(
                                child=_Key(table, (x, y)),
                                parent=parent,
                                child_distinct=0,
                                parent_distinct=ctx.composite_distinct[parent.names, parent.table],
                                parent_unique=ctx.composite_unique[parent.names, parent.table],
                            )
                        )
    _measure(ctx, found)
    return found


def _composite_parents(ctx: _Context, table: str, columns: Sequence[_Column]) -> list[_Key]:
    """Near-unique pairs of ``table``: screened together by HyperLogLog in one scan, then
    verified exactly."""
    options = ctx.options
    parts = [c for c in columns if c.distinct >= 2 and not _is_parent_key(c, options)]
    pairs = [
        (a, b)
        for i, a in enumerate(parts)
        for b in parts[i + 1 :]
        # two timestamps are a time grid, not a key
        if (a.family in ("integer", "text") or b.family in ("integer", "text"))
        and a.distinct * b.distinct >= a.rows * options.parent_min_uniqueness
    ]
    if not pairs:
        return []
    screens = ", ".join(
        f"approx_count_distinct(({quote_identifier(a.name)}, {quote_identifier(b.name)}))"
        for a, b in pairs
    )
    [row] = ctx.con.execute(f"SELECT count(*), {screens} FROM {ctx.source(table)}").fetchall()
    rows = row[0]
    keys: list[_Key] = []
    for (a, b), estimate in zip(pairs, row[1:], strict=True):
        # HyperLogLog errs by a few percent; the exact check below decides.
        if estimate < rows * options.parent_min_uniqueness * 0.9:
            continue
        key = _Key(table, (a, b))
        [(distinct, non_null)] = ctx.con.execute(
            f"SELECT count(*), coalesce(sum(n), 0) FROM {_value_table(ctx, key)}"
        ).fetchall()
        if non_null and distinct / non_null >= options.parent_min_uniqueness:
            ctx.composite_distinct[key.names, table] = int(distinct)
            ctx.composite_unique[key.names, table] = distinct == non_null
            keys.append(key)
    return keys


# --- decisions ------------------------------------------------------------------------------


def name_tokens(name: str) -> tuple[str, ...]:
    """Meaningful, singular, lowercase parts of a name: camelCase and snake_case split, generic
    key words (id, key, code, ...) dropped; ``artistid`` → ``artist``."""
    raw = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name)
    tokens: list[str] = []
    for part in raw:
        token = part.lower()
        for suffix in ("id", "key", "code"):
            if token.endswith(suffix) and len(token) > len(suffix) + 2:
                token = token[: -len(suffix)]
                break
        token = _singular(token)
        if token and token not in _GENERIC_TOKENS and not token.isdigit():
            tokens.append(token)
    return tuple(tokens)


def _singular(token: str) -> str:
    if token == "people":
        return "person"
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("sses", "shes", "ches", "xes")):
        return token[:-2]
    if token.endswith("s") and not token.endswith(("ss", "us", "is")) and len(token) > 3:
        return token[:-1]
    return token


def _has_word(tokens: Iterable[str], words: Iterable[str]) -> bool:
    # Glued names (supportrepid -> 'supportrep') carry the word at one end.
    return any(
        t == w or (len(w) >= 3 and (t.startswith(w) or t.endswith(w)))
        for t in tokens
        for w in words
    )


def name_affinity(
    child_column: str, parent_table: str, parent_column: str, same_table: bool = False
) -> tuple[int, str]:
    """How strongly the child column's name points at the parent: (points, kind). 2 points for
    the same name or naming the parent table, 1 for a shared stem or a person role pointing at
    a person table, 0 for none. A tie-breaker, never evidence on its own."""
    child = name_tokens(child_column)
    table = name_tokens(parent_table)
    column = name_tokens(parent_column)
    if not child:
        return 0, "none"
    points, kinds = 0, []
    if child == column and child_column.lower() == parent_column.lower():
        points, kinds = points + 2, [*kinds, "same name"]
    if table and (child == table or child[-len(table) :] == table):
        points, kinds = points + 2, [*kinds, "names the parent table"]
    elif column and child != column and child[-len(column) :] == column:
        points, kinds = points + 2, [*kinds, "names the parent key"]
    if points:
        return points, " + ".join(kinds)
    stems = set(table) | set(column)
    if any(
        len(a) >= 3 and len(b) >= 3 and a != b and (a.startswith(b) or b.startswith(a))
        for a in child
        for b in stems
    ):
        return 1, "shared stem"
    person_table = _has_word(table, _PERSON_TABLE_WORDS)
    if person_table and _has_word(child, _ROLE_WORDS):
        return 1, "person role → person table" + (" (self-reference)" if same_table else "")
    return 0, "none"


def _evidence(candidate: _Candidate, options: RelationshipOptions) -> tuple[str, str]:
    notes: list[str] = []
    strong = False
    for child, parent in zip(candidate.child.columns, candidate.parent.columns, strict=True):
        verdict, note = _part_evidence(child, parent, options)
        strong = strong or verdict == "strong"
        notes.append(note)
    return ("strong" if strong else "weak"), "; ".join(notes)


def _part_evidence(
    child: _Column, parent: _Column, options: RelationshipOptions
) -> tuple[str, str]:
    if child.distinct < options.min_informative_distinct:
        return "weak", f"only {child.distinct} distinct child value(s)"
    if child.family == "text":
        if child.max_length is not None and child.max_length <= 1:
            return "weak", "one-character codes"
        return "strong", f"{child.distinct:,} distinct text values"
    if child.family == "integer":
        low, high = _as_int(parent.low), _as_int(parent.high)
        if low is None or high is None:
            return "strong", "integer keys"
        density = parent.distinct / (high - low + 1)
        span = f"{parent.low}..{parent.high}"
        if density >= options.max_range_density:
            return "weak", (
                f"child values {child.low}..{child.high} inside the dense parent range {span} "
                f"({density:.0%} of its integers are parent values: containment is implied by "
                "the range)"
            )
        return "strong", f"sparse parent range {span} ({density:.1%} of its integers used)"
    # Dates fill their calendar densely: any date column inside another's range is contained.
    return "weak", f"{child.family.lower()} values inside the parent's calendar range"


def _judge(candidate: _Candidate, options: RelationshipOptions) -> None:
    candidate.evidence, candidate.evidence_note = _evidence(candidate, options)
    points = 0
    kinds: list[str] = []
    for child, parent in zip(candidate.child.columns, candidate.parent.columns, strict=True):
        part_points, kind = name_affinity(
            child.header, parent.table, parent.header, same_table=child.table == parent.table
        )
        points += part_points
        if part_points:
            kinds.append(kind)
    candidate.affinity = points
    candidate.affinity_note = "; ".join(dict.fromkeys(kinds)) or "none"
    found = (
        f"{candidate.containment:.1%} of {candidate.child_distinct:,} distinct values found in "
        f"{candidate.parent.label}"
    )
    parent_note = (
        "unique"
        if candidate.parent_unique
        else f"near-unique, {candidate.parent_distinct:,} distinct"
    )
    same_set = candidate.matched == candidate.child_distinct == candidate.parent_distinct
    if candidate.containment < options.min_containment:
        candidate.status = "rejected"
        candidate.reason = f"containment too low: {found} (< {options.min_containment:.0%})"
    elif same_set and candidate.child.table == candidate.parent.table:
        # A self-reference points rows at other rows; a second column holding exactly the key's
        # values (calendar_date beside date_key) is a copy or re-encoding of the key.
        candidate.status = "rejected"
        candidate.reason = (
            f"same table, same set of values: {candidate.child.label} is a copy or another "
            f"encoding of the key {candidate.parent.label}, not a reference ({found})"
        )
    elif candidate.evidence == "strong":
        candidate.status = "accepted"
        candidate.reason = (
            f"{found} ({parent_note}); value evidence: {candidate.evidence_note}; "
            f"name affinity: {candidate.affinity_note}"
        )
    elif _is_temporal(candidate) and not _calendar_parent(candidate):
        # Every time series "contains" another over the same period: a single date key needs
        # a calendar (dimension) table on the parent side, not just a shared column name.
        candidate.status = "rejected"
        candidate.reason = (
            f"coincidental overlap: {found}, but {candidate.evidence_note}; "
            f"{candidate.parent.table} is not a calendar table (name affinity: "
            f"{candidate.affinity_note})"
        )
    elif candidate.affinity > 0:
        candidate.status = "accepted"
        candidate.reason = (
            f"{found} ({parent_note}); value evidence weak ({candidate.evidence_note}), "
            f"tie broken by name affinity: {candidate.affinity_note}"
        )
    else:
        candidate.status = "rejected"
        candidate.reason = (
            f"coincidental overlap: {found}, but {candidate.evidence_note}; no name affinity"
        )


def _is_temporal(candidate: _Candidate) -> bool:
    """Every child column is a point in time: a date/timestamp, or an integer named as a part
    of one (``year``, ``quarter``, ...). Time series from unrelated tables all share their
    years (statsmodels' copper, elnino, nile, sunspots): such keys need a calendar parent."""
    return all(
        column.family not in ("integer", "text")
        or (column.family == "integer" and bool(set(name_tokens(column.header)) & _TIME_PARTS))
        for column in candidate.child.columns
    )


def _calendar_parent(candidate: _Candidate) -> bool:
    table = name_tokens(candidate.parent.table)
    child = name_tokens(candidate.child.columns[0].header)
    return bool(set(table) & _CALENDAR_WORDS) or bool(table and child[-len(table) :] == table)


def _rank(candidate: _Candidate) -> tuple:
    return (
        candidate.affinity,
        candidate.evidence == "strong",
        round(candidate.score, 9),
        -candidate.parent_distinct,
        candidate.parent.label,
    )


def _one_parent_per_child(candidates: Sequence[_Candidate]) -> None:
    groups: dict[tuple[str, tuple[str, ...]], list[_Candidate]] = {}
    for candidate in candidates:
        if candidate.status == "accepted":
            groups.setdefault((candidate.child.table, candidate.child.names), []).append(candidate)
    for group in groups.values():
        best = max(group, key=_rank)
        for other in group:
            if other is not best:
                other.status = "rejected"
                other.reason = (
                    f"{best.parent.label} explains {other.child.label} better (name affinity "
                    f"{best.affinity} vs {other.affinity}, score {best.score:.3f} vs "
                    f"{other.score:.3f}); {other.reason}"
                )


def _one_direction(candidates: Sequence[_Candidate]) -> None:
    accepted = {
        ((c.child.table, c.child.names), (c.parent.table, c.parent.names)): c
        for c in candidates
        if c.status == "accepted"
    }
    for (child, parent), candidate in accepted.items():
        reverse = accepted.get((parent, child))
        if reverse is None or candidate.status != "accepted" or reverse.status != "accepted":
            continue
        # The subset side is the child; for equal sets the name decides.
        keep = max(
            (candidate, reverse), key=lambda c: (c.containment, -c.reverse_containment, _rank(c))
        )
        drop = reverse if keep is candidate else candidate
        drop.status = "rejected"
        drop.reason = (
            f"reverse of the accepted {keep.child.label} → {keep.parent.label}; {drop.reason}"
        )


# --- verification ---------------------------------------------------------------------------


def _render(key: _Key, alias: str = "c") -> str:
    parts = [f"CAST({alias}.k{i} AS VARCHAR)" for i in range(len(key.columns))]
    if len(parts) == 1:
        return parts[0]
    return "'(' || " + " || ', ' || ".join(parts) + " || ')'"


def _verify(ctx: _Context, candidate: _Candidate) -> None:
    """Exact orphans, nulls, cardinality and fan-out over every row of both tables."""
    con = ctx.con
    child = _value_table(ctx, candidate.child)
    parent = _value_table(ctx, candidate.parent)
    condition = _join_condition(candidate.child)
    [(orphans, examples)] = con.execute(
        f"SELECT coalesce(sum(c.n), 0), (list({_render(candidate.child)} ORDER BY c.n DESC, "
        f"{', '.join(f'c.k{i}' for i in range(len(candidate.child.columns)))}))[1:?] "
        f"FROM {child} c ANTI JOIN {parent} p ON {condition}",
        [ctx.options.orphan_examples],
    ).fetchall()
    [(matched, child_rows, child_repeats)] = con.execute(
        f"SELECT (SELECT count(*) FROM {child} c SEMI JOIN {parent} p ON {condition}), "
        f"(SELECT coalesce(sum(n), 0) FROM {child}), "
        f"(SELECT count(*) FILTER (WHERE n > 1) FROM {child})"
    ).fetchall()
    [(parent_distinct, parent_repeats)] = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE n > 1) FROM {parent}"
    ).fetchall()
    [(extra_rows,)] = con.execute(
        f"SELECT coalesce(sum(c.n * (p.n - 1)), 0) FROM {child} c JOIN {parent} p ON {condition} "
        "WHERE p.n > 1"
    ).fetchall()
    [(rows,)] = con.execute(f"SELECT count(*) FROM {ctx.source(candidate.child.table)}").fetchall()
    child_side = "N" if child_repeats else "1"
    parent_side = "M" if parent_repeats else "1"
    if child_side == "1" and parent_side == "M":
        cardinality = "1:N"
    elif child_side == "N" and parent_side == "M":
        cardinality = "N:M"
    else:
        cardinality = f"{child_side}:1"
    candidate.matched, candidate.method, candidate.sample_size = float(matched), "exact", None
    candidate.child_distinct = int(con.execute(f"SELECT count(*) FROM {child}").fetchall()[0][0])
    candidate.parent_distinct, candidate.parent_unique = int(parent_distinct), not parent_repeats
    candidate.verified = {
        "orphan_count": int(orphans),
        "orphan_examples": tuple(examples or ()),
        "null_count": int(rows - child_rows),
        "cardinality": cardinality,
        "fan_out": extra_rows > 0,
        "fan_out_rows": int(extra_rows),
    }
    if orphans:
        candidate.reason += f"; {int(orphans):,} orphan rows"
    if extra_rows:
        candidate.reason += f"; a join adds {int(extra_rows):,} rows (duplicate parent keys)"


def _records(candidates: Sequence[_Candidate]) -> tuple[Relationship, ...]:
    ordered = sorted(
        candidates,
        key=lambda c: (
            c.status != "accepted",
            c.child.table,
            c.child.names,
            -c.score,
            c.parent.table,
            c.parent.names,
        ),
    )
    return tuple(
        Relationship(
            child_table=c.child.table,
            child_columns=c.child.names,
            parent_table=c.parent.table,
            parent_columns=c.parent.names,
            status=c.status,
            reason=c.reason,
            containment=c.containment,
            reverse_containment=c.reverse_containment,
            jaccard=c.jaccard,
            score=c.score,
            child_distinct=c.child_distinct,
            parent_distinct=c.parent_distinct,
            parent_unique=c.parent_unique,
            evidence=c.evidence,
            name_affinity=c.affinity_note,
            method=c.method,
            sample_size=c.sample_size,
            **c.verified,  # type: ignore[arg-type]
        )
        for c in ordered
    )


def accepted_keys(
    relationships: Iterable[Relationship],
) -> set[tuple[str, tuple[str, ...], str, tuple[str, ...]]]:
    """(child table, child columns, parent table, parent columns) of the accepted rows."""
    return {
        (r.child_table, r.child_columns, r.parent_table, r.parent_columns)
        for r in relationships
        if r.status == "accepted"
    }


_DDL = {
    "child_table": "VARCHAR",
    "child_columns": "VARCHAR[]",
    "parent_table": "VARCHAR",
    "parent_columns": "VARCHAR[]",
    "status": "VARCHAR",
    "reason": "VARCHAR",
    "containment": "DOUBLE",
    "reverse_containment": "DOUBLE",
    "jaccard": "DOUBLE",
    "score": "DOUBLE",
    "child_distinct": "BIGINT",
    "parent_distinct": "BIGINT",
    "parent_unique": "BOOLEAN",
    "evidence": "VARCHAR",
    "name_affinity": "VARCHAR",
    "method": "VARCHAR",
    "sample_size": "BIGINT",
    "orphan_count": "BIGINT",
    "orphan_examples": "VARCHAR[]",
    "null_count": "BIGINT",
    "cardinality": "VARCHAR",
    "fan_out": "BOOLEAN",
    "fan_out_rows": "BIGINT",
}


_SHARE = {"min_value": 0, "max_value": 1}


class RelationshipsSchema(pa.DataFrameModel):
    child_table: Series[str]
    child_columns: Series[object]
    parent_table: Series[str]
    parent_columns: Series[object]
    status: Series[str] = pa.Field(isin=list(STATUSES))
    reason: Series[str]
    containment: Series[float] = pa.Field(in_range=_SHARE)
    reverse_containment: Series[float] = pa.Field(in_range=_SHARE)
    jaccard: Series[float] = pa.Field(in_range=_SHARE)
    score: Series[float] = pa.Field(in_range=_SHARE)
    child_distinct: Series[int] = pa.Field(ge=0)
    parent_distinct: Series[int] = pa.Field(ge=0)
    parent_unique: Series[bool]
    evidence: Series[str] = pa.Field(isin=list(EVIDENCE))
    name_affinity: Series[str]
    method: Series[str] = pa.Field(isin=list(METHODS))
    sample_size: Series[int] = pa.Field(nullable=True, ge=0)
    orphan_count: Series[int] = pa.Field(nullable=True, ge=0)
    orphan_examples: Series[object] = pa.Field(nullable=True)
    null_count: Series[int] = pa.Field(nullable=True, ge=0)
    cardinality: Series[str] = pa.Field(nullable=True, isin=list(CARDINALITIES))
    fan_out: Series[bool] = pa.Field(nullable=True)
    fan_out_rows: Series[int] = pa.Field(nullable=True, ge=0)

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True

    @pa.check("child_columns", "parent_columns", name="non_empty_list")
    @classmethod
    def key_lists(cls, series: pd.Series) -> pd.Series:
        return series.map(lambda value: value is not None and len(value) > 0)

    @pa.check("orphan_examples", name="list")
    @classmethod
    def lists(cls, series: pd.Series) -> pd.Series:
        return is_list_or_null(series)

    @pa.dataframe_check
    @classmethod
    def accepted_rows_are_verified(cls, frame: pd.DataFrame) -> pd.Series:
        """Accepted rows carry orphans, cardinality and fan-out; rejected rows do not."""
        accepted = frame["status"] == "accepted"
        verified = frame["orphan_count"].notna() & frame["cardinality"].notna()
        return pd.Series(accepted == verified)

    @pa.dataframe_check
    @classmethod
    def one_row_per_candidate(cls, frame: pd.DataFrame) -> pd.Series:
        keys = frame.apply(
            lambda row: (
                row["child_table"],
                tuple(row["child_columns"]),
                row["parent_table"],
                tuple(row["parent_columns"]),
            ),
            axis=1,
        )
        return pd.Series(~keys.duplicated(keep=False)) if len(frame) else pd.Series([], dtype=bool)


OUTPUT_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {"relationships": RelationshipsSchema}
