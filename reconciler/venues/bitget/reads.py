"""Reading a Bitget account: contracts, each symbol's margin mode and leverages, positions, pending orders.

Each function takes the adapter (its account, product line and contracts listing) and the client.
"""

from __future__ import annotations

import time
from decimal import Decimal

from ...model import CROSS, ISOLATED, LONG, SHORT, AccountLive, Order, Position, SymbolLive
from ...plan import Call
from ...together import together
from ..base import mode_name, venue_number
from .products import MARGIN_COINS, margin_coin

POSITION_MODES = {"one_way_mode": "net", "hedge_mode": "hedge"}
PLAN_TYPES = ("normal_plan", "track_plan", "profit_loss")
# orders-pending: without `status` the English page returns only `live` orders (the Chinese one says every
# status), so each status that holds an order open is asked for by name.
PENDING_STATUSES = ("live", "partially_filled")
# orders-pending and orders-plan-pending: "the maximum time span supported is three months", and without a
# time range only the last three months are returned; so the read walks back in spans of 90 days.
# Unconfirmed: how old a still-pending order can be. We look back three spans (270 days): the 9 plan-order
# reads (3 planTypes) and 6 order reads (2 statuses) then fit in one second of their 10/s limits. An older
# order still refuses a margin-mode or position-mode change at apply (45117 / 40920, reported as blocked), so
# it is never overridden, only not foreseen in the plan.
ORDER_SPAN_MS = 90 * 24 * 3600 * 1000
ORDER_LOOKBACK_SPANS = 3


async def read(adapter, client, symbols) -> AccountLive:
    live = AccountLive()
    # Margin mode and leverage exist only per symbol (one read each, after the contracts that name their
    # margin coin), sent concurrently within the limit, alongside the account-wide positions and orders.
    (listed, probe, answers), live.positions, live.orders = await together(
        _per_symbol(adapter, client, symbols), read_positions(adapter, client), _orders(adapter, client))
    for symbol, data in zip(probe, answers):
        live.settings["position_mode"] = POSITION_MODES.get(data.get("posMode"), data.get("posMode"))
        if symbol not in symbols:
            continue
        contract = listed[adapter.canonical_symbol(symbol)]
        live.symbols[symbol] = SymbolLive(
            symbol=symbol,
            margin_mode=mode_name(data.get("marginMode")),
            leverage={(CROSS, None): venue_number(data.get("crossedMarginLeverage")),
                      (ISOLATED, LONG): venue_number(data.get("isolatedLongLever")),
                      (ISOLATED, SHORT): venue_number(data.get("isolatedShortLever"))},
            max_leverage=venue_number(contract.get("maxLever")),
            min_leverage=venue_number(contract.get("minLever")),
        )
    return live


async def _per_symbol(adapter, client, symbols) -> tuple[dict, list, list]:
    """The contracts, then each symbol's account read (of a probe symbol when the file lists none, for the
    position mode): (contracts, symbols read, answers)."""
    listed = await listed_contracts(adapter, client, symbols)
    probe = symbols or ([next(iter(listed))] if "position_mode" in adapter.account.settings else [])
    answers = await client.request_all([Call("GET", "/api/v2/mix/account/account", {
        "symbol": adapter.canonical_symbol(symbol), "productType": adapter.product_type,
        "marginCoin": margin_coin(adapter, symbol)}) for symbol in probe])
    return listed, probe, answers


async def leverage_bounds(adapter, client, symbols) -> dict:
    """(minimum, maximum) leverage of each symbol, from the public contracts listing."""
    listed = await listed_contracts(adapter, client, symbols)
    return {symbol: (venue_number(listed[adapter.canonical_symbol(symbol)].get("minLever")),
                     venue_number(listed[adapter.canonical_symbol(symbol)].get("maxLever"))) for symbol in symbols}


async def listed_contracts(adapter, client, symbols) -> dict[str, dict]:
    """The product line's contracts, once each of `symbols` is known to be one of them."""
    listed = await contracts(adapter, client)
    unknown = [s for s in symbols if adapter.canonical_symbol(s) not in listed]
    if unknown:
        raise adapter.unlisted(unknown, f"is not a {adapter.product_type} contract on Bitget")
    return listed


async def instrument_ids(adapter, client) -> list[str]:
    # bitget.md 5.4: symbolStatus "normal" is trading; maintain, limit_open and restrictedAPI are not
    return [symbol for symbol, item in (await contracts(adapter, client)).items()
            if item.get("symbolStatus", "normal") == "normal"]


