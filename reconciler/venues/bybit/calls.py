"""The calls a Bybit plan sends: account margin mode, position mode, a symbol's margin mode, leverage, margin moves.

bybit.md 5: every setter is a POST with a JSON body; leverage goes as strings for both sides at once, a
margin move as a signed string of at most 4 decimals with the position's positionIdx.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from ...model import ISOLATED, LONG, SHORT
from ...plan import Call, Change
from ..base import decimal_text, effect
from .listing import Contract
from .reads import INDEXES
from .rules import VENUE_MARGIN_MODES

SET_MARGIN_MODE = "/v5/account/set-margin-mode"
SWITCH_ISOLATED = "/v5/position/switch-isolated"
SET_LEVERAGE = "/v5/position/set-leverage"
SWITCH_MODE = "/v5/position/switch-mode"
ADD_MARGIN = "/v5/position/add-margin"
POSITION_MODES = {"net": 0, "hedge": 3}  # switch-mode `mode`: 0 one-way ("Merged Single"), 3 hedge ("Both Sides")
MARGIN_STEP = Decimal("0.0001")  # bybit.md 5.5: up to 4 decimals


def account_margin_mode(mode: str) -> Call:
    return Call("POST", SET_MARGIN_MODE, body={"setMarginMode": VENUE_MARGIN_MODES[mode]})


def position_mode(to: str, targets: list[str], scope: list[str], contracts: dict[str, Contract],
                  uta2: bool) -> list[Call]:
    """One switch per settle coin whose every hedge-capable contract the file speaks for (the coin's own setting,
    which later listings inherit), else one per symbol: a coin switch changes every symbol of the coin without
    positions or orders, and skips the others silently (bybit.md 5.4), so it is sent only when it changes
    nothing the file does not manage."""
    calls, covered = [], set(scope)
    for coin in sorted({contracts[s].settle_coin for s in targets if contracts[s].linear}):
        whole = {s for s, c in contracts.items() if c.linear and c.settle_coin == coin and c.hedge_capable(uta2)}
        if whole <= covered:
            calls.append(Call("POST", SWITCH_MODE, body={"category": "linear", "coin": coin,
                                                         "mode": POSITION_MODES[to]}))
            targets = [s for s in targets if s not in whole]
    calls += [Call("POST", SWITCH_MODE, body={"category": contracts[s].category, "symbol": s,
                                              "mode": POSITION_MODES[to]}) for s in targets]
    return calls


def switched_by(call: Call, targets: list[str], contracts: dict[str, Contract]) -> list[str]:
    """The symbols of `targets` a switch-mode call changes."""
    body = call.body or {}
    if "symbol" in body:
        return [body["symbol"]]
    return [s for s in targets if contracts[s].linear and contracts[s].settle_coin == body.get("coin")]


def symbol_margin_mode(contract: Contract, to: str, leverage: Decimal) -> Call:
    """switch-isolated (classic accounts, inverse on UTA 1.0): it sets both sides' leverage too, equal."""
    value = decimal_text(leverage)
    return Call("POST", SWITCH_ISOLATED, body={"category": contract.category, "symbol": contract.symbol,
                                               "tradeMode": 1 if to == ISOLATED else 0,
                                               "buyLeverage": value, "sellLeverage": value})


def leverage(contract: Contract, buy: Decimal, sell: Decimal) -> Call:
    return Call("POST", SET_LEVERAGE, body={"category": contract.category, "symbol": contract.symbol,
                                            "buyLeverage": decimal_text(buy), "sellLeverage": decimal_text(sell)})


def sides_after(group: list[Change], buy: Decimal | None, sell: Decimal | None) -> tuple[Decimal, Decimal]:
    """Both sides' leverage once the group's changes hold; a side the group leaves keeps its value."""
    for change in group:
        value = Decimal(change.to)
        if change.side in (None, LONG):
            buy = value
        if change.side in (None, SHORT):
            sell = value
    return buy if buy is not None else sell, sell if sell is not None else buy


def margin(contract: Contract, side: str | None, delta: Decimal) -> Call:
    # Toward zero, so a move computed again at send time never grows past the reviewed one.
    amount = Decimal(delta).quantize(MARGIN_STEP, rounding=ROUND_DOWN)
    return Call("POST", ADD_MARGIN, body={"category": contract.category, "symbol": contract.symbol,
                                          "margin": decimal_text(amount), "positionIdx": INDEXES[side]})


def switch_effects(call: Call, margin_mode: str, sides: list[str | None]) -> list[dict]:
    """switch-isolated sets the margin mode and, with it, the leverage of each side to the value it carries."""
    body = call.body or {}
    symbol = body.get("symbol")
    return [effect(symbol, "margin_mode", None, None, margin_mode)] + [
        effect(symbol, "leverage", margin_mode, side, body.get("buyLeverage")) for side in sides]
