"""Client-side pacing as the venues count: per venue account (or per IP for public data), across every process on this machine."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import time
import uuid
import weakref
from pathlib import Path

from filelock import FileLock

_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$")
POLL = 0.02  # seconds between looks while only requests in flight (maybe in another process) hold the slots
STALE_IN_FLIGHT = 120.0  # a reservation older than this (its process died mid-request) stops counting as in flight


def parse_limit(text: str) -> tuple[int, float]:
    """"10/2s" -> (10, 2.0); also "5/60s", "5/1m", "100/500ms"."""
    match = _LIMIT.match(str(text))
    if not match or int(match[1]) < 1 or float(match[2]) <= 0:
        raise ValueError(f"rate limit {text!r} is not of the form N/2s, N/1m or N/500ms with N and the time above 0")
    return int(match[1]), float(match[2]) * {"ms": 0.001, "s": 1.0, "m": 60.0}[match[3]]


class SharedWindow:
    """At most `count` requests in any `seconds` for one key, counted by every process on this machine (local backend).

    Each request counts from the moment its answer arrived (the venue saw it before we saw the
    answer, so the next request sent `seconds` after that answer reaches the venue more than
    `seconds` after the first one did: no fudge factor needed). Requests still in flight hold a slot.
    The counts live in a small JSON file beside the locks, read and written under a file lock.
    """

    def __init__(self, directory: Path, key: str, count: int, seconds: float):
        self.count, self.seconds = count, seconds
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", key)[:80] + "-" + hashlib.sha256(key.encode()).hexdigest()[:12]
        self._path = directory / f"{name}.json"
        self._lock = FileLock(str(directory / f"{name}.lock"), thread_local=False)
        self._directory = directory
        self._gate = asyncio.Lock()

    async def acquire(self, on_wait=None) -> str:
        """Reserve a slot; returns the reservation to hand back to `release`.

        Waiters of one process queue in order behind one gate, so only the first of them looks at the
        shared file while the window is full (hundreds of queued requests do not poll it at once).
        """
        token = uuid.uuid4().hex
        async with self._gate:
            while True:
                delay = self._reserve(token)
                if delay == 0.0:
                    return token
                if on_wait and delay > 0:
                    on_wait(delay)
                await asyncio.sleep(delay if delay > 0 else POLL)

    async def release(self, token: str) -> None:
        with self._state() as state:
            state["in_flight"] = [entry for entry in state["in_flight"] if entry[0] != token]
            state["done"].append(time.time())

    async def penalize(self) -> None:
        """The venue said we went over: count the window as full from now (its reset, at the latest)."""
        with self._state() as state:
            now = time.time()
            state["done"] = sorted(state["done"] + [now] * self.count)[-self.count * 2:]

    def _reserve(self, token: str) -> float:
        with self._state() as state:
            now = time.time()
            in_flight, gone, me = [], [], os.getpid()
            for entry in state["in_flight"]:
                alive = entry[2] == me or _alive(entry[2])
                (in_flight if now - entry[1] < STALE_IN_FLIGHT and alive else gone).append(entry)
            # A request whose process died may still have reached the venue: it counts as answered now.
            # Only the newest `count` answers can decide when a slot frees: older ones are dropped.
            done = [t for t in state["done"] + [now] * len(gone) if now - t < self.seconds][-self.count:]
            state["done"], state["in_flight"] = done, in_flight
            used = len(done) + len(in_flight)
            if used < self.count:
                in_flight.append([token, now, os.getpid()])
                return 0.0
            if used - self.count >= len(done):
                return -1.0  # only in-flight requests hold the slots: wait for one to finish
            return done[used - self.count] + self.seconds - now

    class _Open:
        def __init__(self, window: "SharedWindow"):
            self.window = window
            self.state: dict = {}

        def __enter__(self) -> dict:
            window = self.window
            window._directory.mkdir(parents=True, exist_ok=True)
            window._lock.acquire()
            try:
                self.state = json.loads(window._path.read_text())
            except (OSError, ValueError):
                self.state = {}
            self.state.setdefault("done", [])
            self.state.setdefault("in_flight", [])
            return self.state

        def __exit__(self, *exc):
            try:
                temporary = self.window._path.with_suffix(f".{os.getpid()}.tmp")
                temporary.write_text(json.dumps(self.state))
                os.replace(temporary, self.window._path)
            finally:
                self.window._lock.release()

    def _state(self) -> "_Open":
        return SharedWindow._Open(self)


class Pacer:
    """The windows of one venue account: its own endpoints keyed by its identity, public ones by venue host (per IP).

    The windows live in the run's backend (files beside the locks by default, or a shared database).
    """

    def __init__(self, identity: str, limits: dict[str, str], overrides: dict[str, str] | None = None,
                 *, public: set[str] = frozenset(), public_key: str = "", directory: Path | None = None,
                 backend=None):
        if backend is None:
            from .backends.local import LocalBackend
            backend = LocalBackend(rates_directory=directory)
        merged = {**limits, **(overrides or {})}
        self._windows = {endpoint: backend.window(f"{public_key if endpoint in public else identity} {endpoint}",
                                                  *parse_limit(text))
                         for endpoint, text in merged.items()}
        self.on_wait = None  # callback(endpoint, seconds) for progress displays

    def limit(self, endpoint: str) -> tuple[int, float] | None:
        window = self._windows.get(endpoint)
        return (window.count, window.seconds) if window else None

    async def acquire(self, endpoint: str) -> str | None:
        window = self._windows.get(endpoint)
        if window is None:
            return None
        notify = (lambda delay: self.on_wait(endpoint, delay)) if self.on_wait else None
        return await window.acquire(notify)

    async def release(self, endpoint: str, token: str | None) -> None:
        window = self._windows.get(endpoint)
        if window is not None and token is not None:
            await window.release(token)

    async def penalize(self, endpoint: str) -> None:
        window = self._windows.get(endpoint)
        if window is not None:
            await window.penalize()


def _alive(pid: int) -> bool:
    if os.name == "nt":  # on Windows, os.kill(pid, 0) would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


_SHARED: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict]" = weakref.WeakKeyDictionary()


def shared_pacer(identity: str, limits: dict[str, str], overrides: dict[str, str] | None = None, *,
                 backend, **options) -> Pacer:
    """The one pacer of a venue account in this run (the windows behind it are shared across processes)."""
    pacers = _SHARED.setdefault(asyncio.get_running_loop(), {})
    key = (backend.key, identity)
    if key not in pacers:
        pacers[key] = Pacer(identity, limits, overrides, backend=backend, **options)
    return pacers[key]
