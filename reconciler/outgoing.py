"""A request as it leaves for the venue: what an adapter's auth hook may rewrite whole (headers, query, body)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outgoing:
    method: str
    path: str  # below the base URL, with its query string (`/fapi/v1/leverage?symbol=BTCUSDT`)
    body: str = ""  # exactly the bytes sent (JSON, or a form)
    headers: dict[str, str] = field(default_factory=dict)
