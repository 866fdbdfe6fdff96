"""How long applying a plan must take at least, given the venues' documented rate limits."""

from __future__ import annotations

import math

from .pacing import Pacer
from .plan import Change, touched_symbols


def unique_calls(changes: list[Change]):
    """The calls an apply sends for these changes, once each (one call may carry several changes)."""
    seen = {}
    for change in changes:
        if change.status != "change":
            continue
        for call in change.calls:
            seen.setdefault(call.key(), call)
    return list(seen.values())


def estimate(changes: list[Change], pacer: Pacer, venue: str, reads: dict[str, int] | None = None,
             symbols: int = 0) -> dict:
    """The floor the limits allow for an apply: its writes, then the reads that verify them.

    Per endpoint, every `count` calls beyond the first wait a window; the writes go first, then the
    verification reads what was written to: an endpoint the plan read once per symbol (`reads`, over
    `symbols` symbols) is read again for the touched symbols only, a list endpoint as often as the plan
    read it. Returns {"seconds": s, "why": "..."}; `why` names the limits that take longest (empty when
    none waits).
    """
    writes: dict[str, int] = {}
    for call in unique_calls(changes):
        writes[call.endpoint] = writes.get(call.endpoint, 0) + 1
    if not writes:
        return {"seconds": 0.0, "why": ""}
    touched = touched_symbols(changes)
    share = 1.0 if touched is None or not symbols else len(touched) / symbols
    verifying = {endpoint: math.ceil(count * share) if symbols and count >= symbols else count
                 for endpoint, count in (reads or {}).items()}
    write_floor, write_why = _slowest(writes, pacer, venue, "this plan sends")
    read_floor, read_why = _slowest(verifying, pacer, venue, "verifying reads")
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
