"""Rate windows counted in memory: their slots leased from the backend once a period, never once a request.

The rule tests run the same exchanges against both backends (the local file and PostgreSQL's function), so the
two implementations of slots.settle cannot drift apart. The window tests record when each request was sent and
answered: a slot is used again only a period after its answer, so no period may hold more sends than the limit.
"""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
import time

import pytest

from pg import pg_server, pg_url
from reconciler.backends.local import FileSlots
from reconciler.backends.postgres import PostgresBackend
from reconciler.backends.slots import Ask
from reconciler.pacing import LeasedWindow

FIXTURES = (pg_server, pg_url)  # found by pytest by their names


def total(idle) -> int:
    return sum(n for _, n in idle)


def waits(idle) -> list[float]:
    return sorted(wait for wait, n in idle for _ in range(n))


class Backends:
    """Slots records of one backend kind, opened and closed inside the test's event loop."""

    def __init__(self, kind: str, directory, url: str | None):
        self.kind, self.directory, self.url = kind, directory, url
        self.opened: list[PostgresBackend] = []

    async def slots(self, key: str):
        if self.kind == "local":
            return FileSlots(self.directory, key)
        backend = PostgresBackend(self.url, shown="test")
        await backend.open()
        self.opened.append(backend)
        return backend.slots(key)

    async def close(self):
        for backend in self.opened:
            await backend.close()


@pytest.fixture(params=["local", "postgres"])
def backends(request, tmp_path):
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    return Backends(request.param, tmp_path, url)


def run(backends: Backends, scenario):
    async def main():
        try:
            await scenario()
        finally:
            await backends.close()
    asyncio.run(main())


def test_a_second_owner_gets_its_share_once_the_first_exchanges_again(backends):
    async def scenario():
        first, second = await backends.slots("key"), await backends.slots("key")
        answer = await first.exchange(Ask("a", 10, 60.0))
        assert total(answer.idle) == 10 and max(waits(answer.idle)) <= 0.01  # alone: every slot, usable now
        answer = await second.exchange(Ask("b", 10, 60.0))
        assert total(answer.idle) == 0 and answer.waiting == 1  # all held by a, who is sending
        # a: 4 slots usable now, 6 counting from answers for 40 more seconds; it keeps half, the latest ones
        answer = await first.exchange(Ask("a", 10, 60.0, idle=[[0, 4], [40.0, 6]]))
        assert total(answer.idle) == 5 and min(waits(answer.idle)) > 30 and answer.waiting == 1
        answer = await second.exchange(Ask("b", 10, 60.0))
        assert total(answer.idle) == 5
        assert waits(answer.idle)[:4] == pytest.approx([0, 0, 0, 0], abs=0.01)  # handed back with their times
        assert 30 < waits(answer.idle)[4] <= 40.01  # times are kept to the millisecond, rounded up
    run(backends, scenario)


def test_an_owner_that_stopped_sending_hands_everything_back(backends):
    async def scenario():
        first, second = await backends.slots("key"), await backends.slots("key")
        await first.exchange(Ask("a", 10, 60.0))
        answer = await first.exchange(Ask("a", 10, 60.0, idle=[[0, 7], [30.0, 2]], in_flight=1, active=False))
        assert answer.idle == []
        answer = await second.exchange(Ask("b", 10, 60.0))
        assert total(answer.idle) == 9  # the one in flight is still a's
        assert waits(answer.idle)[:7] == pytest.approx([0] * 7, abs=0.01) and 20 < waits(answer.idle)[7] <= 30.01
    run(backends, scenario)


def test_a_penalty_holds_every_slot_handed_out_until_it_ends(backends):
    async def scenario():
        first, second = await backends.slots("key"), await backends.slots("key")
        await first.exchange(Ask("a", 10, 60.0))
        answer = await first.exchange(Ask("a", 10, 60.0, idle=[[0, 10]], penalty=40.0))
        assert 30 < answer.blocked <= 40.01 and min(waits(answer.idle)) > 30
        await first.exchange(Ask("a", 10, 60.0, idle=answer.idle, active=False))
        answer = await second.exchange(Ask("b", 10, 60.0))
        assert total(answer.idle) == 10 and min(waits(answer.idle)) > 30 and answer.blocked > 30
    run(backends, scenario)


def test_smaller_limits_of_another_owner_bound_the_share(backends):
    """Two runs count one key with different limits (an override in one file): each keeps a share of the smaller."""
    async def scenario():
        lenient, strict = await backends.slots("key"), await backends.slots("key")
        await lenient.exchange(Ask("a", 10, 60.0))
        await strict.exchange(Ask("b", 4, 60.0))
        answer = await lenient.exchange(Ask("a", 10, 60.0, idle=[[0, 10]]))
        assert total(answer.idle) == 2
        answer = await strict.exchange(Ask("b", 4, 60.0))
        assert total(answer.idle) == 2  # 4 in all, never more
    run(backends, scenario)


