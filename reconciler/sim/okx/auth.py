"""OKX request authentication: the OK-ACCESS headers, the HMAC-SHA256 signature, timestamp and expTime."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from datetime import datetime, timezone
from typing import Callable

from aiohttp import web

from .errors import OkxError
from .values import now_ms
from .world import World

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def authenticate(request: web.Request, body: str, world: World, window: float,
                 identify: Callable[[web.Request, str], None]) -> dict:
    """The account whose key signed this request, or the 501xx refusal OKX gives (okx.md 1)."""
    headers = request.headers
    key = headers.get("OK-ACCESS-KEY", "")
    sign = headers.get("OK-ACCESS-SIGN", "")
    stamp = headers.get("OK-ACCESS-TIMESTAMP", "")
    passphrase = headers.get("OK-ACCESS-PASSPHRASE", "")
    if not key:
        raise OkxError("50103", 'Request header "OK-ACCESS-KEY" can not be empty.', 401)
    if not passphrase:
        raise OkxError("50104", 'Request header "OK-ACCESS-PASSPHRASE" can not be empty.', 401)
    if not sign:
        raise OkxError("50106", 'Request header "OK-ACCESS-SIGN" can not be empty.', 401)
    if not stamp:
        raise OkxError("50107", 'Request header "OK-ACCESS-TIMESTAMP" can not be empty.', 401)
    if not _TIMESTAMP.match(stamp):
        raise OkxError("50112", 'Invalid OK-ACCESS-TIMESTAMP', 401)
    try:
        sent = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise OkxError("50112", "Invalid OK-ACCESS-TIMESTAMP", 401) from None
    # Unconfirmed: okx.md has no REST timestamp window (30 s for WebSocket login, "likely" 30 s
    # for REST); we choose 30 s either way because it is the safe behaviour (a stricter server
    # makes a client that does not keep its clock in sync fail here rather than on the venue).
    if abs(time.time() - sent.timestamp()) > window:
        raise OkxError("50102", "Timestamp request expired", 401)
    acct = world.by_key.get(key)
    if acct is None:
        raise OkxError("50111", "Invalid OK-ACCESS-KEY", 401)
    identify(request, str(acct["uid"]))
    if passphrase != str(acct["passphrase"]):
        raise OkxError("50105", 'Request header "OK-ACCESS-PASSPHRASE" incorrect.', 401)
    demo_header = headers.get("x-simulated-trading", "0").strip() == "1"
    if acct.get("demo") is not None and bool(acct["demo"]) != demo_header:
        raise OkxError("50101", "APIKey does not match current environment.", 401)
    # requestPath is the path with the query string exactly as sent (okx.md section 1).
    prehash = stamp + request.method.upper() + request.raw_path + body
    expected = base64.b64encode(
        hmac.new(str(acct["secret"]).encode(), prehash.encode(), hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(expected, sign):
        raise OkxError("50113", "Invalid Sign", 401)
    if request.method == "POST" and body:
        ctype = request.headers.get("Content-Type", "")
        if "application/json" not in ctype.lower():
            raise OkxError("50006", "Invalid Content-Type, please use 'application/json' format", 400)
    return acct


def check_exp_time(request: web.Request) -> None:
    """OKX "Transaction timeouts": a request whose expTime header is past is not processed.

    Unconfirmed: OKX documents expTime for placing and amending orders only, and names no code for a
    request refused by it. We honour it on every private request, which can only refuse, and answer
    50102 ("Timestamp request expired", HTTP 401): the request was not processed. A malformed expTime is
    refused as a parameter error (51000), the safe behaviour.
    """
    raw = request.headers.get("expTime")
    if raw is None or raw == "":
        return
    try:
        deadline = int(raw)
    except ValueError:
        raise OkxError("51000", "Parameter expTime error", 400) from None
    if now_ms() > deadline:
        raise OkxError("50102", "Timestamp request expired", 401)
