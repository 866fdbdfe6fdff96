"""The `orderly:` world section: its symbols and accounts, loaded, checked, looked up and written back as they are.

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
"""

from __future__ import annotations

from decimal import Decimal

from .auth import verify_key
from .values import DEFAULT_MARGIN_MODE, ONE, dec, floor_int, fmt, int_leverage, mode_of, num

DEFAULT_LEVERAGE = 10
DEFAULT_ACCOUNT_MAX_LEVERAGE = 20
# SPEC /v1/public/config `available_futures_leverage` example: the legacy account leverage choices.
ACCOUNT_LEVERAGE_CHOICES = (1, 2, 3, 4, 5, 10, 15, 20)
PLATFORM_MAX_LEVERAGE = 100  # SPEC: leverage is an "Integer between 1 to 100"; /v1/public/leverage "100"
PENDING_STATUSES = ("NEW", "PARTIAL_FILLED")
ORDERS_BASE_TIME_MS = 1_700_000_000_000
POWER = Decimal("0.8")

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


class Symbol:
    def __init__(self, raw: dict, implicit: bool = False):
        if not isinstance(raw, dict) or not raw.get("symbol"):
            raise ValueError("each orderly symbol needs a `symbol`")
        self.raw = {key: (value if isinstance(value, (list, dict)) else str(value)) for key, value in raw.items()}
        self.implicit = implicit
        self.symbol = str(raw["symbol"])
        self.base_imr = dec(raw.get("base_imr", _IMPLICIT_SYMBOL["base_imr"]), f"{self.symbol} base_imr")
        self.base_mmr = dec(raw.get("base_mmr", _IMPLICIT_SYMBOL["base_mmr"]), f"{self.symbol} base_mmr")
        self.imr_factor = dec(raw.get("imr_factor", _IMPLICIT_SYMBOL["imr_factor"]), f"{self.symbol} imr_factor")
        if self.base_imr <= 0:
            raise ValueError(f"{self.symbol} base_imr must be positive")

    @property
    def max_leverage(self) -> int:
        """floor(1/base_imr), within the platform's 1..100."""
        return max(1, min(PLATFORM_MAX_LEVERAGE, floor_int(ONE / self.base_imr)))

    def max_leverage_for(self, notional: Decimal) -> int:
        """SPEC validation step 2: floor(min(1/(imr_factor * N^0.8), 1/base_imr))."""
        cap = ONE / self.base_imr
        if notional > 0 and self.imr_factor > 0:
            cap = min(cap, ONE / (self.imr_factor * notional ** POWER))
        return max(0, min(PLATFORM_MAX_LEVERAGE, floor_int(cap)))

    def imr(self, leverage: int, notional: Decimal) -> Decimal:
        return max(ONE / Decimal(leverage), self.base_imr, self.imr_factor * abs(notional) ** POWER)

    def mmr(self, notional: Decimal) -> Decimal:
        return max(self.base_mmr, self.base_mmr / self.base_imr * self.imr_factor * abs(notional) ** POWER)

    def info(self) -> dict:
        row = {}
        merged = dict(_SYMBOL_DEFAULTS)
        merged.update({key: value for key, value in self.raw.items()})
        merged.update({"base_imr": fmt(self.base_imr), "base_mmr": fmt(self.base_mmr),
                       "imr_factor": fmt(self.imr_factor)})
        for key, value in merged.items():
            if key == "symbol" or isinstance(value, (list, dict)):
                row[key] = value
                continue
            try:
                row[key] = num(dec(value))
            except ValueError:
                row[key] = value
        row["symbol"] = self.symbol
        return row


