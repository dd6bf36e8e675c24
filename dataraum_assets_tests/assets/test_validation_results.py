"""validation_results through Dagster: on the bundled example every finance check runs and the
injected problems are found; on public data without finance content the finance checks are
skipped and the generic ones run."""

import csv
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import vega_datasets

from dataraum_assets.analysis.validation_results import packaged_checks
from dataraum_assets.definitions import defs
from dataraum_assets.sources import CHECKS_FILE_NAME, SETTINGS_FILE_NAME
from dataraum_assets_tests.pipeline import EXAMPLE_FOLDER, PipelineRun, run_pipeline

VEGA = Path(vega_datasets.__file__).parent / "_data"
FINANCE = sorted(c.spec.id for c in packaged_checks() if c.check_set == "finance")
GENERIC = sorted(c.spec.id for c in packaged_checks() if c.check_set == "generic")
Row = dict[str, object]

# A source's own check, next to its data, as a user would write it.
SOURCE_CHECK = """
checks:
  - id: invoice_numbers_follow_the_pattern
    name: Invoice numbers look like INV-<year>-<sequence>
    kind: constraint
    unit: invoices
    tolerance: 0
    tables:
      invoices:
        number: {concept: invoice, role: key}
    parameters:
      pattern: 'INV-[0-9]{4}-[0-9]{5}'
    sql: |
      SELECT count(*) FILTER (WHERE NOT regexp_full_match({invoices.number}, $pattern))
               AS observed,
             count(*) FILTER (WHERE NOT regexp_full_match({invoices.number}, $pattern))
               AS failing_count,
             count({invoices.number}) AS total_count,
             CAST([] AS VARCHAR[]) AS sample
      FROM {invoices}
"""


def upstream_selection() -> list[str]:
    graph = defs.resolve_asset_graph()
    keys = dg.AssetSelection.assets("validation_results").upstream().resolve(graph)
    return sorted(key.to_user_string() for key in keys)


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineRun]:
    # The bundled example plus two files a user would add: the snapshot's as-of date and a
    # check of their own.
    folder = tmp_path_factory.mktemp("acme") / "acme_books"
    shutil.copytree(EXAMPLE_FOLDER, folder)
    (folder / SETTINGS_FILE_NAME).write_text(
        "validation_results:\n  as_of: 2025-06-30\n", encoding="utf-8"
    )
    (folder / CHECKS_FILE_NAME).write_text(SOURCE_CHECK, encoding="utf-8")
    with dg.instance_for_test() as instance:
        yield run_pipeline(
            folder,
            tmp_path_factory.mktemp("data"),
            instance,
            source="acme_books",
            selection=upstream_selection(),
        )


