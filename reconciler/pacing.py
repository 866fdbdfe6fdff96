"""Client-side pacing as the venues count: windows kept in memory, exchanged with the backend at most once a period."""

from __future__ import annotations

import asyncio
import os
import re
import time
import uuid
import weakref
from collections import deque
from pathlib import Path

_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$")
POLL = 0.02  # seconds: the shortest wait between two exchanges of a window whose period is shorter
STALE_IN_FLIGHT = 120.0  # a reservation older than this (its process died mid-request) stops counting as in flight


def parse_limit(text: str) -> tuple[int, float]:
    """"10/2s" -> (10, 2.0); also "5/60s", "5/1m", "100/500ms"."""
    match = _LIMIT.match(str(text))
    if not match or int(match[1]) < 1 or float(match[2]) <= 0:
        raise ValueError(f"rate limit {text!r} is not of the form N/2s, N/1m or N/500ms with N and the time above 0")
    return int(match[1]), float(match[2]) * {"ms": 0.001, "s": 1.0, "m": 60.0}[match[3]]


def new_owner() -> str:
    """Who holds a window's slots in the backend: this process (for liveness) and this window object."""
    return f"{os.getpid()}-{uuid.uuid4().hex[:12]}"


class SyncedWindow:
    """At most `count` requests in any `seconds` for one key, counted by every run that shares the backend.

    Each request counts from the moment its answer arrived (the venue saw it before we saw the
    answer, so the next request sent `seconds` after that answer reaches the venue more than
    `seconds` after the first one did: no fudge factor needed); requests in flight hold a slot.

    The counting is done here, in memory. The backend (`slots`, whose `exchange` is one round trip)
    holds every run's slots: in one exchange this window reports the answers it saw since the last
    one, keeps its requests still in flight, gives back the slots it did not use and takes the free
    slots it may use next (a fair share when several runs use the key). Between exchanges it sends
    only on slots it holds, so the runs together never exceed the window; it exchanges at most once
    a period (and once more when the run ends, to hand back what it holds).
    """

    def __init__(self, slots, count: int, seconds: float):
        self.count, self.seconds = count, seconds
        self._slots = slots
        self._granted = 0  # slots held in the backend and not used yet
        self._in_flight = 0
        self._unreported: list[float] = []  # answer times the backend has not been told
        self._answered: deque[float] = deque()  # our answers of the last period (their slots are still taken)
        self._last = float("-inf")  # time of the last exchange
        self._idle = True  # the last exchange handed everything back: the next may come at once
        self._retry_at = float("-inf")  # the backend said no slot frees before then
        self._gate = asyncio.Lock()  # this process's waiters queue in order; only the first drives exchanges
        self._exchanging = asyncio.Lock()
        self._flush: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task | None = None

    async def acquire(self, on_wait=None) -> str:
        """Reserve a slot (waiting as needed); returns the reservation to hand back to `release`."""
        async with self._gate:
            while self._granted == 0:
                delay = self._due() - time.time()
                if delay <= 0:
                    await self._exchange(self.count)
                    continue
                if on_wait:
                    on_wait(delay)
                await asyncio.sleep(delay)
            self._granted -= 1
            self._in_flight += 1
            return "slot"

    async def release(self, token: str) -> None:
        """The request's answer arrived: its slot counts from now, for a period."""
        self._in_flight -= 1
        self._answered_at(time.time())
        self._schedule_flush()

    async def penalize(self) -> None:
        """The venue said we went over: count the window as full from now (its reset, at the latest)."""
        self._granted = 0
        now = time.time()
        for _ in range(self.count):
            self._answered_at(now)
        self._schedule_flush()

    async def close(self) -> None:
        """Hand back unused slots and report the last answers (the run ends; the window may be used again)."""
        if self._flush:
            self._flush.cancel()
            self._flush = None
        if self._granted or self._unreported:
            try:
                await self._exchange(0)
            except Exception:  # the backend is gone: the run's slots count as answered when that is noticed
                pass

    def _answered_at(self, moment: float) -> None:
        self._unreported.append(moment)
        self._answered.append(moment)

    def _due(self) -> float:
        """When the next exchange may happen: a period after the last, and not before our own slots free."""
        while self._answered and self._answered[0] <= time.time() - self.seconds:
            self._answered.popleft()
        if self._idle:
            return self._retry_at
        # When our own requests fill the window, no slot frees before our newest answer is a period old.
        full = self._answered and len(self._answered) + self._in_flight >= self.count
        mine = self._answered[-1] + self.seconds if full else 0.0
        return max(self._last + max(self.seconds, POLL), self._retry_at, mine)

    async def _exchange(self, want: int) -> None:
        async with self._exchanging:
            now = time.time()
            ages = [now - moment for moment in self._unreported]
            granted, wait = await self._slots.exchange(ages=ages, in_flight=self._in_flight, want=want,
                                                       count=self.count, seconds=self.seconds)
            self._unreported = []
            self._granted = granted
            self._idle = want == 0 and not self._in_flight
            self._last = time.time()
            self._retry_at = self._last + wait if wait > 0 else float("-inf")
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        """Unused slots and unreported answers go back a period after the last exchange, if nobody asks first."""
        if self._flush is not None or not (self._granted or self._unreported):
            return
        delay = max(self._last + self.seconds - time.time(), 0.0)
        self._flush = asyncio.get_running_loop().call_later(delay, self._flush_now)

    def _flush_now(self) -> None:
        self._flush = None
        if self._gate.locked():
            return  # a waiter is driving the exchanges
        self._flushing = asyncio.ensure_future(self._quiet_exchange())

    async def _quiet_exchange(self) -> None:
        try:
            await self._exchange(0)
        except Exception:  # nobody waits on this one: the next exchange meets the same failure and says so
            pass


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

    async def close(self) -> None:
        """The run ends: every window hands back what it holds."""
        for window in self._windows.values():
            await window.close()


_SHARED: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict]" = weakref.WeakKeyDictionary()


def shared_pacer(identity: str, limits: dict[str, str], overrides: dict[str, str] | None = None, *,
                 backend, **options) -> Pacer:
    """The one pacer of a venue account in this run (the windows behind it are shared across processes)."""
    pacers = _SHARED.setdefault(asyncio.get_running_loop(), {})
    key = (backend.key, identity)
    if key not in pacers:
        pacers[key] = Pacer(identity, limits, overrides, backend=backend, **options)
    return pacers[key]
