"""Entropy scores per (target, dimension), readiness under contracts, and the top issues.

Reads whatever upstream assets are attached (each detector names the tables it reads and is
skipped, with the reason recorded in ``detectors``, when one is missing) and writes
``entropy_scores``, ``readiness``, ``top_issues`` and ``detectors`` into the connection's main
database (``docs/data-plane.md`` lists their columns).

A score is in [0, 1]: 0 = nothing in the data casts doubt on this dimension of this target,
1 = as bad as it gets. Every score is a plain rate a person can recompute by hand from the
upstream table it names; the formula and its numbers are repeated in each row's ``evidence``.

Formulas (target in brackets):

- **structural.types** [column] ``typed_tables.type_decisions``: max(1 − confidence,
  failed_count / non_null): how unsure the type decision was, or the share of non-null values
  whose cast failed (quarantined), whichever is worse.
- **structural.relations** [child key column] ``relationships.relationships`` (accepted rows;
  ``statistical_profiles.column_profiles`` for counts): max of the orphan rate
  (orphan_count / non-null child rows), the ambiguity 1 − 1/k (k = parents a child key is
  accepted to join; 2 candidates = 0.5) and the parent duplicate share ((non-null − distinct) /
  non-null of a single-column parent key: the rows a join fans out to).
- **semantic.business_meaning** [column] ``semantic_annotations.column_annotations``:
  (no_concept + naming) / 2, no_concept = 1 when no business concept was found (keys and
  identifiers are excused: their role is their meaning), naming = 0 clear, 0.5 abbreviated,
  1 noise.
- **semantic.units** [measure column] ``semantic_annotations.column_annotations`` (+
  ``typed_tables.type_decisions.unit``): 1 when a measure has neither a unit column nor a unit
  read from its values (``$``, ``%``), else 0.
- **semantic.temporal** [table with temporal columns] ``semantic_annotations.column_annotations``
  / ``table_annotations`` + ``statistical_profiles.column_profiles``: max(share of the
  date/time-typed columns without a time role, 1 if the table is a fact table without a time
  column).
- **semantic.coverage** [time column] ``temporal_profiles.temporal_columns``: 1 − completeness
  (observed periods / expected periods).
- **semantic.cycles** [process] ``cycle_analysis.processes`` (detected ones): 1 − completion_rate.
- **value.nulls** [column] ``statistical_profiles.column_profiles``: (nulls − quarantined) /
  rows (quarantined cells are NULL in the typed table; they count under structural.types).
- **value.outliers** [column] ``quality_metrics.outliers``: outlier_ratio of the modified
  z-score test (robust to skew), of the IQR test when that is the only one.
- **value.distribution** [column] ``quality_metrics.benford`` (tested columns): ½·Σ|observed −
  expected| over the nine first-digit shares = 4.5 × MAD: the share of values whose first digit
  would have to change for the column to follow Benford's law.
- **value.temporal** [column] ``temporal_profiles.series_tests``: share of the trend and
  change-point tests of the column's series (``sum(<measure>)``; ``row_count`` counts for the
  time column) that report a change (increasing, decreasing, changes); seasonality is not drift.
- **value.variance** [slice column] ``slices.slice_drift``: drifted cells / cells (slice value ×
  period × metric) of the slice column.
- **computational.derived_values** [derived column] ``correlations.derived_columns``: 1 − the
  best match_rate of a formula found for the column: the share of rows where it does not hold.
- **computational.reconciliation** [validation check; its table when the check names one]
  ``validation_results.validation_results``: 0 when the check passed; failing rows / checked
  rows when it failed and says both counts, else 1 (skipped and errored checks get no score).

Readiness: a contract gives per dimension ``ready`` and ``investigate`` ceilings
(``entropy_contracts.yaml``). A column is the worst verdict of its scores; a table the worst of
its columns and table scores; the source the worst of its tables and source scores (processes,
checks). ``violations`` lists the dimensions that are not ready. Top issues are the scores that
are not ready under at least one contract, ordered by impact = Σ over contracts (2 when blocked,
1 when investigate), then score.
"""

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import duckdb
import pandas as pd
import pandera.pandas as pa
import yaml
from pandera.typing import Series

from dataraum_assets.analysis.output_tables import is_list, write_records
from dataraum_assets.identifiers import quote_identifier

DIMENSIONS = (
    "structural.types",
    "structural.relations",
    "semantic.business_meaning",
    "semantic.units",
    "semantic.temporal",
    "semantic.coverage",
    "semantic.cycles",
    "value.nulls",
    "value.outliers",
    "value.distribution",
    "value.temporal",
    "value.variance",
    "computational.derived_values",
    "computational.reconciliation",
)
READINESS = ("ready", "investigate", "blocked")
TARGET_TYPES = ("column", "table", "source")
CONTRACTS_FILE = "entropy_contracts.yaml"
DEFAULT_CONTRACT = "exploratory_analysis"
# Roles whose meaning is the role itself: a key needs no business concept.
KEY_ROLES = frozenset({"key", "foreign_key", "identifier"})
NAMING_SCORES = {"clear": 0.0, "abbreviated": 0.5, "noise": 1.0}
# temporal_profiles' series tests that speak of drift, and their results that report one;
# seasonality is expected behaviour, not drift.
DRIFT_TESTS = ("trend", "change_points")
CHANGE_RESULTS = frozenset({"increasing", "decreasing", "changes"})
_TEMPORAL_TYPES = re.compile(r"^(DATE|TIMESTAMP.*|TIME)$")
_TEMPORAL_SEMANTIC = frozenset({"date", "timestamp", "year_month", "year_quarter"})


