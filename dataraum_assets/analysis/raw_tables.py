"""raw_tables: every CSV file of a source loaded losslessly as text into DuckDB.

Each file becomes ``raw."<table>"`` (``_row`` then one ``VARCHAR`` per CSV column) and is
described in ``ingestion_log``, ``column_map`` and ``repairs`` (``docs/data-plane.md``).

A file goes through at most two readers:

* the **fast path**: pyarrow's streaming CSV reader over the UTF-8 bytes (the original file, or
  a UTF-8 copy of a UTF-16/cp1252 file), batches appended to DuckDB. No per-row Python.
* the **repair path**, used only when the fast path saw something it cannot fix or locate
  (ragged or blank rows, NUL bytes, undecodable bytes, an unclosed quote): Python's ``csv``
  module, which knows physical line numbers, writes a clean copy (rows padded, trimmed or
  dropped, every change recorded) that pyarrow then loads like the fast path.

Before either, one streaming pass over the bytes computes the sha256, validates UTF-8 and
counts line breaks. Rows are numbered 1..n in ``_row`` in file order (dropped rows take no
number); ``repairs.line`` is the physical line in the original file, counting blank leading
lines and the lines inside quoted values.

A trailing column is dropped when its header is blank and every cell is empty or a null
token (so nothing but NULL would be left in it).
"""

import codecs
import csv
import functools
import hashlib
import io
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, BinaryIO, TextIO

import duckdb
import numpy as np
import pandas as pd
import pandera.pandas as pandera
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from pandera.typing.pandas import Series

from dataraum_assets.identifiers import (
    ROW_NUMBER_COLUMN,
    column_names,
    normalize_identifier,
    quote_identifier,
    unique_identifiers,
)
from dataraum_assets.sources import DEFAULT_NULL_TOKENS, DEFAULT_PLACEHOLDER_TOKENS, SourceFile

