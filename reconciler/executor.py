"""Applies a plan: accounts and independent symbols concurrently, each symbol in order, then verifies."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal

from .connections import Connections
from .address import Address
from .errors import ReconcilerError, VenueError
from .gate import EarlierMovePending, Gate, GateRefusal
from .model import DesiredState
from .plan import Change, Plan, touched_symbols
from .together import cancel_once, ended
from .venues.base import decimal_text

MAX_MARGIN_ATTEMPTS = 4
MARGIN_REACHED = Decimal("0.0001")  # a re-read margin this close to the target (relative) is there


@dataclass
class Outcome:
    change_id: str
    result: str  # applied | failed | blocked | conflict | skipped
    message: str | None = None


@dataclass
class ApplyReport:
    plan: Plan
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    account_errors: dict[str, str] = field(default_factory=dict)
    after: Plan | None = None  # the plan computed from the state read back after applying

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes.values() if o.result == "failed"]

    @property
    def exit_code(self) -> int:
        if self.failed or self.account_errors:
            return 1
        remaining = self.after.changes if self.after is not None else [
            c for c in self.plan.changes if c.status != "change"]
        return 3 if remaining else 0  # what the plan applied was verified; what remains needs a person


async def execute(plan: Plan, state: DesiredState, connections: Connections, progress=None,
                  parallelism: int | None = None) -> ApplyReport:
    """Send a plan computed in this run (under the accounts' locks), then read back and verify.

    Accounts run concurrently (at most `parallelism` at once); each account is read back as soon as its own
    writes are done, so its verification never waits for another account's rate limits.
    """
    from .planner import account_slots

    execution = Execution(state, connections, progress)
    execution.admit(plan)
    slots = account_slots(parallelism)

    async def apply_then_read_back(name: str) -> Plan:
        async with slots:
            return await execution.account(plan.part(name))

    names = [name for name in plan.accounts if name not in plan.errors]
    # An account with nothing to send is not read again: its part of the plan is what holds.
    results = await asyncio.gather(*(apply_then_read_back(name) for name in names), return_exceptions=True)
    return execution.report(plan, dict(zip(names, results)))


class Execution:
    """One apply's sending, account by account as each is admitted: the write gate (which lets through only the
    calls of admitted plans), the outcomes, the progress steps, and the report once every account is done."""

    def __init__(self, state: DesiredState, connections: Connections, progress=None):
        run = getattr(connections, "run", None)
        self.state, self.connections = state, connections
        self.gate = Gate(Plan(changes=[], observed={}), state.policy, connections.backend.intents(),
                         run.run_id if run else uuid.uuid4().hex[:12])
        connections.admit_writes(self.gate)
        self.outcomes: dict[str, Outcome] = {}
        self.tracker = _Progress(progress, 0)

    def admit(self, plan: Plan) -> None:
        """From now on the calls of `plan` (its accounts' parts, checked and approved) may pass the gate."""
        self.gate.review(plan)
        self.tracker.total += sum(1 for c in plan.changes if c.status == "change")

    async def account(self, part: Plan) -> Plan:
        """Send one admitted account's part of the plan and read back what it wrote: the plan it reads now.

        Each symbol is read back as soon as its own writes are done, while the account's other writes may still
        wait for their rate windows (in batches: see ReadBack); after an account setting is written, the whole
        account is read back once every write is done.
        """
        from .planner import plan as make_plan  # verification re-plans from the state read back

        (name,) = part.accounts
        changes = part.changes
        if not any(c.status == "change" for c in changes):
            for change in changes:
                self.outcomes[change.id] = Outcome(change.id, change.status, change.reason)
            return part
        touched = touched_symbols(changes)
        read_back = ReadBack(self.state, self.connections, name, touched) if touched is not None else None
        try:
            await _apply_account(self.connections, self.state.accounts[name], changes, self.outcomes, self.tracker,
                                 done=read_back.ready if read_back else None)
        except BaseException:
            if read_back:
                await read_back.stop()
            raise
        if read_back is None:  # an account setting changed: every symbol may read differently now
            return await make_plan(self.state, accounts=[name], symbols=part.scope.get("symbols"),
                                   connections=self.connections)
        return _with_untouched(await read_back.result(), part, touched)

    def report(self, plan: Plan, afters: dict[str, Plan | BaseException]) -> ApplyReport:
        """The report of `plan`'s apply from each account's plan read back (or what stopped the account); its
        outcomes in the plan's order, whatever order the accounts finished in."""
        order = {change.id: index for index, change in enumerate(plan.changes)}
        outcomes = dict(sorted(self.outcomes.items(), key=lambda item: order.get(item[0], len(order))))
        report = ApplyReport(plan=plan, outcomes=outcomes)
        after = []
        for name, result in afters.items():
            if isinstance(result, ReconcilerError):
                report.account_errors[name] = str(result)
            elif isinstance(result, BaseException):
                raise result
            else:
                after.append(result)
        report.account_errors.update({name: message for name, message in plan.errors.items()
                                      if name not in report.account_errors})
        if after:
            report.after = after[0]
            for other in after[1:]:
                report.after.absorb(other)
            report.account_errors.update(report.after.errors)
            _verify(report)
        return report


class ReadBack:
    """Verification of one account as its symbols' writes end: `ready(symbol)` when a symbol's writes are done,
    `result()` once all are, for the plan of every symbol read back.

    While writes go on, what they have finished is read back once every BATCH_SPACING seconds (and once the
    previous batch is answered): every batch also reads the account-wide lists again (positions, pending
    orders), so the spacing bounds those extra reads while the symbols' own reads keep up with the writes.
    When the last write is done, what is left is read at once: writes that all end within the first spacing
    (most applies) are read back in one batch, as they would be after the writes.
    """

    BATCH_SPACING = 2.0  # seconds; the venues' read windows are 1 or 2 s

    def __init__(self, state: DesiredState, connections: Connections, name: str, touched: list[str]):
        self.state, self.connections, self.name = state, connections, name
        self.touched = set(touched)
        self.pending: list[str] = []
        self.plans: list[Plan] = []
        self.writing = True
        self.wake = asyncio.Event()  # a symbol is ready, or the writes are done
        self.written = asyncio.Event()  # the writes are done
        self.task = asyncio.ensure_future(self._read())

    def ready(self, symbol: str) -> None:
        if symbol in self.touched:
            self.pending.append(symbol)
            self.wake.set()

    async def result(self) -> Plan:
        self.writing = False
        self.written.set()
        self.wake.set()
        await self.task
        if not self.plans:  # no symbol's writes ended normally: read them all back now
            from .planner import read_back
            self.plans.append(await read_back(self.state, self.connections, self.name, sorted(self.touched)))
        return _merged(self.plans)

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)

    async def _read(self) -> None:
        from .planner import read_back

        last = time.monotonic()  # the writes start now
        while True:
            await self.wake.wait()
            if self.writing:  # let a batch gather while the writes go on, until the spacing or the last write
                wait = last + self.BATCH_SPACING - time.monotonic()
                if wait > 0:
                    try:
                        await asyncio.wait_for(self.written.wait(), wait)
                    except TimeoutError:
                        pass
            batch, self.pending = self.pending, []
            self.wake.clear()
            if batch:
                last = time.monotonic()
                self.plans.append(await read_back(self.state, self.connections, self.name, batch))
            if not self.writing and not self.pending:
                return
            if self.pending or not self.writing:
                self.wake.set()


