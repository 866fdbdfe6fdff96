"""Orderly's wire values: Decimal numbers as the world gives them, JSON numbers as the API sends them, modes."""

from __future__ import annotations

import time
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

MODES = ("CROSS", "ISOLATED")
DEFAULT_MARGIN_MODE = "CROSS"  # orderly.md: Cross Margin is the default
ZERO = Decimal(0)
ONE = Decimal(1)


def now_ms() -> int:
    return int(time.time() * 1000)


def dec(value, what: str = "value") -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{what} must be a number, got {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return number


def fmt(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def num(number: Decimal):
    """A JSON number (the API sends numbers); int when integral."""
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def floor_int(number: Decimal) -> int:
    return int(number.to_integral_value(rounding=ROUND_FLOOR))


def mode_of(value) -> str:
    mode = str(value).upper()
    if mode not in MODES:
        raise ValueError(f"margin mode must be CROSS or ISOLATED, got {value!r}")
    return mode


def int_leverage(value) -> int:
    """An integral leverage from an int, a float or a numeric string; ValueError otherwise."""
    number = dec(value, "leverage")
    if number != number.to_integral_value():
        raise ValueError(f"leverage must be an integer, got {value!r}")
    return int(number)

