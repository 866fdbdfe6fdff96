"""Proxies on 127.0.0.1: a TCP one that adds a network's round-trip time, and an HTTP forward proxy that notes what passed."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit


class _LoopbackServer:
    """A TCP server on a free loopback port whose connections `stop` ends; subclasses serve each in `_serve`."""

    _server: asyncio.AbstractServer | None = None

    def __init__(self):
        self._connections: set[asyncio.Task] = set()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        if self._server:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()


class LatencyProxy(_LoopbackServer):
    """Forwards every connection to `upstream` (host, port), each byte `round_trip / 2` seconds late in
    each direction, and holds a new connection one round trip first (the TCP handshake). Bytes are
    delayed, not throttled: requests in flight overlap as they would on a real network."""

    def __init__(self, upstream: tuple[str, int], round_trip: float = 0.1):
        super().__init__()
        self.upstream, self.round_trip = upstream, round_trip


    async def _serve(self, client_reader, client_writer) -> None:
        self._connections.add(asyncio.current_task())
        try:
            await asyncio.sleep(self.round_trip)
            server_reader, server_writer = await asyncio.open_connection(*self.upstream)
            await asyncio.gather(self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer))
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            client_writer.close()
            self._connections.discard(asyncio.current_task())

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop, pending = asyncio.get_running_loop(), asyncio.Queue()

        async def deliver():
            while (item := await pending.get()) is not None:
                due, data = item
                await asyncio.sleep(max(0.0, due - loop.time()))
                writer.write(data)
                await writer.drain()
            with contextlib.suppress(OSError):
                writer.write_eof()

        delivering = asyncio.create_task(deliver())
        try:
            while data := await reader.read(65536):
                pending.put_nowait((loop.time() + self.round_trip / 2, data))
            pending.put_nowait(None)
            await delivering
        except ConnectionError:
            pass
        finally:
            delivering.cancel()


async def behind_latency(url: str, round_trip: float) -> tuple[str, LatencyProxy | None]:
    """(`url`, None) with no round trip; else (its URL, a started LatencyProxy in front of `url`): stop it after."""
    if not round_trip:
        return url, None
    host, port = url.removeprefix("http://").split(":")
    proxy = LatencyProxy((host, int(port)), round_trip)
    return await proxy.start(), proxy


class ForwardProxy(_LoopbackServer):
    """A plain-HTTP forward proxy (what HTTP_PROXY names): takes `GET http://host:port/path HTTP/1.1`, notes
    (method, URL) in `seen`, and forwards it to that host, one request per connection. CONNECT (https) is
    answered 501: the simulator speaks plain HTTP."""

    def __init__(self):
        super().__init__()
        self.seen: list[tuple[str, str]] = []


    async def _serve(self, client_reader, client_writer) -> None:
        self._connections.add(asyncio.current_task())
        try:
            head = (await client_reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            request_line, *header_lines = head.split("\r\n")
            method, target, version = request_line.split(" ", 2)
            address = urlsplit(target)
            if method == "CONNECT" or address.scheme != "http":
                client_writer.write(b"HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n\r\n")
                return
            self.seen.append((method, target))
            server_reader, server_writer = await asyncio.open_connection(address.hostname, address.port or 80)
            kept = [line for line in header_lines if line and line.split(":", 1)[0].strip().lower()
                    not in ("connection", "proxy-connection", "keep-alive")]
            path = (address.path or "/") + (f"?{address.query}" if address.query else "")
            server_writer.write("\r\n".join([f"{method} {path} {version}", *kept, "Connection: close", "", ""])
                                .encode("latin-1"))
            await asyncio.gather(_copy(client_reader, server_writer), _copy(server_reader, client_writer))
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError, ValueError):
            pass
        finally:
            client_writer.close()
            self._connections.discard(asyncio.current_task())


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        with contextlib.suppress(OSError):
            writer.close()
