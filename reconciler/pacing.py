"""Client-side pacing: never more requests per endpoint and account than the venue's window allows."""

from __future__ import annotations

import asyncio
import re
import time
import weakref
from collections import deque

_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$")


def parse_limit(text: str) -> tuple[int, float]:
    """"10/2s" -> (10, 2.0); also "5/60s", "5/1m", "100/500ms"."""
    match = _LIMIT.match(str(text))
    if not match:
        raise ValueError(f"rate limit {text!r} is not of the form N/2s, N/1m or N/500ms")
    return int(match[1]), float(match[2]) * {"ms": 0.001, "s": 1.0, "m": 60.0}[match[3]]


class Window:
    """At most `count` requests in any `seconds`, counting each from the moment its answer arrived.

    Counting from the answer (not from the send) is what makes this safe without a fudge factor: the
    venue saw the request before we saw its answer, so the next request we send after `seconds` from
    that answer reaches the venue more than `seconds` after the first one did.
    """

    def __init__(self, count: int, seconds: float, clock=time.monotonic):
        self.count, self.seconds = count, seconds
        self._clock = clock
        self._done: deque[float] = deque()
        self._in_flight = 0
        self._changed = asyncio.Condition()

    def _delay(self) -> float:
        now = self._clock()
        while self._done and now - self._done[0] >= self.seconds:
            self._done.popleft()
        if len(self._done) + self._in_flight < self.count:
            return 0.0
        if len(self._done) + self._in_flight - self.count >= len(self._done):
            return -1.0  # only in-flight requests hold the slots: wait for one to finish
        oldest_needed = self._done[len(self._done) + self._in_flight - self.count]
        return oldest_needed + self.seconds - now

    async def acquire(self, on_wait=None) -> None:
        async with self._changed:
            while (delay := self._delay()) != 0.0:
                if on_wait:
                    on_wait(delay)
                try:
                    await asyncio.wait_for(self._changed.wait(), timeout=None if delay < 0 else delay)
                except asyncio.TimeoutError:
                    pass
            self._in_flight += 1

    async def release(self) -> None:
        async with self._changed:
            self._in_flight -= 1
            self._done.append(self._clock())
            self._changed.notify_all()


class Pacer:
    """One window per endpoint of one account, from the venue's documented limits and the overrides."""

    def __init__(self, limits: dict[str, str], overrides: dict[str, str] | None = None):
        merged = {**limits, **(overrides or {})}
        self._windows = {endpoint: Window(*parse_limit(text)) for endpoint, text in merged.items()}
        self.on_wait = None  # callback(endpoint, seconds) for progress displays

    def window(self, endpoint: str) -> Window | None:
        return self._windows.get(endpoint)

    def limit(self, endpoint: str) -> tuple[int, float] | None:
        window = self._windows.get(endpoint)
        return (window.count, window.seconds) if window else None

    async def acquire(self, endpoint: str) -> None:
        window = self._windows.get(endpoint)
        if window:
            notify = (lambda delay: self.on_wait(endpoint, delay)) if self.on_wait else None
            await window.acquire(notify)

    async def release(self, endpoint: str) -> None:
        window = self._windows.get(endpoint)
        if window:
            await window.release()


_SHARED: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict]" = weakref.WeakKeyDictionary()


def shared_pacer(account_key: tuple, limits: dict[str, str], overrides: dict[str, str] | None = None) -> Pacer:
    """The one pacer of an account in this run, so that plan, apply and verification share its windows."""
    pacers = _SHARED.setdefault(asyncio.get_running_loop(), {})
    if account_key not in pacers:
        pacers[account_key] = Pacer(limits, overrides)
    return pacers[account_key]
