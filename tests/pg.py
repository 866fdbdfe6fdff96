"""A real PostgreSQL server for the backend tests, started and stopped by the suite (initdb and pg_ctl)."""

from __future__ import annotations

import glob
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
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql "
                "(.ci/run does this on a fresh machine)")


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
        # initdb refuses to run as root: the cluster then belongs to the system's postgres user.
        self._as = "postgres" if os.geteuid() == 0 else None
        (self.root / "password").write_text(PASSWORD + "\n")
        if self._as:
            entry = pwd.getpwnam(self._as)
            for path in (self.root, self.root / "password"):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._pg("initdb", "-D", self.data, "-U", USER, f"--pwfile={self.root / 'password'}",
                 "--auth=scram-sha-256", "-E", "UTF8", "--no-sync")
        self.start()

    def _pg(self, program: str, *args) -> None:
        result = subprocess.run([str(self.bin / program), *map(str, args)], user=self._as, capture_output=True,
                                text=True, timeout=120, cwd=self.root)
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
