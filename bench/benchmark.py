"""Benchmark: our pipeline against the reference tools, all measured in one run.

Usage (run by hand, not in CI)::

    .venv/bin/python bench/benchmark.py [--rows 10000000] [--out bench/out]
        [--only pyarrow,duckdb,ours,ydata] [--skip-ydata] [--keep-temp]

The script generates (and caches) a large CSV shaped like real data, then runs each tool in its
own subprocess so that wall time and peak RSS are that tool's alone:

- ``pyarrow``: a bare ``pyarrow.csv.read_csv`` of the file;
- ``duckdb``: ``CREATE TABLE t AS SELECT * FROM read_csv(file)`` + ``SUMMARIZE t`` on a
  persistent temporary database file;
- ``ours``: ``dagster asset materialize`` of raw_tables, typed_tables and statistical_profiles
  for one registered source, exactly as a user runs it (fresh ``DAGSTER_HOME`` and data dir);
- ``ydata``: ``pandas.read_csv`` + ``ProfileReport(df, minimal=True).to_json()``, in its own
  virtualenv (``bench/.venv-ydata``, created on first use from ``bench/requirements-ydata.txt``)
  because ydata-profiling does not support the pandas/numpy versions of the main venv.

It prints a table with wall seconds, peak RSS and ratios, checks the performance targets and
writes the results to ``<out>/results-<timestamp>.json``.

Top-level imports are standard library only, on purpose: the same file is the worker of every
tool's subprocess, and each worker must import only its own tool (so its time and RSS are its
own) and must run in the ydata venv, which has neither pyarrow nor duckdb.
"""

import argparse
import contextlib
import hashlib
import importlib
import json
import logging
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

logger = logging.getLogger("bench")

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
YDATA_VENV_DIR = BENCH_DIR / ".venv-ydata"
YDATA_REQUIREMENTS = BENCH_DIR / "requirements-ydata.txt"

# Bump whenever the generated data changes: the cached CSV is keyed by rows + this version.
GENERATOR_VERSION = 1
GENERATOR_SEED = 20_240_601
GENERATOR_CHUNK_ROWS = 500_000
CSV_HEADER: tuple[str, ...] = (
    "order_id",
    "customer_id",
    "order_date",
    "created_at",
    "status",
    "country",
    "product_sku",
    "quantity",
    "unit_price",
    "discount_rate",
    "amount",
    "exchange_rate",
    "is_gift",
    "note",
)

TOOLS: tuple[str, ...] = ("pyarrow", "duckdb", "ours", "ydata")
SOURCE_NAME = "bench"
MATERIALIZE_SELECTION = "raw_tables,typed_tables,statistical_profiles"

# The project's performance targets (spec §9: ratios against reference tools run alongside).
TARGET_OURS_VS_DUCKDB_MAX = 1.5
TARGET_YDATA_VS_OURS_MIN = 2.0
TARGET_OURS_PEAK_RSS_MB = 2048.0

TREE_SAMPLE_SECONDS = 0.1
# Share of physical RAM a tool may hold before it is killed. ydata-profiling minimal on the 10M
# row file held ~21 GB (it serializes full value counts of every high-cardinality column).
MEMORY_CAP_SHARE = 0.75
LOG_TAIL_LINES = 40


# --------------------------------------------------------------------------------------------
# Data generator
# --------------------------------------------------------------------------------------------

