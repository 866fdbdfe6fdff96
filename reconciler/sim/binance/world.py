"""The `binance:` world section: read and checked into the simulator's state, and written back out.

The section uses Binance's own field names::

    binance:
      rateLimits:                      # optional, exchangeInfo's shape; default REQUEST_WEIGHT 2400 / 1 MINUTE
        - {rateLimitType: REQUEST_WEIGHT, interval: MINUTE, intervalNum: 1, limit: 2400}
      symbols:
        - symbol: BTCUSDT              # required; any other exchangeInfo field (status, pricePrecision, ...)
          markPrice: "60000"           # optional: the mark price of the symbol's flat rows
          brackets:                    # optional: leverageBracket's shape, ascending
            - {bracket: 1, initialLeverage: 125, notionalFloor: 0, notionalCap: 50000,
               maintMarginRatio: 0.004, cum: 0}
      accounts:
        - api_key: k1                  # required, letters and digits
          secret: s1                   # required (HMAC-SHA256 keys only)
          uid: 1001                    # default: the api_key
          dualSidePosition: false      # hedge mode; shared by USDⓈ-M and COIN-M
          multiAssetsMargin: false
          portfolioMargin: false       # true: private /fapi/ answers -2015, /papi/ serves it (binance.md §3.4)
          cmPositions: false           # COIN-M holds a position / an open order (blocks positionSide/dual)
          cmOpenOrders: false
          canTrade: true               # accountConfig flags; feeTier 0
          balances: {USDT: "10000"}    # crossWalletBalance per asset (isolated wallets are on the positions)
          symbolConfig:                # symbolConfig's shape
            - {symbol: BTCUSDT, marginType: ISOLATED, leverage: 10, isAutoAddMargin: false}
          positions:                   # positionRisk's shape
            - {symbol: BTCUSDT, positionSide: BOTH, positionAmt: "0.5", entryPrice: "60000",
               markPrice: "61000", isolatedWallet: "3000", marginType: isolated}
          orders:                      # openOrders' shape (orderId, status, type, ... have defaults)
            - {symbol: ETHUSDT, side: BUY, positionSide: BOTH, origQty: "1", price: "2000"}
          algoOrders:                  # openAlgoOrders' shape (algoId, algoType, ... have defaults)
            - {symbol: BTCUSDT, side: SELL, orderType: STOP_MARKET, quantity: "0.5", triggerPrice: "50000"}
          marginHistory: []            # positionMargin/history's shape; the simulator appends each margin move

Defaults for what the world does not say:

- a symbol absent from `symbolConfig`: `marginType: CROSSED` (binance.md §3.1, unconfirmed but what every
  doc example shows), `leverage: 20` (FAQ 360033162192: "defaults to 20x"; capped at bracket 1's
  `initialLeverage` when that is lower), `isAutoAddMargin: false`;
- a symbol without `brackets`: `DEFAULT_BRACKETS`, a BTCUSDT-like table (125x up to 50,000 USDT); a bracket
  without `cum` gets the documented rule floor_n x (mmr_n - mmr_n-1) + cum_n-1;
- exchangeInfo fields a symbol does not give: a USDT perpetual's (`_SYMBOL_DEFAULTS`), the quote and margin
  asset from the symbol's ending (USDT, USDC, BUSD, FDUSD);
- a position: `positionSide` BOTH, `markPrice` = `entryPrice`, `isolatedWallet` 0 (of a cross position
  always 0); its `marginType`, when given, must agree with the symbol's (it sets it when symbolConfig is
  silent); `isolatedMargin` may be given instead of `isolatedWallet` (wallet = margin - unrealised PnL);
- orders and algo orders get increasing ids in list order and status NEW.
"""

from __future__ import annotations

import copy
import re
import time
from decimal import Decimal, InvalidOperation

from .margin import cumulative_amounts

DEFAULT_LEVERAGE = 20
DEFAULT_RATE_LIMITS = [  # exchangeInfo.rateLimits as binance.md §4.8 gives them
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
    {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
]
INTERVAL_SECONDS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}

