"""The Bybit v5 simulator: raw HTTP signed as DOCS guide.mdx says, the official pybit SDK, and ccxt's bybit."""

from __future__ import annotations

import ast
import asyncio
import copy
import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import pytest
from yarl import URL

from reconciler.sim.server import SimServer

BTC, ETH, SOL, USDC_PERP, INVERSE = "BTCUSDT", "ETHUSDT", "SOLUSDT", "BTCPERP", "BTCUSD"
SOON = (datetime.now(timezone.utc) + timedelta(days=3, hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

WORLD = {
    "bybit": {
        "instruments": [
            {"symbol": BTC, "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
             "riskLimits": [  # two tiers: a 30000 USDT position is in the second one
                 {"riskLimitValue": "20000", "maintenanceMargin": "0.005", "maxLeverage": "100.00"},
                 {"riskLimitValue": "1000000", "maintenanceMargin": "0.01", "mmDeduction": "100",
                  "maxLeverage": "25.00"}]},
            {"symbol": ETH, "leverageFilter": {"minLeverage": "1", "maxLeverage": "50.00", "leverageStep": "0.01"}},
            {"symbol": SOL, "leverageFilter": {"minLeverage": "1", "maxLeverage": "50.00", "leverageStep": "0.5"}},
            {"symbol": USDC_PERP},
            {"symbol": INVERSE, "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00",
                                                   "leverageStep": "0.01"}},
            {"symbol": "OLDUSDT", "status": "Closed"},
        ],
        "accounts": [
            {   # UTA 2.0, isolated margin, BTCUSDT in hedge mode with a long and a short, an ETHUSDT order
                "api_key": "k1", "secret": "s1", "uid": "3001", "unifiedMarginStatus": 6,
                "marginMode": "ISOLATED_MARGIN", "balances": {"USDT": "10000"},
                "symbols": {BTC: {"buyLeverage": "10", "sellLeverage": "5", "mode": 3}},
                "positions": [
                    {"symbol": BTC, "positionIdx": 1, "side": "Buy", "size": "0.5", "avgPrice": "60000",
                     "positionIM": "3100"},
                    {"symbol": BTC, "positionIdx": 2, "side": "Sell", "size": "0.2", "avgPrice": "61000"}],
                "orders": [
                    {"symbol": ETH, "side": "Buy", "orderType": "Limit", "qty": "1", "price": "2000"},
                    {"symbol": ETH, "side": "Sell", "orderType": "Market", "qty": "1", "triggerPrice": "1500",
                     "stopOrderType": "StopLoss", "orderId": "stop-1"}],
            },
            {   # UTA 2.0, cross margin, nothing open; SOLUSDT in hedge mode
                "api_key": "k2", "secret": "s2", "uid": "3002", "balances": {"USDT": "900"},
                "symbols": {ETH: {"buyLeverage": "20", "sellLeverage": "20"}, SOL: {"mode": 3}},
            },
            {   # classic account: BTCUSDT isolated with a position, ETHUSDT cross
                "api_key": "k3", "secret": "s3", "uid": "3003", "unifiedMarginStatus": 1,
                "balances": {"USDT": "2000"},
                "symbols": {BTC: {"tradeMode": 1, "buyLeverage": "10", "sellLeverage": "10"}},
                "positions": [{"symbol": BTC, "side": "Buy", "size": "0.1", "avgPrice": "50000"}],
            },
            {"api_key": "k4", "secret": "s4", "uid": "3004", "demo": True, "key_expires_at": SOON},
            {"api_key": "k5", "secret": "s5", "uid": "3005", "key_expires_at": "2020-01-01T00:00:00Z"},
            {"api_key": "k6", "secret": "s6", "uid": "3006", "readOnly": 1},
            {"api_key": "k7", "secret": "s7", "uid": "3007", "marginMode": "PORTFOLIO_MARGIN",
             "balances": {"USDC": "50000"}},
            {   # UTA 2.0, cross margin, one open position in SOLUSDT
                "api_key": "k8", "secret": "s8", "uid": "3008", "balances": {"USDT": "800"},
                "positions": [{"symbol": SOL, "side": "Buy", "size": "10", "avgPrice": "150"}],
            },
            {"api_key": "k9", "secret": "s9", "uid": "3009", "ips": ["10.1.2.3"]},
        ],
    },
}
SECRETS = {f"k{n}": f"s{n}" for n in range(1, 10)}


def stamp_ms(shift_ms: int = 0) -> str:
    return str(int(time.time() * 1000) + shift_ms)


def sign(secret: str, prehash: str) -> str:
    return hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).hexdigest()


async def call(http, srv, method, path, params=None, body=None, key="k1", *, stamp=None, recv="5000",
               secret=None, query=None, text=None, headers=None, signed=True):
    """One Bybit request signed as DOCS guide.mdx says; returns (HTTP status, answer, response headers)."""
    query = urlencode(params or {}) if query is None else query
    text = (json.dumps(body) if body is not None else "") if text is None else text
    sent = {"Content-Type": "application/json"}
    if signed:
        stamp = stamp or stamp_ms()
        payload = query if method == "GET" else text
        sent.update({"X-BAPI-API-KEY": key, "X-BAPI-TIMESTAMP": stamp, "X-BAPI-RECV-WINDOW": recv,
                     "X-BAPI-SIGN": sign(secret or SECRETS.get(key, "x"), stamp + key + recv + payload)})
    sent.update(headers or {})
    url = URL(srv.url + path + (f"?{query}" if query else ""), encoded=True)
    async with http.request(method, url, data=text or None, headers=sent) as resp:
        raw = await resp.text()
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = raw
        return resp.status, answer, resp.headers


async def ok(http, srv, method, path, params=None, body=None, key="k1") -> dict:
    status, answer, _ = await call(http, srv, method, path, params, body, key)
    assert (status, answer["retCode"]) == (200, 0), answer
    return answer["result"]


async def refused(http, srv, method, path, params=None, body=None, key="k1") -> tuple[int, dict]:
    status, answer, _ = await call(http, srv, method, path, params, body, key)
    assert status == 200 and answer["retCode"] != 0, answer
    return answer["retCode"], answer


def account(srv, uid: str) -> dict:
    return next(a for a in srv.venues["bybit"].state()["accounts"] if a["uid"] == uid)


async def rows(http, srv, symbol, key="k1") -> dict[int, dict]:
    result = await ok(http, srv, "GET", "/v5/position/list", {"category": "linear", "symbol": symbol}, key=key)
    return {row["positionIdx"]: row for row in result["list"]}


