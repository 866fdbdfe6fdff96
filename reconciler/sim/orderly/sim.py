"""Orderly Network v1 REST simulator, written from `venues/orderly.md` and the isolated-margin guide.

Protocol
--------
* Private requests carry `orderly-account-id`, `orderly-key` (`ed25519:<base58 public key>`),
  `orderly-timestamp` (ms) and `orderly-signature`: the base64 ed25519 signature (url-safe as the docs
  say, or standard as Orderly's own Python SDK `orderly-evm-connector` sends it; padding optional) of
  `timestamp + METHOD + path_with_query + body`, verified for real with PyNaCl against the raw path and
  query exactly as received and the body bytes exactly as received. The timestamp must be within 300 s
  of the server clock. Content types are not enforced (clients send `application/x-www-form-urlencoded`
  on GET/DELETE and `application/json` on POST/PUT); POST bodies must be JSON objects.
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

World section (keys pinned by DESIGN.md; optional extras marked +)
-----------------------------------------------------------------
symbols:  symbol, base_imr, base_mmr, imr_factor, + any other `/v1/public/info` field (quote_tick,
          base_tick, base_min, base_max, min_notional, price_range, ...) overriding the plausible defaults.
accounts: account_id, orderly_key, balances {token: amount}, margin_modes {symbol: CROSS|ISOLATED},
          leverage {symbol: {CROSS: n, ISOLATED: n}}, positions [{symbol, margin_mode, position_qty
          (signed), margin, average_open_price, + mark_price}], orders [{symbol, side, order_type,
          order_price, order_quantity, margin_mode, + order_id, status, created_time, reduce_only}],
          + algo_orders [{symbol, side, algo_type, quantity, trigger_price, margin_mode, + algo_order_id,
          algo_status, created_time}] (pending TP/SL and stop orders, GET /v1/algo/orders),
          + max_leverage (legacy account-level value shown by /v1/client/info), + email.
Orders without `order_id` / `margin_mode` / `status` get one when loaded (sequential id, the symbol's
default margin mode, NEW); `state()` then includes them so ids and modes stay stable across a round-trip.
A symbol named by an account but absent from `symbols` is served with the defaults of `_IMPLICIT_SYMBOL`
(and listed by `/v1/public/info`), but is not added to `state()["symbols"]`.

Defaults chosen (settings the world does not give)
--------------------------------------------------
* default margin mode of a symbol: CROSS (orderly.md: Cross Margin is the default).
* leverage of a symbol in a mode never set: `DEFAULT_LEVERAGE` = 10, capped at the symbol's maximum
  floor(1/base_imr). orderly.md marks this unconfirmed; 10 is the common venue default.
* account `max_leverage` (legacy, /v1/client/info; set by POST /v1/client/leverage without `symbol` to one
  of `ACCOUNT_LEVERAGE_CHOICES`): 20 (the SPEC's example). It does not cap the per-symbol leverage (the JS
  SDK migrated to symbol-level leverage in v2.7.3).
* mark price of a position: its `mark_price` if given, else `average_open_price` (so unsettled PnL is 0).

Model simplifications (documented, Decimal arithmetic throughout)
----------------------------------------------------------------
* Only the USDC holding counts as collateral (other tokens' weights/haircuts are not modelled). Balances
  are the wallet holding *outside* isolated positions: ADD moves USDC from the holding into the position's
  `margin`, REDUCE moves it back, so both change by exactly the amount.
* Position IMR ratio = max(1/leverage, base_imr, imr_factor * |notional|^0.8), MMR ratio =
  max(base_mmr, base_mmr/base_imr * imr_factor * |notional|^0.8) (orderly.md section 6), notional at mark.
* free_collateral = USDC holding + cross unsettled PnL - sum(cross position notional * IMR at the
  symbol's CROSS leverage) - sum(pending cross order notional * max(1/L_cross, base_imr)) - sum(pending
  isolated order notional * (1/L_isolated + 0.0006)) (isolated order frozen, orderly.md section 7).
* max ADD = max(0, min(USDC holding, free_collateral - max(cross unsettled PnL, 0)));
  max REDUCE = max(0, margin - notional * IMR(at the symbol's ISOLATED leverage) + min(0, unsettled PnL))
  (JS SDK maxAddReduce.ts formulas quoted in orderly.md section 7). Beyond either: -1101.
* Leverage: integer 1..100; at most floor(min(1/(imr_factor * N^0.8), 1/base_imr)) where N is the
  notional of the symbol's position in that mode (0 without one). A CROSS change must leave
  free_collateral >= 0 (validation step 3) else -1101.
* est_liq_price: isolated per the JS SDK formula (margin - cost_position) / (|qty| * MMR - qty) with no
  funding; cross: a one-position approximation mark - (total collateral - maintenance margin) / qty.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import zlib
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

import base58
from aiohttp import web
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from ..base import VenueSim

MODES = ("CROSS", "ISOLATED")
DEFAULT_MARGIN_MODE = "CROSS"
DEFAULT_LEVERAGE = 10
DEFAULT_ACCOUNT_MAX_LEVERAGE = 20
PLATFORM_MAX_LEVERAGE = 100  # SPEC: leverage is an "Integer between 1 to 100"; /v1/public/leverage "100"
TIMESTAMP_WINDOW_MS = 300_000  # DOCS api-authentication: within 300 s of server time
ISO_ORDER_FROZEN_BUFFER = Decimal("0.0006")  # JS SDK constants.ts IsoOrderFrozenBuffer
PENDING_STATUSES = ("NEW", "PARTIAL_FILLED")
# SPEC /v1/public/config `available_futures_leverage` example: the legacy account leverage choices.
ACCOUNT_LEVERAGE_CHOICES = (1, 2, 3, 4, 5, 10, 15, 20)
ORDER_STATUS_GROUPS = {"INCOMPLETE": PENDING_STATUSES, "COMPLETED": ("CANCELLED", "FILLED")}
ORDERS_DEFAULT_PAGE_SIZE = 25  # Unconfirmed: SPEC gives no default; its PaginationMeta example shows 25
ORDERS_MAX_PAGE_SIZE = 500  # SPEC: "the page size you wish to query (max: 500)"
ORDERS_BASE_TIME_MS = 1_700_000_000_000

_ZERO = Decimal(0)
_ONE = Decimal(1)
_POWER = Decimal("0.8")

# Shown by /v1/public/info for every symbol unless the world gives the field (plausible BTC-like values).
_SYMBOL_DEFAULTS = {
    "quote_min": "0",
    "quote_max": "200000",
    "quote_tick": "0.1",
    "base_min": "0.00001",
    "base_max": "20",
    "base_tick": "0.00001",
    "min_notional": "10",
    "price_range": "0.03",
    "price_scope": "0.4",
    "std_liquidation_fee": "0.024",
    "liquidator_fee": "0.012",
    "claim_insurance_fund_discount": "0.0075",
    "funding_period": "8",
    "cap_funding": "0.00075",
    "floor_funding": "-0.00075",
    "interest_rate": "0.0001",
    "created_time": "1684140107326",
    "updated_time": "1685345968053",
    "liquidation_tier": "1",
    "global_max_oi_cap": "100000000",
}
_IMPLICIT_SYMBOL = {"base_imr": "0.01", "base_mmr": "0.006", "imr_factor": "0.0000002"}

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


class OrderlyError(Exception):
    """A venue error answer: code, message and the HTTP status of the documented error table."""

    STATUS = {-1000: 500, -1001: 401, -1002: 401, -1003: 429, -1007: 409}

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = self.STATUS.get(code, 400)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _dec(value, what: str = "value") -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{what} must be a number, got {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return number


def _fmt(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _num(number: Decimal):
    """A JSON number (the API sends numbers); int when integral."""
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def _floor(number: Decimal) -> int:
    return int(number.to_integral_value(rounding=ROUND_FLOOR))


class _Symbol:
    def __init__(self, raw: dict, implicit: bool = False):
        if not isinstance(raw, dict) or not raw.get("symbol"):
            raise ValueError("each orderly symbol needs a `symbol`")
        self.raw = {key: (value if isinstance(value, (list, dict)) else str(value)) for key, value in raw.items()}
        self.implicit = implicit
        self.symbol = str(raw["symbol"])
        self.base_imr = _dec(raw.get("base_imr", _IMPLICIT_SYMBOL["base_imr"]), f"{self.symbol} base_imr")
        self.base_mmr = _dec(raw.get("base_mmr", _IMPLICIT_SYMBOL["base_mmr"]), f"{self.symbol} base_mmr")
        self.imr_factor = _dec(raw.get("imr_factor", _IMPLICIT_SYMBOL["imr_factor"]), f"{self.symbol} imr_factor")
        if self.base_imr <= 0:
            raise ValueError(f"{self.symbol} base_imr must be positive")

    @property
    def max_leverage(self) -> int:
        """floor(1/base_imr), within the platform's 1..100."""
        return max(1, min(PLATFORM_MAX_LEVERAGE, _floor(_ONE / self.base_imr)))

    def max_leverage_for(self, notional: Decimal) -> int:
        """SPEC validation step 2: floor(min(1/(imr_factor * N^0.8), 1/base_imr))."""
        cap = _ONE / self.base_imr
        if notional > 0 and self.imr_factor > 0:
            cap = min(cap, _ONE / (self.imr_factor * notional ** _POWER))
        return max(0, min(PLATFORM_MAX_LEVERAGE, _floor(cap)))

    def imr(self, leverage: int, notional: Decimal) -> Decimal:
        return max(_ONE / Decimal(leverage), self.base_imr, self.imr_factor * abs(notional) ** _POWER)

    def mmr(self, notional: Decimal) -> Decimal:
        return max(self.base_mmr, self.base_mmr / self.base_imr * self.imr_factor * abs(notional) ** _POWER)

    def info(self) -> dict:
        row = {}
        merged = dict(_SYMBOL_DEFAULTS)
        merged.update({key: value for key, value in self.raw.items()})
        merged.update({"base_imr": _fmt(self.base_imr), "base_mmr": _fmt(self.base_mmr),
                       "imr_factor": _fmt(self.imr_factor)})
        for key, value in merged.items():
            if key == "symbol" or isinstance(value, (list, dict)):
                row[key] = value
                continue
            try:
                row[key] = _num(_dec(value))
            except ValueError:
                row[key] = value
        row["symbol"] = self.symbol
        return row


