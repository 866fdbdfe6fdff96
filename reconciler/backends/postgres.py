"""The postgres backend: advisory locks, rate windows, journal, runs and applied plans in one database for all."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
from contextlib import asynccontextmanager

from ..intents import Intent, IntentStore, IntentStoreError
from ..journal import JournalError
from ..lock import holder_description
from .base import Backend, BackendError, RunRecord, Slots, passwords
from .history import matching
from .schema import LATEST, MIGRATIONS, VERSION_TABLE
from .slots import Answer, Ask, expiry

OPERATION_TIMEOUT = 15.0  # seconds one database round trip may take before the run stops sending
LOCK_POLL = 0.25  # seconds between tries while another run holds an account
MIGRATION_LOCK = 0x7265636F6E63  # one migration at a time, however many runs start at once


def _key(text: str) -> int:
    """A stable signed 64-bit advisory-lock key for `text`."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big", signed=True)


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, default=str)


class PostgresBackend(Backend):
    """One connection per run: it holds the advisory locks, so if it drops nothing more can be journaled or sent."""

    def __init__(self, url: str, *, shown: str):
        self._url = url
        self.name = shown
        self.key = f"postgres:{id(self)}"
        self._connection = None
        self._guard: asyncio.Lock | None = None
        self.schema_change = ""  # what open() did to the schema, for `backend init`

    async def open(self) -> None:
        try:
            import psycopg
        except ImportError:
            raise BackendError(f"backend {self.name} needs the PostgreSQL driver: "
                               "pip install 'margin-reconciler[postgres]'") from None
        self._guard = asyncio.Lock()
        try:
            self._connection = await asyncio.wait_for(psycopg.AsyncConnection.connect(
                self._url, autocommit=True, connect_timeout=10, application_name="reconciler"), OPERATION_TIMEOUT)
        except (psycopg.Error, OSError, TimeoutError) as exc:
            raise BackendError(f"backend {self.name} cannot be reached: {self._plain(exc)}") from None
        self.schema_change = await self._migrate()

    async def close(self) -> None:
        if self._connection is not None:
            try:
                await self._connection.close()
            except Exception:  # closing a connection that already dropped
                pass
            self._connection = None

    # --- one round trip at a time on the run's connection -------------------------------------------
    async def _run(self, work, what: str):
        """Run `work(connection)` alone on the connection; a BackendError naming `what` when the database fails."""
        import psycopg
        if self._connection is None:
            raise BackendError(f"backend {self.name} is not open")
        async with self._guard:
            try:
                return await asyncio.wait_for(work(self._connection), OPERATION_TIMEOUT)
            except (psycopg.Error, OSError, TimeoutError) as exc:
                raise BackendError(f"backend {self.name} failed while {what}: {self._plain(exc)}; "
                                   "nothing more is sent") from None

    async def _all(self, sql: str, params=(), what: str = "reading") -> list[tuple]:
        async def work(connection):
            cursor = await connection.execute(sql, params)
            return await cursor.fetchall() if cursor.description else []
        return await self._run(work, what)

    def _plain(self, exc: BaseException) -> str:
        text = " ".join(str(exc).split()).rstrip(".") or type(exc).__name__
        for password in passwords(self._url):
            text = text.replace(password, "***")
        return text

    async def _migrate(self) -> str:
        async def work(connection):
            async with connection.transaction():
                await connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                await connection.execute(VERSION_TABLE)
                row = await (await connection.execute("SELECT max(version) FROM reconciler_schema")).fetchone()
                current = row[0] or 0
                if current > LATEST:
                    raise BackendError(f"backend {self.name} has schema version {current}, newer than this "
                                       f"reconciler knows ({LATEST}): upgrade reconciler")
                for version in range(current + 1, LATEST + 1):
                    for statement in MIGRATIONS[version - 1]:
                        await connection.execute(statement)
                    await connection.execute("INSERT INTO reconciler_schema (version) VALUES (%s)", (version,))
                if current == LATEST:
                    return f"schema version {LATEST}, up to date"
                return f"schema version {LATEST} ({'created' if current == 0 else f'migrated from {current}'})"
        return await self._run(work, "creating or migrating its tables")

    # --- account locks --------------------------------------------------------------------------------
    @asynccontextmanager
    async def locks(self, accounts: dict[str, str], timeout: float):
        held: list[str] = []
        try:
            for identity, names in sorted(accounts.items()):
                await self._take(identity, names, timeout)
                held.append(identity)
            yield
        finally:
            for identity in reversed(held):
                try:
                    await self._all("SELECT pg_advisory_unlock(%s)", (_key(f"account {identity}"),), "unlocking")
                    await self._all("DELETE FROM reconciler_lock_holders WHERE identity = %s", (identity,),
                                    "unlocking")
                except BackendError:
                    pass  # a dropped connection has released its locks already

    async def _take(self, identity: str, names: str, timeout: float) -> None:
        deadline = time.monotonic() + max(timeout, 0)
        while True:
            rows = await self._all("SELECT pg_try_advisory_lock(%s)", (_key(f"account {identity}"),),
                                   f"locking account {names}")
            if rows[0][0]:
                await self._all("INSERT INTO reconciler_lock_holders (identity, holder) VALUES (%s, %s) "
                                "ON CONFLICT (identity) DO UPDATE SET holder = excluded.holder, since = now()",
                                (identity, holder_description()), f"locking account {names}")
                return
            if time.monotonic() >= deadline:
                holder = await self._all("SELECT holder FROM reconciler_lock_holders WHERE identity = %s",
                                         (identity,), f"locking account {names}")
                waited = f" after waiting {timeout:g} s" if timeout > 0 else ""
                raise BackendError(f"account {names} is in use by {holder[0][0] if holder else 'another run'}"
                                   f"{waited} (lock in backend {self.name}); wait for it to finish or pass "
                                   "--lock-timeout SECONDS to wait")
            await asyncio.sleep(LOCK_POLL)

    # --- rate windows ---------------------------------------------------------------------------------
    def slots(self, key: str) -> "PostgresSlots":
        return PostgresSlots(self, key)

    # --- journal, runs, applied plans ----------------------------------------------------------------
    def journal(self, run_id: str) -> "PostgresJournal":
        return PostgresJournal(self, run_id)

    def intents(self) -> "PostgresIntents":
        return PostgresIntents(self)

    async def start_run(self, run: RunRecord) -> None:
        await self._all("INSERT INTO reconciler_runs (run_id, command, user_name, host, started_at, config_path, "
                        "config_sha256, plan_id, accounts) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        (run.run_id, run.command, run.user, run.host, run.started, run.config_path,
                         run.config_sha256, run.plan_id, run.accounts), "recording the run")

    async def finish_run(self, run: RunRecord, outcome: str) -> None:
        await self._all("UPDATE reconciler_runs SET finished_at = now(), outcome = %s, plan_id = %s WHERE run_id = %s",
                        (outcome, run.plan_id, run.run_id), "recording the run's outcome")

    async def claim_plan(self, plan_id: str, run_id: str) -> bool:
        rows = await self._all("INSERT INTO reconciler_applied_plans (plan_id, run_id) VALUES (%s, %s) "
                               "ON CONFLICT (plan_id) DO NOTHING RETURNING plan_id", (plan_id, run_id),
                               "recording the saved plan as applied")
        return bool(rows)

    # --- leases of watch replicas ----------------------------------------------------------------------
    async def take_leases(self, keys, holder, ttl, limit=None) -> set[str]:
        held = {row[0] for row in await self._all(
            "UPDATE reconciler_leases SET expires_at = clock_timestamp() + make_interval(secs => %s) "
            "WHERE holder = %s AND lease_key = ANY(%s) RETURNING lease_key", (ttl, holder, list(keys)),
            "renewing leases")}
        busy = {row[0] for row in await self._all(
            "SELECT lease_key FROM reconciler_leases WHERE lease_key = ANY(%s) AND expires_at >= clock_timestamp()",
            (list(keys),), "reading leases")}
        free = [key for key in keys if key not in busy]
        random.shuffle(free)  # replicas starting together do not all reach for the same accounts first
        wanted = free[:limit] if limit is not None else free
        if wanted:
            held.update(row[0] for row in await self._all(
                "INSERT INTO reconciler_leases (lease_key, holder, expires_at) SELECT key, %(holder)s, "
                "clock_timestamp() + make_interval(secs => %(ttl)s) FROM unnest(%(keys)s::text[]) AS key "
                "ON CONFLICT (lease_key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
                "WHERE reconciler_leases.expires_at < clock_timestamp() RETURNING lease_key",
                {"holder": holder, "ttl": ttl, "keys": wanted}, "taking leases"))
        return held

    async def drop_leases(self, keys, holder) -> None:
        await self._all("DELETE FROM reconciler_leases WHERE holder = %s AND lease_key = ANY(%s)",
                        (holder, list(keys)), "giving up leases")

    async def count_leases(self, prefix: str) -> int:
        rows = await self._all("SELECT count(*) FROM reconciler_leases WHERE starts_with(lease_key, %s) "
                               "AND expires_at >= clock_timestamp()", (prefix,), "reading leases")
        return int(rows[0][0])

    async def history(self, *, account=None, symbol=None, since=None) -> list[dict]:
        calls = await self._all(
            "SELECT run_id, time, account, venue, method, path, query, body, http_status, venue_code, duration_ms, "
            "attempt, error FROM reconciler_calls WHERE (%(account)s::text IS NULL OR account = %(account)s) "
            "AND (%(since)s::timestamptz IS NULL OR time >= %(since)s) AND (%(symbol)s::text IS NULL OR "
            "coalesce(body::text, '') || coalesce(query::text, '') ILIKE '%%' || %(symbol)s || '%%') "
            "ORDER BY time DESC LIMIT 5000", {"account": account, "since": since, "symbol": symbol})
        run_ids = sorted({row[0] for row in calls})
        runs = await self._all(
            "SELECT run_id, command, user_name, host, started_at, finished_at, config_path, config_sha256, plan_id, "
            "accounts, outcome FROM reconciler_runs WHERE run_id = ANY(%(ids)s) OR (%(symbol)s::text IS NULL "
            "AND (%(account)s::text IS NULL OR %(account)s = ANY(accounts)) AND (%(since)s::timestamptz IS NULL "
            "OR started_at >= %(since)s)) ORDER BY started_at DESC LIMIT 1000",
            {"ids": run_ids, "account": account, "since": since, "symbol": symbol})
        by_id = {row[0]: {"run": row[0], "command": row[1], "user": row[2], "host": row[3],
                          "started": row[4].isoformat(timespec="milliseconds"),
                          "finished": row[5].isoformat(timespec="milliseconds") if row[5] else None,
                          "config": row[6], "config_sha256": row[7], "plan_id": row[8], "accounts": list(row[9]),
                          "outcome": row[10], "calls": []} for row in runs}
        for row in calls:
            run = by_id.setdefault(row[0], {"run": row[0], "started": row[1].isoformat(timespec="milliseconds"),
                                            "calls": []})
            run["calls"].append({"time": row[1].isoformat(timespec="milliseconds"), "run": row[0],
                                 "attempt": row[11], "account": row[2], "venue": row[3], "method": row[4],
                                 "path": row[5], "query": row[6], "body": row[7], "status": row[8], "code": row[9],
                                 "duration_ms": float(row[10]) if row[10] is not None else None,
                                 **({"error": row[12]} if row[12] else {})})
        return matching(list(by_id.values()), account=account, symbol=symbol, since=since)