async def contracts(adapter, client) -> dict[str, dict]:
    """The product line's contracts by symbol (public); what they say is kept in `adapter.listing`."""
    data = await client.request(Call("GET", "/api/v2/mix/market/contracts",
                                     {"productType": adapter.product_type}), signed=False)
    listed = {adapter.canonical_symbol(item["symbol"]): item for item in data or []}
    adapter.listing.base_coins = {symbol: item.get("baseCoin", "") for symbol, item in listed.items()}
    adapter.listing.taker_fee_rates = {symbol: venue_number(item.get("takerFeeRate"))
                                       for symbol, item in listed.items()}
    adapter.listing.margin_coins = sorted({str(coin).upper() for item in listed.values()
                                           for coin in item.get("supportMarginCoins") or []})
    return listed


async def read_positions(adapter, client) -> list[Position]:
    # Older pages require marginCoin on all-position (ccxt: COIN-FUTURES needs it); it filters by that coin,
    # so a line with several margin coins is read once per coin.
    if adapter.product_type not in MARGIN_COINS and adapter.listing.margin_coins is None:
        await contracts(adapter, client)
    positions = []
    for coin in _position_coins(adapter):
        data = await client.request(Call("GET", "/api/v2/mix/position/all-position",
                                         {"productType": adapter.product_type, "marginCoin": coin}))
        positions += [Position(symbol=adapter.canonical_symbol(item["symbol"]),
                               margin_mode=mode_name(item.get("marginMode")), side=item.get("holdSide"),
                               size=venue_number(item.get("total")) or Decimal(0),
                               margin=venue_number(item.get("marginSize")),
                               mark_price=venue_number(item.get("markPrice")),
                               liquidation_price=_liquidation(item.get("liquidationPrice")),
                               cost=_entry_value(item),
                               maintenance_rate=venue_number(item.get("keepMarginRate")))
                      for item in data or [] if (venue_number(item.get("total")) or 0) != 0]
    return positions


def _position_coins(adapter) -> list[str]:
    if adapter.product_type in MARGIN_COINS:
        return [MARGIN_COINS[adapter.product_type]]
    return adapter.listing.margin_coins


async def _orders(adapter, client) -> list[Order]:
    now = int(time.time() * 1000)
    spans = [(now - (k + 1) * ORDER_SPAN_MS + 1, now - k * ORDER_SPAN_MS) for k in range(ORDER_LOOKBACK_SPANS)]
    reads = [("order", "/api/v2/mix/order/orders-pending", {"status": status}) for status in PENDING_STATUSES]
    reads += [("trigger order", "/api/v2/mix/order/orders-plan-pending", {"planType": plan})
              for plan in PLAN_TYPES]
    pages = await together(*(_order_pages(adapter, client, kind, path, {
        **extra, "startTime": str(start), "endTime": str(end)})
        for kind, path, extra in reads for start, end in spans))
    return [order for page in pages for order in page]


async def _order_pages(adapter, client, kind: str, path: str, extra: dict) -> list[Order]:
    orders, cursor = [], None
    while True:
        query = {"productType": adapter.product_type, "limit": "100", **extra}
        if cursor:
            query["idLessThan"] = cursor
        data = await client.request(Call("GET", path, query)) or {}
        entries = data.get("entrustedList") or []
        orders += [Order(symbol=adapter.canonical_symbol(item["symbol"]),
                         margin_mode=mode_name(item.get("marginMode")),
                         description=_describe_order(adapter, kind, item)) for item in entries]
        cursor = data.get("endId")
        if len(entries) < 100 or not cursor:
            return orders


def _describe_order(adapter, kind: str, item: dict) -> str:
    price = item.get("price") or item.get("triggerPrice")
    symbol = adapter.canonical_symbol(item["symbol"])
    return (f"{kind} {item.get('orderId', '')} {symbol} {item.get('side', '')} {item.get('size', '')}"
            + (f" @ {price}" if price else "")).replace("  ", " ")


def _entry_value(item: dict) -> Decimal | None:
    """openPriceAvg x total: what the position cost to open."""
    price, size = venue_number(item.get("openPriceAvg")), venue_number(item.get("total"))
    return None if price is None or size is None else price * size


def _liquidation(value) -> Decimal | None:
    """bitget.md 5.2: a liquidationPrice at or below 0 means there is none."""
    number = venue_number(value)
    return number if number is not None and number > 0 else None
