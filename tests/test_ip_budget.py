"""Request weight per IP: one budget per venue address, spent by every account behind it, across processes.

Against the Binance simulator, which counts the weight of every request per client address and answers 429
past the limit and 418 (banned) to a request sent while a 429's Retry-After runs. The adapter is a small one
(tests/weighted.py) declaring the budget, the weights and the header the way a venue adapter does.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import weighted
from pg import pg_server, pg_url
from reconciler import connections
from reconciler.backends.local import LocalBackend
from reconciler.client import RATE_LIMIT_BUDGET
from reconciler.errors import VenueError
from reconciler.plan import Call

FIXTURES = (pg_server, pg_url)  # found by pytest by their names

HERE = Path(__file__).resolve().parent


def answered(sim) -> list[int]:
    return [c["status"] for c in sim.calls("binance")]


def spend(sim, weight: int) -> None:
    """Another program on this machine's address spends `weight` (pings, weight 1 each)."""
    for n in range(weight):
        urllib.request.urlopen(f"{sim.url}/fapi/v1/ping?other={n}", timeout=30).read()
    sim.clear_calls("binance")


def test_accounts_behind_one_address_share_its_weight_budget(start_sim, tmp_path, monkeypatch):
    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(tmp_path / "locks"))
    sim = start_sim(weighted.world())
    asyncio.run(weighted.send(sim.url, ["k1", "k2", "k3"], 6))  # 3 x (3 x 1 + 3 x 5) = 54 weight at 30 per 2 s
    statuses = answered(sim)
    assert len(statuses) == 18 and set(statuses) == {200}


def test_two_processes_share_the_budget_of_their_address(start_sim, tmp_path):
    sim = start_sim(weighted.world())
    env = {**os.environ, "RECONCILER_LOCK_DIR": str(tmp_path / "locks")}
    runs = [subprocess.Popen([sys.executable, str(HERE / "weighted.py"), sim.url, "6", "local", *keys], env=env,
                             cwd=tmp_path, stderr=subprocess.PIPE, text=True) for keys in (["k1", "k2"], ["k3"])]
    for run in runs:
        assert run.wait(timeout=120) == 0, run.stderr.read()
    statuses = answered(sim)
    assert len(statuses) == 18 and set(statuses) == {200}


def test_two_machines_share_the_budget_through_postgresql(start_sim, pg_url, tmp_path):
    sim = start_sim(weighted.world())
    runs = []
    for name, keys in (("one", ["k1", "k2"]), ("two", ["k3"])):
        home = tmp_path / name
        home.mkdir()
        env = {**os.environ, "RECONCILER_LOCK_DIR": str(home / "locks")}
        runs.append(subprocess.Popen([sys.executable, str(HERE / "weighted.py"), sim.url, "6", pg_url, *keys],
                                     env=env, cwd=home, stderr=subprocess.PIPE, text=True))
    for run in runs:
        assert run.wait(timeout=120) == 0, run.stderr.read()
    statuses = answered(sim)
    assert len(statuses) == 18 and set(statuses) == {200}


def test_weight_another_program_spent_is_adopted_from_the_venue_header(start_sim, tmp_path, monkeypatch):
    """20 of the 30 are spent elsewhere just before: without the header's count, 18 more would draw a 429."""
    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(tmp_path / "locks"))
    sim = start_sim(weighted.world())
    spend(sim, 20)

    async def one_at_a_time():
        async with _run() as run:
            client = run.open(weighted.spec(sim.url, "k1"))[1]
            for n in range(6):
                await _request(client, n)

    asyncio.run(one_at_a_time())
    statuses = answered(sim)
    assert len(statuses) == 6 and set(statuses) == {200}


def test_a_ban_holds_the_budget_of_every_account_until_its_retry_after(start_sim, tmp_path, monkeypatch):
    """Another program got this address banned (418) for longer than the budget's period. Requests of another
    account, queued after the first 418, wait out its Retry-After with it instead of drawing more 418s."""
    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.setattr("reconciler.sim.binance.weights.FIRST_BAN_S", 4)  # past the 2 s period, short for a test
    sim = start_sim(weighted.world())
    for n in range(32):  # the budget, then one past it (429), then one more before its Retry-After (418)
        try:
            urllib.request.urlopen(f"{sim.url}/fapi/v1/ping?other={n}", timeout=30).read()
        except urllib.error.HTTPError as answer:
            assert answer.code == (429 if n == 30 else 418)
    sim.clear_calls("binance")

    async def scenario():
        async with _run() as run:
            first, other = (run.open(weighted.spec(sim.url, key))[1] for key in ("k1", "k2"))
            penalized, penalize = asyncio.Event(), first.pacer.penalize

            async def noted(*args, **kwargs):
                await penalize(*args, **kwargs)
                penalized.set()

            first.pacer.penalize = noted
            retried = asyncio.ensure_future(_request(first, 1))
            await penalized.wait()  # the 418 is in: the other account's requests queue after it
            await asyncio.gather(retried, *(_request(other, n) for n in range(4)))

    asyncio.run(scenario())
    statuses = answered(sim)
    assert statuses.count(418) == 1 and statuses.count(200) == 5 and len(statuses) == 6