class PostgresSlots(Slots):
    """One window's slots of every run sharing the database, exchanged in one call of reconciler_window_exchange
    (migration 4: slots.settle's rule in SQL).

    Times are the database's clock (slots travel as seconds from now), so machines whose clocks differ still
    count alike. An owner whose session is gone (its run died) stops holding its slots when that is noticed.
    """

    def __init__(self, backend: PostgresBackend, key: str):
        self.backend, self.key = backend, key
        self.exchanges = 0  # round trips made, for tests and benchmarks

    async def exchange(self, ask: Ask) -> Answer:
        rows = await self.backend._all(
            "SELECT waits, ns, others_busy, waiting, blocked, retry FROM reconciler_window_exchange(%s, %s, %s, %s, "
            "%s::float8[], %s::int[], %s, %s, %s, %s)",
            (self.key, ask.owner, ask.count, ask.seconds, [float(wait) for wait, _ in ask.idle],
             [int(n) for _, n in ask.idle], ask.in_flight, ask.active, ask.penalty, expiry(ask.seconds)), "pacing")
        self.exchanges += 1
        waits, ns, others_busy, waiting, blocked, retry = rows[0]
        return Answer(idle=[[wait, n] for wait, n in zip(waits, ns)], others_busy=others_busy, waiting=waiting,
                      blocked=blocked, retry=retry)


