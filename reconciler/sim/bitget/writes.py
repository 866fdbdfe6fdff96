"""Bitget's POST endpoints: margin mode, leverage, isolated margin moves and position mode (bitget.md §6).

Each handler takes (world, account, params), checks the request as the document describes, changes the
world only when it accepts, and returns the envelope's `data` or raises BitgetError. The `balances` are the
free balance: adding isolated margin takes from it, reducing gives back. Pending orders lock nothing.
"""

from __future__ import annotations

from decimal import Decimal

from .errors import BitgetError, bad, missing
from .margin import required_margin, top_up
from .params import product, require
from .values import norm_mode, number, text
from .world import POS_MODES, World


def _symbol_busy(world: World, acct: dict, symbol: str) -> list[str]:
    """What keeps the symbol's margin mode from changing (empty when nothing does)."""
    found = []
    for pos in acct["positions"]:
        if str(pos["symbol"]).upper() == symbol and world.is_open(pos):
            found.append(f"position {pos['holdSide']} {pos['total']}")
    for order in acct["orders"]:
        if str(order["symbol"]).upper() == symbol:
            found.append(f"order {order['orderId']}")
    # Unconfirmed (§6.1, §12): whether pending plan/trigger orders alone block set-margin-mode.
    # We choose to count them (45117) because it is the safe behaviour: a client that checks
    # orders-plan-pending before the change works against the real venue either way.
    for order in acct["plan_orders"]:
        if str(order["symbol"]).upper() == symbol:
            found.append(f"plan order {order['orderId']}")
    return found


def set_margin_mode(world: World, acct: dict, params: dict):
    symbol, line, coin, mode = require(params, "symbol", "productType", "marginCoin", "marginMode")
    line = product(line)
    coin = world.margin_coin(world.contract(symbol, line), coin)
    symbol = symbol.upper()
    # §6.1: isolated | crossed only (ccxt maps cross -> crossed because `cross` is not taken)
    if mode not in ("isolated", "crossed"):
        raise bad("marginMode")
    if _symbol_busy(world, acct, symbol):
        raise BitgetError("45117", "Currently holding positions or orders, the margin mode cannot be adjusted")
    entry = world.settings_entry(acct, symbol)
    # Unconfirmed: the answer when the mode is already the requested one; we accept it as a
    # no-op success (nothing changes, so no state can be damaged).
    entry["marginMode"] = mode
    entry["marginCoin"] = coin
    if mode == "crossed":
        long_lev = short_lev = entry["crossedMarginLeverage"]
    else:
        long_lev, short_lev = entry["isolatedLongLever"], entry["isolatedShortLever"]
    return {"symbol": symbol, "marginCoin": coin, "longLeverage": long_lev,
            "shortLeverage": short_lev, "marginMode": mode}


def _leverage_value(name: str, given, contract: dict) -> str:
    value = number(given)
    if value is None:
        raise bad(name)
    # Unconfirmed (§9): whether fractional leverage is accepted; we refuse it (40020) because
    # every SDK and example sends whole numbers, so a client sending "2.5" is doing something
    # no one has seen work.
    if value != value.to_integral_value():
        raise bad(name)
    high, low = number(contract.get("maxLever", "125")), number(contract.get("minLever", "1"))
    # demo contracts may have empty min/max: then there is nothing to check against (§9)
    if high is not None and value > high:
        raise BitgetError("40797", "Exceeded the maximum settable leverage")
    # Unconfirmed (§9): the code for leverage below the minimum; we choose 45044 "leverage out
    # of suitable range" (documented) and refuse anything below minLever or below 1, the safe
    # behaviour since such a value can never be valid.
    if (low is not None and value < low) or value < 1:
        raise BitgetError("45044", "The leverage is out of the suitable range")
    return text(value)


