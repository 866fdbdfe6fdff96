"""Faults on Binance's writes, end to end: each converges to the fault-free state, margin moved exactly once.

As tests/test_faults_e2e.py does for the other venues: the scenario of tests/test_binance_e2e.py is applied once
without faults; then, on a fresh simulator, one fault on one write endpoint, and the apply must end in the same
state with the same exit code. The faults answer in Binance's own envelope and codes; late deliveries execute
after the client gave up, within the request's recvWindow, or arrive after it and are refused.
"""

from __future__ import annotations

import pytest

import test_binance_e2e as binance
from test_faults_e2e import CLIENT_TIMEOUT, KINDS, WINDOW

MARGIN_WRITE = "/fapi/v1/positionMargin"
# Answers that do not say whether the request was executed (binance.md §2, §7), with an HTTP status each.
UNKNOWN_OUTCOMES = [(503, "-1007"), (500, "-1006"), (400, "-1000")]
CLOCKS = ("time", "updateTime")  # when the simulator saw a request: differs from run to run


@pytest.fixture(autouse=True)
def short_timeouts(monkeypatch):
    monkeypatch.setenv("RECONCILER_HTTP_TIMEOUT", str(CLIENT_TIMEOUT))


def world_of():
    world = binance.world()
    world["timestamp_windows"] = {"binance": WINDOW}
    return world


# The writes' windows in 1 s instead of 10 s (the same rate): a 429 spends the rest of a window before the retry.
FAST_WRITES = {f"POST /fapi/v1/{name}": "20/1s" for name in ("leverage", "marginType", "positionMargin")}


def config_of(where, url):
    return binance.config(where, url, request_lifetime=WINDOW, rate_limits=FAST_WRITES)


def without_clocks(value):
    if isinstance(value, dict):
        return {key: without_clocks(item) for key, item in value.items() if key not in CLOCKS}
    if isinstance(value, list):
        return [without_clocks(item) for item in value]
    return value


_reference: dict = {}


def reference(start_sim, cli, tmp_path):
    """(exit code, final state, write endpoints) of the fault-free apply, computed once."""
    if not _reference:
        sim = start_sim(world_of())
        tmp_path.mkdir(parents=True, exist_ok=True)
        code, out, err = cli("apply", config_of(tmp_path, sim.url), "--auto-approve")
        assert code == 3, out + err  # the blocked BTCUSDT margin type remains
        endpoints = sorted({(c["method"], c["path"]) for c in sim.calls("binance") if c["method"] != "GET"})
        _reference.update(code=code, state=without_clocks(sim.state("binance")), endpoints=endpoints)
    return _reference


def converges(fault, start_sim, cli, tmp_path, label):
    expected = reference(start_sim, cli, tmp_path / "reference")
    sim = start_sim(world_of())
    sim.faults("binance", [fault])
    where = tmp_path / label
    where.mkdir()
    got, out, err = cli("apply", config_of(where, sim.url), "--auto-approve")
    sim.admin("POST", "/__sim/binance/settle")  # let a delayed request arrive before looking
    assert got == expected["code"], f"{label}: exit {got}\n{out}{err}"
    assert without_clocks(sim.state("binance")) == expected["state"], f"{label} ended elsewhere\n{out}{err}"
    assert sim.admin("GET", "/__sim/binance/faults") == [], f"{label}: the fault was not hit"
    return sim


def executed_moves(sim) -> list[dict]:
    return [c for c in sim.calls("binance") if c["path"] == MARGIN_WRITE
            and (c["status"] == 200 or (c.get("venue_answer") or {}).get("status") == 200)]


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_fault_on_each_write_converges_to_the_same_state(kind, start_sim, cli, tmp_path):
    endpoints = reference(start_sim, cli, tmp_path / "reference")["endpoints"]
    assert ("POST", MARGIN_WRITE) in endpoints and ("POST", "/fapi/v1/marginType") in endpoints
    for method, path in endpoints:
        fault = {"method": method, "path": path, "kind": kind, "count": 1, **KINDS[kind]}
        sim = converges(fault, start_sim, cli, tmp_path, f"{kind}{path.replace('/', '_')}")
        assert len(executed_moves(sim)) == 1, sim.calls("binance")  # the margin moved once, whatever failed


