"""raw_tables on tiny inline files: every value is checked by querying the tables written."""

import codecs
import hashlib
from pathlib import Path
from typing import Any

import duckdb
import pandera.pandas as pandera
import pytest

from dataraum_assets.analysis.raw_tables import (
    OUTPUT_SCHEMAS,
    RawTablesOptions,
    RawTablesResult,
    ingest_files,
)
from dataraum_assets.identifiers import column_names, quote_identifier
from dataraum_assets.sources import DEFAULT_NULL_TOKENS, SourceFile


def ingest(
    tmp_path: Path,
    files: dict[str, bytes],
    options: RawTablesOptions | None = None,
    progress: list[str] | None = None,
) -> tuple[duckdb.DuckDBPyConnection, RawTablesResult]:
    folder = tmp_path / "source"
    folder.mkdir(exist_ok=True)
    listing = []
    for name, content in files.items():
        (folder / name).write_bytes(content)
        listing.append(SourceFile((folder / name).resolve(), name))
    con = duckdb.connect()
    result = ingest_files(
        con,
        listing,
        options or RawTablesOptions(),
        progress=progress.append if progress is not None else None,
    )
    return con, result


def raw_rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[Any, ...]]:
    return con.execute(
        f"SELECT * FROM raw.{quote_identifier(table)} ORDER BY {quote_identifier('_row')}"
    ).fetchall()


def raw_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [
        (str(name), str(data_type))
        for name, data_type in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
    ]


def log_row(con: duckdb.DuckDBPyConnection, file_path: str) -> dict[str, Any]:
    cursor = con.execute("SELECT * FROM ingestion_log WHERE file_path = ?", [file_path])
    names = [column[0] for column in cursor.description or []]
    (values,) = cursor.fetchall()
    return dict(zip(names, values, strict=True))


