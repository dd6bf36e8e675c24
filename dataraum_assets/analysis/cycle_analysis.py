"""Business processes found in the data and how complete they are: cycle_analysis.

Reads ``"<semantic>".column_annotations`` / ``table_annotations`` (roles, concepts, keys, time
columns), the typed data in ``"<typed>".typed."<table>"`` (every count is computed from it) and,
when attached, ``"<temporal>".temporal_columns`` (the span of the document dates). Writes
``processes`` and ``process_stages`` (``docs/data-plane.md``). The process vocabulary is
``dataraum_assets/vocabularies/processes.yaml`` (its header says how stages are evidenced).

**Stage evidence.** A table evidences a stage when its name contains one of the stage's table
phrases, or its key column carries one of the stage's concepts; when a table matches stages of
several processes, only the longest phrase counts (``vendor_payments`` is a procure-to-pay
payment, not an order-to-cash one). A status-like column (concept ``status``, or a text
dimension with at most ``max_status_values`` values) of an evidenced table evidences every
stage one of its values names; a column whose concept is in a stage's ``column_concepts``
(a due date for aging, a fiscal period for the close) evidences that stage.

**Detection.** A process is detected when at least ``min_stages`` distinct stages are evidenced
(two independent pieces: two stage tables, a table and a status value, or a status column
naming two stages) and one of them is a *document* stage evidenced by a table. Master data alone
(customers, employees) is never a process. Undetected processes are listed with what was found.

**Completion** (first that applies): *status*: in the document table's status column, completed
= rows in a terminal value (paid), completion = completed / (non-null rows − cancelled rows
(void)); *link*: share of distinct document keys that have at least one row in the link
stage's table (joined on the column with the document key's name or concept); *balance*
(period close): share of periods (the fiscal period column, else the month of the time column)
whose debits equal their credits within ``balance_tolerance``. ``median_cycle_days``: the median
days from a document's date to its first linked row's date.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from dataraum_assets.analysis.output_tables import write_records
from dataraum_assets.analysis.semantic_vocabulary import (
    Process,
    contains_phrase,
    load_processes,
    singularize,
    split_name,
)
from dataraum_assets.identifiers import quote_identifier

COMPLETION_METHODS = ("status", "link", "balance")
EVIDENCE_KINDS = ("table", "value", "column", "link", "period")


@dataclass(frozen=True)
class CycleOptions:
    """Thresholds (module docstring for the rules)."""

    # Source-specific process files, added to (or replacing by name) the shipped processes.
    process_files: tuple[Path, ...] = ()
    # Text dimensions with at most this many values are read as status-like.
    max_status_values: int = 20
    # Debits and credits of a period agree within this absolute amount (a cent).
    balance_tolerance: float = 0.01

    def __post_init__(self) -> None:
        if self.max_status_values < 2:
            raise ValueError(f"max_status_values must be at least 2, got {self.max_status_values}")
        if self.balance_tolerance < 0:
            raise ValueError(f"balance_tolerance must be ≥ 0, got {self.balance_tolerance}")


@dataclass(frozen=True)
class ProcessRecord:
    """One row of ``processes``."""

    process: str
    detected: bool
    completion_rate: float | None
    evidence: str
    label: str = ""
    stages_found: tuple[str, ...] = ()
    evidence_count: int = 0
    document_table: str | None = None
    completion_method: str | None = None
    documents: int | None = None
    completed: int | None = None
    median_cycle_days: float | None = None
    period_start: str | None = None
    period_end: str | None = None


@dataclass(frozen=True)
class StageRecord:
    """One row of ``process_stages``: one piece of evidence of a stage, with its count."""

    process: str
    stage: str
    kind: str
    table_name: str
    column_name: str | None
    value: str | None
    row_count: int
    share: float | None
    evidence: str


@dataclass(frozen=True)
class CycleResult:
    processes: tuple[ProcessRecord, ...] = ()
    stages: tuple[StageRecord, ...] = ()


@dataclass
class _Table:
    name: str
    tokens: tuple[str, ...]
    rows: int
    key: str | None
    time_column: str | None
    columns: dict[str, tuple[str, str | None, str]] = field(
        default_factory=dict
    )  # role, concept, type

    def concept_column(self, concept: str) -> str | None:
        for name, (_, column_concept, _) in self.columns.items():
            if column_concept == concept:
                return name
        return None


def build_cycle_analysis(
    con: duckdb.DuckDBPyConnection,
    options: CycleOptions = CycleOptions(),  # frozen, so a safe default
    progress: Callable[[str], None] | None = None,
    typed_database: str = "typed_tables",
    semantic_database: str = "semantic_annotations",
    temporal_database: str | None = "temporal_profiles",
) -> CycleResult:
    """Detect the vocabulary's processes, count their stages and write ``processes`` and
    ``process_stages``. Returns what was written."""
    processes = load_processes(options.process_files)
    tables = _read_tables(con, typed_database, semantic_database)
    typed = quote_identifier(typed_database)
    matches = _table_matches(tables, processes)
    spans = _temporal_spans(con, temporal_database)
    process_rows: list[ProcessRecord] = []
    stage_rows: list[StageRecord] = []
    for process in processes:
        record, stages = _analyse(con, typed, process, tables, matches, spans, options)
        process_rows.append(record)
        if record.detected:
            stage_rows.extend(stages)
        if progress is not None:
            state = "detected" if record.detected else "not detected"
            progress(f"{process.name}: {state} ({record.evidence_count} stages evidenced)")
    result = CycleResult(tuple(process_rows), tuple(stage_rows))
    write_records(con, "processes", _PROCESSES_DDL, result.processes)
    write_records(con, "process_stages", _STAGES_DDL, result.stages)
    return result


def _read_tables(
    con: duckdb.DuckDBPyConnection, typed_database: str, semantic_database: str
) -> dict[str, _Table]:
    semantic = quote_identifier(semantic_database)
    types = {
        (t, c): d
        for t, c, d in con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = ? AND schema_name = 'typed'",
            [typed_database],
        ).fetchall()
    }
    tables: dict[str, _Table] = {}
    for name, rows, key, time_column in con.execute(
        f"SELECT table_name, rows, key_column, time_column FROM {semantic}.main.table_annotations "
        "ORDER BY table_name"
    ).fetchall():
        tokens = tuple(singularize(t) for t in split_name(name) if not t.isdigit())
        tables[name] = _Table(name, tokens, int(rows or 0), key, time_column)
    for table, column, role, concept in con.execute(
        f"SELECT table_name, column_name, role, concept FROM {semantic}.main.column_annotations "
        "ORDER BY table_name, column_name"
    ).fetchall():
        if table in tables:
            tables[table].columns[column] = (role, concept, types.get((table, column), "VARCHAR"))
    return tables


def _table_matches(
    tables: dict[str, _Table], processes: Sequence[Process]
) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(process, stage) → [(table, reason)], keeping per table only its longest matches."""
    per_table: dict[str, list[tuple[int, str, str, str]]] = {}
    for table in tables.values():
        key_concept = table.columns.get(table.key or "", ("", None, ""))[1]
        for process in processes:
            for stage in process.stages:
                best, reason = 0, ""
                for phrase in stage.tables:
                    if contains_phrase(table.tokens, phrase) is not None and len(phrase) > best:
                        best, reason = len(phrase), f"table name matches '{' '.join(phrase)}'"
                if not best and key_concept is not None and key_concept in stage.concepts:
                    best, reason = 1, f"key {table.key} has concept '{key_concept}'"
                if best:
                    per_table.setdefault(table.name, []).append(
                        (best, process.name, stage.name, reason)
                    )
    matches: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for table, found in per_table.items():
        longest = max(length for length, _, _, _ in found)
        for length, process, stage, reason in found:
            if length == longest:
                matches.setdefault((process, stage), []).append((table, reason))
    return matches