def test_a_ban_longer_than_the_retry_budget_fails_every_accounts_requests_at_once_saying_until_when(
        start_sim, tmp_path, monkeypatch):
    """A 418 whose Retry-After is ten minutes: the run does not wait ten minutes. The request that drew it and the
    other account's requests fail at once, naming when the ban ends, and nothing more is sent."""
    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.setattr("reconciler.sim.binance.weights.FIRST_BAN_S", 600)
    sim = start_sim(weighted.world())
    for n in range(32):  # the budget, then one past it (429), then one more before its Retry-After (418)
        try:
            urllib.request.urlopen(f"{sim.url}/fapi/v1/ping?other={n}", timeout=30).read()
        except urllib.error.HTTPError:
            pass
    sim.clear_calls("binance")

    async def scenario():
        async with _run() as run:
            first, other = (run.open(weighted.spec(sim.url, key))[1] for key in ("k1", "k2"))
            started = time.monotonic()
            [banned] = await asyncio.gather(_request(first, 1), return_exceptions=True)
            held = await asyncio.gather(*(_request(other, n) for n in range(4)), return_exceptions=True)
            return banned, held, time.monotonic() - started

    banned, held, seconds = asyncio.run(scenario())
    assert seconds < 10, "failed at once, not after waiting the ban out"
    assert isinstance(banned, VenueError) and banned.code == "-1003" and banned.status == 418
    assert all(isinstance(f, VenueError) and "from this machine's address until" in f.message
               and f.code is None for f in held), held
    assert answered(sim) == [418], "one request drew the ban; nothing was sent after it"


def test_a_rate_limit_answer_holds_the_budget_in_other_processes_from_their_next_exchange(tmp_path):
    """The penalty goes to the backend at once: a run that claims the budget afterwards gets it blocked."""
    async def scenario():
        backend = LocalBackend(rates_directory=tmp_path)
        penalized = connections_pacer(backend, "k1")
        await penalized.acquire("GET /fapi/v1/ping")
        await penalized.penalize("GET /fapi/v1/ping", window=False, budget=True, retry_after=30)
        await penalized.close()
        return backend

    async def other_process(backend):  # another event loop: windows of their own, shared only through the file
        pacer = connections_pacer(backend, "k2")
        try:
            await asyncio.wait_for(pacer.acquire("GET /fapi/v1/ping"), 0.5)
        except TimeoutError:
            return "waits"
        return "sent"

    backend = asyncio.run(scenario())
    assert asyncio.run(other_process(backend)) == "waits"


def connections_pacer(backend, key: str):
    from reconciler.pacing import shared_pacer
    adapter = weighted.WeightedAdapter(weighted.spec("http://127.0.0.1:9", key), {})
    return shared_pacer(adapter.identity("http://127.0.0.1:9"), adapter.rate_limits, backend=backend,
                        public=set(adapter.public_endpoints), public_key="binance loopback per IP",
                        budget=adapter.ip_budget, budget_key="binance loopback per IP")


class _run:
    """A run's connections whose venue adapter is the small one of tests/weighted.py."""

    async def __aenter__(self):
        self._opened = connections.adapter_class
        connections.adapter_class = lambda venue: weighted.WeightedAdapter
        self._connections = connections.Connections()
        return await self._connections.__aenter__()

    async def __aexit__(self, *exc):
        try:
            await self._connections.__aexit__(*exc)
        finally:
            connections.adapter_class = self._opened


async def _request(client, n: int):
    if n % 2:
        return await client.request(Call("GET", "/fapi/v1/symbolConfig", query={"symbol": "BTCUSDT"}))
    return await client.request(Call("GET", "/fapi/v1/ping", query={"n": f"{client.identity}-{n}"}), signed=False)
