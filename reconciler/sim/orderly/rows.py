"""The rows Orderly answers reads with: a position, the account's margin figures, an order, an algo order, a page."""

from __future__ import annotations

import zlib
from decimal import Decimal, InvalidOperation

from . import margin
from .errors import OrderlyError
from .values import ZERO, dec, now_ms, num
from .world import ORDERS_BASE_TIME_MS, PENDING_STATUSES, Account, World

ORDER_STATUS_GROUPS = {"INCOMPLETE": PENDING_STATUSES, "COMPLETED": ("CANCELLED", "FILLED")}
ORDERS_DEFAULT_PAGE_SIZE = 25  # Unconfirmed: SPEC gives no default; its PaginationMeta example shows 25
ORDERS_MAX_PAGE_SIZE = 500  # SPEC: "the page size you wish to query (max: 500)"


def position_row(world: World, account: Account, position: dict) -> dict:
    symbol = world.symbols[position["symbol"]]
    mode = position["margin_mode"]
    qty = dec(position["position_qty"])
    avg = dec(position.get("average_open_price") or "0")
    notional = margin.notional(position)
    leverage = world.leverage(account, symbol.symbol, mode)
    imr = symbol.imr(leverage, notional)
    mmr = symbol.mmr(notional)
    isolated = dec(position.get("margin") or "0") if mode == "ISOLATED" else ZERO
    pending = account.pending_orders(symbol.symbol, mode)
    long_qty = sum((abs(dec(o["order_quantity"])) for o in pending if o["side"] == "BUY"), ZERO)
    short_qty = sum((-abs(dec(o["order_quantity"])) for o in pending if o["side"] == "SELL"), ZERO)
    stamp = ORDERS_BASE_TIME_MS
    return {
        "symbol": symbol.symbol,
        "position_qty": num(qty),
        "cost_position": num(qty * avg),
        "average_open_price": num(avg),
        "settle_price": num(avg),
        "mark_price": num(margin.mark(position)),
        "est_liq_price": num(margin.liquidation_price(world, account, position)),
        "unsettled_pnl": num(margin.upnl(position)),
        "imr": num(imr),
        "mmr": num(mmr),
        "IMR_withdraw_orders": num(imr),
        "MMR_with_orders": num(mmr),
        "pending_long_qty": num(long_qty),
        "pending_short_qty": num(short_qty),
        "pnl_24_h": 0,
        "fee_24_h": 0,
        "last_sum_unitary_funding": 0,
        "accrued_funding_fee": 0,
        "leverage": leverage,
        "margin_mode": mode,
        "margin": num(isolated),
        "seq": stamp,
        "timestamp": stamp,
        "updated_time": now_ms(),
    }


def account_metrics(world: World, account: Account) -> dict:
    total = account.usdc() + margin.cross_upnl(account)
    free = margin.free_collateral(world, account)
    used = total - free
    notional = sum((margin.notional(p) for p in account.open_positions(mode="CROSS")), ZERO)
    maintenance = margin.maintenance(world, account)
    ratio = (total / notional) if notional > 0 else Decimal(10)
    imr = (used / notional) if notional > 0 else ZERO
    mmr = (maintenance / notional) if notional > 0 else ZERO
    account_value = total + margin.isolated_margin(account) + sum(
        (margin.upnl(p) for p in account.open_positions(mode="ISOLATED")), ZERO)
    return {
        "free_collateral": num(free),
        "total_collateral_value": num(total),
        "margin_ratio": num(ratio),
        "initial_margin_ratio": num(imr),
        "maintenance_margin_ratio": num(mmr),
        "open_margin_ratio": num(ratio),
        "current_margin_ratio_with_orders": num(ratio),
        "initial_margin_ratio_with_orders": num(imr),
        "maintenance_margin_ratio_with_orders": num(mmr),
        "total_pnl_24_h": 0,
        "account_value": num(account_value),
    }


