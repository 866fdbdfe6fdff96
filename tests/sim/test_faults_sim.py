"""Simulator faults over real signed HTTP: venue errors in each venue's envelope, late delivery, the call log."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import aiohttp
import base58
import pytest
from nacl.signing import SigningKey

from reconciler.sim.server import SimServer
from reconciler.sim.world import WorldError, load_world

ORDERLY_KEY = SigningKey(bytes(range(32)))
ORDERLY_ACCOUNT = "0x5e3f00000000000000000000000000000000000000000000000000000000c0de"


# --- the three venues, signed as their documents say (not as the simulator does) ----------------
def _hmac_b64(secret: str, text: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()).decode()


def okx_headers(method: str, path: str, body: str) -> dict:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {"OK-ACCESS-KEY": "k1", "OK-ACCESS-PASSPHRASE": "p1", "OK-ACCESS-TIMESTAMP": stamp,
            "OK-ACCESS-SIGN": _hmac_b64("s1", stamp + method + path + body), "Content-Type": "application/json"}


def bitget_headers(method: str, path: str, body: str) -> dict:
    stamp = str(int(time.time() * 1000))
    return {"ACCESS-KEY": "k2", "ACCESS-PASSPHRASE": "p2", "ACCESS-TIMESTAMP": stamp,
            "ACCESS-SIGN": _hmac_b64("s2", stamp + method + path + body), "Content-Type": "application/json"}


def orderly_headers(method: str, path: str, body: str) -> dict:
    stamp = str(int(time.time() * 1000))
    signature = ORDERLY_KEY.sign(f"{stamp}{method}{path}{body}".encode()).signature
    return {"orderly-account-id": ORDERLY_ACCOUNT,
            "orderly-key": "ed25519:" + base58.b58encode(bytes(ORDERLY_KEY.verify_key)).decode(),
            "orderly-timestamp": stamp, "orderly-signature": base64.urlsafe_b64encode(signature).decode(),
            "Content-Type": "application/json"}


def bybit_headers(method: str, path: str, body: str) -> dict:
    stamp = str(int(time.time() * 1000))
    prehash = stamp + "k4" + "5000" + body  # the JSON body of a POST (DOCS guide.mdx)
    return {"X-BAPI-API-KEY": "k4", "X-BAPI-TIMESTAMP": stamp, "X-BAPI-RECV-WINDOW": "5000",
            "X-BAPI-SIGN": hmac.new(b"s4", prehash.encode(), hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


@dataclass
class Venue:
    name: str
    section: dict
    sign: Callable[[str, str, str], dict]
    path: str  # a leverage write that changes the state
    body: dict
    leverage: Callable[[dict], str]  # the leverage the write sets, read from the world section
    success_code: str | None  # the code the call log shows for a success
    unknown_outcome: tuple[int, str, str]  # an unknown outcome the venue documents: status, code, text
    expired: tuple[int, str]  # the venue's answer to a request past its timestamp window

    def error_body(self, code: str, message: str) -> dict:
        """The venue's own error envelope, as its document gives it."""
        if self.name == "okx":
            return {"code": code, "msg": message, "data": []}
        if self.name == "bitget":
            return {"code": code, "msg": message, "data": None}  # plus requestTime, checked apart
        if self.name == "bybit":
            return {"retCode": int(code), "retMsg": message, "result": {}, "retExtInfo": {}}  # plus time
        return {"success": False, "code": int(code), "message": message}

    def code_of(self, body: dict) -> str:
        return str(body["retCode"] if self.name == "bybit" else body["code"])


