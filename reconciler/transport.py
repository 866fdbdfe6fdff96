"""Pluggable HTTP transports: the one small interface every venue client sends through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol



@dataclass
class RawResponse:
    status: int
    text: str
    headers: dict[str, str]


class TransportError(Exception):
    """No answer: the connection failed, dropped, or timed out."""

    def __init__(self, message: str, *, sent: bool, timeout: bool = False):
        super().__init__(message)
        self.sent = sent  # the request may have reached the venue
        self.timeout = timeout


class Transport(Protocol):
    async def send(self, method: str, url: str, headers: dict[str, str], body: str | None) -> RawResponse: ...

    async def close(self) -> None: ...


class AiohttpTransport:
    """Real HTTP with aiohttp; the URL is sent exactly as signed (no re-encoding), and no redirect is followed."""

    def __init__(self, timeout: float = 10.0):
        import aiohttp  # here, not at the top: validate and the adapters' parsing need no HTTP library
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def send(self, method, url, headers, body):
        import aiohttp
        from yarl import URL
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.request(method, URL(url, encoded=True), headers=headers,
                                             data=body.encode() if body is not None else None,
                                             allow_redirects=False) as response:
                # Undecodable bytes survive as surrogates, for the adapter to refuse (Adapter.payload).
                text = (await response.read()).decode("utf-8", errors="surrogateescape")
                return RawResponse(response.status, text, dict(response.headers))
        except TimeoutError:
            raise TransportError(f"no answer within {self._timeout.total:g} s", sent=True, timeout=True) from None
        except aiohttp.ClientConnectorError as exc:
            raise TransportError(f"cannot connect: {exc.os_error or exc}", sent=False) from None
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientPayloadError) as exc:
            raise TransportError(f"connection dropped: {exc}", sent=True) from None
        except aiohttp.ClientResponseError as exc:  # e.g. a port that does not speak HTTP
            raise TransportError(f"the answer is not HTTP ({' '.join(str(exc.message).split())}); "
                                 "is base_url right?", sent=True) from None
        except (aiohttp.ClientError, ValueError) as exc:  # an address aiohttp cannot use
            raise TransportError(f"cannot send to {url.split('?')[0]}: {exc}", sent=False) from None

    async def close(self):
        if self._session is not None:
            await self._session.close()
            self._session = None
