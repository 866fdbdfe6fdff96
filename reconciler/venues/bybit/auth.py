"""Bybit's request signature: the X-BAPI headers, HMAC-SHA256 in hex over timestamp, key, recv_window and payload.

bybit.md 1: the prehash is timestamp + api_key + recv_window + payload, the payload being the query string
of a GET and the exact JSON body of a POST; the venue executes a request only while its server time is at
most recv_window after the timestamp, so recv_window is the request's whole lifetime.
"""

from __future__ import annotations

import time

from ..signing import hmac_sha256_hex


def signed_headers(api_key: str, secret: str, method: str, path_with_query: str, body: str,
                   recv_window_ms: int) -> dict[str, str]:
    """The headers of one signed request, stamped now."""
    stamp = str(int(time.time() * 1000))
    payload = path_with_query.partition("?")[2] if method.upper() == "GET" else body
    window = str(recv_window_ms)
    return {
        "X-BAPI-API-KEY": api_key,
        "X-BAPI-TIMESTAMP": stamp,
        "X-BAPI-RECV-WINDOW": window,
        "X-BAPI-SIGN": hmac_sha256_hex(secret, stamp + api_key + window + payload),
        "X-BAPI-SIGN-TYPE": "2",  # HMAC (pybit sends it on every private call)
        "Content-Type": "application/json",
    }
