"""Column roles, business concepts, units, naming clarity and table kinds: semantic_annotations.

Reads ``"<typed>".typed."<table>"`` / ``type_decisions`` (types, original headers, units),
``"<profiles>".column_profiles`` / ``top_values`` (exact counts) and, when attached,
``"<relationships>".relationships`` (accepted foreign keys). Writes ``column_annotations`` and
``table_annotations`` (``docs/data-plane.md``). Deterministic; every row says in ``evidence``
which facts decided it. Thresholds are :class:`SemanticOptions` fields.

**Names.** A column is read from its original header (``analysis/semantic_vocabulary.py``:
tokens, abbreviations expanded, plurals folded). *Naming clarity*: ``noise`` when no token is a
known word or abbreviation or the name is a placeholder (``column_3``, ``unnamed``, ``x``);
``abbreviated`` when some token is an abbreviation or not in the word list; else ``clear``.

**Concept** (vocabularies in precedence order: the source's own, finance, generic). A concept
matches by name when one of its indicator phrases occurs in the tokens (or a ``names`` entry
equals the whole name), none of its exclusions occurs and the column's type family is allowed.
A concept with ``values`` also matches a text column whose values (top values covering every
non-null value) are at least ``value_min_share`` in its list, with at least two distinct. The
best match: the longest phrase (a value match counts as ``value_match_weight`` words), then one
ending at the head word (the last word before an id/number/code suffix), then vocabulary
precedence, then vocabulary order.

**Key** of a table: among integer/text columns without nulls and with distinct/non-null ≥
``key_min_distinct_ratio``, that are identifier-named (a suffix id/key/code/number, or a whole
name such as ``sku``, ``iata``, ``uuid``) or the parent side of an accepted relationship: the
parent side first, then a name naming the table's entity (``invoice_number`` in ``invoices``),
then exact uniqueness, then position.

**Role** of every other column, first rule that applies:
1. ``foreign_key``: the child side of an accepted relationship (relationships attached), or,
   when relationships is not materialized, an identifier-named column whose exact name is the
   key of another table (names only; said so in the evidence);
2. ``timestamp``: DATE/TIMESTAMP/period types, or a ``year`` concept with integers in 1800..2100;
3. ``identifier``: id/key/uuid-suffixed names, uuid values, code/number-suffixed names with more
   than ``max_dimension_values`` distinct values, and sequence columns of a composite grain;
4. the role the concept implies (``measure``, ``dimension``, ``attribute``);
5. ``measure``: floating-point numbers, or integers with more than ``max_code_integers``
   distinct values;
6. ``dimension``: booleans, and integer/text columns with at most ``max_dimension_values``
   distinct values making at most ``max_dimension_ratio`` of the non-null values;
7. ``attribute``: the rest (free text, names, time of day).

**Unit** of a monetary measure (concepts marked ``monetary``): a currency-concept column of the
same table, else of a table it references (accepted relationship or name foreign key), else the
currency typed_tables read from symbols/codes; percentages get ``%``.

**Table kind**: ``dimension`` when other tables reference it (accepted relationships, or name
foreign keys) and it has no foreign key of its own to another table together with a time column
and a measure, or when it has a key and no measure; ``fact`` when it has a measure and a foreign
key or a time column; else ``flat`` (observations without key, reference or time). **Grain**: the
key, else a unique non-null column, else the first verified unique pair (non-null) among up to
``max_grain_candidates`` identifier, reference, sequence, time and dimension columns; empty when
none. **Time column**: the timestamp whose concept has the highest ``time_priority`` (default 3;
0 excludes, e.g. date of birth), then fewer nulls, then position.

**Annotator**: an optional :class:`Annotator` (e.g. an LLM) may propose a concept for columns the
vocabulary leaves without one; off by default and never needed. Its proposals are marked
``annotator:`` in the evidence.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from dataraum_assets.analysis.column_kinds import INTEGER_TYPES, YEAR_RANGE, is_numeric_type
from dataraum_assets.analysis.output_tables import is_list, write_records
from dataraum_assets.analysis.semantic_vocabulary import (
    SHIPPED_VOCABULARIES,
    Concept,
    Lexicon,
    contains_phrase,
    expand,
    load_concepts,
    load_lexicon,
    singularize,
    split_name,
)
from dataraum_assets.analysis.typed_tables import typed_columns
from dataraum_assets.identifiers import quote_identifier

ROLES = ("key", "foreign_key", "measure", "dimension", "timestamp", "attribute", "identifier")
NAMING_CLARITY = ("clear", "abbreviated", "noise")
TABLE_KINDS = ("fact", "dimension", "flat")
# Name suffixes that make a column an identifier of something (after abbreviation expansion:
# no/nr/num → number).
ID_SUFFIXES = frozenset({"id", "key", "uuid", "guid"})
CODE_SUFFIXES = frozenset({"code", "number"})
# Whole names that are identifiers without a suffix.
ID_NAMES = frozenset({"id", "uuid", "guid", "sku", "iata", "icao", "isbn", "ean", "upc", "gtin"})
# Last words of a sequence within a parent (invoice line number, position).
SEQUENCE_WORDS = frozenset({"line", "sequence", "position", "row", "item", "index", "seq"})
PLACEHOLDER_NAMES = frozenset({"column", "col", "field", "unnamed", "var", "variable", "c", "x"})
_TEMPORAL_SEMANTIC = frozenset({"date", "timestamp", "year_month", "year_quarter"})
_TIME_OF_DAY = frozenset({"TIME", "TIME WITH TIME ZONE", "TIMETZ"})
DEFAULT_TIME_PRIORITY = 3


@dataclass(frozen=True)
class SemanticOptions:
    """Thresholds and vocabularies (module docstring for the rules)."""

    shipped_vocabularies: tuple[str, ...] = SHIPPED_VOCABULARIES
    # The source's own vocabulary files; they take precedence over the shipped ones.
    vocabulary_files: tuple[Path, ...] = ()
    # Same as quality_metrics' key uniqueness: this distinct a key-named column is meant unique.
    key_min_distinct_ratio: float = 0.98
    # Category columns: at most this many distinct values, at most this share of the rows.
    max_dimension_values: int = 100
    max_dimension_ratio: float = 0.5
    # Integers with at most this many distinct values are codes/scales (dimension), above
    # it counts (measure).
    max_code_integers: int = 12
    # Share of non-null values that must be a concept's listed values, and its weight against
    # name phrases (1.5: beats one word, loses to a two-word phrase such as "tax rate").
    value_min_share: float = 0.8
    value_match_weight: float = 1.5
    # Columns tried pairwise for a composite grain (the pairs are verified in SQL).
    max_grain_candidates: int = 10

    def __post_init__(self) -> None:
        if not 0 < self.key_min_distinct_ratio <= 1:
            raise ValueError(
                f"key_min_distinct_ratio must be in (0, 1], got {self.key_min_distinct_ratio}"
            )
        if not 0 < self.value_min_share <= 1:
            raise ValueError(f"value_min_share must be in (0, 1], got {self.value_min_share}")


@dataclass(frozen=True)
class ColumnContext:
    """What an annotator sees of a column."""

    table_name: str
    column_name: str
    original_header: str
    data_type: str
    top_values: tuple[str, ...]


@dataclass(frozen=True)
class Suggestion:
    concept: str
    reason: str


class Annotator(Protocol):
    """Optional extra annotator (e.g. an LLM client); consulted only for columns without a
    vocabulary concept. Nothing in the pipeline requires one."""

    def suggest(self, column: ColumnContext) -> Suggestion | None: ...


@dataclass(frozen=True)
class ColumnAnnotation:
    """One row of ``column_annotations``."""

    table_name: str
    column_name: str
    role: str
    concept: str | None
    unit_column: str | None
    naming_clarity: str
    evidence: str
    concept_vocabulary: str | None = None
    unit_table: str | None = None
    unit: str | None = None
    expanded_name: str = ""
    role_evidence: str = ""
    concept_evidence: str | None = None


@dataclass(frozen=True)
class TableAnnotation:
    """One row of ``table_annotations``."""

    table_name: str
    kind: str
    grain_columns: tuple[str, ...]
    time_column: str | None
    evidence: str
    rows: int = 0
    key_column: str | None = None
    measures: int = 0
    foreign_keys: int = 0
    referenced_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class SemanticResult:
    columns: tuple[ColumnAnnotation, ...] = ()
    tables: tuple[TableAnnotation, ...] = ()
    relationships_used: bool = False


@dataclass(frozen=True)
class NameReading:
    tokens: tuple[str, ...]  # raw lowercase tokens of the header
    expanded: tuple[str, ...]  # abbreviations expanded, plurals folded
    clarity: str
    detail: str


@dataclass
class _Column:
    table: str
    name: str
    header: str
    position: int
    data_type: str
    semantic_type: str
    unit: str | None
    rows: int
    nulls: int
    distinct: int
    is_unique: bool
    min_value: str | None
    max_value: str | None
    top_values: list[tuple[str, int]]
    reading: NameReading
    family: str = "text"
    concept: Concept | None = None
    concept_evidence: str | None = None
    role: str | None = None
    role_evidence: str = ""

    @property
    def non_null(self) -> int:
        return self.rows - self.nulls


@dataclass(frozen=True)
class _Reference:
    """A foreign key: child column → parent column, with where it came from."""

    child_table: str
    child_column: str
    parent_table: str
    parent_column: str
    evidence: str


def read_name(header: str, lexicon: Lexicon) -> NameReading:
    """Tokens, expansion and naming clarity of one header (module docstring)."""
    tokens = tuple(t for t in split_name(header) if not t.isdigit())
    expanded = expand(tokens, lexicon)
    if not tokens or (tokens[0] in PLACEHOLDER_NAMES and len(tokens) == 1):
        return NameReading(tokens, expanded, "noise", f"placeholder name {header!r}")
    if tokens[0] in PLACEHOLDER_NAMES and len(split_name(header)) > len(tokens):
        return NameReading(tokens, expanded, "noise", f"placeholder name {header!r}")
    abbreviations = [t for t in tokens if t in lexicon.abbreviations and t not in lexicon.terms]
    unknown = [t for t in tokens if t not in abbreviations and not lexicon.is_word(t)]
    words = len(tokens) - len(abbreviations) - len(unknown)
    if words == 0 and not abbreviations:
        return NameReading(
            tokens, expanded, "noise", f"no known word in {header!r} ({', '.join(unknown)})"
        )
    if abbreviations or unknown:
        parts = [f"{t} = {' '.join(lexicon.abbreviations[t])}" for t in abbreviations] + [
            f"{t} not in the word list" for t in unknown
        ]
        return NameReading(tokens, expanded, "abbreviated", "; ".join(parts))
    return NameReading(tokens, expanded, "clear", "every word in the word list")


def type_family(data_type: str, semantic_type: str) -> str:
    upper = data_type.upper()
    if is_numeric_type(upper):
        return "numeric"
    if upper == "BOOLEAN":
        return "boolean"
    if upper.startswith(("DATE", "TIMESTAMP", "TIME")) or semantic_type in _TEMPORAL_SEMANTIC:
        return "temporal"
    return "text"


def _is_integer(column: _Column) -> bool:
    return column.data_type.upper() in INTEGER_TYPES


def _head_and_suffix(expanded: Sequence[str]) -> tuple[int, str | None]:
    """Index of the head word (last word before an id/number/code suffix) and the suffix."""
    if len(expanded) >= 2 and expanded[-1] in ID_SUFFIXES | CODE_SUFFIXES:
        return len(expanded) - 2, expanded[-1]
    return len(expanded) - 1, None


def _id_like(column: _Column) -> str | None:
    """Why the name makes the column an identifier, or None."""
    expanded = column.reading.expanded
    name = column.name.lower()
    if name in ID_NAMES or "_".join(column.reading.tokens) in ID_NAMES:
        return f"name {column.header!r} is an identifier name"
    if expanded and expanded[-1] in ID_SUFFIXES:
        return f"name ends in '{expanded[-1]}'"
    if expanded and expanded[-1] in CODE_SUFFIXES and len(expanded) >= 2:
        return f"name ends in '{expanded[-1]}'"
    return None


def match_concept(
    column: _Column, concepts: Sequence[Concept], options: SemanticOptions
) -> tuple[Concept, str] | None:
    """The best concept for ``column`` and the evidence (module docstring)."""
    expanded = column.reading.expanded
    head, _ = _head_and_suffix(expanded)
    whole = "_".join(column.reading.tokens)
    scored: list[tuple[tuple[float, int, int], Concept, str]] = []
    for index, concept in enumerate(concepts):
        if concept.types and column.family not in concept.types:
            continue
        if any(contains_phrase(expanded, phrase) is not None for phrase in concept.exclusions):
            continue
        best: tuple[float, int] | None = None
        reason = ""
        if whole in concept.names or column.name in concept.names:
            best, reason = (3.0, 1), f"name is '{column.name}'"
        for phrase in concept.indicators:
            end = contains_phrase(expanded, phrase)
            if end is None:
                continue
            candidate = (float(len(phrase)), int(end - 1 == head))
            if best is None or candidate > best:
                best, reason = candidate, f"name matches indicator '{' '.join(phrase)}'"
        value_reason = _value_match(column, concept, options)
        if value_reason is not None:
            candidate = (options.value_match_weight, 1)
            if best is None or candidate > best:
                best, reason = candidate, value_reason
            else:
                reason = f"{reason}; {value_reason}"
        if best is not None:
            scored.append(((best[0], best[1], -index), concept, reason))
    if not scored:
        return None
    scored.sort(key=lambda item: item[0], reverse=True)
    _, concept, reason = scored[0]
    return concept, f"{reason} ({concept.vocabulary} vocabulary)"


def _value_match(column: _Column, concept: Concept, options: SemanticOptions) -> str | None:
    if not concept.values or column.family != "text" or not column.non_null:
        return None
    covered = sum(count for _, count in column.top_values)
    if covered < column.non_null:  # more distinct values than the profile's top-k
        return None
    matched = [
        (value, count) for value, count in column.top_values if value.lower() in concept.values
    ]
    share = sum(count for _, count in matched) / column.non_null
    if len(matched) < 2 or share < options.value_min_share:
        return None
    shown = ", ".join(value for value, _ in matched[:6])
    return f"{share:.0%} of {column.non_null:,} values are '{concept.name}' values ({shown})"


def build_semantic_annotations(
    con: duckdb.DuckDBPyConnection,
    options: SemanticOptions = SemanticOptions(),  # frozen, so a safe default
    progress: Callable[[str], None] | None = None,
    typed_database: str = "typed_tables",
    profiles_database: str = "statistical_profiles",
    relationships_database: str | None = "relationships",
    annotator: Annotator | None = None,
) -> SemanticResult:
    """Annotate every column and table of ``typed_database`` and write ``column_annotations``
    and ``table_annotations``. ``relationships_database`` is used when it is attached and holds
    a ``relationships`` table; otherwise foreign keys come from names only. Returns what was
    written."""
    lexicon = load_lexicon()
    concepts = load_concepts(options.shipped_vocabularies, options.vocabulary_files)
    tables = typed_columns(con, typed_database)
    columns = _read_columns(con, tables, typed_database, profiles_database, lexicon)
    references, parents_by_relationships = _accepted_relationships(con, relationships_database)
    relationships_used = references is not None
    by_table: dict[str, list[_Column]] = {}
    for column in columns:
        column.family = type_family(column.data_type, column.semantic_type)
        matched = match_concept(column, concepts, options)
        if matched is not None:
            column.concept, column.concept_evidence = matched
        elif annotator is not None:
            _ask_annotator(column, annotator, concepts)
        by_table.setdefault(column.table, []).append(column)

    keys = {
        table: _choose_key(table, cols, parents_by_relationships, options)
        for table, cols in by_table.items()
    }
    if references is None:
        references = _name_references(by_table, keys)
    child_refs: dict[tuple[str, str], _Reference] = {
        (ref.child_table, ref.child_column): ref for ref in references
    }
    referenced_by: dict[str, set[str]] = {}
    for ref in references:
        if ref.child_table != ref.parent_table:
            referenced_by.setdefault(ref.parent_table, set()).add(ref.child_table)

    typed = quote_identifier(typed_database)
    column_rows: list[ColumnAnnotation] = []
    table_rows: list[TableAnnotation] = []
    for number, (table, cols) in enumerate(by_table.items(), start=1):
        key = keys[table]
        for column in cols:
            _assign_role(column, key, child_refs.get((table, column.name)), options)
        grain, grain_evidence = _grain(
            con, f"{typed}.typed.{quote_identifier(table)}", cols, key, options
        )
        for column in cols:
            if (
                column.name in grain
                and len(grain) > 1
                and column.role in ("dimension", "measure", "attribute")
                and _is_sequence(column)
            ):
                column.role = "identifier"
                column.role_evidence = (
                    f"sequence within the grain ({', '.join(grain)}), verified unique"
                )
        time_column, time_evidence = _time_column(cols)
        kind, kind_evidence = _table_kind(table, cols, key, time_column, child_refs, referenced_by)
        rows = cols[0].rows if cols else 0
        table_rows.append(
            TableAnnotation(
                table_name=table,
                kind=kind,
                grain_columns=tuple(grain),
                time_column=time_column,
                evidence=f"kind: {kind_evidence}; grain: {grain_evidence}; time: {time_evidence}",
                rows=rows,
                key_column=key.name if key else None,
                measures=sum(1 for c in cols if c.role == "measure"),
                foreign_keys=sum(1 for c in cols if c.role == "foreign_key"),
                referenced_by=tuple(sorted(referenced_by.get(table, ()))),
            )
        )
        if progress is not None:
            progress(f"table {number}/{len(by_table)} {table}: {kind}, {len(cols)} columns")
    for cols in by_table.values():
        for column in cols:
            column_rows.append(_annotation(column, by_table, child_refs))
    result = SemanticResult(tuple(column_rows), tuple(table_rows), relationships_used)
    write_records(con, "column_annotations", _COLUMNS_DDL, result.columns)
    write_records(con, "table_annotations", _TABLES_DDL, result.tables)
    return result


def _ask_annotator(column: _Column, annotator: Annotator, concepts: Sequence[Concept]) -> None:
    context = ColumnContext(
        column.table,
        column.name,
        column.header,
        column.data_type,
        tuple(value for value, _ in column.top_values),
    )
    suggestion = annotator.suggest(context)
    if suggestion is None:
        return
    by_name = {concept.name: concept for concept in concepts}
    concept = by_name.get(suggestion.concept)
    if concept is None or (concept.types and column.family not in concept.types):
        return
    column.concept = concept
    column.concept_evidence = f"annotator: {suggestion.reason}"


def _read_columns(
    con: duckdb.DuckDBPyConnection,
    tables: Mapping[str, Sequence[tuple[str, str]]],
    typed_database: str,
    profiles_database: str,
    lexicon: Lexicon,
) -> list[_Column]:
    typed = quote_identifier(typed_database)
    profiles = quote_identifier(profiles_database)
    decisions = {
        (t, c): (header, position, semantic, unit)
        for t, c, header, position, semantic, unit in con.execute(
            "SELECT table_name, column_name, original_header, position, semantic_type, unit "
            f"FROM {typed}.main.type_decisions"
        ).fetchall()
    }
    stats = {
        (t, c): (rows, nulls, distinct, unique, low, high)
        for t, c, rows, nulls, distinct, unique, low, high in con.execute(
            "SELECT table_name, column_name, rows, nulls, distinct_count, is_unique, min_value, "
            f"max_value FROM {profiles}.main.column_profiles"
        ).fetchall()
    }
    tops: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for t, c, value, count in con.execute(
        f"SELECT table_name, column_name, value, count FROM {profiles}.main.top_values "
        "ORDER BY table_name, column_name, rank"
    ).fetchall():
        if value is not None:
            tops.setdefault((t, c), []).append((str(value), int(count)))
    result: list[_Column] = []
    for table, columns in tables.items():
        for position, (name, data_type) in enumerate(columns, start=1):
            header, _, semantic, unit = decisions.get((table, name), (name, position, "text", None))
            if (table, name) not in stats:
                raise ValueError(
                    f"statistical_profiles has no profile of column {name!r} of table {table!r}: "
                    "re-materialize statistical_profiles for this source"
                )
            rows, nulls, distinct, unique, low, high = stats[(table, name)]
            result.append(
                _Column(
                    table=table,
                    name=name,
                    header=header or name,
                    position=position,
                    data_type=data_type,
                    semantic_type=semantic or "text",
                    unit=unit,
                    rows=int(rows),
                    nulls=int(nulls),
                    distinct=int(distinct or 0),
                    is_unique=bool(unique),
                    min_value=low,
                    max_value=high,
                    top_values=tops.get((table, name), []),
                    reading=read_name(header or name, lexicon),
                )
            )
    return result


def _accepted_relationships(
    con: duckdb.DuckDBPyConnection, database: str | None
) -> tuple[list[_Reference] | None, dict[tuple[str, str], list[str]]]:
    """Accepted foreign keys (None when relationships is not attached) and, per parent
    column, the child columns referencing it."""
    if database is None:
        return None, {}
    present = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
        "AND table_name = 'relationships'",
        [database],
    ).fetchall()[0][0]
    if not present:
        return None, {}
    rows = con.execute(
        "SELECT child_table, child_columns, parent_table, parent_columns, cardinality, "
        "containment, orphan_count "
        f"FROM {quote_identifier(database)}.main.relationships WHERE status = 'accepted' "
        "ORDER BY child_table, parent_table"
    ).fetchall()
    references: list[_Reference] = []
    parents: dict[tuple[str, str], list[str]] = {}
    for (
        child_table,
        child_columns,
        parent_table,
        parent_columns,
        cardinality,
        containment,
        orphans,
    ) in rows:
        pairs = list(zip(child_columns or [], parent_columns or [], strict=False))
        target = f"{parent_table}.({', '.join(parent_columns or [])})"
        for child_column, parent_column in pairs:
            detail = (
                f"accepted FK to {parent_table}.{parent_column} (relationships"
                + (f"; composite key {target}" if len(pairs) > 1 else "")
                + (f"; {cardinality}" if cardinality else "")
                + (f"; containment {containment:.1%}" if containment is not None else "")
                + (f"; {orphans:,} orphan rows" if orphans else "")
                + ")"
            )
            references.append(
                _Reference(child_table, child_column, parent_table, parent_column, detail)
            )
            parents.setdefault((parent_table, parent_column), []).append(
                f"{child_table}.{child_column}"
            )
    return references, parents


def _entity_tokens(table: str) -> tuple[str, ...]:
    return tuple(singularize(token) for token in split_name(table))


def _names_entity(column: _Column, table: str) -> bool:
    """The column's name (without its id suffix) names the table's entity: invoice_number in
    invoices, account_number in chart_of_accounts, id anywhere."""
    expanded = column.reading.expanded
    if column.name.lower() == "id":
        return True
    head, suffix = _head_and_suffix(expanded)
    content = expanded[: head + 1] if suffix else expanded
    entity = _entity_tokens(table)
    return bool(content) and len(content) <= len(entity) and entity[-len(content) :] == content


def _choose_key(
    table: str,
    columns: Sequence[_Column],
    parents: Mapping[tuple[str, str], list[str]],
    options: SemanticOptions,
) -> _Column | None:
    candidates: list[tuple[tuple[int, int, int, int], _Column]] = []
    for column in columns:
        if column.nulls or not column.non_null:
            continue
        if not (_is_integer(column) or column.family == "text"):
            continue
        if column.distinct / column.non_null < options.key_min_distinct_ratio:
            continue
        referenced = (table, column.name) in parents
        if not referenced and _id_like(column) is None:
            continue
        rank = (
            int(referenced),
            int(_names_entity(column, table)),
            int(column.is_unique),
            -column.position,
        )
        candidates.append((rank, column))
    if not candidates:
        return None
    candidates.sort(key=lambda item: item[0], reverse=True)
    rank, key = candidates[0]
    share = key.distinct / key.non_null
    reasons = [f"no nulls, {key.distinct:,} distinct of {key.non_null:,} ({share:.2%})"]
    if not key.is_unique:
        reasons.append(f"{key.non_null - key.distinct:,} repeated values: meant unique, not unique")
    if rank[0]:
        reasons.append(
            "referenced by " + ", ".join(parents[(table, key.name)]) + " (relationships)"
        )
    id_reason = _id_like(key)
    if id_reason:
        reasons.append(id_reason)
    if rank[1]:
        reasons.append(f"names the table's entity ({table})")
    key.role = "key"
    key.role_evidence = "table key: " + "; ".join(reasons)
    return key


def _name_references(
    by_table: Mapping[str, Sequence[_Column]], keys: Mapping[str, _Column | None]
) -> list[_Reference]:
    """Foreign keys from names alone (relationships not materialized): an identifier-named
    column whose exact name is another table's key."""
    key_tables: dict[str, list[str]] = {}
    for table, key in keys.items():
        if key is not None:
            key_tables.setdefault(key.name, []).append(table)
    references: list[_Reference] = []
    for table, columns in by_table.items():
        for column in columns:
            if keys.get(table) is column or _id_like(column) is None:
                continue
            parents = [p for p in key_tables.get(column.name, []) if p != table]
            if len(parents) == 1:
                parent = parents[0]
                references.append(
                    _Reference(
                        table,
                        column.name,
                        parent,
                        column.name,
                        f"name matches the key {parent}.{column.name} (names only: "
                        "relationships not materialized, values not checked)",
                    )
                )
                continue
            # sales_rep_id → employees.employee_id, manager_id → employee_id: the concept of
            # the name is the concept of exactly one key (the own table's: a self-reference).
            concept = column.concept
            if concept is None or parents:
                continue
            by_concept = [
                (t, k)
                for t, k in keys.items()
                if k is not None and k.concept is not None and k.concept.name == concept.name
            ]
            if len(by_concept) == 1:
                parent, key = by_concept[0]
                references.append(
                    _Reference(
                        table,
                        column.name,
                        parent,
                        key.name,
                        f"concept '{concept.name}' is that of the key {parent}.{key.name}"
                        + (" (self-reference)" if parent == table else "")
                        + " (names only: relationships not materialized, values not checked)",
                    )
                )
    return references


