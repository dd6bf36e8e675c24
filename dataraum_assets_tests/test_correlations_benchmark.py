"""The correlations benchmark (bench/correlations_benchmark.py) at a tiny size: it builds its
table, runs the stage and reports, and the stage finds the relations built into the table."""

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARK_PATH = Path(__file__).resolve().parents[1] / "bench" / "correlations_benchmark.py"


def _load_benchmark() -> ModuleType:
    # bench/ is a folder of scripts, not a package: load the file by path.
    spec = importlib.util.spec_from_file_location("bench_correlations_benchmark", BENCHMARK_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    benchmark = _load_benchmark()
    timing = benchmark.run(3_000, tmp_path)
    assert timing.rows == timing.sample_size == 3_000  # below the sampling threshold
    assert set(timing.derived) == {
        "net_amount = quantity × unit_price",
        "total_amount = net_amount + tax_amount",
    }
    assert timing.scan_seconds > 0 and timing.correlations_seconds > 0
    assert benchmark.main(["--rows", "500"]) == 0
    assert capsys.readouterr().out.startswith("rows 500: DuckDB scan ")
