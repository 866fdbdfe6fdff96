"""The yardstick: the fewest reads and writes the venues' endpoints allow, and the floor the documented limits
force, all from first principles and bench/venue_limits.py, never from the adapters."""

from __future__ import annotations

import math
from collections import Counter

from .venue_limits import account_limits, window_floor
from .world import Drift


def min_reads(venue: str, desired: dict, world: dict) -> Counter:
    """The fewest GETs that read everything a plan needs, per endpoint, given the venue's batch endpoints."""
    symbols = desired["symbols"]
    need = Counter()
    if venue == "bitget":
        # contracts: one call per productType lists them all (min/max leverage).
        # account/account: margin mode and leverages exist only per symbol; Bitget has no batch form
        #   (account/accounts carries no leverage or marginMode; isolated-symbols no leverage): 1 per symbol.
        # all-position: every position of the product line (and margin coin) in one call.
        # Pending orders: the English pages return only `live` orders without a status and only three months
        # per query, so each of 3 spans of 90 days (270 days, the adapter's chosen lookback) is read per
        # status (live, partially_filled) and per planType (normal_plan, track_plan, profit_loss); the world's
        # orders are all live and recent: 1 per 100 of them in the newest span, 1 for every other read.
        orders = len(world["bitget"]["accounts"][0]["orders"])
        spans = 3
        need["GET /api/v2/mix/market/contracts"] = 1
        need["GET /api/v2/mix/account/account"] = len(symbols)
        need["GET /api/v2/mix/position/all-position"] = 1
        need["GET /api/v2/mix/order/orders-pending"] = 2 * spans - 1 + max(1, math.ceil(orders / 100))
        need["GET /api/v2/mix/order/orders-plan-pending"] = spans * 3
    elif venue == "okx":
        # account/config: 1 (position mode, transfer mode).
        # public/instruments: instType is required, one call per instType the file uses.
        # leverage-info: 20 instIds per call, one mgnMode per call and (the adapter's choice, since okx.md 4.2
        #   is silent on mixing them) one instrument type per call: ceil(n/20) per (mode, type) used.
        # positions: all open positions in one call (no filter). orders-pending: 1 per 100 orders.
        # orders-algo-pending: ordType is required; only conditional+oco share a call: 6 calls
        #   (conditional,oco / trigger / move_order_stop / iceberg / twap / chase).
        def kind(inst_id: str) -> str:  # okx.md 3: X-Y-SWAP, X-Y-YYMMDD, X-Y
            return "SWAP" if inst_id.endswith("-SWAP") else "MARGIN" if inst_id.count("-") == 1 else "FUTURES"

        kinds = {kind(s) for s in symbols}
        per_mode = Counter((spec["margin_mode"], kind(s)) for s, spec in symbols.items())
        orders = len(world["okx"]["accounts"][0]["orders"])
        need["GET /api/v5/account/config"] = 1
        need["GET /api/v5/public/instruments"] = len(kinds)
        need["GET /api/v5/account/leverage-info"] = sum(math.ceil(c / 20) for c in per_mode.values())
        need["GET /api/v5/account/positions"] = 1
        need["GET /api/v5/trade/orders-pending"] = max(1, math.ceil(orders / 100))
        need["GET /api/v5/trade/orders-algo-pending"] = 6
    else:
        # public/info: every symbol (max leverage from base_imr) in one call. client/margin_modes and
        # client/leverages: every symbol's setting in one call each. positions: 1. orders: 1 per 500.
        orders = len(world["orderly"]["accounts"][0]["orders"])
        need["GET /v1/public/info"] = 1
        need["GET /v1/client/margin_modes"] = 1
        need["GET /v1/client/leverages"] = 1
        need["GET /v1/positions"] = 1
        need["GET /v1/orders"] = max(1, math.ceil(orders / 500))
        need["GET /v1/algo/orders"] = 1  # algo orders (TP/SL, stop) carry a margin mode and block: 1 per 500
    return need


def min_writes(drift: Drift, venue: str) -> Counter:
    """The writes a perfect planner sends for the injected drift, per endpoint."""
    return Counter(endpoint for item in drift.of(venue) for endpoint in item["writes"])


def endpoints_floor(calls: Counter, limits: dict[str, tuple[int, float]]) -> tuple[float, str]:
    """The slowest endpoint's window floor for these calls, and which endpoint and limit it is."""
    floor, why = 0.0, ""
    for endpoint, sent in calls.items():
        if endpoint not in limits:
            raise SystemExit(f"bench/venue_limits.py has no documented limit for {endpoint}")
        seconds = window_floor(sent, *limits[endpoint])
        if seconds > floor:
            floor, why = seconds, f"{endpoint}: {sent} calls at {limits[endpoint][0]}/{limits[endpoint][1]:g}s"
    return floor, why


def verify_spec(venue: str, spec: dict, drift: Drift) -> dict:
    """The part of the desired state verification must read again: the symbols written to."""
    touched = {item["symbol"] for item in drift.of(venue)}
    return {**spec, "symbols": {s: v for s, v in spec["symbols"].items() if s in touched}}


def account_floor(venue: str, spec: dict, drift: Drift, world: dict, round_trip: float) -> dict:
    """The least time apply can take on one account, from the documented limits (and the account's
    overrides): its writes at their endpoints' limits and the verification reads of the symbols written to at
    theirs (other endpoints: a symbol can be read back while others' writes still wait, so the slower of the
    two), plus the network round trips that cannot overlap the windows: one per write in the longest chain a
    symbol needs in order (margin mode before leverage), and the read that verifies it."""
    limits = account_limits(venue, spec.get("rate_limits"))
    write_floor, write_why = endpoints_floor(min_writes(drift, venue), limits)
    read_floor, read_why = endpoints_floor(min_reads(venue, verify_spec(venue, spec, drift), world), limits)
    plan_floor, _ = endpoints_floor(min_reads(venue, spec, world), limits)
    chain = max((len(item["writes"]) for item in drift.of(venue)), default=0)
    return {"floor_seconds": round(max(write_floor, read_floor) + (chain + 1) * round_trip, 3),
            "plan_floor_seconds": round(plan_floor + round_trip, 3),  # every read, once
            "write_floor_seconds": round(write_floor, 3), "write_floor_why": write_why,
            "verify_floor_seconds": round(read_floor, 3), "verify_floor_why": read_why,
            "round_trip_seconds": round_trip}


# --- call logs --------------------------------------------------------------------------------------------
def count(calls: list[dict], *, gets: bool | None = None) -> Counter:
    return Counter(f"{c['method']} {c['path']}" for c in calls
                   if gets is None or (c["method"] == "GET") == gets)


def rate_limited(calls: list[dict]) -> int:
    return sum(1 for c in calls if c.get("status") == 429 or str(c.get("code")) in ("429", "50011", "-1003"))