@pytest.mark.parametrize("status,code", UNKNOWN_OUTCOMES, ids=[code for _, code in UNKNOWN_OUTCOMES])
@pytest.mark.parametrize("after", [True, False], ids=["executed", "not-executed"])
def test_a_margin_move_answered_with_an_unknown_outcome_moves_margin_once(status, code, after, start_sim, cli,
                                                                          tmp_path):
    fault = {"method": "POST", "path": MARGIN_WRITE, "kind": "venue_error", "status": status, "code": code,
             "after": after, "count": 1}
    sim = converges(fault, start_sim, cli, tmp_path, f"{code}-{after}")
    assert len(executed_moves(sim)) == 1, sim.calls("binance")


def test_a_late_margin_move_is_waited_out_before_anything_else_is_sent(start_sim, cli, tmp_path):
    """The move arrives after the client gave up, still inside its recvWindow, and executes; nothing more is sent
    for that position until the window has lapsed, then the margin is read and found at its target."""
    fault = {"method": "POST", "path": MARGIN_WRITE, "kind": "delay", "seconds": 1.0}
    sim = converges(fault, start_sim, cli, tmp_path, "late")
    margin = [c for c in sim.calls("binance") if c["path"] == MARGIN_WRITE]
    assert len(margin) == 1 and margin[0]["fault"] == "delay" and margin[0]["status"] == 200
    journal = (tmp_path / ".reconciler" / "journal.jsonl").read_text()
    assert '"event": "intent"' in journal and '"error": "no answer from ' in journal


def test_a_margin_move_delivered_after_its_recv_window_is_refused_and_sent_again_once(start_sim, cli, tmp_path):
    fault = {"method": "POST", "path": MARGIN_WRITE, "kind": "delay", "seconds": WINDOW + 1.0}
    sim = converges(fault, start_sim, cli, tmp_path, "lapsed")
    margin = [(c.get("fault"), c["status"], c["code"]) for c in sim.calls("binance") if c["path"] == MARGIN_WRITE]
    assert sorted(margin, key=str) == sorted([("delay", 400, "-1021"), (None, 200, "200")], key=str), margin


def test_a_run_killed_with_a_margin_move_in_flight_never_moves_it_twice(start_sim, tmp_path):
    """SIGKILL while Binance holds the move (inside a 10 s recvWindow); apply again at once: it waits the move out,
    reads, and sends nothing more for that position."""
    import subprocess
    import sys

    from test_write_gate import LONG_WINDOW, _environment, _kill_with_a_move_in_flight

    world = binance.world()
    world["timestamp_windows"] = {"binance": LONG_WINDOW}
    sim = start_sim(world)
    sim.faults("binance", [{"method": "POST", "path": MARGIN_WRITE, "kind": "delay", "seconds": 7}])
    path = binance.config(tmp_path, sim.url, request_lifetime=LONG_WINDOW)
    env = _environment(tmp_path / "locks")
    command = [sys.executable, "-m", "reconciler", "apply", str(path), "--auto-approve"]
    _kill_with_a_move_in_flight(command, tmp_path, env, tmp_path / "locks")
    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 3, again.stdout + again.stderr
    sim.admin("POST", "/__sim/binance/settle")
    moves = executed_moves(sim)
    assert len(moves) == 1 and moves[0].get("fault") == "delay", moves  # the killed run's move, once
    assert binance.position(sim, "ETHUSDT")["isolatedWallet"] == "400"
    assert binance.account_state(sim)["balances"]["USDT"] == "99900"
