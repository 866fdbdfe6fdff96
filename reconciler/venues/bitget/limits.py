"""Bitget's documented rate limits, each line with where it was read (the yardstick its pacing is checked against)."""

from __future__ import annotations

from ..documented import Limit

BITGET_RATE = "venues/bitget.md §7"

# bitget.md §7: each endpoint counted separately; private per UID, public per IP
DOCUMENTED_LIMITS: dict[str, Limit] = {
    "GET /api/v2/public/time": Limit(20, 1, "IP", f"{BITGET_RATE} (BG-CON, BNET); bitget.md §2"),
    "GET /api/v2/mix/market/contracts": Limit(20, 1, "IP", f"{BITGET_RATE} (BG-CON); bitget.md §5"),
    "GET /api/v2/mix/market/query-position-lever": Limit(10, 1, "IP", f"{BITGET_RATE} (CACHY-pos, BNET)"),
    "GET /api/v2/mix/account/account": Limit(10, 1, "UID", f"{BITGET_RATE} (BG-GSA); bitget.md §5"),
    "GET /api/v2/mix/account/accounts": Limit(10, 1, "UID", f"{BITGET_RATE} (CACHY-acct); bitget.md §5"),
    "GET /api/v2/mix/account/isolated-symbols": Limit(10, 1, "UID", f"{BITGET_RATE} (CACHY-acct)"),
    "GET /api/v2/mix/position/single-position": Limit(10, 1, "UID", f"{BITGET_RATE} (BG-GSP)"),
    "GET /api/v2/mix/position/all-position": Limit(5, 1, "UID", f"{BITGET_RATE} (BG-GAP); bitget.md §5"),
    "GET /api/v2/mix/order/orders-pending": Limit(10, 1, "UID", f"{BITGET_RATE} (BG-GOP); bitget.md §5"),
    "GET /api/v2/mix/order/orders-plan-pending": Limit(10, 1, "UID", f"{BITGET_RATE} (BG-GPP); bitget.md §5"),
    "POST /api/v2/mix/account/set-margin-mode": Limit(
        5, 1, "UID", f"{BITGET_RATE}; bitget.md §6; seeds/bitget-set-margin-mode.md (Frequency limit: "
                     "5 times/1s (uid))"),
    "POST /api/v2/mix/account/set-leverage": Limit(5, 1, "UID", f"{BITGET_RATE} (BG-CL); bitget.md §6"),
    "POST /api/v2/mix/account/set-margin": Limit(5, 1, "UID", f"{BITGET_RATE} (BG-CM); bitget.md §6"),
    "POST /api/v2/mix/account/set-position-mode": Limit(5, 1, "UID", f"{BITGET_RATE} (BG-CHM); bitget.md §6"),
    "POST /api/v2/mix/account/set-all-leverage": Limit(5, 1, "UID", BITGET_RATE),
    "POST /api/v2/mix/account/set-auto-margin": Limit(5, 1, "UID", BITGET_RATE),
}