class PostgresIntents(IntentStore):
    """Margin moves in flight in one table, seen by every runner on this database."""

    def __init__(self, backend: PostgresBackend):
        self.backend = backend

    async def record(self, intent: Intent) -> None:
        await self._write(intent, f"recording the margin move on {intent.symbol} before sending it")

    async def settle(self, intent: Intent, state: str) -> None:
        intent.state = state
        await self._write(intent, f"recording the answer to the margin move on {intent.symbol}")

    async def _write(self, intent: Intent, what: str) -> None:
        try:
            await self.backend._all(
                "INSERT INTO reconciler_intents (id, identity, symbol, side, move, coin, account, run_id, signed_at, "
                "expires_at, state) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (id) DO UPDATE SET state = excluded.state",
                (intent.id, intent.identity, intent.symbol, intent.side, intent.move, intent.coin, intent.account,
                 intent.run_id, intent.signed_at, intent.expires_at, intent.state), what)
        except BackendError as exc:
            raise IntentStoreError(f"{exc}; no margin was moved") from None

    async def of_identity(self, identity: str, since: float) -> list[Intent]:
        try:
            rows = await self.backend._all(
                "SELECT id, identity, symbol, side, move, coin, account, run_id, signed_at, expires_at, state "
                "FROM reconciler_intents WHERE identity = %s AND signed_at >= %s", (identity, since),
                "reading the margin moves in flight")
        except BackendError as exc:
            raise IntentStoreError(f"{exc}; no margin was moved") from None
        return [Intent(id=row[0], identity=row[1], symbol=row[2], side=row[3], move=str(row[4]), coin=row[5],
                       account=row[6], run_id=row[7], signed_at=row[8], expires_at=row[9], state=row[10])
                for row in rows]


