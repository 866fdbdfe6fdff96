"""HMAC-SHA256 signatures in base64, as Bitget and OKX both use them."""

from __future__ import annotations

import base64
import hashlib
import hmac


def hmac_sha256_base64(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