# (initialLeverage, notionalFloor, notionalCap, maintMarginRatio): the BTCUSDT table of Binance's
# "Leverage and Margin" page as it stood in 2025; cum follows from the documented rule.
_BRACKET_TABLE = [
    (125, 0, 50_000, "0.004"), (100, 50_000, 600_000, "0.005"), (75, 600_000, 3_000_000, "0.0065"),
    (50, 3_000_000, 12_000_000, "0.01"), (25, 12_000_000, 70_000_000, "0.02"),
    (20, 70_000_000, 100_000_000, "0.025"), (10, 100_000_000, 230_000_000, "0.05"),
    (5, 230_000_000, 480_000_000, "0.1"), (4, 480_000_000, 600_000_000, "0.125"),
    (3, 600_000_000, 800_000_000, "0.15"), (2, 800_000_000, 1_200_000_000, "0.25"),
    (1, 1_200_000_000, 1_800_000_000, "0.5"),
]
DEFAULT_BRACKETS = [
    {"bracket": n, "initialLeverage": lev, "notionalCap": cap, "notionalFloor": floor, "maintMarginRatio": mmr}
    for n, (lev, floor, cap, mmr) in enumerate(_BRACKET_TABLE, start=1)
]

_QUOTES = ("FDUSD", "USDT", "USDC", "BUSD")
_SYMBOL_DEFAULTS = {
    "contractType": "PERPETUAL", "deliveryDate": 4133404800000, "onboardDate": 1569398400000,
    "status": "TRADING", "maintMarginPercent": "2.5000", "requiredMarginPercent": "5.0000",
    "pricePrecision": 2, "quantityPrecision": 3, "baseAssetPrecision": 8, "quotePrecision": 8,
    "underlyingType": "COIN", "underlyingSubType": [], "settlePlan": 0, "triggerProtect": "0.0500",
    "liquidationFee": "0.012500", "marketTakeBound": "0.05", "maxMoveOrderLimit": 10000,
    "filters": [
        {"filterType": "PRICE_FILTER", "minPrice": "0.10", "maxPrice": "4529764", "tickSize": "0.10"},
        {"filterType": "LOT_SIZE", "minQty": "0.001", "maxQty": "1000", "stepSize": "0.001"},
        {"filterType": "MARKET_LOT_SIZE", "minQty": "0.001", "maxQty": "120", "stepSize": "0.001"},
        {"filterType": "MAX_NUM_ORDERS", "limit": 200},
        {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
        {"filterType": "MIN_NOTIONAL", "notional": "100"},
        {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500",
         "multiplierDecimal": "4"},
    ],
    "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
                   "TRAILING_STOP_MARKET"],
    "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
}
_ORDER_DEFAULTS = {
    "status": "NEW", "clientOrderId": "", "avgPrice": "0", "executedQty": "0", "cumQuote": "0",
    "timeInForce": "GTC", "type": "LIMIT", "reduceOnly": False, "closePosition": False, "stopPrice": "0",
    "workingType": "CONTRACT_PRICE", "priceProtect": False, "origType": "LIMIT", "priceMatch": "NONE",
    "selfTradePreventionMode": "NONE", "goodTillDate": 0, "price": "0", "origQty": "0",
}
_ALGO_DEFAULTS = {
    "clientAlgoId": "", "algoType": "CONDITIONAL", "orderType": "STOP_MARKET", "timeInForce": "GTC",
    "quantity": "0", "algoStatus": "NEW", "actualOrderId": "", "actualPrice": "0", "triggerPrice": "0",
    "price": "0", "icebergQuantity": None, "tpTriggerPrice": "0", "tpPrice": "0", "slTriggerPrice": "0",
    "slPrice": "0", "tpOrderType": "", "selfTradePreventionMode": "NONE", "workingType": "CONTRACT_PRICE",
    "priceMatch": "NONE", "closePosition": False, "priceProtect": False, "reduceOnly": False,
    "triggerTime": 0, "goodTillDate": 0,
}
_ACCOUNT_KEYS = {"api_key", "secret", "uid", "dualSidePosition", "multiAssetsMargin", "portfolioMargin",
                 "cmPositions", "cmOpenOrders", "canTrade", "canDeposit", "canWithdraw", "feeTier", "balances",
                 "symbolConfig", "positions", "orders", "algoOrders", "marginHistory"}
_FLAGS = {"dualSidePosition": False, "multiAssetsMargin": False, "portfolioMargin": False, "cmPositions": False,
          "cmOpenOrders": False, "canTrade": True, "canDeposit": True, "canWithdraw": True}
_API_KEY = re.compile(r"^[A-Za-z0-9]+$")
_MARGIN_TYPES = {"ISOLATED": "ISOLATED", "CROSSED": "CROSSED", "CROSS": "CROSSED"}


