"""Orderly's rules the diff asks: one leverage per symbol and mode, and what locks the isolated one."""

from __future__ import annotations

from ...model import ISOLATED, AccountLive
from ..base import describe_activity


def leverage_sides() -> list[str | None]:
    return [None]  # one leverage per symbol and margin mode; Orderly has no position sides


def leverage_blockers(live: AccountLive, symbol: str, margin_mode: str) -> list[str]:
    if margin_mode != ISOLATED:
        return []  # cross leverage may change with positions open (orderly.md section 6)
    # FLOW documents for the batch form that isolated leverage is not changed for a symbol with an isolated
    # position or pending (isolated) orders; a cross order does not use the isolated leverage and does not
    # lock it. Unconfirmed for the single-symbol form; we block there too, the safe reading.
    positions = [p for p in live.positions_of(symbol) if p.margin_mode == ISOLATED]
    orders = [o for o in live.orders_of(symbol) if o.margin_mode == ISOLATED]
    return describe_activity(positions, orders)