def _is_sequence(column: _Column) -> bool:
    expanded = column.reading.expanded
    head, _ = _head_and_suffix(expanded)
    return _is_integer(column) and head >= 0 and expanded[head] in SEQUENCE_WORDS


def _year_like(column: _Column) -> bool:
    if not _is_integer(column) or column.min_value is None or column.max_value is None:
        return False
    try:
        low, high = int(column.min_value), int(column.max_value)
    except ValueError:
        return False
    return YEAR_RANGE[0] <= low and high <= YEAR_RANGE[1]


def _assign_role(
    column: _Column, key: _Column | None, reference: _Reference | None, options: SemanticOptions
) -> None:
    if column is key:
        return
    concept = column.concept
    share = column.distinct / column.non_null if column.non_null else 0.0
    counts = f"{column.distinct:,} distinct of {column.non_null:,} non-null"
    if reference is not None:
        column.role, column.role_evidence = "foreign_key", reference.evidence
        return
    if column.family == "temporal" and column.data_type.upper() not in _TIME_OF_DAY:
        column.role = "timestamp"
        column.role_evidence = f"{column.data_type} ({column.semantic_type})"
        return
    if concept is not None and concept.name == "year" and _year_like(column):
        column.role = "timestamp"
        column.role_evidence = (
            f"year: integers {column.min_value}..{column.max_value} within "
            f"{YEAR_RANGE[0]}..{YEAR_RANGE[1]}"
        )
        return
    id_reason = _id_like(column)
    expanded = column.reading.expanded
    if (
        column.semantic_type == "uuid"
        or (id_reason and expanded and expanded[-1] in ID_SUFFIXES)
        or (id_reason and column.name.lower() in ID_NAMES)
    ):
        column.role = "identifier"
        column.role_evidence = (id_reason or "uuid values") + f"; {counts}; not the table key"
        if column.semantic_type != "uuid":
            column.role_evidence += "; no accepted or name-matched reference"
        return
    if id_reason and (
        column.distinct > options.max_dimension_values or share > options.max_dimension_ratio
    ):
        column.role = "identifier"
        column.role_evidence = (
            f"{id_reason}; {counts} (> {options.max_dimension_values} values or > "
            f"{options.max_dimension_ratio:.0%} of rows)"
        )
        return
    if concept is not None and concept.role is not None:
        column.role = concept.role
        column.role_evidence = f"concept '{concept.name}' implies role {concept.role}; {counts}"
        return
    if id_reason:
        # A code or number with few values (account_number on ledger lines): a category, never
        # a quantity to add up.
        column.role = "dimension"
        column.role_evidence = f"{id_reason}; {counts}: a code"
        return
    if column.family == "numeric":
        is_float = not _is_integer(column)
        if is_float or column.distinct > options.max_code_integers:
            column.role = "measure"
            kind = (
                column.data_type if is_float else f"integer, > {options.max_code_integers} distinct"
            )
            column.role_evidence = f"numeric {kind}; {counts}"
            return
    if column.family == "boolean":
        column.role, column.role_evidence = "dimension", f"boolean; {counts}"
        return
    if (
        column.family in ("text", "numeric")
        and 0 < column.distinct <= options.max_dimension_values
        and share <= options.max_dimension_ratio
    ):
        column.role = "dimension"
        column.role_evidence = (
            f"{counts} (≤ {options.max_dimension_values} values, ≤ "
            f"{options.max_dimension_ratio:.0%} of rows)"
        )
        return
    column.role = "attribute"
    column.role_evidence = f"{column.family} ({column.data_type}); {counts} ({share:.0%} distinct)"


