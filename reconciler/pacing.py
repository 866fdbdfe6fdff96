"""Client-side pacing as the venues count: rate windows counted in memory, their slots leased from the backend."""

from __future__ import annotations

import asyncio
import heapq
import math
import re
import time
import uuid
import weakref

from .backends.base import HeldOff, Window
from .backends.slots import Ask, expiry, merged

_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$")
POLL = 0.02  # seconds: the shortest wait between two looks at a window whose period is shorter
IDLE_HAND_BACK = 0.1  # seconds a window with no request waiting keeps its idle slots for a run's next request
NO_RETRY_AFTER = 1.0  # seconds a 429 without Retry-After but with the venue's weight count holds the budget
RETRY_AFTER_HOLDER = 0.05  # seconds after another owner's exchange is due before looking again (its timer runs late)


def parse_limit(text: str) -> tuple[int, float]:
    """"10/2s" -> (10, 2.0); also "5/60s", "5/1m", "100/500ms"."""
    match = _LIMIT.match(str(text))
    if not match or int(match[1]) < 1 or float(match[2]) <= 0:
        raise ValueError(f"rate limit {text!r} is not of the form N/2s, N/1m or N/500ms with N and the time above 0")
    return int(match[1]), float(match[2]) * {"ms": 0.001, "s": 1.0, "m": 60.0}[match[3]]


class Reservation:
    """Slots one request holds from its send until its answer (then they count for a period)."""

    __slots__ = ("weight", "busy_before", "spent_before")

    def __init__(self, weight: int, busy_before: int, spent_before: int):
        self.weight, self.busy_before, self.spent_before = weight, busy_before, spent_before