STATUSES = ("completed", "shipped", "pending", "cancelled", "returned", "on_hold")
STATUS_WEIGHTS = (0.55, 0.2, 0.1, 0.07, 0.05, 0.03)
_COUNTRIES = (
    "DE",
    "US",
    "GB",
    "FR",
    "NL",
    "IT",
    "ES",
    "PL",
    "SE",
    "AT",
    "CH",
    "BE",
    "DK",
    "NO",
    "FI",
    "IE",
    "PT",
    "CZ",
    "HU",
    "RO",
    "GR",
    "BG",
    "HR",
    "SK",
    "SI",
    "LT",
    "LV",
    "EE",
    "LU",
    "MT",
    "CY",
    "IS",
    "CA",
    "MX",
    "BR",
    "AR",
    "JP",
    "KR",
    "AU",
    "NZ",
)
# Words for the free-text notes: commas, semicolons, quotes and non-ASCII on purpose.
_NOTE_WORDS = (
    "please",
    "deliver",
    "before",
    "noon,",
    "ring",
    "twice;",
    "leave",
    "at",
    "the",
    "door",
    "with",
    "neighbour",
    "gift",
    "wrap",
    "requested",
    '"urgent"',
    "fragile",
    "handle",
    "care",
    "call",
    "customer",
    "first",
    "invoice",
    "to",
    "head",
    "office",
    "address",
    "changed",
    "café",
    "Müller",
    "straße",
    "naïve",
    "señor",
    "backorder",
    "partial",
    "shipment",
    "refund",
    "pending",
    "damaged",
    "box",
    "replaced",
    "item",
    "prefers",
    "email",
    "contact,",
    "not",
    "phone;",
    "VIP",
    "account",
    "net",
    "30",
    "terms",
    "discount",
    "approved",
    "by",
    "sales",
    "manager",
    "duplicate",
    "order?",
    "check",
    "stock",
    "level",
    "express",
    "shipping",
    "upgrade",
    "weekend",
    "delivery",
    "50%",
    "prepaid",
    "remainder",
    "on",
)
_SKU_POOL_SIZE = 250_000
_NOTE_POOL_SIZE = 50_000
_EPOCH_2015 = 1_420_070_400  # 2015-01-01T00:00:00Z
_TEN_YEARS_SECONDS = 315_532_800


@dataclass(frozen=True)
class _GeneratorPools:
    skus: "pa.Array"
    notes: "pa.Array"
    countries: "pa.Array"
    statuses: "pa.Array"
    country_weights: "np.ndarray"


def _build_pools() -> _GeneratorPools:
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng([GENERATOR_SEED, 0])
    skus = pa.array([f"SKU-{i:07d}" for i in rng.permutation(_SKU_POOL_SIZE * 4)[:_SKU_POOL_SIZE]])
    word_count = rng.integers(1, 5, size=_NOTE_POOL_SIZE)
    word_index = rng.integers(0, len(_NOTE_WORDS), size=int(word_count.sum()))
    notes: list[str] = []
    position = 0
    for count in word_count.tolist():
        notes.append(" ".join(_NOTE_WORDS[i] for i in word_index[position : position + count]))
        position += count
    # Zipf-like: a few countries dominate, like real customer bases.
    ranks = np.arange(1, len(_COUNTRIES) + 1, dtype=np.float64)
    country_weights = (1.0 / ranks) / (1.0 / ranks).sum()
    return _GeneratorPools(
        skus=skus,
        notes=pa.array(notes),
        countries=pa.array(_COUNTRIES),
        statuses=pa.array(STATUSES),
        country_weights=country_weights,
    )


def _decimal_array(
    unscaled: "np.ndarray", precision: int, scale: int, null_mask: "np.ndarray"
) -> "pa.Array":
    """A decimal128 array from int64 unscaled values, built without per-value Python work."""
    import numpy as np
    import pyarrow as pa

    # decimal128 is a little-endian 128-bit integer: low word, then the sign-extended high word.
    words = np.empty((len(unscaled), 2), dtype=np.int64)
    words[:, 0] = unscaled
    words[:, 1] = unscaled >> 63
    validity = pa.array(~null_mask).buffers()[1]
    return pa.Array.from_buffers(
        pa.decimal128(precision, scale),
        len(unscaled),
        [validity, pa.py_buffer(words)],
        null_count=int(null_mask.sum()),
    )


