"""Bitget's liquidation estimate counts the taker fee, and a lower leverage tops margin up at the mark price.

Bitget support 12560603808759: isolated liquidation = [margin - size x entry x direction] /
[size x (MMR + TakerFeeRatio - direction)]; support 12560603838731: margin = size x mark price / leverage.
Numbers below are worked by hand from those formulas.
"""

from __future__ import annotations

import json

import pytest

import test_bitget_e2e as bitget


def world(taker_fee="0.01") -> dict:
    data = bitget.world()
    for contract in data["bitget"]["contracts"]:
        if contract["symbol"] == "ETHUSDT":
            contract["takerFeeRate"] = taker_fee  # a high rate, so leaving the fee out shows
    account = data["bitget"]["accounts"][0]
    account["symbols"]["XRPUSDT"]["marginMode"] = "isolated"
    account["positions"] = [
        {"symbol": "ETHUSDT", "marginCoin": "USDT", "holdSide": "long", "marginMode": "isolated", "total": "2",
         "marginSize": "1500", "openPriceAvg": "3000", "markPrice": "4000", "keepMarginRate": "0.005"},
        {"symbol": "XRPUSDT", "marginCoin": "USDT", "holdSide": "short", "marginMode": "isolated",
         "total": "1000", "marginSize": "200", "openPriceAvg": "0.5"},  # contract fee 0.0006, MMR 0.004
    ]
    return data


def desired(tmp_path, url, symbol, leverage=10, margin=None):
    spec = {"margin_mode": "isolated", "leverage": {"long": leverage, "short": 10}}
    if margin is not None:
        spec["isolated_margin"] = {"long": margin, "short": margin}  # the side without a position is n/a
    return bitget.config(tmp_path, url, symbols={symbol: spec})


def preview_of(cli, path, change_id):
    code, out, err = cli("plan", path, "--format", "json")
    assert code == 0, err
    return {c["id"]: c for c in json.loads(out)["changes"]}[change_id]["liquidation_price"]


def test_a_margin_moves_estimate_counts_the_taker_fee_as_bitget_reports_it(start_sim, cli, tmp_path):
    sim = start_sim(world())
    path = desired(tmp_path, sim.url, "ETHUSDT", margin=1800)
    planned = preview_of(cli, path, "bg/ETHUSDT/isolated_margin/long")
    # now (6000 - 1500) / (2 x (1 - 0.005 - 0.01)); after (6000 - 1800) / (2 x 0.985): without the fee 2110.55
    assert (planned["from"], planned["to"], planned["mark"]) == ("2284.26", "2131.98", "4000")
    assert cli("apply", path, "--auto-approve")[0] == 0
    again = preview_of(cli, desired(tmp_path, sim.url, "ETHUSDT", margin=1810), "bg/ETHUSDT/isolated_margin/long")
    assert again["from"] == "2131.98"  # what GET all-position reports once the margin is 1800


def test_a_short_estimate_counts_the_contracts_own_taker_fee(start_sim, cli, tmp_path):
    sim = start_sim(world())
    planned = preview_of(cli, desired(tmp_path, sim.url, "XRPUSDT", margin=260), "bg/XRPUSDT/isolated_margin/short")
    assert planned["to"] == "0.75652"  # (500 + 260) / (1000 x (1 + 0.004 + 0.0006)); without the fee 0.756972


def test_a_lower_leverage_tops_margin_up_to_what_it_requires_at_the_mark_price(start_sim, cli, tmp_path):
    sim = start_sim(world())
    path = desired(tmp_path, sim.url, "ETHUSDT", leverage=2)
    planned = preview_of(cli, path, "bg/ETHUSDT/leverage/isolated/long")
    # 2 x 4000 / 2 = 4000 of margin (at the entry price it would be 3000: 1522.84)
    assert planned["to"] == "1015.23"
    assert cli("apply", path, "--auto-approve")[0] == 0
    account = sim.state("bitget")["accounts"][0]
    eth = next(p for p in account["positions"] if p["symbol"] == "ETHUSDT")
    assert (eth["marginSize"], account["balances"]["USDT"]) == ("4000", "97500")
    assert preview_of(cli, desired(tmp_path, sim.url, "ETHUSDT", leverage=3),
                      "bg/ETHUSDT/leverage/isolated/long")["from"] == "1015.23"


@pytest.mark.parametrize("target, applied", [(700, False), (900, True)], ids=["below-mark-need", "above"])
def test_margin_cannot_be_reduced_below_what_the_leverage_requires_at_the_mark_price(target, applied, start_sim,
                                                                                      cli, tmp_path):
    sim = start_sim(world())  # leverage 10 needs 2 x 4000 / 10 = 800 (600 at the entry price)
    code, out, err = cli("apply", desired(tmp_path, sim.url, "ETHUSDT", margin=target), "--auto-approve")
    moves = [c for c in sim.calls("bitget") if c["path"] == "/api/v2/mix/account/set-margin"]
    assert [c["code"] for c in moves] == (["00000"] if applied else ["40801"]), out + err
    eth = next(p for p in sim.state("bitget")["accounts"][0]["positions"] if p["symbol"] == "ETHUSDT")
    assert eth["marginSize"] == (str(target) if applied else "1500")
    assert (code == 0) == applied
