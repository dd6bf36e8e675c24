"""entropy_context detectors, contracts, readiness and top issues.

Calibration: for every dimension a clean source and the same source with the problem injected
at three increasing severities; the score must be low on the clean one and strictly increase
with the severity. Dimensions whose upstream stage exists in this repository run through the
real stages (typed_tables → statistical_profiles → quality_metrics) from raw text; the others
read inline upstream tables shaped like the table contracts in the helper brief.
"""

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from dataraum_assets.analysis.entropy_context import (
    DETECTORS,
    DIMENSIONS,
    OUTPUT_SCHEMAS,
    Contract,
    EntropyOptions,
    EntropyScore,
    Threshold,
    build_entropy_context,
    compute_readiness,
    contracts_from_mapping,
    load_contracts,
    rank_issues,
    run_detectors,
)
from dataraum_assets.analysis.quality_metrics import build_quality_metrics
from dataraum_assets.analysis.statistical_profiles import build_statistical_profiles
from dataraum_assets.analysis.typed_tables import build_typed_tables
from dataraum_assets_tests.analysis.test_typed_tables import raw_connection

ROWS = 300
RawTables = Mapping[str, Mapping[str, Sequence[str | None]]]
UpstreamRows = Mapping[str, Sequence[Sequence[object]]]
CLEAN_MAX = 0.01
SEVERITIES = (0, 1, 2, 3)

# Upstream tables of stages built by other helpers, as the brief's table contracts define them.
CONTRACT_DDL = {
    "relationships.relationships": "child_table VARCHAR, child_columns VARCHAR[], "
    "parent_table VARCHAR, parent_columns VARCHAR[], status VARCHAR, reason VARCHAR, "
    "containment DOUBLE, reverse_containment DOUBLE, orphan_count BIGINT, "
    "orphan_examples VARCHAR[], cardinality VARCHAR, fan_out BOOLEAN, method VARCHAR",
    "semantic_annotations.column_annotations": "table_name VARCHAR, column_name VARCHAR, "
    "role VARCHAR, concept VARCHAR, unit_column VARCHAR, naming_clarity VARCHAR, "
    "evidence VARCHAR",
    "semantic_annotations.table_annotations": "table_name VARCHAR, kind VARCHAR, "
    "grain_columns VARCHAR[], time_column VARCHAR, evidence VARCHAR",
    "temporal_profiles.temporal_columns": "table_name VARCHAR, column_name VARCHAR, "
    "min_value VARCHAR, max_value VARCHAR, granularity VARCHAR, expected_periods BIGINT, "
    "observed_periods BIGINT, completeness DOUBLE, staleness_days DOUBLE",
    "temporal_profiles.series_tests": "table_name VARCHAR, column_name VARCHAR, "
    "series VARCHAR, test VARCHAR, n_points BIGINT, statistic DOUBLE, p_value DOUBLE, "
    "result VARCHAR",
    "slices.slice_drift": "table_name VARCHAR, slice_column VARCHAR, slice_value VARCHAR, "
    "period VARCHAR, metric VARCHAR, value DOUBLE, threshold DOUBLE, drifted BOOLEAN",
    "cycle_analysis.processes": "process VARCHAR, detected BOOLEAN, completion_rate DOUBLE, "
    "evidence VARCHAR",
    "correlations.derived_columns": "table_name VARCHAR, target_column VARCHAR, "
    "operation VARCHAR, operand_columns VARCHAR[], match_rate DOUBLE",
    "validation_results.validation_results": "check_id VARCHAR, name VARCHAR, kind VARCHAR, "
    "status VARCHAR, reason VARCHAR, observed DOUBLE, tolerance DOUBLE",
    "pii_findings.pii_findings": "table_name VARCHAR, column_name VARCHAR, pii_kind VARCHAR, "
    "match_share DOUBLE, confidence DOUBLE, example_count BIGINT, frameworks VARCHAR[]",
    "topology_metrics.summary": "schema_pattern VARCHAR",
}


