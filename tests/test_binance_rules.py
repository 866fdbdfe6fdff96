"""The Binance adapter's own rules, without the CLI: signing, weights, what each answer means, calls, brackets."""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal as D
from urllib.parse import parse_qsl

import aiohttp
import pytest
from yarl import URL

from reconciler.diff import diff_account
from reconciler.errors import VenueError
from reconciler.model import AccountLive, AccountSpec, SymbolLive, SymbolSpec
from reconciler.outgoing import Outgoing
from reconciler.plan import Call
from reconciler.sim.server import SimServer
from reconciler.transport import RawResponse
from reconciler.venues.binance import BinanceAdapter
from reconciler.venues.binance.liquidation import brackets_of, isolated_liquidation, max_notional
from reconciler.venues.binance.reads import papi_base

from test_binance_e2e import ETH_BRACKETS, KEY, config, world


def adapter(symbols=(), settings=None, environment="sim", **spec) -> BinanceAdapter:
    account = AccountSpec(name="bn", venue="binance", environment=environment, base_url=None, credentials={},
                          settings=settings or {}, symbols={s.symbol: s for s in symbols}, **spec)
    return BinanceAdapter(account, {"api_key": KEY["api_key"], "secret": KEY["secret"]})


def answer(status: int, payload, headers=None) -> RawResponse:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return RawResponse(status, text, {"Content-Type": "application/json", **(headers or {})})


# --- signing ------------------------------------------------------------------------------------
def test_a_signed_request_carries_timestamp_recv_window_then_the_signature_of_query_and_body():
    sent = adapter().authorize(Outgoing("POST", "/fapi/v1/leverage?leverage=5&symbol=BTCUSDT", "a=1"), True)
    path, _, query = sent.path.partition("?")
    names = [name for name, _ in parse_qsl(query)]
    assert path == "/fapi/v1/leverage" and names == ["leverage", "symbol", "timestamp", "recvWindow", "signature"]
    signed, signature = query.rsplit("&signature=", 1)
    assert signature == hmac.new(KEY["secret"].encode(), (signed + "a=1").encode(), hashlib.sha256).hexdigest()
    assert dict(parse_qsl(query))["recvWindow"] == "5000"  # Binance's default window, and our request lifetime
    assert sent.headers["X-MBX-APIKEY"] == KEY["api_key"] and sent.body == "a=1"
    assert KEY["secret"] not in json.dumps([sent.path, sent.headers, sent.body])


def test_a_shortened_request_lifetime_is_the_recv_window_sent():
    shortened = adapter(request_lifetime=D(2))
    sent = shortened.authorize(Outgoing("GET", "/fapi/v1/symbolConfig"), True)
    assert dict(parse_qsl(sent.path.partition("?")[2]))["recvWindow"] == "2000" and shortened.request_lifetime == 2


def test_a_public_request_is_sent_as_it_is():
    request = Outgoing("GET", "/fapi/v1/exchangeInfo")
    assert adapter().authorize(request, False) == request


# --- weights ------------------------------------------------------------------------------------
async def test_each_endpoints_declared_weight_is_what_binance_counts():
    """The weight request_weight declares per call, against the X-MBX-USED-WEIGHT-1M the simulator (written from
    binance.md §6) reports after each request of a fresh address."""
    calls = [Call("GET", "/fapi/v1/exchangeInfo"), Call("GET", "/fapi/v1/accountConfig"),
             Call("GET", "/fapi/v1/symbolConfig"), Call("GET", "/fapi/v1/leverageBracket"),
             Call("GET", "/fapi/v3/positionRisk"), Call("GET", "/fapi/v1/openOrders"),
             Call("GET", "/fapi/v1/openOrders", {"symbol": "SOLUSDT"}), Call("GET", "/fapi/v1/openAlgoOrders"),
             Call("GET", "/fapi/v1/openAlgoOrders", {"symbol": "SOLUSDT"}),
             Call("POST", "/fapi/v1/leverage", {"symbol": "SOLUSDT", "leverage": "7"}),
             Call("POST", "/fapi/v1/marginType", {"symbol": "SOLUSDT", "marginType": "ISOLATED"})]
    bn = adapter()
    async with SimServer(world()) as server, aiohttp.ClientSession() as http:
        used = 0
        for call in calls:
            query = "&".join(f"{k}={v}" for k, v in sorted((call.query or {}).items()))
            out = bn.authorize(Outgoing(call.method, call.path + (f"?{query}" if query else "")),
                               call.endpoint not in bn.public_endpoints)
            async with http.request(call.method, URL(server.url + out.path, encoded=True), headers=out.headers) as resp:
                assert resp.status == 200, await resp.text()
                now = int(resp.headers["X-MBX-USED-WEIGHT-1M"])
            assert now - used == bn.request_weight(call), call.endpoint
            used = now
    assert bn.request_weight(Call("GET", "/fapi/v1/openOrders")) == 40
    assert bn.request_weight(Call("GET", "/fapi/v1/openOrders", {"symbol": "X"})) == 1
    assert (bn.ip_budget, bn.weight_header) == ("2400/1m", "X-MBX-USED-WEIGHT-1M")


