"""The Binance USDⓈ-M simulator: its routes with their request weights, and the answers of the framework hooks.

Endpoints (weights per binance.md §6 and the SDK docstrings; all private ones are signed):

public      GET  /fapi/v1/ping, /fapi/v1/time, /fapi/v1/exchangeInfo                        1
settings    GET  /fapi/v1/symbolConfig, /fapi/v1/accountConfig                              5
            GET  /fapi/v1/positionSide/dual, /fapi/v1/multiAssetsMargin                     30
            GET  /fapi/v1/leverageBracket                                                   1
positions   GET  /fapi/v2/positionRisk, /fapi/v3/positionRisk                               5
orders      GET  /fapi/v1/openOrders, /fapi/v1/openAlgoOrders               1 with symbol, 40 without
balances    GET  /fapi/v2/account, /fapi/v3/account, /fapi/v2/balance, /fapi/v3/balance     5
            GET  /fapi/v1/positionMargin/history                                            1
writes      POST /fapi/v1/marginType, /fapi/v1/leverage, /fapi/v1/positionMargin,
                 /fapi/v1/positionSide/dual, /fapi/v1/multiAssetsMargin                     1
papi        GET  /papi/v1/um/account (Portfolio Margin keys only)                           5

Request weight is counted per client address (Binance: per IP, whatever the key) in the REQUEST_WEIGHT
windows of exchangeInfo.rateLimits, reported in X-MBX-USED-WEIGHT-1M (one header per window) on every
answer. Past the limit: HTTP 429, -1003, Retry-After; a request from that address before Retry-After has
passed: HTTP 418, banned 2 minutes, doubling per ban up to 3 days. The settings endpoints are not orders,
so no ORDERS limit applies to them (binance.md §6, unconfirmed; the safe reading); the world's
`rate_limits` still add per-account limits to any endpoint ("POST /fapi/v1/leverage": "2/1s").

Simplifications: no market data (mark prices come from the world), no fees (breakEvenPrice = entryPrice),
open orders lock no margin, every margin asset counts at 1 USD in the account totals, HMAC keys only.
A cross liquidation price uses the cross wallet of the symbol's margin asset, also in Multi-Assets mode.
A symbol's exchangeInfo `status` is reported as the world gives it and changes nothing else (binance.md
§4.8 leaves the full enum and what a settling symbol refuses unconfirmed). Of Portfolio Margin's own API
(`/papi/`, binance.md §3.4) only GET /papi/v1/um/account is simulated, on the same address: a PM key reads
its UM account there (every symbol's leverage) and is refused on fapi (-2015), any other key the other way
round. papi requests share the IP's weight but are not in the call log (it holds the /fapi/ traffic).
"""

from __future__ import annotations

from aiohttp import web

from .. import base
from . import reads, writes
from .auth import MAX_RECV_WINDOW_MS, authenticate, params
from .books import Books
from .errors import MESSAGES, BinanceError
from .weights import WeightMeter
from .world import World


def _by_symbol(with_symbol: int, without: int):
    return lambda given: with_symbol if given.get("symbol") else without


_PUBLIC = [
    ("GET", "/fapi/v1/ping", reads.ping, 1),
    ("GET", "/fapi/v1/time", reads.server_time, 1),
    ("GET", "/fapi/v1/exchangeInfo", reads.exchange_info, 1),
]
_PRIVATE = [
    ("GET", "/fapi/v1/symbolConfig", reads.symbol_config, 5),
    ("GET", "/fapi/v1/accountConfig", reads.account_config, 5),
    ("GET", "/fapi/v1/positionSide/dual", reads.position_mode, 30),
    ("GET", "/fapi/v1/multiAssetsMargin", reads.multi_assets_mode, 30),
    ("GET", "/fapi/v1/leverageBracket", reads.leverage_bracket, 1),
    ("GET", "/fapi/v2/positionRisk", reads.position_risk_v2, 5),
    ("GET", "/fapi/v3/positionRisk", reads.position_risk_v3, 5),
    ("GET", "/fapi/v1/openOrders", reads.open_orders, _by_symbol(1, 40)),
    ("GET", "/fapi/v1/openAlgoOrders", reads.open_algo_orders, _by_symbol(1, 40)),
    ("GET", "/fapi/v2/account", reads.account_v2, 5),
    ("GET", "/fapi/v3/account", reads.account_v3, 5),
    ("GET", "/fapi/v2/balance", reads.balance, 5),
    ("GET", "/fapi/v3/balance", reads.balance, 5),
    ("GET", "/fapi/v1/positionMargin/history", reads.margin_history, 1),
    ("POST", "/fapi/v1/marginType", writes.margin_type, 1),
    ("POST", "/fapi/v1/leverage", writes.leverage, 1),
    ("POST", "/fapi/v1/positionMargin", writes.position_margin, 1),
    ("POST", "/fapi/v1/positionSide/dual", writes.position_side, 1),
    ("POST", "/fapi/v1/multiAssetsMargin", writes.multi_assets, 1),
]
# Unconfirmed weight (not in binance.md §6): 5, like fapi's account reads.
_PAPI = [("GET", "/papi/v1/um/account", reads.pm_um_account, 5)]


