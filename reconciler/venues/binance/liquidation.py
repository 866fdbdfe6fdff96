"""Binance's notional brackets in Decimal: the leverage cap they set and an isolated position's liquidation price (§8)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..base import venue_number


@dataclass(frozen=True)
class Bracket:
    """One row of leverageBracket: notional in [floor, cap) allows at most `leverage`, maintained at `rate` - `cum`."""

    floor: Decimal
    cap: Decimal
    leverage: int  # initialLeverage
    rate: Decimal  # maintMarginRatio
    cum: Decimal


def brackets_of(rows: list[dict]) -> list[Bracket]:
    """leverageBracket's `brackets` in ascending notional; a row without `cum` gets the documented rule
    floor_n x (mmr_n - mmr_n-1) + cum_n-1 (binance.md §8)."""
    brackets, previous_rate, previous_cum = [], Decimal(0), Decimal(0)
    for row in sorted(rows, key=lambda r: venue_number(r.get("notionalFloor")) or 0):
        floor, rate = venue_number(row.get("notionalFloor")) or Decimal(0), venue_number(row["maintMarginRatio"])
        cum = venue_number(row.get("cum"))
        if cum is None:
            cum = floor * (rate - previous_rate) + previous_cum
        brackets.append(Bracket(floor, venue_number(row["notionalCap"]), int(row["initialLeverage"]), rate, cum))
        previous_rate, previous_cum = rate, cum
    return brackets


def leverage_cap(brackets: list[Bracket]) -> int | None:
    """The highest leverage of the symbol for this account: bracket 1's initialLeverage (SDK change_initial_leverage)."""
    return brackets[0].leverage if brackets else None


def max_notional(brackets: list[Bracket], leverage: Decimal) -> Decimal | None:
    """The largest position notional allowed at `leverage`: the cap of the last bracket that allows it (§8)."""
    caps = [b.cap for b in brackets if b.leverage >= leverage]
    return max(caps) if caps else None


def bracket_at(brackets: list[Bracket], notional: Decimal) -> Bracket:
    notional = abs(notional)
    return next((b for b in brackets if b.floor <= notional < b.cap), brackets[-1])


def isolated_liquidation(long: bool, quantity: Decimal, entry: Decimal, wallet: Decimal, mark: Decimal,
                         brackets: list[Bracket]) -> Decimal | None:
    """The mark price at which an isolated position is liquidated; None when there is none.

    FAQ b3c689c1 (binance.md §8), one isolated position (TMM1 = UPNL1 = 0, WB = its isolatedWallet):
    LP = (WB + cum - side x Q x EP) / (Q x MMR - side x Q), side +1 long, -1 short. The bracket is the one of the
    notional at the liquidation price, so the price is computed again until its bracket stops changing.
    """
    if quantity <= 0 or not brackets:
        return None
    side = 1 if long else -1
    chosen = bracket_at(brackets, quantity * mark)
    for _ in range(len(brackets) + 1):
        denominator = quantity * chosen.rate - side * quantity
        if denominator == 0:
            return None
        price = (wallet + chosen.cum - side * quantity * entry) / denominator
        if price <= 0:
            return None  # the API answers "0": no liquidation price
        again = bracket_at(brackets, quantity * price)
        if again == chosen:
            return price
        chosen = again
    return price