# --- what answers mean ----------------------------------------------------------------------------
def test_no_need_to_change_answers_are_the_setting_already_there():
    bn = adapter()
    for code, text in (("-4046", "No need to change margin type."), ("-4059", "No need to change position side.")):
        with pytest.raises(VenueError) as answered:
            bn.parse(answer(400, {"code": int(code), "msg": text}))
        assert answered.value.kind == "done"  # the client takes it as success with nothing to resend


@pytest.mark.parametrize("status,payload,kind", [
    (503, {"code": -1007, "msg": "Timeout waiting for response from backend server."}, "unknown"),
    (400, {"code": -1006, "msg": "An unexpected response was received from the message bus."}, "unknown"),
    (503, {"code": -1001, "msg": "Internal error; unable to process your request. Please try again."}, "busy"),
    (503, "<html>Service Unavailable</html>", "server"),
    (408, "", "unknown"),
    (429, {"code": -1003, "msg": "Too many requests"}, "rate_limit"),
    (418, {"code": -1003, "msg": "Way too many requests; IP banned until 1."}, "business"),
    (400, {"code": -4048, "msg": "Margin type cannot be changed if there exists position."}, "blocked"),
    (401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}, "auth"),
    (400, {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}, "business"),
], ids=["-1007", "-1006", "-1001", "503-page", "408", "429", "418", "-4048", "-2015", "-1021"])
def test_each_answer_is_classed_by_what_it_proves(status, payload, kind):
    with pytest.raises(Exception) as raised:
        adapter().parse(answer(status, payload, {"Retry-After": "120"}))
    error = raised.value
    assert error.kind == kind
    assert error.ambiguous == (kind in ("unknown", "server"))
    assert error.retriable == (kind in ("unknown", "server", "busy", "rate_limit"))  # never the 418 ban


def test_plain_help_for_a_skewed_clock_and_a_refused_key():
    with pytest.raises(Exception) as clock:
        adapter().parse(answer(400, {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}))
    assert "sync this machine's clock (NTP)" in str(clock.value)
    with pytest.raises(Exception) as key:
        adapter().parse(answer(401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}))
    assert "Enable Futures permission" in str(key.value) and "whitelist" in str(key.value)


def test_an_answer_nobody_can_read_is_settled_when_binance_sent_it_with_200():
    with pytest.raises(Exception) as raised:
        adapter().parse(RawResponse(200, '{"code": 200, "ms', {}))
    assert raised.value.kind == "unknown" and raised.value.settled


def test_reads_answer_arrays_and_objects_without_an_envelope():
    assert adapter().parse(answer(200, [{"symbol": "BTCUSDT", "leverage": 20}])) == [{"symbol": "BTCUSDT",
                                                                                     "leverage": 20}]
    listed = adapter().parse(answer(200, {"symbols": [{"symbol": "BTCUSDT", "status": "TRADING", "filters": [],
                                                       "pricePrecision": 2, "marginAsset": "USDT"}]}))
    assert listed["symbols"] == [{"symbol": "BTCUSDT", "status": "TRADING", "marginAsset": "USDT"}]  # slimmed


# --- calls --------------------------------------------------------------------------------------
@pytest.mark.parametrize("side,delta,query", [
    (None, D("100"), {"symbol": "ETHUSDT", "positionSide": "BOTH", "amount": "100", "type": "1"}),
    ("long", D("-2.5"), {"symbol": "ETHUSDT", "positionSide": "LONG", "amount": "2.5", "type": "2"}),
    ("short", D("0.001"), {"symbol": "ETHUSDT", "positionSide": "SHORT", "amount": "0.001", "type": "1"}),
])
def test_a_margin_move_is_a_positive_amount_with_its_direction_and_reads_back_signed(side, delta, query):
    bn = adapter()
    call = bn.margin_call("ETHUSDT", side, delta)
    assert (call.method, call.path, call.query, call.body) == ("POST", "/fapi/v1/positionMargin", query, None)
    assert bn.move_of(call) == delta
    assert bn.margin_call("ETHUSDT", side, bn.move_of(call)).key() == call.key()  # what the gate compares
    assert bn.move_of(Call("POST", "/fapi/v1/leverage", {"symbol": "ETHUSDT", "leverage": "5"})) is None


