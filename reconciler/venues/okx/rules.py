"""OKX's plan-time rules: what blocks a change, what the account mode (acctLv) refuses, the plan's notes."""

from __future__ import annotations

from decimal import Decimal

from ...errors import ConfigError
from ...model import CROSS, ISOLATED, LONG, SHORT, Order, Position
from ..base import decimal_text, describe_activity
from .instruments import CONTRACT_TYPES, infer_type

# okx.md 3: acctLv in /account/config.
ACCOUNT_MODES = {"1": "Spot mode", "2": "Spot and futures mode", "3": "Multi-currency margin mode",
                 "4": "Portfolio margin mode"}
ALLOWED_IN_MODE = {
    "1": "no futures or swaps; MARGIN pairs hold an isolated leverage per pair; cross MARGIN leverage is "
         "kept per borrowed currency (file key currencies:) and only when borrowing is enabled",
    "2": "futures and swaps in cross or isolated; MARGIN pairs hold a cross and an isolated leverage per "
         "pair (under symbols:); no leverage per currency",
    "3": "futures and swaps in cross or isolated; MARGIN pairs hold an isolated leverage per pair; cross "
         "MARGIN leverage is kept per borrowed currency (file key currencies:)",
    "4": "isolated leverage of futures, swaps and MARGIN pairs; cross MARGIN leverage per borrowed currency "
         "(file key currencies:); cross leverage of futures and swaps can be neither read nor set (59111, "
         "51039); net position mode only (51041)",
}
# okx.md 3: the first switch into each mode is done on OKX's web or app.
SWITCH_MODE = "switch the account mode on OKX's web or app"
# Seed set-leverage scenarios 2, 4, 5: cross MARGIN leverage per currency in these account modes.
CURRENCY_LEVEL_MODES = ("1", "3", "4")


