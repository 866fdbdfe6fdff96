#!/usr/bin/env python3
"""Benchmark of plan and apply against the simulator, and of a ccxt baseline (issue 5, item 9).

One run, one process:

1. builds a world with the three venues and N symbols each (60 by default, 25 with --quick), half of
   them drifted (leverage, margin mode, isolated margin, an OKX futures family), and the matching
   desired-state file (environment sim, base_url = the simulator);
2. starts the simulator in-process (127.0.0.1, a free port);
3. plans: time, reads sent (GETs in the simulator's call log) against the minimum the venues' batch
   endpoints allow (`min_reads`, from first principles per venue, below);
4. applies the plan: time, writes sent against the minimum the injected drift needs (`min_writes`,
   computed from the drift, not from the plan), and the floor the documented limits force
   (`floor_seconds`); then checks that a second plan has nothing left to change;
5. runs the baseline on a fresh simulator with the same world: a ccxt script that, sequentially, for
   every symbol of every venue sets margin mode and leverage unconditionally, with ccxt's own limiter;
6. prints a table, or with --json one JSON object and nothing else on stdout.

Orderly documents 5 leverage writes per 60 s. With many drifted Orderly leverages any run would take
minutes, so the Orderly account models a VIP tier: a `rate_limits` override for its leverage write
(`--orderly-leverage-limit`, default 5/10s) in the desired-state file AND in the world's top-level
`rate_limits`, so the simulator enforces what the reconciler paces to. ccxt's limiter for the baseline
is given the same tier (its cost for that endpoint is scaled to it), which favours the baseline.

    python bench/run.py --quick --json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import math
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import base58  # noqa: E402
import yaml  # noqa: E402
from nacl.signing import SigningKey  # noqa: E402

from reconciler import api  # noqa: E402
from reconciler.pacing import parse_limit  # noqa: E402
from reconciler.sim.server import SimServer  # noqa: E402
from reconciler.venues.registry import adapter_class  # noqa: E402

VENUES = ("bitget", "okx", "orderly")
ACCOUNTS = {"bitget": "bg", "okx": "ox", "orderly": "ol"}

BG_KEY = {"api_key": "bench-bg-key", "secret": "bench-bg-secret", "passphrase": "bench-bg-pass", "uid": "2001"}
OX_KEY = {"api_key": "bench-ox-key", "secret": "bench-ox-secret", "passphrase": "bench-ox-pass", "uid": "1001"}
OL_SIGNING_KEY = SigningKey(bytes(range(101, 133)))  # fixed, benchmark-only
OL_SECRET = base58.b58encode(bytes(OL_SIGNING_KEY)).decode()
OL_ORDERLY_KEY = "ed25519:" + base58.b58encode(bytes(OL_SIGNING_KEY.verify_key)).decode()
OL_ACCOUNT = "0xbe4c000000000000000000000000000000000000000000000000000000000001"

ORDERLY_LEVERAGE_WRITE = "POST /v1/client/leverages"
ORDERLY_LEGACY_LEVERAGE_WRITE = "POST /v1/client/leverage"  # what ccxt's set_leverage posts to

# Drift kinds, in rotation over the drifted symbols of a venue.
BITGET_KINDS = ("lev_cross", "lev_iso", "mode", "mode_lev", "margin")
OKX_KINDS = ("lev_cross", "lev_iso", "margin")
ORDERLY_KINDS = ("lev_cross", "lev_iso", "mode", "mode_lev", "margin")

MARGIN_FROM, MARGIN_TO = "300", "400"  # isolated margin drift: +100 to the target


def leverage_of(i: int, offset: int = 0) -> int:
    """A varied leverage (2..41), so that no Orderly batch leverage call applies (values differ)."""
    return 2 + (i * 7 + offset) % 40


def other(value: int) -> int:
    """A different leverage (the drifted live value)."""
    return value + 3 if value + 3 <= 45 else value - 1


# --- world and desired state -----------------------------------------------------------------------------
class Drift:
    """What was injected: one entry per drifted symbol, with the writes a perfect planner needs."""

    def __init__(self):
        self.items: list[dict] = []  # {"venue", "symbol", "kind", "writes": [endpoint, ...]}

    def add(self, venue: str, symbol: str, kind: str, writes: list[str]) -> None:
        self.items.append({"venue": venue, "symbol": symbol, "kind": kind, "writes": writes})

    def of(self, venue: str) -> list[dict]:
        return [item for item in self.items if item["venue"] == venue]


def bitget_section(n: int, drift: Drift):
    """Hedge mode, USDT-FUTURES. Even symbols in sync, odd ones drifted."""
    set_leverage, set_mode, set_margin = ("POST /api/v2/mix/account/set-leverage",
                                          "POST /api/v2/mix/account/set-margin-mode",
                                          "POST /api/v2/mix/account/set-margin")
    contracts, live, positions, desired = [], {}, [], {}
    kinds = iter(BITGET_KINDS * n)
    for i in range(n):
        symbol = f"C{i:03d}USDT"
        contracts.append({"symbol": symbol, "productType": "USDT-FUTURES", "baseCoin": f"C{i:03d}",
                          "quoteCoin": "USDT", "minLever": "1", "maxLever": "50",
                          "supportMarginCoins": ["USDT"]})
        lev, lev2 = leverage_of(i), leverage_of(i, 11)
        row = {"marginCoin": "USDT", "marginMode": "crossed", "crossedMarginLeverage": str(lev),
               "isolatedLongLever": str(lev), "isolatedShortLever": str(lev2)}
        if i % 2 == 0:  # in sync: cross, isolated per side, isolated with a position inside its band
            if i % 6 == 0:
                desired[symbol] = {"margin_mode": "cross", "leverage": lev}
            else:
                row["marginMode"] = "isolated"
                desired[symbol] = {"margin_mode": "isolated", "leverage": {"long": lev, "short": lev2}}
                if i % 6 == 4:
                    positions.append(_bitget_position(symbol, MARGIN_TO))
                    desired[symbol]["isolated_margin"] = {"min": 350, "max": 450}
            live[symbol] = row
            continue
        kind = next(kinds)
        if kind == "lev_cross":
            row["crossedMarginLeverage"] = str(other(lev))
            desired[symbol] = {"margin_mode": "cross", "leverage": lev}
            writes = [set_leverage]
        elif kind == "lev_iso":  # long and short both off: one call carries both
            row.update(marginMode="isolated", isolatedLongLever=str(other(lev)), isolatedShortLever=str(other(lev2)))
            desired[symbol] = {"margin_mode": "isolated", "leverage": {"long": lev, "short": lev2}}
            writes = [set_leverage]
        elif kind == "mode":  # crossed -> isolated, isolated leverages already right
            desired[symbol] = {"margin_mode": "isolated", "leverage": {"long": lev, "short": lev2}}
            writes = [set_mode]
        elif kind == "mode_lev":  # crossed -> isolated, then both isolated sides in one call
            row.update(isolatedLongLever=str(other(lev)), isolatedShortLever=str(other(lev2)))
            desired[symbol] = {"margin_mode": "isolated", "leverage": {"long": lev, "short": lev2}}
            writes = [set_mode, set_leverage]
        else:  # margin: isolated long position 300, target 400
            row["marginMode"] = "isolated"
            positions.append(_bitget_position(symbol, MARGIN_FROM))
            desired[symbol] = {"margin_mode": "isolated", "leverage": {"long": lev, "short": lev2},
                               "isolated_margin": {"long": int(MARGIN_TO), "short": int(MARGIN_TO)}}
            writes = [set_margin]
        live[symbol] = row
        drift.add("bitget", symbol, kind, writes)
    section = {"contracts": contracts, "accounts": [{
        **BG_KEY, "position_modes": {"USDT-FUTURES": "hedge_mode"}, "balances": {"USDT": "1000000"},
        "symbols": live, "positions": positions, "orders": []}]}
    account = {"venue": "bitget", "product_type": "USDT-FUTURES",
               "credentials": {k: BG_KEY[k] for k in ("api_key", "secret", "passphrase")},
               "settings": {"position_mode": "hedge"}, "symbols": desired}
    return section, account


def _bitget_position(symbol: str, margin: str) -> dict:
    return {"symbol": symbol, "marginCoin": "USDT", "holdSide": "long", "marginMode": "isolated",
            "total": "1", "marginSize": margin, "openPriceAvg": "100"}


def okx_section(n: int, drift: Drift):
    """Net mode. Two futures families (two expiries each, cross) drifted: one call per family;
    the rest are swaps, every other one drifted."""
    set_leverage, margin_balance = "POST /api/v5/account/set-leverage", "POST /api/v5/account/position/margin-balance"
    instruments, leverage, positions, desired = [], {}, [], {}
    families = 2 if n >= 8 else 0
    futures = [(f"F{k}-USDT", f"F{k}-USDT-{expiry}") for k in range(families) for expiry in ("261225", "270326")]
    for family, inst_id in futures:
        instruments.append({"instId": inst_id, "instType": "FUTURES", "instFamily": family, "lever": "50",
                            "settleCcy": "USDT", "ctVal": "1"})
    for k in range(families):  # cross leverage is one value per family: the world gives it to each expiry
        family_ids = [inst_id for fam, inst_id in futures if fam == f"F{k}-USDT"]
        lev = leverage_of(k, 5)
        for index, inst_id in enumerate(family_ids):
            leverage[inst_id] = {"cross": str(other(lev))}
            desired[inst_id] = {"margin_mode": "cross", "leverage": lev}
            drift.add("okx", inst_id, "family", [set_leverage] if index == 0 else [])
    kinds = iter(OKX_KINDS * n)
    swaps = n - len(futures)
    for i in range(swaps):
        inst_id = f"C{i:03d}-USDT-SWAP"
        instruments.append({"instId": inst_id, "instType": "SWAP", "instFamily": f"C{i:03d}-USDT", "lever": "50",
                            "settleCcy": "USDT", "ctVal": "1"})
        lev = leverage_of(i)
        leverage[inst_id] = {"cross": str(lev), "isolated": str(lev)}
        mode = "cross" if i % 4 in (0, 1) else "isolated"
        desired[inst_id] = {"margin_mode": mode, "leverage": lev}
        # n // 2 drifted in all: the futures count already; then every other swap until that many
        drifted = i % 2 == 1 and len(drift.of("okx")) < n // 2
        if not drifted:
            if mode == "isolated" and i % 8 == 2:
                positions.append(_okx_position(inst_id, MARGIN_TO))
                desired[inst_id]["isolated_margin"] = {"min": 350, "max": 450}
            continue
        kind = next(kinds)
        if kind == "lev_cross":
            leverage[inst_id]["cross"] = str(other(lev))
            desired[inst_id]["margin_mode"] = "cross"
            writes = [set_leverage]
        elif kind == "lev_iso":
            leverage[inst_id]["isolated"] = str(other(lev))
            desired[inst_id]["margin_mode"] = "isolated"
            writes = [set_leverage]
        else:
            desired[inst_id] = {"margin_mode": "isolated", "leverage": lev, "isolated_margin": int(MARGIN_TO)}
            positions.append(_okx_position(inst_id, MARGIN_FROM))
            writes = [margin_balance]
        drift.add("okx", inst_id, kind, writes)
    section = {"instruments": instruments, "accounts": [{
        **OX_KEY, "config": {"posMode": "net_mode", "acctLv": "2", "ctIsoMode": "automatic",
                             "mgnIsoMode": "automatic"},
        "balances": {"USDT": "1000000"}, "leverage": leverage, "positions": positions, "orders": []}]}
    account = {"venue": "okx", "credentials": {k: OX_KEY[k] for k in ("api_key", "secret", "passphrase")},
               "settings": {"position_mode": "net"}, "symbols": desired}
    return section, account


def _okx_position(inst_id: str, margin: str) -> dict:
    return {"instId": inst_id, "mgnMode": "isolated", "posSide": "net", "pos": "1", "margin": margin,
            "avgPx": "100"}


def orderly_section(n: int, drift: Drift, leverage_limit: str):
    set_leverage, set_mode, set_margin = ("POST /v1/client/leverages", "POST /v1/client/margin_mode",
                                          "POST /v1/position_margin")
    symbols, modes, leverage, positions, desired = [], {}, {}, [], {}
    kinds = iter(ORDERLY_KINDS * n)
    for i in range(n):
        symbol = f"PERP_C{i:03d}_USDC"
        symbols.append({"symbol": symbol, "base_imr": "0.02", "base_mmr": "0.01", "imr_factor": "0.0000002"})
        lev, lev_iso = leverage_of(i), leverage_of(i, 13)
        leverage[symbol] = {"CROSS": str(lev), "ISOLATED": str(lev_iso)}
        if i % 2 == 0:
            if i % 6 == 0:
                desired[symbol] = {"margin_mode": "cross", "leverage": lev}
            else:
                modes[symbol] = "ISOLATED"
                desired[symbol] = {"margin_mode": "isolated", "leverage": lev_iso}
                if i % 6 == 4:
                    positions.append(_orderly_position(symbol, MARGIN_TO))
                    desired[symbol]["isolated_margin"] = {"min": 350, "max": 450}
            continue
        kind = next(kinds)
        if kind == "lev_cross":
            leverage[symbol]["CROSS"] = str(other(lev))
            desired[symbol] = {"margin_mode": "cross", "leverage": lev}
            writes = [set_leverage]
        elif kind == "lev_iso":
            modes[symbol] = "ISOLATED"
            leverage[symbol]["ISOLATED"] = str(other(lev_iso))
            desired[symbol] = {"margin_mode": "isolated", "leverage": lev_iso}
            writes = [set_leverage]
        elif kind == "mode":  # CROSS (the default) -> ISOLATED, isolated leverage already right
            desired[symbol] = {"margin_mode": "isolated", "leverage": lev_iso}
            writes = [set_mode]
        elif kind == "mode_lev":
            leverage[symbol]["ISOLATED"] = str(other(lev_iso))
            desired[symbol] = {"margin_mode": "isolated", "leverage": lev_iso}
            writes = [set_mode, set_leverage]
        else:
            modes[symbol] = "ISOLATED"
            positions.append(_orderly_position(symbol, MARGIN_FROM))
            desired[symbol] = {"margin_mode": "isolated", "leverage": lev_iso, "isolated_margin": int(MARGIN_TO)}
            writes = [set_margin]
        drift.add("orderly", symbol, kind, writes)
    section = {"symbols": symbols, "accounts": [{
        "account_id": OL_ACCOUNT, "orderly_key": OL_ORDERLY_KEY, "balances": {"USDC": "1000000"},
        "margin_modes": modes, "leverage": leverage, "positions": positions, "orders": []}]}
    account = {"venue": "orderly", "credentials": {"account_id": OL_ACCOUNT, "secret": OL_SECRET},
               "rate_limits": {ORDERLY_LEVERAGE_WRITE: leverage_limit}, "symbols": desired}
    return section, account


def _orderly_position(symbol: str, margin: str) -> dict:
    return {"symbol": symbol, "margin_mode": "ISOLATED", "position_qty": "1", "margin": margin,
            "average_open_price": "100"}


def build(n: int, leverage_limit: str):
    """(world, desired accounts without base_url, drift)."""
    drift = Drift()
    world, accounts = {}, {}
    for venue, make in (("bitget", bitget_section), ("okx", okx_section)):
        world[venue], accounts[ACCOUNTS[venue]] = make(n, drift)
    world["orderly"], accounts["ol"] = orderly_section(n, drift, leverage_limit)
    # The VIP tier is enforced by the simulator too (both paths: ccxt posts to the older singular one).
    world["rate_limits"] = {ORDERLY_LEVERAGE_WRITE: leverage_limit, ORDERLY_LEGACY_LEVERAGE_WRITE: leverage_limit}
    return world, accounts, drift


def write_desired(directory: Path, accounts: dict, url: str, name: str) -> Path:
    data = {"version": 1, "accounts": {
        account: {"venue": spec["venue"], "environment": "sim", "base_url": url,
                  **{k: v for k, v in spec.items() if k != "venue"}}
        for account, spec in accounts.items()}}
    path = directory / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


# --- minimum reads and writes, from first principles -----------------------------------------------------
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
        # per query, so each of the 3 spans of 90 days (270 days) is read per status (live,
        # partially_filled) and per planType (normal_plan, track_plan, profit_loss); the world's orders are all
        # live and recent: 1 per 100 of them in the newest span, 1 for every other read.
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
        # leverage-info: 20 instIds per call, mgnMode is one value per call: ceil(n/20) per mode used.
        # positions: all open positions in one call (no filter). orders-pending: 1 per 100 orders.
        # orders-algo-pending: ordType is required; only conditional+oco share a call: 6 calls
        #   (conditional,oco / trigger / move_order_stop / iceberg / twap / chase).
        kinds = {"FUTURES" if not s.endswith("-SWAP") else "SWAP" for s in symbols}
        per_mode = Counter(spec["margin_mode"] for spec in symbols.values())
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
        # algo orders (TP/SL, stop; they carry a margin mode): 1 per 500.
        orders = len(world["orderly"]["accounts"][0]["orders"])
        need["GET /v1/public/info"] = 1
        need["GET /v1/client/margin_modes"] = 1
        need["GET /v1/client/leverages"] = 1
        need["GET /v1/positions"] = 1
        need["GET /v1/orders"] = max(1, math.ceil(orders / 500))
        need["GET /v1/algo/orders"] = 1
    return need


def min_writes(drift: Drift, venue: str) -> Counter:
    """The writes a perfect planner sends for the injected drift, per endpoint."""
    return Counter(endpoint for item in drift.of(venue) for endpoint in item["writes"])


def window_floor(calls: Counter, limits: dict[str, tuple[int, float]]) -> tuple[float, str]:
    """Per endpoint (ceil(calls / count) - 1) * window; the max over endpoints, and which one."""
    floor, why = 0.0, ""
    for endpoint, count in calls.items():
        if endpoint not in limits or count == 0:
            continue
        per, window = limits[endpoint]
        seconds = (math.ceil(count / per) - 1) * window
        if seconds > floor:
            floor, why = seconds, f"{endpoint}: {count} calls at {per}/{window:g}s"
    return floor, why


def account_limits(venue: str, spec: dict) -> dict[str, tuple[int, float]]:
    merged = {**adapter_class(venue).rate_limits, **(spec.get("rate_limits") or {})}
    return {endpoint: parse_limit(text) for endpoint, text in merged.items()}


# --- call logs --------------------------------------------------------------------------------------------
def count(calls: list[dict], *, gets: bool | None = None) -> Counter:
    return Counter(f"{c['method']} {c['path']}" for c in calls
                   if gets is None or (c["method"] == "GET") == gets)


def rate_limited(calls: list[dict]) -> int:
    return sum(1 for c in calls if c.get("status") == 429 or str(c.get("code")) in ("429", "50011", "-1003"))


# --- the reconciler run -----------------------------------------------------------------------------------
async def run_reconciler(world: dict, accounts: dict, drift: Drift, workdir: Path) -> dict:
    srv = SimServer(copy.deepcopy(world))
    url = await srv.start("127.0.0.1", 0)
    try:
        path = write_desired(workdir, accounts, url, "desired.yaml")
        state = api.load(str(path))

        started = time.perf_counter()
        plan = await api.plan(state)
        plan_seconds = time.perf_counter() - started
        if plan.errors:
            raise SystemExit(f"plan failed: {plan.errors}")
        marks = {venue: len(srv.venues[venue].calls) for venue in VENUES}

        # Apply starts once no read window of the plan is still full (a person reading the plan takes
        # longer than that), so the verification reads are not held back by the plan's own reads.
        settle = 0.0
        for venue in VENUES:
            spec = accounts[ACCOUNTS[venue]]
            limits, verify = account_limits(venue, spec), min_reads(venue, spec, world)
            for endpoint, sent in count(srv.venues[venue].calls).items():
                if endpoint in limits and sent + verify.get(endpoint, 0) > limits[endpoint][0]:
                    settle = max(settle, limits[endpoint][1])
        await asyncio.sleep(settle)

        started, wall_started = time.perf_counter(), time.time()
        report = await api.apply(plan, journal_path=None)
        apply_seconds = time.perf_counter() - started
        marks_after = {venue: len(srv.venues[venue].calls) for venue in VENUES}

        again = await api.plan(state)
        remaining = [c.id for c in again.changes if c.status == "change"]

        per_venue, totals = {}, Counter()
        floors = {}
        for venue in VENUES:
            name = ACCOUNTS[venue]
            spec = accounts[name]
            calls = srv.venues[venue].calls
            plan_calls, apply_calls = calls[:marks[venue]], calls[marks[venue]:marks_after[venue]]
            reads, need = count(plan_calls, gets=True), min_reads(venue, spec, world)
            writes, need_w = count(apply_calls, gets=False), min_writes(drift, venue)
            apply_reads = count(apply_calls, gets=True)
            limits = account_limits(venue, spec)
            write_floor, write_why = window_floor(need_w, limits)
            # The verification apply does after writing is a full re-read of the account (a plan):
            # at best the minimum reads, each paced by its endpoint's limit.
            read_floor, read_why = window_floor(need, limits)
            floors[venue] = write_floor + read_floor
            extra = {e: reads[e] - need.get(e, 0) for e in reads if reads[e] > need.get(e, 0)}
            extra_w = {e: writes[e] - need_w.get(e, 0) for e in writes if writes[e] != need_w.get(e, 0)}
            changes = [c for c in plan.changes if c.account == name]
            # when this account's last call of the apply (its last verification read) was answered
            account_seconds = max((c["time"] for c in apply_calls), default=wall_started) - wall_started
            per_venue[venue] = {
                "account": name,
                "symbols": len(spec["symbols"]),
                "drifted": len(drift.of(venue)),
                "drift_kinds": dict(Counter(item["kind"] for item in drift.of(venue))),
                "changes": sum(1 for c in changes if c.status == "change"),
                "blocked_or_conflict": sum(1 for c in changes if c.status != "change"),
                "reads": sum(reads.values()),
                "min_reads": sum(need.values()),
                "reads_by_endpoint": dict(sorted(reads.items())),
                "reads_over_minimum": extra,
                "writes": sum(writes.values()),
                "min_writes": sum(need_w.values()),
                "writes_by_endpoint": dict(sorted(writes.items())),
                "writes_off_minimum": extra_w,
                "apply_reads": sum(apply_reads.values()),
                "apply_reads_by_endpoint": dict(sorted(apply_reads.items())),
                "write_floor_seconds": round(write_floor, 3),
                "write_floor_why": write_why,
                "verify_floor_seconds": round(read_floor, 3),
                "verify_floor_why": read_why,
                "floor_seconds": round(write_floor + read_floor, 3),
                "apply_seconds": round(account_seconds, 3),
                "planner_estimate_seconds": round(plan.estimates.get(name, {}).get("seconds", 0.0), 3),
                "rate_limited": rate_limited(plan_calls + apply_calls),
                "rate_limits_override": spec.get("rate_limits") or {},
            }
            totals.update(reads=sum(reads.values()), min_reads=sum(need.values()),
                          writes=sum(writes.values()), min_writes=sum(need_w.values()))
        failed = [f"{o.change_id}: {o.message}" for o in report.failed]
        return {
            "plan_seconds": plan_seconds,
            "apply_seconds": apply_seconds,
            "settle_seconds": settle,
            "floor_seconds": max(floors.values()),
            "floor_account": max(floors, key=floors.get),
            "reads": totals["reads"], "min_reads": totals["min_reads"],
            "writes": totals["writes"], "min_writes": totals["min_writes"],
            "apply_exit_code": report.exit_code,
            "apply_failed": failed,
            "account_errors": dict(report.account_errors),
            "converged": not remaining and not failed,
            "remaining_changes": remaining,
            "per_venue": per_venue,
        }
    finally:
        await srv.stop()


# --- the ccxt baseline ------------------------------------------------------------------------------------
def ccxt_clients(url: str, leverage_limit: str):
    import ccxt.async_support as ccxt
    from ccxt.base.types import Entry

    bitget = ccxt.bitget({"apiKey": BG_KEY["api_key"], "secret": BG_KEY["secret"],
                          "password": BG_KEY["passphrase"], "enableRateLimit": True})
    bitget.options["defaultType"] = "swap"
    bitget.options["fetchMarkets"] = {"types": ["swap"]}
    bitget.options["uta"] = False  # a classic account
    okx = ccxt.okx({"apiKey": OX_KEY["api_key"], "secret": OX_KEY["secret"], "password": OX_KEY["passphrase"],
                    "enableRateLimit": True})

    # ccxt's limiter: one leaky bucket per exchange, a call of cost c holds the next one c * rateLimit ms.
    # Its cost for Orderly's leverage write is 120 (12 s: 5 per 60 s); give it the same VIP tier as the
    # reconciler gets, so the comparison is on equal limits.
    count_, window = parse_limit(leverage_limit)

    class WoofiproVip(ccxt.woofipro):
        # both spellings: ccxt copies each snake_case endpoint over its camelCase twin at construction
        v1_private_post_client_leverage = v1PrivatePostClientLeverage = Entry(
            "client/leverage", ["v1", "private"], "POST", {"cost": window * 1000 / count_ / 100})

    orderly = WoofiproVip({"apiKey": OL_ORDERLY_KEY, "secret": OL_SECRET, "accountId": OL_ACCOUNT,
                           "enableRateLimit": True})
    clients = {"bitget": bitget, "okx": okx, "orderly": orderly}
    for exchange in clients.values():
        exchange.urls["api"] = {name: url for name in exchange.urls["api"]}
    return clients


async def baseline_venue(venue: str, exchange, desired: dict) -> dict:
    """What bots do today: per symbol, set margin mode and leverage unconditionally; swallow errors."""
    errors, sets = Counter(), 0
    await exchange.load_markets()
    by_id = {market["id"]: market["symbol"] for market in exchange.markets.values()}

    async def attempt(coroutine):
        nonlocal sets
        sets += 1
        try:
            await coroutine
        except Exception as exc:  # noqa: BLE001  bots swallow and log
            errors[type(exc).__name__] += 1

    for symbol_id, spec in desired["symbols"].items():
        symbol, mode, leverage = by_id[symbol_id], spec["margin_mode"], spec["leverage"]
        if venue == "bitget":
            await attempt(exchange.set_margin_mode(mode, symbol))
            if isinstance(leverage, dict):  # isolated in hedge mode: one call per side
                for side in ("long", "short"):
                    await attempt(exchange.set_leverage(leverage[side], symbol, {"holdSide": side}))
            else:
                await attempt(exchange.set_leverage(leverage, symbol))
        elif venue == "okx":
            # OKX has no margin-mode setting: ccxt's set_margin_mode is set-leverage with mgnMode.
            await attempt(exchange.set_margin_mode(mode, symbol, {"lever": leverage}))
            await attempt(exchange.set_leverage(leverage, symbol, {"marginMode": mode}))
        else:
            await attempt(exchange.set_margin_mode(mode, symbol))
            await attempt(exchange.set_leverage(leverage, symbol, {"symbol": symbol_id,
                                                                   "margin_mode": mode.upper()}))
    return {"sets": sets, "errors": sum(errors.values()), "error_kinds": dict(errors)}


async def run_baseline(world: dict, accounts: dict, workdir: Path, leverage_limit: str) -> dict:
    srv = SimServer(copy.deepcopy(world))
    url = await srv.start("127.0.0.1", 0)
    clients = ccxt_clients(url, leverage_limit)
    try:
        per_venue = {}
        started = time.perf_counter()
        for venue in VENUES:
            venue_started = time.perf_counter()
            outcome = await baseline_venue(venue, clients[venue], accounts[ACCOUNTS[venue]])
            outcome["seconds"] = round(time.perf_counter() - venue_started, 3)
            per_venue[venue] = outcome
        seconds = time.perf_counter() - started
        for venue in VENUES:
            calls = srv.venues[venue].calls
            per_venue[venue]["calls"] = len(calls)
            per_venue[venue]["writes"] = sum(1 for c in calls if c["method"] != "GET")
            per_venue[venue]["rate_limited"] = rate_limited(calls)
            per_venue[venue]["error_codes"] = dict(Counter(
                str(c.get("code")) for c in calls
                if c.get("status", 200) >= 400 or c.get("code") not in (None, "0", "00000")))
        total_calls = sum(len(srv.venues[venue].calls) for venue in VENUES)
        # Did it converge? A reconciler plan against the baseline's simulator says what is still off.
        path = write_desired(workdir, accounts, url, "desired-baseline.yaml")
        after = await api.plan(api.load(str(path)))
        remaining = [c for c in after.changes if c.status == "change"]
        for venue in VENUES:
            per_venue[venue]["remaining_changes"] = sum(1 for c in remaining if c.venue == venue)
            per_venue[venue]["remaining_fields"] = dict(Counter(c.field for c in remaining if c.venue == venue))
        return {"baseline_seconds": seconds, "baseline_calls": total_calls,
                "baseline_converged": not remaining, "baseline_remaining_changes": len(remaining),
                "per_venue": per_venue}
    finally:
        for exchange in clients.values():
            await exchange.close()
        await srv.stop()


# --- output -----------------------------------------------------------------------------------------------
def summarize(n: int, leverage_limit: str, quick: bool, ours: dict, base: dict, drift: Drift,
              total_seconds: float) -> dict:
    per_venue = {venue: {**ours["per_venue"][venue], "baseline": base["per_venue"][venue]} for venue in VENUES}
    result = {
        "symbols_per_venue": n,
        "quick": quick,
        "drifted": len(drift.items),
        "plan_seconds": round(ours["plan_seconds"], 3),
        "reads": ours["reads"],
        "min_reads": ours["min_reads"],
        "apply_seconds": round(ours["apply_seconds"], 3),
        "floor_seconds": round(ours["floor_seconds"], 3),
        "floor_account": ours["floor_account"],
        "apply_vs_floor": round(ours["apply_seconds"] / ours["floor_seconds"], 3) if ours["floor_seconds"] else None,
        "writes": ours["writes"],
        "min_writes": ours["min_writes"],
        "converged": ours["converged"],
        "apply_exit_code": ours["apply_exit_code"],
        "baseline_seconds": round(base["baseline_seconds"], 3),
        "baseline_calls": base["baseline_calls"],
        "baseline_converged": base["baseline_converged"],
        "baseline_remaining_changes": base["baseline_remaining_changes"],
        "speedup_vs_baseline": round(base["baseline_seconds"] / ours["apply_seconds"], 2),
        "speedup_plan_and_apply_vs_baseline": round(
            base["baseline_seconds"] / (ours["plan_seconds"] + ours["apply_seconds"]), 2),
        "orderly_vip_tier": {ORDERLY_LEVERAGE_WRITE: leverage_limit,
                             "documented": "5/60s",
                             "note": "modelled VIP tier: account rate_limits override in the desired file, the "
                                     "same limit in the world's rate_limits (simulator), and ccxt's cost for "
                                     "the endpoint scaled to it for the baseline"},
        "settle_seconds_before_apply": round(ours["settle_seconds"], 3),
        "apply_failed": ours["apply_failed"],
        "account_errors": ours["account_errors"],
        "remaining_changes": ours["remaining_changes"],
        "per_venue": per_venue,
        "targets": {
            "reads_equal_min": ours["reads"] == ours["min_reads"],
            "writes_equal_min": ours["writes"] == ours["min_writes"],
            "apply_within_1_15_floor": bool(ours["floor_seconds"]) and
                                       ours["apply_seconds"] <= 1.15 * ours["floor_seconds"],
            "speedup_at_least_3x": base["baseline_seconds"] >= 3 * ours["apply_seconds"],
        },
        "total_run_seconds": round(total_seconds, 1),
    }
    return result


def table(result: dict) -> str:
    lines = [f"symbols per venue {result['symbols_per_venue']}, drifted {result['drifted']} "
             f"(Orderly VIP tier {result['orderly_vip_tier'][ORDERLY_LEVERAGE_WRITE]} for "
             f"{ORDERLY_LEVERAGE_WRITE}; documented 5/60s)", ""]
    rows = [
        ("plan reads", result["reads"], result["min_reads"], "min reads"),
        ("apply writes", result["writes"], result["min_writes"], "min writes"),
        ("apply seconds", result["apply_seconds"], result["floor_seconds"], f"floor ({result['floor_account']})"),
        ("baseline seconds", result["baseline_seconds"], result["apply_seconds"], "apply seconds"),
    ]
    lines.append(f"{'figure':<18}{'measured':>12}{'reference':>12}  reference is")
    for name, measured, reference, what in rows:
        lines.append(f"{name:<18}{measured:>12}{reference:>12}  {what}")
    lines += ["",
              f"plan seconds {result['plan_seconds']}; apply/floor {result['apply_vs_floor']}; "
              f"speedup vs baseline {result['speedup_vs_baseline']}x; baseline calls {result['baseline_calls']}",
              f"converged {result['converged']}; baseline converged {result['baseline_converged']} "
              f"({result['baseline_remaining_changes']} changes left)", ""]
    lines.append(f"{'venue':<9}{'reads':>7}{'min':>5}{'writes':>8}{'min':>5}{'apply s':>9}{'floor s':>9}"
                 f"{'apply reads':>13}"
                 f"{'base s':>9}{'base calls':>12}{'base errors':>13}{'base left':>11}")
    for venue, data in result["per_venue"].items():
        b = data["baseline"]
        lines.append(f"{venue:<9}{data['reads']:>7}{data['min_reads']:>5}{data['writes']:>8}{data['min_writes']:>5}"
                     f"{data['apply_seconds']:>9}{data['floor_seconds']:>9}{data['apply_reads']:>13}"
                     f"{b['seconds']:>9}{b['calls']:>12}{b['errors']:>13}{b['remaining_changes']:>11}")
    lines += ["", "targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in result["targets"].items())]
    for venue, data in result["per_venue"].items():
        if data["reads_over_minimum"]:
            lines.append(f"{venue}: reads over the minimum: {data['reads_over_minimum']}")
        if data["writes_off_minimum"]:
            lines.append(f"{venue}: writes off the minimum: {data['writes_off_minimum']}")
    return "\n".join(lines)


async def main_async(args) -> dict:
    n = args.symbols or (25 if args.quick else 60)
    world, accounts, drift = build(n, args.orderly_leverage_limit)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reconciler-bench-") as tmp:
        workdir = Path(tmp)
        os.environ["RECONCILER_LOCK_DIR"] = str(workdir / "locks")  # never the locks of real applies
        ours = await run_reconciler(world, accounts, drift, workdir)
        base = await run_baseline(world, accounts, workdir, args.orderly_leverage_limit)
    return summarize(n, args.orderly_leverage_limit, args.quick, ours, base, drift, time.perf_counter() - started)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="25 symbols per venue (default 60)")
    parser.add_argument("--symbols", type=int, help="symbols per venue (overrides --quick)")
    parser.add_argument("--json", action="store_true", help="print one JSON object and nothing else")
    parser.add_argument("--orderly-leverage-limit", default="5/10s",
                        help="modelled VIP tier for Orderly's leverage write (documented: 5/60s)")
    args = parser.parse_args(argv)
    # Nothing but the JSON object on stdout: anything a library prints goes to stderr.
    with contextlib.redirect_stdout(sys.stderr if args.json else sys.stdout):
        result = asyncio.run(main_async(args))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
