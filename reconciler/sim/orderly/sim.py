"""The Orderly Network v1 simulator: its routes, limits and envelopes over the world, from `venues/orderly.md`.

Protocol
--------
* Private requests are signed with ed25519 (see `auth.py`); POST bodies must be JSON objects (`params.py`).
* Envelopes: `{"success": true, "data": ..., "timestamp": ms}` (write endpoints without data:
  `{"success": true, "timestamp": ms}`), failures `{"success": false, "code": -1xxx, "message": ...}` with
  the HTTP status of the documented error table (-1001/-1002 401, -1003 429, -1004/-1005/-1006/-1101 400,
  -1000 500).

Endpoints
---------
public:  GET /v1/public/info, /v1/public/info/{symbol}, /v1/public/token, /v1/public/chain_info,
         /v1/public/system_info, /v1/public/leverage (the last four so ccxt `woofipro` can load markets,
         currencies, status and time), /v1/public/config (the legacy account leverage choices)
private: GET /v1/client/leverages, /v1/client/leverage, /v1/client/margin_modes, /v1/client/info,
         /v1/client/holding, /v1/client/aggregate/holding, /v1/account_info, /v1/positions,
         /v1/position/{symbol}, /v1/orders, /v1/algo/orders;
         POST /v1/client/leverages (per symbol and margin mode), /v1/client/leverage (the older path: with
         `symbol` as /leverages, without it the account's legacy `max_leverage`), /v1/client/margin_mode,
         /v1/position_margin

The world section is described in `world.py`, the margin model in `margin.py`.
"""

from __future__ import annotations

from aiohttp import web

from ..base import VenueSim
from . import reads, writes
from .auth import TIMESTAMP_WINDOW_MS, authenticate
from .errors import DOCUMENTED, OrderlyError
from .values import now_ms
from .world import World


# Documented per-account ("per user") limits from orderly.md section 5. Keys use the route template.
RATE_LIMITS = {
    "GET /v1/public/info": "10/1s",  # per IP: counted per client address
    "GET /v1/public/info/{symbol}": "10/1s",
    "GET /v1/public/token": "10/1s",
    "GET /v1/public/chain_info": "10/1s",
    "GET /v1/public/system_info": "10/1s",
    "GET /v1/public/leverage": "10/1s",
    "POST /v1/client/leverages": "5/60s",
    "POST /v1/client/leverage": "5/60s",
    "GET /v1/client/leverage": "1/1s",  # SPEC says per IP; counted per account here
    # Unconfirmed: SPEC states no limit for GET /v1/client/leverages (ccxt cost 1 = 10/s); we choose
    # 10/1s because it is the safe behaviour (a client pacing to it cannot be surprised by a tighter one).
    "GET /v1/client/leverages": "10/1s",
    "POST /v1/client/margin_mode": "10/1s",
    "GET /v1/client/margin_modes": "10/1s",
    "POST /v1/position_margin": "10/1s",
    "GET /v1/positions": "30/10s",
    "GET /v1/position/{symbol}": "30/10s",
    "GET /v1/client/holding": "10/1s",
    "GET /v1/client/aggregate/holding": "1/60s",
    "GET /v1/client/info": "10/60s",
    "GET /v1/account_info": "10/1s",
    "GET /v1/orders": "10/1s",
    "GET /v1/algo/orders": "5/1s",  # SPEC: "Limit: 5 requests per 1 second"
    "GET /v1/public/config": "10/1s",
}

# Unconfirmed: whether the singular (older) and plural leverage paths share one 5/60s budget. We choose
# one shared budget because it is the safe behaviour: a client that paces to it also works if they are
# counted apart. Each path's own (possibly overridden) limit still applies to its requests.
_SHARED_BUCKETS = {
    "POST /v1/client/leverage": "POST /v1/client/leverage(s)",
    "POST /v1/client/leverages": "POST /v1/client/leverage(s)",
}



