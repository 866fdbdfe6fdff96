"""Orderly: the venue package (its declaration, auth, reads, calls, limits and rules)."""

from .adapter import OrderlyAdapter

__all__ = ["OrderlyAdapter"]
