"""What Bybit lists about a contract (GET /v5/market/instruments-info): its category, settle coin, leverage filter."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..base import venue_number

CATEGORIES = ("linear", "inverse")  # bybit.md 4.5: the derivatives categories this tool manages


@dataclass(frozen=True)
class Contract:
    symbol: str
    category: str  # linear | inverse
    contract_type: str  # LinearPerpetual, LinearFutures, InversePerpetual, InverseFutures
    settle_coin: str  # the coin its margin is paid in (inverse: the base coin)
    min_leverage: Decimal | None
    max_leverage: Decimal | None
    leverage_step: Decimal | None

    @classmethod
    def from_row(cls, row: dict, category: str) -> "Contract":
        limits = row.get("leverageFilter") or {}
        return cls(symbol=str(row["symbol"]), category=category, contract_type=str(row.get("contractType") or ""),
                   settle_coin=str(row.get("settleCoin") or ""),
                   min_leverage=venue_number(limits.get("minLeverage")),
                   max_leverage=venue_number(limits.get("maxLeverage")),
                   leverage_step=venue_number(limits.get("leverageStep")))

    @property
    def linear(self) -> bool:
        return self.category == "linear"

    def hedge_capable(self, uta2: bool) -> bool:
        """bybit.md 3: hedge mode exists for USDT perpetuals only (UTA 2.0); inverse futures too elsewhere."""
        if self.contract_type == "LinearPerpetual" and self.settle_coin == "USDT":
            return True
        return not uta2 and self.contract_type == "InverseFutures"

    def off_step(self, value: Decimal) -> bool:
        """Whether a leverage is off the filter's step, counted from its minimum (bybit.md 8: "12.5" on a 0.01 step)."""
        if not self.leverage_step:
            return False
        return (value - (self.min_leverage or Decimal(0))) % self.leverage_step != 0
