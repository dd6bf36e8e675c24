"""The test PostgreSQL server, and the production dagster.yaml storing run history in it."""

import shutil
from pathlib import Path

import dagster as dg
import psycopg2
import pytest

from dataraum_assets_tests.postgres_server import PostgresServer

pytestmark = pytest.mark.integration

_PRODUCTION_INSTANCE_YAML = Path(__file__).resolve().parents[1] / "dagster.yaml"


def test_server_accepts_the_role_password(postgres_server: PostgresServer) -> None:
    connection = psycopg2.connect(
        host=postgres_server.host,
        port=postgres_server.port,
        user=postgres_server.user,
        password=postgres_server.password,
        dbname=postgres_server.database,
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database()")
            row = cursor.fetchone()
    finally:
        connection.close()

    assert row == (postgres_server.user, postgres_server.database)


def test_server_rejects_a_wrong_password(postgres_server: PostgresServer) -> None:
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(
            host=postgres_server.host,
            port=postgres_server.port,
            user=postgres_server.user,
            password=postgres_server.password + "-wrong",
            dbname=postgres_server.database,
        )


def test_env_names_every_setting_dagster_yaml_reads(postgres_server: PostgresServer) -> None:
    assert postgres_server.env() == {
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": str(postgres_server.port),
        "DAGSTER_PG_USER": postgres_server.user,
        "DAGSTER_PG_PASSWORD": postgres_server.password,
        "DAGSTER_PG_DB": postgres_server.database,
    }
    assert all(
        f"env: {name}" in _PRODUCTION_INSTANCE_YAML.read_text() for name in postgres_server.env()
    )


@dg.asset
def answer() -> int:
    return 42


def test_production_instance_stores_runs_in_postgres(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(_PRODUCTION_INSTANCE_YAML, dagster_home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    for name, value in postgres_server.env().items():
        monkeypatch.setenv(name, value)

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        result = dg.materialize([answer], instance=instance)
        assert result.success
        assert instance.get_run_by_id(result.run_id) is not None

    connection = psycopg2.connect(
        host=postgres_server.host,
        port=postgres_server.port,
        user=postgres_server.user,
        password=postgres_server.password,
        dbname=postgres_server.database,
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM runs WHERE run_id = %s", (result.run_id,))
            runs = cursor.fetchone()
            cursor.execute(
                "SELECT count(*) FROM event_logs WHERE run_id = %s AND dagster_event_type = %s",
                (result.run_id, "ASSET_MATERIALIZATION"),
            )
            materializations = cursor.fetchone()
    finally:
        connection.close()

    assert runs == (1,)
    assert materializations == (1,)
    # Embedded SQLite storage would have created these under DAGSTER_HOME instead.
    assert not (dagster_home / "history").exists()
    assert not (dagster_home / "schedules").exists()