def repairs(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return con.execute(
        "SELECT file_path, line, kind, text FROM repairs ORDER BY file_path, line, kind"
    ).fetchall()


def column_map(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[Any, ...]]:
    return con.execute(
        "SELECT position, column_name, original_header, null_count, placeholder_count, "
        "max_length FROM column_map WHERE table_name = ? ORDER BY position",
        [table],
    ).fetchall()


def validate_outputs(con: duckdb.DuckDBPyConnection) -> None:
    for table, schema in OUTPUT_SCHEMAS.items():
        schema.validate(con.sql(f"SELECT * FROM {table}").df(), lazy=True)


# --- clean files and encodings --------------------------------------------------------------


def test_clean_file_is_loaded_as_text_with_row_numbers(tmp_path: Path) -> None:
    content = b"id,name,amount\n1,Ann,10.50\n2,Bob,7\n"
    con, result = ingest(tmp_path, {"customers.csv": content})

    assert raw_columns(con, "customers") == [
        ("_row", "BIGINT"),
        ("id", "VARCHAR"),
        ("name", "VARCHAR"),
        ("amount", "VARCHAR"),
    ]
    assert raw_rows(con, "customers") == [(1, "1", "Ann", "10.50"), (2, "2", "Bob", "7")]
    log = log_row(con, "customers.csv")
    assert {key: log[key] for key in log if key not in ("duration_seconds", "ingested_at")} == {
        "file_path": "customers.csv",
        "table_name": "customers",
        "status": "loaded",
        "size_bytes": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "encoding": "utf-8",
        "delimiter": ",",
        "line_ending": "LF",
        "header_line": 1,
        "rows": 2,
        "columns": 3,
        "null_tokens": list(DEFAULT_NULL_TOKENS),
        "warnings": [],
        "error": None,
    }
    assert repairs(con) == []
    assert result.total_rows == 2
    assert [item.table_name for item in result.loaded] == ["customers"]
    assert result.rejected == ()


def test_utf8_bom_is_not_part_of_the_first_header(tmp_path: Path) -> None:
    con, _ = ingest(tmp_path, {"bom.csv": codecs.BOM_UTF8 + "id,name\n1,é\n".encode()})

    assert raw_columns(con, "bom")[1] == ("id", "VARCHAR")
    assert column_map(con, "bom")[0][2] == "id"
    assert raw_rows(con, "bom") == [(1, "1", "é")]
    assert log_row(con, "bom.csv")["encoding"] == "utf-8-sig"


@pytest.mark.parametrize(
    ("bom", "codec", "expected"),
    [
        (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
    ],
)
def test_utf16_with_bom_is_transcoded(
    tmp_path: Path, bom: bytes, codec: str, expected: str
) -> None:
    text = "id;name\r\n1;Straße Größe\r\n2;€\r\n"
    con, _ = ingest(tmp_path, {"wide.csv": bom + text.encode(codec)})

    assert raw_rows(con, "wide") == [(1, "1", "Straße Größe"), (2, "2", "€")]
    log = log_row(con, "wide.csv")
    assert (log["encoding"], log["delimiter"], log["line_ending"], log["status"]) == (
        expected,
        ";",
        "CRLF",
        "loaded",
    )


def test_utf16_ragged_row_is_repaired_with_its_line_number(tmp_path: Path) -> None:
    text = "a,b\n1,2\n3\n"
    con, _ = ingest(tmp_path, {"wide.csv": codecs.BOM_UTF16_LE + text.encode("utf-16-le")})

    assert raw_rows(con, "wide") == [(1, "1", "2"), (2, "3", None)]
    assert repairs(con) == [("wide.csv", 3, "ragged_row_padded", None)]


def test_cp1252_file_is_decoded_and_its_encoding_recorded(tmp_path: Path) -> None:
    content = b"id,name,price\n1,caf\xe9,\x80 5\n2,na\xefve,\x81\n"
    con, _ = ingest(tmp_path, {"legacy.csv": content})

    assert raw_rows(con, "legacy") == [(1, "1", "café", "€ 5"), (2, "2", "naïve", "\x81")]
    log = log_row(con, "legacy.csv")
    assert log["encoding"] == "cp1252"
    assert log["sha256"] == hashlib.sha256(content).hexdigest()
    assert log["warnings"] == [
        "not valid UTF-8; decoded as cp1252",
        "1 byte(s) undefined in cp1252 decoded as Latin-1",
    ]


def test_undecodable_byte_in_utf8_file_is_replaced_and_recorded(tmp_path: Path) -> None:
    content = "city,note\nStraße,ok\nKöln,".encode() + b"bad \xff byte\n"
    con, _ = ingest(tmp_path, {"mostly.csv": content})

    assert raw_rows(con, "mostly") == [(1, "Straße", "ok"), (2, "Köln", "bad \ufffd byte")]
    log = log_row(con, "mostly.csv")
    assert (log["encoding"], log["status"]) == ("utf-8", "repaired")
    detail = con.execute("SELECT line, kind, detail FROM repairs").fetchall()
    assert detail == [
        (3, "undecodable_replaced", "byte(s) 0xff not valid UTF-8, replaced with U+FFFD")
    ]


def test_nul_bytes_are_removed_and_recorded_per_line(tmp_path: Path) -> None:
    con, _ = ingest(tmp_path, {"nul.csv": b"a,b\n1,x\x00y\n2,z\n3,\x00\x00w\n"})

    assert raw_rows(con, "nul") == [(1, "1", "xy"), (2, "2", "z"), (3, "3", "w")]
    assert con.execute("SELECT line, kind, detail FROM repairs ORDER BY line").fetchall() == [
        (2, "nul_removed", "1 NUL byte(s) removed"),
        (4, "nul_removed", "2 NUL byte(s) removed"),
    ]
    assert log_row(con, "nul.csv")["status"] == "repaired"


# --- delimiters, line ends, quoting ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "delimiter", "expected"),
    [
        ("semi.csv", b"a;b\n1,5;2,25\n3;4\n", ";", [(1, "1,5", "2,25"), (2, "3", "4")]),
        ("tab.tsv", b"a\tb\n1\tx,y\n", "\t", [(1, "1", "x,y")]),
        ("tab.csv", b"a\tb\tc\n1\t2\t3\n", "\t", [(1, "1", "2", "3")]),
        ("pipe.csv", b"a|b\n1|x;y\n", "|", [(1, "1", "x;y")]),
        ("comma.csv", b'a,b\n"1;2",3\n', ",", [(1, "1;2", "3")]),
    ],
)
def test_delimiter_is_detected(
    tmp_path: Path, name: str, content: bytes, delimiter: str, expected: list[tuple[Any, ...]]
) -> None:
    con, _ = ingest(tmp_path, {name: content})
    table = Path(name).stem

    assert log_row(con, name)["delimiter"] == delimiter
    assert raw_rows(con, table) == expected


def test_tsv_single_column_defaults_to_tab(tmp_path: Path) -> None:
    con, _ = ingest(tmp_path, {"one.tsv": b"name\nAnn, Bob\n"})

    assert log_row(con, "one.tsv")["delimiter"] == "\t"
    assert raw_rows(con, "one") == [(1, "Ann, Bob")]


def test_quoted_newlines_stay_in_the_value_and_line_numbers_count_them(tmp_path: Path) -> None:
    content = b'id,note\n1,"line one\nline two"\n2,"say ""hi"""\n3\n4,last\n'
    con, _ = ingest(tmp_path, {"notes.csv": content})

    assert raw_rows(con, "notes") == [
        (1, "1", "line one\nline two"),
        (2, "2", 'say "hi"'),
        (3, "3", None),
        (4, "4", "last"),
    ]
    # Record 3 starts on physical line 5: the quoted newline in record 1 takes a line.
    assert repairs(con) == [("notes.csv", 5, "ragged_row_padded", None)]


def test_quoted_newlines_on_the_fast_path(tmp_path: Path) -> None:
    con, _ = ingest(tmp_path, {"notes.csv": b'id,note\n1,"a\r\nb"\n2,c\n'})

    assert raw_rows(con, "notes") == [(1, "1", "a\r\nb"), (2, "2", "c")]
    assert log_row(con, "notes.csv")["status"] == "loaded"


def test_cr_only_line_ends(tmp_path: Path) -> None:
    con, _ = ingest(tmp_path, {"mac.csv": b"a,b\r1,2\r3,4\r", "ragged.csv": b"a,b\r1,2\r3\r"})

    assert raw_rows(con, "mac") == [(1, "1", "2"), (2, "3", "4")]
    assert log_row(con, "mac.csv")["line_ending"] == "CR"
    assert raw_rows(con, "ragged") == [(1, "1", "2"), (2, "3", None)]
    assert repairs(con) == [("ragged.csv", 3, "ragged_row_padded", None)]


def test_crlf_line_ends_leave_no_carriage_return_in_values(tmp_path: Path) -> None:
    con, _ = ingest(tmp_path, {"win.csv": b"a,b\r\n1,2\r\n3,4\r\n"})

    assert raw_rows(con, "win") == [(1, "1", "2"), (2, "3", "4")]
    log = log_row(con, "win.csv")
    assert (log["line_ending"], log["warnings"]) == ("CRLF", [])


def test_mixed_line_ends_are_reported(tmp_path: Path) -> None:
    con, _ = ingest(tmp_path, {"mixed.csv": b"a,b\r\n1,2\r\n3,4\n"})

    assert raw_rows(con, "mixed") == [(1, "1", "2"), (2, "3", "4")]
    log = log_row(con, "mixed.csv")
    assert log["line_ending"] == "CRLF"
    assert log["warnings"] == ["mixed line endings (2 CRLF, 1 LF)"]


def test_blank_leading_lines_are_skipped_and_header_line_recorded(tmp_path: Path) -> None:
    con, _ = ingest(tmp_path, {"late.csv": b"\n\n  \na,b\n1,2\n3\n"})

    log = log_row(con, "late.csv")
    assert log["header_line"] == 4
    assert raw_rows(con, "late") == [(1, "1", "2"), (2, "3", None)]
    assert repairs(con) == [("late.csv", 6, "ragged_row_padded", None)]


# --- headers --------------------------------------------------------------------------------


def test_blank_and_duplicate_headers_are_named_and_recorded(tmp_path: Path) -> None:
    con, _ = ingest(tmp_path, {"dup.csv": b"name,,name,Name,_row\n1,2,3,4,5\n"})

    assert raw_columns(con, "dup") == [
        ("_row", "BIGINT"),
        ("name", "VARCHAR"),
        ("column_2", "VARCHAR"),
        ("name_2", "VARCHAR"),
        ("name_3", "VARCHAR"),
        ("row", "VARCHAR"),
    ]
    assert [row[:3] for row in column_map(con, "dup")] == [
        (1, "name", "name"),
        (2, "column_2", ""),
        (3, "name_2", "name"),
        (4, "name_3", "Name"),
        (5, "row", "_row"),
    ]
    assert raw_rows(con, "dup") == [(1, "1", "2", "3", "4", "5")]
    assert repairs(con) == [
        ("dup.csv", 1, "blank_header_named", None),
        ("dup.csv", 1, "duplicate_header_renamed", None),
        ("dup.csv", 1, "duplicate_header_renamed", None),
    ]


def test_trailing_empty_column_is_dropped_but_a_blank_header_with_values_is_kept(
    tmp_path: Path,
) -> None:
    con, _ = ingest(tmp_path, {"trail.csv": b"a,b,\n1,2,\n3,4,\n", "named.csv": b"a,\n1,x\n"})

    assert raw_rows(con, "trail") == [(1, "1", "2"), (2, "3", "4")]
    assert log_row(con, "trail.csv")["columns"] == 2
    assert raw_rows(con, "named") == [(1, "1", "x")]
    assert column_map(con, "named")[1][:3] == (2, "column_2", "")
    assert repairs(con) == [
        ("named.csv", 1, "blank_header_named", None),
        ("trail.csv", 1, "trailing_empty_column_dropped", None),
    ]


def test_hostile_headers_are_quoted_and_kept_in_column_map(tmp_path: Path) -> None:
    long_header = "Very long header " * 18  # 306 characters
    headers = ['"; DROP TABLE x; --', "../../etc/passwd", "", "Straße Größe", long_header]
    header_line = '"""; DROP TABLE x; --",../../etc/passwd,,Straße Größe,' + long_header
    con = duckdb.connect()
    con.execute("CREATE TABLE x (keep INTEGER)")
    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / "h.csv").write_text(header_line + "\n1,2,3,4,5\n", encoding="utf-8")
    ingest_files(con, [SourceFile((folder / "h.csv").resolve(), "h.csv")])

    names = column_names(headers)
    assert names[:4] == ["drop_table_x", "etc_passwd", "column_3", "strae_groe"]
    assert len(names[4]) == 63
    assert [row[1:3] for row in column_map(con, "h")] == list(zip(names, headers, strict=True))
    assert raw_rows(con, "h") == [(1, "1", "2", "3", "4", "5")]
    assert con.execute("SELECT count(*) FROM x").fetchall() == [(0,)]


