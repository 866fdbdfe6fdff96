"""HMAC-SHA256 signatures: in base64, as Bitget and OKX use them; in lower-case hex, as Bybit does."""

from __future__ import annotations

import base64
import hashlib
import hmac


def hmac_sha256_base64(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def hmac_sha256_hex(secret: str, message: str) -> str:
    """Lower-case hex HMAC-SHA256, as Bybit (and Binance) sign."""
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
