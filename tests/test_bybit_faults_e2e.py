"""Faults on Bybit's writes in the scenario of test_bybit_e2e, through the shared fault harness (test_faults_e2e).

The shared suite runs every fault kind and Bybit's unknown-outcome codes on the kit's classic account; this
scenario (a unified account in isolated margin, a unified one switching to it, a classic one) writes on every
endpoint the adapter writes to, so every fault kind runs on each of them here too. A run killed with a move in
flight is test_write_gate's, for every venue.
"""

from __future__ import annotations

import pytest

import test_bybit_e2e as unified
from test_faults_e2e import KINDS, converges, reference, short_timeouts

FIXTURES = (short_timeouts,)  # found by pytest by its name
VENUE = "bybit"
ADD_MARGIN = "/v5/position/add-margin"


def moved_once(sim) -> list[dict]:
    """The margin moves Bybit executed; each position at most once."""
    executed = [c for c in sim.calls(VENUE) if c["path"] == ADD_MARGIN and (c["status"] == 200 and c["code"] == "0"
                                                                              or c.get("venue_answer"))]
    positions = [(c["account"], c["body"]["symbol"], c["body"]["positionIdx"]) for c in executed]
    assert len(positions) == len(set(positions)), f"a margin moved twice: {executed}"
    return executed


def test_the_scenario_writes_on_every_endpoint_the_adapter_writes_to(start_sim, cli, tmp_path):
    code, _, endpoints = reference(VENUE, start_sim, cli, tmp_path / "reference", unified)
    assert code == 0 and [path for _, path in endpoints] == sorted([
        "/v5/account/set-margin-mode", "/v5/position/switch-mode", "/v5/position/switch-isolated",
        "/v5/position/set-leverage", ADD_MARGIN])


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_fault_on_each_write_converges_to_the_same_state(kind, start_sim, cli, tmp_path):
    for method, path in reference(VENUE, start_sim, cli, tmp_path / "reference", unified)[2]:
        fault = {"method": method, "path": path, "kind": kind, "count": 1, **KINDS[kind]}
        sim = converges(VENUE, fault, start_sim, cli, tmp_path, f"{kind}{path.replace('/', '_')}", unified)
        assert len(moved_once(sim)) == 3  # three positions, each moved once, whatever failed


def test_a_late_margin_move_is_waited_out_before_the_margin_is_read_again(start_sim, cli, tmp_path):
    """The held request executes after the client gave up; nothing more is sent for that position until its
    recv_window has lapsed, then the margin is read and found there."""
    sim = converges(VENUE, {"method": "POST", "path": ADD_MARGIN, "kind": "delay", "seconds": 1.0}, start_sim, cli,
                    tmp_path, "late", unified)
    late = [c for c in moved_once(sim) if c.get("fault") == "delay"]
    assert len(late) == 1 and late[0]["code"] == "0"
    journal = (tmp_path / ".reconciler" / "journal.jsonl").read_text()  # the CLI runs in tmp_path
    assert '"event": "intent"' in journal and '"error": "no answer from ' in journal
