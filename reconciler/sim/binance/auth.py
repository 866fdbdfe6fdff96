"""Signed requests as Binance checks them: X-MBX-APIKEY, HMAC-SHA256 of query + body, timestamp and recvWindow."""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import parse_qsl

from aiohttp import web

from .errors import BinanceError, invalid, missing
from .world import World, now_ms

DEFAULT_RECV_WINDOW_MS = 5000
MAX_RECV_WINDOW_MS = 60000  # binance.md §1: unconfirmed for fapi; larger values are refused (-1021)
AHEAD_LIMIT_MS = 1000  # a timestamp 1000 ms or more ahead of server time is refused
_KEY = re.compile(r"^[A-Za-z0-9]{1,128}$")


def params(request: web.Request, body: str) -> dict[str, str]:
    """The request's parameters: the form body's, then the query string's, which win (GI)."""
    merged = dict(parse_qsl(body, keep_blank_values=True)) if body else {}
    merged.update(request.query)
    merged.pop("signature", None)
    return merged


def authenticate(world: World, request: web.Request, body: str, window_s: float, papi: bool = False) -> dict:
    """The account a signed request belongs to; BinanceError with Binance's code when it is refused.

    The signature is checked against the raw (still percent-encoded) query string concatenated with the
    raw body, each without its `signature` parameter: what both the SDK and ccxt sign (binance.md §1).
    Only HMAC-SHA256 keys are simulated. `papi`: the request is to the Portfolio Margin API, which only a
    Portfolio Margin account's key may use (fapi is the other way round).
    """
    key = request.headers.get("X-MBX-APIKEY", "")
    if not _KEY.match(key):
        raise BinanceError(-2014)
    account = world.by_key.get(key)
    if account is None:
        raise BinanceError(-2015)
    query = request.raw_path.partition("?")[2]
    given = params(request, body)
    _check_time(given, window_s)
    signatures = [value for name, value in parse_qsl(query + "&" + body, keep_blank_values=True)
                  if name == "signature"]
    if not signatures:
        raise missing("signature")
    total = _without_signature(query) + _without_signature(body)
    expected = hmac.new(account["secret"].encode(), total.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signatures[-1].lower()):
        raise BinanceError(-1022)
    if account["portfolioMargin"] != papi:
        # binance.md §3.4: a Portfolio Margin account trades UM through papi; fapi refuses its key. Unconfirmed:
        # what papi answers a key of an account without Portfolio Margin; -2015 here, its "permissions" refusal.
        raise BinanceError(-2015)
    return account


def _check_time(given: dict, window_s: float) -> None:
    stamp = given.get("timestamp", "")
    if not stamp:
        raise missing("timestamp")
    if not stamp.isdigit():
        raise invalid("timestamp")
    window = given.get("recvWindow") or str(DEFAULT_RECV_WINDOW_MS)
    if not window.isdigit():
        raise invalid("recvWindow")
    if int(window) > MAX_RECV_WINDOW_MS:
        raise BinanceError(-1021)
    now = now_ms()
    if int(stamp) - now >= AHEAD_LIMIT_MS:
        raise BinanceError(-1021, msg="Timestamp for this request was 1000ms ahead of the server's time.")
    # The world's timestamp_windows (seconds) caps what a request's recvWindow can allow.
    if now - int(stamp) > min(int(window), window_s * 1000):
        raise BinanceError(-1021)


def _without_signature(text: str) -> str:
    return "&".join(part for part in text.split("&") if part and not part.startswith("signature="))
