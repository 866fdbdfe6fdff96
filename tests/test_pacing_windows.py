"""A rate window counts in memory and asks the backend at most once a period, never once a request."""

from __future__ import annotations

import asyncio
import math
import time

from reconciler.backends.local import FileSlots
from reconciler.pacing import SyncedWindow


class Counted:
    """The file backend's slots, counting the round trips made to it."""

    def __init__(self, slots):
        self.slots, self.exchanges = slots, 0

    async def exchange(self, **kwargs):
        self.exchanges += 1
        return await self.slots.exchange(**kwargs)


async def send(windows: list[SyncedWindow], requests: int) -> list[float]:
    """`requests` requests through each window at once; the times their answers came."""
    answers = []

    async def one(window):
        token = await window.acquire()
        await asyncio.sleep(0.002)  # the request on the wire
        answers.append(time.monotonic())
        await window.release(token)

    await asyncio.gather(*(one(window) for window in windows for _ in range(requests)))
    for window in windows:
        await window.close()
    return sorted(answers)


def most_in_any(answers: list[float], seconds: float) -> int:
    return max(sum(1 for t in answers if start <= t < start + seconds) for start in answers)


def test_sixty_requests_take_a_handful_of_round_trips_and_stay_in_the_window(tmp_path):
    slots = Counted(FileSlots(tmp_path, "key"))
    window = SyncedWindow(slots, 20, 0.5)
    started = time.monotonic()
    answers = asyncio.run(send([window], 60))
    periods = (time.monotonic() - started) / 0.5
    assert len(answers) == 60 and most_in_any(answers, 0.5) <= 20
    assert slots.exchanges <= math.ceil(periods) + 2  # one a period, and the last one handing back


def test_two_runs_on_one_key_share_the_window(tmp_path):
    """Two windows on one file, as two processes would hold them: 40 requests, never more than 10 a period."""
    first, second = (SyncedWindow(FileSlots(tmp_path, "shared"), 10, 0.5) for _ in range(2))
    answers = asyncio.run(send([first, second], 20))
    assert len(answers) == 40 and most_in_any(answers, 0.5) <= 10
