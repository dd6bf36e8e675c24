"""The context document: JSON against its published schema, the Markdown twin with the same
facts, the Markdown budget on a generated 20-table source, atomic writes."""

import copy
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import jsonschema
import pytest

from dataraum_assets.analysis.context_document import (
    MARKDOWN_BUDGET_CHARS,
    build_document,
    load_schema,
    render_markdown,
    validate_document,
    write_documents,
)
from dataraum_assets.analysis.entropy_context import (
    EntropyOptions,
    build_entropy_context,
    load_contracts,
)
from dataraum_assets_tests.analysis.test_entropy_context import add_upstream, orders, run_stages

GENERATED_AT = "2025-07-01T00:00:00+00:00"


def document_of(con: duckdb.DuckDBPyConnection, source: str = "shop") -> dict[str, Any]:
    contracts = load_contracts()
    result = build_entropy_context(con, EntropyOptions(contracts=contracts))
    return build_document(con, result, contracts, source=source, generated_at=GENERATED_AT)


def small_source() -> duckdb.DuckDBPyConnection:
    """The orders/customers source with problems, and every optional upstream attached."""
    con = run_stages(orders(failed_casts=9, nulls=40, outliers=6))
    add_upstream(
        con,
        "relationships.relationships",
        [
            ("orders", ["customer_code"], "customers", ["customer_code"], "accepted", None,
             0.95, 1.0, 12, ["C-999"], "N:1", False, "exact"),
            ("orders", ["region"], "customers", ["name"], "rejected", "no overlap",
             0.0, 0.0, 300, [], "N:M", True, "exact"),
        ],
    )  # fmt: skip
    add_upstream(
        con,
        "semantic_annotations.column_annotations",
        [
            ("orders", "amount", "measure", "revenue", None, "clear", ""),
            ("orders", "price", "measure", "unit price", None, "clear", ""),
            ("orders", "order_date", "timestamp", "order date", None, "clear", ""),
            ("orders", "customer_code", "foreign_key", None, None, "clear", ""),
        ],
    )
    add_upstream(
        con,
        "semantic_annotations.table_annotations",
        [("orders", "fact", ["order_number"], "order_date", ""), ("customers", "dimension",
          ["customer_code"], None, "")],
    )  # fmt: skip
    add_upstream(con, "cycle_analysis.processes", [("order_to_cash", True, 0.8, "80% paid")])
    add_upstream(
        con,
        "validation_results.validation_results",
        [("amounts_non_negative", "non-negative amounts", "constraint", "failed", "2 rows", 2.0,
          0.0), ("trial_balance", "trial balance", "balance", "skipped", "no debit", None,
          None)],
    )  # fmt: skip
    add_upstream(
        con,
        "pii_findings.pii_findings",
        [("customers", "name", "person_name", 1.0, 0.9, 40, ["GDPR"])],
    )
    add_upstream(con, "topology_metrics.summary", [("star",)])
    return con


@pytest.fixture(scope="module")
def small() -> dict[str, Any]:
    con = small_source()
    try:
        return document_of(con)
    finally:
        con.close()


def wide_source(tables: int = 20, columns: int = 24, rows: int = 40) -> duckdb.DuckDBPyConnection:
    """A generated source of ``tables`` tables chained by keys (t01.t00_code → t00.code), with
    nulls, unparseable numbers and orphans sprinkled in; every upstream attached."""
    raw: dict[str, dict[str, list[str | None]]] = {}
    for t in range(tables):
        table: dict[str, list[str | None]] = {"code": [f"K{t:02d}-{r:04d}" for r in range(rows)]}
        if t:
            table[f"t{t - 1:02d}_code"] = [
                f"K{t - 1:02d}-{(r * 7) % rows:04d}" for r in range(rows)
            ]
        table["booked_on"] = [f"2024-{1 + r % 12:02d}-{1 + r % 28:02d}" for r in range(rows)]
        for c in range(columns - len(table)):
            kind = c % 3
            if kind == 0:
                values: list[str | None] = [f"{(r * (c + 3)) % 97 + 0.5:.2f}" for r in range(rows)]
            elif kind == 1:
                values = [("red", "green", "blue", None)[(r + c) % 4] for r in range(rows)]
            else:
                values = [str(r % 9) for r in range(rows)]
                values[c % rows] = "n/a?"
            table[f"measure_{c:02d}_with_a_rather_long_descriptive_name"] = values
        raw[f"t{t:02d}_entity_with_long_name"] = table
    con = run_stages(raw)
    names = sorted(raw)
    add_upstream(
        con,
        "relationships.relationships",
        [
            (child, [f"t{t - 1:02d}_code"], names[t - 1], ["code"], "accepted", None, 0.9, 0.9,
             t % 3, ["K-X"] if t % 3 else [], "N:1", False, "exact")
            for t, child in enumerate(names) if t
        ],
    )  # fmt: skip
    add_upstream(
        con,
        "semantic_annotations.column_annotations",
        [
            (table, column, "measure" if column.startswith("measure") else "attribute", None,
             None, "abbreviated", "")
            for table, columns_ in raw.items() for column in columns_
        ],
    )  # fmt: skip
    add_upstream(
        con,
        "semantic_annotations.table_annotations",
        [(table, "fact", ["code"], "booked_on", "") for table in raw],
    )
    return con


