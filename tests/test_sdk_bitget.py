"""ccxt's Bitget client, unchanged, on every endpoint the reconciler's Bitget adapter uses, against the simulator.

(Bitget's official Python SDK, BitgetLimited/v3-bitget-api-sdk, is not published on PyPI: it is meant to be
copied from its repository, so it cannot be a declared test dependency.)
"""

from __future__ import annotations

import time

import ccxt
import pytest

KEY = {"api_key": "bk-sdk", "secret": "bitget-sdk-secret", "passphrase": "bitget-sdk-pass", "uid": "2101"}
DAY_MS = 86_400_000

# Every endpoint the reconciler's Bitget adapter calls (reads, then writes).
ADAPTER_ENDPOINTS = {
    ("GET", "/api/v2/mix/market/contracts"), ("GET", "/api/v2/mix/account/account"),
    ("GET", "/api/v2/mix/position/all-position"), ("GET", "/api/v2/mix/order/orders-pending"),
    ("GET", "/api/v2/mix/order/orders-plan-pending"), ("POST", "/api/v2/mix/account/set-margin-mode"),
    ("POST", "/api/v2/mix/account/set-leverage"), ("POST", "/api/v2/mix/account/set-margin"),
    ("POST", "/api/v2/mix/account/set-position-mode"),
}


def world():
    symbols = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
    return {"bitget": {
        "contracts": [{"symbol": s, "productType": "USDT-FUTURES", "baseCoin": s[:-4], "quoteCoin": "USDT",
                       "minLever": "1", "maxLever": "100", "supportMarginCoins": ["USDT"]} for s in symbols],
        "accounts": [{
            **KEY,
            "position_modes": {"USDT-FUTURES": "one_way_mode"},
            "balances": {"USDT": "100000"},
            "symbols": {"ETHUSDT": {"marginCoin": "USDT", "marginMode": "isolated", "crossedMarginLeverage": "10",
                                    "isolatedLongLever": "10", "isolatedShortLever": "10"}},
            "positions": [{"symbol": "ETHUSDT", "marginCoin": "USDT", "holdSide": "long", "marginMode": "isolated",
                           "total": "2", "marginSize": "700", "openPriceAvg": "3000"}],
            "orders": [{"symbol": "BTCUSDT", "marginCoin": "USDT", "side": "buy", "size": "0.1", "price": "50000",
                        "marginMode": "crossed", "status": "partially_filled"},
                       {"symbol": "BTCUSDT", "marginCoin": "USDT", "side": "buy", "size": "0.2", "price": "40000",
                        "marginMode": "crossed", "cTime": str(int(time.time() * 1000) - 200 * DAY_MS)}],
            "plan_orders": [{"symbol": "ETHUSDT", "marginCoin": "USDT", "planType": "normal_plan", "side": "sell",
                             "size": "1", "triggerPrice": "4000"}],
        }],
    }}


def test_ccxt_bitget_on_every_endpoint_the_adapter_uses(start_sim):
    sim = start_sim(world())
    exchange = ccxt.bitget({"apiKey": KEY["api_key"], "secret": KEY["secret"], "password": KEY["passphrase"],
                            "enableRateLimit": False})
    exchange.urls["api"] = {name: sim.url for name in exchange.urls["api"]}
    exchange.options["defaultType"] = "swap"
    exchange.options["fetchMarkets"] = {"types": ["swap"]}
    exchange.options["uta"] = False  # a classic account: no /api/v3 detection call

    exchange.load_markets()
    assert exchange.fetch_leverage("ETH/USDT:USDT")["marginMode"] == "isolated"
    (position,) = exchange.fetch_positions()
    assert (position["symbol"], position["side"], position["collateral"]) == ("ETH/USDT:USDT", "long", 700)
    # status and time range as ccxt sends them: a partially filled order and one from 200 days ago need the
    # explicit status and an older span
    now = int(time.time() * 1000)
    live = exchange.fetch_open_orders("BTC/USDT:USDT", params={"status": "partially_filled"})
    assert [o["amount"] for o in live] == [0.1]
    old = exchange.fetch_open_orders("BTC/USDT:USDT", since=now - 260 * DAY_MS,
                                     params={"endTime": now - 180 * DAY_MS})
    assert [o["amount"] for o in old] == [0.2]
    triggers = exchange.fetch_open_orders("ETH/USDT:USDT", params={"trigger": True, "planType": "normal_plan"})
    assert [o["triggerPrice"] for o in triggers] == [4000]

    exchange.set_margin_mode("isolated", "SOL/USDT:USDT")
    exchange.set_leverage(7, "SOL/USDT:USDT")
    exchange.add_margin("ETH/USDT:USDT", 50, params={"holdSide": "long"})
    exchange.reduce_margin("ETH/USDT:USDT", -20, params={"holdSide": "long"})
    with pytest.raises(ccxt.ExchangeError):  # the ETH position is open
        exchange.set_position_mode(True, "ETH/USDT:USDT")
    refused = [c for c in sim.calls("bitget") if c["path"] == "/api/v2/mix/account/set-position-mode"]
    assert [c["code"] for c in refused] == ["40920"]  # the simulator's answer, not ccxt's wording of it

    state = sim.state("bitget")["accounts"][0]
    sol = state["symbols"]["SOLUSDT"]
    assert (sol["marginMode"], sol["isolatedLongLever"], sol["isolatedShortLever"]) == ("isolated", "7", "7")
    assert state["positions"][0]["marginSize"] == "730" and state["balances"]["USDT"] == "99970"
    served = {(c["method"], c["path"]) for c in sim.calls("bitget") if c["status"] in (200, 400)}
    assert ADAPTER_ENDPOINTS <= served
    assert all(c["code"] not in ("40009", "40012", "40037") for c in sim.calls("bitget"))  # every signature held
