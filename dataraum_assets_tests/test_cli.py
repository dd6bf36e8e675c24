from pathlib import Path

import dagster as dg
import pytest

from dataraum_assets.cli import main
from dataraum_assets.partitions import SOURCES_PARTITION_NAME


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    source = tmp_path / "My Shop"
    source.mkdir()
    (source / "orders.csv").write_text("id,amount\n1,2.50\n")
    return source


def test_register_needs_dagster_home(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("DATARAUM_DATA_DIR", str(tmp_path / "data"))
    assert main(["register", str(folder)]) == 2
    assert "DAGSTER_HOME is not set" in capsys.readouterr().err


def test_register_adds_the_partition_and_is_idempotent(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DATARAUM_DATA_DIR", str(tmp_path / "data"))
    assert main(["register", str(folder)]) == 0
    assert main(["register", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "registered source 'my_shop': 1 files" in out
    assert "--partition my_shop" in out
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_dynamic_partitions(SOURCES_PARTITION_NAME) == ["my_shop"]
    assert (tmp_path / "data" / "sources" / "my_shop.json").is_file()
    assert main(["sources"]) == 0
    assert "my_shop" in capsys.readouterr().out


def test_register_bad_name_is_a_clear_error(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("DATARAUM_DATA_DIR", str(tmp_path / "data"))
    assert main(["register", str(folder), "--name", "../x"]) == 2
    assert "invalid source name '../x'" in capsys.readouterr().err


def test_query_unknown_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("DATARAUM_DATA_DIR", str(tmp_path / "data"))
    assert main(["query", "nothing"]) == 2
    assert "no materialized assets" in capsys.readouterr().err
