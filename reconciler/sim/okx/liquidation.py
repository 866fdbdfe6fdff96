"""Liquidation prices of isolated positions in the simulator: the rule OKX states, in the first position tier.

Maintenance margin is ``MMR_RATE`` (0.4 %) of the notional; the mark price is ``avgPx`` unless a position
gives ``markPx``; there are no position tiers, so the instrument ``lever`` is the only cap.
"""

from __future__ import annotations

from decimal import Decimal

from .instruments import DERIVATIVES, is_linear, type_of
from .values import dec, fmt

MMR_RATE = Decimal("0.004")


def liq_text(inst: dict, position: dict, margin: Decimal) -> str:
    """`liqPx` as a positions row writes it; "" where there is none."""
    price = liquidation_price(inst, position, margin)
    return "" if price is None else fmt(price.quantize(Decimal("0.00000001")))


def liquidation_price(inst: dict, position: dict, margin: Decimal) -> Decimal | None:
    """Of an isolated linear SWAP/FUTURES position: the mark price at which margin + unrealised PnL falls to
    the maintenance margin (MMR_RATE x notional at that price). OKX: a position is liquidated when its
    margin ratio, (margin + upl) / (maintenance margin + fees), reaches 100 % (okx.md 4.3 `mgnRatio`,
    `mmr`, `liqPx`; help center "Isolated margin mode", read 2026-11-22). Unconfirmed: fees and tiers
    beyond the first are left out. Long: (avgPx Q - margin) / (Q (1 - r)); short: (avgPx Q + margin) /
    (Q (1 + r)), Q = |pos| x ctVal. Inverse contracts and MARGIN pairs get none ("")."""
    if type_of(inst) not in DERIVATIVES or not is_linear(inst):
        return None
    pos = dec(position.get("pos", "0"))
    side = str(position.get("posSide") or "net")
    qty = abs(pos) * dec(inst.get("ctVal") or "1")
    if qty == 0:
        return None
    entry = dec(position.get("avgPx", "0")) * qty
    if side == "short" or (side == "net" and pos < 0):
        return (entry + margin) / (qty * (1 + MMR_RATE))
    return max((entry - margin) / (qty * (1 - MMR_RATE)), Decimal(0))
