"""Numbers and times as OKX writes them: plain decimal strings, millisecond clocks, digit-only ids."""

from __future__ import annotations

import time
from decimal import Decimal

SIM_EPOCH_MS = 1_700_000_000_000  # the creation time the simulator gives what the world holds


def dec(value) -> Decimal:
    return Decimal(str(value))


def fmt(value: Decimal) -> str:
    """A decimal as OKX writes it: plain digits, no exponent, no trailing zeros."""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def now_ms() -> int:
    return int(time.time() * 1000)


def digits(value) -> str:
    return "".join(ch for ch in str(value) if ch.isdigit())
