"""Bitget's liquidation preview: the estimate after a margin move or an isolated leverage change of a position."""

from __future__ import annotations

from decimal import Decimal

from ...liquidation.isolated import linear_isolated, preview
from ...model import ISOLATED
from .products import MARGIN_COINS


# The estimate is the linear isolated one: Bitget support 360052911052 ("Position Tier": margin rate = (position
# margin + unrealized PnL) / position value; at the maintenance margin rate the position is liquidated) and
# 360059291091 (isolated liquidation counts the position's margin and its unrealised PnL), read 2026-11-22, in
# force since the tiers of 2023-02-20.


def preview_liquidation(adapter, changes, live) -> None:
    """The liquidation price after each margin move or isolated leverage change of an open isolated
    position on a USDT or USDC line (COIN-FUTURES, margin in the base coin, gets none). A lower leverage
    tops the margin up to what it requires, a higher one leaves it (support 360058878512: released margin
    "can only be transferred out manually", required margin "can be automatically added"); Unconfirmed:
    that page is the Coin-M one, and the top-up is capped by the balance, which we do not read."""
    if adapter.product_type not in MARGIN_COINS:
        return
    for change in changes:
        if change.status != "change" or change.field not in ("isolated_margin", "leverage") or (
                change.field == "leverage" and change.margin_mode != ISOLATED):
            continue
        position = next((p for p in live.positions_of(change.symbol)
                         if p.margin_mode == ISOLATED and p.side == change.side), None)
        if position is None:
            continue
        after = None
        if None not in (position.cost, position.maintenance_rate, position.margin):
            margin = Decimal(change.to) if change.field == "isolated_margin" else max(
                position.margin, position.cost / Decimal(change.to))
            after = linear_isolated(position.side, position.cost, position.size, margin, position.maintenance_rate)
        change.liquidation_price = preview(position, after)
