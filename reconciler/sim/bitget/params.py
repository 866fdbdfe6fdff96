"""A request's parameters as Bitget checks them: required names, product types, the JSON body of a POST."""

from __future__ import annotations

import json

from aiohttp import web

from .errors import BitgetError, bad, missing
from .values import stringify

PRODUCT_TYPES = ("USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES",
                 "SUSDT-FUTURES", "SCOIN-FUTURES", "SUSDC-FUTURES")


def require(params: dict, *names: str) -> list[str]:
    values = []
    for name in names:
        value = params.get(name)
        if value is None or str(value).strip() == "":
            raise missing(name)
        values.append(str(value).strip())
    return values


def product(value: str) -> str:
    upper = value.upper()  # doc examples send lowercase; accept both (bitget.md §4)
    if upper not in PRODUCT_TYPES:
        raise bad("productType")
    return upper


def json_params(request: web.Request, body: str) -> dict:
    if "application/json" not in request.headers.get("Content-Type", "").lower():
        raise BitgetError("40007", "Invalid Content_Type, please use `application/json` format")
    if not body.strip():
        return {}
    try:
        params = json.loads(body)
    except ValueError:
        raise BitgetError("40017", "Parameter verification failed") from None
    if not isinstance(params, dict):
        raise BitgetError("40017", "Parameter verification failed")
    return stringify(params)
