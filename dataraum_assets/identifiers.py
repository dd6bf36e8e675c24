"""SQL-safe names for tables and columns, and the one helper that quotes identifiers.

Every identifier that comes from data (file names, headers) is normalized for the name users
query, and quoted whenever it is put into SQL, even after normalization.
"""

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence

MAX_IDENTIFIER_LENGTH = 63  # PostgreSQL's limit; keeps names portable beyond DuckDB.

# Names the pipeline adds to every table; a data column that normalizes to one of these is
# suffixed like any other collision.
ROW_NUMBER_COLUMN = "_row"
RESERVED_COLUMN_NAMES = frozenset({ROW_NUMBER_COLUMN})

_NOT_SAFE = re.compile(r"[^a-z0-9_]+")
_UNDERSCORES = re.compile(r"_+")
_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def normalize_identifier(name: str, *, fallback: str, digit_prefix: str = "c_") -> str:
    """Lowercase, ASCII-only ``[a-z0-9_]`` form of ``name``.

    Accents are folded (``Ü`` → ``u``), everything else outside ``[a-z0-9_]`` becomes ``_``,
    a leading digit gets ``digit_prefix`` and an empty result becomes ``fallback``. Long names
    are cut to 63 characters with a short hash of the original so that two long headers that
    share a prefix stay apart.
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = _UNDERSCORES.sub("_", _NOT_SAFE.sub("_", folded.lower())).strip("_")
    if not text:
        return fallback
    if text[0].isdigit():
        text = digit_prefix + text
    if len(text) > MAX_IDENTIFIER_LENGTH:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
        text = text[: MAX_IDENTIFIER_LENGTH - 9].rstrip("_") + "_" + digest
    return text


def unique_identifiers(names: Sequence[str], reserved: Iterable[str] = ()) -> list[str]:
    """Suffix repeated names with ``_2``, ``_3``, … in order of appearance.

    ``reserved`` names are taken before the first name is looked at, so a data column called
    ``_row`` becomes ``_row_2`` and never shadows the pipeline's own column.
    """
    taken = set(reserved)
    result: list[str] = []
    for name in names:
        candidate, counter = name, 1
        while candidate in taken:
            counter += 1
            suffix = f"_{counter}"
            candidate = name[: MAX_IDENTIFIER_LENGTH - len(suffix)] + suffix
        taken.add(candidate)
        result.append(candidate)
    return result


def column_names(headers: Sequence[str]) -> list[str]:
    """Normalized, unique column names for ``headers`` (blank headers become ``column_<n>``)."""
    normalized = [
        normalize_identifier(header, fallback=f"column_{position}")
        for position, header in enumerate(headers, start=1)
    ]
    return unique_identifiers(normalized, reserved=RESERVED_COLUMN_NAMES)


def quote_identifier(name: str) -> str:
    """Double-quote ``name`` for DuckDB/PostgreSQL SQL, doubling embedded quotes."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Single-quote a string literal for the few places where SQL cannot take a parameter
    (DDL such as ``ATTACH``); values in queries are always bound parameters instead."""
    return "'" + value.replace("'", "''") + "'"


def is_valid_source_name(name: str) -> bool:
    """Source names are partition keys and folder names: ``[a-z0-9][a-z0-9_-]*``, ≤ 63 chars."""
    return bool(_SOURCE_NAME.match(name))


def source_name_for(folder_name: str) -> str:
    """A valid source name derived from a folder or file name."""
    name = normalize_identifier(folder_name, fallback="source", digit_prefix="s_")
    return name