class _Account:
    def __init__(self, raw: dict):
        if not isinstance(raw, dict):
            raise TypeError("each orderly account must be a mapping")
        self.account_id = str(raw["account_id"])
        self.orderly_key = str(raw["orderly_key"])
        self.verify_key = _verify_key(self.orderly_key)
        if self.verify_key is None:
            raise ValueError(f"account {self.account_id}: orderly_key must be 'ed25519:<base58 32-byte key>'")
        self.extra = {key: value for key, value in raw.items()
                      if key not in ("account_id", "orderly_key", "balances", "margin_modes", "leverage",
                                     "positions", "orders", "algo_orders")}
        self.balances = {str(token): str(amount) for token, amount in (raw.get("balances") or {}).items()}
        for token, amount in self.balances.items():
            _dec(amount, f"balance {token}")
        self.margin_modes: dict[str, str] = {}
        for symbol, mode in (raw.get("margin_modes") or {}).items():
            self.margin_modes[str(symbol)] = _mode(mode)
        self.leverage: dict[str, dict[str, str]] = {}
        for symbol, per_mode in (raw.get("leverage") or {}).items():
            if not isinstance(per_mode, dict):
                raise TypeError(f"leverage of {symbol} must map CROSS/ISOLATED to a number")
            self.leverage[str(symbol)] = {}
            for mode, value in per_mode.items():
                self.leverage[str(symbol)][_mode(mode)] = _fmt(Decimal(_int_leverage(value)))
        self.positions: list[dict] = []
        for item in raw.get("positions") or []:
            position = {key: (str(value) if not isinstance(value, bool) else value) for key, value in item.items()}
            position["symbol"] = str(item["symbol"])
            position["margin_mode"] = _mode(item.get("margin_mode", DEFAULT_MARGIN_MODE))
            _dec(position["position_qty"], "position_qty")
            _dec(position.get("average_open_price", "0"), "average_open_price")
            _dec(position.get("margin", "0"), "margin")
            self.positions.append(position)
        self.orders = self._load_orders(raw.get("orders") or [], "order_id", "status", "order_quantity")
        self.algo_orders = self._load_orders(raw.get("algo_orders") or [], "algo_order_id", "algo_status",
                                             "quantity")
        for order in self.orders:
            order.setdefault("order_type", "LIMIT")
            _dec(order.get("order_price", "0"), "order_price")
        for order in self.algo_orders:
            order.setdefault("algo_type", "STOP")

    def _load_orders(self, items: list, id_key: str, status_key: str, quantity_key: str) -> list[dict]:
        """Orders (or algo orders) with an id, a side, a margin mode, a status and a creation time each."""
        orders = []
        next_id = 1 + max([int(item[id_key]) for item in items if item.get(id_key) is not None], default=0)
        for index, item in enumerate(items):
            order = {key: (str(value) if not isinstance(value, bool) else value) for key, value in item.items()}
            order["symbol"] = str(item["symbol"])
            order["side"] = str(item.get("side", "BUY")).upper()
            order["margin_mode"] = _mode(item.get("margin_mode") or self.margin_modes.get(order["symbol"],
                                                                                        DEFAULT_MARGIN_MODE))
            order.setdefault(status_key, "NEW")
            if item.get(id_key) is None:
                order[id_key] = str(next_id)
                next_id += 1
            order.setdefault("created_time", str(ORDERS_BASE_TIME_MS + index * 1000))
            _dec(order[quantity_key], quantity_key)
            orders.append(order)
        return orders

    def state(self) -> dict:
        section = {"account_id": self.account_id, "orderly_key": self.orderly_key}
        section.update(self.extra)
        section.update({
            "balances": dict(self.balances),
            "margin_modes": dict(self.margin_modes),
            "leverage": {symbol: dict(per_mode) for symbol, per_mode in self.leverage.items()},
            "positions": [dict(position) for position in self.positions],
            "orders": [dict(order) for order in self.orders],
        })
        if self.algo_orders:
            section["algo_orders"] = [dict(order) for order in self.algo_orders]
        return section

    def symbols_used(self) -> set[str]:
        names = set(self.margin_modes) | set(self.leverage)
        names |= {position["symbol"] for position in self.positions}
        names |= {order["symbol"] for order in self.orders + self.algo_orders}
        return names

    def usdc(self) -> Decimal:
        return _dec(self.balances.get("USDC", "0"))

    def pending_orders(self, symbol: str | None = None, mode: str | None = None) -> list[dict]:
        return [order for order in self.orders
                if order.get("status", "NEW") in PENDING_STATUSES
                and (symbol is None or order["symbol"] == symbol)
                and (mode is None or order["margin_mode"] == mode)]

    def pending_algo_orders(self, symbol: str | None = None, mode: str | None = None) -> list[dict]:
        return [order for order in self.algo_orders
                if order.get("algo_status", "NEW") in PENDING_STATUSES
                and (symbol is None or order["symbol"] == symbol)
                and (mode is None or order["margin_mode"] == mode)]

    def open_positions(self, symbol: str | None = None, mode: str | None = None) -> list[dict]:
        return [position for position in self.positions
                if _dec(position["position_qty"]) != 0
                and (symbol is None or position["symbol"] == symbol)
                and (mode is None or position["margin_mode"] == mode)]


