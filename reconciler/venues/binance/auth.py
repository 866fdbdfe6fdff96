"""Binance's SIGNED requests: timestamp and recvWindow in the query, HMAC-SHA256 hex of query + body last (binance.md §1)."""

from __future__ import annotations

import time
from dataclasses import replace

from ...outgoing import Outgoing
from ..signing import hmac_sha256_hex

KEY_HEADER = "X-MBX-APIKEY"
DEFAULT_RECV_WINDOW_MS = 5000  # GI: recvWindow defaults to 5000 ms


def signed(request: Outgoing, api_key: str, secret: str, recv_window_ms: int) -> Outgoing:
    """The request with `timestamp` and `recvWindow` appended to its query, then `signature` as the last parameter.

    The signature covers the query string exactly as sent (still percent-encoded) followed by the body, which is
    what Binance compares (GI: totalParams is the query string concatenated with the request body).
    """
    path, _, query = request.path.partition("?")
    stamped = "&".join(part for part in (query, f"timestamp={int(time.time() * 1000)}",
                                         f"recvWindow={recv_window_ms}") if part)
    signature = hmac_sha256_hex(secret, stamped + request.body)
    return replace(request, path=f"{path}?{stamped}&signature={signature}",
                   headers={**request.headers, KEY_HEADER: api_key})
