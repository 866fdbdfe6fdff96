"""Sends one venue's signed requests: paced per endpoint, signed as they leave the pacer, retried when safe, journaled."""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import re
import time
from collections import Counter
from urllib.parse import urlencode

from . import turns
from .backends.base import HeldOff
from .errors import ReconcilerError, VenueError
from .gate import outcome_state
from .outgoing import Outgoing
from .pacing import Pacer
from .plan import Call
from .together import together
from .transport import AiohttpTransport, Transport, TransportError

MAX_IN_FLIGHT = 16  # requests of one account on the wire at once (each is a connection; the pool holds 100)
MAX_ATTEMPTS = 5  # for answers that say nothing about load (5xx, dropped connections)
RATE_LIMIT_BUDGET = 60.0  # seconds a request may keep waiting out a venue's rate limit or busy answers
CLOCK_ALLOWANCE = 1.0  # seconds added to what the Date headers tell of this machine's clock being ahead
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9_\-./]*$")


def query_string(query: dict | None) -> str:
    """Keys sorted, values as given: the exact string that is both signed and sent."""
    if not query:
        return ""
    return urlencode(sorted((key, str(value)) for key, value in query.items() if value is not None),
                     safe=",")


class VenueClient:
    """One account's connection to one venue; the adapter supplies `sign` and `parse`."""

    def __init__(self, adapter, base_url: str, *, pacer: Pacer, transport: Transport | None = None,
                 journal=None, public_cache: dict | None = None, identity: str = ""):
        self.adapter = adapter
        self.base_url = base_url.rstrip("/")
        self.pacer = pacer
        self.transport = transport or AiohttpTransport()
        self.journal = journal
        self.sent = 0  # requests that went out, retries included
        self.sent_per_endpoint: Counter[str] = Counter()
        self.public_cache = {} if public_cache is None else public_cache  # shared by a run's clients
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._last_date: tuple[str | None, float] = (None, 0.0)  # the last Date header read, and its time
        self.clock_ahead = 0.0  # how far this machine's clock may run ahead of the venue's (from Date headers)
        self.identity = identity  # the venue account (see Adapter.identity): what the write gate keys moves by
        self.gate = None  # reconciler.gate.Gate, set for an apply: without one, no write leaves

    async def close(self) -> None:
        await self.transport.close()

    async def request(self, call: Call, *, signed: bool = True, retry_ambiguous: bool = True, optional: bool = False):
        """Send `call` and return the venue's data; VenueError when it refuses or cannot be reached.

        Rate-limit and busy answers (the venue's own code saying it did nothing) are retried for up to
        RATE_LIMIT_BUDGET seconds; unknown outcomes (5xx, timeouts, dropped connections, codes that do
        not say) only when `retry_ambiguous`, never for a margin move (see executor._move_margin).
        `optional` marks a read the adapter can do without; only the planner's reader looks at it.
        """
        self._check_endpoint(call)
        if not signed and call.method == "GET":  # public data is the same for every account: read it once a run
            key = (self.base_url, call.key())
            if key not in self.public_cache:
                self.public_cache[key] = asyncio.ensure_future(self._request(call, False, True))
            try:
                return await asyncio.shield(self.public_cache[key])
            except VenueError:
                self.public_cache.pop(key, None)
                raise
        return await self._request(call, signed, retry_ambiguous)

    async def request_all(self, calls: list[Call]) -> list:
        """Independent reads, sent as `request_each` sends them; their answers in the calls' order."""
        answers: list = [None] * len(calls)
        await _each(self, calls, answers.__setitem__)
        return answers

    async def request_each(self, calls: list[Call], take) -> None:
        """Independent reads, each answer handed to `take(call, data)` as it comes, so that thousands of them are
        never all waiting in memory, nor all their answers held at once: a few workers send them, a few more than
        can be on the wire. The first failure stops the others and is raised."""
        await _each(self, calls, lambda index, data: take(calls[index], data))

    async def _request(self, call: Call, signed: bool, retry_ambiguous: bool):
        started, attempt = time.monotonic(), 1
        while True:
            try:
                return await self._send_once(call, signed, attempt, retry_ambiguous)
            except VenueError as exc:
                if not exc.retriable or (exc.ambiguous and not retry_ambiguous) \
                        or _stop(exc, attempt, time.monotonic() - started):
                    raise
                await asyncio.sleep(_wait(exc, attempt))
            attempt += 1

    def _check_endpoint(self, call: Call) -> None:
        """Only the adapter's own endpoints, only below the account's base URL (defence in depth)."""
        if not _SAFE_PATH.match(call.path) or "//" in call.path or "/." in call.path \
                or call.endpoint not in self.adapter.rate_limits:
            raise ReconcilerError(f"account {self.adapter.account.name}: refusing to send {call.method} "
                                  f"{call.path[:80]!r}: not an endpoint the {self.adapter.venue} adapter uses")

    async def _send_once(self, call: Call, signed: bool, attempt: int, retry_ambiguous: bool = True):
        async with self._in_flight:  # what the limits allow at once, but never more open connections
            if call.method == "GET":  # a write goes first; many reads start over several turns of the loop
                await turns.share().start(ahead=not signed)
            try:
                ticket = await self.pacer.acquire(call.endpoint, self.adapter.request_weight(call), RATE_LIMIT_BUDGET)
            except HeldOff as held:  # a ban (this run's answer, or another run's through the backend): fail now
                until = time.strftime("%H:%M:%S", time.gmtime(time.time() + held.seconds))
                raise self._stamped(VenueError(self.adapter.venue, None, (
                    f"nothing is sent to {self.adapter.venue} from this machine's address until {until} UTC "
                    f"({held.seconds:.0f} s from now): it refused the address (its per-IP limit, or a ban), in this "
                    "run or another sharing its backend"), kind="business"), None) from None
            headers: dict[str, str] = {}  # the answer's, for the venue's own count of the weight used
            try:
                return await self._exchange(call, signed, attempt, retry_ambiguous, headers)
            finally:
                await self.pacer.release(call.endpoint, ticket, _count(headers, self.adapter.weight_header),
                                         _window_used(headers, self.adapter.window_headers))

    async def _exchange(self, call: Call, signed: bool, attempt: int, retry_ambiguous: bool = True,
                        headers: dict | None = None):
        """One request and its answer, journaled: intent before a write, outcome after.

        A write leaves only through the write gate (reconciler.gate), judged as it is about to be signed.
        """
        write = call.method != "GET"
        if write and self.gate is None:
            raise ReconcilerError(f"account {self.adapter.account.name}: refusing to send {call.method} {call.path}: "
                                  "no write gate (writes are sent only by an apply)")
        ticket = await self.gate.admit(self, call) if write else None
        qs = query_string(call.query)
        path = call.path + (f"?{qs}" if qs else "")
        body = json.dumps(call.body, separators=(",", ":")) if call.body is not None else None
        account, venue = self.adapter.account.name, self.adapter.venue
        if self.journal is not None and write:
            await self.journal.intent(account=account, venue=venue, call=call, attempt=attempt)
        # Signed as it leaves the pacer, so a long queue never sends an expired timestamp.
        outgoing = self.adapter.authorize(Outgoing(call.method, path, body or ""), signed)
        signed_at = time.time()
        if ticket is not None:
            await self.gate.sending(ticket, signed_at, self._expiry(signed_at))
        started = time.monotonic()
        status, code, error, failure = None, None, None, None
        try:
            self.sent += 1
            self.sent_per_endpoint[call.endpoint] += 1
            raw = await self.transport.send(outgoing.method, self.base_url + outgoing.path, outgoing.headers,
                                            outgoing.body if body is not None else None)
            status = raw.status
            if headers is not None:
                headers.update({name.lower(): value for name, value in raw.headers.items()})
            self._note_clock(raw.headers.get("Date"))
            data = self.adapter.parse(raw)
            code = self.adapter.success_code
            return data
        except VenueError as exc:
            code, error = exc.code, exc.message
            if exc.kind == "done":  # the venue's code says the setting already holds the value: nothing left to do
                error = None
                return None
            if exc.kind == "busy" and not retry_ambiguous:
                # A venue's "busy" or "system error" does not document that nothing was done: for a write that
                # must not be repeated (a margin move) it is an unknown outcome.
                exc.kind = "unknown"
            over_ip = status in self.adapter.ip_refusals  # the venue's budget per IP, where it has one
            if exc.kind == "rate_limit" or over_ip:  # the rest of the window is spent before any retry
                await self.pacer.penalize(call.endpoint, window=exc.kind == "rate_limit", budget=over_ip,
                                          retry_after=_count(headers or {}, "Retry-After")
                                          or self.adapter.ip_refusals.get(status),
                                          venue_counted=_count(headers or {}, self.adapter.weight_header) is not None)
            failure = self._stamped(exc, signed_at)
            raise failure from None
        except TransportError as exc:
            kind = "timeout" if exc.timeout else ("network" if exc.sent else "unreachable")
            error = str(exc)
            failure = self._stamped(VenueError(venue, None, error, kind=kind), signed_at)
            raise failure from None
        finally:
            if ticket is not None:
                await self.gate.answered(ticket, outcome_state(failure))
            if self.journal is not None:
                await self.journal.outcome(account=account, venue=venue, call=call, attempt=attempt, status=status,
                                           code=code, duration=time.monotonic() - started, error=error)

    def _stamped(self, exc: VenueError, signed_at: float) -> VenueError:
        exc.account = self.adapter.account.name
        exc.signed_at = signed_at
        return exc

    def _note_clock(self, date_header: str | None) -> None:
        if not date_header:
            return
        if date_header != self._last_date[0]:  # whole seconds: most answers repeat the last one, parsed once
            try:
                self._last_date = (date_header, email.utils.parsedate_to_datetime(date_header).timestamp())
            except (TypeError, ValueError):
                return
        self.clock_ahead = max(self.clock_ahead, time.time() - self._last_date[1] - 1.0)  # Date has whole seconds

    def expiry_of(self, exc: VenueError) -> float:
        """The wall-clock time after which the request that ended in `exc` can no longer be executed."""
        if getattr(exc, "settled", False):
            return 0.0  # the venue answered it: nothing of it is left to execute later
        return self._expiry(getattr(exc, "signed_at", None) or time.time())

    def _expiry(self, signed_at: float) -> float:
        return signed_at + self.adapter.request_lifetime + max(self.clock_ahead, 0.0) + CLOCK_ALLOWANCE

    async def outlive(self, exc: VenueError) -> None:
        """Wait until the request that ended in `exc` can no longer be executed by the venue."""
        delay = self.expiry_of(exc) - time.time()
        if delay > 0:
            await asyncio.sleep(delay)


