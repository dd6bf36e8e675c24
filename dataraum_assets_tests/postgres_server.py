"""Throwaway PostgreSQL servers for integration tests.

`running_postgres` initialises a fresh cluster with the Debian server binaries, starts it on a
free loopback port, creates a password-protected role and a database, and always stops and
deletes the cluster on exit. Several test runs may do this at once on one machine: every cluster
lives in its own fresh directory and a port that is taken between choosing and binding it is
retried.
"""

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from psycopg2 import sql

_LOOPBACK = "127.0.0.1"
_SUPERUSER = "postgres"
_ROLE = "dataraum"
_DATABASE = "dataraum"
# The Debian package creates `postgres`; the fallback only matters on machines that got their
# binaries some other way.
_SERVER_OS_USERS = ("postgres", "dataraum-postgres")
_PORT_ATTEMPTS = 5
_START_TIMEOUT_SECONDS = 60
_CONNECT_TIMEOUT_SECONDS = 30


class PostgresNotInstalledError(RuntimeError):
    """Raised when no initdb/pg_ctl pair is found."""


class PostgresStartError(RuntimeError):
    """Raised when the server does not come up; the message carries the server log."""


@dataclass(frozen=True)
class PostgresServer:
    """Where a running test server listens and how to log in to its database."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    database: str

    def env(self) -> dict[str, str]:
        """The DAGSTER_PG_* variables that the production dagster.yaml reads."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": self.database,
        }


def find_postgres_bin_dir() -> Path:
    """The directory holding initdb and pg_ctl, searched like scripts/ensure-postgres."""
    on_path = shutil.which("pg_ctl")
    if on_path is not None:
        bin_dir = Path(on_path).resolve().parent
        if (bin_dir / "initdb").is_file():
            return bin_dir
    versioned = [
        d
        for d in Path("/usr/lib/postgresql").glob("*/bin")
        if d.parent.name.replace(".", "").isdigit()
    ]
    # Debian keeps server binaries off PATH, one directory per major version; prefer the newest.
    for bin_dir in sorted(versioned, key=_major_version, reverse=True):
        if (bin_dir / "initdb").is_file() and (bin_dir / "pg_ctl").is_file():
            return bin_dir
    raise PostgresNotInstalledError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or under "
        "/usr/lib/postgresql/*/bin; run scripts/ensure-postgres to install them"
    )


def _major_version(bin_dir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in bin_dir.parent.name.split("."))


