"""Orderly's POST endpoints: a symbol's default margin mode, leverage (per symbol or batch), isolated margin moves.

Each handler takes (world, request, account), checks the request as orderly.md describes, changes the world
only when it accepts, and returns the envelope's `data` (None for an answer without data) or raises
OrderlyError.
"""

from __future__ import annotations

from aiohttp import web

from . import margin
from .errors import OrderlyError
from .params import body_of, mode_param, symbol_param
from .values import DEFAULT_MARGIN_MODE, dec, fmt, int_leverage
from .world import ACCOUNT_LEVERAGE_CHOICES, PLATFORM_MAX_LEVERAGE, Account, Symbol, World


async def post_margin_mode(world: World, request: web.Request, account: Account):
    body = await body_of(request, {"symbol", "default_margin_mode"})
    symbol = symbol_param(world, body.get("symbol"))
    if not body.get("default_margin_mode"):
        raise OrderlyError(-1005, "default_margin_mode is required.")
    target = mode_param(body.get("default_margin_mode"), "default_margin_mode")
    current = account.margin_modes.get(symbol.symbol, DEFAULT_MARGIN_MODE)
    if target == current:
        # Unconfirmed: setting the mode a symbol already has. We choose success without a change
        # because it is the safe behaviour (idempotent; nothing moves).
        return None
    # SPEC: only possible with no open positions or pending orders on that symbol in the current mode.
    positions = account.open_positions(symbol.symbol, current)
    # Unconfirmed: whether pending algo (TP/SL, stop) orders count as "pending orders" here; we count them,
    # the safe behaviour (a client that checks /v1/algo/orders first works against the venue either way).
    orders = account.pending_orders(symbol.symbol, current) + account.pending_algo_orders(symbol.symbol, current)
    if positions or orders:
        # Unconfirmed: the error code; neither the error-code table, the SPEC, the JS SDK nor the Python
        # connector names one. We choose -1005 (HTTP 400, never retried): a business refusal that a client
        # must not retry blindly.
        raise OrderlyError(-1005, f"Cannot change the margin mode of {symbol.symbol} while it has "
                                  f"{len(positions)} open position(s) and {len(orders)} pending order(s) "
                                  f"in {current} mode.")
    account.margin_modes[symbol.symbol] = target
    return None


async def post_legacy_leverage(world: World, request: web.Request, account: Account):
    # The older path. Its SPEC text (before 2026-03-17): "customize leverage for each symbol or choose maximum
    # leverage for account's futures mode", body {symbol?, leverage}. Without `symbol` it sets the account's
    # legacy `max_leverage` (orderly-evm-connector `update_leverage_configuration`, ccxt woofipro
    # `set_leverage`), one of the choices of /v1/public/config; with `symbol` the JS SDK still uses it for
    # one symbol's leverage in one margin mode, which it serves like POST /v1/client/leverages.
    body = await body_of(request, {"symbol", "leverage", "margin_mode"})
    if body.get("symbol") not in (None, ""):
        return _leverage_update(world, account, body)
    try:
        requested = int_leverage(body.get("leverage"))
    except ValueError:
        requested = None
    if requested not in ACCOUNT_LEVERAGE_CHOICES:
        # Unconfirmed: the code for a value outside the choices; -1005 (parameter out of range).
        raise OrderlyError(-1005, "leverage must be one of "
                                  f"{','.join(str(choice) for choice in ACCOUNT_LEVERAGE_CHOICES)}.")
    account.extra["max_leverage"] = requested
    return {"leverage": requested}


async def post_leverage(world: World, request: web.Request, account: Account):
    return _leverage_update(world, account, await body_of(request, {"symbol", "leverage", "margin_mode"}))


def _leverage_update(world: World, account: Account, body: dict):
    if body.get("leverage") is None:
        raise OrderlyError(-1005, "leverage is required.")
    try:
        requested = int_leverage(body["leverage"])
    except ValueError:
        raise OrderlyError(-1005, "leverage must be an integer between 1 and 100.") from None
    mode = mode_param(body.get("margin_mode"))
    # Validation step 1: range. Unconfirmed: the code; we choose -1005 (parameter out of range).
    if not 1 <= requested <= PLATFORM_MAX_LEVERAGE:
        raise OrderlyError(-1005, f"leverage must be an integer between 1 and {PLATFORM_MAX_LEVERAGE}.")
    if body.get("symbol") not in (None, ""):
        return _set_one(world, account, symbol_param(world, body["symbol"]), mode, requested)
    return _set_batch(world, account, mode, requested)


