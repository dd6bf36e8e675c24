"""Type inference and casting of raw text tables: the ``typed_tables`` stage.

How a column is typed:

1. **Sample.** The whole table when it has at most ``sample_rows`` rows, else every row whose
   ``hash(_row) % k = 0`` with ``k = ceil(rows / sample_rows)``. That is deterministic (the same
   data always gives the same sample) and costs one filtered scan; DuckDB's reservoir sample is
   4× slower on 10M rows and its ``system`` sample is not repeatable under parallelism.
2. **Evidence in Python** on the sampled distinct values (at most ``max_distinct_examined`` of
   them, picked by hash) with their counts. Every candidate type gets a *plan* (the exact
   formats, separators and markers it accepts). For numbers the plan's validator is the very
   regular expression the SQL cast is guarded by; for dates and times it mirrors DuckDB's
   ``strptime``; so the sampled cast rate predicts the full pass. Raw text never reaches
   pandas: ``1e4000000000`` is just a string to ``re``.
3. **Choice.** A candidate is eligible when ``match_rate >= min_match_rate`` (share of distinct
   values with its shape), ``cast_rate >= min_cast_rate`` (share of non-null values that really
   cast) and ``confidence >= min_confidence``. The most specific eligible candidate wins
   (``_PREFERENCE``), except that an integer column widens to DOUBLE when some of its values
   have a fraction (a measure such as engine displacement with one ``97.5`` among whole
   numbers is a DOUBLE column, not an integer column with an error); only an identifier-named
   column (``id``, ``*_id``, ``*_key``, ``*_no``, ...) keeps its integer type unless more than
   ``max_stray_fraction_share`` of its values have a fraction, the rest being quarantined.
   Decimals, percentages and amounts are DOUBLE: a DECIMAL scale taken from a sample would
   silently round longer fractions found later in the full data.
4. **One full pass per table** in DuckDB: ``CREATE TABLE typed."t" AS SELECT _row, <cast>``
   with the one chosen plan per column. A failing ``TRY_CAST`` costs 25–50× a successful one,
   so no other candidate ever touches the full data.
5. **Quarantine.** Failed cells per column are ``count(raw) - count(typed)`` (two cheap
   aggregates); only when a table has failures is ``raw`` joined to ``typed`` on ``_row`` to
   copy the failed cells with their original text into ``quarantine``.

Confidence (one formula for every typed candidate, repeated in each decision's note)::

    confidence = cast_rate × certainty
    certainty  = 1 − (1 − ambiguity_certainty) × ambiguous_share

``ambiguous_share`` is the share of non-null sampled values whose reading rests on a documented
default because the sample cannot decide it: day/month order when no ``d?m?Y`` value has a
component above 12 (then month first for ``/``, day first for ``-`` and ``.``), or ``1,234`` /
``1.500`` when no value shows which mark is the decimal one (then ``.``). With the default
``ambiguity_certainty`` of 0.9 a fully ambiguous column has certainty 0.9. A column kept as text
gets ``1 − confidence`` of its best rejected candidate (1.0 when nothing matched any candidate,
0.0 when there were no values).
"""

import datetime as dt
import functools
import math
import re
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

import duckdb
import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.api.pandas.model_config import BaseConfig
from pandera.typing import Series

from dataraum_assets.identifiers import ROW_NUMBER_COLUMN, quote_identifier, quote_literal

SEMANTIC_TYPES = (
    "text",
    "boolean",
    "integer",
    "decimal",
    "percentage",
    "currency",
    "date",
    "timestamp",
    "time",
    "year_month",
    "year_quarter",
    "uuid",
    "email",
    "url",
    "code",
)
DATA_TYPES = (
    "VARCHAR",
    "BOOLEAN",
    "BIGINT",
    "HUGEINT",
    "DOUBLE",
    "DATE",
    "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE",
    "TIME",
)

# When two candidates pass every threshold the more specific one wins (a YYYYMMDD column is a
# date before it is an integer; a zip code is a code before it is an integer).
_PREFERENCE = (
    "boolean",
    "year_quarter",
    "year_month",
    "date",
    "timestamp",
    "time",
    "code",
    "integer",
    "percentage",
    "currency",
    "decimal",
    "uuid",
    "email",
    "url",
)
_STRING_KINDS = frozenset({"text", "code", "uuid", "email", "url"})


@dataclass(frozen=True)
class TypingOptions:
    """Thresholds of type inference; every one is named in the asset description."""

    min_match_rate: float = 0.5  # share of distinct sampled values matching the pattern
    min_cast_rate: float = 0.8  # share of non-null sampled values that really cast
    min_confidence: float = 0.85
    sample_rows: int = 200_000  # rows sampled for inference (whole table when smaller)
    failed_examples: int = 5
    # Distinct sampled values examined in Python per column (a hash-random subset): 5,000 keep
    # the match-rate estimate within about ±1.4% (95%) at ~20 ms per column.
    max_distinct_examined: int = 5_000
    # An identifier-named integer column keeps its type (the few fractional values are
    # quarantined: `170.502` is no order id) unless more than this share of its values have a
    # fraction; above it the column becomes DOUBLE. Other columns widen on any fraction.
    max_stray_fraction_share: float = 0.01
    # Certainty when the sample leaves day/month order or the decimal mark undecided.
    ambiguity_certainty: float = 0.9
    # Digit strings where at least this share of distinct values has a leading zero are codes.
    leading_zero_min_share: float = 0.01
    # YYYYMMDD without a date-like column name needs this many distinct valid dates.
    compact_date_min_distinct: int = 10


@dataclass(frozen=True)
class CastPlan:
    """Exactly which text a column's cast accepts; the SQL cast and the Python validator are
    both built from it."""

    kind: str  # the semantic type
    data_type: str  # DuckDB type of the typed column
    formats: tuple[str, ...] = ()  # strptime formats, most frequent first (temporal kinds)
    decimal_mark: str = "."
    group_marks: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()  # currency symbols/codes accepted before or after a number
    percent: bool = False
    parentheses: bool = False  # (12.50) is -12.50
    exponent: bool = False
    true_tokens: tuple[str, ...] = ()  # boolean: lowercase words read as true
    false_tokens: tuple[str, ...] = ()
    padded: bool = False  # sampled values carry outer spaces: trim before matching tokens

    @property
    def is_identity(self) -> bool:
        return self.kind in _STRING_KINDS


_TEXT_PLAN = CastPlan(kind="text", data_type="VARCHAR")


@dataclass(frozen=True)
class ColumnTyping:
    """The inference for one column: what ``infer_column_type`` returns."""

    column_name: str
    data_type: str
    semantic_type: str
    formats: tuple[str, ...]
    unit: str | None
    confidence: float
    match_rate: float
    cast_rate: float
    distinct_sampled: int
    non_null: int  # non-null values the inference saw
    note: str
    plan: CastPlan = field(repr=False)


@dataclass(frozen=True)
class TypeDecision:
    """One row of ``type_decisions``."""

    table_name: str
    column_name: str
    original_header: str
    position: int
    data_type: str
    semantic_type: str
    formats: tuple[str, ...]
    unit: str | None
    confidence: float
    match_rate: float
    cast_rate: float
    distinct_sampled: int
    non_null: int
    failed_count: int
    failed_examples: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class TableTyping:
    """One row of ``table_summary``."""

    table_name: str
    rows: int
    columns: int
    quarantined_cells: int
    quarantined_rows: int
    quarantine_share: float


@dataclass(frozen=True)
class TypedTablesResult:
    decisions: tuple[TypeDecision, ...]
    tables: tuple[TableTyping, ...]


# --------------------------------------------------------------------------------------------
# Value shapes
# --------------------------------------------------------------------------------------------

_TRUE_WORDS = ("true", "yes", "y", "t")
_FALSE_WORDS = ("false", "no", "n", "f")
_BOOLEAN_WORDS = frozenset(_TRUE_WORDS + _FALSE_WORDS)

