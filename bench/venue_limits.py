"""The venues' documented rate limits, written from the venue documents, independent of the adapters.

Each line names where it was read: a section of /work/shared/venues/*.md (which cites the venue's own
page) or a page in /work/shared/seeds/. The benchmark takes its floors from here and
tests/test_venue_limits.py checks every adapter's pacing against it, so a wrong limit in an adapter
fails a test instead of being the yardstick it is measured with.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """At most `count` requests in any `seconds`, counted `per` UID, user or IP, as `source` says."""

    count: int
    seconds: float
    per: str
    source: str
    # False where the documents state no limit and the line is ccxt's cost weight for the endpoint
    # (its own reading of the venue); pacing to it is then the adapter's choice, not the venue's rule.
    stated: bool = True

    @property
    def text(self) -> str:
        return f"{self.count}/{self.seconds:g}s"


OKX_RATE = "venues/okx.md §6 (DOCS #overview-rate-limits)"
BITGET_RATE = "venues/bitget.md §7"
ORDERLY_SPEC = "venues/orderly.md §5 (SPEC)"

VENUE_LIMITS: dict[str, dict[str, Limit]] = {
    "okx": {  # okx.md §6: "all requests per 2 s"; private per User ID, public per IP
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
    },
    "bitget": {  # bitget.md §7: each endpoint counted separately; private per UID, public per IP
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
    },
    "orderly": {  # orderly.md §5: "as written in each SPEC entry"; DOCS say per Orderly key, SPEC per user or IP
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
    },
}

_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$")


def parse_limit(text: str) -> tuple[int, float]:
    """"10/2s" -> (10, 2.0); also "5/1m" and "100/500ms" (the form of the files' `rate_limits`)."""
    match = _LIMIT.match(str(text))
    if not match:
        raise ValueError(f"rate limit {text!r} is not of the form N/2s, N/1m or N/500ms")
    return int(match[1]), float(match[2]) * {"ms": 0.001, "s": 1.0, "m": 60.0}[match[3]]


def account_limits(venue: str, overrides: dict[str, str] | None = None) -> dict[str, tuple[int, float]]:
    """(count, seconds) per endpoint for one account: the documents, then the account's own overrides
    (a VIP tier the venue granted, written in the file's `rate_limits`)."""
    limits = {endpoint: (limit.count, limit.seconds) for endpoint, limit in VENUE_LIMITS[venue].items()}
    limits.update({endpoint: parse_limit(text) for endpoint, text in (overrides or {}).items()})
    return limits


def most_in_window(count: int, seconds: float, window: float) -> int:
    """The most requests a pacer of `count` per `seconds` lets through in any span of `window` seconds."""
    return count * math.ceil(window / seconds - 1e-9)


def not_looser(paced: tuple[int, float], documented: Limit) -> bool:
    """True when pacing to `paced` never sends more than the document allows in any of its windows."""
    return most_in_window(*paced, documented.seconds) <= documented.count


def window_floor(calls: int, count: int, seconds: float) -> float:
    """The least time `calls` requests take under `count` per `seconds`: the first `count` go at once,
    every further `count` waits a window."""
    return (math.ceil(calls / count) - 1) * seconds if calls > 0 else 0.0