def _grain(
    con: duckdb.DuckDBPyConnection,
    source: str,
    columns: Sequence[_Column],
    key: _Column | None,
    options: SemanticOptions,
) -> tuple[list[str], str]:
    if key is not None:
        note = "" if key.is_unique else f" ({key.non_null - key.distinct:,} repeated values)"
        return [key.name], f"the key {key.name}{note}"
    unique = [
        c
        for c in columns
        if c.is_unique
        and not c.nulls
        and c.non_null
        and c.role in ("timestamp", "identifier", "foreign_key", "dimension")
    ]
    if unique:
        return [unique[0].name], f"{unique[0].name} is unique and non-null"
    rank = {"foreign_key": 0, "identifier": 0, "timestamp": 1, "dimension": 2}
    candidates = [
        c
        for c in columns
        if not c.nulls and (c.role in rank or _is_sequence(c)) and c.distinct < c.non_null
    ]
    candidates.sort(key=lambda c: (0 if _is_sequence(c) else rank.get(c.role or "", 3), c.position))
    candidates = candidates[: options.max_grain_candidates]
    pairs = [(a, b) for i, a in enumerate(candidates) for b in candidates[i + 1 :]]
    # Parent reference + sequence first (invoice_number, line_no), then by rank, position.
    pairs.sort(
        key=lambda p: (
            0 if (_is_sequence(p[0]) or _is_sequence(p[1])) else 1,
            min(rank.get(p[0].role or "", 3), rank.get(p[1].role or "", 3)),
            max(rank.get(p[0].role or "", 3), rank.get(p[1].role or "", 3)),
            p[0].position + p[1].position,
        )
    )
    for first, second in pairs:
        a, b = quote_identifier(first.name), quote_identifier(second.name)
        [(duplicates,)] = con.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {source} GROUP BY {a}, {b} HAVING count(*) > 1)"
        ).fetchall()
        if duplicates == 0:
            ordered = sorted((first, second), key=lambda c: c.position)
            names = [c.name for c in ordered]
            return names, f"({', '.join(names)}) verified unique and non-null"
    if not candidates:
        return [], "no key, no unique column, no candidate columns for a composite grain"
    return [], f"no key, no unique column, no unique pair among {len(candidates)} candidate columns"


