"""Isolated margin in the simulator: a position's value, the margin its leverage needs, and re-margining.

Simplifications (our model, not OKX's): ``balances`` are the *available* amounts per currency; isolated
margin lives in the positions (``margin``) and moves between the two on margin-balance and on isolated
leverage changes; cross initial margin is not deducted from the balance. The margin an isolated position
needs at leverage L is ``|pos| * ctVal * avgPx / L`` for linear contracts (``|pos| * ctVal / avgPx / L``
for inverse ones); a reduce may not take the margin below it (59301). Changing the isolated leverage of
an instrument with an open isolated position moves margin by the difference of that requirement (old
leverage -> new leverage), from or to the balance (59103 when the balance cannot pay for it).
"""

from __future__ import annotations

from decimal import Decimal

from .errors import OkxError
from .instruments import family_of, is_linear, settle_ccy, type_of
from .leverage import lever_of
from .values import dec, fmt
from .world import World, balance_of, positions_of, set_balance


def notional_of(inst: dict, pos: Decimal, price: Decimal) -> Decimal:
    """Position value in the margin currency (settleCcy)."""
    ct_val = dec(inst.get("ctVal") or "1")
    if is_linear(inst):
        return abs(pos) * ct_val * price
    return abs(pos) * ct_val / price if price else Decimal(0)


def required_margin(inst: dict, position: dict, lever: Decimal) -> Decimal:
    """In the position's margin currency (a MARGIN position may hold its margin in the base currency)."""
    price = dec(position.get("avgPx", "0"))
    need = notional_of(inst, dec(position.get("pos", "0")), price) / lever
    if type_of(inst) == "MARGIN" and margin_ccy(inst, position) == family_of(inst).split("-")[0]:
        return need / price if price else Decimal(0)
    return need


def margin_ccy(inst: dict, position: dict) -> str:
    """The currency a position's margin is held in: settleCcy, or a MARGIN position's own ccy."""
    if type_of(inst) == "MARGIN" and position.get("ccy"):
        return str(position["ccy"])
    return settle_ccy(inst)


def remargin(world: World, acct: dict, inst: dict, side: str | None, lever: Decimal) -> None:
    """Isolated positions of this instrument (and side) keep the margin their new leverage needs."""
    moves = remargin_moves(world, acct, inst, side, lever)
    need: dict[str, Decimal] = {}
    for position, delta in moves:
        ccy = margin_ccy(inst, position)
        need[ccy] = need.get(ccy, Decimal(0)) + delta
    if any(amount > balance_of(acct, ccy) for ccy, amount in need.items()):
        raise OkxError("59103", "Account margin is insufficient and leverage is too low. "
                                "Please increase the leverage.")
    for position, delta in moves:
        position["margin"] = fmt(dec(position.get("margin") or "0") + delta)
    for ccy, amount in need.items():
        set_balance(acct, ccy, balance_of(acct, ccy) - amount)


def remargin_moves(world: World, acct: dict, inst: dict, side: str | None, lever: Decimal) -> list:
    """(position, margin delta) of each isolated position a leverage change to `lever` re-margins."""
    inst_id = str(inst["instId"])
    moves = []
    for position in positions_of(acct):
        if str(position["instId"]) != inst_id or position.get("mgnMode") != "isolated":
            continue
        pos_side = str(position.get("posSide") or "net")
        if side is not None and pos_side != side:
            continue
        old = lever_of(world, acct, inst, "isolated", pos_side)
        new_need = required_margin(inst, position, lever)
        delta = new_need - required_margin(inst, position, old)
        if delta < 0:
            # never release more than the margin above the new requirement
            margin = dec(position.get("margin") or "0")
            delta = -min(-delta, max(margin - new_need, Decimal(0)))
        moves.append((position, delta.quantize(Decimal("0.00000001"))))
    return moves