def test_hostile_and_unicode_file_names_become_safe_unique_table_names(tmp_path: Path) -> None:
    files = {
        '"; DROP TABLE x; --.csv': b"a\n1\n",
        "données été.csv": b"a\n2\n",
        "2024 sales.csv": b"a\n3\n",
        "Orders.csv": b"a\n4\n",
        "orders.tsv": b"a\n5\n",
    }
    con, result = ingest(tmp_path, files)

    assert [(item.file_path, item.table_name) for item in result.files] == [
        ('"; DROP TABLE x; --.csv', "drop_table_x"),
        ("données été.csv", "donnees_ete"),
        ("2024 sales.csv", "t_2024_sales"),
        ("Orders.csv", "orders"),
        ("orders.tsv", "orders_2"),
    ]
    assert [raw_rows(con, item.table_name or "")[0][1] for item in result.files] == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]
    assert con.execute("SELECT file_path FROM ingestion_log ORDER BY file_path").fetchall() == [
        (name,) for name in sorted(files)
    ]


# --- rows: ragged, blank, nulls -------------------------------------------------------------


def test_ragged_rows_are_padded_trimmed_or_rejected_with_line_numbers(tmp_path: Path) -> None:
    content = b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12,,\n13,14,15\n"
    con, result = ingest(tmp_path, {"ragged.csv": content})

    assert raw_rows(con, "ragged") == [
        (1, "1", "2", "3"),
        (2, "4", "5", None),
        (3, "10", "11", "12"),
        (4, "13", "14", "15"),
    ]
    assert repairs(con) == [
        ("ragged.csv", 3, "ragged_row_padded", None),
        ("ragged.csv", 4, "ragged_row_rejected", "6,7,8,9"),
        ("ragged.csv", 5, "ragged_row_trimmed", None),
    ]
    assert (result.files[0].status, result.files[0].rows) == ("repaired", 4)
    assert result.files[0].warnings == (
        "ragged_row_padded: 1 (lines 3)",
        "ragged_row_trimmed: 1 (lines 5)",
        "ragged_row_rejected: 1 (lines 4)",
    )


