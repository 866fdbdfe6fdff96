"""The `bitget:` world section: contracts and accounts, loaded, checked, looked up and written back as they are now.

World section, in Bitget's own field names and spellings::

    contracts:   [{symbol, productType, minLever, maxLever, supportMarginCoins, ...any §5.4 field}]
    accounts:
      - api_key, secret, passphrase, uid
        position_modes: {USDT-FUTURES: one_way_mode | hedge_mode}
        balances: {USDT: "100000"}              # the free (available) balance per margin coin
        symbols: {BTCUSDT: {marginCoin, marginMode, crossedMarginLeverage,
                            isolatedLongLever, isolatedShortLever}}
        positions: [{symbol, marginCoin, holdSide, marginMode, total, marginSize, openPriceAvg,
                     markPrice?, keepMarginRate?, leverage?, ...}]
        orders: [{symbol, marginCoin, side, size, price, marginMode, orderId?, status?, cTime?, ...}]
        plan_orders: [{symbol, marginCoin, planType, side, size, triggerPrice, orderId?, cTime?, ...}]

Defaults (what the simulator answers for a setting the world does not give):

- A symbol of a known contract that is absent from `symbols` (or a field absent from its entry)
  reads as `marginMode: crossed` with leverage 20 for cross and both isolated sides
  (`DEFAULT_LEVERAGE`; capped to the contract's `maxLever` when that is lower, raised to its
  `minLever` when that is higher).
- A product line absent from `position_modes` is `one_way_mode`.
- A coin absent from `balances` has a balance of 0.
- An account without `uid` uses its `api_key` as uid.
- A contract field absent from the world takes the value of a typical USDT perpetual
  (`minLever` "1", `maxLever` "125", `symbolStatus` "normal", `symbolType` "perpetual",
  `takerFeeRate` "0.0006", ...).
- Orders and plan orders without `orderId` get increasing numeric ids in list order (a later
  entry is newer); these ids are then part of `state()`. Orders are `status: live`
  unless the world says `partially_filled`; an order or plan order without `cTime` (ms) was created when
  the world was loaded.
- The product line of a position or order is its symbol's contract's `productType`; for a symbol
  with no contract, an explicit `productType` key on the entry, else the one its `marginCoin`
  implies (USDT -> USDT-FUTURES, USDC -> USDC-FUTURES, other coins -> COIN-FUTURES).
"""

from __future__ import annotations

import copy
from decimal import Decimal

from .errors import BitgetError
from .params import PRODUCT_TYPES
from .values import norm_mode, now_ms, number, product_of_coin, stringify, text

DEFAULT_LEVERAGE = Decimal(20)
POS_MODES = ("one_way_mode", "hedge_mode")

_ORDER_ID_BASE = 1_100_000_000_000_000_000
_PLAN_ID_BASE = 1_200_000_000_000_000_000

_CONTRACT_DEFAULTS = {
    "buyLimitPriceRatio": "0.05",
    "sellLimitPriceRatio": "0.05",
    "feeRateUpRatio": "0.005",
    "makerFeeRate": "0.0002",
    "takerFeeRate": "0.0006",
    "openCostUpRatio": "0.01",
    "minTradeNum": "0.001",
    "priceEndStep": "1",
    "volumePlace": "3",
    "pricePlace": "1",
    "sizeMultiplier": "0.001",
    "symbolType": "perpetual",
    "minTradeUSDT": "5",
    "maxSymbolOrderNum": "200",
    "maxProductOrderNum": "400",
    "maxPositionNum": "150",
    "symbolStatus": "normal",
    "offTime": "-1",
    "limitOpenTime": "-1",
    "deliveryTime": "",
    "deliveryStartTime": "",
    "deliveryPeriod": "",
    "launchTime": "",
    "fundInterval": "8",
    "minLever": "1",
    "maxLever": "125",
    "posLimit": "0.05",
    "maintainTime": "",
    "maxMarketOrderQty": "220",
    "maxOrderQty": "1200",
}
_QUOTE_SUFFIXES = ("SUSDT", "SUSDC", "SUSD", "USDT", "USDC", "USD", "PERP")