def test_the_slots_of_an_owner_that_died_count_as_answered_when_that_is_noticed(backends, tmp_path):
    async def scenario():
        await _die_holding(backends, tmp_path, [("key", "dead", 60.0)])
        answer = await (await backends.slots("key")).exchange(Ask("b", 10, 60.0))
        assert total(answer.idle) == 10 and min(waits(answer.idle)) > 50  # they may have reached the venue just now
    run(backends, scenario)


def test_an_owner_silent_past_its_lease_loses_what_it_held(backends, tmp_path):
    """Its process stalled (a long computation): the others took its slots; when it comes back, what it still
    holds in memory is not handed back to it."""
    async def scenario():
        stalled, other = await backends.slots("key"), await backends.slots("key")
        await stalled.exchange(Ask("a", 10, 60.0))
        if backends.kind == "local":
            path = next(tmp_path.glob("*.slots.json"))
            state = json.loads(path.read_text())
            state["owners"]["a"]["at"] -= 1000
            path.write_text(json.dumps(state))
        else:
            await stalled.backend._all("UPDATE reconciler_rate_slots SET reserved_at = reserved_at - 1000 "
                                       "WHERE owner = 'a'")
        answer = await other.exchange(Ask("b", 10, 60.0))
        assert total(answer.idle) == 10 and min(waits(answer.idle)) > 50  # as if a's requests were answered now
        answer = await stalled.exchange(Ask("a", 10, 60.0, idle=[[0, 10]]))
        assert total(answer.idle) == 0
    run(backends, scenario)


def test_a_slot_file_cut_short_by_a_crash_counts_every_slot_used_until_leases_expire(tmp_path):
    async def scenario():
        slots = FileSlots(tmp_path, "key")
        await slots.exchange(Ask("a", 10, 1.0))
        path = next(tmp_path.glob("*.slots.json"))
        path.write_bytes(path.read_bytes()[:15])  # a process killed while writing it
        answer = await FileSlots(tmp_path, "key").exchange(Ask("b", 10, 1.0))
        assert total(answer.idle) == 10 and min(waits(answer.idle)) > 100  # nobody can tell who held what
    asyncio.run(scenario())


# --- windows -----------------------------------------------------------------------------------------------------
class Log:
    """When each request was sent and answered (the window's acquire and release), and its weight."""

    def __init__(self):
        self.sends: list[tuple[float, int, str]] = []

    async def send(self, window: LeasedWindow, who: str = "", weight: int = 1, on_wire: float = 0.002):
        reservation = await window.acquire(weight)
        self.sends.append((time.monotonic(), weight, who))
        await asyncio.sleep(on_wire)
        await window.release(reservation)

    def most_in_any(self, seconds: float) -> int:
        return max(sum(w for t, w, _ in self.sends if start <= t < start + seconds) for start, _, _ in self.sends)


def test_a_lone_window_takes_every_slot_in_one_exchange_and_hands_them_back_at_the_end(tmp_path):
    async def scenario():
        slots = FileSlots(tmp_path, "key")
        window = LeasedWindow(slots, 20, 30.0)
        held = [await asyncio.wait_for(window.acquire(), 30) for _ in range(20)]  # no wait: one claim
        assert slots.exchanges == 1
        for reservation in held:
            await window.release(reservation)
        await window.close()
        assert slots.exchanges == 2
        other = await FileSlots(tmp_path, "key").exchange(Ask("next run", 20, 30.0))
        assert total(other.idle) == 20 and min(waits(other.idle)) > 25  # still counting from their answers
    asyncio.run(scenario())


def test_sixty_requests_stay_in_the_window_with_one_exchange_a_period(tmp_path):
    async def scenario():
        slots = FileSlots(tmp_path, "key")
        log, periods = await _sixty_requests(slots)
        assert len(log.sends) == 60 and log.most_in_any(0.5) <= 20
        assert slots.exchanges <= math.ceil(periods) + 2  # one a period, and the last one handing back
    asyncio.run(scenario())


def test_two_owners_of_one_key_share_it_and_neither_starves(tmp_path):
    """Two windows on one file, as two processes hold it: 40 requests, never more than 10 a period."""
    async def scenario():
        first, second = (LeasedWindow(FileSlots(tmp_path, "shared"), 10, 0.5) for _ in range(2))
        log = Log()
        await asyncio.gather(*(log.send(window, who) for window, who in ((first, "a"), (second, "b"))
                               for _ in range(20)))
        assert len(log.sends) == 40 and log.most_in_any(0.5) <= 10
        a_last = max(t for t, _, who in log.sends if who == "a")
        b_first = min(t for t, _, who in log.sends if who == "b")
        assert b_first < a_last  # b got its share while a still had requests to send
    asyncio.run(scenario())


def test_weighted_requests_spend_their_weight_of_the_window(tmp_path):
    async def scenario():
        window = LeasedWindow(FileSlots(tmp_path, "weights"), 10, 0.5)
        log = Log()
        await asyncio.gather(*(log.send(window, weight=weight) for weight in [4, 1, 3, 4, 2, 10, 1] * 2))
        assert log.most_in_any(0.5) <= 10
    asyncio.run(scenario())


