"""Orderly v1 simulator: raw signed HTTP against the documented rules, and ccxt `woofipro` unchanged."""

from __future__ import annotations

import base64
import json
import time

import aiohttp
import base58
import ccxt.async_support as ccxt_async
import pytest
from nacl.signing import SigningKey
from yarl import URL

from reconciler.sim.server import SimServer

ACCOUNT = "0x5e3f0000000000000000000000000000000000000000000000000000000000a1"
OTHER = "0x5e3f0000000000000000000000000000000000000000000000000000000000b2"
BTC, ETH, NEAR = "PERP_BTC_USDC", "PERP_ETH_USDC", "PERP_NEAR_USDC"


# --- signing helper (written from the Orderly auth docs, not from the simulator) ---------------
class Signer:
    def __init__(self, account_id: str, key: SigningKey | None = None):
        self.account_id = account_id
        self.key = key or SigningKey.generate()

    @property
    def orderly_key(self) -> str:
        return "ed25519:" + base58.b58encode(bytes(self.key.verify_key)).decode()

    @property
    def secret(self) -> str:
        return base58.b58encode(bytes(self.key)).decode()

    def headers(self, method: str, path_with_query: str, body: str = "", *, timestamp: int | None = None,
                orderly_key: str | None = None, message: str | None = None) -> dict:
        ts = str(timestamp if timestamp is not None else int(time.time() * 1000))
        text = message if message is not None else f"{ts}{method}{path_with_query}{body}"
        signature = base64.urlsafe_b64encode(self.key.sign(text.encode()).signature).decode().rstrip("=")
        return {
            "orderly-account-id": self.account_id,
            "orderly-key": orderly_key or self.orderly_key,
            "orderly-timestamp": ts,
            "orderly-signature": signature,
            "Content-Type": "application/json" if method in ("POST", "PUT") else
                            "application/x-www-form-urlencoded",
        }


async def call(srv, signer: Signer, method: str, path_with_query: str, body: dict | None = None, **sign_kw):
    text = json.dumps(body, separators=(",", ":")) if body is not None else ""
    headers = signer.headers(method, path_with_query, text, **sign_kw)
    async with aiohttp.ClientSession() as session:
        async with session.request(method, URL(srv.url + path_with_query, encoded=True), data=text or None,
                                   headers=headers) as response:
            return response.status, await response.json()


async def public(srv, path: str):
    async with aiohttp.ClientSession() as session:
        async with session.get(srv.url + path) as response:
            return response.status, await response.json()


def make_world(signer: Signer, **account_overrides) -> dict:
    account = {
        "account_id": signer.account_id,
        "orderly_key": signer.orderly_key,
        "balances": {"USDC": "100000"},
        "margin_modes": {BTC: "ISOLATED"},
        "leverage": {BTC: {"CROSS": "10", "ISOLATED": "5"}},
        "positions": [
            # 0.1 BTC at 60000 = 6000 notional; at 5x the position needs 1200, so 300 can be reduced.
            {"symbol": BTC, "margin_mode": "ISOLATED", "position_qty": "0.1", "margin": "1500",
             "average_open_price": "60000"},
        ],
        "orders": [
            {"symbol": ETH, "side": "BUY", "order_type": "LIMIT", "order_price": "2000",
             "order_quantity": "1", "margin_mode": "CROSS"},
        ],
    }
    account.update(account_overrides)
    return {
        "orderly": {
            "symbols": [
                {"symbol": BTC, "base_imr": "0.01", "base_mmr": "0.006", "imr_factor": "0.0000002"},
                {"symbol": ETH, "base_imr": "0.01", "base_mmr": "0.006", "imr_factor": "0.0000003"},
                {"symbol": NEAR, "base_imr": "0.1", "base_mmr": "0.05", "imr_factor": "0.00001"},
            ],
            "accounts": [account],
        }
    }


@pytest.fixture
def signer():
    return Signer(ACCOUNT)


