"""Bybit's reads: the account, the key, the listing, each symbol's leverage and position mode, positions and orders.

Every read is a GET through the client (signed, paced); each answer is turned into the model's terms here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ...errors import VenueError
from ...model import LONG, SHORT, Order, Position
from ...plan import Call
from ...together import together
from ..base import venue_number
from .listing import CATEGORIES, Contract

INSTRUMENTS_PATH = "/v5/market/instruments-info"
RISK_LIMIT_PATH = "/v5/market/risk-limit"
POSITIONS_PATH = "/v5/position/list"
SYMBOL_INFO_PATH = "/v5/position/symbol-info"
ORDERS_PATH = "/v5/order/realtime"
ACCOUNT_PATH = "/v5/account/info"
KEY_PATH = "/v5/user/query-api"
# bybit.md 4: the largest page each list takes
INSTRUMENT_PAGE, POSITION_PAGE, ORDER_PAGE = 1000, 200, 50
SIDES = {0: None, 1: LONG, 2: SHORT}  # positionIdx: one-way, hedge Buy side, hedge Sell side
INDEXES = {side: idx for idx, side in SIDES.items()}


@dataclass
class SymbolSetting:
    """What Bybit keeps for one symbol: its buy and sell leverage, its position mode, its own margin mode."""

    buy: Decimal | None
    sell: Decimal | None
    hedge: bool
    trade_mode: int | None = None  # position/list tradeMode (0 cross, 1 isolated); real only per symbol


async def contracts(client) -> dict[str, Contract]:
    """Every Trading linear and inverse contract (public, paged with cursor: more than 500 linear ones)."""
    listed: dict[str, Contract] = {}
    pages = await together(*(_pages(client, INSTRUMENTS_PATH, {"category": category}, INSTRUMENT_PAGE,
                                          signed=False) for category in CATEGORIES))
    for category, rows in zip(CATEGORIES, pages):
        for row in rows:
            if row.get("symbol") and row.get("status", "Trading") == "Trading":
                listed[row["symbol"]] = Contract.from_row(row, category)
    return listed


async def risk_tiers(client, contract: Contract) -> list[dict]:
    """The contract's risk tiers (public), lowest riskLimitValue first (bybit.md 8)."""
    data = await client.request(Call("GET", RISK_LIMIT_PATH, {"category": contract.category,
                                                              "symbol": contract.symbol}), signed=False) or {}
    rows = [row for row in data.get("list") or [] if row.get("symbol", contract.symbol) == contract.symbol]
    return sorted(rows, key=lambda row: venue_number(row.get("riskLimitValue")) or Decimal(0))


async def account_info(client) -> dict:
    return await client.request(Call("GET", ACCOUNT_PATH)) or {}


async def key_info(client) -> dict:
    """GET /v5/user/query-api, for the key's expiry and permissions; {} when Bybit will not say (demo)."""
    try:
        return await client.request(Call("GET", KEY_PATH), optional=True) or {}
    except VenueError as exc:
        if exc.kind in ("auth", "unreachable"):
            raise
        return {}


async def symbol_info(client, category: str) -> dict[str, SymbolSetting] | None:
    """GET /v5/position/symbol-info: every symbol's leverage in one call, flat ones included (bybit.md 4.3).

    None when Bybit does not offer it (demo trading: not on its list; Portfolio Margin: an error): the caller
    reads each symbol instead.
    """
    try:
        data = await client.request(Call("GET", SYMBOL_INFO_PATH, {"category": category}), optional=True) or {}
    except VenueError as exc:
        if exc.kind in ("auth", "unreachable"):
            raise
        return None
    rows: dict[str, list[dict]] = {}
    for row in data.get("list") or []:
        if row.get("symbol"):
            rows.setdefault(row["symbol"], []).append(row)
    return {symbol: _setting(found) for symbol, found in rows.items()}


def symbol_rows_call(contract: Contract) -> Call:
    """GET /v5/position/list with `symbol`: its rows whether or not a position is open (bybit.md 4.2)."""
    return Call("GET", POSITIONS_PATH, {"category": contract.category, "symbol": contract.symbol})


def setting_of(contract: Contract, data: dict | None) -> SymbolSetting:
    return _setting([row for row in (data or {}).get("list") or [] if row.get("symbol") == contract.symbol])


