"""OKX's documented rate limits, each line with where it was read (the yardstick its pacing is checked against)."""

from __future__ import annotations

from ..documented import Limit

OKX_RATE = "venues/okx.md §6 (DOCS #overview-rate-limits)"

# okx.md §6: "all requests per 2 s"; private per User ID, public per IP
DOCUMENTED_LIMITS: dict[str, Limit] = {
    "GET /api/v5/public/time": Limit(10, 2, "IP", OKX_RATE),
    "GET /api/v5/public/instruments": Limit(20, 2, "IP + instType", f"{OKX_RATE}; okx.md §4.5"),
    "GET /api/v5/account/instruments": Limit(20, 2, "User ID + instType", f"{OKX_RATE}; okx.md §4.5"),
    "GET /api/v5/public/position-tiers": Limit(10, 2, "IP", OKX_RATE),
    "GET /api/v5/account/config": Limit(5, 2, "User ID", f"{OKX_RATE}; okx.md §4.1"),
    "GET /api/v5/account/positions": Limit(10, 2, "User ID", f"{OKX_RATE}; okx.md §4.3"),
    "GET /api/v5/account/leverage-info": Limit(20, 2, "User ID", f"{OKX_RATE}; okx.md §4.2"),
    "GET /api/v5/account/adjust-leverage-info": Limit(5, 2, "User ID", OKX_RATE),
    "GET /api/v5/account/max-size": Limit(20, 2, "User ID", OKX_RATE),
    "GET /api/v5/account/max-avail-size": Limit(20, 2, "User ID", OKX_RATE),
    "GET /api/v5/account/balance": Limit(10, 2, "User ID", OKX_RATE),
    "GET /api/v5/trade/orders-pending": Limit(60, 2, "User ID", f"{OKX_RATE}; okx.md §4.4"),
    "GET /api/v5/trade/orders-algo-pending": Limit(20, 2, "User ID", f"{OKX_RATE}; okx.md §4.4"),
    # Not in okx.md or the seeds: the grid-bot list (read only before an account setting changes).
    # 20/2s per User ID is the figure OKX's grid-trading page is recalled to give, unconfirmed here.
    "GET /api/v5/tradingBot/grid/orders-algo-pending": Limit(20, 2, "User ID", "unconfirmed", stated=False),
    "POST /api/v5/account/set-leverage": Limit(
        20, 2, "User ID", f"{OKX_RATE}; seeds/okx-set-leverage.md (Rate limit: 20 requests per 2 seconds)"),
    "POST /api/v5/account/position/margin-balance": Limit(
        20, 2, "User ID", f"{OKX_RATE}; seeds/okx-margin-balance.md (Rate Limit: 20 requests per 2 seconds)"),
    "POST /api/v5/account/set-isolated-mode": Limit(
        5, 2, "User ID", f"{OKX_RATE}; seeds/okx-set-isolated-mode.md (Rate Limit: 5 requests per 2 seconds)"),
    "POST /api/v5/account/set-position-mode": Limit(5, 2, "User ID", f"{OKX_RATE}; okx.md §5.5"),
}
