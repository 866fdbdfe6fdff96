"""Reads awaited together: gather's results and failures, the others stopped at the first failure, a turn sooner."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.together import together
from test_turns import counting_turns


async def _answer(value, turns: int = 0, fail: bool = False):
    for _ in range(turns):
        await asyncio.sleep(0)
    if fail:
        raise ValueError(value)
    return value


def test_the_results_come_in_the_order_given_whichever_ends_first():
    async def run():
        return await together(_answer("a", 5), _answer("b", 0), _answer("c", 2)), await together()

    assert asyncio.run(run()) == (["a", "b", "c"], [])


def test_the_first_failure_is_raised_at_once_and_the_reads_still_waiting_are_cancelled():
    async def run():
        slow = asyncio.ensure_future(asyncio.sleep(3600))
        started = asyncio.get_running_loop().time()
        with pytest.raises(ValueError, match="refused"):
            await together(slow, _answer("refused", 1, fail=True), _answer("fine"))
        await asyncio.sleep(0)
        return slow.cancelled(), asyncio.get_running_loop().time() - started

    cancelled, waited = asyncio.run(run())
    assert cancelled
    assert waited < 60  # not the hour the slow read would have taken


def test_a_cancelled_caller_cancels_its_reads_and_is_not_reported_as_their_failure():
    async def run():
        slow = asyncio.ensure_future(asyncio.sleep(3600))
        caller = asyncio.ensure_future(together(slow, _answer("x", 3)))
        await asyncio.sleep(0)
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        await asyncio.sleep(0)
        return slow.cancelled()

    assert asyncio.run(run())


def test_the_caller_resumes_one_turn_after_the_last_read_ends_where_gather_takes_two():
    async def resumed_after(combine) -> int:
        turn = counting_turns(asyncio.get_running_loop())
        ended = []

        async def last():
            await _answer(None, 3)
            ended.append(turn[0])

        await combine(_answer(None), last())
        return turn[0] - ended[0]

    assert asyncio.run(resumed_after(together)) == 1
    assert asyncio.run(resumed_after(asyncio.gather)) == 2


def test_a_read_cancelled_by_anothers_failure_finishes_its_cleanup_before_the_failure_is_raised():
    """Cancelled once, not again while it cleans up (a journal line being written): the failure comes after."""
    events = []

    async def read_with_cleanup(name, turns):
        try:
            await asyncio.sleep(3600)
        finally:
            for _ in range(turns):  # a cleanup that takes a few turns, like a journal write to PostgreSQL
                try:
                    await asyncio.sleep(0)
                except asyncio.CancelledError:
                    events.append(f"{name} interrupted")
                    raise
            events.append(f"{name} cleaned up")

    async def run():
        try:
            await together(read_with_cleanup("a", 2), read_with_cleanup("b", 6), _answer("refused", 1, fail=True))
        except ValueError:
            events.append("failure raised")

    asyncio.run(run())
    assert events == ["a cleaned up", "b cleaned up", "failure raised"]


def test_the_first_runs_in_the_callers_own_task_and_when_it_ends_last_the_caller_goes_on_in_that_turn():
    async def run():
        turn = counting_turns(asyncio.get_running_loop())
        seen = {}

        async def slowest():
            seen["task"] = asyncio.current_task()
            await _answer(None, 5)
            seen["ended"] = turn[0]

        await together(slowest(), _answer(None, 1))
        return seen["task"] is asyncio.current_task(), turn[0] - seen["ended"]

    assert asyncio.run(run()) == (True, 0)


def test_anothers_failure_stops_the_first_in_the_callers_task_and_raises_that_failure_not_a_cancellation():
    events = []

    async def first():
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            events.append("first stopped")
            raise

    async def run():
        with pytest.raises(ValueError, match="refused"):
            await together(first(), _answer("refused", 2, fail=True))
        events.append(f"caller cancelling {asyncio.current_task().cancelling()}")
        await asyncio.sleep(0)  # the caller is not left cancelled: it goes on
        events.append("caller went on")

    asyncio.run(run())
    assert events == ["first stopped", "caller cancelling 0", "caller went on"]


def test_a_caller_cancelled_while_the_first_runs_is_cancelled_and_its_other_reads_are_too():
    async def run():
        other = asyncio.ensure_future(asyncio.sleep(3600))
        caller = asyncio.ensure_future(together(asyncio.sleep(3600), other, _answer("refused", 3, fail=True)))
        await asyncio.sleep(0)
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        return other.cancelled()

    assert asyncio.run(run())
