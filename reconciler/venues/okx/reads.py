"""OKX's live state read into an AccountLive: account config, instruments, leverage-info, positions, orders."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from ...errors import VenueError
from ...model import CROSS, ISOLATED, LONG, SHORT, AccountLive, Order, Position, SymbolLive
from ...plan import Call
from ...together import together
from ..base import mode_name, venue_number
from .currencies import currency_leverage
from .instruments import LEVERAGE_TYPES, infer_type
from .liquidation import maintenance_and_fees

POSITION_MODES = {"net_mode": "net", "long_short_mode": "hedge"}
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


class Reads:
    """The adapter's `read`, `read_positions` and `instrument_ids` for OKX."""

    async def read(self, client, symbols):
        # The leverage reads need the account's mode, not the listing: they go out while the listing (one
        # large answer for a large account) is still coming, and the listing is checked when it is in.
        listing = asyncio.ensure_future(self._read_instruments(client, symbols))
        try:
            return await self._read_with(client, symbols, listing)
        finally:
            if not listing.done():
                listing.cancel()
                await asyncio.gather(listing, return_exceptions=True)
            elif not listing.cancelled():
                listing.exception()  # retrieved (whoever needed the listing raised its failure); no turn spent

    async def _read_with(self, client, symbols, listing: asyncio.Future):
        config = ((await client.request(Call("GET", "/api/v5/account/config"))) or [{}])[0]
        live = AccountLive()
        live.settings["position_mode"] = POSITION_MODES.get(config.get("posMode"), config.get("posMode"))
        live.settings["isolated_transfer_mode"] = config.get("ctIsoMode")
        live.settings["margin_isolated_transfer_mode"] = config.get("mgnIsoMode")
        # Not settings the file names: what the rule methods need to know about the account's mode.
        live.settings["account_mode"] = str(config.get("acctLv") or "")
        live.settings["spot_borrow"] = "on" if str(config.get("enableSpotBorrow")).lower() == "true" else "off"

        batches = self._leverage_batches(live, symbols)
        # Trading bots block account settings only (okx.md 7, 59002): read them when one is to change.
        settings_to_change = any(live.settings.get(name) != value for name, value in self.account.settings.items())
        currencies = [c for c in currency_leverage(self.account) if self.currency_leverage_refusal(live, c) is None]
        currency_batches = [currencies[i:i + CURRENCY_BATCH] for i in range(0, len(currencies), CURRENCY_BATCH)]
        for symbol in symbols:
            live.symbols[symbol] = SymbolLive(symbol=symbol, margin_mode=None, min_leverage=MIN_LEVER)

        def take(call: Call, rows) -> None:  # each answer as it comes: 5000 of them are never held at once
            self._take_leverage(live, call.query["mgnMode"], rows)

        async def leverage() -> None:
            calls = [Call("GET", "/api/v5/account/leverage-info", {"mgnMode": mode, "instId": ",".join(ids)})
                     for mode, ids in batches]
            try:
                await client.request_each(calls, take)
            except VenueError:
                await listing  # an id OKX does not list is refused here too: the listing says so in the file's words
                raise

        async def listed() -> None:
            highest = await listing
            for symbol in symbols:
                live.symbols[symbol].max_leverage = highest[symbol]

        results = await together(
            listed(), leverage(),
            *(client.request(Call("GET", "/api/v5/account/leverage-info",
                                  {"mgnMode": CROSS, "ccy": ",".join(ccys)})) for ccys in currency_batches),
            self.read_positions(client), self._orders(client, with_bots=settings_to_change))
        currency_answers = results[2:-2]
        live.positions, live.orders = results[-2], results[-1]

        for rows in currency_answers:
            for row in rows or []:
                value = venue_number(row.get("lever"))
                if value is not None and row.get("ccy"):
                    live.options.setdefault("currencies", {})[row["ccy"]] = value
        return live

    def _leverage_batches(self, live: AccountLive, symbols: list[str]) -> list[tuple[str, list[str]]]:
        """(mgnMode, up to 20 instIds of one instType) per leverage-info call.

        Leverage only in the margin mode the file names for the symbol (both modes for a symbol the file
        does not list, as `import` asks); never what the account mode forbids (OKX would refuse the read:
        59111, 51010). okx.md 4.2 allows one mgnMode per call and 20 ids, and says nothing of mixing
        instrument types. Unconfirmed: whether OKX answers a call that mixes SWAP, FUTURES and MARGIN ids;
        we send one type per call, the safe behaviour (a few more calls, never a refused read).
        """
        groups: dict[tuple[str, str], list[str]] = {}
        for symbol in symbols:
            spec = self.account.symbols.get(symbol)
            if spec is None:
                modes = [CROSS, ISOLATED]
            else:
                modes = [spec.margin_mode] if spec.margin_mode else []
            for mode in modes:
                if self.leverage_refusal(live, symbol, mode) is None:
                    groups.setdefault((mode, self._type(symbol)), []).append(symbol)
        return [(mode, ids[i:i + LEVERAGE_INFO_BATCH]) for (mode, _), ids in sorted(groups.items())
                for i in range(0, len(ids), LEVERAGE_INFO_BATCH)]

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
        answers = await together(*(client.request(Call("GET", "/api/v5/public/instruments", {"instType": kind}),
                                                   signed=False) for kind in LEVERAGE_TYPES))
        # okx.md 4.5: state live is trading (suspend, preopen, test are not); ccxt skips empty ids
        return [item["instId"] for data in answers for item in data or []
                if item.get("instId") and item.get("state", "live") == "live"]

    async def leverage_bounds(self, client, symbols):
        highest = await self._read_instruments(client, symbols)
        return {symbol: (MIN_LEVER, highest[symbol]) for symbol in symbols}

    async def _read_instruments(self, client, symbols: list[str]) -> dict[str, Decimal | None]:
        """The listing of `symbols` read and checked against the file; each one's maximum leverage.

        A plan asks twice (its listing check and its read): the answers are one (public data is read once a run,
        VenueClient.request), and so is what is made of them for the same symbols.
        """
        kinds = {infer_type(symbol) for symbol in symbols}
        if not kinds <= set(LEVERAGE_TYPES):
            unsupported = [s for s in symbols if infer_type(s) not in LEVERAGE_TYPES]
            raise self.unlisted(unsupported, "is not an OKX SWAP, FUTURES or MARGIN instrument id "
                                             "(e.g. BTC-USDT-SWAP, BTC-USDT-261225, BTC-USDT)")
        # okx.md 4.5: instType is required; BTC-USDT is listed both as SPOT and as MARGIN, and only the
        # MARGIN listing has a leverage, so a pair is looked up among MARGIN instruments only.
        kinds = sorted(kinds & set(LEVERAGE_TYPES))
        answers = await together(*(client.request(Call("GET", "/api/v5/public/instruments", {"instType": kind}),
                                                   signed=False) for kind in kinds))
        made = self._listing_made
        if made is not None and len(made[0]) == len(answers) and all(a is b for a, b in zip(made[0], answers)) \
                and made[1] == symbols:
            return made[2]
        for data in answers:
            for item in data or []:
                if item.get("instId"):  # ccxt skips empty ids ("preopen" placeholders), okx.md 4.5
                    self._instruments[item["instId"]] = item
        unknown = [s for s in symbols if s not in self._instruments]
        if unknown:
            raise self.unlisted(unknown, "is not an instrument OKX lists (instrument ids are case-sensitive, e.g. "
                                         "BTC-USDT-SWAP; a pair must be listed for margin trading)")
        self._check_families(symbols)
        highest = {symbol: venue_number(self._instruments[symbol].get("lever")) for symbol in symbols}
        self._listing_made = (answers, list(symbols), highest)
        return highest

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
                maintenance_rate=maintenance_and_fees(item)))  # an amount here, see liquidation.py
        return positions

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
        pages = await together(*(self._all_pages(client, path, query, id_field)
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
