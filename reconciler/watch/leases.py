"""This replica's share of the accounts: leases in the backend, claimed each pass and renewed in the background."""

from __future__ import annotations

import asyncio
import logging
import math
import os
import socket
import uuid

from ..errors import ReconcilerError

REPLICA = "replica "  # the key prefix of the replicas' own leases (counted for the fair share)
log = logging.getLogger("reconciler.watch")


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Leases:
    """Holds `keys` (one per venue account) for this replica: at most its fair share while others are alive.

    A lease lasts `ttl` seconds and is renewed every ttl/3; a replica that dies stops renewing, so its
    accounts are free for the others `ttl` after its last renewal. When renewing fails, nothing is held.
    """

    def __init__(self, backend, ttl: float, holder: str | None = None):
        self.backend, self.ttl = backend, ttl
        self.holder = holder or new_holder()
        self.held: set[str] = set()
        self._task: asyncio.Task | None = None

    async def claim(self, keys: list[str]) -> set[str]:
        """Renew what is held among `keys`, give up what exceeds the fair share, take free ones up to it."""
        try:
            await self.backend.take_leases([REPLICA + self.holder], self.holder, self.ttl)
            replicas = max(1, await self.backend.count_leases(REPLICA))
            share = math.ceil(len(keys) / replicas)
            mine = await self.backend.take_leases([k for k in keys if k in self.held], self.holder, self.ttl)
            extra = sorted(mine)[share:]
            if extra:
                await self.backend.drop_leases(extra, self.holder)
                mine -= set(extra)
            if len(mine) < share:
                mine |= await self.backend.take_leases([k for k in keys if k not in mine], self.holder, self.ttl,
                                                       limit=share - len(mine))
            dropped = self.held - set(keys)
            if dropped:
                await self.backend.drop_leases(sorted(dropped), self.holder)
        except ReconcilerError:
            self.held = set()
            raise
        self.held = mine
        return mine

    def start(self) -> None:
        self._task = asyncio.create_task(self._renew())

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                keys = sorted(self.held) + [REPLICA + self.holder]
                renewed = await self.backend.take_leases(keys, self.holder, self.ttl)
                self.held &= renewed
            except ReconcilerError as exc:
                log.warning("leases could not be renewed: %s; no account is held until they are", exc)
                self.held = set()

    async def release(self) -> None:
        """Stop renewing and give every lease up, so another replica takes over at once."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            await self.backend.drop_leases(sorted(self.held) + [REPLICA + self.holder], self.holder)
        except ReconcilerError:
            pass  # unrenewed, they expire
        self.held = set()