def plain(value: Decimal) -> str:
    """A Decimal as Binance writes numbers in strings: plain notation, no exponent, no trailing zeros."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def number(value, where: str) -> Decimal:
    """A world number (string or number) as a Decimal; ValueError naming where it is."""
    if isinstance(value, bool):
        raise ValueError(f"{where}: {value!r} is not a number")
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{where}: {value!r} is not a number") from None
    if not result.is_finite():
        raise ValueError(f"{where}: {value!r} is not a number")
    return result


def now_ms() -> int:
    return int(time.time() * 1000)


def margin_asset(symbol: str) -> str:
    return next((quote for quote in _QUOTES if symbol.endswith(quote) and len(symbol) > len(quote)), "USDT")


class World:
    """The simulator's state: symbols (with brackets), accounts, the request-weight limits."""

    def __init__(self, section: dict | None):
        try:
            self._load(copy.deepcopy(section or {}))
        except ValueError as exc:
            raise ValueError(f"binance section: {exc}") from None

    def _load(self, section: dict) -> None:
        if not isinstance(section, dict):
            raise TypeError("the binance section must be a mapping")
        unknown = set(section) - {"symbols", "accounts", "rateLimits"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}")
        self.rate_limits = _rate_limits(section.get("rateLimits"))
        self.symbols: dict[str, dict] = {}
        self._given: dict[str, set] = {}  # the fields the world gave per symbol: what dump() writes back
        for item in _list(section.get("symbols"), "symbols"):
            info = _symbol(item)
            if info["symbol"] in self.symbols:
                raise ValueError(f"symbol {info['symbol']} appears twice")
            self.symbols[info["symbol"]] = info
            self._given[info["symbol"]] = set(item) | {"symbol"}
        self.accounts: list[dict] = []
        self.by_key: dict[str, dict] = {}
        for index, item in enumerate(_list(section.get("accounts"), "accounts")):
            account = self._account(item, f"accounts[{index}]")
            if account["api_key"] in self.by_key:
                raise ValueError(f"api_key {account['api_key']!r} appears twice")
            self.by_key[account["api_key"]] = account
            self.accounts.append(account)

    def dump(self) -> dict:
        symbols = [{key: value for key, value in info.items() if key in self._given[name]}
                   for name, info in self.symbols.items()]
        section = {"symbols": copy.deepcopy(symbols),
                   "accounts": [_dump_account(account) for account in self.accounts]}
        if self.rate_limits != DEFAULT_RATE_LIMITS:
            section["rateLimits"] = copy.deepcopy(self.rate_limits)
        return section

    # --- accounts ---------------------------------------------------------------------------
    def _account(self, item, where: str) -> dict:
        if not isinstance(item, dict):
            raise ValueError(f"{where}: an account is a mapping")
        unknown = set(item) - _ACCOUNT_KEYS
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
        key, secret = item.get("api_key"), item.get("secret")
        if not isinstance(key, str) or not _API_KEY.match(key):
            raise ValueError(f"{where}: api_key must be letters and digits")
        if not isinstance(secret, str) or not secret:
            raise ValueError(f"{where}: secret is required")
        account = {"api_key": key, "secret": secret, "uid": str(item.get("uid") or key)}
        for flag, default in _FLAGS.items():
            value = item.get(flag, default)
            if not isinstance(value, bool):
                raise ValueError(f"{where}.{flag}: must be true or false")
            account[flag] = value
        account["feeTier"] = item.get("feeTier", 0)
        if isinstance(account["feeTier"], bool) or not isinstance(account["feeTier"], int):
            raise ValueError(f"{where}.feeTier: a whole number")
        balances = item.get("balances") or {}
        if not isinstance(balances, dict):
            raise ValueError(f"{where}.balances: maps an asset to its crossWalletBalance")
        account["balances"] = {str(asset).upper(): plain(number(value, f"{where}.balances.{asset}"))
                               for asset, value in balances.items()}
        account["symbolConfig"] = {}
        for i, entry in enumerate(_list(item.get("symbolConfig"), f"{where}.symbolConfig")):
            config = self._config(entry, f"{where}.symbolConfig[{i}]")
            account["symbolConfig"][config["symbol"]] = config
        account["positions"] = [self._position(account, entry, f"{where}.positions[{i}]")
                                for i, entry in enumerate(_list(item.get("positions"), f"{where}.positions"))]
        sides = [(p["symbol"], p["positionSide"]) for p in account["positions"]]
        if len(sides) != len(set(sides)):
            raise ValueError(f"{where}.positions: a symbol and positionSide appear twice")
        account["orders"] = self._orders(item.get("orders"), f"{where}.orders", "orderId", _ORDER_DEFAULTS,
                                         8_000_000_000)
        account["algoOrders"] = self._orders(item.get("algoOrders"), f"{where}.algoOrders", "algoId",
                                             _ALGO_DEFAULTS, 3_000_000_000)
        account["marginHistory"] = copy.deepcopy(_list(item.get("marginHistory"), f"{where}.marginHistory"))
        return account

    def _known(self, symbol, where: str) -> str:
        symbol = str(symbol or "").upper()
        if symbol not in self.symbols:
            raise ValueError(f"{where}: symbol {symbol or '(none)'} is not among the binance symbols")
        return symbol

    def _config(self, entry, where: str) -> dict:
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: a symbolConfig entry is a mapping")
        symbol = self._known(entry.get("symbol"), where)
        config = self.default_config(symbol)
        if "marginType" in entry:
            config["marginType"] = _margin_type(entry["marginType"], where)
        if "leverage" in entry:
            leverage = entry["leverage"]
            if isinstance(leverage, bool) or not isinstance(leverage, (int, str)) or not str(leverage).isdigit():
                raise ValueError(f"{where}.leverage: a whole number, got {leverage!r}")
            config["leverage"] = int(leverage)
        if "isAutoAddMargin" in entry:
            config["isAutoAddMargin"] = entry["isAutoAddMargin"] in (True, "true")
        return config

    def default_config(self, symbol: str) -> dict:
        cap = int(self.symbols[symbol]["brackets"][0]["initialLeverage"])
        return {"symbol": symbol, "marginType": "CROSSED", "leverage": min(DEFAULT_LEVERAGE, cap),
                "isAutoAddMargin": False}

    def _position(self, account: dict, entry, where: str) -> dict:
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: a position is a mapping")
        symbol = self._known(entry.get("symbol"), where)
        side = str(entry.get("positionSide") or "BOTH").upper()
        allowed = ("LONG", "SHORT") if account["dualSidePosition"] else ("BOTH",)
        if side not in allowed:
            mode = "hedge" if account["dualSidePosition"] else "one-way"
            raise ValueError(f"{where}: positionSide {side} in {mode} mode (one of {', '.join(allowed)})")
        amount = number(entry.get("positionAmt", 0), f"{where}.positionAmt")
        if (side == "LONG" and amount < 0) or (side == "SHORT" and amount > 0):
            raise ValueError(f"{where}: a {side} position's positionAmt has the wrong sign")
        entry_price = number(entry.get("entryPrice", 0), f"{where}.entryPrice")
        mark = number(entry.get("markPrice", entry_price), f"{where}.markPrice")
        config = account["symbolConfig"].get(symbol)
        if "marginType" in entry:
            kind = _margin_type(entry["marginType"], f"{where}.marginType")
            if config is None:
                config = account["symbolConfig"][symbol] = {**self.default_config(symbol), "marginType": kind}
            elif config["marginType"] != kind:
                raise ValueError(f"{where}: marginType {kind} but the symbol's symbolConfig says "
                                 f"{config['marginType']}")
        isolated = (config or {}).get("marginType") == "ISOLATED"
        if "isolatedWallet" in entry:
            wallet = number(entry["isolatedWallet"], f"{where}.isolatedWallet")
        elif "isolatedMargin" in entry:
            wallet = number(entry["isolatedMargin"], f"{where}.isolatedMargin") - amount * (mark - entry_price)
        else:
            wallet = Decimal(0)
        if wallet and not isolated:
            raise ValueError(f"{where}: a cross position has no isolatedWallet")
        return {"symbol": symbol, "positionSide": side, "positionAmt": plain(amount),
                "entryPrice": plain(entry_price), "markPrice": plain(mark), "isolatedWallet": plain(wallet),
                "updateTime": int(entry.get("updateTime") or now_ms())}

    def _orders(self, items, where: str, id_key: str, defaults: dict, base: int) -> list[dict]:
        orders = []
        for i, entry in enumerate(_list(items, where)):
            if not isinstance(entry, dict):
                raise ValueError(f"{where}[{i}]: an order is a mapping")
            symbol = self._known(entry.get("symbol"), f"{where}[{i}]")
            order = {**copy.deepcopy(defaults), **copy.deepcopy(entry), "symbol": symbol}
            order.setdefault("side", "BUY")
            order.setdefault("positionSide", "BOTH")
            given = entry.get(id_key)
            if given is not None and not str(given).isdigit():
                raise ValueError(f"{where}[{i}].{id_key}: a whole number, got {given!r}")
            order[id_key] = int(given) if given is not None else base + i + 1
            stamp = "createTime" if id_key == "algoId" else "time"
            order.setdefault(stamp, now_ms())
            order.setdefault("updateTime", order[stamp])
            orders.append(order)
        return orders


