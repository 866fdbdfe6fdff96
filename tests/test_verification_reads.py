"""Verification after apply reads back only the symbols it wrote to, and still catches what did not happen."""

from __future__ import annotations

import json

import pytest

import test_bitget_e2e as bitget

IN_SYNC = {"DOGEUSDT": {"margin_mode": "cross", "leverage": 10},
           "XRPUSDT": {"margin_mode": "cross", "leverage": 10}}
ACCOUNT_READ = "/api/v2/mix/account/account"


@pytest.fixture
def sim(start_sim):
    return start_sim(bitget.world())


def reads_after_the_last_write(calls: list[dict]) -> list[dict]:
    last = max(i for i, c in enumerate(calls) if c["method"] == "POST")
    return [c for c in calls[last + 1:] if c["method"] == "GET"]


def test_only_the_symbols_written_to_are_read_again(sim, cli, tmp_path):
    desired = bitget.config(tmp_path, sim.url, settings={}, symbols={
        **IN_SYNC, "SOLUSDT": {"margin_mode": "cross", "leverage": 20},
        "BTCUSDT": {"margin_mode": "isolated"}})  # blocked by its open cross position: not written
    sim.clear_calls("bitget")
    code, out, err = cli("apply", desired, "--auto-approve", "--format", "json")
    assert code == 3, out + err  # BTCUSDT stays blocked
    calls = sim.calls("bitget")
    planned = [c["query"]["symbol"] for c in calls if c["path"] == ACCOUNT_READ]
    assert sorted(planned) == ["BTCUSDT", "DOGEUSDT", "SOLUSDT", "SOLUSDT", "XRPUSDT"]  # the plan, then one
    verifying = reads_after_the_last_write(calls)
    assert [c["query"]["symbol"] for c in verifying if c["path"] == ACCOUNT_READ] == ["SOLUSDT"]
    report = json.loads(out)
    assert {c["id"]: c["result"] for c in report["changes"]} == {
        "bg/SOLUSDT/leverage/cross": "applied", "bg/BTCUSDT/margin_mode": "blocked"}


def test_a_blocked_item_of_an_untouched_symbol_is_still_reported_after_apply(sim, cli, tmp_path):
    desired = bitget.config(tmp_path, sim.url, settings={}, symbols={
        "SOLUSDT": {"margin_mode": "cross", "leverage": 20}, "BTCUSDT": {"margin_mode": "isolated"}})
    code, out, err = cli("apply", desired, "--auto-approve")
    assert code == 3
    assert "Verified: 1 blocked and 0 conflicting items remain" in out


def test_an_apply_with_nothing_to_send_reads_nothing_again(sim, cli, tmp_path):
    desired = bitget.config(tmp_path, sim.url, settings={}, symbols=IN_SYNC)
    sim.clear_calls("bitget")
    code, out, err = cli("apply", desired, "--auto-approve")
    assert code == 0, out + err
    assert sorted(c["query"]["symbol"] for c in sim.calls("bitget") if c["path"] == ACCOUNT_READ) == [
        "DOGEUSDT", "XRPUSDT"]  # the plan's reads only


def test_a_write_the_venue_accepts_but_does_not_make_is_a_failure(sim, cli, tmp_path):
    desired = bitget.config(tmp_path, sim.url, settings={}, symbols={
        **IN_SYNC, "SOLUSDT": {"margin_mode": "cross", "leverage": 20}})
    sim.faults("bitget", [{"method": "POST", "path": "/api/v2/mix/account/set-leverage", "kind": "venue_error",
                           "status": 200, "code": "00000", "after": False}])  # "success", nothing done
    code, out, err = cli("apply", desired, "--auto-approve", "--format", "json")
    assert code == 1
    failed = {c["id"]: c for c in json.loads(out)["changes"]}["bg/SOLUSDT/leverage/cross"]
    assert failed["result"] == "failed"
    assert "the venue accepted the change but bg/SOLUSDT/leverage/cross still reads 10" in failed["message"]
    assert sim.state("bitget")["accounts"][0]["symbols"]["SOLUSDT"]["crossedMarginLeverage"] == "10"