class World:
    """The contracts and accounts of one `bitget:` section, with the lookups every endpoint shares."""

    def __init__(self, section: dict):
        if not isinstance(section, dict):
            raise TypeError("the bitget section must be a mapping")
        unknown = set(section) - {"contracts", "accounts"}
        if unknown:
            raise ValueError(f"unknown keys in the bitget section: {sorted(unknown)}")
        contracts = stringify(copy.deepcopy(section.get("contracts") or []))
        by_symbol: dict[str, dict] = {}
        for contract in contracts:
            if not isinstance(contract, dict) or not contract.get("symbol"):
                raise ValueError("each bitget contract needs a symbol")
            product = str(contract.get("productType") or "USDT-FUTURES").upper()
            if product not in PRODUCT_TYPES:
                raise ValueError(f"contract {contract['symbol']}: unknown productType {product!r}")
            by_symbol[str(contract["symbol"]).upper()] = contract
        accounts = []
        keys: dict[str, dict] = {}
        for raw in section.get("accounts") or []:
            acct = _load_account(raw)
            if acct["api_key"] in keys:
                raise ValueError(f"api_key {acct['api_key']!r} appears twice")
            keys[acct["api_key"]] = acct
            accounts.append(acct)
        self.contracts = contracts
        self.by_symbol = by_symbol
        self.accounts = accounts
        self.by_key = keys
        self.epoch_ms = now_ms()

    def state(self) -> dict:
        return {"contracts": copy.deepcopy(self.contracts),
                "accounts": [copy.deepcopy(acct) for acct in self.accounts]}

    # --- contracts --------------------------------------------------------------------------
    def contract(self, symbol: str, product: str) -> dict:
        contract = self.by_symbol.get(symbol.upper())
        if contract is None or str(contract.get("productType") or "USDT-FUTURES").upper() != product:
            raise BitgetError("40034", f"Parameter {symbol} does not exist")
        return contract

    @staticmethod
    def contract_view(contract: dict) -> dict:
        symbol = str(contract["symbol"]).upper()
        product = str(contract.get("productType") or "USDT-FUTURES").upper()
        base, quote = symbol, ""
        for suffix in _QUOTE_SUFFIXES:
            if symbol.endswith(suffix) and len(symbol) > len(suffix):
                base, quote = symbol[: -len(suffix)], suffix
                break
        if quote == "PERP":
            quote = "USDC"
        view = {"symbol": symbol, "baseCoin": base, "quoteCoin": quote}
        view.update(_CONTRACT_DEFAULTS)
        coin = base if product in ("COIN-FUTURES", "SCOIN-FUTURES") else quote
        view["supportMarginCoins"] = [coin]
        view.update({k: v for k, v in contract.items() if k != "productType"})
        view["symbol"] = symbol
        return view

    def margin_coin(self, contract: dict, coin: str) -> str:
        coin = coin.upper()  # "must be capitalized", but the doc's own curl sends "usdt" (§4)
        supported = [str(c).upper() for c in self.contract_view(contract)["supportMarginCoins"]]
        if coin not in supported:
            raise BitgetError("40778", "The coin pair does not support this margin coin")
        return coin

    def taker_fee_rate(self, symbol: str) -> Decimal:
        """The contract's `takerFeeRate` (market/contracts), the default one for a symbol without a contract."""
        contract = self.by_symbol.get(symbol.upper())
        shown = self.contract_view(contract)["takerFeeRate"] if contract else _CONTRACT_DEFAULTS["takerFeeRate"]
        return number(shown, Decimal(_CONTRACT_DEFAULTS["takerFeeRate"]))

    def product_of(self, entry: dict) -> str:
        contract = self.by_symbol.get(str(entry.get("symbol", "")).upper())
        if contract is not None:
            return str(contract.get("productType") or "USDT-FUTURES").upper()
        if entry.get("productType"):
            return str(entry["productType"]).upper()
        return product_of_coin(str(entry.get("marginCoin") or "USDT"))

    # --- account settings -------------------------------------------------------------------
    @staticmethod
    def pos_mode(acct: dict, product: str) -> str:
        return acct["position_modes"].get(product, "one_way_mode")

    def default_leverage(self, symbol: str) -> str:
        contract = self.by_symbol.get(symbol.upper(), {})
        value = DEFAULT_LEVERAGE
        high, low = number(contract.get("maxLever")), number(contract.get("minLever"))
        if high is not None and high < value:
            value = high
        if low is not None and low > value:
            value = low
        return text(value)

    def settings(self, acct: dict, symbol: str) -> dict:
        """The symbol's margin settings with defaults filled in (a copy)."""
        default = self.default_leverage(symbol)
        given = acct["symbols"].get(symbol) or acct["symbols"].get(symbol.upper()) or {}
        contract = self.by_symbol.get(symbol.upper())
        coin = self.contract_view(contract)["supportMarginCoins"][0] if contract else "USDT"
        return {
            "marginCoin": given.get("marginCoin", coin),
            "marginMode": norm_mode(given.get("marginMode")) or "crossed",
            "crossedMarginLeverage": str(given.get("crossedMarginLeverage", default)),
            "isolatedLongLever": str(given.get("isolatedLongLever", default)),
            "isolatedShortLever": str(given.get("isolatedShortLever", default)),
        }

    def settings_entry(self, acct: dict, symbol: str) -> dict:
        """The world entry for the symbol, created with full defaults when absent."""
        for key in (symbol, symbol.upper()):
            if key in acct["symbols"]:
                entry = acct["symbols"][key]
                for field, value in self.settings(acct, symbol).items():
                    entry.setdefault(field, value)
                return entry
        entry = self.settings(acct, symbol)
        acct["symbols"][symbol.upper()] = entry
        return entry

    def position_leverage(self, acct: dict, pos: dict) -> str:
        if pos.get("leverage") not in (None, ""):
            return str(pos["leverage"])
        settings = self.settings(acct, str(pos["symbol"]).upper())
        mode = norm_mode(pos.get("marginMode")) or settings["marginMode"]
        if mode == "crossed":
            return settings["crossedMarginLeverage"]
        return settings["isolatedLongLever"] if pos["holdSide"] == "long" else settings["isolatedShortLever"]

    @staticmethod
    def is_open(entry: dict) -> bool:
        return (number(entry.get("total"), Decimal(0)) or Decimal(0)) > 0