def _temporal_spans(
    con: duckdb.DuckDBPyConnection, database: str | None
) -> dict[tuple[str, str], tuple[str, str]]:
    if database is None:
        return {}
    present = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
        "AND table_name = 'temporal_columns'",
        [database],
    ).fetchall()[0][0]
    if not present:
        return {}
    return {
        (t, c): (str(low), str(high))
        for t, c, low, high in con.execute(
            "SELECT table_name, column_name, min_value, max_value "
            f"FROM {quote_identifier(database)}.main.temporal_columns"
        ).fetchall()
    }


def _status_columns(table: _Table, options: CycleOptions) -> list[str]:
    found = [n for n, (_, concept, _) in table.columns.items() if concept == "status"]
    found += [
        n
        for n, (role, concept, data_type) in table.columns.items()
        if concept != "status" and role == "dimension" and data_type == "VARCHAR"
    ]
    return found


def _value_counts(
    con: duckdb.DuckDBPyConnection, source: str, column: str, limit: int
) -> list[tuple[str, int]] | None:
    quoted = quote_identifier(column)
    rows = con.execute(
        f"SELECT CAST({quoted} AS VARCHAR), count(*) FROM {source} WHERE {quoted} IS NOT NULL "
        f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?",
        [limit + 1],
    ).fetchall()
    return None if len(rows) > limit else [(str(v), int(c)) for v, c in rows]


