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


def estimate(changes: list[Change], pacer: Pacer, venue: str, reads: dict[str, int] | None = None) -> dict:
    """The floor the limits allow for an apply: its writes, then the reads that verify them.

    Per endpoint, every `count` calls beyond the first wait a window; the writes go first, then the
    verification reads the account (as many as the plan's own reads, `reads`). Returns
    {"seconds": s, "why": "..."}; `why` names the limits that take longest (empty when none waits).
    """
    writes: dict[str, int] = {}
    for call in unique_calls(changes):
        writes[call.endpoint] = writes.get(call.endpoint, 0) + 1
    if not writes:
        return {"seconds": 0.0, "why": ""}
    write_floor, write_why = _slowest(writes, pacer, venue, "this plan sends")
    read_floor, read_why = _slowest(reads or {}, pacer, venue, "verifying reads")
    return {"seconds": write_floor + read_floor, "why": " and ".join(why for why in (write_why, read_why) if why)}


def _slowest(calls_per_endpoint: dict[str, int], pacer: Pacer, venue: str, what: str) -> tuple[float, str]:
    floor, why = 0.0, ""
    for endpoint, calls in calls_per_endpoint.items():
        limit = pacer.limit(endpoint)
        if not limit:
            continue
        count, window = limit
        seconds = (math.ceil(calls / count) - 1) * window
        if seconds > floor:
            floor = seconds
            why = f"{venue} accepts {count} {endpoint} calls per {window:g} s, and {what} {calls}"
    return floor, why
