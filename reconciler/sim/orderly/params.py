"""A request's parameters as Orderly checks them: the JSON body of a POST, the symbol, the margin mode."""

from __future__ import annotations

import json

from aiohttp import web

from .errors import OrderlyError
from .values import DEFAULT_MARGIN_MODE, mode_of
from .world import Symbol, World


async def body_of(request: web.Request, allowed: set[str]) -> dict:
    """POST bodies must be JSON objects; content types are not enforced (clients send
    `application/x-www-form-urlencoded` on GET/DELETE and `application/json` on POST/PUT)."""
    text = await request.text()
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        raise OrderlyError(-1005, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise OrderlyError(-1005, "The request body must be a JSON object.")
    unknown = sorted(set(body) - allowed)
    if unknown:
        # DOCS error-codes: -1004 "An unknown parameter was sent."
        raise OrderlyError(-1004, f"Unknown parameter: {', '.join(unknown)}.")
    return body


def symbol_param(world: World, name) -> Symbol:
    if not name:
        raise OrderlyError(-1005, "symbol is required.")
    item = world.symbols.get(str(name))
    if item is None:
        # Unconfirmed: the REST code for an unknown symbol (-1005/-1006/-1000 are candidates). We choose
        # -1005 (HTTP 400, never retried) because it is the safe behaviour for a bad parameter.
        raise OrderlyError(-1005, f"invalid symbol {name}")
    return item


def mode_param(value, what: str = "margin_mode") -> str:
    if value is None or value == "":
        return DEFAULT_MARGIN_MODE
    try:
        return mode_of(value)
    except ValueError:
        raise OrderlyError(-1005, f"{what} must be CROSS or ISOLATED.") from None