def test_a_venue_count_above_what_the_window_knows_is_adopted(tmp_path):
    """The venue says 7 of 10 are used after our first request: another program spends 6, so 3 remain."""
    async def scenario():
        window = LeasedWindow(FileSlots(tmp_path, "budget"), 10, 30.0, counts_venue=True)
        await window.release(await window.acquire(), venue_count=7)
        for _ in range(3):
            await asyncio.wait_for(window.acquire(), 30)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(window.acquire(), 0.3)  # the rest counts for a period: it cannot come sooner
    asyncio.run(scenario())


def test_a_venue_count_the_window_already_knows_of_changes_nothing(tmp_path):
    async def scenario():
        window = LeasedWindow(FileSlots(tmp_path, "budget"), 10, 30.0, counts_venue=True)
        first, second = await window.acquire(4), await window.acquire(2)
        await window.release(first, venue_count=6)  # both of ours counted by the venue
        await window.release(second, venue_count=6)
        await asyncio.wait_for(window.acquire(4), 30)
    asyncio.run(scenario())


def test_postgres_windows_exchange_once_a_period(pg_url):
    async def scenario():
        backend = PostgresBackend(pg_url, shown="test")
        await backend.open()
        try:
            slots = backend.slots("key")
            log, periods = await _sixty_requests(slots)
        finally:
            await backend.close()
        assert len(log.sends) == 60 and log.most_in_any(0.5) <= 20
        assert slots.exchanges <= math.ceil(periods) + 2
    asyncio.run(scenario())


def test_a_dead_owner_is_released_from_every_window_once_one_notices(backends, tmp_path):
    """A run reads one window after another: it waits a period for a dead run's slots once, not once per window."""
    async def scenario():
        await _die_holding(backends, tmp_path, [("one", "dead", 60.0), ("two", "dead2", 30.0)])
        await (await backends.slots("one")).exchange(Ask("b", 10, 60.0))  # notices the death
        await asyncio.sleep(1.0)
        answer = await (await backends.slots("two")).exchange(Ask("b", 10, 30.0))
        assert total(answer.idle) == 10 and max(waits(answer.idle)) < 29.5  # counted from the first notice
    run(backends, scenario)


async def _die_holding(backends, tmp_path, leases: list[tuple[str, str, float]]) -> None:
    """An owner takes all 10 slots of each (key, owner, seconds) and dies: its process exits (local files) or its
    database session ends (PostgreSQL), without handing anything back."""
    if backends.kind == "local":
        script = ("import asyncio, sys; from pathlib import Path; from reconciler.backends.local import FileSlots; "
                  "from reconciler.backends.slots import Ask; "
                  + "; ".join(f"asyncio.run(FileSlots(Path(sys.argv[1]), {key!r}).exchange(Ask({owner!r}, 10, "
                              f"{seconds})))" for key, owner, seconds in leases))
        subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True, timeout=60)
        return
    backend = PostgresBackend(backends.url, shown="test")
    await backend.open()
    for key, owner, seconds in leases:
        await backend.slots(key).exchange(Ask(owner, 10, seconds))
    pid = (await backend._all("SELECT pg_backend_pid()"))[0][0]
    await backend.close()
    probe = await backends.slots("probe")
    for _ in range(200):  # the server takes a moment to forget the session
        if not await probe.backend._all("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)):
            break
        await asyncio.sleep(0.05)


async def _sixty_requests(slots) -> tuple:
    """60 requests at once through a window of 20 per 0.5 s on `slots`: (their log, how many periods they took)."""
    window = LeasedWindow(slots, 20, 0.5)
    log = Log()
    started = time.monotonic()
    await asyncio.gather(*(log.send(window) for _ in range(60)))
    periods = (time.monotonic() - started) / 0.5
    await window.close()
    return log, periods


def test_slots_usable_now_come_back_with_no_wait(backends):
    async def scenario():
        slots = await backends.slots("key")
        answer = await slots.exchange(Ask("a", 10, 60.0))
        assert answer.idle == [[0.0, 10]]  # not the millisecond the record rounds times up to
        answer = await slots.exchange(Ask("a", 10, 60.0, idle=[[0, 4], [40.0, 6]]))
        assert waits(answer.idle)[:4] == [0.0] * 4 and 39 < waits(answer.idle)[4] <= 40.01
    run(backends, scenario)


def test_the_first_request_of_a_fresh_window_never_waits(tmp_path):
    async def scenario():
        window = LeasedWindow(FileSlots(tmp_path, "key"), 5, 10.0)
        waited: list[float] = []
        for _ in range(5):
            await window.release(await window.acquire(1, waited.append))
        assert waited == []  # a wait of a timer's turn, under a busy event loop, is a whole turn of every task
        await window.close()
    asyncio.run(scenario())