def _time_column(columns: Sequence[_Column]) -> tuple[str | None, str]:
    ranked: list[tuple[tuple[int, int, int], _Column, int]] = []
    for column in columns:
        if column.role != "timestamp":
            continue
        priority = DEFAULT_TIME_PRIORITY
        if column.concept is not None and column.concept.time_priority is not None:
            priority = column.concept.time_priority
        if priority == 0:
            continue
        ranked.append(((priority, -column.nulls, -column.position), column, priority))
    if not ranked:
        return None, "no timestamp column"
    ranked.sort(key=lambda item: item[0], reverse=True)
    _, best, priority = ranked[0]
    concept = f"concept {best.concept.name}, " if best.concept else ""
    others = [c.name for _, c, _ in ranked[1:]]
    rest = f"; over {', '.join(others)}" if others else ""
    return best.name, f"{best.name} ({concept}time priority {priority}, {best.nulls:,} nulls){rest}"


def _table_kind(
    table: str,
    columns: Sequence[_Column],
    key: _Column | None,
    time_column: str | None,
    child_refs: Mapping[tuple[str, str], _Reference],
    referenced_by: Mapping[str, set[str]],
) -> tuple[str, str]:
    measures = [c.name for c in columns if c.role == "measure"]
    outgoing = sorted(
        {
            ref.parent_table
            for (t, _), ref in child_refs.items()
            if t == table and ref.parent_table != table
        }
    )
    children = sorted(referenced_by.get(table, ()))
    facts = [
        f"{columns[0].rows if columns else 0:,} rows",
        f"measures: {', '.join(measures) or 'none'}",
        f"references: {', '.join(outgoing) or 'none'}",
        f"referenced by: {', '.join(children) or 'none'}",
        f"time column: {time_column or 'none'}",
    ]
    summary = "; ".join(facts)
    if children and not (outgoing and time_column and measures):
        return "dimension", f"referenced by other tables, descriptive ({summary})"
    non_key = [c for c in columns if c is not key]
    descriptive = [c for c in non_key if c.role in ("attribute", "dimension")]
    if (
        key is not None
        and not outgoing
        and len(measures) * 3 < len(non_key)
        and len(descriptive) * 2 >= len(non_key)
    ):
        return "dimension", (
            f"a key, no references and mostly descriptive columns ({len(descriptive)} of "
            f"{len(non_key)}; {summary})"
        )
    if measures and (outgoing or time_column):
        return "fact", f"measures with references or a time column ({summary})"
    if key is not None and not measures:
        return "dimension", f"a key and no measures ({summary})"
    return "flat", f"no evidence of fact or dimension ({summary})"


