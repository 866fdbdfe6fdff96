"""Bitget v2 mix (futures) adapter: per-symbol margin mode, leverage, isolated margin, position mode.

The venue's declaration and what the loader asks offline live here; the rest is one module per concern:
`auth` (signing), `errors` (envelope and codes), `products` (product lines, margin coins, the listing),
`reads`, `rules`, `calls`, `liquidation`.
"""

from __future__ import annotations

from ...model import AccountLive, Position
from ...plan import Call, Change
from ...transport import RawResponse
from ..base import POSITION_MODE, Adapter
from . import auth, calls, liquidation, reads, rules
from .errors import ERROR_HELP, ERROR_KINDS, data_of
from .limits import DOCUMENTED_LIMITS
from .products import COIN_QUOTES, MARGIN_COINS, PRODUCT_TYPES, Listing, margin_coin


class BitgetAdapter(Adapter):
    venue = "bitget"
    settings = {"position_mode": POSITION_MODE}
    credential_names = ("api_key", "secret", "passphrase")
    account_options = {"product_type": {
        "type": "string", "pattern": "^(?:[Ss]?[Uu][Ss][Dd][TtCc]|[Ss]?[Cc][Oo][Ii][Nn])-[Ff][Uu][Tt][Uu][Rr][Ee][Ss]$",
        "x-error": f"Bitget has no product type of this name (it has: {', '.join(PRODUCT_TYPES)}, in any case)",
        "description": "USDT-FUTURES, USDC-FUTURES or COIN-FUTURES (any case; S-prefixed for demo)",
        "examples": ["USDT-FUTURES"]}}
    required_options = ("product_type",)
    symbol_options = {"margin_coin": {"type": "string", "x-error": "must be a coin such as USDT",
                                      "description": "overrides the margin coin derived from product_type"}}
    stores_margin_mode = True
    base_urls = {"live": "https://api.bitget.com", "demo": "https://api.bitget.com"}
    success_code = "00000"
    leverage_decimals = 0  # Bitget leverage is a whole number
    request_lifetime = 30.0  # bitget.md: a request more than 30 s from server time is refused (40008)
    public_endpoints = ("GET /api/v2/mix/market/contracts",)
    documented_limits = DOCUMENTED_LIMITS
    rate_limits = {  # per UID, venues/bitget.md §7
        "GET /api/v2/mix/account/account": "10/1s",
        "GET /api/v2/mix/position/all-position": "5/1s",
        "GET /api/v2/mix/order/orders-pending": "10/1s",
        "GET /api/v2/mix/order/orders-plan-pending": "10/1s",
        "GET /api/v2/mix/market/contracts": "20/1s",
        "POST /api/v2/mix/account/set-margin-mode": "5/1s",
        "POST /api/v2/mix/account/set-leverage": "5/1s",
        "POST /api/v2/mix/account/set-margin": "5/1s",
        "POST /api/v2/mix/account/set-position-mode": "5/1s",
    }
    error_kinds = ERROR_KINDS
    error_help = ERROR_HELP

    def __init__(self, account, credentials=None):
        super().__init__(account, credentials)
        self.listing = Listing()  # what GET market/contracts said (read with the account)

    @classmethod
    def option_problems(cls, name, value):
        problem = cls.product_type_problem(value) if name == "product_type" else None
        return [((), problem)] if problem else []

    @classmethod
    def symbol_option_problem(cls, name, value, options, symbol):
        return cls.margin_coin_problem(options.get("product_type"), symbol, value) if name == "margin_coin" else None

    @classmethod
    def product_type_problem(cls, product_type):
        if product_type.upper() not in PRODUCT_TYPES:
            return f"Bitget has no product type {product_type!r} (it has: {', '.join(PRODUCT_TYPES)})"
        return None

    @classmethod
    def margin_coin_problem(cls, product_type, symbol, coin):
        product_type, coin = (product_type or "").upper(), coin.upper()
        if product_type in MARGIN_COINS and coin != MARGIN_COINS[product_type]:
            return f"{product_type} contracts margin in {MARGIN_COINS[product_type]} only (got {coin!r})"
        quote = COIN_QUOTES.get(product_type)
        if quote and symbol is not None and not cls.canonical_symbol(symbol).startswith(coin + quote):
            return (f"{product_type} contracts margin in their base coin, the one {cls.canonical_symbol(symbol)} "
                    f"starts with (got {coin!r})")
        return None

    @classmethod
    def canonical_symbol(cls, symbol):
        return symbol.upper()  # Bitget ids are case-insensitive (its examples send btcusdt); it answers BTCUSDT

    @property
    def product_type(self) -> str:
        return self.account.options["product_type"].upper()  # case-insensitive on the venue (usdt-futures in its examples)

    # --- HTTP ---------------------------------------------------------------------------------
    def sign(self, method, path_with_query, body):
        return auth.signed_headers(self._credentials, self.account.environment == "demo", method,
                                   path_with_query, body)

    def public_headers(self):
        return auth.public_headers(self.account.environment == "demo")

    def parse(self, response: RawResponse):
        return data_of(self, response)

    # --- reading ------------------------------------------------------------------------------
    async def read(self, client, symbols) -> AccountLive:
        return await reads.read(self, client, symbols)

    async def instrument_ids(self, client):
        return await reads.instrument_ids(self, client)

    async def read_positions(self, client) -> list[Position]:
        return await reads.read_positions(self, client)

    async def preview_liquidation(self, client, changes, live) -> None:
        liquidation.preview_liquidation(self, changes, live)

    # --- rules --------------------------------------------------------------------------------
    def leverage_sides(self, margin_mode, position_mode):
        return rules.leverage_sides(margin_mode)

    # --- calls --------------------------------------------------------------------------------
    def assign_calls(self, changes: list[Change], live: AccountLive) -> None:
        calls.assign_calls(self, changes, live)

    def margin_call(self, symbol, side, delta) -> Call:
        return calls.margin_call(self, symbol, side, delta)

    def move_of(self, call):
        return calls.move_of(call)

    def margin_currency(self, symbol, side):
        return margin_coin(self, symbol)
