"""OKX symbols named by a pattern: leverage is read only in the margin mode the file asks for, 20 per call."""

from __future__ import annotations

import json
import math

import test_okx_e2e as okx
from conftest import write_yaml

EXTRA = [f"A{i:02d}" for i in range(45)]


def pattern_world() -> dict:
    world = okx.world()
    account = world["okx"]["accounts"][0]
    world["okx"]["instruments"] = okx.instruments(extra_swaps=EXTRA)
    account.update(config={"posMode": "net_mode", "acctLv": "2", "ctIsoMode": "automatic"},
                   positions=[], orders=[], algo_orders=[],
                   leverage={f"{c}-USDT-SWAP": {"cross": "5", "isolated": "3"} for c in EXTRA})
    return world


def leverage_reads(sim) -> list[dict]:
    return [c for c in sim.calls("okx") if c["path"] == "/api/v5/account/leverage-info"]


def test_a_pattern_reads_leverage_in_the_files_margin_mode_only(start_sim, cli, tmp_path):
    sim = start_sim(pattern_world())
    path = write_yaml(tmp_path / "desired.yaml", {"version": 1, "accounts": {"ox": {
        "venue": "okx", "environment": "sim", "base_url": sim.url,
        "credentials": {k: okx.KEY[k] for k in ("api_key", "secret", "passphrase")},
        "symbols": {"A*-USDT-SWAP": {"margin_mode": "cross", "leverage": 5},
                    "A07-USDT-SWAP": {"margin_mode": "isolated", "leverage": 4}}}}})
    code, out, err = cli("plan", path, "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    assert [(c["symbol"], c["margin_mode"], c["from"], c["to"]) for c in plan["changes"]] == [
        ("A07-USDT-SWAP", "isolated", "3", "4")]
    assert sum(item.endswith("/leverage/cross") for item in plan["in_sync"]) == len(EXTRA) - 1
    reads = leverage_reads(sim)
    modes = [c["query"]["mgnMode"] for c in reads]
    assert sorted(modes) == ["cross"] * math.ceil((len(EXTRA) - 1) / 20) + ["isolated"]
    read_ids = [i for c in reads for i in c["query"]["instId"].split(",")]
    assert sorted(read_ids) == sorted(f"{c}-USDT-SWAP" for c in EXTRA)  # each symbol once, in its own mode