def _annotation(
    column: _Column,
    by_table: Mapping[str, Sequence[_Column]],
    child_refs: Mapping[tuple[str, str], _Reference],
) -> ColumnAnnotation:
    unit_table, unit_column, unit, unit_evidence = _unit(column, by_table, child_refs)
    concept = column.concept
    parts = [f"role {column.role}: {column.role_evidence}"]
    if concept is not None:
        parts.append(f"concept {concept.name}: {column.concept_evidence}")
    if unit_evidence:
        parts.append(f"unit: {unit_evidence}")
    parts.append(f"naming {column.reading.clarity}: {column.reading.detail}")
    return ColumnAnnotation(
        table_name=column.table,
        column_name=column.name,
        role=column.role or "attribute",
        concept=concept.name if concept else None,
        unit_column=unit_column,
        naming_clarity=column.reading.clarity,
        evidence="; ".join(parts),
        concept_vocabulary=concept.vocabulary if concept else None,
        unit_table=unit_table,
        unit=unit,
        expanded_name=" ".join(column.reading.expanded),
        role_evidence=column.role_evidence,
        concept_evidence=column.concept_evidence,
    )


def _currency_column(columns: Sequence[_Column]) -> _Column | None:
    found = [c for c in columns if c.concept is not None and c.concept.name == "currency"]
    return found[0] if found else None


