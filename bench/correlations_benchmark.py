"""Time the correlations stage against a DuckDB scan of the same typed table.

Builds a typed fact table of ``--rows`` rows in a temporary folder (a key, 8 numeric columns
with a sum, a product and correlated measures, 5 categorical columns), profiles it the way the
pipeline does, then times ``build_correlations`` and a full DuckDB scan of the table (every
column aggregated once) and prints both and their ratio. Usage::

    .venv/bin/python bench/correlations_benchmark.py --rows 1000000
"""

import argparse
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dataraum_assets.analysis.correlations import CorrelationOptions, build_correlations
from dataraum_assets.analysis.statistical_profiles import build_statistical_profiles

NUMERIC = (
    "quantity",
    "unit_price",
    "net_amount",
    "tax_amount",
    "total_amount",
    "discount",
    "weight",
    "noise",
)
CATEGORICAL = ("region", "channel", "segment", "status", "is_return")


@dataclass(frozen=True)
class Timing:
    rows: int
    scan_seconds: float
    correlations_seconds: float
    sample_size: int
    derived: tuple[str, ...]

    @property
    def ratio(self) -> float:
        return self.correlations_seconds / self.scan_seconds if self.scan_seconds else 0.0


def build_typed_table(con: duckdb.DuckDBPyConnection, rows: int) -> None:
    """``typed_tables.typed.fact`` with ``rows`` rows, deterministic (setseed)."""
    con.execute("SELECT setseed(0.42)")
    con.execute("CREATE SCHEMA typed_tables.typed")
    con.execute(
        "CREATE TABLE typed_tables.main.type_decisions (table_name VARCHAR, column_name VARCHAR,"
        " data_type VARCHAR, semantic_type VARCHAR, position INTEGER)"
    )
    con.execute(
        "CREATE TABLE typed_tables.main.quarantine (table_name VARCHAR, row_number BIGINT, "
        "column_name VARCHAR, original_header VARCHAR, data_type VARCHAR, original_value VARCHAR)"
    )
    con.execute(
        "CREATE TABLE typed_tables.typed.fact AS SELECT _row, order_id, quantity, unit_price, "
        "round(quantity * unit_price, 2) AS net_amount, "
        "round(quantity * unit_price * 0.2, 2) AS tax_amount, "
        "round(quantity * unit_price, 2) + round(quantity * unit_price * 0.2, 2) AS total_amount,"
        " discount, quantity * 0.4 + noise * 3 AS weight, noise, region, channel, segment, "
        "status, is_return FROM (SELECT range + 1 AS _row, range + 1 AS order_id, "
        "1 + CAST(random() * 19 AS BIGINT) AS quantity, round(1 + random() * 100, 2) AS unit_price,"
        " CAST(random() * 4 AS BIGINT) * 0.05 AS discount, random() AS noise, "
        "'region_' || CAST(random() * 7 AS BIGINT) AS region, "
        "'channel_' || CAST(random() * 4 AS BIGINT) AS channel, "
        "'segment_' || CAST(random() * 3 AS BIGINT) AS segment, "
        "'status_' || CAST(random() * 5 AS BIGINT) AS status, random() < 0.1 AS is_return "
        "FROM range(?))",
        [rows],
    )
    columns = con.execute(
        "SELECT column_name, data_type, column_index FROM duckdb_columns() "
        "WHERE database_name = 'typed_tables' AND table_name = 'fact' AND column_name <> '_row'"
    ).fetchall()
    con.executemany(
        "INSERT INTO typed_tables.main.type_decisions VALUES ('fact', ?, ?, ?, ?)",
        [
            [name, kind, "text" if kind == "VARCHAR" else "decimal", index]
            for name, kind, index in columns
        ],
    )


def run(rows: int, workdir: Path) -> Timing:
    """Build, profile and time; returns the measurements."""
    con = duckdb.connect(str(workdir / "bench.duckdb"))
    con.execute(f"ATTACH '{workdir / 'typed.duckdb'}' AS typed_tables")
    build_typed_table(con, rows)
    con.execute(f"ATTACH '{workdir / 'profiles.duckdb'}' AS statistical_profiles")
    con.execute("USE statistical_profiles")
    build_statistical_profiles(con)
    con.execute("USE bench")
    scan = ", ".join(
        f"count(DISTINCT {name})" if name in CATEGORICAL else f"sum({name})"
        for name in (*NUMERIC, *CATEGORICAL)
    )
    started = time.perf_counter()
    con.execute(f"SELECT {scan} FROM typed_tables.typed.fact").fetchall()
    scan_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = build_correlations(con, CorrelationOptions())
    correlations_seconds = time.perf_counter() - started
    con.close()
    return Timing(
        rows=rows,
        scan_seconds=scan_seconds,
        correlations_seconds=correlations_seconds,
        sample_size=result.table_samples[0].sample_size,
        derived=tuple(d.expression for d in result.derived_columns),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        timing = run(args.rows, Path(folder))
    print(  # noqa: T201 - a script's report
        f"rows {timing.rows:,}: DuckDB scan {timing.scan_seconds:.2f} s, correlations "
        f"{timing.correlations_seconds:.2f} s (×{timing.ratio:.1f}; {timing.sample_size:,} rows "
        f"analysed); derived: {', '.join(timing.derived)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
