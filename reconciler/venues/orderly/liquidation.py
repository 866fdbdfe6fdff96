"""Orderly's liquidation preview: its isolated-position formula and the estimate after a margin move."""

from __future__ import annotations

from decimal import Decimal

from ...liquidation.isolated import preview
from ...model import ISOLATED


def orderly_isolated(margin: Decimal, cost: Decimal, qty: Decimal, maintenance_rate: Decimal) -> Decimal | None:
    """Orderly: (margin − cost_position) / (|qty| × MMR − qty), qty signed (short < 0), funding not yet settled
    left out. Source: Orderly JS SDK `packages/perp/src/positions/liquidationPriceIsolated.ts`, quoted in
    venues/orderly.md section 7 (read 2026-11-22; it applies since isolated margin launched on Orderly)."""
    denominator = abs(qty) * maintenance_rate - qty
    if denominator == 0:
        return None
    price = (margin - cost) / denominator
    return max(price, Decimal(0))


def preview_liquidation(changes, live) -> None:
    """The liquidation price after each margin move of an open isolated position (an isolated leverage
    change on an open position is blocked here, and a cross position's estimate needs the whole account)."""
    for change in changes:
        if change.status != "change" or change.field != "isolated_margin":
            continue
        position = next((p for p in live.positions_of(change.symbol) if p.margin_mode == ISOLATED), None)
        if position is None:
            continue
        after = None
        if None not in (position.cost, position.maintenance_rate):
            after = orderly_isolated(Decimal(change.to), position.cost, position.size, position.maintenance_rate)
        change.liquidation_price = preview(position, after)