def set_leverage(world: World, acct: dict, params: dict):
    symbol, line, coin = require(params, "symbol", "productType", "marginCoin")
    line = product(line)
    contract = world.contract(symbol, line)
    coin = world.margin_coin(contract, coin)
    symbol = symbol.upper()
    given = {k: params.get(k) for k in ("leverage", "longLeverage", "shortLeverage")
             if params.get(k) not in (None, "")}
    if not given:
        raise missing("leverage")
    values = {k: _leverage_value(k, v, contract) for k, v in given.items()}
    mode = world.settings(acct, symbol)["marginMode"]
    pos_mode = world.pos_mode(acct, line)
    changes: dict[str, str] = {}
    if mode == "crossed":
        # §6.2: holdSide is ignored in cross mode; longLeverage/shortLeverage still take
        # effect there, longLeverage first.
        value = values.get("longLeverage") or values.get("leverage") or values.get("shortLeverage")
        changes["crossedMarginLeverage"] = value
    elif pos_mode == "one_way_mode":
        # isolated one-way: `leverage` sets both sides, the per-side fields win over it
        long_v = values.get("longLeverage") or values.get("leverage")
        short_v = values.get("shortLeverage") or values.get("leverage")
        if long_v:
            changes["isolatedLongLever"] = long_v
        if short_v:
            changes["isolatedShortLever"] = short_v
    else:
        # isolated hedge: holdSide is required unless both sides come in one call
        if "longLeverage" in values and "shortLeverage" in values:
            changes["isolatedLongLever"] = values["longLeverage"]
            changes["isolatedShortLever"] = values["shortLeverage"]
        else:
            hold_side = params.get("holdSide")
            if hold_side in (None, ""):
                raise missing("holdSide")
            if hold_side not in ("long", "short"):
                raise bad("holdSide")
            value = values.get(f"{hold_side}Leverage") or values.get("leverage")
            if not value:
                raise missing("leverage")
            changes["isolatedLongLever" if hold_side == "long" else "isolatedShortLever"] = value
    # Unconfirmed (§6.2, §9): whether pending orders (40730/45097) or too little margin on an
    # open isolated position (40893) refuse a leverage change in V2. We accept the change: the doc
    # codes belong to the legacy engine and no client or live log shows V2 refusing for them.
    # A lower leverage tops an isolated position's margin up (margin.top_up), a higher one leaves it.
    entry = world.settings_entry(acct, symbol)
    entry.update(changes)
    entry["marginCoin"] = coin
    # keep the leverage of the affected open positions equal to the new setting
    for pos in acct["positions"]:
        if str(pos["symbol"]).upper() != symbol:
            continue
        pos_mode_of = norm_mode(pos.get("marginMode")) or mode
        if pos_mode_of != mode:
            continue
        if mode == "crossed":
            pos["leverage"] = changes["crossedMarginLeverage"]
        else:
            key = "isolatedLongLever" if pos["holdSide"] == "long" else "isolatedShortLever"
            if key in changes:
                pos["leverage"] = changes[key]
                top_up(acct, pos, coin, number(changes[key], Decimal(1)))
    settings = world.settings(acct, symbol)
    if mode == "crossed":
        long_lev = short_lev = settings["crossedMarginLeverage"]
    else:
        long_lev, short_lev = settings["isolatedLongLever"], settings["isolatedShortLever"]
    return {"symbol": symbol, "marginCoin": coin, "longLeverage": long_lev, "shortLeverage": short_lev,
            "crossMarginLeverage": settings["crossedMarginLeverage"], "marginMode": mode}


def set_margin(world: World, acct: dict, params: dict):
    symbol, line, coin, amount_text, hold_side = require(
        params, "symbol", "productType", "marginCoin", "amount", "holdSide")
    line = product(line)
    coin = world.margin_coin(world.contract(symbol, line), coin)
    symbol = symbol.upper()
    if hold_side not in ("long", "short"):
        raise bad("holdSide")
    amount = number(amount_text)
    # Unconfirmed (§6.3): the allowed precision of `amount`; we take any decimal.
    if amount is None or amount == 0:
        raise bad("amount")
    position = next((pos for pos in acct["positions"]
                     if str(pos["symbol"]).upper() == symbol
                     and str(pos.get("marginCoin") or coin).upper() == coin
                     and pos["holdSide"] == hold_side and world.is_open(pos)), None)
    mode = (norm_mode(position.get("marginMode")) if position else None) \
        or world.settings(acct, symbol)["marginMode"]
    if mode == "crossed":
        raise BitgetError("40875", "Whole position mode does not support margin adjustment")
    if position is None:
        # Unconfirmed (§6.3): in one-way isolated mode, holdSide must be the side the position
        # reports; a wrong side finds no position, the safe reading.
        raise BitgetError("40802", "Position is zero and direct margin call is not allowed")
    balance = number(acct["balances"].get(coin), Decimal(0))
    margin = number(position.get("marginSize"), Decimal(0))
    if amount > 0 and amount > balance:
        # Unconfirmed (§6.3): the code for adding more than the available balance; we choose
        # 40798 "Insufficient contract account balance" (documented) and refuse.
        raise BitgetError("40798", "Insufficient contract account balance")
    if amount < 0:
        leverage = number(world.position_leverage(acct, position), Decimal(1))
        # Unconfirmed (§6.3): the code for reducing too much; we choose 40801 "Cannot exceed
        # the maximum transferable deposit amount" (documented) and refuse any reduction that
        # leaves less than the margin the leverage requires (margin.required_margin).
        if margin + amount < required_margin(position, leverage):
            raise BitgetError("40801", "Cannot exceed the maximum transferable deposit amount")
    position["marginSize"] = text(margin + amount)
    acct["balances"][coin] = text(balance - amount)
    return ""


def set_position_mode(world: World, acct: dict, params: dict):
    line, pos_mode = require(params, "productType", "posMode")
    line = product(line)
    if pos_mode not in POS_MODES:
        raise bad("posMode")
    busy = any(world.product_of(pos) == line and world.is_open(pos) for pos in acct["positions"])
    busy = busy or any(world.product_of(order) == line for order in acct["orders"])
    # Unconfirmed (§12): whether pending plan orders alone block set-position-mode. We choose
    # to count them (40920) because it is the safe behaviour.
    busy = busy or any(world.product_of(order) == line for order in acct["plan_orders"])
    if busy:
        raise BitgetError("40920", "Position or order exists, the position mode cannot be switched")
    acct["position_modes"][line] = pos_mode
    return {"posMode": pos_mode}
