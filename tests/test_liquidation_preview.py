"""The liquidation price before and after a change: the preview matches what the venue reports after apply."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

import test_orderly_e2e as orderly
from reconciler.venues.orderly.liquidation import orderly_isolated

BTC, XRP, NEAR = orderly.BTC, orderly.XRP, orderly.NEAR
POSITIONS = [
    {"symbol": BTC, "margin_mode": "ISOLATED", "position_qty": "0.1", "margin": "1500", "average_open_price": "60000"},
    {"symbol": XRP, "margin_mode": "ISOLATED", "position_qty": "-1000", "margin": "200", "average_open_price": "0.5"},
    {"symbol": NEAR, "margin_mode": "CROSS", "position_qty": "-100", "average_open_price": "5"},
]


@pytest.fixture
def sim(start_sim):
    return start_sim(orderly.world(positions=POSITIONS, orders=[], margin_modes={BTC: "ISOLATED", XRP: "ISOLATED"}))


def preview_of(cli, path, change_id: str) -> dict:
    code, out, err = cli("plan", path, "--format", "json")
    assert code == 0, err
    change = {c["id"]: c for c in json.loads(out)["changes"]}[change_id]
    return change["liquidation_price"]


def close(a: str, b: str) -> bool:
    return abs(Decimal(a) - Decimal(b)) <= Decimal("0.005") * abs(Decimal(b))


@pytest.mark.parametrize("symbol, start, target", [
    (BTC, 1500, 1800), (BTC, 1500, 1300),  # long: add, reduce
    (XRP, 200, 260), (XRP, 200, 120),      # short: add, reduce
], ids=["long-add", "long-reduce", "short-add", "short-reduce"])
def test_a_margin_moves_preview_is_what_orderly_reports_after_it(symbol, start, target, sim, cli, tmp_path):
    wanted = {"margin_mode": "isolated", "leverage": 5 if symbol == BTC else 10}
    path = orderly.config(tmp_path, sim.url, symbols={symbol: {**wanted, "isolated_margin": target}})
    planned = preview_of(cli, path, f"ol/{symbol}/isolated_margin")
    assert planned["mark"] and planned["from"] and planned["to"]
    moved_away = Decimal(planned["to"]) < Decimal(planned["from"]) if symbol == BTC else \
        Decimal(planned["to"]) > Decimal(planned["from"])
    assert moved_away == (target > start)  # more margin moves liquidation away from the mark
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    again = orderly.config(tmp_path, sim.url, symbols={symbol: {**wanted, "isolated_margin": target + 10}})
    reported = preview_of(cli, again, f"ol/{symbol}/isolated_margin")["from"]  # read from GET /v1/positions
    assert close(planned["to"], reported), (planned, reported)


def test_an_isolated_leverage_change_on_an_open_position_is_blocked_and_gets_no_estimate(sim, cli, tmp_path):
    path = orderly.config(tmp_path, sim.url, symbols={XRP: {"margin_mode": "isolated", "leverage": 8}})
    code, out, err = cli("plan", path, "--format", "json")
    change = {c["id"]: c for c in json.loads(out)["changes"]}[f"ol/{XRP}/leverage/isolated"]
    assert change["status"] == "blocked" and change["liquidation_price"] is None


def test_a_cross_position_gets_no_estimate_rather_than_a_wrong_one(sim, cli, tmp_path):
    path = orderly.config(tmp_path, sim.url, symbols={NEAR: {"margin_mode": "cross", "leverage": 4}})
    assert preview_of(cli, path, f"ol/{NEAR}/leverage/cross") is None


def test_the_orderly_formula():
    # long 0.1 BTC bought at 60000 (cost 6000), 1500 margin, MMR 0.6 %: (1500 - 6000) / (0.1 * 0.006 - 0.1)
    assert orderly_isolated(Decimal(1500), Decimal(6000), Decimal("0.1"), Decimal("0.006")).quantize(
        Decimal("0.01")) == Decimal("45271.63")
    # short 1000 at 0.5 (cost -500), 200 margin: (200 + 500) / (1000 * 0.006 + 1000)
    assert orderly_isolated(Decimal(200), Decimal(-500), Decimal(-1000), Decimal("0.006")).quantize(
        Decimal("0.0001")) == Decimal("0.6958")


def test_min_liquidation_distance_denies_a_reduction_that_brings_liquidation_too_close(sim, cli, tmp_path):
    import yaml
    path = orderly.config(tmp_path, sim.url, symbols={BTC: {"margin_mode": "isolated", "leverage": 5,
                                                            "isolated_margin": 1300}})
    document = yaml.safe_load(open(path))
    document["policy"] = {"min_liquidation_distance": 25}  # after the move: 47,283.7 is 21.2 % from 60,000
    open(path, "w").write(yaml.safe_dump(document))
    sim.clear_calls("orderly")
    code, out, err = cli("apply", path, "--auto-approve", "--format", "json")
    assert code == 3
    denied = {c["id"]: c for c in json.loads(out)["changes"]}[f"ol/{BTC}/isolated_margin"]
    assert denied["result"] == "denied" and "is 21.19 % from the mark price 60000" in denied["message"]
    assert [c for c in sim.calls("orderly") if c["method"] == "POST"] == []
    document["policy"] = {"min_liquidation_distance": 20}
    open(path, "w").write(yaml.safe_dump(document))
    assert cli("apply", path, "--auto-approve")[0] == 0


# --- Bitget ----------------------------------------------------------------------------------------

import test_bitget_e2e as bitget  # noqa: E402


def bitget_world() -> dict:
    world = bitget.world()
    account = world["bitget"]["accounts"][0]
    account["symbols"]["XRPUSDT"]["marginMode"] = "isolated"
    account["positions"] = [
        {"symbol": "ETHUSDT", "marginCoin": "USDT", "holdSide": "long", "marginMode": "isolated",
         "total": "2", "marginSize": "1500", "openPriceAvg": "3000", "markPrice": "3100", "keepMarginRate": "0.005"},
        {"symbol": "XRPUSDT", "marginCoin": "USDT", "holdSide": "short", "marginMode": "isolated",
         "total": "1000", "marginSize": "200", "openPriceAvg": "0.5"},
    ]
    return world


@pytest.mark.parametrize("symbol, side, target", [
    ("ETHUSDT", "long", 1800), ("ETHUSDT", "long", 900), ("XRPUSDT", "short", 260), ("XRPUSDT", "short", 120),
], ids=["long-add", "long-reduce", "short-add", "short-reduce"])
def test_a_bitget_margin_moves_preview_is_what_bitget_reports_after_it(symbol, side, target, start_sim, cli, tmp_path):
    sim = start_sim(bitget_world())
    leverage = {"long": 10, "short": 10}

    def desired(margin):
        return bitget.config(tmp_path, sim.url, symbols={symbol: {
            "margin_mode": "isolated", "leverage": leverage, "isolated_margin": {
                "long": margin, "short": margin}}})  # the side without a position is n/a

    change_id = f"bg/{symbol}/isolated_margin/{side}"
    planned = preview_of(cli, desired(target), change_id)
    assert planned["from"] and planned["to"] and planned["mark"]
    code, out, err = cli("apply", desired(target), "--auto-approve")
    assert code == 0, out + err
    reported = preview_of(cli, desired(target + 10), change_id)["from"]  # GET all-position's liquidationPrice
    assert close(planned["to"], reported), (planned, reported)


# --- OKX ---------------------------------------------------------------------------------------------

import test_okx_e2e as okx  # noqa: E402


def okx_world() -> dict:
    world = okx.world()
    account = world["okx"]["accounts"][0]
    account["orders"], account["algo_orders"] = [], []
    account["positions"] = [
        {"instId": "ETH-USDT-SWAP", "mgnMode": "isolated", "posSide": "long", "pos": "2", "margin": "300",
         "avgPx": "3000", "markPx": "3050"},
        {"instId": "SOL-USDT-SWAP", "mgnMode": "isolated", "posSide": "short", "pos": "10", "margin": "800",
         "avgPx": "150"},
    ]
    return world


def okx_desired(tmp_path, url, symbol, side, leverage, margin):
    other = {"long": "short", "short": "long"}[side]
    spec = {"margin_mode": "isolated", "leverage": {side: leverage, other: 10 if symbol.startswith("ETH") else 5}}
    if margin is not None:
        spec["isolated_margin"] = {side: margin, other: 1}
    return okx.config(tmp_path, url, symbols={symbol: spec})


@pytest.mark.parametrize("symbol, side, leverage, margin, field", [
    ("ETH-USDT-SWAP", "long", 10, 400, "isolated_margin/long"), ("ETH-USDT-SWAP", "long", 10, 200, "isolated_margin/long"),
    ("SOL-USDT-SWAP", "short", 5, 1000, "isolated_margin/short"), ("SOL-USDT-SWAP", "short", 5, 500, "isolated_margin/short"),
    ("ETH-USDT-SWAP", "long", 5, None, "leverage/isolated/long"), ("SOL-USDT-SWAP", "short", 10, None, "leverage/isolated/short"),
], ids=["long-add", "long-reduce", "short-add", "short-reduce", "long-leverage-down", "short-leverage-up"])
def test_an_okx_preview_is_what_okx_reports_after_the_change(symbol, side, leverage, margin, field, start_sim, cli,
                                                              tmp_path):
    sim = start_sim(okx_world())
    change_id = f"ox/{symbol}/{field}"
    path = okx_desired(tmp_path, sim.url, symbol, side, leverage, margin)
    planned = preview_of(cli, path, change_id)
    assert planned["from"] and planned["to"] and planned["mark"] and planned["to"] != planned["from"]
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    if margin is None:  # a leverage change: the next plan changes it back, its `from` is OKX's liqPx now
        again = okx_desired(tmp_path, sim.url, symbol, side, leverage + 1, None)
    else:
        again = okx_desired(tmp_path, sim.url, symbol, side, leverage, margin + 10)
    reported = preview_of(cli, again, change_id)["from"]
    assert close(planned["to"], reported), (planned, reported)
    if margin is None:
        assert any(c["path"] == "/api/v5/account/adjust-leverage-info" for c in sim.calls("okx"))


def test_the_readmes_preview_is_what_the_quickstart_plans(cli, tmp_path):
    import shutil
    from pathlib import Path

    from test_readme_examples import fenced
    examples = Path(__file__).parent.parent / "examples"
    for name in ("quickstart.yaml", "quickstart-world.yaml"):
        shutil.copy(examples / name, tmp_path / name)
    shown = next(block for block in fenced("text") if "liq ≈" in block)
    code, out, err = cli("plan", str(tmp_path / "quickstart.yaml"), "--account", "orderly-main")
    assert code == 0, err
    assert all(line in out for line in shown.strip().splitlines()), out


@pytest.mark.parametrize("symbol, side, leverage", [
    ("ETHUSDT", "long", 2), ("XRPUSDT", "short", 2), ("ETHUSDT", "long", 20),
], ids=["long-down", "short-down", "long-up"])
def test_a_bitget_leverage_changes_preview_is_what_bitget_reports_after_it(symbol, side, leverage, start_sim, cli,
                                                                            tmp_path):
    sim = start_sim(bitget_world())

    def desired(value):
        return bitget.config(tmp_path, sim.url, symbols={symbol: {
            "margin_mode": "isolated", "leverage": {side: value, {"long": "short", "short": "long"}[side]: 10}}})

    change_id = f"bg/{symbol}/leverage/isolated/{side}"
    planned = preview_of(cli, desired(leverage), change_id)
    assert planned["from"] and planned["to"]
    assert (planned["to"] == planned["from"]) == (leverage > 10)  # a higher leverage leaves the margin
    code, out, err = cli("apply", desired(leverage), "--auto-approve")
    assert code == 0, out + err
    reported = preview_of(cli, desired(leverage + 1), change_id)["from"]
    assert close(planned["to"], reported), (planned, reported)


def test_an_okx_preview_the_venue_refuses_is_no_estimate_and_the_plan_still_holds(start_sim, cli, tmp_path):
    sim = start_sim(okx_world())
    sim.faults("okx", [{"method": "GET", "path": "/api/v5/account/adjust-leverage-info", "kind": "venue_error",
                        "status": 200, "code": "51000", "count": 5}])
    path = okx_desired(tmp_path, sim.url, "ETH-USDT-SWAP", "long", 5, None)
    planned = preview_of(cli, path, "ox/ETH-USDT-SWAP/leverage/isolated/long")
    assert planned["from"] and planned["to"] is None


def test_an_okx_portfolio_margin_account_gets_no_estimate(start_sim, cli, tmp_path):
    world = okx_world()
    world["okx"]["accounts"][0]["config"]["acctLv"] = "4"
    sim = start_sim(world)
    path = okx_desired(tmp_path, sim.url, "ETH-USDT-SWAP", "long", 10, 400)
    assert preview_of(cli, path, "ox/ETH-USDT-SWAP/isolated_margin/long") is None