def _unit(
    column: _Column,
    by_table: Mapping[str, Sequence[_Column]],
    child_refs: Mapping[tuple[str, str], _Reference],
) -> tuple[str | None, str | None, str | None, str | None]:
    """(unit_table, unit_column, fixed unit, evidence) of a measure."""
    if column.role != "measure":
        return None, None, None, None
    if column.semantic_type == "percentage":
        return None, None, column.unit or "%", "percentage values"
    concept = column.concept
    if concept is None or not concept.monetary:
        if column.unit:
            return None, None, column.unit, f"typed_tables read unit {column.unit}"
        return None, None, None, None
    own = _currency_column(by_table[column.table])
    if own is not None:
        return column.table, own.name, None, f"currency column {column.table}.{own.name}"
    for (table, child), ref in sorted(child_refs.items()):
        if table != column.table or ref.parent_table == column.table:
            continue
        parent_currency = _currency_column(by_table.get(ref.parent_table, ()))
        if parent_currency is not None:
            return (
                ref.parent_table,
                parent_currency.name,
                None,
                f"currency column {ref.parent_table}.{parent_currency.name} via "
                f"{table}.{child} → {ref.parent_table}.{ref.parent_column}",
            )
    if column.unit:
        return None, None, column.unit, f"typed_tables read currency {column.unit} from the values"
    return None, None, None, "money amount without a currency column or symbol: unit unknown"