def _load_account(raw) -> dict:
    if not isinstance(raw, dict):
        raise TypeError("each bitget account must be a mapping")
    acct = stringify(copy.deepcopy(raw))
    for key in ("api_key", "secret", "passphrase"):
        if not acct.get(key):
            raise ValueError(f"a bitget account needs {key}")
    acct["uid"] = str(acct.get("uid") or acct["api_key"])
    acct.setdefault("position_modes", {})
    acct.setdefault("balances", {})
    # symbol ids are case-insensitive on the venue (bitget.md section 4): the world may spell them either way
    acct["symbols"] = {str(symbol).upper(): entry for symbol, entry in (acct.get("symbols") or {}).items()}
    acct.setdefault("positions", [])
    acct.setdefault("orders", [])
    acct.setdefault("plan_orders", [])
    for product, mode in acct["position_modes"].items():
        if str(product).upper() not in PRODUCT_TYPES or mode not in POS_MODES:
            raise ValueError(f"position_modes: {product}: {mode!r} is not one of {POS_MODES}")
    for symbol, entry in acct["symbols"].items():
        if not isinstance(entry, dict):
            raise TypeError(f"symbols.{symbol} must be a mapping")
        if "marginMode" in entry and norm_mode(entry["marginMode"]) is None:
            raise ValueError(f"symbols.{symbol}.marginMode {entry['marginMode']!r} is not crossed or isolated")
    for pos in acct["positions"]:
        for key in ("symbol", "holdSide", "total"):
            if key not in pos:
                raise ValueError(f"a bitget position needs {key}")
        if pos["holdSide"] not in ("long", "short"):
            raise ValueError(f"position holdSide {pos['holdSide']!r} is not long or short")
        if "marginMode" in pos and norm_mode(pos["marginMode"]) is None:
            raise ValueError(f"position marginMode {pos['marginMode']!r} is not crossed or isolated")
    for kind, base in (("orders", _ORDER_ID_BASE), ("plan_orders", _PLAN_ID_BASE)):
        entries = acct[kind]
        for entry in entries:
            if not entry.get("symbol"):
                raise ValueError(f"each entry of {kind} needs a symbol")
            if "orderId" in entry and not str(entry["orderId"]).isdigit():
                raise ValueError(f"{kind}: orderId {entry['orderId']!r} is not numeric")
        next_id = max([base] + [int(e["orderId"]) for e in entries if "orderId" in e])
        for entry in entries:
            if "orderId" not in entry:
                next_id += 1
                entry["orderId"] = str(next_id)
        if kind == "plan_orders":
            for entry in entries:
                entry.setdefault("planType", "normal_plan")
    return acct
