"""Bitget v2 futures: the venue package (its declaration, auth, reads, calls, limits and rules)."""

from .adapter import BitgetAdapter

__all__ = ["BitgetAdapter"]
