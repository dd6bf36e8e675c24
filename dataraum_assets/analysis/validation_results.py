"""Declarative business-rule checks over the typed tables, bound to columns by meaning.

A check (YAML, see ``dataraum_assets/validations/``) names the columns it needs by concept and
role from ``"<semantic>".main.column_annotations``, grouped into table aliases, and optionally
links between aliases that must be joined by an accepted relationship from
``"<relationships>".main.relationships``. Every way the source's schema satisfies a check is a
*binding*, and each binding is evaluated once: a check over "every key column" gives one result
row per key column. A check with no binding is ``skipped`` with the reason (which concept, role,
type or relationship is missing), never failed and never dropped.

Check file format (``checks:`` is a list; unknown keys are errors naming the file and check)::

    - id: double_entry_balances          # [a-z][a-z0-9_]*, unique; a source file may reuse a
      name: Journal entries balance      #   shipped id to replace that check (e.g. tolerance)
      kind: balance                      # balance | constraint | comparison | rate
      unit: journal entries              # what failing_count / total_count count
      tolerance: 0.005                   # passed when observed <= tolerance
      description: ...
      tables:                            # alias -> slot -> column requirements
        ledger:
          debit: {concept: debit, type: numeric}
          entry: {concept: journal_entry}          # also: role, exclude_concept
      links:                             # optional: link -> {child: alias, parent: alias}
        posted_to: {child: ledger, parent: chart}
      parameters: {debit_prefix: d}      # values bound as $debit_prefix
      sql: SELECT ... AS observed, ... AS failing_count, ... AS total_count, ... AS sample

Template tokens (the only braces allowed in ``sql``); identifiers come from the schema and are
quoted, values are always bound parameters:

- ``{alias}``: the typed table, ``"typed_tables"."typed"."<table>" AS "alias"``;
- ``{alias.slot}``: the bound column, ``"alias"."<column>"``;
- ``{alias.row_key}``: the row's key as text (the single ``key``-role column, else the table's
  grain columns joined by ``/``, else ``'row ' || _row``), used for failing-row samples;
- ``{alias.row_id}``: ``"alias"."_row"``;
- ``{link.on}``: the relationship's join condition (child columns = parent columns);
- ``{link.child_not_null}``: every child column of the relationship is not NULL;
- ``{link.child_key}`` / ``{link.parent_key}``: the child's / parent's relationship columns as
  text (joined by ``/``), to join after aggregating.

Parameters: ``$tolerance``, ``$as_of`` (DATE: the reference date for "in the future"),
``$sample_size`` and the check's own ``parameters``. The rendered SQL must be one SELECT
returning one row with ``observed`` (number), ``failing_count``, ``total_count`` and ``sample``
(``VARCHAR[]`` of failing keys, at most ``$sample_size``). A check whose SQL fails or returns
another shape is ``error`` with the database's message. Only a single SELECT is run; still, a
source's checks file is code (a SELECT can read files DuckDB can reach), as trusted as the data
folder it sits in.

Binding rules: a slot matches a column when every given requirement holds (``concept`` and
``role`` are lists of accepted values; ``type`` one of ``numeric``, ``temporal`` (DATE,
TIMESTAMP), ``text``, ``boolean``; ``exclude_concept`` rejects concepts). Slots of one alias bind
distinct columns of one table; distinct aliases bind distinct tables unless a link joins them (a
self-reference such as ``manager_id -> employee_id``). A link binds every accepted relationship
from the child alias's table to the parent alias's table.
"""

import datetime as dt
import importlib.resources
import itertools
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import pandera.pandas as pa
import yaml
from pandera.typing import Series
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dataraum_assets.analysis.column_kinds import INTEGER_TYPES
from dataraum_assets.analysis.output_tables import write_records
from dataraum_assets.analysis.typed_tables import typed_columns
from dataraum_assets.identifiers import ROW_NUMBER_COLUMN, quote_identifier
from dataraum_assets.sources import CHECKS_FILE_NAME

