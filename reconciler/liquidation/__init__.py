"""Liquidation prices: the venues' documented formulas, to preview what a change does before it is made."""
