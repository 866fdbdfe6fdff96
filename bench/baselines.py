"""The ccxt baselines against the same simulator world: the blind script users run today, and a careful one
(read first, write only what differs, asyncio, each endpoint paced to its documented window), the honest
competitor."""

from __future__ import annotations

import asyncio
import copy
import time
from collections import Counter, deque
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import base58
from nacl.signing import SigningKey

from reconciler import api
from reconciler.sim.server import SimServer

from .venue_limits import VENUE_LIMITS, account_limits, parse_limit
from .world import ACCOUNTS, BG_KEY, OL_ACCOUNT, OL_SECRET, OX_KEY, VENUES, write_desired
from .yardstick import rate_limited


class EndpointWindows:
    """What a careful script paces with instead of ccxt's one bucket: per endpoint, its documented window,
    each call counted from the moment its answer arrived, calls in flight holding a slot."""

    def __init__(self, limits: dict[str, tuple[int, float]]):
        self.limits = limits
        self._answered: dict[str, deque] = {endpoint: deque() for endpoint in limits}
        self._in_flight: Counter = Counter()
        self._gates = {endpoint: asyncio.Lock() for endpoint in limits}

    async def call(self, endpoint: str, send):
        if endpoint not in self.limits:
            return await send()
        count, seconds = self.limits[endpoint]
        answered = self._answered[endpoint]
        async with self._gates[endpoint]:
            while True:
                now = time.monotonic()
                while answered and answered[0] <= now - seconds:
                    answered.popleft()
                if len(answered) + self._in_flight[endpoint] < count:
                    break
                await asyncio.sleep(answered[0] + seconds - now if answered else 0.005)
            self._in_flight[endpoint] += 1
        try:
            return await send()
        finally:
            self._in_flight[endpoint] -= 1
            answered.append(time.monotonic())


def paced(exchange, venue: str, overrides: dict[str, str], per_ip: EndpointWindows) -> None:
    """Route every request of `exchange` through its account's windows (public endpoints: the IP's)."""
    limits = account_limits(venue, overrides)
    public = {endpoint for endpoint, limit in VENUE_LIMITS[venue].items() if "IP" in limit.per}
    own = EndpointWindows({endpoint: limit for endpoint, limit in limits.items() if endpoint not in public})
    per_ip.limits.update({endpoint: limits[endpoint] for endpoint in public if endpoint not in per_ip.limits})
    for endpoint in public:
        per_ip._answered.setdefault(endpoint, deque())
        per_ip._gates.setdefault(endpoint, asyncio.Lock())
    fetch = exchange.fetch

    async def paced_fetch(url, method="GET", headers=None, body=None):
        endpoint = f"{method.upper()} {urlsplit(url).path}"
        windows = per_ip if endpoint in public else own
        return await windows.call(endpoint, lambda: fetch(url, method, headers, body))

    exchange.fetch = paced_fetch
    exchange.enableRateLimit = False  # the windows above pace; ccxt's single bucket would only slow them


def ccxt_client(venue: str, credentials: dict, url: str, leverage_limit: str):
    """One account's ccxt client pointed at the simulator (credentials as the desired-state file gives them)."""
    import ccxt.async_support as ccxt
    from ccxt.base.types import Entry

    if venue == "bitget":
        exchange = ccxt.bitget({"apiKey": credentials["api_key"], "secret": credentials["secret"],
                                "password": credentials["passphrase"], "enableRateLimit": True})
        exchange.options["defaultType"] = "swap"
        exchange.options["fetchMarkets"] = {"types": ["swap"]}
        exchange.options["uta"] = False  # a classic account
    elif venue == "okx":
        exchange = ccxt.okx({"apiKey": credentials["api_key"], "secret": credentials["secret"],
                             "password": credentials["passphrase"], "enableRateLimit": True})
    else:
        # ccxt's limiter: one leaky bucket per exchange, a call of cost c holds the next one c * rateLimit ms.
        # Its cost for Orderly's leverage write is 120 (12 s: 5 per 60 s); give it the same VIP tier as the
        # reconciler gets, so the comparison is on equal limits (the blind script keeps ccxt's limiter).
        count_, window = parse_limit(leverage_limit)

        class WoofiproVip(ccxt.woofipro):
            # both spellings: ccxt copies each snake_case endpoint over its camelCase twin at construction
            v1_private_post_client_leverage = v1PrivatePostClientLeverage = Entry(
                "client/leverage", ["v1", "private"], "POST", {"cost": window * 1000 / count_ / 100})

        signing = SigningKey(base58.b58decode(credentials["secret"]))
        exchange = WoofiproVip({"apiKey": "ed25519:" + base58.b58encode(bytes(signing.verify_key)).decode(),
                                "secret": credentials["secret"], "accountId": credentials["account_id"],
                                "enableRateLimit": True})
        exchange.leverage_write_cost = window * 1000 / count_ / 100  # the same tier for the per-symbol write
    exchange.urls["api"] = {name: url for name in exchange.urls["api"]}
    return exchange


