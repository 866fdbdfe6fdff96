"""Binance USDⓈ-M's documented rate limits, each line with where it was read (the yardstick its pacing is checked against)."""

from __future__ import annotations

from ..documented import Limit

# binance.md §6: request weight per IP, 2400 per minute; an endpoint used alone gets 2400 / its weight.
BINANCE_WEIGHT = "venues/binance.md §6 (2400 request weight per minute per IP"
ORDERS = "venues/binance.md §6 (ORDERS, if writes count)"

# binance.md §6: weights per IP; the ORDERS limits per account (1200/min, 300/10 s)
DOCUMENTED_LIMITS: dict[str, Limit] = {
    "GET /fapi/v1/exchangeInfo": Limit(2400, 60, "IP", f"{BINANCE_WEIGHT}; weight 1)"),
    "GET /fapi/v1/accountConfig": Limit(480, 60, "IP", f"{BINANCE_WEIGHT}; weight 5)"),
    "GET /fapi/v1/symbolConfig": Limit(480, 60, "IP", f"{BINANCE_WEIGHT}; weight 5)"),
    "GET /fapi/v1/leverageBracket": Limit(2400, 60, "IP", f"{BINANCE_WEIGHT}; weight 1)"),
    "GET /fapi/v3/positionRisk": Limit(480, 60, "IP", f"{BINANCE_WEIGHT}; weight 5)"),
    "GET /fapi/v1/openOrders": Limit(60, 60, "IP", f"{BINANCE_WEIGHT}; weight 40 without symbol)"),
    "GET /fapi/v1/openAlgoOrders": Limit(60, 60, "IP", f"{BINANCE_WEIGHT}; weight 40 without symbol)"),
    # Not in binance.md §6: the weight of Portfolio Margin's UM account read; 5, like fapi's account reads.
    "GET /papi/v1/um/account": Limit(480, 60, "IP", "unconfirmed: weight 5 assumed", stated=False),
    # The writes weigh 1 (2400/min per IP); whether they count as ORDERS (1200/min per account) is unconfirmed.
    "POST /fapi/v1/marginType": Limit(1200, 60, "account", ORDERS),
    "POST /fapi/v1/leverage": Limit(1200, 60, "account", ORDERS),
    "POST /fapi/v1/positionMargin": Limit(1200, 60, "account", ORDERS),
    "POST /fapi/v1/positionSide/dual": Limit(1200, 60, "account", ORDERS),
}
