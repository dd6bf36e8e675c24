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
    for table, column in (("invoices", "total_amount"), ("bills", "amount")):
        assert (table, column, "iqr_outliers") in findings, (table, column)
        assert (table, column, "modified_z_outliers") in findings, (table, column)

    metadata = run.materialization_metadata("quality_metrics")
    assert metadata["dagster/row_count"].value == len(findings)
    severities = [severity for severity, _, _ in findings.values()]
    assert {s: metadata[f"{s}_findings"].value for s in ("error", "warning", "info")} == {
        s: severities.count(s) for s in ("error", "warning", "info")
    }