# "$" is read as USD: the most common meaning, and the note says so.
_CURRENCY_SYMBOLS = {
    "US$": "USD",
    "C$": "CAD",
    "A$": "AUD",
    "R$": "BRL",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "₩": "KRW",
    "₽": "RUB",
    "₺": "TRY",
    "₪": "ILS",
    "₫": "VND",
    "฿": "THB",
    "₴": "UAH",
    "₦": "NGN",
    "zł": "PLN",
}
_CURRENCY_CODE_LIST = (
    "USD EUR GBP JPY CHF CAD AUD NZD CNY HKD SGD SEK NOK DKK ISK PLN CZK HUF RON BGN RUB "
    "UAH TRY ILS INR PKR BDT LKR IDR MYR THB VND PHP KRW TWD BRL MXN ARS CLP COP PEN ZAR "
    "NGN EGP KES MAD AED SAR QAR KWD BHD OMR JOD"
)
_CURRENCY_CODES = frozenset(_CURRENCY_CODE_LIST.split())
_MARKERS = tuple(sorted({*_CURRENCY_SYMBOLS, *_CURRENCY_CODES}, key=lambda m: (-len(m), m)))
_MARKER_PATTERN = "(?:" + "|".join(re.escape(m) for m in _MARKERS) + ")"

# Group marks: comma, dot, space, apostrophe (Swiss), no-break and narrow no-break space.
_GROUP_CHARS = ",. '\u00a0\u202f"
_NUMBER_SHAPE = re.compile(
    r"(?P<open>\( *)?(?P<s1>[+-])? *"
    rf"(?:(?P<pre>{_MARKER_PATTERN}) *(?P<s2>[+-])? *)?"
    rf"(?P<body>[0-9](?:[0-9{_GROUP_CHARS}]*[0-9])?|[.,][0-9]+)"
    r"(?P<exp>[eE][+-]?[0-9]+)?"
    rf"(?: *(?P<post>{_MARKER_PATTERN}|%))?"
    r"(?P<close> *\))?"
)
_NUMBER_FIRST_CHARACTERS = frozenset("0123456789+-(.,") | {m[0] for m in _MARKERS}
_DIGITS = re.compile(r"[0-9]+")

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

_ISO_DATE = re.compile(r"(?P<Y>[0-9]{4})(?P<sep>[-/.])[0-9]{1,2}(?P=sep)[0-9]{1,2}")
_NUMERIC_DATE = re.compile(
    r"(?P<a>[0-9]{1,2})(?P<sep>[-/.])(?P<b>[0-9]{1,2})(?P=sep)(?P<Y>[0-9]{4}|[0-9]{2})"
)
_NAMED_MONTH_DATE = re.compile(
    r"[0-9]{1,2}(?P<sep>[- ])(?P<mon>[A-Za-z]{3,9})(?P=sep)(?P<Y>[0-9]{4}|[0-9]{2})"
)
# `Jan 1 2000`, `January 1, 2000`, and with dashes or slashes `Jan-1-1995` (statsmodels'
# elec_equip) or `Jan/01/1995`.
_MONTH_FIRST_DATE = re.compile(
    r"(?P<mon>[A-Za-z]{3,9})(?P<sep>[- /])[0-9]{1,2}(?P<comma>,?)(?P=sep)[0-9]{4}"
)
_COMPACT_DATE = re.compile(r"(?P<Y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})")
_CLOCK = re.compile(
    r"[0-9]{1,2}:[0-9]{2}(?P<sec>:[0-9]{2}(?:\.(?P<frac>[0-9]{1,9}))?)?"
    r"(?:(?P<psp> ?)(?P<ampm>[AaPp][Mm]))?"
    r"(?:(?P<zsp> ?)(?P<zone>Z|[+-][0-9]{2}(?::?[0-9]{2})?))?"
)
_TIMESTAMP = re.compile(r"(?P<date>[^ T]+)(?P<sep>T| +)(?P<clock>[0-9]{1,2}:.*)")
_YEAR_MONTH = re.compile(
    r"(?P<Y>[0-9]{4})(?P<sep>[-/])[0-9]{1,2}"
    r"|[0-9]{1,2}(?P<sep2>[-/])(?P<Y2>[0-9]{4})"
    r"|(?P<mon>[A-Za-z]{3,9})(?P<sep3>[- ])[0-9]{4}"
)
# Shared by the Python validator and the SQL guard (RE2 syntax, no named groups).
_YEAR_QUARTER_PATTERN = " *(?:[0-9]{4} ?-? ?[Qq][1-4]|[Qq][1-4] ?-? ?[0-9]{4}) *"
_YEAR_QUARTER = re.compile(_YEAR_QUARTER_PATTERN)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_URL = re.compile(r"(?:https?|ftp)://[^\s]+|www\.[^\s]+\.[^\s]+", re.IGNORECASE)

_DATE_NAME_HINTS = frozenset({"date", "day", "dt", "dte", "datum", "fecha", "ymd", "yyyymmdd"})
_CODE_NAME_HINTS = frozenset(
    {
        "zip",
        "zipcode",
        "postal",
        "postcode",
        "plz",
        "cep",
        "phone",
        "tel",
        "telephone",
        "mobile",
        "fax",
        "code",
        "sku",
        "ean",
        "upc",
        "gtin",
        "isbn",
    }
)

# Default reading of d?m?Y when no component exceeds 12: month first for "/", day first for
# "-" and "." (the conventions where each separator is most common).
_DAY_FIRST_BY_DEFAULT = {"/": False, "-": True, ".": True}

_INT64 = 2**63
_INT128 = 2**127


def _name_tokens(column_name: str) -> set[str]:
    split = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", column_name).lower()
    return set(re.findall(r"[a-z]+|[0-9]+", split))


def _has_date_hint(column_name: str) -> bool:
    return any(t in _DATE_NAME_HINTS or t.endswith("date") for t in _name_tokens(column_name))


def _code_hint(column_name: str) -> str | None:
    hits = sorted(_name_tokens(column_name) & _CODE_NAME_HINTS)
    return hits[0] if hits else None


# --------------------------------------------------------------------------------------------
# Validators: the Python mirror of each SQL cast
# --------------------------------------------------------------------------------------------

_FORMAT_TOKENS = {
    "%Y": r"(?P<Y>[0-9]{4})",
    "%y": r"(?P<y>[0-9]{2})",
    "%m": r"(?P<m>[0-9]{1,2})",
    "%d": r"(?P<d>[0-9]{1,2})",
    "%H": r"(?P<H>[0-9]{1,2})",
    "%I": r"(?P<I>[0-9]{1,2})",
    "%M": r"(?P<M>[0-9]{2})",
    "%S": r"(?P<S>[0-9]{2})",
    "%f": r"(?P<f>[0-9]{1,6})",
    "%n": r"(?P<f>[0-9]{1,9})",
    "%z": r"(?P<z>[+-][0-9]{2}(?::?[0-9]{2})?)",
    "%p": r"(?P<p>[AaPp][Mm])",
    "%b": r"(?P<b>[A-Za-z]{3})",
    "%B": r"(?P<B>[A-Za-z]{3,9})",
}


@functools.lru_cache(maxsize=256)
def _format_regex(fmt: str) -> re.Pattern[str]:
    parts = re.split(r"(%[a-zA-Z])", fmt)
    body = "".join(_FORMAT_TOKENS[p] if p in _FORMAT_TOKENS else re.escape(p) for p in parts)
    return re.compile(f" *{body} *")


def _parses(fmt: str, value: str) -> bool:
    """Whether DuckDB's ``strptime(value, fmt)`` gives a valid date/time (mirrored in Python)."""
    match = _format_regex(fmt).fullmatch(value)
    if match is None:
        return False
    g = match.groupdict()
    try:
        if g.get("Y") is not None:
            year = int(g["Y"])
        elif g.get("y") is not None:
            short = int(g["y"])
            year = 2000 + short if short < 69 else 1900 + short  # DuckDB's and C's pivot
        else:
            year = 1900
        month = 1
        if g.get("m") is not None:
            month = int(g["m"])
        elif g.get("b") is not None or g.get("B") is not None:
            name = (g.get("b") or g.get("B") or "").lower()
            if name not in _MONTHS or (g.get("b") is not None and len(name) != 3):
                return False
            month = _MONTHS[name]
        day = int(g["d"]) if g.get("d") is not None else 1
        hour = int(g["H"]) if g.get("H") is not None else 0
        if g.get("I") is not None:
            hour = int(g["I"])
            if not 1 <= hour <= 12:
                return False
            hour = hour % 12 + (12 if (g.get("p") or "").lower() == "pm" else 0)
        minute = int(g["M"]) if g.get("M") is not None else 0
        second = int(g["S"]) if g.get("S") is not None else 0
        dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return False
    return True


