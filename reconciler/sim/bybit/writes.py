"""Bybit's POST endpoints: account margin mode, per-symbol margin mode, leverage, position mode, margin moves.

Each handler checks the request against the documented rules (bybit.md section 5), changes the world
only when it accepts, and returns the answer's `result`, or raises BybitError. Isolated margin moves
between a position's `positionIM` and the account's available balance of its settle coin.
"""

from __future__ import annotations

from decimal import Decimal

from . import checks, margin
from .answers import BybitError, parameter_error
from .rows import amount, liquidation_text, order_id, position_row
from .world import CATEGORIES, HEDGE, MARGIN_MODES, ONE_WAY, Account, Instrument, World, decimal, text

PORTFOLIO_MIN_EQUITY = Decimal(1000)
_MARGIN_ANSWER = ("category", "symbol", "positionIdx", "riskId", "riskLimitValue", "size", "positionValue",
                  "avgPrice", "liqPrice", "bustPrice", "markPrice", "leverage", "autoAddMargin", "positionStatus",
                  "positionIM", "positionMM", "unrealisedPnl", "cumRealisedPnl", "stopLoss", "takeProfit",
                  "trailingStop", "createdTime", "updatedTime")


# --- margin mode ------------------------------------------------------------------------------
def set_margin_mode(world: World, account: Account, params: dict) -> dict:
    """UTA: the account-wide margin mode; refused with `reasons[]`, one per thing that blocks it."""
    if account.classic:
        raise BybitError(10028)
    wanted = params.get("setMarginMode")
    if wanted not in MARGIN_MODES:
        raise parameter_error(f"setMarginMode must be one of {', '.join(MARGIN_MODES)}")
    if wanted == account.account_margin_mode:
        # Unconfirmed (bybit.md 5.1): no "not modified" code is documented; the safe answer is success.
        return {"reasons": []}
    reasons = _margin_mode_blockers(world, account)
    if wanted == "PORTFOLIO_MARGIN":
        equity = sum((account.balance(coin) for coin in ("USDT", "USDC")), Decimal(0))
        if equity < PORTFOLIO_MIN_EQUITY:
            reasons.append({"reasonCode": "3400000",
                            "reasonMsg": "Equity needs to be equal to or greater than 1000 USDC"})
    if reasons:
        raise BybitError(3400045, result={"reasons": reasons})
    account.raw["marginMode"] = wanted
    return {"reasons": []}


def _margin_mode_blockers(world: World, account: Account) -> list[dict]:
    """Unconfirmed (bybit.md 5.1 and 10): which positions and orders block a switch, with which reasonCode.
    The safe rule: every open position and every open order of any symbol does, each named in its reason;
    the codes are the error table's nearest ones (3400208 open positions; 3400054 / 3400052 uncancelled
    USDT / USDC perpetual orders)."""
    reasons = []
    for position in account.open_positions():
        reasons.append({"reasonCode": "3400208",
                        "reasonMsg": f"You have an open position: {position['symbol']} {account.side_of(position)} "
                                     f"size {position['size']} (positionIdx {account.idx_of(position)}); "
                                     "close it before switching the margin mode"})
    for index, order in enumerate(account.orders()):
        usdc = world.instruments[order["symbol"]].settle_coin == "USDC"
        reasons.append({"reasonCode": "3400052" if usdc else "3400054",
                        "reasonMsg": f"You have an uncancelled order: {order['symbol']} {order['side']} "
                                     f"orderId {order_id(account, order, index)}; cancel it before switching "
                                     "the margin mode"})
    return reasons


def switch_isolated(world: World, account: Account, params: dict) -> dict:
    """Classic accounts (and inverse on UTA 1.0): one symbol's margin mode, with its leverage."""
    category = checks.category(params, CATEGORIES)
    inst = checks.instrument(world, category, params.get("symbol"))
    if not account.symbol_margin_is_per_symbol(inst):
        raise BybitError(100028)
    trade_mode = checks.one_of(params, "tradeMode", (0, 1))
    buy, sell = _leverages(inst, params)
    if buy != sell:
        raise parameter_error("buyLeverage must be equal to sellLeverage")
    if int(account.settings(inst.symbol).get("tradeMode", 0)) == trade_mode:
        raise BybitError(110026)
    if account.open_positions(inst.symbol) or account.orders(inst.symbol):
        # Unconfirmed: no code of the error table names this case; the safe answer refuses the switch (a
        # parameter-class error, never retried) and says what blocks it.
        raise parameter_error(f"{inst.symbol} has an open position or open orders, so its margin mode "
                              "cannot be switched")
    settings = account.settings_to_write(inst.symbol)
    settings.update({"tradeMode": trade_mode, "buyLeverage": text(buy), "sellLeverage": text(sell)})
    return {}


