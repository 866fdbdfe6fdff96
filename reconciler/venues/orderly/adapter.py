"""Orderly Network v1 adapter: per-symbol default margin mode, leverage per symbol and mode, isolated margin.

Facts and their sources are in `venues/orderly.md`. Where a fact is marked unconfirmed there, the
behaviour chosen here is the safe one and a comment next to the code says so.
"""

from __future__ import annotations

import asyncio

import base64
import math
import time
from decimal import Decimal, InvalidOperation

import base58
from nacl.exceptions import CryptoError
from nacl.signing import SigningKey

from ...errors import ConfigError
from ...liquidation.isolated import orderly_isolated, preview
from ...model import CROSS, ISOLATED, AccountLive, Order, Position, SymbolLive
from ...plan import Call, Change
from ...transport import RawResponse
from ..base import Adapter, decimal_text, describe_activity, effect, mode_name, venue_number

WIRE_MODES = {CROSS: "CROSS", ISOLATED: "ISOLATED"}
# SPEC: leverage is an "Integer between 1 to 100"; the per-symbol maximum is floor(1 / base_imr) within it.
PLATFORM_MAX_LEVERAGE = 100
ORDERS_PAGE_SIZE = 500  # SPEC: GET /v1/orders `size` max 500
LEVERAGE_WRITE = "/v1/client/leverages"

AUTH_HELP = ("check credential account_id (the 0x... Orderly account id), that credential secret is the base58 "
             "ed25519 private key of an orderly key registered to that account, not expired or revoked, "
             "with the read and trading scopes, and that this machine's clock is right (Orderly allows 300 s)")


