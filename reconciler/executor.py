"""Applies a plan: accounts and independent symbols concurrently, each symbol in order, then verifies."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal

from .connections import Connections
from .errors import ReconcilerError, StalePlanError, VenueError
from .model import DesiredState
from .plan import Change, Plan
from .serialize import LITERAL, account_from_dict
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


def desired_state_of(plan: Plan) -> DesiredState:
    """The part of the desired state a plan was made from (it carries its accounts' blocks)."""
    accounts = {name: account_from_dict(name, data) for name, data in plan.accounts.items()}
    if any(LITERAL in spec.credentials.values() for spec in accounts.values()):
        from .config import load  # sim credentials are written only in the desired-state file
        written = load(plan.config_path).accounts
        for name, spec in accounts.items():
            for key, value in spec.credentials.items():
                if value == LITERAL:
                    spec.credentials[key] = written[name].credentials[key]
    return DesiredState(path=plan.config_path or "plan", sha256=plan.config_sha256 or "", accounts=accounts,
                        simulator_world=plan.simulator_world)


async def apply(plan: Plan, *, check_stale: bool = False, journal=None, progress=None,
                connections: Connections | None = None) -> ApplyReport:
    """Send the plan's calls, then read back and verify. With check_stale, refuse a plan whose observed
    values moved, before sending anything."""
    state = desired_state_of(plan)
    if connections is None:
        async with Connections(simulator_world=state.simulator_world, config_path=state.path,
                               journal=journal) as opened:
            if progress is not None:
                opened.on_wait = progress.waiting
            return await apply(plan, check_stale=check_stale, progress=progress, connections=opened)
    from .planner import plan as make_plan  # the executor re-plans to check freshness and to verify

    if check_stale:
        fresh = await make_plan(state, connections=connections)
        if fresh.errors:
            raise ReconcilerError("cannot check the plan against the venues: " + "; ".join(
                f"{name}: {message}" for name, message in fresh.errors.items()))
        moved = stale_values(plan, fresh)
        if moved:
            raise StalePlanError("plan is stale: " + "; ".join(moved) + "; run plan again")
    report = ApplyReport(plan=plan)
    tracker = _Progress(progress, sum(1 for c in plan.changes if c.status == "change"))
    by_account: dict[str, list[Change]] = {}
    for change in plan.changes:
        by_account.setdefault(change.account, []).append(change)

    async def apply_then_read_back(name: str) -> Plan:
        # Each account is read back as soon as its own writes are done: its verification reads never
        # wait for another account's rate limits (accounts are independent).
        if name in by_account:
            await _apply_account(connections, state.accounts[name], by_account[name], report, tracker)
        return await make_plan(state, accounts=[name], connections=connections)

    names = [name for name in state.accounts if name not in plan.errors]
    results = await asyncio.gather(*(apply_then_read_back(name) for name in names), return_exceptions=True)
    after = []
    for name, result in zip(names, results):
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


def stale_values(saved: Plan, fresh: Plan) -> list[str]:
    """Each live value the saved plan was computed from that reads differently now."""
    moved = []
    for account, values in saved.observed.items():
        now = fresh.observed.get(account, {})
        for setting_id, was in values.items():
            if setting_id in now and now[setting_id] != was:
                moved.append(f"{setting_id} was {was}, is now {now[setting_id]}")
            elif setting_id not in now:
                moved.append(f"{setting_id} was {was}, is now absent")
    return moved


async def _apply_account(connections: Connections, spec, changes: list[Change], report: ApplyReport, tracker):
    adapter, client = connections.open(spec)
    sent: dict[str, asyncio.Task] = {}
    outcomes = report.outcomes
    field_of = {change.id: change.field for change in changes}

    async def send(call):
        key = call.key()
        if key not in sent:
            sent[key] = asyncio.ensure_future(client.request(call))
        return await sent[key]

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
            if change.field == "isolated_margin":
                leverage_moved = any(field_of.get(dep) == "leverage" and outcomes[dep].result == "applied"
                                     for dep in change.depends_on if dep in outcomes)
                await _move_margin(adapter, client, change, reread_first=leverage_moved)
            else:
                for call in change.calls:
                    await send(call)
            outcomes[change.id] = Outcome(change.id, "applied")
        except VenueError as exc:
            result = "blocked" if exc.kind == "blocked" else "failed"
            outcomes[change.id] = Outcome(change.id, result, exc.describe())
        tracker.step(change)

    async def run_in_order(group: list[Change]):
        for change in group:
            await run(change)

    for change in [c for c in changes if c.symbol is None]:
        await run(change)
    per_symbol: dict[str, list[Change]] = {}
    for change in changes:
        if change.symbol is not None:
            per_symbol.setdefault(change.symbol, []).append(change)
    await asyncio.gather(*(run_in_order(group) for group in per_symbol.values()))


async def _move_margin(adapter, client, change: Change, reread_first: bool) -> None:
    """Move isolated margin to the target without ever moving it twice.

    The planned call carries the delta. If its fate is unknown (timeout, dropped connection, 5xx),
    the position is read again and only what is still missing is sent. When a leverage change of
    the same position was just applied (some venues move margin with leverage), the margin is read
    before the first move too.
    """
    target = Decimal(change.to)
    call = change.calls[0]
    if reread_first:
        call = await _rest_of_move(adapter, client, change, target)
        if call is None:
            return
    for _ in range(MAX_MARGIN_ATTEMPTS):
        try:
            await client.request(call, retry_ambiguous=False)
            return
        except VenueError as exc:
            if not exc.ambiguous:
                raise
            call = await _rest_of_move(adapter, client, change, target)
            if call is None:
                return
    raise VenueError(adapter.venue, None, f"margin of {change.symbol} could not be confirmed at "
                     f"{decimal_text(target)} after {MAX_MARGIN_ATTEMPTS} attempts", kind="network",
                     account=change.account)


async def _rest_of_move(adapter, client, change: Change, target: Decimal):
    """The call that moves what is still missing, after reading the margin now; None when it is there."""
    current = await adapter.read_margin(client, change.symbol, change.side)
    if current is None:
        raise VenueError(adapter.venue, None, f"{change.symbol} has no open isolated position to move margin "
                         "on any more", kind="business", account=change.account)
    if abs(target - current) <= target * MARGIN_REACHED:
        return None
    return adapter.margin_call(change.symbol, change.side, target - current)


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
