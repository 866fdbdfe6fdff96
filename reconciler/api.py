"""The Python API a pre-market job or a bot calls: load, plan, apply (the CLI is a thin face over it)."""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Collection, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Protocol

from .address import Address
from .config import load
from .backends import Backend, RunRecord, backend_from_url
from .connections import Connections
from .errors import ConfigError, ReconcilerError, StalePlanError, VenueError
from .executor import ApplyReport, execute, plan_differences
from .journal import DEFAULT_JOURNAL
from .lock import HostLocks
from .model import DesiredState
from .plan import Plan
from .planner import plan as _plan
from .planner import select
from .policy.rules import enforce_windows

Names = Collection[str] | None  # accounts or symbols to narrow a run to; None: all of them


class Progress(Protocol):
    """What shows a long apply's progress (the CLI's is views.progress.RunProgress, which also has phases)."""

    def step(self, done: int, total: int, what: str) -> None: ...

    def waiting(self, account: str, endpoint: str, seconds: float) -> None: ...


@dataclasses.dataclass
class NotConfirmed(ApplyReport):
    """reconcile()'s report when `confirm` said no: the plan it showed, nothing sent, exit code 1."""

    @property
    def exit_code(self) -> int:
        return 1


@asynccontextmanager
async def open_run(state: DesiredState, accounts: Names = None, *, lock: bool = True, lock_timeout: float = 0.0,
                   journal_path: str | None = None, progress: Progress | None = None,
                   backend: Backend | str | None = None, command: str = "apply") -> AsyncIterator[Connections]:
    """Connections to the chosen accounts, holding their locks (keyed by venue identity) from first read to last write.

    `backend` is a Backend, a URL (`local`, `postgresql://...`) or None for this machine's files. It is
    opened before any venue is read (a backend that cannot be reached refuses the run), and the run is
    recorded in it; set `connections.run.outcome` to say how the run ended.
    """
    run = RunRecord(run_id=uuid.uuid4().hex[:12], command=command, config_path=state.path,
                    config_sha256=state.sha256, accounts=sorted(select(state, accounts)))
    backend = backend if isinstance(backend, Backend) else backend_from_url(backend, journal_path=journal_path)
    await backend.open()
    journal = None
    try:
        journal = backend.journal(run.run_id) if command != "plan" else None  # a plan's reads are not journaled
        await backend.start_run(run)
        async with Connections(simulator_world=state.simulator_world, config_path=state.path,
                               journal=journal, backend=backend) as connections:
            connections.run = run
            if progress is not None:
                connections.on_wait = progress.waiting
                connections.on_request = getattr(progress, "answered", None)
            holders: dict[str, list[str]] = {}
            for spec in select(state, accounts).values():
                holders.setdefault(connections.identity(spec), []).append(spec.name)
            names = {identity: " and ".join(sorted(accounts)) for identity, accounts in holders.items()}
            async with backend.locks(names, lock_timeout) if lock else _unlocked():
                async with HostLocks(names, lock_timeout) if lock else _unlocked():
                    yield connections
    except BaseException as exc:
        run.outcome = f"stopped: {exc}" if isinstance(exc, ReconcilerError) else f"stopped: {type(exc).__name__}"
        raise
    finally:
        try:
            await backend.finish_run(run, run.outcome or "stopped")
        except ReconcilerError:
            pass  # the backend went away: the error that stopped the run says so
        if journal:
            journal.close()
        await backend.close()


@asynccontextmanager
async def _unlocked():
    yield


@contextmanager
def _phase(progress: Progress | None, name: str, *what: object) -> Iterator[None]:
    """Tell a progress display with phases (views.progress.RunProgress) that one starts and ends; a display
    that only counts steps and waits is told nothing more."""
    begin = getattr(progress, name, None)
    if begin is None:
        yield
        return
    begin(*what)
    try:
        yield
    except BaseException:
        progress.finish(completed=False)  # type: ignore[union-attr]  # it has phases, so it has finish
        raise
    progress.finish()  # type: ignore[union-attr]


