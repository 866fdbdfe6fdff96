"""What every venue adapter shares: its declared capabilities, default rules, and the reasons it gives."""

from __future__ import annotations

from abc import ABC, abstractmethod

import functools
import hashlib
import json
import sys
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from ..errors import ConfigError, VenueError
from ..model import CROSS, ISOLATED, LONG, SHORT, AccountLive, AccountSpec, Order, Position
from ..outgoing import Outgoing
from ..plan import Call, Change
from ..transport import RawResponse


POSITION_MODE = {"enum": ["net", "hedge"], "x-error": "must be net or hedge",
                 "description": "net: one position per symbol; hedge: a long and a short one"}


class Adapter(ABC):
    """Base class of a venue adapter.

    A subclass declares what the venue has (class attributes), translates reads into an
    `AccountLive` (`read`), planned changes into calls (`assign_calls`), and signs and parses
    its HTTP exchanges (`sign`, `parse`). The rule methods are pure: the diff calls them.
    """

    venue: str = ""
    # What the desired-state file may say for this venue (the schema's venue parts are generated from these,
    # reconciler.schema); each value is the JSON Schema of what the key holds, "x-error" its message.
    settings: dict[str, dict] = {}  # account-level settings (under `settings:`), in the order they are planned
    credential_names: tuple[str, ...] = ()
    account_options: dict[str, dict] = {}  # further keys of the account block
    required_options: tuple[str, ...] = ()
    symbol_options: dict[str, dict] = {}  # further keys of a symbol entry
    stores_margin_mode: bool = True
    base_urls: dict[str, str] = {}  # environment -> URL
    rate_limits: dict[str, str] = {}  # "METHOD /path" -> "N/Ss", the pacing this adapter keeps per account
    documented_limits: dict = {}  # "METHOD /path" -> venues.documented.Limit: what the documents state (limits.py)
    symbol_fields: tuple[str, ...] = ("symbol",)  # the query or body fields a write names its symbol in (history)
    public_endpoints: tuple[str, ...] = ()  # unsigned endpoints, limited per IP rather than per account
    success_code: str = "0"
    error_kinds: dict[str, str] = {}  # venue code -> kind: done, blocked, auth, rate_limit, busy, unknown (errors.py)
    error_help: dict[str, str] = {}  # venue code -> what it means and what to do, in plain words
    # Decimals the venue accepts (0: whole numbers only); None: not checked at load time.
    leverage_decimals: int | None = None
    margin_decimals: int | None = None
    leverage_limit: Decimal | None = None  # the highest leverage the venue documents at all (None: its listing says)
    # Seconds after it was signed during which a sent request may still be executed by the venue
    # (its timestamp window, or the expiry the adapter sends). After an unknown outcome, nothing more
    # is sent for that position until this has passed.
    request_lifetime: float = 30.0
    identity_credential: str = "api_key"  # the credential that names the venue account (see identity)
    # Ordering rules: the account settings every symbol change waits on, and whether a symbol's leverage change
    # waits on its margin-mode change (a venue that keeps one leverage whatever the mode may send both at once).
    settings_before_symbols: tuple[str, ...] = ("position_mode",)
    leverage_after_margin_mode: bool = True
    # Request weight per IP: every request of the venue (signed or public) spends request_weight(call) of one
    # budget ("2400/1m") per venue address, shared by every account behind it; weight_header names the answer
    # header with the venue's own count of the weight used, adopted when it is higher.
    ip_budget: str | None = None
    weight_header: str | None = None
    # The HTTP statuses saying that budget is spent, each with the seconds to hold it when the answer has no
    # Retry-After (None: the pacer's own rule). A hold longer than the client's retry budget fails every request
    # to the venue from this address at once, in every run that shares the backend, until it ends.
    ip_refusals: dict[int, float | None] = {429: None, 418: None}
    # The answer headers with the venue's own count of an endpoint's window for this account: its limit and what
    # remains of it (Bybit's X-Bapi-Limit, X-Bapi-Limit-Status). What the venue counts used beyond this run's own
    # requests (another program on the same key) is held for a period.
    window_headers: tuple[str, str] | None = None

    def __init__(self, account: AccountSpec, credentials: dict[str, str] | None = None):
        self.account = account
        self._credentials = credentials or {}
        if account.request_lifetime is not None:
            self.request_lifetime = float(account.request_lifetime)

    # What the loader asks offline of the venue's own keys, once the schema found their shape right: values this
    # venue can never hold (nothing: nothing wrong, or not known without the venue). Messages say what it accepts.
    @classmethod
    def option_problems(cls, name: str, value) -> list[tuple[tuple, str]]:
        """(key path below `name`, message) for each problem of the account option `name`."""
        return []

    @classmethod
    def symbol_option_problem(cls, name: str, value, options: dict, symbol: str | None) -> str | None:
        """The problem of a symbol entry's own key; `options` are the account's; `symbol` is None for a pattern
        entry (its symbols are checked once matched, at plan time)."""
        return None

    def imported_options(self, options: dict, live: AccountLive) -> dict:
        """The account options an imported file writes (`options`: the file's; a venue whose options hold
        live values writes what it read)."""
        return dict(options)

    def option_changes(self, spec: AccountSpec, live: AccountLive, rules_result) -> None:
        """Add to the diff's `rules_result` the changes, in-sync items and observed values of the venue's own
        account options that hold settings (reconciler.diff.AccountDiff); pure, like the other rules."""

    @classmethod
    def canonical_symbol(cls, symbol: str) -> str:
        """The venue's own spelling of a symbol id (Bitget ids are case-insensitive: upper case)."""
        return symbol

    def origin(self, symbol: str) -> str:
        """Where the file asks for `symbol` ("file:line: key path"), for a problem only the venue's listing shows."""
        spec = self.account.symbols.get(symbol)
        return spec.origin if spec is not None and spec.origin else f"account {self.account.name}: {symbol}"

    def unlisted(self, symbols: list[str], problem: str) -> ConfigError:
        """A mistake in the file that only the venue's listing shows: one line per symbol, at its entry."""
        return ConfigError([f"{self.origin(symbol)}: {symbol} {problem}" for symbol in symbols])

    def identity(self, base_url: str) -> str:
        """A stable name of the venue account behind these credentials, safe for file names and logs.

        Locks and rate windows are keyed by it, never by the account's name in the file: two blocks
        with one key share it, two accounts that share a name in different files do not.
        """
        secret_free = self._credentials.get(self.identity_credential) or self.account.credentials.get(
            self.identity_credential, "")
        digest = hashlib.sha256(f"{self.venue}|{address_key(base_url)}|{secret_free}".encode()).hexdigest()
        return f"{self.venue}-{digest[:16]}"

    def base_url(self) -> str:
        if self.account.base_url:
            if self.account.environment != "sim" and not self.account.base_url.startswith("https://"):
                raise ConfigError(f"account {self.account.name}: base_url must start with https:// for "
                                  f"environment {self.account.environment} (credentials are never sent in clear)")
            return self.account.base_url
        if self.account.environment in self.base_urls:
            return self.base_urls[self.account.environment]
        raise ConfigError(f"account {self.account.name}: environment {self.account.environment} "
                          "needs base_url (or a simulator: block in the file)")

    def request_weight(self, call) -> int:
        """What `call` spends of `ip_budget`."""
        return 1

    # --- HTTP hooks ---------------------------------------------------------------------------
    def authorize(self, request: Outgoing, signed: bool) -> Outgoing:
        """The request as it is sent, signed as it leaves the pacer: the headers `sign` gives. A venue that signs
        the query or the body (Binance's `&signature=`) overrides this as well."""
        added = self.sign(request.method, request.path, request.body) if signed else self.public_headers()
        return replace(request, headers={**request.headers, **added})

    @abstractmethod
    def sign(self, method: str, path_with_query: str, body: str) -> dict[str, str]:
        """The headers that sign one request (a venue that signs the query adds its key header here and the
        signature in `authorize`)."""

    def public_headers(self) -> dict[str, str]:
        return {}

    @abstractmethod
    def parse(self, response: RawResponse):
        ...

    def payload(self, response: RawResponse, object_pairs_hook=None, shapes: tuple[type, ...] = (dict,)):
        """The JSON object of an answer (or, with `shapes`, what else a venue may answer: a bare list); a VenueError
        when there is none (an HTML error page, an empty 5xx, bytes that are not UTF-8, JSON of another shape).
        `object_pairs_hook` builds each object."""
        try:
            if not response.text.isascii():  # (at once for most answers: CPython knows a str is ASCII)
                response.text.encode("utf-8")  # the transport keeps undecodable bytes as surrogates
            payload = _bounded_json(response.text, object_pairs_hook)
        except UnicodeEncodeError:
            raise self._unreadable(f"HTTP {response.status}: the answer is not UTF-8 text", response) from None
        except (ValueError, RecursionError):
            payload = None
        if not isinstance(payload, shapes):
            what = "a JSON object" if shapes == (dict,) else "JSON of the venue's shape"
            raise self._unreadable(f"HTTP {response.status}: the answer is not {what}", response)
        return payload

    def _unreadable(self, message: str, response: RawResponse) -> VenueError:
        """An answer that cannot be read. A 2xx one came from the venue: the request was carried out or refused,
        nobody can tell which from it (an unknown outcome, settled: it cannot execute later)."""
        if 200 <= response.status < 300:
            error = self.error(None, message, response, "unknown")
            error.settled = True
            return error
        return self.error(None, message, response, self.kind_of(None, response.status))

    def kind_of(self, code: str | None, status: int) -> str:
        """How to treat an error: the venue's code decides, else the HTTP status."""
        known = self.error_kinds.get(code) if code is not None else None
        if known:
            return known
        # A 429 or 5xx without a code the venue documents proves nothing: the outcome is unknown.
        return "server" if status == 429 or status >= 500 else "auth" if status == 401 else "business"

    def error(self, code: str | None, message: str, response: RawResponse, kind: str) -> VenueError:
        """A VenueError with the venue's code, a plain explanation, and any Retry-After."""
        error = VenueError(self.venue, code, self.explain(code, message), status=response.status, kind=kind)
        retry_after = response.headers.get("Retry-After")
        if retry_after:
            try:
                error.retry_after = float(retry_after)  # longer than the client waits: it gives up at once
            except ValueError:
                pass
        return error

    def explain(self, code: str | None, message: str) -> str:
        help_text = self.error_help.get(str(code)) if code is not None else None
        return f"{message} ({help_text})" if help_text else message

    # --- reading (I/O through the client) -----------------------------------------------------
    @abstractmethod
    async def read(self, client, symbols: list[str]) -> AccountLive:
        ...

    async def leverage_bounds(self, client, symbols: list[str]) -> dict[str, tuple[Decimal | None, Decimal | None]] | None:
        """What the venue lists for these symbols, from public data only: (minimum, maximum) leverage per symbol;
        a ConfigError for a symbol it does not list (the same one `read` raises). None where this adapter does not
        tell its listing apart from `read`: then no other account of a run writes before this one is read."""
        return None

    @abstractmethod
    async def instrument_ids(self, client) -> list[str]:
        """Every tradable instrument this account could hold settings for, in the venue's spelling (public)."""

    async def preview_liquidation(self, client, changes: list[Change], live: AccountLive) -> None:
        """Set `liquidation_price` on the changes whose effect on liquidation this venue's adapter can
        estimate (an open isolated position); the others keep None: no estimate rather than a wrong one."""

    async def read_margin(self, client, symbol: str, side: str | None) -> Decimal | None:
        """The isolated margin of one position now (after an ambiguous margin move)."""
        live = await self.read_positions(client)
        for position in live:
            if position.symbol == symbol and position.side == side and position.margin_mode == ISOLATED:
                return position.margin
        return None

    @abstractmethod
    async def read_positions(self, client) -> list[Position]:
        ...

    # --- rules (pure) -------------------------------------------------------------------------
    def leverage_sides(self, margin_mode: str, position_mode: str | None) -> list[str | None]:
        """Which sides keep their own leverage in this margin and position mode."""
        if margin_mode == ISOLATED and position_mode == "hedge":
            return [LONG, SHORT]
        return [None]

    def setting_blockers(self, live: AccountLive, field: str) -> list[str]:
        return describe_activity(live.positions, live.orders)

    def margin_mode_blockers(self, live: AccountLive, symbol: str) -> list[str]:
        return describe_activity(live.positions_of(symbol), live.orders_of(symbol))

    def leverage_blockers(self, live: AccountLive, symbol: str, margin_mode: str) -> list[str]:
        return []

    def leverage_value_blockers(self, live: AccountLive, symbol: str, side: str | None, leverage: Decimal) -> list[str]:
        """What open now holds back this value of the symbol's leverage (for this side; None: every side), such as
        a position too large for it at its risk tier."""
        return []

    def mode_conflicts(self, live: AccountLive, symbol: str, margin_mode: str) -> list[str]:
        return []

    def notes(self, live: AccountLive) -> list[str]:
        return []

    # What the account's mode forbids: a full reason (what the venue allows, what a person would change),
    # shown as a plan-time blocked item; None when the mode allows it.
    def setting_refusal(self, live: AccountLive, name: str, value: str) -> str | None:
        return None

    def leverage_refusal(self, live: AccountLive, symbol: str, margin_mode: str) -> str | None:
        return None

    def margin_mode_refusal(self, live: AccountLive, symbol: str, margin_mode: str) -> str | None:
        return None

    @abstractmethod
    def assign_calls(self, changes: list[Change], live: AccountLive) -> None:
        """Fill `calls` of every `change`-status change; one call may carry several changes."""

    @abstractmethod
    def margin_call(self, symbol: str, side: str | None, delta: Decimal) -> Call:
        ...

    @abstractmethod
    def move_of(self, call: Call) -> Decimal | None:
        """The signed amount a margin-move call moves (None: `call` is no margin move of this venue)."""

    def margin_currency(self, symbol: str, side: str | None) -> str | None:
        """The currency an isolated margin move of this position is paid in (policy totals are kept per currency)."""
        return None

    def position_mode(self, live: AccountLive) -> str | None:
        return self.account.settings.get("position_mode") or live.settings.get("position_mode")

    # --- effects (what the write gate judges) -------------------------------------------------
    def call_effects(self, call: Call, carried: list[Change], changes: list[Change], live: AccountLive) -> list[dict]:
        """Every setting `call` changes: what the changes it carries set, and what they make live.

        A margin-mode switch makes the leverage stored for the new mode live; unless the plan sets that
        leverage right after the switch, the stored value is the effect (read with the plan).
        """
        effects = []
        for change in carried:
            if change.field == "isolated_margin":
                effects.append(self.move_effect(change.symbol, change.side, self.move_of(call)))
                continue
            effects.append(effect(change.symbol, change.field, change.margin_mode, change.side, change.to))
            if change.field == "margin_mode" and self.stores_margin_mode:
                effects += self._leverage_made_live(change, changes, live)
        return list({tuple(sorted(item.items())): item for item in effects}.values())  # each once (values are text)

    def move_effect(self, symbol: str, side: str | None, move: Decimal | None) -> dict:
        return {**effect(symbol, "isolated_margin", ISOLATED, side, None),
                "move": None if move is None else decimal_text(move), "coin": self.margin_currency(symbol, side)}

    def _leverage_made_live(self, switch: Change, changes: list[Change], live: AccountLive) -> list[dict]:
        current = live.symbols.get(switch.symbol)
        made = []
        for side in self.leverage_sides(switch.to, self.position_mode(live)):
            following = [c for c in changes if c.field == "leverage" and c.symbol == switch.symbol
                         and c.margin_mode == switch.to and c.side in (side, None) and c.status == "change"]
            if following:
                value, note = following[0].to, f"set by {following[0].id} right after"
            else:
                stored = current.leverage.get((switch.to, side)) if current else None
                value = None if stored is None else decimal_text(stored)
                note = "stored for that mode, made live by the switch" if stored is not None else \
                    "the venue did not report the leverage stored for that mode"
            made.append({**effect(switch.symbol, "leverage", switch.to, side, value), "note": note})
        return made


