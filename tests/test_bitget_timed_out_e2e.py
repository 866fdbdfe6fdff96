"""Bitget 40010 "Request timed out" on a margin move: an unknown outcome, waited out, read, never moved twice."""

from __future__ import annotations

import json

import pytest

import test_bitget_e2e as bitget

SET_MARGIN = "/api/v2/mix/account/set-margin"
LIFETIME = 2  # seconds a signed request stays valid at the simulator, and so for the reconciler


def world() -> dict:
    data = bitget.world()
    data["timestamp_windows"] = {"bitget": LIFETIME}
    return data


def desired(tmp_path, url):
    # ETHUSDT long holds 300 isolated at leverage 10 in the world: the move is +100, nothing else changes
    return bitget.config(tmp_path, url, request_lifetime=LIFETIME, symbols={"ETHUSDT": {
        "margin_mode": "isolated", "leverage": {"long": 10, "short": 10},
        "isolated_margin": {"long": 400, "short": 400}}})


@pytest.mark.parametrize("executed", [True, False], ids=["carried-out", "not-carried-out"])
def test_a_margin_move_answered_40010_is_sent_once_within_its_lifetime_and_ends_right(executed, start_sim, cli,
                                                                                       tmp_path):
    sim = start_sim(world())
    sim.faults("bitget", [{"method": "POST", "path": SET_MARGIN, "kind": "venue_error", "status": 400,
                           "code": "40010", "after": executed, "count": 1}])
    path = desired(tmp_path, sim.url)
    code, out, err = cli("apply", path, "--auto-approve")
    sim.admin("POST", "/__sim/bitget/settle")
    assert code == 0, out + err
    moves = [c for c in sim.calls("bitget") if c["path"] == SET_MARGIN]
    first, later = moves[0], moves[1:]
    assert first["code"] == "40010"
    # nothing more was sent for the position until the first request could no longer execute
    assert all(c["time"] - first["time"] >= LIFETIME for c in later), moves
    # then the margin was read and only what was missing sent: nothing when the first one was carried out
    assert [c["body"]["amount"] for c in later] == ([] if executed else ["100"])
    account = sim.state("bitget")["accounts"][0]
    eth = next(p for p in account["positions"] if p["symbol"] == "ETHUSDT")
    assert (eth["marginSize"], account["balances"]["USDT"]) == ("400", "99900")  # moved once
    code, out, err = cli("plan", path, "--format", "json")
    assert code == 0 and '"status": "change"' not in out, out + err


def test_40010_is_reported_as_an_unknown_outcome_not_a_refusal(start_sim, cli, tmp_path):
    """A read answered 40010 is retried (its outcome proves nothing), where a refusal would end the run."""
    sim = start_sim(world())
    sim.faults("bitget", [{"method": "GET", "path": "/api/v2/mix/position/all-position", "kind": "venue_error",
                           "status": 400, "code": "40010", "count": 1}])
    code, out, err = cli("plan", desired(tmp_path, sim.url), "--format", "json")
    assert code == 0, out + err
    margin = next(c for c in json.loads(out)["changes"] if c["field"] == "isolated_margin")
    assert (margin["from"], margin["to"]) == ("300", "400")
    reads = [c["code"] for c in sim.calls("bitget") if c["path"] == "/api/v2/mix/position/all-position"]
    assert reads == ["40010", "00000"]