def test_rejected_ragged_row_keeps_its_multiline_text(tmp_path: Path) -> None:
    con, _ = ingest(tmp_path, {"r.csv": b'a,b\n1,"x\ny",extra\n2,3\n'})

    assert raw_rows(con, "r") == [(1, "2", "3")]
    assert repairs(con) == [("r.csv", 2, "ragged_row_rejected", '1,"x\ny",extra')]


def test_blank_rows_are_dropped_and_recorded(tmp_path: Path) -> None:
    con, _ = ingest(tmp_path, {"gaps.csv": b"a,b\n1,2\n\n,\n3,4\n"})

    assert raw_rows(con, "gaps") == [(1, "1", "2"), (2, "3", "4")]
    assert con.execute("SELECT line, kind, detail FROM repairs ORDER BY line").fetchall() == [
        (3, "blank_row_dropped", "blank line"),
        (4, "blank_row_dropped", "all fields empty"),
    ]


def test_trailing_blank_lines_are_recorded_on_the_fast_path(tmp_path: Path) -> None:
    con, result = ingest(tmp_path, {"tail.csv": b"a,b\n1,2\n\n\n"})

    assert raw_rows(con, "tail") == [(1, "1", "2")]
    assert repairs(con) == [
        ("tail.csv", 3, "blank_row_dropped", None),
        ("tail.csv", 4, "blank_row_dropped", None),
    ]
    assert result.files[0].status == "repaired"