CHECK_KINDS = ("balance", "constraint", "comparison", "rate")
STATUSES = ("passed", "failed", "skipped", "error")
TYPE_CLASSES = ("numeric", "temporal", "text", "boolean")
PACKAGED_CHECK_SETS = ("generic", "finance")
RESULT_COLUMNS = ("observed", "failing_count", "total_count", "sample")
BUILTIN_PARAMETERS = frozenset({"tolerance", "as_of", "sample_size"})
ROW_KEY_SLOT = "row_key"
ROW_ID_SLOT = "row_id"
LINK_TOKENS = ("on", "child_not_null", "child_key", "parent_key")

_NAME = r"[a-z][a-z0-9_]*"
_NAME_PATTERN = re.compile(rf"^{_NAME}$")
_TOKEN = re.compile(r"\{([^{}]*)\}")
_TOKEN_BODY = re.compile(rf"^({_NAME})(?:\.({_NAME}))?$")
_PARAMETER = re.compile(rf"\$({_NAME})")


class CheckDefinitionError(ValueError):
    """A check file or check is malformed; the message names the file, the check and why."""


def _as_tuple(value: object) -> object:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return value


class SlotSpec(BaseModel):
    """Requirements for one bound column (all given ones must hold)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    concept: tuple[str, ...] = ()
    role: tuple[str, ...] = ()
    type: tuple[Literal["numeric", "temporal", "text", "boolean"], ...] = ()
    exclude_concept: tuple[str, ...] = ()

    @field_validator("concept", "role", "type", "exclude_concept", mode="before")
    @classmethod
    def _listify(cls, value: object) -> object:
        return _as_tuple(value)

    @model_validator(mode="after")
    def _meaningful(self) -> "SlotSpec":
        if not self.concept and not self.role:
            raise ValueError("a column needs a concept or a role to bind to")
        return self

    def describe(self) -> str:
        parts = []
        if self.concept:
            parts.append("concept " + "|".join(self.concept))
        if self.role:
            parts.append("role " + "|".join(self.role))
        if self.type:
            parts.append("type " + "|".join(self.type))
        if self.exclude_concept:
            parts.append("not " + "|".join(self.exclude_concept))
        return ", ".join(parts)


class LinkSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    child: str
    parent: str


class CheckSpec(BaseModel):
    """One check as written in YAML (module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=rf"^{_NAME}$")
    name: str
    kind: Literal["balance", "constraint", "comparison", "rate"]
    unit: str = "rows"
    tolerance: float = Field(ge=0)
    description: str = ""
    tables: dict[str, dict[str, SlotSpec]]
    links: dict[str, LinkSpec] = Field(default_factory=dict)
    parameters: dict[str, str | int | float | bool] = Field(default_factory=dict)
    sql: str

    @model_validator(mode="after")
    def _consistent(self) -> "CheckSpec":
        if not self.tables:
            raise ValueError("tables: at least one table alias is needed")
        for alias, slots in self.tables.items():
            if not _NAME_PATTERN.match(alias):
                raise ValueError(f"tables: alias {alias!r} must match {_NAME}")
            for slot in slots:
                if not _NAME_PATTERN.match(slot) or slot in (ROW_KEY_SLOT, ROW_ID_SLOT):
                    raise ValueError(
                        f"tables.{alias}: slot {slot!r} must match {_NAME} and not be "
                        f"{ROW_KEY_SLOT!r} or {ROW_ID_SLOT!r}"
                    )
        for name, link in self.links.items():
            if not _NAME_PATTERN.match(name) or name in self.tables:
                raise ValueError(f"links: {name!r} must match {_NAME} and differ from aliases")
            for end in (link.child, link.parent):
                if end not in self.tables:
                    raise ValueError(f"links.{name}: {end!r} is not a table alias")
            if link.child == link.parent:
                raise ValueError(f"links.{name}: child and parent must be different aliases")
        clashes = BUILTIN_PARAMETERS & set(self.parameters)
        if clashes:
            raise ValueError(f"parameters: {sorted(clashes)} are set by the pipeline")
        for name in self.parameters:
            if not _NAME_PATTERN.match(name):
                raise ValueError(f"parameters: {name!r} must match {_NAME}")
        for body in _TOKEN.findall(self.sql):
            _parse_token(body, self)
        unknown = set(_PARAMETER.findall(self.sql)) - BUILTIN_PARAMETERS - set(self.parameters)
        if unknown:
            raise ValueError(f"sql: unknown parameters {sorted(unknown)}")
        stray = _TOKEN.sub("", self.sql)
        if "{" in stray or "}" in stray:
            raise ValueError("sql: braces are reserved for {alias}, {alias.slot}, {link.token}")
        return self


