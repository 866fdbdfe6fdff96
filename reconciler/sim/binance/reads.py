"""The GET endpoints: market data (public) and the account's settings, positions, orders and balances."""

from __future__ import annotations

import copy
from decimal import Decimal

from .books import Books
from .errors import BinanceError, invalid, missing
from .margin import ZERO
from .world import World, margin_asset, now_ms, plain

_EIGHT = Decimal("1e-8")


def money(value: Decimal) -> str:
    """A derived amount or price as a string, to 8 decimals (Binance's widest)."""
    return plain(value.quantize(_EIGHT))


def symbol_param(world: World, params: dict, required: bool = False) -> str | None:
    """The `symbol` parameter, checked against the listed symbols (-1121), or None when absent."""
    symbol = params.get("symbol", "")
    if not symbol:
        if required:
            raise missing("symbol")
        return None
    if symbol not in world.symbols:
        raise BinanceError(-1121)
    return symbol


def _symbols(world: World, params: dict) -> list[str]:
    symbol = symbol_param(world, params)
    return [symbol] if symbol else list(world.symbols)


# --- public -------------------------------------------------------------------------------------
def server_time(world: World, params: dict) -> dict:
    return {"serverTime": now_ms()}


def ping(world: World, params: dict) -> dict:
    return {}


def exchange_info(world: World, params: dict) -> dict:
    symbols = []
    for info in world.symbols.values():
        symbols.append({key: copy.deepcopy(value) for key, value in info.items()
                        if key not in ("brackets", "markPrice")})
    assets = sorted({info["marginAsset"] for info in world.symbols.values()})
    return {"timezone": "UTC", "serverTime": now_ms(), "futuresType": "U_MARGINED",
            "rateLimits": copy.deepcopy(world.rate_limits), "exchangeFilters": [],
            "assets": [{"asset": asset, "marginAvailable": True, "autoAssetExchange": "-10000"}
                       for asset in assets],
            "symbols": symbols}


# --- settings -----------------------------------------------------------------------------------
def symbol_config(books: Books, params: dict) -> list[dict]:
    """Always a list, also with `symbol`; every listed symbol without it (binance.md §4.1)."""
    rows = []
    for symbol in _symbols(books.world, params):
        config = books.config(symbol)
        rows.append({"symbol": symbol, "marginType": config["marginType"],
                     "isAutoAddMargin": config["isAutoAddMargin"], "leverage": config["leverage"],
                     "maxNotionalValue": plain(books.max_notional(symbol))})
    return rows


def account_config(books: Books, params: dict) -> dict:
    account = books.account
    return {"feeTier": account["feeTier"], "canTrade": account["canTrade"], "canDeposit": account["canDeposit"],
            "canWithdraw": account["canWithdraw"], "dualSidePosition": account["dualSidePosition"],
            "updateTime": 0, "multiAssetsMargin": account["multiAssetsMargin"], "tradeGroupId": -1}


def position_mode(books: Books, params: dict) -> dict:
    return {"dualSidePosition": books.account["dualSidePosition"]}


def multi_assets_mode(books: Books, params: dict) -> dict:
    return {"multiAssetsMargin": books.account["multiAssetsMargin"]}


def leverage_bracket(books: Books, params: dict):
    """An array of {symbol, brackets}; a single object when `symbol` is sent (binance.md §4.6)."""
    symbol = symbol_param(books.world, params)
    rows = [{"symbol": name, "brackets": copy.deepcopy(books.brackets(name))}
            for name in ([symbol] if symbol else books.world.symbols)]
    return rows[0] if symbol else rows


# --- positions ----------------------------------------------------------------------------------
def _common(books: Books, position: dict) -> dict:
    figures = books.figures(position)
    return {
        "symbol": position["symbol"],
        "positionSide": position["positionSide"],
        "positionAmt": position["positionAmt"],
        "entryPrice": position["entryPrice"],
        "breakEvenPrice": position["entryPrice"],  # no fees are simulated
        "markPrice": position["markPrice"],
        "unRealizedProfit": money(figures.pnl),
        "liquidationPrice": money(books.liquidation(position)),
        "isolatedMargin": money(figures.wallet + figures.pnl) if figures.isolated else "0",
        "notional": money(figures.notional),
        "isolatedWallet": money(figures.wallet),
        "updateTime": position["updateTime"],
    }


