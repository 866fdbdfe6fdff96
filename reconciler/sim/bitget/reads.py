"""Bitget's GET endpoints: server time, contracts, the account per symbol and per coin, positions, pending orders.

Public handlers take (world, params), private ones (world, account, params); each returns the envelope's
`data` or raises BitgetError.
"""

from __future__ import annotations

from .errors import BitgetError, bad
from .params import product, require
from .rows import coin_summary, in_time_range, order_view, page, position_view
from .values import now_ms, product_of_coin
from .world import World

PLAN_TYPES = {
    # the planType filter of orders-plan-pending -> the plan types of the entries it returns (§5.3)
    "normal_plan": {"normal_plan"},
    "track_plan": {"track_plan", "moving_plan"},
    "profit_loss": {"profit_loss", "profit_plan", "loss_plan", "moving_plan", "pos_profit", "pos_loss"},
}
# `track_plan` vs `moving_plan`: the doc lists moving_plan under profit_loss; a world entry with
# planType moving_plan is returned by both filters, which only matters for worlds that use it.


# --- public ---------------------------------------------------------------------------------
def server_time(world: World, params: dict):
    return {"serverTime": str(now_ms())}


def empty_list(world: World, params: dict):
    return []


def contracts(world: World, params: dict):
    (line,) = require(params, "productType")
    line = product(line)
    symbol = str(params.get("symbol") or "").upper()
    found = [world.contract_view(c) for c in world.contracts
             if str(c.get("productType") or "USDT-FUTURES").upper() == line
             and (not symbol or str(c["symbol"]).upper() == symbol)]
    if symbol and not found:
        raise BitgetError("40034", f"Parameter {symbol} does not exist")
    return found


# --- private --------------------------------------------------------------------------------
def account(world: World, acct: dict, params: dict):
    symbol, line, coin = require(params, "symbol", "productType", "marginCoin")
    line = product(line)
    coin = world.margin_coin(world.contract(symbol, line), coin)
    settings = world.settings(acct, symbol.upper())
    data = coin_summary(world, acct, coin)
    data.update({
        "crossedMarginLeverage": settings["crossedMarginLeverage"],
        "isolatedLongLever": settings["isolatedLongLever"],
        "isolatedShortLever": settings["isolatedShortLever"],
        "marginMode": settings["marginMode"],
        "posMode": world.pos_mode(acct, line),
    })
    return data


def accounts(world: World, acct: dict, params: dict):
    (line,) = require(params, "productType")
    line = product(line)
    # one entry per margin coin of the product line the account holds, plus (for the
    # USDT/USDC lines) the margin coin of its contracts even when the balance is 0
    coins = [str(c).upper() for c in acct["balances"] if product_of_coin(str(c)) == line]
    if line not in ("COIN-FUTURES", "SCOIN-FUTURES"):
        for contract in world.contracts:
            if str(contract.get("productType") or "USDT-FUTURES").upper() != line:
                continue
            for coin in world.contract_view(contract)["supportMarginCoins"]:
                if str(coin).upper() not in coins:
                    coins.append(str(coin).upper())
    return [coin_summary(world, acct, coin) for coin in coins]


def all_position(world: World, acct: dict, params: dict):
    (line,) = require(params, "productType")
    line = product(line)
    coin = str(params.get("marginCoin") or "").upper()
    # Unconfirmed (§5.2): whether flat (total 0) rows are listed; we list whatever the world
    # holds, so a world can seed zero rows to make sure clients treat total 0 as flat.
    return [position_view(world, acct, pos) for pos in acct["positions"]
            if world.product_of(pos) == line
            and (not coin or str(pos.get("marginCoin") or "").upper() == coin)]


def single_position(world: World, acct: dict, params: dict):
    symbol, line, coin = require(params, "symbol", "productType", "marginCoin")
    line = product(line)
    coin = world.margin_coin(world.contract(symbol, line), coin)
    return [position_view(world, acct, pos) for pos in acct["positions"]
            if str(pos["symbol"]).upper() == symbol.upper()
            and str(pos.get("marginCoin") or coin).upper() == coin]


def orders_pending(world: World, acct: dict, params: dict):
    (line,) = require(params, "productType")
    line = product(line)
    symbol = str(params.get("symbol") or "").upper()
    # Unconfirmed: the English page returns only `live` orders when `status` is not given, the Chinese one
    # every status. We follow the English page, the narrower answer: a client must ask for
    # partially_filled by name to see those orders, which works against the venue either way.
    status = params.get("status") or "live"
    if status not in ("live", "partially_filled"):
        raise bad("status")
    views = [order_view(world, acct, order, plan=False) for order in acct["orders"]
             if world.product_of(order) == line
             and (not symbol or str(order["symbol"]).upper() == symbol)]
    views = [v for v in in_time_range(views, params) if v.get("status") == status]
    return page(views, params)


def orders_plan_pending(world: World, acct: dict, params: dict):
    line, plan_type = require(params, "productType", "planType")
    line = product(line)
    if plan_type not in PLAN_TYPES:
        raise bad("planType")
    symbol = str(params.get("symbol") or "").upper()
    views = [order_view(world, acct, order, plan=True) for order in acct["plan_orders"]
             if world.product_of(order) == line
             and str(order.get("planType") or "normal_plan") in PLAN_TYPES[plan_type]
             and (not symbol or str(order["symbol"]).upper() == symbol)]
    return page(in_time_range(views, params), params)
