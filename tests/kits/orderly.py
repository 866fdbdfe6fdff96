"""Orderly's test kit: its default end-to-end scenario and the Orderly facts the shared venue tests use."""

from __future__ import annotations

import test_orderly_e2e as scenario

world, config = scenario.world, scenario.config
rules_world = scenario.world  # its BTC isolated position has margin to move
BTC, SOL, XRP = scenario.BTC, scenario.SOL, scenario.XRP

VENUE = "orderly"
ACCOUNT = "ol"
CREDENTIALS = {"account_id": scenario.ACCOUNT, "secret": scenario.SECRET}
SECRETS = (scenario.SECRET,)
READS = ["/v1/public/info", "/v1/client/margin_modes", "/v1/client/leverages", "/v1/positions", "/v1/orders"]
MARGIN_WRITE = "/v1/position_margin"
HELD_MOVE_SECONDS = 7
STATE_CLOCKS = ()
UNKNOWN_OUTCOMES = [(500, "-1000"), (500, "-1011")]
IN_SYNC_OUTSIDE_POLICY = ({BTC: {"margin_mode": "isolated", "leverage": 5}}, {"max_leverage": 4}, {})
RULE_TARGETS = {"leverage": f"ol/{XRP}/leverage/cross", "margin_mode": f"ol/{SOL}/margin_mode",
                "margin_move": f"ol/{BTC}/isolated_margin"}


def moved_position(call: dict) -> tuple:
    return call["body"]["symbol"], None  # one isolated position a symbol: the body names no side


def rules_config(where, url):
    return config(where, url, symbols={
        XRP: {"margin_mode": "cross", "leverage": 20}, SOL: {"margin_mode": "isolated"},
        BTC: {"margin_mode": "isolated", "leverage": 5, "isolated_margin": 1300}})


def success(data):
    return {"success": True, "data": data}
