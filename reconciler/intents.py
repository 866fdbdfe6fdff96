"""Margin moves in flight: each is recorded before it is sent, where every later run on that venue account looks first.

A margin move is not idempotent. If a run dies (SIGKILL, a stopped container) after sending one, the
request may still execute at the venue; the next run, from any process or (on PostgreSQL) any machine,
finds the unresolved record here and sends nothing for that position until the request can no longer
execute. The same records total what was moved, per venue account and currency, for `max_margin_moved`.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

from .errors import ReconcilerError

SENT, DONE, REFUSED, UNKNOWN = "sent", "done", "refused", "unknown"  # UNKNOWN: no answer says what happened
RECENT = 3600.0  # seconds: longer than any venue lets a signed request execute


@dataclass
class Intent:
    identity: str  # the venue account (never its name in a file)
    symbol: str
    side: str | None
    move: str  # signed amount, as sent
    coin: str | None
    account: str  # the file's name for it, for messages
    run_id: str
    signed_at: float
    expires_at: float  # after this the venue refuses the request: it can no longer execute
    state: str = SENT
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])

    @property
    def position(self) -> tuple:
        return (self.identity, self.symbol, self.side)

    def unresolved(self, moment: float) -> bool:
        """It may still execute at `moment`: sent with no answer (or one that does not say), and not expired."""
        return self.state in (SENT, UNKNOWN) and self.expires_at > moment

    def describe(self) -> str:
        at = time.strftime("%H:%M:%S", time.gmtime(self.signed_at))
        return f"run {self.run_id} sent a margin move of {self.move} on {self.symbol}{' ' + self.side if self.side else ''} " \
               f"at {at} UTC"


class IntentStoreError(ReconcilerError):
    """The record of margin moves cannot be read or written: no margin is moved."""


class IntentStore(ABC):
    """Where the margin moves of every run on one machine (local) or every machine (PostgreSQL) are recorded."""

    @abstractmethod
    async def record(self, intent: Intent) -> None:
        """Durably, before the request is sent."""

    @abstractmethod
    async def settle(self, intent: Intent, state: str) -> None:
        ...

    @abstractmethod
    async def of_identity(self, identity: str, since: float) -> list[Intent]:
        """The latest state of every intent of `identity` signed after `since`."""

    async def unresolved(self, identity: str, symbol: str, side: str | None, since: float) -> list[Intent]:
        """The moves of one position that could still execute at or after `since` (a read of its margin then)."""
        return [i for i in await self.of_identity(identity, since - RECENT)
                if i.symbol == symbol and i.side == side and i.unresolved(since)]

    async def moved(self, identity: str, coin: str | None, since: float) -> Decimal:
        """What was moved (or may have been) since `since`, in `coin`: every currency when `coin` is None."""
        return sum((abs(Decimal(i.move)) for i in await self.of_identity(identity, since)
                    if i.state != REFUSED and (coin is None or i.coin is None or i.coin == coin)), Decimal(0))


class LocalIntents(IntentStore):
    """One JSON-lines file per venue identity beside the lock files (written only under that identity's lock)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def _path(self, identity: str) -> Path:
        return self.directory / f"{identity}.jsonl"

    async def record(self, intent: Intent) -> None:
        # fsync takes milliseconds on a real disk: waited for off the event loop, so other accounts' requests go on.
        await asyncio.to_thread(self._append, intent, True)

    async def settle(self, intent: Intent, state: str) -> None:
        intent.state = state
        if state == UNKNOWN:
            await asyncio.to_thread(self._append, intent, True)
        else:
            self._append(intent, False)

    def _append(self, intent: Intent, sync: bool) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self._path(intent.identity), os.O_WRONLY | os.O_APPEND | os.O_CREAT
                         | getattr(os, "O_NOFOLLOW", 0), 0o600)
            try:
                os.write(fd, (json.dumps(asdict(intent)) + "\n").encode())
                if sync:
                    os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise IntentStoreError(f"the record of margin moves {self._path(intent.identity)} cannot be written: "
                                   f"{exc.strerror or exc}; no margin was moved") from None

    async def of_identity(self, identity: str, since: float) -> list[Intent]:
        latest: dict[str, Intent] = {}
        try:
            with self._path(identity).open(encoding="utf-8") as handle:
                for line in handle:
                    try:
                        intent = Intent(**json.loads(line))
                    except (ValueError, TypeError):
                        continue  # a line cut short by a crash: the intent line before it still counts
                    latest[intent.id] = intent
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise IntentStoreError(f"the record of margin moves {self._path(identity)} cannot be read: "
                                   f"{exc.strerror or exc}; no margin was moved") from None
        return [i for i in latest.values() if i.signed_at >= since]