def _number_pattern(plan: CastPlan) -> str:
    """RE2/Python pattern of the text a numeric plan accepts (built from constants only)."""
    decimal = re.escape(plan.decimal_mark)
    digits = "[0-9]{1,38}"
    if plan.group_marks:
        marks = "".join(plan.group_marks)
        integer = f"(?:[0-9]{{1,3}}(?:[{marks}][0-9]{{3}}){{1,12}}|{digits})"
    else:
        integer = digits
    if plan.kind == "integer":
        number = integer
    else:
        fraction = f"{decimal}[0-9]{{1,30}}"
        number = f"(?:{integer}(?:{fraction})?|{fraction})"
        if plan.exponent:
            number += "(?:[eE][+-]?[0-9]{1,2})?"
    signed = f"[+-]?{number}"
    if plan.markers:
        marker = "(?:" + "|".join(re.escape(m) for m in plan.markers) + ")"
        core = f"(?:[+-]? *{marker} *{signed}|{signed}(?: *{marker})?)"
    elif plan.percent:
        core = f"{signed}(?: *%)?"
    else:
        core = signed
    if plan.parentheses:
        core = f"(?:{core}|\\( *{core} *\\))"
    return f" *{core} *"


def _is_plain_number(plan: CastPlan) -> bool:
    return not (
        plan.group_marks
        or plan.markers
        or plan.percent
        or plan.parentheses
        or plan.decimal_mark != "."
    )


def _removed_characters(plan: CastPlan) -> tuple[str, ...]:
    """What is stripped from a guarded value before ``TRY_CAST``, longest marker first (so
    ``US$`` goes before ``$``). ``replace`` is 3× cheaper than one ``regexp_replace``."""
    removed = [*plan.markers, *plan.group_marks]
    if plan.markers:
        removed.append(" ")  # "- $5": TRY_CAST trims outer spaces but not the inner one
    if plan.percent:
        removed.append("%")
    if plan.parentheses:
        removed += ["(", ")"]
    return tuple(dict.fromkeys(removed))


def _number_text(plan: CastPlan, value: str) -> str:
    """What the SQL cast hands to ``TRY_CAST`` for a value that passed the guard."""
    if _is_plain_number(plan):
        return value.strip(" ")
    for text in _removed_characters(plan):
        value = value.replace(text, "")
    return value.replace(",", ".") if plan.decimal_mark == "," else value


def _validator(plan: CastPlan) -> Callable[[str], bool]:
    """Python mirror of ``cast_expression(plan)``: True when the SQL cast gives a value."""
    if plan.kind == "boolean":
        tokens = frozenset(plan.true_tokens + plan.false_tokens)
        if plan.padded:
            return lambda value: value.strip(" ").lower() in tokens
        return lambda value: value.lower() in tokens
    if plan.kind in ("integer", "decimal", "percentage", "currency"):
        guard = re.compile(_number_pattern(plan))
        limit = _INT64 if plan.data_type == "BIGINT" else _INT128
        is_integer = plan.data_type in ("BIGINT", "HUGEINT")

        def number_casts(value: str) -> bool:
            if guard.fullmatch(value) is None:
                return False
            text = _number_text(plan, value)
            try:
                if is_integer:
                    return -limit <= int(text) < limit
                return math.isfinite(float(text))
            except ValueError:
                return False

        return number_casts
    if plan.kind in ("date", "timestamp", "time", "year_month"):
        return lambda value: any(_parses(fmt, value) for fmt in plan.formats)
    if plan.kind == "year_quarter":
        return lambda value: _YEAR_QUARTER.fullmatch(value) is not None
    if plan.kind == "code":
        return lambda value: _DIGITS.fullmatch(value.strip(" ")) is not None
    if plan.kind == "uuid":
        return lambda value: _UUID.fullmatch(value.strip(" ")) is not None
    if plan.kind == "email":
        return lambda value: _EMAIL.fullmatch(value.strip(" ")) is not None
    if plan.kind == "url":
        return lambda value: _URL.fullmatch(value.strip(" ")) is not None
    return lambda value: True


# --------------------------------------------------------------------------------------------
# SQL cast expressions
# --------------------------------------------------------------------------------------------


def _sql_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(quote_literal(i) for i in items) + "]"


def _strptime(source: str, formats: Sequence[str]) -> str:
    # One format as a scalar: DuckDB's list form is ~60% slower even with a single entry.
    spec = quote_literal(formats[0]) if len(formats) == 1 else _sql_list(formats)
    return f"try_strptime({source}, {spec})"


def cast_expression(source: str, plan: CastPlan) -> str:
    """SQL expression casting the quoted text column ``source`` as ``plan`` says.

    Only values the plan's pattern accepts are cast: ``TRY_CAST`` alone takes ``170.502`` as
    the BIGINT 171, ``0x1F`` as 31 and ``inf`` as a DOUBLE. Formats and patterns are literals
    built from this module's constants, never from data.
    """
    if plan.is_identity:
        return source
    if plan.kind == "boolean":
        # trim() costs as much as the rest of the expression: only when the sample needs it.
        token = f"lower(trim({source}))" if plan.padded else f"lower({source})"
        return (
            f"CASE WHEN {token} IN ({', '.join(map(quote_literal, plan.true_tokens))}) THEN true "
            f"WHEN {token} IN ({', '.join(map(quote_literal, plan.false_tokens))}) THEN false END"
        )
    if plan.kind in ("integer", "decimal", "percentage", "currency"):
        guard = f"regexp_full_match({source}, {quote_literal(_number_pattern(plan))})"
        if _is_plain_number(plan):
            number = f"TRY_CAST({source} AS {plan.data_type})"
            if plan.kind == "integer":
                # Canonical integer text round-trips and cannot be anything but an integer, so
                # the regular expression only runs on the rest (+5, 007, junk): ~30% cheaper.
                guard = f"CAST({number} AS VARCHAR) = {source} OR {guard}"
            return f"CASE WHEN {guard} THEN {number} END"
        text = source
        for removed in _removed_characters(plan):
            text = f"replace({text}, {quote_literal(removed)}, '')"
        if plan.decimal_mark == ",":
            text = f"replace({text}, ',', '.')"
        number = f"TRY_CAST({text} AS {plan.data_type})"
        if plan.parentheses:
            number = f"(CASE WHEN contains({source}, '(') THEN -1 ELSE 1 END) * {number}"
        return f"CASE WHEN {guard} THEN {number} END"
    if plan.kind in ("date", "year_month"):
        return f"CAST({_strptime(source, plan.formats)} AS DATE)"
    if plan.kind == "time":
        return f"CAST({_strptime(source, plan.formats)} AS TIME)"
    if plan.kind == "timestamp":
        if plan.data_type == "TIMESTAMP":
            return f"CAST({_strptime(source, plan.formats)} AS TIMESTAMP)"
        # Values without an offset (and those ending in a literal Z) are read as UTC, whatever
        # the session's TimeZone is.
        zoned = [f for f in plan.formats if "%z" in f]
        naive = [f for f in plan.formats if "%z" not in f]
        parts = []
        if zoned:
            parts.append(_strptime(source, zoned))
        if naive:
            parts.append(f"(CAST({_strptime(source, naive)} AS TIMESTAMP) AT TIME ZONE 'UTC')")
        if "%z" not in plan.formats[0]:
            parts.reverse()  # the most frequent kind of value is tried first
        return f"CAST(coalesce({', '.join(parts)}) AS TIMESTAMPTZ)"
    if plan.kind == "year_quarter":
        guard = f"regexp_full_match({source}, {quote_literal(_YEAR_QUARTER_PATTERN)})"
        year = f"CAST(regexp_extract({source}, '[0-9]{{4}}') AS INTEGER)"
        quarter = f"CAST(regexp_extract({source}, '[Qq]([1-4])', 1) AS INTEGER)"
        return f"CASE WHEN {guard} THEN make_date({year}, {quarter} * 3 - 2, 1) END"
    raise ValueError(f"no cast for kind {plan.kind!r}")


# --------------------------------------------------------------------------------------------
# Inference on distinct values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Proposal:
    plan: CastPlan
    matched: int  # distinct values whose shape matches the candidate
    certainty: float = 1.0
    unit: str | None = None
    notes: tuple[str, ...] = ()
    display: tuple[str, ...] = ()  # what goes to type_decisions.formats


@dataclass(frozen=True)
class _Scored:
    proposal: _Proposal
    match_rate: float
    cast_rate: float
    cast_count: int
    confidence: float
    eligible: bool

    @property
    def kind(self) -> str:
        return self.proposal.plan.kind


ValueCounts = Sequence[tuple[str, int]]


