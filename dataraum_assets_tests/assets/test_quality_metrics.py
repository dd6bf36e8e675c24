"""quality_metrics through Dagster on the bundled example: the injected problems are found."""

from pathlib import Path

import dagster as dg

from dataraum_assets_tests.pipeline import EXAMPLE_FOLDER, run_pipeline


def test_example_source_findings(tmp_path: Path) -> None:
    with dg.instance_for_test() as instance:
        run = run_pipeline(EXAMPLE_FOLDER, tmp_path / "data", instance, source="acme_books")
    assert run.result.success
    checks = run.check_results()
    tables = ("benford", "outliers", "findings")
    assert {f"quality_metrics_{table}_matches_schema" for table in tables} <= set(checks)
    assert [name for name, evaluation in checks.items() if not evaluation.passed] == []

    con = run.connect("quality_metrics")
    findings = {
        (table, column, kind): (severity, value, evidence)
        for table, column, kind, severity, value, evidence in con.execute(
            "SELECT table_name, column_name, kind, severity, value, evidence FROM findings"
        ).fetchall()
    }
    assert [key for key in findings if key[2] == "duplicate_rows"] == [
        ("payments", None, "duplicate_rows")
    ]
    assert findings[("payments", None, "duplicate_rows")][1] == 4
    severity, value, evidence = findings[("invoices", "invoice_number", "key_uniqueness_violation")]
    assert (severity, value, evidence) == ("error", 1, "INV-2024-00702 ×2")
    # The four bulk orders (50-100x the median) are exactly the IQR outliers of the invoice
    # amounts on the log scale, and the bulk quantities behind them those of quantity.
    for column in ("net_amount", "total_amount"):
        assert findings[("invoices", column, "iqr_outliers")][1] == 4 / 1455
    _, quantity_ratio, quantity_samples = findings[
        ("invoice_lines", "quantity", "modified_z_outliers")
    ]
    assert (quantity_ratio * 3889, len(quantity_samples.split(", "))) == (4, 4)
    # Right-skewed amounts are tested on ln(x), debit/credit (zero on the other side of each
    # line) on their non-zero values: no column gets flagged for its shape.
    scales = dict(
        ((table, column), (population, scale))
        for table, column, population, scale in con.execute(
            "SELECT DISTINCT table_name, column_name, population, scale FROM outliers"
        ).fetchall()
    )
    assert scales[("journal_lines", "credit")] == ("non_zero", "log")
    assert scales[("invoices", "total_amount")] == ("all", "log")
    # Counters and rates are not Benford magnitudes.
    skipped = dict(
        con.execute(
            "SELECT column_name, skipped_reason FROM benford WHERE table_name = 'invoice_lines'"
        ).fetchall()
    )
    assert skipped["line_no"] == "identifier: key-like column name"
    assert skipped["discount_pct"].startswith("too few distinct positive values")
    assert skipped["line_amount"] is None

    metadata = run.materialization_metadata("quality_metrics")
    assert metadata["dagster/row_count"].value == len(findings)
    severities = [severity for severity, _, _ in findings.values()]
    assert {s: metadata[f"{s}_findings"].value for s in ("error", "warning", "info")} == {
        s: severities.count(s) for s in ("error", "warning", "info")
    }
