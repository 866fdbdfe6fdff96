"""The estimate case: the plan's "applying will take about" against the time `apply FILE --auto-approve` really
takes (its plan under the lock, its writes, its verification), for a 300-change Bitget account and for a mixed
three-venue file (issue 24 asks within 15 %).

Run alone: `python bench/estimate.py [--symbols 300] [--mixed 60]` prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reconciler import api  # noqa: E402
from reconciler.estimate import whole_run  # noqa: E402
from reconciler.sim.server import SimServer  # noqa: E402

from bench.world import BG_KEY, build, write_desired  # noqa: E402

PAUSE = 2.0  # seconds between the plan and the apply (a person reads the plan); longer than every read window


def bitget_case(symbols: int, url: str) -> tuple[dict, dict]:
    """(world, desired file) of one Bitget account whose every symbol needs a new cross leverage."""
    names = [f"E{i:04d}USDT" for i in range(symbols)]
    world = {"bitget": {
        "contracts": [{"symbol": s, "productType": "USDT-FUTURES", "baseCoin": s[:-4], "quoteCoin": "USDT",
                       "minLever": "1", "maxLever": "100", "supportMarginCoins": ["USDT"]} for s in names],
        "accounts": [{**BG_KEY, "position_modes": {"USDT-FUTURES": "one_way_mode"}, "balances": {"USDT": "1000"},
                      "positions": [], "orders": [],
                      "symbols": {s: {"marginCoin": "USDT", "marginMode": "crossed", "crossedMarginLeverage": "10",
                                      "isolatedLongLever": "10", "isolatedShortLever": "10"} for s in names}}]}}
    desired = {"version": 1, "accounts": {"bg": {
        "venue": "bitget", "environment": "sim", "base_url": url, "product_type": "USDT-FUTURES",
        "credentials": {k: BG_KEY[k] for k in ("api_key", "secret", "passphrase")},
        "symbols": {s: {"margin_mode": "cross", "leverage": 20} for s in names}}}}
    return world, desired


async def measure(world: dict, write_file, workdir: Path, name: str) -> dict:
    """Plan (its estimate), pause, then time what `apply FILE --auto-approve` does, against a fresh simulator."""
    server = SimServer(world)
    url = await server.start("127.0.0.1", 0)
    try:
        state = api.load(str(write_file(url)))
        plan = await api.plan(state, backend="local")
        estimates = {account: round(e["seconds"], 1) for account, e in plan.estimates.items()}
        await asyncio.sleep(PAUSE)
        started = time.perf_counter()
        report = await api.reconcile(state, journal_path=str(workdir / f"{name}.jsonl"))
        took = time.perf_counter() - started
    finally:
        await server.stop()
    # each account writes as soon as its own plan is read: the slowest account's plan and apply
    estimate = round(whole_run(plan.estimates, {a: b.get("identity") for a, b in plan.accounts.items()})["seconds"], 1)
    return {"case": name, "changes": sum(1 for c in plan.changes if c.status == "change"),
            "estimate_seconds": estimate, "per_account_estimate_seconds": estimates,
            "apply_seconds": round(took, 1), "ratio": round(took / estimate, 3) if estimate else None,
            "exit_code": report.exit_code,
            "rate_limited": sum(1 for venue in server.venues.values() for c in venue.calls if c["status"] == 429)}


async def run_estimate(symbols: int, workdir: Path, mixed: int = 0) -> dict:
    """The Bitget case at `symbols` symbols, and the three-venue case at `mixed` symbols per venue (0: skip)."""
    def bitget_file(url):
        path = workdir / "estimate-bitget.yaml"
        path.write_text(yaml.safe_dump(bitget_case(symbols, url)[1]))
        return path

    result = {"bitget": await measure(bitget_case(symbols, "")[0], bitget_file, workdir, "bitget")}
    if mixed:
        world, accounts, _ = build(mixed, "5/10s")
        result["mixed"] = await measure(world, lambda url: write_desired(workdir, accounts, url, "estimate-mixed.yaml"),
                                        workdir, "mixed")
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--symbols", type=int, default=300, help="symbols of the Bitget case (default 300)")
    parser.add_argument("--mixed", type=int, default=60, help="symbols per venue of the mixed case (0 skips it)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="reconciler-estimate-") as tmp:
        os.environ["RECONCILER_LOCK_DIR"] = str(Path(tmp) / "locks")
        result = asyncio.run(run_estimate(args.symbols, Path(tmp), args.mixed))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
