"""The OKX v5 simulator: raw HTTP (own signing), the official python-okx SDK, and ccxt."""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import aiohttp
import pytest
from yarl import URL

from reconciler.sim.server import SimServer

SWAP = "BTC-USDT-SWAP"
FUT1 = "BTC-USDT-261225"
FUT2 = "BTC-USDT-270326"
ETH = "ETH-USDT-SWAP"

WORLD = {
    "okx": {
        "instruments": [
            {"instId": SWAP, "instType": "SWAP", "instFamily": "BTC-USDT", "lever": "100",
             "settleCcy": "USDT", "ctVal": "0.01"},
            {"instId": FUT1, "instType": "FUTURES", "instFamily": "BTC-USDT", "lever": "50",
             "settleCcy": "USDT", "ctVal": "0.01"},
            {"instId": FUT2, "instType": "FUTURES", "instFamily": "BTC-USDT", "lever": "50",
             "settleCcy": "USDT", "ctVal": "0.01"},
            {"instId": ETH, "instType": "SWAP", "instFamily": "ETH-USDT", "lever": "75",
             "settleCcy": "USDT", "ctVal": "0.1"},
        ],
        "accounts": [
            {   # net mode, an isolated BTC swap position, a pending cross ETH order
                "api_key": "k1", "secret": "s1", "passphrase": "p1", "uid": "1001",
                "config": {"posMode": "net_mode", "acctLv": "2", "ctIsoMode": "automatic",
                           "mgnIsoMode": "automatic"},
                "balances": {"USDT": "100000"},
                "leverage": {SWAP: {"cross": "5", "isolated": "3"}},
                "positions": [{"instId": SWAP, "mgnMode": "isolated", "posSide": "net", "pos": "2",
                               "margin": "400", "avgPx": "60000"}],
                "orders": [{"instId": ETH, "tdMode": "cross", "side": "buy", "posSide": "net", "sz": "1",
                            "px": "1000"}],
            },
            {   # long/short mode, nothing open
                "api_key": "k2", "secret": "s2", "passphrase": "p2", "uid": "1002",
                "config": {"posMode": "long_short_mode"},
                "balances": {"USDT": "5000"},
                "leverage": {SWAP: {"isolated": {"long": "4", "short": "6"}}},
            },
            {   # net mode, a pending isolated BTC swap order
                "api_key": "k3", "secret": "s3", "passphrase": "p3", "uid": "1003",
                "balances": {"USDT": "1000"},
                "orders": [{"instId": SWAP, "tdMode": "isolated", "side": "buy", "posSide": "net", "sz": "1",
                            "px": "50000"}],
            },
        ],
    },
}
KEYS = {"k1": ("s1", "p1"), "k2": ("s2", "p2"), "k3": ("s3", "p3")}


def okx_timestamp(shift_s: float = 0.0) -> str:
    now = datetime.now(timezone.utc) + timedelta(seconds=shift_s)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sign(secret: str, prehash: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()).decode()