def ccxt_clients(url: str, leverage_limit: str):
    """The three benchmark accounts' clients, by venue."""
    credentials = {"bitget": BG_KEY, "okx": OX_KEY, "orderly": {"account_id": OL_ACCOUNT, "secret": OL_SECRET}}
    return {venue: ccxt_client(venue, credentials[venue], url, leverage_limit) for venue in VENUES}


class Script:
    """One venue's script run: each call it makes, counted, its errors swallowed and counted as bots do."""

    def __init__(self, exchange):
        self.exchange, self.attempts, self.errors = exchange, 0, Counter()

    async def attempt(self, coroutine):
        self.attempts += 1
        try:
            return await coroutine
        except Exception as exc:  # noqa: BLE001  bots swallow and log
            self.errors[type(exc).__name__] += 1
            return None

    def outcome(self) -> dict:
        return {"attempts": self.attempts, "errors": sum(self.errors.values()), "error_kinds": dict(self.errors)}


def margin_target(target, side: str | None, have: Decimal) -> Decimal | None:
    """The margin a careful script moves an isolated position to, or None when it is within target."""
    if isinstance(target, dict) and "min" in target:
        low, high = Decimal(str(target["min"])), Decimal(str(target["max"]))
        return None if low <= have <= high else (low if have < low else high)
    want = Decimal(str(target[side or "long"] if isinstance(target, dict) else target))
    return None if abs(have - want) <= want * Decimal("0.005") else want


async def move_margin(script: Script, symbol: str, have: Decimal, want: Decimal | None, params: dict) -> None:
    if want is None:
        return
    delta = want - have
    move = script.exchange.add_margin if delta > 0 else script.exchange.reduce_margin
    await script.attempt(move(symbol, str(abs(delta)), params))  # a decimal string, never a float


async def blind_venue(venue: str, exchange, desired: dict) -> dict:
    """What bots do today: per symbol, set margin mode and leverage unconditionally; swallow errors."""
    script = Script(exchange)
    await exchange.load_markets()
    by_id = {market["id"]: market["symbol"] for market in exchange.markets.values()}
    for symbol_id, spec in desired["symbols"].items():
        symbol, mode, leverage = by_id[symbol_id], spec["margin_mode"], spec["leverage"]
        if venue == "bitget":
            await script.attempt(exchange.set_margin_mode(mode, symbol))
            if isinstance(leverage, dict):  # isolated in hedge mode: one call per side
                for side in ("long", "short"):
                    await script.attempt(exchange.set_leverage(leverage[side], symbol, {"holdSide": side}))
            else:
                await script.attempt(exchange.set_leverage(leverage, symbol))
        elif venue == "okx":
            # OKX has no margin-mode setting: ccxt's set_margin_mode is set-leverage with mgnMode.
            await script.attempt(exchange.set_margin_mode(mode, symbol, {"lever": leverage}))
            await script.attempt(exchange.set_leverage(leverage, symbol, {"marginMode": mode}))
        else:
            await script.attempt(exchange.set_margin_mode(mode, symbol))
            await script.attempt(exchange.set_leverage(leverage, symbol, {"symbol": symbol_id,
                                                                          "margin_mode": mode.upper()}))
    return script.outcome()