async def plan(state: DesiredState, *, accounts: Names = None, symbols: Names = None,
               progress: Progress | None = None, backend: Backend | str | None = None,
               parallelism: int | None = None) -> Plan:
    """Read live state (GET only, no lock) and compute the plan (at most `parallelism` accounts at once)."""
    async with open_run(state, accounts, lock=False, progress=progress, backend=backend,
                        command="plan") as connections:
        with _phase(progress, "reading"):
            planned = await _plan(state, accounts=accounts, symbols=symbols, connections=connections,
                                  parallelism=parallelism)
        connections.run.plan_id = planned.plan_id
        connections.run.outcome = _plan_summary(planned)
        return planned


async def apply(plan: Plan, state: DesiredState, *, journal_path: str | None = DEFAULT_JOURNAL,
                progress: Progress | None = None, lock_timeout: float = 0.0, backend: Backend | str | None = None,
                parallelism: int | None = None) -> ApplyReport:
    """Apply a saved plan made from `state`: a claim to check, never an instruction.

    Under the accounts' locks the plan is made again from fresh live state; only if the fresh plan's
    changes, calls and observed values are exactly the saved ones is anything sent, and then what is
    sent is the fresh plan (accounts, URLs and credentials come from `state`, never from the plan).
    """
    if plan.config_sha256 != state.sha256:
        raise StalePlanError(f"{state.path} changed since this plan was made (sha256 {state.sha256[:12]}, the plan "
                             f"was made from {str(plan.config_sha256)[:12]}); run plan again")
    scope = plan.scope or {}
    async with open_run(state, scope.get("accounts"), lock_timeout=lock_timeout, journal_path=journal_path,
                        progress=progress, backend=backend, command="apply saved plan") as connections:
        connections.run.plan_id = plan.plan_id
        with _phase(progress, "reading", plan.estimates):
            fresh = await _plan(state, accounts=scope.get("accounts"), symbols=scope.get("symbols"),
                                connections=connections, parallelism=parallelism)
        others = [name for name, block in fresh.accounts.items()
                  if (plan.accounts.get(name) or {}).get("identity") != block.get("identity")]
        if others:
            raise StalePlanError(f"this plan was made for another venue account than {', '.join(others)} in "
                                 f"{state.path} now (another key or address), nothing was sent; run plan again")
        differences = plan_differences(plan, fresh)
        if differences:
            raise StalePlanError("plan is stale, nothing was sent; run plan again. What changed since it was made:"
                                 + _listed(differences))
        enforce_windows(fresh, state.policy)  # outside the change windows nothing is sent, and the plan stays unused
        if any(c.status == "change" for c in fresh.changes) and not await connections.backend.claim_plan(
                plan.plan_id, connections.run.run_id):
            raise StalePlanError(f"plan {plan.plan_id} was applied already and is applied at most once, nothing "
                                 "was sent; run plan again")
        with _phase(progress, "applying", fresh):
            report = await execute(fresh, state, connections, progress, parallelism)
        connections.run.outcome = _report_summary(report)
        return report


