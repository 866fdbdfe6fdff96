"""The Binance USDⓈ-M simulator: raw signed HTTP, the official SDK and ccxt binanceusdm."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import time
from decimal import Decimal
from urllib.parse import urlencode

import aiohttp
import pytest
from yarl import URL

from reconciler.sim.server import SimServer

ETH_BRACKETS = [  # no cum: the simulator derives 0, 50, 1550 by the documented rule
    {"bracket": 1, "initialLeverage": 50, "notionalFloor": 0, "notionalCap": 10000, "maintMarginRatio": 0.005},
    {"bracket": 2, "initialLeverage": 20, "notionalFloor": 10000, "notionalCap": 100000, "maintMarginRatio": 0.01},
    {"bracket": 3, "initialLeverage": 10, "notionalFloor": 100000, "notionalCap": 1000000,
     "maintMarginRatio": 0.025},
]
WORLD = {
    "binance": {
        "symbols": [
            {"symbol": "BTCUSDT", "markPrice": "60000"},
            {"symbol": "ETHUSDT", "brackets": ETH_BRACKETS, "pricePrecision": 2},
            {"symbol": "XRPUSDT"},
        ],
        "accounts": [
            {   # one-way: an isolated BTC position, a cross ETH position, an order on XRP
                "api_key": "k1", "secret": "s1", "uid": "1001", "balances": {"USDT": "10000"},
                "symbolConfig": [{"symbol": "BTCUSDT", "marginType": "ISOLATED", "leverage": 10}],
                "positions": [
                    {"symbol": "BTCUSDT", "positionAmt": "0.5", "entryPrice": "60000", "markPrice": "61000",
                     "isolatedWallet": "3000"},
                    {"symbol": "ETHUSDT", "positionAmt": "-3", "entryPrice": "2000", "markPrice": "1900",
                     "marginType": "cross"},
                ],
                "orders": [{"symbol": "XRPUSDT", "side": "BUY", "origQty": "100", "price": "0.5"}],
            },
            {   # hedge mode: both sides of an isolated BTC position
                "api_key": "k2", "secret": "s2", "uid": "1002", "dualSidePosition": True,
                "balances": {"USDT": "5000"},
                "symbolConfig": [{"symbol": "BTCUSDT", "marginType": "ISOLATED", "leverage": 20}],
                "positions": [
                    {"symbol": "BTCUSDT", "positionSide": "LONG", "positionAmt": "0.1", "entryPrice": "60000",
                     "isolatedWallet": "400"},
                    {"symbol": "BTCUSDT", "positionSide": "SHORT", "positionAmt": "-0.2", "entryPrice": "62000",
                     "isolatedWallet": "700"},
                ],
            },
            {   # nothing open but a conditional (algo) order on ETH
                "api_key": "k3", "secret": "s3", "uid": "1003", "balances": {"USDT": "1000"},
                "algoOrders": [{"symbol": "ETHUSDT", "side": "SELL", "orderType": "STOP_MARKET",
                                "quantity": "1", "triggerPrice": "1500"}],
            },
            {"api_key": "k4", "secret": "s4", "uid": "1004", "cmPositions": True},
            {"api_key": "k5", "secret": "s5", "uid": "1005", "portfolioMargin": True},
            {"api_key": "k6", "secret": "s6", "uid": "1006", "multiAssetsMargin": True,
             "balances": {"USDT": "100", "BTC": "0.01"}},
            {"api_key": "k7", "secret": "s7", "uid": "1007", "cmOpenOrders": True},
        ],
    },
}
SECRETS = {f"k{n}": f"s{n}" for n in range(1, 8)}
D = Decimal


def now_ms() -> int:
    return int(time.time() * 1000)


def signature(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


async def call(http, srv, method, path, params=None, key="k1", *, where=None, timestamp=None, secret=None,
               recv_window=None, sign=True, headers=None):
    """One request signed as Binance documents it; (HTTP status, JSON answer or text, response headers).

    `where` puts the parameters in the query ("query", the SDK's way), the form body ("body", ccxt's
    way) or both ("split": the first parameter in the query, the rest in the body).
    """
    params = dict(params or {})
    if sign:
        params["timestamp"] = timestamp if timestamp is not None else now_ms()
        if recv_window is not None:
            params["recvWindow"] = recv_window
    where = where or ("query" if method == "GET" else "body")
    items = list(params.items())
    query_items, body_items = {"query": (items, []), "body": ([], items), "split": (items[:1], items[1:])}[where]
    query, body = urlencode(query_items), urlencode(body_items)
    if sign:
        mac = signature(secret or SECRETS.get(key, "x"), query + body)
        if body_items:
            body += "&signature=" + mac
        else:
            query += ("&" if query else "") + "signature=" + mac
    request_headers = {"X-MBX-APIKEY": key} if key else {}
    if body:
        request_headers["Content-Type"] = "application/x-www-form-urlencoded"
    request_headers.update(headers or {})
    url = URL(srv.url + path + ("?" + query if query else ""), encoded=True)
    async with http.request(method, url, data=body or None, headers=request_headers) as resp:
        answer = await resp.json() if resp.content_type == "application/json" else await resp.text()
        return resp.status, answer, resp.headers


def account(srv, uid):
    return next(a for a in srv.venues["binance"].state()["accounts"] if a["uid"] == uid)


def config(srv, uid, symbol):
    return next((c for c in account(srv, uid)["symbolConfig"] if c["symbol"] == symbol), None)


def code_of(answer):
    return answer.get("code") if isinstance(answer, dict) else None


# --- signing and timing -------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["query", "body", "split"])
async def test_signed_writes_in_query_body_or_both(srv, http, where):
    status, answer, _ = await call(http, srv, "POST", "/fapi/v1/leverage", {"symbol": "XRPUSDT", "leverage": 7},
                                   where=where)
    assert (status, answer) == (200, {"leverage": 7, "maxNotionalValue": "230000000", "symbol": "XRPUSDT"})
    assert config(srv, "1001", "XRPUSDT")["leverage"] == 7


async def test_bad_signature_and_keys_are_refused_and_nothing_changes(srv, http):
    params = {"symbol": "XRPUSDT", "leverage": 7}
    assert (await call(http, srv, "POST", "/fapi/v1/leverage", params, secret="wrong"))[:2] == (
        400, {"code": -1022, "msg": "Signature for this request is not valid."})
    assert (await call(http, srv, "POST", "/fapi/v1/leverage", params, key="nobody"))[:2] == (
        401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."})
    for key in ("", "bad key!"):
        status, answer, _ = await call(http, srv, "POST", "/fapi/v1/leverage", params, key=key)
        assert (status, answer["code"]) == (401, -2014)
    status, answer, _ = await call(http, srv, "GET", "/fapi/v1/symbolConfig", sign=False)
    assert (status, answer["code"]) == (400, -1102) and "timestamp" in answer["msg"]
    assert config(srv, "1001", "XRPUSDT") is None


async def test_signature_is_not_case_sensitive_and_covers_every_parameter(srv, http):
    query = urlencode({"symbol": "XRPUSDT", "timestamp": now_ms()})
    mac = signature("s1", query).upper()
    url = URL(f"{srv.url}/fapi/v1/symbolConfig?{query}&signature={mac}", encoded=True)
    async with http.get(url, headers={"X-MBX-APIKEY": "k1"}) as resp:
        assert resp.status == 200 and (await resp.json())[0]["symbol"] == "XRPUSDT"
    # a parameter added after signing breaks the signature
    url = URL(f"{srv.url}/fapi/v1/symbolConfig?{query}&signature={mac}&recvWindow=9000", encoded=True)
    async with http.get(url, headers={"X-MBX-APIKEY": "k1"}) as resp:
        assert (await resp.json())["code"] == -1022


async def test_query_wins_over_the_body(srv, http):
    query = urlencode({"symbol": "XRPUSDT", "leverage": 9})
    body = urlencode({"leverage": 3, "timestamp": now_ms()})
    body += "&signature=" + signature("s1", query + body)
    url = URL(f"{srv.url}/fapi/v1/leverage?{query}", encoded=True)
    async with http.post(url, data=body, headers={"X-MBX-APIKEY": "k1",
                                                  "Content-Type": "application/x-www-form-urlencoded"}) as resp:
        assert (await resp.json())["leverage"] == 9


async def test_timestamp_window(srv, http):
    path = "/fapi/v1/positionSide/dual"
    old = now_ms() - 6000
    status, answer, _ = await call(http, srv, "GET", path, timestamp=old)
    assert (status, answer["code"]) == (400, -1021)  # default recvWindow 5000 ms
    assert (await call(http, srv, "GET", path, timestamp=old, recv_window=10000))[0] == 200
    status, answer, _ = await call(http, srv, "GET", path, timestamp=now_ms() + 1500)
    assert (status, answer["code"]) == (400, -1021) and "ahead" in answer["msg"]
    assert (await call(http, srv, "GET", path, recv_window=60001))[1]["code"] == -1021


async def test_world_timestamp_window_caps_recv_window():
    world = {**copy.deepcopy(WORLD), "timestamp_windows": {"binance": 1}}
    async with SimServer(world) as server, aiohttp.ClientSession() as session:
        answer = (await call(session, server, "GET", "/fapi/v1/positionSide/dual", timestamp=now_ms() - 2000,
                             recv_window=10000))[1]
        assert answer["code"] == -1021


async def test_portfolio_margin_keys_are_refused_on_fapi(srv, http):
    status, answer, _ = await call(http, srv, "GET", "/fapi/v1/positionSide/dual", key="k5")
    assert (status, answer["code"]) == (401, -2015)
    status, answer, _ = await call(http, srv, "POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 5},
                                   key="k5")
    assert (status, answer["code"]) == (401, -2015)


async def test_portfolio_margin_keys_read_their_um_account_on_papi_and_no_other_key_does(srv, http):
    status, answer, headers = await call(http, srv, "GET", "/papi/v1/um/account", key="k5")
    assert status == 200 and headers["X-MBX-USED-WEIGHT-1M"] == "5"
    assert {(row["symbol"], row["leverage"]) for row in answer["positions"]} == {
        ("BTCUSDT", "20"), ("ETHUSDT", "20"), ("XRPUSDT", "20")}
    status, answer, _ = await call(http, srv, "GET", "/papi/v1/um/account", key="k1")
    assert (status, answer["code"]) == (401, -2015)


async def test_public_endpoints_and_unknown_paths(srv, http):
    async with http.get(srv.url + "/fapi/v1/exchangeInfo") as resp:
        info = await resp.json()
        assert resp.headers["X-MBX-USED-WEIGHT-1M"] == "1"
    assert [s["symbol"] for s in info["symbols"]] == ["BTCUSDT", "ETHUSDT", "XRPUSDT"]
    eth = info["symbols"][1]
    assert (eth["status"], eth["contractType"], eth["marginAsset"], eth["pricePrecision"]) == (
        "TRADING", "PERPETUAL", "USDT", 2)
    assert "brackets" not in eth
    assert {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400} \
        in info["rateLimits"]
    async with http.get(srv.url + "/fapi/v1/time") as resp:
        assert abs((await resp.json())["serverTime"] - now_ms()) < 5000
    async with http.get(srv.url + "/fapi/v1/nothing") as resp:
        assert resp.status == 404 and (await resp.json())["code"] == -5000
    async with http.delete(srv.url + "/fapi/v1/leverage") as resp:
        assert resp.status == 404


# --- reads --------------------------------------------------------------------------------------
async def test_symbol_config_lists_every_symbol_with_defaults(srv, http):
    status, rows, headers = await call(http, srv, "GET", "/fapi/v1/symbolConfig")
    assert status == 200 and headers["X-MBX-USED-WEIGHT-1M"] == "5"
    assert rows == [
        {"symbol": "BTCUSDT", "marginType": "ISOLATED", "isAutoAddMargin": False, "leverage": 10,
         "maxNotionalValue": "230000000"},
        {"symbol": "ETHUSDT", "marginType": "CROSSED", "isAutoAddMargin": False, "leverage": 20,
         "maxNotionalValue": "100000"},
        {"symbol": "XRPUSDT", "marginType": "CROSSED", "isAutoAddMargin": False, "leverage": 20,
         "maxNotionalValue": "100000000"},
    ]
    status, rows, _ = await call(http, srv, "GET", "/fapi/v1/symbolConfig", {"symbol": "ETHUSDT"})
    assert [row["symbol"] for row in rows] == ["ETHUSDT"]
    status, answer, _ = await call(http, srv, "GET", "/fapi/v1/symbolConfig", {"symbol": "DOGEUSDT"})
    assert (status, answer) == (400, {"code": -1121, "msg": "Invalid symbol."})


async def test_position_risk_v2_has_flat_rows_and_settings(srv, http):
    _, rows, _ = await call(http, srv, "GET", "/fapi/v2/positionRisk")
    assert [(r["symbol"], r["positionSide"], r["positionAmt"], r["marginType"], r["leverage"]) for r in rows] == [
        ("BTCUSDT", "BOTH", "0.5", "isolated", "10"), ("ETHUSDT", "BOTH", "-3", "cross", "20"),
        ("XRPUSDT", "BOTH", "0", "cross", "20")]
    btc = rows[0]
    assert (btc["isolatedWallet"], btc["isolatedMargin"], btc["unRealizedProfit"], btc["notional"]) == (
        "3000", "3500", "500", "30500")
    assert rows[1]["isolatedMargin"] == "0" and rows[2]["liquidationPrice"] == "0"
    _, rows, _ = await call(http, srv, "GET", "/fapi/v2/positionRisk", {"symbol": "BTCUSDT"}, key="k2")
    assert [(r["positionSide"], r["positionAmt"]) for r in rows] == [("LONG", "0.1"), ("SHORT", "-0.2")]


async def test_position_risk_v3_only_open_positions_and_symbols_with_orders(srv, http):
    _, rows, headers = await call(http, srv, "GET", "/fapi/v3/positionRisk")
    assert headers["X-MBX-USED-WEIGHT-1M"] == "5"
    assert [(r["symbol"], r["positionAmt"]) for r in rows] == [("BTCUSDT", "0.5"), ("ETHUSDT", "-3"),
                                                               ("XRPUSDT", "0")]
    assert "leverage" not in rows[0] and "marginType" not in rows[0]
    assert (rows[0]["initialMargin"], rows[0]["maintMargin"], rows[0]["marginAsset"]) == ("3050", "122", "USDT")
    _, rows, _ = await call(http, srv, "GET", "/fapi/v3/positionRisk", key="k4")
    assert rows == []


async def test_account_wide_modes_and_their_weights(srv, http):
    status, answer, headers = await call(http, srv, "GET", "/fapi/v1/positionSide/dual", key="k2")
    assert (answer, headers["X-MBX-USED-WEIGHT-1M"]) == ({"dualSidePosition": True}, "30")
    status, answer, headers = await call(http, srv, "GET", "/fapi/v1/multiAssetsMargin", key="k6")
    assert (answer, headers["X-MBX-USED-WEIGHT-1M"]) == ({"multiAssetsMargin": True}, "60")
    _, answer, headers = await call(http, srv, "GET", "/fapi/v1/accountConfig", key="k2")
    assert answer["dualSidePosition"] is True and answer["multiAssetsMargin"] is False
    assert headers["X-MBX-USED-WEIGHT-1M"] == "65"


async def test_leverage_brackets_list_or_one_object(srv, http):
    _, rows, _ = await call(http, srv, "GET", "/fapi/v1/leverageBracket")
    assert [row["symbol"] for row in rows] == ["BTCUSDT", "ETHUSDT", "XRPUSDT"]
    _, eth, _ = await call(http, srv, "GET", "/fapi/v1/leverageBracket", {"symbol": "ETHUSDT"})
    assert eth["symbol"] == "ETHUSDT"
    assert [(b["bracket"], b["initialLeverage"], b["notionalCap"], b["cum"]) for b in eth["brackets"]] == [
        (1, 50, 10000, 0), (2, 20, 100000, 50), (3, 10, 1000000, 1550)]


async def test_default_brackets_carry_binance_s_maintenance_amounts(srv, http):
    _, btc, _ = await call(http, srv, "GET", "/fapi/v1/leverageBracket", {"symbol": "BTCUSDT"})
    # the cum column of Binance's BTCUSDT table, which the documented rule reproduces from floors and rates
    assert [b["cum"] for b in btc["brackets"]] == [0, 50, 950, 11450, 131450, 481450, 2981450, 14481450,
                                                    26481450, 41481450, 121481450, 421481450]
    assert btc["brackets"][0]["initialLeverage"] == 125


async def test_open_orders_and_algo_orders_weigh_one_with_symbol_forty_without(srv, http):
    _, orders, headers = await call(http, srv, "GET", "/fapi/v1/openOrders", {"symbol": "XRPUSDT"})
    assert headers["X-MBX-USED-WEIGHT-1M"] == "1"
    [order] = orders
    assert (order["symbol"], order["status"], order["origQty"], order["type"]) == ("XRPUSDT", "NEW", "100", "LIMIT")
    assert isinstance(order["orderId"], int)
    _, orders, headers = await call(http, srv, "GET", "/fapi/v1/openOrders")
    assert len(orders) == 1 and headers["X-MBX-USED-WEIGHT-1M"] == "41"
    _, algos, headers = await call(http, srv, "GET", "/fapi/v1/openAlgoOrders", key="k3")
    assert [(a["symbol"], a["algoType"], a["algoStatus"]) for a in algos] == [("ETHUSDT", "CONDITIONAL", "NEW")]
    assert headers["X-MBX-USED-WEIGHT-1M"] == "81"


async def test_balances_and_account(srv, http):
    _, rows, _ = await call(http, srv, "GET", "/fapi/v2/balance")
    [usdt] = rows
    # wallet = cross 10000 + isolated 3000; available = 10000 + ETH PnL 300 - ETH margin 5700/20
    assert (usdt["balance"], usdt["crossWalletBalance"], usdt["crossUnPnl"], usdt["availableBalance"]) == (
        "13000", "10000", "300", "10015")
    _, answer, _ = await call(http, srv, "GET", "/fapi/v3/account")
    assert answer["totalWalletBalance"] == "13000" and answer["availableBalance"] == "10015"
    assert [(p["symbol"], p["isolatedWallet"]) for p in answer["positions"]] == [
        ("BTCUSDT", "3000"), ("ETHUSDT", "0"), ("XRPUSDT", "0")]
    _, answer, _ = await call(http, srv, "GET", "/fapi/v2/account")
    assert len(answer["positions"]) == 3 and answer["positions"][0]["isolated"] is True
    assert answer["positions"][0]["leverage"] == "10"


# --- margin type --------------------------------------------------------------------------------
async def test_margin_type_rules(srv, http):
    path = "/fapi/v1/marginType"

    async def change(symbol, kind, key="k1"):
        status, answer, _ = await call(http, srv, "POST", path, {"symbol": symbol, "marginType": kind}, key=key)
        return status, answer["code"]

    assert await change("BTCUSDT", "ISOLATED") == (400, -4046)
    assert await change("BTCUSDT", "CROSSED") == (400, -4048)  # open position
    assert await change("XRPUSDT", "ISOLATED") == (400, -4047)  # open order
    assert await change("ETHUSDT", "ISOLATED", key="k3") == (400, -4047)  # a conditional (algo) order
    assert await change("ETHUSDT", "ISOLATED", key="k6") == (400, -4168)  # Multi-Assets mode
    assert await change("ETHUSDT", "FIXED") == (400, -1130)
    assert await change("NOPEUSDT", "ISOLATED") == (400, -1121)
    status, answer, _ = await call(http, srv, "POST", path, {"symbol": "ETHUSDT"}, key="k4")
    assert (status, answer["code"]) == (400, -1102)
    assert config(srv, "1004", "ETHUSDT") is None
    assert await change("ETHUSDT", "ISOLATED", key="k4") == (200, 200)
    assert config(srv, "1004", "ETHUSDT") == {"symbol": "ETHUSDT", "marginType": "ISOLATED", "leverage": 20,
                                              "isAutoAddMargin": False}
    calls = srv.venues["binance"].calls
    assert [c["code"] for c in calls[-2:]] == ["-1102", "200"] and calls[-1]["account"] == "1004"


# --- leverage -----------------------------------------------------------------------------------
async def test_leverage_rules(srv, http):
    async def lever(symbol, value, key="k1"):
        status, answer, _ = await call(http, srv, "POST", "/fapi/v1/leverage", {"symbol": symbol, "leverage": value},
                                       key=key)
        return status, answer

    assert await lever("ETHUSDT", 51, key="k4") == (400, {"code": -4028, "msg": "Leverage 51 is not valid"})
    assert (await lever("ETHUSDT", 0, key="k4"))[1]["code"] == -4028
    assert (await lever("ETHUSDT", "2.5", key="k4"))[1]["code"] == -1130
    assert await lever("ETHUSDT", 50, key="k4") == (200, {"leverage": 50, "maxNotionalValue": "10000",
                                                          "symbol": "ETHUSDT"})
    # isolated with a position: raising is allowed, lowering is not
    assert (await lever("BTCUSDT", 9))[1]["code"] == -4161
    assert (await lever("BTCUSDT", 25))[0] == 200
    assert config(srv, "1001", "BTCUSDT")["leverage"] == 25
    # the ETH cross position (notional 5700) fits up to bracket 1's cap of 10000 at 50x
    assert (await lever("ETHUSDT", 50))[0] == 200
    assert (await lever("ETHUSDT", 2))[0] == 200
    assert config(srv, "1001", "ETHUSDT")["leverage"] == 2


async def test_leverage_raise_beyond_the_position_s_bracket_is_2027(srv, http):
    world = copy.deepcopy(WORLD)
    world["binance"]["accounts"][0]["positions"][1]["positionAmt"] = "-30"  # notional 57000: bracket 2
    async with SimServer(world) as server:
        status, answer, _ = await call(http, server, "POST", "/fapi/v1/leverage",
                                       {"symbol": "ETHUSDT", "leverage": 21})
        assert (status, answer["code"]) == (400, -2027)
        assert (await call(http, server, "POST", "/fapi/v1/leverage", {"symbol": "ETHUSDT", "leverage": 20}))[0] == 200
        # lowering a cross leverage needs the extra margin free: 57000/1 - 57000/20 > the 10000 balance
        status, answer, _ = await call(http, server, "POST", "/fapi/v1/leverage",
                                       {"symbol": "ETHUSDT", "leverage": 1})
        assert (status, answer["code"]) == (400, -2028)


# --- isolated margin ----------------------------------------------------------------------------
async def test_position_margin_moves_exactly_the_amount(srv, http):
    path = "/fapi/v1/positionMargin"
    status, answer, _ = await call(http, srv, "POST", path, {"symbol": "BTCUSDT", "amount": "250.5", "type": 1})
    assert (status, answer) == (200, {"amount": 250.5, "code": 200, "msg": "Successfully modify position margin.",
                                      "type": 1})
    acct = account(srv, "1001")
    assert acct["positions"][0]["isolatedWallet"] == "3250.5" and acct["balances"]["USDT"] == "9749.5"
    status, answer, _ = await call(http, srv, "POST", path, {"symbol": "BTCUSDT", "amount": "0.5", "type": 2})
    acct = account(srv, "1001")
    assert acct["positions"][0]["isolatedWallet"] == "3250" and acct["balances"]["USDT"] == "9750"
    _, history, _ = await call(http, srv, "GET", "/fapi/v1/positionMargin/history", {"symbol": "BTCUSDT"})
    assert [(h["type"], h["amount"], h["positionSide"]) for h in history] == [(1, "250.5", "BOTH"), (2, "0.5", "BOTH")]


async def test_position_margin_refusals(srv, http):
    path = "/fapi/v1/positionMargin"

    async def move(params, key="k1"):
        status, answer, _ = await call(http, srv, "POST", path, params, key=key)
        return status, answer["code"]

    assert await move({"symbol": "ETHUSDT", "amount": "10", "type": 1}) == (400, -4049)  # cross
    assert await move({"symbol": "BTCUSDT", "amount": "0", "type": 1}) == (400, -4055)
    assert await move({"symbol": "BTCUSDT", "amount": "-5", "type": 1}) == (400, -4055)
    assert await move({"symbol": "BTCUSDT", "amount": "10", "type": 3}) == (400, -1130)
    assert await move({"symbol": "BTCUSDT", "amount": "10", "type": 1, "positionSide": "LONG"}) == (400, -4060)
    assert await move({"symbol": "BTCUSDT", "amount": "10015.01", "type": 1}) == (400, -4050)
    # the position needs 30500 / 10 = 3050 of its 3500 isolated margin: 450 can go, 450.01 cannot
    assert await move({"symbol": "BTCUSDT", "amount": "450.01", "type": 2}) == (400, -4051)
    assert await move({"symbol": "BTCUSDT", "amount": "450", "type": 2}) == (200, 200)
    # hedge mode: positionSide is required and picks the side
    assert await move({"symbol": "BTCUSDT", "amount": "10", "type": 1}, key="k2") == (400, -4060)
    assert await move({"symbol": "BTCUSDT", "amount": "10", "type": 1, "positionSide": "SHORT"}, key="k2") == (200, 200)
    sides = {p["positionSide"]: p["isolatedWallet"] for p in account(srv, "1002")["positions"]}
    assert sides == {"LONG": "400", "SHORT": "710"}
    assert await move({"symbol": "ETHUSDT", "amount": "10", "type": 1}, key="k4") == (400, -4049)
    status, answer, _ = await call(http, srv, "POST", "/fapi/v1/marginType",
                                   {"symbol": "ETHUSDT", "marginType": "ISOLATED"}, key="k4")
    assert await move({"symbol": "ETHUSDT", "amount": "10", "type": 1}, key="k4") == (400, -4054)  # flat


# --- position mode and Multi-Assets mode -------------------------------------------------------
async def test_position_mode_rules_shared_with_coin_m(srv, http):
    path = "/fapi/v1/positionSide/dual"

    async def switch(value, key):
        status, answer, _ = await call(http, srv, "POST", path, {"dualSidePosition": value}, key=key)
        return status, answer["code"]

    assert await switch("true", "k2") == (400, -4059)
    assert await switch("false", "k2") == (400, -4068)
    assert await switch("true", "k3") == (400, -4067)  # an algo order
    assert await switch("true", "k4") == (400, -4068)  # a COIN-M position
    assert await switch("true", "k7") == (400, -4067)  # a COIN-M order
    assert await switch("yes", "k6") == (400, -1130)
    assert await switch("true", "k6") == (200, 200)
    _, rows, _ = await call(http, srv, "GET", "/fapi/v2/positionRisk", {"symbol": "BTCUSDT"}, key="k6")
    assert [r["positionSide"] for r in rows] == ["LONG", "SHORT"]
    assert account(srv, "1006")["dualSidePosition"] is True


async def test_multi_assets_mode_rules(srv, http):
    path = "/fapi/v1/multiAssetsMargin"

    async def switch(value, key):
        status, answer, _ = await call(http, srv, "POST", path, {"multiAssetsMargin": value}, key=key)
        return status, answer["code"]

    assert await switch("true", "k6") == (400, -4171)
    assert await switch("true", "k1") == (400, -4167)  # BTCUSDT is isolated
    assert await switch("true", "k3") == (400, -4170)
    assert await switch("true", "k4") == (200, 200)
    assert account(srv, "1004")["multiAssetsMargin"] is True


# --- liquidation price --------------------------------------------------------------------------
def faq_liquidation(wallet, legs, other_maint=D(0), other_pnl=D(0)):
    """The FAQ's USDⓈ-M formula, written out here for legs (side, |size|, entry, mmr, cum) picked by hand."""
    numerator = wallet - other_maint + other_pnl + sum(cum - side * size * entry for side, size, entry, _, cum in legs)
    denominator = sum(size * mmr - side * size for side, size, entry, mmr, _ in legs)
    return numerator / denominator


