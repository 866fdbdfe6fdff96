"""Request weight per IP as Binance counts it: rolling windows, 429 past the limit, 418 bans for not backing off."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from .world import INTERVAL_SECONDS

FIRST_BAN_S = 120  # GI: bans scale from 2 minutes to 3 days
LONGEST_BAN_S = 3 * 86400
_UNIT = {"SECOND": "S", "MINUTE": "M", "HOUR": "H", "DAY": "D"}


@dataclass
class Verdict:
    """What the meter says about one request: `ok`, `limited` (429) or `banned` (418)."""

    outcome: str
    retry_after: int = 0
    banned_until_ms: int = 0


class WeightMeter:
    """Counts the weight each client address spends in each REQUEST_WEIGHT window of exchangeInfo."""

    def __init__(self, rate_limits: list[dict], clock=time.monotonic):
        self._clock = clock
        self.windows = [(f"X-MBX-USED-WEIGHT-{r['intervalNum']}{_UNIT[r['interval']]}",
                         r["intervalNum"] * INTERVAL_SECONDS[r["interval"]], r["limit"])
                        for r in rate_limits if r["rateLimitType"] == "REQUEST_WEIGHT"]
        self.reset()

    def reset(self) -> None:
        self._spent: dict[str, deque] = defaultdict(deque)
        self._limited_until: dict[str, float] = {}
        self._banned_until: dict[str, float] = {}
        self._bans: dict[str, int] = defaultdict(int)

    def limit_of_minute(self) -> int:
        return next((limit for _, seconds, limit in self.windows if seconds == 60),
                    self.windows[0][2] if self.windows else 0)

    def admit(self, ip: str, weight: int) -> Verdict:
        now = self._clock()
        if self._banned_until.get(ip, 0) > now:
            return self._ban_verdict(ip, now)
        if self._limited_until.get(ip, 0) > now:
            # GI: failing to back off after a 429 gets the IP banned (HTTP 418). Unconfirmed: how many
            # such requests Binance lets through first; we ban on the first one, the strict reading (a
            # client that waits Retry-After is never banned either way).
            self._bans[ip] += 1
            length = min(FIRST_BAN_S * 2 ** (self._bans[ip] - 1), LONGEST_BAN_S)
            self._banned_until[ip] = now + length
            return self._ban_verdict(ip, now)
        spent = self._trim(ip, now)
        waits = [self._wait(spent, now, seconds, limit - weight)
                 for _, seconds, limit in self.windows
                 if self._used(spent, now, seconds) + weight > limit]
        if waits:
            retry = _whole_seconds(max(waits))
            self._limited_until[ip] = now + retry
            return Verdict("limited", retry_after=retry)
        spent.append((now, weight))
        return Verdict("ok")

    def used(self, ip: str) -> dict[str, str]:
        """The X-MBX-USED-WEIGHT-* headers of this address, one per window."""
        now = self._clock()
        spent = self._trim(ip, now)
        return {name: str(self._used(spent, now, seconds)) for name, seconds, _ in self.windows}

    def _ban_verdict(self, ip: str, now: float) -> Verdict:
        until = self._banned_until[ip]
        return Verdict("banned", retry_after=_whole_seconds(until - now),
                       banned_until_ms=int((time.time() + (until - now)) * 1000))

    def _trim(self, ip: str, now: float) -> deque:
        spent = self._spent[ip]
        longest = max((seconds for _, seconds, _ in self.windows), default=0)
        while spent and now - spent[0][0] >= longest:
            spent.popleft()
        return spent

    @staticmethod
    def _used(spent: deque, now: float, seconds: float) -> int:
        return sum(weight for at, weight in spent if now - at < seconds)

    @staticmethod
    def _wait(spent: deque, now: float, seconds: float, room: int) -> float:
        """Seconds until the weight still counted in this window is at most `room`."""
        inside = [(at, weight) for at, weight in spent if now - at < seconds]
        total = sum(weight for _, weight in inside)
        for at, weight in inside:
            total -= weight
            if total <= room:
                return at + seconds - now
        return seconds  # a single request heavier than the whole limit


def _whole_seconds(seconds: float) -> int:
    """Seconds for Retry-After, rounded up, at least 1 (float noise below a millisecond ignored)."""
    return max(1, math.ceil(round(seconds, 3)))
