"""Plans and applies account by account: each account's writes start once its own plan is read, checked and
approved, and its verification once its own writes are done; no account waits for the slowest one's reads."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from .connections import Connections
from .errors import ConfigError, ReconcilerError
from .executor import ApplyReport, Execution
from .model import DesiredState
from .plan import Plan
from .planner import AccountPlans, account_slots, select
from .policy.rules import enforce_windows

Differences = Callable[[Plan], list[str]]  # what a fresh plan says that the approved one does not; [] approves it


@dataclass
class _Decision:
    """What became of one group of accounts once read: its checked plan, or why it sends nothing."""

    names: list[str]
    part: Plan | None = None  # None when the file is wrong for it
    wrong_file: dict[str, list[str]] = field(default_factory=dict)  # account -> what the file gets wrong there
    differences: list[str] = field(default_factory=list)  # why its fresh plan is not the approved one
    held: bool = False  # approved itself, but part of a reviewed plan another part of which was refused

    @property
    def refused(self) -> bool:
        return bool(self.wrong_file or self.differences or self.held)

    @property
    def sends(self) -> bool:
        return not self.refused and self.part is not None and any(
            change.status == "change" for change in self.part.changes)


async def plan_and_apply(state: DesiredState, connections: Connections, *, accounts=None, symbols=None,
                         parallelism: int | None = None, approve: Differences | None = None,
                         refuse: Callable[[list[str]], ReconcilerError] | None = None,
                         claim: Callable[[], Awaitable[None]] | None = None,
                         on_plan: Callable[[Plan], object] | None = None, progress=None,
                         estimates: dict | None = None) -> ApplyReport:
    """Plan the chosen accounts and apply each one's part as soon as it is ready (under the run's locks).

    No account writes before every account's file entries are checked against its venue's listing (public data,
    read once per venue): a mistake only the listing shows sends nothing anywhere. Accounts that are one venue
    account are read and checked together (the policy counts their margin moves together).
    `approve(part)` says what refuses a part (a saved plan's, or the plan a person said yes to); without it
    every part goes (--auto-approve). `claim()` is awaited once, before the first write. `on_plan(plan)` sees
    the whole plan once every account is read, while the first ones may be writing already.

    An account refused (its part is stale, or its whole read found the file wrong) sends nothing; where the plan
    was approved (`approve`), no account sends anything then. When that leaves nothing sent anywhere, the run is refused as a whole: ConfigError, or `refuse(differences)`; otherwise
    the report names each refused account among its account errors (exit 1).
    """
    chosen = select(state, accounts, symbols)
    for spec in chosen.values():
        connections.open(spec)  # resolves credentials first: a missing variable fails before any request
    planning = AccountPlans(state, connections, accounts, symbols)
    execution = Execution(state, connections, progress)
    slots = account_slots(parallelism)
    groups = _groups(connections, chosen)
    claimed: list[asyncio.Future] = []
    listing = {name: planning.listing_check(spec) for name, spec in chosen.items()}

    reading = {name: asyncio.get_running_loop().create_future() for name in chosen}  # each one's read() outcome

    async def read(name: str) -> Plan | Exception:
        """The account's plan, or the exception its read ended in; handed to reading[name] too. Read in the task
        that judges and applies it: a plan handed on to another task waits a whole turn of a busy loop."""
        try:
            async with slots:
                outcome = await planning.account(chosen[name])
        except asyncio.CancelledError:
            reading[name].cancel()
            raise
        except Exception as exc:
            outcome = exc
        if not reading[name].done():
            reading[name].set_result(outcome)
        return outcome

    async def listings_checked() -> list[str]:
        """What the file gets wrong against the venues' listings, in the file's order, once every account is
        checked (an account whose adapter checks its listing only in its whole read: once it is read)."""
        checked: dict[str, object] = {}
        for name, check in listing.items():  # one by one: a gather would cost turns of the loop
            try:
                checked[name] = await check
            except Exception as exc:
                checked[name] = exc
        for name, result in checked.items():
            if result is False:
                checked[name] = (await asyncio.gather(reading[name], return_exceptions=True))[0]
        return planning.wrong_file(checked)  # with the --symbol names nothing matched; a bug is raised here

    barrier = asyncio.ensure_future(listings_checked())

    async def judge(names: list[str]) -> _Decision:
        """The group's plan once read: refused where the file is wrong, or where it is not what was approved."""
        if len(names) == 1:
            outcomes = {names[0]: await read(names[0])}
        else:  # read side by side, each in its own task started in the file's order (see `start`)
            outcomes = {name: await group_reads[name] for name in names}
        decision = _Decision(names)
        for name, outcome in outcomes.items():  # a bug in any account is raised here
            if isinstance(outcome, BaseException) and not isinstance(outcome, ReconcilerError):
                raise outcome
            if isinstance(outcome, ConfigError):
                decision.wrong_file[name] = outcome.messages
        if decision.wrong_file:
            return decision
        decision.part = planning.combine(outcomes)
        decision.differences = approve(decision.part) if approve else []
        return decision

    judged = [asyncio.get_running_loop().create_future() for _ in groups]
    every_judged = asyncio.gather(*judged, return_exceptions=True)

    async def decide(group: int) -> _Decision:
        try:  # judged in this task: a task handed on waits a whole turn of a busy loop
            decision = await judge(groups[group])
        except Exception as exc:
            judged[group].set_exception(exc)
            raise
        judged[group].set_result(decision)
        if await barrier:
            return _Decision(groups[group])  # the file is wrong somewhere: nothing is sent anywhere (raised below)
        if decision.refused:
            return decision
        if approve is not None:
            # A plan someone reviewed (saved, or said yes to) is sent whole or not at all: no part goes before
            # every part is known to be the one approved (a stale part elsewhere sends nothing anywhere).
            verdicts = await asyncio.shield(every_judged)
            if any(isinstance(v, BaseException) or v.refused for v in verdicts):
                decision.held = True
                return decision
        enforce_windows(decision.part, state.policy)  # outside the change windows nothing is sent
        if decision.sends and claim is not None:
            if not claimed:
                claimed.append(asyncio.ensure_future(claim()))
            await claimed[0]
        execution.admit(decision.part)
        return decision

    async def apply(decision: _Decision) -> dict[str, Plan | BaseException]:
        if decision.refused:
            return {}
        names = [name for name in decision.names if name not in decision.part.errors]

        async def one(name: str) -> Plan | Exception:
            try:
                async with slots:
                    return await execution.account(decision.part.part(name))
            except Exception as exc:  # the account's own failure, reported with it
                return exc

        if len(names) == 1:  # most groups: sent in this task, for a task handed on waits a whole turn of the loop
            return {names[0]: await one(names[0])}
        return dict(zip(names, await asyncio.gather(*(one(name) for name in names))))

    decisions = [asyncio.get_running_loop().create_future() for _ in groups]

    async def decide_and_apply(group: int) -> dict[str, Plan | BaseException]:
        """The group's decision, handed to the run as soon as it is made, then its apply in the same task (no
        turn of a busy event loop between an account's plan and its first write)."""
        try:
            decision = await decide(group)
        except asyncio.CancelledError:
            decisions[group].cancel()
            raise
        except Exception as exc:  # the caller raises it
            decisions[group].set_exception(exc)
            return {}
        decisions[group].set_result(decision)
        return await apply(decision)

    group_reads: dict[str, asyncio.Future] = {}  # the reads of the groups of several accounts

    def start(group: int) -> asyncio.Future:
        """The group's decision and apply; its reads start in the file's order (a semaphore serves them so)."""
        if len(groups[group]) > 1:
            group_reads.update({name: asyncio.ensure_future(read(name)) for name in groups[group]})
        return asyncio.ensure_future(decide_and_apply(group))

    applying = [start(group) for group in range(len(groups))]
    _begin(progress, "reading", estimates)
    try:
        wrong = await barrier
        if wrong:
            raise ConfigError(wrong)  # a wrong file plans (and so applies) nothing anywhere
        decided = await asyncio.gather(*decisions, return_exceptions=True)
        failure = next((d for d in decided if isinstance(d, BaseException)), None)
        if failure is not None:
            await asyncio.gather(*applying, return_exceptions=True)  # what was sent elsewhere is answered first
            raise failure
        whole = _whole(state, planning, chosen, decided)
        nothing_sent = not any(decision.sends for decision in decided)
        if nothing_sent:
            wrong = [message for name in chosen for decision in decided
                     for message in decision.wrong_file.get(name, [])]
            if wrong:
                raise ConfigError(wrong)  # found only by a whole read, and nothing went anywhere: refused as ever
            if approve is not None and any(decision.differences for decision in decided):
                raise refuse(approve(_whole(state, planning, chosen, decided, refused_too=True)))
        if on_plan is not None:
            on_plan(whole)
        _finish(progress)
        _begin(progress, "applying", whole)
        afters: dict[str, Plan | BaseException] = {}
        for result in await asyncio.gather(*applying):
            afters.update(result)
        report = execution.report(whole, {name: afters[name] for name in chosen if name in afters})
        for decision in decided:
            report.account_errors.update(_refusals(decision))
        _finish(progress)
        return report
    except BaseException:
        tasks = [*listing.values(), *reading.values(), *group_reads.values(), barrier, *judged, every_judged, *decisions,
                 *applying]
        for task in tasks:
            task.cancel()
        # Each one's end retrieved, so that none is reported at exit as an exception nobody read (a traceback).
        await asyncio.gather(*tasks, return_exceptions=True)
        _finish(progress, completed=False)
        raise


def _groups(connections: Connections, chosen: dict) -> list[list[str]]:
    """Accounts checked and applied together, in the file's order: those of one venue account."""
    groups: dict[str, list[str]] = {}
    for name, spec in chosen.items():
        groups.setdefault(connections.identity(spec), []).append(name)
    return list(groups.values())


def _whole(state, planning: AccountPlans, chosen: dict, decided: list[_Decision], refused_too: bool = False) -> Plan:
    """The plan of every account read and not refused (or read at all), in the file's order."""
    whole = Plan(changes=[], observed={}, config_path=state.path, config_sha256=state.sha256,
                 scope=dict(planning.scope))
    parts = {name: decision.part for decision in decided if decision.part is not None
             and (refused_too or not decision.refused) for name in decision.names}
    for name in chosen:
        if name in parts:
            whole.absorb(parts[name].part(name))
    return whole


def _refusals(decision: _Decision) -> dict[str, str]:
    """Account -> why it sent nothing, for a report in which other accounts did send."""
    if decision.wrong_file:
        why = {name: "; ".join(messages) for name, messages in decision.wrong_file.items()}
        return {name: "nothing was sent to this account: " + (why.get(name) or (
            f"{', '.join(decision.wrong_file)} is the same venue account, and the file is wrong there"))
            for name in decision.names}
    if decision.differences:
        listed = "".join(f"\n  {line}" for line in decision.differences)
        return {name: f"its part of the plan is stale, nothing was sent to it; run plan again. What changed:{listed}"
                for name in decision.names}
    return {}


def _begin(progress, phase: str, what) -> None:
    begin = getattr(progress, phase, None)
    if begin is not None:
        begin(what)


def _finish(progress, completed: bool = True) -> None:
    finish = getattr(progress, "finish", None)
    if finish is not None:
        finish(completed=completed)

