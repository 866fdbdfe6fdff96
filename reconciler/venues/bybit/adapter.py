"""Bybit v5 adapter: the venue's declaration (endpoints, limits, codes, settings) and its hooks, over the package.

The account type decides what the file may say (rules.py): on a unified account the margin mode is one
account setting (settings.margin_mode), on a classic one it is per symbol. Leverage is per symbol and side,
position mode per symbol or settle coin, isolated margin moved with add-margin.
Facts and sources: venues/bybit.md.
"""

from __future__ import annotations

from decimal import Decimal

from ...errors import ConfigError
from ...model import CROSS, ISOLATED, LONG, SHORT, AccountLive, SymbolLive
from ...plan import Call, Change
from ...transport import RawResponse
from ...together import together
from ..base import POSITION_MODE, Adapter, effect, venue_number
from . import calls, liquidation, reads, rules
from .auth import signed_headers
from .errors import ERROR_HELP, ERROR_KINDS, result_of
from .limits import DOCUMENTED_LIMITS
from .listing import Contract
from .reads import INDEXES, SymbolSetting
from .rules import AccountKind


class BybitAdapter(Adapter):
    venue = "bybit"
    settings = {  # bybit.md 5.7: the account margin mode first
        "margin_mode": {"enum": ["isolated", "cross", "portfolio"], "x-error": "must be isolated, cross or portfolio",
                        "description": "a unified account's one margin mode (ISOLATED_MARGIN, REGULAR_MARGIN, "
                                       "PORTFOLIO_MARGIN); every symbol takes it"},
        "position_mode": POSITION_MODE,
    }
    settings_before_symbols = ("margin_mode", "position_mode")
    credential_names = ("api_key", "secret")
    stores_margin_mode = True
    margin_decimals = 4  # bybit.md 5.5: add-margin takes up to 4 decimals
    base_urls = {"live": "https://api.bybit.com", "testnet": "https://api-testnet.bybit.com",
                 "demo": "https://api-demo.bybit.com"}  # bybit.md 1: each key works on its own host only
    # bybit.md 1: recv_window (ms, default 5000) is how long after its timestamp the venue still executes a
    # request; we send it as this lifetime, so the two never disagree.
    request_lifetime = 5.0
    success_code = "0"
    public_endpoints = ("GET /v5/market/instruments-info", "GET /v5/market/risk-limit")  # per IP only: paced at 20/1s, within 600/5s for all
    documented_limits = DOCUMENTED_LIMITS
    rate_limits = {  # per UID and endpoint, rolling 1 s (bybit.md 6, the UTA 2.0 Pro table)
        "GET /v5/account/info": "50/1s",
        "GET /v5/position/list": "50/1s",
        "GET /v5/order/realtime": "50/1s",
        # Unconfirmed (not in the table): the safe budget of 10/s.
        "GET /v5/position/symbol-info": "10/1s",
        "GET /v5/user/query-api": "10/1s",
        "POST /v5/position/switch-isolated": "10/1s",
        "GET /v5/market/instruments-info": "20/1s",  # public: a gentle share of the per-IP 600/5s
        "GET /v5/market/risk-limit": "20/1s",
        "POST /v5/account/set-margin-mode": "5/1s",
        "POST /v5/position/set-leverage": "10/1s",
        "POST /v5/position/switch-mode": "10/1s",
        "POST /v5/position/add-margin": "10/1s",
    }
    ip_budget = "600/5s"  # bybit.md 6: across every API host; over it, HTTP 403 and a ban of 10 minutes or more
    ip_refusals = {**Adapter.ip_refusals, 403: 600.0}  # bybit.md 6: "stop all sessions and wait at least 10 minutes"
    weight_header = None  # Bybit counts requests, not weights
    window_headers = ("X-Bapi-Limit", "X-Bapi-Limit-Status")  # bybit.md 6: on every answer, per UID and endpoint
    error_kinds = ERROR_KINDS
    error_help = ERROR_HELP

    def __init__(self, account, credentials=None):
        super().__init__(account, credentials)
        self._kind = AccountKind(6, CROSS)
        self._contracts: dict[str, Contract] = {}
        self._settings: dict[str, SymbolSetting] = {}  # symbol -> its leverage and position mode, as read
        self._key: dict = {}  # GET user/query-api
        self._scope: list[str] = []  # the symbols settings.position_mode speaks for
        self._tiers: dict[str, list[dict]] = {}  # risk tiers of the open symbols whose leverage the file raises

    def request_weight(self, call: Call) -> int:
        return 1

    @classmethod
    def canonical_symbol(cls, symbol):
        return symbol.upper()  # DOCS: symbol names are upper case (BTCUSDT)

    # --- HTTP ---------------------------------------------------------------------------------
    def sign(self, method, path_with_query, body):
        return signed_headers(self._credentials.get("api_key", ""), self._credentials.get("secret", ""), method,
                              path_with_query, body, int(self.request_lifetime * 1000))

    def public_headers(self):
        return {"Content-Type": "application/json"}

    def parse(self, response: RawResponse):
        return result_of(self, response)

    # --- reading ------------------------------------------------------------------------------
    async def read(self, client, symbols):
        info, self._key, self._contracts = await together(
            reads.account_info(client), reads.key_info(client), reads.contracts(client))
        self._kind = kind = AccountKind.from_info(info)
        unknown = [s for s in symbols if s not in self._contracts]
        if unknown:
            raise self.unlisted(unknown, "is not a linear or inverse contract Bybit lists as Trading "
                                         "(ids are upper case, e.g. BTCUSDT, BTCPERP, BTCUSD)")
        self._scope = rules.hedge_scope(kind, self._contracts, symbols)
        wanted = list(dict.fromkeys(symbols + (self._scope if "position_mode" in self.account.settings else [])))
        self._settings, position_rows, order_rows = await together(
            self._symbol_settings(client, wanted), reads.open_positions(client, self._contracts),
            reads.open_orders(client, self._contracts))
        modes = {s: rules.symbol_mode(kind, self._contracts[s], self._settings[s].trade_mode) for s in wanted}
        problems = rules.file_problems(self.account, kind, self._contracts, modes, self.origin)
        if problems:
            raise ConfigError(problems)

        live = AccountLive()
        if not kind.classic:
            live.settings["margin_mode"] = kind.margin_mode
        if wanted:
            live.settings["position_mode"] = rules.position_mode_of([self._settings[s].hedge for s in self._scope])
        for symbol in symbols:
            live.symbols[symbol] = self._symbol_live(symbol, modes[symbol])
        live.positions = self._positions(position_rows)
        live.orders = [reads.order_of(row, self._order_mode(row.get("symbol"))) for row in order_rows]
        raised = [s for s in symbols if live.positions_of(s) and self._raises_leverage(s, live.symbols[s])]
        self._tiers = dict(zip(raised, await together(*(reads.risk_tiers(client, self._contracts[s])
                                                        for s in raised))))
        return live

    def _raises_leverage(self, symbol: str, current: SymbolLive) -> bool:
        """Whether the file asks this symbol a leverage above what it has now on some side."""
        wanted = self.account.symbols[symbol].leverage if symbol in self.account.symbols else None
        values = wanted.values() if isinstance(wanted, dict) else [wanted] if wanted is not None else []
        have = [v for v in current.leverage.values() if v is not None]
        return any(not have or value > min(have) for value in values)

    async def _symbol_settings(self, client, symbols: list[str]) -> dict[str, SymbolSetting]:
        """Each symbol's leverage and position mode: from position/symbol-info in one call where Bybit offers it
        and it is known to say the truth, else from position/list per symbol.

        bybit.md 4.3: symbol-info returns the *isolated* leverage (Unconfirmed whether it is the cross one on
        REGULAR_MARGIN; so on cross we trust position/list), errs under Portfolio Margin, and is not on demo's
        list; tradeMode (a classic symbol's own margin mode) comes only with position/list.
        """
        found: dict[str, SymbolSetting] = {}
        batched = [s for s in symbols if not self._kind.per_symbol(self._contracts[s])]
        if self._kind.margin_mode == ISOLATED and batched and self.account.environment != "demo":
            for category in sorted({self._contracts[s].category for s in batched}):
                every = await reads.symbol_info(client, category)
                found.update({s: every[s] for s in batched if every and s in every
                              and self._contracts[s].category == category})
        rest = [self._contracts[s] for s in symbols if s not in found]
        answers = await client.request_all([reads.symbol_rows_call(contract) for contract in rest])
        found.update({contract.symbol: reads.setting_of(contract, data) for contract, data in zip(rest, answers)})
        return found

    def _symbol_live(self, symbol: str, mode: str | None) -> SymbolLive:
        setting, contract = self._settings[symbol], self._contracts[symbol]
        sides = {None: setting.buy if setting.buy == setting.sell else None, LONG: setting.buy, SHORT: setting.sell}
        # one leverage per symbol and side, whatever the margin mode
        leverage = {(margin_mode, side): value for margin_mode in (CROSS, ISOLATED)
                    for side, value in sides.items() if value is not None}
        return SymbolLive(symbol=symbol, margin_mode=mode, leverage=leverage, max_leverage=contract.max_leverage,
                          min_leverage=contract.min_leverage)

    def _position_mode(self, contract: Contract, row: dict) -> str:
        if self._kind.per_symbol(contract):
            return ISOLATED if str(row.get("tradeMode")) == "1" else CROSS
        return self._kind.margin_mode

    def _order_mode(self, symbol) -> str | None:
        contract = self._contracts.get(symbol)
        if contract is None or self._kind.per_symbol(contract):
            return None
        return self._kind.margin_mode

    async def read_positions(self, client):
        return self._positions(await reads.open_positions(client, self._contracts))

    def _positions(self, rows: list[dict]):
        return [reads.position_of(row, contract, self._position_mode(contract, row))
                for row in rows if (contract := self._contracts.get(row.get("symbol")))]

    async def read_margin(self, client, symbol, side):
        """The isolated margin of one position now: one position/list read of its symbol."""
        contract = self._contracts[symbol]
        data = await client.request(reads.symbol_rows_call(contract))
        for row in (data or {}).get("list") or []:
            if int(row.get("positionIdx") or 0) == INDEXES[side] and (venue_number(row.get("size")) or 0) > 0 \
                    and self._position_mode(contract, row) == ISOLATED:
                return venue_number(row.get("positionIM"))
        return None

    async def instrument_ids(self, client):
        return list(await reads.contracts(client))

    async def preview_liquidation(self, client, changes, live) -> None:
        liquidation.preview_changes(changes, live, self._contracts)

    # --- rules --------------------------------------------------------------------------------
    def setting_refusal(self, live, name, value):
        return rules.setting_refusal(self._kind, name, value, self._scope, list(self.account.symbols))

    def setting_blockers(self, live, field):
        if field == "margin_mode":
            return rules.margin_mode_blockers(live.positions, live.orders)
        return rules.position_mode_blockers(live, self._position_targets())

    def margin_mode_blockers(self, live, symbol):
        if self._kind.per_symbol(self._contracts[symbol]):
            return super().margin_mode_blockers(live, symbol)
        return []  # the account's switch carries it, and waits on what is open anywhere

    def leverage_refusal(self, live, symbol, margin_mode):
        return rules.leverage_refusal(symbol, margin_mode)

    def leverage_value_blockers(self, live, symbol, side, leverage):
        return rules.risk_tier_blockers(live.positions_of(symbol), self._tiers.get(symbol, []), side, leverage)

    def notes(self, live):
        one_way = [] if self.account.settings.get("position_mode") != "hedge" else [
            s for s in self.account.symbols if s not in self._scope]
        modes = {s: self._settings[s].hedge for s in self._scope if s in self._settings}
        return rules.notes(self._kind, self._key, one_way, modes)

    def _position_targets(self) -> list[str]:
        """The symbols whose position mode settings.position_mode changes."""
        wanted = self.account.settings.get("position_mode")
        return [s for s in self._scope if wanted and self._settings[s].hedge != (wanted == "hedge")]

    # --- calls --------------------------------------------------------------------------------
    def assign_calls(self, changes, live):
        leverage: dict[str, list[Change]] = {}
        switches: dict[str, Change] = {}
        for change in changes:
            if change.status != "change":
                continue
            if change.field == "position_mode":
                change.calls = calls.position_mode(change.to, self._position_targets(), self._scope,
                                                   self._contracts, self._kind.uta2)
            elif change.field == "margin_mode" and (change.symbol is None or not self._per_symbol(change.symbol)):
                # On a unified account a symbol's margin mode is the account's: its change rides on that switch.
                change.calls = [calls.account_margin_mode(change.to)]
            elif change.field == "margin_mode":
                switches[change.symbol] = change
            elif change.field == "leverage":
                leverage.setdefault(change.symbol, []).append(change)
            elif change.field == "isolated_margin":
                change.calls = [self.margin_call(change.symbol, change.side,
                                                 Decimal(change.to) - Decimal(change.from_))]
        for symbol, switch in switches.items():
            # switch-isolated sets both sides' leverage, equal: the file's, when it wants one value for both
            setting = self._settings[symbol]
            buy, sell = calls.sides_after(leverage.get(symbol, []), setting.buy, setting.sell)
            carried = buy if buy == sell else (setting.buy if setting.buy == setting.sell else buy)
            switch.calls = [calls.symbol_margin_mode(self._contracts[symbol], switch.to, carried)]
            if buy == sell:
                for change in leverage.pop(symbol, []):
                    change.calls = list(switch.calls)
        for symbol, group in leverage.items():
            setting = self._settings[symbol]
            call = calls.leverage(self._contracts[symbol], *calls.sides_after(group, setting.buy, setting.sell))
            for change in group:
                change.calls = [call]

    def _per_symbol(self, symbol: str) -> bool:
        return self._kind.per_symbol(self._contracts[symbol])

    def margin_call(self, symbol, side, delta):
        return calls.margin(self._contracts[symbol], side, delta)

    def move_of(self, call):
        if call.path != calls.ADD_MARGIN or not call.body:
            return None
        return venue_number(call.body.get("margin"))

    def margin_currency(self, symbol, side):
        contract = self._contracts.get(symbol)
        return contract.settle_coin if contract else None

    def call_effects(self, call, carried, changes, live):
        if call.path == calls.SWITCH_MODE:
            return [effect(symbol, "position_mode", None, None, carried[0].to)
                    for symbol in calls.switched_by(call, self._position_targets(), self._contracts)]
        if call.path == calls.SWITCH_ISOLATED:
            mode = next(c.to for c in carried if c.field == "margin_mode")
            return calls.switch_effects(call, mode, self.leverage_sides(mode, self.position_mode(live)))
        account = [c for c in carried if c.symbol is None]  # the account's own switch: no symbol's leverage moves
        return [effect(None, c.field, None, None, c.to) for c in account] + super().call_effects(
            call, [c for c in carried if c.symbol is not None], changes, live)