def _parse_token(body: str, spec: CheckSpec) -> tuple[str, str | None]:
    match = _TOKEN_BODY.match(body)
    if match is None:
        raise ValueError(f"sql: {{{body}}} is not a binding token")
    name, part = match.group(1), match.group(2)
    if name in spec.tables:
        allowed = {*spec.tables[name], ROW_KEY_SLOT, ROW_ID_SLOT}
        if part is not None and part not in allowed:
            raise ValueError(f"sql: {{{body}}}: {name} has no slot {part!r}")
        return name, part
    if name in spec.links:
        if part not in LINK_TOKENS:
            raise ValueError(f"sql: {{{body}}}: a link token is one of {list(LINK_TOKENS)}")
        return name, part
    raise ValueError(f"sql: {{{body}}}: {name!r} is neither a table alias nor a link")


class CheckFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    checks: list[dict[str, Any]]


@dataclass(frozen=True)
class Check:
    """A parsed check and the set it came from (``generic``, ``finance`` or ``source``)."""

    spec: CheckSpec
    check_set: str


def parse_checks(text: str, origin: str, check_set: str) -> list[Check]:
    """Parse a check file; errors name ``origin``, the check id and the field."""
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise CheckDefinitionError(f"{origin}: not valid YAML: {error}") from error
    try:
        document = CheckFile.model_validate(content)
    except ValidationError as error:
        raise CheckDefinitionError(f"{origin}: {_pydantic_problems(error)}") from error
    checks: list[Check] = []
    seen: set[str] = set()
    for position, raw in enumerate(document.checks, start=1):
        label = f"check {raw.get('id', f'#{position}')!s}"
        try:
            spec = CheckSpec.model_validate(raw)
        except ValidationError as error:
            raise CheckDefinitionError(f"{origin}: {label}: {_pydantic_problems(error)}") from error
        if spec.id in seen:
            raise CheckDefinitionError(f"{origin}: {label}: id used twice in this file")
        seen.add(spec.id)
        checks.append(Check(spec, check_set))
    return checks


def _pydantic_problems(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)


def packaged_checks(check_sets: Sequence[str] = PACKAGED_CHECK_SETS) -> list[Check]:
    """The shipped checks (``dataraum_assets/validations/<set>.yaml``), in file order."""
    folder = importlib.resources.files("dataraum_assets") / "validations"
    checks: list[Check] = []
    for check_set in check_sets:
        resource = folder / f"{check_set}.yaml"
        checks.extend(
            parse_checks(
                resource.read_text(encoding="utf-8"),
                f"dataraum_assets/validations/{check_set}.yaml",
                check_set,
            )
        )
    return checks


def source_checks(folder: Path) -> list[Check]:
    """The checks in ``<folder>/dataraum_checks.yaml``; none when the file is absent."""
    path = folder / CHECKS_FILE_NAME
    if not path.is_file():
        return []
    return parse_checks(path.read_text(encoding="utf-8"), str(path), "source")


def merge_checks(*check_lists: Sequence[Check]) -> list[Check]:
    """Later lists replace earlier checks with the same id (in place), else append."""
    merged: dict[str, Check] = {}
    for checks in check_lists:
        for check in checks:
            merged[check.spec.id] = check
    return list(merged.values())


