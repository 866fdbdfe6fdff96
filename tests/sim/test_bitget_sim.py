"""The Bitget v2 mix simulator: raw signed HTTP against it, and ccxt's own Bitget client."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import time
from decimal import Decimal
from urllib.parse import urlencode

import aiohttp
import pytest

from reconciler.sim.server import SimServer

KEY, SECRET, PASSPHRASE = "k2", "s2", "p2"

WORLD = {
    "bitget": {
        "contracts": [
            {"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "minLever": "1", "maxLever": "125",
             "supportMarginCoins": ["USDT"]},
            {"symbol": "ETHUSDT", "productType": "USDT-FUTURES", "minLever": "2", "maxLever": "100",
             "supportMarginCoins": ["USDT"]},
            {"symbol": "SOLUSDT", "productType": "USDT-FUTURES", "minLever": "1", "maxLever": "75",
             "supportMarginCoins": ["USDT"]},
            {"symbol": "XRPUSDT", "productType": "USDT-FUTURES", "minLever": "1", "maxLever": "75",
             "supportMarginCoins": ["USDT"]},
            {"symbol": "BTCPERP", "productType": "USDC-FUTURES", "minLever": "1", "maxLever": "100",
             "supportMarginCoins": ["USDC"]},
        ],
        "accounts": [
            {
                "api_key": KEY, "secret": SECRET, "passphrase": PASSPHRASE, "uid": "2001",
                "position_modes": {"USDT-FUTURES": "one_way_mode"},
                "balances": {"USDT": "100000", "USDC": "5000"},
                "symbols": {
                    "BTCUSDT": {"marginCoin": "USDT", "marginMode": "crossed", "crossedMarginLeverage": "10",
                                "isolatedLongLever": "10", "isolatedShortLever": "10"},
                    "SOLUSDT": {"marginCoin": "USDT", "marginMode": "isolated", "crossedMarginLeverage": "5",
                                "isolatedLongLever": "10", "isolatedShortLever": "10"},
                },
                "positions": [
                    {"symbol": "BTCUSDT", "marginCoin": "USDT", "holdSide": "long", "marginMode": "crossed",
                     "total": "0.5", "marginSize": "300", "openPriceAvg": "60000"},
                    # isolated, 0.1 * 60000 / 10 = 600 needed
                    {"symbol": "SOLUSDT", "marginCoin": "USDT", "holdSide": "long", "marginMode": "isolated",
                     "total": "0.1", "marginSize": "1000", "openPriceAvg": "60000"},
                ],
                "orders": [
                    {"symbol": "ETHUSDT", "marginCoin": "USDT", "side": "buy", "size": "1", "price": "1000",
                     "marginMode": "crossed"},
                ],
                "plan_orders": [
                    {"symbol": "XRPUSDT", "marginCoin": "USDT", "planType": "normal_plan", "side": "buy",
                     "size": "10", "triggerPrice": "0.5"},
                ],
            },
            # a second key of the same uid: rate limits are per UID
            {"api_key": "k2b", "secret": "s2b", "passphrase": "p2b", "uid": "2001"},
            {
                "api_key": "k3", "secret": "s3", "passphrase": "p3", "uid": "3001",
                "position_modes": {"USDT-FUTURES": "hedge_mode"},
                "balances": {"USDT": "1000"},
                "symbols": {"BTCUSDT": {"marginCoin": "USDT", "marginMode": "isolated",
                                        "crossedMarginLeverage": "10", "isolatedLongLever": "10",
                                        "isolatedShortLever": "10"}},
                "orders": [
                    {"symbol": "ETHUSDT", "marginCoin": "USDT", "side": "buy" if i % 2 else "sell",
                     "size": str(i + 1), "price": str(1000 + i), "marginMode": "crossed"}
                    for i in range(5)
                ],
            },
        ],
    }
}


def world(**changes) -> dict:
    result = copy.deepcopy(WORLD)
    result.update(changes)
    return result


def signed_headers(method: str, path: str, query: str = "", body: str = "", *, key=KEY, secret=SECRET,
                   passphrase=PASSPHRASE, timestamp: int | None = None) -> dict:
    stamp = str(timestamp if timestamp is not None else int(time.time() * 1000))
    prehash = stamp + method + path + (("?" + query) if query else "") + body
    sign = base64.b64encode(hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()).decode()
    headers = {"ACCESS-KEY": key, "ACCESS-SIGN": sign, "ACCESS-TIMESTAMP": stamp,
               "ACCESS-PASSPHRASE": passphrase, "locale": "en-US"}
    if method == "POST":
        headers["Content-Type"] = "application/json"
    return headers


class Client:
    """Signs and sends requests the way Bitget's docs describe."""

    def __init__(self, base: str, session: aiohttp.ClientSession):
        self.base, self.session = base, session

    async def get(self, path: str, params: dict | None = None, **auth) -> tuple[int, dict]:
        query = urlencode(sorted((params or {}).items()))
        headers = signed_headers("GET", path, query, **auth)
        url = self.base + path + ("?" + query if query else "")
        async with self.session.get(url, headers=headers) as response:
            return response.status, await response.json(content_type=None)

    async def post(self, path: str, body: dict, **auth) -> tuple[int, dict]:
        text = json.dumps(body)
        headers = signed_headers("POST", path, "", text, **auth)
        async with self.session.post(self.base + path, data=text, headers=headers) as response:
            return response.status, await response.json(content_type=None)


