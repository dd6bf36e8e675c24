"""Personal data in the typed tables: the ``pii_findings`` stage.

Reads ``"<typed>".typed."<table>"`` and, when attached, ``semantic_annotations.
column_annotations`` (concepts), and writes ``pii_findings`` (one row per column found to hold
PII, its best kind) and ``pii_candidates`` (every evaluated (column, kind) with any match, found
or not, so a reader sees why a decoy was rejected). No value is ever written, logged or returned:
only counts.

How a column is examined (the pattern library is ``pii_patterns.yaml``, package data, overridden
per source in ``dataraum.yaml``):

1. **Which kinds.** A *value* kind (email, payment_card, iban, ssn, ip_address, phone) is tried
   on every text (and, where the kind allows, integer) column. A *semantic* kind
   (date_of_birth, person_name, postal_address, postal_code) is tried only on a column whose
   normalized header matches the kind's ``header`` expression or whose semantic concept is one
   of its ``concepts``: a 5-digit number is a postal code only in a column that says so.
2. **Sample first.** The whole table when it has at most ``sample_rows`` rows, else the rows
   whose ``hash(_row) % k = 0`` with ``k = ceil(rows / sample_rows)``: deterministic, one
   filtered scan. Every (column, kind) is counted in one SQL aggregate over the sample:
   non-null values, values whose normalized form fully matches the kind's ``pattern`` (or its
   ``loose_pattern`` when the header/concept names the kind), and of those the values that
   pass the kind's ``validator`` (Luhn, IBAN length + mod-97, SSN ranges, phone digit count,
   plausible birth date). Shape-matching values that fail the validator are counted as
   ``checksum_failures``: a 16-digit number failing Luhn or an IBAN with a bad check digit is
   not PII.
3. **Confidence.** ``match_share`` = valid values / non-null values examined. Value kinds:
   ``confidence = min(1, match_share + header_boost)`` when the header or a concept names the
   kind, else ``match_share``. Semantic kinds: ``confidence = semantic_certainty ×
   match_share``. A (column, kind) is found when ``confidence >= confidence_threshold``; a
   column keeps its most confident kind (ties: library order).
4. **Confirm only where needed.** When the sample's share is so close to the share the
   threshold requires that its Wilson interval (``confirm_z``, 99.9% by default) contains it,
   the counts are redone on the full column; otherwise the sample decides (``sampled`` says
   which). Columns far from the threshold, which is nearly all of them, never cost a full scan.
"""

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

import duckdb
import pandas as pd
import pandera.pandas as pa
import yaml
from pandera.typing import Series

from dataraum_assets.analysis.column_kinds import INTEGER_TYPES
from dataraum_assets.analysis.output_tables import write_records
from dataraum_assets.analysis.typed_tables import typed_columns
from dataraum_assets.identifiers import ROW_NUMBER_COLUMN, quote_identifier, quote_literal

PATTERN_LIBRARY = "pii_patterns.yaml"
FRAMEWORKS = ("GDPR", "HIPAA", "PCI")
DETECTIONS = ("value", "semantic")
NORMALIZATIONS = ("trim", "compact", "compact_upper")
VALIDATORS = ("none", "luhn", "iban", "ssn", "phone", "date_of_birth", "has_digit")
TYPE_CLASSES = ("text", "integer", "temporal")
REDACTION_STRATEGIES = ("mask", "keyed_hash", "drop", "generalize", "keep")