class Rules:
    """The adapter's rule methods for OKX (pure: the diff calls them with the live state)."""

    # leverage_sides: the base default is OKX's rule (seed: posSide, hence a separate value, only for
    # isolated in long/short mode, scenarios 8 and 11).

    def margin_mode_blockers(self, live, symbol):
        return []  # OKX has no margin-mode write; see mode_conflicts

    def mode_conflicts(self, live, symbol, margin_mode):
        """Open positions and pending orders (regular and algo) of the instrument in the other mode.

        Unconfirmed (okx.md 5.2, 9): that cross and isolated positions of one instrument can coexist
        (strongly implied: positions are keyed by mgnMode). We report only what is in the *other*
        mode, each as a conflict for a person, and never try to change it: nothing is sent for it.
        """
        positions = [p for p in live.positions_of(symbol) if p.margin_mode not in (None, margin_mode)]
        orders = [o for o in live.orders_of(symbol)
                  if o.margin_mode in (CROSS, ISOLATED) and o.margin_mode != margin_mode]
        return _activity(positions, orders) if positions or orders else []

    def setting_blockers(self, live, field):
        # Seed (set-isolated-mode): refused while the account has positions or pending orders.
        # Unconfirmed (okx.md 5.5, 9) for set-position-mode: DOCS do not say it; we assume the same
        # rule (any position or order, any instrument, regular or algo), the safe behaviour: the plan
        # shows the change blocked and names what is open instead of sending it to be refused.
        return _activity(live.positions, live.orders)

    def leverage_blockers(self, live, symbol, margin_mode):
        """Pending orders that lock this leverage: okx.md 5.1 (59101 isolated, 59107 cross, 59112 either).

        On the instrument itself, orders of the file's mode; orders of the other mode are the
        conflict, which holds this change back already. For cross FUTURES the write covers the whole
        instFamily, so pending orders of any mode on any expiry of the family lock it. Unconfirmed
        (okx.md 9): whether orders of the *other* mode block a leverage write; we assume they do
        (59112 suggests both are checked), the safe behaviour.
        """
        scope = self._leverage_scope(symbol, margin_mode)
        blocking = [o for o in live.orders_among(scope)
                    if o.margin_mode == margin_mode or (o.symbol != symbol and o.margin_mode in (CROSS, ISOLATED))]
        return [f"{o.description} locks the {margin_mode} leverage of {symbol}" for o in blocking]

    def leverage_refusal(self, live, symbol, margin_mode):
        """Seed set-leverage scenarios 1-11 per account mode (acctLv), okx.md 3, 4.2, 7."""
        level, kind = live.settings.get("account_mode"), self._type(symbol)
        if kind in CONTRACT_TYPES and level == "1":
            return (f"this account is in {_mode_text(level)}, which has no futures or swaps, so {symbol} has no "
                    f"leverage to set (OKX: 51010); to manage it, {SWITCH_MODE} to Spot and futures, Multi-currency "
                    f"margin or Portfolio margin mode, or remove {symbol} from the file")
        if kind in CONTRACT_TYPES and level == "4" and margin_mode == CROSS:
            return (f"this account is in {_mode_text(level)}, where OKX can neither read nor set the cross leverage "
                    f"of futures and swaps (59111, 51039); manage {symbol} with margin_mode: isolated, or "
                    f"{SWITCH_MODE} to Spot and futures or Multi-currency margin mode")
        if kind == "MARGIN" and margin_mode == CROSS and level in CURRENCY_LEVEL_MODES:
            base, quote = symbol.split("-")
            return (f"this account is in {_mode_text(level)}, where OKX keeps cross MARGIN leverage per borrowed "
                    f"currency, not per pair: write it under this account as currencies: "
                    f"{{{base}: {{leverage: N}}}} (or {quote}) instead of a cross leverage for {symbol}")
        spec = self.account.symbols.get(symbol)
        if kind == "MARGIN" and spec is not None and isinstance(spec.leverage, dict) \
                and len(set(spec.leverage.values())) > 1:
            return (f"OKX keeps one leverage per MARGIN pair (posSide exists only for futures and swaps), but the "
                    f"file gives {symbol} {decimal_text(spec.leverage[LONG])}x long and "
                    f"{decimal_text(spec.leverage[SHORT])}x short; give it one value")
        return None

    def currency_leverage_refusal(self, live, currency):
        """Seed set-leverage scenarios 2, 4, 5: cross MARGIN leverage per currency, not in acctLv 2."""
        level = live.settings.get("account_mode")
        if level not in CURRENCY_LEVEL_MODES:
            return (f"this account is in {_mode_text(level)}, where OKX keeps cross MARGIN leverage per pair, not "
                    f"per currency: write it under symbols, e.g. {currency}-USDT: "
                    f"{{margin_mode: cross, leverage: N}}, instead of currencies: {currency}")
        if level == "1" and live.settings.get("spot_borrow") != "on":
            return (f"this account is in {_mode_text(level)} without borrowing, and OKX has a cross leverage per "
                    f"currency there only when borrowing is enabled; enable borrowing on OKX "
                    f"(enableSpotBorrow), or remove currencies: {currency} from the file")
        # Unconfirmed: which pending orders lock a currency's cross leverage. okx.md 5.1 says pending cross
        # orders lock cross leverage (59107); we take every pending cross order of a pair that trades this
        # currency, the safe behaviour (the plan shows it blocked rather than sending it to be refused).
        orders = [o for o in live.orders if o.margin_mode == CROSS and currency in o.symbol.split("-")[:2]
                  and infer_type(o.symbol) == "MARGIN"]
        if orders:
            listed = "; ".join(o.description for o in orders)
            return f"{listed} locks the cross leverage of {currency}: a person must cancel it first, then apply again"
        return None

    def setting_refusal(self, live, name, value):
        level = live.settings.get("account_mode")
        if name == "position_mode" and value == "hedge" and level == "4":
            return (f"this account is in {_mode_text(level)}, which supports only the net (buy/sell) position "
                    f"mode (51041); keep position_mode: net, or {SWITCH_MODE}")
        return None

    def notes(self, live):
        level = live.settings.get("account_mode")
        account_mode = ([f"OKX account mode: {_mode_text(level)}. OKX allows in it: {ALLOWED_IN_MODE[level]}."]
                        if level in ALLOWED_IN_MODE else [])
        return account_mode + self._tdmode_notes()

    def _tdmode_notes(self):
        modes: dict[str, list[str]] = {}
        for symbol, spec in self.account.symbols.items():
            if spec.margin_mode:
                modes.setdefault(spec.margin_mode, []).append(symbol)
        if not modes:
            return []
        parts = [f"tdMode={mode} for {', '.join(symbols)}" for mode, symbols in sorted(modes.items())]
        return [f"OKX stores no margin mode per instrument: every order picks one. Whatever places orders on "
                f"this account must send {'; '.join(parts)}. An order sent with the other tdMode opens a "
                "position in that mode, at that mode's leverage, which this file does not manage."]

    def _check_families(self, symbols: list[str]) -> None:
        """Seed scenario 6: cross leverage of FUTURES is one value per instFamily."""
        wanted: dict[str, dict[str, Decimal]] = {}
        for symbol in symbols:
            spec = self.account.symbols.get(symbol)
            if spec is None or spec.leverage is None or spec.margin_mode != CROSS or self._type(symbol) != "FUTURES":
                continue
            wanted.setdefault(self._family(symbol), {})[symbol] = spec.leverage
        for family, values in wanted.items():
            if len(set(values.values())) > 1:
                listed = ", ".join(f"{s} {decimal_text(v)}x" for s, v in values.items())
                raise ConfigError(f"{self.origin(next(iter(values)))}: OKX keeps one cross leverage for all "
                                  f"{family} futures, but the file asks {listed}; give them one value")


def _mode_text(level: str | None) -> str:
    """e.g. 'Multi-currency margin mode (acctLv 3)'."""
    return f"{ACCOUNT_MODES.get(level or '', 'an unknown account mode')} (acctLv {level or '?'})"


def _activity(positions: list[Position], orders: list[Order]) -> list[str]:
    """One phrase per open position or pending order, for blocked and conflict reasons."""
    return describe_activity(positions, []) + [o.description for o in orders]