@dataclass(frozen=True)
class Threshold:
    """Ready up to ``ready``; investigate up to ``investigate`` (None: never blocked)."""

    ready: float
    investigate: float | None

    def verdict(self, score: float) -> str:
        if score <= self.ready:
            return "ready"
        if self.investigate is None or score <= self.investigate:
            return "investigate"
        return "blocked"


@dataclass(frozen=True)
class Contract:
    name: str
    description: str
    thresholds: Mapping[str, Threshold]


@dataclass(frozen=True)
class EntropyOptions:
    """Which contracts exist, which one the source is judged by, how many top issues."""

    contracts: tuple[Contract, ...] = field(default_factory=lambda: load_contracts())
    contract: str = DEFAULT_CONTRACT
    top_issues: int = 20

    def __post_init__(self) -> None:
        names = [contract.name for contract in self.contracts]
        if self.contract not in names:
            raise ValueError(
                f"entropy_context.contract {self.contract!r} is not a contract; "
                f"known: {', '.join(names)}"
            )
        if self.top_issues < 1:
            raise ValueError(f"top_issues must be at least 1, got {self.top_issues}")


@dataclass(frozen=True)
class EntropyScore:
    """One row of ``entropy_scores``."""

    target_type: str
    target: str
    table_name: str | None
    column_name: str | None
    dimension: str
    score: float
    issue: str
    evidence: str
    reads: str


@dataclass(frozen=True)
class DetectorRun:
    """One row of ``detectors``: whether a dimension's detector ran, and if not, why."""

    dimension: str
    reads: tuple[str, ...]
    status: str
    reason: str | None
    scores: int


@dataclass(frozen=True)
class Readiness:
    """One row of ``readiness``."""

    contract: str
    target_type: str
    table_name: str | None
    column_name: str | None
    readiness: str
    violations: tuple[str, ...]


@dataclass(frozen=True)
class TopIssue:
    """One row of ``top_issues``."""

    rank: int
    target: str
    table_name: str | None
    column_name: str | None
    dimension: str
    score: float
    impact: int
    readiness: str
    issue: str
    evidence: str


@dataclass(frozen=True)
class EntropyResult:
    contract: str
    scores: tuple[EntropyScore, ...]
    detectors: tuple[DetectorRun, ...]
    readiness: tuple[Readiness, ...]
    top_issues: tuple[TopIssue, ...]

    def source_readiness(self, contract: str | None = None) -> Readiness:
        name = contract or self.contract
        (row,) = [r for r in self.readiness if r.contract == name and r.target_type == "source"]
        return row


# ---------------------------------------------------------------------------------------------
# Contracts


def _threshold(value: Any, where: str) -> Threshold:
    if not isinstance(value, Mapping) or "ready" not in value:
        raise ValueError(f"{where}: expected {{ready: <0..1>, investigate: <0..1 or null>}}")
    ready, investigate = value["ready"], value.get("investigate")
    numbers = [ready] if investigate is None else [ready, investigate]
    if any(not isinstance(n, int | float) or not 0 <= n <= 1 for n in numbers):
        raise ValueError(f"{where}: thresholds must be numbers in [0, 1], got {dict(value)}")
    if investigate is not None and investigate < ready:
        raise ValueError(f"{where}: investigate ({investigate}) is below ready ({ready})")
    return Threshold(float(ready), None if investigate is None else float(investigate))


def contracts_from_mapping(
    content: Mapping[str, Any], base: Sequence[Contract] = (), where: str = "contracts"
) -> tuple[Contract, ...]:
    """Contracts from the YAML shape ``{name: {description, extends, thresholds}}`` added to
    ``base``: a name already in ``base`` overrides the dimensions it lists, ``extends`` starts a
    new contract from another one. Unknown dimensions are an error naming the key."""
    result = {contract.name: contract for contract in base}
    for name, body in content.items():
        body = body or {}
        if not isinstance(body, Mapping):
            raise ValueError(f"{where}.{name}: expected a mapping")
        unknown_keys = set(body) - {"description", "extends", "thresholds"}
        if unknown_keys:
            raise ValueError(f"{where}.{name}: unknown keys {sorted(unknown_keys)}")
        parent_name = body.get("extends") or (name if name in result else None)
        if parent_name is not None and parent_name not in result:
            raise ValueError(f"{where}.{name}.extends: no contract {parent_name!r}")
        parent = result.get(parent_name) if parent_name else None
        thresholds = dict(parent.thresholds) if parent else {}
        for dimension, value in (body.get("thresholds") or {}).items():
            if dimension not in DIMENSIONS:
                raise ValueError(
                    f"{where}.{name}.thresholds.{dimension}: unknown dimension; "
                    f"known: {', '.join(DIMENSIONS)}"
                )
            thresholds[dimension] = _threshold(value, f"{where}.{name}.thresholds.{dimension}")
        description = body.get("description") or (parent.description if parent else "")
        result[name] = Contract(name, str(description), thresholds)
    return tuple(result.values())


def load_contracts(overrides: Mapping[str, Any] | None = None) -> tuple[Contract, ...]:
    """The shipped contracts (package data ``entropy_contracts.yaml``), then ``overrides``
    (a source's ``entropy_context.contracts``) on top."""
    text = resources.files("dataraum_assets.analysis").joinpath(CONTRACTS_FILE).read_text("utf-8")
    shipped = contracts_from_mapping(yaml.safe_load(text)["contracts"], where=CONTRACTS_FILE)
    if not overrides:
        return shipped
    return contracts_from_mapping(overrides, shipped, where="entropy_context.contracts")


# ---------------------------------------------------------------------------------------------
# Detectors