def _analyse(
    con: duckdb.DuckDBPyConnection,
    typed: str,
    process: Process,
    tables: dict[str, _Table],
    matches: dict[tuple[str, str], list[tuple[str, str]]],
    spans: dict[tuple[str, str], tuple[str, str]],
    options: CycleOptions,
) -> tuple[ProcessRecord, list[StageRecord]]:
    stages: list[StageRecord] = []
    evidenced: dict[str, list[str]] = {}
    by_table_stage: dict[str, list[str]] = {}
    for stage in process.stages:
        for table, reason in matches.get((process.name, stage.name), []):
            rows = tables[table].rows
            stages.append(
                StageRecord(
                    process.name, stage.name, "table", table, None, None, rows, None, reason
                )
            )
            evidenced.setdefault(stage.name, []).append(f"table {table} ({reason})")
            by_table_stage.setdefault(stage.name, []).append(table)
    stage_tables = sorted({t for ts in by_table_stage.values() for t in ts})
    status_counts: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for table_name in stage_tables:
        table = tables[table_name]
        source = f"{typed}.typed.{quote_identifier(table_name)}"
        for column in _status_columns(table, options):
            counts = _value_counts(con, source, column, options.max_status_values)
            if counts is None:
                continue
            status_counts[(table_name, column)] = counts
            total = sum(count for _, count in counts)
            for stage in process.stages:
                for value, count in counts:
                    if value.lower() in stage.values:
                        stages.append(
                            StageRecord(
                                process.name,
                                stage.name,
                                "value",
                                table_name,
                                column,
                                value,
                                count,
                                count / total if total else None,
                                f"{count:,} of {total:,} rows of {table_name}.{column} are "
                                f"'{value}'",
                            )
                        )
                        evidenced.setdefault(stage.name, []).append(
                            f"value '{value}' in {table_name}.{column}"
                        )
        for stage in process.stages:
            for column, (_, concept, _) in table.columns.items():
                if concept is not None and concept in stage.column_concepts:
                    stages.append(
                        StageRecord(
                            process.name,
                            stage.name,
                            "column",
                            table_name,
                            column,
                            None,
                            table.rows,
                            None,
                            f"column {table_name}.{column} has concept '{concept}'",
                        )
                    )
                    evidenced.setdefault(stage.name, []).append(
                        f"column {table_name}.{column} ({concept})"
                    )
    found = [s.name for s in process.stages if s.name in evidenced]
    documents = [s for s in process.document_stages if s in by_table_stage]
    summary = "; ".join(f"{stage}: {', '.join(evidenced[stage])}" for stage in found)
    if len(found) < process.min_stages or not documents:
        missing = []
        if len(found) < process.min_stages:
            missing.append(
                f"{len(found)} stage(s) evidenced, {process.min_stages} independent pieces needed"
            )
        if not documents:
            missing.append(
                "no table for a document stage (" + ", ".join(process.document_stages) + ")"
            )
        evidence = (
            "not detected: " + "; ".join(missing) + (f" (found {summary})" if summary else "")
        )
        record = ProcessRecord(
            process.name, False, None, evidence, process.label, tuple(found), len(found)
        )
        return record, stages
    # The document's own table has a key (invoices), its line table does not (invoice_lines).
    document_table = max(
        by_table_stage[documents[0]], key=lambda t: (tables[t].key is not None, tables[t].rows, t)
    )
    document = tables[document_table]
    completion = _completion(
        con, typed, process, document, tables, by_table_stage, status_counts, options
    )
    rate, method, total, completed, completion_text, link_rows, cycle_days = completion
    stages.extend(link_rows)
    start_end = _span(con, typed, document, spans)
    parts = [
        f"detected: {len(found)} stages evidenced ({summary})",
        f"document table {document_table}",
    ]
    if completion_text:
        parts.append(completion_text)
    if cycle_days is not None:
        parts.append(f"median {cycle_days:g} days from document to {process.link_stage}")
    if start_end is not None:
        parts.append(f"documents dated {start_end[0]} .. {start_end[1]} ({start_end[2]})")
    record = ProcessRecord(
        process=process.name,
        detected=True,
        completion_rate=rate,
        evidence="; ".join(parts),
        label=process.label,
        stages_found=tuple(found),
        evidence_count=len(found),
        document_table=document_table,
        completion_method=method,
        documents=total,
        completed=completed,
        median_cycle_days=cycle_days,
        period_start=start_end[0] if start_end else None,
        period_end=start_end[1] if start_end else None,
    )
    return record, stages


