"""Hostile venue answers (wrong shape, not UTF-8, not JSON, not HTTP): exit 1, one line naming account and
endpoint, the other accounts still planned, and nothing written anywhere."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp import web

import test_bitget_e2e as bitget
from conftest import writes
from hostile.refusal import assert_refused
from kits import kit, venues_with_kits

VENUES = {venue: (kit(venue), kit(venue).ACCOUNT) for venue in venues_with_kits()}
READS = {venue: kit(venue).READS for venue in venues_with_kits()}
def wrong_shape(venue: str, data) -> bytes:
    return json.dumps(kit(venue).success(data)).encode()


# Each answer replaces the venue's answer to one read; `venue` lets it use the venue's own success envelope.
ANSWERS = {
    "data is text": lambda venue: wrong_shape(venue, "surprise"),
    "data is a number": lambda venue: wrong_shape(venue, 42),
    "rows of the wrong shape": lambda venue: wrong_shape(venue, [[1, 2], "x", None]),
    "not UTF-8": lambda venue: b'{"code": "\xff\xfe", "data": [\x80]}',
    "a JSON list": lambda venue: b"[1, 2, 3]",
}
EXTRA_ANSWERS = {
    "an HTML page": b"<html><body>Welcome to nginx</body></html>",
    "an empty body": b"",
    "truncated JSON": b'{"code": "00000", "data": [{"symbol": "BTC',
    "JSON nested a million deep": b"[" * 1_000_000 + b"]" * 1_000_000,
    "a number too large to hold": b'{"code": "00000", "data": 1e999999999}',
    "JSON in UTF-16": json.dumps({"code": "00000", "data": []}).encode("utf-16"),
    "JSON null": b"null",
}


class Tampering:
    """A proxy in front of the simulator that answers one path with a given body, in the simulator's loop."""

    def __init__(self, sim, path: str, body: bytes, status: int = 200):
        self.sim, self.path, self.body, self.status = sim, path, body, status
        self.url = sim._run(self._start())

    async def _start(self) -> str:
        self.session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

    async def _handle(self, request: web.Request) -> web.Response:
        if request.path == self.path:
            return web.Response(status=self.status, body=self.body, content_type="application/json")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with self.session.request(request.method, self.sim.url + request.path_qs, headers=headers,
                                        data=await request.read()) as answer:
            return web.Response(status=answer.status, body=await answer.read(),
                                content_type=answer.content_type)

    def stop(self) -> None:
        async def stop():
            await self.session.close()
            await self.runner.cleanup()
        self.sim._run(stop())


@pytest.fixture
def tamper(start_sim):
    proxies = []

    def start(venue: str, path: str, body: bytes):
        sim = start_sim(VENUES[venue][0].world())
        proxy = Tampering(sim, path, body)
        proxies.append(proxy)
        return sim, proxy

    yield start
    for proxy in proxies:
        proxy.stop()


CASES = [(venue, path, name) for venue, paths in READS.items() for path in paths for name in ANSWERS]


@pytest.mark.parametrize("venue,path,answer", CASES)
def test_a_malformed_answer_is_one_line_naming_account_and_endpoint(venue, path, answer, tamper, cli, tmp_path):
    module, account = VENUES[venue]
    sim, proxy = tamper(venue, path, ANSWERS[answer](venue))
    assert_refused(cli("plan", module.config(tmp_path, proxy.url)), f"{account} ({venue})", f"GET {path}", sims=[sim])


@pytest.mark.parametrize("answer", list(EXTRA_ANSWERS))
def test_an_answer_that_is_not_a_json_object_is_one_line(answer, tamper, cli, tmp_path):
    sim, proxy = tamper("bitget", "/api/v2/mix/account/account", EXTRA_ANSWERS[answer])
    assert_refused(cli("plan", bitget.config(tmp_path, proxy.url)), "bg (bitget)", "GET /api/v2/mix/account/account",
                   sims=[sim])


class NotHttp:
    """A TCP port that answers like an SSH server, or closes at once."""

    def __init__(self, sim, greeting: bytes):
        self.sim, self.greeting = sim, greeting
        self.url = sim._run(self._start())

    async def _start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _handle(self, reader, writer) -> None:
        writer.write(self.greeting)
        await writer.drain()
        writer.close()

    def stop(self) -> None:
        async def stop():
            self.server.close()
            await self.server.wait_closed()
        self.sim._run(stop())


@pytest.mark.parametrize("greeting", [b"SSH-2.0-OpenSSH_9.6\r\n", b"\x00\x01\x02\x03garbage\r\n\r\n",
                                      b"HTTP/1.1 999999999999 Nope\r\n\r\n"])
def test_a_port_that_does_not_speak_http_fails_its_account_only(greeting, start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    other = NotHttp(sim, greeting)
    try:
        path = bitget.config(tmp_path, sim.url)
        text = path.read_text()
        second = text.split("accounts:\n")[1].replace("  bg:", "  elsewhere:", 1).replace(sim.url, other.url)
        path.write_text(text + second)
        code, out, err = cli("plan", path)
    finally:
        other.stop()
    assert_refused((code, out, err), "elsewhere (bitget)")
    assert "bg (bitget)" in out and "~ SOLUSDT leverage (cross): 10 -> 20" in out  # the other account is planned
    assert "Could not read 1 account (elsewhere)" in out
    assert writes(sim.calls("bitget")) == []
