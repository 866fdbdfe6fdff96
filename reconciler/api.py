"""The Python API a pre-market job or a bot calls: load, plan, apply (the CLI is a thin face over it)."""

from __future__ import annotations

import dataclasses
from contextlib import asynccontextmanager, nullcontext

from .config import load
from .connections import Connections
from .errors import StalePlanError
from .executor import ApplyReport, execute, plan_differences
from .journal import DEFAULT_JOURNAL, Journal
from .lock import AccountLocks, lock_dir
from .model import DesiredState
from .plan import Plan
from .planner import plan as _plan
from .planner import select


@asynccontextmanager
async def open_run(state: DesiredState, accounts=None, *, lock: bool = True, lock_timeout: float = 0.0,
                   journal_path: str | None = None, progress=None):
    """Connections to the chosen accounts, holding their locks (keyed by venue identity) from first read to last write."""
    journal = Journal(journal_path) if journal_path else None
    try:
        async with Connections(simulator_world=state.simulator_world, config_path=state.path,
                               journal=journal) as connections:
            if progress is not None:
                connections.on_wait = progress.waiting
            holders: dict[str, list[str]] = {}
            for spec in select(state, accounts).values():
                holders.setdefault(connections.identity(spec), []).append(spec.name)
            names = {identity: " and ".join(sorted(accounts)) for identity, accounts in holders.items()}
            with AccountLocks(names, timeout=lock_timeout) if lock else nullcontext():
                yield connections
    finally:
        if journal:
            journal.close()


async def plan(state: DesiredState, *, accounts=None, symbols=None, progress=None,
               parallelism: int | None = None) -> Plan:
    """Read live state (GET only, no lock) and compute the plan (at most `parallelism` accounts at once)."""
    async with open_run(state, accounts, lock=False, progress=progress) as connections:
        return await _plan(state, accounts=accounts, symbols=symbols, connections=connections,
                           parallelism=parallelism)


async def apply(plan: Plan, state: DesiredState, *, journal_path: str | None = DEFAULT_JOURNAL, progress=None,
                lock_timeout: float = 0.0, parallelism: int | None = None) -> ApplyReport:
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
                        progress=progress) as connections:
        fresh = await _plan(state, accounts=scope.get("accounts"), symbols=scope.get("symbols"),
                            connections=connections, parallelism=parallelism)
        differences = plan_differences(plan, fresh)
        if differences:
            raise StalePlanError(f"plan is stale, nothing was sent: {_listed(differences)}; run plan again")
        record = AppliedPlans()
        if record.seen(plan.plan_id):
            raise StalePlanError(f"plan {plan.plan_id} was applied already and is applied at most once, nothing "
                                 "was sent; run plan again")
        record.add(plan.plan_id)
        return await execute(fresh, state, connections, progress, parallelism)


async def reconcile(state: DesiredState, *, accounts=None, symbols=None, on_plan=None, confirm=None,
                    journal_path: str | None = DEFAULT_JOURNAL, progress=None,
                    lock_timeout: float = 0.0, parallelism: int | None = None) -> ApplyReport | None:
    """Plan and apply in one run, under the accounts' locks from the first read to the last write.

    `on_plan(plan)` sees the plan (to show it). `confirm(plan) -> bool` is asked when there is
    anything to send; after a yes the live state is read again and only what was shown is sent
    (anything that moved while waiting refuses the apply). Returns None when not confirmed.
    """
    async with open_run(state, accounts, lock_timeout=lock_timeout, journal_path=journal_path,
                        progress=progress) as connections:
        planned = await _plan(state, accounts=accounts, symbols=symbols, connections=connections,
                              parallelism=parallelism)
        if on_plan:
            on_plan(planned)
        if confirm and any(c.status == "change" for c in planned.changes):
            if not confirm(planned):
                return None
            fresh = await _plan(state, accounts=accounts, symbols=symbols, connections=connections,
                                parallelism=parallelism)
            differences = plan_differences(planned, fresh)
            if differences:
                raise StalePlanError("the live state changed while the plan waited for an answer, nothing was sent: "
                                     + _listed(differences) + "; run apply again")
            planned = fresh
        return await execute(planned, state, connections, progress, parallelism)


def _listed(differences: list[str]) -> str:
    more = len(differences) - 10
    return "; ".join(differences[:10]) + (f"; and {more} more" if more > 0 else "")


def narrow(plan: Plan, *, accounts=None, symbols=None) -> Plan:
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
                       if not symbols or setting.count("/") == 1 or setting.split("/")[1] in symbols}
                for name, values in plan.observed.items() if name in kept_accounts}
    return dataclasses.replace(plan, changes=keep, accounts=kept_accounts, observed=observed, scope=scope)


class AppliedPlans:
    """The ids of saved plans applied on this machine, kept beside the locks (read and written under them)."""

    def __init__(self):
        self.path = lock_dir() / "applied-plans"

    def seen(self, plan_id: str) -> bool:
        try:
            return plan_id in self.path.read_text().split()
        except OSError:
            return False

    def add(self, plan_id: str) -> None:
        with self.path.open("a") as handle:
            handle.write(plan_id + "\n")


__all__ = ["load", "plan", "apply", "reconcile", "narrow", "open_run", "Plan", "ApplyReport"]