def add_upstream(
    con: duckdb.DuckDBPyConnection, name: str, rows: Sequence[Sequence[object]]
) -> None:
    """Create upstream table ``asset.table`` (attaching the asset in memory if needed) with
    the contract's columns and insert ``rows``."""
    asset, table = name.split(".")
    attached = {
        r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()
    }
    if asset not in attached:
        con.execute(f"ATTACH ':memory:' AS {asset}")
    con.execute(f"CREATE TABLE {asset}.main.{table} ({CONTRACT_DDL[name]})")
    if rows:
        marks = ", ".join("?" for _ in rows[0])
        con.executemany(f"INSERT INTO {asset}.main.{table} VALUES ({marks})", list(rows))


def stage(con: duckdb.DuckDBPyConnection, database: str, build: Callable[[], object]) -> None:
    con.execute(f"ATTACH ':memory:' AS {database}")
    con.execute(f"USE {database}")
    build()
    con.execute("USE memory")


def run_stages(
    tables: Mapping[str, Mapping[str, Sequence[str | None]]],
) -> duckdb.DuckDBPyConnection:
    """Raw text → typed_tables → statistical_profiles → quality_metrics, all attached in memory
    under their asset names, as the assets would leave them."""
    con = raw_connection(tables)
    con.execute("SET TimeZone = 'UTC'")
    stage(con, "typed_tables", lambda: build_typed_tables(con))
    stage(con, "statistical_profiles", lambda: build_statistical_profiles(con))
    stage(con, "quality_metrics", lambda: build_quality_metrics(con))
    return con


def orders(
    failed_casts: int = 0, nulls: int = 0, outliers: int = 0, off_benford: int = 0
) -> RawTables:
    """A clean ``orders`` table (300 rows) and a ``customers`` table, with problems injected:
    ``failed_casts`` words in the integer column ``quantity``, ``nulls`` empty ``region``
    cells, ``outliers`` prices 100x the usual, ``off_benford`` amounts all starting with 7."""
    # 10^(4k/n): log-uniform over four decades, so first digits follow Benford's law exactly.
    amount = [f"{10 ** (4 * k / ROWS):.2f}" for k in range(ROWS)]
    for k in range(off_benford):
        amount[k * 3] = f"{7.3 * 10 ** (k % 4):.2f}"
    price = [f"{100 + (k * 37) % 41 - 20}.50" for k in range(ROWS)]
    for k in range(outliers):
        price[k * 7] = "10000.00"
    quantity: list[str | None] = [str(1 + k % 12) for k in range(ROWS)]
    for k in range(failed_casts):
        quantity[k * 5] = "twelve"
    region: list[str | None] = [("north", "south", "east", "west")[k % 4] for k in range(ROWS)]
    for k in range(nulls):
        region[k] = None
    dates = [f"2024-{1 + k % 12:02d}-{1 + k % 28:02d}" for k in range(ROWS)]
    return {
        "orders": {
            "order_number": [f"O-{k:05d}" for k in range(ROWS)],
            "customer_code": [f"C-{k % 40:03d}" for k in range(ROWS)],
            "order_date": dates,
            "ship_date": dates,
            "due_date": dates,
            "amount": amount,
            "price": price,
            "quantity": quantity,
            "region": region,
        },
        "customers": {
            "customer_code": [f"C-{k:03d}" for k in range(40)],
            "name": [f"Customer {k}" for k in range(40)],
        },
    }


@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clean source's upstream databases as files, shared by the inline-upstream cases."""
    folder = tmp_path_factory.mktemp("clean")
    con = run_stages(orders())
    for database in ("typed_tables", "statistical_profiles", "quality_metrics"):
        path = folder / f"{database}.duckdb"
        con.execute(f"ATTACH '{path}' AS file_{database}")
        con.execute(f"COPY FROM DATABASE {database} TO file_{database}")
        con.execute(f"DETACH file_{database}")
    con.close()
    return folder