def account_state(srv, account_id=ACCOUNT) -> dict:
    return next(a for a in srv.venues["orderly"].state()["accounts"] if a["account_id"] == account_id)


def leverages(body) -> dict:
    return {(row["symbol"], row["margin_mode"]): row["leverage"] for row in body["data"]["rows"]}


# --- authentication --------------------------------------------------------------------------
async def test_good_signature_is_accepted(signer):
    async with SimServer(make_world(signer)) as srv:
        status, body = await call(srv, signer, "GET", "/v1/client/leverage?symbol=PERP_BTC_USDC&margin_mode=ISOLATED")
        assert status == 200 and body["success"] is True and isinstance(body["timestamp"], int)
        assert body["data"] == {"symbol": BTC, "margin_mode": "ISOLATED", "leverage": 5}


async def test_bad_signature_is_refused(signer):
    async with SimServer(make_world(signer)) as srv:
        status, body = await call(srv, signer, "GET", "/v1/client/leverages", message="1GET/v1/client/leverages")
        assert (status, body["success"], body["code"]) == (401, False, -1001)
        # signed for another query than the one sent
        ts = int(time.time() * 1000)
        headers = signer.headers("GET", "/v1/orders?page=1", timestamp=ts)
        async with aiohttp.ClientSession() as session:
            async with session.get(srv.url + "/v1/orders?page=2", headers=headers) as response:
                assert response.status == 401 and (await response.json())["code"] == -1001
        # a body changed after signing
        text = json.dumps({"symbol": BTC, "amount": "1", "type": "ADD"})
        headers = signer.headers("POST", "/v1/position_margin", text)
        async with aiohttp.ClientSession() as session:
            async with session.post(srv.url + "/v1/position_margin", data=text.replace('"1"', '"2"'),
                                    headers=headers) as response:
                assert response.status == 401 and (await response.json())["code"] == -1001
        assert account_state(srv)["positions"][0]["margin"] == "1500"


async def test_wrong_key_is_refused(signer):
    stranger = Signer(ACCOUNT)  # a valid ed25519 key, but not the one registered to the account
    async with SimServer(make_world(signer)) as srv:
        status, body = await call(srv, stranger, "GET", "/v1/positions")
        assert (status, body["code"]) == (401, -1002)
        status, body = await call(srv, Signer(OTHER, signer.key), "GET", "/v1/positions")
        assert (status, body["code"]) == (401, -1002)  # unknown account id
        status, body = await call(srv, signer, "GET", "/v1/positions", orderly_key="ed25519:notbase58!!")
        assert (status, body["code"]) == (401, -1001)  # malformed key


async def test_stale_timestamp_is_refused(signer):
    async with SimServer(make_world(signer)) as srv:
        stale = int(time.time() * 1000) - 301_000
        status, body = await call(srv, signer, "GET", "/v1/positions", timestamp=stale)
        assert (status, body["success"], body["code"]) == (401, False, -1001)
        recent = int(time.time() * 1000) - 200_000
        status, body = await call(srv, signer, "GET", "/v1/positions", timestamp=recent)
        assert status == 200


async def test_padded_signature_is_accepted(signer):
    async with SimServer(make_world(signer)) as srv:
        headers = signer.headers("GET", "/v1/client/leverages")
        headers["orderly-signature"] += "=" * (-len(headers["orderly-signature"]) % 4)
        async with aiohttp.ClientSession() as session:
            async with session.get(srv.url + "/v1/client/leverages", headers=headers) as response:
                assert response.status == 200


# --- reads -----------------------------------------------------------------------------------
async def test_leverages_read_per_symbol_and_mode(signer):
    async with SimServer(make_world(signer)) as srv:
        status, body = await call(srv, signer, "GET", "/v1/client/leverages")
        assert status == 200
        got = leverages(body)
        assert got[(BTC, "CROSS")] == 10 and got[(BTC, "ISOLATED")] == 5
        assert got[(ETH, "CROSS")] == 10 and got[(ETH, "ISOLATED")] == 10  # default 10
        assert got[(NEAR, "CROSS")] == 10  # default capped at floor(1/0.1) = 10
        assert len(body["data"]["rows"]) == 6
        status, body = await call(srv, signer, "GET", "/v1/client/leverage?symbol=PERP_BTC_USDC")
        assert body["data"] == {"symbol": BTC, "margin_mode": "CROSS", "leverage": 10}