def _generate_chunk(pools: _GeneratorPools, chunk_index: int, start: int, rows: int) -> "pa.Table":
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng([GENERATOR_SEED, 1, chunk_index])

    def nulls(share: float) -> np.ndarray:
        return rng.random(rows) < share

    created_at = _EPOCH_2015 + rng.integers(0, _TEN_YEARS_SECONDS, size=rows)
    order_date = (created_at // 86_400).astype(np.int32)
    quantity = np.minimum(rng.geometric(0.35, size=rows), 50).astype(np.int64)
    price_cents = np.maximum(np.rint(rng.lognormal(3.0, 1.0, size=rows) * 100), 1).astype(np.int64)
    discount_permille = rng.choice(np.array([0, 0, 0, 50, 100, 150, 200, 250]), size=rows)
    amount_cents = quantity * price_cents * (1000 - discount_permille) // 1000
    amount_cents = np.where(rng.random(rows) < 0.01, -amount_cents, amount_cents)
    exchange_unscaled = np.rint(np.exp(rng.normal(0.0, 0.8, size=rows)) * 1e10).astype(np.int64)
    status_index = rng.choice(len(STATUSES), size=rows, p=np.array(STATUS_WEIGHTS))
    country_index = rng.choice(len(_COUNTRIES), size=rows, p=pools.country_weights)
    sku_index = rng.integers(0, _SKU_POOL_SIZE, size=rows)
    note_index = rng.integers(0, _NOTE_POOL_SIZE, size=rows)

    columns: list[pa.Array] = [
        pa.array(np.arange(start + 1, start + rows + 1, dtype=np.int64)),
        pa.array(rng.integers(1, 2_000_000, size=rows, dtype=np.int64)),
        pa.array(order_date, type=pa.date32(), mask=nulls(0.02)),
        pa.array(created_at, type=pa.timestamp("s")),
        pc.take(pools.statuses, pa.array(status_index, mask=nulls(0.03))),
        pc.take(pools.countries, pa.array(country_index)),
        pc.take(pools.skus, pa.array(sku_index, mask=nulls(0.02))),
        pa.array(quantity),
        _decimal_array(price_cents, 12, 2, np.zeros(rows, dtype=bool)),
        _decimal_array(discount_permille.astype(np.int64), 4, 3, np.zeros(rows, dtype=bool)),
        _decimal_array(amount_cents, 14, 2, nulls(0.04)),
        _decimal_array(exchange_unscaled, 20, 10, nulls(0.05)),
        pa.array(rng.random(rows) < 0.1, mask=nulls(0.03)),
        pc.take(pools.notes, pa.array(note_index, mask=nulls(0.05))),
    ]
    return pa.Table.from_arrays(columns, names=list(CSV_HEADER))


def generate_csv(path: Path, rows: int, chunk_rows: int = GENERATOR_CHUNK_ROWS) -> None:
    """Write ``rows`` rows of realistic order data to ``path`` (same rows and chunking: same file).

    Columns: integer ids, ISO dates and timestamps, low- and high-cardinality categories,
    integers, money amounts and decimals with up to 10 fractional digits (always fixed-point,
    never exponent notation), booleans and free text with commas, quotes and non-ASCII
    characters; 2-5% empty cells in several columns.
    """
    import pyarrow.csv as pa_csv

    pools = _build_pools()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    schema = _generate_chunk(pools, 0, 0, 0).schema
    with pa_csv.CSVWriter(str(partial), schema) as writer:
        for chunk_index, start in enumerate(range(0, rows, chunk_rows)):
            writer.write_table(
                _generate_chunk(pools, chunk_index, start, min(chunk_rows, rows - start))
            )
    os.replace(partial, path)


def cached_csv_path(out_dir: Path, rows: int) -> Path:
    """Where the generated CSV for ``rows`` rows is cached (keyed by rows and generator)."""
    return out_dir / "data" / f"orders-{rows}-g{GENERATOR_VERSION}.csv"


def cached_csv(out_dir: Path, rows: int) -> Path:
    """The generated CSV for ``rows`` rows, generating it only if it is not cached yet.

    Generation runs in a subprocess so that this process never loads numpy or pyarrow: a child
    started with vfork inherits its parent's peak RSS into its own ``ru_maxrss``, so a fat
    parent would inflate every tool's measured peak.
    """
    path = cached_csv_path(out_dir, rows)
    if path.exists():
        logger.info("using cached %s", path)
        return path
    logger.info("generating %s rows into %s", f"{rows:,}", path)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "_generate", str(path), str(rows)],
        check=True,
    )
    logger.info(
        "generated %.0f MB in %.1f s",
        path.stat().st_size / 1e6,
        time.perf_counter() - started,
    )
    return path


# --------------------------------------------------------------------------------------------
# Workers: each runs inside its own subprocess and prints one JSON line to stdout.
# --------------------------------------------------------------------------------------------


def _worker_pyarrow(csv_path: Path, _workdir: Path) -> dict[str, Any]:
    import pyarrow.csv as pa_csv

    started = time.perf_counter()
    table = pa_csv.read_csv(str(csv_path))
    return {"rows": table.num_rows, "read_seconds": time.perf_counter() - started}


