"""Benchmark: relationships (+ correlations) on a star schema against DuckDB reading it once.

Usage (run by hand, not in CI)::

    .venv/bin/python bench/structure.py [--rows 10000000] [--out bench/out] [--keep]

Generates (and caches) a source shaped like a retail star schema: a fact table ``sales`` with
``--rows`` rows (five foreign keys: customer_id, product_id, store_id, date_key, promo_id with
~5% orphans and ~60% nulls; measures quantity 1..20, unit_price, discount, amount) and five
dimensions (customers, products, stores, dates keyed by the sparse integer yyyymmdd, promotions),
whose small integer ids overlap each other and the quantities on purpose.

Then, in one process and one run:

1. loads it with the project's own analysis functions (``ingest_files``,
   ``build_typed_tables``, ``build_statistical_profiles``), each into its own DuckDB file as the
   assets do; reported, not part of the target;
2. times ``build_relationships`` and, when the module exists, ``build_correlations``;
3. times DuckDB reading every CSV file once (``CREATE TABLE AS SELECT * FROM read_csv(...)``
   into a fresh database file; ``count(*)`` over ``read_csv`` is reported too).

Target (issue 4): relationships + correlations ≤ 3 × the DuckDB read. Prints PASS/FAIL and the
precision/recall of the accepted relationships against the five generated foreign keys.
"""

import argparse
import importlib
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

BENCH_DIR = Path(__file__).resolve().parent
GENERATOR_VERSION = 1
SEED = 20_250_401
CHUNK_ROWS = 1_000_000
TARGET_RATIO = 3.0
# (child table, child column, parent table, parent column): the generated foreign keys.
EXPECTED_KEYS = {
    ("sales", ("customer_id",), "customers", ("customer_id",)),
    ("sales", ("product_id",), "products", ("product_id",)),
    ("sales", ("store_id",), "stores", ("store_id",)),
    ("sales", ("date_key",), "dates", ("date_key",)),
    ("sales", ("promo_id",), "promotions", ("promo_id",)),
}
_SEGMENTS = np.array(["consumer", "corporate", "small_business", "public"])
_COUNTRIES = np.array(["DE", "US", "GB", "FR", "NL", "IT", "ES", "PL", "SE", "AT"])
_CATEGORIES = np.array(["books", "toys", "garden", "kitchen", "sports", "music", "office"])
_REGIONS = np.array(["north", "south", "east", "west", "central"])


