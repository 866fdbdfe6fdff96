"""A small venue adapter that has only what pacing needs from Binance: its signing, request weights per IP and the
header with the venue's count, to test the weight budget against the Binance simulator through the real client.

    python tests/weighted.py URL REQUESTS BACKEND KEY [KEY ...]   # one process: REQUESTS per account (keys k1 ...)

Keys and secrets follow the simulator world of `world()`: key kN, secret sN.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reconciler import connections  # noqa: E402
from reconciler.model import AccountSpec  # noqa: E402
from reconciler.plan import Call  # noqa: E402
from reconciler.venues.base import Adapter  # noqa: E402

BUDGET = "30/2s"  # the world's REQUEST_WEIGHT limit below, as the adapter declares it
WEIGHTS = {"/fapi/v1/ping": 1, "/fapi/v1/symbolConfig": 5}  # the simulator's, from binance.md §6


def world(accounts: int = 4) -> dict:
    return {"binance": {
        "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "SECOND", "intervalNum": 2, "limit": 30}],
        "symbols": [{"symbol": "BTCUSDT"}],
        "accounts": [{"api_key": f"k{n}", "secret": f"s{n}", "uid": str(1000 + n)} for n in range(1, accounts + 1)]}}


class WeightedAdapter(Adapter):
    venue = "binance"
    credential_names = ("api_key", "secret")
    rate_limits = {"GET /fapi/v1/ping": "1000/1s", "GET /fapi/v1/symbolConfig": "1000/1s"}  # only the budget binds
    public_endpoints = ("GET /fapi/v1/ping",)
    error_kinds = {"-1003": "rate_limit"}
    ip_budget = BUDGET
    weight_header = "X-MBX-USED-WEIGHT-2S"

    def request_weight(self, call) -> int:
        return WEIGHTS[call.path]

    def authorize(self, request, signed):
        if not signed:
            return request
        query = request.path.partition("?")[2]
        query = (query + "&" if query else "") + f"timestamp={int(time.time() * 1000)}&recvWindow=5000"
        signature = hmac.new(self._credentials["secret"].encode(), (query + request.body).encode(),
                             hashlib.sha256).hexdigest()
        path = request.path.partition("?")[0] + f"?{query}&signature={signature}"
        return replace(request, path=path, headers={**request.headers, **self.sign("", "", "")})

    def sign(self, method, path_with_query, body):
        return {"X-MBX-APIKEY": self._credentials["api_key"]}

    def parse(self, response):
        payload = json.loads(response.text)
        if response.status == 200:
            return payload
        code = str(payload.get("code"))
        raise self.error(code, payload.get("msg", ""), response, self.kind_of(code, response.status))

    async def read(self, client, symbols):
        raise NotImplementedError

    async def instrument_ids(self, client):
        raise NotImplementedError

    async def read_positions(self, client):
        raise NotImplementedError

    def assign_calls(self, changes, live):
        raise NotImplementedError

    def margin_call(self, symbol, side, delta):
        raise NotImplementedError

    def move_of(self, call):
        raise NotImplementedError


def spec(url: str, key: str) -> AccountSpec:
    return AccountSpec(name=key, venue="binance", environment="sim", base_url=url,
                       credentials={"api_key": key, "secret": "s" + key[1:]}, settings={}, symbols={})


async def send(url: str, keys: list[str], requests: int, backend=None) -> None:
    """`requests` per account, every account at once, alternating a public ping and a signed symbolConfig read;
    each ping has its own query, so none is served from the run's cache of public answers."""
    opened = connections.adapter_class
    connections.adapter_class = lambda venue: WeightedAdapter
    try:
        async with connections.Connections(backend=backend) as run:
            clients = [run.open(spec(url, key))[1] for key in keys]

            async def one(client, n):
                if n % 2:
                    await client.request(Call("GET", "/fapi/v1/symbolConfig", query={"symbol": "BTCUSDT"}))
                else:
                    await client.request(Call("GET", "/fapi/v1/ping", query={"n": f"{client.identity}-{n}"}),
                                         signed=False)

            await asyncio.gather(*(one(client, n) for client in clients for n in range(requests)))
    finally:
        connections.adapter_class = opened


if __name__ == "__main__":
    from reconciler.backends import backend_from_url

    async def main(url: str, requests: str, backend_url: str, *keys: str):
        backend = backend_from_url(backend_url)
        await backend.open()
        try:
            await send(url, list(keys), int(requests), backend)
        finally:
            await backend.close()

    asyncio.run(main(*sys.argv[1:]))
