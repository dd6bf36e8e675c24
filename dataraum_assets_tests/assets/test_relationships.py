"""relationships through Dagster: on the bundled example (documented keys and orphans), on a
generated Chinook-like source written as CSV (CamelCase headers, typed by the real pipeline),
and on real public CSV files that share no keys (nothing may be accepted)."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import vega_datasets

from dataraum_assets_tests.pipeline import EXAMPLE_FOLDER, PipelineRun, run_pipeline
from dataraum_assets_tests.relationship_sources import (
    ACME_KEYS,
    ForeignKey,
    chinook_like,
    precision_recall,
    write_csv,
)

SELECTION = ["raw_tables", "typed_tables", "statistical_profiles", "relationships"]
VEGA_DATA = Path(vega_datasets.__file__).parent / "_data"


def _accepted(run: PipelineRun) -> dict[ForeignKey, int]:
    rows = (
        run.connect("relationships")
        .execute(
            "SELECT child_table, child_columns, parent_table, parent_columns, orphan_count "
            "FROM relationships WHERE status = 'accepted'"
        )
        .fetchall()
    )
    return {(c, tuple(cc), p, tuple(pc)): orphans for c, cc, p, pc, orphans in rows}


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineRun]:
    with dg.instance_for_test() as instance:
        yield run_pipeline(
            EXAMPLE_FOLDER,
            tmp_path_factory.mktemp("acme") / "data",
            instance,
            source="acme_books",
            selection=SELECTION,
        )


def test_example_source_keys_and_orphans(acme: PipelineRun) -> None:
    assert acme.result.success
    checks = acme.check_results()
    assert checks["relationships_relationships_matches_schema"].passed
    accepted = _accepted(acme)
    precision, recall = precision_recall(set(accepted), set(ACME_KEYS))
    assert (precision, recall) == (1.0, 1.0), set(accepted) ^ set(ACME_KEYS)
    assert accepted == ACME_KEYS
    # invoices.invoice_number has one duplicated number: joining to it duplicates rows.
    con = acme.connect("relationships")
    [(cardinality, fan_out, parent_unique)] = con.execute(
        "SELECT cardinality, fan_out, parent_unique FROM relationships "
        "WHERE child_table = 'invoice_lines' AND parent_table = 'invoices'"
    ).fetchall()
    assert (cardinality, parent_unique) == ("N:M", False)
    assert fan_out is True
    [(examples,)] = con.execute(
        "SELECT orphan_examples FROM relationships "
        "WHERE child_table = 'invoices' AND child_columns = ['customer_id']"
    ).fetchall()
    assert examples == ["C-0317", "C-0342"]


def test_example_source_metadata(acme: PipelineRun) -> None:
    metadata = acme.materialization_metadata("relationships")
    con = acme.connect("relationships")
    [(rows, accepted, orphans)] = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE status = 'accepted'), "
        "coalesce(sum(orphan_count), 0) FROM relationships"
    ).fetchall()
    assert metadata["dagster/row_count"].value == rows
    assert (metadata["accepted"].value, metadata["rejected"].value) == (accepted, rows - accepted)
    assert metadata["orphan_rows"].value == orphans == sum(ACME_KEYS.values())
    preview = str(metadata["preview"].value)
    assert "| invoices(customer_id) | customers(customer_id) |" in preview


def test_generated_chinook_csv_through_the_pipeline(tmp_path: Path) -> None:
    source = chinook_like()
    write_csv(tmp_path / "chinook", source)
    with dg.instance_for_test() as instance:
        run = run_pipeline(
            tmp_path / "chinook", tmp_path / "data", instance, source="chinook", selection=SELECTION
        )
    assert run.result.success
    accepted = _accepted(run)
    precision, recall = precision_recall(set(accepted), source.keys)
    assert recall == 1.0 and precision >= 0.9, set(accepted) ^ source.keys
    assert {key: accepted[key] for key in source.keys} == source.orphans


def test_unrelated_public_files_have_no_foreign_keys(tmp_path: Path) -> None:
    # Airports, weather, stock prices, employment, riots, electricity: shared years, dates and
    # small integers everywhere, but no table references another.
    folder = tmp_path / "vega"
    folder.mkdir()
    for path in sorted(VEGA_DATA.glob("*.csv")):
        shutil.copy(path, folder / path.name)
    with dg.instance_for_test() as instance:
        run = run_pipeline(folder, tmp_path / "data", instance, source="vega", selection=SELECTION)
    assert run.result.success
    assert _accepted(run) == {}
