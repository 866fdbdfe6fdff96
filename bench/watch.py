#!/usr/bin/env python3
"""Benchmark of `reconciler watch` at scale: requests and seconds per pass for many accounts on one runner.

The world has N accounts (default 500: 60 % OKX, 40 % Bitget, three symbols each, in sync but for one
drifted setting on every 50th account), served by one in-process simulator at the venues' documented
limits (nothing raised). The watcher runs in report mode; each pass reads every account once. For each
pass it reports the requests sent (from the simulator's log), the seconds it took, and the floor the
documented limits force: per account the slowest endpoint's window (UID limits are per account), and
for the public endpoints, shared by the runner's IP, their window over all accounts.

    python bench/watch.py --accounts 500 --passes 2 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from reconciler.watch.loop import DEFAULT_PARALLELISM, Watcher  # noqa: E402

from bench.venue_limits import account_limits  # noqa: E402
from bench.yardstick import endpoints_floor, rate_limited  # noqa: E402

OKX_SYMBOLS = ("BTC-USDT-SWAP", "ETH-USDT-SWAP", "SOL-USDT-SWAP")
BITGET_SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
PUBLIC_PER_IP = {"okx": ("GET /api/v5/public/instruments",), "bitget": ("GET /api/v2/mix/market/contracts",)}
# bitget.md §7: "Overall | 6000 requests / IP / minute" (BG-QS); OKX documents no such overall cap (okx.md §6).
BITGET_OVERALL_PER_IP = (6000, 60.0)
INTERVAL = 60.0  # the watcher's default interval, seconds


def world_and_file(accounts: int) -> tuple[dict, dict]:
    """The simulator's world and the desired-state document for `accounts` accounts."""
    okx_accounts, bitget_accounts, desired = [], [], {}
    for n in range(accounts):
        drifted = n % 50 == 0
        key = {"api_key": f"bw-{n}", "secret": f"bench-watch-secret-{n}", "passphrase": f"bench-watch-pass-{n}",
               "uid": str(100000 + n)}
        credentials = {name: key[name] for name in ("api_key", "secret", "passphrase")}
        if n % 5 < 3:
            okx_accounts.append({**key, "config": {"posMode": "net_mode", "acctLv": "2", "ctIsoMode": "automatic"},
                                 "balances": {"USDT": "100000"},
                                 "leverage": {s: {"cross": "7" if drifted and s == OKX_SYMBOLS[0] else "5"}
                                              for s in OKX_SYMBOLS}, "positions": [], "orders": []})
            desired[f"okx-{n}"] = {"venue": "okx", "environment": "sim", "credentials": credentials,
                                   "settings": {"position_mode": "net"},
                                   "symbols": {s: {"margin_mode": "cross", "leverage": 5} for s in OKX_SYMBOLS}}
        else:
            bitget_accounts.append({**key, "position_modes": {"USDT-FUTURES": "one_way_mode"},
                                    "balances": {"USDT": "100000"}, "positions": [], "orders": [],
                                    "symbols": {s: {"marginCoin": "USDT", "marginMode": "crossed",
                                                    "crossedMarginLeverage": "7" if drifted and s == "BTCUSDT" else "5",
                                                    "isolatedLongLever": "5", "isolatedShortLever": "5"}
                                                for s in BITGET_SYMBOLS}})
            desired[f"bitget-{n}"] = {"venue": "bitget", "environment": "sim",
                                      "product_type": "USDT-FUTURES", "credentials": credentials,
                                      "symbols": {s: {"margin_mode": "cross", "leverage": 5} for s in BITGET_SYMBOLS}}
    world = {
        "okx": {"instruments": [{"instId": s, "instType": "SWAP", "instFamily": s.removesuffix("-SWAP"), "lever": "50",
                                 "settleCcy": "USDT", "ctVal": "1"} for s in OKX_SYMBOLS], "accounts": okx_accounts},
        "bitget": {"contracts": [{"symbol": s, "productType": "USDT-FUTURES", "baseCoin": s[:-4], "quoteCoin": "USDT",
                                  "minLever": "1", "maxLever": "100", "supportMarginCoins": ["USDT"]}
                                 for s in BITGET_SYMBOLS], "accounts": bitget_accounts}}
    return world, {"version": 1, "watch": {"mode": "report"}, "accounts": desired}


