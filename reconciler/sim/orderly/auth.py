"""Orderly's request signing as the simulator checks it: the orderly-* headers, the timestamp, the ed25519 signature.

Private requests carry `orderly-account-id`, `orderly-key` (`ed25519:<base58 public key>`),
`orderly-timestamp` (ms) and `orderly-signature`: the base64 ed25519 signature (url-safe as the docs
say, or standard as Orderly's own Python SDK `orderly-evm-connector` sends it; padding optional) of
`timestamp + METHOD + path_with_query + body`, verified for real with PyNaCl against the raw path and
query exactly as received and the body bytes exactly as received. The timestamp must be within 300 s
of the server clock.
"""

from __future__ import annotations

import base64
import binascii
from typing import Callable

import base58
from aiohttp import web
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from .errors import OrderlyError
from .values import now_ms

TIMESTAMP_WINDOW_MS = 300_000  # DOCS api-authentication: within 300 s of server time


async def authenticate(request: web.Request, accounts: dict, window_seconds: float,
                       identify: Callable[[str], None]):
    """The account of a signed request (`identify` is told the account id it names); OrderlyError else."""
    headers = request.headers
    account_id = headers.get("orderly-account-id")
    key = headers.get("orderly-key")
    timestamp = headers.get("orderly-timestamp")
    signature = headers.get("orderly-signature")
    if account_id:
        identify(account_id)
    if not (account_id and key and timestamp and signature):
        raise OrderlyError(-1001, "orderly-account-id, orderly-key, orderly-timestamp and "
                                  "orderly-signature headers are required.")
    if verify_key(key) is None:
        raise OrderlyError(-1001, "The orderly-key is in wrong format.")
    if not timestamp.isdigit():
        raise OrderlyError(-1001, "The orderly-timestamp is in wrong format.")
    if abs(now_ms() - int(timestamp)) > window_seconds * 1000:
        # Unconfirmed: the code for a timestamp outside the 300 s window is not documented. We choose
        # -1001 (HTTP 401, an authentication failure ccxt does not retry) because it is the safe
        # behaviour: the request is refused before anything else is looked at.
        raise OrderlyError(-1001, "The orderly-timestamp is expired.")
    account = accounts.get(account_id)
    if account is None or account.orderly_key != key:
        raise OrderlyError(-1002, "The orderly key is invalid, expired or not registered to this account.")
    raw_signature = _decode_signature(signature)
    body = await request.text()
    message = f"{timestamp}{request.method.upper()}{request.raw_path}{body}".encode()
    try:
        if raw_signature is None:
            raise BadSignatureError("malformed")
        account.verify_key.verify(message, raw_signature)
    except BadSignatureError:
        raise OrderlyError(-1001, "The signature is invalid.") from None
    return account


def verify_key(orderly_key: str) -> VerifyKey | None:
    if not isinstance(orderly_key, str) or not orderly_key.startswith("ed25519:"):
        return None
    try:
        raw = base58.b58decode(orderly_key[len("ed25519:"):])
    except ValueError:
        return None
    if len(raw) != 32:
        return None
    try:
        return VerifyKey(raw)
    except Exception:  # noqa: BLE001 - any malformed key is "wrong format"
        return None


def _decode_signature(text: str) -> bytes | None:
    # Docs: url-safe base64, with or without the `=` padding; their cURL sample and Orderly's own Python SDK
    # (orderly-evm-connector, lib/utils.generate_signature) send standard base64 (`+`, `/`), which Orderly
    # accepts, so both alphabets are taken. The signature is still verified over the exact bytes received.
    if not text:
        return None
    padded = text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4)
    try:
        signature = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return signature if len(signature) == 64 else None