def _weighted_share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _boolean_proposals(values: ValueCounts) -> list[_Proposal]:
    words: Counter[str] = Counter()
    binary: set[str] = set()
    matched = 0
    padded = False
    for value, count in values:
        token = value.strip(" ").lower()
        if token in _BOOLEAN_WORDS:
            words[token] += count
            matched += 1
        elif token in ("0", "1"):
            binary.add(token)
        else:
            continue
        padded |= len(token) != len(value)
    if not words:
        return []  # 0/1 alone stays an integer column
    matched += sum(1 for value, _ in values if value.strip(" ") in binary)
    plan = CastPlan(
        kind="boolean",
        data_type="BOOLEAN",
        true_tokens=_TRUE_WORDS + (("1",) if binary else ()),
        false_tokens=_FALSE_WORDS + (("0",) if binary else ()),
        padded=padded,
    )
    seen = [t for t in plan.true_tokens + plan.false_tokens if t in words or t in binary]
    return [_Proposal(plan=plan, matched=matched, display=tuple(seen))]


@dataclass(frozen=True)
class _NumberShape:
    value: str
    count: int
    body: str
    marker: str | None
    percent: bool
    parentheses: bool
    exponent: bool


def _number_shape(value: str, count: int) -> _NumberShape | None:
    text = value.strip(" ")
    if not text or text[0] not in _NUMBER_FIRST_CHARACTERS:
        return None  # cheap exit for words: the marker alternation is the costly part
    match = _NUMBER_SHAPE.fullmatch(text)
    if match is None:
        return None
    g = match.groupdict()
    if bool(g["open"]) != bool(g["close"]) or (g["s1"] and g["s2"]):
        return None
    if g["open"] and (g["s1"] or g["s2"]):
        return None
    post = g["post"]
    if g["pre"] and post:
        return None
    marker = g["pre"] or (post if post != "%" else None)
    exponent = g["exp"]
    if exponent and (
        marker
        or post
        or len(exponent.lstrip("eE+-")) > 2
        or re.fullmatch(r"[0-9]*\.?[0-9]*", g["body"]) is None
    ):
        return None
    return _NumberShape(
        value=value,
        count=count,
        body=g["body"],
        marker=marker,
        percent=post == "%",
        parentheses=bool(g["open"]),
        exponent=bool(exponent),
    )


def _body_parts(body: str, decimal_mark: str) -> tuple[str, str, frozenset[str]] | None:
    """(integer digits, fraction digits, group marks) of ``body`` under ``decimal_mark``."""
    if decimal_mark in body:
        head, _, fraction = body.rpartition(decimal_mark)
        if not fraction.isdigit() or decimal_mark in head:
            return None
    else:
        head, fraction = body, ""
    if not head:
        return ("", fraction, frozenset()) if fraction else None
    groups = re.split(r"[^0-9]", head)
    marks = frozenset(re.findall(r"[^0-9]", head))
    if len(groups) == 1:
        return head, fraction, frozenset()
    if len(marks) != 1 or not 1 <= len(groups[0]) <= 3:
        return None
    if any(len(group) != 3 for group in groups[1:]):
        return None
    return "".join(groups), fraction, marks


def _decimal_mark_votes(shapes: Sequence[_NumberShape]) -> tuple[int, int, int]:
    """(votes for '.', votes for ',', count of values either reading accepts) as the decimal
    mark: ``1,234.5`` and ``12,5`` decide, ``1,234`` does not."""
    dot = comma = undecided_count = 0
    for shape in shapes:
        body = shape.body
        if "." in body and "," in body:
            if body.rindex(".") > body.rindex(","):
                dot += 1
            else:
                comma += 1
            continue
        for mark, other_wins in ((".", "comma"), (",", "dot")):
            if mark not in body:
                continue
            after = len(body) - body.rindex(mark) - 1
            if body.count(mark) >= 2:  # only a group mark repeats
                if other_wins == "comma":
                    comma += 1
                else:
                    dot += 1
            elif after != 3:
                if mark == ".":
                    dot += 1
                else:
                    comma += 1
            else:
                undecided_count += shape.count
    return dot, comma, undecided_count


def _number_display(plan: CastPlan) -> tuple[str, ...]:
    fraction = "" if plan.kind == "integer" else f"{plan.decimal_mark}#"
    if plan.exponent:
        fraction += "E+0"
    suffix = "%" if plan.percent else ""
    if not plan.group_marks:
        return (f"0{fraction}{suffix}",)
    return tuple(f"#{mark}##0{fraction}{suffix}" for mark in plan.group_marks)


def _number_proposals(
    values: ValueCounts, column_name: str, non_null: int, options: TypingOptions
) -> list[_Proposal]:
    shapes = [s for value, count in values if (s := _number_shape(value, count)) is not None]
    if not shapes:
        return []
    dot, comma, undecided = _decimal_mark_votes(shapes)
    decimal_mark = "," if comma > dot else "."
    notes: list[str] = []
    certainty = 1.0
    if dot == comma and undecided:
        share = _weighted_share(undecided, non_null)
        certainty = 1.0 - (1.0 - options.ambiguity_certainty) * share
        notes.append(
            "decimal mark undecided: no sampled value shows whether ',' or '.' separates "
            "decimals; read '.' as the decimal mark (1,234 = 1234; 1.500 = 1.5)"
        )
    elif dot and comma:
        loser = "." if decimal_mark == "," else ","
        notes.append(
            f"decimal marks disagree: {min(dot, comma)} sampled values use {loser!r}; "
            f"{decimal_mark!r} is the decimal mark, the others fail the cast"
        )

    integers: list[_NumberShape] = []
    decimals: list[_NumberShape] = []
    percents: list[_NumberShape] = []
    amounts: list[_NumberShape] = []
    group_marks: set[str] = set()
    parentheses = exponent = fractional = False
    max_integer = 0
    for shape in shapes:
        if shape.exponent and decimal_mark != ".":
            continue
        parts = _body_parts(shape.body, decimal_mark)
        if parts is None:
            continue
        digits, fraction, marks = parts
        if len(digits) > 38 or len(fraction) > 30:
            continue  # beyond every numeric guard (and int() refuses 4,300+ digits)
        group_marks |= marks
        parentheses |= shape.parentheses
        if shape.percent:
            percents.append(shape)
        elif shape.marker:
            amounts.append(shape)
        else:
            decimals.append(shape)
            if fraction or shape.exponent:
                fractional = True
                exponent |= shape.exponent
            else:
                integers.append(shape)
                max_integer = max(max_integer, int(digits or "0"))
    base = CastPlan(
        kind="decimal",
        data_type="DOUBLE",
        decimal_mark=decimal_mark,
        group_marks=tuple(sorted(group_marks)),
        parentheses=parentheses,
    )
    shared_notes = tuple(notes) + (("negative amounts in parentheses",) if parentheses else ())
    proposals: list[_Proposal] = []
    if integers:
        plan = replace(
            base, kind="integer", data_type="BIGINT" if max_integer < _INT64 else "HUGEINT"
        )
        proposals.append(
            _Proposal(
                plan, len(integers), certainty, notes=shared_notes, display=_number_display(plan)
            )
        )
        proposals.extend(_code_proposals(values, column_name, options))
    if fractional:
        plan = replace(base, exponent=exponent)
        proposals.append(
            _Proposal(
                plan, len(decimals), certainty, notes=shared_notes, display=_number_display(plan)
            )
        )
    if percents:
        plan = replace(base, kind="percentage", percent=True)
        proposals.append(
            _Proposal(
                plan,
                len(percents),
                certainty,
                unit="%",
                notes=(*shared_notes, "values are percent points as written (12.5% = 12.5)"),
                display=_number_display(plan),
            )
        )
    if amounts:
        proposals.append(_currency_proposal(base, amounts, certainty, shared_notes))
    return proposals


def _currency_proposal(
    base: CastPlan, amounts: Sequence[_NumberShape], certainty: float, notes: tuple[str, ...]
) -> _Proposal:
    by_unit: Counter[str] = Counter()
    markers: set[str] = set()
    for shape in amounts:
        assert shape.marker is not None
        markers.add(shape.marker)
        by_unit[_CURRENCY_SYMBOLS.get(shape.marker, shape.marker)] += shape.count
    ranked = sorted(by_unit.items(), key=lambda item: (-item[1], item[0]))
    unit = ranked[0][0]
    extra = list(notes)
    if len(ranked) > 1:
        total = sum(by_unit.values())
        listed = ", ".join(f"{code} {count / total:.0%}" for code, count in ranked)
        extra.append(
            f"several currencies in one column ({listed}): amounts are not comparable without "
            f"conversion; unit is the most frequent"
        )
    if "$" in markers:
        extra.append("'$' read as USD")
    plan = replace(
        base,
        kind="currency",
        markers=tuple(sorted(markers, key=lambda m: (-len(m), m))),
    )
    return _Proposal(
        plan, len(amounts), certainty, unit=unit, notes=tuple(extra), display=_number_display(plan)
    )


