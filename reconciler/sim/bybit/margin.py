"""Margin arithmetic of a Bybit position: its value, risk tier, initial and maintenance margin, liquidation price.

Formulas of Bybit's help centre as bybit.md section 8 gives them ("Liquidation Price (USDT Contract)",
isolated margin mode; "Liquidation Price Calculation under Isolated Mode (Unified Trading Account)" for
inverse contracts):

- linear: value = size x entry price; IM = value / leverage; MM = value x MMR - MM deduction;
  long LP = entry - (IM + extra margin - MM) / size, short LP = entry + (IM + extra margin - MM) / size;
- inverse: value = size / entry price (in the coin); long LP = size / (value + (IM + extra - MM)),
  short LP = size / (value - (IM + extra - MM)).

`margin` below is the position's whole isolated margin (`positionIM`: IM plus whatever was added).
Unconfirmed: the 2026-05 help page adds the estimated fee to close to IM and MM and divides added margin
by (1 +/- taker fee); the simulator leaves fees out (no fee rate is known per account), so an estimate
made from the same formula matches it exactly and one that counts fees differs by about the fee rate.
"""

from __future__ import annotations

from decimal import Decimal


def position_value(linear: bool, size: Decimal, price: Decimal) -> Decimal:
    """In the settle coin: size x price for linear contracts, size / price (coins) for inverse ones."""
    if linear:
        return size * price
    return size / price if price else Decimal(0)


def tier_for(tiers: list[dict], value: Decimal) -> dict:
    """The risk tier a position of this value falls in: the first whose riskLimitValue covers it (auto risk limit)."""
    for tier in tiers:
        if value <= Decimal(str(tier["riskLimitValue"])):
            return tier
    return tiers[-1]


def maintenance_margin(value: Decimal, tier: dict) -> Decimal:
    deduction = str(tier.get("mmDeduction") or "0")
    return value * Decimal(str(tier["maintenanceMargin"])) - Decimal(deduction)


def liquidation_price(linear: bool, long: bool, size: Decimal, entry: Decimal, margin: Decimal,
                      maintenance: Decimal) -> Decimal | None:
    """The isolated liquidation price; None when there is none (no size, or an inverse short that cannot be)."""
    if size <= 0 or entry <= 0:
        return None
    cushion = margin - maintenance
    if linear:
        return entry - cushion / size if long else entry + cushion / size
    value = size / entry
    denominator = value + cushion if long else value - cushion
    if denominator <= 0:
        return None
    return size / denominator