@dataclass(frozen=True)
class ValidationOptions:
    """How checks are evaluated."""

    # The reference date for "in the future"; None: today (UTC) when the checks run.
    as_of: dt.date | None = None
    # Failing keys kept per result.
    sample_size: int = 5
    # More bindings than this for one check are not evaluated; a skipped row says how many.
    max_bindings_per_check: int = 200
    # Check ids not to run (the source's validation_results.disabled_checks); reported skipped.
    disabled_checks: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.sample_size < 1:
            raise ValueError(f"sample_size must be at least 1, got {self.sample_size}")
        if self.max_bindings_per_check < 1:
            raise ValueError(
                f"max_bindings_per_check must be at least 1, got {self.max_bindings_per_check}"
            )


@dataclass(frozen=True)
class ColumnInfo:
    table: str
    name: str
    data_type: str
    role: str | None
    concept: str | None

    @property
    def type_class(self) -> str | None:
        return type_class(self.data_type)


@dataclass(frozen=True)
class Relationship:
    child_table: str
    child_columns: tuple[str, ...]
    parent_table: str
    parent_columns: tuple[str, ...]

    def describe(self) -> str:
        return (
            f"{self.child_table}({', '.join(self.child_columns)}) -> "
            f"{self.parent_table}({', '.join(self.parent_columns)})"
        )


@dataclass(frozen=True)
class Catalog:
    """What checks bind to: typed tables with their annotations, and accepted relationships."""

    typed_database: str
    tables: Mapping[str, tuple[ColumnInfo, ...]]
    row_keys: Mapping[str, tuple[str, ...]]  # table -> key columns; () means `_row`
    relationships: tuple[Relationship, ...] | None  # None: relationships not materialized
    annotated: bool  # semantic_annotations was attached


@dataclass(frozen=True)
class Binding:
    """One way the schema satisfies a check."""

    tables: tuple[tuple[str, str], ...]  # (alias, table)
    columns: tuple[tuple[str, str, str], ...]  # (alias, slot, column)
    links: tuple[tuple[str, Relationship], ...]  # (link, relationship)

    def table_of(self, alias: str) -> str:
        return dict(self.tables)[alias]

    def column_of(self, alias: str, slot: str) -> str:
        return {(a, s): c for a, s, c in self.columns}[(alias, slot)]

    def link(self, name: str) -> Relationship:
        return dict(self.links)[name]

    def describe(self) -> str:
        parts = []
        for alias, table in self.tables:
            slots = ", ".join(f"{s}={c}" for a, s, c in self.columns if a == alias)
            parts.append(f"{alias}={table}" + (f"({slots})" if slots else ""))
        parts.extend(f"{name}: {rel.describe()}" for name, rel in self.links)
        return "; ".join(parts)


@dataclass(frozen=True)
class ValidationResult:
    """One row of ``validation_results``."""

    check_id: str
    check_set: str
    name: str
    kind: str
    status: str
    reason: str
    observed: float | None
    tolerance: float
    bindings: str | None
    table_name: str | None
    failing_count: int | None
    total_count: int | None
    sample: tuple[str, ...] | None
    sql: str | None


@dataclass(frozen=True)
class ValidationSummary:
    results: tuple[ValidationResult, ...]
    as_of: dt.date
    counts: Mapping[str, int] = field(default_factory=dict)


def type_class(data_type: str) -> str | None:
    """numeric / temporal / text / boolean for a DuckDB type, None for anything else."""
    if data_type in INTEGER_TYPES or data_type in ("FLOAT", "DOUBLE", "REAL"):
        return "numeric"
    if data_type.startswith("DECIMAL"):
        return "numeric"
    if data_type == "DATE" or data_type.startswith("TIMESTAMP"):
        return "temporal"
    if data_type == "VARCHAR":
        return "text"
    if data_type == "BOOLEAN":
        return "boolean"
    return None


