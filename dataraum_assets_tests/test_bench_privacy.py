"""bench/privacy.py at a tiny size: it generates the table, times both sides and finds the PII
columns it planted (shape, not timing)."""

import importlib.util
from pathlib import Path
from types import ModuleType

import duckdb

BENCH_PATH = Path(__file__).resolve().parents[1] / "bench" / "privacy.py"


def _load() -> ModuleType:
    # bench/ is a folder of scripts, not a package: load the file by path.
    spec = importlib.util.spec_from_file_location("bench_privacy", BENCH_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_privacy_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    bench = _load()
    read, pii, ratio, found = bench.run(500, 3.0, tmp_path)
    assert read > 0 and pii > 0 and ratio == pii / read
    # e-mail, phone, card, IBAN, IP, name, zip, SSN; the decoys (bad Luhn, bad IBAN) are not
    assert found == 8
    con = duckdb.connect(str(tmp_path / "typed_tables.duckdb"), read_only=True)
    [(rows, columns)] = con.execute(
        "SELECT count(*), (SELECT count(*) FROM duckdb_columns() WHERE table_name = 'people') "
        "FROM typed.people"
    ).fetchall()
    assert (rows, columns) == (500, 21)  # 20 text columns and _row
