"""The `bybit:` world section: instruments and accounts read from it, checked, and written back as they are now.

World section, in Bybit's own field names (a key not given takes the default named here)::

    bybit:
      ip_ban_seconds: 600             # how long an address over the per-IP limit is refused (DOCS: >= 10 min)
      instruments:                    # GET /v5/market/instruments-info rows, plus `category` and `riskLimits`
        - symbol: BTCUSDT
          category: linear            # linear | inverse; default inverse for ...USD symbols, else linear
          contractType: LinearPerpetual   # default from category; a `-` in the symbol makes futures
          status: Trading             # PreLaunch | Trading | Delivering | Closed
          settleCoin: USDT            # default: inverse -> baseCoin; ...PERP or a `-` -> USDC; else USDT
          leverageFilter: {minLeverage: "1", maxLeverage: "100.00", leverageStep: "0.01"}   # the defaults
          priceFilter: {minPrice: "0.10", maxPrice: "1999999.80", tickSize: "0.10"}         # the defaults
          riskLimits:                 # GET /v5/market/risk-limit rows, lowest tier first
            - {id: 1, riskLimitValue: "2000000", maintenanceMargin: "0.005", initialMargin: "0.01",
               maxLeverage: "100.00", mmDeduction: ""}
          markPrice: "60000"          # simulator only: the mark price of every position in the symbol
      accounts:
        - api_key: k1
          secret: s1
          uid: "3001"
          unifiedMarginStatus: 6      # 1 classic, 3/4 UTA 1.0, 5/6 UTA 2.0 (DOCS acct-mode.mdx); default 6
          marginMode: REGULAR_MARGIN  # UTA: ISOLATED_MARGIN | REGULAR_MARGIN | PORTFOLIO_MARGIN; default REGULAR
          demo: false                 # demo trading: position/symbol-info (not on its list) answers 404, 10017
          readOnly: 0                 # 1: a read-only key; every write answers 10005
          key_expires_at: "2027-01-01T00:00:00Z"   # absent: an IP-bound key that does not expire
          ips: ["*"]                  # bound addresses ("*": none); another address answers 10010
          balances: {USDT: "100000"}  # available balance per coin; isolated margin lives in the positions
          position_modes: {USDT: 3}   # per settle coin (switch-mode by coin): 0 one-way, 3 hedge; default 0
          symbols:                    # per-symbol settings
            BTCUSDT: {buyLeverage: "10", sellLeverage: "10", tradeMode: 1, mode: 3}
          positions:                  # GET /v5/position/list rows (what is given; the rest is computed)
            - {symbol: BTCUSDT, positionIdx: 1, side: Buy, size: "0.5", avgPrice: "60000", positionIM: "3100",
               autoAddMargin: 0}
          orders:                     # GET /v5/order/realtime rows
            - {symbol: ETHUSDT, side: Buy, orderType: Limit, qty: "1", price: "2000", positionIdx: 0}

Defaults and choices:

- leverage never set for a symbol: DEFAULT_LEVERAGE (10), capped at the symbol's maxLeverage. Unconfirmed:
  bybit.md finds no source for it and asks the simulator to take it from its config.
- `tradeMode` (0 cross, 1 isolated; default 0) is the symbol's margin mode on classic accounts, and for
  inverse symbols on UTA 1.0; every other margin mode is the account's `marginMode`.
- `mode` per symbol beats `position_modes` per settle coin, which beats one-way (DOCS position-mode.mdx).
  Hedge mode exists for USDT perpetuals only (and inverse futures outside UTA 2.0).
- a position's `positionIdx` defaults to 0 in one-way mode and to 1 (Buy) / 2 (Sell) in hedge mode; an
  isolated position without `positionIM` holds exactly the initial margin of its leverage; `markPrice`
  defaults to the instrument's, else to `avgPrice`.
- an order's `orderFilter` is `StopOrder` when it has a `triggerPrice` or a `stopOrderType`, else `Order`.
- `riskLimits` not given: one tier covering every size, maintenance margin rate 0.005 (the help page's
  example), maxLeverage the filter's. `maintenanceMargin` is a rate (0.005 = 0.5 %). Unconfirmed: the DOCS
  risk-limit example writes "0.5" for an inverse tier, which reads like a percentage; ccxt reads a rate.
  A position's tier is the first whose riskLimitValue covers its value (the auto risk limit).
"""