def _worker_duckdb(csv_path: Path, workdir: Path) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect(str(workdir / "bench.duckdb"))
    started = time.perf_counter()
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(csv_path)])
    loaded = time.perf_counter()
    summary = con.execute("SUMMARIZE t").fetchall()
    summarized = time.perf_counter()
    count_row = con.execute("SELECT count(*) FROM t").fetchone()
    con.close()
    return {
        "rows": count_row[0] if count_row else None,
        "columns": len(summary),
        "read_seconds": loaded - started,
        "summarize_seconds": summarized - loaded,
    }


def _worker_ydata(csv_path: Path, _workdir: Path) -> dict[str, Any]:
    import pandas as pd

    # Imported by name: ydata-profiling lives only in the ydata venv, not in the main one.
    ydata_profiling = importlib.import_module("ydata_profiling")
    started = time.perf_counter()
    frame = pd.read_csv(csv_path)
    loaded = time.perf_counter()
    report = ydata_profiling.ProfileReport(frame, minimal=True, progress_bar=False)
    # to_json() computes the description first; timing it apart shows how much of ydata's time
    # goes to serializing full value counts of high-cardinality columns.
    report.get_description()
    described = time.perf_counter()
    document = report.to_json()
    serialized = time.perf_counter()
    return {
        "rows": len(frame),
        "read_seconds": loaded - started,
        "describe_seconds": described - loaded,
        "to_json_seconds": serialized - described,
        "json_chars": len(document),
        "ydata_profiling_version": ydata_profiling.__version__,
        "pandas_version": pd.__version__,
    }


_WORKERS = {"pyarrow": _worker_pyarrow, "duckdb": _worker_duckdb, "ydata": _worker_ydata}


# --------------------------------------------------------------------------------------------
# Measuring a subprocess
# --------------------------------------------------------------------------------------------


@dataclass
class Measurement:
    """One tool's run: wall time and memory of its subprocess (and that process's children)."""

    tool: str
    status: str  # "ok", "failed", "killed" (above the memory cap) or "skipped"
    wall_seconds: float | None = None
    # ru_maxrss from wait4: the largest single process of the tree (the child or any of its
    # reaped descendants), exact.
    peak_rss_mb: float | None = None
    # Sum of the RSS of the whole process tree, sampled every TREE_SAMPLE_SECONDS: what the
    # machine actually had to hold when several processes run at once (shared pages counted
    # once per process, so an upper bound).
    tree_rss_mb: float | None = None
    exit_code: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def rss_for_target_mb(self) -> float | None:
        values = [v for v in (self.peak_rss_mb, self.tree_rss_mb) if v is not None]
        return max(values) if values else None


class _TreeRssSampler(threading.Thread):
    """Samples the summed RSS of a process and all its descendants until stopped.

    With a cap, kills the process group once the tree holds more than ``cap_bytes``.
    """

    def __init__(self, pid: int, cap_bytes: int | None) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.cap_bytes = cap_bytes
        self.peak_bytes = 0
        self.available = True
        self.capped = False
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def run(self) -> None:
        try:
            import psutil
        except ImportError:
            self.available = False
            return
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop_event.is_set():
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.Error:
                return
            total = 0
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue
            self.peak_bytes = max(self.peak_bytes, total)
            if self.cap_bytes is not None and total > self.cap_bytes:
                self.capped = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                return
            self._stop_event.wait(TREE_SAMPLE_SECONDS)


def _log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def run_measured(
    tool: str,
    command: Sequence[str],
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    memory_cap_mb: float | None = None,
) -> Measurement:
    """Run ``command`` to completion; wall time, ru_maxrss (wait4) and sampled tree RSS.

    stdout and stderr go to ``log_path`` (a file, so a chatty child can never block on a full
    pipe while we wait for it). A tree that grows past ``memory_cap_mb`` is killed: the
    benchmark shares its machine, and an OOM would hit whatever else runs there.
    """
    logger.info("running %s: %s", tool, " ".join(command))
    cap_bytes = int(memory_cap_mb * 2**20) if memory_cap_mb else None
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,  # its own process group, so the cap can kill the whole tree
        )
        sampler = _TreeRssSampler(process.pid, cap_bytes)
        sampler.start()
        _, wait_status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        sampler.stop()
    exit_code = os.waitstatus_to_exitcode(wait_status)
    process.returncode = exit_code  # reaped by wait4: tell Popen so it never waits again
    measurement = Measurement(
        tool=tool,
        status="ok" if exit_code == 0 else "failed",
        wall_seconds=wall,
        peak_rss_mb=usage.ru_maxrss / 1024,  # Linux reports kilobytes
        tree_rss_mb=sampler.peak_bytes / 2**20 if sampler.available else None,
        exit_code=exit_code,
    )
    if sampler.capped:
        measurement.status = "killed"
        measurement.note = f"killed above the memory cap of {memory_cap_mb:.0f} MB"
    elif exit_code != 0:
        measurement.note = f"exit code {exit_code}; log: {log_path}"
        sys.stderr.write(f"--- {tool} failed (exit code {exit_code}); last lines of its output:\n")
        sys.stderr.write(_log_tail(log_path) + "\n---\n")
    return measurement


