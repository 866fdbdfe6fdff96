"""The OKX adapter's pure parts: signing, parsing, rule methods and call assignment."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from decimal import Decimal

import pytest

from reconciler.diff import diff_account
from reconciler.errors import VenueError
from reconciler.model import AccountLive, AccountSpec, Order, Position, SymbolLive, SymbolSpec
from reconciler.transport import RawResponse
from reconciler.venues.okx import OkxAdapter

FUT1, FUT2, FUT3 = "BTC-USDT-261225", "BTC-USDT-270326", "ETH-USDT-261225"


def adapter(environment="live", symbols=None, settings=None, credentials=None):
    spec = AccountSpec(name="ox", venue="okx", environment=environment, base_url=None,
                       credentials=credentials or {"api_key": "${K}", "secret": "${S}", "passphrase": "${P}"},
                       settings=settings or {}, symbols=symbols or {})
    return OkxAdapter(spec, {"api_key": "key", "secret": "secret", "passphrase": "pass"})


def response(payload, status=200):
    return RawResponse(status, json.dumps(payload), {})


def test_signature_is_base64_hmac_of_timestamp_method_path_body():
    headers = adapter().sign("POST", "/api/v5/account/set-leverage", '{"lever":"5"}')
    stamp = headers["OK-ACCESS-TIMESTAMP"]
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", stamp)
    expected = base64.b64encode(hmac.new(b"secret", (stamp + "POST/api/v5/account/set-leverage" + '{"lever":"5"}')
                                         .encode(), hashlib.sha256).digest()).decode()
    assert headers["OK-ACCESS-SIGN"] == expected
    assert headers["OK-ACCESS-KEY"] == "key" and headers["OK-ACCESS-PASSPHRASE"] == "pass"
    assert "x-simulated-trading" not in headers
    assert adapter("demo").sign("GET", "/api/v5/account/config", "")["x-simulated-trading"] == "1"
    assert adapter("demo").base_url() == adapter("live").base_url() == "https://www.okx.com"


@pytest.mark.parametrize("payload,status,kind", [
    ({"code": "50011", "msg": "Rate limit reached", "data": []}, 200, "rate_limit"),
    ({"code": "50011", "msg": "Too Many Requests", "data": []}, 429, "rate_limit"),
    ({"code": "50013", "msg": "Systems are busy", "data": []}, 429, "busy"),
    ({"code": "59101", "msg": "Leverage can't be modified", "data": []}, 200, "blocked"),
    ({"code": "59000", "msg": "Settings failed", "data": []}, 200, "blocked"),
    ({"code": "59102", "msg": "Leverage exceeds the maximum limit", "data": []}, 200, "business"),
    ({"code": "51000", "msg": "Parameter posSide error", "data": []}, 400, "business"),
    ({"code": "1", "msg": "All operations failed", "data": [{"sCode": "59112", "sMsg": "pending"}]}, 200, "blocked"),
])
def test_errors_are_classified_by_code(payload, status, kind):
    with pytest.raises(VenueError) as caught:
        adapter().parse(response(payload, status))
    assert caught.value.kind == kind
    assert caught.value.retriable == (kind in ("rate_limit", "busy"))


def test_auth_errors_say_which_key_and_what_to_check():
    with pytest.raises(VenueError) as caught:
        adapter().parse(response({"code": "50113", "msg": "Invalid Sign", "data": []}, 401))
    message = str(caught.value)
    assert caught.value.kind == "auth" and "secret" in message and "${K}" in message and "${S}" in message


def test_success_returns_the_data_list():
    assert adapter().parse(response({"code": "0", "msg": "", "data": [{"posMode": "net_mode"}]})) == [
        {"posMode": "net_mode"}]


def live_with(**symbols):
    return AccountLive(settings={"position_mode": "hedge"}, symbols={
        s: SymbolLive(symbol=s, margin_mode=None, leverage=lev) for s, lev in symbols.items()})


def test_cross_futures_family_shares_one_call_and_isolated_hedge_needs_two():
    symbols = {FUT1: SymbolSpec(FUT1, "cross", Decimal(7)), FUT2: SymbolSpec(FUT2, "cross", Decimal(7)),
               FUT3: SymbolSpec(FUT3, "cross", Decimal(7)),
               "BTC-USDT-SWAP": SymbolSpec("BTC-USDT-SWAP", "isolated", {"long": Decimal(3), "short": Decimal(4)})}
    okx = adapter(symbols=symbols, settings={"position_mode": "hedge"})
    live = live_with(**{FUT1: {("cross", None): Decimal(5)}, FUT2: {("cross", None): Decimal(5)},
                        FUT3: {("cross", None): Decimal(5)},
                        "BTC-USDT-SWAP": {("isolated", "long"): Decimal(5), ("isolated", "short"): Decimal(5)}})
    live.settings["position_mode"] = "hedge"
    diff = diff_account(okx.account, live, okx)
    okx.assign_calls(diff.changes, live)
    calls = {c.id.split("/", 1)[1]: c.calls for c in diff.changes}
    assert calls[f"{FUT1}/leverage/cross"][0] is calls[f"{FUT2}/leverage/cross"][0]
    assert calls[f"{FUT1}/leverage/cross"][0].body == {"instId": FUT1, "lever": "7", "mgnMode": "cross"}
    assert calls[f"{FUT3}/leverage/cross"][0] is not calls[f"{FUT1}/leverage/cross"][0]  # another family
    assert calls["BTC-USDT-SWAP/leverage/isolated/long"][0].body["posSide"] == "long"
    assert calls["BTC-USDT-SWAP/leverage/isolated/short"][0].body == {
        "instId": "BTC-USDT-SWAP", "lever": "4", "mgnMode": "isolated", "posSide": "short"}


def test_margin_call_adds_or_reduces_the_absolute_difference():
    okx = adapter()
    assert okx.margin_call("ETH-USDT-SWAP", None, Decimal("-12.5")).body == {
        "instId": "ETH-USDT-SWAP", "posSide": "net", "type": "reduce", "amt": "12.5"}
    assert okx.margin_call("ETH-USDT-SWAP", "short", Decimal("100.0")).body["amt"] == "100"


def test_conflicts_are_positions_and_orders_of_the_other_mode_only():
    okx = adapter()
    live = AccountLive(
        positions=[Position("A-USDT-SWAP", "cross", None, Decimal(1)),
                   Position("A-USDT-SWAP", "isolated", None, Decimal(2), Decimal(10))],
        orders=[Order("A-USDT-SWAP", "cross", "pending cross limit order 1 A-USDT-SWAP buy 1 @ 2"),
                Order("A-USDT-SWAP", "isolated", "pending isolated limit order 2 A-USDT-SWAP buy 1 @ 2"),
                Order("A-USDT", "cash", "pending cash limit order 3 A-USDT buy 1 @ 2")])
    conflicts = okx.mode_conflicts(live, "A-USDT-SWAP", "isolated")
    assert conflicts == ["open cross position A-USDT-SWAP size 1", "pending cross limit order 1 A-USDT-SWAP buy 1 @ 2"]
    assert okx.leverage_blockers(live, "A-USDT-SWAP", "isolated") == [
        "pending isolated limit order 2 A-USDT-SWAP buy 1 @ 2 locks the isolated leverage of A-USDT-SWAP"]
    assert len(okx.setting_blockers(live, "position_mode")) == 5  # anything open in the account


def test_leverage_sides_only_isolated_in_hedge():
    okx = adapter()
    assert okx.leverage_sides("isolated", "hedge") == ["long", "short"]
    assert okx.leverage_sides("cross", "hedge") == [None]
    assert okx.leverage_sides("isolated", "net") == [None]


def test_the_td_mode_note_names_instruments_per_mode_once():
    okx = adapter(symbols={"A-USDT-SWAP": SymbolSpec("A-USDT-SWAP", "isolated", Decimal(3)),
                           "B-USDT-SWAP": SymbolSpec("B-USDT-SWAP", "cross", Decimal(3)),
                           "C-USDT-SWAP": SymbolSpec("C-USDT-SWAP", "isolated", Decimal(3))})
    notes = okx.notes(AccountLive())
    assert len(notes) == 1
    assert "tdMode=cross for B-USDT-SWAP; tdMode=isolated for A-USDT-SWAP, C-USDT-SWAP" in notes[0]


def test_a_margin_pair_keeps_one_leverage_per_mode_in_long_short_mode():
    """Seed: posSide is only for FUTURES/SWAP, so both sides of an isolated MARGIN pair share one call."""
    okx = adapter(symbols={"BTC-USDT": SymbolSpec("BTC-USDT", "isolated", {"long": Decimal(4), "short": Decimal(4)}),
                           "ETH-USDT": SymbolSpec("ETH-USDT", "isolated", {"long": Decimal(4), "short": Decimal(3)})},
                  settings={"position_mode": "hedge"})
    okx._instruments = {pair: {"instId": pair, "instType": "MARGIN", "lever": "10"} for pair in ("BTC-USDT", "ETH-USDT")}
    live = AccountLive(settings={"position_mode": "hedge", "account_mode": "2"}, symbols={
        pair: SymbolLive(pair, None, {("isolated", "long"): Decimal(10), ("isolated", "short"): Decimal(10)})
        for pair in ("BTC-USDT", "ETH-USDT")})
    diff = diff_account(okx.account, live, okx)
    okx.assign_calls(diff.changes, live)
    by_id = {c.id: c for c in diff.changes}
    long, short = by_id["ox/BTC-USDT/leverage/isolated/long"], by_id["ox/BTC-USDT/leverage/isolated/short"]
    assert long.calls == short.calls and long.calls[0].body == {"instId": "BTC-USDT", "lever": "4", "mgnMode": "isolated"}
    refused = by_id["ox/ETH-USDT/leverage/isolated/long"]
    assert refused.status == "blocked" and "one leverage per MARGIN pair" in refused.reason and not refused.calls


def test_margin_moves_of_an_isolated_margin_position_name_its_currency():
    okx = adapter()
    okx._margin_ccy[("BTC-USDT", None)] = "BTC"
    assert okx.margin_call("BTC-USDT", None, Decimal("-0.05")).body == {
        "instId": "BTC-USDT", "posSide": "net", "type": "reduce", "amt": "0.05", "ccy": "BTC"}
    assert "ccy" not in okx.margin_call("BTC-USDT-SWAP", None, Decimal(5)).body