def test_row_of_null_tokens_is_kept_not_dropped_as_blank(tmp_path: Path) -> None:
    con, _ = ingest(tmp_path, {"nulls.csv": b"a,b\nNA,NULL\n1,2\n"})

    assert raw_rows(con, "nulls") == [(1, None, None), (2, "1", "2")]
    assert repairs(con) == []


def test_every_null_token_becomes_null_and_placeholders_are_counted(tmp_path: Path) -> None:
    cells = [*DEFAULT_NULL_TOKENS, "-", ".", "na", " NA", "x"]
    body = "".join(f"{index},{cell}\n" for index, cell in enumerate(cells, start=1))
    con, _ = ingest(tmp_path, {"tokens.csv": ("id,value\n" + body).encode()})

    values = [row[2] for row in raw_rows(con, "tokens")]
    assert values == [None] * len(DEFAULT_NULL_TOKENS) + ["-", ".", "na", " NA", "x"]
    assert column_map(con, "tokens")[1] == (
        2,
        "value",
        "value",
        len(DEFAULT_NULL_TOKENS),
        2,
        3,
    )


def test_quoted_null_tokens_are_null_on_both_paths(tmp_path: Path) -> None:
    fast = b'a,b\n"NA","x"\n"",y\n'
    repaired = fast + b"z\n"
    con, _ = ingest(tmp_path, {"fast.csv": fast, "slow.csv": repaired})

    assert raw_rows(con, "fast") == [(1, None, "x"), (2, None, "y")]
    assert raw_rows(con, "slow") == [(1, None, "x"), (2, None, "y"), (3, "z", None)]


def test_custom_null_and_placeholder_tokens(tmp_path: Path) -> None:
    options = RawTablesOptions(null_tokens=("missing",), placeholder_tokens=("?",))
    content = b"a,b\nmissing,\n?,NA\n"
    con, result = ingest(tmp_path, {"custom.csv": content, "slow.csv": content + b"x\n"}, options)

    assert raw_rows(con, "custom") == [(1, None, ""), (2, "?", "NA")]
    assert raw_rows(con, "slow") == [(1, None, ""), (2, "?", "NA"), (3, "x", None)]
    assert column_map(con, "custom") == [(1, "a", "a", 1, 1, 1), (2, "b", "b", 0, 0, 2)]
    assert result.files[0].null_tokens == ("missing",)
    assert log_row(con, "custom.csv")["null_tokens"] == ["missing"]