_COLUMNS_DDL = {
    "table_name": "VARCHAR",
    "column_name": "VARCHAR",
    "role": "VARCHAR",
    "concept": "VARCHAR",
    "unit_column": "VARCHAR",
    "naming_clarity": "VARCHAR",
    "evidence": "VARCHAR",
    "concept_vocabulary": "VARCHAR",
    "unit_table": "VARCHAR",
    "unit": "VARCHAR",
    "expanded_name": "VARCHAR",
    "role_evidence": "VARCHAR",
    "concept_evidence": "VARCHAR",
}
_TABLES_DDL = {
    "table_name": "VARCHAR",
    "kind": "VARCHAR",
    "grain_columns": "VARCHAR[]",
    "time_column": "VARCHAR",
    "evidence": "VARCHAR",
    "rows": "BIGINT",
    "key_column": "VARCHAR",
    "measures": "INTEGER",
    "foreign_keys": "INTEGER",
    "referenced_by": "VARCHAR[]",
}


class ColumnAnnotationsSchema(pa.DataFrameModel):
    table_name: Series[str]
    column_name: Series[str]
    role: Series[str] = pa.Field(isin=list(ROLES))
    concept: Series[str] = pa.Field(nullable=True)
    unit_column: Series[str] = pa.Field(nullable=True)
    naming_clarity: Series[str] = pa.Field(isin=list(NAMING_CLARITY))
    evidence: Series[str] = pa.Field(str_length={"min_value": 1})
    concept_vocabulary: Series[str] = pa.Field(nullable=True)
    unit_table: Series[str] = pa.Field(nullable=True)
    unit: Series[str] = pa.Field(nullable=True)
    expanded_name: Series[str]
    role_evidence: Series[str] = pa.Field(str_length={"min_value": 1})
    concept_evidence: Series[str] = pa.Field(nullable=True)

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True
        unique = ["table_name", "column_name"]  # noqa: RUF012 - pandera reads it as is

    @pa.dataframe_check
    @classmethod
    def concept_has_evidence(cls, frame: pd.DataFrame) -> pd.Series:
        return pd.Series(frame["concept"].isna() == frame["concept_evidence"].isna())

    @pa.dataframe_check
    @classmethod
    def unit_column_has_table(cls, frame: pd.DataFrame) -> pd.Series:
        return pd.Series(frame["unit_column"].isna() == frame["unit_table"].isna())


