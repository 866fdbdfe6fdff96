"""Bitget's liquidation preview: the estimate after a margin move or an isolated leverage change of a position.

Sources (Bitget support pages, read from stored copies; bitget.md does not quote them yet: its §5.2 names the
position fields used here, `marginSize`, `keepMarginRate`, `markPrice`, `liquidationPrice`, and §5.4 the
contracts listing, whose `takerFeeRate` its source page BG-CON shows):
- "Bitget futures: Estimated liquidation price", support article 12560603808759 (2025-09-18): isolated,
  [position margin - size x average entry price x direction] / [size x (MMR + TakerFeeRatio - direction)],
  direction 1 long, -1 short. That is the linear isolated estimate with the taker fee of closing counted:
  long (entry value - margin) / (size x (1 - MMR - fee)), short (entry value + margin) / (size x (1 + MMR +
  fee)). MMR is the position's `keepMarginRate`, the fee the contract's `takerFeeRate`. Unconfirmed: whether
  a VIP's lower taker rate replaces the contract's (we take the contract's), and the newest version of the page
  adds a "pre-calculated offset" it does not define (left out).
- "Bitget updates estimated liquidation price and margin calculation", support article 12560603838731
  (2025-09-29): position margin = size x mark price / leverage (it was size x average entry price / leverage).
- Support 360058878512 (Coin-M isolated margin mode): released margin "can only be transferred out
  manually", required margin "can be automatically added" when the leverage is lowered.
"""

from __future__ import annotations

from decimal import Decimal

from ...liquidation.isolated import linear_isolated, preview
from ...model import ISOLATED, Position
from ...plan import Change
from .products import MARGIN_COINS


def preview_liquidation(adapter, changes: list[Change], live) -> None:
    """The liquidation price after each margin move or isolated leverage change of an open isolated
    position on a USDT or USDC line (COIN-FUTURES, margin in the base coin, gets none). A lower leverage
    tops the margin up to what it requires at the mark price, a higher one leaves it. Unconfirmed: the top-up
    page is the Coin-M one, and the top-up is capped by the balance, which we do not read."""
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
        fee = adapter.listing.taker_fee_rates.get(adapter.canonical_symbol(change.symbol))
        margin = _margin_after(change, position)
        after = None  # a contract listed without takerFeeRate gets no estimate rather than one without the fee
        if None not in (position.cost, position.maintenance_rate, margin, fee):
            after = linear_isolated(position.side, position.cost, position.size, margin, position.maintenance_rate,
                                    fee)
        change.liquidation_price = preview(position, after)


def _margin_after(change: Change, position: Position) -> Decimal | None:
    """The position's margin once the change is made (None when it cannot be told)."""
    if change.field == "isolated_margin":
        return Decimal(change.to)
    if position.margin is None or position.mark_price is None:
        return None
    return max(position.margin, position.size * position.mark_price / Decimal(change.to))
