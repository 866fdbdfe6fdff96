"""Many reads start over several turns of the event loop, a few a turn, in the order they came; writes are not held."""

from __future__ import annotations

import asyncio
import json

from reconciler import turns
from reconciler.client import VenueClient
from reconciler.pacing import Pacer
from reconciler.plan import Call
from reconciler.transport import RawResponse
from reconciler.venues.bitget import BitgetAdapter
from test_http_layer import bitget_spec


def counting_turns(loop) -> list[int]:
    """A counter of the loop's turns: [n], n going up by one each turn."""
    turn = [0]

    def tick():
        turn[0] += 1
        loop.call_soon(tick)

    loop.call_soon(tick)
    return turn


def test_at_most_a_few_reads_start_in_one_turn_first_come_first_served():
    started: list[tuple[int, int]] = []  # (read, turn it started in)

    async def run():
        loop = asyncio.get_running_loop()
        turn = counting_turns(loop)
        share = turns.TurnShare(loop, per_turn=3)

        async def read(n):
            await share.start()
            started.append((n, turn[0]))

        await asyncio.gather(*(read(n) for n in range(10)))

    asyncio.run(run())
    assert [n for n, _ in started] == list(range(10))
    per_turn = [sum(1 for _, t in started if t == turn) for turn in sorted({t for _, t in started})]
    assert per_turn == [3, 3, 3, 1]


def test_a_read_cancelled_while_it_waits_takes_no_start():
    started = []

    async def run():
        loop = asyncio.get_running_loop()
        share = turns.TurnShare(loop, per_turn=1)

        async def read(n):
            await share.start()
            started.append(n)

        tasks = [asyncio.ensure_future(read(n)) for n in range(4)]
        await asyncio.sleep(0)  # every read is waiting or started
        tasks[1].cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(run())
    assert started == [0, 2, 3]


def test_a_read_marked_ahead_starts_before_the_reads_already_waiting():
    """A venue's public listing, which every account's first write waits for, does not queue behind their reads."""
    started = []

    async def run():
        share = turns.TurnShare(asyncio.get_running_loop(), per_turn=2)

        async def read(name, ahead=False):
            await share.start(ahead=ahead)
            started.append(name)

        reads = [asyncio.ensure_future(read(f"own {n}")) for n in range(6)]
        await asyncio.sleep(0)  # two started, two let in for the next turn, two waiting
        await asyncio.gather(*reads, read("listing", ahead=True), read("listing too", ahead=True))

    asyncio.run(run())
    assert started == ["own 0", "own 1", "own 2", "own 3", "listing", "listing too", "own 4", "own 5"]


class AnsweringTransport:
    """Answers every request at once as Bitget would, noting the turn of the loop it was sent in."""

    def __init__(self, turn: list[int]):
        self.turn = turn
        self.sent: list[tuple[str, int]] = []

    async def send(self, method, url, headers, body):
        self.sent.append((method, self.turn[0]))
        return RawResponse(200, json.dumps({"code": "00000", "msg": "success", "data": []}), {})

    async def close(self):
        pass


def test_a_clients_reads_leave_a_few_a_turn_and_a_write_is_not_held_behind_them(tmp_path, monkeypatch):
    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(tmp_path))

    async def run():
        turn = counting_turns(asyncio.get_running_loop())
        transport = AnsweringTransport(turn)
        adapter = BitgetAdapter(bitget_spec(), {"api_key": "k", "secret": "s", "passphrase": "p"})
        client = VenueClient(adapter, "https://api.bitget.com", pacer=Pacer("test", adapter.rate_limits,
                                                                         directory=tmp_path), transport=transport)

        class Gate:  # lets every write through: this test is about when it leaves, not whether
            async def admit(self, client, call):
                return None

        client.gate = Gate()
        reads = [client.request(Call("GET", "/api/v2/mix/account/account", {"symbol": f"S{n}USDT"}))
                 for n in range(10)]
        write = client.request(Call("POST", "/api/v2/mix/account/set-leverage", body={"symbol": "BTCUSDT"}),
                               retry_ambiguous=False)
        await asyncio.gather(*reads, write)
        return transport.sent

    sent = asyncio.run(run())
    reads = [at for method, at in sent if method == "GET"]
    [write] = [at for method, at in sent if method == "POST"]
    assert len(reads) == 10
    assert max(reads.count(at) for at in reads) <= turns.STARTS_PER_TURN
    assert write <= min(reads) + 1, "the write left with the first reads, not after them"
