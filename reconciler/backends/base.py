"""The backend interface: account locks, rate windows, the journal, runs and applied plans, and choosing one by URL."""

from __future__ import annotations

import getpass
import os
import re
import socket
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from ..errors import ReconcilerError

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class BackendError(ReconcilerError):
    """The backend cannot be reached or used: nothing more is sent to any venue."""


@dataclass
class RunRecord:
    """Who ran what, when, on which file: one row of the runs table."""

    run_id: str
    command: str
    config_path: str | None = None
    config_sha256: str | None = None
    accounts: list[str] = field(default_factory=list)
    plan_id: str | None = None
    user: str = field(default_factory=lambda: _user())
    host: str = field(default_factory=socket.gethostname)
    started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    outcome: str | None = None  # how it ended, set by the run


class HeldOff(Exception):
    """The venue refuses this window's requests (an IP ban) for longer than the caller would wait."""

    def __init__(self, seconds: float):
        super().__init__(f"held off for {seconds:.0f} s")
        self.seconds = seconds


class Window(ABC):
    """At most `count` requests (or units of weight) in any `seconds` for one key, however many processes and
    machines share it; each counts from the moment its answer arrived."""

    count: int
    seconds: float

    @abstractmethod
    async def acquire(self, weight: int = 1, on_wait=None, max_hold: float | None = None):
        """Reserve `weight` slots (waiting as needed); returns the reservation for `release`. HeldOff when the
        venue's refusal holds every slot for longer than `max_hold` seconds from now."""

    @abstractmethod
    async def release(self, reservation, venue_count: int | None = None) -> None:
        """The request's answer arrived: its slots count from now. `venue_count`: what the venue says is used
        of this window (a weight header), adopted when it is more than this window knows of."""

    @abstractmethod
    async def penalize(self, seconds: float | None = None) -> None:
        """The venue said we went over: no slot is usable for `seconds` (None: a whole period) from now."""

    async def close(self) -> None:
        """The run ends: hand back what is held, so other runs need not wait for it."""


class Slots(ABC):
    """One window's slots as the backend records them for every owner (see slots.settle for the rule)."""

    @abstractmethod
    async def exchange(self, ask) -> "object":
        """One round trip: hand in `ask` (a slots.Ask), get back a slots.Answer."""


class Backend(ABC):
    """Shared state of runs: open it, use it for one run, close it."""

    name: str = ""  # shown to people: never with a password
    key: str = ""  # what two backend objects share when they point at the same place

    async def open(self) -> None:
        """Connect (and create or migrate what is needed); BackendError when it cannot be used."""

    async def close(self) -> None:
        """Release everything the run held."""

    @abstractmethod
    def locks(self, accounts: dict[str, str], timeout: float):
        """An async context manager holding one lock per venue identity (`accounts`: identity -> names)."""

    def window(self, key: str, count: int, seconds: float, *, counts_venue: bool = False) -> Window:
        """This process's window for `key`: counted in memory, its slots exchanged through `slots` once a period
        (`counts_venue`: answers may say how much of it the venue counts used)."""
        from ..pacing import shared_window
        return shared_window(self, key, count, seconds, counts_venue=counts_venue)

    def slots(self, key: str) -> Slots:
        """The record of `key`'s slots that every run sharing this backend exchanges with."""
        raise BackendError(f"backend {self.name} keeps no rate windows")

    @abstractmethod
    def journal(self, run_id: str):
        """The run's journal (async `intent` and `outcome`), or None when this backend keeps none for it."""

    @abstractmethod
    def intents(self):
        """The record of margin moves in flight (reconciler.intents.IntentStore) every runner this backend serves sees."""

    @abstractmethod
    async def start_run(self, run: RunRecord) -> None:
        ...

    @abstractmethod
    async def finish_run(self, run: RunRecord, outcome: str) -> None:
        ...

    @abstractmethod
    async def claim_plan(self, plan_id: str, run_id: str) -> bool:
        """Record a saved plan as applied; False when it was applied already (by anyone this backend serves)."""

    @abstractmethod
    async def history(self, *, account: str | None = None, symbol: str | None = None,
                      since: datetime | None = None) -> list[dict]:
        """Runs (newest first), each with its calls (newest first), that touched `account` or `symbol`."""

    # --- leases: which `watch` replica reads and heals which account ------------------------------------
    async def take_leases(self, keys: list[str], holder: str, ttl: float, limit: int | None = None) -> set[str]:
        """Of `keys`, those `holder` holds for `ttl` seconds from now: its own renewed, then free or expired ones
        taken (at most `limit` of them; None: all)."""
        raise BackendError(f"backend {self.name} keeps no leases")

    async def drop_leases(self, keys: list[str], holder: str) -> None:
        """Give up `holder`'s leases on `keys` (another replica may take them at once)."""
        raise BackendError(f"backend {self.name} keeps no leases")

    async def count_leases(self, prefix: str) -> int:
        """How many unexpired leases have keys starting with `prefix` (the replicas alive, for a fair share)."""
        raise BackendError(f"backend {self.name} keeps no leases")


def expand(url: str, environ=None) -> str:
    """`${NAME}` replaced by the environment variable NAME; one clear error naming a missing one."""
    environ = os.environ if environ is None else environ

    def value(match: re.Match) -> str:
        name = match[1]
        if name not in environ:
            raise BackendError(f"backend URL names ${{{name}}}, which is not set in the environment")
        return environ[name]

    return _VARIABLE.sub(value, url)


def passwords(url: str) -> list[str]:
    """The passwords a URL carries (after `user:` or as `?password=`), to keep out of every message."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = [parts.password, unquote(parts.password)] if parts.password else []
    return found + [value for value in parse_qs(parts.query).get("password", []) if value]


def redacted(url: str) -> str:
    """The URL as it may be shown: any password replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<backend URL that cannot be parsed>"
    if parts.password is not None:
        netloc = parts.netloc.rsplit("@", 1)
        parts = parts._replace(netloc=f"{netloc[0].split(':', 1)[0]}:***@{netloc[1]}")
    if "password" in parse_qs(parts.query):
        parts = parts._replace(query=urlencode([(key, "***" if key == "password" else value)
                                                for key, value in parse_qsl(parts.query)], safe="*"))
    return urlunsplit(parts)


def backend_from_url(url: str | None, *, journal_path: str | None = None, environ=None) -> Backend:
    """`local` (or nothing) for this machine's files; `postgresql://...` for a database shared by machines."""
    text = (url or "").strip()
    if text in ("", "local"):
        from .local import LocalBackend
        return LocalBackend(journal_path=journal_path)
    scheme = text.split(":", 1)[0].lower()
    if scheme in ("postgresql", "postgres"):
        from .postgres import PostgresBackend
        return PostgresBackend(expand(text, environ), shown=redacted(text))
    raise BackendError(f"backend {redacted(text)!r} is not known: use local or postgresql://USER:PASSWORD@HOST/DB")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "user"
