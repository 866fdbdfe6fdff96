"""An account's read, plan and first writes run in one task: failures, Ctrl-C and shared calls still end as they
would in tasks of their own (none outlives its caller, none is left cancelled, a shared answer is kept)."""

from __future__ import annotations

import asyncio
import types

from reconciler import executor, planner
from reconciler.errors import ConfigError


class FakeCall:
    def __init__(self, name: str, answered_in: float = 0.0, fails: Exception | None = None):
        self.name, self.answered_in, self.fails = name, answered_in, fails
        self.method, self.endpoint = "POST", "POST /w"

    def key(self) -> str:
        return self.name


class FakeClient:
    """Answers each write after its delay, or when the test opens its gate (`gates[name]`)."""

    pacer = types.SimpleNamespace(limit=lambda endpoint: None)

    def __init__(self, log: list[str], gated: bool = False):
        self.log, self.gated, self.gates = log, gated, {}

    async def request(self, call, **options):
        self.log.append(f"sent {call.name}")
        if self.gated:
            self.gates[call.name] = asyncio.get_running_loop().create_future()
            await self.gates[call.name]
        else:
            await asyncio.sleep(call.answered_in)
        if call.fails:
            raise call.fails
        self.log.append(f"answered {call.name}")
        return {}


def _change(change_id: str, symbol: str, *calls):
    return types.SimpleNamespace(id=change_id, symbol=symbol, status="change", depends_on=[], field="leverage",
                                 calls=list(calls), reason=None)


def _apply(client, changes, outcomes):
    connections = types.SimpleNamespace(open=lambda spec: (None, client))
    return executor._apply_account(connections, None, changes, outcomes, types.SimpleNamespace(step=lambda c: None))


def test_a_bug_in_any_symbols_writes_is_raised_once_every_other_symbols_writes_are_answered():
    async def run(buggy: str):
        log, outcomes = [], {}
        calls = {"A": FakeCall("A", 0.05), "B": FakeCall("B", 0.05), "C": FakeCall("C", 0.2)}
        calls[buggy] = FakeCall(buggy, 0.01, fails=RuntimeError(f"bug in {buggy}"))
        try:
            await _apply(FakeClient(log), [_change(s, s, calls[s]) for s in "ABC"], outcomes)
        except RuntimeError as exc:
            log.append(f"raised {exc}")
        left = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        return log, left

    for buggy in "AB":  # the first symbol is sent in the caller's task, the others in tasks of their own
        log, left = asyncio.run(run(buggy))
        assert log[-1] == f"raised bug in {buggy}" and "answered C" in log, log
        assert left == []


def test_a_shared_call_answered_as_ctrl_c_comes_keeps_its_answer_for_the_change_that_sent_it():
    """Symbol A waits for the batch call symbol B sent; Ctrl-C reaches the apply in the turn the batch is answered."""
    async def run():
        log, outcomes = [], {}
        client = FakeClient(log, gated=True)
        batch = FakeCall("BATCH")
        changes = [_change("A1", "A", FakeCall("X")), _change("A2", "A", batch), _change("B1", "B", batch)]
        applying = asyncio.ensure_future(_apply(client, changes, outcomes))
        for _ in range(5):
            await asyncio.sleep(0)
        client.gates["X"].set_result(None)
        for _ in range(5):
            await asyncio.sleep(0)
        client.gates["BATCH"].set_result(None)
        applying.cancel()
        try:
            await applying
        except asyncio.CancelledError:
            log.append("stopped")
        return log, outcomes

    log, outcomes = asyncio.run(run())
    assert log[-1] == "stopped" and "answered BATCH" in log
    assert outcomes["B1"].result == "applied"  # B sent it and was answered: its outcome is not lost


def test_a_listing_error_that_a_swallowed_cancellation_delivers_leaves_the_account_task_not_cancelled():
    """asyncio.wait_for (a read waiting for its rate window) swallows a cancellation that comes as its wait ends:
    the read goes on, the listing's error is raised after it, and the task is not left cancelling."""
    async def run():
        window = asyncio.Event()

        async def read(answered, symbols):
            await asyncio.wait_for(window.wait(), 10)
            return types.SimpleNamespace(symbols={})

        adapter = types.SimpleNamespace(read=read)
        connections = types.SimpleNamespace(open=lambda spec: (adapter, types.SimpleNamespace(sent_per_endpoint={})))
        spec = types.SimpleNamespace(name="acct", venue="v", symbols={})
        listing = asyncio.get_running_loop().create_future()

        async def account():
            try:
                await planner._plan_account(connections, spec, (spec, []), listing)
            except ConfigError as exc:
                return str(exc), asyncio.current_task().cancelling()

        task = asyncio.ensure_future(account())
        for _ in range(3):
            await asyncio.sleep(0)
        window.set()
        await asyncio.sleep(0)  # the window's wait has ended; wait_for has yet to see it
        listing.set_exception(ConfigError(["the file is wrong"]))  # in that same turn
        return await task

    assert asyncio.run(run()) == ("the file is wrong", 0)
