"""Bybit's GET endpoints: server time, instruments, risk tiers, account and key info, positions, leverage, orders.

Each handler takes the world (and the signed-in account for private ones) and the request's parameters,
and returns the answer's `result`, or raises BybitError. Empty parameters count as absent.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from urllib.parse import unquote

from . import checks
from .answers import BybitError, parameter_error
from .rows import SIM_EPOCH_MS, instrument_row, is_conditional, order_id, order_row, position_row
from .world import CATEGORIES, Account, Instrument, World, text

_CURSOR = re.compile(r"^next_(\d+)$")
RISK_LIMIT_PAGE = 15  # DOCS risk-limit.mdx: category=linear returns 15 symbols per page


# --- public -----------------------------------------------------------------------------------
def server_time(world: World, params: dict) -> dict:
    now = time.time_ns()
    return {"timeSecond": str(now // 1_000_000_000), "timeNano": str(now)}


def instruments_info(world: World, params: dict) -> dict:
    category = checks.category(params, ("spot", "linear", "inverse", "option"))
    if category in ("spot", "option"):
        return {"category": category, "list": [], "nextPageCursor": ""}
    rows = world.listed(category)
    symbol = params.get("symbol")
    if symbol:
        rows = [inst for inst in rows if inst.symbol == symbol]
    else:
        # DOCS instrument.mdx: linear and inverse list only Trading symbols unless `status` asks otherwise.
        rows = [inst for inst in rows if inst.status == params.get("status", "Trading")]
    if params.get("baseCoin"):
        rows = [inst for inst in rows if inst.base_coin == params["baseCoin"]]
    chunk, cursor = _page(rows, params, default=500, maximum=1000)
    return {"category": category, "list": [instrument_row(inst) for inst in chunk], "nextPageCursor": cursor}


def risk_limit(world: World, params: dict) -> dict:
    category = checks.category(params, CATEGORIES)
    instruments = world.listed(category)
    if params.get("symbol"):
        instruments = [checks.instrument(world, category, params["symbol"])]
    chunk, cursor = _page(instruments, params, default=RISK_LIMIT_PAGE, maximum=RISK_LIMIT_PAGE, limit_key=None)
    return {"category": category, "list": [dict(tier) for inst in chunk for tier in inst.tiers],
            "nextPageCursor": cursor}


# --- account and key ----------------------------------------------------------------------------
def account_info(world: World, account: Account, params: dict) -> dict:
    return {"marginMode": account.account_margin_mode, "updatedTime": str(SIM_EPOCH_MS),
            "unifiedMarginStatus": account.status, "dcpStatus": "OFF", "timeWindow": 10, "smpGroup": 0,
            "isMasterTrader": False, "spotHedgingStatus": "OFF"}


def query_api(world: World, account: Account, params: dict) -> dict:
    """DOCS apikey-info.mdx. A key with an expiry reports the days left; an IP-bound one never expires."""
    if account.expires_at is None:
        deadline, expired_at = -2, "1970-01-01T00:00:00Z"  # as the DOCS example of an IP-bound key
    else:
        deadline = (account.expires_at - datetime.now(timezone.utc)).days
        expired_at = account.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": account.uid, "note": "simulator", "apiKey": account.api_key, "readOnly": int(account.read_only),
        "secret": "",
        "permissions": {"ContractTrade": ["Order", "Position"], "Spot": [], "Wallet": [], "Options": [],
                        "Derivatives": ["DerivativesTrade"], "CopyTrading": [], "BlockTrade": [], "Exchange": [],
                        "NFT": [], "Affiliate": [], "Earn": []},
        "ips": [str(ip) for ip in account.raw.get("ips") or ["*"]], "type": 1, "deadlineDay": deadline,
        "expiredAt": expired_at, "createdAt": "2026-01-01T00:00:00Z", "unified": 0,
        "uta": 0 if account.classic else 1, "userID": int(account.uid) if account.uid.isdigit() else 0,
        "inviterID": 0, "vipLevel": "No VIP", "mktMakerLevel": "0", "affiliateID": 0, "rsaPublicKey": "",
        "isMaster": True, "parentUid": "0", "kycLevel": "LEVEL_1", "kycRegion": "",
    }


def coin_info(world: World, account: Account, params: dict) -> dict:
    """GET /v5/asset/coin/query-info, which ccxt's load_markets asks when it has keys: no coin details here."""
    return {"rows": []}


