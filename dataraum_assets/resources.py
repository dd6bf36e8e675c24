"""The project's resources: where data lives and how DuckDB connections are opened."""

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field

from dataraum_assets.sources import RegisteredSource, get_source
from dataraum_assets.warehouse import WarehouseLayout, atomic_database_file, attach_upstreams

DATA_DIR_ENV_VAR = "DATARAUM_DATA_DIR"


def resolve_data_dir(configured: str | None = None) -> Path:
    """The data folder: the configured value, else ``$DATARAUM_DATA_DIR``, else ``./data``."""
    return Path(configured or os.environ.get(DATA_DIR_ENV_VAR) or "data").expanduser().absolute()


class WarehouseResource(dg.ConfigurableResource):
    """The data plane: one DuckDB file per (source, asset) under the data folder.

    Steps write through :meth:`write`, which builds a new file and swaps it in atomically, and
    read upstream assets attached read-only, so parallel steps and sources never contend for
    DuckDB's single-writer lock. See docs/data-plane.md.
    """

    data_dir: str | None = Field(
        default=None,
        description=f"Data folder; defaults to ${DATA_DIR_ENV_VAR}, else ./data under the "
        "working directory.",
    )
    memory_limit: str = Field(
        default="1GB",
        description="DuckDB memory_limit per connection; larger work spills to <data_dir>/tmp.",
    )
    threads: int | None = Field(
        default=None, description="DuckDB threads per connection (default: all cores)."
    )

    @property
    def layout(self) -> WarehouseLayout:
        return WarehouseLayout(resolve_data_dir(self.data_dir))

    def source(self, name: str) -> RegisteredSource:
        return get_source(self.layout, name)

    def _connection_config(self) -> dict[str, object]:
        temp_dir = self.layout.temp_dir()
        temp_dir.mkdir(parents=True, exist_ok=True)
        config: dict[str, object] = {
            "memory_limit": self.memory_limit,
            "temp_directory": str(temp_dir),
            "preserve_insertion_order": True,
        }
        if self.threads:
            config["threads"] = self.threads
        return config

    @contextlib.contextmanager
    def _connect(self, database: str) -> Iterator[duckdb.DuckDBPyConnection]:
        resource = DuckDBResource(database=database, connection_config=self._connection_config())
        with resource.get_connection() as con:
            try:
                yield con
            finally:
                con.close()

    @contextlib.contextmanager
    def write(
        self, source: str, asset: str, reads: Sequence[str] = ()
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection whose main database becomes ``<asset>.duckdb`` of ``source`` when the
        block succeeds; upstream assets in ``reads`` are attached read-only under their names."""
        layout = self.layout
        with (
            atomic_database_file(layout.asset_path(source, asset)) as temp_path,
            self._connect(str(temp_path)) as con,
        ):
            attach_upstreams(con, layout, source, reads)
            yield con
            con.execute("CHECKPOINT")

    @contextlib.contextmanager
    def read(self, source: str, assets: Sequence[str]) -> Iterator[duckdb.DuckDBPyConnection]:
        """An in-memory connection with ``assets`` of ``source`` attached read-only."""
        with self._connect(":memory:") as con:
            attach_upstreams(con, self.layout, source, assets)
            yield con
