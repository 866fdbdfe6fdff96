"""Binance USDⓈ-M futures adapter: margin type and leverage per symbol, isolated margin, the account's position mode.

What it declares (limits, codes, environments) is here; signing, reading, calls, rules and liquidation prices are
each in their own module of this package. Facts and their sources: venues/binance.md.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from ...errors import VenueError
from ...liquidation.isolated import preview
from ...model import CROSS, ISOLATED, AccountLive, SymbolLive
from ...outgoing import Outgoing
from ...transport import RawResponse
from ..base import POSITION_MODE, Adapter, mode_name, venue_number
from . import auth, endpoints, reads
from .calls import BinanceCalls
from .errors import ERROR_HELP, ERROR_KINDS, error_of
from .limits import DOCUMENTED_LIMITS
from .liquidation import isolated_liquidation
from .rules import PORTFOLIO_MARGIN, TRADING, BinanceRules

# binance.md §3.1 (FAQ 360033162192): a symbol never configured has 20x; CROSSED is what every example shows
# (unconfirmed). A leverage above the symbol's cap cannot be in force, so the default is capped by it.
DEFAULT_LEVERAGE = 20
DEFAULT_MARGIN_TYPE = "CROSSED"
MAX_RECV_WINDOW_MS = 60000  # binance.md §1: larger values are refused (-1021; the cap is unconfirmed for fapi)
# Order reads by symbol weigh 1 each (2 lists), the account's whole lists 40 each: by symbol up to this many.
ORDER_READS_BY_SYMBOL = 40


class BinanceAdapter(BinanceRules, BinanceCalls, Adapter):
    venue = "binance"
    settings = {"position_mode": POSITION_MODE}  # dualSidePosition; shared with COIN-M (binance.md §3.2)
    credential_names = ("api_key", "secret")
    stores_margin_mode = True
    # binance.md §1: testnet and demo are both non-live hosts (GI versions disagree on which is "testnet").
    base_urls = {"live": "https://fapi.binance.com", "testnet": "https://testnet.binancefuture.com",
                 "demo": "https://demo-fapi.binance.com"}
    success_code = "200"  # the setters answer {"code": 200, "msg": "success"}; reads have no envelope
    leverage_decimals = 0  # binance.md §5.2: "int from 1 to 125"
    leverage_limit = Decimal(125)
    # A signed request is executed only while Binance's clock is within recvWindow of its timestamp (GI), and
    # this adapter sends recvWindow = request_lifetime: after an unknown outcome nothing more is sent for that
    # position until it has passed.
    request_lifetime = auth.DEFAULT_RECV_WINDOW_MS / 1000
    # binance.md §3.1, §4.1: symbolConfig holds one `leverage` per symbol beside its marginType, and a margin-type
    # switch leaves it as it is (there is no leverage per type), so a leverage change need not wait for one.
    leverage_after_margin_mode = False
    public_endpoints = (f"GET {endpoints.EXCHANGE_INFO}",)
    # Request weight is counted per IP (2400 per minute, binance.md §6): `ip_budget`, `weight_header` and
    # `request_weight` declare it. Per account, each endpoint is paced below to what that budget allows it alone.
    ip_budget = "2400/1m"
    weight_header = "X-MBX-USED-WEIGHT-1M"
    documented_limits = DOCUMENTED_LIMITS
    rate_limits = {
        "GET /fapi/v1/exchangeInfo": "2400/1m",  # weight 1
        "GET /fapi/v1/accountConfig": "480/1m",  # weight 5
        "GET /fapi/v1/symbolConfig": "480/1m",  # weight 5
        "GET /fapi/v1/leverageBracket": "2400/1m",  # weight 1
        "GET /fapi/v3/positionRisk": "480/1m",  # weight 5
        "GET /fapi/v1/openOrders": "60/1m",  # weight 40 without symbol (1 with): paced for the heavier form
        "GET /fapi/v1/openAlgoOrders": "60/1m",  # weight 40 without symbol (1 with): paced for the heavier form
        "GET /papi/v1/um/account": "480/1m",  # unconfirmed weight 5; read once, to recognise a Portfolio Margin key
        # The writes weigh 1. Unconfirmed (binance.md §6): whether they count toward the account's ORDERS limits
        # (300 per 10 s, 1200 per minute); 200/10s keeps within both if they do.
        "POST /fapi/v1/marginType": "200/10s",  # within ORDERS 300/10s and 1200/1m (see above)
        "POST /fapi/v1/leverage": "200/10s",  # within ORDERS 300/10s and 1200/1m (see above)
        "POST /fapi/v1/positionMargin": "200/10s",  # within ORDERS 300/10s and 1200/1m (see above)
        "POST /fapi/v1/positionSide/dual": "200/10s",  # within ORDERS 300/10s and 1200/1m (see above)
    }
    error_kinds = ERROR_KINDS
    error_help = ERROR_HELP

    def __init__(self, account, credentials=None):
        super().__init__(account, credentials)
        self._status: dict[str, str] = {}  # symbol -> exchangeInfo status
        self._assets: dict[str, str] = {}  # symbol -> marginAsset
        self._brackets: dict = {}  # symbol -> [Bracket], this account's (leverageBracket)
        self._margin_types: dict[str, str] = {}  # symbol -> marginType, from the last symbolConfig read

    @classmethod
    def canonical_symbol(cls, symbol):
        return symbol.upper()  # Binance's symbols are upper case (BTCUSDT)

    # --- HTTP ---------------------------------------------------------------------------------
    @property
    def recv_window_ms(self) -> int:
        return min(int(self.request_lifetime * 1000), MAX_RECV_WINDOW_MS)

    def authorize(self, request: Outgoing, signed: bool) -> Outgoing:
        if not signed:
            return request
        return auth.signed(request, self._credentials.get("api_key", ""), self._credentials.get("secret", ""),
                           self.recv_window_ms)

    def sign(self, method, path_with_query, body):
        return {auth.KEY_HEADER: self._credentials.get("api_key", "")}  # the signature goes in the query (authorize)

    def request_weight(self, call) -> int:
        return endpoints.request_weight(call)

    def kind_of(self, code, status):
        if status == 408:  # GI: timeout waiting for the backend; the request may have been carried out
            return "unknown"
        return super().kind_of(code, status)

    def parse(self, response: RawResponse):
        data = self.payload(response, reads.slim_listing if '"filters"' in response.text else None, (dict, list))
        failure = error_of(data)
        if failure is None and 200 <= response.status < 300:
            return data
        if failure is None:
            raise self._unreadable(f"HTTP {response.status}: the answer is not Binance's", response)
        code, message = failure
        if response.status == 418:
            # GI: an IP that goes on past 429s is banned (2 minutes up to 3 days); a request during the ban
            # lengthens it, so nothing is retried: a person runs again after Retry-After.
            message += (" (Binance has banned this IP for going on past its request-weight limit; nothing more is "
                        "sent: run again after the Retry-After time)")
            raise self.error(code, message, response, "business")
        raise self.error(code, message, response, self.kind_of(code, response.status))

    # --- reading ------------------------------------------------------------------------------
    async def read(self, client, symbols):
        self._take_listing(await reads.listing(client))
        unknown = [s for s in symbols if s not in self._status]
        if unknown:
            raise self.unlisted(unknown, "is not a USDⓈ-M futures symbol Binance lists (exchangeInfo)")
        answers = await asyncio.gather(reads.account_config(client), reads.symbol_configs(client),
                                       reads.brackets(client), reads.position_rows(client), return_exceptions=True)
        failures = [answer for answer in answers if isinstance(answer, BaseException)]
        if failures:
            if all(isinstance(f, VenueError) and f.code == "-2015" for f in failures):
                account = await reads.portfolio_margin_account(client)
                if account is not None:
                    return self._portfolio_margin(account, symbols)
            raise failures[0]
        config, configs, self._brackets, rows = answers
        self._margin_types = {symbol: row.get("marginType") for symbol, row in configs.items()}
        live = AccountLive()
        # Both fields are in every accountConfig answer (binance.md §4.10): one missing is an answer of the wrong shape.
        live.settings["position_mode"] = "hedge" if _flag(config["dualSidePosition"]) else "net"
        live.settings["multi_assets"] = "on" if _flag(config["multiAssetsMargin"]) else "off"
        for symbol in symbols:
            row = configs.get(symbol) or self._default_config(symbol)
            leverage = venue_number(row.get("leverage"))
            live.symbols[symbol] = SymbolLive(symbol=symbol, margin_mode=mode_name(row.get("marginType")),
                                              leverage={(CROSS, None): leverage, (ISOLATED, None): leverage})
        live.positions = [reads.position_of(row, self._margin_types.get(row["symbol"], DEFAULT_MARGIN_TYPE))
                          for row in rows]
        wanted = self._order_reads(live, symbols)
        if wanted != []:
            live.orders = await reads.orders(client, wanted, self._margin_types)
        return live

    def _take_listing(self, listed: dict[str, dict]) -> None:
        self._status = {symbol: str(row.get("status") or "") for symbol, row in listed.items()}
        self._assets = {symbol: row.get("marginAsset") or row.get("quoteAsset") for symbol, row in listed.items()}

    def _default_config(self, symbol: str) -> dict:
        brackets = self._brackets.get(symbol) or []
        cap = brackets[0].leverage if brackets else DEFAULT_LEVERAGE
        return {"symbol": symbol, "marginType": DEFAULT_MARGIN_TYPE, "leverage": min(DEFAULT_LEVERAGE, cap)}

    def _order_reads(self, live: AccountLive, symbols: list[str]) -> list[str] | None:
        """Which open orders the plan needs (they block a margin-type or position-mode change, nothing else):
        [] none, a list of symbols (weight 1 per list each), or None for the whole account (weight 40 per list)."""
        wanted = self.account.settings.get("position_mode")
        if wanted and wanted != live.settings.get("position_mode") and \
                self.setting_refusal(live, "position_mode", wanted) is None:
            return None
        changing = [symbol for symbol in symbols if self._margin_type_changes(live, symbol)]
        return None if len(changing) > ORDER_READS_BY_SYMBOL else changing

    def _margin_type_changes(self, live: AccountLive, symbol: str) -> bool:
        spec = self.account.symbols.get(symbol)
        return bool(spec and spec.margin_mode and spec.margin_mode != live.symbols[symbol].margin_mode
                    and self.margin_mode_refusal(live, symbol, spec.margin_mode) is None)

    def _portfolio_margin(self, account: dict, symbols: list[str]) -> AccountLive:
        """A Portfolio Margin account as far as papi's UM account shows it: its leverage per symbol.

        Unconfirmed (binance.md §3.4): Portfolio Margin has no margin-type endpoint (it is cross-collateral), so
        every symbol reads cross; nothing is written to such an account (see rules: every change is refused).
        """
        live = AccountLive(settings={"account": PORTFOLIO_MARGIN})
        leverage = {row.get("symbol"): venue_number(row.get("leverage")) for row in account.get("positions") or []}
        for symbol in symbols:
            value = leverage.get(symbol)
            live.symbols[symbol] = SymbolLive(symbol=symbol, margin_mode=CROSS, leverage={} if value is None else {
                (CROSS, None): value, (ISOLATED, None): value})
        return live

    async def instrument_ids(self, client):
        listed = await reads.listing(client)
        # binance.md §4.8: anything but TRADING is not listed for writes (PENDING_TRADING, settling, ...)
        return [symbol for symbol, row in listed.items() if row.get("status") == TRADING]

    async def read_positions(self, client):
        return [reads.position_of(row, self._margin_types.get(row["symbol"], DEFAULT_MARGIN_TYPE))
                for row in await reads.position_rows(client)]

    async def preview_liquidation(self, client, changes, live) -> None:
        """The liquidation price after each margin move of an open isolated position, and after each leverage
        change of a symbol with one: from the account's maintenance-margin brackets (binance.md §8). A leverage
        change moves no margin by itself, so the position keeps its isolated wallet and its liquidation price
        (inference, §8); a symbol with both hedge sides open gets none for its leverage (one change, two prices)."""
        for change in changes:
            if change.status != "change" or change.field not in ("isolated_margin", "leverage"):
                continue
            positions = [p for p in live.positions_of(change.symbol) if p.margin_mode == ISOLATED
                         and (change.field == "leverage" or p.side == change.side)]
            if len(positions) != 1:
                continue
            position = positions[0]
            wallet = Decimal(change.to) if change.field == "isolated_margin" else position.margin
            change.liquidation_price = preview(position, self._liquidation(position, wallet))

    def _liquidation(self, position, wallet) -> Decimal | None:
        brackets = self._brackets.get(position.symbol)
        quantity = abs(position.size)
        if not brackets or wallet is None or position.mark_price is None or position.cost is None or not quantity:
            return None
        long = position.side == "long" or (position.side is None and position.size > 0)
        return isolated_liquidation(long, quantity, position.cost / quantity, wallet, position.mark_price, brackets)


def _flag(value) -> bool:
    """A JSON true or false; anything else is an answer of the wrong shape (TypeError, as a missing field is)."""
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value
