"""OKX leverage-info reads: each call names one margin mode and ids of one instrument type, up to 20 of them."""

from __future__ import annotations

import json

import pytest

from test_okx_scenarios import FUT1, FUT2, INSTRUMENTS, desired, venue_account

EXTRA_SWAPS = [f"C{i:02d}-USDT-SWAP" for i in range(22)]
PAIRS = [i["instId"] for i in INSTRUMENTS if i["instType"] == "MARGIN"]
SWAPS = [i["instId"] for i in INSTRUMENTS if i["instType"] == "SWAP"] + EXTRA_SWAPS
FUTURES = [FUT1, FUT2]
LIVE = {**{s: "3" for s in SWAPS}, **{p: "4" for p in PAIRS}, **{f: "6" for f in FUTURES}}


def kind(inst_id: str) -> str:
    """The instrument type an OKX id names (okx.md 3)."""
    tail = inst_id.split("-")[-1]
    return "SWAP" if tail == "SWAP" else "FUTURES" if tail.isdigit() else "MARGIN"


def world(mode: str) -> dict:
    instruments = INSTRUMENTS + [{"instId": s, "instType": "SWAP", "instFamily": s.removesuffix("-SWAP"),
                                  "lever": "20", "settleCcy": "USDT", "ctVal": "1"} for s in EXTRA_SWAPS]
    leverage = {symbol: {mode: value} for symbol, value in LIVE.items()}
    return {"okx": {"instruments": instruments, "accounts": [venue_account("1001", "2", leverage=leverage)]}}


@pytest.mark.parametrize("mode", ["isolated", "cross"])
def test_swap_margin_and_futures_symbols_of_one_mode_are_read_one_type_per_call(mode, start_sim, cli, tmp_path):
    sim = start_sim(world(mode))
    symbols = {symbol: {"margin_mode": mode, "leverage": 5} for symbol in LIVE}
    code, out, err = cli("plan", desired(tmp_path, sim.url, {"1001": {"symbols": symbols}}), "--format", "json")
    assert code == 0, err
    reads = [c for c in sim.calls("okx") if c["path"] == "/api/v5/account/leverage-info"]
    ids = [c["query"]["instId"].split(",") for c in reads]
    assert all(c["code"] == "0" and c["query"]["mgnMode"] == mode for c in reads)
    assert all(len({kind(i) for i in batch}) == 1 and len(batch) <= 20 for batch in ids), ids
    assert sorted(i for batch in ids for i in batch) == sorted(LIVE)  # each symbol read once
    assert sorted((kind(batch[0]), len(batch)) for batch in ids) == [
        ("FUTURES", 2), ("MARGIN", 2), ("SWAP", 4), ("SWAP", 20)]
    # what was read landed on the right symbols: every change starts from that symbol's live value
    changes = {c["symbol"]: c for c in json.loads(out)["changes"] if c["field"] == "leverage"}
    assert {symbol: changes[symbol]["from"] for symbol in LIVE} == LIVE