def position_risk_v2(books: Books, params: dict) -> list[dict]:
    """One row per symbol and side, flat ones included (binance.md §4.2)."""
    rows = []
    for symbol in _symbols(books.world, params):
        config = books.config(symbol)
        for side in books.sides():
            row = _common(books, books.row(symbol, side))
            row.update({"leverage": str(config["leverage"]),
                        "maxNotionalValue": plain(books.max_notional(symbol)),
                        "marginType": "isolated" if config["marginType"] == "ISOLATED" else "cross",
                        "isAutoAddMargin": "true" if config["isAutoAddMargin"] else "false"})
            rows.append(row)
    return rows


def _v3_positions(books: Books, params: dict) -> list[dict]:
    """The positions v3 shows: open ones, and the flat rows of symbols with open orders only."""
    chosen = []
    for symbol in _symbols(books.world, params):
        held = books.open_positions(symbol)
        if held:
            chosen.extend(held)
        elif books.orders(symbol):
            chosen.extend(books.row(symbol, side) for side in books.sides())
    return chosen


def position_risk_v3(books: Books, params: dict) -> list[dict]:
    rows = []
    for position in _v3_positions(books, params):
        figures = books.figures(position)
        row = _common(books, position)
        row.update({"marginAsset": margin_asset(position["symbol"]), "initialMargin": money(figures.initial),
                    "maintMargin": money(figures.maint), "positionInitialMargin": money(figures.initial),
                    "openOrderInitialMargin": "0", "adl": 0, "bidNotional": "0", "askNotional": "0"})
        rows.append(row)
    return rows


# --- orders -------------------------------------------------------------------------------------
def open_orders(books: Books, params: dict) -> list[dict]:
    return copy.deepcopy(books.orders(symbol_param(books.world, params)))


def open_algo_orders(books: Books, params: dict) -> list[dict]:
    return copy.deepcopy(books.algo_orders(symbol_param(books.world, params)))


def margin_history(books: Books, params: dict) -> list[dict]:
    symbol = symbol_param(books.world, params, required=True)
    kind = params.get("type")
    start, end = params.get("startTime"), params.get("endTime")
    limit = params.get("limit") or "500"
    for name, value in (("type", kind), ("startTime", start), ("endTime", end), ("limit", limit)):
        if value and not value.isdigit():
            raise invalid(name)
    rows = [entry for entry in books.account["marginHistory"] if entry["symbol"] == symbol
            and (not kind or str(entry["type"]) == kind)
            and (not start or entry["time"] >= int(start)) and (not end or entry["time"] <= int(end))]
    return copy.deepcopy(rows[-int(limit):])


# --- balances -----------------------------------------------------------------------------------
def _asset_figures(books: Books, asset: str) -> dict[str, Decimal]:
    positions = [p for p in books.open_positions() if margin_asset(p["symbol"]) == asset]
    figures = [books.figures(p) for p in positions]
    cross_wallet = books.cross_wallet(asset)
    wallet = cross_wallet + books.isolated_wallets(asset)
    pnl = sum((f.pnl for f in figures), ZERO)
    available = books.available(asset)
    return {"walletBalance": wallet, "unrealizedProfit": pnl, "marginBalance": wallet + pnl,
            "maintMargin": sum((f.maint for f in figures), ZERO),
            "initialMargin": sum((f.initial for f in figures), ZERO),
            "positionInitialMargin": sum((f.initial for f in figures), ZERO),
            "openOrderInitialMargin": ZERO, "crossWalletBalance": cross_wallet,
            "crossUnPnl": books.cross_pnl(asset), "availableBalance": available,
            "maxWithdrawAmount": min(available, cross_wallet)}


def _assets(books: Books) -> list[dict]:
    rows = []
    for asset in books.assets():
        figures = _asset_figures(books, asset)
        rows.append({"asset": asset, **{key: money(value) for key, value in figures.items()},
                     "marginAvailable": True, "updateTime": now_ms()})
    return rows


