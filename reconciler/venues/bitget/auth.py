"""Bitget's request signing: base64 HMAC-SHA256 of timestamp + method + path + body, with key and passphrase (§2)."""

from __future__ import annotations

import time

from ..signing import hmac_sha256_base64


def signed_headers(credentials: dict[str, str], demo: bool, method: str, path_with_query: str,
                   body: str) -> dict[str, str]:
    timestamp = str(int(time.time() * 1000))
    return {
        "ACCESS-KEY": credentials.get("api_key", ""),
        "ACCESS-SIGN": hmac_sha256_base64(credentials.get("secret", ""), timestamp + method + path_with_query + body),
        "ACCESS-TIMESTAMP": timestamp,
        "ACCESS-PASSPHRASE": credentials.get("passphrase", ""),
        **public_headers(demo),
    }


def public_headers(demo: bool) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "locale": "en-US"}
    if demo:
        headers["paptrading"] = "1"  # bitget.md §3: demo keys on the live host
    return headers
