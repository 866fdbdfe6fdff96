"""Faults on every Bybit write converge to the fault-free state, margin moved once, late deliveries waited out.

The scenario of test_bybit_e2e (a unified account in isolated margin, a unified one switching to it, a classic
one) is applied once without faults; its final simulator state is the reference. Then one fault on one write
endpoint at a time, answered as Bybit answers (its envelope and codes), must end in exactly that state.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import test_bybit_e2e as bybit
from test_faults_e2e import CLIENT_TIMEOUT, KINDS, WINDOW
from test_write_gate import _environment, _kill_with_a_move_in_flight

VENUE = "bybit"
ADD_MARGIN = "/v5/position/add-margin"
# bybit.md 2: answers that do not say whether the request was executed (business errors come with HTTP 200)
UNKNOWN_OUTCOMES = [(200, "10000"), (200, "10016"), (200, "429"), (200, "-1"), (500, "10016")]


@pytest.fixture(autouse=True)
def short_timeouts(monkeypatch):
    monkeypatch.setenv("RECONCILER_HTTP_TIMEOUT", str(CLIENT_TIMEOUT))


def world(window=WINDOW):
    data = bybit.world()
    data["timestamp_windows"] = {VENUE: window}  # caps recv_window: a late request lapses after `window` s
    return data


_reference: dict = {}


def reference(start_sim, cli, tmp_path):
    """(exit code, final state, write endpoints) of the fault-free apply, computed once."""
    if not _reference:
        sim = start_sim(world())
        tmp_path.mkdir(parents=True, exist_ok=True)
        code, out, err = cli("apply", bybit.config(tmp_path, sim.url, request_lifetime=WINDOW), "--auto-approve")
        assert code == 0, out + err
        endpoints = sorted({(c["method"], c["path"]) for c in sim.calls(VENUE) if c["method"] != "GET"})
        _reference.update(code=code, state=sim.state(VENUE), endpoints=endpoints)
    return _reference


def converges(fault, start_sim, cli, tmp_path, label):
    expected = reference(start_sim, cli, tmp_path / "reference")
    sim = start_sim(world())
    sim.faults(VENUE, [fault])
    where = tmp_path / label
    where.mkdir()
    code, out, err = cli("apply", bybit.config(where, sim.url, request_lifetime=WINDOW), "--auto-approve")
    sim.admin("POST", f"/__sim/{VENUE}/settle")  # let a delayed request arrive before looking
    assert code == expected["code"], f"{label}: exit {code}\n{out}{err}"
    assert sim.state(VENUE) == expected["state"], f"{label} ended elsewhere\n{out}{err}"
    assert sim.admin("GET", f"/__sim/{VENUE}/faults") == [], f"{label}: the fault was not hit"
    return sim


def moved_once(sim) -> list[dict]:
    """The margin moves Bybit executed; each position at most once."""
    executed = [c for c in sim.calls(VENUE) if c["path"] == ADD_MARGIN and (c["status"] == 200 and c["code"] == "0"
                                                                              or c.get("venue_answer"))]
    positions = [(c["account"], c["body"]["symbol"], c["body"]["positionIdx"]) for c in executed]
    assert len(positions) == len(set(positions)), f"a margin moved twice: {executed}"
    return executed


def test_the_scenario_writes_on_every_endpoint_the_adapter_writes_to(start_sim, cli, tmp_path):
    assert [path for _, path in reference(start_sim, cli, tmp_path / "reference")["endpoints"]] == sorted([
        "/v5/account/set-margin-mode", "/v5/position/switch-mode", "/v5/position/switch-isolated",
        "/v5/position/set-leverage", ADD_MARGIN])


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_fault_on_each_write_converges_to_the_same_state(kind, start_sim, cli, tmp_path):
    for method, path in reference(start_sim, cli, tmp_path / "reference")["endpoints"]:
        fault = {"method": method, "path": path, "kind": kind, "count": 1, **KINDS[kind]}
        sim = converges(fault, start_sim, cli, tmp_path, f"{kind}{path.replace('/', '_')}")
        moved_once(sim)


@pytest.mark.parametrize("status, code", UNKNOWN_OUTCOMES)
@pytest.mark.parametrize("after", [True, False], ids=["executed", "not-executed"])
def test_a_margin_move_answered_with_an_unknown_outcome_moves_margin_once(status, code, after, start_sim, cli,
                                                                          tmp_path):
    fault = {"method": "POST", "path": ADD_MARGIN, "kind": "venue_error", "status": status, "code": code,
             "after": after, "count": 1}
    sim = converges(fault, start_sim, cli, tmp_path, f"{code}-{after}")
    assert len(moved_once(sim)) == 3  # three positions, each moved once, although one answer said nothing


def test_a_late_margin_move_is_waited_out_before_the_margin_is_read_again(start_sim, cli, tmp_path):
    """The held request executes after the client gave up; nothing more is sent for that position until its
    recv_window has lapsed, then the margin is read and found there."""
    sim = converges({"method": "POST", "path": ADD_MARGIN, "kind": "delay", "seconds": 1.0}, start_sim, cli,
                    tmp_path, "late")
    late = [c for c in moved_once(sim) if c.get("fault") == "delay"]
    assert len(late) == 1 and late[0]["code"] == "0"
    journal = (tmp_path / ".reconciler" / "journal.jsonl").read_text()  # the CLI runs in tmp_path
    assert '"event": "intent"' in journal and '"error": "no answer from ' in journal


def test_a_run_killed_with_a_margin_move_in_flight_never_moves_it_twice(start_sim, tmp_path):
    """SIGKILL while Bybit holds the move (valid for 10 s); apply again at once: it waits the move out, reads,
    and sends nothing more for that position."""
    sim = start_sim(world(window=10))
    sim.faults(VENUE, [{"method": "POST", "path": ADD_MARGIN, "kind": "delay", "seconds": 7}])
    path = bybit.config(tmp_path, sim.url, request_lifetime=10)
    env = _environment(tmp_path / "locks")
    command = [sys.executable, "-m", "reconciler", "apply", str(path), "--auto-approve"]
    _kill_with_a_move_in_flight(command, tmp_path, env, tmp_path / "locks")
    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    sim.admin("POST", f"/__sim/{VENUE}/settle")
    executed = moved_once(sim)
    assert [c.get("fault") for c in executed].count("delay") == 1
    plan = subprocess.run([sys.executable, "-m", "reconciler", "plan", str(path), "--detailed-exitcode"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert plan.returncode == 0, plan.stdout + plan.stderr
