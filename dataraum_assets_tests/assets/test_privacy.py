"""The privacy stages through Dagster on the bundled example: the contact data is found,
redacted with a key from the environment that never shows up anywhere, synthesized, exported."""

import hashlib
import hmac
import json
import shutil

import dagster as dg
import duckdb
import pytest

from dataraum_assets_tests.pipeline import EXAMPLE_FOLDER, PipelineRun, run_pipeline

SELECTION = [
    "raw_tables",
    "typed_tables",
    "statistical_profiles",
    "pii_findings",
    "redacted_tables",
    "synthetic_tables",
    "parquet_exports",
]
# A planted key: the test fails if this string appears in any log, metadata, table or file.
PLANTED_KEY = "planted-key-7c1e0b9d4a2f"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    folder = tmp_path_factory.mktemp("src") / "acme_books"
    shutil.copytree(EXAMPLE_FOLDER, folder)
    (folder / "dataraum.yaml").write_text(
        "privacy:\n  redaction:\n    strategies: {email: keyed_hash}\n", encoding="utf-8"
    )
    data_dir = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as patch, dg.instance_for_test() as instance:
        patch.setenv("DATARAUM_REDACTION_KEY", PLANTED_KEY)
        result = run_pipeline(folder, data_dir, instance, source="acme_books", selection=SELECTION)
        events = [
            json.dumps(dg.serialize_value(entry), default=str)  # type: ignore[arg-type]
            for entry in instance.all_logs(result.result.run_id)
        ]
        result.events = events  # type: ignore[attr-defined]
        result.run_config = json.dumps(  # type: ignore[attr-defined]
            instance.get_run_by_id(result.result.run_id).run_config  # type: ignore[union-attr]
        )
    return result


def test_example_contact_data_is_found(run: PipelineRun) -> None:
    assert run.result.success
    assert all(evaluation.passed for evaluation in run.check_results().values())
    con = run.connect("pii_findings")
    found = dict(
        ((table, column), kind)
        for table, column, kind in con.execute(
            "SELECT table_name, column_name, pii_kind FROM pii_findings"
        ).fetchall()
    )
    assert found == {
        ("customers", "contact_name"): "person_name",
        ("customers", "email"): "email",
        ("customers", "phone"): "phone",
        ("customers", "postal_code"): "postal_code",
        ("employees", "first_name"): "person_name",
        ("employees", "last_name"): "person_name",
        ("employees", "email"): "email",
        ("vendors", "email"): "email",
        ("vendors", "phone"): "phone",
    }
    metadata = run.materialization_metadata("pii_findings")
    assert metadata["pii_columns"].value == len(found)


def test_redaction_uses_the_environment_key_and_never_shows_it(run: PipelineRun) -> None:
    redacted = run.connect("redacted_tables")
    typed = run.connect("typed_tables")
    [(real,)] = typed.execute("SELECT email FROM typed.employees WHERE _row = 1").fetchall()
    [(token,)] = redacted.execute("SELECT email FROM redacted.employees WHERE _row = 1").fetchall()
    assert token == hmac.new(PLANTED_KEY.encode(), real.encode(), hashlib.sha256).hexdigest()
    assert "first_name" not in [
        name
        for (name,) in redacted.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'employees'"
        ).fetchall()
    ]
    # the key: not in the event log, the run config, any metadata, any output file
    assert not any(PLANTED_KEY in event for event in run.events)  # type: ignore[attr-defined]
    assert PLANTED_KEY not in run.run_config  # type: ignore[attr-defined]
    for path in run.warehouse.layout.data_dir.rglob("*"):
        if path.is_file():
            assert PLANTED_KEY.encode() not in path.read_bytes(), path


def test_synthetic_tables_and_exports(run: PipelineRun) -> None:
    synthetic = run.connect("synthetic_tables")
    rows = synthetic.execute(
        "SELECT table_name, real_rows, synthetic_rows, pii_row_collisions FROM table_fidelity"
    ).fetchall()
    assert len(rows) == 11 and all(r[1] == r[2] and r[3] == 0 for r in rows)
    real = set(run.connect("typed_tables").execute("SELECT email FROM typed.customers").fetchall())
    fake = set(synthetic.execute("SELECT email FROM synthetic.customers").fetchall())
    assert real.isdisjoint(fake) and len(fake) == 300

    export_dir = run.warehouse.layout.data_dir / "exports" / "acme_books"
    manifest = json.loads((export_dir / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["files"]) == 33  # 11 tables × typed, redacted, synthetic
    entry = next(f for f in manifest["files"] if f["file"] == "redacted/customers.parquet")
    assert entry["rows"] == 300 and entry["schema"]["email"] == "VARCHAR"
    assert entry["source_run_id"] == entry["export_run_id"] == run.result.run_id
    invoices = export_dir / "synthetic" / "invoices.parquet"
    [(count,)] = (
        duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{invoices}')").fetchall()
    )
    assert count == 1455
    assert run.materialization_metadata("parquet_exports")["files"].value == 33