@pytest.fixture
async def sim():
    async with SimServer(world()) as server:
        yield server


@pytest.fixture
async def client(sim):
    async with aiohttp.ClientSession() as session:
        yield Client(sim.url, session)


def account_state(sim: SimServer, key: str = KEY) -> dict:
    return next(a for a in sim.venues["bitget"].state()["accounts"] if a["api_key"] == key)


ACCOUNT = "/api/v2/mix/account/account"
SET_LEVERAGE = "/api/v2/mix/account/set-leverage"
SET_MARGIN_MODE = "/api/v2/mix/account/set-margin-mode"
SET_MARGIN = "/api/v2/mix/account/set-margin"
SET_POSITION_MODE = "/api/v2/mix/account/set-position-mode"
BTC = {"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "marginCoin": "USDT"}


# --- authentication --------------------------------------------------------------------------
async def test_good_signature_reads_account(client):
    status, body = await client.get(ACCOUNT, BTC)
    assert status == 200 and body["code"] == "00000" and body["msg"] == "success"
    assert isinstance(body["requestTime"], int)
    data = body["data"]
    assert data["marginMode"] == "crossed" and data["crossedMarginLeverage"] == "10"
    assert data["posMode"] == "one_way_mode" and data["available"] == "100000"


async def test_bad_signature_is_40009(client):
    status, body = await client.get(ACCOUNT, BTC, secret="wrong")
    assert (status, body["code"], body["data"]) == (400, "40009", None)


async def test_expired_timestamp_is_40008(client):
    status, body = await client.get(ACCOUNT, BTC, timestamp=int(time.time() * 1000) - 31_000)
    assert (status, body["code"]) == (400, "40008")
    status, body = await client.get(ACCOUNT, BTC, timestamp=int(time.time() * 1000) + 31_000)
    assert (status, body["code"]) == (400, "40008")


async def test_unknown_key_wrong_passphrase_missing_header(client, sim):
    status, body = await client.get(ACCOUNT, BTC, key="nobody")
    assert (status, body["code"]) == (400, "40037")
    status, body = await client.get(ACCOUNT, BTC, passphrase="nope")
    assert (status, body["code"]) == (400, "40012")
    async with client.session.get(sim.url + ACCOUNT, params=BTC) as response:
        assert response.status == 400 and (await response.json())["code"] == "40001"


async def test_unsorted_query_and_paptrading_header_are_accepted(client, sim):
    query = "symbol=BTCUSDT&marginCoin=USDT&productType=USDT-FUTURES"
    headers = signed_headers("GET", ACCOUNT, query)
    headers["paptrading"] = "1"
    async with client.session.get(f"{sim.url}{ACCOUNT}?{query}", headers=headers) as response:
        assert response.status == 200 and (await response.json())["code"] == "00000"


async def test_unknown_path_is_40404(client):
    status, body = await client.get("/api/v2/mix/account/no-such-thing", {"productType": "USDT-FUTURES"})
    assert (status, body["code"]) == (404, "40404")


# --- set-margin-mode -------------------------------------------------------------------------
async def test_set_margin_mode_refused_with_position(client, sim):
    status, body = await client.post(SET_MARGIN_MODE, {**BTC, "marginMode": "isolated"})
    assert (status, body["code"], body["data"]) == (400, "45117", None)
    assert account_state(sim)["symbols"]["BTCUSDT"]["marginMode"] == "crossed"


async def test_set_margin_mode_refused_with_pending_order(client):
    status, body = await client.post(SET_MARGIN_MODE, {**BTC, "symbol": "ETHUSDT", "marginMode": "isolated"})
    assert (status, body["code"]) == (400, "45117")


async def test_set_margin_mode_refused_with_pending_plan_order(client):
    status, body = await client.post(SET_MARGIN_MODE, {**BTC, "symbol": "XRPUSDT", "marginMode": "isolated"})
    assert (status, body["code"]) == (400, "45117")


async def test_set_margin_mode_on_a_free_symbol(client, sim):
    # k3 holds nothing on BTCUSDT; k2 has nothing on a default (absent) symbol either
    status, body = await client.post(SET_MARGIN_MODE, {**BTC, "marginMode": "crossed"},
                                     key="k3", secret="s3", passphrase="p3")
    assert status == 200 and body["code"] == "00000"
    assert body["data"] == {"symbol": "BTCUSDT", "marginCoin": "USDT", "longLeverage": "10",
                            "shortLeverage": "10", "marginMode": "crossed"}
    assert account_state(sim, "k3")["symbols"]["BTCUSDT"]["marginMode"] == "crossed"
    status, body = await client.post(SET_MARGIN_MODE, {**BTC, "marginMode": "cross"},
                                     key="k3", secret="s3", passphrase="p3")
    assert (status, body["code"]) == (400, "40020")


async def test_absent_symbol_reads_as_default(client):
    status, body = await client.get(ACCOUNT, {**BTC, "symbol": "ETHUSDT"})
    assert body["data"]["marginMode"] == "crossed"
    assert body["data"]["crossedMarginLeverage"] == "20" == body["data"]["isolatedShortLever"]


async def test_unknown_symbol_is_40034(client):
    status, body = await client.get(ACCOUNT, {**BTC, "symbol": "FAKEUSDT"})
    assert (status, body["code"]) == (400, "40034")


# --- set-leverage ----------------------------------------------------------------------------
async def test_cross_leverage_changes_and_position_follows(client, sim):
    status, body = await client.post(SET_LEVERAGE, {**BTC, "leverage": "7"})
    assert status == 200
    assert body["data"] == {"symbol": "BTCUSDT", "marginCoin": "USDT", "longLeverage": "7", "shortLeverage": "7",
                            "crossMarginLeverage": "7", "marginMode": "crossed"}
    state = account_state(sim)
    assert state["symbols"]["BTCUSDT"]["crossedMarginLeverage"] == "7"
    assert state["symbols"]["BTCUSDT"]["isolatedLongLever"] == "10"
    status, body = await client.get("/api/v2/mix/position/all-position", {"productType": "USDT-FUTURES"})
    btc = next(p for p in body["data"] if p["symbol"] == "BTCUSDT")
    assert btc["leverage"] == "7" and btc["marginMode"] == "crossed" and btc["posMode"] == "one_way_mode"


async def test_leverage_above_max_is_40797_and_below_min_refused(client, sim):
    status, body = await client.post(SET_LEVERAGE, {**BTC, "leverage": "126"})
    assert (status, body["code"]) == (400, "40797")
    status, body = await client.post(SET_LEVERAGE, {**BTC, "symbol": "ETHUSDT", "leverage": "1"})
    assert (status, body["code"]) == (400, "45044")
    status, body = await client.post(SET_LEVERAGE, {**BTC, "leverage": "125"})
    assert status == 200
    assert account_state(sim)["symbols"]["BTCUSDT"]["crossedMarginLeverage"] == "125"


async def test_isolated_one_way_leverage_sets_both_sides(client, sim):
    status, body = await client.post(SET_LEVERAGE, {**BTC, "symbol": "SOLUSDT", "leverage": "20"})
    assert status == 200 and body["data"]["longLeverage"] == "20" == body["data"]["shortLeverage"]
    sol = account_state(sim)["symbols"]["SOLUSDT"]
    assert (sol["isolatedLongLever"], sol["isolatedShortLever"], sol["crossedMarginLeverage"]) == ("20", "20", "5")
    assert next(p for p in account_state(sim)["positions"] if p["symbol"] == "SOLUSDT")["leverage"] == "20"


async def test_hedge_isolated_leverage_needs_hold_side(client, sim):
    k3 = {"key": "k3", "secret": "s3", "passphrase": "p3"}
    status, body = await client.post(SET_LEVERAGE, {**BTC, "leverage": "5"}, **k3)
    assert (status, body["code"]) == (400, "40019")
    assert "holdSide" in body["msg"]
    status, body = await client.post(SET_LEVERAGE, {**BTC, "leverage": "5", "holdSide": "short"}, **k3)
    assert status == 200 and (body["data"]["longLeverage"], body["data"]["shortLeverage"]) == ("10", "5")
    status, body = await client.post(SET_LEVERAGE, {**BTC, "leverage": "9", "longLeverage": "3",
                                                    "shortLeverage": "4"}, **k3)
    assert status == 200
    btc = account_state(sim, "k3")["symbols"]["BTCUSDT"]
    assert (btc["isolatedLongLever"], btc["isolatedShortLever"]) == ("3", "4")


# --- set-position-mode -----------------------------------------------------------------------
async def test_position_mode_refused_with_positions_or_orders(client, sim):
    status, body = await client.post(SET_POSITION_MODE, {"productType": "USDT-FUTURES", "posMode": "hedge_mode"})
    assert (status, body["code"]) == (400, "40920")
    # k3 has only orders in USDT-FUTURES
    status, body = await client.post(SET_POSITION_MODE, {"productType": "USDT-FUTURES", "posMode": "one_way_mode"},
                                     key="k3", secret="s3", passphrase="p3")
    assert (status, body["code"]) == (400, "40920")
    status, body = await client.post(SET_POSITION_MODE, {"productType": "USDC-FUTURES", "posMode": "hedge_mode"})
    assert status == 200 and body["data"] == {"posMode": "hedge_mode"}
    assert account_state(sim)["position_modes"] == {"USDT-FUTURES": "one_way_mode", "USDC-FUTURES": "hedge_mode"}


# --- set-margin ------------------------------------------------------------------------------
async def test_set_margin_add_and_reduce(client, sim):
    sol = {**BTC, "symbol": "SOLUSDT", "holdSide": "long"}
    status, body = await client.post(SET_MARGIN, {**sol, "amount": "250.5"})
    assert (status, body["code"], body["data"]) == (200, "00000", "")
    state = account_state(sim)
    position = next(p for p in state["positions"] if p["symbol"] == "SOLUSDT")
    assert Decimal(position["marginSize"]) == Decimal("1250.5")
    assert Decimal(state["balances"]["USDT"]) == Decimal("99749.5")

    status, body = await client.post(SET_MARGIN, {**sol, "amount": "-650.5"})
    assert status == 200
    position = next(p for p in account_state(sim)["positions"] if p["symbol"] == "SOLUSDT")
    assert Decimal(position["marginSize"]) == Decimal("600")  # exactly 0.1 * 60000 / 10
    assert Decimal(account_state(sim)["balances"]["USDT"]) == Decimal("100400")

    status, body = await client.post(SET_MARGIN, {**sol, "amount": "-0.01"})
    assert (status, body["code"]) == (400, "40801")
    status, body = await client.post(SET_MARGIN, {**sol, "amount": "100400.01"})
    assert (status, body["code"]) == (400, "40798")
    position = next(p for p in account_state(sim)["positions"] if p["symbol"] == "SOLUSDT")
    assert position["marginSize"] == "600"

    status, body = await client.get("/api/v2/mix/position/single-position",
                                    {"symbol": "SOLUSDT", "productType": "USDT-FUTURES", "marginCoin": "USDT"})
    assert [p["marginSize"] for p in body["data"]] == ["600"]


async def test_set_margin_refused_on_cross_or_without_position(client):
    status, body = await client.post(SET_MARGIN, {**BTC, "holdSide": "long", "amount": "10"})
    assert (status, body["code"]) == (400, "40875")
    status, body = await client.post(SET_MARGIN, {**BTC, "symbol": "SOLUSDT", "holdSide": "short", "amount": "10"})
    assert (status, body["code"]) == (400, "40802")
    status, body = await client.post(SET_MARGIN, {**BTC, "symbol": "SOLUSDT", "amount": "10"})
    assert (status, body["code"]) == (400, "40019")


# --- pending orders --------------------------------------------------------------------------
async def test_orders_pending_pagination(client):
    k3 = {"key": "k3", "secret": "s3", "passphrase": "p3"}
    seen, cursor, pages = [], None, 0
    while True:
        params = {"productType": "USDT-FUTURES", "limit": "2"}
        if cursor:
            params["idLessThan"] = cursor
        status, body = await client.get("/api/v2/mix/order/orders-pending", params, **k3)
        assert status == 200
        entries = body["data"]["entrustedList"]
        if not entries:
            assert entries is None and body["data"]["endId"] is None
            break
        pages += 1
        assert len(entries) <= 2
        ids = [int(e["orderId"]) for e in entries]
        assert ids == sorted(ids, reverse=True)
        assert body["data"]["endId"] == entries[-1]["orderId"]
        seen.extend(entries)
        cursor = body["data"]["endId"]
    assert pages == 3
    assert len({e["orderId"] for e in seen}) == 5
    assert sorted(e["size"] for e in seen) == ["1", "2", "3", "4", "5"]
    assert {e["posSide"] for e in seen} == {"long", "short"} and seen[0]["posMode"] == "hedge_mode"


async def test_plan_orders_need_plan_type(client):
    status, body = await client.get("/api/v2/mix/order/orders-plan-pending", {"productType": "USDT-FUTURES"})
    assert (status, body["code"]) == (400, "40019")
    status, body = await client.get("/api/v2/mix/order/orders-plan-pending",
                                    {"productType": "USDT-FUTURES", "planType": "normal_plan"})
    assert [e["symbol"] for e in body["data"]["entrustedList"]] == ["XRPUSDT"]
    status, body = await client.get("/api/v2/mix/order/orders-plan-pending",
                                    {"productType": "USDT-FUTURES", "planType": "profit_loss"})
    assert body["data"]["entrustedList"] is None


# --- rate limits -----------------------------------------------------------------------------
async def test_429_after_per_uid_limit(client, sim):
    codes = []
    for i in range(6):
        # two keys of one uid share the 5/s limit of set-leverage
        auth = {} if i % 2 else {"key": "k2b", "secret": "s2b", "passphrase": "p2b"}
        status, body = await client.post(SET_LEVERAGE, {**BTC, "symbol": "SOLUSDT", "leverage": "10"}, **auth)
        codes.append((status, body["code"]))
    assert codes[-1] == (429, "429")
    assert all(code != (429, "429") for code in codes[:5])
    # another uid and another endpoint are not affected
    status, _ = await client.post(SET_LEVERAGE, {**BTC, "leverage": "5", "holdSide": "long"},
                                  key="k3", secret="s3", passphrase="p3")
    assert status == 200
    status, _ = await client.get(ACCOUNT, BTC)
    assert status == 200


async def test_rate_limit_override_from_world():
    async with SimServer(world(rate_limits={"GET /api/v2/mix/account/account": "1/10s"})) as srv:
        async with aiohttp.ClientSession() as session:
            client = Client(srv.url, session)
            assert (await client.get(ACCOUNT, BTC))[0] == 200
            status, body = await client.get(ACCOUNT, BTC)
            assert (status, body["code"]) == (429, "429")


# --- admin API -------------------------------------------------------------------------------
async def test_call_log_and_state_round_trip(client, sim):
    await client.post(SET_LEVERAGE, {**BTC, "leverage": "126"})
    await client.get(ACCOUNT, BTC)
    async with client.session.get(f"{sim.url}/__sim/bitget/calls") as response:
        calls = await response.json()
    assert [(c["method"], c["path"], c["status"], c["code"], c["account"]) for c in calls] == [
        ("POST", SET_LEVERAGE, 400, "40797", "2001"),
        ("GET", ACCOUNT, 200, "00000", "2001"),
    ]
    assert calls[0]["body"]["leverage"] == "126" and calls[1]["query"]["symbol"] == "BTCUSDT"
    async with client.session.delete(f"{sim.url}/__sim/bitget/calls"):
        pass
    assert sim.venues["bitget"].calls == []

    async with client.session.get(f"{sim.url}/__sim/bitget/state") as response:
        state = await response.json()
    assert state["contracts"] == WORLD["bitget"]["contracts"]
    assert state["accounts"][0]["positions"][0] == WORLD["bitget"]["accounts"][0]["positions"][0]
    state["accounts"][0]["symbols"]["BTCUSDT"]["crossedMarginLeverage"] = "33"
    state["accounts"][0]["positions"] = []
    async with client.session.put(f"{sim.url}/__sim/bitget/state", json=state) as response:
        assert response.status == 200
    async with client.session.get(f"{sim.url}/__sim/bitget/state") as response:
        assert await response.json() == state
    status, body = await client.get(ACCOUNT, BTC)
    assert body["data"]["crossedMarginLeverage"] == "33"
    # the position is gone, so the margin mode may now change
    status, body = await client.post(SET_MARGIN_MODE, {**BTC, "marginMode": "isolated"})
    assert status == 200

    async with client.session.put(f"{sim.url}/__sim/bitget/state", json={"accounts": [{"api_key": "x"}]}) as r:
        assert r.status == 400


async def test_reset_after_fault_still_applies_the_change(client, sim):
    fault = [{"method": "POST", "path": SET_LEVERAGE, "kind": "reset_after", "count": 1}]
    async with client.session.post(f"{sim.url}/__sim/bitget/faults", json=fault) as response:
        assert response.status == 200
    with pytest.raises(aiohttp.ClientError):
        await client.post(SET_LEVERAGE, {**BTC, "leverage": "8"})
    assert account_state(sim)["symbols"]["BTCUSDT"]["crossedMarginLeverage"] == "8"
    assert sim.venues["bitget"].calls[-1]["fault"] == "reset_after"


async def test_busy_fault(client, sim):
    fault = [{"method": "GET", "path": ACCOUNT, "kind": "busy", "count": 1}]
    async with client.session.post(f"{sim.url}/__sim/bitget/faults", json=fault):
        pass
    status, body = await client.get(ACCOUNT, BTC)
    assert status >= 500 and body["code"] != "00000" and body["data"] is None
    assert (await client.get(ACCOUNT, BTC))[0] == 200


# --- ccxt ------------------------------------------------------------------------------------
async def test_ccxt_bitget_client_works_against_the_simulator(sim):
    ccxt = pytest.importorskip("ccxt.async_support")
    exchange = ccxt.bitget({"apiKey": KEY, "secret": SECRET, "password": PASSPHRASE})
    try:
        exchange.urls["api"] = {name: sim.url for name in exchange.urls["api"]}
        exchange.options["defaultType"] = "swap"
        exchange.options["fetchMarkets"] = {"types": ["swap"]}
        exchange.options["uta"] = False  # a classic account: no /api/v3 detection call
        markets = await exchange.load_markets()
        assert "BTC/USDT:USDT" in markets
        assert markets["BTC/USDT:USDT"]["limits"]["leverage"]["max"] == 125

        leverage = await exchange.fetch_leverage("BTC/USDT:USDT")
        assert leverage["marginMode"] == "cross" and leverage["longLeverage"] == 10

        positions = await exchange.fetch_positions()
        btc = next(p for p in positions if p["symbol"] == "BTC/USDT:USDT")
        assert btc["side"] == "long" and btc["contracts"] == 0.5

        balance = await exchange.fetch_balance()
        assert balance["USDT"]["free"] == 100000

        await exchange.set_leverage(7, "BTC/USDT:USDT")
        assert account_state(sim)["symbols"]["BTCUSDT"]["crossedMarginLeverage"] == "7"
        assert (await exchange.fetch_leverage("BTC/USDT:USDT"))["longLeverage"] == 7

        with pytest.raises(ccxt.ExchangeError) as refused:
            await exchange.set_margin_mode("isolated", "BTC/USDT:USDT")
        assert "45117" in str(refused.value)
        assert account_state(sim)["symbols"]["BTCUSDT"]["marginMode"] == "crossed"

        with pytest.raises(ccxt.ExchangeError) as too_high:
            await exchange.set_leverage(126, "BTC/USDT:USDT")
        assert "40797" in str(too_high.value)
    finally:
        await exchange.close()
    paths = {c["path"] for c in sim.venues["bitget"].calls}
    assert "/api/v2/mix/account/set-margin-mode" in paths


# --- case, statuses and time ranges, as the venue's own pages show them --------------------------
async def test_symbols_product_types_and_margin_coins_in_any_case(client, sim):
    lower = {"symbol": "btcusdt", "productType": "usdt-futures", "marginCoin": "usdt"}  # the docs' own curl
    status, body = await client.get(ACCOUNT, lower)
    assert status == 200 and body["data"]["crossedMarginLeverage"] == "10"
    status, body = await client.post(SET_LEVERAGE, {**lower, "leverage": "6"})
    assert status == 200 and body["data"]["symbol"] == "BTCUSDT"
    assert account_state(sim)["symbols"]["BTCUSDT"]["crossedMarginLeverage"] == "6"
    status, body = await client.get("/api/v2/mix/position/all-position",
                                    {"productType": "usdt-futures", "marginCoin": "usdt"})
    assert status == 200 and {p["symbol"] for p in body["data"]} == {"BTCUSDT", "SOLUSDT"}
    status, body = await client.get("/api/v2/mix/order/orders-pending",
                                    {"productType": "usdt-futures", "symbol": "ethusdt"})
    assert [e["symbol"] for e in body["data"]["entrustedList"]] == ["ETHUSDT"]


async def test_orders_pending_defaults_to_live_orders_of_the_last_three_months():
    now = int(time.time() * 1000)
    day = 86_400_000
    orders = [{"symbol": "ETHUSDT", "marginCoin": "USDT", "side": "buy", "size": "1", "price": "1000",
               "marginMode": "crossed", **extra}
              for extra in ({}, {"status": "partially_filled"}, {"cTime": str(now - 200 * day)})]
    changed = world()
    changed["bitget"]["accounts"][0]["orders"] = orders
    async with SimServer(changed) as server, aiohttp.ClientSession() as session:
        client = Client(server.url, session)
        path, line = "/api/v2/mix/order/orders-pending", {"productType": "USDT-FUTURES"}

        async def sizes(**params):
            status, body = await client.get(path, {**line, **params})
            assert status == 200, body
            return len(body["data"]["entrustedList"] or [])

        assert await sizes() == 1  # live, recent
        assert await sizes(status="partially_filled") == 1
        assert await sizes(startTime=str(now - 250 * day), endTime=str(now - 170 * day)) == 1
        assert await sizes(startTime=str(now - 250 * day)) == 1  # end defaults to start + three months
        status, body = await client.get(path, {**line, "startTime": str(now - 200 * day), "endTime": str(now)})
        assert (status, body["code"]) == (400, "40020")  # more than three months in one query
        status, body = await client.get("/api/v2/mix/order/orders-plan-pending",
                                        {**line, "planType": "normal_plan", "startTime": "1", "endTime": str(now)})
        assert (status, body["code"]) == (400, "40020")