from __future__ import annotations

import copy
import re
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from . import margin

DEFAULT_LEVERAGE = Decimal("10")
DEFAULT_IP_BAN_S = 600.0
STATUSES = (1, 3, 4, 5, 6)
MARGIN_MODES = ("ISOLATED_MARGIN", "REGULAR_MARGIN", "PORTFOLIO_MARGIN")
CATEGORIES = ("linear", "inverse")
ONE_WAY, HEDGE = 0, 3

_INVERSE_FUTURES = re.compile(r"^[A-Z0-9]+USD[FGHJKMNQUVXZ]\d{2}$")
_LEVERAGE_FILTER = {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"}
_PRICE_FILTER = {"minPrice": "0.10", "maxPrice": "1999999.80", "tickSize": "0.10"}


def decimal(value, what: str) -> Decimal:
    """A number of the world; ValueError naming it when it is not one."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{what}: {value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{what}: {value!r} is not a number")
    return number


def text(value: Decimal) -> str:
    """A decimal as Bybit writes it: plain digits, no exponent, no trailing zeros."""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


class Instrument:
    """One listed contract: its filters, risk tiers and mark price, with Bybit's defaults filled in."""

    def __init__(self, raw: dict):
        if not isinstance(raw, dict) or not raw.get("symbol"):
            raise ValueError("each bybit instrument needs a symbol")
        self.raw = raw
        self.symbol = str(raw["symbol"])
        self.category = str(raw.get("category") or ("inverse" if _inverse_symbol(self.symbol) else "linear"))
        if self.category not in CATEGORIES:
            raise ValueError(f"instrument {self.symbol}: category must be linear or inverse")
        self.linear = self.category == "linear"
        self.base_coin = str(raw.get("baseCoin") or _base_of(self.symbol))
        self.settle_coin = str(raw.get("settleCoin") or self._default_settle())
        self.quote_coin = str(raw.get("quoteCoin") or ("USD" if not self.linear else self.settle_coin))
        self.contract_type = str(raw.get("contractType") or self._default_contract_type())
        self.status = str(raw.get("status") or "Trading")
        self.leverage_filter = {**_LEVERAGE_FILTER, **(raw.get("leverageFilter") or {})}
        self.price_filter = {**_PRICE_FILTER, **(raw.get("priceFilter") or {})}
        self.min_leverage = decimal(self.leverage_filter["minLeverage"], f"{self.symbol} minLeverage")
        self.max_leverage = decimal(self.leverage_filter["maxLeverage"], f"{self.symbol} maxLeverage")
        self.leverage_step = decimal(self.leverage_filter["leverageStep"], f"{self.symbol} leverageStep")
        self.tiers = self._tiers(raw.get("riskLimits"))
        mark = raw.get("markPrice")
        self.mark_price = None if mark in (None, "") else decimal(mark, f"{self.symbol} markPrice")

    def _default_settle(self) -> str:
        if not self.linear:
            return self.base_coin
        return "USDC" if self.symbol.endswith("PERP") or "-" in self.symbol else "USDT"

    def _default_contract_type(self) -> str:
        if self.linear:
            return "LinearFutures" if "-" in self.symbol else "LinearPerpetual"
        return "InversePerpetual" if self.symbol.endswith("USD") else "InverseFutures"

    def _tiers(self, given) -> list[dict]:
        if not given:
            # One tier covering every size: MMR 0.5 %, the example rate of bybit.md section 8 and the help page.
            return [{"id": 1, "symbol": self.symbol, "riskLimitValue": "1000000000", "maintenanceMargin": "0.005",
                     "initialMargin": text(1 / self.max_leverage), "isLowestRisk": 1,
                     "maxLeverage": self.leverage_filter["maxLeverage"], "mmDeduction": ""}]
        if not isinstance(given, list):
            raise ValueError(f"instrument {self.symbol}: riskLimits must be a list of tiers")
        tiers = []
        for i, tier in enumerate(given):
            if not isinstance(tier, dict):
                raise ValueError(f"instrument {self.symbol}: each risk tier must be a mapping")
            for key in ("riskLimitValue", "maintenanceMargin", "maxLeverage"):
                decimal(tier.get(key), f"{self.symbol} riskLimits[{i}].{key}")
            tiers.append({"id": i + 1, "symbol": self.symbol, "initialMargin": "", "isLowestRisk": int(i == 0),
                          "mmDeduction": "", **tier})
        return sorted(tiers, key=lambda tier: Decimal(str(tier["riskLimitValue"])))

    @property
    def hedge_capable(self) -> bool:
        """USDT perpetuals only, on UTA 2.0 (DOCS position-mode.mdx); inverse futures also elsewhere."""
        return self.contract_type == "LinearPerpetual" and self.settle_coin == "USDT"

    def on_step(self, value: Decimal) -> bool:
        return self.leverage_step <= 0 or (value - self.min_leverage) % self.leverage_step == 0

    def tick(self, price: Decimal) -> Decimal:
        step = decimal(self.price_filter["tickSize"], f"{self.symbol} tickSize")
        return (price / step).to_integral_value() * step if step > 0 else price

    def within_prices(self, price: Decimal) -> bool:
        """DOCS position.mdx: liqPrice stays "" at or below minPrice and at or above maxPrice."""
        low = decimal(self.price_filter["minPrice"], f"{self.symbol} minPrice")
        high = decimal(self.price_filter["maxPrice"], f"{self.symbol} maxPrice")
        return low < price < high


class Account:
    """One API key's account, over its raw world mapping (which stays the state the simulator returns)."""

    def __init__(self, raw: dict, instruments: dict[str, Instrument]):
        if not isinstance(raw, dict):
            raise ValueError("each bybit account must be a mapping")
        for key in ("api_key", "secret", "uid"):
            if raw.get(key) in (None, ""):
                raise ValueError(f"bybit account needs {key}")
        self.raw = raw
        self.uid = str(raw["uid"])
        self.api_key = str(raw["api_key"])
        self.secret = str(raw["secret"])
        self._instruments = instruments
        self.status = int(raw.get("unifiedMarginStatus", 6))
        if self.status not in STATUSES:
            raise ValueError(f"bybit account {self.uid}: unifiedMarginStatus must be one of {STATUSES}")
        if raw.get("marginMode", "REGULAR_MARGIN") not in MARGIN_MODES:
            raise ValueError(f"bybit account {self.uid}: marginMode must be one of {', '.join(MARGIN_MODES)}")
        for field, kind in (("balances", dict), ("position_modes", dict), ("symbols", dict),
                            ("positions", list), ("orders", list), ("ips", list)):
            if raw.get(field) is not None and not isinstance(raw[field], kind):
                raise ValueError(f"bybit account {self.uid}: {field} must be a {kind.__name__}")
        for coin, amount in (raw.get("balances") or {}).items():
            decimal(amount, f"account {self.uid} balance {coin}")
        for coin, mode in (raw.get("position_modes") or {}).items():
            if mode not in (ONE_WAY, HEDGE):
                raise ValueError(f"bybit account {self.uid}: position_modes.{coin} must be 0 or 3")
        self.expires_at = _expiry(raw.get("key_expires_at"), self.uid)
        if self.expires_at is not None:  # YAML reads an unquoted time as a datetime; keep the state JSON
            raw["key_expires_at"] = self.expires_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._check_positions()
        self._check_orders()

    # --- account kind ---------------------------------------------------------------------
    @property
    def classic(self) -> bool:
        return self.status == 1

    @property
    def uta2(self) -> bool:
        return self.status in (5, 6)

    @property
    def uta1(self) -> bool:
        return self.status in (3, 4)

    @property
    def account_margin_mode(self) -> str:
        return str(self.raw.get("marginMode", "REGULAR_MARGIN"))

    @property
    def demo(self) -> bool:
        return bool(self.raw.get("demo", False))

    @property
    def read_only(self) -> bool:
        return int(self.raw.get("readOnly", 0)) == 1

    def symbol_margin_is_per_symbol(self, inst: Instrument) -> bool:
        """Whether switch-isolated sets this symbol's margin mode: classic, and inverse on UTA 1.0."""
        return self.classic or (self.uta1 and not inst.linear)

    def margin_mode(self, inst: Instrument) -> str:
        """"cross", "isolated" or "portfolio": what the symbol trades in."""
        if self.symbol_margin_is_per_symbol(inst):
            return "isolated" if int(self.settings(inst.symbol).get("tradeMode", 0)) == 1 else "cross"
        return {"ISOLATED_MARGIN": "isolated", "REGULAR_MARGIN": "cross",
                "PORTFOLIO_MARGIN": "portfolio"}[self.account_margin_mode]

    # --- settings per symbol ----------------------------------------------------------------
    def settings(self, symbol: str) -> dict:
        return (self.raw.get("symbols") or {}).get(symbol) or {}

    def settings_to_write(self, symbol: str) -> dict:
        return self.raw.setdefault("symbols", {}).setdefault(symbol, {})

    def hedge_supported(self, inst: Instrument) -> bool:
        return inst.hedge_capable or (not self.uta2 and inst.contract_type == "InverseFutures")

    def position_mode(self, inst: Instrument) -> int:
        mode = self.settings(inst.symbol).get("mode")
        if mode is None:
            mode = (self.raw.get("position_modes") or {}).get(inst.settle_coin, ONE_WAY)
        return HEDGE if int(mode) == HEDGE and self.hedge_supported(inst) else ONE_WAY

    def hedge(self, inst: Instrument) -> bool:
        return self.position_mode(inst) == HEDGE

    def leverage(self, inst: Instrument) -> tuple[Decimal, Decimal]:
        """(buy, sell) leverage of the symbol."""
        stored = self.settings(inst.symbol)
        default = min(DEFAULT_LEVERAGE, inst.max_leverage)
        buy = decimal(stored.get("buyLeverage", default), f"{inst.symbol} buyLeverage")
        sell = decimal(stored.get("sellLeverage", buy), f"{inst.symbol} sellLeverage")
        return buy, sell

    def leverage_of(self, inst: Instrument, idx: int) -> Decimal:
        buy, sell = self.leverage(inst)
        return sell if idx == 2 else buy

    # --- positions, orders, balances --------------------------------------------------------
    def positions(self) -> list[dict]:
        return self.raw.get("positions") or []

    def position(self, symbol: str, idx: int) -> dict | None:
        return next((p for p in self.positions() if p["symbol"] == symbol and self.idx_of(p) == idx), None)

    def open_positions(self, symbol: str | None = None) -> list[dict]:
        return [p for p in self.positions()
                if decimal(p.get("size", "0"), "size") > 0 and (symbol is None or p["symbol"] == symbol)]

    def orders(self, symbol: str | None = None) -> list[dict]:
        return [o for o in (self.raw.get("orders") or []) if symbol is None or o["symbol"] == symbol]

    def idx_of(self, position: dict) -> int:
        if position.get("positionIdx") is not None:
            return int(position["positionIdx"])
        inst = self.instrument(position["symbol"])
        if inst is not None and self.hedge(inst):
            return 2 if position.get("side") == "Sell" else 1
        return 0

    def side_of(self, position: dict) -> str:
        """Buy or Sell; "" for an empty position."""
        if decimal(position.get("size", "0"), "size") <= 0:
            return ""
        if position.get("side"):
            return str(position["side"])
        return "Sell" if self.idx_of(position) == 2 else "Buy"

    def balance(self, coin: str) -> Decimal:
        return decimal((self.raw.get("balances") or {}).get(coin, "0"), f"balance {coin}")

    def set_balance(self, coin: str, amount: Decimal) -> None:
        self.raw.setdefault("balances", {})[coin] = text(amount)

    def instrument(self, symbol: str) -> Instrument | None:
        return self._instruments.get(symbol)

    # --- margin of a position ---------------------------------------------------------------
    def mark_price(self, inst: Instrument, position: dict) -> Decimal:
        if position.get("markPrice") not in (None, ""):
            return decimal(position["markPrice"], f"{inst.symbol} markPrice")
        return inst.mark_price if inst.mark_price is not None else decimal(position.get("avgPrice", "0"), "avgPrice")

    def entry_value(self, inst: Instrument, position: dict) -> Decimal:
        size = decimal(position.get("size", "0"), "size")
        return margin.position_value(inst.linear, size, decimal(position.get("avgPrice", "0"), "avgPrice"))

    def isolated_margin(self, inst: Instrument, position: dict) -> Decimal:
        """The margin an isolated position holds: `positionIM` as given or last set, else its leverage's IM."""
        if position.get("positionIM") not in (None, ""):
            return decimal(position["positionIM"], f"{inst.symbol} positionIM")
        return self.entry_value(inst, position) / self.leverage_of(inst, self.idx_of(position))

    # --- checks of the world ----------------------------------------------------------------
    def _check_positions(self) -> None:
        seen = set()
        for position in self.positions():
            if not isinstance(position, dict) or not position.get("symbol"):
                raise ValueError(f"bybit account {self.uid}: each position needs a symbol")
            inst = self._known(position["symbol"], "position")
            size = decimal(position.get("size", "0"), f"position {inst.symbol} size")
            if size < 0:
                raise ValueError(f"position {inst.symbol}: size is always positive; give side Buy or Sell")
            if size > 0:
                decimal(position.get("avgPrice"), f"position {inst.symbol} avgPrice")
            if position.get("side") not in (None, "", "Buy", "Sell"):
                raise ValueError(f"position {inst.symbol}: side must be Buy or Sell")
            idx = self.idx_of(position)
            hedge = self.hedge(inst)
            if (idx == 0) == hedge or idx not in (0, 1, 2):
                raise ValueError(f"position {inst.symbol}: positionIdx {idx} does not fit "
                                 f"{'hedge' if hedge else 'one-way'} mode")
            if hedge and position.get("side") and self.side_of(position) != ("Buy" if idx == 1 else "Sell"):
                raise ValueError(f"position {inst.symbol}: positionIdx {idx} is the "
                                 f"{'Buy' if idx == 1 else 'Sell'} side")
            if (inst.symbol, idx) in seen:
                raise ValueError(f"bybit account {self.uid}: two positions {inst.symbol} positionIdx {idx}")
            seen.add((inst.symbol, idx))

    def _check_orders(self) -> None:
        for order in self.orders():
            if not isinstance(order, dict) or not order.get("symbol"):
                raise ValueError(f"bybit account {self.uid}: each order needs a symbol")
            self._known(order["symbol"], "order")
            if order.get("side") not in ("Buy", "Sell"):
                raise ValueError(f"order {order['symbol']}: side must be Buy or Sell")

    def _known(self, symbol, what: str) -> Instrument:
        inst = self.instrument(str(symbol))
        if inst is None:
            raise ValueError(f"bybit account {self.uid}: {what} on {symbol}, which is not in instruments")
        return inst


class World:
    """The whole bybit section: instruments by symbol, accounts by API key, and the simulator's settings."""

    def __init__(self, section: dict | None):
        section = copy.deepcopy(section or {})
        if not isinstance(section, dict):
            raise ValueError("the bybit section must be a mapping")
        instruments = section.setdefault("instruments", [])
        accounts = section.setdefault("accounts", [])
        if not isinstance(instruments, list) or not isinstance(accounts, list):
            raise ValueError("bybit instruments and accounts must be lists")
        self.section = section
        self.instruments: dict[str, Instrument] = {}
        for raw in instruments:
            inst = Instrument(raw)
            if inst.symbol in self.instruments:
                raise ValueError(f"duplicate bybit instrument {inst.symbol}")
            self.instruments[inst.symbol] = inst
        self.accounts: dict[str, Account] = {}
        for raw in accounts:
            account = Account(raw, self.instruments)
            if account.api_key in self.accounts:
                raise ValueError(f"duplicate bybit api_key {account.api_key!r}")
            self.accounts[account.api_key] = account
        self.ip_ban_seconds = float(decimal(section.get("ip_ban_seconds", DEFAULT_IP_BAN_S), "ip_ban_seconds"))

    def state(self) -> dict:
        return copy.deepcopy(self.section)

    def listed(self, category: str) -> list[Instrument]:
        return [inst for inst in self.instruments.values() if inst.category == category]


def _base_of(symbol: str) -> str:
    if "-" in symbol:
        return symbol.split("-")[0]
    for suffix in ("USDT", "USDC", "PERP", "USD"):
        if symbol.endswith(suffix):
            return symbol[: -len(suffix)]
    return symbol.split("USD")[0] or symbol


def _inverse_symbol(symbol: str) -> bool:
    """BTCUSD (perpetual) or BTCUSDH25 (futures: a month code and a year)."""
    return symbol.endswith("USD") or _INVERSE_FUTURES.match(symbol) is not None


def _expiry(value, uid: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"bybit account {uid}: key_expires_at {value!r} is not an ISO time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
