"""Faults on Binance's margin moves that only Binance's recvWindow explains, through the shared fault harness.

The shared suite (test_faults_e2e) runs every fault kind on every write of the kit's scenario and Binance's
unknown-outcome codes (-1007, -1006, -1000); test_write_gate kills a run with a move in flight. Here: a late move
arrives inside its recvWindow and executes, or after it and is refused with -1021 and sent again once.
"""

from __future__ import annotations

from test_faults_e2e import WINDOW, converges, short_timeouts

FIXTURES = (short_timeouts,)  # found by pytest by its name
VENUE = "binance"
MARGIN_WRITE = "/fapi/v1/positionMargin"


def test_a_late_margin_move_is_waited_out_before_anything_else_is_sent(start_sim, cli, tmp_path):
    """The move arrives after the client gave up, still inside its recvWindow, and executes; nothing more is sent
    for that position until the window has lapsed, then the margin is read and found at its target."""
    fault = {"method": "POST", "path": MARGIN_WRITE, "kind": "delay", "seconds": 1.0}
    sim = converges(VENUE, fault, start_sim, cli, tmp_path, "late")
    margin = [c for c in sim.calls(VENUE) if c["path"] == MARGIN_WRITE]
    assert len(margin) == 1 and margin[0]["fault"] == "delay" and margin[0]["status"] == 200
    journal = (tmp_path / ".reconciler" / "journal.jsonl").read_text()
    assert '"event": "intent"' in journal and '"error": "no answer from ' in journal


def test_a_margin_move_delivered_after_its_recv_window_is_refused_and_sent_again_once(start_sim, cli, tmp_path):
    fault = {"method": "POST", "path": MARGIN_WRITE, "kind": "delay", "seconds": WINDOW + 1.0}
    sim = converges(VENUE, fault, start_sim, cli, tmp_path, "lapsed")
    margin = [(c.get("fault"), c["status"], c["code"]) for c in sim.calls(VENUE) if c["path"] == MARGIN_WRITE]
    assert sorted(margin, key=str) == sorted([("delay", 400, "-1021"), (None, 200, "200")], key=str), margin