def _isolated_locked(account: Account, symbol: str) -> bool:
    # FLOW: an ISOLATED batch "only applies to symbols with no active isolated positions or pending orders".
    # Read in context, the pending orders are the isolated ones (cross orders do not use the isolated
    # leverage), so a pending CROSS order does not lock it. Unconfirmed: whether a single-symbol ISOLATED
    # change is refused in that state, and whether algo orders count; we refuse, and count isolated algo
    # orders, the safe behaviour.
    return bool(account.open_positions(symbol, "ISOLATED") or account.pending_orders(symbol, "ISOLATED")
                or account.pending_algo_orders(symbol, "ISOLATED"))


def _set_one(world: World, account: Account, symbol: Symbol, mode: str, requested: int):
    cap = symbol.max_leverage_for(margin.mode_notional(account, symbol.symbol, mode))
    if requested > cap:
        # Unconfirmed: the code for leverage above the symbol's maximum; we choose -1005 (out of range).
        raise OrderlyError(-1005, f"leverage {requested} exceeds the maximum {cap} of {symbol.symbol} "
                                  f"for {mode}.")
    if mode == "ISOLATED":
        if requested != world.leverage(account, symbol.symbol, mode) and _isolated_locked(
                account, symbol.symbol):
            # Unconfirmed: the code; we choose -1005 (HTTP 400, never retried), see _isolated_locked.
            raise OrderlyError(-1005, f"Cannot change the ISOLATED leverage of {symbol.symbol} while it "
                                      f"has an isolated position or pending isolated orders.")
    else:
        # Validation step 3: the margin must stay sufficient at the new cross leverage.
        if margin.free_collateral(world, account, {symbol.symbol: requested}) < 0:
            raise OrderlyError(-1101, "Insufficient margin after the operation.")
    account.leverage.setdefault(symbol.symbol, {})[mode] = str(requested)
    return {"symbol": symbol.symbol, "margin_mode": mode, "leverage": requested}


def _set_batch(world: World, account: Account, mode: str, requested: int):
    # SPEC POST /v1/client/leverages without `symbol`: every symbol gets min(requested, symbol max).
    targets: dict[str, int] = {}
    for name, symbol in world.symbols.items():
        cap = symbol.max_leverage_for(margin.mode_notional(account, name, mode))
        if mode == "ISOLATED" and _isolated_locked(account, name):
            continue  # SPEC: isolated batch only touches symbols with no isolated position / pending orders
        if cap < 1:
            continue
        targets[name] = min(requested, cap)
    if mode == "CROSS":
        # SPEC: the margin check assumes every cross symbol is updated; all of them or none.
        if margin.free_collateral(world, account, targets) < 0:
            raise OrderlyError(-1101, "Insufficient margin after the operation.")
    for name, value in targets.items():
        account.leverage.setdefault(name, {})[mode] = str(value)
    # Unconfirmed: the response shape of the batch form. We choose LeverageResponse's fields (without
    # symbol) plus `rows` listing what was applied, because it is the safe behaviour: no client can
    # mistake it for a single-symbol answer, and the rows say exactly which symbols changed.
    rows = [{"symbol": name, "margin_mode": mode, "leverage": value} for name, value in targets.items()]
    return {"margin_mode": mode, "leverage": requested, "rows": rows}


async def post_position_margin(world: World, request: web.Request, account: Account):
    body = await body_of(request, {"symbol", "amount", "type"})
    symbol = symbol_param(world, body.get("symbol"))
    kind = str(body.get("type") or "").upper()
    if kind not in ("ADD", "REDUCE"):
        raise OrderlyError(-1005, "type must be ADD or REDUCE.")
    try:
        amount = dec(body.get("amount"), "amount")
    except ValueError:
        raise OrderlyError(-1005, "amount must be a positive number.") from None
    if amount <= 0:
        raise OrderlyError(-1005, "amount must be a positive number.")
    positions = account.open_positions(symbol.symbol, "ISOLATED")
    if not positions:
        # Unconfirmed: the code when there is no open isolated position; we choose -1006 (data not
        # found, HTTP 400, never retried) because it is the safe behaviour.
        raise OrderlyError(-1006, f"No open isolated position on {symbol.symbol}.")
    position = positions[0]
    held = dec(position.get("margin") or "0")
    if kind == "ADD":
        max_add = margin.max_add(world, account)
        if amount > max_add:
            # Unconfirmed: the code for ADD beyond the available balance; we choose -1101
            # (insufficient margin/funds, never retried).
            raise OrderlyError(-1101, f"Insufficient balance: at most {fmt(max_add)} USDC can be added.")
        position["margin"] = fmt(held + amount)
        account.balances["USDC"] = fmt(account.usdc() - amount)
    else:
        if amount > margin.max_reduce(world, account, position):
            # orderly.md: -1101 "Insufficient margin after the operation" (code for REDUCE unconfirmed).
            raise OrderlyError(-1101, "Insufficient margin after the operation.")
        position["margin"] = fmt(held - amount)
        account.balances["USDC"] = fmt(account.usdc() + amount)
    return None