def test_one_leverage_per_symbol_that_need_not_wait_on_the_margin_type():
    spec = SymbolSpec("SOLUSDT", "isolated", D(7))
    bn = adapter([spec])
    live = AccountLive(settings={"position_mode": "hedge", "multi_assets": "off"},
                       symbols={"SOLUSDT": SymbolLive("SOLUSDT", "cross", {("cross", None): D(20),
                                                                           ("isolated", None): D(20)})})
    bn._status = {"SOLUSDT": "TRADING"}
    result = diff_account(bn.account, live, bn)
    bn.assign_calls(result.changes, live)
    mode, leverage = result.changes
    assert bn.leverage_sides("isolated", "hedge") == [None]
    assert leverage.id == "bn/SOLUSDT/leverage/isolated" and leverage.depends_on == []
    assert [c.query for c in mode.calls + leverage.calls] == [{"symbol": "SOLUSDT", "marginType": "ISOLATED"},
                                                             {"symbol": "SOLUSDT", "leverage": "7"}]


def test_multi_assets_mode_refuses_isolated_with_its_own_reason_not_a_call_to_close_anything():
    bn = adapter([SymbolSpec("SOLUSDT", "isolated")])
    bn._status = {"SOLUSDT": "TRADING"}
    live = AccountLive(settings={"position_mode": "net", "multi_assets": "on"},
                       symbols={"SOLUSDT": SymbolLive("SOLUSDT", "cross")})
    [change] = diff_account(bn.account, live, bn).changes
    assert change.status == "blocked" and "Multi-Assets mode" in change.reason
    assert "close or cancel" not in change.reason


# --- brackets and liquidation -----------------------------------------------------------------------
def test_brackets_get_the_documented_maintenance_amounts_and_cap_notional_by_leverage():
    brackets = brackets_of(ETH_BRACKETS)
    assert [b.cum for b in brackets] == [D(0), D(50), D(1550)]  # floor_n x (mmr_n - mmr_n-1) + cum_n-1
    assert max_notional(brackets, D(50)) == D(10000) and max_notional(brackets, D(20)) == D(100000)
    assert max_notional(brackets, D(51)) is None


def test_isolated_liquidation_price_by_the_faq_formula():
    brackets = brackets_of(ETH_BRACKETS)
    # long 2 @ 3000, wallet 300, bracket 1 (mmr 0.005, cum 0): (300 + 0 - 6000) / (2 x 0.005 - 2)
    assert isolated_liquidation(True, D(2), D(3000), D(300), D(2900), brackets) == D(-5700) / D("-1.99")
    # short 1 @ 3100, wallet 200: (200 + 0 + 3100) / (0.005 + 1)
    assert isolated_liquidation(False, D(1), D(3100), D(200), D(2900), brackets) == D(3300) / D("1.005")
    # a margin that covers the whole position: no liquidation price
    assert isolated_liquidation(True, D(2), D(3000), D(7000), D(2900), brackets) is None


def test_the_bracket_is_the_one_at_the_liquidation_price_not_at_the_mark():
    brackets = brackets_of(ETH_BRACKETS)
    # short 4 @ 2400, mark 2400 (notional 9,600: bracket 1); wallet 1000 puts the price near 2,600 (10,400:
    # bracket 2), so it is computed again with mmr 0.01 and cum 50
    price = isolated_liquidation(False, D(4), D(2400), D(1000), D(2400), brackets)
    assert price == (D(1000) + D(50) + D(4) * D(2400)) / (D(4) * D("0.01") + D(4))


# --- addresses ------------------------------------------------------------------------------------
def test_environments_and_where_a_portfolio_margin_key_is_asked():
    assert BinanceAdapter.base_urls == {"live": "https://fapi.binance.com",
                                        "testnet": "https://testnet.binancefuture.com",
                                        "demo": "https://demo-fapi.binance.com"}
    assert adapter(environment="testnet").base_url() == "https://testnet.binancefuture.com"
    assert papi_base("https://fapi.binance.com") == "https://papi.binance.com"
    assert papi_base("https://testnet.binancefuture.com") is None and papi_base("https://demo-fapi.binance.com") is None
    assert papi_base("http://127.0.0.1:8123") == "http://127.0.0.1:8123"  # a simulator serves both


def test_testnet_credentials_are_never_sent_in_clear(cli, tmp_path):
    path = config(tmp_path, "http://testnet.binancefuture.com", environment="testnet",
                  credentials={"api_key": "${K}", "secret": "${S}"})
    code, out, err = cli("validate", path)
    assert code == 1 and "environment: testnet needs an https:// base_url" in err, err
