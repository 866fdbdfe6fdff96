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


def estimate(changes: list[Change], pacer: Pacer, venue: str) -> dict:
    """The floor the limits allow, and why: per endpoint, every `count` calls beyond the first wait a window.

    Returns {"seconds": s, "why": "..."}; `why` names the limit that takes longest (empty when none waits).
    """
    per_endpoint: dict[str, int] = {}
    for call in unique_calls(changes):
        per_endpoint[call.endpoint] = per_endpoint.get(call.endpoint, 0) + 1
    floor, why = 0.0, ""
    for endpoint, calls in per_endpoint.items():
        limit = pacer.limit(endpoint)
        if not limit:
            continue
        count, window = limit
        seconds = (math.ceil(calls / count) - 1) * window
        if seconds > floor:
            floor = seconds
            why = (f"{venue} accepts {count} {endpoint} calls per {window:g} s, "
                   f"and this plan sends {calls}")
    return {"seconds": floor, "why": why}