def _merged(plans: list[Plan]) -> Plan:
    """The plans of one account's batches read back as one (account settings, read by each, as last read)."""
    merged = plans[-1]
    for earlier in reversed(plans[:-1]):
        known = {c.id for c in merged.changes} | set(merged.in_sync) | {i["id"] for i in merged.not_applicable}
        merged.changes = [c for c in earlier.changes if c.id not in known] + merged.changes
        merged.in_sync = [i for i in earlier.in_sync if i not in known] + merged.in_sync
        merged.not_applicable = [i for i in earlier.not_applicable if i["id"] not in known] + merged.not_applicable
        for account, values in earlier.observed.items():
            merged.observed[account] = {**values, **merged.observed.get(account, {})}
        merged.errors = {**earlier.errors, **merged.errors}
    return merged


WRITES_IN_FLIGHT = 8  # of a client's 16 (client.MAX_IN_FLIGHT): the other half stays free for the reads back


class _WriteSlots:
    """An account's client whose writes are let in at most as many per endpoint as its window admits at once, and
    WRITES_IN_FLIGHT in all: a request waiting for its window holds one of the client's connections, so writes
    queued by the hundred would otherwise keep verification's reads back until the last write has gone."""

    def __init__(self, client):
        self._client = client
        self._all = asyncio.Semaphore(WRITES_IN_FLIGHT)
        self._per_endpoint: dict[str, asyncio.Semaphore] = {}

    def __getattr__(self, name):
        return getattr(self._client, name)

    async def request(self, call, **options):
        if call.method == "GET":
            return await self._client.request(call, **options)
        limit = self._client.pacer.limit(call.endpoint)
        slots = self._per_endpoint.setdefault(call.endpoint, asyncio.Semaphore(
            min(limit[0] if limit else WRITES_IN_FLIGHT, WRITES_IN_FLIGHT)))
        async with slots, self._all:
            return await self._client.request(call, **options)


