"""OKX's test kit: its default end-to-end scenario and the OKX facts the shared venue tests use."""

from __future__ import annotations

import test_liquidation_preview as previews
import test_okx_e2e as scenario

world, config, KEY = scenario.world, scenario.config, scenario.KEY
rules_world = previews.okx_world  # positions with margin to move

VENUE = "okx"
ACCOUNT = "ox"
CREDENTIALS = {name: KEY[name] for name in ("api_key", "secret", "passphrase")}
SECRETS = (KEY["secret"], KEY["passphrase"])
READS = ["/api/v5/public/instruments", "/api/v5/account/config", "/api/v5/account/leverage-info",
         "/api/v5/account/positions", "/api/v5/trade/orders-pending", "/api/v5/trade/orders-algo-pending"]
MARGIN_WRITE = "/api/v5/account/position/margin-balance"
HELD_MOVE_SECONDS = 4  # a signed request's expTime is 5 s
STATE_CLOCKS = ()
UNKNOWN_OUTCOMES = [(500, "50026"), (400, "50004")]
IN_SYNC_OUTSIDE_POLICY = ({"SOL-USDT-SWAP": {"margin_mode": "isolated", "leverage": 5}}, {"min_leverage": 6}, {})
# OKX keeps no margin mode per symbol: the mode a rule can forbid is that of a leverage change.
RULE_TARGETS = {"leverage": "ox/BTC-USDT-SWAP/leverage/cross", "margin_mode": "ox/BTC-USDT-SWAP/leverage/cross",
                "margin_move": "ox/ETH-USDT-SWAP/isolated_margin/long"}


def moved_position(call: dict) -> tuple:
    return call["body"]["instId"], call["body"].get("posSide")


def rules_config(where, url):
    return config(where, url, symbols={
        "BTC-USDT-SWAP": {"margin_mode": "cross", "leverage": 8},
        "ETH-USDT-SWAP": {"margin_mode": "isolated", "leverage": {"long": 10, "short": 10},
                          "isolated_margin": {"long": 400, "short": 1}}})


def success(data):
    return {"code": "0", "msg": "", "data": data}
