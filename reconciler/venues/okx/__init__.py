"""OKX v5: the venue package (its declaration, auth, reads, calls, limits and rules)."""

from .adapter import OkxAdapter

__all__ = ["OkxAdapter"]