def close(reported: str, expected: Decimal, tolerance=D("0.00000001")):
    return abs(D(reported) - expected) <= tolerance * max(expected, D(1))


async def liquidation_prices(http, srv, symbol, key="k1"):
    _, rows, _ = await call(http, srv, "GET", "/fapi/v3/positionRisk", {"symbol": symbol}, key=key)
    return {row["positionSide"]: row["liquidationPrice"] for row in rows}


async def test_isolated_liquidation_price_follows_margin_moves_and_not_leverage(srv, http):
    expected = faq_liquidation(D(3000), [(1, D("0.5"), D(60000), D("0.004"), D(0))])
    assert close((await liquidation_prices(http, srv, "BTCUSDT"))["BOTH"], expected)
    await call(http, srv, "POST", "/fapi/v1/positionMargin", {"symbol": "BTCUSDT", "amount": "1000", "type": 1})
    moved = faq_liquidation(D(4000), [(1, D("0.5"), D(60000), D("0.004"), D(0))])
    assert moved < expected and close((await liquidation_prices(http, srv, "BTCUSDT"))["BOTH"], moved)
    await call(http, srv, "POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 50})
    assert close((await liquidation_prices(http, srv, "BTCUSDT"))["BOTH"], moved)


async def test_isolated_hedge_sides_have_their_own_liquidation_price(srv, http):
    prices = await liquidation_prices(http, srv, "BTCUSDT", key="k2")
    assert close(prices["LONG"], faq_liquidation(D(400), [(1, D("0.1"), D(60000), D("0.004"), D(0))]))
    assert close(prices["SHORT"], faq_liquidation(D(700), [(-1, D("0.2"), D(62000), D("0.004"), D(0))]))


async def test_cross_liquidation_price_counts_the_other_positions(srv, http):
    # ETH short 3 @ 2000 cross, wallet 10000; BTC is isolated, so nothing else is cross.
    # with bracket 1 (the notional at entry, 6000) the price would be about 5307, where the notional
    # (about 15900) lies in bracket 2: so bracket 2's rate and cum apply (the FAQ's note)
    assert D(3) * faq_liquidation(D(10000), [(-1, D(3), D(2000), D("0.005"), D(0))]) > 10000
    bracket_two = faq_liquidation(D(10000), [(-1, D(3), D(2000), D("0.01"), D(50))])
    assert close((await liquidation_prices(http, srv, "ETHUSDT"))["BOTH"], bracket_two)
    # moving margin into the isolated BTC position leaves less cross wallet for ETH
    await call(http, srv, "POST", "/fapi/v1/positionMargin", {"symbol": "BTCUSDT", "amount": "2000", "type": 1})
    assert close((await liquidation_prices(http, srv, "ETHUSDT"))["BOTH"],
                 faq_liquidation(D(8000), [(-1, D(3), D(2000), D("0.01"), D(50))]))


async def test_cross_liquidation_price_with_another_cross_position():
    world = copy.deepcopy(WORLD)
    world["binance"]["accounts"][0]["symbolConfig"] = []  # BTC becomes cross; its wallet goes
    world["binance"]["accounts"][0]["positions"][0].pop("isolatedWallet")
    async with SimServer(world) as server, aiohttp.ClientSession() as session:
        prices = await liquidation_prices(session, server, "ETHUSDT")
        btc_maint, btc_pnl = D(30500) * D("0.004"), D(500)
        expected = faq_liquidation(D(10000), [(-1, D(3), D(2000), D("0.01"), D(50))], btc_maint, btc_pnl)
        assert close(prices["BOTH"], expected)


async def test_cross_hedge_sides_share_one_liquidation_price():
    world = copy.deepcopy(WORLD)
    hedge = world["binance"]["accounts"][1]
    hedge["symbolConfig"] = []
    for position in hedge["positions"]:
        position.pop("isolatedWallet")
    async with SimServer(world) as server, aiohttp.ClientSession() as session:
        prices = await liquidation_prices(session, server, "BTCUSDT", key="k2")
        legs = [(1, D("0.1"), D(60000), D("0.004"), D(0)), (-1, D("0.2"), D(62000), D("0.004"), D(0))]
        assert prices["LONG"] == prices["SHORT"] and close(prices["LONG"], faq_liquidation(D(5000), legs))


async def test_no_liquidation_price_when_the_margin_covers_everything(srv, http):
    # 1 BTC long at 100 with 200 of isolated margin cannot be liquidated: the API says "0"
    world = copy.deepcopy(WORLD)
    world["binance"]["accounts"][0]["positions"][0].update(
        {"positionAmt": "1", "entryPrice": "100", "markPrice": "100", "isolatedWallet": "200"})
    async with SimServer(world) as server:
        assert (await liquidation_prices(http, server, "BTCUSDT"))["BOTH"] == "0"


# --- request weight, 429 and 418 ----------------------------------------------------------------
async def test_weight_is_per_address_shared_by_every_key(srv, http):
    _, _, headers = await call(http, srv, "GET", "/fapi/v1/positionSide/dual", key="k1")
    assert headers["X-MBX-USED-WEIGHT-1M"] == "30"
    _, _, headers = await call(http, srv, "GET", "/fapi/v2/positionRisk", key="k2")
    assert headers["X-MBX-USED-WEIGHT-1M"] == "35"
    _, answer, headers = await call(http, srv, "POST", "/fapi/v1/leverage", {"symbol": "X", "leverage": 1})
    assert answer["code"] == -1121 and headers["X-MBX-USED-WEIGHT-1M"] == "36"  # refused requests count too


async def test_over_the_weight_limit_429_then_418_for_not_backing_off():
    world = copy.deepcopy(WORLD)
    world["binance"]["rateLimits"] = [{"rateLimitType": "REQUEST_WEIGHT", "interval": "SECOND", "intervalNum": 2,
                                       "limit": 60}]
    async with SimServer(world) as server, aiohttp.ClientSession() as session:
        path = "/fapi/v1/positionSide/dual"
        for used in ("30", "60"):
            status, _, headers = await call(session, server, "GET", path)
            assert (status, headers["X-MBX-USED-WEIGHT-2S"]) == (200, used)
        status, answer, headers = await call(session, server, "GET", path, key="k2")
        assert (status, answer["code"]) == (429, -1003) and headers["Retry-After"] == "2"
        assert "60" in answer["msg"]
        await asyncio.sleep(2.1)  # backed off: served again
        assert (await call(session, server, "GET", path))[0] == 200
        await call(session, server, "GET", path)
        assert (await call(session, server, "GET", path))[0] == 429
        status, answer, headers = await call(session, server, "GET", "/fapi/v1/leverageBracket")
        assert (status, answer["code"], headers["Retry-After"]) == (418, -1003, "120")
        assert "banned" in answer["msg"]
        async with session.get(server.url + "/fapi/v1/time") as resp:
            assert resp.status == 418  # the ban is on the address, public endpoints too
        calls = server.venues["binance"].calls
        assert [c["status"] for c in calls] == [200, 200, 429, 200, 200, 429, 418, 418]


async def test_world_rate_limit_override_adds_a_per_account_limit():
    world = {**copy.deepcopy(WORLD), "rate_limits": {"POST /fapi/v1/leverage": "2/2s", "GET /fapi/v1/time": "1/2s"}}
    async with SimServer(world) as server, aiohttp.ClientSession() as session:
        codes = []
        for key in ("k1", "k1", "k1", "k4"):
            _, answer, _ = await call(session, server, "POST", "/fapi/v1/leverage",
                                      {"symbol": "XRPUSDT", "leverage": 5}, key=key)
            codes.append(answer.get("code", answer.get("leverage")))
        assert codes == [5, 5, -1003, 5]
        statuses = []
        for _ in range(2):  # a public endpoint's override counts per address
            async with session.get(server.url + "/fapi/v1/time") as resp:
                statuses.append(resp.status)
        assert statuses == [200, 429]


# --- faults -------------------------------------------------------------------------------------
async def inject(http, srv, *faults):
    async with http.post(srv.url + "/__sim/binance/faults", json=list(faults)) as resp:
        assert resp.status == 200, await resp.text()


async def test_faults_answer_in_binance_s_envelope(srv, http):
    path = "/fapi/v1/leverage"
    await inject(http, srv, {"method": "POST", "path": path, "kind": "busy"},
                 {"method": "POST", "path": path, "kind": "rate_limit"},
                 {"method": "POST", "path": path, "kind": "venue_error", "status": 408, "code": -1007, "after": True},
                 {"method": "POST", "path": path, "kind": "http_500"})
    params = {"symbol": "XRPUSDT", "leverage": 4}
    status, answer, headers = await call(http, srv, "POST", path, params)
    assert (status, answer) == (503, {"code": -1001, "msg": "Internal error; unable to process your request. "
                                                            "Please try again."})
    assert headers["Content-Type"].startswith("application/json") and "X-MBX-USED-WEIGHT-1M" in headers
    status, answer, headers = await call(http, srv, "POST", path, params)
    assert (status, answer["code"]) == (429, -1003) and "Retry-After" in headers
    assert config(srv, "1001", "XRPUSDT") is None
    status, answer, _ = await call(http, srv, "POST", path, params)
    assert (status, answer) == (408, {"code": -1007, "msg": "Timeout waiting for response from backend server. "
                                                            "Send status unknown; execution status unknown."})
    assert config(srv, "1001", "XRPUSDT")["leverage"] == 4  # executed before the unknown-outcome answer
    async with http.post(srv.url + path) as resp:
        assert resp.status == 500
    calls = srv.venues["binance"].calls
    assert [(c.get("fault"), c["status"], c["code"]) for c in calls] == [
        ("busy", 503, "-1001"), ("rate_limit", 429, "-1003"), ("venue_error", 408, "-1007"),
        ("http_500", 500, None)]
    assert calls[2]["venue_answer"] == {"status": 200, "code": None}


async def test_reset_after_executes_reset_before_does_not(srv, http):
    path = "/fapi/v1/positionMargin"
    params = {"symbol": "BTCUSDT", "amount": "100", "type": 1}
    await inject(http, srv, {"method": "POST", "path": path, "kind": "reset_before"},
                 {"method": "POST", "path": path, "kind": "reset_after"})
    with pytest.raises(aiohttp.ClientError):
        await call(http, srv, "POST", path, params)
    assert account(srv, "1001")["positions"][0]["isolatedWallet"] == "3000"
    with pytest.raises(aiohttp.ClientError):
        await call(http, srv, "POST", path, params)
    assert account(srv, "1001")["positions"][0]["isolatedWallet"] == "3100"


@pytest.mark.parametrize("kind,executed", [("http_500", False), ("reset_before", False), ("reset_after", True),
                                           ("timeout", True), ("rate_limit", False), ("busy", False)])
async def test_every_fault_is_logged_with_the_answer_the_client_got(srv, kind, executed):
    path = "/fapi/v1/leverage"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        await inject(http, srv, {"method": "POST", "path": path, "kind": kind, "seconds": 0.3})
        try:
            status, body, _ = await call(http, srv, "POST", path, {"symbol": "XRPUSDT", "leverage": 7})
        except aiohttp.ClientError:
            status, body = 0, None
    (entry,) = srv.venues["binance"].calls
    assert entry["fault"] == kind and entry["status"] == status
    assert entry["code"] == (None if not isinstance(body, dict) else str(body["code"]))
    assert ("venue_answer" in entry) == executed
    assert (config(srv, "1001", "XRPUSDT") or {}).get("leverage") == (7 if executed else None)


async def test_late_delivery_of_a_margin_move(srv):
    """The client gives up; the venue still moves the margin when the request reaches it, exactly once."""
    path = "/fapi/v1/positionMargin"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.3)) as impatient:
        await inject(impatient, srv, {"method": "POST", "path": path, "kind": "delay", "seconds": 1})
        with pytest.raises(asyncio.TimeoutError):
            await call(impatient, srv, "POST", path, {"symbol": "BTCUSDT", "amount": "100", "type": 1},
                       recv_window=5000)
    assert account(srv, "1001")["positions"][0]["isolatedWallet"] == "3000"  # not yet
    async with aiohttp.ClientSession() as http:
        async with http.post(srv.url + "/__sim/binance/settle") as resp:
            calls = await resp.json()
    assert account(srv, "1001")["positions"][0]["isolatedWallet"] == "3100"
    assert [(c.get("fault"), c["status"], c["code"]) for c in calls] == [("delay", 200, "200")]