@contextmanager
def running_postgres(base_dir: Path) -> Iterator[PostgresServer]:
    """Run a fresh PostgreSQL server under `base_dir` for the duration of the block.

    Yields the server's address and the credentials of a password-protected role that owns the
    yielded database. The server is stopped and its files deleted on exit, even on error.

    As root, the server runs as an unprivileged OS user (initdb refuses root). If that user
    cannot reach `base_dir` (pytest's temp root is private to its owner), the cluster goes into
    a fresh directory under the system temp dir instead.
    """
    bin_dir = find_postgres_bin_dir()
    os_user = _server_os_user()
    run_dir = _make_run_dir(base_dir, os_user)
    try:
        data_dir = run_dir / "data"
        log_file = run_dir / "postgres.log"
        _initdb(bin_dir, os_user, run_dir, data_dir)
        try:
            port = _start_on_free_port(bin_dir, os_user, run_dir, data_dir, log_file)
            password = secrets.token_urlsafe(24)
            _create_role_and_database(run_dir, port, password)
            server = PostgresServer(_LOOPBACK, port, _ROLE, password, _DATABASE)
            _wait_for_login(server, log_file)
            yield server
        finally:
            _stop(bin_dir, os_user, run_dir, data_dir)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def _server_os_user() -> str | None:
    """The OS user to run the server as, or None to run it as the current user."""
    if os.geteuid() != 0:
        return None
    for name in _SERVER_OS_USERS:
        if _os_user_exists(name):
            return name
    name = _SERVER_OS_USERS[-1]
    created = subprocess.run(
        [
            "useradd",
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            name,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    # Exit status 9 means a concurrent test run created the user first.
    if created.returncode not in (0, 9) or not _os_user_exists(name):
        raise RuntimeError(f"could not create OS user {name!r}: {created.stderr.strip()}")
    return name


def _os_user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _make_run_dir(base_dir: Path, os_user: str | None) -> Path:
    """A fresh directory for the cluster, owned by the user the server runs as."""
    base_dir.mkdir(parents=True, exist_ok=True)
    if os_user is None:
        return Path(tempfile.mkdtemp(prefix="postgres-", dir=base_dir))
    user = pwd.getpwnam(os_user)
    reachable = _run_as(os_user, ["test", "-x", str(base_dir.parent)], cwd=None, check=False)
    if reachable.returncode == 0:
        os.chown(base_dir, user.pw_uid, user.pw_gid)
        parent = base_dir
    else:
        parent = Path(tempfile.gettempdir())
    run_dir = Path(tempfile.mkdtemp(prefix="postgres-", dir=parent))
    os.chown(run_dir, user.pw_uid, user.pw_gid)
    return run_dir


def _run_as(
    os_user: str | None, command: Sequence[str], cwd: Path | None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    argv = [*command] if os_user is None else ["runuser", "-u", os_user, "--", *command]
    completed = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if check and completed.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} failed with exit status {completed.returncode}:\n"
            f"{completed.stdout}{completed.stderr}"
        )
    return completed


def _initdb(bin_dir: Path, os_user: str | None, run_dir: Path, data_dir: Path) -> None:
    _run_as(
        os_user,
        [
            str(bin_dir / "initdb"),
            f"--pgdata={data_dir}",
            f"--username={_SUPERUSER}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ],
        cwd=run_dir,
    )
    # Only this run's processes use the server: TCP on loopback for clients, a Unix socket in
    # the run directory for setup (so concurrent servers never share /var/run/postgresql), and
    # no durability, which a throwaway cluster does not need and which makes startup and Dagster's
    # many small commits faster.
    settings = {
        "listen_addresses": _LOOPBACK,
        "unix_socket_directories": str(run_dir),
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
    }
    with (data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
        for name, value in settings.items():
            escaped = value.replace("'", "''")
            conf.write(f"{name} = '{escaped}'\n")


def _start_on_free_port(
    bin_dir: Path, os_user: str | None, run_dir: Path, data_dir: Path, log_file: Path
) -> int:
    """Start the server on a free loopback port, retrying if another process takes the port."""
    for _ in range(_PORT_ATTEMPTS):
        port = _free_loopback_port()
        log_start = log_file.stat().st_size if log_file.exists() else 0
        # -l is required: without it the postmaster inherits our output pipes and
        # subprocess.run would wait for it to exit.
        started = _run_as(
            os_user,
            [
                str(bin_dir / "pg_ctl"),
                "start",
                f"--pgdata={data_dir}",
                f"--log={log_file}",
                f"--options=-p {port}",
                "--wait",
                f"--timeout={_START_TIMEOUT_SECONDS}",
            ],
            cwd=run_dir,
            check=False,
        )
        if started.returncode == 0:
            return port
        log = _read_log(log_file, log_start)
        if "Address already in use" not in log:
            raise PostgresStartError(
                f"pg_ctl start failed with exit status {started.returncode}:\n"
                f"{started.stdout}{started.stderr}\nserver log:\n{log}"
            )
    raise PostgresStartError(f"no free loopback port after {_PORT_ATTEMPTS} attempts")


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_LOOPBACK, 0))
        return probe.getsockname()[1]


def _read_log(log_file: Path, start: int = 0) -> str:
    try:
        with log_file.open(encoding="utf-8", errors="replace") as log:
            log.seek(start)
            return log.read()
    except FileNotFoundError:
        return ""


def _create_role_and_database(run_dir: Path, port: int, password: str) -> None:
    # Setup goes through the Unix socket as the superuser, which initdb trusts locally.
    connection = psycopg2.connect(host=str(run_dir), port=port, user=_SUPERUSER, dbname="postgres")
    try:
        connection.autocommit = True  # CREATE DATABASE cannot run inside a transaction
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD %s").format(sql.Identifier(_ROLE)),
                (password,),
            )
            cursor.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(_DATABASE), sql.Identifier(_ROLE)
                )
            )
    finally:
        connection.close()


def _wait_for_login(server: PostgresServer, log_file: Path) -> None:
    """Block until the role can log in over TCP with its password, as the tests will."""
    deadline = time.monotonic() + _CONNECT_TIMEOUT_SECONDS
    while True:
        try:
            psycopg2.connect(
                host=server.host,
                port=server.port,
                user=server.user,
                password=server.password,
                dbname=server.database,
                connect_timeout=5,
            ).close()
            return
        except psycopg2.OperationalError as error:
            if time.monotonic() > deadline:
                raise PostgresStartError(
                    f"server on {server.host}:{server.port} refused logins for "
                    f"{_CONNECT_TIMEOUT_SECONDS}s: {error}\nserver log:\n{_read_log(log_file)}"
                ) from error
            time.sleep(0.1)


def _stop(bin_dir: Path, os_user: str | None, run_dir: Path, data_dir: Path) -> None:
    stopped = _run_as(
        os_user,
        [str(bin_dir / "pg_ctl"), "stop", f"--pgdata={data_dir}", "--mode=immediate", "--wait"],
        cwd=run_dir,
        check=False,
    )
    if stopped.returncode == 0:
        return
    # pg_ctl stop also fails when no server runs (a start that failed); only a server that is
    # still up is an error worth reporting.
    status = _run_as(
        os_user,
        [str(bin_dir / "pg_ctl"), "status", f"--pgdata={data_dir}"],
        cwd=run_dir,
        check=False,
    )
    if status.returncode == 0:
        raise RuntimeError(
            f"could not stop the PostgreSQL server in {data_dir}:\n{stopped.stdout}{stopped.stderr}"
        )
