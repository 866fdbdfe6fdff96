"""Fault suite: every kind of fault on every kind of write, for every venue, converges exactly, margin moved once.

For each venue the default scenario of its end-to-end tests is applied once without faults; its final
simulator state is the reference. Then, on a fresh simulator, one fault is injected on one write
endpoint and the apply must end in exactly that state: no setting missed, margin moved exactly once
(balances included), and the same exit code. The faults answer as the venue does: its own envelope and
codes, late deliveries that execute after the client gave up, timestamps that lapse.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from kits import kit, venues_with_kits

VENUES = venues_with_kits()
CLIENT_TIMEOUT = 0.5
WINDOW = 2  # seconds a signed request stays valid at the simulator (and so for the reconciler)
KINDS = {
    "http_500": {},
    "timeout": {"seconds": 1.5},
    "reset_before": {},
    "reset_after": {},
    "rate_limit": {},
    "busy": {},
    "late_delivery": {"kind": "delay", "seconds": 1.0},  # arrives after the client gave up, inside the window
    "lapsed_delivery": {"kind": "delay", "seconds": WINDOW + 1.0},  # arrives when its signature has lapsed
}
# Venue answers that do not say whether the request was executed, in the venue's own envelope.
UNKNOWN_OUTCOMES = {venue: kit(venue).UNKNOWN_OUTCOMES for venue in VENUES}
MARGIN_WRITES = {venue: kit(venue).MARGIN_WRITE for venue in VENUES}


def scenario(venue, source=None):
    """Where the scenario's world and file come from: the venue's kit, or another module with world() and config()."""
    return source or kit(venue)


@pytest.fixture(autouse=True)
def short_timeouts(monkeypatch):
    monkeypatch.setenv("RECONCILER_HTTP_TIMEOUT", str(CLIENT_TIMEOUT))


def world_of(venue, source=None):
    world = scenario(venue, source).world()
    world["timestamp_windows"] = {venue: WINDOW}
    return world


def config_of(venue, where, url, source=None):
    return scenario(venue, source).config(where, url, request_lifetime=WINDOW)


_reference: dict = {}


def reference(venue, start_sim, cli, tmp_path, source=None):
    """(exit code, final state, write endpoints) of the fault-free apply, computed once per venue and scenario."""
    key = (venue, scenario(venue, source).__name__)
    if key not in _reference:
        sim = start_sim(world_of(venue, source))
        tmp_path.mkdir(parents=True, exist_ok=True)
        code, out, err = cli("apply", config_of(venue, tmp_path, sim.url, source), "--auto-approve")
        assert code in (0, 3), out + err
        endpoints = sorted({(c["method"], c["path"]) for c in sim.calls(venue) if c["method"] != "GET"})
        _reference[key] = (code, settled_state(sim, venue), endpoints)
    return _reference[key]


def settled_state(sim, venue):
    """The simulator's state without the fields that say when it saw a request (they differ from run to run)."""
    def without(value):
        if isinstance(value, dict):
            return {key: without(item) for key, item in value.items() if key not in kit(venue).STATE_CLOCKS}
        return [without(item) for item in value] if isinstance(value, list) else value
    return without(sim.state(venue))


def converges(venue, fault, start_sim, cli, tmp_path, label, source=None):
    """Apply the scenario with one fault on a fresh simulator: the same exit code and end state as without it."""
    code, expected, _ = reference(venue, start_sim, cli, tmp_path / "reference", source)
    sim = start_sim(world_of(venue, source))
    sim.faults(venue, [fault])
    where = tmp_path / label
    where.mkdir()
    got, out, err = cli("apply", config_of(venue, where, sim.url, source), "--auto-approve")
    sim.admin("POST", f"/__sim/{venue}/settle")  # let any delayed request arrive before looking
    assert got == code, f"{label}: exit {got}\n{out}{err}"
    assert settled_state(sim, venue) == expected, f"{label} ended elsewhere\n{out}{err}"
    assert sim.admin("GET", f"/__sim/{venue}/faults") == [], f"{label}: the fault was not hit"
    return sim


def cases():
    return [pytest.param(venue, kind, id=f"{venue}-{kind}") for venue in VENUES for kind in KINDS]