def filtered_page(query, orders: list[dict], status_key: str) -> tuple[list[dict], dict]:
    """SPEC GET /v1/orders and /v1/algo/orders filters, newest first, one page; and its `meta`."""
    try:
        page = int(query.get("page") or 1)
        size = int(query.get("size") or ORDERS_DEFAULT_PAGE_SIZE)
    except ValueError:
        raise OrderlyError(-1005, "page and size must be integers.") from None
    if page < 1 or size < 1 or size > ORDERS_MAX_PAGE_SIZE:
        # Unconfirmed: whether an oversized page is refused or clamped. We choose to refuse (-1005)
        # because it is the safe behaviour: a client never silently gets fewer rows than it asked for.
        raise OrderlyError(-1005, f"page must be >= 1 and size between 1 and {ORDERS_MAX_PAGE_SIZE}.")
    status = (query.get("status") or "").upper()
    statuses = ORDER_STATUS_GROUPS.get(status, (status,) if status else None)
    try:
        start_t = int(Decimal(query["start_t"])) if query.get("start_t") else None
        end_t = int(Decimal(query["end_t"])) if query.get("end_t") else None
    except (InvalidOperation, ValueError):
        raise OrderlyError(-1005, "start_t and end_t must be 13-digit timestamps.") from None
    rows = [order for order in orders
            if (start_t is None or int(order["created_time"]) >= start_t)
            and (end_t is None or int(order["created_time"]) <= end_t)
            and (not query.get("symbol") or order["symbol"] == query["symbol"])
            and (not query.get("side") or order["side"] == query["side"].upper())
            and (not query.get("order_type") or order.get("order_type") == query["order_type"].upper())
            and (not query.get("order_tag") or order.get("order_tag") == query["order_tag"])
            and (statuses is None or order.get(status_key, "NEW") in statuses)]
    ascending = query.get("sort_by", "").upper().endswith("_ASC")
    rows.sort(key=lambda order: int(order["created_time"]), reverse=not ascending)
    meta = {"total": len(rows), "records_per_page": size, "current_page": page}
    return rows[(page - 1) * size: page * size], meta


def algo_order_row(order: dict) -> dict:
    """SPEC `AlgoOrder`: the fields a client reads to tell what is pending where."""
    created = int(order["created_time"])
    quantity = dec(order["quantity"])
    trigger = order.get("trigger_price")
    return {
        "algo_order_id": int(order["algo_order_id"]),
        "root_algo_order_id": int(order["algo_order_id"]),
        "parent_algo_order_id": 0,
        "algo_status": order.get("algo_status", "NEW"),
        "root_algo_order_status": order.get("algo_status", "NEW"),
        "algo_type": order["algo_type"],
        "symbol": order["symbol"],
        "side": order["side"],
        "margin_mode": order["margin_mode"],
        "quantity": num(quantity),
        "executed_quantity": 0,
        "total_executed_quantity": 0,
        "visible_quantity": num(quantity),
        "trigger_price": num(dec(trigger)) if trigger not in (None, "") else None,
        "trigger_price_type": "MARK_PRICE",
        "type": order.get("type", "MARKET"),
        "is_triggered": "false",
        "fee_asset": "USDC",
        "total_fee": 0,
        "realized_pnl": 0,
        "order_tag": order.get("order_tag"),
        "created_time": created,
        "updated_time": created,
        "child_orders": [],
    }


def order_row(account: Account, order: dict) -> dict:
    created = int(order["created_time"])
    quantity = dec(order["order_quantity"])
    price = order.get("order_price")
    return {
        "order_id": int(order["order_id"]),
        "user_id": zlib.crc32(account.account_id.encode()) % 1_000_000,
        "price": num(dec(price)) if price not in (None, "") else None,
        "type": order["order_type"],
        "quantity": num(quantity),
        "amount": None,
        "executed": 0,
        "executed_quantity": 0,
        "total_executed_quantity": 0,
        "visible_quantity": num(quantity),
        "visible": num(quantity),
        "symbol": order["symbol"],
        "side": order["side"],
        "status": order.get("status", "NEW"),
        "total_fee": 0,
        "fee_asset": "USDC",
        "client_order_id": order.get("client_order_id"),
        "average_executed_price": None,
        "created_time": created,
        "updated_time": created,
        "realized_pnl": 0,
        "reduce_only": bool(order.get("reduce_only") in (True, "true", "True")),
        "order_tag": order.get("order_tag"),
        "margin_mode": order["margin_mode"],
    }
