"""Pluggable HTTP transports: the one small interface every venue client sends through."""

from __future__ import annotations

import codecs
import socket
import urllib.request
from dataclasses import dataclass
from typing import Protocol

DECODE_BLOCK = 4 * 2**20  # bytes of an answer decoded at a time


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

    def __init__(self, timeout: float = 10.0, on_answer=None):
        import aiohttp  # here, not at the top: validate and the adapters' parsing need no HTTP library
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._on_answer = on_answer  # callback(method) once each request has ended, for progress displays
        self._proxies: dict[str, str | None] = {}  # scheme://host -> its proxy, read from the environment once

    async def send(self, method, url, headers, body):
        import aiohttp
        from yarl import URL
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        host = _host(url)
        origin = "/".join(url.split("/", 3)[:3])  # scheme://host:port
        if origin not in self._proxies:  # the environment of a run does not change; reading it takes a while
            self._proxies[origin] = proxy_for(url)
        try:
            async with self._session.request(method, URL(url, encoded=True), headers=headers,
                                             data=body.encode() if body is not None else None,
                                             allow_redirects=False, proxy=self._proxies[origin]) as response:
                return RawResponse(response.status, await _text(response), dict(response.headers))
        except TimeoutError:
            raise TransportError(f"no answer from {host} within {self._timeout.total:g} s", sent=True,
                                 timeout=True) from None
        except aiohttp.ClientProxyConnectionError as exc:
            raise TransportError(f"cannot connect to the proxy {exc.host}:{exc.port} (for {host}): "
                                 f"{_reason(exc)}", sent=False) from None
        except aiohttp.ClientConnectorError as exc:
            raise TransportError(f"cannot connect to {host}: {_reason(exc)}", sent=False) from None
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientPayloadError) as exc:
            raise TransportError(f"{host} dropped the connection: {exc}", sent=True) from None
        except aiohttp.ClientResponseError as exc:  # e.g. a port that does not speak HTTP
            raise TransportError(f"the answer from {host} is not HTTP ({' '.join(str(exc.message).split())}); "
                                 "is base_url right?", sent=True) from None
        except (aiohttp.ClientError, ValueError) as exc:  # an address aiohttp cannot use
            raise TransportError(f"cannot send to {url.split('?')[0]}: {exc}", sent=False) from None
        finally:
            if self._on_answer is not None:
                self._on_answer(method)

    async def close(self):
        if self._session is not None:
            await self._session.close()
            self._session = None


async def _text(response) -> str:
    """The body as text, decoded as it arrives, so that a large answer (an instrument list of 60 MB) is never held
    whole as bytes and as text at once. Undecodable bytes survive as surrogates, for the adapter to refuse
    (Adapter.payload)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    text, pending, size = "", [], 0
    async for chunk in response.content.iter_any():
        pending.append(chunk)
        size += len(chunk)
        if size >= DECODE_BLOCK:  # in a few large steps: each step may copy what is decoded so far
            text += decoder.decode(b"".join(pending))  # CPython grows the one reference in place where it can
            pending, size = [], 0
    text += decoder.decode(b"".join(pending), final=True)  # (`return text + ...` would copy it all once more)
    return text


def proxy_for(url: str) -> str | None:
    """The proxy the environment names for `url` (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, any case), or None when
    there is none or NO_PROXY exempts its host. No ~/.netrc, so no header is added."""
    from yarl import URL
    parsed = URL(url)
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(parsed.scheme) or proxies.get("all")
    if not proxy or not parsed.host or urllib.request.proxy_bypass_environment(parsed.host, proxies):
        return None
    return proxy


def _host(url: str) -> str:
    """'www.okx.com', or 'host:port' when the URL names a port: what a network error names."""
    from yarl import URL
    try:
        parsed = URL(url)
    except ValueError:
        return url
    if not parsed.host:
        return url
    return f"{parsed.host}:{parsed.port}" if parsed.explicit_port else parsed.host


def _reason(exc) -> str:
    """Why a connection failed (an aiohttp.ClientConnectorError), in words: 'connection refused', 'the name
    does not resolve', ..."""
    import aiohttp

    error = exc.os_error
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror) or isinstance(exc, getattr(aiohttp, "ClientConnectorDNSError", ())):
        return "the name does not resolve (DNS)"
    if isinstance(error, TimeoutError):
        return "no connection within the timeout"
    return (getattr(error, "strerror", None) or str(error) or type(error).__name__).lower()
