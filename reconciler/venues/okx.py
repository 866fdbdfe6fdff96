"""OKX v5 adapter: leverage per instrument per margin mode, isolated margin, position and transfer modes.

OKX stores no margin mode per instrument: every order picks one (`tdMode`). What it stores is a
leverage per instrument *per margin mode* (per side for isolated in long/short mode; one value per
instFamily for cross FUTURES). So `margin_mode` in the file selects which leverage is managed; an
open position or a pending order of the instrument in the other mode is a conflict a person must
resolve, and the plan reminds, once per account, that orders must be sent with the file's tdMode.
Facts and sources: venues/okx.md; original pages: seeds/okx-*.md.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone
from decimal import Decimal

from ..errors import ConfigError
from ..model import CROSS, ISOLATED, LONG, SHORT, AccountLive, Order, Position, SymbolLive
from ..plan import Call, Change
from ..transport import RawResponse
from .base import Adapter, decimal_text, describe_activity, mode_name, venue_number
from .signing import hmac_sha256_base64

POSITION_MODES = {"net_mode": "net", "long_short_mode": "hedge"}
CONTRACT_TYPES = ("SWAP", "FUTURES")
LEVERAGE_INFO_BATCH = 20  # okx.md 4.2: instId takes up to 20 comma-separated ids
PAGE = 100  # okx.md 4.4: limit, max and default 100
# okx.md 4.4: ordType is required and only conditional+oco may share one call.
# Unconfirmed (okx.md 9): whether pending *algo* orders block set-leverage. We read every algo kind
# and treat each pending algo order like a regular one (it locks leverage and counts as a position
# in its tdMode), because that is the safe behaviour: a change is reported blocked rather than sent
# and refused, and an algo order in the other mode is shown as a conflict instead of being missed.
ALGO_ORD_TYPES = ("conditional,oco", "trigger", "move_order_stop", "iceberg", "twap", "chase")
# Unconfirmed (okx.md 8): the minimum leverage of contracts (0.01 or 1). We take 0.01, the minLever
# adjust-leverage-info shows, so plan time refuses only what is certainly too low; a value between
# 0.01 and 1 that OKX refuses fails at apply with 59105 and its message, never silently.
MIN_LEVER = Decimal("0.01")
_EXPIRY = re.compile(r"^\d{6}$")

AUTH_CHECK = ("check this account's api_key, secret and passphrase (an OKX key is bound to the passphrase "
              "chosen when it was created), that the key was made for this environment (demo keys need "
              "environment: demo, live keys environment: live) and that it has the Read and Trade "
              "permissions")


class OkxAdapter(Adapter):
    venue = "okx"
    # isolated_transfer_mode is ctIsoMode, set by set-isolated-mode type CONTRACTS. Unconfirmed
    # (okx.md 5.3): `autonomy` (manual transfers) shows in /account/config but the seed documents only
    # `automatic` as settable, so the schema accepts only `automatic`: we never send an undocumented value.
    settings = ("position_mode", "isolated_transfer_mode")
    credential_names = ("api_key", "secret", "passphrase")
    stores_margin_mode = False
    # okx.md 1: one REST host for live and demo; demo differs only by the x-simulated-trading header.
    base_urls = {"live": "https://www.okx.com", "demo": "https://www.okx.com"}
    success_code = "0"
    rate_limits = {  # per User ID (public/instruments: per IP + instType), okx.md 6
        "GET /api/v5/public/instruments": "20/2s",
        "GET /api/v5/account/config": "5/2s",
        "GET /api/v5/account/positions": "10/2s",
        "GET /api/v5/account/leverage-info": "20/2s",
        "GET /api/v5/trade/orders-pending": "60/2s",
        "GET /api/v5/trade/orders-algo-pending": "20/2s",
        "POST /api/v5/account/set-leverage": "20/2s",
        "POST /api/v5/account/position/margin-balance": "20/2s",
        "POST /api/v5/account/set-isolated-mode": "5/2s",
        "POST /api/v5/account/set-position-mode": "5/2s",
    }
    error_kinds = {
        "59000": "blocked", "59101": "blocked", "59107": "blocked", "59112": "blocked",
        "59302": "blocked",
        "50011": "rate_limit", "50061": "rate_limit", "50040": "rate_limit",
        "50013": "busy", "50001": "busy", "50026": "busy",
        **{code: "auth" for code in ("50035", "50100", "50101", "50102", "50103", "50104", "50105", "50106",
                                     "50107", "50110", "50111", "50112", "50113", "50114", "50120")},
    }
    error_help = {
        "59000": "OKX refuses to change this setting while the account has open positions or pending "
                 "orders; close the positions and cancel the orders (plan again to see which), then apply again",
        "59101": "pending isolated-margin orders on this instrument lock its isolated leverage; cancel them "
                 "(plan again to see which), then apply again",
        "59107": "pending cross-margin orders on this instrument lock its cross leverage; cancel them "
                 "(plan again to see which), then apply again",
        "59112": "pending orders on this instrument (isolated or cross) lock its leverage; cancel them "
                 "(plan again to see which), then apply again",
        "59302": "a pending close order on this position blocks margin changes; cancel it first",
        "59102": "the leverage is above this instrument's maximum (or its position tier's); lower it in the file",
        "59103": "the account has too little free margin for this lower leverage; add funds or choose "
                 "a higher leverage",
        "59105": "the leverage is below OKX's minimum; raise it in the file",
        "59108": "the account has too little free margin for this lower leverage; add funds or choose "
                 "a higher leverage",
        "59300": "there is no open isolated position to move margin to or from (it was closed after the plan)",
        "59301": "the position needs more margin than reducing it would leave; raise the target in the file",
        "59200": "the account's available balance cannot pay for this margin",
        "51000": "OKX rejected a parameter; for posSide this usually means the account's position mode "
                 "changed since the plan: plan again",
        "51001": "OKX does not know this instrument (expired or delisted?)",
        "51010": "the account mode (acctLv) does not allow this; SWAP/FUTURES need futures, multi-currency "
                 "or portfolio margin mode",
        "51039": "cross leverage of SWAP/FUTURES cannot be set on a portfolio-margin account",
        "51041": "a portfolio-margin account supports only the net position mode",
        "59111": "cross leverage of SWAP/FUTURES cannot be read on a portfolio-margin account",
        "50011": "OKX's rate limit; the reconciler slows down and retries",
        "50013": "OKX is busy; the reconciler retries",
        "50001": "OKX is temporarily unavailable; the reconciler retries",
        # Unconfirmed (okx.md 1): the REST timestamp window (likely 30 s). We do not shift our clock to
        # /public/time; we say so when OKX refuses, which is the safe behaviour (no hidden skew).
        "50102": "the request timestamp is too far from OKX's clock (about 30 s); sync this machine's "
                 "clock (NTP) and try again",
        "50112": "the request timestamp is malformed; sync this machine's clock",
        "50113": f"the signature does not match, usually a wrong secret: {AUTH_CHECK}",
        "50111": f"OKX does not know this API key: {AUTH_CHECK}",
        "50105": f"the passphrase is wrong for this API key: {AUTH_CHECK}",
        "50101": "the API key does not match the environment: a demo-trading key needs environment: demo, "
                 "a live key environment: live",
        "50110": "this machine's IP address is not on the API key's allowlist; add it on OKX's API page",
        "50035": "this endpoint needs an API key bound to an IP address; bind one on OKX's API page",
        "50114": f"OKX refused the authorization: {AUTH_CHECK}",
        "50120": "the API key lacks the Trade permission that settings changes need; enable it or use a "
                 "key that has it",
        "50100": "the API key is frozen; contact OKX support or use another key",
        **{code: f"a required OKX header is empty: {AUTH_CHECK}" for code in ("50103", "50104", "50106", "50107")},
    }

    def __init__(self, account, credentials=None):
        super().__init__(account, credentials)
        self._instruments: dict[str, dict] = {}  # instId -> public instrument fields, from read()

    # --- HTTP ---------------------------------------------------------------------------------
    def sign(self, method, path_with_query, body):
        # okx.md 1: ISO 8601 UTC with exactly 3 fractional digits and a trailing Z.
        now = datetime.now(timezone.utc)
        timestamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
        return {
            "OK-ACCESS-KEY": self._credentials.get("api_key", ""),
            "OK-ACCESS-SIGN": hmac_sha256_base64(self._credentials.get("secret", ""),
                                                 timestamp + method.upper() + path_with_query + body),
            "OK-ACCESS-TIMESTAMP": timestamp,
            "OK-ACCESS-PASSPHRASE": self._credentials.get("passphrase", ""),
            **self.public_headers(),
        }

    def public_headers(self):
        headers = {"Content-Type": "application/json"}
        if self.account.environment == "demo":
            headers["x-simulated-trading"] = "1"  # okx.md 1: demo trading, with a demo key
        return headers

    def parse(self, response: RawResponse):
        payload = self.payload(response)
        code, message = str(payload.get("code")), str(payload.get("msg") or "")
        data = payload.get("data")
        if code == self.success_code and 200 <= response.status < 300:
            return data if data is not None else []
        # okx.md 2: batch-style answers (code 1/2) carry the reason per item in sCode/sMsg.
        for item in data if isinstance(data, list) else []:
            if isinstance(item, dict) and item.get("sCode") not in (None, "", "0"):
                code, message = str(item["sCode"]), str(item.get("sMsg") or message)
                break
        raise self.error(code, message or f"HTTP {response.status}", response, self.kind_of(code, response.status))

    def explain(self, code, message):
        text = super().explain(code, message)
        if self.error_kinds.get(str(code)) == "auth":
            text += f" [account {self.account.name}, {self._key_origin()}]"
        return text

    def _key_origin(self) -> str:
        """Which key was used, without a secret: the file's ${VAR} references, or where the literal is."""
        refs = {name: self.account.credentials.get(name, "") for name in self.credential_names}
        if all(value.startswith("${") for value in refs.values()):
            return "credentials from " + ", ".join(f"{name} {value}" for name, value in refs.items())
        where = self.account.origins.get("api_key")
        return f"credentials written in the file{' at ' + where if where else ''}"

    # --- reading ------------------------------------------------------------------------------
    async def read(self, client, symbols):
        config = (await client.request(Call("GET", "/api/v5/account/config")) or [{}])[0]
        live = AccountLive()
        live.settings["position_mode"] = POSITION_MODES.get(config.get("posMode"), config.get("posMode"))
        live.settings["isolated_transfer_mode"] = config.get("ctIsoMode")
        await self._read_instruments(client, symbols)
        self._check_families(symbols)

        # Leverage only in the margin mode the file names for the symbol (both modes for a symbol the
        # file does not list, as `import` asks), 20 instruments per call.
        by_mode: dict[str, list[str]] = {}
        for symbol in symbols:
            spec = self.account.symbols.get(symbol)
            if spec is None:
                modes = [CROSS, ISOLATED]
            else:
                modes = [spec.margin_mode] if spec.margin_mode else []
            for mode in modes:
                by_mode.setdefault(mode, []).append(symbol)
        batches = [(mode, ids[i:i + LEVERAGE_INFO_BATCH]) for mode, ids in sorted(by_mode.items())
                   for i in range(0, len(ids), LEVERAGE_INFO_BATCH)]
        results = await asyncio.gather(
            *(client.request(Call("GET", "/api/v5/account/leverage-info",
                                  {"mgnMode": mode, "instId": ",".join(ids)})) for mode, ids in batches),
            self.read_positions(client), self._orders(client))
        *leverage_answers, positions, orders = results

        for symbol in symbols:
            inst = self._instruments[symbol]
            live.symbols[symbol] = SymbolLive(symbol=symbol, margin_mode=None, max_leverage=venue_number(inst.get("lever")),
                                              min_leverage=MIN_LEVER)
        for (mode, _ids), rows in zip(batches, leverage_answers):
            per_symbol: dict[str, dict[str, Decimal]] = {}
            for row in rows or []:
                value = venue_number(row.get("lever"))
                if value is not None and row.get("instId") in live.symbols:
                    per_symbol.setdefault(row["instId"], {})[row.get("posSide") or "net"] = value
            # In net mode an isolated value is stored for side None only, so a file that switches the
            # account to long/short mode sees its per-side values as unset and writes them after the
            # switch. Unconfirmed: whether OKX copies the net value to both sides on the switch; not
            # assuming it is the safe behaviour (we write rather than trust a guess).
            for symbol, sides in per_symbol.items():
                leverage = live.symbols[symbol].leverage
                if "net" in sides:
                    leverage[(mode, None)] = sides["net"]
                if mode == ISOLATED:
                    for side in (LONG, SHORT):
                        if side in sides:
                            leverage[(mode, side)] = sides[side]
                elif {LONG, SHORT} <= set(sides) and sides[LONG] == sides[SHORT]:
                    # okx.md 4.2: in long/short mode cross comes back once per side, same value.
                    leverage[(mode, None)] = sides[LONG]
        live.positions = positions
        live.orders = orders
        return live

    async def _read_instruments(self, client, symbols: list[str]) -> None:
        kinds = {_infer_type(symbol) for symbol in symbols}
        unsupported = [s for s in symbols if _infer_type(s) not in CONTRACT_TYPES]
        if unsupported:
            raise ConfigError(f"account {self.account.name}: {', '.join(unsupported)} "
                              f"{'is' if len(unsupported) == 1 else 'are'} not an OKX SWAP or FUTURES instrument "
                              "id (e.g. BTC-USDT-SWAP, BTC-USDT-261225)")
        for kind in sorted(kinds & set(CONTRACT_TYPES)):
            data = await client.request(Call("GET", "/api/v5/public/instruments", {"instType": kind}),
                                        signed=False)
            for item in data or []:
                if item.get("instId"):  # ccxt skips empty ids ("preopen" placeholders), okx.md 4.5
                    self._instruments[item["instId"]] = item
        unknown = [s for s in symbols if s not in self._instruments]
        if unknown:
            raise ConfigError(f"account {self.account.name}: OKX has no instrument "
                              f"{', '.join(unknown)} (instrument ids are case-sensitive, e.g. BTC-USDT-SWAP)")

    def _check_families(self, symbols: list[str]) -> None:
        """Seed scenario 6: cross leverage of FUTURES is one value per instFamily."""
        wanted: dict[str, dict[str, Decimal]] = {}
        for symbol in symbols:
            spec = self.account.symbols.get(symbol)
            if spec is None or spec.leverage is None or spec.margin_mode != CROSS or self._type(symbol) != "FUTURES":
                continue
            wanted.setdefault(self._family(symbol), {})[symbol] = spec.leverage
        for family, values in wanted.items():
            if len(set(values.values())) > 1:
                listed = ", ".join(f"{s} {decimal_text(v)}x" for s, v in values.items())
                raise ConfigError(f"account {self.account.name}: OKX keeps one cross leverage for all "
                                  f"{family} futures, but the file asks {listed}; give them one value")

    async def read_positions(self, client):
        # okx.md 4.3: with no filter all open positions come back in one call (any instType); the
        # account-level settings are refused while any of them is open, so all are kept.
        data = await client.request(Call("GET", "/api/v5/account/positions"))
        positions = []
        for item in data or []:
            size = venue_number(item.get("pos")) or Decimal(0)
            if size == 0:  # okx.md 4.3: pos "0" entries are flat
                continue
            mode = mode_name(item.get("mgnMode"))
            side = item.get("posSide")
            positions.append(Position(
                symbol=item["instId"], margin_mode=mode, side=side if side in (LONG, SHORT) else None,
                size=size, margin=venue_number(item.get("margin")) if mode == ISOLATED else None))
        return positions

    async def _orders(self, client) -> list[Order]:
        """Every pending order and algo order of the account (all pages), per account, not per symbol."""
        requests = [("order", "/api/v5/trade/orders-pending", {}, "ordId")] + [
            ("algo order", "/api/v5/trade/orders-algo-pending", {"ordType": kinds}, "algoId")
            for kinds in ALGO_ORD_TYPES]
        pages = await asyncio.gather(*(self._all_pages(client, path, query, id_field)
                                       for _, path, query, id_field in requests))
        orders = []
        for (kind, _, _, id_field), items in zip(requests, pages):
            orders += [Order(symbol=item["instId"], margin_mode=mode_name(item.get("tdMode")),
                             description=_describe_order(kind, id_field, item)) for item in items]
        return orders

    @staticmethod
    async def _all_pages(client, path: str, query: dict, id_field: str) -> list[dict]:
        items: list[dict] = []
        after = None
        while True:
            page_query = {**query, "limit": str(PAGE)}
            if after:
                page_query["after"] = after  # okx.md 4.4: older than this id
            page = await client.request(Call("GET", path, page_query)) or []
            items += page
            if len(page) < PAGE or not page[-1].get(id_field):
                return items
            after = page[-1][id_field]

    # --- instruments --------------------------------------------------------------------------
    def _type(self, symbol: str) -> str:
        inst = self._instruments.get(symbol)
        return (inst or {}).get("instType") or _infer_type(symbol)

    def _family(self, symbol: str) -> str:
        inst = self._instruments.get(symbol) or {}
        return inst.get("instFamily") or inst.get("uly") or "-".join(symbol.split("-")[:2])

    def _leverage_scope(self, symbol: str, margin_mode: str) -> set[str]:
        """The instruments one leverage write touches: the family for cross FUTURES (seed scenario 6)."""
        if margin_mode == CROSS and self._type(symbol) == "FUTURES":
            # Families indexed once per instrument list, not one scan of every instrument per symbol.
            indexed, families = getattr(self, "_futures_families", (None, {}))
            if indexed != len(self._instruments):
                families = {}
                for inst_id in self._instruments:
                    if self._type(inst_id) == "FUTURES":
                        families.setdefault(self._family(inst_id), set()).add(inst_id)
                self._futures_families = (len(self._instruments), families)
            return families.get(self._family(symbol), set()) | {symbol}
        return {symbol}

    # --- rules --------------------------------------------------------------------------------
    # leverage_sides: the base default is OKX's rule (seed: posSide, hence a separate value, only for
    # isolated in long/short mode, scenarios 8 and 11).

    def margin_mode_blockers(self, live, symbol):
        return []  # OKX has no margin-mode write; see mode_conflicts

    def mode_conflicts(self, live, symbol, margin_mode):
        """Open positions and pending orders (regular and algo) of the instrument in the other mode.

        Unconfirmed (okx.md 5.2, 9): that cross and isolated positions of one instrument can coexist
        (strongly implied: positions are keyed by mgnMode). We report only what is in the *other*
        mode, each as a conflict for a person, and never try to change it: nothing is sent for it.
        """
        positions = [p for p in live.positions_of(symbol) if p.margin_mode not in (None, margin_mode)]
        orders = [o for o in live.orders_of(symbol)
                  if o.margin_mode in (CROSS, ISOLATED) and o.margin_mode != margin_mode]
        return _activity(positions, orders)

    def setting_blockers(self, live, field):
        # Seed (set-isolated-mode): refused while the account has positions or pending orders.
        # Unconfirmed (okx.md 5.5, 9) for set-position-mode: DOCS do not say it; we assume the same
        # rule (any position or order, any instrument, regular or algo), the safe behaviour: the plan
        # shows the change blocked and names what is open instead of sending it to be refused.
        return _activity(live.positions, live.orders)

    def leverage_blockers(self, live, symbol, margin_mode):
        """Pending orders that lock this leverage: okx.md 5.1 (59101 isolated, 59107 cross, 59112 either).

        On the instrument itself, orders of the file's mode; orders of the other mode are the
        conflict, which holds this change back already. For cross FUTURES the write covers the whole
        instFamily, so pending orders of any mode on any expiry of the family lock it. Unconfirmed
        (okx.md 9): whether orders of the *other* mode block a leverage write; we assume they do
        (59112 suggests both are checked), the safe behaviour.
        """
        scope = self._leverage_scope(symbol, margin_mode)
        blocking = [o for o in live.orders_among(scope)
                    if o.margin_mode == margin_mode or (o.symbol != symbol and o.margin_mode in (CROSS, ISOLATED))]
        return [f"pending {o.description} locks the {margin_mode} leverage of {symbol}" for o in blocking]

    def notes(self, live):
        modes: dict[str, list[str]] = {}
        for symbol, spec in self.account.symbols.items():
            if spec.margin_mode:
                modes.setdefault(spec.margin_mode, []).append(symbol)
        if not modes:
            return []
        parts = [f"tdMode={mode} for {', '.join(symbols)}" for mode, symbols in sorted(modes.items())]
        return [f"OKX stores no margin mode per instrument: every order picks one. Whatever places orders on "
                f"this account must send {'; '.join(parts)}. An order sent with the other tdMode opens a "
                "position in that mode, at that mode's leverage, which this file does not manage."]

    # --- calls --------------------------------------------------------------------------------
    def assign_calls(self, changes, live):
        family_calls: dict[str, Call] = {}
        for change in changes:
            if change.status != "change":
                continue
            if change.field == "position_mode":
                change.calls = [Call("POST", "/api/v5/account/set-position-mode", body={
                    "posMode": {v: k for k, v in POSITION_MODES.items()}[change.to]})]
            elif change.field == "isolated_transfer_mode":
                change.calls = [Call("POST", "/api/v5/account/set-isolated-mode", body={
                    "isoMode": change.to, "type": "CONTRACTS"})]
            elif change.field == "leverage":
                if change.margin_mode == CROSS and self._type(change.symbol) == "FUTURES":
                    family = self._family(change.symbol)
                    call = family_calls.get(family)
                    if call is None:
                        call = family_calls[family] = self._leverage_call(change)
                    elif call.body["lever"] != change.to:  # read() refuses this; a last guard
                        raise ConfigError(f"account {self.account.name}: one cross leverage for {family} "
                                          f"futures, but {call.body['lever']} and {change.to} are asked")
                    change.calls = [call]  # seed scenario 6: one call sets every expiry of the family
                else:
                    change.calls = [self._leverage_call(change)]
            elif change.field == "isolated_margin":
                change.calls = [self.margin_call(change.symbol, change.side,
                                                 Decimal(change.to) - Decimal(change.from_))]

    def _leverage_call(self, change: Change) -> Call:
        body = {"instId": change.symbol, "lever": change.to, "mgnMode": change.margin_mode}
        if change.side:  # isolated in long/short mode only (seed scenarios 8, 11); never for cross
            body["posSide"] = change.side
        return Call("POST", "/api/v5/account/set-leverage", body=body)

    def margin_call(self, symbol, side, delta):
        delta = Decimal(delta)
        return Call("POST", "/api/v5/account/position/margin-balance", body={
            "instId": symbol, "posSide": side or "net", "type": "add" if delta > 0 else "reduce",
            "amt": decimal_text(abs(delta))})