async def test_late_delivery_past_recv_window_is_refused(srv):
    """Binance's recvWindow is the guard against late delivery: the move arrives too late and is refused."""
    path = "/fapi/v1/positionMargin"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.3)) as impatient:
        await inject(impatient, srv, {"method": "POST", "path": path, "kind": "delay", "seconds": 1.2})
        with pytest.raises(asyncio.TimeoutError):
            await call(impatient, srv, "POST", path, {"symbol": "BTCUSDT", "amount": "100", "type": 1},
                       recv_window=1000)
    async with aiohttp.ClientSession() as http:
        async with http.post(srv.url + "/__sim/binance/settle") as resp:
            calls = await resp.json()
    assert [(c.get("fault"), c["status"], c["code"]) for c in calls] == [("delay", 400, "-1021")]
    assert account(srv, "1001")["positions"][0]["isolatedWallet"] == "3000"


# --- admin API and the world section ------------------------------------------------------------
async def test_state_round_trips_and_bad_worlds_are_refused(srv, http):
    async with http.get(srv.url + "/__sim/binance/state") as resp:
        section = await resp.json()
    async with SimServer({"binance": copy.deepcopy(section)}) as again:
        assert again.venues["binance"].state() == section
    section["accounts"][0]["dualSidePosition"] = True  # its BOTH positions no longer fit
    async with http.put(srv.url + "/__sim/binance/state", json=section) as resp:
        assert resp.status == 400 and "positionSide BOTH" in (await resp.json())["error"]
    bad = {"accounts": [{"api_key": "k1", "secret": "s1", "positions": [{"symbol": "NOPE"}]}]}
    async with http.put(srv.url + "/__sim/binance/state", json=bad) as resp:
        assert resp.status == 400 and "NOPE" in (await resp.json())["error"]
    conflicting = copy.deepcopy(WORLD["binance"])
    conflicting["accounts"][0]["positions"][0]["marginType"] = "cross"
    async with http.put(srv.url + "/__sim/binance/state", json=conflicting) as resp:
        assert resp.status == 400 and "ISOLATED" in (await resp.json())["error"]


