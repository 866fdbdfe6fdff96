"""Fault suite: every kind of injected fault on every kind of write, for every venue, converges exactly.

For each venue the default scenario of its end-to-end tests is applied once without faults; its final
simulator state is the reference. Then, on a fresh simulator, one fault is injected on one write
endpoint and the apply must end in exactly that state: no setting missed, margin moved exactly once
(balances included), and the same exit code.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

VENUES = {"bitget": "test_bitget_e2e", "orderly": "test_orderly_e2e", "okx": "test_okx_e2e"}
KINDS = ("http_500", "timeout", "reset_before", "reset_after", "rate_limit", "busy")


def scenario(venue):
    return importlib.import_module(VENUES[venue])


@pytest.fixture(autouse=True)
def short_timeouts(monkeypatch):
    monkeypatch.setenv("RECONCILER_HTTP_TIMEOUT", "0.5")


_reference: dict = {}


def reference(venue, start_sim, cli, tmp_path):
    """(exit code, final state, write endpoints) of the fault-free apply, computed once per venue."""
    if venue not in _reference:
        module = scenario(venue)
        sim = start_sim(module.world())
        tmp_path.mkdir(parents=True, exist_ok=True)
        code, out, err = cli("apply", module.config(tmp_path, sim.url), "--auto-approve")
        assert code in (0, 3), out + err
        endpoints = sorted({(c["method"], c["path"]) for c in sim.calls(venue) if c["method"] != "GET"})
        _reference[venue] = (code, sim.state(venue), endpoints)
    return _reference[venue]


def cases():
    return [pytest.param(venue, kind, id=f"{venue}-{kind}") for venue in VENUES for kind in KINDS]


@pytest.mark.parametrize("venue,kind", cases())
def test_each_fault_on_each_write_converges_to_the_same_state(venue, kind, start_sim, cli, tmp_path):
    code, expected, endpoints = reference(venue, start_sim, cli, tmp_path / "reference")
    assert endpoints, "the scenario must write something"
    module = scenario(venue)
    for method, path in endpoints:
        sim = start_sim(module.world())
        sim.faults(venue, [{"method": method, "path": path, "kind": kind, "count": 1, "seconds": 1.5}])
        where = tmp_path / path.strip("/").replace("/", "_")
        where.mkdir()
        got, out, err = cli("apply", module.config(where, sim.url), "--auto-approve")
        assert got == code, f"{kind} on {method} {path}: exit {got}\n{out}{err}"
        assert sim.state(venue) == expected, f"{kind} on {method} {path} ended elsewhere"
        assert [f for f in sim.admin("GET", f"/__sim/{venue}/faults")] == [], "the fault was not hit"


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
