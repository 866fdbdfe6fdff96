"""Bybit's own count of an endpoint's window (X-Bapi-Limit, X-Bapi-Limit-Status on every answer) reaches the pacer:
what another program spent on the same key is held, so this run draws no 10006.

Against the Bybit simulator, whose per-UID window for GET /v5/position/list is lowered to 10 per second here.
"""

from __future__ import annotations

import asyncio

import test_bybit_e2e as scenario
from reconciler import api
from reconciler.backends.local import LocalBackend
from reconciler.connections import Connections
from reconciler.plan import Call

LIMIT = {"GET /v5/position/list": "10/1s"}


def _spec(tmp_path, url):
    path = scenario.config(tmp_path, url, accounts={"bb": scenario.account(scenario.UTA, url, None, {},
                                                                           rate_limits=dict(LIMIT))})
    return api.load(str(path)).accounts["bb"]


async def _send(spec, rates, count: int, one_at_a_time: bool = True):
    """`count` position reads through a run of its own (its windows in `rates`: another program's are elsewhere)."""
    async with Connections(backend=LocalBackend(rates_directory=rates)) as run:
        client = run.open(spec)[1]
        call = Call("GET", "/v5/position/list", {"category": "linear", "settleCoin": "USDT"})
        if one_at_a_time:
            for _ in range(count):
                await client.request(call)
        else:
            await asyncio.gather(*(client.request(call) for _ in range(count)))


def test_what_another_program_spent_of_a_window_is_held_from_the_headers(start_sim, tmp_path, monkeypatch):
    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(tmp_path / "locks"))
    sim = start_sim({**scenario.world(), "rate_limits": dict(LIMIT)})
    spec = _spec(tmp_path, sim.url)

    async def both():
        await _send(spec, tmp_path / "other", 8, one_at_a_time=False)  # another program: 8 of the 10 at once
        await _send(spec, tmp_path / "ours", 6)  # this run: without the venue's count, 4 of these draw 10006

    asyncio.run(both())
    answers = [(c["path"], c["code"]) for c in sim.calls("bybit") if c["path"] == "/v5/position/list"]
    assert len(answers) == 14 and {code for _, code in answers} == {"0"}, answers


def test_a_403_ban_of_the_address_stops_this_run_and_the_next_one_sends_nothing(start_sim, cli, tmp_path, monkeypatch):
    """Over the per-IP limit Bybit answers 403 and wants every session stopped for 10 minutes (bybit.md 6). The
    simulator's limit is lowered to 3 requests in 5 s here: the run that draws the 403 ends with it, and a run after
    it, on the same machine, fails at once saying until when, without sending anything."""
    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(tmp_path / "locks"))
    sim = start_sim({**scenario.world(), "rate_limits": {"IP /v5/*": "3/5s"}})
    path = scenario.config(tmp_path, sim.url)
    code, out, err = cli("plan", path)
    assert code == 1 and "HTTP 403: Bybit refused this IP" in err, out + err
    sent = len(sim.calls("bybit"))
    code, out, err = cli("plan", path)
    assert code == 1 and "from this machine's address until" in err, out + err
    assert len(sim.calls("bybit")) == sent, "the second run sent nothing"