def test_fast_and_repair_paths_load_the_same_values(tmp_path: Path) -> None:
    body = b'id,text,other\n1,"a, ""quoted"" b",x\n2,"multi\nline",\n3,plain "inner" quote,-\n'
    con, _ = ingest(tmp_path, {"fast.csv": body, "slow.csv": body + b"4\n"})

    fast = raw_rows(con, "fast")
    assert fast == [
        (1, "1", 'a, "quoted" b', "x"),
        (2, "2", "multi\nline", None),
        (3, "3", 'plain "inner" quote', "-"),
    ]
    assert raw_rows(con, "slow") == [*fast, (4, "4", None, None)]


def test_many_blocks_keep_row_numbers_continuous(tmp_path: Path) -> None:
    body = "".join(f'{index},"value {index}"\n' for index in range(1, 2001))
    con, result = ingest(
        tmp_path, {"many.csv": ("id,value\n" + body).encode()}, RawTablesOptions(block_size=4096)
    )

    rows = raw_rows(con, "many")
    assert rows == [(index, str(index), f"value {index}") for index in range(1, 2001)]
    assert result.total_rows == 2000


def test_header_with_a_quoted_newline_counts_both_lines(tmp_path: Path) -> None:
    con, _ = ingest(tmp_path, {"h.csv": b'id,"multi\nline header"\n1,2\n3\n'})

    assert [row[1:3] for row in column_map(con, "h")] == [
        ("id", "id"),
        ("multi_line_header", "multi\nline header"),
    ]
    assert raw_rows(con, "h") == [(1, "1", "2"), (2, "3", None)]
    assert repairs(con) == [("h.csv", 4, "ragged_row_padded", None)]


def test_whitespace_only_lines_are_blank_rows(tmp_path: Path) -> None:
    con, _ = ingest(tmp_path, {"ws.csv": b"a,b\n1,2\n   \n3,4\n", "one.csv": b"a\n1\n\n2\n"})

    assert raw_rows(con, "ws") == [(1, "1", "2"), (2, "3", "4")]
    assert raw_rows(con, "one") == [(1, "1"), (2, "2")]
    assert repairs(con) == [
        ("one.csv", 3, "blank_row_dropped", None),
        ("ws.csv", 3, "blank_row_dropped", None),
    ]


def test_field_longer_than_the_csv_module_default_survives_the_repair_path(
    tmp_path: Path,
) -> None:
    # Regression: the csv module's 131,072-character default limit rejected such files.
    long_value = "x" * 200_000
    content = f'a,b\n1,"{long_value}"\n2\n'.encode()
    con, _ = ingest(tmp_path, {"long.csv": content})

    assert raw_rows(con, "long") == [(1, "1", long_value), (2, "2", None)]
    assert repairs(con) == [("long.csv", 3, "ragged_row_padded", None)]


# --- rejections -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (
            b'id,note\n1,ok\n2,"never closed\n3,x\n4,y\n',
            "bad.csv line 3: unclosed quote starting here",
        ),
        (b'a,b\n1,"x\n', "bad.csv line 2: unclosed quote starting here"),
        (b'a,b,c\n"x\ny",2,"z\n3,4,5\n', "bad.csv line 3: unclosed quote starting here"),
        (b'"a,b\n1,2\n', "bad.csv line 1: unclosed quote in the header starting here"),
    ],
)
def test_unclosed_quote_rejects_the_file_naming_the_line(
    tmp_path: Path, content: bytes, error: str
) -> None:
    con, result = ingest(tmp_path, {"bad.csv": content})

    (file,) = result.files
    assert (file.status, file.error, file.rows, file.columns) == ("rejected", error, 0, 0)
    assert con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'"
    ).fetchall() == [(0,)]
    assert repairs(con) == []


def test_unclosed_quote_early_in_a_long_file_names_its_line(tmp_path: Path) -> None:
    content = b'a,b\n1,2\n3,"open\n' + b"x,y\n" * 100_000
    _, result = ingest(tmp_path, {"long.csv": content})

    assert result.files[0].error == "long.csv line 3: unclosed quote starting here"