# --- the official SDK ---------------------------------------------------------------------------
def _sdk():
    try:
        from binance_sdk_derivatives_trading_usds_futures.derivatives_trading_usds_futures import (
            ConfigurationRestAPI, DerivativesTradingUsdsFutures)
        from binance_sdk_derivatives_trading_usds_futures.rest_api.models import ChangeMarginTypeMarginTypeEnum
        from binance_common.errors import BadRequestError
    except ImportError as exc:  # pragma: no cover - only where the SDK cannot be installed
        pytest.skip(f"binance-sdk-derivatives-trading-usds-futures is not importable: {exc}")
    return ConfigurationRestAPI, DerivativesTradingUsdsFutures, ChangeMarginTypeMarginTypeEnum, BadRequestError


async def test_official_sdk(srv):
    configuration, client_class, margin_enum, bad_request = _sdk()

    def client(key):
        return client_class(config_rest_api=configuration(api_key=key, api_secret=SECRETS[key], base_path=srv.url,
                                                          timeout=5000)).rest_api

    def run():
        api, flat = client("k1"), client("k4")
        rows = api.position_information_v3(symbol="BTCUSDT").data()
        assert [(r.position_amt, r.isolated_wallet) for r in rows] == [("0.5", "3000")]
        assert api.position_information_v2(symbol="XRPUSDT").data()[0].leverage == "20"
        configs = api.symbol_configuration().data()
        assert [(c.symbol, c.margin_type, c.leverage) for c in configs][0] == ("BTCUSDT", "ISOLATED", 10)
        answer = api.change_initial_leverage(symbol="BTCUSDT", leverage=12).data()
        assert (answer.leverage, answer.max_notional_value) == (12, "100000000")
        answer = api.modify_isolated_position_margin(symbol="BTCUSDT", amount=100.0, type=1).data()
        assert answer.code == 200
        answer = api.modify_isolated_position_margin(symbol="BTCUSDT", amount=40.0, type=2).data()
        assert api.position_information_v3(symbol="BTCUSDT").data()[0].isolated_wallet == "3060"
        with pytest.raises(bad_request):
            api.change_margin_type(symbol="BTCUSDT", margin_type=margin_enum("ISOLATED"))
        answer = flat.change_margin_type(symbol="ETHUSDT", margin_type=margin_enum("ISOLATED")).data()
        assert answer.code == 200
        assert flat.get_current_position_mode().data().dual_side_position is False
        assert flat.get_current_multi_assets_mode().data().multi_assets_margin is False
        assert flat.futures_account_configuration().data().dual_side_position is False
        brackets = flat.notional_and_leverage_brackets(symbol="ETHUSDT").data()
        assert brackets is not None
        with pytest.raises(bad_request):
            flat.change_position_mode(dual_side_position="true")  # a COIN-M position blocks it
        free = client("k6")
        assert free.change_position_mode(dual_side_position="true").data().code == 200
        assert free.change_multi_assets_mode(multi_assets_margin="false").data().code == 200
        assert free.get_current_position_mode().data().dual_side_position is True
        assert len(api.current_all_open_orders().data()) == 1
        assert api.futures_account_balance_v3().data()[0].asset == "USDT"
        totals = api.account_information_v3().data()  # 60 moved from the cross wallet into the position
        assert (totals.total_wallet_balance, totals.total_cross_wallet_balance) == ("13000", "9940")

    await asyncio.to_thread(run)
    refusals = [(c["path"], c["code"]) for c in srv.venues["binance"].calls if c["status"] != 200]
    assert refusals == [("/fapi/v1/marginType", "-4046"), ("/fapi/v1/positionSide/dual", "-4068")]
    assert config(srv, "1001", "BTCUSDT")["leverage"] == 12
    assert config(srv, "1004", "ETHUSDT")["marginType"] == "ISOLATED"
    assert (account(srv, "1006")["dualSidePosition"], account(srv, "1006")["multiAssetsMargin"]) == (True, False)
    # the SDK sends every parameter of a POST in the query string; the simulator verified each signature
    posts = [c for c in srv.venues["binance"].calls if c["method"] == "POST"]
    assert posts and all("signature" in c["query"] and c["body"] is None for c in posts)


