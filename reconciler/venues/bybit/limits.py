"""Bybit v5's documented rate limits, each line with where it was read (the yardstick its pacing is checked against)."""

from __future__ import annotations

from ..documented import Limit

BYBIT_RATE = "venues/bybit.md §6 (DOCS rate-limit.mdx, UTA 2.0 Pro table)"
BYBIT_UNCONFIRMED = "venues/bybit.md §6: not in the table, Unconfirmed; its safe budget of 10/s"

# bybit.md §6: per UID and endpoint over a rolling 1 s; public ones only within the per-IP limit
DOCUMENTED_LIMITS: dict[str, Limit] = {
    "GET /v5/market/instruments-info": Limit(600, 5, "IP", "venues/bybit.md §6: 600 requests per 5 s per IP, "
                                                          "every endpoint together"),
    "GET /v5/market/risk-limit": Limit(600, 5, "IP", "venues/bybit.md §6: 600 requests per 5 s per IP, "
                                                     "every endpoint together"),
    "GET /v5/account/info": Limit(50, 1, "UID", BYBIT_RATE),
    "GET /v5/position/list": Limit(50, 1, "UID", BYBIT_RATE),
    "GET /v5/order/realtime": Limit(50, 1, "UID", BYBIT_RATE),
    "GET /v5/position/symbol-info": Limit(10, 1, "UID", BYBIT_UNCONFIRMED, stated=False),
    "GET /v5/user/query-api": Limit(10, 1, "UID", BYBIT_UNCONFIRMED, stated=False),
    "POST /v5/position/switch-isolated": Limit(10, 1, "UID", BYBIT_UNCONFIRMED, stated=False),
    "POST /v5/account/set-margin-mode": Limit(5, 1, "UID", BYBIT_RATE),
    "POST /v5/position/set-leverage": Limit(10, 1, "UID", BYBIT_RATE),
    "POST /v5/position/switch-mode": Limit(10, 1, "UID", BYBIT_RATE),
    "POST /v5/position/add-margin": Limit(10, 1, "UID", BYBIT_RATE),
}
