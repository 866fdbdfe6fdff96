"""An isolated position's money: the margin its leverage requires, a top-up from the balance, its liquidation price.

Simplifications (no market data is simulated): mark price = the position's `markPrice` if the world gives
one, else `openPriceAvg`; unrealised PnL is reported "0"; no fee is charged (the taker fee rate only enters the
liquidation price). `keepMarginRate` is the position's if the world gives one, else 0.004 (the first tier of
the largest contracts); no tiers.

Sources (Bitget support pages, read from stored copies; not yet quoted in bitget.md, whose §5.2 lists the
position fields `marginSize`, `liquidationPrice`, `keepMarginRate`, `markPrice` these compute):
- [BG-LIQ] "Bitget futures: Estimated liquidation price", support article 12560603808759 (2025-09-18; mirrors
  bjxnyj.com, bgportable.com): isolated estimated liquidation price = [position margin - position size x
  average entry price x direction] / [position size x (MMR + TakerFeeRatio - direction)], direction 1 long,
  -1 short; TakerFeeRatio "the fee rate applied when placing taker orders".
- [BG-MARGIN] "Bitget updates estimated liquidation price and margin calculation", support article
  12560603838731 (2025-09-29): position margin was "position size x average entry price / leverage", is now
  "position size x mark price / leverage".
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
    """The margin an isolated position needs at `leverage`: total x mark price / leverage [BG-MARGIN] (no
    maintenance margin, no tiers). `set-margin` may reduce the margin down to exactly that and no further."""
    return number(pos.get("total"), Decimal(0)) * mark_price(pos) / leverage


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


def liquidation_price(pos: dict, taker_fee_rate: Decimal) -> str:
    """[BG-LIQ]: long (openPriceAvg x total - marginSize) / (total x (1 - rate - fee)), short (openPriceAvg x
    total + marginSize) / (total x (1 + rate + fee)), rate `keepMarginRate`, fee the contract's
    `takerFeeRate`: the price at which margin + unrealised PnL equals the maintenance margin plus the taker fee
    of closing there. Unconfirmed: the newest version of the page adds a "pre-calculated offset" to the margin
    without saying what it is; it is left out (0)."""
    total = number(pos.get("total"), Decimal(0))
    margin = number(pos.get("marginSize"), Decimal(0))
    price = number(pos.get("openPriceAvg"), Decimal(0))
    rate = keep_margin_rate(pos) + taker_fee_rate
    if pos["holdSide"] == "long":
        return text(max((price * total - margin) / (total * (1 - rate)), Decimal(0)))
    return text((price * total + margin) / (total * (1 + rate)))