async def call(http, srv, method, path, params=None, body=None, key="k1", *, timestamp=None,
               secret=None, passphrase=None, extra_headers=None, signed=True):
    """One OKX request signed the documented way; returns (HTTP status, JSON answer)."""
    query = ("?" + urlencode(params, safe=",")) if params else ""
    request_path = path + query
    text = json.dumps(body) if body is not None else ""
    headers = {"Content-Type": "application/json"}
    if signed:
        stamp = timestamp or okx_timestamp()
        real_secret, real_pass = KEYS.get(key, ("x", "x"))
        headers.update({
            "OK-ACCESS-KEY": key,
            "OK-ACCESS-SIGN": sign(secret or real_secret, stamp + method + request_path + text),
            "OK-ACCESS-TIMESTAMP": stamp,
            "OK-ACCESS-PASSPHRASE": passphrase or real_pass,
        })
    headers.update(extra_headers or {})
    url = URL(srv.url + request_path, encoded=True)
    async with http.request(method, url, data=text or None, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


def state(srv):
    return srv.venues["okx"].state()


def account(srv, uid):
    return next(a for a in state(srv)["accounts"] if a["uid"] == uid)


async def lever_rows(http, srv, inst_ids, mgn_mode, key="k1"):
    status, answer = await call(http, srv, "GET", "/api/v5/account/leverage-info",
                                {"instId": ",".join(inst_ids), "mgnMode": mgn_mode}, key=key)
    assert status == 200 and answer["code"] == "0", answer
    return {(r["instId"], r["posSide"]): r["lever"] for r in answer["data"]}


# --- authentication ---------------------------------------------------------------------------
async def test_valid_signature_reads_config(srv, http):
    status, answer = await call(http, srv, "GET", "/api/v5/account/config")
    assert status == 200
    assert answer["code"] == "0" and answer["msg"] == ""
    cfg = answer["data"][0]
    assert cfg["uid"] == "1001" and cfg["posMode"] == "net_mode" and cfg["acctLv"] == "2"
    assert cfg["ctIsoMode"] == "automatic" and cfg["mgnIsoMode"] == "automatic"


async def test_bad_signature_is_refused(srv, http):
    status, answer = await call(http, srv, "GET", "/api/v5/account/config", secret="wrong")
    assert (status, answer["code"]) == (401, "50113")
    assert answer["data"] == []


async def test_signature_covers_the_query(srv, http):
    stamp = okx_timestamp()
    headers = {"OK-ACCESS-KEY": "k1", "OK-ACCESS-TIMESTAMP": stamp, "OK-ACCESS-PASSPHRASE": "p1",
               "OK-ACCESS-SIGN": sign("s1", stamp + "GET" + "/api/v5/account/positions")}
    url = URL(srv.url + "/api/v5/account/positions?instId=" + SWAP, encoded=True)
    async with http.get(url, headers=headers) as resp:
        assert resp.status == 401
        assert (await resp.json())["code"] == "50113"


async def test_expired_and_malformed_timestamps(srv, http):
    status, answer = await call(http, srv, "GET", "/api/v5/account/config", timestamp=okx_timestamp(-31))
    assert (status, answer["code"]) == (401, "50102")
    status, answer = await call(http, srv, "GET", "/api/v5/account/config", timestamp=okx_timestamp(+31))
    assert (status, answer["code"]) == (401, "50102")
    status, answer = await call(http, srv, "GET", "/api/v5/account/config", timestamp="2024-01-01 00:00:00")
    assert (status, answer["code"]) == (401, "50112")
    # inside the window is fine
    status, answer = await call(http, srv, "GET", "/api/v5/account/config", timestamp=okx_timestamp(-20))
    assert (status, answer["code"]) == (200, "0")


async def test_unknown_key_wrong_passphrase_missing_headers(srv, http):
    status, answer = await call(http, srv, "GET", "/api/v5/account/config", key="nope")
    assert (status, answer["code"]) == (401, "50111")
    status, answer = await call(http, srv, "GET", "/api/v5/account/config", passphrase="bad")
    assert (status, answer["code"]) == (401, "50105")
    status, answer = await call(http, srv, "GET", "/api/v5/account/config", signed=False)
    assert (status, answer["code"]) == (401, "50103")


async def test_demo_header_is_accepted(srv, http):
    status, answer = await call(http, srv, "GET", "/api/v5/account/config",
                                extra_headers={"x-simulated-trading": "1"})
    assert (status, answer["code"]) == (200, "0")
    # an account marked as a demo key only answers with the demo header
    section = state(srv)
    section["accounts"][0]["demo"] = True
    srv.venues["okx"].set_state(section)
    status, answer = await call(http, srv, "GET", "/api/v5/account/config")
    assert (status, answer["code"]) == (401, "50101")
    status, answer = await call(http, srv, "GET", "/api/v5/account/config",
                                extra_headers={"x-simulated-trading": "1"})
    assert (status, answer["code"]) == (200, "0")


async def test_read_only_key_cannot_write(srv, http):
    section = state(srv)
    section["accounts"][0]["config"]["perm"] = "read_only"
    srv.venues["okx"].set_state(section)
    status, answer = await call(http, srv, "POST", "/api/v5/account/set-leverage",
                                body={"instId": SWAP, "lever": "5", "mgnMode": "cross"})
    assert (status, answer["code"]) == (200, "50120")
    status, answer = await call(http, srv, "GET", "/api/v5/account/positions")
    assert answer["code"] == "0"


# --- public -----------------------------------------------------------------------------------
async def test_public_instruments_and_time(srv, http):
    status, answer = await call(http, srv, "GET", "/api/v5/public/instruments", {"instType": "FUTURES"},
                                signed=False)
    assert status == 200 and answer["code"] == "0"
    rows = {r["instId"]: r for r in answer["data"]}
    assert set(rows) == {FUT1, FUT2}
    row = rows[FUT1]
    assert row["instFamily"] == row["uly"] == "BTC-USDT" and row["lever"] == "50"
    assert row["ctVal"] == "0.01" and row["ctType"] == "linear" and row["state"] == "live"
    assert row["expTime"]
    status, answer = await call(http, srv, "GET", "/api/v5/public/instruments", {"instType": "SPOT"},
                                signed=False)
    assert answer["data"] == []
    status, answer = await call(http, srv, "GET", "/api/v5/public/instruments", signed=False)
    assert (status, answer["code"]) == (400, "50014")
    status, answer = await call(http, srv, "GET", "/api/v5/public/time", signed=False)
    assert status == 200 and int(answer["data"][0]["ts"]) > 0


# --- reads ------------------------------------------------------------------------------------
async def test_leverage_info_batched_and_over_twenty_refused(srv, http):
    rows = await lever_rows(http, srv, [SWAP, ETH], "cross")
    assert rows == {(SWAP, "net"): "5", (ETH, "net"): "10"}  # ETH never set: the default 10x
    rows = await lever_rows(http, srv, [SWAP, ETH], "isolated")
    assert rows == {(SWAP, "net"): "3", (ETH, "net"): "10"}
    status, answer = await call(http, srv, "GET", "/api/v5/account/leverage-info",
                                {"instId": ",".join([SWAP] * 21), "mgnMode": "cross"})
    assert (status, answer["code"]) == (200, "50025")
    status, answer = await call(http, srv, "GET", "/api/v5/account/leverage-info", {"instId": SWAP})
    assert (status, answer["code"]) == (400, "50014")


async def test_leverage_info_per_side_in_long_short_mode(srv, http):
    rows = await lever_rows(http, srv, [SWAP], "isolated", key="k2")
    assert rows == {(SWAP, "long"): "4", (SWAP, "short"): "6"}
    rows = await lever_rows(http, srv, [SWAP], "cross", key="k2")
    assert rows == {(SWAP, "long"): "10", (SWAP, "short"): "10"}


async def test_positions(srv, http):
    status, answer = await call(http, srv, "GET", "/api/v5/account/positions", {"instId": f"{SWAP},{ETH}"})
    assert status == 200 and answer["code"] == "0"
    [pos] = answer["data"]
    assert pos["instId"] == SWAP and pos["instType"] == "SWAP" and pos["mgnMode"] == "isolated"
    assert pos["posSide"] == "net" and pos["pos"] == "2" and pos["margin"] == "400"
    assert pos["avgPx"] == "60000" and pos["lever"] == "3" and pos["ccy"] == "USDT"
    assert pos["notionalUsd"] == "1200" and pos["imr"] == "" and pos["mmr"] == "4.8"
    status, answer = await call(http, srv, "GET", "/api/v5/account/positions",
                                {"instId": ",".join([SWAP] * 11)})
    assert answer["code"] == "50025"


async def test_orders_pending_and_algo(srv, http):
    status, answer = await call(http, srv, "GET", "/api/v5/trade/orders-pending", {"instType": "SWAP"})
    assert status == 200
    [order] = answer["data"]
    assert order["instId"] == ETH and order["tdMode"] == "cross" and order["state"] == "live"
    status, answer = await call(http, srv, "GET", "/api/v5/trade/orders-pending", {"limit": "101"})
    assert (status, answer["code"]) == (400, "51000")
    status, answer = await call(http, srv, "GET", "/api/v5/trade/orders-algo-pending", {})
    assert (status, answer["code"]) == (400, "50014")
    status, answer = await call(http, srv, "GET", "/api/v5/trade/orders-algo-pending",
                                {"ordType": "conditional,oco"})
    assert (status, answer["code"], answer["data"]) == (200, "0", [])


# --- set-leverage -----------------------------------------------------------------------------
async def test_pos_side_required_exactly_in_isolated_long_short(srv, http):
    path = "/api/v5/account/set-leverage"
    # isolated + long/short mode: posSide required
    status, answer = await call(http, srv, "POST", path, body={"instId": SWAP, "lever": "7", "mgnMode": "isolated"},
                                key="k2")
    assert (status, answer["code"]) == (400, "51000")
    assert "posSide" in answer["msg"]
    status, answer = await call(http, srv, "POST", path,
                                body={"instId": SWAP, "lever": "7", "mgnMode": "isolated", "posSide": "net"},
                                key="k2")
    assert (status, answer["code"]) == (400, "51000")
    status, answer = await call(http, srv, "POST", path,
                                body={"instId": SWAP, "lever": "7", "mgnMode": "isolated", "posSide": "long"},
                                key="k2")
    assert (status, answer["code"]) == (200, "0")
    assert answer["data"] == [{"lever": "7", "mgnMode": "isolated", "instId": SWAP, "posSide": "long"}]
    assert await lever_rows(http, srv, [SWAP], "isolated", key="k2") == {(SWAP, "long"): "7", (SWAP, "short"): "6"}
    # cross in long/short mode: no posSide, one call sets both sides
    status, answer = await call(http, srv, "POST", path, body={"instId": SWAP, "lever": "8", "mgnMode": "cross"},
                                key="k2")
    assert (status, answer["code"]) == (200, "0") and answer["data"][0]["posSide"] == ""
    assert await lever_rows(http, srv, [SWAP], "cross", key="k2") == {(SWAP, "long"): "8", (SWAP, "short"): "8"}
    # net mode: isolated takes no posSide or "net", never long/short
    status, answer = await call(http, srv, "POST", path,
                                body={"instId": ETH, "lever": "4", "mgnMode": "isolated", "posSide": "long"})
    assert (status, answer["code"]) == (400, "51000")
    status, answer = await call(http, srv, "POST", path,
                                body={"instId": FUT1, "lever": "4", "mgnMode": "isolated", "posSide": "net"})
    assert (status, answer["code"]) == (200, "0")
    status, answer = await call(http, srv, "POST", path, body={"instId": FUT1, "lever": "4", "mgnMode": "isolated"})
    assert (status, answer["code"]) == (200, "0")
    assert account(srv, "1002")["leverage"][SWAP] == {"isolated": {"long": "7", "short": "6"}, "cross": "8"}


async def test_cross_futures_leverage_is_shared_by_the_family(srv, http):
    status, answer = await call(http, srv, "POST", "/api/v5/account/set-leverage",
                                body={"instId": FUT1, "lever": "12", "mgnMode": "cross"})
    assert (status, answer["code"]) == (200, "0")
    rows = await lever_rows(http, srv, [FUT1, FUT2, SWAP], "cross")
    assert rows == {(FUT1, "net"): "12", (FUT2, "net"): "12", (SWAP, "net"): "5"}
    # isolated leverage of a future stays per contract
    await call(http, srv, "POST", "/api/v5/account/set-leverage",
               body={"instId": FUT2, "lever": "2", "mgnMode": "isolated"})
    rows = await lever_rows(http, srv, [FUT1, FUT2], "isolated")
    assert rows == {(FUT1, "net"): "10", (FUT2, "net"): "2"}


async def test_leverage_above_instrument_cap_is_59102(srv, http):
    status, answer = await call(http, srv, "POST", "/api/v5/account/set-leverage",
                                body={"instId": FUT1, "lever": "51", "mgnMode": "cross"})
    assert (status, answer["code"]) == (200, "59102")
    status, answer = await call(http, srv, "POST", "/api/v5/account/set-leverage",
                                body={"instId": FUT1, "lever": "50", "mgnMode": "cross"})
    assert (status, answer["code"]) == (200, "0")
    status, answer = await call(http, srv, "POST", "/api/v5/account/set-leverage",
                                body={"instId": "NOPE-USDT-SWAP", "lever": "5", "mgnMode": "cross"})
    assert answer["code"] == "51001"


async def test_pending_orders_block_leverage_changes(srv, http):
    path = "/api/v5/account/set-leverage"
    # k3 has a pending isolated order on the swap: isolated leverage is locked (59101)
    status, answer = await call(http, srv, "POST", path, body={"instId": SWAP, "lever": "5", "mgnMode": "isolated"},
                                key="k3")
    assert (status, answer["code"], answer["data"]) == (200, "59101", [])
    # k1 has a pending cross order on ETH: cross leverage of ETH is locked (59107)
    status, answer = await call(http, srv, "POST", path, body={"instId": ETH, "lever": "5", "mgnMode": "cross"})
    assert (status, answer["code"]) == (200, "59107")
    # our safe choice: an order in the other mode blocks too (59112)
    status, answer = await call(http, srv, "POST", path, body={"instId": ETH, "lever": "5", "mgnMode": "isolated"})
    assert (status, answer["code"]) == (200, "59112")
    # other instruments are not affected
    status, answer = await call(http, srv, "POST", path, body={"instId": SWAP, "lever": "6", "mgnMode": "cross"},
                                key="k1")
    assert answer["code"] == "0"
    assert account(srv, "1003").get("leverage") is None


async def test_isolated_leverage_change_remargins_the_position(srv, http):
    status, answer = await call(http, srv, "POST", "/api/v5/account/set-leverage",
                                body={"instId": SWAP, "lever": "6", "mgnMode": "isolated"})
    assert answer["code"] == "0"
    acct = account(srv, "1001")
    # 2 contracts * 0.01 * 60000 = 1200 notional: 400 at 3x, 200 at 6x; 200 goes back to the balance
    assert acct["positions"][0]["margin"] == "200"
    assert acct["balances"]["USDT"] == "100200"


async def test_currency_level_leverage_and_adjust_leverage_info(srv, http):
    # scenarios 2/4/5 (ccy) are for spot / multi-currency / portfolio accounts, not futures mode (acctLv 2)
    status, answer = await call(http, srv, "POST", "/api/v5/account/set-leverage",
                                body={"ccy": "BTC", "lever": "3", "mgnMode": "cross"})
    assert answer["code"] == "51010"
    section = state(srv)
    section["accounts"][0]["config"]["acctLv"] = "3"
    srv.venues["okx"].set_state(section)
    status, answer = await call(http, srv, "POST", "/api/v5/account/set-leverage",
                                body={"ccy": "BTC", "lever": "3", "mgnMode": "isolated"})
    assert (status, answer["code"]) == (400, "51000")
    status, answer = await call(http, srv, "POST", "/api/v5/account/set-leverage",
                                body={"ccy": "BTC", "lever": "3", "mgnMode": "cross"})
    assert answer["code"] == "0"
    status, answer = await call(http, srv, "GET", "/api/v5/account/leverage-info",
                                {"ccy": "BTC", "mgnMode": "cross"})
    assert answer["data"] == [{"ccy": "BTC", "instId": "", "mgnMode": "cross", "posSide": "net", "lever": "3"}]
    status, answer = await call(http, srv, "GET", "/api/v5/account/adjust-leverage-info",
                                {"instType": "SWAP", "mgnMode": "cross", "lever": "5", "instId": ETH})
    assert answer["code"] == "0" and answer["data"][0]["existOrd"] is True
    status, answer = await call(http, srv, "GET", "/api/v5/account/adjust-leverage-info",
                                {"instType": "SWAP", "mgnMode": "isolated", "lever": "6", "instId": SWAP})
    assert answer["data"][0]["existOrd"] is False and answer["data"][0]["estMgn"] == "200"


async def test_leverage_bounds_and_precision(srv, http):
    path = "/api/v5/account/set-leverage"
    for lever, expected in (("0", (400, "51000")), ("0.001", (400, "59105")), ("2.555", (400, "51000")),
                            ("abc", (400, "51000")), ("2.55", (200, "0")), (7, (200, "0"))):
        status, answer = await call(http, srv, "POST", path, body={"instId": FUT1, "lever": lever, "mgnMode": "cross"})
        assert (status, answer["code"]) == expected, lever
    assert account(srv, "1001")["leverage"][FUT2]["cross"] == "7"


# --- margin-balance ---------------------------------------------------------------------------
async def test_margin_add_reduce_moves_exactly_the_amount(srv, http):
    path = "/api/v5/account/position/margin-balance"
    status, answer = await call(http, srv, "POST", path,
                                body={"instId": SWAP, "posSide": "net", "type": "add", "amt": "100.5"})
    assert (status, answer["code"]) == (200, "0")
    assert answer["data"][0]["amt"] == "100.5" and answer["data"][0]["type"] == "add"
    acct = account(srv, "1001")
    assert acct["positions"][0]["margin"] == "500.5" and acct["balances"]["USDT"] == "99899.5"
    status, answer = await call(http, srv, "POST", path,
                                body={"instId": SWAP, "posSide": "net", "type": "reduce", "amt": "50.25"})
    assert answer["code"] == "0"
    acct = account(srv, "1001")
    assert acct["positions"][0]["margin"] == "450.25" and acct["balances"]["USDT"] == "99949.75"
    # needed at 3x: 400; 50.26 more would leave 399.99
    status, answer = await call(http, srv, "POST", path,
                                body={"instId": SWAP, "posSide": "net", "type": "reduce", "amt": "50.26"})
    assert (status, answer["code"]) == (200, "59301")
    assert account(srv, "1001")["positions"][0]["margin"] == "450.25"
    status, answer = await call(http, srv, "POST", path,
                                body={"instId": SWAP, "posSide": "net", "type": "reduce", "amt": "50.25"})
    assert answer["code"] == "0" and account(srv, "1001")["positions"][0]["margin"] == "400"
    # more than the balance
    status, answer = await call(http, srv, "POST", path,
                                body={"instId": SWAP, "posSide": "net", "type": "add", "amt": "1000000"})
    assert answer["code"] == "59200"
    # no isolated position there
    status, answer = await call(http, srv, "POST", path,
                                body={"instId": ETH, "posSide": "net", "type": "add", "amt": "1"})
    assert answer["code"] == "59300"
    # posSide of the wrong mode
    status, answer = await call(http, srv, "POST", path,
                                body={"instId": SWAP, "posSide": "long", "type": "add", "amt": "1"})
    assert (status, answer["code"]) == (400, "51000")


# --- account settings -------------------------------------------------------------------------
async def test_set_position_mode_refused_with_positions(srv, http):
    path = "/api/v5/account/set-position-mode"
    status, answer = await call(http, srv, "POST", path, body={"posMode": "long_short_mode"})
    assert (status, answer["code"]) == (200, "59000")
    assert account(srv, "1001")["config"]["posMode"] == "net_mode"
    # k2 has nothing open: switch to net mode; the per-side isolated rows collapse to the lower one
    status, answer = await call(http, srv, "POST", path, body={"posMode": "net_mode"}, key="k2")
    assert (status, answer["code"], answer["data"]) == (200, "0", [{"posMode": "net_mode"}])
    assert await lever_rows(http, srv, [SWAP], "isolated", key="k2") == {(SWAP, "net"): "4"}
    status, answer = await call(http, srv, "POST", path, body={"posMode": "long_short_mode"}, key="k2")
    assert answer["code"] == "0"
    assert await lever_rows(http, srv, [SWAP], "isolated", key="k2") == {(SWAP, "long"): "4", (SWAP, "short"): "4"}
    status, answer = await call(http, srv, "POST", path, body={"posMode": "hedge"}, key="k2")
    assert (status, answer["code"]) == (400, "51000")


async def test_set_isolated_mode(srv, http):
    path = "/api/v5/account/set-isolated-mode"
    status, answer = await call(http, srv, "POST", path, body={"isoMode": "automatic", "type": "CONTRACTS"})
    assert answer["code"] == "59000"
    status, answer = await call(http, srv, "POST", path, body={"isoMode": "automatic", "type": "CONTRACTS"},
                                key="k2")
    assert (status, answer["code"], answer["data"]) == (200, "0", [{"isoMode": "automatic"}])
    assert account(srv, "1002")["config"]["ctIsoMode"] == "automatic"
    status, answer = await call(http, srv, "POST", path, body={"isoMode": "auto_transfers_ccy", "type": "CONTRACTS"},
                                key="k2")
    assert (status, answer["code"]) == (400, "51000")


async def test_empty_string_params_count_as_absent(srv, http):
    # python-okx sends every unused argument as ""
    status, answer = await call(http, srv, "POST", "/api/v5/account/set-leverage",
                                body={"lever": "9", "mgnMode": "cross", "instId": SWAP, "ccy": "", "posSide": ""})
    assert (status, answer["code"]) == (200, "0")
    status, answer = await call(http, srv, "GET", "/api/v5/account/leverage-info",
                                {"instId": SWAP, "mgnMode": "cross", "ccy": ""})
    assert answer["code"] == "0" and answer["data"][0]["lever"] == "9"
    status, answer = await call(http, srv, "POST", "/api/v5/account/set-leverage",
                                body={"lever": "9", "mgnMode": "", "instId": SWAP})
    assert (status, answer["code"]) == (400, "50014")
    status, answer = await call(http, srv, "POST", "/api/v5/account/set-leverage",
                                body={"lever": "9", "mgnMode": "cross", "instId": ""})
    assert (status, answer["code"]) == (400, "50015")


async def test_rate_limit_per_uid(srv, http):
    for _ in range(10):  # positions: 10 requests per 2 s per User ID
        status, answer = await call(http, srv, "GET", "/api/v5/account/positions")
        assert answer["code"] == "0"
    status, answer = await call(http, srv, "GET", "/api/v5/account/positions")
    assert (status, answer["code"]) == (429, "50011")
    # another UID has its own budget
    status, answer = await call(http, srv, "GET", "/api/v5/account/positions", key="k2")
    assert answer["code"] == "0"
    calls = srv.venues["okx"].calls
    assert calls[-2]["code"] == "50011" and calls[-2]["account"] == "1001"


async def test_world_rate_limit_override():
    world = copy.deepcopy(WORLD)
    world["rate_limits"] = {"POST /api/v5/account/set-leverage": "2/2s"}
    async with SimServer(world) as server, aiohttp.ClientSession() as session:
        codes = []
        for _ in range(3):
            _, answer = await call(session, server, "POST", "/api/v5/account/set-leverage",
                                   body={"instId": SWAP, "lever": "5", "mgnMode": "cross"})
            codes.append(answer["code"])
        assert codes == ["0", "0", "50011"]


async def test_faults_use_okx_answers(srv, http):
    async with http.post(srv.url + "/__sim/okx/faults", json=[
            {"method": "GET", "path": "/api/v5/account/config", "kind": "busy", "count": 1},
            {"method": "GET", "path": "/api/v5/account/config", "kind": "rate_limit", "count": 1}]) as resp:
        assert resp.status == 200
    status, answer = await call(http, srv, "GET", "/api/v5/account/config")
    assert (status, answer["code"]) == (429, "50013")
    status, answer = await call(http, srv, "GET", "/api/v5/account/config")
    assert (status, answer["code"]) == (429, "50011")
    status, answer = await call(http, srv, "GET", "/api/v5/account/config")
    assert answer["code"] == "0"


async def test_admin_state_and_calls_round_trip(srv, http):
    async with http.get(srv.url + "/__sim/okx/state") as resp:
        section = await resp.json()
    assert section == WORLD["okx"]
    section["accounts"][0]["leverage"][SWAP]["cross"] = "20"
    section["accounts"][0]["config"]["posMode"] = "long_short_mode"
    async with http.put(srv.url + "/__sim/okx/state", json=section) as resp:
        assert resp.status == 200
    rows = await lever_rows(http, srv, [SWAP], "cross")
    assert rows == {(SWAP, "long"): "20", (SWAP, "short"): "20"}
    await call(http, srv, "POST", "/api/v5/account/set-leverage",
               body={"instId": "X-Y-SWAP", "lever": "5", "mgnMode": "cross"})
    async with http.get(srv.url + "/__sim/okx/calls") as resp:
        calls = await resp.json()
    assert [c["code"] for c in calls] == ["0", "51001"]
    assert calls[0]["account"] == "1001" and calls[0]["method"] == "GET"
    assert calls[0]["query"] == {"instId": SWAP, "mgnMode": "cross"}
    assert calls[1]["body"] == {"instId": "X-Y-SWAP", "lever": "5", "mgnMode": "cross"}
    async with http.delete(srv.url + "/__sim/okx/calls") as resp:
        assert await resp.json() == []
    async with http.put(srv.url + "/__sim/okx/state", json={"accounts": [{"api_key": "x"}]}) as resp:
        assert resp.status == 400


# --- the official SDK -------------------------------------------------------------------------
async def test_python_okx_sdk(srv):
    import okx.Account as Account

    api = Account.AccountAPI("k1", "s1", "p1", False, flag="0", domain=srv.url, debug=False)
    locked = Account.AccountAPI("k3", "s3", "p3", False, flag="0", domain=srv.url, debug=False)
    try:
        config = await asyncio.to_thread(api.get_account_config)
        assert config["code"] == "0" and config["data"][0]["posMode"] == "net_mode"
        positions = await asyncio.to_thread(api.get_positions, instId=SWAP)
        assert positions["code"] == "0" and positions["data"][0]["margin"] == "400"
        answer = await asyncio.to_thread(api.set_leverage, lever="7", mgnMode="cross", instId=SWAP)
        assert answer["code"] == "0" and answer["data"][0]["lever"] == "7"
        answer = await asyncio.to_thread(api.get_leverage, mgnMode="cross", instId=f"{SWAP},{FUT1}")
        assert {r["instId"]: r["lever"] for r in answer["data"]} == {SWAP: "7", FUT1: "10"}
        answer = await asyncio.to_thread(locked.set_leverage, lever="5", mgnMode="isolated", instId=SWAP)
        assert answer["code"] == "59101"
    finally:
        api.close()
        locked.close()


# --- ccxt -------------------------------------------------------------------------------------
async def test_ccxt_okx(srv):
    import ccxt.async_support as ccxt

    def client(key):
        secret, passphrase = KEYS[key]
        exchange = ccxt.okx({"apiKey": key, "secret": secret, "password": passphrase})
        assert set(exchange.urls["api"]) == {"rest"}
        exchange.urls["api"] = {name: srv.url for name in exchange.urls["api"]}
        return exchange

    exchange, locked = client("k1"), client("k3")
    try:
        await exchange.load_markets()
        symbol = "BTC/USDT:USDT"
        assert exchange.market(symbol)["id"] == SWAP
        assert exchange.market(symbol)["limits"]["leverage"]["max"] == 100
        positions = await exchange.fetch_positions([symbol])
        [position] = positions
        assert position["marginMode"] == "isolated" and position["contracts"] == 2
        assert position["collateral"] == 400 and position["leverage"] == 3
        leverage = await exchange.fetch_leverage(symbol, {"marginMode": "isolated"})
        assert leverage["longLeverage"] == 3 and leverage["marginMode"] == "isolated"
        answer = await exchange.set_leverage(8, symbol, {"marginMode": "cross"})
        assert answer["code"] == "0"
        leverage = await exchange.fetch_leverage(symbol, {"marginMode": "cross"})
        assert leverage["longLeverage"] == leverage["shortLeverage"] == 8
        with pytest.raises(ccxt.ExchangeError, match="59101"):
            await locked.set_leverage(5, symbol, {"marginMode": "isolated"})
    finally:
        await exchange.close()
        await locked.close()


# --- account modes, MARGIN instruments, expTime, trading bots -------------------------------------
MODES_WORLD = {"okx": {
    "instruments": [
        {"instId": "BTC-USDT", "instType": "SPOT"},
        {"instId": "BTC-USDT", "instType": "MARGIN", "lever": "10"},
        {"instId": SWAP, "instType": "SWAP", "instFamily": "BTC-USDT", "lever": "100", "settleCcy": "USDT",
         "ctVal": "0.01"},
    ],
    "accounts": [
        {"api_key": f"m{level}", "secret": f"s{level}", "passphrase": f"p{level}", "uid": f"20{level}",
         "config": {"acctLv": level, "enableSpotBorrow": level == "1"}, "balances": {"USDT": "1000", "BTC": "1"},
         "positions": [{"instId": "BTC-USDT", "mgnMode": "isolated", "posSide": "net", "pos": "1", "margin": "0.2",
                        "avgPx": "60000", "ccy": "BTC"}]}
        for level in ("1", "2", "3", "4")],
}}
KEYS.update({f"m{level}": (f"s{level}", f"p{level}") for level in ("1", "2", "3", "4")})


@pytest.fixture
async def modes():
    async with SimServer(copy.deepcopy(MODES_WORLD)) as server:
        yield server


async def mode_call(http, srv, level, method, path, params=None, body=None):
    return await call(http, srv, method, path, params, body, key=f"m{level}")


async def test_instruments_are_keyed_by_type_and_id(modes, http):
    for kind, lever in (("SPOT", ""), ("MARGIN", "10")):
        status, answer = await call(http, modes, "GET", "/api/v5/public/instruments", {"instType": kind},
                                    signed=False)
        assert [(r["instId"], r["instType"], r["lever"]) for r in answer["data"]] == [("BTC-USDT", kind, lever)]
    status, answer = await call(http, modes, "GET", "/api/v5/public/instruments",
                                {"instType": "SWAP", "instId": "BTC-USDT"}, signed=False)
    assert answer["code"] == "51015"


@pytest.mark.parametrize("level, codes", [
    # body -> code per account mode: seed set-leverage scenarios 1-5, 9; okx.md 7 (51010, 51039)
    ("1", {"pair_iso": "0", "pair_cross": "51010", "ccy": "0", "swap_cross": "51010", "swap_iso": "51010"}),
    ("2", {"pair_iso": "0", "pair_cross": "0", "ccy": "51010", "swap_cross": "0", "swap_iso": "0"}),
    ("3", {"pair_iso": "0", "pair_cross": "51010", "ccy": "0", "swap_cross": "0", "swap_iso": "0"}),
    ("4", {"pair_iso": "0", "pair_cross": "51010", "ccy": "0", "swap_cross": "51039", "swap_iso": "0"}),
])
async def test_set_leverage_per_account_mode(modes, http, level, codes):
    bodies = {"pair_iso": {"instId": "BTC-USDT", "lever": "5", "mgnMode": "isolated"},
              "pair_cross": {"instId": "BTC-USDT", "lever": "5", "mgnMode": "cross"},
              "ccy": {"ccy": "BTC", "lever": "5", "mgnMode": "cross"},
              "swap_cross": {"instId": SWAP, "lever": "5", "mgnMode": "cross"},
              "swap_iso": {"instId": SWAP, "lever": "5", "mgnMode": "isolated"}}
    got = {}
    for name, body in bodies.items():
        status, answer = await mode_call(http, modes, level, "POST", "/api/v5/account/set-leverage", body=body)
        got[name] = answer["code"]
    assert got == codes
    status, answer = await mode_call(http, modes, level, "GET", "/api/v5/account/leverage-info",
                                     {"instId": SWAP, "mgnMode": "cross"})
    assert answer["code"] == {"1": "51010", "4": "59111"}.get(level, "0")


async def test_spot_mode_without_borrowing_has_no_currency_leverage(modes, http):
    section = modes.venues["okx"].state()
    section["accounts"][0]["config"]["enableSpotBorrow"] = False
    modes.venues["okx"].set_state(section)
    status, answer = await mode_call(http, modes, "1", "GET", "/api/v5/account/config")
    assert answer["data"][0]["enableSpotBorrow"] is False
    for method, path, params, body in (("GET", "/api/v5/account/leverage-info", {"ccy": "BTC", "mgnMode": "cross"}, None),
                                       ("POST", "/api/v5/account/set-leverage", None,
                                        {"ccy": "BTC", "lever": "5", "mgnMode": "cross"})):
        status, answer = await mode_call(http, modes, "1", method, path, params, body)
        assert answer["code"] == "51010"


async def test_margin_balance_of_an_isolated_margin_position_names_its_ccy(modes, http):
    path = "/api/v5/account/position/margin-balance"
    base = {"instId": "BTC-USDT", "posSide": "net", "type": "add", "amt": "0.1"}
    status, answer = await mode_call(http, modes, "2", "POST", path, body=base)
    assert (status, answer["code"]) == (400, "50014")
    status, answer = await mode_call(http, modes, "2", "POST", path, body={**base, "ccy": "USDT"})
    assert (status, answer["code"]) == (400, "51000")
    status, answer = await mode_call(http, modes, "2", "POST", path, body={**base, "ccy": "BTC"})
    assert answer["code"] == "0" and answer["data"][0]["ccy"] == "BTC"
    acct = next(a for a in modes.venues["okx"].state()["accounts"] if a["uid"] == "202")
    assert (acct["positions"][0]["margin"], acct["balances"]["BTC"]) == ("0.3", "0.9")
    status, answer = await mode_call(http, modes, "2", "GET", "/api/v5/account/positions", {"instType": "MARGIN"})
    assert [(r["instId"], r["ccy"], r["margin"]) for r in answer["data"]] == [("BTC-USDT", "BTC", "0.3")]


async def test_exp_time_past_is_refused_and_nothing_done(srv, http):
    body = {"instId": SWAP, "lever": "7", "mgnMode": "cross"}
    now_ms = int(datetime.now(timezone.utc).timestamp() * 1000)
    status, answer = await call(http, srv, "POST", "/api/v5/account/set-leverage", body=body,
                                extra_headers={"expTime": str(now_ms - 1)})
    assert (status, answer["code"]) == (401, "50102")
    assert account(srv, "1001")["leverage"][SWAP]["cross"] == "5"
    status, answer = await call(http, srv, "POST", "/api/v5/account/set-leverage", body=body,
                                extra_headers={"expTime": "soon"})
    assert (status, answer["code"]) == (400, "51000")
    status, answer = await call(http, srv, "POST", "/api/v5/account/set-leverage", body=body,
                                extra_headers={"expTime": str(now_ms + 5000)})
    assert answer["code"] == "0" and account(srv, "1001")["leverage"][SWAP]["cross"] == "7"


async def test_sub_account_settings_refused_with_59002_while_a_bot_runs(srv, http):
    section = state(srv)
    section["accounts"][1]["config"]["mainUid"] = "9"
    section["accounts"][1]["bots"] = [{"instId": SWAP, "algoOrdType": "contract_grid", "algoId": "77"}]
    srv.venues["okx"].set_state(section)
    status, answer = await call(http, srv, "POST", "/api/v5/account/set-position-mode",
                                body={"posMode": "net_mode"}, key="k2")
    assert answer["code"] == "59002" and "trading bots" in answer["msg"]
    status, answer = await call(http, srv, "GET", "/api/v5/tradingBot/grid/orders-algo-pending",
                                {"algoOrdType": "contract_grid"}, key="k2")
    assert [(r["algoId"], r["instId"], r["state"]) for r in answer["data"]] == [("77", SWAP, "running")]
    status, answer = await call(http, srv, "GET", "/api/v5/tradingBot/grid/orders-algo-pending", key="k2")
    assert (status, answer["code"]) == (400, "50014")


async def test_python_okx_and_ccxt_on_margin_currency_and_bot_endpoints(modes):
    """The endpoints this round added to the adapter, through both independent clients."""
    import ccxt.async_support as ccxt
    import okx.Account as Account
    import okx.Grid as Grid

    api = Account.AccountAPI("m3", "s3", "p3", False, flag="0", domain=modes.url, debug=False)
    grid = Grid.GridAPI("m3", "s3", "p3", False, flag="0", domain=modes.url, debug=False)
    try:
        answer = await asyncio.to_thread(api.set_leverage, lever="4", mgnMode="cross", ccy="BTC")
        assert answer["code"] == "0"
        answer = await asyncio.to_thread(api.get_leverage, mgnMode="cross", ccy="BTC")
        assert answer["data"][0]["lever"] == "4"
        answer = await asyncio.to_thread(api.set_leverage, lever="6", mgnMode="isolated", instId="BTC-USDT")
        assert answer["code"] == "0"
        answer = await asyncio.to_thread(api.set_isolated_mode, isoMode="auto_transfers_ccy", type="MARGIN")
        assert answer["code"] == "59000"  # an isolated MARGIN position is open
        answer = await asyncio.to_thread(grid.grid_orders_algo_pending, algoOrdType="grid")
        assert answer == {"code": "0", "msg": "", "data": []}
    finally:
        api.close()
        grid.close()

    exchange = ccxt.okx({"apiKey": "m3", "secret": "s3", "password": "p3"})
    exchange.urls["api"] = {name: modes.url for name in exchange.urls["api"]}
    try:
        await exchange.load_markets()
        assert exchange.market("BTC/USDT")["id"] == "BTC-USDT"
        answer = await exchange.privateGetAccountLeverageInfo({"mgnMode": "cross", "ccy": "BTC"})
        assert answer["data"][0]["lever"] == "4"
        leverage = await exchange.fetch_leverage("BTC/USDT", {"marginMode": "isolated"})
        assert leverage["longLeverage"] == 6
        answer = await exchange.privateGetTradingBotGridOrdersAlgoPending({"algoOrdType": "contract_grid"})
        assert answer["code"] == "0"
        positions = await exchange.fetch_positions(params={"instType": "MARGIN"})
        assert positions[0]["info"]["ccy"] == "BTC"
    finally:
        await exchange.close()