def read_catalog(
    con: duckdb.DuckDBPyConnection,
    typed_database: str = "typed_tables",
    semantic_database: str | None = "semantic_annotations",
    relationships_database: str | None = "relationships",
) -> Catalog:
    """The typed tables and, where attached, their annotations and accepted relationships."""
    attached = {
        name for (name,) in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()
    }
    annotations: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    grains: dict[str, tuple[str, ...]] = {}
    annotated = semantic_database is not None and semantic_database in attached
    if annotated:
        database = quote_identifier(str(semantic_database))
        for table, column, role, concept in con.execute(
            f"SELECT table_name, column_name, role, concept FROM {database}.main.column_annotations"
        ).fetchall():
            annotations[(table, column)] = (role, concept)
        if _has_table(con, str(semantic_database), "table_annotations"):
            for table, grain in con.execute(
                f"SELECT table_name, grain_columns FROM {database}.main.table_annotations"
            ).fetchall():
                grains[table] = tuple(grain or ())
    tables: dict[str, tuple[ColumnInfo, ...]] = {}
    row_keys: dict[str, tuple[str, ...]] = {}
    for table, columns in typed_columns(con, typed_database).items():
        infos = tuple(
            ColumnInfo(table, name, data_type, *annotations.get((table, name), (None, None)))
            for name, data_type in columns
        )
        tables[table] = infos
        keys = tuple(info.name for info in infos if info.role == "key")
        names = {info.name for info in infos}
        grain = tuple(c for c in grains.get(table, ()) if c in names)
        row_keys[table] = keys if len(keys) == 1 else grain
    relationships: tuple[Relationship, ...] | None = None
    if relationships_database is not None and relationships_database in attached:
        database = quote_identifier(relationships_database)
        relationships = tuple(
            Relationship(child, tuple(child_columns), parent, tuple(parent_columns))
            for child, child_columns, parent, parent_columns in con.execute(
                "SELECT child_table, child_columns, parent_table, parent_columns "
                f"FROM {database}.main.relationships WHERE status = 'accepted' "
                "ORDER BY child_table, child_columns, parent_table, parent_columns"
            ).fetchall()
            if child in tables
            and parent in tables
            and len(child_columns) == len(parent_columns)
            and child_columns
        )
    return Catalog(typed_database, tables, row_keys, relationships, annotated)


def _has_table(con: duckdb.DuckDBPyConnection, database: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT 1 FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
            "AND table_name = ?",
            [database, table],
        ).fetchall()
    )


def _matches(column: ColumnInfo, slot: SlotSpec) -> bool:
    if column.name == ROW_NUMBER_COLUMN:
        return False
    if slot.concept and column.concept not in slot.concept:
        return False
    if slot.role and column.role not in slot.role:
        return False
    if slot.type and column.type_class not in slot.type:
        return False
    return not (column.concept is not None and column.concept in slot.exclude_concept)


def _slot_assignments(
    columns: Sequence[ColumnInfo], slots: Mapping[str, SlotSpec]
) -> list[tuple[tuple[str, str], ...]]:
    """Every assignment of distinct columns of one table to the slots: ((slot, column), ...)."""
    options = [[c.name for c in columns if _matches(c, spec)] for spec in slots.values()]
    assignments = []
    for combination in itertools.product(*options):
        if len(set(combination)) == len(combination):
            assignments.append(tuple(zip(slots, combination, strict=True)))
    return assignments


def bind(check: CheckSpec, catalog: Catalog) -> tuple[list[Binding], str | None]:
    """Every binding of ``check`` in table/column order, or none and the reason why."""
    needs_annotations = any(slots for slots in check.tables.values())
    if needs_annotations and not catalog.annotated:
        return [], "semantic_annotations has not been materialized for this source"
    if check.links and catalog.relationships is None:
        return [], "relationships has not been materialized for this source"
    candidates: dict[str, list[tuple[str, tuple[tuple[str, str], ...]]]] = {}
    for alias, slots in check.tables.items():
        candidates[alias] = [
            (table, assignment)
            for table, columns in catalog.tables.items()
            for assignment in _slot_assignments(columns, slots)
        ]
        if not candidates[alias]:
            return [], _missing_table_reason(alias, slots, catalog)
    relationships = catalog.relationships or ()
    linked = {frozenset((link.child, link.parent)) for link in check.links.values()}
    bindings: list[Binding] = []
    aliases = list(check.tables)
    for choice in itertools.product(*(candidates[alias] for alias in aliases)):
        tables = {alias: table for alias, (table, _) in zip(aliases, choice, strict=True)}
        if any(
            tables[a] == tables[b] and frozenset((a, b)) not in linked
            for a, b in itertools.combinations(aliases, 2)
        ):
            continue
        link_options = [
            [
                (name, rel)
                for rel in relationships
                if rel.child_table == tables[link.child] and rel.parent_table == tables[link.parent]
            ]
            for name, link in check.links.items()
        ]
        for links in itertools.product(*link_options):
            bindings.append(
                Binding(
                    tables=tuple(tables.items()),
                    columns=tuple(
                        (alias, slot, column)
                        for alias, (_, assignment) in zip(aliases, choice, strict=True)
                        for slot, column in assignment
                    ),
                    links=tuple(links),
                )
            )
    if not bindings:
        return [], _missing_link_reason(check, candidates)
    return bindings, None