def pass_floor(calls: list[dict]) -> tuple[float, str]:
    """The least time the documented limits allow for these reads: per account (UID limits), and per IP for
    the public endpoints all accounts share."""
    per_account: dict[tuple, Counter] = {}
    public: dict[str, Counter] = {}
    for call in calls:
        venue, endpoint = call["venue"], f"{call['method']} {call['path']}"
        if endpoint in PUBLIC_PER_IP[venue]:
            public.setdefault(venue, Counter())[endpoint] += 1
        else:
            per_account.setdefault((venue, call["account"]), Counter())[endpoint] += 1
    floor, why = 0.0, ""
    for (venue, _), counter in list(per_account.items()) + [((v, None), c) for v, c in public.items()]:
        seconds, reason = endpoints_floor(counter, account_limits(venue))
        if seconds > floor:
            floor, why = seconds, f"{venue} {reason}"
    return floor, why


class SimProcess:
    """`reconciler sim` in a child process (the venues' side must not share the watcher's CPU time slice)."""

    def __init__(self, world: dict, directory: Path):
        world_path = directory / "world.yaml"
        world_path.write_text(yaml.safe_dump(world, sort_keys=False))
        self.process = subprocess.Popen([sys.executable, "-m", "reconciler", "sim", "--world", str(world_path),
                                         "--port", str(_free_port())], stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            raise SystemExit(f"the simulator did not start: {line!r}")
        self.url = line.split()[-1]

    def calls(self, venue: str) -> list[dict]:
        with urllib.request.urlopen(f"{self.url}/__sim/{venue}/calls", timeout=60) as answer:
            return json.loads(answer.read())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def run(accounts: int, passes: int, parallelism: int | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
        return await _run_in(Path(tmp), accounts, passes, parallelism)


async def _run_in(directory: Path, accounts: int, passes: int, parallelism: int | None) -> dict:
    world, document = world_and_file(accounts)
    sim = SimProcess(world, directory)
    for account in document["accounts"].values():
        account["base_url"] = sim.url
    path = directory / "desired.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    watcher = Watcher(str(path), journal_path=None, parallelism=parallelism)
    rows = []
    await watcher.open()
    try:
        for number in range(1, passes + 1):
            marks = {venue: len(sim.calls(venue)) for venue in ("okx", "bitget")}
            started = time.perf_counter()
            await watcher.sweep()
            seconds = time.perf_counter() - started
            calls = [{**call, "venue": venue} for venue in ("okx", "bitget")
                     for call in sim.calls(venue)[marks[venue]:]]
            floor, why = pass_floor(calls)
            bitget_calls = sum(1 for call in calls if call["venue"] == "bitget")
            rows.append({"pass": number, "seconds": round(seconds, 2), "requests": len(calls),
                         "bitget_ip_share_at_60s": round(bitget_calls / (BITGET_OVERALL_PER_IP[0] * INTERVAL
                                                                         / BITGET_OVERALL_PER_IP[1]), 3),
                         "requests_per_account": round(len(calls) / accounts, 2),
                         "floor_seconds": round(floor, 2), "floor_why": why, "rate_limited": rate_limited(calls),
                         "accounts_read": sum(1 for m in watcher.accounts.values() if m.leased and not m.failures),
                         "accounts_in_error": sum(1 for m in watcher.accounts.values() if m.failures),
                         "accounts_drifted": sum(1 for m in watcher.accounts.values() if m.episodes.open),
                         "per_endpoint": dict(Counter(f"{c['method']} {c['path']}" for c in calls).most_common())})
    finally:
        await watcher.close()
        sim.stop()
    return {"accounts": accounts, "venues": {"okx": len(world["okx"]["accounts"]),
                                             "bitget": len(world["bitget"]["accounts"])},
            "parallelism": parallelism or DEFAULT_PARALLELISM,
            "limits": "documented (bench/venue_limits.py), nothing raised", "passes": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--parallelism", type=int, help=f"accounts read at once (default {DEFAULT_PARALLELISM})")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    result = asyncio.run(run(args.accounts, args.passes, args.parallelism))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['accounts']} accounts ({result['venues']}), {result['parallelism']} read at once, "
          f"limits: {result['limits']}\n")
    print("| pass | seconds | floor s | requests | per account | Bitget IP budget at 60 s | rate limited | drifted "
          "| in error |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in result["passes"]:
        print(f"| {row['pass']} | {row['seconds']} | {row['floor_seconds']} | {row['requests']} | "
              f"{row['requests_per_account']} | {row['bitget_ip_share_at_60s']:.0%} | {row['rate_limited']} | "
              f"{row['accounts_drifted']} | {row['accounts_in_error']} |")
    print(f"\nfloor set by: {result['passes'][-1]['floor_why'] or 'nothing (every account within its windows)'}")


if __name__ == "__main__":
    main()
