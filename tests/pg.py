"""A real PostgreSQL server for the backend tests, started and stopped by the suite (the system's binaries or pip's)."""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

USER, PASSWORD = "reconciler", "pg-secret-7c41e9"


def _binaries() -> Path:
    """The system's server binaries when present, else those of the pip-installed `pgserver` (the test extra).

    RECONCILER_TEST_PG=pip skips the system's (to prove a fresh machine works); =system refuses the pip ones.
    """
    choice = os.environ.get("RECONCILER_TEST_PG", "auto")
    if choice not in ("auto", "system", "pip"):
        pytest.fail(f"RECONCILER_TEST_PG={choice!r}: must be auto, system or pip")
    if choice != "pip":
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
        if found:
            return Path(found[-1]).parent
        initdb = shutil.which("initdb")
        if initdb:
            return Path(initdb).parent
    if choice != "system":
        bundled = importlib.util.find_spec("pgserver")  # found, not imported: its own server code is not used
        where = Path(bundled.origin).parent / "pginstall" / "bin" if bundled and bundled.origin else None
        if where and (where / "initdb").exists():  # pgserver's POSTGRES_BIN_PATH
            return where
    pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found: pip install -e '.[test]' brings them "
                "(pgserver, on Linux and macOS, Python 3.11 and 3.12), or apt-get install postgresql")


def _unprivileged_user() -> str | None:
    """initdb refuses to run as root: then the cluster belongs to the system's postgres user, or to nobody."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    pytest.fail("running as root, and neither a postgres nor a nobody user exists to own the test cluster")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One throw-away cluster in a temporary directory, on a loopback port, with a password-protected user."""

    def __init__(self):
        self.bin = _binaries()
        self.root = Path(tempfile.mkdtemp(prefix="reconciler-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as = _unprivileged_user()
        (self.root / "password").write_text(PASSWORD + "\n")
        if self._as:
            entry = pwd.getpwnam(self._as)
            for path in (self.root, self.root / "password"):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._pg("initdb", "-D", self.data, "-U", USER, f"--pwfile={self.root / 'password'}",
                 "--auth=scram-sha-256", "-E", "UTF8", "--no-sync")
        self.start()

    def _pg(self, program: str, *args) -> None:
        try:
            result = subprocess.run([str(self.bin / program), *map(str, args)], user=self._as, capture_output=True,
                                    text=True, timeout=120, cwd=self.root)
        except PermissionError:
            raise RuntimeError(f"{self.bin / program}: user {self._as} may not run it; every directory above it "
                               "must be readable and searchable by all (chmod 755)") from None
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed: {result.stdout}{result.stderr}")

    def start(self) -> None:
        self._pg("pg_ctl", "-D", self.data, "-l", self.root / "log", "-w", "-t", "60", "-o",
                 f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except RuntimeError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def execute(self, sql: str, params=(), database: str = "postgres") -> list[tuple]:
        import psycopg
        with psycopg.connect(self.url(database), autocommit=True) as connection:
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else []


@pytest.fixture(scope="session")
def pg_server():
    server = PostgresServer()
    yield server
    server.remove()


@pytest.fixture
def pg_url(pg_server, request):
    """A fresh, empty database on the shared test server, for one test."""
    name = "t_" + "".join(ch if ch.isalnum() else "_" for ch in request.node.name.lower())[:50]
    pg_server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return pg_server.create_database(name)