class BinanceSim(base.VenueSim):
    name = "binance"
    prefix = "/fapi/"
    RATE_LIMITS: dict[str, str] = {}  # no per-account limits on these endpoints (see the module docstring)

    # --- world ------------------------------------------------------------------------------
    def set_state(self, section: dict) -> None:
        self.world = World(section)
        self.meter = WeightMeter(self.world.rate_limits)

    def state(self) -> dict:
        return self.world.dump()

    def reset_limits(self) -> None:
        super().reset_limits()
        self.meter.reset()

    def documented_timestamp_window(self) -> float:
        return MAX_RECV_WINDOW_MS / 1000  # each request's own recvWindow (default 5 s) narrows it

    # --- routes -----------------------------------------------------------------------------
    def routes(self):
        table = [(method, path, self._serve(handler, weight, public=True))
                 for method, path, handler, weight in _PUBLIC]
        table += [(method, path, self._serve(handler, weight, public=False))
                  for method, path, handler, weight in _PRIVATE]
        table += [(method, path, self._serve(handler, weight, public=False, papi=True))
                  for method, path, handler, weight in _PAPI]
        # registered last, so it only catches what nothing above serves (also a wrong method)
        table.append(("*", "/fapi/{tail:.*}", self._not_found))
        return table

    def _serve(self, handler, weight, public: bool, papi: bool = False):
        async def serve(request: web.Request) -> web.StreamResponse:
            body = await request.text()
            given = params(request, body)
            verdict = self.meter.admit(request.remote, weight(given) if callable(weight) else weight)
            if verdict.outcome == "banned":
                message = (f"Way too many requests; IP({request.remote}) banned until {verdict.banned_until_ms}. "
                           "Please use the websocket for live updates to avoid bans.")
                return self._error(request, BinanceError(-1003, status=418, msg=message), verdict.retry_after)
            if verdict.outcome == "limited":
                return self._too_many(request, verdict.retry_after)
            try:
                if public:
                    if not self.within_limit(f"ip:{request.remote}", request):
                        return self.rate_limited(request)
                    return self._answer(request, handler(self.world, given))
                account = authenticate(self.world, request, body, self.timestamp_window, papi)
                self.identify(request, account["uid"])
                if not self.within_limit(account["uid"], request):
                    return self.rate_limited(request)
                return self._answer(request, handler(Books(self.world, account), given))
            except BinanceError as err:
                return self._error(request, err)
        return serve

    async def _not_found(self, request: web.Request) -> web.Response:
        # Unconfirmed: Binance's answer to an unknown path; we answer 404 with its -5000 wording.
        return self._error(request, BinanceError(
            -5000, status=404, msg=f"Path {request.path}, Method {request.method} is invalid"))

    # --- answers ----------------------------------------------------------------------------
    def _with_weight(self, request: web.Request, response: web.Response, retry_after: int | None = None):
        response.headers.update(self.meter.used(request.remote))
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    def _answer(self, request: web.Request, payload) -> web.Response:
        code = payload.get("code") if isinstance(payload, dict) else None
        return self._with_weight(request, self.reply(request, payload, code=code))

    def _error(self, request: web.Request, err: BinanceError, retry_after: int | None = None) -> web.Response:
        response = self.reply(request, err.body(), status=err.status, code=err.code)
        return self._with_weight(request, response, retry_after)

    def _too_many(self, request: web.Request, retry_after: int) -> web.Response:
        return self._error(request, BinanceError(-1003, self.meter.limit_of_minute(), status=429), retry_after)

    def rate_limited(self, request: web.Request) -> web.Response:
        return self._too_many(request, 1)

    def busy(self, request: web.Request) -> web.Response:
        # GI: HTTP 503 with "Internal error; unable to process your request. Please try again." means the
        # request failed and may be sent again.
        return self._error(request, BinanceError(-1001, status=503))

    def error_reply(self, request: web.Request, status: int, code: str, message: str | None) -> web.Response:
        number = int(code)
        documented = MESSAGES.get(number, "")
        if number == -1003:
            documented = documented % self.meter.limit_of_minute()
        text = message or documented or f"Simulated venue error {code}"
        return self._error(request, BinanceError(number, status=status, msg=text))
