"""Binance USDⓈ-M futures (fapi): the venue package (its declaration, auth, reads, calls, rules and liquidation)."""

from .adapter import BinanceAdapter

__all__ = ["BinanceAdapter"]