def _mode(value) -> str:
    mode = str(value).upper()
    if mode not in MODES:
        raise ValueError(f"margin mode must be CROSS or ISOLATED, got {value!r}")
    return mode


def _int_leverage(value) -> int:
    """An integral leverage from an int, a float or a numeric string; ValueError otherwise."""
    number = _dec(value, "leverage")
    if number != number.to_integral_value():
        raise ValueError(f"leverage must be an integer, got {value!r}")
    return int(number)


def _algo_type_key(name: str) -> str:
    return name.upper().replace("_", "")


def _verify_key(orderly_key: str) -> VerifyKey | None:
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


class OrderlySim(VenueSim):
    name = "orderly"
    prefix = "/v1/"
    RATE_LIMITS = RATE_LIMITS

    # --- world ------------------------------------------------------------------------------
    def set_state(self, section: dict) -> None:
        section = section or {}
        if not isinstance(section, dict):
            raise TypeError("the orderly section must be a mapping")
        symbols: dict[str, _Symbol] = {}
        for raw in section.get("symbols") or []:
            item = _Symbol(raw)
            symbols[item.symbol] = item
        accounts: dict[str, _Account] = {}
        for raw in section.get("accounts") or []:
            account = _Account(raw)
            if account.account_id in accounts:
                raise ValueError(f"duplicate orderly account_id {account.account_id}")
            accounts[account.account_id] = account
        for account in accounts.values():
            for name in sorted(account.symbols_used()):
                if name not in symbols:
                    symbols[name] = _Symbol({"symbol": name, **_IMPLICIT_SYMBOL}, implicit=True)
        self.symbols = symbols
        self.accounts = accounts
        self._extra = {key: value for key, value in section.items() if key not in ("symbols", "accounts")}

    def state(self) -> dict:
        section = dict(self._extra)
        section["symbols"] = [dict(item.raw) for item in self.symbols.values() if not item.implicit]
        section["accounts"] = [account.state() for account in self.accounts.values()]
        return section

    # --- framework hooks --------------------------------------------------------------------
    def routes(self):
        get, post = "GET", "POST"
        return [
            (get, "/v1/public/info", self._public(self.public_info)),
            (get, "/v1/public/info/{symbol}", self._public(self.public_info_symbol)),
            (get, "/v1/public/token", self._public(self.public_token)),
            (get, "/v1/public/chain_info", self._public(self.public_chain_info)),
            (get, "/v1/public/system_info", self._public(self.public_system_info)),
            (get, "/v1/public/leverage", self._public(self.public_leverage)),
            (get, "/v1/public/config", self._public(self.public_config)),
            (get, "/v1/client/leverages", self._private(self.get_leverages)),
            (get, "/v1/client/leverage", self._private(self.get_leverage)),
            (post, "/v1/client/leverages", self._private(self.post_leverage)),
            (post, "/v1/client/leverage", self._private(self.post_legacy_leverage)),
            (get, "/v1/client/margin_modes", self._private(self.get_margin_modes)),
            (post, "/v1/client/margin_mode", self._private(self.post_margin_mode)),
            (get, "/v1/client/info", self._private(self.get_client_info)),
            (get, "/v1/client/holding", self._private(self.get_holding)),
            (get, "/v1/client/aggregate/holding", self._private(self.get_holding)),
            (get, "/v1/account_info", self._private(self.get_account_info)),
            (get, "/v1/positions", self._private(self.get_positions)),
            (get, "/v1/position/{symbol}", self._private(self.get_position)),
            (get, "/v1/orders", self._private(self.get_orders)),
            (get, "/v1/algo/orders", self._private(self.get_algo_orders)),
            (post, "/v1/position_margin", self._private(self.post_position_margin)),
        ]

    def rate_limited(self, request: web.Request) -> web.Response:
        # DOCS error-codes: -1003 TOO_MANY_REQUEST, HTTP 429.
        return self._fail(request, OrderlyError(-1003, "Rate limit exceed."))

    def busy(self, request: web.Request) -> web.Response:
        # DOCS error-codes: -1012 (HTTP 400) "The order request was rejected by an internal module ... Please
        # try again in a few seconds": a rejection, so nothing was done. (-1011 "internal network error" does
        # not say whether the request was carried out, so it is not a "busy" answer.)
        return self._fail(request, OrderlyError(
            -1012, "The request was rejected by an internal module. Please try again in a few seconds."))

    # --- plumbing ---------------------------------------------------------------------------
    def _ok(self, request, data=None) -> web.Response:
        payload = {"success": True}
        if data is not None:
            payload["data"] = data
        payload["timestamp"] = _now_ms()
        return self.reply(request, payload, status=200)

    def _fail(self, request, error: OrderlyError) -> web.Response:
        return self.reply(request, {"success": False, "code": error.code, "message": error.message},
                          status=error.status, code=error.code)

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
                return await handler(request)
            except OrderlyError as error:
                return self._fail(request, error)
        return wrapped

    def _private(self, handler):
        async def wrapped(request: web.Request) -> web.Response:
            try:
                account = await self._authenticate(request)
            except OrderlyError as error:
                return self._fail(request, error)
            if not self._allow(account.account_id, request):
                return self.rate_limited(request)
            try:
                return await handler(request, account)
            except OrderlyError as error:
                return self._fail(request, error)
        return wrapped

    async def _authenticate(self, request: web.Request) -> _Account:
        headers = request.headers
        account_id = headers.get("orderly-account-id")
        key = headers.get("orderly-key")
        timestamp = headers.get("orderly-timestamp")
        signature = headers.get("orderly-signature")
        if account_id:
            self.identify(request, account_id)
        if not (account_id and key and timestamp and signature):
            raise OrderlyError(-1001, "orderly-account-id, orderly-key, orderly-timestamp and "
                                      "orderly-signature headers are required.")
        verify_key = _verify_key(key)
        if verify_key is None:
            raise OrderlyError(-1001, "The orderly-key is in wrong format.")
        if not timestamp.isdigit():
            raise OrderlyError(-1001, "The orderly-timestamp is in wrong format.")
        if abs(_now_ms() - int(timestamp)) > self.timestamp_window * 1000:
            # Unconfirmed: the code for a timestamp outside the 300 s window is not documented. We choose
            # -1001 (HTTP 401, an authentication failure ccxt does not retry) because it is the safe
            # behaviour: the request is refused before anything else is looked at.
            raise OrderlyError(-1001, "The orderly-timestamp is expired.")
        account = self.accounts.get(account_id)
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

    async def _body(self, request: web.Request, allowed: set[str]) -> dict:
        text = await request.text()
        try:
            body = json.loads(text) if text else {}
        except ValueError:
            raise OrderlyError(-1005, "The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise OrderlyError(-1005, "The request body must be a JSON object.")
        unknown = sorted(set(body) - allowed)
        if unknown:
            # DOCS error-codes: -1004 "An unknown parameter was sent."
            raise OrderlyError(-1004, f"Unknown parameter: {', '.join(unknown)}.")
        return body

    def _symbol(self, name) -> _Symbol:
        if not name:
            raise OrderlyError(-1005, "symbol is required.")
        item = self.symbols.get(str(name))
        if item is None:
            # Unconfirmed: the REST code for an unknown symbol (-1005/-1006/-1000 are candidates). We choose
            # -1005 (HTTP 400, never retried) because it is the safe behaviour for a bad parameter.
            raise OrderlyError(-1005, f"invalid symbol {name}")
        return item

    @staticmethod
    def _mode_param(value, what: str = "margin_mode") -> str:
        if value is None or value == "":
            return DEFAULT_MARGIN_MODE
        try:
            return _mode(value)
        except ValueError:
            raise OrderlyError(-1005, f"{what} must be CROSS or ISOLATED.") from None

    # --- account model ----------------------------------------------------------------------
    def _leverage(self, account: _Account, symbol: str, mode: str) -> int:
        value = account.leverage.get(symbol, {}).get(mode)
        if value is not None:
            return int(Decimal(value))
        return min(DEFAULT_LEVERAGE, self.symbols[symbol].max_leverage)

    @staticmethod
    def _mark(position: dict) -> Decimal:
        return _dec(position.get("mark_price") or position.get("average_open_price") or "0")

    def _notional(self, position: dict) -> Decimal:
        return abs(_dec(position["position_qty"])) * self._mark(position)

    def _upnl(self, position: dict) -> Decimal:
        qty = _dec(position["position_qty"])
        return qty * (self._mark(position) - _dec(position.get("average_open_price") or "0"))

    def _position_imr(self, account, position, leverage: int | None = None) -> Decimal:
        symbol = self.symbols[position["symbol"]]
        if leverage is None:
            leverage = self._leverage(account, position["symbol"], position["margin_mode"])
        return symbol.imr(leverage, self._notional(position))

    def _order_notional(self, order: dict) -> Decimal:
        return abs(_dec(order["order_quantity"])) * _dec(order.get("order_price") or "0")

    def _cross_upnl(self, account: _Account) -> Decimal:
        return sum((self._upnl(p) for p in account.open_positions(mode="CROSS")), _ZERO)

    def _free_collateral(self, account: _Account, cross_leverage: dict[str, int] | None = None) -> Decimal:
        cross_leverage = cross_leverage or {}

        def lev(symbol: str) -> int:
            return cross_leverage.get(symbol) or self._leverage(account, symbol, "CROSS")

        used = _ZERO
        for position in account.open_positions(mode="CROSS"):
            used += self._notional(position) * self._position_imr(account, position, lev(position["symbol"]))
        for order in account.pending_orders():
            symbol = self.symbols[order["symbol"]]
            notional = self._order_notional(order)
            if order["margin_mode"] == "CROSS":
                used += notional * max(_ONE / Decimal(lev(order["symbol"])), symbol.base_imr)
            else:
                iso = self._leverage(account, order["symbol"], "ISOLATED")
                used += notional * (_ONE / Decimal(iso) + ISO_ORDER_FROZEN_BUFFER)
        return account.usdc() + self._cross_upnl(account) - used

    def _isolated_order_frozen(self, account: _Account) -> Decimal:
        total = _ZERO
        for order in account.pending_orders(mode="ISOLATED"):
            iso = self._leverage(account, order["symbol"], "ISOLATED")
            total += self._order_notional(order) * (_ONE / Decimal(iso) + ISO_ORDER_FROZEN_BUFFER)
        return total

    def _isolated_margin(self, account: _Account) -> Decimal:
        return sum((_dec(p.get("margin") or "0") for p in account.open_positions(mode="ISOLATED")), _ZERO)

    def _maintenance(self, account: _Account) -> Decimal:
        total = _ZERO
        for position in account.open_positions(mode="CROSS"):
            notional = self._notional(position)
            total += notional * self.symbols[position["symbol"]].mmr(notional)
        return total

    def _position_row(self, account: _Account, position: dict) -> dict:
        symbol = self.symbols[position["symbol"]]
        mode = position["margin_mode"]
        qty = _dec(position["position_qty"])
        avg = _dec(position.get("average_open_price") or "0")
        mark = self._mark(position)
        notional = self._notional(position)
        leverage = self._leverage(account, symbol.symbol, mode)
        imr = symbol.imr(leverage, notional)
        mmr = symbol.mmr(notional)
        margin = _dec(position.get("margin") or "0") if mode == "ISOLATED" else _ZERO
        cost = qty * avg
        liq = _ZERO
        if qty != 0:
            if mode == "ISOLATED":
                denominator = abs(qty) * mmr - qty
                liq = (margin - cost) / denominator if denominator != 0 else _ZERO
            else:
                cushion = account.usdc() + self._cross_upnl(account) - self._maintenance(account)
                liq = mark - cushion / qty
        pending = account.pending_orders(symbol.symbol, mode)
        long_qty = sum((abs(_dec(o["order_quantity"])) for o in pending if o["side"] == "BUY"), _ZERO)
        short_qty = sum((-abs(_dec(o["order_quantity"])) for o in pending if o["side"] == "SELL"), _ZERO)
        stamp = ORDERS_BASE_TIME_MS
        return {
            "symbol": symbol.symbol,
            "position_qty": _num(qty),
            "cost_position": _num(cost),
            "average_open_price": _num(avg),
            "settle_price": _num(avg),
            "mark_price": _num(mark),
            "est_liq_price": _num(max(_ZERO, liq)),
            "unsettled_pnl": _num(self._upnl(position)),
            "imr": _num(imr),
            "mmr": _num(mmr),
            "IMR_withdraw_orders": _num(imr),
            "MMR_with_orders": _num(mmr),
            "pending_long_qty": _num(long_qty),
            "pending_short_qty": _num(short_qty),
            "pnl_24_h": 0,
            "fee_24_h": 0,
            "last_sum_unitary_funding": 0,
            "accrued_funding_fee": 0,
            "leverage": leverage,
            "margin_mode": mode,
            "margin": _num(margin),
            "seq": stamp,
            "timestamp": stamp,
            "updated_time": _now_ms(),
        }

    def _account_metrics(self, account: _Account) -> dict:
        total = account.usdc() + self._cross_upnl(account)
        free = self._free_collateral(account)
        used = total - free
        notional = sum((self._notional(p) for p in account.open_positions(mode="CROSS")), _ZERO)
        maintenance = self._maintenance(account)
        ratio = (total / notional) if notional > 0 else Decimal(10)
        imr = (used / notional) if notional > 0 else _ZERO
        mmr = (maintenance / notional) if notional > 0 else _ZERO
        account_value = total + self._isolated_margin(account) + sum(
            (self._upnl(p) for p in account.open_positions(mode="ISOLATED")), _ZERO)
        return {
            "free_collateral": _num(free),
            "total_collateral_value": _num(total),
            "margin_ratio": _num(ratio),
            "initial_margin_ratio": _num(imr),
            "maintenance_margin_ratio": _num(mmr),
            "open_margin_ratio": _num(ratio),
            "current_margin_ratio_with_orders": _num(ratio),
            "initial_margin_ratio_with_orders": _num(imr),
            "maintenance_margin_ratio_with_orders": _num(mmr),
            "total_pnl_24_h": 0,
            "account_value": _num(account_value),
        }

    # --- public endpoints -------------------------------------------------------------------
    async def public_info(self, request):
        return self._ok(request, {"rows": [item.info() for item in self.symbols.values()]})

    async def public_info_symbol(self, request):
        return self._ok(request, self._symbol(request.match_info["symbol"]).info())

    async def public_token(self, request):
        tokens = {"USDC"}
        for account in self.accounts.values():
            tokens |= set(account.balances)
        rows = []
        for token in sorted(tokens):
            rows.append({
                "token": token,
                "token_hash": "0x" + token.encode().hex().ljust(64, "0")[:64],
                "decimals": 6,
                "minimum_withdraw_amount": 0.000001,
                "base_weight": 1 if token == "USDC" else 0.8,
                "discount_factor": None if token == "USDC" else 0.02,
                "haircut": 0 if token == "USDC" else 0.95,
                "user_max_qty": -1,
                "is_collateral": True,
                "on_chain_swap": False,
                "chain_details": [{
                    "chain_id": 42161,
                    "contract_address": "0xaf88d065e77c8cc2239327c5edb3a432268e5831",
                    "cross_chain_withdrawal_fee": 0,
                    "decimals": 6,
                    "withdraw_fee": 1,
                    "display_name": token,
                }],
            })
        return self._ok(request, {"rows": rows})

    async def public_chain_info(self, request):
        return self._ok(request, {"rows": [{
            "name": "Arbitrum",
            "public_rpc_url": "https://arb1.arbitrum.io/rpc",
            "chain_id": "42161",
            "currency_symbol": "ETH",
            "currency_decimal": 18,
            "explorer_base_url": "https://arbiscan.io",
            "vault_address": "0x816f722424B49Cf1275cc86DA9840Fbd5a6167e9",
            "broker_ids": ["woofi_pro"],
        }]})

    async def public_system_info(self, request):
        return self._ok(request, {"status": 0, "msg": "System is functioning properly."})

    async def public_leverage(self, request):
        return self._ok(request, {"max_futures_leverage": str(PLATFORM_MAX_LEVERAGE)})

    async def public_config(self, request):
        return self._ok(request, {"available_futures_leverage": ",".join(str(c) for c in ACCOUNT_LEVERAGE_CHOICES)})

    # --- private reads ----------------------------------------------------------------------
    async def get_leverages(self, request, account):
        rows = [{"symbol": name, "margin_mode": mode, "leverage": self._leverage(account, name, mode)}
                for name in self.symbols for mode in MODES]
        return self._ok(request, {"rows": rows})

    async def get_leverage(self, request, account):
        symbol = self._symbol(request.query.get("symbol"))
        mode = self._mode_param(request.query.get("margin_mode"))
        return self._ok(request, {"symbol": symbol.symbol, "margin_mode": mode,
                                  "leverage": self._leverage(account, symbol.symbol, mode)})

    async def get_margin_modes(self, request, account):
        rows = [{"symbol": name, "default_margin_mode": account.margin_modes.get(name, DEFAULT_MARGIN_MODE)}
                for name in self.symbols]
        return self._ok(request, {"rows": rows})

    async def get_client_info(self, request, account):
        imr_factor, max_notional = {}, {}
        for name, symbol in self.symbols.items():
            imr_factor[name] = _num(symbol.imr_factor)
            if symbol.imr_factor > 0:
                leverage = Decimal(self._leverage(account, name, "CROSS"))
                limit = (_ONE / (leverage * symbol.imr_factor)) ** (_ONE / _POWER)
                max_notional[name] = _num(limit.quantize(_ONE, rounding=ROUND_FLOOR))
        return self._ok(request, {
            "account_id": account.account_id,
            "email": str(account.extra.get("email", "")),
            "account_mode": "FUTURES",
            "max_leverage": _num(_dec(account.extra.get("max_leverage", DEFAULT_ACCOUNT_MAX_LEVERAGE))),
            "taker_fee_rate": 0.0005,
            "maker_fee_rate": 0.0002,
            "futures_taker_fee_rate": 0.0005,
            "futures_maker_fee_rate": 0.0002,
            "rwa_taker_fee_rate": 0.0005,
            "rwa_maker_fee_rate": 0.0002,
            "maintenance_cancel_orders": True,
            "imr_factor": imr_factor,
            "max_notional": max_notional,
        })

    async def get_holding(self, request, account):
        show_all = str(request.query.get("all", "")).lower() == "true"
        rows = []
        for token, amount in account.balances.items():
            value = _dec(amount)
            if value == 0 and not show_all and token != "USDC":
                continue
            is_usdc = token == "USDC"
            frozen = _ZERO
            if is_usdc:
                frozen = sum((self._order_notional(o) / Decimal(self._leverage(account, o["symbol"], "CROSS"))
                              for o in account.pending_orders(mode="CROSS")), _ZERO)
            rows.append({
                "token": token,
                "holding": _num(value),
                "frozen": _num(frozen),
                "pending_short": 0,
                "isolated_margin": _num(self._isolated_margin(account)) if is_usdc else 0,
                "isolated_order_frozen": _num(self._isolated_order_frozen(account)) if is_usdc else 0,
                "updated_time": _now_ms(),
            })
        return self._ok(request, {"holding": rows})

    async def get_account_info(self, request, account):
        metrics = self._account_metrics(account)
        return self._ok(request, {key: metrics[key] for key in (
            "free_collateral", "total_collateral_value", "margin_ratio", "initial_margin_ratio",
            "maintenance_margin_ratio", "open_margin_ratio", "account_value", "total_pnl_24_h")})

    async def get_positions(self, request, account):
        data = self._account_metrics(account)
        data["rows"] = [self._position_row(account, position) for position in account.positions]
        return self._ok(request, data)

    async def get_position(self, request, account):
        symbol = self._symbol(request.match_info["symbol"])
        mode = self._mode_param(request.query.get("margin_mode"))
        for position in account.positions:
            if position["symbol"] == symbol.symbol and position["margin_mode"] == mode:
                return self._ok(request, self._position_row(account, position))
        # Unconfirmed: the answer for a symbol/mode without a position. We choose an all-zero position
        # (success) because it is the safe behaviour: "no position" is a state, not an error.
        empty = {"symbol": symbol.symbol, "margin_mode": mode, "position_qty": "0",
                 "average_open_price": "0", "margin": "0"}
        return self._ok(request, self._position_row(account, empty))

    async def get_orders(self, request, account):
        rows, meta = self._filtered_page(request.query, account.orders, "status")
        return self._ok(request, {"meta": meta, "rows": [self._order_row(account, order) for order in rows]})

    async def get_algo_orders(self, request, account):
        # SPEC spells the types `STOP`, `TPSL`, `positional_TPSL`; the Python SDK `TP_SL`, `POSITIONAL_TP_SL`.
        wanted = _algo_type_key(request.query.get("algo_type") or "")
        orders = [order for order in account.algo_orders if not wanted or _algo_type_key(order["algo_type"]) == wanted]
        rows, meta = self._filtered_page(request.query, orders, "algo_status")
        return self._ok(request, {"meta": meta, "rows": [self._algo_order_row(order) for order in rows]})

    @staticmethod
    def _filtered_page(query, orders: list[dict], status_key: str) -> tuple[list[dict], dict]:
        """SPEC GET /v1/orders and /v1/algo/orders filters, newest first, one page; and its `meta`."""
        try:
            page = int(query.get("page") or 1)
            size = int(query.get("size") or ORDERS_DEFAULT_PAGE_SIZE)
        except ValueError:
            raise OrderlyError(-1005, "page and size must be integers.") from None
        if page < 1 or size < 1 or size > ORDERS_MAX_PAGE_SIZE:
            # Unconfirmed: whether an oversized page is refused or clamped. We choose to refuse (-1005)
            # because it is the safe behaviour: a client never silently gets fewer rows than it asked for.
            raise OrderlyError(-1005, f"page must be >= 1 and size between 1 and {ORDERS_MAX_PAGE_SIZE}.")
        status = (query.get("status") or "").upper()
        statuses = ORDER_STATUS_GROUPS.get(status, (status,) if status else None)
        try:
            start_t = int(Decimal(query["start_t"])) if query.get("start_t") else None
            end_t = int(Decimal(query["end_t"])) if query.get("end_t") else None
        except (InvalidOperation, ValueError):
            raise OrderlyError(-1005, "start_t and end_t must be 13-digit timestamps.") from None
        rows = [order for order in orders
                if (start_t is None or int(order["created_time"]) >= start_t)
                and (end_t is None or int(order["created_time"]) <= end_t)
                and (not query.get("symbol") or order["symbol"] == query["symbol"])
                and (not query.get("side") or order["side"] == query["side"].upper())
                and (not query.get("order_type") or order.get("order_type") == query["order_type"].upper())
                and (not query.get("order_tag") or order.get("order_tag") == query["order_tag"])
                and (statuses is None or order.get(status_key, "NEW") in statuses)]
        ascending = query.get("sort_by", "").upper().endswith("_ASC")
        rows.sort(key=lambda order: int(order["created_time"]), reverse=not ascending)
        meta = {"total": len(rows), "records_per_page": size, "current_page": page}
        return rows[(page - 1) * size: page * size], meta

    @staticmethod
    def _algo_order_row(order: dict) -> dict:
        """SPEC `AlgoOrder`: the fields a client reads to tell what is pending where."""
        created = int(order["created_time"])
        quantity = _dec(order["quantity"])
        trigger = order.get("trigger_price")
        return {
            "algo_order_id": int(order["algo_order_id"]),
            "root_algo_order_id": int(order["algo_order_id"]),
            "parent_algo_order_id": 0,
            "algo_status": order.get("algo_status", "NEW"),
            "root_algo_order_status": order.get("algo_status", "NEW"),
            "algo_type": order["algo_type"],
            "symbol": order["symbol"],
            "side": order["side"],
            "margin_mode": order["margin_mode"],
            "quantity": _num(quantity),
            "executed_quantity": 0,
            "total_executed_quantity": 0,
            "visible_quantity": _num(quantity),
            "trigger_price": _num(_dec(trigger)) if trigger not in (None, "") else None,
            "trigger_price_type": "MARK_PRICE",
            "type": order.get("type", "MARKET"),
            "is_triggered": "false",
            "fee_asset": "USDC",
            "total_fee": 0,
            "realized_pnl": 0,
            "order_tag": order.get("order_tag"),
            "created_time": created,
            "updated_time": created,
            "child_orders": [],
        }

    def _order_row(self, account: _Account, order: dict) -> dict:
        created = int(order["created_time"])
        quantity = _dec(order["order_quantity"])
        price = order.get("order_price")
        return {
            "order_id": int(order["order_id"]),
            "user_id": zlib.crc32(account.account_id.encode()) % 1_000_000,
            "price": _num(_dec(price)) if price not in (None, "") else None,
            "type": order["order_type"],
            "quantity": _num(quantity),
            "amount": None,
            "executed": 0,
            "executed_quantity": 0,
            "total_executed_quantity": 0,
            "visible_quantity": _num(quantity),
            "visible": _num(quantity),
            "symbol": order["symbol"],
            "side": order["side"],
            "status": order.get("status", "NEW"),
            "total_fee": 0,
            "fee_asset": "USDC",
            "client_order_id": order.get("client_order_id"),
            "average_executed_price": None,
            "created_time": created,
            "updated_time": created,
            "realized_pnl": 0,
            "reduce_only": bool(order.get("reduce_only") in (True, "true", "True")),
            "order_tag": order.get("order_tag"),
            "margin_mode": order["margin_mode"],
        }

    # --- private writes ---------------------------------------------------------------------
    async def post_margin_mode(self, request, account):
        body = await self._body(request, {"symbol", "default_margin_mode"})
        symbol = self._symbol(body.get("symbol"))
        if not body.get("default_margin_mode"):
            raise OrderlyError(-1005, "default_margin_mode is required.")
        target = self._mode_param(body.get("default_margin_mode"), "default_margin_mode")
        current = account.margin_modes.get(symbol.symbol, DEFAULT_MARGIN_MODE)
        if target == current:
            # Unconfirmed: setting the mode a symbol already has. We choose success without a change
            # because it is the safe behaviour (idempotent; nothing moves).
            return self._ok(request)
        # SPEC: only possible with no open positions or pending orders on that symbol in the current mode.
        positions = account.open_positions(symbol.symbol, current)
        # Unconfirmed: whether pending algo (TP/SL, stop) orders count as "pending orders" here; we count them,
        # the safe behaviour (a client that checks /v1/algo/orders first works against the venue either way).
        orders = account.pending_orders(symbol.symbol, current) + account.pending_algo_orders(symbol.symbol, current)
        if positions or orders:
            # Unconfirmed: the error code; neither the error-code table, the SPEC, the JS SDK nor the Python
            # connector names one. We choose -1005 (HTTP 400, never retried): a business refusal that a client
            # must not retry blindly.
            raise OrderlyError(-1005, f"Cannot change the margin mode of {symbol.symbol} while it has "
                                      f"{len(positions)} open position(s) and {len(orders)} pending order(s) "
                                      f"in {current} mode.")
        account.margin_modes[symbol.symbol] = target
        return self._ok(request)

    async def post_legacy_leverage(self, request, account):
        # The older path. Its SPEC text (before 2026-03-17): "customize leverage for each symbol or choose maximum
        # leverage for account's futures mode", body {symbol?, leverage}. Without `symbol` it sets the account's
        # legacy `max_leverage` (orderly-evm-connector `update_leverage_configuration`, ccxt woofipro
        # `set_leverage`), one of the choices of /v1/public/config; with `symbol` the JS SDK still uses it for
        # one symbol's leverage in one margin mode, which it serves like POST /v1/client/leverages.
        body = await self._body(request, {"symbol", "leverage", "margin_mode"})
        if body.get("symbol") not in (None, ""):
            return await self._leverage_update(request, account, body)
        try:
            requested = _int_leverage(body.get("leverage"))
        except ValueError:
            requested = None
        if requested not in ACCOUNT_LEVERAGE_CHOICES:
            # Unconfirmed: the code for a value outside the choices; -1005 (parameter out of range).
            raise OrderlyError(-1005, "leverage must be one of "
                                      f"{','.join(str(choice) for choice in ACCOUNT_LEVERAGE_CHOICES)}.")
        account.extra["max_leverage"] = requested
        return self._ok(request, {"leverage": requested})

    async def post_leverage(self, request, account):
        return await self._leverage_update(request, account, await self._body(request, {"symbol", "leverage",
                                                                                       "margin_mode"}))

    async def _leverage_update(self, request, account, body: dict):
        if body.get("leverage") is None:
            raise OrderlyError(-1005, "leverage is required.")
        try:
            requested = _int_leverage(body["leverage"])
        except ValueError:
            raise OrderlyError(-1005, "leverage must be an integer between 1 and 100.") from None
        mode = self._mode_param(body.get("margin_mode"))
        # Validation step 1: range. Unconfirmed: the code; we choose -1005 (parameter out of range).
        if not 1 <= requested <= PLATFORM_MAX_LEVERAGE:
            raise OrderlyError(-1005, f"leverage must be an integer between 1 and {PLATFORM_MAX_LEVERAGE}.")
        if body.get("symbol") not in (None, ""):
            return self._set_one(request, account, self._symbol(body["symbol"]), mode, requested)
        return self._set_batch(request, account, mode, requested)

    def _mode_notional(self, account: _Account, symbol: str, mode: str) -> Decimal:
        return sum((self._notional(p) for p in account.open_positions(symbol, mode)), _ZERO)

    def _isolated_locked(self, account: _Account, symbol: str) -> bool:
        # FLOW: an ISOLATED batch "only applies to symbols with no active isolated positions or pending orders".
        # Read in context, the pending orders are the isolated ones (cross orders do not use the isolated
        # leverage), so a pending CROSS order does not lock it. Unconfirmed: whether a single-symbol ISOLATED
        # change is refused in that state, and whether algo orders count; we refuse, and count isolated algo
        # orders, the safe behaviour.
        return bool(account.open_positions(symbol, "ISOLATED") or account.pending_orders(symbol, "ISOLATED")
                    or account.pending_algo_orders(symbol, "ISOLATED"))

    def _set_one(self, request, account, symbol: _Symbol, mode: str, requested: int):
        cap = symbol.max_leverage_for(self._mode_notional(account, symbol.symbol, mode))
        if requested > cap:
            # Unconfirmed: the code for leverage above the symbol's maximum; we choose -1005 (out of range).
            raise OrderlyError(-1005, f"leverage {requested} exceeds the maximum {cap} of {symbol.symbol} "
                                      f"for {mode}.")
        if mode == "ISOLATED":
            if requested != self._leverage(account, symbol.symbol, mode) and self._isolated_locked(
                    account, symbol.symbol):
                # Unconfirmed: the code; we choose -1005 (HTTP 400, never retried), see _isolated_locked.
                raise OrderlyError(-1005, f"Cannot change the ISOLATED leverage of {symbol.symbol} while it "
                                          f"has an isolated position or pending isolated orders.")
        else:
            # Validation step 3: the margin must stay sufficient at the new cross leverage.
            if self._free_collateral(account, {symbol.symbol: requested}) < 0:
                raise OrderlyError(-1101, "Insufficient margin after the operation.")
        account.leverage.setdefault(symbol.symbol, {})[mode] = str(requested)
        return self._ok(request, {"symbol": symbol.symbol, "margin_mode": mode, "leverage": requested})

    def _set_batch(self, request, account, mode: str, requested: int):
        # SPEC POST /v1/client/leverages without `symbol`: every symbol gets min(requested, symbol max).
        targets: dict[str, int] = {}
        for name, symbol in self.symbols.items():
            cap = symbol.max_leverage_for(self._mode_notional(account, name, mode))
            if mode == "ISOLATED" and self._isolated_locked(account, name):
                continue  # SPEC: isolated batch only touches symbols with no isolated position / pending orders
            if cap < 1:
                continue
            targets[name] = min(requested, cap)
        if mode == "CROSS":
            # SPEC: the margin check assumes every cross symbol is updated; all of them or none.
            if self._free_collateral(account, targets) < 0:
                raise OrderlyError(-1101, "Insufficient margin after the operation.")
        for name, value in targets.items():
            account.leverage.setdefault(name, {})[mode] = str(value)
        # Unconfirmed: the response shape of the batch form. We choose LeverageResponse's fields (without
        # symbol) plus `rows` listing what was applied, because it is the safe behaviour: no client can
        # mistake it for a single-symbol answer, and the rows say exactly which symbols changed.
        rows = [{"symbol": name, "margin_mode": mode, "leverage": value} for name, value in targets.items()]
        return self._ok(request, {"margin_mode": mode, "leverage": requested, "rows": rows})

    async def post_position_margin(self, request, account):
        body = await self._body(request, {"symbol", "amount", "type"})
        symbol = self._symbol(body.get("symbol"))
        kind = str(body.get("type") or "").upper()
        if kind not in ("ADD", "REDUCE"):
            raise OrderlyError(-1005, "type must be ADD or REDUCE.")
        try:
            amount = _dec(body.get("amount"), "amount")
        except ValueError:
            raise OrderlyError(-1005, "amount must be a positive number.") from None
        if amount <= 0:
            raise OrderlyError(-1005, "amount must be a positive number.")
        positions = account.open_positions(symbol.symbol, "ISOLATED")
        if not positions:
            # Unconfirmed: the code when there is no open isolated position; we choose -1006 (data not
            # found, HTTP 400, never retried) because it is the safe behaviour.
            raise OrderlyError(-1006, f"No open isolated position on {symbol.symbol}.")
        position = positions[0]
        margin = _dec(position.get("margin") or "0")
        if kind == "ADD":
            cross_upnl = self._cross_upnl(account)
            max_add = max(_ZERO, min(account.usdc(), self._free_collateral(account) - max(cross_upnl, _ZERO)))
            if amount > max_add:
                # Unconfirmed: the code for ADD beyond the available balance; we choose -1101
                # (insufficient margin/funds, never retried).
                raise OrderlyError(-1101, f"Insufficient balance: at most {_fmt(max_add)} USDC can be added.")
            position["margin"] = _fmt(margin + amount)
            account.balances["USDC"] = _fmt(account.usdc() - amount)
        else:
            required = self._notional(position) * self._position_imr(account, position)
            max_reduce = max(_ZERO, margin - required + min(_ZERO, self._upnl(position)))
            if amount > max_reduce:
                # orderly.md: -1101 "Insufficient margin after the operation" (code for REDUCE unconfirmed).
                raise OrderlyError(-1101, "Insufficient margin after the operation.")
            position["margin"] = _fmt(margin - amount)
            account.balances["USDC"] = _fmt(account.usdc() + amount)
        return self._ok(request)

    # --- injected faults --------------------------------------------------------------------
    def error_reply(self, request, status: int, code: str, message: str | None) -> web.Response:
        # Texts of Orderly's error-code page (orderly.md section 4).
        documented = {
            "-1000": "An unknown error occurred while processing the request.",
            "-1003": "Rate limit exceed.",
            "-1011": "Can not place/cancel orders, it may because of internal network error. "
                     "Please try again in a few seconds.",
            "-1012": "The place/cancel order request is rejected by internal module, it may because the account "
                     "is in liquidation or other internal errors. Please try again in a few seconds.",
        }
        error = OrderlyError(int(code), self.fault_message(message, documented, code))
        error.status = status
        return self._fail(request, error)

    def documented_timestamp_window(self) -> float:
        return TIMESTAMP_WINDOW_MS / 1000
