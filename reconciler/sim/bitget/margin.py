"""An isolated position's money: the margin its leverage requires, a top-up from the balance, its liquidation price.

Simplifications (no market data is simulated): mark price = the position's `markPrice` if the world gives
one, else `openPriceAvg`; unrealised PnL is reported "0"; fees are not charged. `keepMarginRate` is the
position's if the world gives one, else 0.004 (the first tier of the largest contracts); no tiers.
"""

from __future__ import annotations

from decimal import Decimal

from .values import number, text

DEFAULT_KEEP_MARGIN_RATE = Decimal("0.004")


def mark_price(pos: dict) -> Decimal:
    entry = number(pos.get("openPriceAvg"), Decimal(0))
    return number(pos.get("markPrice"), entry)


def keep_margin_rate(pos: dict) -> Decimal:
    return number(pos.get("keepMarginRate"), DEFAULT_KEEP_MARGIN_RATE)


def required_margin(pos: dict, leverage: Decimal) -> Decimal:
    """The margin an isolated position needs at `leverage`: total x openPriceAvg / leverage (no maintenance
    margin, no tiers). `set-margin` may reduce the margin down to exactly that and no further."""
    return number(pos.get("total"), Decimal(0)) * number(pos.get("openPriceAvg"), Decimal(0)) / leverage


def top_up(acct: dict, pos: dict, coin: str, leverage: Decimal) -> None:
    """A lower isolated leverage adds the margin it requires, from the balance (as far as the balance goes).

    Bitget support 360058878512 (read 2026-11-22): "the margin released by the leverage from small to large can
    only be transferred out manually; the margin required to increase the leverage from large to small can be
    automatically added". Unconfirmed: the page is the Coin-M one; we apply it to every line.
    """
    missing = required_margin(pos, leverage) - number(pos.get("marginSize"), Decimal(0))
    balance = number(acct["balances"].get(coin), Decimal(0))
    added = min(missing, balance)
    if added > 0:
        pos["marginSize"] = text(number(pos.get("marginSize"), Decimal(0)) + added)
        acct["balances"][coin] = text(balance - added)


def liquidation_price(pos: dict) -> str:
    """The price P at which margin + unrealised PnL equals the maintenance margin, `keepMarginRate x total x P`.

    Bitget support 360052911052 ("Position Tier": margin rate = (position margin + unrealized PnL) / position
    value, liquidation when it reaches the maintenance margin rate) and 360059291091 (isolated liquidation
    counts "margin of isolated margin mode + unrealized profit and loss"), read 2026-11-22: long
    (openPriceAvg x total - marginSize) / (total x (1 - rate)), short (openPriceAvg x total + marginSize) /
    (total x (1 + rate)); fees left out.
    """
    total = number(pos.get("total"), Decimal(0))
    margin = number(pos.get("marginSize"), Decimal(0))
    price = number(pos.get("openPriceAvg"), Decimal(0))
    rate = keep_margin_rate(pos)
    if pos["holdSide"] == "long":
        return text(max((price * total - margin) / (total * (1 - rate)), Decimal(0)))
    return text((price * total + margin) / (total * (1 + rate)))
