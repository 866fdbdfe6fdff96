"""What Binance allows, said before anything is sent: one leverage per symbol, bracket caps, modes that refuse."""

from __future__ import annotations

from decimal import Decimal

from ...model import ISOLATED, AccountLive
from ..base import decimal_text
from .liquidation import bracket_at, leverage_cap, max_notional

PORTFOLIO_MARGIN = "portfolio_margin"
TRADING = "TRADING"


class BinanceRules:
    """The pure rule hooks of the Binance adapter (the diff calls them); the adapter keeps the listing it read
    (`_status`: symbol -> exchangeInfo status) and the account's brackets (`_brackets`)."""

    _status: dict[str, str]
    _brackets: dict

    def leverage_sides(self, margin_mode, position_mode):
        # binance.md §3.1: initial leverage is per symbol, not per side, and not per margin type.
        return [None]

    def setting_refusal(self, live: AccountLive, name: str, value: str) -> str | None:
        return _portfolio_margin(live, f"its {name.replace('_', ' ')}")

    def margin_mode_refusal(self, live: AccountLive, symbol: str, margin_mode: str) -> str | None:
        refusal = _portfolio_margin(live, f"the margin type of {symbol}") or self._not_trading(symbol)
        if refusal:
            return refusal
        if margin_mode == ISOLATED and live.settings.get("multi_assets") == "on":
            return (f"this account is in Multi-Assets mode, where Binance allows cross margin only (-4168: "
                    f"\"Unable to adjust to isolated-margin mode under the Multi-Assets mode.\"); to make {symbol} "
                    "isolated a person must switch Multi-Assets mode off in Binance first (no symbol may be "
                    "isolated under it), or keep margin_mode: cross in the file")
        return None

    def leverage_refusal(self, live: AccountLive, symbol: str, margin_mode: str) -> str | None:
        refusal = _portfolio_margin(live, f"the leverage of {symbol}") or self._not_trading(symbol)
        if refusal:
            return refusal
        wanted = self.account.symbols.get(symbol)
        leverage = wanted.leverage if wanted is not None else None
        if isinstance(leverage, dict):
            if len(set(leverage.values())) > 1:
                return (f"Binance keeps one leverage per symbol for both position sides, but the file gives "
                        f"{symbol} {decimal_text(leverage['long'])}x long and {decimal_text(leverage['short'])}x "
                        "short; give it one value")
            leverage = leverage["long"]
        brackets = self._brackets.get(symbol) or []
        cap = leverage_cap(brackets)
        if leverage is None or cap is None:
            return None
        if leverage > cap:
            return (f"{decimal_text(leverage)}x is above {symbol}'s leverage cap for this account, {cap}x (bracket 1 "
                    f"of leverageBracket; Binance answers -4028); lower it in the file")
        allowed = max_notional(brackets, leverage)
        for position in live.positions_of(symbol):
            notional = abs(position.size) * (position.mark_price or Decimal(0))
            if allowed is not None and notional > allowed:
                fits = bracket_at(brackets, notional).leverage
                return (f"the open {symbol} position's notional {decimal_text(notional.quantize(Decimal('0.01')))} is "
                        f"above the {decimal_text(allowed)} Binance allows at {decimal_text(leverage)}x (its notional "
                        f"brackets; it answers -2027); at most {fits}x fits this position: lower the leverage in the "
                        "file or reduce the position")
        return None

    def leverage_blockers(self, live: AccountLive, symbol: str, margin_mode: str) -> list[str]:
        """-4161: an isolated symbol's leverage may only go up while it has an open position."""
        current = live.symbols.get(symbol)
        wanted = self.account.symbols.get(symbol)
        if current is None or wanted is None or current.margin_mode != ISOLATED:
            return []
        want = wanted.leverage["long"] if isinstance(wanted.leverage, dict) else wanted.leverage
        have = current.leverage.get((ISOLATED, None))
        if want is None or have is None or want >= have:
            return []
        return [f"open isolated position {p.symbol}{' ' + p.side if p.side else ''} size {decimal_text(p.size)} "
                f"(Binance refuses lowering an open isolated position's leverage, -4161)"
                for p in live.positions_of(symbol)]

    def notes(self, live: AccountLive) -> list[str]:
        if live.settings.get("account") == PORTFOLIO_MARGIN:
            return ["This is a Binance Portfolio Margin account: fapi refuses its key (-2015) and its USDⓈ-M "
                    "settings live on papi.binance.com, which this tool reads once to recognise the account but "
                    "does not manage; every change for it is shown blocked."]
        wanted = self.account.settings.get("position_mode")
        if wanted and wanted != live.settings.get("position_mode"):
            return ["Binance keeps one position mode for USDⓈ-M and COIN-M futures: changing position_mode here "
                    "changes COIN-M's too, and open COIN-M positions or orders, which this tool does not read, "
                    "refuse it (-4067, -4068)."]
        return []

    def _not_trading(self, symbol: str) -> str | None:
        # binance.md §4.8: the full status enum is unconfirmed; anything but TRADING is not written to (its
        # settings are still read and shown).
        status = self._status.get(symbol)
        if status is None or status == TRADING:
            return None
        return f"{symbol} is {status} on Binance, not TRADING; nothing is written to it until it trades again"


def _portfolio_margin(live: AccountLive, what: str) -> str | None:
    if live.settings.get("account") != PORTFOLIO_MARGIN:
        return None
    return (f"this is a Portfolio Margin account: Binance refuses its key on fapi (-2015) and keeps its USDⓈ-M "
            f"settings on papi.binance.com, which this tool does not manage; change {what} in Binance (app or "
            "papi), or remove it from the file")


__all__ = ["BinanceRules", "PORTFOLIO_MARGIN"]
