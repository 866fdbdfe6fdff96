"""Estimated liquidation prices of linear isolated positions, and the plan's before/after block of one."""

from __future__ import annotations

from decimal import Decimal

from ..model import Position
from ..venues.base import decimal_text


def linear_isolated(side: str, entry_value: Decimal, size: Decimal, margin: Decimal,
                    maintenance_rate: Decimal, closing_fee_rate: Decimal = Decimal(0)) -> Decimal | None:
    """A linear (USDT-, USDC-margined) isolated position: the mark price at which margin + unrealised PnL falls
    to the maintenance margin, rate x size x price, plus the fee of closing there, closing_fee_rate x size x
    price, for a venue that counts it. Long: (entry value - margin) / (size x (1 - rate - fee));
    short: (entry value + margin) / (size x (1 + rate + fee)); `size` in the base coin. A venue's adapter says
    where its formula comes from."""
    if size <= 0:
        return None
    rate = maintenance_rate + closing_fee_rate
    if side == "short":
        return (entry_value + margin) / (size * (1 + rate))
    return max((entry_value - margin) / (size * (1 - rate)), Decimal(0))


def preview(position: Position, after: Decimal | None) -> dict:
    """The plan's `liquidation_price` block: the venue's estimate now, the estimate after, the mark used."""
    def shown(value):
        if value is None:
            return None
        # cents from 1 up; six significant digits below (0.557214), so a small price keeps its precision
        step = Decimal("0.01") if abs(value) >= 1 or value == 0 else Decimal(1).scaleb(value.adjusted() - 5)
        return decimal_text(value.quantize(step))
    return {"from": shown(position.liquidation_price), "to": shown(after), "mark": shown(position.mark_price)}
