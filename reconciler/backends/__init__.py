"""Where runs share state: the interface (base), `local` (today's files behind it) and `postgres` (several machines)."""

from __future__ import annotations

from .base import Backend, BackendError, RunRecord, backend_from_url, redacted

__all__ = ["Backend", "BackendError", "RunRecord", "backend_from_url", "redacted"]