def _with_untouched(fresh: Plan, before: Plan, touched: list[str]) -> Plan:
    """The plan read back for the touched symbols, plus what the plan said of the others (not re-read)."""
    touched = set(touched)
    known = {c.id for c in fresh.changes} | set(fresh.in_sync) | {i["id"] for i in fresh.not_applicable}

    def untouched(item_id: str) -> bool:  # account settings are re-read anyway
        symbol = Address.parse(item_id).symbol
        return item_id not in known and symbol is not None and symbol not in touched

    fresh.changes += [c for c in before.changes if untouched(c.id)]
    fresh.in_sync += [i for i in before.in_sync if untouched(i)]
    fresh.not_applicable += [i for i in before.not_applicable if untouched(i["id"])]
    for account, values in before.observed.items():
        seen = fresh.observed.setdefault(account, {})
        seen.update({key: value for key, value in values.items() if key not in seen and untouched(key)})
    return fresh


def plan_differences(saved: Plan, fresh: Plan) -> list[str]:
    """What a fresh plan (same file, same scope, live state now) says that the saved plan does not, one line
    each in words: `bg: ETHUSDT cross leverage was 10, is now 9`."""
    if fresh.errors:
        return [f"{name} could not be read to check the plan: {message}" for name, message in fresh.errors.items()]
    differences, moved = [], set()
    for account in sorted(set(saved.observed) | set(fresh.observed)):
        was, new = saved.observed.get(account, {}), fresh.observed.get(account, {})
        for setting_id in sorted(set(was) | set(new)):
            where = f"{account}: {setting_words(account, setting_id)}"
            if setting_id not in was:
                differences.append(f"{where} reads {_value(new[setting_id])} now; the saved plan did not read it")
            elif setting_id not in new:
                differences.append(f"{where} was {_value(was[setting_id])}, is no longer read")
            elif was[setting_id] != new[setting_id]:
                differences.append(f"{where} was {_value(was[setting_id])}, is now {_value(new[setting_id])}")
            else:
                continue
            moved.add(setting_id)
    before = {change.id: change for change in saved.changes}
    now = {change.id: change for change in fresh.changes}
    for change_id in sorted(set(before) | set(now)):
        was, new = before.get(change_id), now.get(change_id)
        change = new or was
        where = f"{change.account}: {setting_words(change.account, change_id)}"
        if was is None:
            differences.append(f"{where} now needs {_planned(new)}, which the saved plan lacks")
        elif new is None:
            if change_id not in moved:
                differences.append(f"{where} no longer needs the saved plan's {_planned(was)}")
        elif _essence(was) != _essence(new):
            differences += [f"{where} {text}" for text in _changed(was, new, from_moved=change_id in moved)]
    return differences


def setting_words(account: str, setting_id: str) -> str:
    """A setting id in words: `bg/ETHUSDT/leverage/isolated/long` -> `ETHUSDT isolated long leverage`."""
    return Address.parse(setting_id).words()


def _essence(change: Change) -> tuple:
    return (change.account, change.venue, change.status, change.from_, change.to, change.field, change.symbol, change.side, change.margin_mode,
            sorted(change.depends_on), [call.key() for call in change.calls],
            [json.dumps(call.effects, sort_keys=True) for call in change.calls], change.move_bound)


