"""The local backend: lock, rate-window and applied-plan files beside each other; the JSON-lines journal and runs."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import time
import weakref
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from filelock import FileLock

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

from ..intents import LocalIntents
from ..journal import DEFAULT_JOURNAL, Journal
from ..lock import AccountLocks, lock_dir
from .base import Backend, RunRecord, Slots
from .history import matching
from .slots import Answer, Ask, empty_state, expiry, release_gone, settle


class LocalBackend(Backend):
    """One machine: everything in files (locks in RECONCILER_LOCK_DIR, journal and runs beside --journal)."""

    def __init__(self, journal_path: str | None = None, *, rates_directory: Path | None = None):
        self.journal_path = Path(journal_path) if journal_path else None
        self.directory = lock_dir()
        self.rates = Path(rates_directory) if rates_directory else self.directory / "rates"
        self.name = f"local ({self.directory})"
        self.key = f"local:{self.rates}"

    @asynccontextmanager
    async def locks(self, accounts: dict[str, str], timeout: float):
        with AccountLocks(accounts, timeout=timeout, directory=self.directory):
            yield

    def slots(self, key: str) -> "FileSlots":
        return FileSlots(self.rates, key)

    def intents(self) -> LocalIntents:
        return LocalIntents(self.directory / "intents")

    def journal(self, run_id: str):
        return Journal(self.journal_path, run_id) if self.journal_path else None

    @property
    def runs_path(self) -> Path:
        return (self.journal_path or Path(DEFAULT_JOURNAL)).with_name("runs.jsonl")

    async def start_run(self, run: RunRecord) -> None:
        pass  # a local run is written once, when it ends

    async def finish_run(self, run: RunRecord, outcome: str) -> None:
        if self.journal_path is None:
            return  # plan keeps no journal on this machine, so no run line either
        entry = {"run": run.run_id, "command": run.command, "user": run.user, "host": run.host,
                 "started": run.started.isoformat(timespec="milliseconds"), "config": run.config_path,
                 "config_sha256": run.config_sha256, "plan_id": run.plan_id, "accounts": run.accounts,
                 "outcome": outcome}
        try:
            with self.runs_path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry) + "\n")
        except OSError:
            pass  # the journal itself holds every call; the run line is a summary

    async def claim_plan(self, plan_id: str, run_id: str) -> bool:
        path = self.directory / "applied-plans"
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with FileLock(str(path) + ".lock", thread_local=False):
            try:
                if plan_id in path.read_text().split():
                    return False
            except OSError:
                pass
            with path.open("a") as handle:
                handle.write(plan_id + "\n")
        return True

    async def take_leases(self, keys, holder, ttl, limit=None) -> set[str]:
        with _LeaseFile(self.directory) as leases:
            expires = time.time() + ttl
            held = {key for key in keys if leases.get(key, [None])[0] == holder}
            free = [key for key in keys if key not in leases]
            random.shuffle(free)  # replicas starting together do not all reach for the same accounts first
            held.update(free[:limit] if limit is not None else free)
            for key in held:
                leases[key] = [holder, expires]
        return held

    async def drop_leases(self, keys, holder) -> None:
        with _LeaseFile(self.directory) as leases:
            for key in keys:
                if leases.get(key, [None])[0] == holder:
                    del leases[key]

    async def count_leases(self, prefix: str) -> int:
        with _LeaseFile(self.directory) as leases:
            return sum(1 for key in leases if key.startswith(prefix))

    async def history(self, *, account=None, symbol=None, since=None) -> list[dict]:
        runs: dict[str, dict] = {}
        for entry in _lines(self.runs_path):
            runs[entry.get("run")] = {**entry, "calls": []}
        pending: dict[tuple, dict] = {}
        for entry in _lines(self.journal_path or Path(DEFAULT_JOURNAL)):
            key = (entry.get("run"), entry.get("account"), entry.get("method"), entry.get("path"),
                   json.dumps(entry.get("body"), sort_keys=True), json.dumps(entry.get("query"), sort_keys=True),
                   entry.get("attempt"))
            if entry.get("event") == "intent":
                pending[key] = {**entry, "status": None, "code": None, "error": "no answer recorded"}
                continue
            pending.pop(key, None)
            run = runs.setdefault(entry.get("run"), {"run": entry.get("run"), "calls": []})
            run["calls"].append(entry)
        for entry in pending.values():
            runs.setdefault(entry.get("run"), {"run": entry.get("run"), "calls": []})["calls"].append(entry)
        for run in runs.values():
            for call in run["calls"]:
                call.pop("event", None)
            run["calls"].sort(key=lambda call: call.get("time") or "", reverse=True)
            run.setdefault("started", run["calls"][-1]["time"] if run["calls"] else None)
        return matching(list(runs.values()), account=account, symbol=symbol, since=since)


class _LeaseFile:
    """The local leases: one JSON file {key: [holder, expires (Unix time)]}, changed under a file lock."""

    def __init__(self, directory: Path):
        self.path = directory / "leases.json"
        self.directory = directory

    def __enter__(self) -> dict:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = FileLock(str(self.path) + ".lock", thread_local=False)
        self._lock.acquire()
        try:
            leases = json.loads(self.path.read_text())
        except (OSError, ValueError):
            leases = {}
        now = time.time()
        self.leases = {key: value for key, value in leases.items() if value[1] > now}
        return self.leases

    def __exit__(self, *exc):
        try:
            if exc[0] is None:
                temporary = self.path.with_suffix(".tmp")
                temporary.write_text(json.dumps(self.leases))
                temporary.replace(self.path)
        finally:
            self._lock.release()


_OWNERS: "weakref.WeakValueDictionary[str, FileSlots]" = weakref.WeakValueDictionary()  # this process's, alive


class FileSlots(Slots):
    """One window's slots of every process on this machine: a small JSON file, locked, read and rewritten in place
    once per exchange (see slots.settle); an owner is gone when its process is.

    A file cut short by a crash mid-write cannot be read: then every slot counts as used until any lease it
    held has expired (nobody can tell who held what), the safe reading.
    """

    def __init__(self, directory: Path, key: str):
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", key)[:80] + "-" + hashlib.sha256(key.encode()).hexdigest()[:12]
        self._directory = directory
        self._path = directory / f"{name}.slots.json"
        self.exchanges = 0  # round trips made, for tests and benchmarks

    async def exchange(self, ask: Ask) -> Answer:
        _OWNERS[ask.owner] = self
        ask.pid = os.getpid()
        self._directory.mkdir(parents=True, exist_ok=True)
        dead: set[int] = set()

        def gone(owner: str, entry: dict) -> bool:
            if not _gone(owner, entry):
                return False
            if entry.get("pid") != ask.pid:
                dead.add(entry.get("pid"))
            return True

        with self._open(self._path) as (read, write):
            now = time.time()
            state = _state(read(), ask, now)
            answer = settle(state, ask, now, gone)
            write(state)
        self.exchanges += 1
        if dead:
            self._release_everywhere(dead)
        return answer

    def _release_everywhere(self, pids: set[int]) -> None:
        """A process that died held slots of other windows too, most likely: release them all now, rather than
        when each is next used (a run reads one window after another, and would wait a period for each)."""
        for path in self._directory.glob("*.slots.json"):
            if path == self._path:
                continue
            with self._open(path) as (read, write):
                try:
                    state = json.loads(read() or b"null")
                except ValueError:
                    continue  # cut short by a crash: it is read as fully used anyway
                owners = state.get("owners") if isinstance(state, dict) else None
                if not isinstance(owners, dict) or not any(entry.get("pid") in pids for entry in owners.values()):
                    continue
                now = time.time()
                for name in [name for name, entry in owners.items() if entry.get("pid") in pids]:
                    state.setdefault("pool", []).extend(release_gone(owners.pop(name), now, 0.0))
                write(state)

    @contextmanager
    def _open(self, path: Path):
        """The file at `path` locked: (read() -> bytes, write(state)) to rewrite it in place."""
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            with _locked(path, descriptor):
                def write(state: dict) -> None:
                    data = json.dumps(state, separators=(",", ":")).encode()
                    os.lseek(descriptor, 0, os.SEEK_SET)
                    while data:
                        data = data[os.write(descriptor, data):]
                    os.ftruncate(descriptor, os.lseek(descriptor, 0, os.SEEK_CUR))
                yield (lambda: _read(descriptor)), write
        finally:
            os.close(descriptor)



@contextmanager
def _locked(path: Path, descriptor: int):
    if fcntl is None:  # Windows: a lock file beside it
        with FileLock(str(path) + ".lock", thread_local=False):
            yield
        return
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)


def _read(descriptor: int) -> bytes:
    chunks = []
    while chunk := os.read(descriptor, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _state(data: bytes, ask: Ask, now: float) -> dict:
    if not data:
        return empty_state()
    try:
        state = json.loads(data)
    except ValueError:
        state = None
    if isinstance(state, dict) and isinstance(state.get("owners"), dict) and isinstance(state.get("pool"), list):
        return state
    return {**empty_state(), "pool": [[now + expiry(ask.seconds), ask.count]]}


def _gone(owner: str, entry: dict) -> bool:
    pid = entry.get("pid")
    if pid == os.getpid():
        return owner not in _OWNERS  # this process, but that window object is no more
    return not _alive(pid)


def _alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    if os.name == "nt":  # on Windows, os.kill(pid, 0) would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _lines(path: Path):
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a crash
                if isinstance(entry, dict):
                    yield entry
    except OSError:
        return


__all__ = ["LocalBackend", "FileSlots"]
