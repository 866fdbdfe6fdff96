"""Bybit's rate limits: rolling windows per UID and endpoint that report the X-Bapi-Limit headers, and per IP."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..ratelimit import SlidingWindow


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


class RollingWindow(SlidingWindow):
    """The shared sliding window on the wall clock, answering in Bybit's terms (its headers carry epoch ms)."""

    def __init__(self, clock=time.time):
        super().__init__(clock)

    def take(self, key: tuple, limit: tuple[int, float]) -> Verdict:
        fits, remaining, reset = super().take(key, limit)
        return Verdict(fits, limit[0], remaining, int(reset * 1000) + (0 if fits else 1))


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