def _value(value) -> str:
    return "unset" if value is None else str(value)


def _planned(change: Change) -> str:
    """e.g. `a change from 10 to 20` or `a blocked change from 10 to 20`."""
    status = "" if change.status == "change" else f"{change.status} "
    return f"a {status}change from {_value(change.from_)} to {_value(change.to)}"


def _changed(was: Change, new: Change, from_moved: bool) -> list[str]:
    """How one change differs between the saved plan and the fresh one (nothing when only its live value
    moved, which the observed values already said)."""
    lines = []
    if was.status != new.status:
        lines.append(f"is now {new.status}, the saved plan had it as {was.status}"
                     + (f" ({new.reason})" if new.reason else ""))
    if was.to != new.to:
        lines.append(f"is now to become {_value(new.to)}, the saved plan said {_value(was.to)}")
    if was.from_ != new.from_ and not from_moved:
        lines.append(f"now starts from {_value(new.from_)}, the saved plan from {_value(was.from_)}")
    if [call.key() for call in was.calls] != [call.key() for call in new.calls]:
        lines.append(f"would now send {_calls_words(new)}; the saved plan sends {_calls_words(was)}")
    if was.move_bound != new.move_bound:
        lines.append(f"now moves margin within {_value(new.move_bound)}, the saved plan within {_value(was.move_bound)}")
    said = _essence(dataclasses.replace(was, from_=new.from_) if from_moved else was)
    if not lines and said != _essence(new):  # whatever else _essence compares: the calls' effects, the order
        lines.append("is now planned differently (the changes it waits on, or what its calls change)")
    return lines


def _calls_words(change: Change) -> str:
    """`POST /api/v2/mix/account/set-leverage symbol=ETHUSDT leverage=20`, or `nothing`."""
    if not change.calls:
        return "nothing"
    return ", ".join(" ".join([call.method, call.path, *(f"{key}={_field(value)}" for key, value in
                                                         {**(call.query or {}), **(call.body or {})}.items())])
                     for call in change.calls)


def _field(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), default=str)


async def _apply_account(connections: Connections, spec, changes: list[Change], outcomes: dict[str, Outcome],
                         tracker, done=None):
    """Send one account's changes: account settings first, then each symbol's in order, symbols concurrently;
    `done(symbol)` once a symbol's are all sent."""
    adapter, client = connections.open(spec)
    client = _WriteSlots(client)
    sent: dict[str, asyncio.Future] = {}  # a call several changes share (a batch) is sent once, by the first
    field_of = {change.id: change.field for change in changes}

    async def send(call):
        key = call.key()
        if key in sent:  # shielded: a change waiting for it and cancelled does not cancel it for the sender
            return await asyncio.shield(sent[key])
        sent[key] = answer = asyncio.get_running_loop().create_future()
        try:  # sent in this task: one handed on waits a whole turn of a busy loop before it leaves
            result = await client.request(call)
        except asyncio.CancelledError:
            answer.cancel()
            raise
        except BaseException as exc:
            answer.set_exception(exc)
            answer.exception()  # retrieved: a call no other change waits for is not reported at exit as unread
            raise
        answer.set_result(result)
        return result

    async def run(change: Change):
        if change.status != "change":
            outcomes[change.id] = Outcome(change.id, change.status, change.reason)
            return
        unmet = [dep for dep in change.depends_on if dep in outcomes and outcomes[dep].result != "applied"]
        if unmet:
            outcomes[change.id] = Outcome(change.id, "skipped", "waits on " + ", ".join(
                f"{dep} ({outcomes[dep].result})" for dep in unmet))
            tracker.step(change)
            return
        try:
            message = None
            if change.field == "isolated_margin":
                leverage_moved = any(field_of.get(dep) == "leverage" and outcomes[dep].result == "applied"
                                     for dep in change.depends_on if dep in outcomes)
                message = await _move_margin(adapter, client, change, reread_first=leverage_moved)
            else:
                for call in change.calls:
                    await send(call)
            outcomes[change.id] = Outcome(change.id, "applied", message)
        except VenueError as exc:
            result = "blocked" if exc.kind == "blocked" else "failed"
            outcomes[change.id] = Outcome(change.id, result, exc.describe())
        except GateRefusal as exc:  # denied by the policy at send time, or not the reviewed call
            outcomes[change.id] = Outcome(change.id, "denied" if exc.rule else "failed", str(exc))
        tracker.step(change)

    async def run_in_order(group: list[Change]):
        for change in group:
            await run(change)
        if done is not None:
            done(group[0].symbol)

    for change in [c for c in changes if c.symbol is None]:
        await run(change)
    per_symbol: dict[str, list[Change]] = {}
    for change in changes:
        if change.symbol is not None:
            per_symbol.setdefault(change.symbol, []).append(change)
    if not per_symbol:
        return
    first, *rest = per_symbol.values()
    others = [asyncio.ensure_future(run_in_order(group)) for group in rest]
    try:  # the first symbol in this task: the account's first write leaves without waiting a turn of the loop
        await run_in_order(first)
    except asyncio.CancelledError:
        cancel_once(others)  # stopped (Ctrl-C) as a whole
        raise
    finally:
        await ended(others)  # whichever symbol failed, none outlives the account's apply
    for task in others:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()


