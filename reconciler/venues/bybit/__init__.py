"""Bybit v5 derivatives: the venue package (its declaration, auth, errors, reads, rules, calls and liquidation)."""

from .adapter import BybitAdapter

__all__ = ["BybitAdapter"]