async def _each(client, calls: list[Call], take) -> None:
    """`take(index, data)` for each of `calls` as its answer comes, sent through `client.request` (a wrapper's own,
    where a wrapper of the client calls it; see VenueClient.request_each)."""
    pending = iter(enumerate(calls))

    async def worker() -> None:
        for index, call in pending:  # one iterator shared by the workers: each call is sent once
            take(index, await client.request(call))

    await together(*(worker() for _ in range(min(len(calls), 2 * MAX_IN_FLIGHT))))  # none outlives this call


def _count(headers: dict, name: str | None) -> int | None:
    """A whole number an answer header gives (its name in any case), or None."""
    value = headers.get(name.lower()) if name else None
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def _window_used(headers: dict, names: tuple[str, str] | None) -> int | None:
    """How much of an endpoint's window the venue counts used, from its limit and remaining headers, or None."""
    limit, remaining = (_count(headers, name) for name in names) if names else (None, None)
    return limit - remaining if limit is not None and remaining is not None and limit >= remaining >= 0 else None


def _stop(exc: VenueError, attempt: int, seconds: float) -> bool:
    """No retry after `attempt` answers ending in `exc`, `seconds` after the first was sent."""
    if exc.kind in ("rate_limit", "busy"):  # a Retry-After past the budget: stop now
        return seconds + (exc.retry_after or 0.0) > RATE_LIMIT_BUDGET
    return attempt >= MAX_ATTEMPTS


def _wait(exc: VenueError, attempt: int) -> float:
    """Seconds before the next attempt: exponential backoff with jitter, or the venue's Retry-After if longer."""
    backoff = min(5.0, 0.2 * 2 ** (attempt - 1)) * random.uniform(1.0, 1.5)
    return max(backoff, exc.retry_after) if exc.retry_after else backoff