def _infer_type(inst_id: str) -> str:
    """SWAP `X-Y-SWAP`, FUTURES `X-Y-YYMMDD` (okx.md 3); anything else is not a contract we manage."""
    parts = inst_id.split("-")
    if len(parts) == 3 and parts[2] == "SWAP":
        return "SWAP"
    if len(parts) == 3 and _EXPIRY.match(parts[2]):
        return "FUTURES"
    return "OTHER"



def _describe_order(kind: str, id_field: str, item: dict) -> str:
    """e.g. 'cross limit order 123 BTC-USDT-SWAP buy 1 @ 60000' or 'isolated trigger algo order 7 ...'."""
    kind = f"{item.get('ordType') or ''} {kind}"
    price = item.get("px") or item.get("triggerPx") or item.get("ordPx")
    side = item.get("side", "")
    if item.get("posSide") in (LONG, SHORT):
        side = f"{side} {item['posSide']}"
    text = (f"{item.get('tdMode', '')} {kind} {item.get(id_field, '')} {item['instId']} {side} "
            f"{item.get('sz', '')}" + (f" @ {price}" if price else ""))
    return " ".join(text.split())


def _activity(positions: list[Position], orders: list[Order]) -> list[str]:
    """One phrase per open position or pending order, for blocked and conflict reasons."""
    return (describe_activity(positions, []) + [f"pending {o.description}" for o in orders])
