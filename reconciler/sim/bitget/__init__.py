"""Simulator of Bitget v2 futures, written from `venues/bitget.md`."""

from .sim import BitgetSim

__all__ = ["BitgetSim"]