@dataclass(frozen=True)
class Upstreams:
    """Attached database per upstream asset (alias = asset name unless overridden)."""

    aliases: Mapping[str, str]
    tables: frozenset[tuple[str, str]]  # (asset, table) present

    def has(self, asset_table: str) -> bool:
        asset, table = asset_table.split(".", 1)
        return (asset, table) in self.tables

    def columns(self, con: duckdb.DuckDBPyConnection, asset_table: str) -> set[str]:
        """Column names of an upstream table: producers may add columns beyond the contract."""
        asset, table = asset_table.split(".", 1)
        return {
            name
            for (name,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = ? "
                "AND schema_name = 'main' AND table_name = ?",
                [self.aliases.get(asset, asset), table],
            ).fetchall()
        }

    def ref(self, asset_table: str) -> str:
        asset, table = asset_table.split(".", 1)
        return f"{quote_identifier(self.aliases.get(asset, asset))}.main.{quote_identifier(table)}"


DetectorFunction = Callable[[duckdb.DuckDBPyConnection, Upstreams], list[EntropyScore]]


@dataclass(frozen=True)
class Detector:
    dimension: str
    reads: tuple[str, ...]  # "asset.table" it needs; skipped when one is missing
    detect: DetectorFunction
    optional_reads: tuple[str, ...] = ()  # used when present


def _pct(value: float) -> str:
    return f"{value:.2%}" if value < 0.0001 or value >= 0.01 else f"{value:.4%}"


def _n(value: int) -> str:
    return f"{value:,}"


def _column_score(
    table: str, column: str, dimension: str, score: float, issue: str, evidence: str, reads: str
) -> EntropyScore:
    return EntropyScore(
        "column",
        f"{table}.{column}",
        table,
        column,
        dimension,
        min(1.0, max(0.0, score)),
        issue,
        evidence,
        reads,
    )


def _detect_types(con: duckdb.DuckDBPyConnection, up: Upstreams) -> list[EntropyScore]:
    rows = con.execute(
        "SELECT table_name, column_name, data_type, coalesce(confidence, 1), "
        "coalesce(non_null, 0), coalesce(failed_count, 0), coalesce(note, '') "
        f"FROM {up.ref('typed_tables.type_decisions')} ORDER BY table_name, position"
    ).fetchall()
    scores = []
    for table, column, data_type, confidence, non_null, failed, note in rows:
        failed_share = failed / non_null if non_null else 0.0
        score = max(1 - confidence, failed_share)
        if failed:
            issue = f"{_n(failed)} values could not be cast to {data_type} (quarantined)"
        else:
            issue = f"type {data_type} decided with confidence {confidence:.3f}"
        evidence = (
            f"score = max(1 − confidence, failed / non-null) = max(1 − {confidence:.6g}, "
            f"{_n(failed)} / {_n(non_null)}) = {score:.4g}" + (f"; {note}" if note else "")
        )
        scores.append(
            _column_score(
                table, column, "structural.types", score, issue, evidence, "type_decisions"
            )
        )
    return scores


