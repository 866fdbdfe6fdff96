"""Sliding-window request counters that enforce documented per-account endpoint limits."""

from __future__ import annotations

import re
import time
from collections import defaultdict, deque

_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$")


def parse_limit(text: str) -> tuple[int, float]:
    """Turn "N/Ss" (or "N/Tm", "N/Tms") into (count, window in seconds)."""
    match = _LIMIT.match(str(text))
    if not match:
        raise ValueError(f"rate limit {text!r} is not of the form N/10s, N/1m or N/500ms")
    count, amount, unit = int(match[1]), float(match[2]), match[3]
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]
    return count, amount * scale


class SlidingWindow:
    """Counts requests per (account, endpoint) key and says whether one more fits in its window."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._hits: dict[tuple, deque] = defaultdict(deque)

    def allow(self, key: tuple, limit: tuple[int, float]) -> bool:
        return SlidingWindow.take(self, key, limit)[0]

    def take(self, key: tuple, limit: tuple[int, float]) -> tuple[bool, int, float]:
        """(fits, requests left in the window after it, when the oldest counted request leaves the window);
        a refused request is not counted."""
        count, window = limit
        now = self._clock()
        hits = self._hits[key]
        while hits and now - hits[0] >= window:
            hits.popleft()
        if len(hits) >= count:
            return False, 0, hits[0] + window
        hits.append(now)
        return True, count - len(hits), now

    def reset(self) -> None:
        self._hits.clear()
