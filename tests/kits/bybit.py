"""Bybit's test kit: its default end-to-end scenario (a unified account) and the Bybit facts the shared tests use."""

from __future__ import annotations

import test_bybit_e2e as scenario

world = rules_world = scenario.world  # the classic account's isolated ETHUSDT position has margin to move
KEY = scenario.CLASSIC  # a classic account: the margin mode is kept per symbol (the unified ones: test_bybit_e2e)

VENUE = "bybit"
ACCOUNT = "bb"
CREDENTIALS = {name: KEY[name] for name in ("api_key", "secret")}
SECRETS = (KEY["secret"],)
READS = ["/v5/account/info", "/v5/market/instruments-info", "/v5/position/list", "/v5/order/realtime"]
MARGIN_WRITE = "/v5/position/add-margin"
HELD_MOVE_SECONDS = 7
STATE_CLOCKS = ()
UNKNOWN_OUTCOMES = [(200, "10000"), (200, "10016"), (200, "429"), (200, "-1"), (500, "10016")]  # bybit.md 2
IN_SYNC_OUTSIDE_POLICY = ({"ETHUSDT": {"margin_mode": "isolated", "leverage": 5}}, {"max_leverage": 4}, {})
RULE_TARGETS = {"leverage": "bb/ETHUSDT/leverage/isolated", "margin_mode": "bb/BTCUSDT/margin_mode",
                "margin_move": "bb/ETHUSDT/isolated_margin"}


def moved_position(call: dict) -> tuple:
    return call["body"]["symbol"], call["body"].get("positionIdx")


def config(where, url, symbols=None, settings=None, **account):
    symbols = symbols if symbols is not None else {
        "BTCUSDT": {"margin_mode": "isolated", "leverage": 4},
        "ETHUSDT": {"margin_mode": "isolated", "leverage": 5, "isolated_margin": 700}}
    return scenario.config(where, url, accounts={ACCOUNT: scenario.account(KEY, url, settings, symbols, **account)})


def rules_config(where, url):
    return scenario.config(where, url, accounts={ACCOUNT: scenario.account(KEY, url, None, {
        "BTCUSDT": {"margin_mode": "isolated", "leverage": 10},
        "ETHUSDT": {"margin_mode": "isolated", "leverage": 8, "isolated_margin": 700}})})


def success(data):
    return {"retCode": 0, "retMsg": "OK", "result": data, "retExtInfo": {}, "time": 0}
