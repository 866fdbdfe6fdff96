"""Estimated liquidation prices of isolated positions, from each venue's documented formula."""

from __future__ import annotations

from decimal import Decimal

from ..model import Position
from ..venues.base import decimal_text


def orderly_isolated(margin: Decimal, cost: Decimal, qty: Decimal, maintenance_rate: Decimal) -> Decimal | None:
    """Orderly: (margin − cost_position) / (|qty| × MMR − qty), qty signed (short < 0), funding not yet settled
    left out. Source: Orderly JS SDK `packages/perp/src/positions/liquidationPriceIsolated.ts`, quoted in
    venues/orderly.md section 7 (read 2026-11-22; it applies since isolated margin launched on Orderly)."""
    denominator = abs(qty) * maintenance_rate - qty
    if denominator == 0:
        return None
    price = (margin - cost) / denominator
    return max(price, Decimal(0))


def linear_isolated(side: str, entry_value: Decimal, size: Decimal, margin: Decimal,
                    maintenance_rate: Decimal) -> Decimal | None:
    """A linear (USDT-, USDC-margined) isolated position: the mark price at which margin + unrealised PnL falls
    to the maintenance margin, rate x size x price. Long: (entry value - margin) / (size x (1 - rate));
    short: (entry value + margin) / (size x (1 + rate)); `size` in the base coin; fees left out.

    Sources (read 2026-11-22): Bitget support 360052911052 ("Position Tier": margin rate = (position margin +
    unrealized PnL) / position value; at the maintenance margin rate the position is liquidated) and
    360059291091 (isolated liquidation counts the position's margin and its unrealised PnL), in force
    since the tiers of 2023-02-20; OKX: a position is liquidated when its margin ratio, (margin + upl) /
    (maintenance margin + fees), reaches 100 % (venues/okx.md 4.3, `mgnRatio`, `mmr`, `liqPx`).
    """
    if size <= 0:
        return None
    if side == "short":
        return (entry_value + margin) / (size * (1 + maintenance_rate))
    return max((entry_value - margin) / (size * (1 - maintenance_rate)), Decimal(0))


def preview(position: Position, after: Decimal | None) -> dict:
    """The plan's `liquidation_price` block: the venue's estimate now, the estimate after, the mark used."""
    def shown(value):
        if value is None:
            return None
        # cents from 1 up; six significant digits below (0.557214), so a small price keeps its precision
        step = Decimal("0.01") if abs(value) >= 1 or value == 0 else Decimal(1).scaleb(value.adjusted() - 5)
        return decimal_text(value.quantize(step))
    return {"from": shown(position.liquidation_price), "to": shown(after), "mark": shown(position.mark_price)}
