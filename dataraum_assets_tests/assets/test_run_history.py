"""run_history on a SQLite instance holding real runs: successes, a failure and step retries."""

import shutil
from pathlib import Path

import dagster as dg
import pytest

from dataraum_assets.assets import raw_tables as raw_tables_module
from dataraum_assets.assets.run_history import run_history
from dataraum_assets_tests.pipeline import EXAMPLE_FOLDER, run_pipeline


def _rows(markdown: str) -> dict[str, list[str]]:
    rows = {}
    for line in markdown.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells
    return rows


def test_run_history_from_real_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(EXAMPLE_FOLDER, broken)
    (broken / "dataraum.yaml").write_text(
        "raw_tables:\n  max_file_bytes: 10\n  block_on_rejection: true\n"
    )
    (tmp_path / "home").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "home")) as instance:
        ok = run_pipeline(
            EXAMPLE_FOLDER, tmp_path / "data", instance, source="shop", selection=["raw_tables"]
        )
        assert ok.result.success
        failed = run_pipeline(
            broken, tmp_path / "data", instance, source="broken", selection=["raw_tables"]
        )
        assert not failed.result.success

        # A transient error on the first attempt: the step retry policy runs it again.
        real_ingest = raw_tables_module.ingest_files
        calls: list[int] = []

        def flaky_ingest(*args, **kwargs):
            calls.append(1)
            if len(calls) == 1:
                raise OSError("transient: stale NFS handle")
            return real_ingest(*args, **kwargs)

        monkeypatch.setattr(raw_tables_module, "ingest_files", flaky_ingest)
        retried = run_pipeline(
            EXAMPLE_FOLDER, tmp_path / "data", instance, source="shop", selection=["raw_tables"]
        )
        assert retried.result.success and len(calls) == 2

        history = dg.materialize([run_history], instance=instance)
        assert history.success
        [event] = history.asset_materializations_for_node("run_history")
        metadata = event.metadata

    assert metadata["runs"] == dg.MetadataValue.int(3)
    by_source = _rows(metadata["by_source"].value)  # type: ignore[union-attr]
    # Columns: source, runs, success rate, p50, p95, retries, last failure, reason.
    assert [by_source["shop"][i] for i in (1, 2, 5, 6)] == ["2", "100%", "0", ""]
    assert [by_source["broken"][i] for i in (1, 2, 5)] == ["1", "0%", "0"]
    assert "block_on_rejection" in by_source["broken"][7]
    by_asset = _rows(metadata["by_asset"].value)  # type: ignore[union-attr]
    # raw_tables: 3 executions, one failed, one retried once.
    assert [by_asset["raw_tables"][i] for i in (1, 2, 5)] == ["3", "67%", "1"]
    assert "block_on_rejection" in by_asset["raw_tables"][7]
