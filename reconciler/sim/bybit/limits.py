"""Bybit's rate limits: rolling windows per UID and endpoint that report the X-Bapi-Limit headers, and per IP."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """Whether a request fits its window, and what Bybit's headers say about that window."""

    allowed: bool
    limit: int
    remaining: int
    reset_ms: int

    def headers(self) -> dict[str, str]:
        # DOCS rate-limit.mdx: the limit, what remains, and when an exceeded limit resets (else "now").
        return {"X-Bapi-Limit": str(self.limit), "X-Bapi-Limit-Status": str(self.remaining),
                "X-Bapi-Limit-Reset-Timestamp": str(self.reset_ms)}


class RollingWindow:
    """Counts requests per key over a rolling window; a refused request is not counted."""

    def __init__(self, clock=time.time):
        self._clock = clock
        self._hits: dict[tuple, deque] = defaultdict(deque)

    def take(self, key: tuple, limit: tuple[int, float]) -> Verdict:
        count, window = limit
        now = self._clock()
        hits = self._hits[key]
        while hits and now - hits[0] >= window:
            hits.popleft()
        if len(hits) >= count:
            return Verdict(False, count, 0, int((hits[0] + window) * 1000) + 1)
        hits.append(now)
        return Verdict(True, count, count - len(hits), int(now * 1000))

    def reset(self) -> None:
        self._hits.clear()


class IpGate:
    """The per-IP limit: over it, every request from that address is refused until its ban ends.

    DOCS rate-limit.mdx: 600 requests per 5 s per IP; "403, access too frequent" means to stop and wait at
    least 10 minutes, after which the ban is lifted automatically.
    """

    def __init__(self, window: RollingWindow, clock=time.time):
        self._window = window
        self._clock = clock
        self._banned_until: dict[str, float] = {}

    def allow(self, ip: str, limit: tuple[int, float], ban_seconds: float) -> bool:
        if self._banned_until.get(ip, 0.0) > self._clock():
            return False
        if self._window.take(("ip", ip), limit).allowed:
            return True
        self._banned_until[ip] = self._clock() + ban_seconds
        return False

    def reset(self) -> None:
        self._banned_until.clear()
