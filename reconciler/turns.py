"""Spreads the start of many reads over the event loop's turns, so that one turn stays short and an answer or a
write is never stuck behind a flood of new reads."""

from __future__ import annotations

import asyncio
import weakref
from collections import deque

# Reads started in one turn of the event loop; writes are never held. With 50 accounts starting their reads at
# once, a turn that starts them all takes 0.1 to 0.25 s, and an account whose plan is ready needs 10 to 20 turns to
# its first write. Measured side by side at 50 accounts (bench/README.md): 2 a turn keeps a turn near 3 ms and the
# first writes 3 to 5 times sooner, for the same whole time. It does not limit how many are on the wire at once.
STARTS_PER_TURN = 2


class TurnShare:
    """At most `per_turn` reads start in one turn of the loop; the others wait, first come first served."""

    def __init__(self, loop: asyncio.AbstractEventLoop, per_turn: int = STARTS_PER_TURN):
        self._loop = loop
        self._per_turn = per_turn
        self._left = per_turn  # starts left in this turn
        self._waiting: deque[asyncio.Future] = deque()
        self._ahead: deque[asyncio.Future] = deque()  # served before _waiting
        self._ticking = False

    async def start(self, ahead: bool = False) -> None:
        """Return when this read may start: at once while this turn has starts left, else in a later turn.
        `ahead`: before every read waiting that was not (a venue's public listing, which every account's first write
        waits for: read once a run, it must not queue behind hundreds of accounts' own reads)."""
        self._tick_soon()
        queue = self._ahead if ahead else self._waiting
        if self._left > 0 and not queue and (ahead or not self._ahead):
            self._left -= 1
            return
        waiter = self._loop.create_future()
        queue.append(waiter)
        await waiter

    def _tick_soon(self) -> None:
        if not self._ticking:
            self._ticking = True
            self._loop.call_soon(self._tick)

    def _tick(self) -> None:
        """Once a turn, while reads start or wait: the next few waiting reads start in the next turn."""
        self._ticking = False
        left = self._per_turn
        for queue in (self._ahead, self._waiting):
            while queue and left:
                waiter = queue.popleft()
                if not waiter.done():  # a read cancelled while it waited takes no start
                    waiter.set_result(None)
                    left -= 1
        self._left = left
        if self._ahead or self._waiting or left < self._per_turn:
            self._tick_soon()


_shares: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def share() -> TurnShare:
    """The running loop's share: every account of a run draws on the one loop they all run on."""
    loop = asyncio.get_running_loop()
    if loop not in _shares:
        _shares[loop] = TurnShare(loop)
    return _shares[loop]
