"""The estimate case: one Bitget account whose symbols all need a new leverage; the plan's "applying will take
about" against the time the apply really takes (issue 12 asks within 25 % at 300 symbols)."""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from reconciler import api
from reconciler.executor import execute
from reconciler.planner import plan as make_plan
from reconciler.sim.server import SimServer

from bench.world import BG_KEY


async def run_estimate(symbols: int, workdir: Path) -> dict:
    names = [f"E{i:04d}USDT" for i in range(symbols)]
    world = {"bitget": {
        "contracts": [{"symbol": s, "productType": "USDT-FUTURES", "baseCoin": s[:-4], "quoteCoin": "USDT",
                       "minLever": "1", "maxLever": "100", "supportMarginCoins": ["USDT"]} for s in names],
        "accounts": [{**BG_KEY, "position_modes": {"USDT-FUTURES": "one_way_mode"}, "balances": {"USDT": "1000"},
                      "positions": [], "orders": [],
                      "symbols": {s: {"marginCoin": "USDT", "marginMode": "crossed", "crossedMarginLeverage": "10",
                                      "isolatedLongLever": "10", "isolatedShortLever": "10"} for s in names}}]}}
    server = SimServer(world)
    url = await server.start("127.0.0.1", 0)
    try:
        path = workdir / "estimate.yaml"
        path.write_text(yaml.safe_dump({"version": 1, "accounts": {"bg": {
            "venue": "bitget", "environment": "sim", "base_url": url, "product_type": "USDT-FUTURES",
            "credentials": {k: BG_KEY[k] for k in ("api_key", "secret", "passphrase")},
            "symbols": {s: {"margin_mode": "cross", "leverage": 20} for s in names}}}}))
        state = api.load(path)
        async with api.open_run(state) as run:
            plan = await make_plan(state, connections=run)
            estimate = plan.estimates["bg"]["seconds"]
            started = time.perf_counter()
            report = await execute(plan, state, run)
            took = time.perf_counter() - started
    finally:
        await server.stop()
    return {"symbols": symbols, "estimate_seconds": round(estimate, 1), "apply_seconds": round(took, 1),
            "ratio": round(took / estimate, 3) if estimate else None, "exit_code": report.exit_code,
            "rate_limited": sum(1 for c in server.venues["bitget"].calls if c["status"] == 429)}