def test_unclosed_quote_after_repairs_leaves_no_repairs_behind(tmp_path: Path) -> None:
    con, result = ingest(tmp_path, {"bad.csv": b'a,b\n1\n2,"open\n'})

    assert result.files[0].error == "bad.csv line 3: unclosed quote starting here"
    assert repairs(con) == []


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", "empty.csv: file is empty"),
        (b"\n\n  \r\n", "empty.csv: file is empty (only blank lines)"),
        (codecs.BOM_UTF8, "empty.csv: file is empty"),
    ],
)
def test_empty_file_is_rejected(tmp_path: Path, content: bytes, error: str) -> None:
    con, result = ingest(tmp_path, {"empty.csv": content})

    assert (result.files[0].status, result.files[0].error) == ("rejected", error)
    assert log_row(con, "empty.csv")["error"] == error


def test_header_only_file_loads_with_zero_rows(tmp_path: Path) -> None:
    con, result = ingest(tmp_path, {"h.csv": b"a,b\n", "bare.csv": b"a,b"})

    for table in ("h", "bare"):
        assert raw_columns(con, table) == [("_row", "BIGINT"), ("a", "VARCHAR"), ("b", "VARCHAR")]
        assert raw_rows(con, table) == []
    assert [(item.status, item.rows, item.columns) for item in result.files] == [
        ("loaded", 0, 2),
        ("loaded", 0, 2),
    ]
    assert column_map(con, "h") == [(1, "a", "a", 0, 0, None), (2, "b", "b", 0, 0, None)]


def test_file_larger_than_the_limit_is_rejected_without_reading_it(tmp_path: Path) -> None:
    con, result = ingest(
        tmp_path, {"big.csv": b"a\n" + b"1\n" * 50}, RawTablesOptions(max_file_bytes=100)
    )
    assert log_row(con, "big.csv")["size_bytes"] == 102

    (file,) = result.files
    assert file.status == "rejected"
    assert file.error == "big.csv: file is 102 bytes, more than max_file_bytes (100)"
    assert (file.sha256, file.table_name) == (None, None)


def test_rejected_file_does_not_stop_the_others(tmp_path: Path) -> None:
    files = {
        "a.csv": b"x\n1\n",
        "broken.csv": b'x,y\n1,"open\n',
        "empty.csv": b"",
        "c.csv": b"x\n2\n3\n",
    }
    con, result = ingest(tmp_path, files)

    assert [(item.file_path, item.status) for item in result.files] == [
        ("a.csv", "loaded"),
        ("broken.csv", "rejected"),
        ("empty.csv", "rejected"),
        ("c.csv", "loaded"),
    ]
    assert [item.file_path for item in result.rejected] == ["broken.csv", "empty.csv"]
    assert result.total_rows == 3
    assert raw_rows(con, "a") == [(1, "1")]
    assert raw_rows(con, "c") == [(1, "2"), (2, "3")]
    assert log_row(con, "broken.csv")["table_name"] == "broken"
    assert log_row(con, "broken.csv")["error"] == "broken.csv line 2: unclosed quote starting here"


# --- width, reruns, progress, schemas -------------------------------------------------------


def test_five_thousand_columns(tmp_path: Path) -> None:
    width = 5000
    header = ",".join(f"col{index}" for index in range(1, width + 1))
    first = ",".join(str(index) for index in range(1, width + 1))
    second = ",".join("" if index % 2 else "-" for index in range(1, width + 1))
    content = f"{header}\n{first}\n{second}\n".encode()
    con, result = ingest(tmp_path, {"wide.csv": content})

    assert result.files[0].columns == width
    assert len(raw_columns(con, "wide")) == width + 1
    assert con.execute(
        'SELECT "col1", "col4999", "col5000" FROM raw.wide ORDER BY _row'
    ).fetchall() == [
        ("1", "4999", "5000"),
        (None, None, "-"),
    ]
    mapped = column_map(con, "wide")
    assert len(mapped) == width
    assert mapped[-1] == (5000, "col5000", "col5000", 0, 1, 4)
    assert mapped[0] == (1, "col1", "col1", 1, 0, 1)