async def careful_bitget(script: Script, desired: dict, by_id: dict) -> None:
    exchange = script.exchange
    positions = await exchange.fetch_positions()
    margins = {(p["info"]["symbol"], p["info"]["holdSide"]): Decimal(p["info"]["marginSize"]) for p in positions
               if p["info"].get("marginMode") == "isolated"}

    async def one(symbol_id: str, spec: dict):
        symbol, mode, leverage = by_id[symbol_id], spec["margin_mode"], spec["leverage"]
        info = (await script.attempt(exchange.fetch_leverage(symbol)) or {}).get("info") or {}
        if ("cross" if info.get("marginMode") == "crossed" else "isolated") != mode:
            await script.attempt(exchange.set_margin_mode(mode, symbol))
        if isinstance(leverage, dict):  # isolated in hedge mode: ccxt sets one side per call
            for side, field in (("long", "isolatedLongLever"), ("short", "isolatedShortLever")):
                if Decimal(info.get(field) or 0) != leverage[side]:
                    await script.attempt(exchange.set_leverage(leverage[side], symbol, {"holdSide": side}))
        elif Decimal(info.get("crossedMarginLeverage") or 0) != leverage:
            await script.attempt(exchange.set_leverage(leverage, symbol))
        for side in ("long", "short"):
            if spec.get("isolated_margin") is not None and (symbol_id, side) in margins:
                have = margins[(symbol_id, side)]
                await move_margin(script, symbol, have, margin_target(spec["isolated_margin"], side, have),
                                  {"holdSide": side})

    await asyncio.gather(*(one(symbol_id, spec) for symbol_id, spec in desired["symbols"].items()))


async def careful_okx(script: Script, desired: dict, by_id: dict) -> None:
    exchange = script.exchange
    positions = await exchange.fetch_positions()
    margins = {p["info"]["instId"]: Decimal(p["info"]["margin"]) for p in positions
               if p["info"].get("mgnMode") == "isolated"}

    async def one(symbol_id: str, spec: dict):
        symbol, mode, leverage = by_id[symbol_id], spec["margin_mode"], spec["leverage"]
        live = await script.attempt(exchange.fetch_leverage(symbol, {"marginMode": mode})) or {}
        if live.get("longLeverage") != leverage:
            await script.attempt(exchange.set_leverage(leverage, symbol, {"marginMode": mode}))
        if spec.get("isolated_margin") is not None and symbol_id in margins:
            have = margins[symbol_id]
            await move_margin(script, symbol, have, margin_target(spec["isolated_margin"], None, have),
                              {"posSide": "net"})

    await asyncio.gather(*(one(symbol_id, spec) for symbol_id, spec in desired["symbols"].items()))


async def careful_orderly(script: Script, desired: dict, by_id: dict) -> None:
    # ccxt's unified Orderly (woofipro) methods for margin modes, leverages and position margin come and go
    # between ccxt versions, so this goes through ccxt's own signed request(): its signing and limiter.
    exchange = script.exchange

    def call(method: str, path: str, params: dict | None = None, cost: float = 1):
        return exchange.request(path, ["v1", "private"], method, params or {}, None, None, {"cost": cost})

    positions, modes, leverages = await asyncio.gather(
        call("GET", "positions"), call("GET", "client/margin_modes"), call("GET", "client/leverages"))
    margins = {row["symbol"]: Decimal(str(row["margin"])) for row in positions["data"]["rows"]
               if row.get("margin_mode") == "ISOLATED" and Decimal(str(row.get("position_qty") or 0)) != 0}
    default_modes = {row["symbol"]: row["default_margin_mode"] for row in modes["data"]["rows"]}
    current = {(row["symbol"], row["margin_mode"]): Decimal(str(row["leverage"]))
               for row in leverages["data"]["rows"]}

    async def one(symbol_id: str, spec: dict):
        mode, leverage = spec["margin_mode"].upper(), spec["leverage"]
        if default_modes.get(symbol_id, "CROSS") != mode:
            await script.attempt(call("POST", "client/margin_mode", {"symbol": symbol_id, "default_margin_mode": mode}))
        if current.get((symbol_id, mode)) != leverage:
            await script.attempt(call("POST", "client/leverages", {"symbol": symbol_id, "leverage": int(leverage),
                                                                   "margin_mode": mode},
                                      cost=exchange.leverage_write_cost))
        if spec.get("isolated_margin") is not None and symbol_id in margins:
            have = margins[symbol_id]
            want = margin_target(spec["isolated_margin"], None, have)
            if want is not None:
                delta = want - have
                await script.attempt(call("POST", "position_margin", {
                    "symbol": symbol_id, "amount": str(abs(delta)), "type": "ADD" if delta > 0 else "REDUCE"}))

    await asyncio.gather(*(one(symbol_id, spec) for symbol_id, spec in desired["symbols"].items()))


