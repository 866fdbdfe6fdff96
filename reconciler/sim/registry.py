"""The venue simulators this package has: one line per venue."""

from __future__ import annotations

import importlib

SIMULATORS = {
    "binance": "reconciler.sim.binance:BinanceSim",
    "bitget": "reconciler.sim.bitget:BitgetSim",
    "bybit": "reconciler.sim.bybit:BybitSim",
    "okx": "reconciler.sim.okx:OkxSim",
    "orderly": "reconciler.sim.orderly:OrderlySim",
}


def simulator_class(venue: str):
    module_name, _, class_name = SIMULATORS[venue].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def available_venues() -> list[str]:
    """The venues whose simulator module exists."""
    names = []
    for venue in SIMULATORS:
        try:
            simulator_class(venue)
        except ModuleNotFoundError:
            continue
        names.append(venue)
    return names