# --- leverage ---------------------------------------------------------------------------------
def set_leverage(world: World, account: Account, params: dict) -> dict:
    """DOCS leverage.mdx: buy = sell in one-way mode and in hedge + cross; hedge + isolated may differ."""
    category = checks.category(params, CATEGORIES)
    inst = checks.instrument(world, category, params.get("symbol"))
    mode = account.margin_mode(inst)
    if mode == "portfolio":
        raise BybitError(110038)
    buy, sell = _leverages(inst, params)
    if buy != sell:
        if not account.hedge(inst):
            # Unconfirmed: the code for unequal sides in one-way mode; a parameter error is the safe one.
            raise parameter_error("buyLeverage must be equal to sellLeverage in one-way mode")
        if mode == "cross":
            raise BybitError(110036)  # Unconfirmed trigger (bybit.md 5.3): unequal sides under cross margin
    if (buy, sell) == account.leverage(inst):
        raise BybitError(110043)
    wanted = {0: buy, 1: buy, 2: sell}
    for position in account.open_positions(inst.symbol):
        tier = margin.tier_for(inst.tiers, account.entry_value(inst, position))
        if wanted[account.idx_of(position)] > decimal(tier["maxLeverage"], "maxLeverage"):
            raise BybitError(110013)
    if mode == "isolated":
        _remargin(account, inst, wanted)
    settings = account.settings_to_write(inst.symbol)
    settings.update({"buyLeverage": text(buy), "sellLeverage": text(sell)})
    return {}


def _remargin(account: Account, inst: Instrument, wanted: dict[int, Decimal]) -> None:
    """Isolated positions keep their added margin and hold the initial margin of the new leverage: the
    difference moves from or to the balance (Unconfirmed, bybit.md 5.3: 110044 when the balance cannot pay)."""
    moves = []
    for position in account.open_positions(inst.symbol):
        idx = account.idx_of(position)
        value = account.entry_value(inst, position)
        held = account.isolated_margin(inst, position)
        new_initial = value / wanted[idx]
        new_held = max(held + new_initial - value / account.leverage_of(inst, idx), new_initial)
        moves.append((position, new_held.quantize(Decimal("0.00000001")), held))
    need = sum((new - old for _, new, old in moves), Decimal(0))
    if need > account.balance(inst.settle_coin):
        raise BybitError(110044)
    for position, new, _ in moves:
        position["positionIM"] = amount(new)
    account.set_balance(inst.settle_coin, account.balance(inst.settle_coin) - need)


# --- position mode ----------------------------------------------------------------------------
def switch_mode(world: World, account: Account, params: dict) -> dict:
    """DOCS position-mode.mdx: per symbol, or per settle coin (then symbols with a position or an open order
    keep their mode, silently). Priority: symbol > coin > one-way."""
    category = checks.category(params, CATEGORIES)
    mode = checks.one_of(params, "mode", (ONE_WAY, HEDGE))
    if params.get("symbol"):
        inst = checks.instrument(world, category, params.get("symbol"))
        if mode == HEDGE and not account.hedge_supported(inst):
            raise BybitError(110029)
        if account.position_mode(inst) == mode:
            raise BybitError(110025)
        if account.open_positions(inst.symbol):
            raise BybitError(110024)
        if account.orders(inst.symbol):
            raise BybitError(110028)
        _apply_mode(account, inst, mode)
        return {}
    coin = params.get("coin")
    if not coin:
        raise parameter_error("symbol or coin is required")
    listed = [inst for inst in world.listed(category) if inst.settle_coin == coin]
    if mode == HEDGE and not any(account.hedge_supported(inst) for inst in listed):
        raise BybitError(110029)
    coin_modes = account.raw.get("position_modes") or {}
    if int(coin_modes.get(coin, ONE_WAY)) == mode and all(account.position_mode(i) == mode for i in listed):
        raise BybitError(110025)
    for inst in listed:
        if account.open_positions(inst.symbol) or account.orders(inst.symbol):
            account.settings_to_write(inst.symbol)["mode"] = account.position_mode(inst)  # keeps its mode
        else:
            _apply_mode(account, inst, mode, inherit=True)
    account.raw.setdefault("position_modes", {})[coin] = mode
    return {}


def _apply_mode(account: Account, inst: Instrument, mode: int, inherit: bool = False) -> None:
    settings = account.settings_to_write(inst.symbol)
    if inherit:
        settings.pop("mode", None)
    else:
        settings["mode"] = mode
    if mode == ONE_WAY:
        # Unconfirmed: what becomes of unequal buy/sell leverage when a symbol leaves hedge mode; one-way
        # mode holds one value, and we keep the buy side's.
        buy, _ = account.leverage(inst)
        if "sellLeverage" in settings or "buyLeverage" in settings:
            settings["sellLeverage"] = text(buy)
    if not settings:
        account.raw["symbols"].pop(inst.symbol, None)


