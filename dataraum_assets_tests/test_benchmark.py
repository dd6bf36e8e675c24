"""The benchmark's data generator (bench/benchmark.py) at a tiny size: shape, not timing."""

import csv
import importlib.util
import re
from pathlib import Path
from types import ModuleType

BENCHMARK_PATH = Path(__file__).resolve().parents[1] / "bench" / "benchmark.py"
ROWS = 2_000


def _load_benchmark() -> ModuleType:
    # bench/ is a folder of scripts, not a package: load the file by path.
    spec = importlib.util.spec_from_file_location("bench_benchmark", BENCHMARK_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generate_csv_has_the_shapes_of_real_data(tmp_path: Path) -> None:
    benchmark = _load_benchmark()
    path = tmp_path / "orders.csv"
    benchmark.generate_csv(path, ROWS, chunk_rows=700)  # several chunks, the last one short

    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)
    assert tuple(header) == benchmark.CSV_HEADER
    assert len(rows) == ROWS
    assert all(len(row) == len(header) for row in rows)
    columns = {name: [row[i] for row in rows] for i, name in enumerate(header)}

    assert columns["order_id"] == [str(i) for i in range(1, ROWS + 1)]
    # Nulls are empty cells, a few percent in several columns, none in the key.
    for name in ("order_date", "status", "product_sku", "amount", "exchange_rate", "note"):
        null_share = columns[name].count("") / ROWS
        assert 0.005 < null_share < 0.1, (name, null_share)
    assert "" not in columns["order_id"]

    def all_match(name: str, pattern: str) -> bool:
        return all(re.fullmatch(pattern, value) for value in columns[name] if value)

    assert all_match("order_date", r"\d{4}-\d{2}-\d{2}")
    assert all_match("created_at", r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
    assert all_match("unit_price", r"\d+\.\d{2}")
    assert all_match("amount", r"-?\d+\.\d{2}")
    assert all_match("exchange_rate", r"\d+\.\d{10}")
    assert all_match("is_gift", r"true|false")
    # Fixed-point only: exponent notation (e.g. 1e4000000000) crashes pandas' C parser.
    exponent = re.compile(r"[+-]?\d+(\.\d+)?[eE][+-]?\d+")
    assert not any(exponent.fullmatch(value) for values in columns.values() for value in values)

    # Low- and high-cardinality categories and free text with characters that need quoting.
    assert set(columns["status"]) - {""} <= set(benchmark.STATUSES)
    assert len(set(columns["status"])) > 3
    assert len(set(columns["product_sku"])) > ROWS * 0.9
    notes = [value for value in columns["note"] if value]
    assert any("," in value for value in notes)
    assert any('"' in value for value in notes)
    assert any(not value.isascii() for value in notes)