def clean_connection(folder: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for database in ("typed_tables", "statistical_profiles", "quality_metrics"):
        con.execute(f"ATTACH '{folder / database}.duckdb' AS {database} (READ_ONLY)")
    return con


def scores_of(con: duckdb.DuckDBPyConnection, dimension: str) -> dict[str, EntropyScore]:
    scores, _ = run_detectors(con, [d for d in DETECTORS if d.dimension == dimension])
    return {s.target: s for s in scores}


# ---------------------------------------------------------------------------------------------
# Calibration through the real stages


@dataclass(frozen=True)
class RealCase:
    dimension: str
    target: str
    inject: Callable[[int], RawTables]
    clean_max: float = CLEAN_MAX


REAL_CASES = (
    RealCase(
        "structural.types", "orders.quantity", lambda s: orders(failed_casts=(0, 3, 9, 27)[s])
    ),
    RealCase("value.nulls", "orders.region", lambda s: orders(nulls=(0, 10, 40, 120)[s])),
    RealCase("value.outliers", "orders.price", lambda s: orders(outliers=(0, 2, 6, 18)[s])),
    RealCase(
        "value.distribution",
        "orders.amount",
        lambda s: orders(off_benford=(0, 10, 30, 80)[s]),
        # 300 values cannot match Benford's shares exactly; Nigrini's "close" band is MAD ≤
        # 0.006, i.e. a score ≤ 4.5 × 0.006.
        clean_max=4.5 * 0.006,
    ),
)


@pytest.mark.parametrize("case", REAL_CASES, ids=lambda case: case.dimension)
def test_calibration_through_the_stages(case: RealCase) -> None:
    found = []
    for severity in SEVERITIES:
        con = run_stages(case.inject(severity))
        try:
            found.append(scores_of(con, case.dimension)[case.target].score)
        finally:
            con.close()
    assert found[0] <= case.clean_max, found
    assert found == sorted(found) and len(set(found)) == len(found), found


def test_plain_rates_can_be_recomputed_by_hand() -> None:
    con = run_stages(orders(failed_casts=9, nulls=40, outliers=6))
    assert scores_of(con, "value.nulls")["orders.region"].score == pytest.approx(40 / ROWS)
    types = scores_of(con, "structural.types")["orders.quantity"]
    assert types.score == pytest.approx(9 / ROWS, abs=1e-6)
    assert "9 / 300" in types.evidence and "quarantined" in types.issue
    outliers = scores_of(con, "value.outliers")["orders.price"]
    assert outliers.score == pytest.approx(6 / ROWS)
    assert "modified_z" in outliers.evidence and "10000" in outliers.evidence
    # Quarantined cells are NULL in the typed table but count under types, not nulls.
    assert scores_of(con, "value.nulls")["orders.quantity"].score == 0


def test_benford_score_is_half_the_total_absolute_deviation() -> None:
    con = run_stages(orders(off_benford=30))
    [(observed, expected, mad)] = con.execute(
        "SELECT observed, expected, mad FROM quality_metrics.benford WHERE column_name = 'amount'"
    ).fetchall()
    score = scores_of(con, "value.distribution")["orders.amount"].score
    assert score == pytest.approx(
        sum(abs(o - e) for o, e in zip(observed, expected, strict=True)) / 2
    )
    assert score == pytest.approx(4.5 * mad)


def test_clean_source_scores_low_everywhere() -> None:
    con = run_stages(orders())
    scores, _ = run_detectors(con)
    assert scores
    noisy = {"value.distribution": 4.5 * 0.006}  # Nigrini's "close" band, as above
    assert [
        (s.target, s.dimension, s.score)
        for s in scores
        if s.score > noisy.get(s.dimension, CLEAN_MAX)
    ] == []


# ---------------------------------------------------------------------------------------------
# Calibration on inline upstream tables (the stages of other helpers)


def _relations(s: int) -> UpstreamRows:
    orphans = (0, 3, 15, 60)[s]
    return {
        "relationships.relationships": [
            (
                "orders",
                ["customer_code"],
                "customers",
                ["customer_code"],
                "accepted",
                None,
                1.0,
                1.0,
                orphans,
                ["C-999"] if orphans else [],
                "N:1",
                False,
                "exact",
            ),
        ]
    }


def _meaning(s: int) -> UpstreamRows:
    concept, naming = [
        ("revenue", "clear"),
        ("revenue", "abbreviated"),
        (None, "clear"),
        (None, "noise"),
    ][s]
    return {
        "semantic_annotations.column_annotations": [
            ("orders", "amount", "measure", concept, None, naming, "test")
        ]
    }


def _units(s: int) -> UpstreamRows:
    return {
        "semantic_annotations.column_annotations": [
            ("orders", column, "measure", "money", None if k < s else "currency", "clear", "")
            for k, column in enumerate(("amount", "price", "quantity"))
        ]
    }


def _time_role(s: int) -> UpstreamRows:
    # ship_date, then due_date lose their time role; at 3 the fact table loses its time column.
    return {
        "semantic_annotations.column_annotations": [
            ("orders", column, "attribute" if k < s else "timestamp", "date", None, "clear", "")
            for k, column in enumerate(("ship_date", "due_date", "order_date"))
        ],
        "semantic_annotations.table_annotations": [
            ("orders", "fact", ["order_number"], "order_date" if s < 3 else None, "")
        ],
    }


def _coverage(s: int) -> UpstreamRows:
    observed = 24 - (0, 2, 6, 12)[s]
    return {
        "temporal_profiles.temporal_columns": [
            (
                "orders",
                "order_date",
                "2023-01-01",
                "2024-12-31",
                "month",
                24,
                observed,
                observed / 24,
                0.0,
            )
        ]
    }


def _cycles(s: int) -> UpstreamRows:
    return {"cycle_analysis.processes": [("order_to_cash", True, (1.0, 0.95, 0.7, 0.3)[s], "")]}


def _drift(s: int) -> UpstreamRows:
    # sum(amount) by two time columns, trend and change points each: 4 drift tests; the
    # seasonality test and skipped tests do not count.
    tests = [
        (t, series) for t in ("order_date", "ship_date") for series in ("trend", "change_points")
    ]
    changed = {"trend": "increasing", "change_points": "changes"}
    stable = {"trend": "no_trend", "change_points": "no_changes"}
    return {
        "temporal_profiles.series_tests": [
            ("orders", time_column, "sum(amount)", test, 24, 1.0, 0.5,
             (changed if k < s else stable)[test])
            for k, (time_column, test) in enumerate(tests)
        ]
        + [
            ("orders", "order_date", "sum(amount)", "seasonality", 24, 1.0, 0.01, "seasonal"),
            ("orders", "order_date", "row_count", "trend", 3, None, None, "skipped"),
        ]
    }  # fmt: skip


def _variance(s: int) -> UpstreamRows:
    drifted = (0, 1, 3, 6)
    return {
        "slices.slice_drift": [
            (
                "orders",
                "region",
                region,
                f"2024-{month:02d}",
                "mean(amount)",
                1.0,
                0.2,
                k * 3 + month - 1 < drifted[s],
            )
            for k, region in enumerate(("north", "south", "east", "west"))
            for month in (1, 2, 3)
        ]
    }


def _derived(s: int) -> UpstreamRows:
    rate = (1.0, 0.98, 0.9, 0.8)[s]
    return {
        "correlations.derived_columns": [
            ("orders", "amount", "multiply", ["price", "quantity"], rate),
            ("orders", "amount", "add", ["price", "quantity"], rate / 2),
        ]
    }


def _reconciliation(s: int) -> UpstreamRows:
    return {
        "validation_results.validation_results": [
            (f"check_{k}", f"check {k}", "balance", "failed" if k < s else "passed", None, 0.0, 0.0)
            for k in range(3)
        ]
        + [
            (
                "skipped_one",
                "needs debit",
                "balance",
                "skipped",
                "concept debit not bound",
                None,
                None,
            )
        ]
    }


@dataclass(frozen=True)
class InlineCase:
    dimension: str
    targets: tuple[str, ...]  # the mean of their scores is the measured severity
    upstream: Callable[[int], UpstreamRows]


INLINE_CASES = (
    InlineCase("structural.relations", ("orders.customer_code",), _relations),
    InlineCase("semantic.business_meaning", ("orders.amount",), _meaning),
    InlineCase("semantic.units", ("orders.amount", "orders.price", "orders.quantity"), _units),
    InlineCase("semantic.temporal", ("orders",), _time_role),
    InlineCase("semantic.coverage", ("orders.order_date",), _coverage),
    InlineCase("semantic.cycles", ("process:order_to_cash",), _cycles),
    InlineCase("value.temporal", ("orders.amount",), _drift),
    InlineCase("value.variance", ("orders.region",), _variance),
    InlineCase("computational.derived_values", ("orders.amount",), _derived),
    InlineCase(
        "computational.reconciliation",
        ("check:check_0", "check:check_1", "check:check_2"),
        _reconciliation,
    ),
)


def inline_scores(folder: Path, case: InlineCase, severity: int) -> dict[str, EntropyScore]:
    con = clean_connection(folder)
    try:
        for name, rows in case.upstream(severity).items():
            add_upstream(con, name, rows)
        return scores_of(con, case.dimension)
    finally:
        con.close()


@pytest.mark.parametrize("case", INLINE_CASES, ids=lambda case: case.dimension)
def test_calibration_on_inline_upstreams(clean_dir: Path, case: InlineCase) -> None:
    found = []
    for severity in SEVERITIES:
        scores = inline_scores(clean_dir, case, severity)
        found.append(sum(scores[t].score for t in case.targets) / len(case.targets))
    assert found[0] <= CLEAN_MAX, found
    assert found == sorted(found) and len(set(found)) == len(found), found
    assert all(0 <= f <= 1 for f in found)


def test_every_dimension_is_calibrated() -> None:
    calibrated = {c.dimension for c in REAL_CASES} | {c.dimension for c in INLINE_CASES}
    assert calibrated == set(DIMENSIONS) == {d.dimension for d in DETECTORS}


def test_relations_ambiguity_and_parent_duplicates(clean_dir: Path) -> None:
    con = clean_connection(clean_dir)
    add_upstream(
        con,
        "relationships.relationships",
        [
            (
                "orders",
                ["customer_code"],
                "customers",
                ["customer_code"],
                "accepted",
                None,
                1.0,
                1.0,
                0,
                [],
                "N:1",
                False,
                "exact",
            ),
            (
                "orders",
                ["customer_code"],
                "orders",
                ["customer_code"],
                "accepted",
                None,
                1.0,
                1.0,
                0,
                [],
                "N:M",
                True,
                "exact",
            ),
            (
                "orders",
                ["region"],
                "customers",
                ["name"],
                "rejected",
                "low containment",
                0.0,
                0.0,
                300,
                [],
                "N:M",
                True,
                "exact",
            ),
        ],
    )
    scores = scores_of(con, "structural.relations")
    assert set(scores) == {"orders.customer_code"}  # rejected candidates are not joins
    # orders.customer_code: 300 rows, 40 distinct: (300 − 40) / 300 duplicate share as parent,
    # beating the 1 − 1/2 ambiguity of two candidate parents.
    assert scores["orders.customer_code"].score == pytest.approx(260 / 300)
    assert "not unique" in scores["orders.customer_code"].issue


def test_units_accept_a_unit_read_from_the_values(clean_dir: Path) -> None:
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS typed_tables")
    con.execute(
        "CREATE TABLE typed_tables.type_decisions AS SELECT 'orders' AS table_name, "
        "'price' AS column_name, 1 AS position, 'DOUBLE' AS data_type, 'USD' AS unit, "
        "1.0 AS confidence, 10 AS non_null, 0 AS failed_count, '' AS note"
    )
    add_upstream(
        con,
        "semantic_annotations.column_annotations",
        [("orders", "price", "measure", "price", None, "clear", "")],
    )
    scores = scores_of(con, "semantic.units")
    assert scores["orders.price"].score == 0
    assert "USD" in scores["orders.price"].issue


def test_skipped_and_errored_checks_get_no_score(clean_dir: Path) -> None:
    scores = inline_scores(clean_dir, INLINE_CASES[-1], 1)
    assert set(scores) == {"check:check_0", "check:check_1", "check:check_2"}
    assert {s.target_type for s in scores.values()} == {"source"}


def test_failed_checks_with_row_counts_score_their_failing_share(clean_dir: Path) -> None:
    con = clean_connection(clean_dir)
    con.execute("ATTACH ':memory:' AS validation_results")
    con.execute(
        "CREATE TABLE validation_results.validation_results AS SELECT * FROM (VALUES "
        "('fk', 'orders.customer_code in customers', 'rate', 'failed', '3 orphans', 0.01, 0.0, "
        "'orders', 3, 300), ('debits', 'debits = credits', 'balance', 'failed', NULL, 5.0, "
        "0.0, NULL, NULL, NULL)) AS t(check_id, name, kind, status, reason, observed, "
        "tolerance, table_name, failing_count, total_count)"
    )
    scores = scores_of(con, "computational.reconciliation")
    assert (scores["check:fk"].score, scores["check:fk"].target_type) == (0.01, "table")
    assert scores["check:fk"].table_name == "orders" and "3 / 300" in scores["check:fk"].evidence
    assert (scores["check:debits"].score, scores["check:debits"].target_type) == (1.0, "source")


def test_instances_of_one_check_are_told_apart(clean_dir: Path) -> None:
    con = clean_connection(clean_dir)
    con.execute("ATTACH ':memory:' AS validation_results")
    con.execute(
        "CREATE TABLE validation_results.validation_results AS SELECT * FROM (VALUES "
        "('fk', 'fk', 'rate', 'failed', NULL, 0.1, 0.0, 'orders', 'c=orders(k=a)'), "
        "('fk', 'fk', 'rate', 'passed', NULL, 0.0, 0.0, 'orders', 'c=orders(k=b)'), "
        "('fk', 'fk', 'rate', 'failed', NULL, 0.1, 0.0, 'orders', NULL), "
        "('fk', 'fk', 'rate', 'failed', NULL, 0.1, 0.0, 'orders', NULL)) "
        "AS t(check_id, name, kind, status, reason, observed, tolerance, table_name, bindings)"
    )
    scores = scores_of(con, "computational.reconciliation")
    assert {t: s.score for t, s in scores.items()} == {
        "check:fk[c=orders(k=a)]": 1.0,
        "check:fk[c=orders(k=b)]": 0.0,
        "check:fk": 1.0,
        "check:fk#2": 1.0,
    }


# ---------------------------------------------------------------------------------------------
# Detectors without their upstream


def test_detectors_without_their_upstream_are_skipped_with_the_reason(clean_dir: Path) -> None:
    con = clean_connection(clean_dir)
    _, runs = run_detectors(con)
    by_dimension = {run.dimension: run for run in runs}
    assert {d for d, r in by_dimension.items() if r.status == "ran"} == {
        "structural.types",
        "value.nulls",
        "value.outliers",
        "value.distribution",
    }
    skipped = by_dimension["structural.relations"]
    assert skipped.status == "skipped" and skipped.scores == 0
    assert skipped.reason == "not materialized for this source: relationships.relationships"
    # the reads of every detector name existing upstream tables
    assert by_dimension["semantic.units"].reads == ("semantic_annotations.column_annotations",)


def test_optional_reads_are_recorded_when_used(clean_dir: Path) -> None:
    con = clean_connection(clean_dir)
    add_upstream(con, "semantic_annotations.column_annotations", [])
    _, runs = run_detectors(con)
    (units,) = [r for r in runs if r.dimension == "semantic.units"]
    assert units.reads == (
        "semantic_annotations.column_annotations",
        "typed_tables.type_decisions",
    )


# ---------------------------------------------------------------------------------------------
# Contracts, readiness, top issues

STRICT = Contract("strict", "", {"value.nulls": Threshold(0.0, 0.1)})
LOOSE = Contract("loose", "", {"value.nulls": Threshold(0.5, None)})


def score(table: str | None, column: str | None, dimension: str, value: float) -> EntropyScore:
    if table is None:
        return EntropyScore("source", "check:x", None, None, dimension, value, "i", "e", "r")
    if column is None:
        return EntropyScore("table", table, table, None, dimension, value, "i", "e", "r")
    target = f"{table}.{column}"
    return EntropyScore("column", target, table, column, dimension, value, "i", "e", "r")


def test_threshold_verdicts() -> None:
    threshold = Threshold(0.1, 0.5)
    assert [threshold.verdict(v) for v in (0.0, 0.1, 0.11, 0.5, 0.51, 1.0)] == [
        "ready",
        "ready",
        "investigate",
        "investigate",
        "blocked",
        "blocked",
    ]
    assert Threshold(0.1, None).verdict(1.0) == "investigate"


def test_readiness_rolls_up_column_table_source() -> None:
    scores = [
        score("a", "x", "value.nulls", 0.05),
        score("a", "y", "value.nulls", 0.2),
        score("b", "z", "value.nulls", 0.0),
        score("b", "z", "value.outliers", 0.9),  # no contract here looks at outliers
    ]
    rows = compute_readiness(scores, [("a", "x"), ("a", "y"), ("b", "z"), ("b", "w")], [STRICT])
    got = {(r.target_type, r.table_name, r.column_name): (r.readiness, r.violations) for r in rows}
    assert got == {
        ("column", "a", "x"): ("investigate", ("value.nulls",)),
        ("column", "a", "y"): ("blocked", ("value.nulls",)),
        ("column", "b", "z"): ("ready", ()),
        ("column", "b", "w"): ("ready", ()),
        ("table", "a", None): ("blocked", ("value.nulls",)),
        ("table", "b", None): ("ready", ()),
        ("source", None, None): ("blocked", ("value.nulls",)),
    }


def test_source_level_scores_reach_the_source_only() -> None:
    contract = Contract("c", "", {"computational.reconciliation": Threshold(0.0, 0.0)})
    rows = compute_readiness(
        [score(None, None, "computational.reconciliation", 1.0)], [("a", "x")], [contract]
    )
    got = {(r.target_type, r.table_name): r.readiness for r in rows}
    assert got == {("column", "a"): "ready", ("table", "a"): "ready", ("source", None): "blocked"}


def test_top_issues_by_impact_then_score() -> None:
    scores = [
        score("a", "x", "value.nulls", 0.05),  # strict: investigate (1)
        score("a", "y", "value.nulls", 0.6),  # strict: blocked (2), loose: investigate (1)
        score("a", "z", "value.nulls", 0.3),  # strict: blocked (2)
        score("a", "w", "value.nulls", 0.0),  # ready everywhere: not an issue
    ]
    issues = rank_issues(scores, [STRICT, LOOSE], "loose", limit=10)
    assert [(i.rank, i.target, i.impact, i.readiness) for i in issues] == [
        (1, "a.y", 3, "investigate"),
        (2, "a.z", 2, "ready"),
        (3, "a.x", 1, "ready"),
    ]
    assert [i.target for i in rank_issues(scores, [STRICT, LOOSE], "loose", limit=2)] == [
        "a.y",
        "a.z",
    ]


def test_shipped_contracts() -> None:
    contracts = {c.name: c for c in load_contracts()}
    assert set(contracts) == {
        "exploratory_analysis",
        "data_science",
        "operational_analytics",
        "aggregation_safe",
        "executive_dashboard",
        "regulatory_reporting",
    }
    for contract in contracts.values():
        assert contract.description
        assert set(contract.thresholds) <= set(DIMENSIONS)
    # regulatory reporting is the strictest on every dimension it shares with exploration
    strict, loose = contracts["regulatory_reporting"], contracts["exploratory_analysis"]
    for dimension, threshold in loose.thresholds.items():
        assert strict.thresholds[dimension].ready <= threshold.ready, dimension


def test_source_contracts_extend_and_override() -> None:
    contracts = {
        c.name: c
        for c in load_contracts(
            {
                "finance_close": {
                    "extends": "regulatory_reporting",
                    "description": "month-end close",
                    "thresholds": {"value.nulls": {"ready": 0.2, "investigate": None}},
                },
                "data_science": {"thresholds": {"value.outliers": {"ready": 0.5}}},
            }
        )
    }
    finance = contracts["finance_close"]
    assert finance.thresholds["value.nulls"] == Threshold(0.2, None)
    regulatory = contracts["regulatory_reporting"].thresholds["structural.types"]
    assert finance.thresholds["structural.types"] == regulatory
    assert contracts["data_science"].thresholds["value.outliers"] == Threshold(0.5, None)
    assert contracts["data_science"].thresholds["value.nulls"] == Threshold(0.2, 0.6)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"x": {"thresholds": {"value.null": {"ready": 0.1}}}}, "x.thresholds.value.null: unknown"),
        ({"x": {"thresholds": {"value.nulls": {"ready": 2}}}}, "numbers in [0, 1]"),
        ({"x": {"thresholds": {"value.nulls": {"ready": 0.5, "investigate": 0.1}}}}, "below"),
        ({"x": {"extends": "nope"}}, "x.extends: no contract 'nope'"),
        ({"x": {"threshold": {}}}, "unknown keys ['threshold']"),
    ],
)
def test_bad_contracts_name_the_key(content: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=rf".*{__import__('re').escape(message)}"):
        contracts_from_mapping(content, load_contracts(), where="entropy_context.contracts")


