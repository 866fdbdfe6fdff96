"""Bitget's product lines, the margin coin each takes, and what the contracts listing says about each symbol."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

MARGIN_COINS = {"USDT-FUTURES": "USDT", "USDC-FUTURES": "USDC", "SUSDT-FUTURES": "SUSDT",
                "SUSDC-FUTURES": "SUSDC"}  # COIN-FUTURES margin in the contract's base coin
# bitget.md 4: the product types (the S- ones are demo coins); COIN lines margin in the symbol's base coin
# (BTCUSD in BTC, demo SBTCSUSD in SBTC).
PRODUCT_TYPES = ("USDT-FUTURES", "USDC-FUTURES", "COIN-FUTURES", "SUSDT-FUTURES", "SUSDC-FUTURES", "SCOIN-FUTURES")
COIN_QUOTES = {"COIN-FUTURES": "USD", "SCOIN-FUTURES": "SUSD"}


@dataclass
class Listing:
    """What GET market/contracts said, per contract symbol (empty until it is read)."""

    base_coins: dict[str, str] = field(default_factory=dict)
    taker_fee_rates: dict[str, Decimal | None] = field(default_factory=dict)
    margin_coins: list[str] | None = None  # every margin coin of the product line's contracts


def margin_coin(adapter, symbol: str) -> str:
    """The margin coin of `symbol`: the file's, else the product line's, else the contract's base coin."""
    spec = adapter.account.symbols.get(symbol)
    if spec and spec.options.get("margin_coin"):
        return spec.options["margin_coin"].upper()  # "must be capitalized" (the parameter tables)
    if adapter.product_type in MARGIN_COINS:
        return MARGIN_COINS[adapter.product_type]
    symbol = adapter.canonical_symbol(symbol)
    return adapter.listing.base_coins.get(symbol) or symbol.removesuffix("USD")
