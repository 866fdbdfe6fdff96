"""Orderly's margin model: notional, IMR/MMR, free collateral, the most a margin move may take, liquidation prices.

Model simplifications (documented, Decimal arithmetic throughout)
----------------------------------------------------------------
* Mark price of a position: its `mark_price` if given, else `average_open_price` (so unsettled PnL is 0).
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
* est_liq_price: isolated per the JS SDK formula (margin - cost_position) / (|qty| * MMR - qty) with no
  funding; cross: a one-position approximation mark - (total collateral - maintenance margin) / qty.
"""

from __future__ import annotations

from decimal import Decimal

from .values import ONE, ZERO, dec
from .world import Account, World

ISO_ORDER_FROZEN_BUFFER = Decimal("0.0006")  # JS SDK constants.ts IsoOrderFrozenBuffer


def mark(position: dict) -> Decimal:
    return dec(position.get("mark_price") or position.get("average_open_price") or "0")


def notional(position: dict) -> Decimal:
    return abs(dec(position["position_qty"])) * mark(position)


def upnl(position: dict) -> Decimal:
    qty = dec(position["position_qty"])
    return qty * (mark(position) - dec(position.get("average_open_price") or "0"))


def position_imr(world: World, account: Account, position: dict, leverage: int | None = None) -> Decimal:
    symbol = world.symbols[position["symbol"]]
    if leverage is None:
        leverage = world.leverage(account, position["symbol"], position["margin_mode"])
    return symbol.imr(leverage, notional(position))


def order_notional(order: dict) -> Decimal:
    return abs(dec(order["order_quantity"])) * dec(order.get("order_price") or "0")


def mode_notional(account: Account, symbol: str, mode: str) -> Decimal:
    return sum((notional(p) for p in account.open_positions(symbol, mode)), ZERO)


def cross_upnl(account: Account) -> Decimal:
    return sum((upnl(p) for p in account.open_positions(mode="CROSS")), ZERO)


def free_collateral(world: World, account: Account, cross_leverage: dict[str, int] | None = None) -> Decimal:
    cross_leverage = cross_leverage or {}

    def lev(symbol: str) -> int:
        return cross_leverage.get(symbol) or world.leverage(account, symbol, "CROSS")

    used = ZERO
    for position in account.open_positions(mode="CROSS"):
        used += notional(position) * position_imr(world, account, position, lev(position["symbol"]))
    for order in account.pending_orders():
        symbol = world.symbols[order["symbol"]]
        value = order_notional(order)
        if order["margin_mode"] == "CROSS":
            used += value * max(ONE / Decimal(lev(order["symbol"])), symbol.base_imr)
        else:
            iso = world.leverage(account, order["symbol"], "ISOLATED")
            used += value * (ONE / Decimal(iso) + ISO_ORDER_FROZEN_BUFFER)
    return account.usdc() + cross_upnl(account) - used


def isolated_order_frozen(world: World, account: Account) -> Decimal:
    total = ZERO
    for order in account.pending_orders(mode="ISOLATED"):
        iso = world.leverage(account, order["symbol"], "ISOLATED")
        total += order_notional(order) * (ONE / Decimal(iso) + ISO_ORDER_FROZEN_BUFFER)
    return total


def isolated_margin(account: Account) -> Decimal:
    return sum((dec(p.get("margin") or "0") for p in account.open_positions(mode="ISOLATED")), ZERO)


def maintenance(world: World, account: Account) -> Decimal:
    total = ZERO
    for position in account.open_positions(mode="CROSS"):
        value = notional(position)
        total += value * world.symbols[position["symbol"]].mmr(value)
    return total


def max_add(world: World, account: Account) -> Decimal:
    return max(ZERO, min(account.usdc(), free_collateral(world, account) - max(cross_upnl(account), ZERO)))


def max_reduce(world: World, account: Account, position: dict) -> Decimal:
    required = notional(position) * position_imr(world, account, position)
    return max(ZERO, dec(position.get("margin") or "0") - required + min(ZERO, upnl(position)))


def liquidation_price(world: World, account: Account, position: dict) -> Decimal:
    """The position's est_liq_price (0 for a flat one; never below 0)."""
    qty = dec(position["position_qty"])
    if qty == 0:
        return ZERO
    if position["margin_mode"] == "ISOLATED":
        margin = dec(position.get("margin") or "0")
        cost = qty * dec(position.get("average_open_price") or "0")
        denominator = abs(qty) * world.symbols[position["symbol"]].mmr(notional(position)) - qty
        price = (margin - cost) / denominator if denominator != 0 else ZERO
    else:
        cushion = account.usdc() + cross_upnl(account) - maintenance(world, account)
        price = mark(position) - cushion / qty
    return max(ZERO, price)
