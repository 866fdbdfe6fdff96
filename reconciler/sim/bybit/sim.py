"""The Bybit v5 simulator: routes under /v5/, signed requests, Bybit's limits and answers, over the world section.

Written from `venues/bybit.md` (and Bybit's v5 docs where it points to them), not from any adapter. pybit
and ccxt's bybit work against it unchanged once pointed at its address. Every answer is Bybit's envelope;
business errors come with HTTP 200 (bybit.md section 2); only transport-level refusals use another status
(401 missing auth headers, 403 the per-IP limit, 404 a route a demo account lacks).

Endpoints: market/time, market/instruments-info, market/risk-limit (public); account/info, user/query-api,
asset/coin/query-info (empty; ccxt's load_markets asks it), position/list, position/symbol-info,
order/realtime; account/set-margin-mode, position/switch-isolated, position/set-leverage,
position/switch-mode, position/add-margin, position/set-auto-add-margin. A cross position's liqPrice is
"" (Bybit's is an account-level estimate, and "" when it would fall outside the price filter).
"""

from __future__ import annotations

import json
from typing import Callable
from urllib.parse import parse_qsl

from aiohttp import web

from ..base import SIM_CODE, VenueSim
from . import reads, writes
from .answers import MESSAGES, BybitError, envelope, now_ms
from .auth import authenticate, payload_of
from .limits import IpGate, RollingWindow, Verdict
from .world import Account, World

IP_LIMIT_KEY = "IP /v5/*"

# bybit.md section 6 (DOCS rate-limit.mdx, UTA 2.0 Pro table): per UID and endpoint, rolling 1 s.
RATE_LIMITS = {
    "GET /v5/position/list": "50/1s",
    "GET /v5/order/realtime": "50/1s",
    "GET /v5/account/info": "50/1s",
    "GET /v5/user/query-api": "10/1s",  # DOCS rate-limit.mdx, "User" table: 10 req/s
    # Unconfirmed: not in the table (bybit.md section 6); the safe budget of 10/s.
    "GET /v5/position/symbol-info": "10/1s",
    "POST /v5/position/switch-isolated": "10/1s",
    "POST /v5/position/set-leverage": "10/1s",
    "POST /v5/position/switch-mode": "10/1s",
    "POST /v5/position/add-margin": "10/1s",
    "POST /v5/position/set-auto-add-margin": "10/1s",
    "POST /v5/account/set-margin-mode": "5/1s",
    # Per IP over every endpoint: 600 requests in 5 s, answered with HTTP 403 (DOCS rate-limit.mdx).
    IP_LIMIT_KEY: "600/5s",
}

Handler = Callable[..., dict]