def _read_worker_result(measurement: Measurement, log_path: Path) -> None:
    for line in reversed(log_path.read_text(encoding="utf-8", errors="replace").splitlines()):
        if line.startswith("{"):
            try:
                measurement.detail = json.loads(line)
            except json.JSONDecodeError:
                continue
            return


# --------------------------------------------------------------------------------------------
# The tools
# --------------------------------------------------------------------------------------------


def _measure_worker(
    tool: str, python: Path, csv_path: Path, workdir: Path, memory_cap_mb: float | None
) -> Measurement:
    log_path = workdir / f"{tool}.log"
    command = [str(python), str(Path(__file__).resolve()), "_worker", tool, str(csv_path)]
    command += ["--workdir", str(workdir)]
    measurement = run_measured(tool, command, log_path, memory_cap_mb=memory_cap_mb)
    _read_worker_result(measurement, log_path)
    return measurement


def _ensure_ydata_venv() -> Path:
    """The ydata venv's python, creating or updating the venv from the pinned requirements."""
    python = YDATA_VENV_DIR / "bin" / "python"
    wanted = hashlib.sha256(YDATA_REQUIREMENTS.read_bytes()).hexdigest()
    stamp = YDATA_VENV_DIR / "requirements.sha256"
    if python.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return python
    if not python.exists():
        logger.info("creating %s", YDATA_VENV_DIR)
        subprocess.run([sys.executable, "-m", "venv", str(YDATA_VENV_DIR)], check=True)
    logger.info("installing %s into %s", YDATA_REQUIREMENTS.name, YDATA_VENV_DIR)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-r", str(YDATA_REQUIREMENTS)],
        check=True,
    )
    stamp.write_text(wanted + "\n")
    return python


def _measure_ours(csv_path: Path, workdir: Path, memory_cap_mb: float | None) -> Measurement:
    bin_dir = Path(sys.executable).parent
    register_cli = bin_dir / "dataraum-assets"
    dagster_cli = bin_dir / "dagster"
    if not register_cli.exists() or not dagster_cli.exists():
        return Measurement("ours", "skipped", note=f"{register_cli} or {dagster_cli} missing")
    home = workdir / "home"
    data_dir = workdir / "data"
    source_dir = workdir / "src"
    for directory in (home, data_dir, source_dir):
        directory.mkdir(parents=True)
    # A hard link, not a symlink: the source folder must really contain its files (the pipeline
    # refuses paths that resolve outside the folder). Same filesystem: workdir is in out_dir.
    os.link(csv_path, source_dir / "orders.csv")
    env = {**os.environ, "DAGSTER_HOME": str(home), "DATARAUM_DATA_DIR": str(data_dir)}

    register_log = workdir / "register.log"
    register = run_measured(
        "ours-register",
        [str(register_cli), "register", str(source_dir), "--name", SOURCE_NAME],
        register_log,
        env=env,
        cwd=REPO_DIR,
    )
    if register.status != "ok":
        return Measurement("ours", "failed", note=f"register failed: {register.note}")

    command = [str(dagster_cli), "asset", "materialize", "-m", "dataraum_assets.definitions"]
    command += ["--select", MATERIALIZE_SELECTION, "--partition", SOURCE_NAME]
    measurement = run_measured(
        "ours",
        command,
        workdir / "materialize.log",
        env=env,
        cwd=REPO_DIR,
        memory_cap_mb=memory_cap_mb,
    )
    measurement.detail = {"register_seconds": register.wall_seconds}
    return measurement