@dataclass(frozen=True)
class Sizes:
    customers: int
    products: int
    stores: int
    promotions: int

    @classmethod
    def for_rows(cls, rows: int) -> "Sizes":
        return cls(
            customers=max(500, rows // 100),
            products=max(200, rows // 1000),
            stores=200,
            promotions=500,
        )


def _write(path: Path, table: pa.Table) -> None:
    pacsv.write_csv(table, path)


def generate_source(folder: Path, rows: int) -> list[Path]:
    """Write the six CSV files into ``folder`` (deterministic for ``rows``); returns them."""
    folder.mkdir(parents=True, exist_ok=True)
    sizes = Sizes.for_rows(rows)
    rng = np.random.default_rng([SEED, rows])
    customer_ids = np.arange(1, sizes.customers + 1)
    _write(
        folder / "customers.csv",
        pa.table(
            {
                "customer_id": customer_ids,
                "customer_code": pa.array([f"C-{i:08d}" for i in customer_ids]),
                "segment": _SEGMENTS[rng.integers(0, len(_SEGMENTS), sizes.customers)],
                "country": _COUNTRIES[rng.integers(0, len(_COUNTRIES), sizes.customers)],
                "signup_year": rng.integers(2000, 2025, sizes.customers),
            }
        ),
    )
    product_ids = np.arange(1, sizes.products + 1)
    _write(
        folder / "products.csv",
        pa.table(
            {
                "product_id": product_ids,
                "sku": pa.array([f"SKU-{i:07d}" for i in product_ids]),
                "category": _CATEGORIES[rng.integers(0, len(_CATEGORIES), sizes.products)],
                "list_price": np.round(rng.lognormal(3, 0.8, sizes.products), 2),
                "launch_year": rng.integers(2010, 2025, sizes.products),
            }
        ),
    )
    store_ids = np.arange(1, sizes.stores + 1)
    _write(
        folder / "stores.csv",
        pa.table(
            {
                "store_id": store_ids,
                "store_name": pa.array([f"Store {i}" for i in store_ids]),
                "region": _REGIONS[rng.integers(0, len(_REGIONS), sizes.stores)],
                "opened_year": rng.integers(1990, 2024, sizes.stores),
                "staff_count": rng.integers(3, 61, sizes.stores),
            }
        ),
    )
    days = np.arange(np.datetime64("2020-01-01"), np.datetime64("2025-01-01"))
    years = days.astype("datetime64[Y]").astype(int) + 1970
    months = days.astype("datetime64[M]").astype(int) % 12 + 1
    day_of_month = (days - days.astype("datetime64[M]")).astype(int) + 1
    date_keys = years * 10000 + months * 100 + day_of_month
    _write(
        folder / "dates.csv",
        pa.table(
            {
                "date_key": date_keys,
                "calendar_date": pa.array(days.astype("datetime64[D]")),
                "year": years,
                "month": months,
                "day_of_week": (days.astype(int) + 3) % 7 + 1,
            }
        ),
    )
    promo_ids = np.arange(1, sizes.promotions + 1)
    _write(
        folder / "promotions.csv",
        pa.table(
            {
                "promo_id": promo_ids,
                "promo_name": pa.array([f"Promo {i}" for i in promo_ids]),
                "discount_pct": rng.integers(5, 51, sizes.promotions),
            }
        ),
    )
    chunks = (
        _fact_chunk(rng, start, min(CHUNK_ROWS, rows - start), sizes, date_keys)
        for start in range(0, rows, CHUNK_ROWS)
    )
    first = next(chunks)
    with pacsv.CSVWriter(folder / "sales.csv", first.schema) as writer:
        writer.write_table(first)
        for chunk in chunks:
            writer.write_table(chunk)
    return sorted(folder.glob("*.csv"))


def _fact_chunk(
    rng: np.random.Generator, start: int, n: int, sizes: Sizes, date_keys: np.ndarray
) -> pa.Table:
    # Zipf-like customers and products: a few are very active, like real sales.
    customers = np.minimum(rng.zipf(1.3, n), sizes.customers)
    products = rng.integers(1, sizes.products + 1, n)
    promo = rng.integers(1, sizes.promotions + 26, n)  # 501..525: orphans (~5% of promo rows)
    promo_null = rng.random(n) < 0.6
    quantity = rng.integers(1, 21, n)
    price = np.round(rng.lognormal(3, 0.8, n), 2)
    discount = np.round(rng.choice([0.0, 0.05, 0.1, 0.2], n), 2)
    return pa.table(
        {
            "sale_id": np.arange(start + 1, start + n + 1),
            "customer_id": customers,
            "product_id": products,
            "store_id": rng.integers(1, sizes.stores + 1, n),
            "date_key": date_keys[rng.integers(0, len(date_keys), n)],
            "promo_id": pa.array(promo, mask=promo_null),
            "quantity": quantity,
            "unit_price": price,
            "discount": discount,
            "amount": np.round(quantity * price * (1 - discount), 2),
        }
    )


def _connect(path: Path, temp_dir: Path, memory_limit: str) -> duckdb.DuckDBPyConnection:
    # The warehouse resource's settings (dataraum_assets/resources.py).
    return duckdb.connect(
        str(path),
        config={
            "memory_limit": memory_limit,
            "temp_directory": str(temp_dir),
            "preserve_insertion_order": False,
        },
    )


def _timed(step: Callable[[], Any]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def _stage(
    work: Path,
    name: str,
    reads: list[str],
    memory_limit: str,
    run: Callable[[duckdb.DuckDBPyConnection], Any],
) -> float:
    """Run one stage into ``<work>/<name>.duckdb`` with its upstreams attached read-only, as
    WarehouseResource.write does; returns its wall seconds (attach and checkpoint included)."""

    def step() -> None:
        con = _connect(work / f"{name}.duckdb", work / "tmp", memory_limit)
        try:
            for upstream in reads:
                path = str(work / f"{upstream}.duckdb")
                con.execute(f"ATTACH '{path}' AS {upstream} (READ_ONLY)")
            run(con)
            con.execute("CHECKPOINT")
        finally:
            con.close()

    return _timed(step)


def run_benchmark(rows: int, out: Path, memory_limit: str = "1GB", keep: bool = False) -> dict:
    """Generate (or reuse) the source, load it, time the structure stages and the DuckDB read.
    Returns every measurement."""
    from dataraum_assets.analysis.raw_tables import RawTablesOptions, ingest_files
    from dataraum_assets.analysis.relationships import build_relationships
    from dataraum_assets.analysis.statistical_profiles import build_statistical_profiles
    from dataraum_assets.analysis.typed_tables import build_typed_tables
    from dataraum_assets.sources import list_source_files

    data = out / "data" / f"structure-{rows}-g{GENERATOR_VERSION}"
    if not (data / "sales.csv").exists():
        shutil.rmtree(data, ignore_errors=True)
        generate_source(data, rows)
    files = sorted(data.glob("*.csv"))
    result: dict[str, Any] = {
        "rows": rows,
        "csv_bytes": sum(p.stat().st_size for p in files),
        "files": len(files),
    }
    work = Path(tempfile.mkdtemp(prefix="structure-", dir=out))
    (work / "tmp").mkdir()
    try:
        listing = list_source_files(data)
        raw_options = RawTablesOptions(temp_dir=work / "tmp")
        load = {
            "raw_tables": _stage(
                work,
                "raw_tables",
                [],
                memory_limit,
                lambda con: ingest_files(con, listing.files, raw_options),
            ),
            "typed_tables": _stage(
                work, "typed_tables", ["raw_tables"], memory_limit, build_typed_tables
            ),
            "statistical_profiles": _stage(
                work,
                "statistical_profiles",
                ["typed_tables"],
                memory_limit,
                build_statistical_profiles,
            ),
        }
        result["load_seconds"] = load
        found: set = set()

        def relationships(con: duckdb.DuckDBPyConnection) -> None:
            records = build_relationships(con)
            found.update(
                (r.child_table, r.child_columns, r.parent_table, r.parent_columns)
                for r in records
                if r.status == "accepted"
            )
            result["relationship_rows"] = len(records)

        upstreams = ["typed_tables", "statistical_profiles"]
        structure = {
            "relationships": _stage(work, "relationships", upstreams, memory_limit, relationships)
        }
        try:
            correlations = importlib.import_module("dataraum_assets.analysis.correlations")
        except ImportError:
            correlations = None
        build_correlations = getattr(correlations, "build_correlations", None)
        if build_correlations is not None:
            structure["correlations"] = _stage(
                work, "correlations", upstreams, memory_limit, build_correlations
            )
        result["structure_seconds"] = structure
        true_positives = len(found & EXPECTED_KEYS)
        result["precision"] = true_positives / len(found) if found else 1.0
        result["recall"] = true_positives / len(EXPECTED_KEYS)
        result["unexpected"] = sorted(map(str, found - EXPECTED_KEYS))

        def ctas(con: duckdb.DuckDBPyConnection) -> None:
            for number, path in enumerate(files):
                con.execute(f"CREATE TABLE t{number} AS SELECT * FROM read_csv(?)", [str(path)])

        def count(con: duckdb.DuckDBPyConnection) -> None:
            for path in files:
                con.execute("SELECT count(*) FROM read_csv(?)", [str(path)]).fetchall()

        result["duckdb_read_seconds"] = _stage(work, "duckdb_read", [], memory_limit, ctas)
        result["duckdb_count_seconds"] = _stage(work, "duckdb_count", [], memory_limit, count)
        total = sum(structure.values())
        result["ratio"] = total / result["duckdb_read_seconds"]
        result["passed"] = result["ratio"] <= TARGET_RATIO
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="fact table rows")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "out", help="output folder")
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB memory_limit per stage")
    parser.add_argument("--keep", action="store_true", help="keep the DuckDB files")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    result = run_benchmark(args.rows, args.out, args.memory_limit, args.keep)
    write = sys.stdout.write
    write(
        f"source: sales {result['rows']:,} rows + 5 dimensions, {result['files']} files, "
        f"{result['csv_bytes'] / 1e6:,.1f} MB\n"
    )
    for name, seconds in result["load_seconds"].items():
        write(f"  load {name:<22} {seconds:8.2f} s   (not part of the target)\n")
    for name, seconds in result["structure_seconds"].items():
        write(f"  {name:<27} {seconds:8.2f} s\n")
    if "correlations" not in result["structure_seconds"]:
        write("  correlations                (dataraum_assets.analysis.correlations not found)\n")
    write(f"  DuckDB CTAS of every file   {result['duckdb_read_seconds']:8.2f} s   (reference)\n")
    write(f"  DuckDB count(*) per file    {result['duckdb_count_seconds']:8.2f} s\n")
    write(
        f"relationships: {result['relationship_rows']} rows written, precision "
        f"{result['precision']:.2f}, recall {result['recall']:.2f}"
        + (f", unexpected: {', '.join(result['unexpected'])}" if result["unexpected"] else "")
        + "\n"
    )
    verdict = "PASS" if result["passed"] else "FAIL"
    write(
        f"ratio (structure / DuckDB read) = {result['ratio']:.2f}  target ≤ {TARGET_RATIO:g}  "
        f"{verdict}\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
