import datetime as dt
from pathlib import Path

import duckdb
import pytest

from dataraum_assets.analysis.semantic_annotations import (
    OUTPUT_SCHEMAS,
    ColumnAnnotation,
    ColumnContext,
    SemanticOptions,
    SemanticResult,
    Suggestion,
    TableAnnotation,
    build_semantic_annotations,
    read_name,
)
from dataraum_assets.analysis.semantic_vocabulary import (
    VocabularyError,
    load_concepts,
    load_lexicon,
    singularize,
    split_name,
)
from dataraum_assets.analysis.statistical_profiles import build_statistical_profiles
from dataraum_assets_tests.analysis.test_statistical_profiles import (
    add_typed_table,
    typed_tables_connection,
)

DAY = dt.date(2024, 1, 1)


DEFAULTS = SemanticOptions()


def annotate(
    con: duckdb.DuckDBPyConnection,
    options: SemanticOptions = DEFAULTS,
    relationships: list[tuple[str, list[str], str, list[str], str]] | None = None,
    annotator: object = None,
) -> SemanticResult:
    """Profile the attached typed tables, optionally attach a relationships database with the
    given accepted candidates, then annotate into ``memory``."""
    con.execute("ATTACH ':memory:' AS statistical_profiles")
    con.execute("USE statistical_profiles")
    build_statistical_profiles(con)
    con.execute("USE memory")
    database = None
    if relationships is not None:
        con.execute("ATTACH ':memory:' AS relationships")
        con.execute(
            "CREATE TABLE relationships.relationships (child_table VARCHAR, child_columns "
            "VARCHAR[], parent_table VARCHAR, parent_columns VARCHAR[], status VARCHAR, "
            "reason VARCHAR, containment DOUBLE, reverse_containment DOUBLE, orphan_count "
            "BIGINT, orphan_examples VARCHAR[], cardinality VARCHAR, fan_out BOOLEAN, "
            "method VARCHAR)"
        )
        for child, child_columns, parent, parent_columns, status in relationships:
            con.execute(
                "INSERT INTO relationships.relationships VALUES (?, ?, ?, ?, ?, 'test', 1.0, "
                "0.5, 0, [], 'N:1', false, 'exact')",
                [child, child_columns, parent, parent_columns, status],
            )
        database = "relationships"
    return build_semantic_annotations(
        con,
        options,
        relationships_database=database,
        annotator=annotator,  # type: ignore[arg-type]
    )


def column(result: SemanticResult, table: str, name: str) -> ColumnAnnotation:
    (found,) = [c for c in result.columns if c.table_name == table and c.column_name == name]
    return found


def table(result: SemanticResult, name: str) -> TableAnnotation:
    (found,) = [t for t in result.tables if t.table_name == name]
    return found


