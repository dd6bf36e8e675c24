"""``dataraum-assets``: register sources and look at their outputs from the command line.

Materializing is Dagster's job::

    dataraum-assets register examples/acme_books
    dagster asset materialize -m dataraum_assets.definitions --select '*' --partition acme_books
"""

import argparse
import glob
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb

from dataraum_assets.identifiers import quote_identifier, source_name_for
from dataraum_assets.partitions import SOURCES_PARTITION_NAME
from dataraum_assets.resources import resolve_data_dir
from dataraum_assets.sources import SourceError, list_sources, register_source
from dataraum_assets.warehouse import WarehouseLayout, attach_read_only


class CliError(Exception):
    """A user-facing error: printed without a traceback, exit code 2."""


def _instance():
    # Imported here so that `dataraum-assets query` stays fast and works without dagster setup.
    import dagster as dg

    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise CliError(
            "DAGSTER_HOME is not set. Point it at a folder so that the `dagster` commands and "
            "the UI see the same sources, e.g.: export DAGSTER_HOME=$PWD/.dagster_home"
        )
    Path(home).mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.get()


def _register(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    name = args.name or source_name_for(folder.stem if folder.is_file() else folder.name)
    layout = WarehouseLayout(resolve_data_dir())
    entry = register_source(layout, name, folder)
    instance = _instance()
    if not instance.has_dynamic_partition(SOURCES_PARTITION_NAME, name):
        instance.add_dynamic_partitions(SOURCES_PARTITION_NAME, [name])
    files = entry.listing().files
    sys.stdout.write(
        f"registered source {name!r}: {len(files)} files in {entry.folder}\n"
        f"materialize it with:\n"
        f"  dagster asset materialize -m dataraum_assets.definitions --select '*' "
        f"--partition {name}\n"
    )
    return 0


def _sources(_: argparse.Namespace) -> int:
    layout = WarehouseLayout(resolve_data_dir())
    for entry in list_sources(layout):
        outputs = sorted(path.stem for path in layout.source_dir(entry.name).glob("*.duckdb"))
        sys.stdout.write(
            f"{entry.name}\t{entry.folder}\t{', '.join(outputs) or '(not materialized)'}\n"
        )
    return 0


def _query(args: argparse.Namespace) -> int:
    layout = WarehouseLayout(resolve_data_dir())
    paths = sorted(layout.source_dir(args.source).glob("*.duckdb"))
    if not paths:
        raise CliError(f"source {args.source!r} has no materialized assets in {layout.data_dir}")
    con = duckdb.connect()
    for path in paths:
        attach_read_only(con, path.stem, path)
    if args.sql is None:
        for path in paths:
            tables = con.execute(
                "SELECT schema_name, table_name, estimated_size FROM duckdb_tables() "
                "WHERE database_name = ? ORDER BY ALL",
                [path.stem],
            ).fetchall()
            for schema, table, rows in tables:
                prefix = f"{quote_identifier(path.stem)}.{quote_identifier(schema)}"
                sys.stdout.write(f"{prefix}.{quote_identifier(table)}\t~{rows:,} rows\n")
        return 0
    relation = con.sql(args.sql)
    if relation is None:
        return 0
    _print_relation(relation, args)
    return 0


def _print_relation(relation: duckdb.DuckDBPyRelation, args: argparse.Namespace) -> None:
    if args.csv:
        relation.write_csv("/dev/stdout")
    else:
        relation.show(max_rows=args.max_rows, max_width=10_000)


def _history(args: argparse.Namespace) -> int:
    # Imported here: pyarrow is not needed by the other commands.
    from dataraum_assets.ingestion_history import history_glob

    pattern = history_glob(resolve_data_dir(), args.source)
    if not glob.glob(pattern):
        raise CliError(f"no ingestion history yet: no files match {pattern}")
    where, params = ("WHERE run_id = ?", [pattern, args.run_id]) if args.run_id else ("", [pattern])
    relation = duckdb.connect().sql(
        f"SELECT * FROM read_parquet(?, union_by_name = true) {where} "
        "ORDER BY ingested_at, source, file_path",
        params=params,
    )
    _print_relation(relation, args)
    return 0


def _example(args: argparse.Namespace) -> int:
    from dataraum_assets.example_data import write_example_source

    written = write_example_source(Path(args.folder))
    sys.stdout.write(f"wrote {len(written)} files to {args.folder}\n")
    return 0


def _retry_failed(args: argparse.Namespace) -> int:
    from dataraum_assets.reexecution import ReexecutionError, retry_failed

    try:
        outcomes = retry_failed(args.url, args.source, args.run_id)
    except ReexecutionError as error:
        raise CliError(str(error)) from error
    for item in outcomes:
        new = f" as {item.new_run_id}" if item.new_run_id else ""
        sys.stdout.write(f"{item.run_id}\t{item.source or '-'}\t{item.note}{new}\n")
    if not outcomes:
        sys.stdout.write("no failed runs\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dataraum-assets", description=(__doc__ or "").splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)

    register = commands.add_parser(
        "register",
        help="register a folder of CSV files (or one file) as a source and add its partition",
    )
    register.add_argument("folder")
    register.add_argument("--name", help="source name (default: from the folder name)")
    register.set_defaults(run=_register)

    sources = commands.add_parser("sources", help="list registered sources and their outputs")
    sources.set_defaults(run=_sources)

    query = commands.add_parser(
        "query",
        help="run SQL with every materialized asset of a source attached read-only under its "
        "asset name (without SQL: list the tables)",
    )
    query.add_argument("source")
    query.add_argument("sql", nargs="?")
    query.add_argument("--max-rows", type=int, default=1000, help="rows shown (default 1000)")
    query.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    query.set_defaults(run=_query)

    history = commands.add_parser(
        "history",
        help="the ingestion history: per run and file, when, outcome, rows, sha256 and error",
    )
    history.add_argument("source", nargs="?", help="one source (default: all)")
    history.add_argument("--run", dest="run_id", help="only this run id")
    history.add_argument("--max-rows", type=int, default=1000, help="rows shown (default 1000)")
    history.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    history.set_defaults(run=_history)

    retry = commands.add_parser(
        "retry-failed",
        help="re-execute failed runs from failure over GraphQL (one run, or every failed run of "
        "a source or of all sources that was not re-executed yet)",
    )
    retry.add_argument("source", nargs="?", help="only runs of this source (default: all)")
    retry.add_argument("--run", dest="run_id", help="only this failed run")
    retry.add_argument(
        "--url",
        default=os.environ.get("DAGSTER_URL", "http://127.0.0.1:3000"),
        help="the Dagster webserver (default $DAGSTER_URL, else http://127.0.0.1:3000)",
    )
    retry.set_defaults(run=_retry_failed)

    example = commands.add_parser("example", help="write the bundled example source")
    example.add_argument("folder")
    example.set_defaults(run=_example)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (CliError, SourceError, ValueError, duckdb.Error) as error:
        sys.stderr.write(f"dataraum-assets: {error}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