async def test_positions_and_margin_modes_read(signer):
    async with SimServer(make_world(signer)) as srv:
        status, body = await call(srv, signer, "GET", "/v1/positions")
        assert status == 200
        (row,) = body["data"]["rows"]
        assert row["symbol"] == BTC and row["margin_mode"] == "ISOLATED"
        assert row["position_qty"] == 0.1 and row["margin"] == 1500 and row["leverage"] == 5
        assert row["average_open_price"] == 60000 and row["imr"] == 0.2
        assert 0 < row["est_liq_price"] < 60000
        assert "free_collateral" in body["data"]
        status, body = await call(srv, signer, "GET", "/v1/client/margin_modes")
        modes = {r["symbol"]: r["default_margin_mode"] for r in body["data"]["rows"]}
        assert modes == {BTC: "ISOLATED", ETH: "CROSS", NEAR: "CROSS"}
        status, body = await call(srv, signer, "GET", "/v1/client/holding")
        (usdc,) = body["data"]["holding"]
        assert usdc["token"] == "USDC" and usdc["holding"] == 100000 and usdc["isolated_margin"] == 1500


async def test_public_info(signer):
    async with SimServer(make_world(signer)) as srv:
        status, body = await public(srv, "/v1/public/info")
        assert status == 200 and body["success"]
        rows = {row["symbol"]: row for row in body["data"]["rows"]}
        assert rows[NEAR]["base_imr"] == 0.1 and rows[BTC]["imr_factor"] == 0.0000002
        assert {"quote_tick", "base_tick", "base_min", "base_max", "min_notional", "price_range"} <= set(rows[BTC])
        status, body = await public(srv, "/v1/public/info/PERP_ETH_USDC")
        assert body["data"]["symbol"] == ETH
        status, body = await public(srv, "/v1/public/info/PERP_NOPE_USDC")
        assert (status, body["success"]) == (400, False)


# --- margin mode -----------------------------------------------------------------------------
async def test_margin_mode_refused_with_position(signer):
    async with SimServer(make_world(signer)) as srv:
        status, body = await call(srv, signer, "POST", "/v1/client/margin_mode",
                                  {"symbol": BTC, "default_margin_mode": "CROSS"})
        assert (status, body["success"]) == (400, False) and body["code"] == -1005
        assert account_state(srv)["margin_modes"][BTC] == "ISOLATED"


async def test_margin_mode_refused_with_pending_orders(signer):
    async with SimServer(make_world(signer)) as srv:
        status, body = await call(srv, signer, "POST", "/v1/client/margin_mode",
                                  {"symbol": ETH, "default_margin_mode": "ISOLATED"})
        assert (status, body["code"]) == (400, -1005)
        assert ETH not in account_state(srv)["margin_modes"]


async def test_margin_mode_change_allowed_when_flat(signer):
    async with SimServer(make_world(signer)) as srv:
        status, body = await call(srv, signer, "POST", "/v1/client/margin_mode",
                                  {"symbol": NEAR, "default_margin_mode": "ISOLATED"})
        assert status == 200 and body["success"] is True and "data" not in body
        assert account_state(srv)["margin_modes"][NEAR] == "ISOLATED"
        # the documented field is default_margin_mode; anything else is an unknown parameter
        status, body = await call(srv, signer, "POST", "/v1/client/margin_mode",
                                  {"symbol": NEAR, "margin_mode": "CROSS"})
        assert (status, body["code"]) == (400, -1004)


