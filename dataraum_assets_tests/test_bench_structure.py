"""bench/structure.py at a tiny size: the generated star schema has the documented keys and the
script measures and judges what it says (shape and bookkeeping, not timing)."""

import csv
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "structure.py"
ROWS = 20_000


def _load() -> ModuleType:
    # bench/ is a folder of scripts, not a package: load the file by path.
    spec = importlib.util.spec_from_file_location("bench_structure", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_source_has_its_keys_and_orphans(tmp_path: Path) -> None:
    bench = _load()
    files = bench.generate_source(tmp_path, 2_500)
    assert [p.name for p in files] == [
        "customers.csv",
        "dates.csv",
        "products.csv",
        "promotions.csv",
        "sales.csv",
        "stores.csv",
    ]

    def column(name: str, header: str) -> list[str]:
        with (tmp_path / name).open(encoding="utf-8", newline="") as handle:
            return [row[header] for row in csv.DictReader(handle)]

    assert len(column("sales.csv", "sale_id")) == 2_500
    for child, parent in (("customer_id", "customers"), ("product_id", "products"),
                          ("store_id", "stores"), ("date_key", "dates")):  # fmt: skip
        assert set(column("sales.csv", child)) <= set(column(f"{parent}.csv", child)), child
    promos = [v for v in column("sales.csv", "promo_id") if v]
    orphans = set(promos) - set(column("promotions.csv", "promo_id"))
    assert orphans and all(int(v) > 500 for v in orphans)
    assert 0.5 < 1 - len(promos) / 2_500 < 0.7  # ~60% of sales have no promotion


def test_benchmark_runs_and_finds_the_keys(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bench = _load()
    assert bench.main(["--rows", str(ROWS), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"sales {ROWS:,} rows + 5 dimensions" in out
    assert "precision 1.00, recall 1.00" in out
    assert "ratio (structure / DuckDB read) = " in out
    assert "PASS" in out or "FAIL" in out
    result = bench.run_benchmark(ROWS, tmp_path)  # reuses the cached CSV files
    assert set(result["load_seconds"]) == {"raw_tables", "typed_tables", "statistical_profiles"}
    assert result["ratio"] == pytest.approx(
        sum(result["structure_seconds"].values()) / result["duckdb_read_seconds"]
    )
    assert result["passed"] == (result["ratio"] <= bench.TARGET_RATIO)
    assert not list(tmp_path.glob("structure-*"))  # work folders are removed
