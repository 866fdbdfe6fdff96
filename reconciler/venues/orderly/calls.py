"""The calls that make an Orderly plan: default margin mode, leverage (the batch form when it is exact), margin
moves, and what the batch leverage call sets (its effects, for the write gate)."""

from __future__ import annotations

from decimal import Decimal

from ...model import CROSS, ISOLATED, AccountLive
from ...plan import Call, Change
from ..base import decimal_text, effect, venue_number

WIRE_MODES = {CROSS: "CROSS", ISOLATED: "ISOLATED"}
LEVERAGE_WRITE = "/v1/client/leverages"
MARGIN_WRITE = "/v1/position_margin"


def assign_calls(adapter, changes: list[Change], live: AccountLive) -> None:
    leverage: list[Change] = []
    for change in changes:
        if change.status != "change":
            continue
        if change.field == "margin_mode":
            change.calls = [Call("POST", "/v1/client/margin_mode", body={
                "symbol": change.symbol, "default_margin_mode": WIRE_MODES[change.to]})]
        elif change.field == "leverage":
            leverage.append(change)
        elif change.field == "isolated_margin":
            change.calls = [margin_call(change.symbol, Decimal(change.to) - Decimal(change.from_))]
    by_mode_value: dict[tuple[str, Decimal], list[Change]] = {}
    for change in leverage:
        by_mode_value.setdefault((change.margin_mode, Decimal(change.to)), []).append(change)
    for (mode, value), group in by_mode_value.items():
        if _batch_allowed(adapter, mode, value, group, changes, live):
            call = Call("POST", LEVERAGE_WRITE, body={"leverage": _wire(value), "margin_mode": WIRE_MODES[mode]})
            for change in group:
                change.calls = [call]
            continue
        for change in group:
            change.calls = [Call("POST", LEVERAGE_WRITE, body={
                "symbol": change.symbol, "leverage": _wire(value), "margin_mode": WIRE_MODES[mode]})]


def _batch_allowed(adapter, mode: str, value: Decimal, group: list[Change], changes: list[Change],
                   live: AccountLive) -> bool:
    """The batch form (no symbol) touches every symbol Orderly lists: use it only when the file gives
    every one of them this leverage in this mode, each either needs exactly that or already holds it,
    and sending it early cannot overtake anything the plan orders first."""
    if len(group) < 2 or not adapter.listed:
        return False
    planned = {change.symbol: change for change in group}
    others = {change.symbol for change in changes if change.field == "leverage" and change.margin_mode == mode
              and change.symbol not in planned}
    for symbol in adapter.listed:
        spec = adapter.account.symbols.get(symbol)
        current = live.symbols.get(symbol)
        if spec is None or current is None or spec.leverage is None or isinstance(spec.leverage, dict):
            return False
        if (spec.margin_mode or current.margin_mode) != mode or Decimal(spec.leverage) != value:
            return False
        if symbol in others:
            return False  # this symbol has a blocked leverage change in this mode: the batch would touch it
        if symbol in planned:
            if planned[symbol].depends_on:
                return False  # a margin-mode change goes first on that symbol: keep the per-symbol order
        elif current.leverage.get((mode, None)) != value:
            return False
        # The batch silently caps each symbol at its maximum for the position size (SPEC); a per-symbol call
        # refuses instead and says so. So no batch over a symbol with an open position in this mode.
        if any(p.margin_mode == mode for p in live.positions_of(symbol)):
            return False
    return True


def margin_call(symbol, delta) -> Call:
    delta = Decimal(delta)
    return Call("POST", MARGIN_WRITE, body={
        "symbol": symbol, "amount": decimal_text(abs(delta)), "type": "ADD" if delta > 0 else "REDUCE"})


def move_of(call: Call) -> Decimal | None:
    if call.path != MARGIN_WRITE or not call.body:
        return None
    amount = venue_number(call.body.get("amount"))
    return None if amount is None else (amount if call.body.get("type") == "ADD" else -amount)


def batch_effects(adapter, call: Call) -> list[dict] | None:
    """What the batch leverage call (no symbol) sets: every symbol Orderly lists; None for any other call."""
    if call.path != LEVERAGE_WRITE or not call.body or "symbol" in call.body:
        return None
    mode = {wire: name for name, wire in WIRE_MODES.items()}[call.body["margin_mode"]]
    return [effect(symbol, "leverage", mode, None, decimal_text(Decimal(str(call.body["leverage"]))))
            for symbol in sorted(adapter.listed)]


def _wire(leverage: Decimal) -> int | str:
    """Leverage as Orderly's JSON takes it: an integer (the loader admits only whole numbers); never rounded."""
    return int(leverage) if leverage == leverage.to_integral_value() else decimal_text(leverage)
