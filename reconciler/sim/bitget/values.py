"""Bitget's wire values: numbers as plain strings, its margin-mode spellings, the product line a coin implies."""

from __future__ import annotations

import time
from decimal import Decimal, InvalidOperation


def now_ms() -> int:
    return int(time.time() * 1000)


def text(value: Decimal) -> str:
    """A Decimal as Bitget writes numbers: plain notation, no trailing zeros."""
    written = format(value, "f")
    if "." in written:
        written = written.rstrip("0").rstrip(".")
    return written or "0"


def number(value, default: Decimal | None = None) -> Decimal | None:
    if value is None or value == "":
        return default
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return default


def stringify(value):
    """World numbers become strings (Bitget's wire form); bools and containers are kept."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, dict):
        return {str(key): stringify(item) for key, item in value.items()}
    if isinstance(value, list):
        return [stringify(item) for item in value]
    return value


def norm_mode(mode) -> str | None:
    """crossed|cross -> crossed, isolated|fixed -> isolated (bitget.md §1)."""
    spelled = str(mode or "").lower()
    if spelled in ("crossed", "cross"):
        return "crossed"
    if spelled in ("isolated", "fixed"):
        return "isolated"
    return None


def product_of_coin(coin: str) -> str:
    coin = (coin or "").upper()
    if coin == "USDT":
        return "USDT-FUTURES"
    if coin == "USDC":
        return "USDC-FUTURES"
    if coin == "SUSDT":
        return "SUSDT-FUTURES"
    if coin == "SUSDC":
        return "SUSDC-FUTURES"
    if coin in ("SBTC", "SETH", "SEOS"):
        return "SCOIN-FUTURES"
    return "COIN-FUTURES"