def _completion(
    con: duckdb.DuckDBPyConnection,
    typed: str,
    process: Process,
    document: _Table,
    tables: dict[str, _Table],
    by_table_stage: dict[str, list[str]],
    status_counts: dict[tuple[str, str], list[tuple[str, int]]],
    options: CycleOptions,
) -> tuple[float | None, str | None, int | None, int | None, str, list[StageRecord], float | None]:
    """(rate, method, documents, completed, text, link stage rows, median cycle days)."""
    link_rows: list[StageRecord] = []
    link_share: tuple[int, int, str, str] | None = None
    cycle_days: float | None = None
    if process.link_stage and document.key:
        for link_table in by_table_stage.get(process.link_stage, []):
            if link_table == document.name:
                continue
            linked = _link(con, typed, document, tables[link_table])
            if linked is None:
                continue
            total, with_link, column, days = linked
            link_share = (total, with_link, link_table, column)
            cycle_days = days
            link_rows.append(
                StageRecord(
                    process.name,
                    process.link_stage,
                    "link",
                    link_table,
                    column,
                    None,
                    with_link,
                    with_link / total if total else None,
                    f"{with_link:,} of {total:,} {document.name} have a row in "
                    f"{link_table} (joined on {link_table}.{column} = "
                    f"{document.name}.{document.key})",
                )
            )
            break
    for (table, column), counts in status_counts.items():
        if table != document.name:
            continue
        values = {value.lower(): count for value, count in counts}
        terminal = sum(c for v, c in values.items() if v in process.terminal_values)
        cancelled = sum(c for v, c in values.items() if v in process.cancelled_values)
        if not terminal:
            continue
        total = sum(values.values()) - cancelled
        rate = terminal / total if total else None
        text = (
            f"completion by status: {terminal:,} of {total:,} {table} in a terminal state "
            f"({', '.join(sorted(v for v in values if v in process.terminal_values))}) of "
            f"{table}.{column}, {cancelled:,} cancelled excluded"
        )
        if link_share is not None:
            text += f"; {link_share[1]:,} of {link_share[0]:,} have a row in {link_share[2]}"
        return rate, "status", total, terminal, text, link_rows, cycle_days
    if link_share is not None:
        total, with_link, link_table, column = link_share
        text = (
            f"completion by link: {with_link:,} of {total:,} {document.name} have a row in "
            f"{link_table}"
        )
        return (
            (with_link / total if total else None),
            "link",
            total,
            with_link,
            text,
            link_rows,
            cycle_days,
        )
    if process.balance:
        balanced = _balance(con, typed, document, options)
        if balanced is not None:
            periods, ok, period_column = balanced
            text = (
                f"completion by balance: {ok:,} of {periods:,} periods of {document.name} "
                f"(by {period_column}) have debits equal to credits within "
                f"{options.balance_tolerance:g}"
            )
            return (
                (ok / periods if periods else None),
                "balance",
                periods,
                ok,
                text,
                link_rows,
                None,
            )
    return (
        None,
        None,
        None,
        None,
        "completion not measurable: no terminal status, link or balance",
        link_rows,
        cycle_days,
    )