RAW_SCHEMA = "raw"
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
STATUSES: tuple[str, ...] = ("loaded", "repaired", "rejected")
ENCODINGS: tuple[str, ...] = ("utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "cp1252")
LINE_ENDINGS: tuple[str, ...] = ("LF", "CRLF", "CR")
REPAIR_KINDS: tuple[str, ...] = (
    "ragged_row_padded",
    "ragged_row_trimmed",
    "ragged_row_rejected",
    "blank_row_dropped",
    "nul_removed",
    "undecodable_replaced",
    "blank_header_named",
    "duplicate_header_renamed",
    "trailing_empty_column_dropped",
)

_READ_CHUNK = 8 * 1024 * 1024
_SNIFF_CHARS = 1024 * 1024
_SNIFF_RECORDS = 200
_PROGRESS_SECONDS = 5.0
_STATS_COLUMNS_PER_QUERY = 200  # keeps one aggregate query's SELECT list moderate at 5,000 columns
_WARNING_LINES_SHOWN = 10
_BATCH_VIEW = "_raw_tables_batch"
# Appended after the data on both paths: it comes back as its own record unless an unclosed
# quote swallowed it (pyarrow silently accepts a quote left open at the end of the file). NUL
# never reaches either parser, so data cannot contain it.
_SENTINEL = "\x00dataraum-end-of-data\x00"
# Marks a padded cell in the repair path's clean copy; NUL is removed from data, so it is free.
_PAD = "\x00"
_SURROGATES = re.compile("[\udc80-\udcff]+")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_UTF8_BOM = codecs.BOM_UTF8
# The five bytes cp1252 leaves undefined are decoded as Latin-1 (U+0081 …), as browsers do.
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
_CP1252_FALLBACK_ERRORS = "dataraum.cp1252_latin1"


@dataclass(frozen=True)
class RawTablesOptions:
    null_tokens: tuple[str, ...] = DEFAULT_NULL_TOKENS
    placeholder_tokens: tuple[str, ...] = DEFAULT_PLACEHOLDER_TOKENS
    max_file_bytes: int | None = None
    block_size: int = 16 * 1024 * 1024  # pyarrow read block size
    temp_dir: Path | None = None  # where UTF-8 copies of non-UTF-8 files go; system default


@dataclass(frozen=True)
class FileIngestion:
    """One row of ``ingestion_log``."""

    file_path: str
    table_name: str | None
    status: str  # 'loaded' | 'repaired' | 'rejected'
    size_bytes: int
    sha256: str | None  # None only when the file was not read (too large, unreadable)
    encoding: str | None
    delimiter: str | None
    line_ending: str | None
    header_line: int | None
    rows: int
    columns: int
    null_tokens: tuple[str, ...]
    warnings: tuple[str, ...]
    error: str | None
    duration_seconds: float
    ingested_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class RawTablesResult:
    files: tuple[FileIngestion, ...]

    @property
    def loaded(self) -> tuple[FileIngestion, ...]:
        return tuple(item for item in self.files if item.status != "rejected")

    @property
    def rejected(self) -> tuple[FileIngestion, ...]:
        return tuple(item for item in self.files if item.status == "rejected")

    @property
    def total_rows(self) -> int:
        return sum(item.rows for item in self.files)


class _NeedsRepair(Exception):
    """The fast path met something only the repair path can place or fix."""


class CsvRejected(Exception):
    """The file cannot be loaded; ``line`` is the 1-based physical line when one is to blame."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line

    def message(self, file_path: str) -> str:
        where = file_path if self.line is None else f"{file_path} line {self.line}"
        return f"{where}: {self.reason}"


# --- pandera models of the metadata tables -------------------------------------------------


def _is_string_list(series: pd.Series) -> pd.Series:
    return series.map(
        lambda value: (
            isinstance(value, list | tuple | np.ndarray)
            and all(isinstance(item, str) for item in value)
        )
    )


class IngestionLogSchema(pandera.DataFrameModel):
    file_path: Series[str]
    table_name: Series[str] = pandera.Field(nullable=True)
    status: Series[str] = pandera.Field(isin=list(STATUSES))
    size_bytes: Series[int] = pandera.Field(ge=0)
    sha256: Series[str] = pandera.Field(nullable=True, str_matches=r"^[0-9a-f]{64}$")
    encoding: Series[str] = pandera.Field(nullable=True, isin=list(ENCODINGS))
    delimiter: Series[str] = pandera.Field(nullable=True, isin=list(DELIMITERS))
    line_ending: Series[str] = pandera.Field(nullable=True, isin=list(LINE_ENDINGS))
    header_line: Series[pd.Int64Dtype] = pandera.Field(nullable=True, ge=1)
    rows: Series[int] = pandera.Field(ge=0)
    columns: Series[int] = pandera.Field(ge=0)
    null_tokens: Series[object]
    warnings: Series[object]
    error: Series[str] = pandera.Field(nullable=True)
    duration_seconds: Series[float] = pandera.Field(ge=0)
    ingested_at: Series[Annotated[pd.DatetimeTZDtype, "us", "UTC"]]

    @pandera.check("null_tokens", "warnings", name="list_of_strings")
    @classmethod
    def _string_lists(cls, series: pd.Series) -> pd.Series:
        return _is_string_list(series)

    @pandera.dataframe_check(name="rejected_iff_error")
    @classmethod
    def _rejected_has_error(cls, frame: pd.DataFrame) -> pd.Series:
        rejected = frame["status"] == "rejected"
        return pd.Series((rejected == frame["error"].notna()) & (~rejected | (frame["rows"] == 0)))

    class Config(pandera.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True


class ColumnMapSchema(pandera.DataFrameModel):
    table_name: Series[str]
    position: Series[int] = pandera.Field(ge=1)
    column_name: Series[str] = pandera.Field(str_matches=r"^[a-z_][a-z0-9_]{0,62}$")
    original_header: Series[str]
    null_count: Series[int] = pandera.Field(ge=0)
    placeholder_count: Series[int] = pandera.Field(ge=0)
    max_length: Series[pd.Int64Dtype] = pandera.Field(nullable=True, ge=0)

    @pandera.dataframe_check(name="unique_position_and_name_per_table")
    @classmethod
    def _unique(cls, frame: pd.DataFrame) -> pd.Series:
        return pd.Series(
            ~frame.duplicated(["table_name", "position"], keep=False)
            & ~frame.duplicated(["table_name", "column_name"], keep=False)
        )

    class Config(pandera.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True


class RepairsSchema(pandera.DataFrameModel):
    file_path: Series[str]
    table_name: Series[str] = pandera.Field(nullable=True)
    line: Series[int] = pandera.Field(ge=1)
    kind: Series[str] = pandera.Field(isin=list(REPAIR_KINDS))
    detail: Series[str]
    text: Series[str] = pandera.Field(nullable=True)

    @pandera.dataframe_check(name="text_only_for_rejected_rows")
    @classmethod
    def _text_for_rejected(cls, frame: pd.DataFrame) -> pd.Series:
        return pd.Series((frame["kind"] == "ragged_row_rejected") == frame["text"].notna())

    class Config(pandera.DataFrameModel.Config):
        strict = True
        ordered = True
        coerce = True


OUTPUT_SCHEMAS: dict[str, type[pandera.DataFrameModel]] = {
    "ingestion_log": IngestionLogSchema,
    "column_map": ColumnMapSchema,
    "repairs": RepairsSchema,
}

_METADATA_DDL = {
    "ingestion_log": """
        file_path VARCHAR NOT NULL, table_name VARCHAR, status VARCHAR NOT NULL,
        size_bytes BIGINT NOT NULL, sha256 VARCHAR, encoding VARCHAR, delimiter VARCHAR,
        line_ending VARCHAR, header_line INTEGER, rows BIGINT NOT NULL, columns INTEGER NOT NULL,
        null_tokens VARCHAR[] NOT NULL, warnings VARCHAR[] NOT NULL, error VARCHAR,
        duration_seconds DOUBLE NOT NULL, ingested_at TIMESTAMP WITH TIME ZONE NOT NULL""",
    "column_map": """
        table_name VARCHAR NOT NULL, position INTEGER NOT NULL, column_name VARCHAR NOT NULL,
        original_header VARCHAR NOT NULL, null_count BIGINT NOT NULL,
        placeholder_count BIGINT NOT NULL, max_length BIGINT""",
    "repairs": """
        file_path VARCHAR NOT NULL, table_name VARCHAR, line BIGINT NOT NULL,
        kind VARCHAR NOT NULL, detail VARCHAR NOT NULL, text VARCHAR""",
}


# --- public entry point ---------------------------------------------------------------------


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[SourceFile],
    options: RawTablesOptions = RawTablesOptions(),  # frozen, so a safe default
    progress: Callable[[str], None] | None = None,
) -> RawTablesResult:
    """Load every file into ``raw."<table>"`` and describe it in the metadata tables.

    Writes to the connection's current database: schema ``raw`` (one table per loaded file)
    and ``ingestion_log``, ``column_map`` and ``repairs`` (replaced, created even when empty).
    A rejected file is recorded and skipped; it never stops the others. Returns one
    ``FileIngestion`` per file, in input order.
    """
    for table, columns in _METADATA_DDL.items():
        con.execute(f"CREATE OR REPLACE TABLE main.{table} ({columns})")
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(RAW_SCHEMA)}")
    # Names are reserved for every file, rejected or not, so fixing one file never renames
    # another file's table.
    table_names = unique_identifiers(
        [
            normalize_identifier(Path(item.relative_path).stem, fallback="table", digit_prefix="t_")
            for item in files
        ]
    )
    # The csv module's default limit (128 KiB per field) is far below what pyarrow reads (a
    # row may fill a block). The limit is process-wide, so it is only ever raised, never
    # lowered again: another thread mid-parse must not see it shrink.
    if csv.field_size_limit() < options.block_size:
        csv.field_size_limit(options.block_size)
    temp_root = Path(tempfile.mkdtemp(prefix="raw_tables_", dir=options.temp_dir))
    results: list[FileIngestion] = []
    try:
        for index, (source_file, table_name) in enumerate(
            zip(files, table_names, strict=True), start=1
        ):
            reporter = _Progress(progress, f"file {index}/{len(files)} {source_file.relative_path}")
            ingestion = _ingest_file(con, source_file, table_name, options, temp_root, reporter)
            _write_ingestion_row(con, ingestion)
            reporter.finished(ingestion)
            results.append(ingestion)
    finally:
        shutil.rmtree(temp_root, ignore_errors=True)
    return RawTablesResult(files=tuple(results))


# --- per file -------------------------------------------------------------------------------


class _Progress:
    def __init__(self, sink: Callable[[str], None] | None, label: str) -> None:
        self._sink = sink
        self.label = label
        self._started = time.perf_counter()
        self._last = self._started

    def restart(self) -> None:
        """Rates count from now (the file is read again)."""
        self._started = self._last = time.perf_counter()

    def say(self, text: str) -> None:
        if self._sink is not None:
            self._sink(f"{self.label}: {text}")

    def rows(self, rows: int) -> None:
        now = time.perf_counter()
        if self._sink is not None and now - self._last >= _PROGRESS_SECONDS:
            self._last = now
            rate = rows / max(now - self._started, 1e-9)
            self.say(f"{rows:,} rows so far ({rate:,.0f} rows/s)")

    def bytes_scanned(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self._sink is not None and now - self._last >= _PROGRESS_SECONDS:
            self._last = now
            self.say(f"checked {done / 2**20:,.0f} of {total / 2**20:,.0f} MiB")

    def finished(self, ingestion: FileIngestion) -> None:
        if ingestion.status == "rejected":
            self.say(f"rejected: {ingestion.error}")
            return
        seconds = ingestion.duration_seconds
        rate = ingestion.rows / seconds if seconds > 0 else 0.0
        repaired = " (repaired)" if ingestion.status == "repaired" else ""
        self.say(
            f"{ingestion.rows:,} rows, {ingestion.columns:,} columns in {seconds:.2f} s "
            f"({rate:,.0f} rows/s){repaired}"
        )


@dataclass
class _Facts:
    """What is known about a file so far; a rejection still reports all of it."""

    size_bytes: int = 0
    sha256: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    line_ending: str | None = None
    header_line: int | None = None
    warnings: list[str] = field(default_factory=list)


def _ingest_file(
    con: duckdb.DuckDBPyConnection,
    source_file: SourceFile,
    table_name: str,
    options: RawTablesOptions,
    temp_root: Path,
    progress: _Progress,
) -> FileIngestion:
    started = time.perf_counter()
    ingested_at = datetime.now(UTC)
    facts = _Facts()
    repairs = _RepairLog(con, source_file.relative_path, table_name)
    named = False  # a file rejected before it is read gets no table name
    rows = columns = 0
    error: str | None = None
    try:
        try:
            facts.size_bytes = source_file.path.stat().st_size
        except OSError as problem:
            raise CsvRejected(f"cannot read file: {problem.strerror or problem}") from problem
        if options.max_file_bytes is not None and facts.size_bytes > options.max_file_bytes:
            raise CsvRejected(
                f"file is {facts.size_bytes:,} bytes, more than max_file_bytes "
                f"({options.max_file_bytes:,})"
            )
        if facts.size_bytes == 0:
            raise CsvRejected("file is empty")
        named = True
        rows, columns = _load_file(
            con, source_file.path, table_name, options, temp_root, facts, repairs, progress
        )
    except CsvRejected as rejection:
        error = rejection.message(source_file.relative_path)
    except OSError as problem:  # e.g. the file vanished or became unreadable while read
        error = f"{source_file.relative_path}: cannot read file: {problem}"
    if error is not None:
        con.execute(f"DROP TABLE IF EXISTS {_raw_target(table_name)}")
        repairs.discard()
        rows = columns = 0
    else:
        repairs.flush()
    return FileIngestion(
        file_path=source_file.relative_path,
        table_name=table_name if named else None,
        status="rejected" if error is not None else "repaired" if repairs.total else "loaded",
        size_bytes=facts.size_bytes,
        sha256=facts.sha256,
        encoding=facts.encoding,
        delimiter=facts.delimiter,
        line_ending=facts.line_ending,
        header_line=facts.header_line,
        rows=rows,
        columns=columns,
        null_tokens=options.null_tokens,
        warnings=tuple(facts.warnings + repairs.summary()),
        error=error,
        duration_seconds=time.perf_counter() - started,
        ingested_at=ingested_at,
    )


def _load_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table_name: str,
    options: RawTablesOptions,
    temp_root: Path,
    facts: _Facts,
    repairs: "_RepairLog",
    progress: _Progress,
) -> tuple[int, int]:
    """Load one file into ``raw."<table_name>"``; returns (rows, columns kept).

    Raises ``CsvRejected`` when the file cannot be loaded; ``facts`` holds what was learnt.
    """
    scan = _scan_bytes(path, progress)
    facts.sha256 = scan.sha256
    encoding = scan.encoding
    facts.encoding = encoding.name
    if scan.stats.size <= encoding.bom_bytes:
        raise CsvRejected("file is empty")
    if encoding.errors == "surrogateescape":
        facts.warnings.append(
            f"{scan.invalid_utf8_bytes:,} byte(s) not valid UTF-8 replaced with U+FFFD "
            "(see repairs: undecodable_replaced)"
        )

    # UTF-8 bytes for pyarrow: the file itself, or a UTF-8 copy; None when only the repair
    # path can read it (undecodable bytes).
    utf8: _Utf8Source | None = None
    if encoding.errors == "strict" and encoding.codec.startswith("utf-8"):
        utf8 = _Utf8Source(path, encoding.bom_bytes, scan.stats)
    elif encoding.codec in ("utf-16", "cp1252"):
        utf8 = _transcode(path, encoding, temp_root, facts)
    try:
        stats = utf8.stats if utf8 is not None else scan.stats
        facts.line_ending, mixed = _line_ending(stats)
        if mixed:
            facts.warnings.append(mixed)
        fast = utf8 if utf8 is not None and not stats.has_nul else None
        if fast is not None:
            layout = _sniff(functools.partial(_read_utf8_prefix, fast), path.suffix)
        else:
            layout = _sniff(functools.partial(_read_decoded_prefix, path, encoding), path.suffix)
        facts.delimiter = layout.delimiter
        facts.header_line = layout.header_line
        table = _TableSpec.from_headers(table_name, layout.headers)

        writer: _TableWriter | None = None
        if fast is not None:
            writer, problem = _fast_load(con, fast, layout, table, options, repairs, progress)
            if problem is not None:
                progress.say(f"{problem}; re-reading with repairs")
                progress.restart()
                repairs.discard()
                writer = None
        if writer is None:
            writer = _repair_load(
                con, path, encoding, layout, table, options, repairs, progress, temp_root
            )
    finally:
        if utf8 is not None and utf8.path != path:
            utf8.path.unlink(missing_ok=True)

    kept = writer.finish()
    _record_header_repairs(table, kept, layout.header_line, repairs)
    _write_column_map(con, table, kept, writer.rows, options.placeholder_tokens)
    return writer.rows, kept


# --- byte scan, encodings -------------------------------------------------------------------


@dataclass(frozen=True)
class _Encoding:
    name: str  # as recorded in ingestion_log
    codec: str  # Python codec for reading the original file
    errors: str
    bom_bytes: int


class _ByteStats:
    """Counts over UTF-8 (or ASCII-compatible) bytes, fed chunk by chunk."""

    def __init__(self) -> None:
        self.size = 0
        self.lf = 0
        self.cr = 0
        self.crlf = 0
        self.has_quotes = False
        self.has_nul = False
        self.content_end = 0  # offset just after the last byte that is not CR or LF
        self._ends_with_cr = False

    def update(self, chunk: bytes) -> None:
        if not chunk:
            return
        if self._ends_with_cr and chunk[0] == 0x0A:
            self.crlf += 1
        self.lf += chunk.count(b"\n")
        carriage_returns = chunk.count(b"\r")
        if carriage_returns:
            self.cr += carriage_returns
            self.crlf += chunk.count(b"\r\n")
        if not self.has_quotes and b'"' in chunk:
            self.has_quotes = True
        if not self.has_nul and b"\x00" in chunk:
            self.has_nul = True
        content = len(chunk.rstrip(b"\r\n"))
        if content:
            self.content_end = self.size + content
        self.size += len(chunk)
        self._ends_with_cr = chunk[-1] == 0x0D

    @property
    def line_breaks(self) -> int:
        return self.lf + self.cr - self.crlf


@dataclass(frozen=True)
class _ByteScan:
    sha256: str
    encoding: _Encoding
    stats: _ByteStats  # meaningful for ASCII-compatible encodings only
    invalid_utf8_bytes: int


def _scan_bytes(path: Path, progress: _Progress) -> _ByteScan:
    """One pass: sha256, byte counts, BOM, and whether the bytes are valid UTF-8."""
    digest = hashlib.sha256()
    stats = _ByteStats()
    strict = codecs.getincrementaldecoder("utf-8")("strict")
    lenient: codecs.IncrementalDecoder | None = None  # after the first invalid byte
    decoded_bytes = decoded_chars = invalid = 0
    bom = b""
    total = path.stat().st_size
    with path.open("rb") as handle:
        first = True
        while chunk := handle.read(_READ_CHUNK):
            digest.update(chunk)
            stats.update(chunk)
            if first:
                first = False
                bom = _bom(chunk)
                chunk = chunk[len(bom) :] if bom else chunk
            if bom and bom != _UTF8_BOM:
                continue
            decoder = lenient or strict
            # ASCII chunks cannot be invalid; skipping them keeps the common case at memchr speed.
            if decoder.getstate()[0] == b"" and chunk.isascii():
                progress.bytes_scanned(stats.size, total)
                continue
            decoded_bytes += len(chunk)
            if lenient is None:
                state = strict.getstate()
                try:
                    decoded_chars += len(strict.decode(chunk))
                except UnicodeDecodeError:
                    lenient = codecs.getincrementaldecoder("utf-8")("surrogateescape")
                    lenient.setstate(state)
            if lenient is not None:
                text = lenient.decode(chunk)
                decoded_chars += len(text)
                invalid += sum(len(run) for run in _SURROGATES.findall(text))
            progress.bytes_scanned(stats.size, total)
    if not bom or bom == _UTF8_BOM:
        try:
            if lenient is None:
                strict.decode(b"", final=True)
        except UnicodeDecodeError:
            lenient = codecs.getincrementaldecoder("utf-8")("surrogateescape")
            lenient.setstate(strict.getstate())
        if lenient is not None:
            text = lenient.decode(b"", final=True)
            decoded_chars += len(text)
            invalid += sum(len(run) for run in _SURROGATES.findall(text))
    return _ByteScan(
        sha256=digest.hexdigest(),
        encoding=_choose_encoding(bom, invalid, decoded_bytes - decoded_chars),
        stats=stats,
        invalid_utf8_bytes=invalid,
    )


def _bom(head: bytes) -> bytes:
    for bom in (_UTF8_BOM, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if head.startswith(bom):
            return bom
    return b""


def _choose_encoding(bom: bytes, invalid_bytes: int, multibyte_extra: int) -> _Encoding:
    if bom == codecs.BOM_UTF16_LE:
        return _Encoding("utf-16-le", "utf-16", "strict", 2)
    if bom == codecs.BOM_UTF16_BE:
        return _Encoding("utf-16-be", "utf-16", "strict", 2)
    codec = "utf-8-sig" if bom else "utf-8"
    if invalid_bytes == 0:
        return _Encoding(codec, codec, "strict", len(bom))
    # ``multibyte_extra`` is the number of continuation bytes in valid multi-byte sequences: a
    # file that has them and fewer bad bytes than that is UTF-8 with a few damaged bytes, not
    # a legacy 8-bit encoding (where valid multi-byte sequences are rare accidents).
    if bom or (multibyte_extra > 0 and invalid_bytes <= multibyte_extra):
        return _Encoding(codec, codec, "surrogateescape", len(bom))
    return _Encoding("cp1252", "cp1252", _cp1252_fallback_errors(), 0)


@functools.cache
def _cp1252_fallback_errors() -> str:
    def latin1(error: UnicodeError) -> tuple[str, int]:
        if not isinstance(error, UnicodeDecodeError):
            raise error
        return bytes(error.object[error.start : error.end]).decode("latin-1"), error.end

    codecs.register_error(_CP1252_FALLBACK_ERRORS, latin1)
    return _CP1252_FALLBACK_ERRORS


@dataclass(frozen=True)
class _Utf8Source:
    """UTF-8 bytes pyarrow can read: the data starts at ``start``."""

    path: Path
    start: int
    stats: _ByteStats


def _temp_file(temp_root: Path) -> Path:
    handle, name = tempfile.mkstemp(suffix=".csv", dir=temp_root)
    os.close(handle)
    return Path(name)


def _transcode(path: Path, encoding: _Encoding, temp_root: Path, facts: _Facts) -> _Utf8Source:
    """Write a UTF-8 copy of a UTF-16/cp1252 file (no BOM) for the fast path."""
    decoder = codecs.getincrementaldecoder(encoding.codec)(encoding.errors)
    stats = _ByteStats()
    undefined = 0
    target = _temp_file(temp_root)
    try:
        with path.open("rb") as source, target.open("wb") as sink:
            while chunk := source.read(_READ_CHUNK):
                if encoding.codec == "cp1252":
                    undefined += sum(chunk.count(byte) for byte in _CP1252_UNDEFINED)
                data = decoder.decode(chunk).encode("utf-8")
                stats.update(data)
                sink.write(data)
            data = decoder.decode(b"", final=True).encode("utf-8")
            stats.update(data)
            sink.write(data)
    except UnicodeDecodeError as error:
        raise CsvRejected(
            f"not valid {encoding.name} although the file starts with its byte order mark "
            f"({error.reason})"
        ) from error
    if encoding.codec == "cp1252":
        facts.warnings.append("not valid UTF-8; decoded as cp1252")
        if undefined:
            facts.warnings.append(f"{undefined:,} byte(s) undefined in cp1252 decoded as Latin-1")
    return _Utf8Source(target, 0, stats)


def _line_ending(stats: _ByteStats) -> tuple[str | None, str | None]:
    counts = {
        "CRLF": stats.crlf,
        "LF": stats.lf - stats.crlf,
        "CR": stats.cr - stats.crlf,
    }
    present = {name: count for name, count in counts.items() if count}
    if not present:
        return None, None
    dominant = max(present, key=lambda name: present[name])
    if len(present) == 1:
        return dominant, None
    listed = ", ".join(f"{count:,} {name}" for name, count in present.items())
    return dominant, f"mixed line endings ({listed})"


def _open_text(path: Path, encoding: _Encoding) -> TextIO:
    # newline="" splits lines at CR, LF and CRLF and returns them untranslated, the same
    # line breaks pyarrow and the csv module recognise, so line numbers agree everywhere.
    return io.TextIOWrapper(
        path.open("rb"), encoding=encoding.codec, errors=encoding.errors, newline=""
    )


def _read_utf8_prefix(source: _Utf8Source, chars: int) -> tuple[str, bool]:
    with source.path.open("rb") as handle:
        handle.seek(source.start)
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="").read(chars)
    return text, len(text) < chars


def _read_decoded_prefix(path: Path, encoding: _Encoding, chars: int) -> tuple[str, bool]:
    with _open_text(path, encoding) as stream:
        text = stream.read(chars)
    at_eof = len(text) < chars
    return _SURROGATES.sub("\ufffd", text.replace("\x00", "")), at_eof


# --- layout: blank leading lines, delimiter, header -----------------------------------------


@dataclass(frozen=True)
class _Layout:
    header_line: int  # physical line of the header
    header_lines: int  # physical lines the header record spans (quoted newlines)
    header_chars: int  # characters before the first data line
    headers: tuple[str, ...]
    delimiter: str


def _split_lines(text: str) -> list[str]:
    lines: list[str] = []
    position = 0
    for match in _LINE_BREAK.finditer(text):
        lines.append(text[position : match.end()])
        position = match.end()
    if position < len(text):
        lines.append(text[position:])
    return lines


def _sniff(read_prefix: Callable[[int], tuple[str, bool]], suffix: str) -> _Layout:
    chars = _SNIFF_CHARS
    while True:
        text, at_eof = read_prefix(chars)
        layout = _layout_from_sample(text, at_eof, suffix)
        if layout is not None:
            return layout
        chars *= 4


def _layout_from_sample(text: str, at_eof: bool, suffix: str) -> _Layout | None:
    """The layout, or None when the sample is too short to tell."""
    lines = _split_lines(text)
    if not at_eof and lines:
        lines.pop()  # may be cut in the middle
    blank = 0
    while blank < len(lines) and not lines[blank].strip():
        blank += 1
    if blank == len(lines):
        if at_eof:
            raise CsvRejected("file is empty (only blank lines)")
        return None
    body = lines[blank:]
    delimiter = _detect_delimiter(body, at_eof, suffix)
    reader = csv.reader(iter(body), delimiter=delimiter, strict=False)
    try:
        headers = next(reader)
    except csv.Error as error:
        raise CsvRejected(f"cannot parse the header ({error})", line=blank + 1) from error
    consumed = reader.line_num
    if consumed >= len(body) and not at_eof:
        return None  # the header may go on past the sample
    header_text = "".join(body[:consumed])
    open_quote = _unclosed_quote_offset(header_text, delimiter)
    if open_quote is not None:
        raise CsvRejected(
            "unclosed quote in the header starting here",
            line=blank + 1 + len(_LINE_BREAK.findall(header_text[:open_quote])),
        )
    return _Layout(
        header_line=blank + 1,
        header_lines=consumed,
        header_chars=sum(len(line) for line in lines[: blank + consumed]),
        headers=tuple(headers),
        delimiter=delimiter,
    )


def _detect_delimiter(lines: list[str], at_eof: bool, suffix: str) -> str:
    """The candidate whose per-record field counts most consistently match the header's."""
    prefer_tab = suffix.lower() == ".tsv"
    best: tuple[Any, ...] | None = None
    chosen = "\t" if prefer_tab else ","
    for index, candidate in enumerate(DELIMITERS):
        counts: list[int] = []
        try:
            for row in csv.reader(iter(lines), delimiter=candidate, strict=False):
                if row:
                    counts.append(len(row))
                if len(counts) > _SNIFF_RECORDS:
                    break
        except csv.Error:
            pass
        if not at_eof and len(counts) > 1 and len(counts) <= _SNIFF_RECORDS:
            counts.pop()  # the last record may be cut
        if not counts:
            continue
        header, rest = counts[0], counts[1:]
        consistency = sum(count == header for count in rest) / len(rest) if rest else 1.0
        tab_bonus = prefer_tab and candidate == "\t" and consistency >= 0.5
        score = (header > 1, tab_bonus, round(consistency, 3), header, -index)
        if best is None or score > best:
            best, chosen = score, candidate
    if best is not None and not best[0]:
        return "\t" if prefer_tab else ","
    return chosen


def _unclosed_quote_offset(text: str, delimiter: str) -> int | None:
    """Offset of a quote that opens a field and is never closed (the csv module's rules)."""
    at_field_start = True
    quoted = False
    opened = 0
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if quoted:
            if char == '"':
                if index + 1 < length and text[index + 1] == '"':
                    index += 1
                else:
                    quoted = False
        elif char == '"' and at_field_start:
            quoted, opened = True, index
        else:
            at_field_start = char in (delimiter, "\r", "\n")
            index += 1
            continue
        at_field_start = False
        index += 1
    return opened if quoted else None


# --- table specification and writer ---------------------------------------------------------


@dataclass(frozen=True)
class _TableSpec:
    name: str
    headers: tuple[str, ...]
    names: tuple[str, ...]
    droppable: int  # how many trailing columns have a blank header

    @classmethod
    def from_headers(cls, name: str, headers: Sequence[str]) -> "_TableSpec":
        droppable = 0
        # The first column always stays, so a table never ends up without columns.
        while droppable < len(headers) - 1 and not headers[-1 - droppable].strip():
            droppable += 1
        return cls(name, tuple(headers), tuple(column_names(headers)), droppable)

    @property
    def target(self) -> str:
        return _raw_target(self.name)


def _raw_target(table_name: str) -> str:
    return f"{quote_identifier(RAW_SCHEMA)}.{quote_identifier(table_name)}"


class _TableWriter:
    """Creates ``raw."<table>"`` and appends string batches with a running ``_row``."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, table: _TableSpec, progress: _Progress
    ) -> None:
        self._con = con
        self._table = table
        self._progress = progress
        self.rows = 0
        width = len(table.names)
        # Trailing blank-header columns that have held nothing but NULL/"" so far.
        self._still_empty = list(range(width - table.droppable, width))
        columns = ", ".join(
            [
                f"{quote_identifier(ROW_NUMBER_COLUMN)} BIGINT",
                *(f"{quote_identifier(name)} VARCHAR" for name in table.names),
            ]
        )
        con.execute(f"CREATE OR REPLACE TABLE {table.target} ({columns})")

    def load(self, batches: Iterable[Sequence[pa.Array]]) -> None:
        """Insert every batch (one array per column) with a running ``_row``.

        One INSERT pulls the batches through an Arrow stream, so DuckDB compresses one batch
        while pyarrow parses the next; measurably faster than an INSERT per batch. The
        batches are produced on a DuckDB thread: an exception there is re-raised here as it
        was, not as DuckDB's wrapper around it.
        """
        width = len(self._table.names)
        schema = pa.schema(
            [(ROW_NUMBER_COLUMN, pa.int64()), *((f"c{i}", pa.string()) for i in range(width))]
        )
        failure: list[Exception] = []

        def numbered() -> Iterator[pa.RecordBatch]:
            try:
                for columns in batches:
                    count = len(columns[0]) if columns else 0
                    if count == 0:
                        continue
                    if self._still_empty:
                        self._still_empty = [
                            index for index in self._still_empty if not _has_value(columns[index])
                        ]
                    first = self.rows + 1
                    row_numbers = pa.array(np.arange(first, first + count, dtype=np.int64))
                    yield pa.RecordBatch.from_arrays([row_numbers, *columns], schema=schema)
                    self.rows += count
                    self._progress.rows(self.rows)
            except Exception as error:
                failure.append(error)
                raise

        stream = pa.RecordBatchReader.from_batches(schema, numbered())
        self._con.register(_BATCH_VIEW, stream)
        try:
            self._con.execute(f"INSERT INTO {self._table.target} SELECT * FROM {_BATCH_VIEW}")
        except duckdb.Error as error:
            if failure:
                raise failure[0] from error
            raise
        finally:
            self._con.unregister(_BATCH_VIEW)

    def finish(self) -> int:
        """Drop trailing blank-header columns without values; returns the columns kept."""
        width = len(self._table.names)
        kept = width
        while kept - 1 in self._still_empty:
            kept -= 1
        for name in reversed(self._table.names[kept:]):
            self._con.execute(
                f"ALTER TABLE {self._table.target} DROP COLUMN {quote_identifier(name)}"
            )
        return kept


def _compute(function: str, *args: Any) -> Any:
    # pyarrow.compute creates its functions at import time, so type checkers cannot see them;
    # call_function is the same call by name.
    return pc.call_function(function, list(args))


def _has_value(column: pa.Array) -> bool:
    if column.null_count == len(column):
        return False
    return bool(_compute("any", _compute("not_equal", column, "")).as_py())


def _has_blank_row(columns: Sequence[pa.Array]) -> bool:
    """Whether some row is NULL or "" in every column (checked column by column, stopping as
    soon as no candidate row is left, which is after the first column for most data)."""
    mask: Any = None
    for column in columns:
        empty = _compute("coalesce", _compute("equal", column, ""), True)
        mask = empty if mask is None else _compute("and", mask, empty)
        if not _compute("any", mask).as_py():
            return False
    return mask is not None


# --- fast path ------------------------------------------------------------------------------


class _SliceStream(io.RawIOBase):
    """Bytes ``[start, end)`` of a file followed by ``tail``, for pyarrow."""

    def __init__(self, path: Path, start: int, end: int, tail: bytes) -> None:
        super().__init__()
        self._file: BinaryIO = path.open("rb")
        self._file.seek(start)
        self._remaining = max(end - start, 0)
        self._tail = tail

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self.closed:  # pyarrow's read-ahead may still ask after an early stop
            return b""
        if size is None or size < 0:
            size = self._remaining + len(self._tail)
        if self._remaining > 0:
            data = self._file.read(min(size, self._remaining))
            self._remaining = self._remaining - len(data) if data else 0
            if data:
                return data
        data, self._tail = self._tail[:size], self._tail[size:]
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._file.close()
        super().close()


def _open_arrow_csv(
    stream: Any,
    width: int,
    delimiter: str,
    null_values: list[str],
    block_size: int,
    *,
    newlines_in_values: bool,
    invalid_row_handler: Callable[[Any], str] | None,
) -> Any:
    """pyarrow's streaming reader over header-less CSV data, every column a string."""
    field_names = [f"c{i}" for i in range(width)]
    return pa_csv.open_csv(
        stream,
        read_options=pa_csv.ReadOptions(column_names=field_names, block_size=block_size),
        parse_options=pa_csv.ParseOptions(
            delimiter=delimiter,
            quote_char='"',
            double_quote=True,
            escape_char=False,
            newlines_in_values=newlines_in_values,
            ignore_empty_lines=False,
            invalid_row_handler=invalid_row_handler,
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(field_names, pa.string()),
            null_values=null_values,
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )


def _fast_load(
    con: duckdb.DuckDBPyConnection,
    source: _Utf8Source,
    layout: _Layout,
    table: _TableSpec,
    options: RawTablesOptions,
    repairs: "_RepairLog",
    progress: _Progress,
) -> tuple[_TableWriter, str | None]:
    """Stream the file through pyarrow; the problem's description when it needs repairs."""
    stats = source.stats
    with source.path.open("rb") as handle:
        handle.seek(source.start)
        header_bytes = len(
            io.TextIOWrapper(handle, encoding="utf-8", newline="")
            .read(layout.header_chars)
            .encode("utf-8")
        )
    data_start = source.start + header_bytes
    width = len(table.names)
    sentinel = layout.delimiter.join([_SENTINEL] * (width + 1))
    # Trailing line breaks are cut off and recorded here: pyarrow would turn each blank line
    # into an all-NULL row that only the repair path could place.
    data_end = max(stats.content_end, data_start)
    tail = ("\n" if data_end > data_start else "") + sentinel + "\n"
    problems: list[str] = []
    sentinel_seen = False

    def on_invalid_row(row: Any) -> str:
        nonlocal sentinel_seen
        if row.text == sentinel:
            sentinel_seen = True
            return "skip"
        problems.append(f"a row has {row.actual_columns} fields, expected {width}")
        return "error"

    def checked(reader: Any) -> Iterator[Sequence[pa.Array]]:
        for batch in reader:
            if batch.num_rows and _has_blank_row(batch.columns):
                raise _NeedsRepair("blank rows found")
            yield batch.columns

    writer = _TableWriter(con, table, progress)
    try:
        with _SliceStream(source.path, data_start, data_end, tail.encode("utf-8")) as stream:
            reader = _open_arrow_csv(
                stream,
                width,
                layout.delimiter,
                list(options.null_tokens),
                options.block_size,
                # Without any quote in the file no value can hold a newline, and pyarrow
                # splits blocks faster when it need not track quotes across them.
                newlines_in_values=stats.has_quotes,
                invalid_row_handler=on_invalid_row,
            )
            writer.load(checked(reader))
    except _NeedsRepair as problem:
        return writer, str(problem)
    except pa.ArrowException as error:
        return writer, problems[0] if problems else f"pyarrow could not parse it ({error})"
    if problems:
        return writer, problems[0]
    if not sentinel_seen:
        return writer, "a quote is never closed"
    _record_trailing_blank_lines(source, repairs)
    return writer, None


def _record_trailing_blank_lines(source: _Utf8Source, repairs: "_RepairLog") -> None:
    stats = source.stats
    trailing = _ByteStats()
    with source.path.open("rb") as handle:
        handle.seek(max(stats.content_end, source.start))
        while chunk := handle.read(_READ_CHUNK):
            trailing.update(chunk)
    breaks = trailing.line_breaks
    if breaks <= 1:
        return
    last_content_line = stats.line_breaks - breaks + 1
    for line in range(last_content_line + 1, last_content_line + breaks):
        repairs.add(line, "blank_row_dropped", "blank line")


# --- repair path ----------------------------------------------------------------------------


class _PhysicalLines:
    """Lines of the decoded file, numbered, cleaned of NUL and undecodable bytes (recorded),
    followed by the sentinel line."""

    def __init__(self, stream: TextIO, repairs: "_RepairLog", replace_undecodable: bool) -> None:
        self._stream = stream
        self._repairs = repairs
        self._replace_undecodable = replace_undecodable
        self.count = 0
        self.buffer: list[str] = []  # lines of the record being read
        self.sentinel_sent = False

    def __iter__(self) -> Iterator[str]:
        repairs = self._repairs
        buffer = self.buffer
        for line in self._stream:
            self.count += 1
            if "\x00" in line:
                removed = line.count("\x00")
                line = line.replace("\x00", "")
                repairs.add(self.count, "nul_removed", f"{removed} NUL byte(s) removed")
            if self._replace_undecodable and _SURROGATES.search(line):
                bad = [
                    f"0x{ord(char) - 0xDC00:02x}"
                    for run in _SURROGATES.findall(line)
                    for char in run
                ]
                line = _SURROGATES.sub(lambda run: "\ufffd" * len(run.group()), line)
                repairs.add(
                    self.count,
                    "undecodable_replaced",
                    f"byte(s) {' '.join(bad)} not valid UTF-8, replaced with U+FFFD",
                )
            buffer.append(line)
            yield line
        self.sentinel_sent = True
        yield _SENTINEL


def _repair_load(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    encoding: _Encoding,
    layout: _Layout,
    table: _TableSpec,
    options: RawTablesOptions,
    repairs: "_RepairLog",
    progress: _Progress,
    temp_root: Path,
) -> _TableWriter:
    """Rewrite the file as clean CSV with Python's csv module, then load that with pyarrow.

    Records that need no change are copied as they are (only NUL and undecodable bytes are
    cleaned), so the csv module is used for parsing and counting, rarely for writing.
    """
    clean = _temp_file(temp_root)
    try:
        _write_repaired_csv(path, encoding, layout, len(table.names), repairs, clean, progress)
        writer = _TableWriter(con, table, progress)
        with pa.OSFile(str(clean)) as stream:
            reader = _open_arrow_csv(
                stream,
                len(table.names),
                layout.delimiter,
                [*options.null_tokens, _PAD],
                options.block_size,
                newlines_in_values=True,
                invalid_row_handler=None,
            )
            writer.load(batch.columns for batch in reader)
        repairs.flush()
        return writer
    finally:
        clean.unlink(missing_ok=True)


def _write_repaired_csv(
    path: Path,
    encoding: _Encoding,
    layout: _Layout,
    width: int,
    repairs: "_RepairLog",
    target: Path,
    progress: _Progress,
) -> None:
    written = 0
    with (
        _open_text(path, encoding) as stream,
        target.open("w", encoding="utf-8", newline="") as sink,
    ):
        rewrite = csv.writer(sink, delimiter=layout.delimiter, lineterminator="\n")
        lines = _PhysicalLines(stream, repairs, encoding.errors == "surrogateescape")
        line_iter = iter(lines)
        for _ in range(layout.header_line - 1 + layout.header_lines):
            next(line_iter)
        reader = csv.reader(line_iter, delimiter=layout.delimiter, strict=False)
        buffer = lines.buffer
        while True:
            buffer.clear()
            start = lines.count + 1
            try:
                row = next(reader)
            except csv.Error as error:
                raise _csv_rejection(error, "".join(buffer), layout.delimiter, start) from error
            if lines.sentinel_sent:
                if row == [_SENTINEL]:
                    break
                raise _csv_rejection(None, "".join(buffer), layout.delimiter, start)
            fields = len(row)
            if fields == width and any(row):
                text = "".join(buffer)
                sink.write(text if text.endswith(("\n", "\r")) else text + "\n")
            elif not any(row) or (width > 1 and fields == 1 and not row[0].strip()):
                blank = "all fields empty" if fields > 1 else "blank line"
                repairs.add(start, "blank_row_dropped", blank)
                continue
            elif fields < width:
                rewrite.writerow([*row, *[_PAD] * (width - fields)])
                repairs.add(
                    start,
                    "ragged_row_padded",
                    f"{fields} of {width} fields; {width - fields} padded with NULL",
                )
            elif not any(row[width:]):
                rewrite.writerow(row[:width])
                repairs.add(
                    start,
                    "ragged_row_trimmed",
                    f"{fields} fields, expected {width}; {fields - width} empty extra "
                    "field(s) removed",
                )
            else:
                text = "".join(buffer)
                repairs.add(
                    start,
                    "ragged_row_rejected",
                    f"{fields} fields, expected {width}; extra fields hold values",
                    text=text[: len(text) - len(_trailing_break(text))],
                )
                continue
            written += 1
            if not written % 65536:
                progress.rows(written)


def _trailing_break(text: str) -> str:
    if text.endswith("\r\n"):
        return "\r\n"
    return text[-1:] if text.endswith(("\r", "\n")) else ""


def _csv_rejection(
    error: csv.Error | None, record_text: str, delimiter: str, start: int
) -> CsvRejected:
    """Where the record that broke the csv module opened its quote, and why it broke."""
    offset = _unclosed_quote_offset(record_text, delimiter)
    line = start if offset is None else start + len(_LINE_BREAK.findall(record_text[:offset]))
    if error is None:
        return CsvRejected("unclosed quote starting here", line=line)
    if "field larger than field limit" in str(error):
        return CsvRejected(
            f"quoted field longer than {csv.field_size_limit():,} characters starting here "
            "(probably an unclosed quote)",
            line=line,
        )
    return CsvRejected(f"cannot parse the row ({error})", line=start)


# --- metadata -------------------------------------------------------------------------------


class _RepairLog:
    """Repairs of one file, written to ``repairs`` in batches (a bad file may have millions)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, file_path: str, table_name: str) -> None:
        self._con = con
        self._file_path = file_path
        self._table_name = table_name
        self._pending: list[tuple[int, str, str, str | None]] = []
        self._counts: dict[str, int] = {}
        self._lines: dict[str, list[int]] = {}
        self.total = 0

    def add(self, line: int, kind: str, detail: str, text: str | None = None) -> None:
        self._pending.append((line, kind, detail, text))
        self._counts[kind] = self._counts.get(kind, 0) + 1
        shown = self._lines.setdefault(kind, [])
        if len(shown) < _WARNING_LINES_SHOWN:
            shown.append(line)
        self.total += 1
        if len(self._pending) >= 100_000:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        lines, kinds, details, texts = zip(*self._pending, strict=True)
        batch = pa.table(
            {
                "file_path": pa.array([self._file_path] * len(lines), type=pa.string()),
                "table_name": pa.array([self._table_name] * len(lines), type=pa.string()),
                "line": pa.array(lines, type=pa.int64()),
                "kind": pa.array(kinds, type=pa.string()),
                "detail": pa.array(details, type=pa.string()),
                "text": pa.array(texts, type=pa.string()),
            }
        )
        self._con.register(_BATCH_VIEW, batch)
        try:
            self._con.execute(f"INSERT INTO main.repairs SELECT * FROM {_BATCH_VIEW}")
        finally:
            self._con.unregister(_BATCH_VIEW)
        self._pending.clear()

    def discard(self) -> None:
        """Forget everything recorded for this file (it is re-read or rejected)."""
        self._pending.clear()
        self._counts.clear()
        self._lines.clear()
        self.total = 0
        self._con.execute("DELETE FROM main.repairs WHERE file_path = ?", [self._file_path])

    def summary(self) -> list[str]:
        result = []
        for kind in REPAIR_KINDS:
            count = self._counts.get(kind, 0)
            if count:
                shown = ", ".join(str(line) for line in sorted(set(self._lines[kind])))
                more = ", …" if count > len(self._lines[kind]) else ""
                result.append(f"{kind}: {count:,} (lines {shown}{more})")
        return result


def _record_header_repairs(
    table: _TableSpec, kept: int, header_line: int, repairs: _RepairLog
) -> None:
    for position, (header, name) in enumerate(zip(table.headers, table.names, strict=True), 1):
        if position > kept:
            repairs.add(
                header_line,
                "trailing_empty_column_dropped",
                f"column {position} has a blank header and only empty or null cells; dropped",
            )
        elif not header.strip():
            repairs.add(
                header_line,
                "blank_header_named",
                f"column {position} has a blank header; named {name}",
            )
        elif name != normalize_identifier(header, fallback=f"column_{position}"):
            repairs.add(
                header_line,
                "duplicate_header_renamed",
                f"column {position} header {header!r} duplicates an earlier column name; "
                f"named {name}",
            )
    repairs.flush()


def _write_column_map(
    con: duckdb.DuckDBPyConnection,
    table: _TableSpec,
    kept: int,
    rows: int,
    placeholder_tokens: tuple[str, ...],
) -> None:
    names = table.names[:kept]
    stats: list[tuple[int, int, int | None]] = []
    for offset in range(0, len(names), _STATS_COLUMNS_PER_QUERY):
        chunk = names[offset : offset + _STATS_COLUMNS_PER_QUERY]
        expressions = []
        for name in chunk:
            column = quote_identifier(name)
            expressions += [
                f"count({column})",
                f"count_if(list_contains($placeholders, {column}))",
                f"max(length({column}))",
            ]
        (values,) = con.execute(
            f"SELECT {', '.join(expressions)} FROM {table.target}",
            {"placeholders": list(placeholder_tokens)},
        ).fetchall()
        for index in range(len(chunk)):
            non_null, placeholders, max_length = values[3 * index : 3 * index + 3]
            stats.append((rows - int(non_null or 0), int(placeholders or 0), max_length))
    frame = pa.table(
        {
            "table_name": pa.array([table.name] * len(names), type=pa.string()),
            "position": pa.array(range(1, len(names) + 1), type=pa.int32()),
            "column_name": pa.array(names, type=pa.string()),
            "original_header": pa.array(table.headers[:kept], type=pa.string()),
            "null_count": pa.array([item[0] for item in stats], type=pa.int64()),
            "placeholder_count": pa.array([item[1] for item in stats], type=pa.int64()),
            "max_length": pa.array([item[2] for item in stats], type=pa.int64()),
        }
    )
    con.register(_BATCH_VIEW, frame)
    try:
        con.execute(f"INSERT INTO main.column_map SELECT * FROM {_BATCH_VIEW}")
    finally:
        con.unregister(_BATCH_VIEW)


def _write_ingestion_row(con: duckdb.DuckDBPyConnection, ingestion: FileIngestion) -> None:
    con.execute(
        "INSERT INTO main.ingestion_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ingestion.file_path,
            ingestion.table_name,
            ingestion.status,
            ingestion.size_bytes,
            ingestion.sha256,
            ingestion.encoding,
            ingestion.delimiter,
            ingestion.line_ending,
            ingestion.header_line,
            ingestion.rows,
            ingestion.columns,
            list(ingestion.null_tokens),
            list(ingestion.warnings),
            ingestion.error,
            ingestion.duration_seconds,
            ingestion.ingested_at,
        ],
    )
