"""OKX's liquidation price after a planned change of an open isolated position, close fees included.

OKX liquidates an isolated position when its margin ratio, (margin + upl) / (maintenance margin + fees),
falls to 100 %; the fees are what closing the position costs (taker fee rate x notional at the mark).
okx.md 4.3 lists the position fields this needs (`margin`, `upl`, `mmr`, `mgnRatio`, `liqPx`, `markPx`); the
formula is not in okx.md. Sources: OKX help center "Isolated margin mode" (okx.com/help-center/6997123251341:
margin ratio = ... / (maintenance margin + fees)) and, for USDT-margined contracts, a copy of OKX's
maintenance-margin-ratio help text (open-lib.com/11556.html: (margin balance + PnL) / (face value x |contracts|
x mark price x (tiered margin rate + fee rate))), both read 2026-12-06.
"""

from __future__ import annotations

from decimal import Decimal

from ...errors import VenueError
from ...liquidation.isolated import linear_isolated, preview
from ...model import ISOLATED
from ...plan import Call
from ...together import together
from ..base import venue_number
from .instruments import infer_type


def maintenance_and_fees(row: dict) -> Decimal | None:
    """What the margin ratio of a positions row divides by (maintenance margin + close fees, an amount).

    OKX gives no fee amount per position, but `mgnRatio` is (margin + upl) over it, so it is (margin +
    upl) / mgnRatio. Unconfirmed: the unit of `mgnRatio` (okx.md 4.3 names it only); we read it as a plain
    ratio (1 = 100 %). Where it is missing, or gives less than `mmr` alone (fees are never negative, so
    another unit would show this way), it is `mmr`: the estimate then leaves the fees out, as it did.
    """
    maintenance = venue_number(row.get("mmr"))
    margin, upl, ratio = (venue_number(row.get(name)) for name in ("margin", "upl", "mgnRatio"))
    if None in (margin, upl, ratio) or ratio <= 0:
        return maintenance
    with_fees = (margin + upl) / ratio
    return with_fees if maintenance is None or with_fees > maintenance else maintenance


class LiquidationPreview:
    """The adapter's `preview_liquidation` for OKX."""

    async def preview_liquidation(self, client, changes, live) -> None:
        """The liquidation price after each change of an open isolated position: OKX's own estimate
        (adjust-leverage-info `estLiqPx`, okx.md 4.6) for a leverage change, the margin-ratio rule for
        a margin move. Inverse contracts, MARGIN pairs, cross positions and portfolio-margin accounts (acctLv 4,
        whose margin is computed across positions) get none."""
        if live.settings.get("account_mode") == "4":
            return
        wanted = [(change, position) for change in changes if change.status == "change"
                  and change.field in ("leverage", "isolated_margin") and change.margin_mode in (ISOLATED, None)
                  for position in live.positions_of(change.symbol or "")
                  if position.margin_mode == ISOLATED and position.side == change.side
                  and self._linear_contract(change.symbol)]
        asked = [change for change, _ in wanted if change.field == "leverage"]  # OKX estimates these itself
        answers = await together(*(self._okx_estimate(client, change) for change in asked))
        estimated = dict(zip(map(id, asked), answers))
        for change, position in wanted:
            after = estimated[id(change)] if change.field == "leverage" else self._after_move(change, position)
            change.liquidation_price = preview(position, after)

    async def _okx_estimate(self, client, change) -> Decimal | None:
        inst = self._instruments[change.symbol]
        try:
            data = await client.request(Call("GET", "/api/v5/account/adjust-leverage-info", {
                "instType": inst.get("instType") or infer_type(change.symbol), "mgnMode": ISOLATED,
                "lever": change.to, "instId": change.symbol, "posSide": change.side or "net"}))
        except VenueError as exc:
            if exc.kind in ("auth", "unreachable"):
                raise
            return None  # a preview OKX will not give is no estimate, not a failed plan
        return venue_number(((data or [{}])[0]).get("estLiqPx")) or None

    def _after_move(self, change, position) -> Decimal | None:
        """The margin-ratio rule after a margin move (no request: computed from the position read)."""
        qty = abs(position.size) * (venue_number(self._instruments[change.symbol].get("ctVal")) or Decimal(1))
        if None in (position.cost, position.mark_price, position.maintenance_rate) or not qty:
            return None
        # maintenance margin + fees (read_positions) as a rate of the notional at the mark: the tier's
        # maintenance rate plus the fee rate. At 100 % margin ratio, margin + upl = that rate x notional,
        # which is the shared linear formula with this rate in place of the maintenance rate alone.
        rate = position.maintenance_rate / (qty * position.mark_price)
        direction = position.side or ("short" if position.size < 0 else "long")
        return linear_isolated(direction, position.cost * qty, qty, Decimal(change.to), rate)