_TOTALS = {"totalInitialMargin": "initialMargin", "totalMaintMargin": "maintMargin",
           "totalWalletBalance": "walletBalance", "totalUnrealizedProfit": "unrealizedProfit",
           "totalMarginBalance": "marginBalance", "totalPositionInitialMargin": "positionInitialMargin",
           "totalOpenOrderInitialMargin": "openOrderInitialMargin", "totalCrossWalletBalance": "crossWalletBalance",
           "totalCrossUnPnl": "crossUnPnl", "availableBalance": "availableBalance",
           "maxWithdrawAmount": "maxWithdrawAmount"}


def _totals(books: Books) -> dict:
    # Every margin asset counted at 1 USD: the prices of the assets themselves are not simulated.
    per_asset = [_asset_figures(books, asset) for asset in books.assets()]
    return {total: money(sum((row[key] for row in per_asset), ZERO)) for total, key in _TOTALS.items()}


def _v2_positions(books: Books) -> list[dict]:
    """account v2's `positions`: every symbol and side, flat ones included, with its leverage."""
    positions = []
    for symbol in books.world.symbols:
        config = books.config(symbol)
        for side in books.sides():
            position = books.row(symbol, side)
            figures = books.figures(position)
            positions.append({
                "symbol": symbol, "initialMargin": money(figures.initial), "maintMargin": money(figures.maint),
                "unrealizedProfit": money(figures.pnl), "positionInitialMargin": money(figures.initial),
                "openOrderInitialMargin": "0", "leverage": str(config["leverage"]),
                "isolated": config["marginType"] == "ISOLATED", "entryPrice": position["entryPrice"],
                "maxNotional": plain(books.max_notional(symbol)), "bidNotional": "0", "askNotional": "0",
                "positionSide": side, "positionAmt": position["positionAmt"],
                "updateTime": position["updateTime"]})
    return positions


def account_v2(books: Books, params: dict) -> dict:
    account = books.account
    return {"feeTier": account["feeTier"], "feeBurn": False, "canTrade": account["canTrade"],
            "canDeposit": account["canDeposit"], "canWithdraw": account["canWithdraw"], "updateTime": 0,
            "multiAssetsMargin": account["multiAssetsMargin"], "tradeGroupId": -1,
            **_totals(books), "assets": _assets(books), "positions": _v2_positions(books)}


def pm_um_account(books: Books, params: dict) -> dict:
    """GET /papi/v1/um/account (Portfolio Margin's "UM account detail"): assets and every symbol's position row
    with its leverage, the shape of account v2 (the DOC sample: "positions of all symbols in the market")."""
    return {"assets": [{k: v for k, v in row.items() if k != "marginAvailable"} for row in _assets(books)],
            "positions": _v2_positions(books)}


def account_v3(books: Books, params: dict) -> dict:
    positions = []
    for position in _v3_positions(books, {}):
        figures = books.figures(position)
        positions.append({
            "symbol": position["symbol"], "positionSide": position["positionSide"],
            "positionAmt": position["positionAmt"], "unrealizedProfit": money(figures.pnl),
            "isolatedMargin": money(figures.wallet + figures.pnl if figures.isolated else ZERO),
            "notional": money(figures.notional), "isolatedWallet": money(figures.wallet),
            "initialMargin": money(figures.initial), "maintMargin": money(figures.maint),
            "updateTime": position["updateTime"]})
    return {**_totals(books), "assets": [{k: v for k, v in row.items() if k != "marginAvailable"}
                                         for row in _assets(books)], "positions": positions}


def balance(books: Books, params: dict) -> list[dict]:
    rows = []
    for asset in books.assets():
        figures = _asset_figures(books, asset)
        rows.append({"accountAlias": "Sg" + books.account["uid"][-4:], "asset": asset,
                     "balance": money(figures["walletBalance"]),
                     "crossWalletBalance": money(figures["crossWalletBalance"]),
                     "crossUnPnl": money(figures["crossUnPnl"]),
                     "availableBalance": money(figures["availableBalance"]),
                     "maxWithdrawAmount": money(figures["maxWithdrawAmount"]), "marginAvailable": True,
                     "updateTime": now_ms()})
    return rows