class PostgresJournal:
    """One row per call: inserted before a write is sent (no row, no send), completed with the answer."""

    def __init__(self, backend: PostgresBackend, run_id: str):
        self.backend, self.run_id = backend, run_id
        self._rows: dict[tuple, int] = {}

    async def intent(self, *, account: str, venue: str, call, attempt: int) -> None:
        try:
            rows = await self.backend._all(
                "INSERT INTO reconciler_calls (run_id, account, venue, method, path, query, body, attempt) "
                "VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s) RETURNING id",
                (self.run_id, account, venue, call.method, call.path, _json(call.query), _json(call.body), attempt),
                f"journaling {call.method} {call.path} before sending it")
        except BackendError as exc:
            raise JournalError(str(exc)) from None
        self._rows[(account, id(call), attempt)] = rows[0][0]

    async def outcome(self, *, account: str, venue: str, call, attempt: int, status: int | None, code: str | None,
                      duration: float, error: str | None = None) -> None:
        row = self._rows.pop((account, id(call), attempt), None)
        answer = f"HTTP {status} code {code}" if status is not None else (error or "no answer")
        what = f"journaling the answer to {call.method} {call.path} ({answer})"
        duration_ms = round(duration * 1000, 1)
        try:
            if row is None:
                await self.backend._all(
                    "INSERT INTO reconciler_calls (run_id, account, venue, method, path, query, body, attempt, "
                    "http_status, venue_code, duration_ms, error) VALUES "
                    "(%s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, %s, %s, %s, %s)",
                    (self.run_id, account, venue, call.method, call.path, _json(call.query), _json(call.body),
                     attempt, status, code, duration_ms, error), what)
            else:
                await self.backend._all("UPDATE reconciler_calls SET http_status = %s, venue_code = %s, "
                                        "duration_ms = %s, error = %s WHERE id = %s",
                                        (status, code, duration_ms, error, row), what)
        except BackendError as exc:
            raise JournalError(str(exc)) from None

    def close(self) -> None:
        pass