def _every(contracts: dict[str, Contract]) -> list[dict]:
    """The queries that cover a whole account: linear per settle coin (it needs one), inverse at once."""
    coins = sorted({c.settle_coin for c in contracts.values() if c.linear})
    return [{"category": "linear", "settleCoin": coin} for coin in coins] + (
        [{"category": "inverse"}] if any(not c.linear for c in contracts.values()) else [])


async def open_positions(client, contracts: dict[str, Contract]) -> list[dict]:
    """Every open position (by settle coin only sizes above zero come back)."""
    reads = _every(contracts)
    pages = await together(*(_pages(client, POSITIONS_PATH, query, POSITION_PAGE) for query in reads))
    return [row for rows in pages for row in rows if (venue_number(row.get("size")) or 0) > 0]


async def open_orders(client, contracts: dict[str, Contract]) -> list[dict]:
    """Every open order, conditional ones included (no orderFilter: all kinds, bybit.md 4.4)."""
    reads = _every(contracts)
    pages = await together(*(_pages(client, ORDERS_PATH, query, ORDER_PAGE) for query in reads))
    return [row for rows in pages for row in rows]


async def _pages(client, path: str, query: dict, limit: int, signed: bool = True) -> list[dict]:
    rows: list[dict] = []
    cursor = None
    while True:
        page_query = {**query, "limit": str(limit), **({"cursor": cursor} if cursor else {})}
        data = await client.request(Call("GET", path, page_query), signed=signed) or {}
        rows += data.get("list") or []
        cursor = data.get("nextPageCursor")
        if not cursor or not data.get("list"):
            return rows


def _setting(rows: list[dict]) -> SymbolSetting:
    """One symbol's rows (one in one-way mode, positionIdx 0; two in hedge mode, 1 and 2)."""
    by_side = {SIDES.get(int(row.get("positionIdx") or 0)): row for row in rows}
    hedge = LONG in by_side or SHORT in by_side
    if hedge:
        buy, sell = (venue_number((by_side.get(side) or {}).get("leverage")) for side in (LONG, SHORT))
    else:
        buy = sell = venue_number((by_side.get(None) or {}).get("leverage"))
    mode = next((row.get("tradeMode") for row in rows if row.get("tradeMode") is not None), None)
    return SymbolSetting(buy=buy, sell=sell, hedge=hedge, trade_mode=None if mode is None else int(mode))


def position_of(row: dict, contract: Contract, margin_mode: str) -> Position:
    """A position/list row: its side from positionIdx, the isolated margin in positionIM, what a liquidation
    estimate needs (entry value, maintenance margin rate from positionMM, Bybit's own liqPrice)."""
    size = venue_number(row.get("size")) or Decimal(0)
    entry = venue_number(row.get("avgPrice")) or Decimal(0)
    value = (size * entry if contract.linear else size / entry) if entry else None
    maintenance = venue_number(row.get("positionMM"))
    return Position(symbol=contract.symbol, margin_mode=margin_mode, side=SIDES.get(int(row.get("positionIdx") or 0)),
                    size=size, margin=venue_number(row.get("positionIM")) if margin_mode == "isolated" else None,
                    mark_price=venue_number(row.get("markPrice")),
                    liquidation_price=venue_number(row.get("liqPrice")) or None,  # "" : none (bybit.md 8)
                    cost=value, maintenance_rate=maintenance / value if value and maintenance is not None else None)


def order_of(row: dict, margin_mode: str | None) -> Order:
    """e.g. "ETHUSDT Buy 1 @ 2000 (orderId 1f2e...)" or "ETHUSDT Sell 1, StopLoss at trigger 1500 (orderId ...)"."""
    text = f"{row.get('symbol')} {row.get('side', '')} {row.get('qty', '')}"
    if row.get("triggerPrice") not in (None, "", "0"):
        text += f", {row.get('stopOrderType') or 'conditional'} at trigger {row['triggerPrice']}"
    elif row.get("price") not in (None, "", "0"):
        text += f" @ {row['price']}"
    return Order(symbol=str(row.get("symbol")), margin_mode=margin_mode,
                 description=f"{text} (orderId {row.get('orderId', '')})")