# --- margin of isolated positions ---------------------------------------------------------------
def add_margin(world: World, account: Account, params: dict) -> dict:
    """DOCS manual-add-margin.mdx: a signed amount (up to 4 decimals) into or out of an isolated position."""
    category = checks.category(params, CATEGORIES)
    inst = checks.instrument(world, category, params.get("symbol"))
    delta = checks.number(params, "margin")
    if delta != delta.quantize(Decimal("0.0001")):
        raise parameter_error("margin supports up to 4 decimals")
    position, idx = _open_position(account, inst, params)
    mode = account.margin_mode(inst)
    if mode == "cross":
        raise BybitError(110015)  # Unconfirmed (bybit.md 5.5): the code for a cross position
    if mode == "portfolio":
        raise BybitError(110077)
    if delta == 0:
        raise BybitError(110027)
    held = account.isolated_margin(inst, position)
    new_held = held + delta
    coin = inst.settle_coin
    if delta > account.balance(coin):
        raise BybitError(110014)
    initial = account.entry_value(inst, position) / account.leverage_of(inst, idx)
    if delta < 0 and new_held < initial:
        # Only margin above the leverage's initial margin can be taken out (110078, DOCS error.mdx).
        raise BybitError(110078)
    if delta < 0 and _liquidated_at_once(account, inst, position, new_held):
        raise BybitError(110011)
    position["positionIM"] = amount(new_held)
    account.set_balance(coin, account.balance(coin) - delta)
    row = position_row(account, inst, position, idx, category)
    return {key: row[key] for key in _MARGIN_ANSWER}


def set_auto_add_margin(world: World, account: Account, params: dict) -> dict:
    """DOCS auto-add-margin.mdx: per isolated position; the DOCS example's spelling `autoAddmargin` is taken too."""
    category = checks.category(params, CATEGORIES)
    inst = checks.instrument(world, category, params.get("symbol"))
    if "autoAddMargin" not in params and "autoAddmargin" in params:
        params = {**params, "autoAddMargin": params["autoAddmargin"]}
    value = checks.one_of(params, "autoAddMargin", (0, 1))
    if account.margin_mode(inst) != "isolated":
        raise BybitError(110076)
    position, _ = _open_position(account, inst, params)
    position["autoAddMargin"] = value
    return {}


def _liquidated_at_once(account: Account, inst: Instrument, position: dict, held: Decimal) -> bool:
    size = decimal(position["size"], "size")
    entry = decimal(position["avgPrice"], "avgPrice")
    value = account.entry_value(inst, position)
    maintenance = margin.maintenance_margin(value, margin.tier_for(inst.tiers, value))
    long = account.side_of(position) == "Buy"
    price = liquidation_text(inst, long, size, entry, held, maintenance)
    mark = account.mark_price(inst, position)
    return bool(price) and (Decimal(price) >= mark if long else Decimal(price) <= mark)


def _open_position(account: Account, inst: Instrument, params: dict) -> tuple[dict, int]:
    hedge = account.hedge(inst)
    raw = params.get("positionIdx")
    if raw is None and hedge:
        raise parameter_error("positionIdx is required in hedge mode")
    idx = checks.one_of(params, "positionIdx", (0, 1, 2)) if raw is not None else 0
    if (idx == 0) == hedge:
        raise parameter_error("position idx not match position mode")
    position = account.position(inst.symbol, idx)
    if position is None or decimal(position.get("size", "0"), "size") <= 0:
        raise BybitError(110033)
    return position, idx


# --- parameters -------------------------------------------------------------------------------
def _leverages(inst: Instrument, params: dict) -> tuple[Decimal, Decimal]:
    """buyLeverage and sellLeverage within the instrument's leverageFilter (bounds and step)."""
    values = []
    for key in ("buyLeverage", "sellLeverage"):
        value = checks.number(params, key)
        # Unconfirmed (bybit.md 5.3): the code for a value out of range or off the step; 10001 is the safe one.
        if not inst.min_leverage <= value <= inst.max_leverage:
            raise parameter_error(f"{key} {text(value)} is outside [{text(inst.min_leverage)}, "
                                  f"{text(inst.max_leverage)}]")
        if not inst.on_step(value):
            raise parameter_error(f"{key} {text(value)} is not a multiple of {text(inst.leverage_step)}")
        values.append(value)
    return values[0], values[1]
