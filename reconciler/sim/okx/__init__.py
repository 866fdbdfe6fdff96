"""Simulator of OKX v5, written from `venues/okx.md`."""

from .sim import OkxSim

__all__ = ["OkxSim"]
