"""The network as a user meets it: every connection error names the venue's host, and the environment's proxies
(HTTP_PROXY, HTTPS_PROXY, NO_PROXY) are used, checked with a forward proxy on 127.0.0.1 that notes what it saw."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from bench.proxy import ForwardProxy
from conftest import writes
from test_honest_checks import account, world
from test_bitget_e2e import KEY
from conftest import write_yaml


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def proxy():
    """A ForwardProxy in its own thread and event loop: (its URL, the proxy)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    forward = ForwardProxy()
    url = asyncio.run_coroutine_threadsafe(forward.start(), loop).result(timeout=10)
    yield url, forward
    asyncio.run_coroutine_threadsafe(forward.stop(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()


@pytest.fixture
def no_proxies(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def desired(tmp_path, url):
    return write_yaml(tmp_path / "desired.yaml", {"version": 1, "accounts": {"bg": account(url, KEY, {
        "BTCUSDT": {"margin_mode": "cross", "leverage": 20}})}})


def test_an_unreachable_venue_is_named_with_its_host(cli, tmp_path, no_proxies):
    port = closed_port()
    code, out, err = cli("plan", desired(tmp_path, f"http://127.0.0.1:{port}"))
    assert code == 1
    line = next(line for line in err.splitlines() if line.startswith("error: "))
    assert "bg (bitget)" in line and f"cannot connect to 127.0.0.1:{port}: connection refused" in line
    assert "Traceback" not in err and "Errno" not in err


def test_a_plan_and_an_apply_go_through_the_proxy_the_environment_names(start_sim, cli, tmp_path, proxy,
                                                                        monkeypatch, no_proxies):
    sim = start_sim(world())
    proxy_url, forward = proxy
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    code, out, err = cli("apply", desired(tmp_path, sim.url), "--auto-approve")
    assert code == 0, out + err
    through = [(method, url) for method, url in forward.seen if "/api/v2/" in url]
    assert ("GET", f"{sim.url}/api/v2/mix/market/contracts?productType=USDT-FUTURES") in through
    assert ("POST", f"{sim.url}/api/v2/mix/account/set-leverage") in through
    assert len(writes(sim.calls("bitget"))) == 1  # the simulator saw it, and the signature held

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    forward.seen.clear()
    code, out, err = cli("plan", desired(tmp_path, sim.url), "--detailed-exitcode")
    assert code == 0, out + err  # read directly: the proxy saw nothing
    assert forward.seen == []


def test_a_proxy_that_cannot_be_reached_is_named_with_the_venue_host(start_sim, cli, tmp_path, monkeypatch,
                                                                     no_proxies):
    sim = start_sim(world())
    path = desired(tmp_path, sim.url)
    port = closed_port()
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{port}")
    code, out, err = cli("plan", path)
    assert code == 1
    host = sim.url.removeprefix("http://")
    assert f"cannot connect to the proxy 127.0.0.1:{port} (for {host}): connection refused" in err


@pytest.mark.parametrize("os_error,words", [(ConnectionRefusedError(111, "refused"), "connection refused"),
                                            (socket.gaierror(-2, "Name or service not known"), "does not resolve"),
                                            (TimeoutError(), "no connection within the timeout"),
                                            (OSError(113, "No route to host"), "no route to host")])
def test_every_connection_failure_is_said_in_words(os_error, words):
    """Each kind of failed connection names its reason (a DNS failure once raised NameError: internal error)."""
    import aiohttp

    from reconciler.transport import _reason

    class Key:
        host, port, ssl = "www.okx.com", 443, True

    assert words in _reason(aiohttp.ClientConnectorError(Key(), os_error))
