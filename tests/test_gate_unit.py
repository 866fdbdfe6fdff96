"""The write gate alone: hostile calls it must refuse (not reviewed, moved the other way, past the bound, another
position, a denied effect, a closed window, an earlier move still able to execute), with nothing recorded."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from reconciler.gate import EarlierMovePending, Gate, GateRefusal
from reconciler.intents import Intent, LocalIntents
from reconciler.model import AccountSpec
from reconciler.plan import Call, Change, Plan
from reconciler.policy import windows
from reconciler.policy.load import from_block
from reconciler.venues.okx import OkxAdapter

MOVE = "/api/v5/account/position/margin-balance"


class FakeClient:
    def __init__(self):
        spec = AccountSpec(name="ox", venue="okx", environment="live", base_url=None, credentials={}, settings={},
                           symbols={})
        self.adapter = OkxAdapter(spec, {"api_key": "k"})
        self.identity = "okx-test"


def _plan(move_bound=None) -> tuple[Plan, FakeClient]:
    client = FakeClient()
    leverage = Change("ox/ETH-USDT-SWAP/leverage/isolated/long", "ox", "okx", "ETH-USDT-SWAP", "leverage", "long",
                      "isolated", "10", "20")
    leverage.calls = [Call("POST", "/api/v5/account/set-leverage",
                           body={"instId": "ETH-USDT-SWAP", "lever": "20", "mgnMode": "isolated", "posSide": "long"},
                           effects=[{"symbol": "ETH-USDT-SWAP", "field": "leverage", "margin_mode": "isolated",
                                     "side": "long", "value": "20"}])]
    margin = Change("ox/ETH-USDT-SWAP/isolated_margin/long", "ox", "okx", "ETH-USDT-SWAP", "isolated_margin", "long",
                    None, "300", "400", depends_on=[leverage.id], move_bound=move_bound)
    margin.calls = [client.adapter.margin_call("ETH-USDT-SWAP", "long", Decimal(100))]
    return Plan(changes=[leverage, margin], observed={}), client


def _policy(block: dict):
    policy, problems = from_block(block, {}, "policy.yaml")
    assert not problems
    return policy


def admit(gate, client, call):
    return asyncio.run(gate.admit(client, call))


def margin(client, amount, symbol="ETH-USDT-SWAP", side="long"):
    call = client.adapter.margin_call(symbol, side, Decimal(amount))
    call.read_at = time.time()
    return call


HOSTILE_CALLS = {
    "a leverage the plan does not have": lambda c: Call("POST", "/api/v5/account/set-leverage", body={
        "instId": "ETH-USDT-SWAP", "lever": "100", "mgnMode": "isolated", "posSide": "long"}),
    "another instrument's leverage": lambda c: Call("POST", "/api/v5/account/set-leverage", body={
        "instId": "BTC-USDT-SWAP", "lever": "20", "mgnMode": "isolated", "posSide": "long"}),
    "the reviewed leverage on the other side": lambda c: Call("POST", "/api/v5/account/set-leverage", body={
        "instId": "ETH-USDT-SWAP", "lever": "20", "mgnMode": "isolated", "posSide": "short"}),
    "an account setting nobody reviewed": lambda c: Call("POST", "/api/v5/account/set-position-mode",
                                                          body={"posMode": "net_mode"}),
    "more margin than reviewed": lambda c: margin(c, 101),
    "margin the other way": lambda c: margin(c, -100),
    "margin on another position": lambda c: margin(c, 100, side="short"),
    "margin on another instrument": lambda c: margin(c, 100, symbol="BTC-USDT-SWAP"),
    "a margin move with a currency added": lambda c: Call("POST", MOVE, body={
        "instId": "ETH-USDT-SWAP", "posSide": "long", "type": "add", "amt": "100", "ccy": "BTC"}),
}


@pytest.mark.parametrize("name", list(HOSTILE_CALLS))
def test_a_call_that_is_not_the_reviewed_one_is_refused(name, tmp_path):
    plan, client = _plan()
    gate = Gate(plan, None, LocalIntents(tmp_path), "run-1")
    with pytest.raises(GateRefusal) as refused:
        admit(gate, client, HOSTILE_CALLS[name](client))
    assert refused.value.rule is None and "not sent" in str(refused.value)
    assert not list(tmp_path.iterdir())  # nothing recorded, so nothing was about to be sent


@pytest.mark.parametrize("amount,allowed", [("100", True), ("130", True), ("-50", True), ("194", False),
                                            ("-194", False), ("1000", False)])
def test_a_move_known_at_send_time_stays_within_its_bound(amount, allowed, tmp_path):
    plan, client = _plan(move_bound="193.93")
    gate = Gate(plan, None, LocalIntents(tmp_path), "run-1")
    if allowed:
        assert admit(gate, client, margin(client, amount)).intent.move == amount
    else:
        with pytest.raises(GateRefusal, match="beyond the bound"):
            admit(gate, client, margin(client, amount))


@pytest.mark.parametrize("block,amount", [
    ({"max_margin_move": 99}, "100"),
    ({"max_margin_move": 120}, "130"),
    ({"max_margin_moved": 50}, "100"),
    ({"allowed_margin_modes": ["cross"]}, "100"),
    ({"venues": {"okx": {"max_margin_move": {"ETH-*": 10}}}}, "100"),
])
def test_a_margin_move_is_judged_by_its_amount_at_send_time(block, amount, tmp_path):
    plan, client = _plan(move_bound="193.93")
    gate = Gate(plan, _policy(block), LocalIntents(tmp_path), "run-1")
    with pytest.raises(GateRefusal) as refused:
        admit(gate, client, margin(client, amount))
    assert refused.value.rule in ("max_margin_move", "max_margin_moved", "allowed_margin_modes")


@pytest.mark.parametrize("block", [{"max_leverage": 19}, {"min_leverage": 21},
                                   {"allowed_margin_modes": ["cross"]},
                                   {"venues": {"okx": {"max_leverage": {"ETH-USDT-SWAP": 5}}}}])
def test_a_reviewed_call_whose_effect_the_policy_denies_is_refused(block, tmp_path):
    plan, client = _plan()
    gate = Gate(plan, _policy(block), LocalIntents(tmp_path), "run-1")
    with pytest.raises(GateRefusal) as refused:
        admit(gate, client, plan.changes[0].calls[0])
    assert refused.value.rule


def test_a_closed_window_refuses_every_write(tmp_path, monkeypatch):
    monkeypatch.setattr(windows, "now", lambda: datetime(2026, 12, 7, 11, 0, tzinfo=timezone.utc))  # a Monday
    plan, client = _plan()
    gate = Gate(plan, _policy({"change_windows": ["Mon 09:00-10:00"]}), LocalIntents(tmp_path), "run-1")
    for call in (plan.changes[0].calls[0], plan.changes[1].calls[0]):
        with pytest.raises(GateRefusal) as refused:
            admit(gate, client, call)
        assert refused.value.rule == "change_windows"


@pytest.mark.parametrize("state,blocks", [("sent", True), ("unknown", True), ("done", False), ("refused", False)])
def test_an_earlier_move_that_may_still_execute_holds_the_next_one(state, blocks, tmp_path):
    plan, client = _plan()
    store = LocalIntents(tmp_path)
    now = time.time()
    earlier = Intent(identity="okx-test", symbol="ETH-USDT-SWAP", side="long", move="100", coin="USDT", account="x",
                     run_id="dead-run", signed_at=now - 1, expires_at=now + 30, state=state)
    asyncio.run(store.record(earlier))
    gate = Gate(plan, None, store, "run-2")
    if blocks:
        with pytest.raises(EarlierMovePending) as pending:
            admit(gate, client, margin(client, 100))
        assert pending.value.until == earlier.expires_at and "dead-run" in str(pending.value)
    else:
        assert admit(gate, client, margin(client, 100)).intent is not None


def test_a_read_made_after_the_earlier_move_expired_may_move(tmp_path):
    plan, client = _plan()
    store = LocalIntents(tmp_path)
    now = time.time()
    asyncio.run(store.record(Intent(identity="okx-test", symbol="ETH-USDT-SWAP", side="long", move="100", coin="USDT",
                                    account="x", run_id="dead", signed_at=now - 40, expires_at=now - 5)))
    call = margin(client, 100)
    call.read_at = now - 10  # read while the dead run's move could still execute: stale
    with pytest.raises(EarlierMovePending):
        admit(Gate(plan, None, store, "run-2"), client, call)
    call.read_at = now  # read after it expired: the read is the truth
    assert admit(Gate(plan, None, store, "run-2"), client, call).intent is not None


def test_a_move_is_recorded_durably_off_the_event_loop_before_record_returns(tmp_path, monkeypatch):
    """fsync may take milliseconds on a real disk: other accounts' requests go on meanwhile, and the move is on
    disk (synced) by the time the gate lets its request leave."""
    import os
    import threading
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(threading.current_thread()), real_fsync(fd))[1])
    store = LocalIntents(tmp_path)
    now = time.time()
    move = Intent(identity="okx-test", symbol="ETH-USDT-SWAP", side="long", move="100", coin="USDT", account="x",
                  run_id="run-1", signed_at=now, expires_at=now + 30)

    async def record_then_read():
        await store.record(move)
        return await store.of_identity("okx-test", now - 1)

    recorded = asyncio.run(record_then_read())
    assert synced and all(thread is not threading.main_thread() for thread in synced)
    assert [i.id for i in recorded] == [move.id] and recorded[0].state == "sent"
