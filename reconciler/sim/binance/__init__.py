"""Simulator of Binance USDⓈ-M futures (fapi), written from `venues/binance.md`."""

from .sim import BinanceSim

__all__ = ["BinanceSim"]