# --- positions and leverage ---------------------------------------------------------------------
def position_list(world: World, account: Account, params: dict) -> dict:
    """DOCS position.mdx: with `symbol` every side's row comes back, flat or not; by settle coin only open ones."""
    category = checks.category(params, ("linear", "inverse", "option"))
    if category == "option":
        return {"category": category, "list": [], "nextPageCursor": ""}
    symbol, settle = params.get("symbol"), params.get("settleCoin")
    if symbol and "," in symbol and account.uta2:
        raise parameter_error("multiple symbols are not supported")  # DOCS acct-mode.mdx: UTA 1.0 only
    if category == "linear" and not symbol and not settle:
        raise parameter_error("symbol or settleCoin is required for linear")
    if symbol:
        rows = []
        for name in symbol.split(","):
            inst = checks.instrument(world, category, name)
            rows += [position_row(account, inst, account.position(name, idx), idx, "") for idx in _sides(account, inst)]
    else:
        rows = []
        for position in sorted(account.open_positions(), key=lambda p: (p["symbol"], account.idx_of(p))):
            inst = world.instruments[position["symbol"]]
            if inst.category == category and (not settle or inst.settle_coin == settle):
                rows.append(position_row(account, inst, position, account.idx_of(position), ""))
    chunk, cursor = _page(rows, params, default=20, maximum=200)
    return {"category": category, "list": chunk, "nextPageCursor": cursor}


def symbol_info(world: World, account: Account, params: dict) -> dict:
    """DOCS batch-lvg.mdx ("Get Futures Leverage"): the leverage setting of every symbol, no position needed."""
    if account.demo:
        # Not on DOCS demo.mdx's list of demo-trading endpoints. Unconfirmed: what demo answers; we answer
        # the route as missing there (HTTP 404, 10017), which a client must treat as "not supported".
        raise BybitError(10017, status=404)
    category = checks.category(params, CATEGORIES)
    instruments = [inst for inst in world.listed(category) if inst.status == "Trading"]
    if params.get("symbol"):
        instruments = [checks.instrument(world, category, params["symbol"])]
    rows = []
    for inst in instruments:
        if account.margin_mode(inst) == "portfolio":
            # DOCS batch-lvg.mdx: "Under Portfolio Margin mode, this endpoint returns an error".
            # Unconfirmed: which one; 110077 "Pm mode cannot support" is the documented text that fits.
            raise BybitError(110077)
        for idx in _sides(account, inst):
            rows.append({"symbol": inst.symbol, "leverage": text(account.leverage_of(inst, idx)),
                         "side": {0: "", 1: "Buy", 2: "Sell"}[idx], "positionIdx": idx})
    return {"category": category, "list": rows}


# --- orders -------------------------------------------------------------------------------------
def open_orders(world: World, account: Account, params: dict) -> dict:
    """DOCS open-order.mdx: open orders of every kind (conditional ones too) unless orderFilter narrows it."""
    category = checks.category(params, ("linear", "inverse", "spot", "option"))
    symbol, base, settle = params.get("symbol"), params.get("baseCoin"), params.get("settleCoin")
    if category == "linear" and not (symbol or base or settle):
        raise parameter_error("symbol, baseCoin or settleCoin is required for linear")
    kind = params.get("orderFilter")
    found = []
    for index, order in enumerate(account.orders()):
        inst = world.instruments[order["symbol"]]
        if inst.category != category or params.get("openOnly", "0") != "0":
            continue
        if (symbol and inst.symbol != symbol) or (base and inst.base_coin != base) \
                or (settle and inst.settle_coin != settle):
            continue
        if kind and kind != ("StopOrder" if is_conditional(order) else "Order"):
            continue
        if params.get("orderId") and order_id(account, order, index) != params["orderId"]:
            continue
        if params.get("orderLinkId") and str(order.get("orderLinkId", "")) != params["orderLinkId"]:
            continue
        found.append(order_row(account, order, index))
    chunk, cursor = _page(found, params, default=20, maximum=50)
    return {"category": category, "list": chunk, "nextPageCursor": cursor}


# --- helpers ------------------------------------------------------------------------------------
def _sides(account: Account, inst: Instrument) -> list[int]:
    return [1, 2] if account.hedge(inst) else [0]




def _page(rows: list, params: dict, default: int, maximum: int, limit_key: str | None = "limit") -> tuple[list, str]:
    """One page of rows from `cursor`, and the cursor of the next ("" on the last page)."""
    limit = default
    if limit_key and params.get(limit_key):
        raw = params[limit_key]
        if not str(raw).isdigit() or not 1 <= int(raw) <= maximum:
            raise parameter_error(f"limit must be 1 to {maximum}, got {raw!r}")
        limit = int(raw)
    start = 0
    if params.get("cursor"):
        token = str(params["cursor"])
        for _ in range(3):  # pybit sends a cursor as received, ccxt encodes it: either spelling is the token
            token = unquote(token)
        match = _CURSOR.match(token)
        if match is None:
            raise parameter_error(f"cursor {params['cursor']!r} is invalid")
        start = int(match[1])
    end = start + limit
    return rows[start:end], (f"next_{end}" if end < len(rows) else "")