def _missing_table_reason(alias: str, slots: Mapping[str, SlotSpec], catalog: Catalog) -> str:
    found = []
    for slot, spec in slots.items():
        where = [
            f"{c.table}.{c.name}"
            for columns in catalog.tables.values()
            for c in columns
            if _matches(c, spec)
        ]
        found.append(f"{slot} ({spec.describe()}): " + (_listing(where) or "none"))
    wanted = "one table" if len(slots) > 1 else "a column"
    return f"no binding for {alias}: needs {wanted} with " + "; ".join(found)


def _missing_link_reason(
    check: CheckSpec, candidates: Mapping[str, Sequence[tuple[str, object]]]
) -> str:
    if not check.links:
        return "the aliases would have to bind the same table"
    parts = []
    for name, link in check.links.items():
        children = sorted({table for table, _ in candidates[link.child]})
        parents = sorted({table for table, _ in candidates[link.parent]})
        parts.append(
            f"{name}: no accepted relationship from {link.child} ({_listing(children)}) "
            f"to {link.parent} ({_listing(parents)})"
        )
    return "; ".join(parts)


def _listing(names: Sequence[str], shown: int = 5) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more:,} more" if more > 0 else "")


def _text_of(columns: Sequence[str]) -> str:
    if len(columns) == 1:
        return f"CAST({columns[0]} AS VARCHAR)"
    return "concat_ws('/', " + ", ".join(f"CAST({c} AS VARCHAR)" for c in columns) + ")"


def render_sql(check: CheckSpec, binding: Binding, catalog: Catalog) -> str:
    """The check's SQL with every token replaced by quoted identifiers from ``binding``."""
    typed = quote_identifier(catalog.typed_database) + "." + quote_identifier("typed")

    def column(alias: str, name: str) -> str:
        return f"{quote_identifier(alias)}.{quote_identifier(name)}"

    def replace(match: re.Match[str]) -> str:
        name, part = _parse_token(match.group(1), check)
        if name in check.links:
            rel = binding.link(name)
            link = check.links[name]
            child = [column(link.child, c) for c in rel.child_columns]
            if part == "on":
                parents = [column(link.parent, c) for c in rel.parent_columns]
                return (
                    "("
                    + " AND ".join(f"{c} = {p}" for c, p in zip(child, parents, strict=True))
                    + ")"
                )
            if part == "child_not_null":
                return "(" + " AND ".join(f"{c} IS NOT NULL" for c in child) + ")"
            if part == "parent_key":
                return _text_of([column(link.parent, c) for c in rel.parent_columns])
            return _text_of(child)
        table = binding.table_of(name)
        if part is None:
            return f"{typed}.{quote_identifier(table)} AS {quote_identifier(name)}"
        if part == ROW_ID_SLOT:
            return column(name, ROW_NUMBER_COLUMN)
        if part == ROW_KEY_SLOT:
            keys = catalog.row_keys.get(table, ())
            if not keys:
                return f"('row ' || {column(name, ROW_NUMBER_COLUMN)})"
            return _text_of([column(name, key) for key in keys])
        return column(name, binding.column_of(name, part))

    return _TOKEN.sub(replace, check.sql).strip()