def _code_proposals(
    values: ValueCounts, column_name: str, options: TypingOptions
) -> list[_Proposal]:
    digit_strings = [v.strip(" ") for v, _ in values if _DIGITS.fullmatch(v.strip(" "))]
    if not digit_strings:
        return []
    leading = sum(1 for d in digit_strings if len(d) > 1 and d[0] == "0")
    widths = {len(d) for d in digit_strings}
    hint = _code_hint(column_name)
    plan = CastPlan(kind="code", data_type="VARCHAR")
    if leading and leading / len(digit_strings) >= options.leading_zero_min_share:
        example = min(d for d in digit_strings if len(d) > 1 and d[0] == "0")
        note = f"digit strings with leading zeros (e.g. {example!r}) kept as text"
    elif hint and len(widths) == 1 and min(widths) >= 2:
        note = (
            f"fixed-width digit strings ({min(widths)} digits) in a column named like a "
            f"{hint} kept as text"
        )
    else:
        return []
    display = (f"{min(widths)} digits",) if len(widths) == 1 else ()
    return [_Proposal(plan, len(digit_strings), notes=(note,), display=display)]


def _month_format(name: str) -> str | None:
    lowered = name.lower()
    if lowered not in _MONTHS:
        return None
    return "%b" if len(lowered) == 3 else "%B"


@dataclass(frozen=True)
class _DateShape:
    """A date whose format is known, or a numeric d?m?Y date whose order is not yet known."""

    fmt: str | None
    order_key: tuple[str, int] | None = None  # (separator, year digits)
    first: int = 0
    second: int = 0


def _date_shape(text: str) -> _DateShape | None:
    if m := _ISO_DATE.fullmatch(text):
        sep = m["sep"]
        return _DateShape(fmt=f"%Y{sep}%m{sep}%d")
    if m := _NUMERIC_DATE.fullmatch(text):
        return _DateShape(
            fmt=None,
            order_key=(m["sep"], len(m["Y"])),
            first=int(m["a"]),
            second=int(m["b"]),
        )
    if m := _NAMED_MONTH_DATE.fullmatch(text):
        month = _month_format(m["mon"])
        if month is None:
            return None
        sep, year = m["sep"], "%Y" if len(m["Y"]) == 4 else "%y"
        return _DateShape(fmt=f"%d{sep}{month}{sep}{year}")
    if m := _MONTH_FIRST_DATE.fullmatch(text):
        month = _month_format(m["mon"])
        if month is None:
            return None
        if m["comma"] and m["sep"] != " ":
            return None
        sep = m["sep"]
        return _DateShape(fmt=f"{month}{sep}%d{m['comma']}{sep}%Y")
    return None


def _clock_format(text: str, allow_zone: bool) -> str | None:
    m = _CLOCK.fullmatch(text)
    if m is None or (m["zone"] and not allow_zone):
        return None
    fmt = ("%I" if m["ampm"] else "%H") + ":%M"
    if m["sec"]:
        fmt += ":%S"
        if m["frac"]:
            # DuckDB's %f takes at most 6 digits; %n takes 9 (nanoseconds are truncated to
            # microseconds by the TIMESTAMP cast).
            fmt += ".%f" if len(m["frac"]) <= 6 else ".%n"
    if m["ampm"]:
        fmt += m["psp"] + "%p"
    if m["zone"]:
        fmt += m["zsp"] + ("Z" if m["zone"] == "Z" else "%z")
    return fmt


def _ordered(weights: Counter[str]) -> tuple[str, ...]:
    return tuple(f for f, _ in sorted(weights.items(), key=lambda item: (-item[1], item[0])))


def _formats_note(kind: str, weights: Counter[str]) -> tuple[str, ...]:
    if len(weights) < 2:
        return ()
    total = sum(weights.values())
    listed = ", ".join(f"{f} ({weights[f] / total:.0%})" for f in _ordered(weights))
    return (f"several {kind} formats: {listed}",)


def _temporal_proposals(
    values: ValueCounts, column_name: str, non_null: int, options: TypingOptions
) -> list[_Proposal]:
    dates: list[tuple[int, _DateShape]] = []
    stamps: list[tuple[int, _DateShape, str, str]] = []  # (count, date, separator, clock)
    times: Counter[str] = Counter()
    months: Counter[str] = Counter()
    compact: list[tuple[str, int]] = []
    time_matched = month_matched = quarter_matched = 0
    for value, count in values:
        text = value.strip(" ")
        if not text or not text[0].isalnum():
            continue
        if ":" in text:
            if (clock := _clock_format(text, allow_zone=False)) is not None:
                times[clock] += count
                time_matched += 1
            elif (m := _TIMESTAMP.fullmatch(text)) is not None:
                date = _date_shape(m["date"])
                clock = _clock_format(m["clock"], allow_zone=True)
                if date is not None and clock is not None:
                    stamps.append((count, date, m["sep"], clock))
            continue
        if (date := _date_shape(text)) is not None:
            dates.append((count, date))
        elif _COMPACT_DATE.fullmatch(text):
            compact.append((text, count))
        elif (m := _YEAR_MONTH.fullmatch(text)) is not None:
            if m["Y"]:
                months[f"%Y{m['sep']}%m"] += count
            elif m["Y2"]:
                months[f"%m{m['sep2']}%Y"] += count
            elif (month := _month_format(m["mon"])) is not None:
                months[f"{month}{m['sep3']}%Y"] += count
            else:
                continue
            month_matched += 1
        elif _YEAR_QUARTER.fullmatch(text):
            quarter_matched += 1

    proposals: list[_Proposal] = []
    if dates or stamps or compact:
        proposals.extend(
            _date_and_timestamp_proposals(dates, stamps, compact, column_name, non_null, options)
        )
    if times:
        plan = CastPlan(kind="time", data_type="TIME", formats=_ordered(times))
        notes = _formats_note("time", times)
        proposals.append(_Proposal(plan, time_matched, notes=notes, display=plan.formats))
    if months:
        plan = CastPlan(kind="year_month", data_type="DATE", formats=_ordered(months))
        notes = ("stored as the first day of the month", *_formats_note("year-month", months))
        proposals.append(_Proposal(plan, month_matched, notes=notes, display=plan.formats))
    if quarter_matched:
        plan = CastPlan(kind="year_quarter", data_type="DATE")
        notes = ("stored as the first day of the quarter",)
        proposals.append(_Proposal(plan, quarter_matched, notes=notes, display=("YYYY-Qn",)))
    return proposals


def _resolve_day_month(
    shapes: Iterable[tuple[int, _DateShape]], non_null: int, options: TypingOptions
) -> tuple[dict[tuple[str, int], str], float, list[str]]:
    """Format per (separator, year digits) family of numeric dates, with certainty and notes."""
    families: dict[tuple[str, int], list[tuple[int, _DateShape]]] = {}
    for count, shape in shapes:
        if shape.order_key is not None:
            families.setdefault(shape.order_key, []).append((count, shape))
    formats: dict[tuple[str, int], str] = {}
    notes: list[str] = []
    undecided = 0
    for (sep, year_digits), members in sorted(families.items()):
        first_big = sum(1 for _, s in members if s.first > 12)
        second_big = sum(1 for _, s in members if s.second > 12)
        year = "%Y" if year_digits == 4 else "%y"
        if first_big and second_big:
            day_first = first_big >= second_big
            notes.append(
                f"day/month order conflicts in '{sep}' dates ({first_big} values day-first, "
                f"{second_big} month-first); read {'day' if day_first else 'month'} first"
            )
        elif first_big or second_big:
            day_first = bool(first_big)
        else:
            day_first = _DAY_FIRST_BY_DEFAULT[sep]
            undecided += sum(count for count, _ in members)
            notes.append(
                f"day/month order unresolved: no sampled '{sep}' date has a component above "
                f"12; read {'day' if day_first else 'month'} first (the default for '{sep}')"
            )
        formats[(sep, year_digits)] = (
            f"%d{sep}%m{sep}{year}" if day_first else f"%m{sep}%d{sep}{year}"
        )
    certainty = 1.0 - (1.0 - options.ambiguity_certainty) * _weighted_share(undecided, non_null)
    return formats, certainty, notes


