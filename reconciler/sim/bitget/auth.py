"""Bitget's request signing as the simulator checks it: the ACCESS-* headers, the timestamp, the HMAC (§2)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Callable
from urllib.parse import unquote

from aiohttp import web

from .errors import BitgetError
from .values import now_ms

TIMESTAMP_WINDOW_MS = 30_000  # bitget.md §2: requests more than 30 s from server time are expired


def authenticate(request: web.Request, body: str, by_key: dict[str, dict], window_seconds: float,
                 identify: Callable[[str], None]) -> dict:
    """The account of a signed request (`identify` is told its uid once the key is known); BitgetError else."""
    headers = request.headers
    key = headers.get("ACCESS-KEY", "")
    sign = headers.get("ACCESS-SIGN", "")
    stamp = headers.get("ACCESS-TIMESTAMP", "")
    passphrase = headers.get("ACCESS-PASSPHRASE", "")
    # `paptrading: 1` (demo) and `locale` are accepted and ignored.
    if not key:
        raise BitgetError("40001", "ACCESS_KEY cannot be empty")
    if not sign:
        raise BitgetError("40002", "ACCESS_SIGN cannot be empty")
    if not stamp:
        raise BitgetError("40005", "Invalid ACCESS_TIMESTAMP")
    if not passphrase:
        raise BitgetError("40011", "ACCESS_PASSPHRASE cannot be empty")
    if not stamp.isdigit():
        raise BitgetError("40005", "Invalid ACCESS_TIMESTAMP")
    if abs(now_ms() - int(stamp)) > window_seconds * 1000:
        raise BitgetError("40008", "Request timestamp expired")
    acct = by_key.get(key)
    if acct is None:
        # 40006 "Invalid ACCESS_KEY" and 40037 "Apikey does not exist" are both documented;
        # we answer 40037, whose text names this case (ccxt maps both to AuthenticationError).
        raise BitgetError("40037", "Apikey does not exist")
    identify(acct["uid"])
    if not hmac.compare_digest(passphrase, acct["passphrase"]):
        # 40012 rather than 40036 "passphrase is error": both documented; ccxt maps 40012
        # to AuthenticationError and does not know 40036.
        raise BitgetError("40012", "apikey/password is incorrect")
    path, _, query = request.raw_path.partition("?")
    # The client signs the query it sends. ccxt signs the raw (not percent-encoded) query while
    # its URL carries the encoded one, and Bitget decodes before checking (bitget.md §2), so
    # the decoded form is accepted too. Sorted and unsorted queries are both accepted.
    # Unconfirmed: whether V2 insists on a sorted query; we choose to accept both because the
    # signature covers the exact bytes sent either way, so nothing unsafe is accepted.
    candidates = {query, unquote(query)}
    secret = acct["secret"].encode()
    for candidate in candidates:
        prehash = stamp + request.method.upper() + path + (("?" + candidate) if candidate else "") + body
        expected = base64.b64encode(hmac.new(secret, prehash.encode(), hashlib.sha256).digest()).decode()
        if hmac.compare_digest(expected, sign):
            return acct
    raise BitgetError("40009", "sign signature error")