class TableAnnotationsSchema(pa.DataFrameModel):
    table_name: Series[str] = pa.Field(unique=True)
    kind: Series[str] = pa.Field(isin=list(TABLE_KINDS))
    grain_columns: Series[object]
    time_column: Series[str] = pa.Field(nullable=True)
    evidence: Series[str] = pa.Field(str_length={"min_value": 1})
    rows: Series[int] = pa.Field(ge=0)
    key_column: Series[str] = pa.Field(nullable=True)
    measures: Series[int] = pa.Field(ge=0)
    foreign_keys: Series[int] = pa.Field(ge=0)
    referenced_by: Series[object]

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True

    @pa.check("grain_columns", "referenced_by", name="list")
    @classmethod
    def lists(cls, series: pd.Series) -> pd.Series:
        return is_list(series)


OUTPUT_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "column_annotations": ColumnAnnotationsSchema,
    "table_annotations": TableAnnotationsSchema,
}

__all__ = [
    "NAMING_CLARITY",
    "OUTPUT_SCHEMAS",
    "ROLES",
    "TABLE_KINDS",
    "Annotator",
    "ColumnAnnotation",
    "ColumnContext",
    "SemanticOptions",
    "SemanticResult",
    "Suggestion",
    "TableAnnotation",
    "build_semantic_annotations",
    "read_name",
    "type_family",
]