def _dump_account(account: dict) -> dict:
    data = copy.deepcopy(account)
    data["symbolConfig"] = list(data["symbolConfig"].values())
    return data


def _symbol(item) -> dict:
    if not isinstance(item, dict) or not item.get("symbol"):
        raise ValueError("each binance symbol is a mapping with a symbol")
    symbol = str(item["symbol"]).upper()
    where = f"symbol {symbol}"
    asset = margin_asset(symbol)
    info = {"symbol": symbol, "pair": symbol, **copy.deepcopy(_SYMBOL_DEFAULTS),
            "baseAsset": symbol[: -len(asset)] if symbol.endswith(asset) else symbol,
            "quoteAsset": asset, "marginAsset": asset}
    info.update(copy.deepcopy(item))
    info["symbol"] = symbol
    if "markPrice" in info:
        info["markPrice"] = plain(number(info["markPrice"], f"{where}.markPrice"))
    info["brackets"] = _brackets(item.get("brackets"), where)
    return info


def _brackets(items, where: str) -> list[dict]:
    items = copy.deepcopy(items) if items else copy.deepcopy(DEFAULT_BRACKETS)
    if not isinstance(items, list):
        raise ValueError(f"{where}.brackets: a list of brackets")
    brackets = []
    for i, entry in enumerate(items):
        at = f"{where}.brackets[{i}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{at}: a bracket is a mapping")
        for key in ("initialLeverage", "notionalCap", "notionalFloor", "maintMarginRatio"):
            if key not in entry:
                raise ValueError(f"{at}: {key} is required")
        bracket = {"bracket": int(entry.get("bracket", i + 1)),
                   "initialLeverage": int(number(entry["initialLeverage"], f"{at}.initialLeverage")),
                   "notionalCap": _int_or_decimal(number(entry["notionalCap"], f"{at}.notionalCap")),
                   "notionalFloor": _int_or_decimal(number(entry["notionalFloor"], f"{at}.notionalFloor")),
                   "maintMarginRatio": float(number(entry["maintMarginRatio"], f"{at}.maintMarginRatio"))}
        if "cum" in entry:
            bracket["cum"] = _int_or_decimal(number(entry["cum"], f"{at}.cum"))
        brackets.append(bracket)
    if brackets[0]["initialLeverage"] < 1:
        raise ValueError(f"{where}.brackets: bracket 1 needs an initialLeverage of 1 or more")
    for bracket, amount in zip(brackets, cumulative_amounts(brackets)):
        bracket.setdefault("cum", _int_or_decimal(amount))
    return brackets