JSON_DEPTH_LIMIT = 1000  # Python's default; a library may raise the interpreter's, the C decoder would then crash


def _bounded_json(text: str, object_pairs_hook=None):
    """json.loads with Decimal numbers, refusing (RecursionError) an answer nested deeper than JSON_DEPTH_LIMIT."""
    raised = sys.getrecursionlimit()
    if raised > JSON_DEPTH_LIMIT:
        sys.setrecursionlimit(JSON_DEPTH_LIMIT)
    try:
        return json.loads(text, parse_float=Decimal, object_pairs_hook=object_pairs_hook)
    finally:
        if raised > JSON_DEPTH_LIMIT:
            sys.setrecursionlimit(raised)


def effect(symbol: str | None, field: str, margin_mode: str | None, side: str | None, value) -> dict:
    """One setting a call changes, as plans show it and the write gate judges it."""
    return {"symbol": symbol, "field": field, "margin_mode": margin_mode, "side": side,
            "value": None if value is None else str(value)}


LOOPBACK_NAMES = {"localhost", "localhost.", "::1", "[::1]", "ip6-localhost"}


def address_key(base_url: str) -> str:
    """A venue address as identities compare it: scheme, host and port, however the file spells them.

    `https://WWW.OKX.com/` and `https://www.okx.com:443` are one address; `127.0.0.1`, `127.1.2.3`, `::1` and
    `localhost` are one loopback host (the port still tells two local simulators apart).
    """
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(base_url.strip())
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme.lower(), 0)
    except ValueError:
        return base_url.strip().lower()
    if host in LOOPBACK_NAMES or host.startswith("127.") or host == "0:0:0:0:0:0:0:1":
        host = "loopback"
    return f"{parts.scheme.lower()}://{host}:{port}{parts.path.rstrip('/')}"


