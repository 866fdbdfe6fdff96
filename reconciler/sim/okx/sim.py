"""The OKX v5 REST simulator: its routes under /api/v5/, OKX's envelope, signatures and rate limits.

Written from `venues/okx.md` and the OKX doc pages in `seeds/`, not from any adapter. It speaks enough
of the real protocol that the official `python-okx` SDK and ccxt's OKX client work against it unchanged
once pointed at its address:

- signatures: OK-ACCESS-KEY / -SIGN / -TIMESTAMP / -PASSPHRASE, HMAC-SHA256 over
  ``timestamp + METHOD + requestPath(+raw query) + body``, checked for real (HTTP 401, 501xx codes);
- the envelope ``{"code": "0", "msg": "", "data": [...]}``; business errors HTTP 200 with the code,
  parameter errors HTTP 400 (50014, 50015, 51000, 59105, ...), as okx.md's error table gives them;
- empty-string parameters count as absent (python-okx sends ``""`` for every unused argument);
- the documented per-UID (private) and per-IP (public) rate limits, answered with 50011;
- the ``expTime`` request header: a request processed after it is refused and nothing is done
  (``auth.check_exp_time``: which code, unconfirmed).

Endpoints: public/time, public/instruments, account/instruments, account/config, account/balance,
account/positions, account/leverage-info, account/adjust-leverage-info, trade/orders-pending,
trade/orders-algo-pending, tradingBot/grid/orders-algo-pending, asset/currencies (ccxt's load_markets
calls it when it has keys), account/set-leverage, account/position/margin-balance,
account/set-isolated-mode, account/set-position-mode.

Instruments are keyed by (instType, instId): OKX lists ``BTC-USDT`` both as SPOT and as MARGIN. Where an
id alone names one (set-leverage, positions), the leveraged listing wins (MARGIN over SPOT).

What each account mode (``config.acctLv``) allows, as seed okx-set-leverage's 11 scenarios give it:
Spot mode (1) has no futures or swaps (51010); cross MARGIN leverage is per pair only in Spot and
futures mode (2, scenario 3) and per currency (``ccy``) in the others (scenarios 2, 4, 5; in Spot mode
only with ``config.enableSpotBorrow``); Portfolio margin (4) neither reads (59111) nor sets (51039) cross
leverage of futures and swaps and has the net position mode only (51041). The world section and its
defaults are described in world.py.
"""

from __future__ import annotations

from typing import Callable

from aiohttp import web

from ..base import EncodedRows, VenueSim
from . import orders, reads, writes
from .auth import authenticate, check_exp_time
from .errors import DOCUMENTED_MESSAGES, OkxError
from .params import body_params, query_params
from .world import World, config_of

TIMESTAMP_WINDOW_S = 30.0