async def _move_margin(adapter, client, change: Change, reread_first: bool) -> str | None:
    """Move isolated margin to the target without ever moving it twice; returns what a person should know.

    The planned call carries the delta. If its outcome is unknown (timeout, dropped connection, 5xx,
    a venue code that does not say), nothing more is sent for this position until that request can no
    longer be executed by the venue (its signature or expiry has lapsed: a late delivery is refused
    after that); then the margin is read and only what is still missing is sent. The write gate does the
    same for a request an earlier run sent and never heard back from (it died). When a leverage change of
    the same position was just applied (some venues move margin with leverage), the margin is read before
    the first move too.
    """
    target = Decimal(change.to)
    call = change.calls[0]
    said: list[str] = []
    if reread_first:
        call, _ = await _rest_of_move(adapter, client, change, target)
        if call is None:
            return None
    for _ in range(MAX_MARGIN_ATTEMPTS):
        try:
            await client.request(call, retry_ambiguous=False)
            return "; ".join(said) or None
        except EarlierMovePending as exc:
            wait = exc.until - time.time()
            said.append(f"{exc}: waited {max(wait, 0):.0f} s until it could no longer execute, then read the margin")
            if wait > 0:
                await asyncio.sleep(wait)
        except VenueError as exc:
            if not exc.ambiguous:
                raise
            if exc.settled:
                said.append(f"the answer could not be read ({exc.message}); the margin was read back instead")
            await client.outlive(exc)
        call, current = await _rest_of_move(adapter, client, change, target)
        if call is None:
            said.append(f"the margin reads {decimal_text(current)} now")
            return "; ".join(said)
    raise VenueError(adapter.venue, None, f"margin of {change.symbol} could not be confirmed at "
                     f"{decimal_text(target)} after {MAX_MARGIN_ATTEMPTS} attempts whose outcome the venue did not "
                     "report; it was read back after each and never moved twice", kind="network",
                     account=change.account)


async def _rest_of_move(adapter, client, change: Change, target: Decimal):
    """(the call that moves what is still missing, the margin read now); the call is None when it is there."""
    read_at = time.time()
    current = await adapter.read_margin(client, change.symbol, change.side)
    if current is None:
        raise VenueError(adapter.venue, None, f"{change.symbol} has no open isolated position to move margin "
                         "on any more", kind="business", account=change.account)
    if abs(target - current) <= target * MARGIN_REACHED:
        return None, current
    call = adapter.margin_call(change.symbol, change.side, target - current)
    call.read_at = read_at
    return call, current


def _verify(report: ApplyReport) -> None:
    """A change the venue accepted but did not make is a failure."""
    still = {c.id: c for c in report.after.changes}
    for change_id, outcome in report.outcomes.items():
        if outcome.result == "applied" and change_id in still and still[change_id].status == "change":
            now = still[change_id]
            outcome.result = "failed"
            outcome.message = (f"the venue accepted the change but {change_id} still reads {now.from_} "
                               f"(expected {now.to})")


class _Progress:
    def __init__(self, callback, total: int):
        self.callback, self.total, self.done = callback, total, 0

    def step(self, change: Change) -> None:
        self.done += 1
        if self.callback:
            self.callback.step(self.done, self.total, change.id)
