"""Account specs to and from plain data: for saved plans and for `import`."""

from __future__ import annotations

from decimal import Decimal

from .model import ENV_REFERENCE, AccountSpec, Band, SymbolSpec

DEFAULT_TOLERANCE = SymbolSpec("").tolerance
LITERAL = "(literal in the desired-state file)"  # what a saved plan holds instead of a sim credential


def account_to_dict(spec: AccountSpec, *, redact_literals: bool = False) -> dict:
    """The account block as a desired-state file writes it (credential references stay references).

    With redact_literals (saved plans), literal credentials (allowed only in sim) become a marker.
    """
    data: dict = {"venue": spec.venue, "environment": spec.environment}
    if spec.base_url:
        data["base_url"] = spec.base_url
    if spec.product_type:
        data["product_type"] = spec.product_type
    data["credentials"] = {key: value if not redact_literals or ENV_REFERENCE.match(value) else LITERAL
                           for key, value in spec.credentials.items()}
    if spec.rate_limits:
        data["rate_limits"] = dict(spec.rate_limits)
    if spec.settings:
        data["settings"] = dict(spec.settings)
    if spec.currencies:
        data["currencies"] = {currency: {"leverage": value} for currency, value in spec.currencies.items()}
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
    if spec.margin_coin:
        data["margin_coin"] = spec.margin_coin
    return data


def account_from_dict(name: str, data: dict) -> AccountSpec:
    """Rebuild an account from a saved plan (numbers may come back as strings)."""
    symbols = {}
    for symbol, raw in (data.get("symbols") or {}).items():
        margin = raw.get("isolated_margin")
        if isinstance(margin, dict) and "min" in margin:
            margin = Band(Decimal(str(margin["min"])), Decimal(str(margin["max"])))
        symbols[symbol] = SymbolSpec(
            symbol=symbol, margin_mode=raw.get("margin_mode"), leverage=_decimal(raw.get("leverage")),
            isolated_margin=_decimal(margin), margin_coin=raw.get("margin_coin"),
            tolerance=Decimal(str(raw.get("tolerance", DEFAULT_TOLERANCE))))
    return AccountSpec(
        name=name, venue=data["venue"], environment=data["environment"], base_url=data.get("base_url"),
        credentials=dict(data.get("credentials") or {}), settings=dict(data.get("settings") or {}),
        symbols=symbols, product_type=data.get("product_type"),
        rate_limits=dict(data.get("rate_limits") or {}),
        currencies={currency: Decimal(str(raw["leverage"])) for currency, raw in (data.get("currencies") or {}).items()},
        origins={key: f"plan account {name}: credentials.{key}" for key in data.get("credentials") or {}})


def _decimal(value):
    if value is None or isinstance(value, Band):
        return value
    if isinstance(value, dict):
        return {key: Decimal(str(v)) for key, v in value.items()}
    return Decimal(str(value))
