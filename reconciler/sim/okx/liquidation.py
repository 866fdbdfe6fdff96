"""Margin ratio and liquidation price of isolated positions in the simulator, close fees included.

OKX liquidates an isolated position when its margin ratio, (margin + upl) / (maintenance margin + fees),
falls to 100 %; for a USDT-margined contract the denominator is ctVal x |pos| x markPx x (maintenance rate
+ fee rate). Not in okx.md, which lists the fields (okx.md 4.3: `margin`, `upl`, `mmr`, `mgnRatio`, `liqPx`);
sources: OKX help center "Isolated margin mode" (okx.com/help-center/6997123251341) and a copy of OKX's
maintenance-margin-ratio help text (open-lib.com/11556.html), read 2026-12-06. Our model:
maintenance margin is ``MMR_RATE`` (0.4 %) of the notional in every position tier (there are no tiers,
so the instrument ``lever`` is the only cap); the mark price is ``avgPx`` unless a position gives
``markPx``; the fee rate is the account's ``taker_fee_rate`` (default ``TAKER_FEE_RATE``).
"""

from __future__ import annotations

from decimal import Decimal

from .instruments import DERIVATIVES, is_linear, type_of
from .values import dec, fmt

MMR_RATE = Decimal("0.004")
# Unconfirmed: okx.md has no fee rates. OKX's fee schedule charges regular (Lv1) accounts a 0.05 % taker
# fee on perpetual and expiry futures; we take it as the default, and a world account may set its own
# (`taker_fee_rate`), e.g. to make the fee term large enough to see in a test.
TAKER_FEE_RATE = Decimal("0.0005")
_PRICE_STEP = Decimal("0.00000001")


def taker_fee_rate(acct: dict) -> Decimal:
    return dec(acct.get("taker_fee_rate") or TAKER_FEE_RATE)


def _direction(position: dict) -> int:
    """+1 long, -1 short (a net position by the sign of `pos`)."""
    side = str(position.get("posSide") or "net")
    return -1 if side == "short" or (side == "net" and dec(position.get("pos", "0")) < 0) else 1


def unrealised_pnl(inst: dict, position: dict, mark: Decimal) -> Decimal:
    """`upl` of a SWAP/FUTURES position at the mark, in its margin currency; MARGIN pairs: 0 (not modelled)."""
    if type_of(inst) not in DERIVATIVES:
        return Decimal(0)
    size = abs(dec(position.get("pos", "0"))) * dec(inst.get("ctVal") or "1")
    entry = dec(position.get("avgPx", "0"))
    if is_linear(inst):
        return _direction(position) * (mark - entry) * size
    if not entry or not mark:
        return Decimal(0)
    return _direction(position) * size * (1 / entry - 1 / mark)  # inverse: ctVal is in the quote currency


def margin_ratio(acct: dict, inst: dict, position: dict, margin: Decimal, notional: Decimal,
                 mark: Decimal) -> Decimal | None:
    """`mgnRatio` of an isolated position: (margin + upl) / (maintenance margin + close fees), 1 = 100 %."""
    denominator = notional * (MMR_RATE + taker_fee_rate(acct))
    if not denominator:
        return None
    return (margin + unrealised_pnl(inst, position, mark)) / denominator


def liq_text(acct: dict, inst: dict, position: dict, margin: Decimal) -> str:
    """`liqPx` as a positions row writes it; "" where there is none."""
    price = liquidation_price(acct, inst, position, margin)
    return "" if price is None else fmt(price.quantize(_PRICE_STEP))


def liquidation_price(acct: dict, inst: dict, position: dict, margin: Decimal) -> Decimal | None:
    """Of an isolated linear SWAP/FUTURES position: the mark price P at which its margin ratio is 100 %,
    margin + upl(P) = Q x P x (r + f), r = MMR_RATE, f = the taker fee rate, Q = |pos| x ctVal.
    Long: (avgPx Q - margin) / (Q (1 - r - f)); short: (avgPx Q + margin) / (Q (1 + r + f)).
    Inverse contracts and MARGIN pairs get none ("")."""
    if type_of(inst) not in DERIVATIVES or not is_linear(inst):
        return None
    qty = abs(dec(position.get("pos", "0"))) * dec(inst.get("ctVal") or "1")
    if qty == 0:
        return None
    entry = dec(position.get("avgPx", "0")) * qty
    rate = MMR_RATE + taker_fee_rate(acct)
    if _direction(position) < 0:
        return (entry + margin) / (qty * (1 + rate))
    return max((entry - margin) / (qty * (1 - rate)), Decimal(0))
