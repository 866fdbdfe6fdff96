"""One account's books: its settings per symbol, its positions' figures, balances and liquidation prices."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .margin import ZERO, Leg, liquidation_price, maint_margin, max_notional
from .world import World, margin_asset


@dataclass
class Figures:
    """What Binance derives from one position at its mark price."""

    amount: Decimal
    entry: Decimal
    mark: Decimal
    notional: Decimal  # signed like the position
    pnl: Decimal
    initial: Decimal  # positionInitialMargin: |notional| / leverage
    maint: Decimal
    wallet: Decimal  # isolatedWallet (0 in cross)
    isolated: bool


class Books:
    """Reads and derived figures of one account of the world."""

    def __init__(self, world: World, account: dict):
        self.world = world
        self.account = account

    # --- settings ---------------------------------------------------------------------------
    def config(self, symbol: str) -> dict:
        return self.account["symbolConfig"].get(symbol) or self.world.default_config(symbol)

    def config_entry(self, symbol: str) -> dict:
        """The symbol's symbolConfig entry, created with the defaults when the world has none."""
        return self.account["symbolConfig"].setdefault(symbol, self.world.default_config(symbol))

    def isolated(self, symbol: str) -> bool:
        return self.config(symbol)["marginType"] == "ISOLATED"

    def brackets(self, symbol: str) -> list[dict]:
        return self.world.symbols[symbol]["brackets"]

    def max_notional(self, symbol: str, leverage: int | None = None) -> Decimal:
        return max_notional(self.brackets(symbol), leverage or self.config(symbol)["leverage"])

    def sides(self) -> tuple[str, ...]:
        return ("LONG", "SHORT") if self.account["dualSidePosition"] else ("BOTH",)

    # --- positions --------------------------------------------------------------------------
    def position(self, symbol: str, side: str) -> dict | None:
        return next((p for p in self.account["positions"]
                     if p["symbol"] == symbol and p["positionSide"] == side), None)

    def open_positions(self, symbol: str | None = None) -> list[dict]:
        return [p for p in self.account["positions"]
                if Decimal(p["positionAmt"]) != 0 and (symbol is None or p["symbol"] == symbol)]

    def orders(self, symbol: str | None = None) -> list[dict]:
        return [o for o in self.account["orders"] if symbol is None or o["symbol"] == symbol]

    def algo_orders(self, symbol: str | None = None) -> list[dict]:
        return [o for o in self.account["algoOrders"] if symbol is None or o["symbol"] == symbol]

    def row(self, symbol: str, side: str) -> dict:
        """The position of this symbol and side, a flat one when there is none."""
        found = self.position(symbol, side)
        if found is not None:
            return found
        mark = self.world.symbols[symbol].get("markPrice", "0")
        return {"symbol": symbol, "positionSide": side, "positionAmt": "0", "entryPrice": "0",
                "markPrice": mark, "isolatedWallet": "0", "updateTime": 0}

    def figures(self, position: dict) -> Figures:
        symbol = position["symbol"]
        amount, entry = Decimal(position["positionAmt"]), Decimal(position["entryPrice"])
        mark = Decimal(position["markPrice"])
        notional = amount * mark
        isolated = self.isolated(symbol)
        return Figures(amount=amount, entry=entry, mark=mark, notional=notional,
                       pnl=amount * (mark - entry),
                       initial=abs(notional) / Decimal(self.config(symbol)["leverage"]),
                       maint=maint_margin(self.brackets(symbol), notional) if amount else ZERO,
                       wallet=Decimal(position["isolatedWallet"]) if isolated else ZERO,
                       isolated=isolated)

    # --- balances ---------------------------------------------------------------------------
    def cross_wallet(self, asset: str) -> Decimal:
        return Decimal(self.account["balances"].get(asset, "0"))

    def _cross_figures(self, asset: str) -> list[tuple[dict, Figures]]:
        return [(p, f) for p in self.open_positions() if margin_asset(p["symbol"]) == asset
                for f in [self.figures(p)] if not f.isolated]

    def cross_pnl(self, asset: str) -> Decimal:
        return sum((f.pnl for _, f in self._cross_figures(asset)), ZERO)

    def isolated_wallets(self, asset: str) -> Decimal:
        return sum((Decimal(p["isolatedWallet"]) for p in self.account["positions"]
                    if margin_asset(p["symbol"]) == asset and self.isolated(p["symbol"])), ZERO)

    def available(self, asset: str) -> Decimal:
        """crossWalletBalance + cross PnL - cross initial margin (open orders lock nothing here)."""
        figures = self._cross_figures(asset)
        free = self.cross_wallet(asset) + sum((f.pnl - f.initial for _, f in figures), ZERO)
        return max(free, ZERO)

    def assets(self) -> list[str]:
        names = set(self.account["balances"]) | {margin_asset(p["symbol"]) for p in self.account["positions"]}
        return sorted(names)

    # --- liquidation price ------------------------------------------------------------------
    def liquidation(self, position: dict) -> Decimal:
        """The liquidation price Binance shows for this position (0: none)."""
        symbol = position["symbol"]
        if Decimal(position["positionAmt"]) == 0:
            return ZERO
        brackets = self.brackets(symbol)
        if self.isolated(symbol):
            figures = self.figures(position)
            return liquidation_price(figures.wallet, [self._leg(figures, brackets)])
        asset = margin_asset(symbol)
        legs, other_maint, other_pnl = [], ZERO, ZERO
        for other, figures in self._cross_figures(asset):
            if other["symbol"] == symbol:
                legs.append(self._leg(figures, brackets))
            else:
                other_maint += figures.maint
                other_pnl += figures.pnl
        return liquidation_price(self.cross_wallet(asset), legs, other_maint, other_pnl)

    @staticmethod
    def _leg(figures: Figures, brackets: list[dict]) -> Leg:
        return Leg(side=1 if figures.amount > 0 else -1, quantity=abs(figures.amount), entry=figures.entry,
                   mark=figures.mark, brackets=brackets)