def sales_source() -> duckdb.DuckDBPyConnection:
    """customers (dimension) ← orders (fact with a currency) ← order_lines (composite grain)."""
    con = typed_tables_connection()
    add_typed_table(
        con,
        "customers",
        {"customer_id": "VARCHAR", "customer_name": "VARCHAR", "country": "VARCHAR"},
        [[f"C{i}", f"Shop {i}", ["US", "FR", "GB"][i % 3]] for i in range(12)],
    )
    add_typed_table(
        con,
        "orders",
        {
            "order_id": "BIGINT",
            "customer_id": "VARCHAR",
            "order_date": "DATE",
            "due_date": "DATE",
            "currency": "VARCHAR",
            "total_amt": "DOUBLE",
            "status": "VARCHAR",
        },
        [
            [
                i,
                f"C{i % 12}",
                DAY + dt.timedelta(days=i),
                DAY + dt.timedelta(days=i + 30),
                ["USD", "EUR"][i % 2],
                10.5 * i + 1,
                ["paid", "open", "void"][i % 3],
            ]
            for i in range(40)
        ],
    )
    add_typed_table(
        con,
        "order_lines",
        {"order_id": "BIGINT", "line_no": "BIGINT", "qty": "BIGINT", "line_amount": "DOUBLE"},
        [[i // 3, i % 3 + 1, i % 7 + 1, 2.5 * i + 1] for i in range(120)],
    )
    return con


def test_tokens_abbreviations_and_plurals() -> None:
    lexicon = load_lexicon()
    assert split_name("invoiceLineNo2") == ("invoice", "line", "no", "2")
    assert split_name("Weight_in_lbs") == ("weight", "in", "lbs")
    assert [singularize(w) for w in ("invoices", "categories", "addresses", "status")] == [
        "invoice",
        "category",
        "address",
        "status",
    ]
    assert read_name("qty_ordered", lexicon).expanded == ("quantity", "ordered")


def test_naming_clarity_from_the_word_list() -> None:
    lexicon = load_lexicon()
    assert read_name("customer_name", lexicon).clarity == "clear"
    assert read_name("sku", lexicon).clarity == "clear"  # a data term
    assert read_name("nonfarm", lexicon).clarity == "clear"  # non + a dictionary word
    abbreviated = read_name("inv_amt", lexicon)
    assert (abbreviated.clarity, abbreviated.detail) == (
        "abbreviated",
        "inv = invoice; amt = amount",
    )
    assert read_name("sepal_width", lexicon).detail == "sepal not in the word list"
    assert read_name("xq_zzv", lexicon).clarity == "noise"
    assert read_name("column_7", lexicon).clarity == "noise"
    assert read_name("Unnamed", lexicon).clarity == "noise"


def test_key_foreign_key_and_grain_from_names_without_relationships() -> None:
    result = annotate(sales_source())
    assert not result.relationships_used
    assert column(result, "customers", "customer_id").role == "key"
    fk = column(result, "orders", "customer_id")
    assert fk.role == "foreign_key"
    assert "names only: relationships not materialized" in fk.evidence
    assert column(result, "orders", "order_id").role == "key"
    # order_lines.order_id repeats: not the key there but a reference to orders.
    assert column(result, "order_lines", "order_id").role == "foreign_key"
    assert column(result, "order_lines", "line_no").role == "identifier"
    assert table(result, "order_lines").grain_columns == ("order_id", "line_no")
    assert table(result, "orders").grain_columns == ("order_id",)


def test_accepted_relationships_decide_foreign_keys() -> None:
    # The relationships stage accepted only customers; a rejected candidate is no FK even
    # though the names match.
    result = annotate(
        sales_source(),
        relationships=[
            ("orders", ["customer_id"], "customers", ["customer_id"], "accepted"),
            ("order_lines", ["order_id"], "orders", ["order_id"], "rejected"),
        ],
    )
    assert result.relationships_used
    fk = column(result, "orders", "customer_id")
    assert (fk.role, fk.role_evidence.startswith("accepted FK to customers.customer_id")) == (
        "foreign_key",
        True,
    )
    assert column(result, "order_lines", "order_id").role == "identifier"
    assert table(result, "customers").referenced_by == ("orders",)
    assert table(result, "orders").referenced_by == ()


def test_concepts_roles_and_units() -> None:
    result = annotate(sales_source())
    amount = column(result, "orders", "total_amt")
    assert (amount.role, amount.concept, amount.naming_clarity) == (
        "measure",
        "amount",
        "abbreviated",
    )
    assert (amount.unit_table, amount.unit_column) == ("orders", "currency")
    # The lines have no currency: it comes from the referenced orders table.
    line = column(result, "order_lines", "line_amount")
    assert (line.unit_table, line.unit_column) == ("orders", "currency")
    assert "via order_lines.order_id → orders.order_id" in line.evidence
    assert column(result, "order_lines", "qty").concept == "quantity"
    assert column(result, "orders", "currency").concept == "currency"
    assert column(result, "orders", "due_date").concept == "due_date"
    status = column(result, "orders", "status")
    assert (status.role, status.concept) == ("dimension", "status")
    assert column(result, "customers", "country").role == "dimension"
    assert column(result, "customers", "customer_name").role == "attribute"


def test_table_kinds_and_time_column() -> None:
    result = annotate(sales_source())
    assert table(result, "customers").kind == "dimension"
    orders = table(result, "orders")
    assert (orders.kind, orders.time_column) == ("fact", "order_date")  # not the due date
    assert "over due_date" in orders.evidence
    assert table(result, "order_lines").time_column is None


def test_values_decide_a_concept_the_name_does_not() -> None:
    con = typed_tables_connection()
    add_typed_table(
        con,
        "things",
        {"state": "VARCHAR", "kind": "VARCHAR"},
        [[["open", "closed", "paid"][i % 3], ["asset", "equity", "red"][i % 3]] for i in range(30)],
    )
    result = annotate(con)
    state = column(result, "things", "state")
    assert state.concept == "status"  # values beat the one-word name match 'region'
    assert "100% of 30 values are 'status' values" in state.evidence
    # Only 2 of 3 values are account types (67% < 80%): the name decides instead.
    assert column(result, "things", "kind").concept == "category"


def test_exclusions_and_types_veto_a_concept() -> None:
    con = typed_tables_connection()
    add_typed_table(
        con,
        "cards",
        {"credit_card_type": "VARCHAR", "credit": "DOUBLE", "amount_text": "VARCHAR"},
        [["visa", 1.5 * i, "x"] for i in range(5)],
    )
    result = annotate(con)
    assert column(result, "cards", "credit").concept == "credit"
    assert column(result, "cards", "credit_card_type").concept == "category"  # 'card' excludes
    assert column(result, "cards", "amount_text").concept is None  # amount must be numeric


def test_measure_dimension_and_identifier_boundaries() -> None:
    con = typed_tables_connection()
    rows = [[i % 12, i, float(i % 3), f"U{i}", i % 13] for i in range(100)]
    add_typed_table(
        con,
        "readings",
        {
            "level": "BIGINT",
            "reading_number": "BIGINT",
            "value": "DOUBLE",
            "user_uuid": "VARCHAR",
            "score": "BIGINT",
        },
        rows,
    )
    result = annotate(con)
    assert column(result, "readings", "level").role == "dimension"  # 12 distinct integers
    assert column(result, "readings", "score").role == "measure"  # 13 > 12
    assert column(result, "readings", "value").role == "measure"  # floats, 3 distinct
    assert column(result, "readings", "user_uuid").role == "identifier"
    # Unique and identifier-named: the table key.
    assert column(result, "readings", "reading_number").role == "key"
    # Repeating numbers (50 distinct of 100): a code, a dimension, never a measure.
    repeated = typed_tables_connection()
    add_typed_table(
        repeated, "readings", {"reading_number": "BIGINT"}, [[i % 50] for i in range(100)]
    )
    assert column(annotate(repeated), "readings", "reading_number").role == "dimension"


def test_key_needs_distinct_ratio() -> None:
    con = typed_tables_connection()
    add_typed_table(
        con, "invoices", {"invoice_number": "VARCHAR"}, [[f"I{i}"] for i in range(99)] + [["I1"]]
    )
    near = annotate(con)
    key = column(near, "invoices", "invoice_number")
    assert key.role == "key"  # 99% distinct: meant unique
    assert "1 repeated values: meant unique, not unique" in key.evidence
    con = typed_tables_connection()
    add_typed_table(
        con, "invoices", {"invoice_number": "VARCHAR"}, [[f"I{i}"] for i in range(99)] + [["I1"]]
    )
    strict = annotate(con, SemanticOptions(key_min_distinct_ratio=1.0))
    assert column(strict, "invoices", "invoice_number").role == "identifier"


def test_year_integers_are_timestamps_and_flat_tables() -> None:
    con = typed_tables_connection()
    add_typed_table(
        con,
        "crops",
        {"year": "BIGINT", "yield": "DOUBLE"},
        [[1931 + i % 2, 10.0 + i] for i in range(20)],
    )
    add_typed_table(
        con,
        "flowers",
        {"petal_width": "DOUBLE", "species": "VARCHAR"},
        [[0.1 * i, ["a", "b"][i % 2]] for i in range(20)],
    )
    add_typed_table(con, "counts", {"year": "BIGINT"}, [[i] for i in range(20)])
    result = annotate(con)
    assert column(result, "crops", "year").role == "timestamp"
    crops = table(result, "crops")
    assert (crops.kind, crops.time_column, crops.grain_columns) == ("fact", "year", ())
    assert table(result, "flowers").kind == "flat"
    assert column(result, "counts", "year").role == "measure"  # 0..19 are not years


def test_self_reference_and_concept_foreign_key_from_names() -> None:
    con = typed_tables_connection()
    add_typed_table(
        con,
        "employees",
        {"employee_id": "BIGINT", "manager_id": "BIGINT", "first_name": "VARCHAR"},
        [[100 + i, 100 if i else None, f"N{i}"] for i in range(10)],
    )
    add_typed_table(
        con,
        "sales",
        {"sales_rep_id": "BIGINT", "amount": "DOUBLE"},
        [[100 + i % 10, float(i)] for i in range(30)],
    )
    result = annotate(con)
    manager = column(result, "employees", "manager_id")
    assert (manager.role, "self-reference" in manager.evidence) == ("foreign_key", True)
    assert column(result, "sales", "sales_rep_id").role == "foreign_key"
    assert table(result, "employees").kind == "dimension"


def test_source_vocabulary_overrides(tmp_path: Path) -> None:
    path = tmp_path / "dataraum_vocabulary.yaml"
    path.write_text(
        "name: lab\nconcepts:\n  sepal:\n    indicators: [sepal]\n    role: measure\n"
        "  amount:\n    indicators: [sum]\n    types: [numeric]\n",
        encoding="utf-8",
    )
    con = typed_tables_connection()
    add_typed_table(
        con,
        "iris",
        {"sepal_width": "DOUBLE", "amount": "DOUBLE", "sum": "DOUBLE"},
        [[0.1 * i, float(i), float(i)] for i in range(10)],
    )
    result = annotate(con, SemanticOptions(vocabulary_files=(path,)))
    assert column(result, "iris", "sepal_width").concept == "sepal"
    # The source's 'amount' replaces finance's: 'sum' is an amount, 'amount' no longer is.
    assert column(result, "iris", "sum").concept == "amount"
    assert column(result, "iris", "amount").concept is None


def test_vocabulary_errors_name_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("name: x\nconcepts:\n  a:\n    types: [money]\n    indicators: [a]\n")
    with pytest.raises(VocabularyError, match=r"v\.yaml: concepts\.a\.types\.0"):
        load_concepts(extra_files=(path,))
    path.write_text("name: x\nconcepts:\n  a:\n    role: measure\n")
    with pytest.raises(VocabularyError, match=r"concepts\.a: needs indicators"):
        load_concepts(extra_files=(path,))


def test_shipped_vocabularies_define_the_bound_concepts() -> None:
    names = {c.name for c in load_concepts()}
    finance = {
        *("debit", "credit", "account", "account_type", "normal_balance", "amount", "currency"),
        *("fiscal_period", "transaction_date", "invoice", "invoice_date", "due_date", "payment"),
        *("payment_date", "customer", "vendor", "bill", "quantity", "unit_price", "tax"),
        *("status", "revenue", "cost", "balance", "journal_entry", "employee", "salary"),
    }
    generic = {
        *("email", "phone", "person_name", "address", "postal_code", "city", "country"),
        *("date_of_birth", "created_at", "updated_at", "year", "latitude", "longitude", "url"),
        *("category", "description"),
    }
    assert finance | generic <= names


class _FakeAnnotator:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def suggest(self, column: ColumnContext) -> Suggestion | None:
        self.seen.append(column.column_name)
        return Suggestion("revenue", "looks like turnover") if column.column_name == "tv" else None


def test_annotator_is_asked_only_for_columns_without_concept() -> None:
    con = typed_tables_connection()
    add_typed_table(con, "t", {"tv": "DOUBLE", "amount": "DOUBLE"}, [[1.0, 2.0], [3.0, 4.0]])
    annotator = _FakeAnnotator()
    result = annotate(con, annotator=annotator)
    assert annotator.seen == ["tv"]
    tv = column(result, "t", "tv")
    assert (tv.concept, tv.concept_evidence) == ("revenue", "annotator: looks like turnover")


def test_outputs_match_their_schemas() -> None:
    con = sales_source()
    annotate(con)
    for name, schema in OUTPUT_SCHEMAS.items():
        schema.validate(con.execute(f"SELECT * FROM {name}").df(), lazy=True)