# IBAN lengths per country, from the SWIFT IBAN registry (release 99, 2024).
IBAN_LENGTHS: Mapping[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip

_TEMPORAL_TYPES = frozenset({"DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS"})
_KIND_FIELDS = frozenset(
    {"frameworks", "detection", "normalize", "pattern", "loose_pattern", "validator", "header"}
    | {"concepts", "types", "redaction"}
)
_LIBRARY_FIELDS = frozenset(
    {"confidence_threshold", "sample_rows", "header_boost", "semantic_certainty", "confirm_z"}
    | {"kinds", "disabled_kinds", "max_age_years"}
)


class PatternLibraryError(ValueError):
    """The pattern library (package default or a source's override) is invalid."""


@dataclass(frozen=True)
class PiiKind:
    """One entry of the pattern library (``pii_patterns.yaml`` documents the fields)."""

    name: str
    frameworks: tuple[str, ...]
    detection: str
    normalize: str = "trim"
    pattern: str | None = None
    loose_pattern: str | None = None
    validator: str = "none"
    header: str | None = None
    concepts: tuple[str, ...] = ()
    types: tuple[str, ...] = ("text",)
    redaction: str = "keyed_hash"

    def __post_init__(self) -> None:
        def bad(field_name: str, value: object, allowed: Iterable[str]) -> PatternLibraryError:
            return PatternLibraryError(
                f"PII kind {self.name!r}: {field_name} {value!r} is not one of {', '.join(allowed)}"
            )

        for framework in self.frameworks:
            if framework not in FRAMEWORKS:
                raise bad("framework", framework, FRAMEWORKS)
        if self.detection not in DETECTIONS:
            raise bad("detection", self.detection, DETECTIONS)
        if self.normalize not in NORMALIZATIONS:
            raise bad("normalize", self.normalize, NORMALIZATIONS)
        if self.validator not in VALIDATORS:
            raise bad("validator", self.validator, VALIDATORS)
        for type_class in self.types:
            if type_class not in TYPE_CLASSES:
                raise bad("type", type_class, TYPE_CLASSES)
        if self.redaction not in REDACTION_STRATEGIES:
            raise bad("redaction", self.redaction, REDACTION_STRATEGIES)
        if self.pattern is None and self.validator != "date_of_birth":
            raise PatternLibraryError(f"PII kind {self.name!r}: needs a pattern")
        if self.detection == "semantic" and not (self.header or self.concepts):
            raise PatternLibraryError(
                f"PII kind {self.name!r}: a semantic kind needs a header or concepts"
            )
        if self.header is not None:
            try:
                re.compile(self.header)
            except re.error as error:
                raise PatternLibraryError(
                    f"PII kind {self.name!r}: header is not a regular expression: {error}"
                ) from error

    def names_column(self, column: str, concept: str | None) -> str | None:
        """'concept' or 'header' when the column's concept or name says it holds this kind."""
        if concept is not None and concept in self.concepts:
            return "concept"
        if self.header is not None and re.search(self.header, column):
            return "header"
        return None


@dataclass(frozen=True)
class PiiOptions:
    """The pattern library and thresholds (``pii_patterns.yaml`` holds the defaults)."""

    kinds: tuple[PiiKind, ...]
    confidence_threshold: float = 0.7
    sample_rows: int = 20_000
    header_boost: float = 0.2
    semantic_certainty: float = 0.95
    confirm_z: float = 3.29
    # Birth dates older than this many years are not plausible.
    max_age_years: int = 120

    def __post_init__(self) -> None:
        if not 0 < self.confidence_threshold <= 1:
            raise PatternLibraryError(
                f"confidence_threshold must be in (0, 1], got {self.confidence_threshold}"
            )
        if self.sample_rows < 100:
            raise PatternLibraryError(f"sample_rows must be at least 100, got {self.sample_rows}")
        if not 0 <= self.header_boost < 1 or not 0 < self.semantic_certainty <= 1:
            raise PatternLibraryError("header_boost must be in [0, 1), semantic_certainty (0, 1]")
        names = [kind.name for kind in self.kinds]
        if len(set(names)) != len(names):
            raise PatternLibraryError(f"duplicate PII kinds in {names}")

    def kind(self, name: str) -> PiiKind:
        for kind in self.kinds:
            if kind.name == name:
                return kind
        raise KeyError(name)


def default_library() -> dict[str, Any]:
    """The package's pattern library as parsed YAML."""
    text = resources.files("dataraum_assets.analysis").joinpath(PATTERN_LIBRARY).read_text("utf-8")
    return yaml.safe_load(text)


def load_options(override: Mapping[str, Any] | None = None) -> PiiOptions:
    """The package library with a source's ``privacy.pii`` override applied: top-level keys
    replace the defaults, ``kinds.<name>`` entries replace the listed fields of that kind (or
    add a kind), ``disabled_kinds`` removes kinds. Errors name the kind and field."""
    library = default_library()
    override = dict(override or {})
    unknown = set(override) - _LIBRARY_FIELDS
    if unknown:
        raise PatternLibraryError(f"unknown PII library keys: {', '.join(sorted(unknown))}")
    kinds: dict[str, dict[str, Any]] = {
        name: dict(spec) for name, spec in library.pop("kinds").items()
    }
    for name, spec in (override.pop("kinds", None) or {}).items():
        bad = set(spec) - _KIND_FIELDS
        if bad:
            raise PatternLibraryError(f"PII kind {name!r}: unknown fields {', '.join(sorted(bad))}")
        kinds[name] = {**kinds.get(name, {}), **spec}
    for name in override.pop("disabled_kinds", None) or ():
        if name not in kinds:
            raise PatternLibraryError(f"disabled_kinds: unknown PII kind {name!r}")
        del kinds[name]
    settings = {**library, **override}
    built = []
    for name, spec in kinds.items():
        if "frameworks" not in spec or "detection" not in spec:
            raise PatternLibraryError(f"PII kind {name!r}: needs frameworks and detection")
        built.append(
            PiiKind(
                name=name,
                frameworks=tuple(spec["frameworks"]),
                detection=spec["detection"],
                normalize=spec.get("normalize", "trim"),
                pattern=spec.get("pattern"),
                loose_pattern=spec.get("loose_pattern"),
                validator=spec.get("validator", "none"),
                header=spec.get("header"),
                concepts=tuple(spec.get("concepts", ())),
                types=tuple(spec.get("types", ("text",))),
                redaction=spec.get("redaction", "keyed_hash"),
            )
        )
    return PiiOptions(kinds=tuple(built), **settings)


@dataclass(frozen=True)
class PiiEvaluation:
    """One evaluated (column, kind): a row of ``pii_candidates`` and, when it is the column's
    found kind, of ``pii_findings``. Counts only, never values."""

    table_name: str
    column_name: str
    pii_kind: str
    match_share: float
    confidence: float
    example_count: int  # values that match the kind and pass its validator
    frameworks: tuple[str, ...]
    values_examined: int  # non-null values counted (the sample's or the full column's)
    checksum_failures: int  # values of the kind's shape that fail its validator
    sampled: bool  # counts from the sample (True) or the full column (False)
    named_by: str | None  # 'header', 'concept' or NULL: what besides the values names the kind
    redaction: str  # the kind's default redaction strategy
    evidence: str
    detected: bool = False


@dataclass(frozen=True)
class PiiResult:
    findings: tuple[PiiEvaluation, ...] = ()
    candidates: tuple[PiiEvaluation, ...] = ()
    sample_rows: Mapping[str, int] = field(default_factory=dict)  # rows examined per table
    confirmed_columns: int = 0  # (column, kind) pairs recounted on the full column


@dataclass(frozen=True)
class _Plan:
    column: str
    kind: PiiKind
    named_by: str | None
    type_class: str


def build_pii_findings(
    con: duckdb.DuckDBPyConnection,
    options: PiiOptions | None = None,
    progress: Callable[[str], None] | None = None,
    typed_database: str = "typed_tables",
    annotations_database: str | None = None,
) -> PiiResult:
    """Examine every column of ``typed_database`` and write ``pii_findings`` and
    ``pii_candidates``; ``annotations_database`` (semantic_annotations, when attached) adds
    concepts. Returns what was written."""
    options = options or load_options()
    _check_patterns(con, options)
    concepts = _concepts(con, annotations_database) if annotations_database else {}
    typed = quote_identifier(typed_database)
    candidates: list[PiiEvaluation] = []
    sample_sizes: dict[str, int] = {}
    confirmed = 0
    for table, columns in typed_columns(con, typed_database).items():
        plans = _plans(table, columns, concepts, options)
        source = f"{typed}.typed.{quote_identifier(table)}"
        if not plans:
            continue
        [(rows,)] = con.execute(f"SELECT count(*) FROM {source}").fetchall()
        sampled = rows > options.sample_rows
        scope = source
        if sampled:
            buckets = math.ceil(rows / options.sample_rows)
            scope = (
                f"(SELECT * FROM {source} WHERE hash({quote_identifier(ROW_NUMBER_COLUMN)}) "
                f"% {int(buckets)} = 0)"
            )
        counts = _count(con, scope, plans, options)
        sample_sizes[table] = counts.pop("__rows__") if plans else 0
        evaluations = {
            (plan.column, plan.kind.name): _evaluate(table, plan, counts, sampled, options)
            for plan in plans
        }
        to_confirm = [
            plan
            for plan in plans
            if sampled and _straddles(evaluations[(plan.column, plan.kind.name)], options)
        ]
        if to_confirm:
            full = _count(con, source, to_confirm, options)
            for plan in to_confirm:
                evaluations[(plan.column, plan.kind.name)] = _evaluate(
                    table, plan, full, False, options
                )
            confirmed += len(to_confirm)
        candidates.extend(
            evaluation
            for evaluation in evaluations.values()
            if evaluation.example_count or evaluation.checksum_failures
        )
        if progress:
            found = sum(
                1 for e in evaluations.values() if e.confidence >= options.confidence_threshold
            )
            progress(
                f"pii_findings: {table}: {len(plans)} (column, kind) pairs on "
                f"{sample_sizes[table]:,} of {rows:,} rows, {len(to_confirm)} confirmed on the "
                f"full column, {found} above the threshold"
            )
    findings = _best_per_column(candidates, options)
    chosen = {(f.table_name, f.column_name, f.pii_kind) for f in findings}
    candidates = [
        replace(c, detected=(c.table_name, c.column_name, c.pii_kind) in chosen) for c in candidates
    ]
    write_records(con, "pii_findings", _FINDINGS_DDL, findings)
    write_records(con, "pii_candidates", _CANDIDATES_DDL, candidates)
    return PiiResult(
        findings=tuple(findings),
        candidates=tuple(candidates),
        sample_rows=sample_sizes,
        confirmed_columns=confirmed,
    )


def _check_patterns(con: duckdb.DuckDBPyConnection, options: PiiOptions) -> None:
    # DuckDB's regular expressions are RE2, not Python's: compile each in DuckDB itself.
    for kind in options.kinds:
        for name, pattern in (("pattern", kind.pattern), ("loose_pattern", kind.loose_pattern)):
            if pattern is None:
                continue
            try:
                con.execute("SELECT regexp_full_match('', ?)", [pattern]).fetchall()
            except duckdb.Error as error:
                raise PatternLibraryError(
                    f"PII kind {kind.name!r}: {name} is not an RE2 expression: {error}"
                ) from error


def _concepts(con: duckdb.DuckDBPyConnection, database: str) -> dict[tuple[str, str], str]:
    rows = con.execute(
        f"SELECT table_name, column_name, concept FROM {quote_identifier(database)}"
        ".main.column_annotations WHERE concept IS NOT NULL"
    ).fetchall()
    return {(table, column): concept for table, column, concept in rows}


def _type_class(data_type: str) -> str | None:
    if data_type == "VARCHAR":
        return "text"
    if data_type in INTEGER_TYPES:
        return "integer"
    if data_type in _TEMPORAL_TYPES:
        return "temporal"
    return None


def _plans(
    table: str,
    columns: Sequence[tuple[str, str]],
    concepts: Mapping[tuple[str, str], str],
    options: PiiOptions,
) -> list[_Plan]:
    plans = []
    for column, data_type in columns:
        type_class = _type_class(data_type)
        if type_class is None:
            continue
        for kind in options.kinds:
            if type_class not in kind.types:
                continue
            named_by = kind.names_column(column, concepts.get((table, column)))
            if kind.detection == "semantic" and named_by is None:
                continue
            if kind.validator == "date_of_birth" and type_class == "integer":
                continue
            plans.append(_Plan(column, kind, named_by, type_class))
    return plans


def _normalized(kind: PiiKind, expression: str) -> str:
    text = f"trim(CAST({expression} AS VARCHAR))"
    if kind.normalize == "compact":
        return f"regexp_replace({text}, '[ ./-]', '', 'g')"
    if kind.normalize == "compact_upper":
        return f"upper(regexp_replace({text}, '\\s', '', 'g'))"
    return text


def _iban_check(value: str) -> str:
    lengths = " ".join(
        f"WHEN {quote_literal(country)} THEN {length}" for country, length in IBAN_LENGTHS.items()
    )
    rearranged = f"substr({value}, 5) || left({value}, 4)"
    # mod-97 of the number spelled by the rearranged IBAN (A=10 .. Z=35), digit by digit.
    digits = (
        f"list_transform(string_split({rearranged}, ''), lambda c: CASE WHEN c BETWEEN 'A' "
        "AND 'Z' THEN ascii(c) - 55 ELSE TRY_CAST(c AS INTEGER) END)"
    )
    mod97 = (
        f"list_reduce({digits}, lambda acc, x: CASE WHEN x >= 10 THEN (acc * 100 + x) % 97 "
        "ELSE (acc * 10 + x) % 97 END, 0)"
    )
    return f"(length({value}) = CASE left({value}, 2) {lengths} ELSE -1 END AND {mod97} = 1)"


def _validator(plan: _Plan, value: str, options: PiiOptions) -> str:
    validator = plan.kind.validator
    if validator == "luhn":
        digit = "TRY_CAST(d AS INTEGER)"
        return (
            f"(list_sum(list_transform(string_split(reverse({value}), ''), lambda d, i: "
            f"CASE WHEN i % 2 = 0 THEN {digit} * 2 - CASE WHEN {digit} * 2 > 9 THEN 9 ELSE 0 END"
            f" ELSE {digit} END)) % 10 = 0)"
        )
    if validator == "iban":
        return _iban_check(value)
    if validator == "ssn":
        digits = f"replace({value}, '-', '')"
        return (
            f"(left({digits}, 3) NOT IN ('000', '666') AND left({digits}, 1) <> '9' "
            f"AND substr({digits}, 4, 2) <> '00' AND substr({digits}, 6, 4) <> '0000')"
        )
    if validator == "phone":
        return (
            f"(length(regexp_replace({value}, '[^0-9]', '', 'g')) BETWEEN 7 AND 15 "
            # ISO and day-first dates, IPv4 addresses and version numbers share the shape.
            f"AND NOT regexp_full_match({value}, "
            "'[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{2,4}"
            "|[0-9]{1,3}(?:[.][0-9]{1,3}){2,3}'))"
        )
    if validator == "has_digit":
        return f"regexp_matches({value}, '[0-9]')"
    if validator == "date_of_birth":
        as_date = (
            f"CAST({quote_identifier(plan.column)} AS DATE)"
            if plan.type_class == "temporal"
            else f"TRY_CAST({value} AS DATE)"
        )
        return (
            f"({as_date} BETWEEN current_date - INTERVAL {int(options.max_age_years)} YEAR "
            "AND current_date)"
        )
    return "true"


def _shape(plan: _Plan, value: str) -> str:
    patterns = [plan.kind.pattern]
    if plan.named_by is not None:
        patterns.append(plan.kind.loose_pattern)
    tests = [f"regexp_full_match({value}, {quote_literal(p)})" for p in patterns if p]
    if not tests:  # date_of_birth: a date (or date-like text) is the shape
        return "true" if plan.type_class == "temporal" else f"TRY_CAST({value} AS DATE) IS NOT NULL"
    return "(" + " OR ".join(tests) + ")"


def _count(
    con: duckdb.DuckDBPyConnection, scope: str, plans: Sequence[_Plan], options: PiiOptions
) -> dict[str, int]:
    """Non-null, shape-matching and valid counts per plan over ``scope`` (keys
    ``<column>\0<kind>\0n|shape|valid``) and ``__rows__``.

    Text and integer columns are unpivoted into one (column, value) stream so each kind's
    expressions appear once in the query, not once per column: DuckDB compiles a regular
    expression per expression, and the Unicode classes of the library cost ~0.1 s each."""
    counts: dict[str, int] = {}
    wide = [plan for plan in plans if plan.type_class == "temporal"]
    long = [plan for plan in plans if plan.type_class != "temporal"]
    parts = ["count(*)"]
    for plan in wide:
        column = quote_identifier(plan.column)
        value = _normalized(plan.kind, column)
        shape = _shape(plan, value)
        valid = f"CASE WHEN {shape} THEN {_validator(plan, value, options)} ELSE false END"
        parts += [f"count({column})", f"count_if({shape})", f"count_if({valid})"]
    [row] = con.execute(f"SELECT {', '.join(parts)} FROM {scope}").fetchall()
    counts["__rows__"] = int(row[0])
    for index, plan in enumerate(wide):
        key = f"{plan.column}\x00{plan.kind.name}"
        counts[key + "\x00n"] = int(row[1 + 3 * index])
        counts[key + "\x00shape"] = int(row[2 + 3 * index] or 0)
        counts[key + "\x00valid"] = int(row[3 + 3 * index] or 0)
    if not long:
        return counts
    columns = sorted({plan.column for plan in long})
    alias = {column: f"c{index}" for index, column in enumerate(columns)}
    kinds: dict[str, PiiKind] = {}
    for plan in long:
        kinds.setdefault(plan.kind.name, plan.kind)
    parts = []
    for index, kind in enumerate(kinds.values()):
        mine = [plan for plan in long if plan.kind.name == kind.name]
        examined = ", ".join(quote_literal(alias[plan.column]) for plan in mine)
        named = [quote_literal(alias[plan.column]) for plan in mine if plan.named_by]
        value = _normalized(kind, "v")
        tests = (
            [f"regexp_full_match({value}, {quote_literal(kind.pattern)})"] if kind.pattern else []
        )
        if kind.loose_pattern and named:
            tests.append(
                f"(col IN ({', '.join(named)}) AND "
                f"regexp_full_match({value}, {quote_literal(kind.loose_pattern)}))"
            )
        shape = " OR ".join(tests) if tests else f"TRY_CAST({value} AS DATE) IS NOT NULL"
        shape = f"(col IN ({examined}) AND ({shape}))"
        probe = _Plan(mine[0].column, kind, None, "text")
        valid = f"CASE WHEN {shape} THEN {_validator(probe, value, options)} ELSE false END"
        parts += [f"count_if({shape}) AS s{index}", f"count_if({valid}) AS v{index}"]
    casts = ", ".join(
        f"CAST({quote_identifier(column)} AS VARCHAR) AS {alias[column]}" for column in columns
    )
    rows = con.execute(
        f"SELECT col, count(v), {', '.join(parts)} FROM (UNPIVOT (SELECT {casts} FROM {scope}) "
        f"ON {', '.join(alias.values())} INTO NAME col VALUE v) GROUP BY col"
    ).fetchall()
    by_alias = {row[0]: row for row in rows}
    positions = {name: index for index, name in enumerate(kinds)}
    for plan in long:
        key = f"{plan.column}\x00{plan.kind.name}"
        row = by_alias.get(alias[plan.column])
        position = positions[plan.kind.name]
        counts[key + "\x00n"] = int(row[1]) if row else 0
        counts[key + "\x00shape"] = int(row[2 + 2 * position] or 0) if row else 0
        counts[key + "\x00valid"] = int(row[3 + 2 * position] or 0) if row else 0
    return counts


def _confidence(kind: PiiKind, share: float, named_by: str | None, options: PiiOptions) -> float:
    if kind.detection == "semantic":
        return options.semantic_certainty * share
    return min(1.0, share + (options.header_boost if named_by else 0.0))


def _evaluate(
    table: str, plan: _Plan, counts: Mapping[str, int], sampled: bool, options: PiiOptions
) -> PiiEvaluation:
    key = f"{plan.column}\x00{plan.kind.name}"
    n, shape, valid = counts[key + "\x00n"], counts[key + "\x00shape"], counts[key + "\x00valid"]
    share = valid / n if n else 0.0
    confidence = _confidence(plan.kind, share, plan.named_by, options)
    where = "sampled " if sampled else ""
    evidence = [f"{valid:,} of {n:,} {where}non-null values match {plan.kind.name}"]
    if shape > valid:
        check = plan.kind.validator
        evidence.append(f"{shape - valid:,} of its shape fail the {check} check")
    if plan.named_by:
        evidence.append(f"the column's {plan.named_by} names {plan.kind.name}")
    return PiiEvaluation(
        table_name=table,
        column_name=plan.column,
        pii_kind=plan.kind.name,
        match_share=round(share, 6),
        confidence=round(confidence, 6),
        example_count=valid,
        frameworks=plan.kind.frameworks,
        values_examined=n,
        checksum_failures=shape - valid,
        sampled=sampled,
        named_by=plan.named_by,
        redaction=plan.kind.redaction,
        evidence="; ".join(evidence),
    )


def required_share(kind: PiiKind, named_by: str | None, options: PiiOptions) -> float:
    """The match share at which a (column, kind) reaches the confidence threshold."""
    if kind.detection == "semantic":
        return options.confidence_threshold / options.semantic_certainty
    return options.confidence_threshold - (options.header_boost if named_by else 0.0)


def wilson_interval(successes: int, n: int, z: float) -> tuple[float, float]:
    """Wilson score interval of a binomial share (better than the normal one near 0 and 1)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def _straddles(evaluation: PiiEvaluation, options: PiiOptions) -> bool:
    kind = options.kind(evaluation.pii_kind)
    if evaluation.values_examined == 0:
        return False
    low, high = wilson_interval(
        evaluation.example_count, evaluation.values_examined, options.confirm_z
    )
    return low <= required_share(kind, evaluation.named_by, options) <= high


def _best_per_column(
    candidates: Sequence[PiiEvaluation], options: PiiOptions
) -> list[PiiEvaluation]:
    order = {kind.name: index for index, kind in enumerate(options.kinds)}
    best: dict[tuple[str, str], PiiEvaluation] = {}
    for evaluation in candidates:
        if evaluation.confidence < options.confidence_threshold:
            continue
        key = (evaluation.table_name, evaluation.column_name)
        current = best.get(key)
        if current is None or (-evaluation.confidence, order[evaluation.pii_kind]) < (
            -current.confidence,
            order[current.pii_kind],
        ):
            best[key] = evaluation
    return [replace(best[key], detected=True) for key in sorted(best)]


_CANDIDATES_DDL = {
    "table_name": "VARCHAR",
    "column_name": "VARCHAR",
    "pii_kind": "VARCHAR",
    "match_share": "DOUBLE",
    "confidence": "DOUBLE",
    "example_count": "BIGINT",
    "frameworks": "VARCHAR[]",
    "values_examined": "BIGINT",
    "checksum_failures": "BIGINT",
    "sampled": "BOOLEAN",
    "named_by": "VARCHAR",
    "redaction": "VARCHAR",
    "evidence": "VARCHAR",
    "detected": "BOOLEAN",
}
_FINDINGS_DDL = {name: kind for name, kind in _CANDIDATES_DDL.items() if name != "detected"}


def _is_list_of_frameworks(series: pd.Series) -> pd.Series:
    return series.map(
        lambda value: (
            value is not None and len(value) > 0 and all(item in FRAMEWORKS for item in value)
        )
    )


class _EvaluationColumns(pa.DataFrameModel):
    table_name: Series[str]
    column_name: Series[str]
    pii_kind: Series[str]
    match_share: Series[float] = pa.Field(in_range={"min_value": 0, "max_value": 1})
    confidence: Series[float] = pa.Field(in_range={"min_value": 0, "max_value": 1})
    example_count: Series[int] = pa.Field(ge=0)
    frameworks: Series[object]
    values_examined: Series[int] = pa.Field(ge=0)
    checksum_failures: Series[int] = pa.Field(ge=0)
    sampled: Series[bool]
    named_by: Series[str] = pa.Field(nullable=True, isin=["header", "concept"])
    redaction: Series[str] = pa.Field(isin=list(REDACTION_STRATEGIES))
    evidence: Series[str]

    @pa.check("frameworks", name="frameworks_listed")
    @classmethod
    def frameworks_listed(cls, series: pd.Series) -> pd.Series:
        return _is_list_of_frameworks(series)

    @pa.dataframe_check
    @classmethod
    def counts_agree(cls, frame: pd.DataFrame) -> pd.Series:
        """example_count never exceeds the values examined."""
        return pd.Series(frame["example_count"] <= frame["values_examined"])


class PiiFindingsSchema(_EvaluationColumns):
    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True
        unique = ["table_name", "column_name"]  # noqa: RUF012 - pandera reads it as is

    @pa.dataframe_check
    @classmethod
    def found_means_examples(cls, frame: pd.DataFrame) -> pd.Series:
        """A finding has at least one matching value."""
        return pd.Series(frame["example_count"] > 0)


class PiiCandidatesSchema(_EvaluationColumns):
    detected: Series[bool]

    class Config(pa.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True
        unique = ["table_name", "column_name", "pii_kind"]  # noqa: RUF012 - pandera reads it


OUTPUT_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "pii_findings": PiiFindingsSchema,
    "pii_candidates": PiiCandidatesSchema,
}
