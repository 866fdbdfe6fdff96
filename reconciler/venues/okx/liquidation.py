"""OKX's liquidation price after a planned change of an open isolated position (the plan's preview)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from ...errors import VenueError
from ...liquidation.isolated import linear_isolated, preview
from ...model import ISOLATED
from ...plan import Call
from ..base import venue_number
from .instruments import infer_type


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
        estimates = await asyncio.gather(*(self._estimate_after(client, change, position)
                                           for change, position in wanted))
        for (change, position), after in zip(wanted, estimates):
            change.liquidation_price = preview(position, after)

    async def _estimate_after(self, client, change, position) -> Decimal | None:
        if change.field == "leverage":
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
        qty = abs(position.size) * (venue_number(self._instruments[change.symbol].get("ctVal")) or Decimal(1))
        if None in (position.cost, position.mark_price, position.maintenance_rate) or not qty:
            return None
        # okx.md 4.3: `mmr` is the maintenance margin (an amount) at the mark price; its rate is mmr / notional.
        rate = position.maintenance_rate / (qty * position.mark_price)
        direction = position.side or ("short" if position.size < 0 else "long")
        return linear_isolated(direction, position.cost * qty, qty, Decimal(change.to), rate)
