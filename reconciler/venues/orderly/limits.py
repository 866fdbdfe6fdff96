"""Orderly's documented rate limits, each line with where it was read (the yardstick its pacing is checked against)."""

from __future__ import annotations

from ..documented import Limit

ORDERLY_SPEC = "venues/orderly.md §5 (SPEC)"

# orderly.md §5: "as written in each SPEC entry"; DOCS say per Orderly key, SPEC per user or IP
DOCUMENTED_LIMITS: dict[str, Limit] = {
    "GET /v1/public/info": Limit(10, 1, "IP", ORDERLY_SPEC),
    "GET /v1/public/leverage": Limit(10, 1, "IP", ORDERLY_SPEC),
    "GET /v1/public/config": Limit(10, 1, "IP", ORDERLY_SPEC),
    "GET /v1/client/leverage": Limit(1, 1, "IP", ORDERLY_SPEC),
    "GET /v1/client/leverages": Limit(
        10, 1, "user", f"{ORDERLY_SPEC}: not stated; ccxt woofipro cost 1 at rateLimit 100 ms", stated=False),
    "GET /v1/client/margin_modes": Limit(10, 1, "user", ORDERLY_SPEC),
    "GET /v1/client/info": Limit(10, 60, "user", ORDERLY_SPEC),
    "GET /v1/client/holding": Limit(10, 1, "user", ORDERLY_SPEC),
    "GET /v1/client/aggregate/holding": Limit(1, 60, "user", ORDERLY_SPEC),
    "GET /v1/account_info": Limit(10, 1, "user", ORDERLY_SPEC),
    "GET /v1/positions": Limit(30, 10, "user", ORDERLY_SPEC),
    "GET /v1/positions_lite": Limit(10, 1, "user", ORDERLY_SPEC),
    "GET /v1/position/{symbol}": Limit(30, 10, "user", ORDERLY_SPEC),
    "GET /v1/orders": Limit(10, 1, "user", ORDERLY_SPEC),
    "GET /v1/algo/orders": Limit(
        5, 1, "user", "Orderly's OpenAPI spec for GET /v1/algo/orders: 'Limit: 5 requests per 1 second' "
                      "(not in orderly.md §5)"),
    "POST /v1/client/leverages": Limit(5, 60, "user", f"{ORDERLY_SPEC}, FLOW; orderly.md §6"),
    "POST /v1/client/leverage": Limit(5, 60, "user", f"{ORDERLY_SPEC} (git history), PYCONN"),
    "POST /v1/client/margin_mode": Limit(10, 1, "user", f"{ORDERLY_SPEC}, FLOW"),
    "POST /v1/position_margin": Limit(10, 1, "user", f"{ORDERLY_SPEC}, FLOW"),
    "POST /v1/order": Limit(10, 1, "user", ORDERLY_SPEC),
}
