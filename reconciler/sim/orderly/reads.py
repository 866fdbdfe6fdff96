"""Orderly's GET endpoints: the public listing and platform info, and each account's leverage, modes, holdings,
positions and orders.

Public handlers take (world, request), private ones (world, request, account); each returns the envelope's
`data` or raises OrderlyError.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from aiohttp import web

from . import margin
from .params import mode_param, symbol_param
from .rows import account_metrics, algo_order_row, filtered_page, order_row, position_row
from .values import DEFAULT_MARGIN_MODE, MODES, ONE, ZERO, dec, now_ms, num
from .world import (ACCOUNT_LEVERAGE_CHOICES, DEFAULT_ACCOUNT_MAX_LEVERAGE, PLATFORM_MAX_LEVERAGE, POWER, Account,
                    World)



# --- public ---------------------------------------------------------------------------------
async def public_info(world: World, request: web.Request):
    return {"rows": [item.info() for item in world.symbols.values()]}


async def public_info_symbol(world: World, request: web.Request):
    return symbol_param(world, request.match_info["symbol"]).info()


async def public_token(world: World, request: web.Request):
    tokens = {"USDC"}
    for account in world.accounts.values():
        tokens |= set(account.balances)
    rows = []
    for token in sorted(tokens):
        rows.append({
            "token": token,
            "token_hash": "0x" + token.encode().hex().ljust(64, "0")[:64],
            "decimals": 6,
            "minimum_withdraw_amount": 0.000001,
            "base_weight": 1 if token == "USDC" else 0.8,
            "discount_factor": None if token == "USDC" else 0.02,
            "haircut": 0 if token == "USDC" else 0.95,
            "user_max_qty": -1,
            "is_collateral": True,
            "on_chain_swap": False,
            "chain_details": [{
                "chain_id": 42161,
                "contract_address": "0xaf88d065e77c8cc2239327c5edb3a432268e5831",
                "cross_chain_withdrawal_fee": 0,
                "decimals": 6,
                "withdraw_fee": 1,
                "display_name": token,
            }],
        })
    return {"rows": rows}


async def public_chain_info(world: World, request: web.Request):
    return {"rows": [{
        "name": "Arbitrum",
        "public_rpc_url": "https://arb1.arbitrum.io/rpc",
        "chain_id": "42161",
        "currency_symbol": "ETH",
        "currency_decimal": 18,
        "explorer_base_url": "https://arbiscan.io",
        "vault_address": "0x816f722424B49Cf1275cc86DA9840Fbd5a6167e9",
        "broker_ids": ["woofi_pro"],
    }]}


async def public_system_info(world: World, request: web.Request):
    return {"status": 0, "msg": "System is functioning properly."}


async def public_leverage(world: World, request: web.Request):
    return {"max_futures_leverage": str(PLATFORM_MAX_LEVERAGE)}


async def public_config(world: World, request: web.Request):
    return {"available_futures_leverage": ",".join(str(c) for c in ACCOUNT_LEVERAGE_CHOICES)}


# --- private ------------------------------------------------------------------------------
async def get_leverages(world: World, request: web.Request, account: Account):
    rows = [{"symbol": name, "margin_mode": mode, "leverage": world.leverage(account, name, mode)}
            for name in world.symbols for mode in MODES]
    return {"rows": rows}


async def get_leverage(world: World, request: web.Request, account: Account):
    symbol = symbol_param(world, request.query.get("symbol"))
    mode = mode_param(request.query.get("margin_mode"))
    return {"symbol": symbol.symbol, "margin_mode": mode, "leverage": world.leverage(account, symbol.symbol, mode)}


async def get_margin_modes(world: World, request: web.Request, account: Account):
    rows = [{"symbol": name, "default_margin_mode": account.margin_modes.get(name, DEFAULT_MARGIN_MODE)}
            for name in world.symbols]
    return {"rows": rows}


async def get_client_info(world: World, request: web.Request, account: Account):
    imr_factor, max_notional = {}, {}
    for name, symbol in world.symbols.items():
        imr_factor[name] = num(symbol.imr_factor)
        if symbol.imr_factor > 0:
            leverage = Decimal(world.leverage(account, name, "CROSS"))
            limit = (ONE / (leverage * symbol.imr_factor)) ** (ONE / POWER)
            max_notional[name] = num(limit.quantize(ONE, rounding=ROUND_FLOOR))
    return {
        "account_id": account.account_id,
        "email": str(account.extra.get("email", "")),
        "account_mode": "FUTURES",
        "max_leverage": num(dec(account.extra.get("max_leverage", DEFAULT_ACCOUNT_MAX_LEVERAGE))),
        "taker_fee_rate": 0.0005,
        "maker_fee_rate": 0.0002,
        "futures_taker_fee_rate": 0.0005,
        "futures_maker_fee_rate": 0.0002,
        "rwa_taker_fee_rate": 0.0005,
        "rwa_maker_fee_rate": 0.0002,
        "maintenance_cancel_orders": True,
        "imr_factor": imr_factor,
        "max_notional": max_notional,
    }


async def get_holding(world: World, request: web.Request, account: Account):
    show_all = str(request.query.get("all", "")).lower() == "true"
    rows = []
    for token, amount in account.balances.items():
        value = dec(amount)
        if value == 0 and not show_all and token != "USDC":
            continue
        is_usdc = token == "USDC"
        frozen = ZERO
        if is_usdc:
            frozen = sum((margin.order_notional(o) / Decimal(world.leverage(account, o["symbol"], "CROSS"))
                          for o in account.pending_orders(mode="CROSS")), ZERO)
        rows.append({
            "token": token,
            "holding": num(value),
            "frozen": num(frozen),
            "pending_short": 0,
            "isolated_margin": num(margin.isolated_margin(account)) if is_usdc else 0,
            "isolated_order_frozen": num(margin.isolated_order_frozen(world, account)) if is_usdc else 0,
            "updated_time": now_ms(),
        })
    return {"holding": rows}


async def get_account_info(world: World, request: web.Request, account: Account):
    metrics = account_metrics(world, account)
    return {key: metrics[key] for key in (
        "free_collateral", "total_collateral_value", "margin_ratio", "initial_margin_ratio",
        "maintenance_margin_ratio", "open_margin_ratio", "account_value", "total_pnl_24_h")}


async def get_positions(world: World, request: web.Request, account: Account):
    data = account_metrics(world, account)
    data["rows"] = [position_row(world, account, position) for position in account.positions]
    return data


async def get_position(world: World, request: web.Request, account: Account):
    symbol = symbol_param(world, request.match_info["symbol"])
    mode = mode_param(request.query.get("margin_mode"))
    for position in account.positions:
        if position["symbol"] == symbol.symbol and position["margin_mode"] == mode:
            return position_row(world, account, position)
    # Unconfirmed: the answer for a symbol/mode without a position. We choose an all-zero position
    # (success) because it is the safe behaviour: "no position" is a state, not an error.
    empty = {"symbol": symbol.symbol, "margin_mode": mode, "position_qty": "0",
             "average_open_price": "0", "margin": "0"}
    return position_row(world, account, empty)


async def get_orders(world: World, request: web.Request, account: Account):
    rows, meta = filtered_page(request.query, account.orders, "status")
    return {"meta": meta, "rows": [order_row(account, order) for order in rows]}


async def get_algo_orders(world: World, request: web.Request, account: Account):
    # SPEC spells the types `STOP`, `TPSL`, `positional_TPSL`; the Python SDK `TP_SL`, `POSITIONAL_TP_SL`.
    wanted = _algo_type_key(request.query.get("algo_type") or "")
    orders = [order for order in account.algo_orders if not wanted or _algo_type_key(order["algo_type"]) == wanted]
    rows, meta = filtered_page(request.query, orders, "algo_status")
    return {"meta": meta, "rows": [algo_order_row(order) for order in rows]}


def _algo_type_key(name: str) -> str:
    return name.upper().replace("_", "")