class LeasedWindow(Window):
    """At most `count` requests (or units of weight) in any `seconds` for one key, counted in memory.

    Each request counts from the moment its answer arrived (the venue saw it before we saw the answer,
    so a slot used again `seconds` after that answer reaches the venue more than `seconds` after the
    first use did). The window holds a lease on some of the key's slots, recorded in the backend
    (`slots`, one round trip per exchange) for every process and machine sharing the key: it sends only
    on slots it holds, and reuses each a period after its own answer without asking anyone. A window
    alone takes every slot in its first exchange. While requests wait it exchanges again once a period,
    keeping its fair share if others are sending too (they are counted in the backend, so none starves)
    and taking what is free; shortly after none waits, it hands back every slot not in flight (a slot handed
    back keeps the time it is usable again, for whoever takes it next), and the next request claims again at
    once.
    """

    def __init__(self, slots, count: int, seconds: float, *, counts_venue: bool = False):
        self.count, self.seconds = count, seconds
        self._slots = slots
        self.owner = uuid.uuid4().hex
        self._idle: list[list] = []  # heap of [time usable (monotonic), how many] of the slots held, not in flight
        self._in_flight = 0
        self._exchanged = -math.inf  # when the last exchange was sent
        self._fresh = True  # nothing claimed since start or since everything was handed back: claim at once
        self._blocked = -math.inf  # no slot is usable before this (a rate-limit answer)
        self._retry_at = math.inf  # left short: look again once the owner holding slots has exchanged
        self._last_use = -math.inf  # when a slot was last taken or answered
        self._others_busy = 0  # what the other owners had in use at the last exchange
        self._counts_venue = counts_venue  # answers may say how much of it the venue counts (a weight header)
        self._spent = 0  # weight taken, ever
        self._gate = asyncio.Lock()  # this process's waiters queue here in order; only the first one looks
        self._exchanging = asyncio.Lock()
        self._changed = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None
        self._background: asyncio.Task | None = None

    # --- what a request does ------------------------------------------------------------------------
    async def acquire(self, weight: int = 1, on_wait=None, max_hold: float | None = None) -> Reservation:
        weight = max(1, min(int(weight), self.count))  # a request heavier than the window waits for all of it
        async with self._gate:
            while True:
                now = time.monotonic()
                if max_hold is not None and self._blocked - now > max_hold:
                    raise HeldOff(self._blocked - now)
                if now - self._exchanged >= expiry(self.seconds) / 2:  # the lease is getting old: renew it first
                    await self._exchange(active=True, unless=lambda: time.monotonic() - self._exchanged
                                         < expiry(self.seconds) / 2)
                    continue
                busy = self._busy(now) if self._counts_venue else 0
                if self._take(weight, now):
                    self._in_flight += weight
                    self._last_use = now
                    self._spent += weight
                    return Reservation(weight, busy + weight, self._spent)
                if self._fresh or now >= self._next_look():  # handed back (or never claimed): claim at once
                    await self._exchange(active=True, unless=lambda: not self._fresh
                                         and time.monotonic() < self._next_look())
                    continue
                due = self._next_look()
                until = min(self._usable_at(weight), due)
                if on_wait:
                    on_wait(until - now)
                self._changed.clear()
                try:
                    await asyncio.wait_for(self._changed.wait(), max(until - now, 0.0))
                except TimeoutError:
                    pass

    async def release(self, reservation: Reservation, venue_count: int | None = None) -> None:
        now = time.monotonic()
        self._in_flight -= reservation.weight
        heapq.heappush(self._idle, [max(now + self.seconds, self._blocked), reservation.weight])
        if venue_count is not None and self._counts_venue:
            # Ours: what was in use when it was sent, and all sent since; the others': their last report.
            known = reservation.busy_before + (self._spent - reservation.spent_before) + self._others_busy
            if venue_count > known:  # another program spends it too: that much is not usable for a period
                self._hold(venue_count - known, now + self.seconds)
        self._changed.set()
        self._last_use = now
        if not self._gate.locked():
            self._schedule()

    async def penalize(self, seconds: float | None = None) -> None:
        now = time.monotonic()
        penalty = self.seconds if not seconds or seconds <= 0 else float(seconds)
        self._block(now + penalty)
        try:
            await self._exchange(active=True, penalty=penalty)  # the other runs see it at their next exchange
        except Exception:  # the backend failing here is reported by the next exchange a request makes
            pass

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._idle or self._in_flight:
            try:
                await self._exchange(active=False)
            except Exception:  # the backend is gone: what this run held counts as answered when that is noticed
                pass

    def _next_look(self) -> float:
        """When a request that finds no usable slot asks the backend again."""
        return min(self._due_at(), self._retry_at)

    def _due_at(self) -> float:
        return self._exchanged + max(self.seconds, POLL)

    # --- the slots held in memory -------------------------------------------------------------------
    def _take(self, weight: int, now: float) -> bool:
        idle = self._idle
        if not idle or idle[0][0] > now:
            return False
        taken, popped = 0, []
        while taken < weight and idle and idle[0][0] <= now:
            entry = heapq.heappop(idle)
            used = min(entry[1], weight - taken)
            taken += used
            if entry[1] > used:
                heapq.heappush(idle, [entry[0], entry[1] - used])
            popped.append([entry[0], used])
        if taken < weight:
            for entry in popped:
                heapq.heappush(idle, entry)
            return False
        return True

    def _usable_at(self, weight: int) -> float:
        """When `weight` of the idle slots are usable (never: fewer are held, the rest are in flight)."""
        total = 0
        for at, n in sorted(self._idle):
            total += n
            if total >= weight:
                return at
        return math.inf

    def _busy(self, now: float) -> int:
        return self._in_flight + sum(n for at, n in self._idle if at > now)

    def _hold(self, amount: int, until: float) -> None:
        """`amount` of the idle slots (soonest usable first) are not usable before `until`."""
        held = []
        for at, n in sorted(self._idle):
            moved = min(amount, n) if at < until else 0
            amount -= moved
            held += [[at, n - moved]] * (n > moved) + [[until, moved]] * (moved > 0)
        self._idle = held
        heapq.heapify(self._idle)

    def _block(self, until: float) -> None:
        self._blocked = max(self._blocked, until)
        self._idle = [[max(at, until), n] for at, n in self._idle]
        heapq.heapify(self._idle)

    # --- the lease in the backend -------------------------------------------------------------------
    async def _exchange(self, *, active: bool, penalty: float = 0.0, unless=None) -> None:
        """One round trip with the backend; `unless()` true once this turn comes: another exchange did it."""
        async with self._exchanging:
            if unless is not None and unless():
                return
            sent = time.monotonic()
            handed, self._idle = self._idle, []
            ask = Ask(owner=self.owner, count=self.count, seconds=self.seconds, active=active, penalty=penalty,
                      idle=merged([max(at - sent, 0.0), n] for at, n in handed), in_flight=self._in_flight)
            try:
                answer = await self._slots.exchange(ask)
            except BaseException:
                self._idle = handed + self._idle  # nothing changed in the backend: still ours
                heapq.heapify(self._idle)
                raise
            received = time.monotonic()
            early = sent < self._due_at()
            # Times come back relative to the backend's clock, taken later than `sent`: counting them from
            # `received` only makes them later.
            self._idle += [[received + wait, n] for wait, n in answer.idle]
            heapq.heapify(self._idle)
            if answer.blocked > 0:
                self._block(received + answer.blocked)
            self._others_busy = answer.others_busy
            self._exchanged = sent
            # Left short while another owner holds slots: it hands back or shares at its own next exchange, so
            # look again just after that one, once, rather than a whole period from now.
            short = active and sum(n for _, n in self._idle) + self._in_flight < self.count
            self._retry_at = received + answer.retry + RETRY_AFTER_HOLDER if short and answer.retry >= 0 \
                and not early else math.inf
            self._fresh = not active
            self._changed.set()
            self._schedule()

    def _schedule(self) -> None:
        """While requests wait, look again a period after the last exchange (to keep a fair share); once none
        waits, hand back every slot not in flight soon, so that a run which has moved on, or died, holds only
        what is on the wire (each slot keeps the time it is usable again, for whoever takes it next)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not (self._idle or self._in_flight):
            return
        when = self._due_at()
        if self._idle and not self._gate.locked():
            when = min(when, max(self._last_use, self._exchanged) + min(IDLE_HAND_BACK, self.seconds))
        self._timer = asyncio.get_running_loop().call_later(max(when - time.monotonic(), 0.0), self._due)

    def _due(self) -> None:
        self._timer = None
        if self._background is None or self._background.done():
            self._background = asyncio.ensure_future(self._renew())

    async def _renew(self) -> None:
        if self._exchanging.locked():
            return  # an exchange is under way; it schedules the next
        waiting, now = self._gate.locked(), time.monotonic()
        if now < self._due_at() and (waiting or now < self._last_use + min(IDLE_HAND_BACK, self.seconds)):
            self._schedule()  # in use again since the hand-back was planned
            return
        # Requests waiting: keep the share (and take what is free). None: hand back every slot not in flight, so
        # a burst costs two exchanges (the next request claims again, at once).
        try:
            await self._exchange(active=waiting)
        except Exception:  # nobody waits on this one: the next exchange a request makes meets the failure
            self._schedule()


_WINDOWS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict]" = weakref.WeakKeyDictionary()


def shared_window(backend, key: str, count: int, seconds: float, *, counts_venue: bool = False) -> LeasedWindow:
    """This event loop's one window for `key` on `backend` (every pacer of the run that uses the key shares it)."""
    try:
        windows = _WINDOWS.setdefault(asyncio.get_running_loop(), {})
    except RuntimeError:  # no event loop yet: a window of its own
        windows = {}
    name = (backend.key, key, count, seconds)
    if name not in windows:
        windows[name] = LeasedWindow(backend.slots(key), count, seconds, counts_venue=counts_venue)
    return windows[name]


