"""Simulator of Orderly, written from `venues/orderly.md`."""

from .sim import OrderlySim

__all__ = ["OrderlySim"]