def measure_tool(
    tool: str, csv_path: Path, out_dir: Path, keep_temp: bool, memory_cap_mb: float | None
) -> Measurement:
    """Measure one tool on ``csv_path`` in a fresh temporary directory under ``out_dir``."""
    workdir = Path(tempfile.mkdtemp(prefix=f"run-{tool}-", dir=out_dir))
    try:
        if tool == "ours":
            return _measure_ours(csv_path, workdir, memory_cap_mb)
        python = _ensure_ydata_venv() if tool == "ydata" else Path(sys.executable)
        return _measure_worker(tool, python, csv_path, workdir, memory_cap_mb)
    finally:
        if keep_temp:
            logger.info("kept %s", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _warm_page_cache(path: Path) -> None:
    """Read the file once so that no tool pays for the first, cold read from disk."""
    with path.open("rb") as handle:
        while handle.read(16 * 2**20):
            pass


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetResult:
    name: str
    value: float | None
    limit: str
    passed: bool | None  # None: not measured in this run


def _speed_up_passed(speed_up: float | None, lower_bound: bool) -> bool | None:
    if speed_up is None:
        return None
    if speed_up >= TARGET_YDATA_VS_OURS_MIN:
        return True
    return None if lower_bound else False  # a lower bound below the target proves nothing


def evaluate_targets(results: Mapping[str, Measurement]) -> list[TargetResult]:
    """The three performance targets, evaluated on whatever this run measured."""

    def wall(tool: str, killed_is_lower_bound: bool = False) -> float | None:
        measurement = results.get(tool)
        accepted = ("ok", "killed") if killed_is_lower_bound else ("ok",)
        if measurement is None or measurement.status not in accepted:
            return None
        return measurement.wall_seconds

    ours, duckdb_wall = wall("ours"), wall("duckdb")
    # A reference killed above the memory cap ran at least this long: its speed-up is a lower
    # bound, still enough to pass the target.
    ydata_wall = wall("ydata", killed_is_lower_bound=True)
    ydata_killed = "ydata" in results and results["ydata"].status == "killed"
    vs_duckdb = ours / duckdb_wall if ours and duckdb_wall else None
    vs_ydata = ydata_wall / ours if ours and ydata_wall else None
    ours_measurement = results.get("ours")
    rss = (
        ours_measurement.rss_for_target_mb
        if ours_measurement and ours_measurement.status == "ok"
        else None
    )
    return [
        TargetResult(
            "ours wall / DuckDB read+SUMMARIZE wall",
            vs_duckdb,
            f"<= {TARGET_OURS_VS_DUCKDB_MAX}",
            None if vs_duckdb is None else vs_duckdb <= TARGET_OURS_VS_DUCKDB_MAX,
        ),
        TargetResult(
            "ydata minimal wall / ours wall (speed-up)"
            + (" (ydata killed above the memory cap: a lower bound)" if ydata_killed else ""),
            vs_ydata,
            f">= {TARGET_YDATA_VS_OURS_MIN}",
            _speed_up_passed(vs_ydata, lower_bound=ydata_killed),
        ),
        TargetResult(
            "ours peak RSS MB (max of ru_maxrss, tree RSS)",
            rss,
            f"<= {TARGET_OURS_PEAK_RSS_MB:.0f}",
            None if rss is None else rss <= TARGET_OURS_PEAK_RSS_MB,
        ),
    ]


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_report(
    results: Mapping[str, Measurement], targets: Sequence[TargetResult], csv_info: str
) -> str:
    """The human-readable table of measurements and targets."""
    ours = results.get("ours")
    ours_ok = ours is not None and ours.status == "ok"
    header = (
        f"{'tool':<10} {'status':<8} {'wall s':>8} {'peak RSS MB':>12} {'tree RSS MB':>12} "
        f"{'ours/this wall':>15} {'ours/this RSS':>14}"
    )
    lines = [csv_info, "", header, "-" * len(header)]
    for measurement in results.values():
        wall_ratio = rss_ratio = None
        if ours_ok and ours is not None and measurement.status == "ok":
            if ours.wall_seconds and measurement.wall_seconds:
                wall_ratio = ours.wall_seconds / measurement.wall_seconds
            if ours.peak_rss_mb and measurement.peak_rss_mb:
                rss_ratio = ours.peak_rss_mb / measurement.peak_rss_mb
        lines.append(
            f"{measurement.tool:<10} {measurement.status:<8} "
            f"{_fmt(measurement.wall_seconds):>8} {_fmt(measurement.peak_rss_mb, 0):>12} "
            f"{_fmt(measurement.tree_rss_mb, 0):>12} {_fmt(wall_ratio, 2):>15} "
            f"{_fmt(rss_ratio, 2):>14}" + (f"  ({measurement.note})" if measurement.note else "")
        )
    lines += ["", "targets:"]
    for target in targets:
        verdict = "n/a" if target.passed is None else ("PASS" if target.passed else "FAIL")
        lines.append(f"  {verdict:<5} {target.name}: {_fmt(target.value, 2)} ({target.limit})")
    return "\n".join(lines) + "\n"


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for distribution in ("numpy", "pandas", "pyarrow", "duckdb", "dagster", "dataraum_assets"):
        try:
            versions[distribution] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _default_memory_cap_mb() -> float:
    physical_bytes = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return round(physical_bytes * MEMORY_CAP_SHARE / 2**20)


def _select_tools(only: str | None, skip_ydata: bool) -> list[str]:
    tools = list(TOOLS)
    if only:
        wanted = [name.strip() for name in only.split(",") if name.strip()]
        unknown = sorted(set(wanted) - set(TOOLS))
        if unknown:
            raise SystemExit(f"unknown tool(s) {unknown}; choose from {', '.join(TOOLS)}")
        tools = [tool for tool in TOOLS if tool in wanted]
    if skip_ydata:
        tools = [tool for tool in tools if tool != "ydata"]
    return tools


def run_benchmark(
    rows: int,
    out_dir: Path,
    tools: Sequence[str],
    keep_temp: bool = False,
    memory_cap_mb: float | None = None,
) -> int:
    """Generate (or reuse) the CSV, measure ``tools`` one after another, report; exit code."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = cached_csv(out_dir, rows)
    csv_bytes = csv_path.stat().st_size
    _warm_page_cache(csv_path)
    results: dict[str, Measurement] = {}
    # One tool after another, never in parallel: each gets the whole machine.
    for tool in tools:
        results[tool] = measure_tool(tool, csv_path, out_dir, keep_temp, memory_cap_mb)
    targets = evaluate_targets(results)
    csv_info = f"input: {csv_path.name}, {rows:,} rows, {csv_bytes / 1e6:.0f} MB"
    sys.stdout.write(format_report(results, targets, csv_info))

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results_path = out_dir / f"results-{stamp}.json"
    document = {
        "timestamp": stamp,
        "rows": rows,
        "csv": {"path": str(csv_path), "bytes": csv_bytes, "generator": GENERATOR_VERSION},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "versions": _versions(),
        "results": {tool: asdict(measurement) for tool, measurement in results.items()},
        "targets": [asdict(target) for target in targets],
    }
    results_path.write_text(json.dumps(document, indent=2) + "\n")
    sys.stdout.write(f"results written to {results_path}\n")
    return 1 if any(m.status == "failed" for m in results.values()) else 0


def _worker_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="benchmark.py _worker")
    parser.add_argument("tool", choices=sorted(_WORKERS))
    parser.add_argument("csv", type=Path)
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args(argv)
    result = _WORKERS[args.tool](args.csv, args.workdir)
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_worker"]:
        return _worker_main(argv[1:])
    if argv[:1] == ["_generate"]:
        generate_csv(Path(argv[1]), int(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of generated CSV")
    parser.add_argument(
        "--out", type=Path, default=BENCH_DIR / "out", help="cache and results folder"
    )
    parser.add_argument("--only", help=f"comma list of tools to run, from {','.join(TOOLS)}")
    parser.add_argument("--skip-ydata", action="store_true", help="do not run ydata-profiling")
    parser.add_argument(
        "--keep-temp", action="store_true", help="keep each tool's temporary folder and log"
    )
    parser.add_argument(
        "--memory-cap-mb",
        type=float,
        default=_default_memory_cap_mb(),
        help="kill a tool whose processes hold more than this (default: 75%% of RAM; 0: no cap)",
    )
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be positive")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    tools = _select_tools(args.only, args.skip_ydata)
    memory_cap_mb = args.memory_cap_mb if args.memory_cap_mb > 0 else None
    return run_benchmark(args.rows, args.out.resolve(), tools, args.keep_temp, memory_cap_mb)


if __name__ == "__main__":
    sys.exit(main())