def _profile_counts(
    con: duckdb.DuckDBPyConnection, up: Upstreams
) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(table, column) → (rows, nulls, distinct) from column_profiles."""
    rows = con.execute(
        "SELECT table_name, column_name, rows, nulls, distinct_count "
        f"FROM {up.ref('statistical_profiles.column_profiles')}"
    ).fetchall()
    return {(t, c): (r, n, d) for t, c, r, n, d in rows}


def _detect_relations(con: duckdb.DuckDBPyConnection, up: Upstreams) -> list[EntropyScore]:
    counts = _profile_counts(con, up)
    rows = con.execute(
        "SELECT child_table, child_columns, parent_table, parent_columns, "
        "coalesce(orphan_count, 0), cardinality, coalesce(fan_out, false) "
        f"FROM {up.ref('relationships.relationships')} WHERE status = 'accepted' "
        "ORDER BY child_table, child_columns, parent_table, parent_columns"
    ).fetchall()
    by_child: dict[tuple[str, tuple[str, ...]], list[tuple[Any, ...]]] = defaultdict(list)
    for child_table, child_columns, *rest in rows:
        by_child[(child_table, tuple(child_columns))].append(tuple(rest))
    scores = []
    for (child_table, child_columns), parents in by_child.items():
        child_rows, child_nulls, _ = counts.get((child_table, child_columns[0]), (0, 0, 0))
        non_null = child_rows - child_nulls
        k = len(parents)
        ambiguity = 1 - 1 / k
        worst: tuple[float, str, str] | None = None
        for parent_table, parent_columns, orphans, cardinality, fan_out in parents:
            orphan_rate = orphans / non_null if non_null else 0.0
            duplicate_share = 0.0
            if len(parent_columns) == 1 and (parent_table, parent_columns[0]) in counts:
                p_rows, p_nulls, p_distinct = counts[(parent_table, parent_columns[0])]
                p_non_null = p_rows - p_nulls
                duplicate_share = (p_non_null - p_distinct) / p_non_null if p_non_null else 0.0
            parent = f"{parent_table}.{', '.join(parent_columns)}"
            score = max(orphan_rate, ambiguity, duplicate_share)
            evidence = (
                f"joins {parent} ({cardinality}{', fans out' if fan_out else ''}); score = "
                f"max(orphan rate, ambiguity, parent duplicate share) = max({_n(orphans)} / "
                f"{_n(non_null)}, 1 − 1/{k}, {duplicate_share:.4g}) = {score:.4g}"
            )
            if score == orphan_rate and orphans:
                issue = f"{_n(orphans)} rows have no match in {parent} (orphans)"
            elif score == ambiguity and k > 1:
                issue = f"ambiguous join: {k} candidate parents"
            elif duplicate_share:
                issue = f"parent key {parent} is not unique: joins fan out"
            else:
                issue = f"joins {parent} cleanly"
            if worst is None or score > worst[0]:
                worst = (score, issue, evidence)
        assert worst is not None
        for column in child_columns:
            scores.append(
                _column_score(
                    child_table,
                    column,
                    "structural.relations",
                    worst[0],
                    worst[1],
                    worst[2],
                    "relationships",
                )
            )
    return scores


def _detect_business_meaning(con: duckdb.DuckDBPyConnection, up: Upstreams) -> list[EntropyScore]:
    rows = con.execute(
        "SELECT table_name, column_name, role, concept, naming_clarity "
        f"FROM {up.ref('semantic_annotations.column_annotations')} ORDER BY table_name, column_name"
    ).fetchall()
    scores = []
    for table, column, role, concept, naming in rows:
        no_concept = 0.0 if concept or role in KEY_ROLES else 1.0
        naming_score = NAMING_SCORES.get(naming or "noise", 1.0)
        score = (no_concept + naming_score) / 2
        problems = [
            p
            for p, bad in (("no business concept", no_concept), (f"{naming} name", naming_score))
            if bad
        ]
        issue = "; ".join(problems) if problems else f"concept {concept or role}, clear name"
        evidence = (
            f"score = (no_concept + naming) / 2 = ({no_concept:g} + {naming_score:g}) / 2 = "
            f"{score:g}; role {role}, concept {concept or 'none'}, naming {naming}"
        )
        scores.append(
            _column_score(
                table,
                column,
                "semantic.business_meaning",
                score,
                issue,
                evidence,
                "column_annotations",
            )
        )
    return scores


def _detect_units(con: duckdb.DuckDBPyConnection, up: Upstreams) -> list[EntropyScore]:
    units: dict[tuple[str, str], str] = {}
    if up.has("typed_tables.type_decisions"):
        units = {
            (t, c): u
            for t, c, u in con.execute(
                "SELECT table_name, column_name, unit FROM "
                f"{up.ref('typed_tables.type_decisions')} WHERE unit IS NOT NULL"
            ).fetchall()
        }
    annotations = "semantic_annotations.column_annotations"
    # `unit` (a unit the annotator read from the name or the concept) is beyond the contract.
    named_unit = "unit" if "unit" in up.columns(con, annotations) else "NULL"
    rows = con.execute(
        f"SELECT table_name, column_name, unit_column, {named_unit} "
        f"FROM {up.ref(annotations)} WHERE role = 'measure' ORDER BY table_name, column_name"
    ).fetchall()
    scores = []
    for table, column, unit_column, annotated_unit in rows:
        value_unit = units.get((table, column)) or annotated_unit
        if unit_column:
            score, issue, source = (
                0.0,
                f"unit from column {unit_column}",
                f"unit_column {unit_column}",
            )
        elif value_unit:
            score, issue, source = (
                0.0,
                f"unit {value_unit}",
                f"values or name ({value_unit})",
            )
        else:
            score, issue, source = 1.0, "measure without a unit", "none"
        evidence = (
            f"score = 1 if a measure has no unit source else 0 = {score:g}; unit source: {source}"
        )
        scores.append(
            _column_score(
                table, column, "semantic.units", score, issue, evidence, "column_annotations"
            )
        )
    return scores


def _detect_time_role(con: duckdb.DuckDBPyConnection, up: Upstreams) -> list[EntropyScore]:
    temporal: dict[str, list[str]] = defaultdict(list)
    for table, column, data_type, semantic in con.execute(
        "SELECT table_name, column_name, data_type, semantic_type "
        f"FROM {up.ref('statistical_profiles.column_profiles')} ORDER BY table_name, position"
    ).fetchall():
        if _TEMPORAL_TYPES.match(data_type or "") or semantic in _TEMPORAL_SEMANTIC:
            temporal[table].append(column)
    roles = {
        (t, c): r
        for t, c, r in con.execute(
            "SELECT table_name, column_name, role FROM "
            f"{up.ref('semantic_annotations.column_annotations')}"
        ).fetchall()
    }
    tables = {
        t: (k, tc)
        for t, k, tc in con.execute(
            "SELECT table_name, kind, time_column FROM "
            f"{up.ref('semantic_annotations.table_annotations')}"
        ).fetchall()
    }
    scores = []
    for table in sorted(set(temporal) | {t for t, (k, tc) in tables.items() if k == "fact"}):
        kind, time_column = tables.get(table, (None, None))
        columns = temporal.get(table, [])
        unannotated = [
            c for c in columns if roles.get((table, c)) != "timestamp" and c != time_column
        ]
        share = len(unannotated) / len(columns) if columns else 0.0
        fact_without_time = 1.0 if kind == "fact" and not time_column else 0.0
        score = max(share, fact_without_time)
        if fact_without_time:
            issue = "fact table without a time column"
        elif unannotated:
            issue = f"date/time columns without a time role: {', '.join(unannotated)}"
        else:
            issue = f"time column {time_column or 'n/a'}; every date/time column has a time role"
        evidence = (
            f"score = max(unannotated / temporal columns, fact without time column) = "
            f"max({len(unannotated)} / {len(columns)}, {fact_without_time:g}) = {score:.4g}; "
            f"kind {kind or 'unknown'}, time column {time_column or 'none'}"
        )
        scores.append(
            EntropyScore(
                "table",
                table,
                table,
                None,
                "semantic.temporal",
                score,
                issue,
                evidence,
                "table_annotations",
            )
        )
    return scores


def _detect_coverage(con: duckdb.DuckDBPyConnection, up: Upstreams) -> list[EntropyScore]:
    rows = con.execute(
        "SELECT table_name, column_name, granularity, expected_periods, observed_periods, "
        f"completeness FROM {up.ref('temporal_profiles.temporal_columns')} "
        "ORDER BY table_name, column_name"
    ).fetchall()
    scores = []
    for table, column, granularity, expected, observed, completeness in rows:
        if completeness is None:
            if not expected:
                continue
            completeness = observed / expected
        score = 1 - min(1.0, max(0.0, completeness))
        missing = (expected or 0) - (observed or 0)
        issue = (
            f"{_n(missing)} of {_n(expected)} {granularity or ''} periods have no rows"
            if score > 0 and expected
            else f"complete at {granularity} granularity"
        )
        evidence = (
            f"score = 1 − completeness = 1 − observed / expected periods = 1 − {observed} / "
            f"{expected} = {score:.4g} ({granularity})"
        )
        scores.append(
            _column_score(
                table, column, "semantic.coverage", score, issue, evidence, "temporal_columns"
            )
        )
    return scores


def _detect_cycles(con: duckdb.DuckDBPyConnection, up: Upstreams) -> list[EntropyScore]:
    rows = con.execute(
        "SELECT process, completion_rate, evidence FROM "
        f"{up.ref('cycle_analysis.processes')} WHERE detected AND completion_rate IS NOT NULL "
        "ORDER BY process"
    ).fetchall()
    scores = []
    for process, completion, detail in rows:
        score = 1 - min(1.0, max(0.0, completion))
        evidence = f"score = 1 − completion_rate = 1 − {completion:.4g} = {score:.4g}" + (
            f"; {detail}" if detail else ""
        )
        issue = (
            f"{process}: {_pct(score)} of cases do not complete" if score else f"{process} complete"
        )
        scores.append(
            EntropyScore(
                "source",
                f"process:{process}",
                None,
                None,
                "semantic.cycles",
                score,
                issue,
                evidence,
                "processes",
            )
        )
    return scores


def _detect_nulls(con: duckdb.DuckDBPyConnection, up: Upstreams) -> list[EntropyScore]:
    rows = con.execute(
        "SELECT table_name, column_name, rows, nulls, coalesce(quarantined, 0) "
        f"FROM {up.ref('statistical_profiles.column_profiles')} WHERE rows > 0 "
        "ORDER BY table_name, position"
    ).fetchall()
    scores = []
    for table, column, total, nulls, quarantined in rows:
        empty = nulls - quarantined
        score = empty / total
        issue = (
            f"{_n(empty)} of {_n(total)} rows are empty ({_pct(score)})" if empty else "no nulls"
        )
        evidence = (
            f"score = (nulls − quarantined) / rows = ({_n(nulls)} − {_n(quarantined)}) / "
            f"{_n(total)} = {score:.4g}"
        )
        scores.append(
            _column_score(table, column, "value.nulls", score, issue, evidence, "column_profiles")
        )
    return scores


def _detect_outliers(con: duckdb.DuckDBPyConnection, up: Upstreams) -> list[EntropyScore]:
    rows = con.execute(
        "SELECT table_name, column_name, method, outlier_count, outlier_ratio, lower_fence, "
        f"upper_fence, sample_values FROM {up.ref('quality_metrics.outliers')} "
        "ORDER BY table_name, column_name, method DESC"  # modified_z before iqr
    ).fetchall()
    seen: set[tuple[str, str]] = set()
    scores = []
    for table, column, method, count, ratio, lower, upper, samples in rows:
        if (table, column) in seen:
            continue
        seen.add((table, column))
        issue = (
            f"{_n(count)} outliers outside [{lower:.4g}, {upper:.4g}] ({method})"
            if count
            else "no outliers"
        )
        evidence = (
            f"score = {method} outlier_ratio = {_n(count)} outliers / finite values = {ratio:.4g}"
        )
        if samples:
            evidence += f"; most extreme: {', '.join(samples[:3])}"
        scores.append(
            _column_score(table, column, "value.outliers", ratio, issue, evidence, "outliers")
        )
    return scores


def _detect_benford(con: duckdb.DuckDBPyConnection, up: Upstreams) -> list[EntropyScore]:
    rows = con.execute(
        "SELECT table_name, column_name, n, observed, expected, mad, conformity FROM "
        f"{up.ref('quality_metrics.benford')} WHERE skipped_reason IS NULL "
        "AND observed IS NOT NULL ORDER BY table_name, column_name"
    ).fetchall()
    scores = []
    for table, column, n, observed, expected, mad, conformity in rows:
        distance = sum(abs(o - e) for o, e in zip(observed, expected, strict=True)) / 2
        issue = (
            f"first digits deviate from Benford ({conformity}, MAD {mad:.4f})"
            if conformity in ("marginal", "nonconformity")
            else f"first digits follow Benford ({conformity})"
        )
        evidence = (
            f"score = ½·Σ|observed − expected| over first digits 1-9 = 4.5 × MAD = "
            f"{distance:.4g} (n = {_n(n)}, conformity {conformity})"
        )
        scores.append(
            _column_score(table, column, "value.distribution", distance, issue, evidence, "benford")
        )
    return scores


def _detect_drift(con: duckdb.DuckDBPyConnection, up: Upstreams) -> list[EntropyScore]:
    rows = con.execute(
        "SELECT table_name, column_name, series, test, result FROM "
        f"{up.ref('temporal_profiles.series_tests')} WHERE test IN ? AND result <> 'skipped' "
        "ORDER BY table_name, column_name, series, test",
        [list(DRIFT_TESTS)],
    ).fetchall()
    # A series "sum(m)" is the measure m per period; "row_count" is the table's volume, which
    # belongs to the time column it is counted over.
    grouped: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for table, time_column, series, test, result in rows:
        measure = re.fullmatch(r"sum\((.+)\)", series or "")
        target = measure.group(1) if measure else time_column
        grouped[(table, target)].append((f"{series} by {time_column}", test, result))
    scores = []
    for (table, column), tests in grouped.items():
        changed = [(s, t, r) for s, t, r in tests if r in CHANGE_RESULTS]
        score = len(changed) / len(tests)
        issue = (
            "changes over time: " + "; ".join(f"{s} {t}: {r}" for s, t, r in changed[:3])
            if changed
            else "no trend or change point"
        )
        evidence = (
            f"score = trend and change-point tests reporting a change / tests = {len(changed)} "
            f"/ {len(tests)} = {score:.4g}"
        )
        scores.append(
            _column_score(table, column, "value.temporal", score, issue, evidence, "series_tests")
        )
    return scores


def _detect_variance(con: duckdb.DuckDBPyConnection, up: Upstreams) -> list[EntropyScore]:
    rows = con.execute(
        "SELECT table_name, slice_column, count(*), count(*) FILTER (WHERE drifted), "
        "list(DISTINCT slice_value ORDER BY slice_value) FILTER (WHERE drifted) "
        f"FROM {up.ref('slices.slice_drift')} GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    scores = []
    for table, column, cells, drifted, values in rows:
        score = drifted / cells if cells else 0.0
        issue = (
            f"unstable across slices: {', '.join(str(v) for v in (values or [])[:5])}"
            if drifted
            else "stable across slices"
        )
        evidence = (
            f"score = drifted / (slice value × period × metric) cells = {_n(drifted)} / "
            f"{_n(cells)} = {score:.4g}"
        )
        scores.append(
            _column_score(table, column, "value.variance", score, issue, evidence, "slice_drift")
        )
    return scores


def _detect_derived(con: duckdb.DuckDBPyConnection, up: Upstreams) -> list[EntropyScore]:
    rows = con.execute(
        "SELECT table_name, target_column, operation, operand_columns, match_rate FROM "
        f"{up.ref('correlations.derived_columns')} "
        "ORDER BY table_name, target_column, match_rate DESC, operation"
    ).fetchall()
    seen: set[tuple[str, str]] = set()
    scores = []
    for table, column, operation, operands, match_rate in rows:
        if (table, column) in seen:
            continue
        seen.add((table, column))
        score = 1 - match_rate
        formula = f"{column} = {operation}({', '.join(operands)})"
        issue = f"{formula} fails on {_pct(score)} of rows" if score else f"{formula} holds"
        evidence = f"score = 1 − match_rate = 1 − {match_rate:.6g} = {score:.4g}; {formula}"
        scores.append(
            _column_score(
                table,
                column,
                "computational.derived_values",
                score,
                issue,
                evidence,
                "derived_columns",
            )
        )
    return scores


def _detect_reconciliation(con: duckdb.DuckDBPyConnection, up: Upstreams) -> list[EntropyScore]:
    name = "validation_results.validation_results"
    present = up.columns(con, name)
    # Beyond the contract, when the producer has them: the table a check is about and its
    # failing / total rows, which turn a failure into a rate.
    # `bindings` tells apart the instances of one check (the FK check per relationship).
    extra = [
        c if c in present else "NULL"
        for c in ("table_name", "failing_count", "total_count", "bindings")
    ]
    rows = con.execute(
        "SELECT check_id, name, kind, status, reason, observed, tolerance, "
        f"{', '.join(extra)} FROM {up.ref(name)} WHERE status IN ('passed', 'failed') "
        "ORDER BY check_id"
    ).fetchall()
    scores = []
    seen: dict[str, int] = defaultdict(int)
    for row in rows:
        check_id, label, kind, status, reason, observed, tolerance = row[:7]
        table, failing, total, bindings = row[7:]
        target = f"check:{check_id}" + (f"[{bindings}]" if bindings else "")
        seen[target] += 1
        if seen[target] > 1:
            target += f"#{seen[target]}"
        if status == "passed":
            score, formula = 0.0, "0 (passed)"
        elif failing is not None and total:
            score = failing / total
            formula = f"failing / checked rows = {_n(failing)} / {_n(total)} = {score:.4g}"
        else:
            score, formula = 1.0, "1 (failed, no row counts)"
        issue = f"{label} {status}" + (f": {reason}" if reason and status == "failed" else "")
        evidence = f"score = {formula}; {kind} check, observed {observed}, tolerance {tolerance}"
        scores.append(
            EntropyScore(
                "table" if table else "source",
                target,
                table,
                None,
                "computational.reconciliation",
                score,
                issue,
                evidence,
                "validation_results",
            )
        )
    return scores


DETECTORS: tuple[Detector, ...] = (
    Detector("structural.types", ("typed_tables.type_decisions",), _detect_types),
    Detector(
        "structural.relations",
        ("relationships.relationships", "statistical_profiles.column_profiles"),
        _detect_relations,
    ),
    Detector(
        "semantic.business_meaning",
        ("semantic_annotations.column_annotations",),
        _detect_business_meaning,
    ),
    Detector(
        "semantic.units",
        ("semantic_annotations.column_annotations",),
        _detect_units,
        optional_reads=("typed_tables.type_decisions",),
    ),
    Detector(
        "semantic.temporal",
        (
            "semantic_annotations.column_annotations",
            "semantic_annotations.table_annotations",
            "statistical_profiles.column_profiles",
        ),
        _detect_time_role,
    ),
    Detector("semantic.coverage", ("temporal_profiles.temporal_columns",), _detect_coverage),
    Detector("semantic.cycles", ("cycle_analysis.processes",), _detect_cycles),
    Detector("value.nulls", ("statistical_profiles.column_profiles",), _detect_nulls),
    Detector("value.outliers", ("quality_metrics.outliers",), _detect_outliers),
    Detector("value.distribution", ("quality_metrics.benford",), _detect_benford),
    Detector("value.temporal", ("temporal_profiles.series_tests",), _detect_drift),
    Detector("value.variance", ("slices.slice_drift",), _detect_variance),
    Detector("computational.derived_values", ("correlations.derived_columns",), _detect_derived),
    Detector(
        "computational.reconciliation",
        ("validation_results.validation_results",),
        _detect_reconciliation,
    ),
)

# Every upstream asset a detector (or the context document) can read.
UPSTREAM_ASSETS = tuple(
    sorted(
        {r.split(".", 1)[0] for d in DETECTORS for r in (*d.reads, *d.optional_reads)}
        | {"topology_metrics", "pii_findings"}
    )
)


def attached_upstreams(
    con: duckdb.DuckDBPyConnection, aliases: Mapping[str, str] | None = None
) -> Upstreams:
    """Which upstream tables are attached to ``con`` (database alias = asset name unless
    ``aliases`` says otherwise)."""
    aliases = aliases or {}
    by_alias = {aliases.get(asset, asset): asset for asset in UPSTREAM_ASSETS}
    present = {
        (by_alias[database], table)
        for database, table in con.execute(
            "SELECT database_name, table_name FROM duckdb_tables() WHERE schema_name = 'main'"
        ).fetchall()
        if database in by_alias
    }
    return Upstreams(aliases, frozenset(present))


def run_detectors(
    con: duckdb.DuckDBPyConnection,
    detectors: Sequence[Detector] = DETECTORS,
    aliases: Mapping[str, str] | None = None,
) -> tuple[list[EntropyScore], list[DetectorRun]]:
    """Run every detector whose upstream tables are attached; the others are skipped with the
    missing tables as the reason."""
    upstreams = attached_upstreams(con, aliases)
    scores: list[EntropyScore] = []
    runs: list[DetectorRun] = []
    for detector in detectors:
        missing = [name for name in detector.reads if not upstreams.has(name)]
        used = (*detector.reads, *(r for r in detector.optional_reads if upstreams.has(r)))
        if missing:
            runs.append(
                DetectorRun(
                    detector.dimension,
                    detector.reads,
                    "skipped",
                    f"not materialized for this source: {', '.join(missing)}",
                    0,
                )
            )
            continue
        # One score per (target, dimension): a column in two relationships keeps its worst.
        found: dict[tuple[str, str], EntropyScore] = {}
        for score in detector.detect(con, upstreams):
            key = (score.target_type, score.target)
            if not math.isnan(score.score) and (key not in found or score.score > found[key].score):
                found[key] = score
        scores.extend(found.values())
        runs.append(DetectorRun(detector.dimension, used, "ran", None, len(found)))
    return scores, runs


# ---------------------------------------------------------------------------------------------
# Readiness and top issues


def _worst(verdicts: Iterable[str]) -> str:
    return max(verdicts, key=READINESS.index, default="ready")


def compute_readiness(
    scores: Sequence[EntropyScore],
    columns: Sequence[tuple[str, str]],
    contracts: Sequence[Contract],
) -> list[Readiness]:
    """Readiness per contract for every column in ``columns`` (table, column), every table and
    the source; a target without scores (or only dimensions the contract ignores) is ready."""
    tables = sorted({t for t, _ in columns} | {s.table_name for s in scores if s.table_name})
    rows: list[Readiness] = []
    for contract in contracts:
        verdicts: dict[tuple[str | None, str | None], dict[str, str]] = defaultdict(dict)
        for score in scores:
            threshold = contract.thresholds.get(score.dimension)
            if threshold is None:
                continue
            verdict = threshold.verdict(score.score)
            key = (score.table_name, score.column_name)
            previous = verdicts[key].get(score.dimension, "ready")
            verdicts[key][score.dimension] = _worst([previous, verdict])

        def summary(found: Iterable[Mapping[str, str]]) -> tuple[str, tuple[str, ...]]:
            merged: dict[str, str] = {}
            for item in found:
                for dimension, verdict in item.items():
                    merged[dimension] = _worst([merged.get(dimension, "ready"), verdict])
            bad = tuple(sorted(d for d, v in merged.items() if v != "ready"))
            return _worst(merged.values()), bad

        for table, column in columns:
            readiness, bad = summary([verdicts.get((table, column), {})])
            rows.append(Readiness(contract.name, "column", table, column, readiness, bad))
        for table in tables:
            readiness, bad = summary(v for (t, _), v in verdicts.items() if t == table)
            rows.append(Readiness(contract.name, "table", table, None, readiness, bad))
        readiness, bad = summary(verdicts.values())
        rows.append(Readiness(contract.name, "source", None, None, readiness, bad))
    return rows


def rank_issues(
    scores: Sequence[EntropyScore], contracts: Sequence[Contract], contract: str, limit: int
) -> list[TopIssue]:
    """Scores that are not ready under at least one contract, by impact (Σ over contracts:
    2 blocked, 1 investigate), then score; ``readiness`` is the verdict under ``contract``."""
    weight = {"ready": 0, "investigate": 1, "blocked": 2}
    chosen = {c.name: c for c in contracts}[contract]
    candidates = []
    for score in scores:
        impact = sum(
            weight[c.thresholds[score.dimension].verdict(score.score)]
            for c in contracts
            if score.dimension in c.thresholds
        )
        if impact == 0:
            continue
        threshold = chosen.thresholds.get(score.dimension)
        readiness = threshold.verdict(score.score) if threshold else "ready"
        candidates.append((score, impact, readiness))
    candidates.sort(key=lambda item: (-item[1], -item[0].score, item[0].target, item[0].dimension))
    return [
        TopIssue(
            rank,
            score.target,
            score.table_name,
            score.column_name,
            score.dimension,
            score.score,
            impact,
            readiness,
            score.issue,
            score.evidence,
        )
        for rank, (score, impact, readiness) in enumerate(candidates[:limit], start=1)
    ]


def build_entropy_context(
    con: duckdb.DuckDBPyConnection,
    options: EntropyOptions | None = None,  # None: the shipped contracts (read when called)
    progress: Callable[[str], None] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> EntropyResult:
    """Score every attached upstream, judge readiness under every contract and write
    ``entropy_scores``, ``readiness``, ``top_issues`` and ``detectors``. ``statistical_profiles``
    must be attached (it lists the columns); every other upstream is optional."""
    options = options or EntropyOptions()
    profiles = (aliases or {}).get("statistical_profiles", "statistical_profiles")
    columns = [
        (t, c)
        for t, c in con.execute(
            "SELECT table_name, column_name FROM "
            f"{quote_identifier(profiles)}.main.column_profiles ORDER BY table_name, position"
        ).fetchall()
    ]
    scores, runs = run_detectors(con, DETECTORS, aliases)
    if progress is not None:
        for run in runs:
            progress(
                f"{run.dimension}: {run.scores} scores"
                if run.status == "ran"
                else f"{run.dimension}: skipped ({run.reason})"
            )
    readiness = compute_readiness(scores, columns, options.contracts)
    issues = rank_issues(scores, options.contracts, options.contract, options.top_issues)
    result = EntropyResult(
        options.contract, tuple(scores), tuple(runs), tuple(readiness), tuple(issues)
    )
    write_records(con, "entropy_scores", _SCORES_DDL, result.scores)
    write_records(con, "readiness", _READINESS_DDL, result.readiness)
    write_records(con, "top_issues", _ISSUES_DDL, result.top_issues)
    write_records(con, "detectors", _DETECTORS_DDL, result.detectors)
    return result


_SCORES_DDL = {
    "target_type": "VARCHAR",
    "target": "VARCHAR",
    "table_name": "VARCHAR",
    "column_name": "VARCHAR",
    "dimension": "VARCHAR",
    "score": "DOUBLE",
    "issue": "VARCHAR",
    "evidence": "VARCHAR",
    "reads": "VARCHAR",
}
_READINESS_DDL = {
    "contract": "VARCHAR",
    "target_type": "VARCHAR",
    "table_name": "VARCHAR",
    "column_name": "VARCHAR",
    "readiness": "VARCHAR",
    "violations": "VARCHAR[]",
}
_ISSUES_DDL = {
    "rank": "INTEGER",
    "target": "VARCHAR",
    "table_name": "VARCHAR",
    "column_name": "VARCHAR",
    "dimension": "VARCHAR",
    "score": "DOUBLE",
    "impact": "INTEGER",
    "readiness": "VARCHAR",
    "issue": "VARCHAR",
    "evidence": "VARCHAR",
}
_DETECTORS_DDL = {
    "dimension": "VARCHAR",
    "reads": "VARCHAR[]",
    "status": "VARCHAR",
    "reason": "VARCHAR",
    "scores": "INTEGER",
}


class EntropyScoresSchema(pa.DataFrameModel):
    target_type: Series[str] = pa.Field(isin=list(TARGET_TYPES))
    target: Series[str]
    table_name: Series[str] = pa.Field(nullable=True)
    column_name: Series[str] = pa.Field(nullable=True)
    dimension: Series[str] = pa.Field(isin=list(DIMENSIONS))
    score: Series[float] = pa.Field(in_range={"min_value": 0, "max_value": 1})
    issue: Series[str]
    evidence: Series[str]
    reads: Series[str]

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True
        unique = ["target_type", "target", "dimension"]  # noqa: RUF012 - pandera reads it as is


class ReadinessSchema(pa.DataFrameModel):
    contract: Series[str]
    target_type: Series[str] = pa.Field(isin=list(TARGET_TYPES))
    table_name: Series[str] = pa.Field(nullable=True)
    column_name: Series[str] = pa.Field(nullable=True)
    readiness: Series[str] = pa.Field(isin=list(READINESS))
    violations: Series[object]

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True
        unique = ["contract", "target_type", "table_name", "column_name"]  # noqa: RUF012

    @pa.check("violations", name="list")
    @classmethod
    def lists(cls, series: pd.Series) -> pd.Series:
        return is_list(series)


class TopIssuesSchema(pa.DataFrameModel):
    rank: Series[int] = pa.Field(ge=1, unique=True)
    target: Series[str]
    table_name: Series[str] = pa.Field(nullable=True)
    column_name: Series[str] = pa.Field(nullable=True)
    dimension: Series[str] = pa.Field(isin=list(DIMENSIONS))
    score: Series[float] = pa.Field(in_range={"min_value": 0, "max_value": 1})
    impact: Series[int] = pa.Field(ge=1)
    readiness: Series[str] = pa.Field(isin=list(READINESS))
    issue: Series[str]
    evidence: Series[str]

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True


class DetectorsSchema(pa.DataFrameModel):
    dimension: Series[str] = pa.Field(isin=list(DIMENSIONS), unique=True)
    reads: Series[object]
    status: Series[str] = pa.Field(isin=["ran", "skipped"])
    reason: Series[str] = pa.Field(nullable=True)
    scores: Series[int] = pa.Field(ge=0)

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True

    @pa.check("reads", name="list")
    @classmethod
    def lists(cls, series: pd.Series) -> pd.Series:
        return is_list(series)

    @pa.dataframe_check
    @classmethod
    def skipped_has_reason(cls, frame: pd.DataFrame) -> pd.Series:
        return pd.Series((frame["status"] == "skipped") == frame["reason"].notna())


OUTPUT_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "entropy_scores": EntropyScoresSchema,
    "readiness": ReadinessSchema,
    "top_issues": TopIssuesSchema,
    "detectors": DetectorsSchema,
}
