"""Account specs as plain data, as a desired-state file writes them (for `import`)."""

from __future__ import annotations

from .model import AccountSpec, Band, SymbolSpec

DEFAULT_TOLERANCE = SymbolSpec("").tolerance


def account_to_dict(spec: AccountSpec) -> dict:
    """The account block as a desired-state file writes it (credential references stay references)."""
    data: dict = {"venue": spec.venue, "environment": spec.environment}
    if spec.base_url:
        data["base_url"] = spec.base_url
    data.update(spec.options)
    data["credentials"] = dict(spec.credentials)
    if spec.rate_limits:
        data["rate_limits"] = dict(spec.rate_limits)
    if spec.settings:
        data["settings"] = dict(spec.settings)
    data["symbols"] = {symbol: symbol_to_dict(s) for symbol, s in spec.symbols.items()}
    return data


def symbol_to_dict(spec: SymbolSpec) -> dict:
    data: dict = {}
    if spec.margin_mode:
        data["margin_mode"] = spec.margin_mode
    if spec.leverage is not None:
        data["leverage"] = spec.leverage
    if isinstance(spec.isolated_margin, Band):
        data["isolated_margin"] = {"min": spec.isolated_margin.min, "max": spec.isolated_margin.max}
    elif spec.isolated_margin is not None:
        data["isolated_margin"] = spec.isolated_margin
    if spec.tolerance != DEFAULT_TOLERANCE:
        data["tolerance"] = spec.tolerance
    data.update(spec.options)
    return data
