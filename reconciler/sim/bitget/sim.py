"""The Bitget v2 mix (futures) simulator: its routes, limits and envelopes over the world, from `venues/bitget.md`.

It serves the endpoints a margin-settings tool (and ccxt's Bitget client) needs:

public (limits per IP)
    GET  /api/v2/public/time
    GET  /api/v2/mix/market/contracts
    GET  /api/v2/spot/public/coins, /api/v2/spot/public/symbols, /api/v2/margin/currencies
         (always empty lists: this simulator has no spot/margin markets; ccxt's `load_markets`
         asks for them)
private reads (limits per UID)
    GET  /api/v2/mix/account/account, /api/v2/mix/account/accounts
    GET  /api/v2/mix/position/all-position, /api/v2/mix/position/single-position
    GET  /api/v2/mix/order/orders-pending, /api/v2/mix/order/orders-plan-pending
private writes (5/s per UID each)
    POST /api/v2/mix/account/set-margin-mode, set-leverage, set-margin, set-position-mode

Any other path under /api/v2/ answers HTTP 404 with code 40404. The world section is described in
`world.py`, the money of isolated positions in `margin.py`. Every behaviour that `venues/bitget.md` marks
UNCONFIRMED is marked `# Unconfirmed:` where it is served.
"""

from __future__ import annotations

from aiohttp import web

from ..base import VenueSim
from . import reads, writes
from .auth import TIMESTAMP_WINDOW_MS, authenticate
from .errors import DOCUMENTED, BitgetError
from .params import json_params
from .values import now_ms
from .world import World


class BitgetSim(VenueSim):
    name = "bitget"
    prefix = "/api/v2/"
    # Documented limits (bitget.md §7). Private ones are per UID, public ones per IP.
    RATE_LIMITS = {
        "GET /api/v2/public/time": "20/1s",
        "GET /api/v2/mix/market/contracts": "20/1s",
        # not in bitget.md: ccxt's cost table (cost 6.6667 at 20/s -> 3/s IP, cost 1 -> 20/s IP)
        "GET /api/v2/spot/public/coins": "3/1s",
        "GET /api/v2/spot/public/symbols": "20/1s",
        "GET /api/v2/margin/currencies": "10/1s",
        "GET /api/v2/mix/account/account": "10/1s",
        "GET /api/v2/mix/account/accounts": "10/1s",
        "GET /api/v2/mix/position/single-position": "10/1s",
        "GET /api/v2/mix/position/all-position": "5/1s",
        "GET /api/v2/mix/order/orders-pending": "10/1s",
        "GET /api/v2/mix/order/orders-plan-pending": "10/1s",
        "POST /api/v2/mix/account/set-margin-mode": "5/1s",
        "POST /api/v2/mix/account/set-leverage": "5/1s",
        "POST /api/v2/mix/account/set-margin": "5/1s",
        "POST /api/v2/mix/account/set-position-mode": "5/1s",
    }

    # --- world ------------------------------------------------------------------------------
    def set_state(self, section: dict) -> None:
        self.world = World(section)

    def state(self) -> dict:
        return self.world.state()

    # --- routes -----------------------------------------------------------------------------
    def routes(self):
        p = "/api/v2"
        public, private = self._public, self._private
        return [
            ("GET", f"{p}/public/time", public(reads.server_time)),
            ("GET", f"{p}/mix/market/contracts", public(reads.contracts)),
            ("GET", f"{p}/spot/public/coins", public(reads.empty_list)),
            ("GET", f"{p}/spot/public/symbols", public(reads.empty_list)),
            ("GET", f"{p}/margin/currencies", public(reads.empty_list)),
            ("GET", f"{p}/mix/account/account", private(reads.account)),
            ("GET", f"{p}/mix/account/accounts", private(reads.accounts)),
            ("GET", f"{p}/mix/position/all-position", private(reads.all_position)),
            ("GET", f"{p}/mix/position/single-position", private(reads.single_position)),
            ("GET", f"{p}/mix/order/orders-pending", private(reads.orders_pending)),
            ("GET", f"{p}/mix/order/orders-plan-pending", private(reads.orders_plan_pending)),
            ("POST", f"{p}/mix/account/set-margin-mode", private(writes.set_margin_mode)),
            ("POST", f"{p}/mix/account/set-leverage", private(writes.set_leverage)),
            ("POST", f"{p}/mix/account/set-margin", private(writes.set_margin)),
            ("POST", f"{p}/mix/account/set-position-mode", private(writes.set_position_mode)),
            # registered last, so it only catches what nothing above serves (also a wrong method)
            ("*", p + "/{tail:.*}", self._not_found),
        ]

    def _public(self, handler):
        async def serve(request: web.Request) -> web.StreamResponse:
            # public limits are per IP (bitget.md §7)
            if not self.within_limit(f"ip:{request.remote}", request):
                return self.rate_limited(request)
            try:
                return self._envelope(request, handler(self.world, dict(request.query)))
            except BitgetError as err:
                return self._error(request, err)
        return serve

    def _private(self, handler):
        async def serve(request: web.Request) -> web.StreamResponse:
            body = await request.text()
            try:
                acct = authenticate(request, body, self.world.by_key, self.timestamp_window,
                                    lambda uid: self.identify(request, uid))
            except BitgetError as err:
                return self._error(request, err)
            # private limits are per UID: every key of one uid shares them (bitget.md §7)
            if not self.within_limit(acct["uid"], request):
                return self.rate_limited(request)
            try:
                if request.method == "POST":
                    params = json_params(request, body)
                else:
                    params = {key: value for key, value in request.query.items()}
                return self._envelope(request, handler(self.world, acct, params))
            except BitgetError as err:
                return self._error(request, err)
        return serve

    async def _not_found(self, request: web.Request) -> web.Response:
        return self._error(request, BitgetError("40404", "Request URL NOT FOUND", status=404))

    # --- answers ----------------------------------------------------------------------------
    def _envelope(self, request: web.Request, data) -> web.Response:
        return self.reply(request, {"code": "00000", "msg": "success", "requestTime": now_ms(), "data": data},
                          code="00000")

    def _error(self, request: web.Request, err: BitgetError) -> web.Response:
        return self.reply(request, {"code": err.code, "msg": err.msg, "requestTime": now_ms(), "data": None},
                          status=err.status, code=err.code)

    def rate_limited(self, request: web.Request) -> web.Response:
        # bitget.md §7: HTTP 429, body {"code":"429","msg":"Too Many Requests",...}
        return self.reply(request, {"code": "429", "msg": "Too Many Requests",
                                    "requestTime": now_ms(), "data": None}, status=429, code="429")

    def busy(self, request: web.Request) -> web.Response:
        # 40604 "Server is busy, please try again later" (legacy error table, as listed in ccxt:
        # ExchangeNotAvailable): the server did not take the request. (40015 "System is abnormal" does not
        # say whether anything was done, so it is not a "busy" answer.) Unconfirmed: its HTTP status; we
        # choose 503, which every careful client retries.
        return self.reply(request, {"code": "40604", "msg": "Server is busy, please try again later",
                                    "requestTime": now_ms(), "data": None}, status=503, code="40604")

    def error_reply(self, request, status: int, code: str, message: str | None) -> web.Response:
        return self._error(request, BitgetError(code, self.fault_message(message, DOCUMENTED, code), status))

    def documented_timestamp_window(self) -> float:
        return TIMESTAMP_WINDOW_MS / 1000
