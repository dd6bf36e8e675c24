from pathlib import Path

import pytest

from dataraum_assets.sources import (
    SourceError,
    get_source,
    list_source_files,
    list_sources,
    load_settings,
    register_source,
)
from dataraum_assets.warehouse import WarehouseLayout


def test_listing_keeps_csv_and_tsv_and_reports_other_files(tmp_path: Path) -> None:
    for name in ["b.csv", "a.TSV", "notes.txt", ".hidden.csv", "dataraum.yaml"]:
        (tmp_path / name).write_text("x\n1\n")
    (tmp_path / "sub").mkdir()
    listing = list_source_files(tmp_path)
    assert [item.relative_path for item in listing.files] == ["a.TSV", "b.csv"]
    assert listing.ignored == ("notes.txt", "sub")


def test_symlink_out_of_the_folder_is_ignored(tmp_path: Path) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_text("secret\n1\n")
    source = tmp_path / "source"
    source.mkdir()
    (source / "good.csv").write_text("x\n1\n")
    (source / "escape.csv").symlink_to(outside)
    listing = list_source_files(source)
    assert [item.relative_path for item in listing.files] == ["good.csv"]
    assert listing.ignored == ("escape.csv",)


def test_settings_defaults_and_overrides(tmp_path: Path) -> None:
    assert load_settings(tmp_path).typed_tables.quarantine_max_share == 0.05
    (tmp_path / "dataraum.yaml").write_text(
        "raw_tables:\n  null_tokens: ['', 'missing']\n  block_on_rejection: true\n"
        "typed_tables:\n  quarantine_max_share: 0.2\n"
    )
    settings = load_settings(tmp_path)
    assert settings.raw_tables.null_tokens == ("", "missing")
    assert settings.raw_tables.block_on_rejection is True
    assert settings.typed_tables.quarantine_max_share == 0.2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("typed_tables:\n  quarantine_max_shar: 0.2\n", "typed_tables.quarantine_max_shar"),
        ("typed_tables:\n  quarantine_max_share: 2\n", "typed_tables.quarantine_max_share"),
        ("raw_tables: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_settings_name_the_file_and_field(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "dataraum.yaml").write_text(content)
    with pytest.raises(SourceError, match=message) as error:
        load_settings(tmp_path)
    assert str(tmp_path / "dataraum.yaml") in str(error.value)


def test_register_and_resolve(tmp_path: Path) -> None:
    layout = WarehouseLayout(tmp_path / "data")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "t.csv").write_text("x\n1\n")
    entry = register_source(layout, "shop-1", folder)
    assert get_source(layout, "shop-1") == entry
    assert [item.name for item in list_sources(layout)] == ["shop-1"]
    with pytest.raises(SourceError, match="not registered"):
        get_source(layout, "other")


def test_register_rejects_bad_names_and_empty_folders(tmp_path: Path) -> None:
    layout = WarehouseLayout(tmp_path / "data")
    with pytest.raises(SourceError, match="invalid source name"):
        register_source(layout, "../escape", tmp_path)
    with pytest.raises(SourceError, match=r"no \.csv or \.tsv files"):
        register_source(layout, "empty", tmp_path)
    with pytest.raises(SourceError, match="no such folder"):
        register_source(layout, "missing", tmp_path / "nope")
