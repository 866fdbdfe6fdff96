"""The HTTP layer sends only to the account's own base URL, only the adapter's endpoints, follows no redirect."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

import test_bitget_e2e as bitget
import test_orderly_e2e as orderly
from conftest import write_yaml, writes
from reconciler.client import VenueClient
from reconciler.errors import ReconcilerError
from reconciler.pacing import Pacer
from reconciler.plan import Call
from reconciler.venues.bitget import BitgetAdapter


class RecordingTransport:
    """A transport that records what it is asked to send (nothing should be)."""

    def __init__(self):
        self.sent = []

    async def send(self, method, url, headers, body):
        self.sent.append(url)
        raise AssertionError("nothing should be sent")

    async def close(self):
        pass


@pytest.mark.parametrize("path", ["@127.0.0.1:19009/api/v2/mix/account/set-leverage",
                                  "/api/v2/mix/order/place-order", "/api/v2/spot/wallet/transfer",
                                  "//evil.example/api", "/api/v2/mix/../../admin", "/api/v2/mix/account/set-leverage?x=1",
                                  "/api/v2/mix/account/set-leverage#frag", "http://evil.example/"])
def test_the_client_refuses_paths_the_adapter_does_not_use(path, tmp_path, monkeypatch):
    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(tmp_path))
    spec = bitget_spec()
    transport = RecordingTransport()

    async def send():
        client = VenueClient(BitgetAdapter(spec, {}), "https://api.bitget.com",
                             pacer=Pacer("test", BitgetAdapter.rate_limits, directory=tmp_path), transport=transport)
        await client.request(Call("POST", path, body={"symbol": "BTCUSDT"}))

    with pytest.raises(ReconcilerError, match="not an endpoint the bitget adapter uses"):
        asyncio.run(send())
    assert transport.sent == []


def bitget_spec(**changes):
    from reconciler.model import AccountSpec
    return AccountSpec(name="bg", venue="bitget", environment="live", base_url=None, credentials={}, settings={},
                       symbols={}, options={"product_type": "USDT-FUTURES"}, **changes)


def test_live_and_demo_refuse_plain_http(cli, tmp_path, monkeypatch):
    for name in ("K", "S", "P"):
        monkeypatch.setenv(f"BG_{name}", "x")
    path = write_yaml(tmp_path / "desired.yaml", {"version": 1, "accounts": {"bg": {
        "venue": "bitget", "environment": "live", "base_url": "http://127.0.0.1:9/", "product_type": "USDT-FUTURES",
        "credentials": {"api_key": "${BG_K}", "secret": "${BG_S}", "passphrase": "${BG_P}"},
        "symbols": {"BTCUSDT": {"margin_mode": "cross", "leverage": 5}}}}})
    code, _, err = cli("plan", path)
    assert code == 1 and "accounts.bg.base_url: environment: live needs an https:// base_url" in err


def test_a_redirect_is_not_followed(start_sim, cli, tmp_path):
    other = start_sim(bitget.world())  # where a redirect would lead, with the same key
    seen = []

    async def redirect(request):
        seen.append(request.path)
        raise web.HTTPFound(other.url + request.path_qs)

    async def serve():
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", redirect)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, site._server.sockets[0].getsockname()[1]

    loop = asyncio.new_event_loop()
    runner, port = loop.run_until_complete(serve())
    import threading
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        code, out, err = cli("plan", bitget.config(tmp_path, f"http://127.0.0.1:{port}"))
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.run_until_complete(runner.cleanup())
        loop.close()
    assert code == 1 and "HTTP 302" in err, out + err
    assert seen and other.calls("bitget") == []


def test_a_wrong_account_in_the_file_sends_nothing_to_any_account(start_sim, cli, tmp_path):
    """One account names a symbol its venue does not list: the other account is not applied either."""
    sim = start_sim({**bitget.world(), **orderly.world()})
    good = bitget.config(tmp_path, sim.url)
    import yaml
    document = yaml.safe_load(good.read_text())
    wrong = yaml.safe_load(orderly.config(tmp_path, sim.url, symbols={"PERP_NOPE_USDC": {
        "margin_mode": "cross", "leverage": 5}}).read_text())
    document["accounts"].update(wrong["accounts"])
    path = write_yaml(tmp_path / "both.yaml", document)
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 1 and "PERP_NOPE_USDC" in err, out + err
    assert writes(sim.calls("bitget")) == [] and writes(sim.calls("orderly")) == []


def test_a_code_the_venue_table_calls_done_is_a_success_with_nothing_to_do(tmp_path, monkeypatch):
    """An answer whose code the adapter's error table maps to `done` (e.g. "no need to change margin type") is
    taken as success: the client returns no data and sends nothing again."""
    import json

    from reconciler.gate import Gate
    from reconciler.intents import LocalIntents
    from reconciler.model import AccountLive
    from reconciler.plan import Change, Plan
    from reconciler.transport import RawResponse

    class AnsweringTransport(RecordingTransport):
        async def send(self, method, url, headers, body):
            self.sent.append(url)
            return RawResponse(200, json.dumps({"code": "40872", "msg": "already in this mode", "data": None}), {})

    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(tmp_path))
    spec = bitget_spec()
    adapter = BitgetAdapter(spec, {"api_key": "k", "secret": "s", "passphrase": "p"})
    adapter.error_kinds = {**adapter.error_kinds, "40872": "done"}
    call = Call("POST", "/api/v2/mix/account/set-margin-mode",
                body={"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "marginCoin": "USDT", "marginMode": "crossed"})
    change = Change("bg/BTCUSDT/margin_mode", "bg", "bitget", "BTCUSDT", "margin_mode", None, None, "isolated",
                    "cross", calls=[call])
    call.effects = adapter.call_effects(call, [change], [change], AccountLive())
    plan = Plan(changes=[change], observed={}, accounts={"bg": {"venue": "bitget"}})
    intents = LocalIntents(tmp_path / "intents")

    transport = AnsweringTransport()

    async def send():
        client = VenueClient(adapter, "https://api.bitget.com", identity="bitget-test", transport=transport,
                             pacer=Pacer("test", BitgetAdapter.rate_limits, directory=tmp_path))
        client.gate = Gate(plan, None, intents, "run-1")
        return await client.request(call)

    assert asyncio.run(send()) is None
    assert transport.sent == ["https://api.bitget.com/api/v2/mix/account/set-margin-mode"]  # once: not retried


def test_a_large_answer_reads_as_the_same_text_however_its_bytes_arrive():
    """The transport decodes a body block by block as it arrives: characters split between blocks, and bytes that
    are not UTF-8 (kept as surrogates for the adapter to refuse), read as one decode of the whole body would."""
    from reconciler.transport import DECODE_BLOCK, AiohttpTransport
    body = ("é€😀" * (DECODE_BLOCK // 5)).encode() + b"\xff tail"  # two blocks; multibyte runs cross their edges

    async def stream(request):
        response = web.StreamResponse()
        await response.prepare(request)
        for start in range(0, len(body), 65_537):  # odd-sized pieces on the wire
            await response.write(body[start:start + 65_537])
        await response.write_eof()
        return response

    async def run():
        app = web.Application()
        app.router.add_get("/big", stream)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        transport = AiohttpTransport()
        try:
            return await transport.send("GET", f"http://127.0.0.1:{port}/big", {}, None)
        finally:
            await transport.close()
            await runner.cleanup()

    answer = asyncio.run(run())
    assert answer.status == 200
    assert len(body) > DECODE_BLOCK
    assert answer.text == body.decode("utf-8", errors="surrogateescape")
