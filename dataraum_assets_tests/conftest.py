"""Fixtures shared across the test suite."""

from collections.abc import Iterator

import pytest

from dataraum_assets_tests.postgres_server import PostgresServer, running_postgres


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session; `env()` gives the DAGSTER_PG_* variables."""
    with running_postgres(tmp_path_factory.mktemp("pg")) as server:
        yield server