class OkxSim(VenueSim):
    name = "okx"
    prefix = "/api/v5/"
    # Per okx.md section 6 (DOCS #overview-rate-limits): per User ID unless noted.
    RATE_LIMITS = {
        "GET /api/v5/public/time": "10/2s",  # rule IP
        "GET /api/v5/public/instruments": "20/2s",  # rule IP + instType
        "GET /api/v5/account/instruments": "20/2s",  # rule User ID + instType
        "GET /api/v5/account/config": "5/2s",
        "GET /api/v5/account/positions": "10/2s",
        "GET /api/v5/account/leverage-info": "20/2s",
        "GET /api/v5/account/adjust-leverage-info": "5/2s",
        "GET /api/v5/account/balance": "10/2s",
        "GET /api/v5/trade/orders-pending": "60/2s",
        "GET /api/v5/trade/orders-algo-pending": "20/2s",
        # Not in okx.md; the OKX docs page "Get currencies" gives 6 requests per second, User ID.
        "GET /api/v5/asset/currencies": "6/1s",
        # Unconfirmed: not in okx.md; 20 / 2 s per User ID like the other pending-algo list.
        "GET /api/v5/tradingBot/grid/orders-algo-pending": "20/2s",
        "POST /api/v5/account/set-leverage": "20/2s",
        "POST /api/v5/account/position/margin-balance": "20/2s",
        "POST /api/v5/account/set-isolated-mode": "5/2s",
        "POST /api/v5/account/set-position-mode": "5/2s",
    }

    # --- world ------------------------------------------------------------------------------
    def set_state(self, section: dict) -> None:
        self.world = World(section)

    def state(self) -> dict:
        return self.world.state()

    # --- venue answers for the framework ----------------------------------------------------
    def rate_limited(self, request: web.Request) -> web.Response:
        # Unconfirmed: okx.md lists 50011 both as HTTP 200 "Rate limit reached..." and as HTTP 429
        # "Too Many Requests"; we choose HTTP 429 because it is the safe behaviour (a client must
        # read the status as well as the code, and generic HTTP retry layers recognise 429).
        return self._error(request, OkxError("50011", "Too Many Requests", 429))

    def busy(self, request: web.Request) -> web.Response:
        # okx.md section 6: 50013 (HTTP 429) "Systems are busy".
        return self._error(request, OkxError("50013", "Systems are busy. Please try again later.", 429))

    def error_reply(self, request, status: int, code: str, message: str | None) -> web.Response:
        return self._error(request, OkxError(code, self.fault_message(message, DOCUMENTED_MESSAGES, code), status))

    def documented_timestamp_window(self) -> float:
        return TIMESTAMP_WINDOW_S

    # --- routes -----------------------------------------------------------------------------
    def routes(self):
        get, post = "GET", "POST"
        p = "/api/v5/"
        public, private = self._public, self._private
        return [
            (get, p + "public/time", public(reads.public_time)),
            (get, p + "public/instruments", public(reads.public_instruments, by_inst_type=True)),
            (get, p + "account/instruments", private(reads.account_instruments, by_inst_type=True)),
            (get, p + "account/config", private(reads.config)),
            (get, p + "account/balance", private(reads.balance)),
            (get, p + "account/positions", private(reads.positions)),
            (get, p + "account/leverage-info", private(reads.leverage_info)),
            (get, p + "account/adjust-leverage-info", private(reads.adjust_leverage_info)),
            (get, p + "trade/orders-pending", private(orders.orders_pending)),
            (get, p + "trade/orders-algo-pending", private(orders.orders_algo_pending)),
            (get, p + "tradingBot/grid/orders-algo-pending", private(orders.grid_bots_pending)),
            (get, p + "asset/currencies", private(reads.currencies)),
            (post, p + "account/set-leverage", private(writes.set_leverage, write=True)),
            (post, p + "account/position/margin-balance", private(writes.margin_balance, write=True)),
            (post, p + "account/set-isolated-mode", private(writes.set_isolated_mode, write=True)),
            (post, p + "account/set-position-mode", private(writes.set_position_mode, write=True)),
        ]

    # --- plumbing ---------------------------------------------------------------------------
    def _ok(self, request, data: list) -> web.Response:
        if isinstance(data, EncodedRows):  # an instrument listing, encoded once per world (world.py)
            return self.reply_text(request, '{"code":"0","msg":"","data":[' + ",".join(data) + "]}", code="0")
        return self.reply(request, {"code": "0", "msg": "", "data": data}, code="0")

    def _error(self, request, err: OkxError) -> web.Response:
        return self.reply(request, {"code": err.code, "msg": err.msg, "data": []},
                          status=err.status, code=err.code)

    def _public(self, handler: Callable[..., list], by_inst_type: bool = False):
        async def wrapped(request: web.Request) -> web.Response:
            params = query_params(request)
            key = f"ip:{request.remote}"
            if by_inst_type:
                key += f":{params.get('instType', '')}"
            if not self.within_limit(key, request):
                return self.rate_limited(request)
            try:
                return self._ok(request, handler(self.world, params))
            except OkxError as err:
                return self._error(request, err)
        return wrapped

    def _private(self, handler: Callable[..., list], write: bool = False, by_inst_type: bool = False):
        async def wrapped(request: web.Request) -> web.Response:
            body = await request.text()
            try:
                acct = authenticate(request, body, self.world, self.timestamp_window, self.identify)
            except OkxError as err:
                return self._error(request, err)
            uid = str(acct["uid"])
            try:
                check_exp_time(request)
                params = query_params(request) if request.method == "GET" else body_params(request, body)
            except OkxError as err:
                return self._error(request, err)
            key = uid + (f":{params.get('instType', '')}" if by_inst_type else "")
            if not self.within_limit(key, request):
                return self.rate_limited(request)
            try:
                if write and "trade" not in str(config_of(acct).get("perm", "read_only,trade")):
                    raise OkxError("50120", "API key doesn't have permission to use this function")
                return self._ok(request, handler(self.world, acct, params))
            except OkxError as err:
                return self._error(request, err)
        return wrapped
