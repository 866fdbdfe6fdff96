"""The Python API a pre-market job or a bot calls: load, plan, apply (the CLI is a thin face over it)."""

from __future__ import annotations

import dataclasses

from .config import load
from .executor import ApplyReport
from .executor import apply as _apply
from .journal import DEFAULT_JOURNAL, Journal
from .lock import AccountLocks
from .plan import Plan
from .planner import plan


async def apply(plan: Plan, *, check_stale: bool = False, journal_path: str | None = DEFAULT_JOURNAL,
                progress=None) -> ApplyReport:
    """Apply a plan; every call goes to the journal at `journal_path` (None: no journal)."""
    with AccountLocks([f"{data['venue']}-{name}" for name, data in plan.accounts.items()]):
        journal = Journal(journal_path) if journal_path else None
        try:
            return await _apply(plan, check_stale=check_stale, journal=journal, progress=progress)
        finally:
            if journal:
                journal.close()


def narrow(plan: Plan, *, accounts=None, symbols=None) -> Plan:
    """A saved plan cut down to some accounts or symbols (it never grows)."""
    if not accounts and not symbols:
        return plan
    keep = [c for c in plan.changes if (not accounts or c.account in accounts)
            and (not symbols or c.symbol is None or c.symbol in symbols)]
    kept_accounts = {}
    for name, block in plan.accounts.items():
        if accounts and name not in accounts:
            continue
        if symbols:
            block = {**block, "symbols": {s: v for s, v in block.get("symbols", {}).items() if s in symbols}}
        kept_accounts[name] = block
    observed = {name: {setting: value for setting, value in values.items()
                       if not symbols or setting.split("/")[1] in symbols or setting.count("/") == 1}
                for name, values in plan.observed.items() if name in kept_accounts}
    return dataclasses.replace(plan, changes=keep, accounts=kept_accounts, observed=observed)


__all__ = ["load", "plan", "apply", "narrow", "Plan", "ApplyReport"]
