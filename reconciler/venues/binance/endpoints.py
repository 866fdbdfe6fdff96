"""The fapi endpoints this adapter uses, and the request weight Binance counts per IP for each (binance.md §6)."""

from __future__ import annotations

EXCHANGE_INFO = "/fapi/v1/exchangeInfo"
ACCOUNT_CONFIG = "/fapi/v1/accountConfig"
SYMBOL_CONFIG = "/fapi/v1/symbolConfig"
LEVERAGE_BRACKET = "/fapi/v1/leverageBracket"
POSITION_RISK = "/fapi/v3/positionRisk"
OPEN_ORDERS = "/fapi/v1/openOrders"
OPEN_ALGO_ORDERS = "/fapi/v1/openAlgoOrders"
MARGIN_TYPE = "/fapi/v1/marginType"
LEVERAGE = "/fapi/v1/leverage"
POSITION_MARGIN = "/fapi/v1/positionMargin"
POSITION_MODE = "/fapi/v1/positionSide/dual"
# Portfolio Margin's UM account (binance.md §3.4), read only to tell a Portfolio Margin key from a refused one.
PM_ACCOUNT = "/papi/v1/um/account"

# binance.md §6 (SDK docstrings, `Weight(IP)`): what each request costs in the 2400-per-minute budget of an IP.
WEIGHTS = {
    f"GET {EXCHANGE_INFO}": 1,
    f"GET {ACCOUNT_CONFIG}": 5,
    f"GET {SYMBOL_CONFIG}": 5,
    f"GET {LEVERAGE_BRACKET}": 1,
    f"GET {POSITION_RISK}": 5,
    f"POST {MARGIN_TYPE}": 1,
    f"POST {LEVERAGE}": 1,
    f"POST {POSITION_MARGIN}": 1,
    f"POST {POSITION_MODE}": 1,
    # Unconfirmed: the Portfolio Margin page's weight of GET /papi/v1/um/account; 5, like fapi's account reads.
    f"GET {PM_ACCOUNT}": 5,
}
# openOrders and openAlgoOrders: 1 with `symbol`, 40 without (all symbols in one answer).
BY_SYMBOL = {f"GET {OPEN_ORDERS}": (1, 40), f"GET {OPEN_ALGO_ORDERS}": (1, 40)}


def request_weight(call) -> int:
    """The weight Binance counts for `call` (its endpoint and, for the order lists, whether it names a symbol)."""
    if call.endpoint in BY_SYMBOL:
        with_symbol, without = BY_SYMBOL[call.endpoint]
        return with_symbol if (call.query or {}).get("symbol") else without
    return WEIGHTS.get(call.endpoint, 1)