def _date_and_timestamp_proposals(
    dates: Sequence[tuple[int, _DateShape]],
    stamps: Sequence[tuple[int, _DateShape, str, str]],
    compact: Sequence[tuple[str, int]],
    column_name: str,
    non_null: int,
    options: TypingOptions,
) -> list[_Proposal]:
    family_formats, certainty, notes = _resolve_day_month(
        [*dates, *((count, date) for count, date, _, _ in stamps)], non_null, options
    )

    def date_format(shape: _DateShape) -> str:
        if shape.fmt is not None:
            return shape.fmt
        assert shape.order_key is not None
        return family_formats[shape.order_key]

    date_weights: Counter[str] = Counter()
    for count, shape in dates:
        date_weights[date_format(shape)] += count
    date_matched = len(dates)
    if compact:
        hint = _has_date_hint(column_name)
        plausible = all(
            _parses("%Y%m%d", text) and 1900 <= int(text[:4]) <= 2100 for text, _ in compact
        )
        only_values = len(compact) == len(dates) + len(compact) and not stamps
        if hint or (
            plausible and only_values and len(compact) >= options.compact_date_min_distinct
        ):
            date_weights["%Y%m%d"] += sum(count for _, count in compact)
            date_matched += len(compact)
            notes.append(
                "YYYYMMDD read as a date: "
                + ("the column name says date" if hint else "every sampled value is a valid date")
            )
    proposals: list[_Proposal] = []
    if date_weights:
        plan = CastPlan(kind="date", data_type="DATE", formats=_ordered(date_weights))
        proposals.append(
            _Proposal(
                plan,
                date_matched,
                certainty,
                notes=(*notes, *_formats_note("date", date_weights)),
                display=plan.formats,
            )
        )
    if stamps:
        stamp_weights: Counter[str] = Counter()
        for count, shape, sep, clock in stamps:
            stamp_weights[f"{date_format(shape)}{sep}{clock}"] += count
        formats = _ordered(stamp_weights) + tuple(
            f for f in _ordered(date_weights) if f not in stamp_weights
        )
        zoned = any("%z" in f or f.endswith("Z") for f in stamp_weights)
        extra = list(notes) + list(_formats_note("timestamp", stamp_weights))
        if date_weights:
            extra.append("date-only values read as midnight")
        if zoned and any("%z" not in f for f in formats):
            extra.append("values without an offset read as UTC")
        plan = CastPlan(
            kind="timestamp",
            data_type="TIMESTAMP WITH TIME ZONE" if zoned else "TIMESTAMP",
            formats=formats,
        )
        proposals.append(
            _Proposal(plan, len(stamps), certainty, notes=tuple(extra), display=plan.formats)
        )
    return proposals


def _string_proposals(values: ValueCounts) -> list[_Proposal]:
    counts = {"uuid": 0, "email": 0, "url": 0}
    for value, _ in values:
        text = value.strip(" ")
        if len(text) == 36 and _UUID.fullmatch(text):
            counts["uuid"] += 1
        elif "@" in text and _EMAIL.fullmatch(text):
            counts["email"] += 1
        elif ("://" in text or text[:4].lower() == "www.") and _URL.fullmatch(text):
            counts["url"] += 1
    return [
        _Proposal(CastPlan(kind=kind, data_type="VARCHAR"), matched)
        for kind, matched in counts.items()
        if matched
    ]


def _score(
    proposal: _Proposal, values: ValueCounts, non_null: int, options: TypingOptions
) -> _Scored:
    valid = _validator(proposal.plan)
    cast_count = sum(count for value, count in values if valid(value))
    match_rate = _weighted_share(proposal.matched, len(values))
    cast_rate = _weighted_share(cast_count, non_null)
    confidence = cast_rate * proposal.certainty
    eligible = (
        match_rate >= options.min_match_rate
        and cast_rate >= options.min_cast_rate
        and confidence >= options.min_confidence
    )
    return _Scored(proposal, match_rate, cast_rate, cast_count, confidence, eligible)


# Names of identifier columns, whose values are labels: a fraction there is an error, not a
# reason to change the column's type.
_IDENTIFIER_NAME = re.compile(r"^(id|.*_id|.*_key|.*_no|.*_nr|.*_number)$")


def _choose(
    scored: Sequence[_Scored], non_null: int, options: TypingOptions, column_name: str
) -> _Scored | None:
    eligible = [s for s in scored if s.eligible]
    if not eligible:
        return None
    best = min(eligible, key=lambda s: _PREFERENCE.index(s.kind))
    if best.kind == "integer":
        widened = next((s for s in eligible if s.kind == "decimal"), None)
        if widened is not None and widened.cast_count > best.cast_count:
            extra = _weighted_share(widened.cast_count - best.cast_count, non_null)
            if not _IDENTIFIER_NAME.match(column_name) or extra > options.max_stray_fraction_share:
                return widened
    return best


def _round(value: float) -> float:
    return round(value, 6)


def _decision_from(
    column_name: str,
    values: ValueCounts,
    distinct_total: int,
    options: TypingOptions,
) -> ColumnTyping:
    non_null = sum(count for _, count in values)
    if non_null == 0:
        return ColumnTyping(
            column_name=column_name,
            data_type="VARCHAR",
            semantic_type="text",
            formats=(),
            unit=None,
            confidence=0.0,
            match_rate=0.0,
            cast_rate=0.0,
            distinct_sampled=distinct_total,
            non_null=0,
            note="no non-null values to infer from; kept as text with confidence 0",
            plan=_TEXT_PLAN,
        )
    proposals = [
        *_boolean_proposals(values),
        *_number_proposals(values, column_name, non_null, options),
        *_temporal_proposals(values, column_name, non_null, options),
        *_string_proposals(values),
    ]
    scored = [_score(p, values, non_null, options) for p in proposals]
    chosen = _choose(scored, non_null, options, column_name)
    if chosen is None:
        runner_up = max(scored, key=lambda s: (s.confidence, s.match_rate), default=None)
        if runner_up is None:
            note = "no candidate type matched any value; kept as text (confidence 1.0)"
            confidence = 1.0
        else:
            confidence = 1.0 - runner_up.confidence
            note = (
                f"kept as text: best candidate {runner_up.kind} matched "
                f"{runner_up.match_rate:.1%} of distinct values and cast "
                f"{runner_up.cast_rate:.1%} of values, confidence {runner_up.confidence:.3f} "
                f"(needs {options.min_match_rate:.0%}, {options.min_cast_rate:.0%} and "
                f"{options.min_confidence:.2f}); confidence = 1 - {runner_up.confidence:.3f}"
            )
        return ColumnTyping(
            column_name=column_name,
            data_type="VARCHAR",
            semantic_type="text",
            formats=(),
            unit=None,
            confidence=_round(confidence),
            match_rate=1.0,
            cast_rate=1.0,
            distinct_sampled=distinct_total,
            non_null=non_null,
            note=note,
            plan=_TEXT_PLAN,
        )
    proposal = chosen.proposal
    notes = [
        f"confidence = cast rate {chosen.cast_rate:.3f} x certainty {proposal.certainty:.3f}",
        *proposal.notes,
    ]
    if chosen.kind == "integer":
        strays = next((s for s in scored if s.kind == "decimal"), None)
        if strays is not None and strays.cast_count > chosen.cast_count:
            notes.append(
                f"{strays.cast_count - chosen.cast_count} sampled values with a fraction are "
                f"stray (at most {options.max_stray_fraction_share:.0%}) and fail the cast"
            )
    return ColumnTyping(
        column_name=column_name,
        data_type=proposal.plan.data_type,
        semantic_type=chosen.kind,
        formats=proposal.display,
        unit=proposal.unit,
        confidence=_round(chosen.confidence),
        match_rate=_round(chosen.match_rate),
        cast_rate=_round(chosen.cast_rate),
        distinct_sampled=distinct_total,
        non_null=non_null,
        note="; ".join(notes),
        plan=proposal.plan,
    )


def _examined(counts: Counter[str], limit: int) -> list[tuple[str, int]]:
    items = sorted(counts.items())
    if len(items) <= limit:
        return items
    # A deterministic pseudo-random subset (crc32 is stable across processes, hash() is not).
    return sorted(items, key=lambda item: (zlib.crc32(item[0].encode("utf-8")), item[0]))[:limit]


def infer_column_type(
    values: Sequence[str | None], column_name: str, options: TypingOptions = TypingOptions()
) -> ColumnTyping:
    """Infer the type of one text column from its values (pure; no database).

    Returns the chosen type with its evidence; ``plan`` is what ``cast_expression`` casts with.
    """
    counts = Counter(v for v in values if v is not None)
    examined = _examined(counts, options.max_distinct_examined)
    return _decision_from(column_name, examined, len(counts), options)