def _int_or_decimal(value: Decimal):
    # notionalCap, notionalFloor and cum are integers in the SDK's model (DOC shows cum as 0.0): a whole
    # amount is sent as an integer, which both parse strictly; a fraction stays a JSON number
    return int(value) if value == value.to_integral_value() else float(value)


def _rate_limits(items) -> list[dict]:
    if items is None:
        return copy.deepcopy(DEFAULT_RATE_LIMITS)
    limits = []
    for i, entry in enumerate(_list(items, "rateLimits")):
        where = f"rateLimits[{i}]"
        if not isinstance(entry, dict) or entry.get("interval") not in INTERVAL_SECONDS \
                or entry.get("rateLimitType") not in ("REQUEST_WEIGHT", "ORDERS", "RAW_REQUESTS"):
            raise ValueError(f"{where}: needs rateLimitType (REQUEST_WEIGHT, ORDERS) and interval "
                             f"({', '.join(INTERVAL_SECONDS)})")
        for key in ("intervalNum", "limit"):
            value = entry.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{where}.{key}: a whole number of 1 or more")
        limits.append(dict(entry))
    return limits


def _margin_type(value, where: str) -> str:
    kind = _MARGIN_TYPES.get(str(value or "").upper())
    if kind is None:
        raise ValueError(f"{where}: marginType must be ISOLATED or CROSSED, got {value!r}")
    return kind


def _list(value, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{where}: must be a list")
    return value
