"""A request's parameters read the way Bybit checks them: category, symbol, numbers and enumerated values."""

from __future__ import annotations

from decimal import Decimal

from .answers import parameter_error
from .world import Instrument, World, decimal


def category(params: dict, allowed: tuple[str, ...]) -> str:
    value = params.get("category")
    if value not in allowed:
        raise parameter_error(f"category must be one of {', '.join(allowed)}, got {value!r}")
    return value


def instrument(world: World, category_name: str, symbol) -> Instrument:
    """The listed symbol of this category; 10001 for any other."""
    inst = world.instruments.get(str(symbol)) if symbol else None
    if inst is None or inst.category != category_name:
        raise parameter_error(f"symbol {symbol!r} is invalid for category {category_name}")
    return inst


def number(params: dict, key: str) -> Decimal:
    value = params.get(key)
    if value is None or isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise parameter_error(f"{key} is required")
    try:
        return decimal(value, key)
    except ValueError:
        raise parameter_error(f"{key} {value!r} is not a number") from None


def one_of(params: dict, key: str, allowed: tuple[int, ...]) -> int:
    """A whole-number parameter (sent as 1 or "1") that must be one of `allowed`."""
    value = params.get(key)
    if isinstance(value, bool) or str(value) not in {str(a) for a in allowed}:
        raise parameter_error(f"{key} must be one of {', '.join(map(str, allowed))}, got {value!r}")
    return int(value)
