"""Binance USDⓈ-M's test kit: its default end-to-end scenario and the Binance facts the shared venue tests use."""

from __future__ import annotations

import test_binance_e2e as scenario

world, KEY = scenario.world, scenario.KEY
# The scenario's symbols less its one blocked change (BTCUSDT's open cross position refuses a switch to isolated),
# so that a fault-free apply converges with everything applied.
SYMBOLS = {"BTCUSDT": {"margin_mode": "cross", "leverage": 5},
           "ETHUSDT": {"margin_mode": "isolated", "leverage": 20, "isolated_margin": 400},
           "SOLUSDT": {"margin_mode": "cross", "leverage": 20},
           "XRPUSDT": {"margin_mode": "isolated", "leverage": 8},
           "DOGEUSDT": {"margin_mode": "cross", "leverage": 10}}


def config(where, url, symbols=None, **account):
    return scenario.config(where, url, symbols=SYMBOLS if symbols is None else symbols, **account)
rules_world = scenario.world  # its ETH isolated position has margin to move

VENUE = "binance"
ACCOUNT = "bn"
CREDENTIALS = {name: KEY[name] for name in ("api_key", "secret")}
SECRETS = (KEY["secret"],)
READS = ["/fapi/v1/exchangeInfo", "/fapi/v1/accountConfig", "/fapi/v1/symbolConfig", "/fapi/v1/leverageBracket",
         "/fapi/v3/positionRisk"]
MARGIN_WRITE = "/fapi/v1/positionMargin"
HELD_MOVE_SECONDS = 7  # within the recvWindow the adapter sends (the request lifetime)
STATE_CLOCKS = ("time", "updateTime")
UNKNOWN_OUTCOMES = [(503, "-1007"), (500, "-1006"), (400, "-1000")]  # binance.md §2, §7
IN_SYNC_OUTSIDE_POLICY = ({"DOGEUSDT": {"margin_mode": "cross", "leverage": 10}}, {"max_leverage": 5}, {})
RULE_TARGETS = {"leverage": "bn/SOLUSDT/leverage/cross", "margin_mode": "bn/DOGEUSDT/margin_mode",
                "margin_move": "bn/ETHUSDT/isolated_margin"}


def moved_position(call: dict) -> tuple:
    return call["query"]["symbol"], call["query"].get("positionSide")


def rules_config(where, url):
    return config(where, url, symbols={
        "SOLUSDT": {"margin_mode": "cross", "leverage": 20},
        "DOGEUSDT": {"margin_mode": "isolated", "leverage": 10},
        "ETHUSDT": {"margin_mode": "isolated", "leverage": 10, "isolated_margin": 400}})


def success(data):
    return data  # Binance's reads answer the bare data, without an envelope
