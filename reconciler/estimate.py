"""How long applying a plan must take at least, given the venues' documented rate limits."""

from __future__ import annotations

import math

from .pacing import Pacer
from .plan import Change


def unique_calls(changes: list[Change]):
    """The calls an apply sends for these changes, once each (one call may carry several changes)."""
    seen = {}
    for change in changes:
        if change.status != "change":
            continue
        for call in change.calls:
            seen.setdefault(call.key(), call)
    return list(seen.values())


def estimate_seconds(changes: list[Change], pacer: Pacer) -> float:
    """The floor the limits allow: per endpoint, every `count` calls beyond the first batch wait a window."""
    per_endpoint: dict[str, int] = {}
    for call in unique_calls(changes):
        per_endpoint[call.endpoint] = per_endpoint.get(call.endpoint, 0) + 1
    floor = 0.0
    for endpoint, calls in per_endpoint.items():
        limit = pacer.limit(endpoint)
        if limit:
            count, window = limit
            floor = max(floor, (math.ceil(calls / count) - 1) * window)
    return floor