@pytest.mark.parametrize("venue,kind", cases())
def test_each_fault_on_each_write_converges_to_the_same_state(venue, kind, start_sim, cli, tmp_path):
    _, _, endpoints = reference(venue, start_sim, cli, tmp_path / "reference")
    assert endpoints, "the scenario must write something"
    for method, path in endpoints:
        fault = {"method": method, "path": path, "kind": kind, "count": 1, **KINDS[kind]}
        converges(venue, fault, start_sim, cli, tmp_path, f"{kind}{path.replace('/', '_')}")


def unknown_cases():
    return [pytest.param(venue, status, code, after, id=f"{venue}-{code}-{'after' if after else 'before'}")
            for venue, codes in UNKNOWN_OUTCOMES.items() for status, code in codes for after in (True, False)]


@pytest.mark.parametrize("venue,status,code,after", unknown_cases())
def test_a_margin_move_answered_with_an_unknown_outcome_code_moves_margin_once(venue, status, code, after,
                                                                                start_sim, cli, tmp_path):
    fault = {"method": "POST", "path": MARGIN_WRITES[venue], "kind": "venue_error", "status": status,
             "code": code, "after": after, "count": 1}
    sim = converges(venue, fault, start_sim, cli, tmp_path, f"{code}-{after}")
    margin_writes = [c for c in sim.calls(venue) if c["path"] == MARGIN_WRITES[venue]]
    # executed: answered without a fault, or carried out before a fault replaced its answer (some venues answer
    # their refusals with HTTP 200 too, so a faulted 200 proves nothing)
    executed = [c for c in margin_writes if c.get("venue_answer") or (c["status"] == 200 and not c.get("fault"))]
    positions = [kit(venue).moved_position(c) for c in executed]
    assert len(positions) == len(set(positions)), f"a margin moved twice: {margin_writes}"


def test_a_late_margin_move_is_waited_out_before_anything_else_is_sent(start_sim, cli, tmp_path):
    """The late request executes after the client gave up; the reconciler sends nothing more for that
    position until its signature has lapsed, then reads, and finds nothing missing."""
    venue = "bitget"
    converges(venue, {"method": "POST", "path": MARGIN_WRITES[venue], "kind": "delay", "seconds": 1.0},
              start_sim, cli, tmp_path, "late")
    sim = start_sim(world_of(venue))
    sim.faults(venue, [{"method": "POST", "path": MARGIN_WRITES[venue], "kind": "delay", "seconds": 1.0}])
    cli("apply", config_of(venue, tmp_path, sim.url), "--auto-approve")
    sim.admin("POST", f"/__sim/{venue}/settle")
    margin = [c for c in sim.calls(venue) if c["path"] == MARGIN_WRITES[venue]]
    assert len(margin) == 1 and margin[0]["fault"] == "delay" and margin[0]["status"] == 200
    journal = (tmp_path / ".reconciler" / "journal.jsonl").read_text()
    assert '"event": "intent"' in journal and '"error": "no answer from ' in journal


def test_an_apply_killed_half_way_converges_when_run_again(start_sim, tmp_path):
    """SIGKILL in the middle of a paced apply, then apply again: the file's state, margin moved once."""
    module = scenario("bitget")
    world = module.world()
    slow = {"POST /api/v2/mix/account/set-leverage": "1/1s", "POST /api/v2/mix/account/set-margin-mode": "1/1s",
            "POST /api/v2/mix/account/set-margin": "1/1s"}
    world["rate_limits"] = slow
    sim = start_sim(world)
    path = module.config(tmp_path, sim.url, rate_limits=slow)
    env = {**os.environ, "RECONCILER_LOCK_DIR": str(tmp_path / "locks")}
    command = [sys.executable, "-m", "reconciler", "apply", str(path), "--auto-approve"]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not [c for c in sim.calls("bitget") if c["method"] == "POST"]:
        assert time.monotonic() < deadline and process.poll() is None, "apply never started writing"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    first_writes = len([c for c in sim.calls("bitget") if c["method"] == "POST"])
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stdout + done.stderr
    state = sim.state("bitget")["accounts"][0]
    assert next(p for p in state["positions"] if p["symbol"] == "ETHUSDT")["marginSize"] == "400"
    assert state["balances"]["USDT"] == "99900"  # 100 moved into the position, once
    assert first_writes < 5  # it really was killed half-way
    again = subprocess.run([sys.executable, "-m", "reconciler", "plan", str(path), "--format", "json"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert '"status": "change"' not in again.stdout
