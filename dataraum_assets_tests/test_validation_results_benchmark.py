"""bench/validation_results_benchmark.py at a tiny size: the planted problems are found."""

import importlib.util
from pathlib import Path
from types import ModuleType

BENCHMARK_PATH = Path(__file__).resolve().parents[1] / "bench" / "validation_results_benchmark.py"


def _load() -> ModuleType:
    # bench/ is a folder of scripts, not a package: load the file by path.
    spec = importlib.util.spec_from_file_location("validation_bench", BENCHMARK_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_finds_the_planted_problems(tmp_path: Path) -> None:
    result = _load().measure(400, tmp_path)
    assert result["lines"] == 400
    assert result["failed"] == [
        "double_entry_balances:journal_lines",
        "foreign_key_orphan_rate:payments",
        "payment_not_before_invoice:payments",
        "trial_balance:journal_lines",
    ]
    assert result["counts"] == {"passed": 17, "failed": 4, "skipped": 0, "error": 0}
    assert len(result["per_check_seconds"]) == 13