class BybitSim(VenueSim):
    name = "bybit"
    prefix = "/v5/"
    RATE_LIMITS = RATE_LIMITS

    def __init__(self, section: dict | None = None, rate_limits: dict[str, str] | None = None,
                 timestamp_window: float | None = None):
        self._rolling = RollingWindow()
        self._ip_gate = IpGate(self._rolling)
        super().__init__(section, rate_limits, timestamp_window)

    # --- world ------------------------------------------------------------------------------
    def set_state(self, section: dict) -> None:
        self.world = World(section)

    def state(self) -> dict:
        return self.world.state()

    def reset_limits(self) -> None:
        super().reset_limits()
        self._rolling.reset()
        self._ip_gate.reset()

    # --- routes -----------------------------------------------------------------------------
    def routes(self):
        public, private = self._public, self._private
        return [
            ("GET", "/v5/market/time", public(reads.server_time)),
            ("GET", "/v5/market/instruments-info", public(reads.instruments_info)),
            ("GET", "/v5/market/risk-limit", public(reads.risk_limit)),
            ("GET", "/v5/account/info", private(reads.account_info)),
            ("GET", "/v5/user/query-api", private(reads.query_api)),
            ("GET", "/v5/asset/coin/query-info", private(reads.coin_info)),
            ("GET", "/v5/position/list", private(reads.position_list)),
            ("GET", "/v5/position/symbol-info", private(reads.symbol_info)),
            ("GET", "/v5/order/realtime", private(reads.open_orders)),
            ("POST", "/v5/account/set-margin-mode", private(writes.set_margin_mode, write=True)),
            ("POST", "/v5/position/switch-isolated", private(writes.switch_isolated, write=True)),
            ("POST", "/v5/position/set-leverage", private(writes.set_leverage, write=True)),
            ("POST", "/v5/position/switch-mode", private(writes.switch_mode, write=True)),
            ("POST", "/v5/position/add-margin", private(writes.add_margin, write=True)),
            ("POST", "/v5/position/set-auto-add-margin", private(writes.set_auto_add_margin, write=True)),
        ]

    def _public(self, handler: Handler):
        async def wrapped(request: web.Request) -> web.StreamResponse:
            if not self._ip_allowed(request):
                return self._ip_refused(request)
            try:
                return self._ok(request, handler(self.world, _query(request)))
            except BybitError as err:
                return self._fail(request, err)
        return wrapped

    def _private(self, handler: Handler, write: bool = False):
        async def wrapped(request: web.Request) -> web.StreamResponse:
            if not self._ip_allowed(request):
                return self._ip_refused(request)
            body = await request.text()
            try:
                account = authenticate(request, body, self.world.accounts, self.timestamp_window,
                                       lambda found: self.identify(request, found.uid))
            except BybitError as err:
                return self._fail(request, err)
            verdict = self._count(account, request)
            if verdict is not None and not verdict.allowed:
                return self._over_limit(request, verdict)
            try:
                if write and account.read_only:
                    raise BybitError(10005)
                params = _query(request) if request.method == "GET" else _body(payload_of(request, body))
                response = self._ok(request, handler(self.world, account, params))
            except BybitError as err:
                response = self._fail(request, err)
            if verdict is not None:
                response.headers.update(verdict.headers())
            return response
        return wrapped

    # --- limits -----------------------------------------------------------------------------
    def _count(self, account: Account, request: web.Request) -> Verdict | None:
        key = f"{request.method} {request.path}"
        limit = self._limits.get(key)
        return None if limit is None else self._rolling.take((account.uid, key), limit)

    def _ip_allowed(self, request: web.Request) -> bool:
        return self._ip_gate.allow(str(request.remote), self._limits[IP_LIMIT_KEY], self.world.ip_ban_seconds)

    def _ip_refused(self, request: web.Request) -> web.Response:
        # DOCS rate-limit.mdx: "403, access too frequent" - from the gateway, so no Bybit envelope.
        request[SIM_CODE] = None  # no venue code for the call log
        return web.Response(status=403, text="403 Forbidden: access too frequent")

    def _over_limit(self, request: web.Request, verdict: Verdict) -> web.Response:
        # DOCS rate-limit.mdx: HTTP 200, retCode 10006 "Too many visits!", the reset time in the header.
        response = self._fail(request, BybitError(10006, "Too many visits!"))
        response.headers.update(verdict.headers())
        return response

    # --- answers ----------------------------------------------------------------------------
    def _ok(self, request: web.Request, result: dict) -> web.Response:
        return self.reply(request, envelope(result), code=0)

    def _fail(self, request: web.Request, err: BybitError) -> web.Response:
        return self.reply(request, envelope(err.result, err.code, err.message), status=err.status, code=err.code)

    def rate_limited(self, request: web.Request) -> web.Response:
        count, window = self._limits.get(f"{request.method} {request.path}") or (0, 1.0)
        return self._over_limit(request, Verdict(False, count, 0, now_ms() + int(window * 1000)))

    def busy(self, request: web.Request) -> web.Response:
        # bybit.md section 2: 10016 "Server error." (WS table: "Service is restarting"); nothing was done.
        return self._fail(request, BybitError(10016))

    def error_reply(self, request, status: int, code: str, message: str | None) -> web.Response:
        text = self.fault_message(message, {str(k): v for k, v in MESSAGES.items()}, code)
        return self._fail(request, BybitError(int(code), text, status))

    def documented_timestamp_window(self) -> float:
        # The window is each request's own X-BAPI-RECV-WINDOW (DOCS guide.mdx); nothing caps it at Bybit.
        return float("inf")


def _query(request: web.Request) -> dict:
    """GET parameters parsed from the raw query (as signed); empty values count as absent."""
    pairs = parse_qsl(request.raw_path.partition("?")[2], keep_blank_values=True)
    params: dict = {}
    for key, value in pairs:
        if value != "" and key not in params:
            params[key] = value
    return params


def _body(body: str) -> dict:
    if not body.strip():
        return {}
    try:
        params = json.loads(body)
    except ValueError:
        raise BybitError(10001, "Request parameter error: the body is not JSON") from None
    if not isinstance(params, dict):
        raise BybitError(10001, "Request parameter error: the body must be a JSON object")
    return {key: value for key, value in params.items() if value not in ("", None)}
