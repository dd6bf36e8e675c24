"""The production dagster.yaml against a real PostgreSQL server, driven as a user would."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import psycopg2
import pytest

from dataraum_assets_tests.pipeline import EXAMPLE_FOLDER, REPO_ROOT, per_source_warehouse_assets
from dataraum_assets_tests.postgres_server import PostgresServer

BIN = Path(sys.executable).parent


@pytest.mark.integration
def test_example_pipeline_with_run_history_in_postgres(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        **postgres_server.env(),
        "DAGSTER_HOME": str(home),
        "DATARAUM_DATA_DIR": str(tmp_path / "data"),
    }
    commands = [
        [str(BIN / "dataraum-assets"), "register", str(EXAMPLE_FOLDER), "--name", "acme_pg"],
        [
            str(BIN / "dagster"),
            "asset",
            "materialize",
            "-m",
            "dataraum_assets.definitions",
            "--select",
            "*",
            "--partition",
            "acme_pg",
        ],
    ]
    for command in commands:
        completed = subprocess.run(
            command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    # SQLite storage would have created these under DAGSTER_HOME.
    assert not (home / "history").exists()

    server = postgres_server
    with (
        psycopg2.connect(
            host=server.host,
            port=server.port,
            user=server.user,
            password=server.password,
            dbname=server.database,
        ) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT status FROM runs ORDER BY create_timestamp DESC LIMIT 1")
        assert cursor.fetchone() == ("SUCCESS",)
        cursor.execute(
            "SELECT DISTINCT asset_key FROM event_logs "
            "WHERE dagster_event_type = 'ASSET_MATERIALIZATION' AND partition = 'acme_pg'"
        )
        keys = sorted(row[0] for row in cursor.fetchall())
        assert keys == sorted(f'["{name}"]' for name in per_source_warehouse_assets())
        cursor.execute(
            "SELECT partition FROM dynamic_partitions WHERE partitions_def_name = 'sources'"
        )
        assert ("acme_pg",) in cursor.fetchall()

    typed = tmp_path / "data" / "warehouse" / "acme_pg" / "typed_tables.duckdb"
    con = duckdb.connect(str(typed), read_only=True)
    row = con.execute("SELECT count(*) FROM type_decisions").fetchone()
    assert row is not None and row[0] > 50