def _link(
    con: duckdb.DuckDBPyConnection, typed: str, document: _Table, link: _Table
) -> tuple[int, int, str, float | None] | None:
    assert document.key is not None
    key_concept = document.columns.get(document.key, ("", None, ""))[1]
    column = document.key if document.key in link.columns else None
    if column is None and key_concept is not None:
        column = link.concept_column(key_concept)
    if column is None:
        return None
    doc = f"{typed}.typed.{quote_identifier(document.name)}"
    other = f"{typed}.typed.{quote_identifier(link.name)}"
    key, ref = quote_identifier(document.key), quote_identifier(column)
    [(total, with_link)] = con.execute(
        f"SELECT count(DISTINCT d.{key}), count(DISTINCT d.{key}) FILTER (WHERE d.{key} IN "
        f"(SELECT {ref} FROM {other} WHERE {ref} IS NOT NULL)) FROM {doc} d"
    ).fetchall()
    days = None
    if document.time_column and link.time_column:
        dt, lt = quote_identifier(document.time_column), quote_identifier(link.time_column)
        [(days,)] = con.execute(
            f"WITH first_link AS (SELECT {ref} AS k, min({lt}) AS t FROM {other} GROUP BY 1), "
            f"docs AS (SELECT {key} AS k, min({dt}) AS t FROM {doc} GROUP BY 1) "
            "SELECT median(date_diff('day', CAST(docs.t AS DATE), CAST(first_link.t AS DATE))) "
            "FROM docs JOIN first_link USING (k)"
        ).fetchall()
    return int(total), int(with_link), column, float(days) if days is not None else None


def _balance(
    con: duckdb.DuckDBPyConnection, typed: str, journal: _Table, options: CycleOptions
) -> tuple[int, int, str] | None:
    debit, credit = journal.concept_column("debit"), journal.concept_column("credit")
    if debit is None or credit is None:
        return None
    period = journal.concept_column("fiscal_period")
    source = f"{typed}.typed.{quote_identifier(journal.name)}"
    if period is not None:
        period_sql, label = quote_identifier(period), period
    elif journal.time_column is not None:
        period_sql = f"date_trunc('month', {quote_identifier(journal.time_column)})"
        label = f"month of {journal.time_column}"
    else:
        return None
    d, c = quote_identifier(debit), quote_identifier(credit)
    [(periods, ok)] = con.execute(
        f"WITH p AS (SELECT {period_sql} AS period, coalesce(sum({d}), 0) AS d, "
        f"coalesce(sum({c}), 0) AS c FROM {source} WHERE {period_sql} IS NOT NULL GROUP BY 1) "
        "SELECT count(*), count(*) FILTER (WHERE abs(d - c) <= ?) FROM p",
        [options.balance_tolerance],
    ).fetchall()
    return int(periods), int(ok), label