# --- signatures -------------------------------------------------------------------------------
async def test_envelope_and_a_get_signed_over_its_query(srv, http):
    status, answer, headers = await call(http, srv, "GET", "/v5/account/info")
    assert status == 200 and set(answer) == {"retCode", "retMsg", "result", "retExtInfo", "time"}
    assert answer["retCode"] == 0 and answer["retMsg"] == "OK" and answer["retExtInfo"] == {}
    assert answer["result"]["unifiedMarginStatus"] == 6 and answer["result"]["marginMode"] == "ISOLATED_MARGIN"
    # the query as sent is what is signed: the same parameters in another order are another payload
    stamp = stamp_ms()
    headers = {"X-BAPI-API-KEY": "k1", "X-BAPI-TIMESTAMP": stamp, "X-BAPI-RECV-WINDOW": "5000",
               "X-BAPI-SIGN": sign("s1", stamp + "k1" + "5000" + f"symbol={BTC}&category=linear")}
    url = URL(srv.url + f"/v5/position/list?category=linear&symbol={BTC}", encoded=True)
    async with http.get(url, headers=headers) as resp:
        assert resp.status == 200 and (await resp.json())["retCode"] == 10004


async def test_a_post_is_signed_over_its_exact_body(srv, http):
    body = {"category": "linear", "symbol": ETH, "buyLeverage": "7", "sellLeverage": "7"}
    spaced, compact = json.dumps(body), json.dumps(body, separators=(",", ":"))
    stamp = stamp_ms()
    headers = {"X-BAPI-API-KEY": "k2", "X-BAPI-TIMESTAMP": stamp, "X-BAPI-RECV-WINDOW": "5000",
               "X-BAPI-SIGN": sign("s2", stamp + "k2" + "5000" + spaced), "Content-Type": "application/json"}
    async with http.post(srv.url + "/v5/position/set-leverage", data=compact, headers=headers) as resp:
        assert (await resp.json())["retCode"] == 10004
    assert account(srv, "3002")["symbols"][ETH]["buyLeverage"] == "20"
    status, answer, _ = await call(http, srv, "POST", "/v5/position/set-leverage", text=compact, key="k2")
    assert answer["retCode"] == 0 and account(srv, "3002")["symbols"][ETH]["buyLeverage"] == "7"


async def test_bad_key_bad_sign_and_missing_headers(srv, http):
    status, answer, _ = await call(http, srv, "GET", "/v5/account/info", key="nope")
    assert (status, answer["retCode"]) == (200, 10003)
    status, answer, _ = await call(http, srv, "GET", "/v5/account/info", secret="wrong")
    assert (status, answer["retCode"]) == (200, 10004)
    status, answer, _ = await call(http, srv, "GET", "/v5/account/info", signed=False)
    assert (status, answer["retCode"]) == (401, 10003)


async def test_timestamp_must_lie_within_the_recv_window(srv, http):
    status, answer, _ = await call(http, srv, "GET", "/v5/account/info", stamp=stamp_ms(-6000))
    assert (status, answer["retCode"]) == (200, 10002)
    status, answer, _ = await call(http, srv, "GET", "/v5/account/info", stamp=stamp_ms(-6000), recv="10000")
    assert answer["retCode"] == 0  # the client's own window decides
    status, answer, _ = await call(http, srv, "GET", "/v5/account/info", stamp=stamp_ms(1500))
    assert answer["retCode"] == 10002  # [server_time - recv_window, server_time + 1000)
    status, answer, _ = await call(http, srv, "GET", "/v5/account/info", stamp=stamp_ms(500))
    assert answer["retCode"] == 0


async def test_key_expiry_permissions_and_bound_ips(srv, http):
    info = await ok(http, srv, "GET", "/v5/user/query-api", key="k4")
    assert info["deadlineDay"] == 3 and info["expiredAt"] == SOON and info["uta"] == 1 and info["readOnly"] == 0
    assert (await ok(http, srv, "GET", "/v5/user/query-api", key="k3"))["uta"] == 0
    no_expiry = await ok(http, srv, "GET", "/v5/user/query-api", key="k2")
    assert (no_expiry["deadlineDay"], no_expiry["expiredAt"]) == (-2, "1970-01-01T00:00:00Z")
    assert (await refused(http, srv, "GET", "/v5/account/info", key="k5"))[0] == 33004
    assert (await ok(http, srv, "GET", "/v5/user/query-api", key="k6"))["readOnly"] == 1
    assert (await refused(http, srv, "POST", "/v5/position/set-leverage",
                          body={"category": "linear", "symbol": ETH, "buyLeverage": "3", "sellLeverage": "3"},
                          key="k6"))[0] == 10005
    assert (await refused(http, srv, "GET", "/v5/account/info", key="k9"))[0] == 10010