CAREFUL = {"bitget": careful_bitget, "okx": careful_okx, "orderly": careful_orderly}


async def careful_venue(venue: str, exchange, desired: dict) -> dict:
    """Read what the file covers, then write only what differs, every symbol at once (ccxt paces)."""
    script = Script(exchange)
    await exchange.load_markets()
    by_id = {market["id"]: market["symbol"] for market in exchange.markets.values()}
    await CAREFUL[venue](script, desired, by_id)
    return script.outcome()


async def run_baseline(kind: str, world: dict, accounts: dict, workdir: Path, leverage_limit: str) -> dict:
    """`kind` blind (venue after venue, symbol after symbol) or careful (all venues at once); then a
    reconciler plan against its simulator says whether it converged."""
    srv = SimServer(copy.deepcopy(world))
    url = await srv.start("127.0.0.1", 0)
    clients = ccxt_clients(url, leverage_limit)
    if kind == "careful":
        per_ip = EndpointWindows({})
        for venue in VENUES:
            tier = {endpoint: text for endpoint, text in world.get("rate_limits", {}).items()
                    if endpoint in VENUE_LIMITS[venue]}  # the VIP tier the account has, as the file says
            paced(clients[venue], venue, {**tier, **(accounts[ACCOUNTS[venue]].get("rate_limits") or {})}, per_ip)
    try:
        per_venue = {}

        async def timed(venue, run):
            venue_started = time.perf_counter()
            per_venue[venue] = await run(venue, clients[venue], accounts[ACCOUNTS[venue]])
            per_venue[venue]["seconds"] = round(time.perf_counter() - venue_started, 3)

        started = time.perf_counter()
        if kind == "blind":
            for venue in VENUES:
                await timed(venue, blind_venue)
        else:
            await asyncio.gather(*(timed(venue, careful_venue) for venue in VENUES))
        seconds = time.perf_counter() - started
        for venue in VENUES:
            calls = srv.venues[venue].calls
            per_venue[venue].update(
                calls=len(calls), reads=sum(1 for c in calls if c["method"] == "GET"),
                writes=sum(1 for c in calls if c["method"] != "GET"), rate_limited=rate_limited(calls),
                error_codes=dict(Counter(str(c.get("code")) for c in calls if c.get("status", 200) >= 400
                                         or c.get("code") not in (None, "0", "00000"))))
        path = write_desired(workdir, accounts, url, f"desired-{kind}.yaml")
        remaining = [c for c in (await api.plan(api.load(str(path)))).changes if c.status == "change"]
        for venue in VENUES:
            per_venue[venue]["remaining_changes"] = sum(1 for c in remaining if c.venue == venue)
            per_venue[venue]["remaining_fields"] = dict(Counter(c.field for c in remaining if c.venue == venue))
        return {"seconds": seconds, "calls": sum(v["calls"] for v in per_venue.values()),
                "converged": not remaining, "remaining_changes": len(remaining), "per_venue": per_venue}
    finally:
        for exchange in clients.values():
            await exchange.close()
        await srv.stop()