# --- leverage --------------------------------------------------------------------------------
async def test_leverage_single_symbol_and_cap(signer):
    async with SimServer(make_world(signer)) as srv:
        status, body = await call(srv, signer, "POST", "/v1/client/leverage",
                                  {"symbol": NEAR, "leverage": 11, "margin_mode": "CROSS"})
        assert (status, body["code"]) == (400, -1005)  # floor(1/0.1) = 10
        status, body = await call(srv, signer, "POST", "/v1/client/leverages",
                                  {"symbol": BTC, "leverage": 101})
        assert (status, body["code"]) == (400, -1005)
        status, body = await call(srv, signer, "POST", "/v1/client/leverages",
                                  {"symbol": NEAR, "leverage": 10, "margin_mode": "CROSS"})
        assert status == 200 and body["data"] == {"symbol": NEAR, "margin_mode": "CROSS", "leverage": 10}
        assert account_state(srv)["leverage"][NEAR] == {"CROSS": "10"}
        # isolated leverage of a symbol with an isolated position is refused (unconfirmed, safe choice)
        status, body = await call(srv, signer, "POST", "/v1/client/leverages",
                                  {"symbol": BTC, "leverage": 20, "margin_mode": "ISOLATED"})
        assert (status, body["success"]) == (400, False)
        assert account_state(srv)["leverage"][BTC]["ISOLATED"] == "5"


async def test_batch_leverage_semantics(signer):
    async with SimServer(make_world(signer)) as srv:
        # CROSS batch: every symbol gets min(requested, its maximum)
        status, body = await call(srv, signer, "POST", "/v1/client/leverages",
                                  {"leverage": 20, "margin_mode": "CROSS"})
        assert status == 200 and body["success"]
        status, body = await call(srv, signer, "GET", "/v1/client/leverages")
        got = leverages(body)
        assert (got[(BTC, "CROSS")], got[(ETH, "CROSS")], got[(NEAR, "CROSS")]) == (20, 20, 10)
        assert got[(BTC, "ISOLATED")] == 5  # the other mode is untouched
        # ISOLATED batch: a symbol with an isolated position (BTC) is skipped; ETH's pending order is CROSS,
        # which does not use the isolated leverage, so ETH is updated
        status, body = await call(srv, signer, "POST", "/v1/client/leverages", {"leverage": 8, "margin_mode": "ISOLATED"})
        assert status == 200
        assert {r["symbol"] for r in body["data"]["rows"]} == {ETH, NEAR}
        status, body = await call(srv, signer, "GET", "/v1/client/leverages")
        got = leverages(body)
        assert (got[(BTC, "ISOLATED")], got[(ETH, "ISOLATED")], got[(NEAR, "ISOLATED")]) == (5, 8, 8)
        # margin_mode defaults to CROSS
        status, body = await call(srv, signer, "POST", "/v1/client/leverages", {"leverage": 3})
        got = leverages((await call(srv, signer, "GET", "/v1/client/leverages"))[1])
        assert (got[(BTC, "CROSS")], got[(NEAR, "CROSS")], got[(NEAR, "ISOLATED")]) == (3, 3, 8)


async def test_cross_batch_is_all_or_nothing(signer):
    world = make_world(signer, balances={"USDC": "1000"}, orders=[], positions=[
        {"symbol": ETH, "margin_mode": "CROSS", "position_qty": "10", "average_open_price": "2000"},
    ])
    async with SimServer(world) as srv:
        before = account_state(srv)["leverage"]
        # at 2x the 20000 ETH notional needs 10000 > 1000 collateral: nothing may change
        status, body = await call(srv, signer, "POST", "/v1/client/leverages", {"leverage": 2, "margin_mode": "CROSS"})
        assert (status, body["code"]) == (400, -1101)
        assert account_state(srv)["leverage"] == before
        status, body = await call(srv, signer, "POST", "/v1/client/leverages", {"leverage": 50, "margin_mode": "CROSS"})
        assert status == 200
        got = leverages((await call(srv, signer, "GET", "/v1/client/leverages"))[1])
        assert (got[(BTC, "CROSS")], got[(ETH, "CROSS")], got[(NEAR, "CROSS")]) == (50, 50, 10)