# --------------------------------------------------------------------------------------------
# The stage over a DuckDB connection
# --------------------------------------------------------------------------------------------

_OUTPUT_DDL = (
    """CREATE OR REPLACE TABLE type_decisions (
        table_name VARCHAR NOT NULL,
        column_name VARCHAR NOT NULL,
        original_header VARCHAR NOT NULL,
        "position" INTEGER NOT NULL,
        data_type VARCHAR NOT NULL,
        semantic_type VARCHAR NOT NULL,
        formats VARCHAR[] NOT NULL,
        unit VARCHAR,
        confidence DOUBLE NOT NULL,
        match_rate DOUBLE NOT NULL,
        cast_rate DOUBLE NOT NULL,
        distinct_sampled BIGINT NOT NULL,
        non_null BIGINT NOT NULL,
        failed_count BIGINT NOT NULL,
        failed_examples VARCHAR[] NOT NULL,
        note VARCHAR NOT NULL
    )""",
    """CREATE OR REPLACE TABLE quarantine (
        table_name VARCHAR NOT NULL,
        row_number BIGINT NOT NULL,
        column_name VARCHAR NOT NULL,
        original_header VARCHAR NOT NULL,
        data_type VARCHAR NOT NULL,
        original_value VARCHAR NOT NULL
    )""",
    """CREATE OR REPLACE TABLE table_summary (
        table_name VARCHAR NOT NULL,
        "rows" BIGINT NOT NULL,
        "columns" INTEGER NOT NULL,
        quarantined_cells BIGINT NOT NULL,
        quarantined_rows BIGINT NOT NULL,
        quarantine_share DOUBLE NOT NULL
    )""",
)
_SAMPLE_TABLE = "_typed_tables_sample"
_FAILED_TABLE = "_typed_tables_failed"


@dataclass(frozen=True)
class _RawColumn:
    name: str
    position: int
    header: str
    is_text: bool

    def source(self, alias: str | None = None) -> str:
        quoted = quote_identifier(self.name)
        if alias is not None:
            quoted = f"{alias}.{quoted}"
        return quoted if self.is_text else f"CAST({quoted} AS VARCHAR)"


def _raw_tables(con: duckdb.DuckDBPyConnection, raw_database: str) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() "
        "WHERE database_name = ? AND schema_name = 'raw' ORDER BY table_name",
        [raw_database],
    ).fetchall()
    return [r[0] for r in rows]


def _column_map(
    con: duckdb.DuckDBPyConnection, raw_database: str
) -> dict[str, dict[str, tuple[int, str]]]:
    present = con.execute(
        "SELECT count(*) FROM duckdb_tables() "
        "WHERE database_name = ? AND schema_name = 'main' AND table_name = 'column_map'",
        [raw_database],
    ).fetchall()[0][0]
    if not present:
        return {}
    rows = con.execute(
        "SELECT table_name, column_name, position, original_header "
        f"FROM {quote_identifier(raw_database)}.main.column_map"
    ).fetchall()
    mapping: dict[str, dict[str, tuple[int, str]]] = {}
    for table, column, position, header in rows:
        mapping.setdefault(table, {})[column] = (int(position), header)
    return mapping


def _raw_columns(
    con: duckdb.DuckDBPyConnection,
    raw_database: str,
    table: str,
    mapping: dict[str, tuple[int, str]],
) -> list[_RawColumn]:
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = ? AND schema_name = 'raw' AND table_name = ? "
        "ORDER BY column_index",
        [raw_database, table],
    ).fetchall()
    names = [name for name, _ in rows]
    if ROW_NUMBER_COLUMN not in names:
        raise ValueError(
            f"raw table {table!r} has no {ROW_NUMBER_COLUMN!r} column; "
            "rematerialize raw_tables for this source"
        )
    columns = []
    index = 0
    for name, data_type in rows:
        if name == ROW_NUMBER_COLUMN:
            continue
        index += 1
        position, header = mapping.get(name, (index, name))
        columns.append(_RawColumn(name, position, header, data_type == "VARCHAR"))
    return columns


def _sampled_values(
    con: duckdb.DuckDBPyConnection, relation: str, column: _RawColumn, limit: int
) -> tuple[list[tuple[str, int]], int]:
    """(examined distinct values with counts, distinct values in the sample)."""
    source = column.source()
    rows = con.execute(
        f"SELECT v, n, count(*) OVER () FROM ("
        f"SELECT {source} AS v, count(*) AS n FROM {relation} "
        f"WHERE {source} IS NOT NULL GROUP BY ALL"
        f") ORDER BY hash(v), v LIMIT ?",
        [limit],
    ).fetchall()
    if not rows:
        return [], 0
    return [(v, int(n)) for v, n, _ in rows], int(rows[0][2])


def _type_table(
    con: duckdb.DuckDBPyConnection,
    raw_database: str,
    table: str,
    mapping: dict[str, tuple[int, str]],
    options: TypingOptions,
) -> tuple[list[TypeDecision], TableTyping]:
    raw = f"{quote_identifier(raw_database)}.raw.{quote_identifier(table)}"
    typed = f"typed.{quote_identifier(table)}"
    row = quote_identifier(ROW_NUMBER_COLUMN)
    columns = _raw_columns(con, raw_database, table, mapping)

    counted = con.execute(
        f"SELECT {', '.join(['count(*)', *(f'count({c.source()})' for c in columns)])} FROM {raw}"
    ).fetchall()[0]
    rows, raw_non_null = int(counted[0]), [int(n) for n in counted[1:]]

    relation = raw
    if rows > options.sample_rows:
        buckets = math.ceil(rows / options.sample_rows)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_SAMPLE_TABLE} AS "
            f"SELECT * FROM {raw} WHERE hash({row}) % {int(buckets)} = 0"
        )
        relation = f"temp.main.{_SAMPLE_TABLE}"
    typings = []
    for column in columns:
        values, distinct = _sampled_values(con, relation, column, options.max_distinct_examined)
        typings.append(_decision_from(column.name, values, distinct, options))
    con.execute(f"DROP TABLE IF EXISTS temp.main.{_SAMPLE_TABLE}")

    selects = [row] + [
        f"{cast_expression(c.source(), t.plan)} AS {quote_identifier(c.name)}"
        for c, t in zip(columns, typings, strict=True)
    ]
    con.execute(f"CREATE OR REPLACE TABLE {typed} AS SELECT {', '.join(selects)} FROM {raw}")

    cast_indexes = [i for i, t in enumerate(typings) if not t.plan.is_identity]
    failed = [0] * len(columns)
    if cast_indexes:
        typed_counts = con.execute(
            "SELECT "
            + ", ".join(f"count({quote_identifier(columns[i].name)})" for i in cast_indexes)
            + f" FROM {typed}"
        ).fetchall()[0]
        for i, count in zip(cast_indexes, typed_counts, strict=True):
            failed[i] = raw_non_null[i] - int(count)
    examples, quarantined_rows = _quarantine(
        con, table, raw, typed, columns, typings, failed, options
    )

    decisions = [
        TypeDecision(
            table_name=table,
            column_name=c.name,
            original_header=c.header,
            position=c.position,
            data_type=t.data_type,
            semantic_type=t.semantic_type,
            formats=t.formats,
            unit=t.unit,
            confidence=t.confidence,
            match_rate=t.match_rate,
            cast_rate=t.cast_rate,
            distinct_sampled=t.distinct_sampled,
            non_null=raw_non_null[i],
            failed_count=failed[i],
            failed_examples=examples.get(i, ()),
            note=t.note,
        )
        for i, (c, t) in enumerate(zip(columns, typings, strict=True))
    ]
    cells = sum(failed)
    summary = TableTyping(
        table_name=table,
        rows=rows,
        columns=len(columns),
        quarantined_cells=cells,
        quarantined_rows=quarantined_rows,
        quarantine_share=_round(_weighted_share(cells, sum(raw_non_null))),
    )
    return decisions, summary


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    table: str,
    raw: str,
    typed: str,
    columns: Sequence[_RawColumn],
    typings: Sequence[ColumnTyping],
    failed: Sequence[int],
    options: TypingOptions,
) -> tuple[dict[int, tuple[str, ...]], int]:
    """Copy failed cells into ``quarantine``; returns examples per column index and the number
    of rows with at least one failed cell."""
    failing = [i for i, n in enumerate(failed) if n > 0]
    if not failing:
        return {}, 0
    row = quote_identifier(ROW_NUMBER_COLUMN)
    picks = ", ".join(
        f"CASE WHEN t.{quote_identifier(columns[i].name)} IS NULL "
        f"THEN {columns[i].source('r')} END AS f{i}"
        for i in failing
    )
    where = " OR ".join(
        f"(r.{quote_identifier(columns[i].name)} IS NOT NULL "
        f"AND t.{quote_identifier(columns[i].name)} IS NULL)"
        for i in failing
    )
    # A join on _row, not POSITIONAL JOIN: it stays right whatever the scan order, and it only
    # runs for tables that have failures.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_FAILED_TABLE} AS SELECT r.{row} AS _row, {picks} "
        f"FROM {raw} AS r JOIN {typed} AS t ON r.{row} = t.{row} WHERE {where}"
    )
    failed_table = f"temp.main.{_FAILED_TABLE}"
    examples: dict[int, tuple[str, ...]] = {}
    for i in failing:
        column, typing = columns[i], typings[i]
        con.execute(
            f"INSERT INTO quarantine SELECT ?, _row, ?, ?, ?, f{i} FROM {failed_table} "
            f"WHERE f{i} IS NOT NULL ORDER BY _row",
            [table, column.name, column.header, typing.data_type],
        )
        found = con.execute(
            f"SELECT f{i}, count(*) FROM {failed_table} WHERE f{i} IS NOT NULL "
            f"GROUP BY ALL ORDER BY count(*) DESC, f{i} LIMIT ?",
            [options.failed_examples],
        ).fetchall()
        examples[i] = tuple(v for v, _ in found)
        copied = con.execute(
            f"SELECT count(f{i}) FROM {failed_table}",
        ).fetchall()[0][0]
        if copied != failed[i]:
            raise RuntimeError(
                f"{table}.{column.name}: {failed[i]} cells failed their cast but {copied} were "
                f"found by _row; is {ROW_NUMBER_COLUMN} unique in the raw table?"
            )
    quarantined_rows = con.execute(f"SELECT count(*) FROM {failed_table}").fetchall()[0][0]
    con.execute(f"DROP TABLE {failed_table}")
    return examples, int(quarantined_rows)


