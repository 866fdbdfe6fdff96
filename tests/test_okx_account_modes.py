"""OKX accounts in each of the four account modes (acctLv 1-4): one file, planned and applied everywhere;
what a mode forbids is a plan-time blocked item saying why, everything else is applied."""

from __future__ import annotations

import json

import pytest

from conftest import writes
from test_okx_scenarios import ETH_SWAP, INSTRUMENTS, PAIR, SWAP, desired, python_okx, venue_account

SAME_FILE = {
    "symbols": {
        SWAP: {"margin_mode": "cross", "leverage": 5},            # no derivatives in 1; PM: not adjustable
        ETH_SWAP: {"margin_mode": "isolated", "leverage": 6},     # no derivatives in 1
        PAIR: {"margin_mode": "cross", "leverage": 3},            # cross pair level: acctLv 2 only
        "ETH-USDT": {"margin_mode": "isolated", "leverage": 4},   # isolated pair level: every mode
    },
    "currencies": {"BTC": {"leverage": 2}},                       # per currency: 3, 4 (1 with borrowing)
}
SWAP_CROSS, ETH_ISO = f"{SWAP}/leverage/cross", f"{ETH_SWAP}/leverage/isolated"
PAIR_CROSS, ETH_PAIR_ISO, BTC_CCY = f"{PAIR}/leverage/cross", "ETH-USDT/leverage/isolated", "currency/BTC/leverage/cross"
EXPECTED = {  # acctLv -> setting -> (status, words of the reason)
    "1": {SWAP_CROSS: ("blocked", "Spot mode (acctLv 1), which has no futures or swaps"),
          ETH_ISO: ("blocked", "Spot mode (acctLv 1), which has no futures or swaps"),
          PAIR_CROSS: ("blocked", "currencies: {BTC: {leverage: N}}"),
          ETH_PAIR_ISO: ("change", None),
          BTC_CCY: ("blocked", "only when borrowing is enabled")},
    "2": {SWAP_CROSS: ("change", None), ETH_ISO: ("change", None), PAIR_CROSS: ("change", None),
          ETH_PAIR_ISO: ("change", None),
          BTC_CCY: ("blocked", "per pair, not per currency: write it under symbols")},
    "3": {SWAP_CROSS: ("change", None), ETH_ISO: ("change", None),
          PAIR_CROSS: ("blocked", "Multi-currency margin mode (acctLv 3), where OKX keeps cross MARGIN leverage "
                                  "per borrowed currency"),
          ETH_PAIR_ISO: ("change", None), BTC_CCY: ("change", None)},
    "4": {SWAP_CROSS: ("blocked", "can neither read nor set the cross leverage of futures and swaps"),
          ETH_ISO: ("change", None),
          PAIR_CROSS: ("blocked", "Portfolio margin mode (acctLv 4), where OKX keeps cross MARGIN leverage per "
                                  "borrowed currency"),
          ETH_PAIR_ISO: ("change", None), BTC_CCY: ("change", None)},
}


@pytest.fixture
def four_modes(start_sim, tmp_path):
    sim = start_sim({"okx": {"instruments": INSTRUMENTS,
                             "accounts": [venue_account(level, level) for level in EXPECTED]}})
    return sim, desired(tmp_path, sim.url, {level: SAME_FILE for level in EXPECTED})


def test_each_mode_plans_and_says_what_it_forbids(four_modes, cli):
    sim, path = four_modes
    code, out, err = cli("plan", path, "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    assert not plan.get("errors")
    assert all(c["code"] == "0" for c in sim.calls("okx")), "a read the account mode forbids was sent"
    for level, expected in EXPECTED.items():
        changes = {c["id"].removeprefix(f"okx-{level}/"): c for c in plan["changes"] if c["account"] == f"okx-{level}"}
        assert {key: change["status"] for key, change in changes.items()} == {
            key: status for key, (status, _) in expected.items()}, level
        for key, (status, words) in expected.items():
            if words:
                assert words in changes[key]["reason"], (level, key, changes[key]["reason"])
        notes = [n["text"] for n in plan["notes"] if n["account"] == f"okx-{level}"]
        assert any(n.startswith(f"OKX account mode: ") and f"(acctLv {level})" in n for n in notes)


def test_each_mode_applies_everything_it_allows(four_modes, cli):
    sim, path = four_modes
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err  # done what it could; the forbidden items remain, blocked
    refused = [c for c in writes(sim.calls("okx")) if c["code"] != "0"]
    assert refused == []  # nothing the mode forbids was sent
    for level, expected in EXPECTED.items():
        api = python_okx(sim, level)
        try:
            assert api.get_leverage(mgnMode="isolated", instId="ETH-USDT")["data"][0]["lever"] == "4"
            if expected[BTC_CCY][0] == "change":
                assert api.get_leverage(mgnMode="cross", ccy="BTC")["data"][0]["lever"] == "2"
            if expected[PAIR_CROSS][0] == "change":
                assert api.get_leverage(mgnMode="cross", instId=PAIR)["data"][0]["lever"] == "3"
            if expected[SWAP_CROSS][0] == "change":
                assert api.get_leverage(mgnMode="cross", instId=SWAP)["data"][0]["lever"] == "5"
            if expected[ETH_ISO][0] == "change":
                assert api.get_leverage(mgnMode="isolated", instId=ETH_SWAP)["data"][0]["lever"] == "6"
        finally:
            api.close()


def test_portfolio_margin_refuses_long_short_mode_at_plan_time(start_sim, cli, tmp_path):
    sim = start_sim({"okx": {"instruments": INSTRUMENTS, "accounts": [venue_account("4", "4")]}})
    path = desired(tmp_path, sim.url, {"4": {"settings": {"position_mode": "hedge"}}})
    code, out, err = cli("plan", path, "--format", "json")
    assert code == 0, err
    [change] = json.loads(out)["changes"]
    assert change["status"] == "blocked" and "only the net (buy/sell) position mode (51041)" in change["reason"]


def test_a_venue_without_currency_leverage_refuses_the_key(cli, tmp_path):
    head = "version: 1\naccounts:\n"
    bitget = ("  bg:\n    venue: bitget\n    environment: sim\n    product_type: USDT-FUTURES\n"
              "    credentials: {api_key: a, secret: b, passphrase: c}\n    currencies: {BTC: {leverage: 2}}\n")
    okx = "  ox:\n    venue: okx\n    environment: sim\n    credentials: {api_key: a, secret: b, passphrase: c}\n"
    path = tmp_path / "desired.yaml"
    path.write_text(head + bitget + okx + "    currencies: {btc: {leverage: 2}}\n")
    code, out, err = cli("validate", path)
    assert code == 1 and "Traceback" not in err
    assert ":8: accounts.bg.currencies: 'currencies' is not a bitget setting" in err
    assert ":13: accounts.ox.currencies.btc: a currency is written as the venue's upper-case code, e.g. BTC" in err
    path.write_text(head + okx + "    currencies: {ETH: {leverage: 0}}\n")
    code, out, err = cli("validate", path)
    assert code == 1 and ":7: accounts.ox.currencies.ETH.leverage: must be a positive number (got 0)" in err
