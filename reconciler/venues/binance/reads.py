"""Reading a USDⓈ-M account: listing, account flags, symbol settings, brackets, positions, orders (binance.md §4)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

from ...errors import VenueError
from ...model import CROSS, ISOLATED, LONG, SHORT, Order, Position
from ...plan import Call
from ..base import decimal_text, mode_name, venue_number
from . import endpoints
from .liquidation import Bracket, brackets_of

SIDES = {"BOTH": None, "LONG": LONG, "SHORT": SHORT}
LISTING_FIELDS = frozenset({"symbol", "status", "marginAsset", "contractType", "quoteAsset"})
# binance.md §3.4: Portfolio Margin accounts trade UM through papi, on its own host; the non-live hosts have none
# (unconfirmed: no Portfolio Margin testnet is documented), so there a refused key is only a refused key.
LIVE_HOST, PM_LIVE = "fapi.binance.com", "https://papi.binance.com"
NON_LIVE_HOSTS = ("testnet.binancefuture.com", "demo-fapi.binance.com")


def slim_listing(pairs: list[tuple]) -> dict:
    """An object of an answer; a symbol row of exchangeInfo (it has filters) keeps only LISTING_FIELDS."""
    if not any(key == "filters" for key, _ in pairs):
        return dict(pairs)
    return {key: value for key, value in pairs if key in LISTING_FIELDS}


async def listing(client) -> dict[str, dict]:
    """Every USDⓈ-M symbol Binance lists, whatever its status (public, weight 1)."""
    data = await client.request(Call("GET", endpoints.EXCHANGE_INFO), signed=False)
    return {row["symbol"]: row for row in data["symbols"]}  # always there: none is an answer of the wrong shape


async def account_config(client) -> dict:
    """accountConfig (weight 5): position mode and Multi-Assets mode, instead of two reads of weight 30 (§4.10)."""
    return await client.request(Call("GET", endpoints.ACCOUNT_CONFIG))


async def symbol_configs(client) -> dict[str, dict]:
    """symbolConfig without a symbol (weight 5): every symbol's margin type and leverage, flat ones included."""
    return {row["symbol"]: row for row in await client.request(Call("GET", endpoints.SYMBOL_CONFIG)) or []}


async def brackets(client) -> dict[str, list[Bracket]]:
    """leverageBracket without a symbol (weight 1): an array of {symbol, brackets}, this account's own."""
    data = await client.request(Call("GET", endpoints.LEVERAGE_BRACKET))
    rows = [data] if isinstance(data, dict) else data or []
    return {row["symbol"]: brackets_of(row.get("brackets") or []) for row in rows}


async def position_rows(client) -> list[dict]:
    """positionRisk v3 (weight 5): the open positions (and flat rows of symbols with open orders, dropped here)."""
    return [row for row in await client.request(Call("GET", endpoints.POSITION_RISK)) or []
            if (venue_number(row.get("positionAmt")) or 0) != 0]


def position_of(row: dict, margin_type: str | None) -> Position:
    """A positionRisk v3 row; v3 has no marginType, so it comes from symbolConfig (else: a wallet means isolated)."""
    amount = venue_number(row["positionAmt"])
    wallet = venue_number(row.get("isolatedWallet")) or Decimal(0)
    mode = mode_name(margin_type) or (ISOLATED if wallet else CROSS)
    entry = venue_number(row.get("entryPrice")) or Decimal(0)
    liquidation = venue_number(row.get("liquidationPrice"))
    return Position(symbol=row["symbol"], margin_mode=mode, side=SIDES.get(row.get("positionSide"), None),
                    size=amount, margin=wallet if mode == ISOLATED else None,
                    mark_price=venue_number(row.get("markPrice")),
                    liquidation_price=liquidation if liquidation else None,  # "0": none
                    cost=abs(amount) * entry)


async def orders(client, symbols: list[str] | None, margin_types: dict[str, str]) -> list[Order]:
    """Open orders and open algo (conditional) orders: of each of `symbols` (weight 1 each), or of the whole
    account in one answer each (None: weight 40 each).

    Unconfirmed (binance.md §4.7): whether pending algo orders block marginType (-4047) and positionSide/dual
    (-4067). We read both lists and count both, the safe behaviour: such a change is shown blocked, not refused.
    """
    queries = [{"symbol": symbol} for symbol in symbols] if symbols is not None else [None]
    calls = [Call("GET", path, query) for path in (endpoints.OPEN_ORDERS, endpoints.OPEN_ALGO_ORDERS)
             for query in queries]
    answers = await client.request_all(calls)
    found = []
    for call, rows in zip(calls, answers):
        algo = call.path == endpoints.OPEN_ALGO_ORDERS
        for row in rows or []:
            found.append(Order(symbol=row["symbol"], margin_mode=mode_name(margin_types.get(row["symbol"])),
                               description=_algo_text(row) if algo else _order_text(row)))
    return found


def _side(row: dict) -> str:
    side = str(row.get("side", "")).lower()
    return f"{side} {row['positionSide'].lower()}" if row.get("positionSide") in ("LONG", "SHORT") else side


def _order_text(row: dict) -> str:
    """e.g. 'LIMIT order 8000000001 XRPUSDT buy 100 @ 0.5'."""
    price = venue_number(row.get("price"))
    text = (f"{row.get('type', '')} order {row.get('orderId', '')} {row['symbol']} {_side(row)} "
            f"{row.get('origQty', '')}" + (f" @ {decimal_text(price)}" if price else ""))
    return " ".join(text.split())


def _algo_text(row: dict) -> str:
    """e.g. 'STOP_MARKET conditional order 3000000001 ETHUSDT sell 1 trigger 1500'."""
    trigger = venue_number(row.get("triggerPrice"))
    text = (f"{row.get('orderType', '')} conditional order {row.get('algoId', '')} {row['symbol']} {_side(row)} "
            f"{row.get('quantity', '')}" + (f" trigger {decimal_text(trigger)}" if trigger else ""))
    return " ".join(text.split())


def papi_base(base_url: str) -> str | None:
    """Where this key's Portfolio Margin API would be: papi.binance.com for live, nowhere for testnet and demo,
    the same address for anything else (a simulator serves both)."""
    host = (urlsplit(base_url).hostname or "").lower()
    if host == LIVE_HOST:
        return PM_LIVE
    return None if host in NON_LIVE_HOSTS else base_url


async def portfolio_margin_account(client) -> dict | None:
    """The Portfolio Margin UM account of this key, or None when papi refuses it too (then it is no PM key).

    binance.md §3.4: fapi answers -2015 to a Portfolio Margin key; "if accountConfig fails with -2015 while the
    same key succeeds on GET /papi/v1/um/account, the account is PM". papi lives on another host, so the read
    goes through a client of that address sharing this one's pacing, transport and journal.
    """
    from ...client import VenueClient  # here: loading a file needs no HTTP client

    base = papi_base(client.base_url)
    if base is None:
        return None
    papi = VenueClient(client.adapter, base, pacer=client.pacer, transport=client.transport, journal=client.journal,
                       public_cache=client.public_cache, identity=client.identity)
    try:
        return await papi.request(Call("GET", endpoints.PM_ACCOUNT))
    except VenueError as exc:
        if exc.kind in ("auth", "business"):
            return None
        raise
