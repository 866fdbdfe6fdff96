"""Reading an Orderly account: the listing, each symbol's default margin mode and leverages, positions, orders.

Each function takes the adapter (its account and the listing it keeps, `adapter.listed`) and the client.
Facts and their sources are in `venues/orderly.md`.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

from ...model import CROSS, ISOLATED, AccountLive, Order, Position, SymbolLive
from ...plan import Call
from ...together import together
from ..base import decimal_text, mode_name, venue_number

# SPEC: leverage is an "Integer between 1 to 100"; the per-symbol maximum is floor(1 / base_imr) within it.
PLATFORM_MAX_LEVERAGE = 100
ORDERS_PAGE_SIZE = 500  # SPEC: GET /v1/orders `size` max 500


async def instrument_ids(adapter, client) -> list[str]:
    info = await client.request(Call("GET", "/v1/public/info"), signed=False) or {}
    return [row["symbol"] for row in info.get("rows") or []]


async def leverage_bounds(adapter, client, symbols) -> dict:
    """(minimum, maximum) leverage of each symbol, from the public info listing."""
    _take_listing(adapter, await client.request(Call("GET", "/v1/public/info"), signed=False), symbols)
    return {symbol: (Decimal(1), _max_leverage(adapter.listed[symbol])) for symbol in symbols}


def _take_listing(adapter, info, symbols) -> None:
    """Every symbol /v1/public/info lists, once each of `symbols` is known to be one of them."""
    adapter.listed = {row["symbol"]: row for row in (info or {}).get("rows") or []}
    unknown = [s for s in symbols if s not in adapter.listed]
    if unknown:
        raise adapter.unlisted(unknown, "is not a symbol Orderly lists (symbols look like PERP_BTC_USDC)")


async def read(adapter, client, symbols) -> AccountLive:
    live = AccountLive()
    # Every read at once: on a distant network each round trip in sequence costs its latency. The pending orders
    # first: they are answered last (two lists, maybe paged), and the first goes on in this task (see together).
    live.orders, info, modes, leverages, live.positions = await together(
        _orders(client), client.request(Call("GET", "/v1/public/info"), signed=False),
        client.request(Call("GET", "/v1/client/margin_modes")), client.request(Call("GET", "/v1/client/leverages")),
        read_positions(adapter, client))
    _take_listing(adapter, info, symbols)
    modes, leverages = modes or {}, leverages or {}
    default_modes = {row["symbol"]: mode_name(row.get("default_margin_mode")) for row in modes.get("rows") or []}
    per_mode: dict[str, dict] = {}
    for row in leverages.get("rows") or []:
        per_mode.setdefault(row["symbol"], {})[(mode_name(row.get("margin_mode")), None)] = venue_number(
            row.get("leverage"))
    for symbol in symbols:
        live.symbols[symbol] = SymbolLive(
            symbol=symbol,
            # orderly.md: Cross is the default margin mode. Unconfirmed: whether GET /v1/client/margin_modes
            # lists a symbol whose mode was never set. Without a row we assume CROSS, the documented default.
            margin_mode=default_modes.get(symbol, CROSS),
            # Unconfirmed: the leverage of a symbol/mode never set. Without a row it reads as unset, so a
            # file value for it is always sent (the safe side: it then certainly holds).
            leverage=dict(per_mode.get(symbol, {})),
            # Unconfirmed: whether the legacy account-wide max_leverage (/v1/client/info) still caps symbol
            # leverage server-side (orderly.md section 6). We do not read it (10/60 s) and do not cap by it:
            # if Orderly enforces it, the write is refused with its own message and nothing changes.
            max_leverage=_max_leverage(adapter.listed[symbol]),
            min_leverage=Decimal(1),
        )
    return live


async def read_positions(adapter, client) -> list[Position]:
    data = await client.request(Call("GET", "/v1/positions")) or {}
    positions = []
    for row in data.get("rows") or []:
        size = venue_number(row.get("position_qty")) or Decimal(0)
        if size == 0:
            continue
        mode = mode_name(row.get("margin_mode")) or CROSS
        # Cross and isolated positions of one symbol are separate rows; a position is net (signed qty).
        positions.append(Position(symbol=row["symbol"], margin_mode=mode, side=None, size=size,
                                  margin=venue_number(row.get("margin")) if mode == ISOLATED else None,
                                  mark_price=venue_number(row.get("mark_price")),
                                  liquidation_price=venue_number(row.get("est_liq_price")),
                                  cost=venue_number(row.get("cost_position")),
                                  maintenance_rate=venue_number(row.get("mmr"))))
    return positions


async def _orders(client) -> list[Order]:
    # Unconfirmed: whether pending algo (TP/SL, stop) orders count as pending orders for the margin-mode and
    # isolated-leverage rules (orderly.md section 8.3). They carry a margin_mode, so we read them as blockers
    # too, the safe behaviour.
    algo_rows, rows = await together(_pending_rows(client, "/v1/algo/orders"), _pending_rows(client, "/v1/orders"))
    return ([Order(symbol=row["symbol"], margin_mode=mode_name(row.get("margin_mode")),
                   description=_describe_order(row)) for row in rows]
            + [Order(symbol=row["symbol"], margin_mode=mode_name(row.get("margin_mode")),
                     description=_describe_algo_order(row)) for row in algo_rows])


async def _pending_rows(client, path: str) -> list[dict]:
    """Every NEW or PARTIAL_FILLED row of a paged order list (SPEC: status INCOMPLETE, size at most 500)."""
    rows, page = [], 1
    while True:
        data = await client.request(Call("GET", path, {
            "status": "INCOMPLETE", "page": str(page), "size": str(ORDERS_PAGE_SIZE)})) or {}
        batch = data.get("rows") or []
        rows += batch
        total = (data.get("meta") or {}).get("total")
        if len(batch) < ORDERS_PAGE_SIZE or (total is not None and page * ORDERS_PAGE_SIZE >= int(total)):
            return rows
        page += 1


def _max_leverage(row: dict) -> Decimal | None:
    try:
        base_imr = Decimal(str(row.get("base_imr")))
    except InvalidOperation:
        return None
    if not base_imr.is_finite() or base_imr <= 0:
        return None
    return Decimal(max(1, min(PLATFORM_MAX_LEVERAGE, math.floor(1 / base_imr))))


def _describe_algo_order(row: dict) -> str:
    trigger = row.get("trigger_price")
    mode = row.get("margin_mode")
    return (f"algo {row.get('algo_type', '')} #{row.get('algo_order_id', '')} {row['symbol']} {row.get('side', '')} "
            f"{row.get('quantity', '')}" + (f" trigger {decimal_text(trigger)}" if trigger not in (None, "") else "")
            + (f" ({str(mode).lower()})" if mode else "")).replace("  ", " ")


def _describe_order(row: dict) -> str:
    price = row.get("price")
    mode = row.get("margin_mode")
    return (f"#{row.get('order_id', '')} {row['symbol']} {row.get('side', '')} {row.get('quantity', '')}"
            + (f" @ {decimal_text(price)}" if price not in (None, "") else "")
            + (f" ({str(mode).lower()})" if mode else "")).replace("  ", " ")
