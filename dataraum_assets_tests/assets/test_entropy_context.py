"""entropy_context through Dagster: on the bundled example (its injected problems surface with
their evidence), on public data it was not designed for, and the readiness gate."""

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import vega_datasets

from dataraum_assets.analysis.context_document import validate_document
from dataraum_assets.assets.entropy_context import (
    METADATA_MARKDOWN_CHARS,
    UPSTREAM_ASSETS,
    context_dir,
)
from dataraum_assets.definitions import defs
from dataraum_assets_tests.pipeline import EXAMPLE_FOLDER, PipelineRun, run_pipeline

ASSET = "entropy_context"


def with_ancestors(asset: str) -> list[str]:
    graph = defs.resolve_asset_graph()
    seen: set[dg.AssetKey] = set()
    todo = [dg.AssetKey(asset)]
    while todo:
        key = todo.pop()
        if key not in seen:
            seen.add(key)
            todo.extend(graph.get(key).parent_keys)
    return sorted(key.to_user_string() for key in seen)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineRun]:
    folder = tmp_path_factory.mktemp("example")
    with dg.instance_for_test() as instance:
        yield run_pipeline(
            EXAMPLE_FOLDER,
            folder / "data",
            instance,
            source="acme_books",
            selection=with_ancestors(ASSET),
        )


def document(run: PipelineRun) -> dict:
    folder = context_dir(run.warehouse.layout, run.source)
    return json.loads((folder / "entropy_context.json").read_text(encoding="utf-8"))


def test_example_materializes_with_passing_checks(example: PipelineRun) -> None:
    assert example.result.success
    checks = {n: e for n, e in example.check_results().items() if n.startswith(ASSET)}
    assert set(checks) == {
        "entropy_context_entropy_scores_matches_schema",
        "entropy_context_readiness_matches_schema",
        "entropy_context_top_issues_matches_schema",
        "entropy_context_detectors_matches_schema",
        "entropy_context_readiness_not_blocked",
    }
    assert [name for name, evaluation in checks.items() if not evaluation.passed] == []
    gate = checks["entropy_context_readiness_not_blocked"].metadata
    assert gate["enabled"].value is False  # off by default


def test_example_documents(example: PipelineRun) -> None:
    folder = context_dir(example.warehouse.layout, example.source)
    assert folder == example.warehouse.layout.data_dir / "context" / "acme_books"
    assert sorted(p.name for p in folder.iterdir()) == [
        "entropy_context.json",
        "entropy_context.md",
        "report.html",
    ]
    doc = document(example)
    validate_document(doc)
    assert doc["overview"]["tables"] == 11
    markdown = (folder / "entropy_context.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Data context: acme_books")
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "https://" not in html.replace("http://www.w3.org/2000/svg", "")

    metadata = example.materialization_metadata(ASSET)
    con = example.connect(ASSET)
    [(scores,)] = con.execute("SELECT count(*) FROM entropy_scores").fetchall()
    assert metadata["dagster/row_count"].value == scores
    assert metadata["readiness"].value == doc["overview"]["readiness"][doc["contract"]]["readiness"]
    context_md = metadata["context"].value
    assert isinstance(context_md, str) and len(context_md) <= METADATA_MARKDOWN_CHARS
    assert metadata["profile_report"].value == str(folder / "report.html")


def test_example_injected_problems_surface(example: PipelineRun) -> None:
    con = example.connect(ASSET)
    scores = {
        (target, dimension): (value, evidence)
        for target, dimension, value, evidence in con.execute(
            "SELECT target, dimension, score, evidence FROM entropy_scores"
        ).fetchall()
    }
    # 3 unparseable quantities (twelve, six, 1O) of 3,892 non-null cells
    value, evidence = scores[("invoice_lines.quantity", "structural.types")]
    assert value == pytest.approx(3 / 3892, abs=1e-6) and "3 / 3,892" in evidence
    # legitimate web-order nulls + the 4 NULL tokens, as a plain rate
    [(nulls, rows)] = (
        example.connect("statistical_profiles")
        .execute(
            "SELECT nulls, rows FROM column_profiles "
            "WHERE table_name = 'invoices' AND column_name = 'sales_rep_id'"
        )
        .fetchall()
    )
    assert scores[("invoices.sales_rep_id", "value.nulls")][0] == pytest.approx(nulls / rows)
    # orphans: customer ids not in customers, SKUs not in products, legacy bills, suspense
    # account 9999, pre-migration invoices
    for target in (
        "invoices.customer_id",
        "invoice_lines.sku",
        "vendor_payments.bill_id",
        "journal_lines.account_number",
        "payments.invoice_number",
    ):
        value, evidence = scores[(target, "structural.relations")]
        assert value > 0, (target, evidence)
    # every detector whose upstream is in the code location ran
    ran = {
        dimension
        for dimension, status in con.execute("SELECT dimension, status FROM detectors").fetchall()
        if status == "ran"
    }
    assert {"structural.types", "structural.relations", "value.nulls", "value.outliers"} <= ran


def test_example_top_issues_are_ranked_with_evidence(example: PipelineRun) -> None:
    doc = document(example)
    issues = doc["top_issues"]
    assert issues and [i["rank"] for i in issues] == list(range(1, len(issues) + 1))
    impacts = [(i["impact"], i["score"]) for i in issues]
    assert impacts == sorted(impacts, reverse=True)
    assert all(i["evidence"].startswith("score = ") or "score =" in i["evidence"] for i in issues)


def test_upstream_assets_the_detectors_read_are_all_named() -> None:
    assert {
        "statistical_profiles",
        "semantic_annotations",
        "relationships",
        "correlations",
    } <= set(UPSTREAM_ASSETS)


def test_public_data_and_the_readiness_gate(tmp_path: Path) -> None:
    """Real public CSVs the pipeline was not designed on, judged by a strict contract with the
    gate on: the run still writes its documents, and the blocking check fails with the
    blocked targets in its metadata."""
    source = tmp_path / "vega"
    source.mkdir()
    data = Path(vega_datasets.__file__).parent / "_data"
    for name in ("seattle-weather.csv", "stocks.csv", "airports.csv"):
        shutil.copy(data / name, source / name)
    (source / "dataraum.yaml").write_text(
        "entropy_context:\n"
        "  contract: no_gaps\n"
        "  block_when_blocked: true\n"
        "  contracts:\n"
        "    no_gaps:\n"
        "      extends: regulatory_reporting\n"
        "      thresholds:\n"
        "        value.nulls: {ready: 0.0, investigate: 0.0}\n",
        encoding="utf-8",
    )
    with dg.instance_for_test() as instance:
        run = run_pipeline(
            source, tmp_path / "data", instance, source="vega", selection=with_ancestors(ASSET)
        )
    doc = document(run)
    validate_document(doc)
    assert doc["contract"] == "no_gaps"
    assert {t["name"] for t in doc["tables"]} == {"seattle_weather", "stocks", "airports"}
    gate = run.check_results()["entropy_context_readiness_not_blocked"]
    blocked = doc["overview"]["readiness"]["no_gaps"]["readiness"] == "blocked"
    assert gate.passed is (not blocked)
    assert gate.metadata["enabled"].value is True
    # airports has empty cells (state, city), so a zero-null contract must block
    assert blocked and not gate.passed
    assert "value.nulls" in doc["overview"]["readiness"]["no_gaps"]["violations"]