async def test_leverage_writes_limited_to_5_per_60s(signer):
    async with SimServer(make_world(signer)) as srv:
        for value in (11, 12, 13, 14, 15):
            status, body = await call(srv, signer, "POST", "/v1/client/leverage",
                                      {"symbol": BTC, "leverage": value, "margin_mode": "CROSS"})
            assert status == 200, body
        status, body = await call(srv, signer, "POST", "/v1/client/leverage",
                                  {"symbol": BTC, "leverage": 16, "margin_mode": "CROSS"})
        assert (status, body["success"], body["code"]) == (429, False, -1003)
        # the singular and plural paths share the budget (unconfirmed, safe choice)
        status, body = await call(srv, signer, "POST", "/v1/client/leverages",
                                  {"symbol": BTC, "leverage": 16, "margin_mode": "CROSS"})
        assert (status, body["code"]) == (429, -1003)
        assert account_state(srv)["leverage"][BTC]["CROSS"] == "15"
        # reads are not affected
        status, _ = await call(srv, signer, "GET", "/v1/client/leverages")
        assert status == 200


async def test_rate_limit_override_from_world(signer):
    world = make_world(signer)
    world["rate_limits"] = {"POST /v1/client/leverage": "50/1s"}
    async with SimServer(world) as srv:
        for value in range(2, 10):
            status, _ = await call(srv, signer, "POST", "/v1/client/leverage",
                                   {"symbol": BTC, "leverage": value, "margin_mode": "CROSS"})
            assert status == 200


# --- position margin -------------------------------------------------------------------------
async def test_position_margin_add_reduce_exact(signer):
    async with SimServer(make_world(signer)) as srv:
        status, body = await call(srv, signer, "POST", "/v1/position_margin",
                                  {"symbol": BTC, "amount": "100.5", "type": "ADD"})
        assert status == 200 and body["success"] is True
        state = account_state(srv)
        assert state["positions"][0]["margin"] == "1600.5" and state["balances"]["USDC"] == "99899.5"
        status, body = await call(srv, signer, "POST", "/v1/position_margin",
                                  {"symbol": BTC, "amount": "200.5", "type": "REDUCE"})
        assert status == 200
        state = account_state(srv)
        assert state["positions"][0]["margin"] == "1400" and state["balances"]["USDC"] == "100100"
        # 1400 - 1200 required = 200 reducible; 200.01 would leave too little
        status, body = await call(srv, signer, "POST", "/v1/position_margin",
                                  {"symbol": BTC, "amount": "200.01", "type": "REDUCE"})
        assert (status, body["success"], body["code"]) == (400, False, -1101)
        assert account_state(srv)["positions"][0]["margin"] == "1400"
        status, body = await call(srv, signer, "POST", "/v1/position_margin",
                                  {"symbol": BTC, "amount": "200", "type": "REDUCE"})
        assert status == 200 and account_state(srv)["positions"][0]["margin"] == "1200"


async def test_position_margin_refusals(signer):
    async with SimServer(make_world(signer, balances={"USDC": "50"})) as srv:
        status, body = await call(srv, signer, "POST", "/v1/position_margin",
                                  {"symbol": BTC, "amount": "60", "type": "ADD"})
        assert (status, body["code"]) == (400, -1101)  # more than the balance
        status, body = await call(srv, signer, "POST", "/v1/position_margin",
                                  {"symbol": ETH, "amount": "1", "type": "ADD"})
        assert (status, body["success"]) == (400, False)  # no isolated position on ETH
        status, body = await call(srv, signer, "POST", "/v1/position_margin",
                                  {"symbol": BTC, "amount": "-1", "type": "ADD"})
        assert (status, body["code"]) == (400, -1005)
        status, body = await call(srv, signer, "POST", "/v1/position_margin",
                                  {"symbol": BTC, "amount": "1", "type": "MOVE"})
        assert (status, body["code"]) == (400, -1005)
        state = account_state(srv)
        assert state["positions"][0]["margin"] == "1500" and state["balances"]["USDC"] == "50"