class OrderlyAdapter(Adapter):
    venue = "orderly"
    settings = ()  # Orderly has no account-level setting this tool manages (no position mode)
    credential_names = ("account_id", "secret")
    # The symbol's default margin mode (POST /v1/client/margin_mode). SPEC refuses a change while the symbol has
    # a position or pending orders "in the current mode"; base.margin_mode_blockers blocks on any position or
    # pending order on the symbol in either mode, the conservative reading.
    stores_margin_mode = True
    base_urls = {"live": "https://api.orderly.org", "demo": "https://testnet-api.orderly.org"}
    # Orderly's success envelope carries no code ({"success": true, ...}); the journal writes "0" for it.
    success_code = "0"
    leverage_decimals = 0  # SPEC: leverage is an integer from 1 to 100
    leverage_limit = Decimal(100)  # orderly.md 6: "Integer between 1 to 100"; each symbol's listing may say less
    request_lifetime = 300.0  # orderly.md 3: the timestamp must be within 300 s of server time
    identity_credential = "account_id"
    public_endpoints = ("GET /v1/public/info",)
    rate_limits = {  # per account ("per user" in SPEC), venues/orderly.md section 5
        "GET /v1/public/info": "10/1s",  # SPEC: per IP; paced per account here
        # Unconfirmed: SPEC states no limit for GET /v1/client/leverages (ccxt cost 1, about 10/s). We pace
        # to 10/1s, the safe behaviour: never faster than the neighbouring documented limits.
        "GET /v1/client/leverages": "10/1s",
        "GET /v1/client/margin_modes": "10/1s",
        "GET /v1/positions": "30/10s",
        "GET /v1/orders": "10/1s",
        "GET /v1/algo/orders": "5/1s",  # SPEC GET /v1/algo/orders: "Limit: 5 requests per 1 second"
        "POST /v1/client/leverages": "5/60s",
        # Not used by this adapter (older path); listed so an override or a mixed client is paced alike.
        "POST /v1/client/leverage": "5/60s",
        "POST /v1/client/margin_mode": "10/1s",
        "POST /v1/position_margin": "10/1s",
    }
    # Every code of DOCS error-codes.mdx the adapter can meet; a code not listed is a business refusal.
    error_kinds = {
        "-1000": "unknown",  # HTTP 500 "an unknown error occurred while processing the request"
        "-1001": "auth", "-1002": "auth",
        "-1003": "rate_limit",
        # Unconfirmed: -1011 "Cannot place/cancel orders due to an internal network error. Please try again in a
        # few seconds." speaks of orders and does not say whether a settings or margin request was carried out,
        # so its outcome is unknown (ccxt: NetworkError). A margin move answered with it is re-read after waiting.
        "-1011": "unknown",
        # -1012 "The order request was rejected by an internal module ... Please try again in a few seconds":
        # a rejection, so nothing was done; safe to send again.
        "-1012": "busy",
    }
    error_help = {
        "-1001": f"Orderly could not verify the request's signature or headers: {AUTH_HELP}",
        "-1002": f"Orderly does not accept this key for this account: {AUTH_HELP}",
        "-1003": "Orderly's rate limit; the reconciler slows down and retries",
        "-1004": "Orderly does not know a parameter of this request",
        "-1005": ("a parameter is out of range or not allowed now: leverage above the symbol's maximum for the "
                  "position size, or a margin mode / isolated leverage change while the symbol has an open "
                  "position or pending orders (Orderly gives such refusals no code of their own)"),
        "-1006": "Orderly found no such data (for a margin move: no open isolated position on the symbol)",
        "-1000": "Orderly met an unknown error; whether the request was carried out is not known",
        "-1011": "Orderly had an internal network error; whether the request was carried out is not known",
        "-1012": ("Orderly's internal module rejected the request (for example while the account is being "
                  "liquidated); the reconciler retries"),
        "-1101": ("insufficient margin after the operation: the account or the position would not have enough "
                  "margin; lower the margin to remove, raise the leverage less, or add collateral"),
    }

    def __init__(self, account, credentials=None):
        super().__init__(account, credentials)
        self._signing_key: SigningKey | None = None
        self._orderly_key = ""
        self._listed: dict[str, dict] = {}  # every symbol the venue lists (GET /v1/public/info)
        if "secret" in self._credentials:
            self._signing_key = self._load_key(self._credentials["secret"])
            self._orderly_key = "ed25519:" + base58.b58encode(bytes(self._signing_key.verify_key)).decode()

    def _load_key(self, secret: str) -> SigningKey:
        """The ed25519 signing key from the base58 private key; the value itself is never shown."""
        where = self.account.origins.get("secret", f"account {self.account.name}: credentials.secret")
        text = secret.strip()
        # ccxt strips an optional "ed25519:" prefix from the secret (orderly.md section 3); so do we.
        if text.startswith("ed25519:"):
            text = text[len("ed25519:"):]
        try:
            raw = base58.b58decode(text)
        except ValueError:
            raw = b""
        problem = (f"{where}: credential 'secret' is not a base58 ed25519 private key "
                   "(32 bytes once decoded; the value is not shown)")
        if len(raw) == 64:
            # A libsodium-style secret key (seed + public key): accept it only when the halves agree.
            try:
                key = SigningKey(raw[:32])
            except CryptoError:
                raise ConfigError(problem) from None
            if bytes(key.verify_key) != raw[32:]:
                raise ConfigError(problem)
            return key
        if len(raw) != 32:
            raise ConfigError(problem)
        return SigningKey(raw)

    # --- HTTP ---------------------------------------------------------------------------------
    def sign(self, method, path_with_query, body):
        timestamp = str(int(time.time() * 1000))
        signature = b""
        if self._signing_key is not None:
            message = (timestamp + method.upper() + path_with_query + body).encode()
            signature = self._signing_key.sign(message).signature
        # The docs' examples disagree on the `=` padding (Node/ccxt strip it, the Python example keeps
        # it); server tolerance is unconfirmed. We send url-safe base64 without padding as ccxt does,
        # the form a production client is known to use.
        return {
            "orderly-account-id": self._credentials.get("account_id", ""),
            "orderly-key": self._orderly_key,
            "orderly-timestamp": timestamp,
            "orderly-signature": base64.urlsafe_b64encode(signature).decode().rstrip("="),
            "Content-Type": _content_type(method),
        }

    def public_headers(self):
        return {"Content-Type": "application/x-www-form-urlencoded"}  # unsigned calls are all GETs

    def parse(self, response: RawResponse):
        payload = self.payload(response)
        if payload.get("success") is True and 200 <= response.status < 300:
            return payload.get("data")
        code = payload.get("code")
        # `code` may arrive as a number or a string ("-1011") (orderly.md section 4): normalise it.
        code = None if code is None else str(code).strip()
        message = str(payload.get("message") or f"HTTP {response.status}")
        # No documented code says "refused because of open positions or orders" (error-codes.mdx, the SPEC, the
        # JS SDK and orderly-evm-connector name none): such refusals are found at plan time from the positions
        # and orders read, and one met at apply (the state moved since) is a failure with Orderly's message.
        raise self.error(code, message, response, self.kind_of(code, response.status))

    # --- reading ------------------------------------------------------------------------------
    async def instrument_ids(self, client):
        info = await client.request(Call("GET", "/v1/public/info"), signed=False) or {}
        return [row["symbol"] for row in info.get("rows") or []]

    async def listing(self, client, symbols):
        self._take_listing(await client.request(Call("GET", "/v1/public/info"), signed=False), symbols)
        return {symbol: (Decimal(1), _max_leverage(self._listed[symbol])) for symbol in symbols}

    def _take_listing(self, info, symbols) -> None:
        """Every symbol /v1/public/info lists, once each of `symbols` is known to be one of them."""
        self._listed = {row["symbol"]: row for row in (info or {}).get("rows") or []}
        unknown = [s for s in symbols if s not in self._listed]
        if unknown:
            raise self.unlisted(unknown, "is not a symbol Orderly lists (symbols look like PERP_BTC_USDC)")

    async def read(self, client, symbols):
        live = AccountLive()
        # Every read at once: on a distant network each round trip in sequence costs its latency.
        info, modes, leverages, live.positions, live.orders = await asyncio.gather(
            client.request(Call("GET", "/v1/public/info"), signed=False),
            client.request(Call("GET", "/v1/client/margin_modes")), client.request(Call("GET", "/v1/client/leverages")),
            self.read_positions(client), self._orders(client))
        self._take_listing(info, symbols)
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
                max_leverage=_max_leverage(self._listed[symbol]),
                min_leverage=Decimal(1),
            )
        return live

    async def read_positions(self, client):
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

    async def preview_liquidation(self, client, changes, live) -> None:
        """The liquidation price after each margin move of an open isolated position (an isolated leverage
        change on an open position is blocked here, and a cross position's estimate needs the whole account)."""
        for change in changes:
            if change.status != "change" or change.field != "isolated_margin":
                continue
            position = next((p for p in live.positions_of(change.symbol) if p.margin_mode == ISOLATED), None)
            if position is None:
                continue
            after = None
            if None not in (position.cost, position.maintenance_rate):
                after = orderly_isolated(Decimal(change.to), position.cost, position.size, position.maintenance_rate)
            change.liquidation_price = preview(position, after)

    async def _orders(self, client) -> list[Order]:
        # Unconfirmed: whether pending algo (TP/SL, stop) orders count as pending orders for the margin-mode and
        # isolated-leverage rules (orderly.md section 8.3). They carry a margin_mode, so we read them as blockers
        # too, the safe behaviour.
        rows, algo_rows = await asyncio.gather(self._pending_rows(client, "/v1/orders"),
                                               self._pending_rows(client, "/v1/algo/orders"))
        return ([Order(symbol=row["symbol"], margin_mode=mode_name(row.get("margin_mode")),
                       description=_describe_order(row)) for row in rows]
                + [Order(symbol=row["symbol"], margin_mode=mode_name(row.get("margin_mode")),
                         description=_describe_algo_order(row)) for row in algo_rows])

    @staticmethod
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

    # --- rules --------------------------------------------------------------------------------
    def leverage_sides(self, margin_mode, position_mode):
        return [None]  # one leverage per symbol and margin mode; Orderly has no position sides

    def leverage_blockers(self, live: AccountLive, symbol: str, margin_mode: str) -> list[str]:
        if margin_mode != ISOLATED:
            return []  # cross leverage may change with positions open (orderly.md section 6)
        # FLOW documents for the batch form that isolated leverage is not changed for a symbol with an isolated
        # position or pending (isolated) orders; a cross order does not use the isolated leverage and does not
        # lock it. Unconfirmed for the single-symbol form; we block there too, the safe reading.
        positions = [p for p in live.positions_of(symbol) if p.margin_mode == ISOLATED]
        orders = [o for o in live.orders_of(symbol) if o.margin_mode == ISOLATED]
        return describe_activity(positions, orders)

    # --- calls --------------------------------------------------------------------------------
    def assign_calls(self, changes, live):
        leverage: list[Change] = []
        for change in changes:
            if change.status != "change":
                continue
            if change.field == "margin_mode":
                change.calls = [Call("POST", "/v1/client/margin_mode", body={
                    "symbol": change.symbol, "default_margin_mode": WIRE_MODES[change.to]})]
            elif change.field == "leverage":
                leverage.append(change)
            elif change.field == "isolated_margin":
                change.calls = [self.margin_call(change.symbol, change.side,
                                                 Decimal(change.to) - Decimal(change.from_))]
        by_mode_value: dict[tuple[str, Decimal], list[Change]] = {}
        for change in leverage:
            by_mode_value.setdefault((change.margin_mode, Decimal(change.to)), []).append(change)
        for (mode, value), group in by_mode_value.items():
            if self._batch_allowed(mode, value, group, changes, live):
                call = Call("POST", LEVERAGE_WRITE, body={"leverage": _wire(value), "margin_mode": WIRE_MODES[mode]})
                for change in group:
                    change.calls = [call]
                continue
            for change in group:
                change.calls = [Call("POST", LEVERAGE_WRITE, body={
                    "symbol": change.symbol, "leverage": _wire(value), "margin_mode": WIRE_MODES[mode]})]

    def _batch_allowed(self, mode: str, value: Decimal, group: list[Change], changes: list[Change],
                       live: AccountLive) -> bool:
        """The batch form (no symbol) touches every symbol Orderly lists: use it only when the file gives
        every one of them this leverage in this mode, each either needs exactly that or already holds it,
        and sending it early cannot overtake anything the plan orders first."""
        if len(group) < 2 or not self._listed:
            return False
        planned = {change.symbol: change for change in group}
        others = {change.symbol for change in changes if change.field == "leverage" and change.margin_mode == mode
                  and change.symbol not in planned}
        for symbol in self._listed:
            spec = self.account.symbols.get(symbol)
            current = live.symbols.get(symbol)
            if spec is None or current is None or spec.leverage is None or isinstance(spec.leverage, dict):
                return False
            if (spec.margin_mode or current.margin_mode) != mode or Decimal(spec.leverage) != value:
                return False
            if symbol in others:
                return False  # this symbol has a blocked leverage change in this mode: the batch would touch it
            if symbol in planned:
                if planned[symbol].depends_on:
                    return False  # a margin-mode change goes first on that symbol: keep the per-symbol order
            elif current.leverage.get((mode, None)) != value:
                return False
            # The batch silently caps each symbol at its maximum for the position size (SPEC); a per-symbol call
            # refuses instead and says so. So no batch over a symbol with an open position in this mode.
            if any(p.margin_mode == mode for p in live.positions_of(symbol)):
                return False
        return True

    def margin_call(self, symbol, side, delta):
        delta = Decimal(delta)
        return Call("POST", "/v1/position_margin", body={
            "symbol": symbol, "amount": decimal_text(abs(delta)), "type": "ADD" if delta > 0 else "REDUCE"})

    def move_of(self, call):
        if call.path != "/v1/position_margin" or not call.body:
            return None
        amount = venue_number(call.body.get("amount"))
        return None if amount is None else (amount if call.body.get("type") == "ADD" else -amount)

    def margin_currency(self, symbol, side):
        return "USDC"  # orderly.md 7: isolated collateral is USDC only

    def call_effects(self, call, carried, changes, live):
        """The batch leverage call (no symbol) sets every symbol Orderly lists: each is an effect of it."""
        if call.path != LEVERAGE_WRITE or not call.body or "symbol" in call.body:
            return super().call_effects(call, carried, changes, live)
        mode = {wire: name for name, wire in WIRE_MODES.items()}[call.body["margin_mode"]]
        return [effect(symbol, "leverage", mode, None, decimal_text(Decimal(str(call.body["leverage"]))))
                for symbol in sorted(self._listed)]


def _content_type(method: str) -> str:
    # orderly.md section 3: JSON for POST/PUT, form-urlencoded for GET/DELETE.
    return "application/json" if method.upper() in ("POST", "PUT") else "application/x-www-form-urlencoded"


def _wire(leverage: Decimal) -> int | str:
    """Leverage as Orderly's JSON takes it: an integer (the loader admits only whole numbers); never rounded."""
    return int(leverage) if leverage == leverage.to_integral_value() else decimal_text(leverage)


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
