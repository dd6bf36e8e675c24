"""The context document of a source: ``entropy_context.json`` (machines) and
``entropy_context.md`` (LLMs and people), carrying the same facts.

The JSON follows the published schema ``dataraum_assets/schemas/entropy_context.v1.schema.json``
(:data:`SCHEMA_VERSION`); :func:`validate_document` checks a document against it. The Markdown
is rendered from the JSON document alone, within a character budget: for a wide source the
per-table column lists are cut to the columns that need attention first (the rest are counted),
never the overview or the top issues.

Files live at ``<data_dir>/context/<source>/entropy_context.json|.md`` (and ``report.html``,
``dataraum_assets/analysis/profile_report.py``), each written to a temporary file and renamed
into place (:func:`write_documents`).
"""

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import jsonschema

from dataraum_assets.analysis.entropy_context import (
    Contract,
    EntropyResult,
    Upstreams,
    attached_upstreams,
)
from dataraum_assets.warehouse import atomic_file

SCHEMA_VERSION = 1
SCHEMA_FILE = f"entropy_context.v{SCHEMA_VERSION}.schema.json"
JSON_NAME = "entropy_context.json"
MARKDOWN_NAME = "entropy_context.md"
REPORT_NAME = "report.html"
# About 15k tokens: an LLM reads it whole next to a question, a person scrolls it in one go.
MARKDOWN_BUDGET_CHARS = 60_000
# Column rows shown per table, tried in order until the document fits its budget.
COLUMN_CAPS = (None, 40, 20, 10, 5, 0)
MAX_LIST_ROWS = 50  # relationships, validations, PII rows in the Markdown
MAX_CELL_CHARS = 240


def load_schema() -> dict[str, Any]:
    """The published JSON Schema of the document (package data)."""
    text = resources.files("dataraum_assets.schemas").joinpath(SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)