def test_rerun_on_the_same_connection_replaces_everything(tmp_path: Path) -> None:
    con, _ = ingest(tmp_path, {"a.csv": b"x\n1\n2\n"})
    listing = [SourceFile((tmp_path / "source" / "a.csv").resolve(), "a.csv")]
    ingest_files(con, listing)

    assert raw_rows(con, "a") == [(1, "1"), (2, "2")]
    assert con.execute("SELECT count(*) FROM ingestion_log").fetchall() == [(1,)]
    assert con.execute("SELECT count(*) FROM column_map").fetchall() == [(1,)]


def test_progress_reports_one_line_per_file(tmp_path: Path) -> None:
    lines: list[str] = []
    ingest(tmp_path, {"a.csv": b"x\n1\n2\n", "b.csv": b""}, progress=lines)

    assert len(lines) == 2
    assert lines[0].startswith("file 1/2 a.csv: 2 rows, 1 columns in ")
    assert lines[0].endswith(" rows/s)")
    assert lines[1] == "file 2/2 b.csv: rejected: b.csv: file is empty"


def test_temp_dir_option_is_used_and_cleaned(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    con, _ = ingest(tmp_path, {"legacy.csv": b"a\ncaf\xe9\n"}, RawTablesOptions(temp_dir=scratch))

    assert raw_rows(con, "legacy") == [(1, "café")]
    assert list(scratch.iterdir()) == []


MESSY_SOURCE = {
    "clean.csv": b"id,name\n1,Ann\n2,Bob\n",
    "bom.csv": codecs.BOM_UTF8 + b"id;amount\n1;2,5\n",
    "wide.csv": codecs.BOM_UTF16_LE + "a\tb\r\n1\t\u00e9\r\n".encode("utf-16-le"),
    "legacy.csv": b"a,b\ncaf\xe9,\x80\n",
    "ragged.csv": b"a,b,c\n1,2\n3,4,5,6\n7,8,9,,\n\n",
    "headers.csv": b"x,,x,\n1,2,3,\n",
    "nul.csv": b"a\nx\x00y\n",
    "broken.csv": b'a,b\n1,"open\n',
    "empty.csv": b"",
    "only_header.csv": b"a,b\n",
    "tokens.csv": b"a,b\nNA,-\n#N/A,.\n",
}


def test_output_schemas_accept_the_output_of_a_messy_source(tmp_path: Path) -> None:
    con, result = ingest(tmp_path, MESSY_SOURCE)

    validate_outputs(con)
    assert [item.status for item in result.files] == [
        "loaded",
        "loaded",
        "loaded",
        "loaded",
        "repaired",
        "repaired",
        "repaired",
        "rejected",
        "rejected",
        "loaded",
        "loaded",
    ]
    assert con.execute("SELECT count(*) FROM repairs").fetchall() == [(8,)]


def test_output_schemas_accept_a_source_where_every_file_is_rejected(tmp_path: Path) -> None:
    con, _ = ingest(tmp_path, {"empty.csv": b"", "broken.csv": b'a\n"open\n'})

    validate_outputs(con)
    assert con.execute("SELECT count(*) FROM column_map").fetchall() == [(0,)]


@pytest.mark.parametrize(
    ("table", "column", "bad_value"),
    [
        ("ingestion_log", "status", "half-loaded"),
        ("ingestion_log", "sha256", "not-a-hash"),
        ("ingestion_log", "rows", -1),
        ("column_map", "position", 0),
        ("column_map", "column_name", "Not Safe"),
        ("repairs", "kind", "guessed"),
        ("repairs", "line", 0),
    ],
)
def test_output_schemas_reject_broken_values(
    tmp_path: Path, table: str, column: str, bad_value: object
) -> None:
    con, _ = ingest(tmp_path, {"ragged.csv": b"a,b\n1\n"})
    OUTPUT_SCHEMAS[table].validate(con.sql(f"SELECT * FROM {table}").df(), lazy=True)
    con.execute(f"UPDATE {table} SET {quote_identifier(column)} = ?", [bad_value])

    with pytest.raises(pandera.errors.SchemaErrors):
        OUTPUT_SCHEMAS[table].validate(con.sql(f"SELECT * FROM {table}").df(), lazy=True)
