"""Bybit's isolated liquidation price, to preview what a margin move or a leverage change does to it.

bybit.md 8 (Bybit's help centre, isolated mode): margin = initial margin (value / leverage) + what was added;
maintenance margin MM = value x MMR - MM deduction (positionMM, at the entry price, does not move with leverage);
- linear (USDT, USDC): long LP = entry - (margin - MM) / size, short LP = entry + (margin - MM) / size
  (R1203: EP x (1 - IMR + MMR) - extra / size, the same form);
- inverse: value = size / entry (in the coin); long LP = size / (value + margin - MM), short size / (value - (margin - MM)).
Unconfirmed: the 2026-05 page adds the estimated fee to close to IM and MM; fees are left out here, so an estimate
runs off by about the taker fee rate. Recomputed at each plan: mark price and fees move.
"""

from __future__ import annotations

from decimal import Decimal

from ...liquidation.isolated import preview
from ...model import ISOLATED, SHORT, AccountLive, Position
from ...plan import Change
from .listing import Contract


def isolated_price(linear: bool, short: bool, size: Decimal, entry: Decimal, margin: Decimal,
                   maintenance: Decimal) -> Decimal | None:
    if size <= 0 or entry <= 0:
        return None
    cushion = margin - maintenance
    if linear:
        return max(entry + cushion / size if short else entry - cushion / size, Decimal(0))
    value = size / entry
    denominator = value - cushion if short else value + cushion
    return size / denominator if denominator > 0 else None


def margin_after_leverage(margin: Decimal, value: Decimal, before: Decimal, after: Decimal) -> Decimal:
    """A new leverage re-margins the initial part (value / leverage); what was added on top stays."""
    added = max(margin - value / before, Decimal(0))
    return value / after + added


def preview_changes(changes: list[Change], live: AccountLive, contracts: dict[str, Contract]) -> None:
    """Set `liquidation_price` on each margin move and isolated leverage change of an open isolated position."""
    for change in changes:
        if change.status != "change" or change.field not in ("isolated_margin", "leverage") or (
                change.field == "leverage" and change.margin_mode != ISOLATED):
            continue
        contract = contracts.get(change.symbol or "")
        for position in live.positions_of(change.symbol or ""):
            if position.margin_mode != ISOLATED or change.side not in (position.side, None) or contract is None:
                continue
            change.liquidation_price = preview(position, _after(change, position, live, contract.linear))
            break


def _after(change: Change, position: Position, live: AccountLive, linear: bool) -> Decimal | None:
    if not position.cost or position.maintenance_rate is None or position.margin is None:
        return None
    entry = position.cost / position.size if linear else position.size / position.cost
    maintenance = position.maintenance_rate * position.cost
    margin = Decimal(change.to)
    if change.field == "leverage":
        before = live.symbols[position.symbol].leverage.get((ISOLATED, position.side))
        if not before:
            return None
        margin = margin_after_leverage(position.margin, position.cost, before, Decimal(change.to))
    return isolated_price(linear, position.side == SHORT, position.size, entry, margin, maintenance)