def test_unknown_configured_contract_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="'nope' is not a contract"):
        EntropyOptions(contract="nope")


# ---------------------------------------------------------------------------------------------
# Output tables


@pytest.fixture
def built() -> Iterator[duckdb.DuckDBPyConnection]:
    con = run_stages(orders(failed_casts=9, nulls=200, outliers=6))
    build_entropy_context(con, EntropyOptions(contract="data_science"))
    yield con
    con.close()


def test_output_tables_match_their_schemas(built: duckdb.DuckDBPyConnection) -> None:
    for table, schema in OUTPUT_SCHEMAS.items():
        frame = built.sql(f"SELECT * FROM memory.main.{table}").df()
        schema.validate(frame, lazy=True)
        assert len(frame) > 0, table


def test_outputs_agree_with_each_other(built: duckdb.DuckDBPyConnection) -> None:
    [(columns,)] = built.execute(
        "SELECT count(*) FROM statistical_profiles.column_profiles"
    ).fetchall()
    [(contracts,)] = built.execute("SELECT count(DISTINCT contract) FROM readiness").fetchall()
    [(rows,)] = built.execute("SELECT count(*) FROM readiness").fetchall()
    assert contracts == 6
    assert rows == contracts * (columns + 2 + 1)  # columns, 2 tables, the source
    nulls = built.execute(
        "SELECT readiness, violations FROM readiness WHERE contract = 'data_science' "
        "AND column_name = 'region'"
    ).fetchall()
    assert nulls == [("blocked", ["value.nulls"])]  # 200 / 300 > 0.6
    top = built.execute(
        "SELECT target, dimension, readiness FROM top_issues ORDER BY rank LIMIT 1"
    ).fetchall()
    assert top == [("orders.region", "value.nulls", "blocked")]
    assert not math.isnan(built.execute("SELECT sum(score) FROM entropy_scores").fetchall()[0][0])