async def test_official_sdk_sees_the_429_and_the_418_with_their_retry_after():
    configuration, client_class, _, _ = _sdk()
    from binance_common.errors import RateLimitBanError, TooManyRequestsError

    world = copy.deepcopy(WORLD)
    world["binance"]["rateLimits"] = [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                                       "limit": 40}]
    async with SimServer(world) as server:
        api = client_class(config_rest_api=configuration(api_key="k1", api_secret="s1", base_path=server.url,
                                                         timeout=5000, retries=0)).rest_api

        def run():
            assert api.get_current_position_mode().data().dual_side_position is False  # weight 30 of 40
            with pytest.raises(TooManyRequestsError) as limited:
                api.get_current_position_mode()
            assert limited.value.retry_after == 60
            with pytest.raises(RateLimitBanError) as banned:
                api.symbol_configuration()
            assert banned.value.retry_after == 120

        await asyncio.to_thread(run)
    assert [c["status"] for c in server.venues["binance"].calls] == [200, 429, 418]


# --- ccxt ---------------------------------------------------------------------------------------
async def test_ccxt_binanceusdm(srv):
    import ccxt.async_support as ccxt

    def client(key):
        # ccxt's own limiter off: the simulator enforces the weights (and the test stays short)
        exchange = ccxt.binanceusdm({"apiKey": key, "secret": SECRETS[key], "enableRateLimit": False,
                                     "options": {"fetchCurrencies": False}})
        for name, url in list(exchange.urls["api"].items()):
            if name.startswith("fapi"):
                exchange.urls["api"][name] = srv.url + "/fapi/" + url.rsplit("/", 1)[-1]
        return exchange

    exchange, hedge, free = client("k1"), client("k4"), client("k6")
    symbol = "BTC/USDT:USDT"
    try:
        await exchange.load_markets()
        assert exchange.market(symbol)["id"] == "BTCUSDT"
        [position] = await exchange.fetch_positions([symbol])
        assert position["marginMode"] == "isolated" and position["contracts"] == 0.5
        assert position["collateral"] == 3500 and D(str(position["liquidationPrice"])) > 0
        await exchange.set_leverage(15, symbol)
        assert config(srv, "1001", "BTCUSDT")["leverage"] == 15
        leverages = await exchange.fetch_leverages([symbol])
        assert leverages[symbol]["longLeverage"] == 15 and leverages[symbol]["marginMode"] == "isolated"
        exchange.options["throwMarginModeAlreadySet"] = True  # ccxt matches -4046 by its exact message
        with pytest.raises(ccxt.MarginModeAlreadySet):
            await exchange.set_margin_mode("isolated", symbol)
        with pytest.raises(ccxt.ExchangeError, match="-4048"):
            await exchange.set_margin_mode("cross", symbol)
        await exchange.add_margin(symbol, 200)
        await exchange.reduce_margin(symbol, 50)
        assert account(srv, "1001")["positions"][0]["isolatedWallet"] == "3150"
        modes = await exchange.fetch_margin_modes(["ETH/USDT:USDT"])
        assert modes["ETH/USDT:USDT"]["marginMode"] == "cross"
        assert (await exchange.fetch_position_mode())["hedged"] is False
        await hedge.load_markets()
        await hedge.set_margin_mode("isolated", "ETH/USDT:USDT")
        with pytest.raises(ccxt.ExchangeError, match="-4068"):
            await hedge.set_position_mode(True)  # its COIN-M position blocks it
        with pytest.raises(ccxt.ExchangeError, match="-4059"):
            await exchange.set_position_mode(False)  # already one-way
        await free.set_position_mode(True)
        assert (await free.fetch_position_mode())["hedged"] is True
    finally:
        await exchange.close()
        await hedge.close()
        await free.close()
    assert config(srv, "1001", "BTCUSDT")["leverage"] == 15
    assert config(srv, "1004", "ETHUSDT")["marginType"] == "ISOLATED"
    body_posts = [c for c in srv.venues["binance"].calls if c["method"] == "POST"]
    assert body_posts and all(isinstance(c["body"], str) and "signature=" in c["body"] for c in body_posts)