def build_typed_tables(
    con: duckdb.DuckDBPyConnection,
    options: TypingOptions = TypingOptions(),
    progress: Callable[[str], None] | None = None,
    raw_database: str = "raw_tables",
) -> TypedTablesResult:
    """Type every table of ``"<raw_database>".raw`` into schema ``typed`` of the connection's
    default database, and write ``type_decisions``, ``quarantine`` and ``table_summary`` there
    (always created, even when there is no table).

    Returns the decisions and per-table summaries that were written.
    """
    con.execute("CREATE SCHEMA IF NOT EXISTS typed")
    for ddl in _OUTPUT_DDL:
        con.execute(ddl)
    tables = _raw_tables(con, raw_database)
    column_map = _column_map(con, raw_database)
    decisions: list[TypeDecision] = []
    summaries: list[TableTyping] = []
    for number, table in enumerate(tables, start=1):
        started = time.perf_counter()
        table_decisions, summary = _type_table(
            con, raw_database, table, column_map.get(table, {}), options
        )
        if table_decisions:
            con.executemany(
                f"INSERT INTO type_decisions VALUES ({', '.join(['?'] * 16)})",
                [
                    [
                        d.table_name,
                        d.column_name,
                        d.original_header,
                        d.position,
                        d.data_type,
                        d.semantic_type,
                        list(d.formats),
                        d.unit,
                        d.confidence,
                        d.match_rate,
                        d.cast_rate,
                        d.distinct_sampled,
                        d.non_null,
                        d.failed_count,
                        list(d.failed_examples),
                        d.note,
                    ]
                    for d in table_decisions
                ],
            )
        con.execute(
            "INSERT INTO table_summary VALUES (?, ?, ?, ?, ?, ?)",
            [
                summary.table_name,
                summary.rows,
                summary.columns,
                summary.quarantined_cells,
                summary.quarantined_rows,
                summary.quarantine_share,
            ],
        )
        decisions.extend(table_decisions)
        summaries.append(summary)
        if progress is not None:
            elapsed = max(time.perf_counter() - started, 1e-9)
            progress(
                f"table {number}/{len(tables)} {table}: {summary.columns} columns typed, "
                f"{summary.quarantined_cells:,} quarantined cells, "
                f"{summary.rows / elapsed:,.0f} rows/s"
            )
    return TypedTablesResult(decisions=tuple(decisions), tables=tuple(summaries))


# --------------------------------------------------------------------------------------------
# Output schemas
# --------------------------------------------------------------------------------------------


def _text(**kwargs: Any) -> Any:
    # DuckDB hands VARCHAR to pandas 3 as ``str``, but as ``object`` when the frame is empty or
    # the column all null: coercing to ``str`` accepts both.
    return pa.Field(coerce=True, **kwargs)


class TypeDecisionsSchema(pa.DataFrameModel):
    """``type_decisions``: one row per typed column."""

    table_name: Series[str] = _text()
    column_name: Series[str] = _text()
    original_header: Series[str] = _text()
    position: Series[np.int32] = pa.Field(ge=1)
    data_type: Series[str] = _text(isin=DATA_TYPES)
    semantic_type: Series[str] = _text(isin=SEMANTIC_TYPES)
    formats: Series[object]
    unit: Series[str] = _text(nullable=True)
    confidence: Series[float] = pa.Field(in_range={"min_value": 0.0, "max_value": 1.0})
    match_rate: Series[float] = pa.Field(in_range={"min_value": 0.0, "max_value": 1.0})
    cast_rate: Series[float] = pa.Field(in_range={"min_value": 0.0, "max_value": 1.0})
    distinct_sampled: Series[int] = pa.Field(ge=0)
    non_null: Series[int] = pa.Field(ge=0)
    failed_count: Series[int] = pa.Field(ge=0)
    failed_examples: Series[object]
    note: Series[str] = _text()

    class Config(BaseConfig):
        strict = True
        unique = ["table_name", "column_name"]  # noqa: RUF012 (pandera's own attribute)

    @pa.dataframe_check
    def failures_within_values(cls, df: pd.DataFrame) -> pd.Series:
        return cast(pd.Series, df["failed_count"] <= df["non_null"])


class QuarantineSchema(pa.DataFrameModel):
    """``quarantine``: one row per cell whose cast failed."""

    table_name: Series[str] = _text()
    row_number: Series[int] = pa.Field(ge=1)
    column_name: Series[str] = _text()
    original_header: Series[str] = _text()
    data_type: Series[str] = _text(isin=DATA_TYPES)
    original_value: Series[str] = _text()

    class Config(BaseConfig):
        strict = True
        unique = ["table_name", "row_number", "column_name"]  # noqa: RUF012


class TableSummarySchema(pa.DataFrameModel):
    """``table_summary``: one row per table."""

    table_name: Series[str] = _text(unique=True)
    rows: Series[int] = pa.Field(ge=0)
    columns: Series[np.int32] = pa.Field(ge=0)
    quarantined_cells: Series[int] = pa.Field(ge=0)
    quarantined_rows: Series[int] = pa.Field(ge=0)
    quarantine_share: Series[float] = pa.Field(in_range={"min_value": 0.0, "max_value": 1.0})

    class Config(BaseConfig):
        strict = True

    @pa.dataframe_check
    def quarantined_rows_within_rows(cls, df: pd.DataFrame) -> pd.Series:
        rows, cells = df["rows"], df["quarantined_cells"]
        return cast(pd.Series, (df["quarantined_rows"] <= rows) & (df["quarantined_rows"] <= cells))


OUTPUT_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "type_decisions": TypeDecisionsSchema,
    "quarantine": QuarantineSchema,
    "table_summary": TableSummarySchema,
}


def typed_columns(
    con: duckdb.DuckDBPyConnection, typed_database: str
) -> dict[str, list[tuple[str, str]]]:
    """Table name → [(column, DuckDB type)] in table order, without ``_row``, for the typed
    tables of ``typed_database`` (attached); what every later stage iterates over."""
    tables: dict[str, list[tuple[str, str]]] = {
        name: []
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
            "AND schema_name = 'typed' ORDER BY table_name",
            [typed_database],
        ).fetchall()
    }
    for table, column, data_type in con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = ? AND schema_name = 'typed' ORDER BY table_name, column_index",
        [typed_database],
    ).fetchall():
        if table in tables and column != ROW_NUMBER_COLUMN:
            tables[table].append((column, data_type))
    return tables
