"""Sends one venue's signed requests: paced per endpoint, retried when safe, written to the journal."""

from __future__ import annotations

import json
import random
import time
from urllib.parse import urlencode

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from .errors import VenueError
from .pacing import Pacer
from .plan import Call
from .transport import AiohttpTransport, Transport, TransportError

MAX_ATTEMPTS = 5


def query_string(query: dict | None) -> str:
    """Keys sorted, values as given: the exact string that is both signed and sent."""
    if not query:
        return ""
    return urlencode(sorted((key, str(value)) for key, value in query.items() if value is not None),
                     safe=",")


class VenueClient:
    """One account's connection to one venue; the adapter supplies `sign` and `parse`."""

    def __init__(self, adapter, base_url: str, *, pacer: Pacer, transport: Transport | None = None,
                 journal=None):
        self.adapter = adapter
        self.base_url = base_url.rstrip("/")
        self.pacer = pacer
        self.transport = transport or AiohttpTransport()
        self.journal = journal
        self.sent = 0  # requests that went out, retries included

    async def close(self) -> None:
        await self.transport.close()

    async def request(self, call: Call, *, signed: bool = True, retry_ambiguous: bool = True):
        """Send `call` and return the venue's data; VenueError when it refuses or cannot be reached.

        Rate-limit and busy answers are always retried (the venue did nothing); server errors,
        timeouts and dropped connections only when `retry_ambiguous` (not for margin moves).
        """
        def retriable(exc: BaseException) -> bool:
            if not isinstance(exc, VenueError) or not exc.retriable:
                return False
            return retry_ambiguous or not exc.ambiguous

        retrying = AsyncRetrying(
            retry=retry_if_exception(retriable),
            wait=_wait_honouring_retry_after,
            stop=stop_after_attempt(MAX_ATTEMPTS),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._send_once(call, signed)

    async def _send_once(self, call: Call, signed: bool):
        qs = query_string(call.query)
        path = call.path + (f"?{qs}" if qs else "")
        body = json.dumps(call.body, separators=(",", ":")) if call.body is not None else None
        await self.pacer.acquire(call.endpoint)
        started = time.monotonic()
        status, code = None, None
        try:
            # Signed as it leaves the pacer: a long queue must not age the timestamp (or OKX's expTime).
            headers = self.adapter.sign(call.method, path, body or "") if signed else self.adapter.public_headers()
            self.sent += 1
            raw = await self.transport.send(call.method, self.base_url + path, headers, body)
            status = raw.status
            try:
                return self.adapter.parse(raw)
            except VenueError as exc:
                code = exc.code
                exc.account = self.adapter.account.name
                raise
        except TransportError as exc:
            kind = "timeout" if exc.timeout else ("network" if exc.sent else "unreachable")
            raise VenueError(self.adapter.venue, None, str(exc), kind=kind,
                             account=self.adapter.account.name) from None
        finally:
            await self.pacer.release(call.endpoint)
            if self.journal is not None:
                self.journal.write(account=self.adapter.account.name, venue=self.adapter.venue, call=call,
                                   status=status, code=code or (None if status is None else
                                                                self.adapter.success_code),
                                   duration=time.monotonic() - started)


def _wait_honouring_retry_after(retry_state) -> float:
    exc = retry_state.outcome.exception()
    backoff = min(5.0, 0.2 * 2 ** (retry_state.attempt_number - 1)) * random.uniform(1.0, 1.5)
    retry_after = getattr(exc, "retry_after", None)
    return max(backoff, retry_after) if retry_after else backoff