class Ticket:
    """What one request holds: its endpoint window's reservation and its share of the venue's weight budget."""

    __slots__ = ("window", "budget")

    def __init__(self, window: Reservation | None, budget: Reservation | None):
        self.window, self.budget = window, budget


class Pacer:
    """The windows of one venue account: its own endpoints keyed by its identity, public ones by venue host (per IP),
    and the venue's request-weight budget per IP (`budget`, e.g. "2400/1m", keyed by `budget_key`) when it has one.

    The windows live in the run's backend (files beside the locks by default, or a shared database).
    """

    def __init__(self, identity: str, limits: dict[str, str], overrides: dict[str, str] | None = None,
                 *, public: set[str] = frozenset(), public_key: str = "", directory=None, backend=None,
                 budget: str | None = None, budget_key: str = "", windows_counted: bool = False):
        if backend is None:
            from .backends.local import LocalBackend
            backend = LocalBackend(rates_directory=directory)
        merged = {**limits, **(overrides or {})}
        self._windows = {endpoint: backend.window(f"{public_key if endpoint in public else identity} {endpoint}",
                                                  *parse_limit(text), counts_venue=windows_counted)
                         for endpoint, text in merged.items()}
        self._budget = shared_window(backend, f"{budget_key} weight", *parse_limit(budget), counts_venue=True) \
            if budget else None
        self.on_wait = None  # callback(endpoint, seconds) for progress displays

    def limit(self, endpoint: str) -> tuple[int, float] | None:
        window = self._windows.get(endpoint)
        return (window.count, window.seconds) if window else None

    async def acquire(self, endpoint: str, weight: int = 1, max_hold: float | None = None) -> Ticket | None:
        """Slots for one request of `endpoint`; HeldOff when the venue's per-IP refusal (a ban) would keep it
        waiting longer than `max_hold` seconds."""
        window = self._windows.get(endpoint)
        if window is None and self._budget is None:
            return None
        notify = (lambda delay: self.on_wait(endpoint, delay)) if self.on_wait else None
        held = await window.acquire(1, notify) if window is not None else None
        try:
            spent = await self._budget.acquire(weight, notify, max_hold) if self._budget is not None else None
        except BaseException:
            if held is not None:
                await window.release(held)
            raise
        return Ticket(held, spent)

    async def release(self, endpoint: str, ticket: Ticket | None, venue_count: int | None = None,
                      window_count: int | None = None) -> None:
        """The answer came: `venue_count` is the venue's own count of the weight budget used, `window_count` of
        the endpoint's window (either None when the answer did not say)."""
        if ticket is None:
            return
        if ticket.window is not None:
            await self._windows[endpoint].release(ticket.window, window_count)
        if ticket.budget is not None:
            await self._budget.release(ticket.budget, venue_count)

    async def penalize(self, endpoint: str, *, window: bool = True, budget: bool = False,
                       retry_after: float | None = None, venue_counted: bool = False) -> None:
        """A rate-limit answer: the endpoint's window is spent for a period; with `budget` (an HTTP 429 or 418),
        the venue's weight budget per IP too, until `retry_after` seconds from now.

        Without a Retry-After (the venues document one; unconfirmed otherwise): when the answer gave the venue's
        own count of the weight used, that count is adopted as the answer is released and the budget is held
        for NO_RETRY_AFTER only; with neither, for a whole period, the safe reading."""
        endpoint_window = self._windows.get(endpoint) if window else None
        if endpoint_window is not None:
            await endpoint_window.penalize()
        if budget and self._budget is not None:
            await self._budget.penalize(retry_after or (NO_RETRY_AFTER if venue_counted else None))

    async def close(self) -> None:
        """The run ends: every window hands back what it holds."""
        for window in [*self._windows.values(), *([self._budget] if self._budget else [])]:
            await window.close()


_SHARED: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict]" = weakref.WeakKeyDictionary()


def shared_pacer(identity: str, limits: dict[str, str], overrides: dict[str, str] | None = None, *,
                 backend, **options) -> Pacer:
    """The one pacer of a venue account in this run (the windows behind it are shared across processes)."""
    pacers = _SHARED.setdefault(asyncio.get_running_loop(), {})
    key = (backend.key, identity)
    if key not in pacers:
        pacers[key] = Pacer(identity, limits, overrides, backend=backend, **options)
    return pacers[key]
