"""The README is a promise: its commands run and the paths it names exist."""

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb

from dataraum_assets_tests.pipeline import REPO_ROOT, per_source_warehouse_assets

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent


def test_ci_runs_the_readme_test_command() -> None:
    assert "./scripts/test" in README
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./scripts/test" in ci.splitlines()


def test_paths_named_in_the_readme_exist() -> None:
    named = set(re.findall(r"`((?:examples|docs|bench|scripts|dataraum_assets)[\w./-]*)`", README))
    named |= set(re.findall(r"\]\(((?:docs|bench)/[\w./-]+)\)", README))
    named.discard("dataraum_assets_tests/")
    assert {"examples/acme_books/", "docs/data-plane.md", "scripts/test"} <= named | {
        "scripts/test"
    }
    missing = sorted(path for path in named if not (REPO_ROOT / path).exists())
    assert missing == []


def test_demo_runs_the_pipeline_on_the_example_source(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "home"),
        "DATARAUM_DATA_DIR": str(tmp_path / "data"),
    }
    demo = subprocess.run(
        [str(REPO_ROOT / "scripts" / "demo")],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "dataraum-assets query acme_books" in demo.stdout
    # The documents the demo points at exist.
    context = tmp_path / "data" / "context" / "acme_books"
    assert f"{context}/" in demo.stdout
    assert {p.name for p in context.iterdir()} >= {
        "entropy_context.md",
        "entropy_context.json",
        "report.html",
    }
    warehouse = tmp_path / "data" / "warehouse" / "acme_books"
    # Every per-source asset of the code location leaves its DuckDB file, and nothing else
    # (no leftover temp files from the atomic swap).
    assert sorted(path.name for path in warehouse.iterdir()) == sorted(
        f"{name}.duckdb" for name in per_source_warehouse_assets()
    )
    con = duckdb.connect(str(warehouse / "typed_tables.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM typed.invoices").fetchall() == [(1455,)]

    # The query commands the demo prints and the README shows.
    listing = subprocess.run(
        [str(BIN / "dataraum-assets"), "query", "acme_books"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"typed_tables"."typed"."invoices"' in listing.stdout
    decisions = subprocess.run(
        [
            str(BIN / "dataraum-assets"),
            "query",
            "acme_books",
            "SELECT * FROM typed_tables.type_decisions",
            "--csv",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "payments,payment_date,payment_date,3,DATE,date" in decisions.stdout