def describe_activity(positions: list[Position], orders: list[Order]) -> list[str]:
    """One phrase per open position or pending order, for blocked reasons."""
    phrases = [f"open {p.margin_mode} position {p.symbol}{' ' + p.side if p.side else ''} "
               f"size {decimal_text(p.size)}" for p in positions if p.size != 0]
    phrases += [f"pending order {o.description}" for o in orders]
    return phrases


@functools.lru_cache(maxsize=4096)  # equal numbers are written alike: a plan writes the same few thousands of times
def decimal_text(value) -> str:
    """A number as people write it: 5, 2.5, 0.001 (never 5.00000000 or 1E+1)."""
    if value is None:
        return "none"
    text = f"{Decimal(value).normalize():f}"
    return text


def venue_number(value) -> Decimal | None:
    """A number as a venue sends it (string, JSON number, "" or missing), as a Decimal or None."""
    if value is None or value == "":
        return None
    return _number(str(value))


@functools.lru_cache(maxsize=4096)
def _number(text: str) -> Decimal | None:
    """Decimal of a venue's number text, shared: 100k leverage rows hold a few dozen distinct values."""
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def mode_name(value: str | None) -> str | None:
    """Venue spellings of margin modes, normalised to cross / isolated."""
    if value is None:
        return None
    lowered = str(value).lower()
    if lowered in ("cross", "crossed"):
        return CROSS
    if lowered in ("isolated", "fixed"):
        return ISOLATED
    return lowered
