"""Binance's margin arithmetic in Decimal: notional brackets, maintenance margin and liquidation price (binance.md §8)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)


def bracket_at(brackets: list[dict], notional: Decimal) -> dict:
    """The bracket whose [notionalFloor, notionalCap) holds this notional (the last one beyond every cap)."""
    notional = abs(notional)
    for bracket in brackets:
        if Decimal(bracket["notionalFloor"]) <= notional < Decimal(bracket["notionalCap"]):
            return bracket
    return brackets[-1]


def max_leverage(brackets: list[dict]) -> int:
    """The symbol's highest leverage: bracket 1's initialLeverage."""
    return int(brackets[0]["initialLeverage"])


def max_notional(brackets: list[dict], leverage: int) -> Decimal:
    """The largest position notional allowed at this leverage: the cap of the last bracket that allows it."""
    caps = [Decimal(b["notionalCap"]) for b in brackets if int(b["initialLeverage"]) >= leverage]
    return max(caps) if caps else ZERO


def maint_margin(brackets: list[dict], notional: Decimal) -> Decimal:
    """MM = notional x maintMarginRatio - cum, with the bracket of that notional."""
    bracket = bracket_at(brackets, notional)
    return abs(notional) * Decimal(str(bracket["maintMarginRatio"])) - Decimal(str(bracket["cum"]))


def cumulative_amounts(brackets: list[dict]) -> list[Decimal]:
    """Each bracket's maintenance amount by the documented rule: floor_n x (mmr_n - mmr_n-1) + cum_n-1."""
    amounts, previous_rate, previous_cum = [], ZERO, ZERO
    for bracket in brackets:
        rate = Decimal(str(bracket["maintMarginRatio"]))
        previous_cum = Decimal(str(bracket["notionalFloor"])) * (rate - previous_rate) + previous_cum
        previous_rate = rate
        amounts.append(previous_cum)
    return amounts


@dataclass
class Leg:
    """One position of the symbol whose liquidation price is computed."""

    side: int  # +1 long (BOTH long or LONG), -1 short
    quantity: Decimal  # absolute size
    entry: Decimal
    mark: Decimal
    brackets: list[dict]


def liquidation_price(wallet: Decimal, legs: list[Leg], other_maint: Decimal = ZERO,
                      other_pnl: Decimal = ZERO) -> Decimal:
    """Binance's USDⓈ-M formula (FAQ b3c689c1...), 0 when there is none.

    LP = (WB - TMM1 + UPNL1 + sum cum - sum side x Q x EP) / (sum Q x MMR - sum side x Q). In isolated
    mode WB is the position's isolatedWallet and TMM1 = UPNL1 = 0; in cross mode WB is the cross
    wallet balance and TMM1/UPNL1 are the other cross positions' maintenance margin and PnL. The
    brackets are taken at the notional at the liquidation price, so the price is recomputed until the
    brackets it falls in stop changing (the FAQ's note on positions crossing a level).
    """
    legs = [leg for leg in legs if leg.quantity > 0]
    if not legs:
        return ZERO
    chosen = [bracket_at(leg.brackets, leg.quantity * leg.mark) for leg in legs]
    price = ZERO
    for _ in range(len(legs[0].brackets) + 2):
        numerator = wallet - other_maint + other_pnl
        denominator = ZERO
        for leg, bracket in zip(legs, chosen):
            numerator += Decimal(str(bracket["cum"])) - leg.side * leg.quantity * leg.entry
            denominator += leg.quantity * Decimal(str(bracket["maintMarginRatio"])) - leg.side * leg.quantity
        if denominator == 0:
            return ZERO
        price = numerator / denominator
        if price <= 0:
            return ZERO
        again = [bracket_at(leg.brackets, leg.quantity * price) for leg in legs]
        if again == chosen:
            break
        chosen = again
    return price