# --- instruments and risk tiers -----------------------------------------------------------------
async def test_instruments_info_filters_and_pages_with_a_cursor(srv, http):
    first = await ok(http, srv, "GET", "/v5/market/instruments-info", {"category": "linear", "limit": "2"})
    second = await ok(http, srv, "GET", "/v5/market/instruments-info",
                      {"category": "linear", "limit": "2", "cursor": first["nextPageCursor"]})
    listed = [row["symbol"] for page in (first, second) for row in page["list"]]
    assert listed == [BTC, ETH, SOL, USDC_PERP] and second["nextPageCursor"] == ""  # OLDUSDT is not Trading
    btc = first["list"][0]
    assert btc["leverageFilter"] == {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"}
    assert btc["contractType"] == "LinearPerpetual" and btc["settleCoin"] == "USDT" and "riskLimits" not in btc
    usdc = second["list"][1]
    assert (usdc["settleCoin"], usdc["contractType"]) == ("USDC", "LinearPerpetual")
    inverse = await ok(http, srv, "GET", "/v5/market/instruments-info", {"category": "inverse"})
    assert [(r["symbol"], r["contractType"], r["settleCoin"]) for r in inverse["list"]] == [
        (INVERSE, "InversePerpetual", "BTC")]
    closed = await ok(http, srv, "GET", "/v5/market/instruments-info", {"category": "linear", "status": "Closed"})
    assert [r["symbol"] for r in closed["list"]] == ["OLDUSDT"]
    status, answer, _ = await call(http, srv, "GET", "/v5/market/instruments-info", {"category": "futures"},
                                   signed=False)
    assert (status, answer["retCode"]) == (200, 10001)


async def test_risk_limit_tiers_are_public(srv, http):
    result = await ok(http, srv, "GET", "/v5/market/risk-limit", {"category": "linear", "symbol": BTC})
    assert [(t["riskLimitValue"], t["maintenanceMargin"], t["maxLeverage"]) for t in result["list"]] == [
        ("20000", "0.005", "100.00"), ("1000000", "0.01", "25.00")]


# --- positions, leverage, orders ----------------------------------------------------------------
async def test_position_list_by_symbol_and_by_settle_coin(srv, http):
    hedge = await rows(http, srv, BTC)
    assert set(hedge) == {1, 2}
    long, short = hedge[1], hedge[2]
    assert (long["side"], long["size"], long["avgPrice"], long["leverage"]) == ("Buy", "0.5", "60000", "10")
    assert (short["side"], short["size"], short["leverage"]) == ("Sell", "0.2", "5")
    assert long["positionIM"] == long["positionBalance"] == "3100" and short["positionIM"] == "2440"
    assert long["tradeMode"] == 0 and long["riskId"] == 2 and short["riskId"] == 1
    flat = await rows(http, srv, ETH)  # a symbol with no position still answers its row
    assert list(flat) == [0] and (flat[0]["side"], flat[0]["size"], flat[0]["leverage"]) == ("", "0", "10")
    by_coin = await ok(http, srv, "GET", "/v5/position/list", {"category": "linear", "settleCoin": "USDT"})
    assert [(r["symbol"], r["positionIdx"]) for r in by_coin["list"]] == [(BTC, 1), (BTC, 2)]
    page = await ok(http, srv, "GET", "/v5/position/list", {"category": "linear", "settleCoin": "USDT", "limit": "1"})
    rest = await ok(http, srv, "GET", "/v5/position/list",
                    {"category": "linear", "settleCoin": "USDT", "limit": "1", "cursor": page["nextPageCursor"]})
    assert [r["positionIdx"] for r in page["list"] + rest["list"]] == [1, 2] and rest["nextPageCursor"] == ""
    code, _ = await refused(http, srv, "GET", "/v5/position/list", {"category": "linear"})
    assert code == 10001
    code, _ = await refused(http, srv, "GET", "/v5/position/list", {"category": "linear", "symbol": f"{BTC},{ETH}"})
    assert code == 10001  # UTA 2.0 takes one symbol a call
    classic = await rows(http, srv, BTC, key="k3")
    assert classic[0]["tradeMode"] == 1 and classic[0]["positionIM"] == "500"  # 0.1 x 50000 / 10


async def test_symbol_info_lists_every_symbols_leverage_and_demo_lacks_it(srv, http):
    result = await ok(http, srv, "GET", "/v5/position/symbol-info", {"category": "linear"})
    assert [(r["symbol"], r["positionIdx"], r["leverage"]) for r in result["list"]] == [
        (BTC, 1, "10"), (BTC, 2, "5"), (ETH, 0, "10"), (SOL, 0, "10"), (USDC_PERP, 0, "10")]
    status, answer, _ = await call(http, srv, "GET", "/v5/position/symbol-info", {"category": "linear"}, key="k4")
    assert (status, answer["retCode"]) == (404, 10017)
    assert (await refused(http, srv, "GET", "/v5/position/symbol-info", {"category": "linear"}, key="k7"))[0] == 110077


async def test_open_orders_include_conditional_ones(srv, http):
    every = await ok(http, srv, "GET", "/v5/order/realtime", {"category": "linear", "settleCoin": "USDT"})
    assert [(o["symbol"], o["side"], o["orderStatus"], o["stopOrderType"]) for o in every["list"]] == [
        (ETH, "Buy", "New", ""), (ETH, "Sell", "Untriggered", "StopLoss")]
    stops = await ok(http, srv, "GET", "/v5/order/realtime",
                     {"category": "linear", "symbol": ETH, "orderFilter": "StopOrder"})
    assert [o["orderId"] for o in stops["list"]] == ["stop-1"] and stops["list"][0]["triggerPrice"] == "1500"
    assert (await refused(http, srv, "GET", "/v5/order/realtime", {"category": "linear"}))[0] == 10001


async def test_per_side_leverage_in_hedge_and_isolated_mode(srv, http):
    await ok(http, srv, "POST", "/v5/position/set-leverage",
             body={"category": "linear", "symbol": BTC, "buyLeverage": "20", "sellLeverage": "4"})
    hedge = await rows(http, srv, BTC)
    assert (hedge[1]["leverage"], hedge[2]["leverage"]) == ("20", "4")
    code, _ = await refused(http, srv, "POST", "/v5/position/set-leverage",
                            body={"category": "linear", "symbol": BTC, "buyLeverage": "20", "sellLeverage": "4"})
    assert code == 110043
    # one-way mode needs equal sides, and hedge mode under cross margin too
    code, _ = await refused(http, srv, "POST", "/v5/position/set-leverage",
                            body={"category": "linear", "symbol": ETH, "buyLeverage": "3", "sellLeverage": "4"})
    assert code == 10001
    code, _ = await refused(http, srv, "POST", "/v5/position/set-leverage", key="k2",
                            body={"category": "linear", "symbol": SOL, "buyLeverage": "3", "sellLeverage": "4"})
    assert code == 110036
    await ok(http, srv, "POST", "/v5/position/set-leverage", key="k2",
             body={"category": "linear", "symbol": SOL, "buyLeverage": "3.5", "sellLeverage": "3.5"})


@pytest.mark.parametrize("body,code", [
    ({"buyLeverage": "101", "sellLeverage": "101"}, 10001),      # above maxLeverage
    ({"buyLeverage": "0.5", "sellLeverage": "0.5"}, 10001),      # below minLeverage
    ({"buyLeverage": "2.005", "sellLeverage": "2.005"}, 10001),  # off the 0.01 step
    ({"buyLeverage": "30", "sellLeverage": "5"}, 110013),        # the long's 30000 USDT tier allows 25x
    ({"buyLeverage": "x", "sellLeverage": "5"}, 10001),
])
async def test_leverage_bounds_step_and_risk_tier(srv, http, body, code):
    assert (await refused(http, srv, "POST", "/v5/position/set-leverage",
                          body={"category": "linear", "symbol": BTC, **body}))[0] == code
    assert account(srv, "3001")["symbols"][BTC]["buyLeverage"] == "10"


async def test_portfolio_margin_has_no_leverage(srv, http):
    code, _ = await refused(http, srv, "POST", "/v5/position/set-leverage", key="k7",
                            body={"category": "linear", "symbol": ETH, "buyLeverage": "5", "sellLeverage": "5"})
    assert code == 110038
    row = (await rows(http, srv, ETH, key="k7"))[0]
    assert row["leverage"] == row["liqPrice"] == row["positionIM"] == "" and row["riskId"] == 0


# --- margin mode --------------------------------------------------------------------------------
async def test_account_margin_mode_is_refused_while_another_symbol_has_a_position(srv, http):
    status, answer, _ = await call(http, srv, "POST", "/v5/account/set-margin-mode",
                                   body={"setMarginMode": "ISOLATED_MARGIN"}, key="k8")
    assert (status, answer["retCode"], answer["retMsg"]) == (200, 3400045, "Set margin mode failed")
    [reason] = answer["result"]["reasons"]
    assert reason["reasonCode"] == "3400208" and SOL in reason["reasonMsg"]
    assert account(srv, "3008").get("marginMode", "REGULAR_MARGIN") == "REGULAR_MARGIN"
    status, answer, _ = await call(http, srv, "POST", "/v5/account/set-margin-mode",
                                   body={"setMarginMode": "REGULAR_MARGIN"}, key="k1")
    names = [r["reasonMsg"] for r in answer["result"]["reasons"]]
    assert answer["retCode"] == 3400045 and len(names) == 4  # two BTCUSDT positions, two ETHUSDT orders
    assert sum(BTC in n for n in names) == 2 and sum(ETH in n for n in names) == 2


async def test_account_margin_mode_switches_when_nothing_is_open(srv, http):
    result = await ok(http, srv, "POST", "/v5/account/set-margin-mode", {}, {"setMarginMode": "ISOLATED_MARGIN"},
                      key="k2")
    assert result == {"reasons": []}
    assert (await ok(http, srv, "GET", "/v5/account/info", key="k2"))["marginMode"] == "ISOLATED_MARGIN"
    # isolated now, so the hedge-mode SOLUSDT sides may differ
    await ok(http, srv, "POST", "/v5/position/set-leverage", key="k2",
             body={"category": "linear", "symbol": SOL, "buyLeverage": "3", "sellLeverage": "4"})
    code, answer = await refused(http, srv, "POST", "/v5/account/set-margin-mode",
                                 body={"setMarginMode": "PORTFOLIO_MARGIN"}, key="k2")
    assert code == 3400045 and answer["result"]["reasons"][0]["reasonCode"] == "3400000"
    assert (await refused(http, srv, "POST", "/v5/account/set-margin-mode",
                          body={"setMarginMode": "CROSS"}, key="k2"))[0] == 10001
    assert (await refused(http, srv, "POST", "/v5/account/set-margin-mode",
                          body={"setMarginMode": "REGULAR_MARGIN"}, key="k3"))[0] == 10028


async def test_classic_accounts_switch_per_symbol_and_unified_ones_are_refused(srv, http):
    body = {"category": "linear", "symbol": ETH, "tradeMode": 1, "buyLeverage": "8", "sellLeverage": "8"}
    assert (await refused(http, srv, "POST", "/v5/position/switch-isolated", body=body, key="k2"))[0] == 100028
    await ok(http, srv, "POST", "/v5/position/switch-isolated", body=body, key="k3")
    row = (await rows(http, srv, ETH, key="k3"))[0]
    assert (row["tradeMode"], row["leverage"]) == (1, "8")
    assert (await refused(http, srv, "POST", "/v5/position/switch-isolated", body=body, key="k3"))[0] == 110026
    unequal = {**body, "tradeMode": 0, "sellLeverage": "9"}
    assert (await refused(http, srv, "POST", "/v5/position/switch-isolated", body=unequal, key="k3"))[0] == 10001
    with_position = {**body, "symbol": BTC, "tradeMode": 0}
    code, answer = await refused(http, srv, "POST", "/v5/position/switch-isolated", body=with_position, key="k3")
    assert code == 10001 and BTC in answer["retMsg"]
    assert account(srv, "3003")["symbols"][BTC]["tradeMode"] == 1


# --- position mode ------------------------------------------------------------------------------
async def test_switch_mode_per_symbol_and_its_refusals(srv, http):
    def body(symbol, mode):
        return {"category": "linear", "symbol": symbol, "mode": mode}
    assert (await refused(http, srv, "POST", "/v5/position/switch-mode", body=body(BTC, 3)))[0] == 110025
    assert (await refused(http, srv, "POST", "/v5/position/switch-mode", body=body(BTC, 0)))[0] == 110024
    assert (await refused(http, srv, "POST", "/v5/position/switch-mode", body=body(ETH, 3)))[0] == 110028
    assert (await refused(http, srv, "POST", "/v5/position/switch-mode", body=body(USDC_PERP, 3)))[0] == 110029
    await ok(http, srv, "POST", "/v5/position/switch-mode", body=body(SOL, 3))
    assert set(await rows(http, srv, SOL)) == {1, 2}


async def test_switch_mode_by_coin_skips_symbols_with_positions_or_orders(srv, http):
    await ok(http, srv, "POST", "/v5/position/switch-mode", body={"category": "linear", "coin": "USDT", "mode": 3},
             key="k8")
    assert set(await rows(http, srv, SOL, key="k8")) == {0}  # its position keeps it in one-way mode
    assert set(await rows(http, srv, ETH, key="k8")) == {1, 2}
    assert set(await rows(http, srv, BTC, key="k8")) == {1, 2}
    assert account(srv, "3008")["position_modes"] == {"USDT": 3}
    coin = {"category": "linear", "coin": "USDT", "mode": 3}
    await ok(http, srv, "POST", "/v5/position/switch-mode", body=coin, key="k2")
    assert (await refused(http, srv, "POST", "/v5/position/switch-mode", body=coin, key="k2"))[0] == 110025
    assert (await refused(http, srv, "POST", "/v5/position/switch-mode", key="k2",
                          body={**coin, "coin": "USDC"}))[0] == 110029  # no USDC contract has hedge mode


# --- isolated margin and liquidation price ------------------------------------------------------
def isolated_liq(long: bool, size, entry, held, mmr, deduction=Decimal(0)) -> Decimal:
    """Bybit help "Liquidation Price (USDT Contract)": entry -/+ (IM + extra - MM) / size."""
    size, entry, held = Decimal(size), Decimal(entry), Decimal(held)
    maintenance = size * entry * Decimal(mmr) - Decimal(deduction)
    return entry - (held - maintenance) / size if long else entry + (held - maintenance) / size


async def test_liquidation_price_follows_add_margin_and_set_leverage(srv, http):
    hedge = await rows(http, srv, BTC)
    assert Decimal(hedge[1]["liqPrice"]) == isolated_liq(True, "0.5", "60000", "3100", "0.01", "100") == 54200
    assert Decimal(hedge[2]["liqPrice"]) == isolated_liq(False, "0.2", "61000", "2440", "0.005") == 72895
    answer = await ok(http, srv, "POST", "/v5/position/add-margin",
                      body={"category": "linear", "symbol": BTC, "margin": "400", "positionIdx": 1})
    assert answer["positionIM"] == "3500" and Decimal(answer["liqPrice"]) == isolated_liq(
        True, "0.5", "60000", "3500", "0.01", "100")
    assert account(srv, "3001")["balances"]["USDT"] == "9600"
    # 20x needs 1500 of initial margin instead of 3000: the added 500 stays, 1500 goes back to the balance
    await ok(http, srv, "POST", "/v5/position/set-leverage",
             body={"category": "linear", "symbol": BTC, "buyLeverage": "20", "sellLeverage": "5"})
    long = (await rows(http, srv, BTC))[1]
    assert long["positionIM"] == "2000" and account(srv, "3001")["balances"]["USDT"] == "11100"
    assert Decimal(long["liqPrice"]) == isolated_liq(True, "0.5", "60000", "2000", "0.01", "100") == 56400
    await ok(http, srv, "POST", "/v5/position/add-margin",
             body={"category": "linear", "symbol": BTC, "margin": "-400", "positionIdx": 1})
    long = (await rows(http, srv, BTC))[1]
    assert Decimal(long["liqPrice"]) == isolated_liq(True, "0.5", "60000", "1600", "0.01", "100") == 57200


@pytest.mark.parametrize("body,key,code", [
    ({"symbol": BTC, "margin": "-700", "positionIdx": 1}, "k1", 110078),   # below the 10x initial margin
    ({"symbol": BTC, "margin": "20000", "positionIdx": 1}, "k1", 110014),  # more than the balance
    ({"symbol": BTC, "margin": "0", "positionIdx": 1}, "k1", 110027),
    ({"symbol": BTC, "margin": "10"}, "k1", 10001),                        # hedge mode needs positionIdx
    ({"symbol": BTC, "margin": "10.00001", "positionIdx": 1}, "k1", 10001),
    ({"symbol": ETH, "margin": "10", "positionIdx": 0}, "k1", 110033),     # no position
    ({"symbol": SOL, "margin": "10", "positionIdx": 0}, "k8", 110015),     # a cross position
])
async def test_add_margin_refusals_move_nothing(srv, http, body, key, code):
    before = srv.venues["bybit"].state()
    assert (await refused(http, srv, "POST", "/v5/position/add-margin", body={"category": "linear", **body},
                          key=key))[0] == code
    assert srv.venues["bybit"].state() == before


async def test_lowering_isolated_leverage_needs_the_balance_to_pay_for_it(srv, http):
    def body(leverage):
        return {"category": "linear", "symbol": BTC, "buyLeverage": leverage, "sellLeverage": leverage}
    # classic BTCUSDT, isolated: 0.1 at 50000 holds 500 at 10x; 1x would hold 5000, 2000 is available
    assert (await refused(http, srv, "POST", "/v5/position/set-leverage", body=body("1"), key="k3"))[0] == 110044
    assert account(srv, "3003")["balances"]["USDT"] == "2000"
    await ok(http, srv, "POST", "/v5/position/set-leverage", body=body("2"), key="k3")
    assert (await rows(http, srv, BTC, key="k3"))[0]["positionIM"] == "2500"
    assert account(srv, "3003")["balances"]["USDT"] == "0"


async def test_a_reduction_that_would_liquidate_at_once_is_refused(http):
    world = copy.deepcopy(WORLD)
    world["bybit"]["accounts"][0]["positions"][0]["markPrice"] = "54300"  # just above its 54200 liqPrice
    async with SimServer(world) as server:
        code, _ = await refused(http, server, "POST", "/v5/position/add-margin",
                                body={"category": "linear", "symbol": BTC, "margin": "-100", "positionIdx": 1})
        assert code == 110011  # 54400 would be above the mark price
        assert (await rows(http, server, BTC))[1]["positionIM"] == "3100"


async def test_auto_add_margin_is_per_isolated_position(srv, http):
    await ok(http, srv, "POST", "/v5/position/set-auto-add-margin",
             body={"category": "linear", "symbol": BTC, "autoAddMargin": 1, "positionIdx": 2})
    hedge = await rows(http, srv, BTC)
    assert (hedge[1]["autoAddMargin"], hedge[2]["autoAddMargin"]) == (0, 1)
    assert (await refused(http, srv, "POST", "/v5/position/set-auto-add-margin", key="k8",
                          body={"category": "linear", "symbol": SOL, "autoAddMargin": 1}))[0] == 110076


# --- rate limits --------------------------------------------------------------------------------
async def test_rate_limit_per_uid_and_endpoint_with_bybit_headers(srv, http):
    body = {"setMarginMode": "REGULAR_MARGIN"}  # already the mode: answered with success, 5 per second
    seen = []
    for _ in range(5):
        status, answer, headers = await call(http, srv, "POST", "/v5/account/set-margin-mode", body=body, key="k2")
        seen.append((answer["retCode"], headers["X-Bapi-Limit"], headers["X-Bapi-Limit-Status"]))
    assert seen == [(0, "5", "4"), (0, "5", "3"), (0, "5", "2"), (0, "5", "1"), (0, "5", "0")]
    status, answer, headers = await call(http, srv, "POST", "/v5/account/set-margin-mode", body=body, key="k2")
    assert (status, answer["retCode"]) == (200, 10006)
    reset = int(headers["X-Bapi-Limit-Reset-Timestamp"])
    assert time.time() * 1000 < reset <= time.time() * 1000 + 1000
    # another UID, and another endpoint of the same UID, have their own budgets
    assert (await call(http, srv, "POST", "/v5/account/set-margin-mode", body=body, key="k8"))[1]["retCode"] == 0
    assert (await call(http, srv, "GET", "/v5/account/info", key="k2"))[1]["retCode"] == 0
    assert srv.venues["bybit"].calls[5]["code"] == "10006" and srv.venues["bybit"].calls[5]["account"] == "3002"


async def test_ip_limit_answers_403_and_bans_the_address_for_a_while(http):
    world = copy.deepcopy(WORLD)
    world["rate_limits"] = {"IP /v5/*": "4/5s", "GET /v5/account/info": "2/1s"}
    world["bybit"]["ip_ban_seconds"] = 0.5
    async with SimServer(world) as server:
        codes = [(await call(http, server, "GET", "/v5/account/info", key=key))[1]["retCode"]
                 for key in ("k1", "k1", "k1")]
        assert codes == [0, 0, 10006]  # the override of the per-UID limit
        assert (await call(http, server, "GET", "/v5/account/info", key="k2"))[1]["retCode"] == 0
        status, answer, _ = await call(http, server, "GET", "/v5/account/info", key="k3")
        assert status == 403 and "too frequent" in answer  # the fifth request from this address in 5 s
        await asyncio.sleep(0.6)
        status, _, _ = await call(http, server, "GET", "/v5/market/time", signed=False)
        assert status == 403  # the window is still full, so the ban starts again


# --- faults -------------------------------------------------------------------------------------
async def inject(http, srv, *faults):
    async with http.post(srv.url + "/__sim/bybit/faults", json=list(faults)) as resp:
        assert resp.status == 200, await resp.text()


async def test_faults_answer_in_bybits_envelope(srv, http):
    path = "/v5/account/info"
    await inject(http, srv, {"method": "GET", "path": path, "kind": "busy"},
                 {"method": "GET", "path": path, "kind": "rate_limit"},
                 {"method": "GET", "path": path, "kind": "venue_error", "status": 200, "code": "10000"},
                 {"method": "GET", "path": path, "kind": "http_500"})
    status, answer, _ = await call(http, srv, "GET", path)
    assert (status, answer["retCode"], answer["retMsg"]) == (200, 10016, "Server error.")
    status, answer, headers = await call(http, srv, "GET", path)
    assert (status, answer["retCode"]) == (200, 10006) and int(headers["X-Bapi-Limit-Reset-Timestamp"]) > 0
    status, answer, _ = await call(http, srv, "GET", path)
    assert (answer["retCode"], answer["retMsg"], set(answer)) == (
        10000, "Server Timeout", {"retCode", "retMsg", "result", "retExtInfo", "time"})
    status, answer, _ = await call(http, srv, "GET", path)
    assert status == 500
    assert [c["fault"] for c in srv.venues["bybit"].calls] == ["busy", "rate_limit", "venue_error", "http_500"]


async def test_add_margin_delivered_late_moves_the_margin_once(srv, http):
    body = {"category": "linear", "symbol": BTC, "margin": "250", "positionIdx": 1}
    await inject(http, srv, {"method": "POST", "path": "/v5/position/add-margin", "kind": "delay", "seconds": 1.0})
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(call(http, srv, "POST", "/v5/position/add-margin", body=body), 0.3)
    assert (await rows(http, srv, BTC))[1]["positionIM"] == "3100"  # not yet
    async with http.post(srv.url + "/__sim/bybit/settle") as resp:
        log = await resp.json()
    late = [c for c in log if c["path"] == "/v5/position/add-margin"]
    assert [(c["fault"], c["code"]) for c in late] == [("delay", "0")]
    assert (await rows(http, srv, BTC))[1]["positionIM"] == "3350"
    assert account(srv, "3001")["balances"]["USDT"] == "9750"


async def test_add_margin_delivered_after_its_recv_window_is_refused_with_10002(http):
    world = copy.deepcopy(WORLD)
    world["timestamp_windows"] = {"bybit": 0.5}
    async with SimServer(world) as server:
        await inject(http, server, {"method": "POST", "path": "/v5/position/add-margin", "kind": "delay",
                                    "seconds": 0.8})
        status, answer, _ = await call(http, server, "POST", "/v5/position/add-margin",
                                       body={"category": "linear", "symbol": BTC, "margin": "250", "positionIdx": 1})
        assert (status, answer["retCode"]) == (200, 10002)
        assert (await rows(http, server, BTC))[1]["positionIM"] == "3100"


async def test_admin_state_round_trip_and_a_bad_world_is_refused(srv, http):
    async with http.get(srv.url + "/__sim/bybit/state") as resp:
        section = await resp.json()
    assert section == WORLD["bybit"]
    section["accounts"][1]["symbols"][ETH]["buyLeverage"] = section["accounts"][1]["symbols"][ETH]["sellLeverage"] = "3"
    async with http.put(srv.url + "/__sim/bybit/state", json=section) as resp:
        assert resp.status == 200
    assert (await rows(http, srv, ETH, key="k2"))[0]["leverage"] == "3"
    bad = copy.deepcopy(section)
    bad["accounts"][0]["positions"][0]["positionIdx"] = 0  # BTCUSDT is in hedge mode
    async with http.put(srv.url + "/__sim/bybit/state", json=bad) as resp:
        assert resp.status == 400 and "positionIdx 0" in (await resp.json())["error"]


# --- the official SDK: pybit --------------------------------------------------------------------
def pybit_session(srv, key):
    from pybit.unified_trading import HTTP

    session = HTTP(api_key=key, api_secret=SECRETS[key], max_retries=1)
    session.endpoint = srv.url  # pybit has no base-URL option; every call uses f"{endpoint}{path}"
    return session


async def test_pybit_on_every_endpoint(srv):
    from pybit.exceptions import InvalidRequestError

    uta, flat, classic = pybit_session(srv, "k1"), pybit_session(srv, "k2"), pybit_session(srv, "k3")

    def run():
        info = uta.get_instruments_info(category="linear", symbol=BTC)
        assert info["result"]["list"][0]["leverageFilter"]["maxLeverage"] == "100.00"
        positions = uta.get_positions(category="linear", symbol=BTC)["result"]["list"]
        assert [p["positionIdx"] for p in positions] == [1, 2]
        assert uta.get_account_info()["result"]["marginMode"] == "ISOLATED_MARGIN"
        assert uta.get_open_orders(category="linear", settleCoin="USDT")["result"]["list"][1]["orderId"] == "stop-1"
        assert uta.get_api_key_information()["result"]["uta"] == 1
        assert uta.set_leverage(category="linear", symbol=BTC, buyLeverage="12", sellLeverage="6")["retCode"] == 0
        moved = uta.add_or_reduce_margin(category="linear", symbol=BTC, margin="100", positionIdx=1)
        assert moved["result"]["positionIM"] == "2700"  # 12x holds 2500 + the 100 added before + 100
        with pytest.raises(InvalidRequestError) as refusal:
            uta.set_margin_mode(setMarginMode="REGULAR_MARGIN")
        assert refusal.value.status_code == 3400045
        assert flat.set_margin_mode(setMarginMode="ISOLATED_MARGIN")["result"] == {"reasons": []}
        assert flat.switch_position_mode(category="linear", symbol=ETH, mode=3)["retCode"] == 0
        assert classic.switch_margin_mode(category="linear", symbol=ETH, tradeMode=1, buyLeverage="4",
                                          sellLeverage="4")["retCode"] == 0

    await asyncio.to_thread(run)
    assert account(srv, "3002")["marginMode"] == "ISOLATED_MARGIN"
    assert account(srv, "3002")["symbols"][ETH]["mode"] == 3
    assert account(srv, "3003")["symbols"][ETH]["tradeMode"] == 1
    assert account(srv, "3001")["symbols"][BTC] == {"buyLeverage": "12", "sellLeverage": "6", "mode": 3}


# --- ccxt ---------------------------------------------------------------------------------------
def ccxt_client(srv, key):
    import ccxt.async_support as ccxt

    exchange = ccxt.bybit({"apiKey": key, "secret": SECRETS[key]})
    exchange.urls["api"] = {name: srv.url for name in exchange.urls["api"]}
    return exchange


async def test_ccxt_on_every_endpoint(srv):
    import ccxt.async_support as ccxt

    uta, flat, classic = ccxt_client(srv, "k1"), ccxt_client(srv, "k2"), ccxt_client(srv, "k3")
    try:
        await uta.load_markets()
        symbol = "BTC/USDT:USDT"
        assert uta.market(symbol)["id"] == BTC and uta.market(symbol)["limits"]["leverage"]["max"] == 100
        positions = await uta.fetch_positions([symbol])
        assert sorted((p["side"], p["contracts"]) for p in positions) == [("long", 0.5), ("short", 0.2)]
        leverage = await uta.fetch_leverage(symbol)  # ccxt reads one value: the first row's (the Buy side)
        assert leverage["longLeverage"] == 10
        await uta.set_leverage(8, symbol)
        assert (await rows_of(uta, BTC)) == {1: "8", 2: "8"}
        answer = await uta.privatePostV5PositionAddMargin(
            {"category": "linear", "symbol": BTC, "margin": "100", "positionIdx": 1})
        assert answer["retCode"] == "0" and answer["result"]["positionIM"] != "3100"
        with pytest.raises(ccxt.ExchangeError, match="3400045"):
            await uta.set_margin_mode("cross")
        with pytest.raises(ccxt.BadRequest, match="110043"):
            await uta.set_leverage(8, symbol)
        await flat.load_markets()
        await flat.set_margin_mode("isolated")
        await flat.set_position_mode(True, "ETH/USDT:USDT")
        with pytest.raises(ccxt.NoChange):
            await flat.set_position_mode(True, "ETH/USDT:USDT")
        await classic.load_markets()
        await classic.set_margin_mode("isolated", "ETH/USDT:USDT", {"leverage": 6})
    finally:
        for exchange in (uta, flat, classic):
            await exchange.close()
    assert account(srv, "3002")["marginMode"] == "ISOLATED_MARGIN"
    assert account(srv, "3002")["symbols"][ETH]["mode"] == 3
    assert account(srv, "3003")["symbols"][ETH] == {"tradeMode": 1, "buyLeverage": "6", "sellLeverage": "6"}


async def rows_of(exchange, symbol) -> dict[int, str]:
    answer = await exchange.privateGetV5PositionList({"category": "linear", "symbol": symbol})
    return {int(row["positionIdx"]): row["leverage"] for row in answer["result"]["list"]}


async def test_pybit_on_the_requests_the_adapter_sends(srv):
    """Each read and write of reconciler.venues.bybit, with the parameters it sends, through pybit."""
    from pybit.exceptions import InvalidRequestError

    uta, flat = pybit_session(srv, "k1"), pybit_session(srv, "k2")

    def run():
        first = uta.get_instruments_info(category="linear", limit=2)["result"]
        rest = uta.get_instruments_info(category="linear", limit=2, cursor=first["nextPageCursor"])["result"]
        assert [r["symbol"] for r in first["list"] + rest["list"]] == [BTC, ETH, SOL, USDC_PERP]
        assert [r["symbol"] for r in uta.get_instruments_info(category="inverse", limit=1000)["result"]["list"]] == [
            INVERSE]
        assert uta.get_account_info()["result"]["unifiedMarginStatus"] == 6
        assert uta.get_api_key_information()["result"]["deadlineDay"] == -2
        open_usdt = uta.get_positions(category="linear", settleCoin="USDT", limit=200)["result"]["list"]
        assert [(p["symbol"], p["positionIdx"]) for p in open_usdt] == [(BTC, 1), (BTC, 2)]
        assert uta.get_positions(category="inverse", limit=200)["result"]["list"] == []
        assert [p["positionIdx"] for p in uta.get_positions(category="linear", symbol=ETH)["result"]["list"]] == [0]
        every = uta._submit_request(method="GET", path=f"{uta.endpoint}/v5/position/symbol-info",
                                    query={"category": "linear"}, auth=True)  # not among pybit's methods
        assert [(r["symbol"], r["positionIdx"]) for r in every["result"]["list"]][:2] == [(BTC, 1), (BTC, 2)]
        orders = uta.get_open_orders(category="linear", settleCoin="USDT", limit=50)["result"]["list"]
        assert [o["orderId"] for o in orders][1] == "stop-1"
        assert uta.get_open_orders(category="inverse", limit=50)["result"]["list"] == []
        assert flat.switch_position_mode(category="linear", coin="USDT", mode=3)["retCode"] == 0
        assert flat.set_leverage(category="linear", symbol=ETH, buyLeverage="12.5", sellLeverage="12.5")["retCode"] == 0
        with pytest.raises(InvalidRequestError) as same:
            flat.set_leverage(category="linear", symbol=ETH, buyLeverage="12.5", sellLeverage="12.5")
        assert same.value.status_code == 110043  # "not modified": the adapter takes it as done
        reduced = uta.add_or_reduce_margin(category="linear", symbol=BTC, margin="-50.5", positionIdx=1)
        assert reduced["result"]["positionIM"] == "3049.5"

    await asyncio.to_thread(run)
    assert account(srv, "3002")["position_modes"] == {"USDT": 3}
    assert account(srv, "3002")["symbols"][ETH]["buyLeverage"] == "12.5"


async def test_ccxt_on_the_requests_the_adapter_sends(srv):
    """Each read and write of reconciler.venues.bybit, with the parameters it sends, through ccxt's bybit."""
    uta, flat, classic = ccxt_client(srv, "k1"), ccxt_client(srv, "k2"), ccxt_client(srv, "k3")
    try:
        first = await uta.publicGetV5MarketInstrumentsInfo({"category": "linear", "limit": "3"})
        rest = await uta.publicGetV5MarketInstrumentsInfo({"category": "linear", "limit": "3",
                                                           "cursor": first["result"]["nextPageCursor"]})
        assert [r["symbol"] for r in first["result"]["list"] + rest["result"]["list"]] == [BTC, ETH, SOL, USDC_PERP]
        assert (await uta.privateGetV5AccountInfo())["result"]["marginMode"] == "ISOLATED_MARGIN"
        assert str((await uta.privateGetV5UserQueryApi())["result"]["uta"]) == "1"  # ccxt hands numbers back as text
        every = await uta.privateGetV5PositionSymbolInfo({"category": "linear"})
        assert {r["symbol"] for r in every["result"]["list"]} == {BTC, ETH, SOL, USDC_PERP}
        positions = await uta.privateGetV5PositionList({"category": "linear", "settleCoin": "USDT", "limit": "200"})
        assert [(p["symbol"], p["side"]) for p in positions["result"]["list"]] == [(BTC, "Buy"), (BTC, "Sell")]
        orders = await uta.privateGetV5OrderRealtime({"category": "linear", "settleCoin": "USDT", "limit": "50"})
        assert [o["symbol"] for o in orders["result"]["list"]] == [ETH, ETH]
        await flat.load_markets()
        await flat.set_position_mode(True)  # no symbol: ccxt switches the USDT coin
        assert (await flat.privatePostV5PositionSwitchMode({"category": "linear", "symbol": ETH, "mode": 0}))[
            "retCode"] == "0"
        await flat.privatePostV5AccountSetMarginMode({"setMarginMode": "ISOLATED_MARGIN"})
        await flat.privatePostV5PositionSetLeverage({"category": "linear", "symbol": SOL, "buyLeverage": "9",
                                                     "sellLeverage": "4"})  # hedge + isolated: sides apart
        await classic.privatePostV5PositionSwitchIsolated({"category": "linear", "symbol": ETH, "tradeMode": 1,
                                                           "buyLeverage": "3", "sellLeverage": "3"})
        moved = await uta.privatePostV5PositionAddMargin({"category": "linear", "symbol": BTC, "margin": "25",
                                                          "positionIdx": 2})
        assert moved["result"]["positionIdx"] in (2, "2") and moved["result"]["liqPrice"]
    finally:
        for exchange in (uta, flat, classic):
            await exchange.close()
    assert account(srv, "3002")["position_modes"] == {"USDT": 3}
    assert account(srv, "3002")["symbols"][ETH]["mode"] == 0  # the symbol's own setting beats the coin's
    assert account(srv, "3002")["symbols"][SOL] == {"buyLeverage": "9", "sellLeverage": "4"}  # hedge from the coin
    assert account(srv, "3003")["symbols"][ETH] == {"tradeMode": 1, "buyLeverage": "3", "sellLeverage": "3"}


# --- UTA 1.0 and inverse contracts --------------------------------------------------------------
UTA1_WORLD = {"bybit": {
    "instruments": [{"symbol": BTC}, {"symbol": ETH}, {"symbol": INVERSE}],
    "accounts": [{"api_key": "k1", "secret": "s1", "uid": "4001", "unifiedMarginStatus": 3,
                  "balances": {"BTC": "1", "USDT": "1000"},
                  "symbols": {INVERSE: {"tradeMode": 1, "buyLeverage": "10", "sellLeverage": "10"}},
                  "positions": [{"symbol": INVERSE, "side": "Buy", "size": "6000", "avgPrice": "60000"}]}],
}}


async def test_uta1_switches_inverse_per_symbol_and_computes_the_inverse_liquidation_price(http):
    async with SimServer(copy.deepcopy(UTA1_WORLD)) as server:
        body = {"category": "linear", "symbol": BTC, "tradeMode": 1, "buyLeverage": "5", "sellLeverage": "5"}
        assert (await refused(http, server, "POST", "/v5/position/switch-isolated", body=body))[0] == 100028
        row = (await ok(http, server, "GET", "/v5/position/list", {"category": "inverse"}))["list"][0]
        # DOCS help (inverse, isolated): LP = qty / (value + IM - MM), value = qty / entry, in BTC
        value = Decimal(6000) / 60000
        expected = Decimal(6000) / (value + value / 10 - value * Decimal("0.005"))
        assert row["tradeMode"] == 1 and row["positionIM"] == "0.01"
        assert abs(Decimal(row["liqPrice"]) - expected) <= Decimal("0.1")
        moved = await ok(http, server, "POST", "/v5/position/add-margin",
                         body={"category": "inverse", "symbol": INVERSE, "margin": "0.01", "positionIdx": 0})
        expected = Decimal(6000) / (value + value / 10 + Decimal("0.01") - value * Decimal("0.005"))
        assert abs(Decimal(moved["liqPrice"]) - expected) <= Decimal("0.1") and moved["positionIM"] == "0.02"
        assert account(server, "4001")["balances"]["BTC"] == "0.99"
        both = await ok(http, server, "GET", "/v5/position/list", {"category": "linear", "symbol": f"{BTC},{ETH}"})
        assert [row["symbol"] for row in both["list"]] == [BTC, ETH]  # UTA 1.0 takes several symbols


async def test_pybit_waits_for_the_reset_header_and_retries(http):
    world = copy.deepcopy(WORLD)
    world["rate_limits"] = {"GET /v5/account/info": "1/1s"}
    async with SimServer(world) as server:
        session = pybit_session(server, "k1")
        session.max_retries = 2

        def twice():
            return [session.get_account_info()["retCode"] for _ in range(2)]

        started = time.monotonic()
        assert await asyncio.to_thread(twice) == [0, 0]
        assert time.monotonic() - started < 2.5  # slept until the reset the header gave, not pybit's 3 s
        assert [c["code"] for c in server.venues["bybit"].calls] == ["0", "10006", "0"]


# --- layering -----------------------------------------------------------------------------------
def test_the_simulator_imports_nothing_from_the_adapters_or_the_core():
    package = Path(__file__).resolve().parents[2] / "reconciler" / "sim" / "bybit"
    imported = set()
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom):
                # `..x` from reconciler/sim/bybit is reconciler.sim.x; `.x` stays in the package
                base = {0: "", 1: "reconciler.sim.bybit", 2: "reconciler.sim"}.get(node.level, "reconciler")
                imported.add(".".join(part for part in (base, node.module or "") if part))
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    ours = {name for name in imported if name.split(".")[0] == "reconciler"}
    assert ours and all(name.startswith("reconciler.sim") for name in ours), ours