# --- orders ----------------------------------------------------------------------------------
async def test_orders_pagination_and_status_filter(signer):
    orders = [{"symbol": ETH, "side": "BUY", "order_type": "LIMIT", "order_price": str(1000 + i),
               "order_quantity": "1", "margin_mode": "CROSS"} for i in range(7)]
    orders.append({"symbol": ETH, "side": "SELL", "order_type": "LIMIT", "order_price": "3000",
                   "order_quantity": "1", "margin_mode": "CROSS", "status": "FILLED"})
    async with SimServer(make_world(signer, orders=orders)) as srv:
        seen, pages = [], []
        for page in (1, 2, 3):
            status, body = await call(srv, signer, "GET", f"/v1/orders?page={page}&size=3&status=INCOMPLETE")
            assert status == 200
            assert body["data"]["meta"] == {"total": 7, "records_per_page": 3, "current_page": page}
            pages.append(len(body["data"]["rows"]))
            seen += [row["order_id"] for row in body["data"]["rows"]]
            assert all(row["status"] == "NEW" and row["margin_mode"] == "CROSS" for row in body["data"]["rows"])
        assert pages == [3, 3, 1] and len(set(seen)) == 7
        status, body = await call(srv, signer, "GET", "/v1/orders?page=4&size=3&status=INCOMPLETE")
        assert body["data"]["rows"] == [] and body["data"]["meta"]["total"] == 7
        status, body = await call(srv, signer, "GET", "/v1/orders")
        assert body["data"]["meta"]["total"] == 8 and body["data"]["meta"]["records_per_page"] == 25
        status, body = await call(srv, signer, "GET", "/v1/orders?size=501")
        assert (status, body["code"]) == (400, -1005)


# --- admin API -------------------------------------------------------------------------------
async def test_admin_state_and_calls_round_trip(signer):
    world = make_world(signer)
    async with SimServer(world) as srv:
        async with aiohttp.ClientSession() as session:
            async with session.get(srv.url + "/__sim/orderly/state") as response:
                state = await response.json()
            assert state["symbols"] == world["orderly"]["symbols"]
            account = state["accounts"][0]
            assert account["leverage"] == {BTC: {"CROSS": "10", "ISOLATED": "5"}}
            assert account["positions"] == world["orderly"]["accounts"][0]["positions"]
            account["leverage"][BTC]["CROSS"] = "25"
            account["balances"]["USDC"] = "777"
            async with session.put(srv.url + "/__sim/orderly/state", json=state) as response:
                assert response.status == 200
        status, body = await call(srv, signer, "GET", "/v1/client/leverage?symbol=PERP_BTC_USDC&margin_mode=CROSS")
        assert body["data"]["leverage"] == 25
        await call(srv, signer, "POST", "/v1/client/margin_mode", {"symbol": BTC, "default_margin_mode": "CROSS"})
        async with aiohttp.ClientSession() as session:
            async with session.get(srv.url + "/__sim/orderly/calls") as response:
                calls = await response.json()
            assert [(c["method"], c["path"], c["status"], c["code"], c["account"]) for c in calls] == [
                ("GET", "/v1/client/leverage", 200, None, ACCOUNT),
                ("POST", "/v1/client/margin_mode", 400, "-1005", ACCOUNT),
            ]
            assert calls[0]["query"] == {"symbol": BTC, "margin_mode": "CROSS"}
            assert calls[1]["body"] == {"symbol": BTC, "default_margin_mode": "CROSS"}
            async with session.delete(srv.url + "/__sim/orderly/calls") as response:
                assert await response.json() == []
            async with session.put(srv.url + "/__sim/orderly/state",
                                   json={"accounts": [{"account_id": "x", "orderly_key": "nope"}]}) as response:
                assert response.status == 400


