"""The local backend: lock, rate-window and applied-plan files beside each other; the JSON-lines journal and runs."""

from __future__ import annotations

import json
import random
import time
from contextlib import asynccontextmanager
from pathlib import Path

from filelock import FileLock

from ..intents import LocalIntents
from ..journal import DEFAULT_JOURNAL, Journal
from ..lock import AccountLocks, lock_dir
from ..pacing import SharedWindow
from .base import Backend, RunRecord
from .history import matching


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

    def window(self, key: str, count: int, seconds: float) -> SharedWindow:
        return SharedWindow(self.rates, key, count, seconds)

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


__all__ = ["LocalBackend"]
