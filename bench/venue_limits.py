"""The venues' documented rate limits (each venue package's limits.py, written from its documents), and floors.

Each line names where it was read: a section of /work/shared/venues/*.md (which cites the venue's own
page) or a page in /work/shared/seeds/. The benchmark takes its floors from here and
tests/test_venue_limits.py checks every adapter's pacing against it, so a wrong limit in an adapter
fails a test instead of being the yardstick it is measured with.
"""

from __future__ import annotations

import math
import re

from reconciler.venues.documented import Limit
from reconciler.venues.registry import adapter_class, supported_venues


VENUE_LIMITS: dict[str, dict[str, Limit]] = {venue: adapter_class(venue).documented_limits
                                             for venue in supported_venues()}


_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$")


def parse_limit(text: str) -> tuple[int, float]:
    """"10/2s" -> (10, 2.0); also "5/1m" and "100/500ms" (the form of the files' `rate_limits`)."""
    match = _LIMIT.match(str(text))
    if not match:
        raise ValueError(f"rate limit {text!r} is not of the form N/2s, N/1m or N/500ms")
    return int(match[1]), float(match[2]) * {"ms": 0.001, "s": 1.0, "m": 60.0}[match[3]]


def account_limits(venue: str, overrides: dict[str, str] | None = None) -> dict[str, tuple[int, float]]:
    """(count, seconds) per endpoint for one account: the documents, then the account's own overrides
    (a VIP tier the venue granted, written in the file's `rate_limits`)."""
    limits = {endpoint: (limit.count, limit.seconds) for endpoint, limit in VENUE_LIMITS[venue].items()}
    limits.update({endpoint: parse_limit(text) for endpoint, text in (overrides or {}).items()})
    return limits


def most_in_window(count: int, seconds: float, window: float) -> int:
    """The most requests a pacer of `count` per `seconds` lets through in any span of `window` seconds."""
    return count * math.ceil(window / seconds - 1e-9)


def not_looser(paced: tuple[int, float], documented: Limit) -> bool:
    """True when pacing to `paced` never sends more than the document allows in any of its windows."""
    return most_in_window(*paced, documented.seconds) <= documented.count


def window_floor(calls: int, count: int, seconds: float) -> float:
    """The least time `calls` requests take under `count` per `seconds`: the first `count` go at once,
    every further `count` waits a window."""
    return (math.ceil(calls / count) - 1) * seconds if calls > 0 else 0.0