async def test_faults_rate_limit_and_busy(signer):
    async with SimServer(make_world(signer)) as srv:
        async with aiohttp.ClientSession() as session:
            await session.post(srv.url + "/__sim/orderly/faults", json=[
                {"method": "GET", "path": "/v1/positions", "kind": "rate_limit", "count": 1},
                {"method": "GET", "path": "/v1/positions", "kind": "busy", "count": 1},
            ])
        status, body = await call(srv, signer, "GET", "/v1/positions")
        assert (status, body["code"]) == (429, -1003)
        status, body = await call(srv, signer, "GET", "/v1/positions")
        assert (status, body["success"], body["code"]) == (400, False, -1012)  # "rejected ... try again"
        status, body = await call(srv, signer, "GET", "/v1/positions")
        assert status == 200


# --- ccxt woofipro, unchanged ----------------------------------------------------------------
async def test_ccxt_woofipro_against_the_simulator(signer):
    async with SimServer(make_world(signer)) as srv:
        exchange = ccxt_async.woofipro({
            "apiKey": signer.orderly_key,
            "secret": signer.secret,
            "accountId": ACCOUNT,
            "enableRateLimit": False,
        })
        exchange.urls["api"] = {name: srv.url for name in exchange.urls["api"]}
        try:
            markets = await exchange.load_markets()
            assert "BTC/USDC:USDC" in markets and markets["BTC/USDC:USDC"]["id"] == BTC

            positions = await exchange.fetch_positions()
            (position,) = positions
            assert position["symbol"] == "BTC/USDC:USDC" and position["contracts"] == 0.1
            assert position["side"] == "long" and position["entryPrice"] == 60000

            leverage = await exchange.fetch_leverage("BTC/USDC:USDC")  # ccxt reads /v1/client/info
            assert leverage["longLeverage"] == 20
            # the per-symbol, per-mode settings, through ccxt's own signed request path (the test extra holds ccxt
            # at a version whose woofipro has no named method for it)
            response = await exchange.request("client/leverages", ["v1", "private"], "GET", {})
            assert str(leverages(response)[(BTC, "ISOLATED")]) == "5"  # older ccxt gives numbers as text

            open_orders = await exchange.fetch_open_orders()
            assert [order["symbol"] for order in open_orders] == ["ETH/USDC:USDC"]

            balance = await exchange.fetch_balance()
            assert balance["USDC"]["total"] == 100000

            result = await exchange.request("position_margin", ["v1", "private"], "POST",
                                            {"symbol": BTC, "amount": "25", "type": "ADD"})
            assert result["success"] is True
            state = account_state(srv)
            assert state["positions"][0]["margin"] == "1525" and state["balances"]["USDC"] == "99975"

            with pytest.raises(ccxt_async.BadRequest):  # isolated position open
                await exchange.request("client/margin_mode", ["v1", "private"], "POST",
                                       {"symbol": BTC, "default_margin_mode": "CROSS"})
            with pytest.raises(ccxt_async.InsufficientFunds):
                await exchange.request("position_margin", ["v1", "private"], "POST",
                                       {"symbol": BTC, "amount": "1000", "type": "REDUCE"})
        finally:
            await exchange.close()
        calls = srv.venues["orderly"].calls
        assert any(c["path"] == "/v1/position_margin" and c["status"] == 200 for c in calls)
        assert all(c["status"] != 401 for c in calls)