# --- the reads the reconciler's adapter makes, through both clients ------------------------------
async def test_official_sdk_reads_the_listing_the_order_lists_and_every_bracket(srv):
    configuration, client_class, _, _ = _sdk()

    def run():
        api = client_class(config_rest_api=configuration(api_key="k3", api_secret="s3", base_path=srv.url,
                                                         timeout=5000)).rest_api
        listed = api.exchange_information().data()
        assert [(s.symbol, s.status, s.margin_asset) for s in listed.symbols][0] == ("BTCUSDT", "TRADING", "USDT")
        [algo] = api.current_all_algo_open_orders().data()
        assert (algo.symbol, algo.order_type, algo.trigger_price) == ("ETHUSDT", "STOP_MARKET", "1500")
        assert api.current_all_algo_open_orders(symbol="BTCUSDT").data() == []
        assert api.current_all_open_orders(symbol="ETHUSDT").data() == []
        assert api.notional_and_leverage_brackets().data() is not None  # every symbol, one array

    await asyncio.to_thread(run)
    reads = [(c["path"], c["query"].get("symbol"), c["status"]) for c in srv.venues["binance"].calls]
    assert reads == [("/fapi/v1/exchangeInfo", None, 200), ("/fapi/v1/openAlgoOrders", None, 200),
                     ("/fapi/v1/openAlgoOrders", "BTCUSDT", 200), ("/fapi/v1/openOrders", "ETHUSDT", 200),
                     ("/fapi/v1/leverageBracket", None, 200)]


