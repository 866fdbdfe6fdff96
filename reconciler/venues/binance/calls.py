"""The writes a plan sends to Binance: one absolute setter per setting, a signed delta per margin move (§5)."""

from __future__ import annotations

from decimal import Decimal

from ...model import CROSS, LONG, SHORT
from ...plan import Call
from ..base import decimal_text, venue_number
from . import endpoints

POSITION_SIDES = {None: "BOTH", LONG: "LONG", SHORT: "SHORT"}
MARGIN_TYPES = {CROSS: "CROSSED"}  # anything else: ISOLATED


class BinanceCalls:
    """The call-building hooks of the Binance adapter. Every parameter goes in the query string, as the official
    SDK sends them (binance.md §1), so a write's signature covers exactly what the plan shows."""

    _assets: dict[str, str]  # symbol -> marginAsset, from exchangeInfo

    def assign_calls(self, changes, live):
        for change in changes:
            if change.status != "change":
                continue
            if change.field == "position_mode":
                change.calls = [Call("POST", endpoints.POSITION_MODE,
                                     {"dualSidePosition": "true" if change.to == "hedge" else "false"})]
            elif change.field == "margin_mode":
                change.calls = [Call("POST", endpoints.MARGIN_TYPE, {
                    "symbol": change.symbol, "marginType": MARGIN_TYPES.get(change.to, "ISOLATED")})]
            elif change.field == "leverage":
                # binance.md §5.2: an integer; the loader refuses anything else (leverage_decimals = 0).
                change.calls = [Call("POST", endpoints.LEVERAGE, {
                    "symbol": change.symbol, "leverage": str(int(Decimal(change.to)))})]
            elif change.field == "isolated_margin":
                change.calls = [self.margin_call(change.symbol, change.side,
                                                 Decimal(change.to) - Decimal(change.from_))]

    def margin_call(self, symbol, side, delta):
        """positionMargin: `type` 1 adds, 2 reduces a positive `amount`; `positionSide` BOTH in one-way mode."""
        delta = Decimal(delta)
        return Call("POST", endpoints.POSITION_MARGIN, {
            "symbol": symbol, "positionSide": POSITION_SIDES[side], "amount": decimal_text(abs(delta)),
            "type": "1" if delta > 0 else "2"})

    def move_of(self, call):
        if call.path != endpoints.POSITION_MARGIN or not call.query:
            return None
        amount = venue_number(call.query.get("amount"))
        if amount is None:
            return None
        return amount if str(call.query.get("type")) == "1" else -amount

    def margin_currency(self, symbol, side):
        return self._assets.get(symbol)
