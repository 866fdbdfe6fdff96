"""OKX v5 adapter: leverage per instrument per margin mode, isolated margin, position and transfer modes.

OKX stores no margin mode per instrument: every order picks one (`tdMode`). What it stores is a
leverage per instrument *per margin mode* (per side for isolated in long/short mode; one value per
instFamily for cross FUTURES; one value per borrowed currency for cross MARGIN outside Spot and
futures mode). So `margin_mode` in the file selects which leverage is managed; an open position or a
pending order of the instrument in the other mode is a conflict a person must resolve, and the plan
reminds, once per account, that orders must be sent with the file's tdMode. What the account mode
(acctLv) forbids is a plan-time blocked item saying what OKX allows in that mode.
Facts and sources: venues/okx.md; original pages: seeds/okx-*.md (set-leverage scenarios 1-11).
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone
from decimal import Decimal

from ...errors import ConfigError, VenueError
from ...liquidation.isolated import linear_isolated, preview
from ...model import CROSS, ISOLATED, LONG, SHORT, AccountLive, Order, Position, SymbolLive
from ...plan import Call, Change
from ...transport import RawResponse
from ..base import Adapter, decimal_text, describe_activity, mode_name, venue_number
from ..signing import hmac_sha256_base64

POSITION_MODES = {"net_mode": "net", "long_short_mode": "hedge"}
CONTRACT_TYPES = ("SWAP", "FUTURES")
LEVERAGE_TYPES = CONTRACT_TYPES + ("MARGIN",)  # what set-leverage takes an instId of
# okx.md 3: acctLv in /account/config.
ACCOUNT_MODES = {"1": "Spot mode", "2": "Spot and futures mode", "3": "Multi-currency margin mode",
                 "4": "Portfolio margin mode"}
ALLOWED_IN_MODE = {
    "1": "no futures or swaps; MARGIN pairs hold an isolated leverage per pair; cross MARGIN leverage is "
         "kept per borrowed currency (file key currencies:) and only when borrowing is enabled",
    "2": "futures and swaps in cross or isolated; MARGIN pairs hold a cross and an isolated leverage per "
         "pair (under symbols:); no leverage per currency",
    "3": "futures and swaps in cross or isolated; MARGIN pairs hold an isolated leverage per pair; cross "
         "MARGIN leverage is kept per borrowed currency (file key currencies:)",
    "4": "isolated leverage of futures, swaps and MARGIN pairs; cross MARGIN leverage per borrowed currency "
         "(file key currencies:); cross leverage of futures and swaps can be neither read nor set (59111, "
         "51039); net position mode only (51041)",
}
# okx.md 3: the first switch into each mode is done on OKX's web or app.
SWITCH_MODE = "switch the account mode on OKX's web or app"
# Seed set-leverage scenarios 2, 4, 5: cross MARGIN leverage per currency in these account modes.
CURRENCY_LEVEL_MODES = ("1", "3", "4")
# okx.md 1, "Transaction timeouts" of the OKX docs: a request carrying an expTime header is not processed
# after that time. Unconfirmed: OKX documents expTime only for placing and amending orders, not for
# set-leverage or margin-balance. We send it on every write (never harmful) but do not count on it: the
# request lifetime stays the timestamp window (okx.md 1: likely 30 s, unconfirmed too), the longer of the
# two, because waiting too short after an unknown outcome could move margin twice.
EXP_TIME_MS = 5_000
TIMESTAMP_WINDOW_S = 30.0
GRID_BOTS_PATH = "/api/v5/tradingBot/grid/orders-algo-pending"  # algoOrdType required, one per call
GRID_BOT_TYPES = ("grid", "contract_grid", "moon_grid")
CURRENCY_BATCH = 20  # okx.md 4.2: ccy takes up to 20 comma-separated currencies
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
    settings = ("position_mode", "isolated_transfer_mode", "margin_isolated_transfer_mode")
    currency_leverage = True
    request_lifetime = max(EXP_TIME_MS / 1000, TIMESTAMP_WINDOW_S)
    credential_names = ("api_key", "secret", "passphrase")
    stores_margin_mode = False
    # okx.md 8: lever is a decimal from 0.01; Unconfirmed: the step. Two decimals (0.01) is the finest value
    # OKX documents; anything finer is refused offline rather than rounded by the venue.
    leverage_decimals = 2
    # okx.md 1: one REST host for live and demo; demo differs only by the x-simulated-trading header.
    base_urls = {"live": "https://www.okx.com", "demo": "https://www.okx.com"}
    success_code = "0"
    public_endpoints = ("GET /api/v5/public/instruments",)
    rate_limits = {  # per User ID (public/instruments: per IP + instType), okx.md 6
        "GET /api/v5/public/instruments": "20/2s",
        "GET /api/v5/account/config": "5/2s",
        "GET /api/v5/account/positions": "10/2s",
        "GET /api/v5/account/leverage-info": "20/2s",
        "GET /api/v5/account/adjust-leverage-info": "5/2s",  # okx.md 4.6: the liquidation preview
        "GET /api/v5/trade/orders-pending": "60/2s",
        "GET /api/v5/trade/orders-algo-pending": "20/2s",
        # Unconfirmed: not in okx.md; 20 / 2 s per User ID, like the other pending-algo list.
        "GET /api/v5/tradingBot/grid/orders-algo-pending": "20/2s",
        "POST /api/v5/account/set-leverage": "20/2s",
        "POST /api/v5/account/position/margin-balance": "20/2s",
        "POST /api/v5/account/set-isolated-mode": "5/2s",
        "POST /api/v5/account/set-position-mode": "5/2s",
    }
    # okx.md 7 and DOCS' error table. Only the rate-limit codes and 50013 ("systems are busy", HTTP 429)
    # say the request was refused before anything was done. 50004 ("endpoint request timeout", which the
    # docs say does not tell whether the request succeeded) and 50026 ("system error", HTTP 500) do not
    # say it: unknown outcome. Unconfirmed: 50001 ("service temporarily unavailable", HTTP 503) is not
    # documented as pre-execution either; unknown outcome is the safe choice. Every other code is a
    # terminal refusal (business) unless listed.
    error_kinds = {
        "59000": "blocked", "59001": "blocked", "59002": "blocked", "59101": "blocked", "59107": "blocked",
        "59112": "blocked", "59302": "blocked",
        "50011": "rate_limit", "50061": "rate_limit", "50040": "rate_limit",
        "50013": "busy",
        "50004": "unknown", "50026": "unknown", "50001": "unknown",
        **{code: "auth" for code in ("50035", "50100", "50101", "50102", "50103", "50104", "50105", "50106",
                                     "50107", "50110", "50111", "50112", "50113", "50114", "50120")},
    }
    error_help = {
        "59000": "OKX refuses to change this setting while the account has open positions or pending "
                 "orders; close the positions and cancel the orders (plan again to see which), then apply again",
        "59001": "OKX refuses this switch while the account has borrowings; repay them first",
        "59002": "OKX refuses to change this sub-account's settings while it has open positions, pending orders "
                 "or running trading bots; close, cancel and stop them (plan again to see which), then apply again",
        "50004": "OKX's endpoint timed out; it does not say whether the request was carried out, so the "
                 "reconciler reads the state again before sending anything more",
        "50026": "OKX had a system error; it does not say whether the request was carried out, so the "
                 "reconciler reads the state again before sending anything more",
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
        "51010": "the account mode (acctLv) does not allow this: plan again to see what this account's mode "
                 "allows",
        "51039": "cross leverage of SWAP/FUTURES cannot be set on a portfolio-margin account",
        "51041": "a portfolio-margin account supports only the net position mode",
        "59111": "cross leverage of SWAP/FUTURES cannot be read on a portfolio-margin account",
        "50011": "OKX's rate limit; the reconciler slows down and retries",
        "50013": "OKX is busy; the reconciler retries",
        "50001": "OKX is temporarily unavailable; it does not say whether the request was carried out, so "
                 "the reconciler reads the state again before sending anything more",
        # Unconfirmed (okx.md 1): the REST timestamp window (likely 30 s). We do not shift our clock to
        # /public/time; we say so when OKX refuses, which is the safe behaviour (no hidden skew).
        "50102": "the request timestamp is too far from OKX's clock (about 30 s), or the request arrived "
                 "after its expTime; sync this machine's clock (NTP) and try again",
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
        self._margin_ccy: dict[tuple[str, str | None], str] = {}  # isolated MARGIN position -> its margin ccy

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
            **({"expTime": str(int(now.timestamp() * 1000) + EXP_TIME_MS)} if method.upper() == "POST" else {}),
            **self.public_headers(),
        }

    def public_headers(self):
        headers = {"Content-Type": "application/json"}
        if self.account.environment == "demo":
            headers["x-simulated-trading"] = "1"  # okx.md 1: demo trading, with a demo key
        return headers

    def parse(self, response: RawResponse):
        # An instrument list (public/instruments, some 30 fields per row) keeps only the fields read here: an
        # account of 100k instruments would otherwise hold 3M strings for the whole run.
        slim = _slim_instrument if '"tickSz"' in response.text else None
        payload = self.payload(response, slim)
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
        answer, _ = await asyncio.gather(client.request(Call("GET", "/api/v5/account/config")),
                                         self._read_instruments(client, symbols))
        config = (answer or [{}])[0]
        live = AccountLive()
        live.settings["position_mode"] = POSITION_MODES.get(config.get("posMode"), config.get("posMode"))
        live.settings["isolated_transfer_mode"] = config.get("ctIsoMode")
        live.settings["margin_isolated_transfer_mode"] = config.get("mgnIsoMode")
        # Not settings the file names: what the rule methods need to know about the account's mode.
        live.settings["account_mode"] = str(config.get("acctLv") or "")
        live.settings["spot_borrow"] = "on" if str(config.get("enableSpotBorrow")).lower() == "true" else "off"
        self._check_families(symbols)

        # Leverage only in the margin mode the file names for the symbol (both modes for a symbol the
        # file does not list, as `import` asks), 20 instruments per call; never what the account mode
        # forbids (OKX would refuse the read: 59111, 51010).
        by_mode: dict[str, list[str]] = {}
        for symbol in symbols:
            spec = self.account.symbols.get(symbol)
            if spec is None:
                modes = [CROSS, ISOLATED]
            else:
                modes = [spec.margin_mode] if spec.margin_mode else []
            for mode in modes:
                if self.leverage_refusal(live, symbol, mode) is None:
                    by_mode.setdefault(mode, []).append(symbol)
        batches = [(mode, ids[i:i + LEVERAGE_INFO_BATCH]) for mode, ids in sorted(by_mode.items())
                   for i in range(0, len(ids), LEVERAGE_INFO_BATCH)]
        # Trading bots block account settings only (okx.md 7, 59002): read them when one is to change.
        settings_to_change = any(live.settings.get(name) != value for name, value in self.account.settings.items())
        currencies = [c for c in self.account.currencies if self.currency_leverage_refusal(live, c) is None]
        currency_batches = [currencies[i:i + CURRENCY_BATCH] for i in range(0, len(currencies), CURRENCY_BATCH)]
        for symbol in symbols:
            inst = self._instruments[symbol]
            live.symbols[symbol] = SymbolLive(symbol=symbol, margin_mode=None, max_leverage=venue_number(inst.get("lever")),
                                              min_leverage=MIN_LEVER)

        async def leverage(mode: str, ids: list[str]) -> None:
            # each answer taken as it comes, so a 100k-symbol account never holds 5000 answers at once
            self._take_leverage(live, mode, await client.request(Call(
                "GET", "/api/v5/account/leverage-info", {"mgnMode": mode, "instId": ",".join(ids)})))

        results = await asyncio.gather(
            *(leverage(mode, ids) for mode, ids in batches),
            *(client.request(Call("GET", "/api/v5/account/leverage-info",
                                  {"mgnMode": CROSS, "ccy": ",".join(ccys)})) for ccys in currency_batches),
            self.read_positions(client), self._orders(client, with_bots=settings_to_change))
        currency_answers = results[len(batches):-2]
        live.positions, live.orders = results[-2], results[-1]

        for rows in currency_answers:
            for row in rows or []:
                value = venue_number(row.get("lever"))
                if value is not None and row.get("ccy"):
                    live.currencies[row["ccy"]] = value
        return live

    def _take_leverage(self, live: AccountLive, mode: str, rows) -> None:
        """One leverage-info answer into the symbols' leverage per (mode, side)."""
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
                if self._type(symbol) == "MARGIN":
                    # Seed: posSide exists only for FUTURES/SWAP, so a MARGIN pair keeps one value per
                    # mode; in long/short mode it stands for both sides (assign_calls sends it once).
                    leverage[(mode, LONG)] = leverage[(mode, SHORT)] = sides["net"]
            if mode == ISOLATED:
                for side in (LONG, SHORT):
                    if side in sides:
                        leverage[(mode, side)] = sides[side]
            elif {LONG, SHORT} <= set(sides) and sides[LONG] == sides[SHORT]:
                # okx.md 4.2: in long/short mode cross comes back once per side, same value.
                leverage[(mode, None)] = sides[LONG]

    async def instrument_ids(self, client):
        answers = await asyncio.gather(*(client.request(Call("GET", "/api/v5/public/instruments", {"instType": kind}),
                                                        signed=False) for kind in LEVERAGE_TYPES))
        # okx.md 4.5: state live is trading (suspend, preopen, test are not); ccxt skips empty ids
        return [item["instId"] for data in answers for item in data or []
                if item.get("instId") and item.get("state", "live") == "live"]

    async def listing(self, client, symbols):
        await self._read_instruments(client, symbols)
        self._check_families(symbols)
        return {symbol: (MIN_LEVER, venue_number(self._instruments[symbol].get("lever"))) for symbol in symbols}

    async def _read_instruments(self, client, symbols: list[str]) -> None:
        kinds = {_infer_type(symbol) for symbol in symbols}
        unsupported = [s for s in symbols if _infer_type(s) not in LEVERAGE_TYPES]
        if unsupported:
            raise self.unlisted(unsupported, "is not an OKX SWAP, FUTURES or MARGIN instrument id "
                                             "(e.g. BTC-USDT-SWAP, BTC-USDT-261225, BTC-USDT)")
        # okx.md 4.5: instType is required; BTC-USDT is listed both as SPOT and as MARGIN, and only the
        # MARGIN listing has a leverage, so a pair is looked up among MARGIN instruments only.
        kinds = sorted(kinds & set(LEVERAGE_TYPES))
        answers = await asyncio.gather(*(client.request(Call("GET", "/api/v5/public/instruments", {"instType": kind}),
                                                        signed=False) for kind in kinds))
        for data in answers:
            for item in data or []:
                if item.get("instId"):  # ccxt skips empty ids ("preopen" placeholders), okx.md 4.5
                    self._instruments[item["instId"]] = item
        unknown = [s for s in symbols if s not in self._instruments]
        if unknown:
            raise self.unlisted(unknown, "is not an instrument OKX lists (instrument ids are case-sensitive, e.g. "
                                         "BTC-USDT-SWAP; a pair must be listed for margin trading)")

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
                raise ConfigError(f"{self.origin(next(iter(values)))}: OKX keeps one cross leverage for all "
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
            if item.get("instType") == "MARGIN" and mode == ISOLATED and item.get("ccy"):
                # Seed okx-margin-balance: moving margin of an isolated MARGIN position names its ccy.
                self._margin_ccy[(item["instId"], side if side in (LONG, SHORT) else None)] = item["ccy"]
            positions.append(Position(
                symbol=item["instId"], margin_mode=mode, side=side if side in (LONG, SHORT) else None,
                size=size, margin=venue_number(item.get("margin")) if mode == ISOLATED else None,
                mark_price=venue_number(item.get("markPx")), liquidation_price=venue_number(item.get("liqPx")),
                cost=venue_number(item.get("avgPx")),  # the entry price; times the size in contracts' value
                maintenance_rate=venue_number(item.get("mmr"))))  # an amount here: see _maintenance_rate
        return positions

    async def preview_liquidation(self, client, changes, live) -> None:
        """The liquidation price after each change of an open isolated position: OKX's own estimate
        (adjust-leverage-info `estLiqPx`, okx.md 4.6) for a leverage change, the maintenance-margin rule for
        a margin move. Inverse contracts, MARGIN pairs, cross positions and portfolio-margin accounts (acctLv 4,
        whose margin is computed across positions) get none."""
        if live.settings.get("account_mode") == "4":
            return
        wanted = [(change, position) for change in changes if change.status == "change"
                  and change.field in ("leverage", "isolated_margin") and change.margin_mode in (ISOLATED, None)
                  for position in live.positions_of(change.symbol or "")
                  if position.margin_mode == ISOLATED and position.side == change.side
                  and self._linear_contract(change.symbol)]
        estimates = await asyncio.gather(*(self._estimate_after(client, change, position)
                                           for change, position in wanted))
        for (change, position), after in zip(wanted, estimates):
            change.liquidation_price = preview(position, after)

    async def _estimate_after(self, client, change, position) -> Decimal | None:
        if change.field == "leverage":
            inst = self._instruments[change.symbol]
            try:
                data = await client.request(Call("GET", "/api/v5/account/adjust-leverage-info", {
                    "instType": inst.get("instType") or _infer_type(change.symbol), "mgnMode": ISOLATED,
                    "lever": change.to, "instId": change.symbol, "posSide": change.side or "net"}))
            except VenueError as exc:
                if exc.kind in ("auth", "unreachable"):
                    raise
                return None  # a preview OKX will not give is no estimate, not a failed plan
            return venue_number(((data or [{}])[0]).get("estLiqPx")) or None
        qty = abs(position.size) * (venue_number(self._instruments[change.symbol].get("ctVal")) or Decimal(1))
        if None in (position.cost, position.mark_price, position.maintenance_rate) or not qty:
            return None
        # okx.md 4.3: `mmr` is the maintenance margin (an amount) at the mark price; its rate is mmr / notional.
        rate = position.maintenance_rate / (qty * position.mark_price)
        direction = position.side or ("short" if position.size < 0 else "long")
        return linear_isolated(direction, position.cost * qty, qty, Decimal(change.to), rate)

    def _linear_contract(self, symbol: str) -> bool:
        """A SWAP or FUTURES whose value and margin are in the quote currency (USDT-, USDC-margined)."""
        inst = self._instruments.get(symbol) or {}
        if (inst.get("instType") or _infer_type(symbol)) not in CONTRACT_TYPES:
            return False
        if inst.get("ctType"):
            return inst["ctType"] == "linear"
        parts = symbol.split("-")
        return inst.get("settleCcy", parts[1]) == parts[1] and parts[1] != "USD"

    async def _orders(self, client, with_bots: bool = False) -> list[Order]:
        """Every pending order and algo order of the account (all pages), per account, not per symbol.

        With bots, also the running grid trading bots: okx.md 7, 59002 (and 59000's older wording) names
        trading bots among what blocks account settings. They carry no margin mode, so they lock no leverage
        and are no margin-mode conflict. Unconfirmed: other bot kinds (signal, recurring buy) are not read.
        """
        requests = [("order", "/api/v5/trade/orders-pending", {}, "ordId")] + [
            ("algo order", "/api/v5/trade/orders-algo-pending", {"ordType": kinds}, "algoId")
            for kinds in ALGO_ORD_TYPES]
        if with_bots:
            requests += [(f"{kind} trading bot", GRID_BOTS_PATH, {"algoOrdType": kind}, "algoId")
                         for kind in GRID_BOT_TYPES]
        pages = await asyncio.gather(*(self._all_pages(client, path, query, id_field)
                                       for _, path, query, id_field in requests))
        orders = []
        for (kind, path, _, id_field), items in zip(requests, pages):
            if path == GRID_BOTS_PATH:
                orders += [Order(symbol=item["instId"], margin_mode=None,
                                 description=f"running {kind} {item.get(id_field, '')} {item['instId']}")
                           for item in items]
            else:
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
        return [f"{o.description} locks the {margin_mode} leverage of {symbol}" for o in blocking]

    def leverage_refusal(self, live, symbol, margin_mode):
        """Seed set-leverage scenarios 1-11 per account mode (acctLv), okx.md 3, 4.2, 7."""
        level, kind = live.settings.get("account_mode"), self._type(symbol)
        mode_text = _mode_text(level)
        if kind in CONTRACT_TYPES and level == "1":
            return (f"this account is in {mode_text}, which has no futures or swaps, so {symbol} has no leverage "
                    f"to set (OKX: 51010); to manage it, {SWITCH_MODE} to Spot and futures, Multi-currency "
                    f"margin or Portfolio margin mode, or remove {symbol} from the file")
        if kind in CONTRACT_TYPES and level == "4" and margin_mode == CROSS:
            return (f"this account is in {mode_text}, where OKX can neither read nor set the cross leverage of "
                    f"futures and swaps (59111, 51039); manage {symbol} with margin_mode: isolated, or {SWITCH_MODE} "
                    "to Spot and futures or Multi-currency margin mode")
        if kind == "MARGIN" and margin_mode == CROSS and level in CURRENCY_LEVEL_MODES:
            base, quote = symbol.split("-")
            return (f"this account is in {mode_text}, where OKX keeps cross MARGIN leverage per borrowed currency, "
                    f"not per pair: write it under this account as currencies: "
                    f"{{{base}: {{leverage: N}}}} (or {quote}) instead of a cross leverage for {symbol}")
        spec = self.account.symbols.get(symbol)
        if kind == "MARGIN" and spec is not None and isinstance(spec.leverage, dict) \
                and len(set(spec.leverage.values())) > 1:
            return (f"OKX keeps one leverage per MARGIN pair (posSide exists only for futures and swaps), but the "
                    f"file gives {symbol} {decimal_text(spec.leverage[LONG])}x long and "
                    f"{decimal_text(spec.leverage[SHORT])}x short; give it one value")
        return None

    def currency_leverage_refusal(self, live, currency):
        """Seed set-leverage scenarios 2, 4, 5: cross MARGIN leverage per currency, not in acctLv 2."""
        level = live.settings.get("account_mode")
        if level not in CURRENCY_LEVEL_MODES:
            return (f"this account is in {_mode_text(level)}, where OKX keeps cross MARGIN leverage per pair, not "
                    f"per currency: write it under symbols, e.g. {currency}-USDT: "
                    f"{{margin_mode: cross, leverage: N}}, instead of currencies: {currency}")
        if level == "1" and live.settings.get("spot_borrow") != "on":
            return (f"this account is in {_mode_text(level)} without borrowing, and OKX has a cross leverage per "
                    f"currency there only when borrowing is enabled; enable borrowing on OKX "
                    f"(enableSpotBorrow), or remove currencies: {currency} from the file")
        # Unconfirmed: which pending orders lock a currency's cross leverage. okx.md 5.1 says pending cross
        # orders lock cross leverage (59107); we take every pending cross order of a pair that trades this
        # currency, the safe behaviour (the plan shows it blocked rather than sending it to be refused).
        orders = [o for o in live.orders if o.margin_mode == CROSS and currency in o.symbol.split("-")[:2]
                  and _infer_type(o.symbol) == "MARGIN"]
        if orders:
            listed = "; ".join(o.description for o in orders)
            return f"{listed} locks the cross leverage of {currency}: a person must cancel it first, then apply again"
        return None

    def setting_refusal(self, live, name, value):
        level = live.settings.get("account_mode")
        if name == "position_mode" and value == "hedge" and level == "4":
            return (f"this account is in {_mode_text(level)}, which supports only the net (buy/sell) position "
                    f"mode (51041); keep position_mode: net, or {SWITCH_MODE}")
        return None

    def notes(self, live):
        level = live.settings.get("account_mode")
        account_mode = ([f"OKX account mode: {_mode_text(level)}. OKX allows in it: {ALLOWED_IN_MODE[level]}."]
                        if level in ALLOWED_IN_MODE else [])
        return account_mode + self._tdmode_notes()

    def _tdmode_notes(self):
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
        shared_calls: dict[str, Call] = {}
        for change in changes:
            if change.status != "change":
                continue
            if change.field == "position_mode":
                change.calls = [Call("POST", "/api/v5/account/set-position-mode", body={
                    "posMode": {v: k for k, v in POSITION_MODES.items()}[change.to]})]
            elif change.field in ("isolated_transfer_mode", "margin_isolated_transfer_mode"):
                change.calls = [Call("POST", "/api/v5/account/set-isolated-mode", body={
                    "isoMode": change.to, "type": "CONTRACTS" if change.field == "isolated_transfer_mode" else "MARGIN"})]
            elif change.field == "leverage" and change.symbol in self.account.currencies:
                # Seed scenarios 2, 4, 5: the change's symbol is the currency.
                change.calls = [Call("POST", "/api/v5/account/set-leverage", body={
                    "ccy": change.symbol, "lever": change.to, "mgnMode": CROSS})]
            elif change.field == "leverage" and self._type(change.symbol) == "MARGIN":
                # Seed scenarios 1, 3: one value per pair and mode, so both sides share one call.
                key = f"{change.symbol}/{change.margin_mode}"
                shared_calls.setdefault(key, self._leverage_call(change, with_side=False))
                change.calls = [shared_calls[key]]
            elif change.field == "leverage":
                if change.margin_mode == CROSS and self._type(change.symbol) == "FUTURES":
                    family = self._family(change.symbol)
                    call = shared_calls.get(family)
                    if call is None:
                        call = shared_calls[family] = self._leverage_call(change)
                    elif call.body["lever"] != change.to:  # read() refuses this; a last guard
                        raise ConfigError(f"account {self.account.name}: one cross leverage for {family} "
                                          f"futures, but {call.body['lever']} and {change.to} are asked")
                    change.calls = [call]  # seed scenario 6: one call sets every expiry of the family
                else:
                    change.calls = [self._leverage_call(change)]
            elif change.field == "isolated_margin":
                change.calls = [self.margin_call(change.symbol, change.side,
                                                 Decimal(change.to) - Decimal(change.from_))]

    def _leverage_call(self, change: Change, with_side: bool = True) -> Call:
        body = {"instId": change.symbol, "lever": change.to, "mgnMode": change.margin_mode}
        if change.side and with_side:  # isolated in long/short mode only (seed scenarios 8, 11); never for cross
            body["posSide"] = change.side
        return Call("POST", "/api/v5/account/set-leverage", body=body)

    def margin_call(self, symbol, side, delta):
        delta = Decimal(delta)
        body = {"instId": symbol, "posSide": side or "net", "type": "add" if delta > 0 else "reduce",
                "amt": decimal_text(abs(delta))}
        if (symbol, side) in self._margin_ccy:  # seed okx-margin-balance: ccy for isolated MARGIN only
            body["ccy"] = self._margin_ccy[(symbol, side)]
        return Call("POST", "/api/v5/account/position/margin-balance", body=body)

    def move_of(self, call):
        if call.path != "/api/v5/account/position/margin-balance" or not call.body:
            return None
        amount = venue_number(call.body.get("amt"))
        return None if amount is None else (amount if call.body.get("type") == "add" else -amount)

    def margin_currency(self, symbol, side):
        if (symbol, side) in self._margin_ccy:
            return self._margin_ccy[(symbol, side)]
        inst = self._instruments.get(symbol) or {}
        return inst.get("settleCcy") or (symbol.split("-")[1] if symbol.count("-") >= 1 else None)


INSTRUMENT_FIELDS = frozenset({"instId", "instType", "instFamily", "uly", "lever", "ctVal", "ctType", "settleCcy",
                               "state"})  # every field of public/instruments this adapter reads


def _slim_instrument(pairs: list[tuple]) -> dict:
    """An object of an answer; an instrument row (it has tickSz) with only INSTRUMENT_FIELDS."""
    if not any(key == "tickSz" for key, _ in pairs):
        return dict(pairs)
    return {key: value for key, value in pairs if key in INSTRUMENT_FIELDS}


def _infer_type(inst_id: str) -> str:
    """SWAP `X-Y-SWAP`, FUTURES `X-Y-YYMMDD`, MARGIN `X-Y` (okx.md 3); anything else we do not manage."""
    parts = inst_id.split("-")
    if len(parts) == 3 and parts[2] == "SWAP":
        return "SWAP"
    if len(parts) == 3 and _EXPIRY.match(parts[2]):
        return "FUTURES"
    if len(parts) == 2 and all(parts):
        return "MARGIN"
    return "OTHER"



def _mode_text(level: str | None) -> str:
    """e.g. 'Multi-currency margin mode (acctLv 3)'."""
    return f"{ACCOUNT_MODES.get(level or '', 'an unknown account mode')} (acctLv {level or '?'})"


def _describe_order(kind: str, id_field: str, item: dict) -> str:
    """e.g. 'pending cross limit order 123 BTC-USDT-SWAP buy 1 @ 60000' or 'pending isolated trigger algo order 7 ...'."""
    kind = f"{item.get('ordType') or ''} {kind}"
    price = item.get("px") or item.get("triggerPx") or item.get("ordPx")
    side = item.get("side", "")
    if item.get("posSide") in (LONG, SHORT):
        side = f"{side} {item['posSide']}"
    text = (f"pending {item.get('tdMode', '')} {kind} {item.get(id_field, '')} {item['instId']} {side} "
            f"{item.get('sz', '')}" + (f" @ {price}" if price else ""))
    return " ".join(text.split())


def _activity(positions: list[Position], orders: list[Order]) -> list[str]:
    """One phrase per open position or pending order, for blocked and conflict reasons."""
    return describe_activity(positions, []) + [o.description for o in orders]
