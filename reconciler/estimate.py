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
    """How long an apply of these changes takes at least: the plan it makes again, its writes, then the reads
    that verify them.

    Apply plans again under the lock (from a saved plan, and after the yes of `apply FILE`), so the plan's
    reads (`reads`: calls per endpoint, over `symbols` symbols) come first; then the writes, and verification
    reads what was written to: an endpoint read once per symbol is read again for the touched symbols only, a
    list endpoint as often as the plan read it. Per endpoint, every `count` calls beyond the first wait a
    window. Each symbol is read back as soon as its own writes are done, so the writes and the verification
    overlap (the slower of the two counts), except after an account setting is written: then the whole
    account is read back after the last write. Returns {"seconds", "why"} (`why` names the
    limits that take longest; empty when none waits) and, for progress displays, each phase's seconds
    and calls: "plan_seconds", "write_seconds", "verify_seconds", "plan_reads", "writes", "verify_reads".
    """
    writes: dict[str, int] = {}
    for call in unique_calls(changes):
        writes[call.endpoint] = writes.get(call.endpoint, 0) + 1
    if not writes:
        return {"seconds": 0.0, "why": ""}
    reads = reads or {}
    touched = touched_symbols(changes)
    share = 1.0 if touched is None or not symbols else len(touched) / symbols
    verifying = {endpoint: math.ceil(count * share) if symbols and count >= symbols else count
                 for endpoint, count in reads.items()}
    plan_floor, plan_why = _slowest(reads, pacer, venue, "planning again reads")
    write_floor, write_why = _slowest(writes, pacer, venue, "this plan sends")
    read_floor, read_why = _slowest(verifying, pacer, venue, "verifying reads")
    applying = write_floor + read_floor if touched is None else max(write_floor, read_floor)
    return {"seconds": plan_floor + applying,
            "why": "; then ".join(why for why in (plan_why, write_why, read_why) if why),
            "plan_seconds": plan_floor, "write_seconds": write_floor, "verify_seconds": read_floor,
            "plan_reads": sum(reads.values()), "writes": sum(writes.values()), "verify_reads": sum(verifying.values())}


def whole_run(estimates: dict[str, dict], identities: dict[str, str] | None = None) -> dict:
    """How long applying every account of a plan takes at least: each account writes as soon as its own plan
    is read, so the slowest account's plan and apply; accounts that are one venue account (`identities`:
    account -> venue identity) are checked together, so each waits for the slowest plan among them.

    Returns {"seconds", "slowest": the account (or accounts, joined by " and ") that takes it, "reviewed": the
    seconds of a reviewed plan (saved, or said yes to), which is sent whole: every account read, then each
    account's apply}.
    """
    groups: dict[str, list[str]] = {}
    for account, expected in estimates.items():
        if expected.get("seconds"):
            groups.setdefault((identities or {}).get(account) or account, []).append(account)
    slowest, seconds = None, 0.0
    for accounts in groups.values():
        reading = max(estimates[a].get("plan_seconds", 0.0) for a in accounts)
        applying = max(estimates[a]["seconds"] - estimates[a].get("plan_seconds", 0.0) for a in accounts)
        if reading + applying > seconds:
            slowest, seconds = " and ".join(accounts), reading + applying
    slow = [e for e in estimates.values() if e.get("seconds")]
    reviewed = (max((e.get("plan_seconds", 0.0) for e in slow), default=0.0)
                + max((e["seconds"] - e.get("plan_seconds", 0.0) for e in slow), default=0.0))
    return {"seconds": seconds, "slowest": slowest, "reviewed": reviewed}


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
