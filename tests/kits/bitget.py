"""Bitget's test kit: its default end-to-end scenario and the Bitget facts the shared venue tests use."""

from __future__ import annotations

import test_bitget_e2e as scenario
import test_liquidation_preview as previews

world, config, KEY = scenario.world, scenario.config, scenario.KEY
rules_world = previews.bitget_world  # positions with margin to move

VENUE = "bitget"
ACCOUNT = "bg"
CREDENTIALS = {name: KEY[name] for name in ("api_key", "secret", "passphrase")}
SECRETS = (KEY["secret"], KEY["passphrase"])
READS = ["/api/v2/mix/market/contracts", "/api/v2/mix/account/account", "/api/v2/mix/position/all-position",
         "/api/v2/mix/order/orders-pending", "/api/v2/mix/order/orders-plan-pending"]
MARGIN_WRITE = "/api/v2/mix/account/set-margin"
HELD_MOVE_SECONDS = 7
STATE_CLOCKS = ()
UNKNOWN_OUTCOMES = [(500, "40015")]
IN_SYNC_OUTSIDE_POLICY = ({"DOGEUSDT": {"margin_mode": "cross", "leverage": 10}}, {"max_leverage": 5},
                          {"settings": {}})
RULE_TARGETS = {"leverage": "bg/SOLUSDT/leverage/cross", "margin_mode": "bg/DOGEUSDT/margin_mode",
                "margin_move": "bg/ETHUSDT/isolated_margin/long"}


def moved_position(call: dict) -> tuple:
    return call["body"]["symbol"], call["body"].get("holdSide")


def rules_config(where, url):
    return config(where, url, symbols={
        "SOLUSDT": {"margin_mode": "cross", "leverage": 20},
        "DOGEUSDT": {"margin_mode": "isolated", "leverage": {"long": 10, "short": 10}},
        "ETHUSDT": {"margin_mode": "isolated", "leverage": {"long": 10, "short": 10},
                    "isolated_margin": {"long": 1800, "short": 1}}})


def success(data):
    return {"code": "00000", "msg": "success", "data": data}