class OrderlySim(VenueSim):
    name = "orderly"
    prefix = "/v1/"
    RATE_LIMITS = RATE_LIMITS

    # --- world ------------------------------------------------------------------------------
    def set_state(self, section: dict) -> None:
        self.world = World(section)

    def state(self) -> dict:
        return self.world.state()

    # --- routes -----------------------------------------------------------------------------
    def routes(self):
        get, post = "GET", "POST"
        public, private = self._public, self._private
        return [
            (get, "/v1/public/info", public(reads.public_info)),
            (get, "/v1/public/info/{symbol}", public(reads.public_info_symbol)),
            (get, "/v1/public/token", public(reads.public_token)),
            (get, "/v1/public/chain_info", public(reads.public_chain_info)),
            (get, "/v1/public/system_info", public(reads.public_system_info)),
            (get, "/v1/public/leverage", public(reads.public_leverage)),
            (get, "/v1/public/config", public(reads.public_config)),
            (get, "/v1/client/leverages", private(reads.get_leverages)),
            (get, "/v1/client/leverage", private(reads.get_leverage)),
            (post, "/v1/client/leverages", private(writes.post_leverage)),
            (post, "/v1/client/leverage", private(writes.post_legacy_leverage)),
            (get, "/v1/client/margin_modes", private(reads.get_margin_modes)),
            (post, "/v1/client/margin_mode", private(writes.post_margin_mode)),
            (get, "/v1/client/info", private(reads.get_client_info)),
            (get, "/v1/client/holding", private(reads.get_holding)),
            (get, "/v1/client/aggregate/holding", private(reads.get_holding)),
            (get, "/v1/account_info", private(reads.get_account_info)),
            (get, "/v1/positions", private(reads.get_positions)),
            (get, "/v1/position/{symbol}", private(reads.get_position)),
            (get, "/v1/orders", private(reads.get_orders)),
            (get, "/v1/algo/orders", private(reads.get_algo_orders)),
            (post, "/v1/position_margin", private(writes.post_position_margin)),
        ]

    def _allow(self, who: str, request: web.Request) -> bool:
        resource = request.match_info.route.resource
        template = resource.canonical if resource is not None else request.path
        key = f"{request.method} {template}"
        limit = self._limits.get(key)
        if limit is None:
            return True
        return self._window.allow((who, _SHARED_BUCKETS.get(key, key)), limit)

    def _public(self, handler):
        async def wrapped(request: web.Request) -> web.Response:
            if not self._allow(f"ip:{request.remote}", request):
                return self.rate_limited(request)
            try:
                return self._ok(request, await handler(self.world, request))
            except OrderlyError as error:
                return self._fail(request, error)
        return wrapped

    def _private(self, handler):
        async def wrapped(request: web.Request) -> web.Response:
            try:
                account = await authenticate(request, self.world.accounts, self.timestamp_window,
                                             lambda account_id: self.identify(request, account_id))
            except OrderlyError as error:
                return self._fail(request, error)
            if not self._allow(account.account_id, request):
                return self.rate_limited(request)
            try:
                return self._ok(request, await handler(self.world, request, account))
            except OrderlyError as error:
                return self._fail(request, error)
        return wrapped

    # --- answers ----------------------------------------------------------------------------
    def _ok(self, request, data=None) -> web.Response:
        payload = {"success": True}
        if data is not None:
            payload["data"] = data
        payload["timestamp"] = now_ms()
        return self.reply(request, payload, status=200)

    def _fail(self, request, error: OrderlyError) -> web.Response:
        return self.reply(request, {"success": False, "code": error.code, "message": error.message},
                          status=error.status, code=error.code)

    def rate_limited(self, request: web.Request) -> web.Response:
        # DOCS error-codes: -1003 TOO_MANY_REQUEST, HTTP 429.
        return self._fail(request, OrderlyError(-1003, "Rate limit exceed."))

    def busy(self, request: web.Request) -> web.Response:
        # DOCS error-codes: -1012 (HTTP 400) "The order request was rejected by an internal module ... Please
        # try again in a few seconds": a rejection, so nothing was done. (-1011 "internal network error" does
        # not say whether the request was carried out, so it is not a "busy" answer.)
        return self._fail(request, OrderlyError(
            -1012, "The request was rejected by an internal module. Please try again in a few seconds."))

    def error_reply(self, request, status: int, code: str, message: str | None) -> web.Response:
        error = OrderlyError(int(code), self.fault_message(message, DOCUMENTED, code))
        error.status = status
        return self._fail(request, error)

    def documented_timestamp_window(self) -> float:
        return TIMESTAMP_WINDOW_MS / 1000
