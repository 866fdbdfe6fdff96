"""The Bybit v5 simulator (unified and classic accounts), written from venues/bybit.md."""

from .sim import BybitSim

__all__ = ["BybitSim"]