async def test_isolated_orders_and_algo_orders_lock_isolated_leverage_but_cross_orders_do_not(signer):
    world = make_world(signer, positions=[], orders=[
        {"symbol": ETH, "side": "BUY", "order_price": "2000", "order_quantity": "1", "margin_mode": "CROSS"},
        {"symbol": NEAR, "side": "BUY", "order_price": "5", "order_quantity": "1", "margin_mode": "ISOLATED"},
    ], algo_orders=[
        {"symbol": BTC, "side": "SELL", "algo_type": "STOP", "quantity": "0.1", "trigger_price": "50000",
         "margin_mode": "ISOLATED"},
    ])
    async with SimServer(world) as srv:
        for symbol, expected in ((ETH, 200), (NEAR, 400), (BTC, 400)):
            status, body = await call(srv, signer, "POST", "/v1/client/leverages",
                                      {"symbol": symbol, "leverage": 4, "margin_mode": "ISOLATED"})
            assert status == expected, (symbol, body)
        state = account_state(srv)
        assert state["leverage"][ETH]["ISOLATED"] == "4" and state["leverage"][BTC]["ISOLATED"] == "5"
        # the isolated algo order also keeps BTC's default margin mode (ISOLATED) from changing
        status, body = await call(srv, signer, "POST", "/v1/client/margin_mode",
                                  {"symbol": BTC, "default_margin_mode": "CROSS"})
        assert (status, body["code"]) == (400, -1005)


async def test_algo_orders_are_listed_with_their_margin_mode(signer):
    world = make_world(signer, algo_orders=[
        {"symbol": BTC, "side": "SELL", "algo_type": "TP_SL", "quantity": "0.1", "trigger_price": "70000",
         "margin_mode": "ISOLATED"},
        {"symbol": ETH, "side": "BUY", "algo_type": "STOP", "quantity": "1", "trigger_price": "2500",
         "margin_mode": "CROSS", "algo_status": "FILLED"},
    ])
    async with SimServer(world) as srv:
        status, body = await call(srv, signer, "GET", "/v1/algo/orders?page=1&size=500&status=INCOMPLETE")
        assert status == 200 and body["data"]["meta"]["total"] == 1
        (row,) = body["data"]["rows"]
        assert (row["symbol"], row["margin_mode"], row["algo_type"], row["algo_status"]) == (
            BTC, "ISOLATED", "TP_SL", "NEW")
        status, body = await call(srv, signer, "GET", "/v1/algo/orders?algo_type=STOP")
        assert [r["symbol"] for r in body["data"]["rows"]] == [ETH]


async def test_the_older_leverage_path_without_symbol_sets_the_account_max_leverage(signer):
    async with SimServer(make_world(signer)) as srv:
        before = account_state(srv)["leverage"]
        status, body = await call(srv, signer, "POST", "/v1/client/leverage", {"leverage": 10})
        assert status == 200 and body["success"]
        info = (await call(srv, signer, "GET", "/v1/client/info"))[1]["data"]
        assert info["max_leverage"] == 10
        assert account_state(srv)["leverage"] == before  # no symbol's leverage moved
        status, body = await call(srv, signer, "POST", "/v1/client/leverage", {"leverage": 7})
        assert (status, body["code"]) == (400, -1005)  # not one of /v1/public/config's choices
        choices = (await public(srv, "/v1/public/config"))[1]["data"]["available_futures_leverage"]
        assert "10" in choices.split(",") and "7" not in choices.split(",")
        # with a symbol it sets that symbol's leverage in that mode, as the JS SDK uses it
        status, body = await call(srv, signer, "POST", "/v1/client/leverage",
                                  {"symbol": ETH, "leverage": 7, "margin_mode": "CROSS"})
        assert status == 200 and account_state(srv)["leverage"][ETH]["CROSS"] == "7"


async def test_standard_base64_signatures_are_accepted(signer):
    async with SimServer(make_world(signer)) as srv:
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            timestamp = str(int(time.time() * 1000))
            path = "/v1/client/leverages"
            signature = encode(signer.key.sign(f"{timestamp}GET{path}".encode()).signature).decode()
            headers = {"orderly-account-id": ACCOUNT, "orderly-key": signer.orderly_key,
                       "orderly-timestamp": timestamp, "orderly-signature": signature}
            async with aiohttp.ClientSession() as session:
                async with session.get(srv.url + path, headers=headers) as response:
                    assert response.status == 200, await response.text()
        headers["orderly-signature"] = base64.b64encode(b"x" * 64).decode()
        async with aiohttp.ClientSession() as session:
            async with session.get(srv.url + path, headers=headers) as response:
                assert response.status == 401
