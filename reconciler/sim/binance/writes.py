"""The POST endpoints: margin type, leverage, isolated position margin, position mode, Multi-Assets mode (§5)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from .books import Books
from .errors import BinanceError, invalid, missing
from .margin import ZERO
from .reads import symbol_param
from .world import margin_asset, now_ms, plain

SUCCESS = {"code": 200, "msg": "success"}
MAX_LEVERAGE = 125  # DOC: "int from 1 to 125"


def _required(params: dict, name: str) -> str:
    value = params.get(name, "")
    if value == "":
        raise missing(name)
    return value


def _flag(params: dict, name: str) -> bool:
    value = _required(params, name).lower()
    if value not in ("true", "false"):
        raise invalid(name)
    return value == "true"


def _blocked_by_orders(books: Books, symbol: str | None = None) -> bool:
    # Unconfirmed (binance.md §4.7, §10): whether pending algo (conditional) orders block margin type and
    # position mode changes; we count them, the safe behaviour (a client that checks both lists works
    # against the venue either way).
    return bool(books.orders(symbol) or books.algo_orders(symbol))


def margin_type(books: Books, params: dict) -> dict:
    symbol = symbol_param(books.world, params, required=True)
    target = _required(params, "marginType").upper()
    if target not in ("ISOLATED", "CROSSED"):
        raise invalid("marginType")
    if books.config(symbol)["marginType"] == target:
        raise BinanceError(-4046)
    if target == "ISOLATED" and books.account["multiAssetsMargin"]:
        raise BinanceError(-4168)
    if _blocked_by_orders(books, symbol):
        raise BinanceError(-4047)
    # In hedge mode LONG and SHORT share the margin type, so either side's position blocks (§3.1).
    if books.open_positions(symbol):
        raise BinanceError(-4048)
    books.config_entry(symbol)["marginType"] = target
    for position in books.account["positions"]:
        if position["symbol"] == symbol:
            position["isolatedWallet"] = "0"  # flat rows only: an open position blocked the change
    return dict(SUCCESS)


def leverage(books: Books, params: dict) -> dict:
    symbol = symbol_param(books.world, params, required=True)
    text = _required(params, "leverage")
    if not text.isdigit():
        raise invalid("leverage")
    value = int(text)
    cap = min(int(books.brackets(symbol)[0]["initialLeverage"]), MAX_LEVERAGE)
    if not 1 <= value <= cap:
        raise BinanceError(-4028, value)
    config = books.config(symbol)
    held = books.open_positions(symbol)
    if held and config["marginType"] == "ISOLATED" and value < config["leverage"]:
        raise BinanceError(-4161)
    # Unconfirmed (§10): whether the leverage call itself fails with -2027 when the position is larger
    # than the new leverage allows; we refuse it, the safe behaviour.
    limit = books.max_notional(symbol, value)
    if any(abs(books.figures(p).notional) > limit for p in held):
        raise BinanceError(-2027)
    if held and config["marginType"] == "CROSSED" and value < config["leverage"]:
        asset = margin_asset(symbol)
        extra = sum((abs(books.figures(p).notional) * (1 / Decimal(value) - 1 / Decimal(config["leverage"]))
                     for p in held), ZERO)
        if extra > books.available(asset):
            raise BinanceError(-2028)
    # Unconfirmed (§5.2): open orders do not block a leverage change, and setting the current value
    # again succeeds and echoes it.
    books.config_entry(symbol)["leverage"] = value
    return {"leverage": value, "maxNotionalValue": plain(limit), "symbol": symbol}


def position_margin(books: Books, params: dict) -> dict:
    symbol = symbol_param(books.world, params, required=True)
    amount = _amount(_required(params, "amount"))
    kind = _required(params, "type")
    if kind not in ("1", "2"):
        raise invalid("type")
    side = (params.get("positionSide") or ("" if books.account["dualSidePosition"] else "BOTH")).upper()
    # Unconfirmed (§10): the code for a missing or wrong positionSide; we answer -4060.
    if side not in books.sides():
        raise BinanceError(-4060)
    if amount <= 0:
        raise BinanceError(-4055)
    if not books.isolated(symbol):
        raise BinanceError(-4049)
    position = books.position(symbol, side)
    if position is None or Decimal(position["positionAmt"]) == 0:
        raise BinanceError(-4054)
    asset = margin_asset(symbol)
    figures = books.figures(position)
    if kind == "1" and amount > books.available(asset):
        raise BinanceError(-4050)
    # Unconfirmed (§10): the code for reducing below what the position needs; we answer -4051 when the
    # isolated margin left would be under the initial margin |notional| / leverage, or the wallet negative.
    if kind == "2" and (amount > figures.wallet or figures.wallet + figures.pnl - amount < figures.initial):
        raise BinanceError(-4051)
    delta = amount if kind == "1" else -amount
    position["isolatedWallet"] = plain(figures.wallet + delta)
    position["updateTime"] = now_ms()
    books.account["balances"][asset] = plain(books.cross_wallet(asset) - delta)
    books.account["marginHistory"].append({"symbol": symbol, "type": int(kind), "deltaType": "USER_ADJUST",
                                           "amount": plain(amount), "asset": asset, "time": now_ms(),
                                           "positionSide": side})
    # DOC's answer gives `amount` as a JSON number; the only place a float leaves the simulator.
    return {"amount": float(amount), "code": 200, "msg": "Successfully modify position margin.",
            "type": int(kind)}


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise invalid("amount") from None
    if not value.is_finite():
        raise invalid("amount")
    return value


def position_side(books: Books, params: dict) -> dict:
    target = _flag(params, "dualSidePosition")
    account = books.account
    if account["dualSidePosition"] == target:
        raise BinanceError(-4059)
    # binance.md §3.2 (SDK docstring): UM and CM share the setting; either side's orders or positions block.
    if _blocked_by_orders(books) or account["cmOpenOrders"]:
        raise BinanceError(-4067)
    if books.open_positions() or account["cmPositions"]:
        raise BinanceError(-4068)
    account["dualSidePosition"] = target
    account["positions"] = []  # only flat rows were left; their sides belong to the old mode
    return dict(SUCCESS)


def multi_assets(books: Books, params: dict) -> dict:
    target = _flag(params, "multiAssetsMargin")
    account = books.account
    if account["multiAssetsMargin"] == target:
        raise BinanceError(-4171)
    if target and any(config["marginType"] == "ISOLATED" for config in account["symbolConfig"].values()):
        raise BinanceError(-4167)
    if _blocked_by_orders(books):
        raise BinanceError(-4170)
    account["multiAssetsMargin"] = target
    return dict(SUCCESS)