def validate_document(document: Mapping[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` (naming the path) when ``document`` does not follow
    the published schema."""
    jsonschema.validate(document, load_schema())


def _select(
    con: duckdb.DuckDBPyConnection, up: Upstreams, name: str, columns: Sequence[str], order: str
) -> list[dict[str, Any]]:
    """Rows of upstream table ``name`` as dicts; [] when that upstream is not attached."""
    if not up.has(name):
        return []
    rows = con.execute(f"SELECT {', '.join(columns)} FROM {up.ref(name)} ORDER BY {order}")
    return [dict(zip(columns, row, strict=True)) for row in rows.fetchall()]


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def build_document(
    con: duckdb.DuckDBPyConnection,
    result: EntropyResult,
    contracts: Sequence[Contract],
    *,
    source: str,
    generated_at: str,
    aliases: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The JSON document of ``source`` from ``result`` and the attached upstreams."""
    up = attached_upstreams(con, aliases)
    profiles = _select(
        con,
        up,
        "statistical_profiles.column_profiles",
        [
            "table_name",
            "column_name",
            "data_type",
            "semantic_type",
            "rows",
            "nulls",
            "distinct_count",
            "is_unique",
            "min_value",
            "max_value",
            "quarantined",
        ],
        "table_name, position",
    )
    decisions = {
        (r["table_name"], r["column_name"]): r
        for r in _select(
            con,
            up,
            "typed_tables.type_decisions",
            ["table_name", "column_name", "original_header", "unit"],
            "table_name",
        )
    }
    annotations = {
        (r["table_name"], r["column_name"]): r
        for r in _select(
            con,
            up,
            "semantic_annotations.column_annotations",
            ["table_name", "column_name", "role", "concept", "unit_column"],
            "table_name, column_name",
        )
    }
    table_notes = {
        r["table_name"]: r
        for r in _select(
            con,
            up,
            "semantic_annotations.table_annotations",
            ["table_name", "kind", "grain_columns", "time_column"],
            "table_name",
        )
    }
    flags: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in _select(
        con, up, "quality_metrics.findings", ["table_name", "column_name", "kind"], "table_name"
    ):
        if r["column_name"] is not None:
            flags[(r["table_name"], r["column_name"])].add(r["kind"])
    pii = _select(
        con,
        up,
        "pii_findings.pii_findings",
        ["table_name", "column_name", "pii_kind", "match_share", "confidence"],
        "table_name, column_name, pii_kind",
    )
    for r in pii:
        flags[(r["table_name"], r["column_name"])].add(f"pii:{r['pii_kind']}")
    for r in _select(
        con,
        up,
        "correlations.derived_columns",
        ["table_name", "target_column"],
        "table_name, target_column",
    ):
        flags[(r["table_name"], r["target_column"])].add("derived")

    scores: dict[tuple[str | None, str | None], dict[str, float]] = defaultdict(dict)
    for s in result.scores:
        key = (s.table_name, s.column_name)
        scores[key][s.dimension] = max(scores[key].get(s.dimension, 0.0), s.score)
    readiness: dict[tuple[str, str | None, str | None], dict[str, Any]] = defaultdict(dict)
    for r in result.readiness:
        readiness[(r.target_type, r.table_name, r.column_name)][r.contract] = {
            "readiness": r.readiness,
            "violations": list(r.violations),
        }

    by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
    row_counts: dict[str, int] = {}
    for p in profiles:
        table, column = p["table_name"], p["column_name"]
        row_counts[table] = p["rows"]
        decision = decisions.get((table, column), {})
        note = annotations.get((table, column), {})
        unit = decision.get("unit") or (
            f"from column {note['unit_column']}" if note.get("unit_column") else None
        )
        column_flags = set(flags.get((table, column), set()))
        if p["is_unique"]:
            column_flags.add("unique")
        if p["quarantined"]:
            column_flags.add(f"quarantined:{p['quarantined']}")
        by_table[table].append(
            {
                "name": column,
                "original_header": decision.get("original_header"),
                "type": p["data_type"],
                "semantic_type": p["semantic_type"],
                "role": note.get("role"),
                "concept": note.get("concept"),
                "unit": unit,
                "nulls": p["nulls"],
                "distinct": p["distinct_count"],
                "min": p["min_value"],
                "max": p["max_value"],
                "flags": sorted(column_flags),
                "readiness": readiness[("column", table, column)],
                "scores": {d: _plain(v) for d, v in sorted(scores[(table, column)].items())},
            }
        )
    tables = []
    for table in sorted(set(by_table) | {t for _, t, _ in readiness if t}):
        note = table_notes.get(table, {})
        tables.append(
            {
                "name": table,
                "rows": row_counts.get(table, 0),
                "kind": note.get("kind"),
                "time_column": note.get("time_column"),
                "grain": list(note["grain_columns"]) if note.get("grain_columns") else None,
                "readiness": readiness[("table", table, None)],
                "scores": {d: _plain(v) for d, v in sorted(scores[(table, None)].items())},
                "columns": by_table.get(table, []),
            }
        )
    relationships = [
        {k: _plain(v) for k, v in r.items()}
        for r in _select(
            con,
            up,
            "relationships.relationships",
            [
                "child_table",
                "child_columns",
                "parent_table",
                "parent_columns",
                "cardinality",
                "orphan_count",
                "orphan_examples",
                "containment",
                "fan_out",
            ],
            "child_table, child_columns, parent_table",
        )
    ]
    if up.has("relationships.relationships"):
        accepted = {
            (r[0], tuple(r[1]), r[2], tuple(r[3]))
            for r in con.execute(
                "SELECT child_table, child_columns, parent_table, parent_columns FROM "
                f"{up.ref('relationships.relationships')} WHERE status = 'accepted'"
            ).fetchall()
        }
        relationships = [
            r
            for r in relationships
            if (
                r["child_table"],
                tuple(r["child_columns"]),
                r["parent_table"],
                tuple(r["parent_columns"]),
            )
            in accepted
        ]
    pattern = _select(con, up, "topology_metrics.summary", ["schema_pattern"], "1")
    columns_total = sum(len(t["columns"]) for t in tables)
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "source": source,
        "generated_at": generated_at,
        "contract": result.contract,
        "contracts": [{"name": c.name, "description": c.description} for c in contracts],
        "overview": {
            "tables": len(tables),
            "columns": columns_total,
            "rows": sum(t["rows"] for t in tables),
            "schema_pattern": pattern[0]["schema_pattern"] if pattern else None,
            "time_coverage": _time_coverage(con, up, profiles),
            "readiness": readiness[("source", None, None)],
        },
        "detectors": [
            {
                "dimension": d.dimension,
                "status": d.status,
                "reads": list(d.reads),
                "reason": d.reason,
                "scores": d.scores,
            }
            for d in result.detectors
        ],
        "tables": tables,
        "relationships": relationships,
        "processes": [
            {k: _plain(v) for k, v in r.items()}
            for r in _select(
                con,
                up,
                "cycle_analysis.processes",
                ["process", "detected", "completion_rate", "evidence"],
                "process",
            )
        ],
        "validations": _validations(con, up),
        "pii": [{k: _plain(v) for k, v in r.items()} for r in pii],
        "top_issues": [
            {
                "rank": i.rank,
                "target": i.target,
                "table": i.table_name,
                "column": i.column_name,
                "dimension": i.dimension,
                "score": _plain(i.score),
                "impact": i.impact,
                "readiness": i.readiness,
                "issue": i.issue,
                "evidence": i.evidence,
            }
            for i in result.top_issues
        ],
    }
    return document


def _validations(con: duckdb.DuckDBPyConnection, up: Upstreams) -> list[dict[str, Any]]:
    """Every check's outcome; ``scope`` says what an instance of a check is about (the
    producer's ``bindings``, else its ``table_name``, when it writes them)."""
    name = "validation_results.validation_results"
    if not up.has(name):
        return []
    present = up.columns(con, name)
    scope = next((c for c in ("bindings", "table_name") if c in present), "NULL")
    rows = con.execute(
        f"SELECT check_id, name, kind, status, reason, observed, {scope} FROM {up.ref(name)} "
        "ORDER BY check_id, 7"
    ).fetchall()
    keys = ("check_id", "name", "kind", "status", "reason", "observed", "scope")
    return [
        {
            key: (None if value is None else str(value)) if key == "observed" else value
            for key, value in zip(keys, row, strict=True)
        }
        for row in rows
    ]


def _time_coverage(
    con: duckdb.DuckDBPyConnection, up: Upstreams, profiles: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """Earliest and latest value over the time columns: temporal_profiles' when attached, else
    the min/max of the date/timestamp-typed columns in column_profiles."""
    spans = [
        (f"{r['table_name']}.{r['column_name']}", str(r["min_value"]), str(r["max_value"]))
        for r in _select(
            con,
            up,
            "temporal_profiles.temporal_columns",
            ["table_name", "column_name", "min_value", "max_value"],
            "table_name, column_name",
        )
        if r["min_value"] is not None
    ]
    if not spans:
        spans = [
            (f"{p['table_name']}.{p['column_name']}", p["min_value"], p["max_value"])
            for p in profiles
            if p["data_type"] in ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE")
            and p["min_value"] is not None
        ]
    if not spans:
        return None
    return {
        "start": min(s[1] for s in spans),
        "end": max(s[2] for s in spans),
        "columns": [s[0] for s in spans],
    }


# ---------------------------------------------------------------------------------------------
# Markdown


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, int):
        text = f"{value:,}"
    elif isinstance(value, list):
        text = ", ".join(str(v) for v in value)
    else:
        text = str(value)
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return text.replace("|", "\\|").replace("\n", " ")


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows)
    return lines


def _verdict(readiness: Mapping[str, Any], contract: str) -> str:
    entry = readiness.get(contract)
    if not entry:
        return "ready"
    if entry["violations"]:
        return f"{entry['readiness']} ({', '.join(entry['violations'])})"
    return entry["readiness"]


def _attention(column: Mapping[str, Any]) -> int:
    """How much a column needs a look: Σ over contracts (2 blocked, 1 investigate), the same
    weights as the top issues' impact, plus one when it carries a flag."""
    weight = {"blocked": 2, "investigate": 1, "ready": 0}
    verdicts = sum(weight[entry["readiness"]] for entry in column["readiness"].values())
    return verdicts + (1 if column["flags"] else 0)


def _render(document: Mapping[str, Any], column_cap: int | None) -> str:
    contract = document["contract"]
    overview = document["overview"]
    out = [
        f"# Data context: {document['source']}",
        "",
        f"Generated {document['generated_at']} · document schema v{document['schema_version']} "
        f"· judged by contract **{contract}**: "
        f"**{_verdict(overview['readiness'], contract)}**.",
        "",
        "## Overview",
        "",
        f"- {overview['tables']:,} tables, {overview['columns']:,} columns, "
        f"{overview['rows']:,} rows.",
        f"- Schema pattern: {overview['schema_pattern'] or 'not analysed'}.",
    ]
    coverage = overview["time_coverage"]
    if coverage:
        shown = ", ".join(coverage["columns"][:8])
        more = len(coverage["columns"]) - 8
        out.append(
            f"- Time coverage: {coverage['start']} to {coverage['end']} "
            f"(from {shown}{f' and {more} more' if more > 0 else ''})."
        )
    else:
        out.append("- Time coverage: no date or time columns.")
    out += ["", "Readiness per contract (the dimensions that are not ready):", ""]
    descriptions = {c["name"]: c["description"] for c in document["contracts"]}
    out += _table(
        ["contract", "readiness", "not ready", "meant for"],
        [
            [name, entry["readiness"], entry["violations"], descriptions.get(name, "")]
            for name, entry in overview["readiness"].items()
        ],
    )
    skipped = [d for d in document["detectors"] if d["status"] == "skipped"]
    if skipped:
        out += ["", "Not evaluated (upstream not materialized for this source):", ""]
        out += [f"- {d['dimension']}: needs {', '.join(d['reads'])}" for d in skipped]

    out += ["", "## Tables", ""]
    headers = ["column", "header", "type", "role", "concept", "unit", "nulls", "distinct"]
    headers += ["flags", "readiness"]
    for table in document["tables"]:
        facts = [f"{table['rows']:,} rows"]
        if table["kind"]:
            facts.append(table["kind"])
        if table["time_column"]:
            facts.append(f"time column {table['time_column']}")
        if table["grain"]:
            facts.append(f"grain {', '.join(table['grain'])}")
        out += [
            f"### {table['name']}",
            "",
            f"{'; '.join(facts)}. Readiness: {_verdict(table['readiness'], contract)}.",
            "",
        ]
        columns = list(table["columns"])
        if column_cap is not None and len(columns) > column_cap:
            ranked = sorted(range(len(columns)), key=lambda i: (-_attention(columns[i]), i))
            keep = sorted(ranked[:column_cap])
            rest = [columns[i]["name"] for i in sorted(ranked[column_cap:])]
            columns = [columns[i] for i in keep]
        else:
            rest = []
        if columns:
            out += _table(
                headers,
                [
                    [
                        c["name"],
                        c["original_header"] if c["original_header"] != c["name"] else "",
                        c["type"],
                        c["role"],
                        c["concept"],
                        c["unit"],
                        c["nulls"],
                        c["distinct"],
                        c["flags"],
                        _verdict(c["readiness"], contract),
                    ]
                    for c in columns
                ],
            )
        if rest:
            names = ", ".join(rest)
            if len(names) > 300:
                names = names[:299] + "…"
            out += [
                "",
                f"{len(rest):,} more columns (fewer problems, all in {JSON_NAME}): {names}.",
            ]
        out.append("")

    out += ["## Relationships", ""]
    relationships = document["relationships"]
    if relationships:
        out += _table(
            ["child", "parent", "cardinality", "orphan rows", "orphan examples", "containment"],
            [
                [
                    f"{r['child_table']}.{', '.join(r['child_columns'])}",
                    f"{r['parent_table']}.{', '.join(r['parent_columns'])}",
                    r["cardinality"] + (" (fans out)" if r["fan_out"] else ""),
                    r["orphan_count"],
                    (r["orphan_examples"] or [])[:3],
                    r["containment"],
                ]
                for r in relationships[:MAX_LIST_ROWS]
            ],
        )
        if len(relationships) > MAX_LIST_ROWS:
            out.append(f"\n{len(relationships) - MAX_LIST_ROWS:,} more in {JSON_NAME}.")
    else:
        out.append("None found or not analysed.")
    out += ["", "## Business processes", ""]
    if document["processes"]:
        out += _table(
            ["process", "detected", "completion", "evidence"],
            [
                [p["process"], p["detected"], p["completion_rate"], p["evidence"]]
                for p in document["processes"]
            ],
        )
    else:
        out.append("None found or not analysed.")
    out += ["", "## Validation results", ""]
    if document["validations"]:
        counts: dict[str, int] = defaultdict(int)
        for v in document["validations"]:
            counts[v["status"]] += 1
        out.append(", ".join(f"{n} {status}" for status, n in sorted(counts.items())) + ".")
        out.append("")
        # Failed and errored checks one by one; the passed and skipped ones counted per check,
        # so a source with hundreds of passing checks stays readable.
        attention = [v for v in document["validations"] if v["status"] in ("failed", "error")]
        if attention:
            out += _table(
                ["check", "about", "kind", "status", "reason"],
                [
                    [v["name"], v["scope"], v["kind"], v["status"], v["reason"]]
                    for v in sorted(attention, key=lambda v: (v["status"], v["check_id"]))[
                        :MAX_LIST_ROWS
                    ]
                ],
            )
            out.append("")
        for status in ("passed", "skipped"):
            by_name: dict[str, int] = defaultdict(int)
            for v in document["validations"]:
                if v["status"] == status:
                    by_name[v["name"] or v["check_id"]] += 1
            if by_name:
                listed = "; ".join(
                    f"{name} ×{n}" if n > 1 else name for name, n in sorted(by_name.items())
                )
                out.append(f"{status.capitalize()}: {_cell(listed)}.")
    else:
        out.append("No checks run or not analysed.")
    if document["pii"]:
        out += ["", "## Personal data (PII)", ""]
        out += _table(
            ["column", "kind", "matching share", "confidence"],
            [
                [
                    f"{p['table_name']}.{p['column_name']}",
                    p["pii_kind"],
                    p["match_share"],
                    p["confidence"],
                ]
                for p in document["pii"][:MAX_LIST_ROWS]
            ],
        )
    out += ["", "## Top issues to fix", ""]
    if document["top_issues"]:
        out.append(
            "Ordered by impact (per contract: 2 when it blocks, 1 when it asks to investigate), "
            f"then score; readiness under {contract}."
        )
        out.append("")
        out += _table(
            ["#", "target", "dimension", "score", "impact", "readiness", "issue", "evidence"],
            [
                [
                    i["rank"],
                    i["target"],
                    i["dimension"],
                    i["score"],
                    i["impact"],
                    i["readiness"],
                    i["issue"],
                    i["evidence"],
                ]
                for i in document["top_issues"]
            ],
        )
    else:
        out.append("Nothing is beyond any contract's ready thresholds.")
    return "\n".join(out) + "\n"


def render_markdown(document: Mapping[str, Any], budget: int = MARKDOWN_BUDGET_CHARS) -> str:
    """The Markdown twin of ``document``, within ``budget`` characters when cutting column rows
    can get it there (the overview, relationships and top issues are never cut)."""
    text = ""
    for cap in COLUMN_CAPS:
        text = _render(document, cap)
        if len(text) <= budget:
            return text
    return text


def write_documents(folder: Path, files: Mapping[str, str]) -> None:
    """Write each ``name → text`` into ``folder`` through a temporary file and a rename, so a
    reader sees the previous or the new version of a file, never a partial one."""
    for name, text in files.items():
        with atomic_file(folder / name) as temp:
            temp.write_text(text, encoding="utf-8")
