import pytest

from dataraum_assets.identifiers import (
    column_names,
    normalize_identifier,
    quote_identifier,
    source_name_for,
    unique_identifiers,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Customer ID", "customer_id"),
        ("E-Mail", "e_mail"),
        ("Straße Größe", "strae_groe"),
        ("Überweisung", "uberweisung"),
        ('"; DROP TABLE x; --', "drop_table_x"),
        ("../../etc/passwd", "etc_passwd"),
        ("2024 Sales", "c_2024_sales"),
        ("", "fallback"),
        ("€€€", "fallback"),
    ],
)
def test_normalize_identifier(raw: str, expected: str) -> None:
    assert normalize_identifier(raw, fallback="fallback") == expected


def test_long_names_are_cut_and_kept_apart() -> None:
    first = normalize_identifier("a" * 300, fallback="x")
    second = normalize_identifier("a" * 299 + "b", fallback="x")
    assert len(first) == len(second) == 63
    assert first != second


def test_collisions_and_reserved_names() -> None:
    assert unique_identifiers(["a", "a", "b", "a"]) == ["a", "a_2", "b", "a_3"]
    # A header can never become the pipeline's own `_row`: leading underscores are stripped.
    assert column_names(["_row", "Name", "name", ""]) == ["row", "name", "name_2", "column_4"]
    assert unique_identifiers(["_row", "x"], reserved={"_row"}) == ["_row_2", "x"]


def test_quote_identifier_doubles_quotes() -> None:
    assert quote_identifier('x"; DROP TABLE y; --') == '"x""; DROP TABLE y; --"'


def test_source_name_for() -> None:
    assert source_name_for("ACME Books 2024") == "acme_books_2024"
    assert source_name_for("2024") == "s_2024"