def _span(
    con: duckdb.DuckDBPyConnection,
    typed: str,
    document: _Table,
    spans: dict[tuple[str, str], tuple[str, str]],
) -> tuple[str, str, str] | None:
    if document.time_column is None:
        return None
    if (document.name, document.time_column) in spans:
        low, high = spans[(document.name, document.time_column)]
        return low, high, f"{document.time_column}, from temporal_profiles"
    column = quote_identifier(document.time_column)
    [(low, high)] = con.execute(
        f"SELECT CAST(min({column}) AS VARCHAR), CAST(max({column}) AS VARCHAR) "
        f"FROM {typed}.typed.{quote_identifier(document.name)}"
    ).fetchall()
    if low is None:
        return None
    return str(low), str(high), f"{document.time_column}, from the typed data"


_PROCESSES_DDL = {
    "process": "VARCHAR",
    "detected": "BOOLEAN",
    "completion_rate": "DOUBLE",
    "evidence": "VARCHAR",
    "label": "VARCHAR",
    "stages_found": "VARCHAR[]",
    "evidence_count": "INTEGER",
    "document_table": "VARCHAR",
    "completion_method": "VARCHAR",
    "documents": "BIGINT",
    "completed": "BIGINT",
    "median_cycle_days": "DOUBLE",
    "period_start": "VARCHAR",
    "period_end": "VARCHAR",
}
_STAGES_DDL = {
    "process": "VARCHAR",
    "stage": "VARCHAR",
    "kind": "VARCHAR",
    "table_name": "VARCHAR",
    "column_name": "VARCHAR",
    "value": "VARCHAR",
    "row_count": "BIGINT",
    "share": "DOUBLE",
    "evidence": "VARCHAR",
}


class ProcessesSchema(pa.DataFrameModel):
    process: Series[str] = pa.Field(unique=True)
    detected: Series[bool]
    completion_rate: Series[float] = pa.Field(
        nullable=True, in_range={"min_value": 0, "max_value": 1}
    )
    evidence: Series[str] = pa.Field(str_length={"min_value": 1})
    label: Series[str]
    stages_found: Series[object]
    evidence_count: Series[int] = pa.Field(ge=0)
    document_table: Series[str] = pa.Field(nullable=True)
    completion_method: Series[str] = pa.Field(nullable=True, isin=list(COMPLETION_METHODS))
    documents: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    completed: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    median_cycle_days: Series[float] = pa.Field(nullable=True)
    period_start: Series[str] = pa.Field(nullable=True)
    period_end: Series[str] = pa.Field(nullable=True)

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True

    @pa.dataframe_check
    @classmethod
    def completion_only_when_detected(cls, frame: pd.DataFrame) -> pd.Series:
        return pd.Series(frame["detected"] | frame["completion_rate"].isna())


class ProcessStagesSchema(pa.DataFrameModel):
    process: Series[str]
    stage: Series[str]
    kind: Series[str] = pa.Field(isin=list(EVIDENCE_KINDS))
    table_name: Series[str]
    column_name: Series[str] = pa.Field(nullable=True)
    value: Series[str] = pa.Field(nullable=True)
    row_count: Series[int] = pa.Field(ge=0)
    share: Series[float] = pa.Field(nullable=True, in_range={"min_value": 0, "max_value": 1})
    evidence: Series[str] = pa.Field(str_length={"min_value": 1})

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True


OUTPUT_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "processes": ProcessesSchema,
    "process_stages": ProcessStagesSchema,
}