async def reconcile(state: DesiredState, *, accounts: Names = None, symbols: Names = None,
                    on_plan: Callable[[Plan], object] | None = None, confirm: Callable[[Plan], bool] | None = None,
                    journal_path: str | None = DEFAULT_JOURNAL, progress: Progress | None = None,
                    lock_timeout: float = 0.0, backend: Backend | str | None = None,
                    parallelism: int | None = None) -> ApplyReport:
    """Plan and apply in one run, under the accounts' locks from the first read to the last write.

    `on_plan(plan)` sees the plan (to show it). `confirm(plan) -> bool` is asked when there is
    anything to send; after a yes the live state is read again and only what was shown is sent
    (anything that moved while waiting refuses the apply). When it says no, nothing is sent and the
    report is a NotConfirmed (no outcomes, exit code 1).
    """
    async with open_run(state, accounts, lock_timeout=lock_timeout, journal_path=journal_path,
                        progress=progress, backend=backend) as connections:
        with _phase(progress, "reading"):
            planned = await _plan(state, accounts=accounts, symbols=symbols, connections=connections,
                                  parallelism=parallelism)
        enforce_windows(planned, state.policy)  # outside the change windows: nothing to ask, nothing to send
        connections.run.plan_id = planned.plan_id
        if on_plan:
            on_plan(planned)
        if confirm and any(c.status == "change" for c in planned.changes):
            if not confirm(planned):
                connections.run.outcome = "cancelled at the prompt, nothing sent"
                return NotConfirmed(plan=planned)
            with _phase(progress, "reading", planned.estimates):
                fresh = await _plan(state, accounts=accounts, symbols=symbols, connections=connections,
                                    parallelism=parallelism)
            differences = plan_differences(planned, fresh)
            if differences:
                raise StalePlanError("the live state changed while the plan waited for an answer, nothing was sent; "
                                     "run apply again. What changed:" + _listed(differences))
            planned = fresh
            enforce_windows(planned, state.policy)  # a prompt left open may have crossed a window's end
        with _phase(progress, "applying", planned):
            report = await execute(planned, state, connections, progress, parallelism)
        connections.run.outcome = _report_summary(report)
        return report


def _plan_summary(planned: Plan) -> str:
    counts = Counter(change.status for change in planned.changes)
    shown = ", ".join(f"{count} {status}" for status, count in sorted(counts.items())) or "in sync"
    return f"planned: {shown}" + (f"; {len(planned.errors)} accounts unreadable" if planned.errors else "")


def _report_summary(report: ApplyReport) -> str:
    counts = Counter(outcome.result for outcome in report.outcomes.values())
    shown = ", ".join(f"{count} {result}" for result, count in sorted(counts.items())) or "nothing to send"
    errors = f"; {len(report.account_errors)} accounts in error" if report.account_errors else ""
    return f"exit {report.exit_code}: {shown}{errors}"


SHOWN_DIFFERENCES = 10  # lines of a stale plan's refusal before "and N more"


def _listed(differences: list[str]) -> str:
    """One indented line per difference, a long list cut with `and N more`."""
    more = len(differences) - SHOWN_DIFFERENCES
    return "".join(f"\n  {line}" for line in differences[:SHOWN_DIFFERENCES]) + (f"\n  and {more} more" if more > 0
                                                                                 else "")


def narrow(plan: Plan, *, accounts: Names = None, symbols: Names = None) -> Plan:
    """A saved plan cut down to some accounts or symbols (it never grows)."""
    if not accounts and not symbols:
        return plan
    scope = dict(plan.scope or {})
    if accounts:
        scope["accounts"] = [a for a in (scope.get("accounts") or plan.accounts) if a in accounts]
    if symbols:
        scope["symbols"] = [s for s in symbols if not scope.get("symbols") or s in scope["symbols"]]
    keep = [c for c in plan.changes if (not accounts or c.account in accounts)
            and (not symbols or c.symbol is None or c.symbol in symbols)]
    kept_accounts = {name: block for name, block in plan.accounts.items() if not accounts or name in accounts}
    observed = {name: {setting: value for setting, value in values.items()
                       if not symbols or Address.parse(setting).symbol in (None, *symbols)}
                for name, values in plan.observed.items() if name in kept_accounts}
    return dataclasses.replace(plan, changes=keep, accounts=kept_accounts, observed=observed, scope=scope)


__all__ = ["load", "plan", "apply", "reconcile", "narrow", "open_run", "Plan", "ApplyReport", "NotConfirmed",
           "Progress", "ReconcilerError", "ConfigError", "VenueError", "StalePlanError"]