@pytest.fixture(scope="module")
def wide() -> dict[str, Any]:
    con = wide_source()
    try:
        return document_of(con, source="generated")
    finally:
        con.close()


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema_version"] == {"const": 1}


def test_document_validates_and_is_json(small: dict[str, Any]) -> None:
    validate_document(small)
    assert json.loads(json.dumps(small)) == small


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("top_issues", 0, "score"), 1.5),
        (("tables", 0, "columns", 0, "readiness", "data_science", "readiness"), "fine"),
        (("overview", "tables"), -1),
        (("detectors", 0, "dimension"), "value.mood"),
    ],
)
def test_schema_rejects_broken_documents(
    small: dict[str, Any], path: tuple[Any, ...], value: Any
) -> None:
    broken = copy.deepcopy(small)
    target: Any = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        validate_document(broken)


def test_document_facts(small: dict[str, Any]) -> None:
    assert small["overview"]["tables"] == 2
    assert small["overview"]["schema_pattern"] == "star"
    assert small["overview"]["time_coverage"]["start"] == "2024-01-01"
    orders_table = next(t for t in small["tables"] if t["name"] == "orders")
    assert (orders_table["kind"], orders_table["time_column"]) == ("fact", "order_date")
    columns = {c["name"]: c for c in orders_table["columns"]}
    assert columns["amount"]["original_header"] == "AMOUNT"
    assert (columns["amount"]["role"], columns["amount"]["concept"]) == ("measure", "revenue")
    assert columns["quantity"]["nulls"] == 9
    assert "quarantined:9" in columns["quantity"]["flags"]
    assert columns["region"]["scores"]["value.nulls"] == pytest.approx(40 / 300, abs=1e-6)
    # only accepted relationships are joins
    assert [(r["child_table"], r["orphan_count"]) for r in small["relationships"]] == [
        ("orders", 12)
    ]
    assert [p["process"] for p in small["processes"]] == ["order_to_cash"]
    assert {v["status"] for v in small["validations"]} == {"failed", "skipped"}
    assert small["pii"][0]["pii_kind"] == "person_name"
    assert (
        "pii:person_name"
        in next(c for c in small["tables"][0]["columns"] if c["name"] == "name")["flags"]
    )
    assert {d["dimension"] for d in small["detectors"] if d["status"] == "skipped"} == {
        "computational.derived_values",  # correlations not attached
        "semantic.coverage",  # temporal_profiles not attached
        "value.temporal",
        "value.variance",  # slices not attached
    }


def test_markdown_carries_the_same_facts(small: dict[str, Any]) -> None:
    text = render_markdown(small)
    for table in small["tables"]:
        assert f"### {table['name']}" in text
        for column in table["columns"]:
            assert f"| {column['name']} |" in text
    assert "| AMOUNT |" in text  # original headers
    for name, entry in small["overview"]["readiness"].items():
        assert f"| {name} | {entry['readiness']} |" in text
    for issue in small["top_issues"]:
        assert f"| {issue['rank']} | {issue['target']} | {issue['dimension']} |" in text
    assert "| orders.customer_code | customers.code" not in text
    assert "| orders.customer_code | customers.customer_code | N:1 | 12 | C-999 |" in text
    assert "order_to_cash" in text
    assert "| non-negative amounts |  | constraint | failed | 2 rows |" in text
    assert "Skipped: trial balance." in text
    assert "## Personal data (PII)" in text and "person_name" in text
    sections = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert sections == [
        "Overview",
        "Tables",
        "Relationships",
        "Business processes",
        "Validation results",
        "Personal data (PII)",
        "Top issues to fix",
    ]


def test_markdown_of_a_20_table_source_fits_its_budget(wide: dict[str, Any]) -> None:
    validate_document(wide)
    assert wide["overview"]["tables"] == 20 and wide["overview"]["columns"] == 480
    full = render_markdown(wide, budget=10**9)
    text = render_markdown(wide)
    assert len(full) > MARKDOWN_BUDGET_CHARS  # the budget had to cut
    assert len(text) <= MARKDOWN_BUDGET_CHARS
    for table in wide["tables"]:
        assert f"### {table['name']}" in text
    assert "more columns" in text
    for issue in wide["top_issues"]:
        assert f"| {issue['rank']} | {issue['target']} |" in text
    # The columns kept are those that need attention most: Σ over contracts (2 blocked,
    # 1 investigate) + 1 when flagged, never below a column that was cut.
    weight = {"blocked": 2, "investigate": 1, "ready": 0}
    for table in wide["tables"]:
        section = text.split(f"### {table['name']}\n", 1)[1].split("\n### ", 1)[0]
        attention = {
            c["name"]: sum(weight[e["readiness"]] for e in c["readiness"].values())
            + bool(c["flags"])
            for c in table["columns"]
        }
        shown = {name for name in attention if f"| {name} |" in section}
        cut = set(attention) - shown
        assert shown and cut, table["name"]
        assert min(attention[n] for n in shown) >= max(attention[n] for n in cut)
    assert len(text.splitlines()) < 2000


def test_write_documents_replaces_files_whole(tmp_path: Path) -> None:
    folder = tmp_path / "context" / "shop"
    write_documents(folder, {"a.json": "1", "b.md": "x"})
    write_documents(folder, {"a.json": "2"})
    assert sorted(p.name for p in folder.iterdir()) == ["a.json", "b.md"]
    assert (folder / "a.json").read_text() == "2"