def results_of(run: PipelineRun) -> list[Row]:
    con = run.connect("validation_results")
    cursor = con.execute("SELECT * FROM validation_results")
    names = [column[0] for column in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def by_table(rows: list[Row], check_id: str) -> dict[object, Row]:
    """The results of ``check_id`` by table (for checks with one binding per table)."""
    found = [row for row in rows if row["check_id"] == check_id]
    tables = {row["table_name"]: row for row in found}
    assert len(tables) == len(found), f"{check_id} binds a table twice"
    return tables


def test_example_source_runs_every_finance_check(acme: PipelineRun) -> None:
    assert acme.result.success
    checks = acme.check_results()
    assert checks["validation_results_validation_results_matches_schema"].passed
    rows = results_of(acme)
    skipped = {row["check_id"]: row["reason"] for row in rows if row["status"] == "skipped"}
    assert {check: skipped[check] for check in FINANCE if check in skipped} == {}
    assert [row for row in rows if row["status"] == "error"] == []
    assert {row["check_id"] for row in rows} == {
        *FINANCE,
        *GENERIC,
        "invoice_numbers_follow_the_pattern",
    }


def test_example_source_injected_problems_are_found(acme: PipelineRun) -> None:
    rows = results_of(acme)

    def outcome(check_id: str, table: str) -> tuple[object, ...]:
        row = by_table(rows, check_id)[table]
        return row["status"], row["failing_count"]

    # journal_lines: three unbalanced entries, so the trial balance is off too
    [entries] = by_table(rows, "double_entry_balances").values()
    assert (entries["status"], entries["failing_count"]) == ("failed", 3)
    assert by_table(rows, "trial_balance")["journal_lines"]["status"] == "failed"
    # one entry (two lines) dated in January and posted to December; periods are continuous
    assert outcome("fiscal_period_matches_entry_date", "journal_lines") == ("failed", 2)
    assert outcome("fiscal_period_continuity", "journal_lines") == ("passed", 0)
    assert outcome("ledger_sign_conventions", "journal_lines") == ("passed", 0)
    # payments earlier than their invoice; the year-2026 invoice is after the books and as_of
    assert outcome("payment_not_before_invoice", "payments") == ("failed", 2)
    cutoff = by_table(rows, "documents_within_ledger_period")
    assert [
        (t, r["status"], r["sample"]) for t, r in cutoff.items() if r["status"] != "passed"
    ] == [("invoices", "failed", ["INV-2025-00354"])]
    future = [r for r in rows if r["check_id"] == "dates_not_in_future"]
    assert len(future) > 5
    assert [(r["table_name"], r["sample"]) for r in future if r["status"] != "passed"] == [
        ("invoices", ["INV-2025-00354"])
    ]
    # orphans per foreign key, and the duplicated invoice number
    orphans = {
        row["table_name"]: row["failing_count"]
        for row in rows
        if row["check_id"] == "foreign_key_orphan_rate" and row["status"] == "failed"
    }
    assert {
        table: orphans.get(table)
        for table in ("invoices", "payments", "invoice_lines", "vendor_payments", "journal_lines")
    } == {
        "invoices": 2,
        "payments": 3,
        "invoice_lines": 2,
        "vendor_payments": 2,
        "journal_lines": 2,
    }
    invoice_keys = by_table(rows, "key_uniqueness")["invoices"]
    assert (invoice_keys["status"], invoice_keys["sample"]) == ("failed", ["INV-2024-00702"])
    # the source's own check ran against the same bindings
    assert outcome("invoice_numbers_follow_the_pattern", "invoices") == ("passed", 0)


def test_example_source_metadata(acme: PipelineRun) -> None:
    rows = results_of(acme)
    metadata = acme.materialization_metadata("validation_results")
    assert metadata["dagster/row_count"].value == len(rows)
    for status in ("passed", "failed", "skipped", "error"):
        assert metadata[f"{status}_checks"].value == sum(1 for r in rows if r["status"] == status)
    assert metadata["as_of"].value == "2025-06-30"
    assert metadata["source_checks"].value == 1
    preview = str(metadata["preview"].value)
    assert "| failed | double_entry_balances | journal_lines |" in preview


def _json_to_csv(source: Path, target: Path) -> None:
    records = json.loads(source.read_text(encoding="utf-8"))
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)


def test_public_data_without_finance_content(tmp_path: Path) -> None:
    folder = tmp_path / "vega"
    folder.mkdir()
    for name in ("seattle-weather.csv", "stocks.csv", "iowa-electricity.csv"):
        shutil.copy(VEGA / name, folder / name)
    for name in ("cars", "iris"):
        _json_to_csv(VEGA / f"{name}.json", folder / f"{name}.csv")
    with dg.instance_for_test() as instance:
        run = run_pipeline(
            folder, tmp_path / "data", instance, source="vega", selection=upstream_selection()
        )
    assert run.result.success
    assert run.check_results()["validation_results_validation_results_matches_schema"].passed
    rows = results_of(run)
    finance = {row["check_id"]: row["status"] for row in rows if row["check_set"] == "finance"}
    assert finance == dict.fromkeys(FINANCE, "skipped")
    ran = {row["check_id"] for row in rows if row["status"] in ("passed", "failed")}
    assert "dates_not_in_future" in ran
    assert [row for row in rows if row["status"] == "error"] == []