def evaluate(
    con: duckdb.DuckDBPyConnection,
    check: Check,
    binding: Binding,
    catalog: Catalog,
    as_of: dt.date,
    sample_size: int,
) -> ValidationResult:
    """Run one binding of a check; database errors become an ``error`` result."""
    spec = check.spec
    sql = render_sql(spec, binding, catalog)
    first_table = binding.tables[0][1]

    def result(status: str, reason: str, **values: Any) -> ValidationResult:
        return ValidationResult(
            check_id=spec.id,
            check_set=check.check_set,
            name=spec.name,
            kind=spec.kind,
            status=status,
            reason=reason,
            observed=values.get("observed"),
            tolerance=spec.tolerance,
            bindings=binding.describe(),
            table_name=first_table,
            failing_count=values.get("failing_count"),
            total_count=values.get("total_count"),
            sample=values.get("sample"),
            sql=sql,
        )

    values: dict[str, object] = {
        "tolerance": spec.tolerance,
        "as_of": as_of,
        "sample_size": sample_size,
        **spec.parameters,
    }
    try:
        statements = con.extract_statements(sql)
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            return result("error", "the check's SQL must be exactly one SELECT statement")
        names = statements[0].named_parameters
        relation = con.execute(sql, {name: values[name] for name in names} if names else None)
        header = [column[0] for column in relation.description or []]
        rows = relation.fetchall()
    except duckdb.Error as error:
        message = str(error).strip().splitlines()[0]
        return result("error", f"the check's SQL failed: {message}")
    if sorted(header) != sorted(RESULT_COLUMNS) or len(rows) != 1:
        return result(
            "error",
            f"the check's SQL must return one row with columns {list(RESULT_COLUMNS)}; "
            f"got {len(rows)} row(s) with {header}",
        )
    row = dict(zip(header, rows[0], strict=True))
    raw_observed, failing, total, sample = (row[name] for name in RESULT_COLUMNS)
    try:
        # DECIMAL sums arrive as decimal.Decimal; booleans and text are not observations.
        if isinstance(raw_observed, bool | str):
            raise TypeError
        observed = float(raw_observed)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        observed = math.nan
    if math.isnan(observed):
        return result("error", f"observed is {raw_observed!r}, not a number")
    failing_count = int(failing) if failing is not None else None
    total_count = int(total) if total is not None else None
    keys = tuple(str(value) for value in (sample or ())[:sample_size])
    counts = (
        f"{failing_count:,} of {total_count:,} {spec.unit}"
        if failing_count is not None and total_count is not None
        else spec.unit
    )
    if float(observed) <= spec.tolerance:
        status, verdict = "passed", f"observed {observed:g} <= tolerance {spec.tolerance:g}"
    else:
        status, verdict = "failed", f"observed {observed:g} > tolerance {spec.tolerance:g}"
    return result(
        status,
        f"{counts} fail; {verdict}",
        observed=observed,
        failing_count=failing_count,
        total_count=total_count,
        sample=keys,
    )


def _skipped(check: Check, reason: str) -> ValidationResult:
    spec = check.spec
    return ValidationResult(
        check_id=spec.id,
        check_set=check.check_set,
        name=spec.name,
        kind=spec.kind,
        status="skipped",
        reason=reason,
        observed=None,
        tolerance=spec.tolerance,
        bindings=None,
        table_name=None,
        failing_count=None,
        total_count=None,
        sample=None,
        sql=None,
    )


def run_checks(
    con: duckdb.DuckDBPyConnection,
    checks: Sequence[Check],
    catalog: Catalog,
    options: ValidationOptions,
    as_of: dt.date,
    progress: Callable[[str], None] | None = None,
) -> Iterator[ValidationResult]:
    """Results of every check: one per binding, or one ``skipped`` row."""
    known = {check.spec.id for check in checks}
    unknown = sorted(options.disabled_checks - known)
    if unknown:
        raise ValueError(
            f"disabled_checks names checks that do not exist: {unknown}; known: {sorted(known)}"
        )
    for number, check in enumerate(checks, start=1):
        if check.spec.id in options.disabled_checks:
            yield _skipped(check, "disabled for this source (validation_results.disabled_checks)")
            continue
        bindings, reason = bind(check.spec, catalog)
        if reason is not None:
            yield _skipped(check, reason)
        for binding in bindings[: options.max_bindings_per_check]:
            yield evaluate(con, check, binding, catalog, as_of, options.sample_size)
        extra = len(bindings) - options.max_bindings_per_check
        if extra > 0:
            yield _skipped(
                check,
                f"{extra:,} more bindings not evaluated (max_bindings_per_check = "
                f"{options.max_bindings_per_check})",
            )
        if progress is not None:
            progress(f"check {number}/{len(checks)} {check.spec.id}: {len(bindings)} binding(s)")