async def test_ccxt_reads_account_config_order_lists_and_a_portfolio_margin_account(srv):
    import ccxt.async_support as ccxt

    def client(key):
        exchange = ccxt.binanceusdm({"apiKey": key, "secret": SECRETS[key], "enableRateLimit": False,
                                     "options": {"fetchCurrencies": False}})
        for name, url in list(exchange.urls["api"].items()):
            if name.startswith("fapi"):
                exchange.urls["api"][name] = srv.url + "/fapi/" + url.rsplit("/", 1)[-1]
        exchange.urls["api"]["papi"] = srv.url + "/papi/v1"
        return exchange

    one_way, algo, portfolio = client("k1"), client("k3"), client("k5")
    try:
        config = await one_way.fapiPrivateGetAccountConfig()
        assert (config["dualSidePosition"], config["multiAssetsMargin"]) == (False, False)
        [order] = await one_way.fapiPrivateGetOpenOrders()
        assert (order["symbol"], order["origQty"]) == ("XRPUSDT", "100")
        [conditional] = await algo.fapiPrivateGetOpenAlgoOrders({"symbol": "ETHUSDT"})
        assert conditional["triggerPrice"] == "1500"
        with pytest.raises(ccxt.AuthenticationError, match="-2015"):
            await portfolio.fapiPrivateGetAccountConfig()
        detail = await portfolio.papiGetUmAccount()
        assert {row["leverage"] for row in detail["positions"]} == {"20"}
    finally:
        await one_way.close()
        await algo.close()
        await portfolio.close()
