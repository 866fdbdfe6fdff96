"""The venues the reconciler supports: one line per venue."""

from __future__ import annotations

import importlib

ADAPTERS = {
    "binance": "reconciler.venues.binance:BinanceAdapter",
    "bitget": "reconciler.venues.bitget:BitgetAdapter",
    "bybit": "reconciler.venues.bybit:BybitAdapter",
    "okx": "reconciler.venues.okx:OkxAdapter",
    "orderly": "reconciler.venues.orderly:OrderlyAdapter",
}


def supported_venues() -> list[str]:
    return list(ADAPTERS)


def adapter_class(venue: str):
    module_name, _, class_name = ADAPTERS[venue].partition(":")
    return getattr(importlib.import_module(module_name), class_name)
