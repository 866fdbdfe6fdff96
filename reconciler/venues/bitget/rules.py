"""Bitget's rules the diff asks: which sides keep their own leverage."""

from __future__ import annotations

from ...model import ISOLATED, LONG, SHORT


def leverage_sides(margin_mode: str) -> list[str | None]:
    # Bitget keeps isolated leverage per side even in one-way mode (isolatedLongLever/ShortLever).
    return [LONG, SHORT] if margin_mode == ISOLATED else [None]
