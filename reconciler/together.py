"""Awaits several reads at once, like asyncio.gather, and resumes the caller a turn or two of the event loop sooner."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Iterable


def together(*awaitables: Awaitable) -> Awaitable[list]:
    """Their results in the order given; at the first failure (or when the caller is cancelled) the others are
    cancelled, and once they have stopped the failure is raised: none outlives the call.

    asyncio.gather hands the last result to the caller in two turns of the loop (a callback per awaitable, then one
    for the caller); this takes one, and none when the first awaitable ends last: it runs in the caller's own task
    (so give the slowest first). On a busy loop (50 accounts reading) a turn is several milliseconds, and an
    account's plan passes through a few of these on its way to its first write. For reads only: a write in flight is
    never cancelled because another one failed. The others start when this is called, the first when it is awaited.
    """
    if not awaitables:
        return _results(None, [])
    first, *others = awaitables
    caller = asyncio.current_task()
    if others and caller is not None:
        _gatherers.add(caller)
    return _results(first, [asyncio.ensure_future(awaitable) for awaitable in others])


def holds_others_answers(task: asyncio.Task) -> bool:
    """Whether `task` has ever awaited, through `together`, what other tasks read: what it parses since may be their
    answers, so an error it raised does not tell which answer was wrong (`planner._Answered.suspects`)."""
    return task in _gatherers


_gatherers: weakref.WeakSet = weakref.WeakSet()


def cancel_once(tasks: Iterable[asyncio.Future]) -> None:
    """Cancel each task still running, but not one already cancelled: a second cancellation would break into the
    cleanup the first one started (a journal line being written, say)."""
    for task in tasks:
        cancelling = getattr(task, "cancelling", None)
        if not task.done() and not (cancelling and cancelling()):
            task.cancel()


async def stopped(tasks: list[asyncio.Future]) -> None:
    """Wait until each task has ended, cancelling nothing more (gather would cancel them again if this wait were
    cancelled); their failures are retrieved, so none is reported at exit as never read."""
    if tasks:
        await asyncio.wait(tasks)
    for task in tasks:
        if not task.cancelled():
            task.exception()


async def ended(tasks: list[asyncio.Future]) -> None:
    """Wait until each task has ended; when this wait is cancelled (Ctrl-C), they are cancelled too, and waited for."""
    try:
        await stopped(tasks)
    except asyncio.CancelledError:
        cancel_once(tasks)
        await stopped(tasks)
        raise


async def _results(first: Awaitable | None, tasks: list[asyncio.Future]) -> list:
    caller = asyncio.current_task()
    failures: list[BaseException] = []
    running_first = first is not None  # in the caller's task: stopped by cancelling the caller (once, undone below)
    cancelled_caller = False

    def stop_the_others(task: asyncio.Future) -> None:
        nonlocal cancelled_caller
        if not task.cancelled() and task.exception() is not None and not failures:
            failures.append(task.exception())
            cancel_once(other for other in tasks if other is not task)
            if running_first:
                cancelled_caller = caller.cancel()

    for task in tasks:
        task.add_done_callback(stop_the_others)
    try:
        results = [await first] if first is not None else []
        running_first = False
        return results + [await task for task in tasks]  # one already done costs no turn
    except BaseException as exc:  # one failed, or the caller was cancelled: the others stop, none outlives the call
        running_first = False
        cancel_once(tasks)
        await stopped(tasks)
        ours = cancelled_caller and caller.uncancel() == 0  # the caller was cancelled by us alone
        if isinstance(exc, asyncio.CancelledError) and failures and (ours or not caller.cancelling()):
            raise failures[0] from None  # the one awaited was cancelled because another failed: that failure
        raise
