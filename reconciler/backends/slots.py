"""The shared record of one rate window's slots, and the rule every backend applies to it in one round trip."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

STALE_IN_FLIGHT = 120.0  # an owner silent for longer than this (and two periods) stops holding its slots


def expiry(seconds: float) -> float:
    """How long an owner that stopped exchanging still holds its slots: past this they count as answered."""
    return max(STALE_IN_FLIGHT, 2 * seconds + 60.0)


@dataclass
class Ask:
    """What one owner brings to an exchange.

    `idle`: the slots it holds that are not in flight, as [seconds until usable, how many] (0: usable now),
    all handed in; `in_flight`: the slots its requests on the wire hold (kept). `active`: it is sending
    (it keeps its fair share and may take more); otherwise it hands back everything but what is in flight.
    `penalty`: the venue said the limit is spent: no slot of the window is usable for that many seconds.
    """

    owner: str
    count: int
    seconds: float
    idle: list[list] = field(default_factory=list)
    in_flight: int = 0
    active: bool = True
    penalty: float = 0.0
    pid: int = 0  # the owner's process, for the local backend to tell later whether it is gone


@dataclass
class Answer:
    """What the owner holds after the exchange, and what it may know of the others."""

    idle: list[list]  # [seconds until usable, how many]
    others_busy: int = 0  # slots other owners reported in use (in flight or counting from an answer)
    waiting: int = 0  # other owners sending, among whom the window is shared
    blocked: float = 0.0  # seconds until a rate-limit answer stops holding the whole window
    retry: float = -1.0  # seconds until the soonest other owner holding slots exchanges again (-1: none holds any)


def empty_state() -> dict:
    """A window nobody has used: no owner, nothing handed back, not blocked."""
    return {"owners": {}, "pool": [], "blocked": 0.0}


def settle(state: dict, ask: Ask, now: float, gone) -> Answer:
    """Apply one exchange to `state` (changed in place) at time `now`; `gone(owner, entry)` says an owner died.

    The window has `count` slots. Each is held by one owner (usable, in flight, or counting from its answer),
    or handed back into the pool (usable again at its time), or free. A slot serves one request from its
    send until a period after its answer, whoever holds it, so all owners together never exceed the window.
    An owner sending keeps at most its fair share while others send too (the smallest count among them,
    split evenly), hands back the rest (soonest usable first) and takes free or pooled slots up to its share.
    """
    owners, seconds = state.setdefault("owners", {}), ask.seconds
    pool = [entry for entry in state.get("pool", []) if entry[0] > now]
    for name in [name for name in owners if name != ask.owner]:
        if now - owners[name]["at"] > expiry(seconds) or gone(name, owners[name]):
            pool += release_gone(owners.pop(name), now, seconds)
    blocked = state.get("blocked", 0.0)
    if ask.penalty > 0:
        blocked = max(blocked, now + ask.penalty)
    if blocked > now:
        pool = [[max(at, blocked), n] for at, n in pool]
    else:
        blocked = 0.0
    floor = max(now, blocked)
    mine = sorted([max(now + max(float(wait), 0.0), floor), int(n)] for wait, n in ask.idle if int(n) > 0)
    if owners.pop(ask.owner, None) is None and (mine or ask.in_flight):
        mine = []  # its lease expired (its slots went back, as answered then): what it still holds is not its own
    held = sum(n for _, n in mine) + ask.in_flight
    others_held = sum(entry["held"] for entry in owners.values())
    sending = [entry for entry in owners.values() if entry["active"]]

    if not ask.active:
        pool += [entry for entry in mine if entry[0] > now]
        mine = []
    else:
        target = ask.count
        if sending:
            target = math.ceil(min([ask.count] + [entry["count"] for entry in sending]) / (len(sending) + 1))
        if held > target:
            excess = held - target
            kept = []
            for at, n in mine:  # the soonest usable go back: whoever waits for them can start soonest
                given = min(excess, n)
                excess -= given
                if given and at > now:
                    pool.append([at, given])
                if n - given:
                    kept.append([at, n - given])
            mine = kept
        elif held < target:
            wanted = min(target - held, ask.count - others_held - held)
            free = ask.count - others_held - sum(n for _, n in pool) - held
            taken = max(0, min(wanted, free))
            if taken:
                mine.append([floor, taken])
            wanted -= taken
            pool.sort()
            while wanted > 0 and pool:
                at, n = pool[0]
                given = min(wanted, n)
                mine.append([at, given])
                wanted -= given
                if given == n:
                    pool.pop(0)
                else:
                    pool[0] = [at, n - given]

    held = sum(n for _, n in mine) + ask.in_flight
    if held or ask.active:
        owners[ask.owner] = {"at": now, "held": held, "count": ask.count, "active": ask.active,
                             "busy": ask.in_flight + sum(n for at, n in mine if at > now), "pid": ask.pid,
                             "seconds": seconds}
    state["pool"] = merged(pool)
    state["blocked"] = blocked
    return Answer(idle=_waits(mine, now),
                  others_busy=sum(entry.get("busy", 0) for name, entry in owners.items() if name != ask.owner)
                  + sum(n for _, n in state["pool"]),
                  waiting=len(sending), blocked=max(0.0, blocked - now),
                  retry=max(0.0, min(holders) + seconds - now) if (holders := [
                      entry["at"] for name, entry in owners.items() if name != ask.owner and entry["held"]]) else -1.0)


def _waits(slots: list[list], now: float) -> list[list]:
    """[seconds until usable, how many] of `slots` ([time, n]): those usable now wait 0, not the millisecond
    `merged` rounds their time up to (a wait that would hold a request back for a timer's turn)."""
    ready = sum(n for at, n in slots if at <= now)
    return ([[0.0, ready]] if ready else []) + [[at - now, n] for at, n in merged(s for s in slots if s[0] > now)]


def release_gone(entry: dict, now: float, seconds: float) -> list[list]:
    """What an owner that is gone held, back in the pool: its requests may have reached the venue just now."""
    return [[now + entry.get("seconds", seconds), entry["held"]]] if entry["held"] else []


def merged(entries) -> list[list]:
    """[time, n] pairs sorted, those of one time (to the millisecond, rounded up) added together."""
    out: list[list] = []
    for at, n in sorted([math.ceil(at * 1000) / 1000, n] for at, n in entries if n > 0):
        if out and out[-1][0] == at:
            out[-1][1] += n
        else:
            out.append([at, n])
    return out
