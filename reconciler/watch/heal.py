"""A heal: one apply of an account's agreed drift, through `api.reconcile` (policy, windows, locks, journal, once)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import api
from ..backends import Backend, BackendError
from ..errors import ReconcilerError, StalePlanError
from .metrics import RequestMeter


def change_key(change) -> tuple:
    """What two reads must agree on for a change to be healed: its status, values and exact calls."""
    return (change.id, change.status, change.from_, change.to, tuple(call.key() for call in change.calls))


@dataclass
class HealResult:
    result: str  # applied | failed | blocked | denied | stale | busy | error
    outcomes: dict = field(default_factory=dict)  # change id -> executor Outcome
    message: str | None = None
    sent: bool = False  # whether anything was sent to the venue


async def heal(state, account: str, agreed: set[tuple], symbols: list[str] | None, *, backend: Backend,
               journal_path: str | None, metrics) -> HealResult:
    """Apply the account's drift if a fresh read under its lock shows exactly `agreed` (the change keys of the
    last two reads); otherwise send nothing ("stale")."""
    def same_drift(planned) -> bool:
        return {change_key(c) for c in planned.changes if c.status == "change"} == agreed

    try:
        report = await api.reconcile(state, accounts=[account], symbols=symbols, confirm=same_drift,
                                     journal_path=journal_path, progress=_Progress(metrics),
                                     backend=_Metered(backend, metrics))
    except StalePlanError as exc:
        return HealResult("stale", message=str(exc))
    except BackendError as exc:
        return HealResult("busy" if " is in use by " in str(exc) else "error", message=str(exc))
    except ReconcilerError as exc:
        return HealResult("error", message=str(exc))
    if report is None:
        return HealResult("stale", message="the drift changed since the last read; it is read again next pass")
    ids = {key[0] for key in agreed}  # what was planned as "change"; the rest was reported, never sent
    outcomes = {change_id: o for change_id, o in report.outcomes.items() if change_id in ids}
    results = {o.result for o in outcomes.values()}
    sent = bool(results & {"applied", "failed", "blocked"})  # blocked here: refused by the venue when sent
    if report.account_errors:
        return HealResult("failed" if sent else "error", outcomes, "; ".join(report.account_errors.values()), sent)
    for result in ("failed", "blocked", "denied"):
        if result in results:
            return HealResult(result, outcomes, next(o.message for o in outcomes.values() if o.result == result),
                              sent)
    return HealResult("applied" if "applied" in results else "stale", outcomes, sent=sent)


class _Progress:
    """What api.reconcile reports while it runs, as metrics: waits for rate windows."""

    def __init__(self, metrics):
        self.metrics = metrics

    def waiting(self, account: str, endpoint: str, seconds: float) -> None:
        self.metrics.rate_limit_wait.observe(seconds)

    def step(self, done: int, total: int, what: str) -> None:
        pass


class _Metered(Backend):
    """The heal's backend (a fresh one per heal, like any apply run), whose journal also counts requests."""

    def __init__(self, inner: Backend, metrics):
        self.inner, self.metrics = inner, metrics
        self.name, self.key = inner.name, inner.key

    async def open(self):
        await self.inner.open()

    async def close(self):
        await self.inner.close()

    def locks(self, accounts, timeout):
        return self.inner.locks(accounts, timeout)

    def window(self, key, count, seconds, **options):
        return self.inner.window(key, count, seconds, **options)

    def journal(self, run_id):
        return RequestMeter(self.metrics, self.inner.journal(run_id))

    def intents(self):
        return self.inner.intents()  # the record of margin moves: the same every apply and every heal sees

    async def start_run(self, run):
        await self.inner.start_run(run)

    async def finish_run(self, run, outcome):
        await self.inner.finish_run(run, outcome)

    async def claim_plan(self, plan_id, run_id):
        return await self.inner.claim_plan(plan_id, run_id)

    async def history(self, **kwargs):
        return await self.inner.history(**kwargs)