VENUES = {
    "okx": Venue(
        "okx",
        {"instruments": [{"instId": "BTC-USDT-SWAP", "instType": "SWAP", "instFamily": "BTC-USDT",
                          "lever": "100", "settleCcy": "USDT", "ctVal": "0.01"}],
         "accounts": [{"api_key": "k1", "secret": "s1", "passphrase": "p1", "uid": "1001",
                       "balances": {"USDT": "1000"}, "leverage": {"BTC-USDT-SWAP": {"cross": "5"}}}]},
        okx_headers, "/api/v5/account/set-leverage",
        {"instId": "BTC-USDT-SWAP", "lever": "7", "mgnMode": "cross"},
        lambda section: section["accounts"][0]["leverage"]["BTC-USDT-SWAP"]["cross"],
        "0", (500, "50026", "System error. Try again later."), (401, "50102")),
    "bitget": Venue(
        "bitget",
        {"contracts": [{"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "minLever": "1", "maxLever": "125",
                        "supportMarginCoins": ["USDT"]}],
         "accounts": [{"api_key": "k2", "secret": "s2", "passphrase": "p2", "uid": "2001",
                       "balances": {"USDT": "1000"},
                       "symbols": {"BTCUSDT": {"marginCoin": "USDT", "marginMode": "crossed",
                                               "crossedMarginLeverage": "5"}}}]},
        bitget_headers, "/api/v2/mix/account/set-leverage",
        {"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "marginCoin": "USDT", "leverage": "7"},
        lambda section: section["accounts"][0]["symbols"]["BTCUSDT"]["crossedMarginLeverage"],
        "00000", (500, "40015", "System is abnormal, please try again later"), (400, "40008")),
    "orderly": Venue(
        "orderly",
        {"symbols": [{"symbol": "PERP_BTC_USDC", "base_imr": "0.01", "base_mmr": "0.006",
                      "imr_factor": "0.0000002"}],
         "accounts": [{"account_id": ORDERLY_ACCOUNT,
                       "orderly_key": "ed25519:" + base58.b58encode(bytes(ORDERLY_KEY.verify_key)).decode(),
                       "balances": {"USDC": "1000"}, "leverage": {"PERP_BTC_USDC": {"CROSS": "5"}}}]},
        orderly_headers, "/v1/client/leverage", {"symbol": "PERP_BTC_USDC", "leverage": 7, "margin_mode": "CROSS"},
        lambda section: str(section["accounts"][0]["leverage"]["PERP_BTC_USDC"]["CROSS"]),
        None, (500, "-1000", "An unknown error occurred while processing the request."), (401, "-1001")),
    "bybit": Venue(
        "bybit",
        {"instruments": [{"symbol": "BTCUSDT"}],
         "accounts": [{"api_key": "k4", "secret": "s4", "uid": "4001", "balances": {"USDT": "1000"},
                       "symbols": {"BTCUSDT": {"buyLeverage": "5", "sellLeverage": "5"}}}]},
        bybit_headers, "/v5/position/set-leverage",
        {"category": "linear", "symbol": "BTCUSDT", "buyLeverage": "7", "sellLeverage": "7"},
        lambda section: section["accounts"][0]["symbols"]["BTCUSDT"]["buyLeverage"],
        # bybit.md section 2: business answers, 10016 too, come with HTTP 200; 10002 past recv_window
        "0", (200, "10016", "Server error."), (200, "10002")),
}
ALL = pytest.mark.parametrize("venue", list(VENUES.values()), ids=list(VENUES))


def world(venue: Venue, **extra) -> dict:
    return {venue.name: json.loads(json.dumps(venue.section)), **extra}


async def write(server: SimServer, venue: Venue, *, timeout: float = 30):
    """Send the venue's leverage write, signed now; (HTTP status, JSON answer or None)."""
    text = json.dumps(venue.body, separators=(",", ":"))
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(timeout=client_timeout) as session:
        async with session.post(server.url + venue.path, data=text,
                                headers=venue.sign("POST", venue.path, text)) as response:
            if response.content_type != "application/json":
                return response.status, None
            return response.status, await response.json()


async def admin(server: SimServer, method: str, path: str, body=None):
    async with aiohttp.ClientSession() as session:
        async with session.request(method, server.url + path, json=body) as response:
            return response.status, await response.json()


async def inject(server: SimServer, venue: Venue, **fault) -> None:
    status, answer = await admin(server, "POST", f"/__sim/{venue.name}/faults",
                                 [{"method": "POST", "path": venue.path, **fault}])
    assert status == 200, answer


async def calls(server: SimServer, venue: Venue) -> list[dict]:
    return (await admin(server, "GET", f"/__sim/{venue.name}/calls"))[1]


def leverage(server: SimServer, venue: Venue) -> str:
    return venue.leverage(server.venues[venue.name].state())


def answered(entry: dict) -> tuple:
    return entry.get("fault"), entry["status"], entry["code"], entry.get("venue_answer")


# --- venue_error ------------------------------------------------------------------------------
@ALL
async def test_venue_error_before_answers_the_envelope_and_changes_nothing(venue):
    status, code, text = venue.unknown_outcome
    async with SimServer(world(venue)) as server:
        await inject(server, venue, kind="venue_error", status=status, code=code)
        got_status, body = await write(server, venue)
        assert got_status == status
        assert {key: body[key] for key in venue.error_body(code, text)} == venue.error_body(code, text)
        assert leverage(server, venue) == "5"
        assert [answered(c) for c in await calls(server, venue)] == [("venue_error", status, code, None)]
        # the fault is spent: the next write is executed and answered normally
        assert (await write(server, venue))[0] == 200
        assert leverage(server, venue) == "7"


@ALL
async def test_venue_error_after_makes_the_change_then_answers_the_error(venue):
    status, code, text = venue.unknown_outcome
    async with SimServer(world(venue)) as server:
        await inject(server, venue, kind="venue_error", status=status, code=code, after=True)
        got_status, body = await write(server, venue)
        assert (got_status, body) == (status, {**venue.error_body(code, text), **_request_time(body)})
        assert leverage(server, venue) == "7"
        assert [answered(c) for c in await calls(server, venue)] == [
            ("venue_error", status, code, {"status": 200, "code": venue.success_code})]


def _request_time(body: dict) -> dict:
    return {key: body[key] for key in ("requestTime", "time") if key in body}  # Bitget's, Bybit's


async def test_bitget_error_envelope_carries_its_request_time():
    venue = VENUES["bitget"]
    async with SimServer(world(venue)) as server:
        await inject(server, venue, kind="venue_error", status=500, code="40015")
        _, body = await write(server, venue)
        assert set(body) == {"code", "msg", "requestTime", "data"} and isinstance(body["requestTime"], int)


@pytest.mark.parametrize("fault,answer", [
    ({"status": 400, "code": "50004"}, (400, "50004", "API endpoint request timeout (does not mean that the "
                                        "request was successful or failed, please check the request result).")),
    ({"status": 503, "code": "50001", "message": "Matching engine upgrading"},
     (503, "50001", "Matching engine upgrading")),
    ({"status": 500, "code": "59999"}, (500, "59999", "Simulated venue error 59999")),
])
async def test_venue_error_message_is_the_given_then_the_documented_then_a_plain_one(fault, answer):
    venue = VENUES["okx"]
    async with SimServer(world(venue)) as server:
        await inject(server, venue, kind="venue_error", **fault)
        status, body = await write(server, venue)
        assert (status, body["code"], body["msg"]) == answer


# --- delay ------------------------------------------------------------------------------------
@ALL
async def test_delayed_request_executes_after_the_client_gave_up(venue):
    async with SimServer(world(venue)) as server:
        # The client gives up well after its request has arrived (a loaded machine is slow to connect), and
        # well before the simulator lets it through.
        await inject(server, venue, kind="delay", seconds=2.0)
        with pytest.raises(asyncio.TimeoutError):
            await write(server, venue, timeout=0.6)
        status, log = await admin(server, "POST", f"/__sim/{venue.name}/settle")
        assert status == 200
        assert [answered(c) for c in log] == [("delay", 200, venue.success_code, None)]
        assert leverage(server, venue) == "7"


@ALL
async def test_delay_past_a_short_timestamp_window_is_refused_with_the_venue_code(venue):
    status, code = venue.expired
    async with SimServer(world(venue, timestamp_windows={venue.name: 1})) as server:
        await inject(server, venue, kind="delay", seconds=1.5)
        got_status, body = await write(server, venue)
        assert (got_status, venue.code_of(body)) == (status, code)
        assert leverage(server, venue) == "5"
        assert [answered(c) for c in await calls(server, venue)] == [("delay", status, code, None)]


@ALL
async def test_a_request_within_the_window_is_served_after_its_delay(venue):
    async with SimServer(world(venue, timestamp_windows={venue.name: 5})) as server:
        await inject(server, venue, kind="delay", seconds=0.3)
        assert (await write(server, venue))[0] == 200
        assert leverage(server, venue) == "7"


async def test_a_server_stopped_before_a_delayed_request_is_processed_drops_it():
    venue = VENUES["bitget"]
    server = SimServer(world(venue))
    await server.start()
    await inject(server, venue, kind="delay", seconds=30)
    with pytest.raises(asyncio.TimeoutError):
        await write(server, venue, timeout=0.2)
    await server.stop()
    assert leverage(server, venue) == "5" and server.venues["bitget"].calls == []


# --- the existing kinds, logged with what the client got ---------------------------------------
@ALL
@pytest.mark.parametrize("kind,executed", [("http_500", False), ("reset_before", False), ("reset_after", True),
                                           ("timeout", True), ("rate_limit", False), ("busy", False)])
async def test_every_fault_is_logged_with_the_answer_the_client_got(venue, kind, executed):
    async with SimServer(world(venue)) as server:
        await inject(server, venue, kind=kind, seconds=0.3)
        try:
            status, body = await write(server, venue, timeout=5)
        except aiohttp.ClientError:
            status, body = 0, None
        (entry,) = await calls(server, venue)
        assert entry["fault"] == kind and entry["status"] == status
        assert entry["code"] == (None if body is None else venue.code_of(body))
        assert ("venue_answer" in entry) == executed
        assert leverage(server, venue) == ("7" if executed else "5")


# --- configuration ----------------------------------------------------------------------------
@pytest.mark.parametrize("fault,message", [
    ({"kind": "teapot"}, "fault kind must be one of"),
    ({"kind": "venue_error", "code": "50026"}, "needs status"),
    ({"kind": "venue_error", "status": 500}, "needs code"),
    ({"kind": "venue_error", "status": 500, "code": "oops"}, "numeric code"),
    ({"kind": "venue_error", "status": 302, "code": "50026"}, "must be 200 or an HTTP error status"),
    ({"kind": "venue_error", "status": 500, "code": "50026", "after": "yes"}, "true or false"),
    ({"kind": "delay"}, "needs seconds"),
    ({"kind": "delay", "seconds": -1}, "seconds must be a number >= 0"),
    ({"kind": "http_500", "after": True}, "only apply to venue_error"),
    ({"kind": "busy", "count": 0}, "count must be a whole number >= 1"),
    ({"kind": "busy", "path": "/v1/positions"}, "is not under /api/v5/"),
    ({"kind": "busy", "colour": "red"}, "unknown fault keys"),
])
async def test_admin_api_refuses_a_fault_it_cannot_serve(fault, message):
    venue = VENUES["okx"]
    async with SimServer(world(venue)) as server:
        status, answer = await admin(server, "POST", "/__sim/okx/faults",
                                     [{"method": "POST", "path": venue.path, **fault}])
        assert status == 400 and message in answer["error"], answer
        assert (await admin(server, "GET", "/__sim/okx/faults"))[1] == []


async def test_pending_faults_list_what_was_injected():
    venue = VENUES["okx"]
    async with SimServer(world(venue)) as server:
        await inject(server, venue, kind="venue_error", status=500, code=50026, count=2)
        await inject(server, venue, kind="delay", seconds=2)
        assert (await admin(server, "GET", "/__sim/okx/faults"))[1] == [
            {"method": "POST", "path": venue.path, "kind": "venue_error", "count": 2, "seconds": 30.0,
             "status": 500, "code": "50026", "after": False},
            {"method": "POST", "path": venue.path, "kind": "delay", "count": 1, "seconds": 2.0}]


def test_timestamp_windows_default_to_the_documented_ones_and_follow_the_world():
    defaults = SimServer({}).venues
    assert {name: sim.timestamp_window for name, sim in defaults.items()} == {
        "okx": 30.0, "bitget": 30.0, "orderly": 300.0, "binance": 60.0,
        "bybit": float("inf")}  # Bybit: no cap of its own; each request's recv_window is its window
    short = SimServer({"timestamp_windows": {"bitget": 3, "orderly": 2.5}}).venues
    assert (short["bitget"].timestamp_window, short["orderly"].timestamp_window) == (3.0, 2.5)


def test_the_world_keeps_its_timestamp_windows_when_saved():
    settings = {"timestamp_windows": {"bitget": 3}, "rate_limits": {"POST /v1/client/leverage": "9/1s"}}
    world = SimServer({"bitget": VENUES["bitget"].section, **settings}).world()
    assert {key: world[key] for key in settings} == settings and "accounts" in world["bitget"]


@pytest.mark.parametrize("windows,message", [
    ("3", "timestamp_windows must map a venue to seconds"),
    ({"kraken": 3}, "timestamp_windows.kraken: no such venue"),
    ({"bitget": 0}, "timestamp_windows.bitget: must be a number of seconds above 0"),
    ({"orderly": "soon"}, "timestamp_windows.orderly: must be a number of seconds above 0"),
])
def test_a_bad_timestamp_window_is_one_clear_line(tmp_path, windows, message):
    path = tmp_path / "world.yaml"
    path.write_text(json.dumps({"timestamp_windows": windows}))
    with pytest.raises(WorldError) as error:
        load_world(path)
    assert str(error.value).startswith(f"{path}: {message}") and "\n" not in str(error.value)