def build_validation_results(
    con: duckdb.DuckDBPyConnection,
    options: ValidationOptions = ValidationOptions(),  # frozen, so a safe default
    progress: Callable[[str], None] | None = None,
    checks: Sequence[Check] | None = None,
    typed_database: str = "typed_tables",
    semantic_database: str | None = "semantic_annotations",
    relationships_database: str | None = "relationships",
) -> ValidationSummary:
    """Evaluate ``checks`` (default: the shipped generic and finance sets) against the attached
    databases and write ``validation_results`` into the connection's main database."""
    as_of = options.as_of or dt.datetime.now(dt.UTC).date()
    catalog = read_catalog(con, typed_database, semantic_database, relationships_database)
    selected = packaged_checks() if checks is None else checks
    results = tuple(run_checks(con, selected, catalog, options, as_of, progress))
    write_records(con, "validation_results", OUTPUT_COLUMNS, results)
    counts = {status: sum(1 for r in results if r.status == status) for status in STATUSES}
    return ValidationSummary(results, as_of, counts)


OUTPUT_COLUMNS = {
    "check_id": "VARCHAR",
    "check_set": "VARCHAR",
    "name": "VARCHAR",
    "kind": "VARCHAR",
    "status": "VARCHAR",
    "reason": "VARCHAR",
    "observed": "DOUBLE",
    "tolerance": "DOUBLE",
    "bindings": "VARCHAR",
    "table_name": "VARCHAR",
    "failing_count": "BIGINT",
    "total_count": "BIGINT",
    "sample": "VARCHAR[]",
    "sql": "VARCHAR",
}


class ValidationResultsSchema(pa.DataFrameModel):
    check_id: Series[str]
    check_set: Series[str]
    name: Series[str]
    kind: Series[str] = pa.Field(isin=list(CHECK_KINDS))
    status: Series[str] = pa.Field(isin=list(STATUSES))
    reason: Series[str]
    observed: Series[float] = pa.Field(nullable=True)
    tolerance: Series[float] = pa.Field(ge=0)
    bindings: Series[str] = pa.Field(nullable=True)
    table_name: Series[str] = pa.Field(nullable=True)
    failing_count: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    total_count: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    sample: Series[object] = pa.Field(nullable=True)
    sql: Series[str] = pa.Field(nullable=True)

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True

    @pa.dataframe_check
    @classmethod
    def verdict_follows_tolerance(cls, frame: pd.DataFrame) -> pd.Series:
        """passed/failed rows carry observed and agree with observed <= tolerance; skipped
        and error rows carry no observed value."""
        judged = frame["status"].isin(["passed", "failed"])
        within = frame["observed"] <= frame["tolerance"]
        agrees = (frame["status"] == "passed") == within
        return pd.Series(
            (judged & frame["observed"].notna() & agrees) | (~judged & frame["observed"].isna())
        )

    @pa.dataframe_check
    @classmethod
    def evaluated_rows_have_bindings(cls, frame: pd.DataFrame) -> pd.Series:
        """Every row but a skipped one names its binding and rendered SQL."""
        skipped = frame["status"] == "skipped"
        return pd.Series(skipped | (frame["bindings"].notna() & frame["sql"].notna()))

    @pa.dataframe_check
    @classmethod
    def one_row_per_binding(cls, frame: pd.DataFrame) -> pd.Series:
        keys = frame["check_id"] + "\x00" + frame["bindings"].fillna("")
        evaluated = frame["status"] != "skipped"
        return pd.Series(~(keys.duplicated(keep=False) & evaluated))


OUTPUT_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "validation_results": ValidationResultsSchema,
}