class Account:
    def __init__(self, raw: dict):
        if not isinstance(raw, dict):
            raise TypeError("each orderly account must be a mapping")
        self.account_id = str(raw["account_id"])
        self.orderly_key = str(raw["orderly_key"])
        self.verify_key = verify_key(self.orderly_key)
        if self.verify_key is None:
            raise ValueError(f"account {self.account_id}: orderly_key must be 'ed25519:<base58 32-byte key>'")
        self.extra = {key: value for key, value in raw.items()
                      if key not in ("account_id", "orderly_key", "balances", "margin_modes", "leverage",
                                     "positions", "orders", "algo_orders")}
        self.balances = {str(token): str(amount) for token, amount in (raw.get("balances") or {}).items()}
        for token, amount in self.balances.items():
            dec(amount, f"balance {token}")
        self.margin_modes: dict[str, str] = {}
        for symbol, mode in (raw.get("margin_modes") or {}).items():
            self.margin_modes[str(symbol)] = mode_of(mode)
        self.leverage: dict[str, dict[str, str]] = {}
        for symbol, per_mode in (raw.get("leverage") or {}).items():
            if not isinstance(per_mode, dict):
                raise TypeError(f"leverage of {symbol} must map CROSS/ISOLATED to a number")
            self.leverage[str(symbol)] = {}
            for mode, value in per_mode.items():
                self.leverage[str(symbol)][mode_of(mode)] = fmt(Decimal(int_leverage(value)))
        self.positions: list[dict] = []
        for item in raw.get("positions") or []:
            position = {key: (str(value) if not isinstance(value, bool) else value) for key, value in item.items()}
            position["symbol"] = str(item["symbol"])
            position["margin_mode"] = mode_of(item.get("margin_mode", DEFAULT_MARGIN_MODE))
            dec(position["position_qty"], "position_qty")
            dec(position.get("average_open_price", "0"), "average_open_price")
            dec(position.get("margin", "0"), "margin")
            self.positions.append(position)
        self.orders = self._load_orders(raw.get("orders") or [], "order_id", "status", "order_quantity")
        self.algo_orders = self._load_orders(raw.get("algo_orders") or [], "algo_order_id", "algo_status",
                                             "quantity")
        for order in self.orders:
            order.setdefault("order_type", "LIMIT")
            dec(order.get("order_price", "0"), "order_price")
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
            order["margin_mode"] = mode_of(item.get("margin_mode") or self.margin_modes.get(order["symbol"],
                                                                                        DEFAULT_MARGIN_MODE))
            order.setdefault(status_key, "NEW")
            if item.get(id_key) is None:
                order[id_key] = str(next_id)
                next_id += 1
            order.setdefault("created_time", str(ORDERS_BASE_TIME_MS + index * 1000))
            dec(order[quantity_key], quantity_key)
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
        return dec(self.balances.get("USDC", "0"))

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
                if dec(position["position_qty"]) != 0
                and (symbol is None or position["symbol"] == symbol)
                and (mode is None or position["margin_mode"] == mode)]



class World:
    """The symbols and accounts of one `orderly:` section, and each account's leverage with its default."""

    def __init__(self, section: dict):
        section = section or {}
        if not isinstance(section, dict):
            raise TypeError("the orderly section must be a mapping")
        symbols: dict[str, Symbol] = {}
        for raw in section.get("symbols") or []:
            item = Symbol(raw)
            symbols[item.symbol] = item
        accounts: dict[str, Account] = {}
        for raw in section.get("accounts") or []:
            account = Account(raw)
            if account.account_id in accounts:
                raise ValueError(f"duplicate orderly account_id {account.account_id}")
            accounts[account.account_id] = account
        for account in accounts.values():
            for name in sorted(account.symbols_used()):
                if name not in symbols:
                    symbols[name] = Symbol({"symbol": name, **_IMPLICIT_SYMBOL}, implicit=True)
        self.symbols = symbols
        self.accounts = accounts
        self._extra = {key: value for key, value in section.items() if key not in ("symbols", "accounts")}

    def state(self) -> dict:
        section = dict(self._extra)
        section["symbols"] = [dict(item.raw) for item in self.symbols.values() if not item.implicit]
        section["accounts"] = [account.state() for account in self.accounts.values()]
        return section

    def leverage(self, account: Account, symbol: str, mode: str) -> int:
        value = account.leverage.get(symbol, {}).get(mode)
        if value is not None:
            return int(Decimal(value))
        return min(DEFAULT_LEVERAGE, self.symbols[symbol].max_leverage)
