"""Liquidation prices: what the venues' formulas share, to preview what a change does before it is made."""
