"""Orderly's request signing: an ed25519 key from the base58 secret, and the orderly-* headers it signs (§3)."""

from __future__ import annotations

import base64
import time

import base58
from nacl.exceptions import CryptoError
from nacl.signing import SigningKey

from ...errors import ConfigError


def load_key(account, secret: str) -> SigningKey:
    """The ed25519 signing key from the base58 private key; the value itself is never shown."""
    where = account.origins.get("secret", f"account {account.name}: credentials.secret")
    text = secret.strip()
    # ccxt strips an optional "ed25519:" prefix from the secret (orderly.md section 3); so do we.
    if text.startswith("ed25519:"):
        text = text[len("ed25519:"):]
    try:
        raw = base58.b58decode(text)
    except ValueError:
        raw = b""
    problem = (f"{where}: credential 'secret' is not a base58 ed25519 private key "
               "(32 bytes once decoded; the value is not shown)")
    if len(raw) == 64:
        # A libsodium-style secret key (seed + public key): accept it only when the halves agree.
        try:
            key = SigningKey(raw[:32])
        except CryptoError:
            raise ConfigError(problem) from None
        if bytes(key.verify_key) != raw[32:]:
            raise ConfigError(problem)
        return key
    if len(raw) != 32:
        raise ConfigError(problem)
    return SigningKey(raw)


def public_key(signing_key: SigningKey) -> str:
    """The `orderly-key` header: ed25519:<base58 public key>."""
    return "ed25519:" + base58.b58encode(bytes(signing_key.verify_key)).decode()


def signed_headers(account_id: str, signing_key: SigningKey | None, orderly_key: str, method: str,
                   path_with_query: str, body: str) -> dict[str, str]:
    timestamp = str(int(time.time() * 1000))
    signature = b""
    if signing_key is not None:
        message = (timestamp + method.upper() + path_with_query + body).encode()
        signature = signing_key.sign(message).signature
    # The docs' examples disagree on the `=` padding (Node/ccxt strip it, the Python example keeps
    # it); server tolerance is unconfirmed. We send url-safe base64 without padding as ccxt does,
    # the form a production client is known to use.
    return {
        "orderly-account-id": account_id,
        "orderly-key": orderly_key,
        "orderly-timestamp": timestamp,
        "orderly-signature": base64.urlsafe_b64encode(signature).decode().rstrip("="),
        "Content-Type": content_type(method),
    }


def content_type(method: str) -> str:
    # orderly.md section 3: JSON for POST/PUT, form-urlencoded for GET/DELETE.
    return "application/json" if method.upper() in ("POST", "PUT") else "application/x-www-form-urlencoded"
