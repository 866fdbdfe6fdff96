"""Plans: reads each account's live state (GET only), diffs it against the file, and attaches the calls."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from decimal import Decimal

from .client import VenueClient
from .config import pattern_symbol
from .connections import Connections
from .diff import diff_account
from .errors import ConfigError, ReconcilerError, VenueError
from .estimate import estimate
from .model import AccountSpec, DesiredState
from .patterns import expand, names, unmatched_text
from .plan import Plan
from .policy.rules import check as check_policy
from .together import cancel_once, holds_others_answers, stopped
from .venues.base import decimal_text


def select(state: DesiredState, accounts=None, symbols=None) -> dict[str, AccountSpec]:
    """The accounts (and symbols) a run is narrowed to by --account / --symbol."""
    unknown = [name for name in accounts or [] if name not in state.accounts]
    if unknown:
        raise ConfigError(f"{state.path}: no account named {', '.join(unknown)} "
                          f"(accounts: {', '.join(state.accounts)})")
    chosen = {name: spec for name, spec in state.accounts.items() if not accounts or name in accounts}
    if symbols is not None:  # an empty list (a saved plan narrowed to nothing) chooses no symbol
        chosen = {name: dataclasses.replace(spec, symbols={s: v for s, v in spec.symbols.items() if s in symbols},
                                            narrowed_to=frozenset(symbols))
                  for name, spec in chosen.items()}
        known = {s for spec in state.accounts.values() for s in spec.symbols}
        missing = [s for s in symbols if s not in known and not any(
            names(p.pattern, s) for spec in state.accounts.values() for p in spec.patterns)]
        if missing:
            raise ConfigError(f"{state.path}: no symbol {', '.join(missing)} in the file")
    return chosen


async def plan(state: DesiredState, *, accounts=None, symbols=None, connections: Connections | None = None,
               parallelism: int | None = None) -> Plan:
    """Read live state and compute the plan for the selected accounts (at most `parallelism` at once)."""
    chosen = select(state, accounts, symbols)
    if connections is None:
        async with Connections(simulator_world=state.simulator_world, config_path=state.path) as opened:
            return await plan(state, accounts=accounts, symbols=symbols, connections=opened, parallelism=parallelism)
    for spec in chosen.values():
        connections.open(spec)  # resolves credentials first: a missing variable fails before any request
    slots = account_slots(parallelism)
    planning = AccountPlans(state, connections, accounts, symbols)

    async def plan_account(spec: AccountSpec) -> Plan:
        async with slots:
            return await planning.account(spec)

    results = await asyncio.gather(*(plan_account(spec) for spec in chosen.values()), return_exceptions=True)
    outcomes = dict(zip(chosen, results))
    wrong_file = planning.wrong_file(outcomes)
    if wrong_file:
        raise ConfigError(wrong_file)  # a wrong file plans (and so applies) nothing anywhere
    return planning.combine(outcomes)


class AccountPlans:
    """One run's plans, account by account: each read and diffed on its own, then put together with the policy
    (by `plan` for all accounts at once, by the pipeline for each venue account as soon as it is read)."""

    def __init__(self, state: DesiredState, connections: Connections, accounts=None, symbols=None, reader=None):
        self.state, self.connections, self.reader = state, connections, reader
        self.scope = {"accounts": None if accounts is None else list(accounts),
                      "symbols": None if symbols is None else list(symbols)}
        self.planned_symbols: set[str] = set()
        self.reads: dict[str, tuple] = {}  # account -> (adapter, live): to give its calls again after a policy denial
        self._expanded: dict[str, asyncio.Future] = {}  # account -> its patterns matched (AccountPlans.expanded)
        self._listed: dict[str, asyncio.Future] = {}  # account -> its listing check (AccountPlans.listed)

    async def expanded(self, spec: AccountSpec) -> tuple[AccountSpec, list]:
        """(the account with its patterns matched, the patterns that matched nothing), once per run."""
        if spec.name not in self._expanded:
            self._expanded[spec.name] = asyncio.ensure_future(_expanded(self.connections, spec, self.reader))
        matched, unmatched = await asyncio.shield(self._expanded[spec.name])  # shared: never cancelled by one asker
        self.planned_symbols.update(matched.symbols)
        return matched, unmatched

    def listing_check(self, spec: AccountSpec) -> asyncio.Future:
        """The run's one check of the account's listing, started at the first ask: whether it was checked apart
        from the account's whole read (see `_listing_checked`; a ConfigError when the file is wrong against it).
        Awaited directly, cancelling the awaiting task cancels it: only for the run's own wait; a plan awaits it
        shielded."""
        if spec.name not in self._listed:
            async def check() -> bool:
                matched, _ = await self.expanded(spec)
                return await _listing_checked(self.connections, matched, self.reader)
            self._listed[spec.name] = asyncio.ensure_future(check())
        return self._listed[spec.name]

    async def account(self, spec: AccountSpec) -> Plan:
        """The plan of one account, without the policy (see `combine`): its reads go alongside its listing
        check, which refuses the file (ConfigError) before the plan is made."""
        expanded = await self.expanded(spec)
        return await _plan_account(self.connections, spec, expanded, asyncio.shield(self.listing_check(spec)),
                                   self.reads, self.reader)

    def wrong_file(self, outcomes: dict[str, Plan | BaseException]) -> list[str]:
        """What the file gets wrong, as reading these accounts found it (their ConfigErrors, then --symbol names
        no account's patterns matched, when these are all the run's accounts); a bug in any account is raised."""
        for failure in outcomes.values():
            if isinstance(failure, BaseException) and not isinstance(failure, ReconcilerError):
                raise failure
        wrong = [message for failure in outcomes.values() if isinstance(failure, ConfigError)
                 for message in failure.messages]
        unmatched = self.unmatched(outcomes)
        return wrong + ([unmatched] if unmatched else [])

    def unmatched(self, outcomes: dict[str, Plan | BaseException]) -> str | None:
        """The --symbol names no account's patterns matched, once every account of the run is read (`outcomes`)."""
        symbols = self.scope["symbols"]
        if not symbols or any(isinstance(r, BaseException) for r in outcomes.values()):
            return None
        unmatched = [s for s in symbols if s not in self.planned_symbols]
        if not unmatched:
            return None
        return (f"{self.state.path}: no symbol {', '.join(unmatched)} in the file, nor among the instruments its "
                "patterns match")

    def combine(self, outcomes: dict[str, Plan | BaseException]) -> Plan:
        """The plan of these accounts (name -> its plan, or the ReconcilerError that kept it from being read), in
        the order given, checked against the policy. Accounts of one venue account must be combined together:
        the policy counts their margin moves together."""
        result = Plan(changes=[], observed={}, config_path=self.state.path, config_sha256=self.state.sha256,
                      scope=dict(self.scope))
        for name, outcome in outcomes.items():
            spec = self.state.accounts[name]
            result.accounts[name] = {"venue": spec.venue, "environment": spec.environment,
                                     "identity": self.connections.identity(spec)}
            if isinstance(outcome, ReconcilerError):
                result.errors[name] = str(outcome)  # one account unreachable does not stop the others
            else:
                result.absorb(outcome)
        if self.state.policy:
            def reassign(account: str) -> None:
                adapter, live = self.reads[account]
                changes = [c for c in result.changes if c.account == account]
                adapter.assign_calls([c for c in changes if c.status == "change"], live)
                attach_effects(adapter, changes, live)
            check_policy(result, self.state.policy, reassign)
        return result


async def read_back(state: DesiredState, connections: Connections, name: str, symbols: list[str]) -> Plan:
    """The plan of one account's `symbols` (and its account settings) read again after writing to them, through
    an adapter of its own (Connections.reader) and at most READ_BACK_IN_FLIGHT requests at once, so the account's
    writes still queued keep their adapter and their connections."""
    (spec,) = select(state, [name], symbols).values()
    adapter, client = connections.reader(spec)
    planning = AccountPlans(state, connections, [name], symbols, reader=(adapter, _Limited(client)))
    (outcome,) = await asyncio.gather(planning.account(spec), return_exceptions=True)
    wrong = planning.wrong_file({name: outcome})
    if wrong:
        raise ConfigError(wrong)
    return planning.combine({name: outcome})


READ_BACK_IN_FLIGHT = 8  # of a client's 16 (client.MAX_IN_FLIGHT): the other half stays free for its writes


class _Limited:
    """A client whose requests through this object are at most READ_BACK_IN_FLIGHT at once."""

    def __init__(self, client):
        self._client, self._slots = client, asyncio.Semaphore(READ_BACK_IN_FLIGHT)

    def __getattr__(self, name):
        return getattr(self._client, name)

    request_all = VenueClient.request_all  # so their requests go through `request` below
    request_each = VenueClient.request_each

    async def request(self, call, **options):
        async with self._slots:
            return await self._client.request(call, **options)


def account_slots(parallelism: int | None):
    """What caps how many accounts run at once: a semaphore, or nothing when uncapped."""
    return asyncio.Semaphore(parallelism) if parallelism else contextlib.nullcontext()


def attach_effects(adapter, changes, live) -> None:
    """Each call's effects, as the adapter declares them: what the write gate judges at send time."""
    carried: dict[str, list] = {}
    calls = {}
    written = [(change, call, call.key()) for change in changes if change.status == "change" for call in change.calls]
    for change, call, key in written:
        carried.setdefault(key, []).append(change)
        calls[key] = call
    for key, call in calls.items():
        call.effects = adapter.call_effects(call, carried[key], changes, live)
    for _, call, key in written:  # calls are shared objects where changes share a request; copies may not be
        call.effects = calls[key].effects


async def _expanded(connections: Connections, spec: AccountSpec, reader=None) -> tuple[AccountSpec, list]:
    """The account's patterns matched against what the venue lists: (the account as matched, the patterns that
    matched nothing). `reader`: the (adapter, client) to read with (Connections.reader), else the account's own."""
    adapter, client = reader or connections.open(spec)
    matched, unmatched = await expand_patterns(adapter, client, spec)
    adapter.account = matched  # what the patterns matched, so the adapter reads each symbol only as the file asks
    return matched, unmatched


async def _listing_checked(connections: Connections, matched: AccountSpec, reader=None) -> bool:
    """The account's symbols and leverages checked against what its venue lists (public data only; ConfigError
    for what the file gets wrong); False when the adapter tells its listing only through its whole read."""
    adapter, client = reader or connections.open(matched)
    bounds = await _read(matched, client, lambda answered: adapter.leverage_bounds(answered, list(matched.symbols)))
    if bounds is not None:
        check_listing(matched, bounds)
    return bounds is not None


async def _plan_account(connections: Connections, written: AccountSpec, expanded: tuple, listing: asyncio.Future,
                        reads: dict | None = None, reader=None) -> Plan:
    """The plan of one account (its `accounts` block is added by the caller): its reads, while `listing` (the
    check of its listing, see _listing_checked) goes on; what the file gets wrong there stops it."""
    adapter, client = reader or connections.open(written)
    before = dict(client.sent_per_endpoint)
    spec, unmatched = expanded
    read_at = time.time()
    # Read in this task (a read handed on to another task waits a whole turn of a busy loop to hand its answer
    # back); when the listing shows the file wrong here, the read stops and the listing's error is raised.
    task, still_reading, cancelled_by_listing = asyncio.current_task(), True, False

    def stop_reading(done: asyncio.Future) -> None:  # its failure retrieved, whenever it comes
        nonlocal cancelled_by_listing
        if _failed(done) and still_reading and not cancelled_by_listing:
            cancelled_by_listing = task.cancel()

    listing.add_done_callback(stop_reading)
    try:
        live = await _read(spec, client, lambda answered: adapter.read(answered, list(spec.symbols)))
    except asyncio.CancelledError:
        if cancelled_by_listing:
            cancelled_by_listing = False
            if task.uncancel() == 0:  # cancelled by the listing alone, not by the run
                raise listing.exception() from None
        raise
    finally:
        still_reading = False
        if cancelled_by_listing:  # the cancellation was swallowed on the way (a wait_for ending as it came)
            task.uncancel()
    checked = await listing
    if not checked:  # the adapter tells its listing only through its whole read
        check_listing(spec, {symbol: (row.min_leverage, row.max_leverage) for symbol, row in live.symbols.items()})
    read_counts = {endpoint: sent - before.get(endpoint, 0) for endpoint, sent in client.sent_per_endpoint.items()
             if sent > before.get(endpoint, 0) and endpoint not in adapter.public_endpoints}
    diff = diff_account(spec, live, adapter)
    adapter.assign_calls(diff.changes, live)
    attach_effects(adapter, diff.changes, live)
    bound_moves(diff.changes)
    for change in diff.changes:
        if change.field == "isolated_margin":
            for call in change.calls:
                call.read_at = read_at
    if reads is not None:
        reads[spec.name] = (adapter, live)
    await adapter.preview_liquidation(client, diff.changes, live)
    return Plan(changes=diff.changes, observed={spec.name: diff.observed}, in_sync=diff.in_sync,
                not_applicable=diff.not_applicable,
                notes=[{"account": spec.name, "text": unmatched_text(written, pattern), "pattern": pattern.written,
                        "where": pattern.where} for pattern in unmatched]
                + [{"account": spec.name, "text": text} for text in adapter.notes(live)],
                estimates={spec.name: estimate(diff.changes, client.pacer, spec.venue, read_counts, len(spec.symbols))})


def _failed(future: asyncio.Future) -> bool:
    return future.done() and not future.cancelled() and future.exception() is not None


def check_listing(spec: AccountSpec, bounds: dict[str, tuple[Decimal | None, Decimal | None]]) -> None:
    """Leverage outside the (minimum, maximum) the venue lists for an instrument is a mistake in the file, refused
    at plan time at the symbol's entry: a ConfigError from any account stops the whole plan, so nothing is sent."""
    problems = []
    for symbol, wanted in spec.symbols.items():
        if wanted.leverage is None or symbol not in bounds:
            continue
        lowest, highest = bounds[symbol]
        where = wanted.origin or f"account {spec.name}: {symbol}"
        values = wanted.leverage.values() if isinstance(wanted.leverage, dict) else [wanted.leverage]
        too_high = [v for v in values if highest is not None and v > highest]
        too_low = [v for v in values if lowest is not None and v < lowest]
        if too_high:
            problems.append(f"{where}: leverage {decimal_text(max(too_high))} is above {symbol}'s maximum "
                            f"{decimal_text(highest)} on {spec.venue}; lower it in the file")
        elif too_low:
            problems.append(f"{where}: leverage {decimal_text(min(too_low))} is below {symbol}'s minimum "
                            f"{decimal_text(lowest)} on {spec.venue}; raise it in the file")
    if problems:
        raise ConfigError(problems)


async def expand_patterns(adapter, client, spec: AccountSpec) -> tuple[AccountSpec, list]:
    """The account with its symbol patterns matched against the instruments the venue lists now, and the
    patterns that matched none."""
    if not spec.patterns:
        return spec, []
    listed = await _read(spec, client, adapter.instrument_ids)
    return expand(spec, listed, lambda symbol, raw, source: pattern_symbol(spec, symbol, raw, source))


MOVE_SLACK = Decimal("1.01")  # fees and rounding between the leverage change and the move


def bound_moves(changes) -> None:
    """A margin move after a leverage change of the same position: its amount is known only at send time.

    An isolated position's margin tracks its leverage (margin = notional / leverage), so after a change from
    L1 to L2 the venue may have re-margined M to anywhere between M and M * L1 / L2. The move then needed
    stays within the larger distance from the target to either end; the gate refuses anything beyond it.
    """
    by_id = {change.id: change for change in changes}
    for change in changes:
        if change.field != "isolated_margin" or change.status != "change" or change.from_ is None:
            continue
        for dependency in (by_id.get(d) for d in change.depends_on):
            if dependency is None or dependency.field != "leverage" or not dependency.from_ or not dependency.to:
                continue
            if dependency.side not in (change.side, None):
                continue
            target, margin = Decimal(change.to), Decimal(change.from_)
            remargined = margin * Decimal(dependency.from_) / Decimal(dependency.to)
            change.move_bound = decimal_text(
                (max(abs(target - margin), abs(target - remargined)) * MOVE_SLACK).quantize(Decimal("0.00000001")))


# What reading an answer of the wrong shape raises inside an adapter (a missing key, a list for an object).
MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError)


async def _read(spec: AccountSpec, client, read):
    """`read(client)`, an adapter's read; an answer of the wrong shape is a VenueError naming the account and
    the endpoint."""
    answered = _Answered(client, spec)
    try:
        return await read(answered)
    except MALFORMED as exc:
        error = VenueError(spec.venue, None, f"{answered.suspects(exc)} has an unexpected shape "
                           f"({type(exc).__name__}: {exc})", account=spec.name)
    finally:
        await answered.stop_others()  # no read of a failed account outlives it (into a closed journal)
    raise error from None


class _Answered:
    """The client, noting which task received which answer, to name the endpoint an adapter failed to read."""

    def __init__(self, client, spec: AccountSpec):
        self._client, self._spec = client, spec
        self._last: dict[asyncio.Task, str] = {}  # task -> endpoint of the last answer it received
        self._tasks: set[asyncio.Task] = set()  # every task that sent a request through it
        self._failed: VenueError | None = None  # the first refusal: after it, nothing more is sent

    def __getattr__(self, name):
        return getattr(self._client, name)

    request_all = VenueClient.request_all  # so their requests go through `request` below
    request_each = VenueClient.request_each

    async def request(self, call, *, optional: bool = False, **options):
        if self._failed is not None:  # one answer failed the account (a wrong key): the other reads would too
            raise self._failed
        self._tasks.add(asyncio.current_task())
        try:
            data = await self._client.request(call, **options)
        except VenueError as exc:
            if self._failed is not None:
                raise self._failed from None
            if optional and exc.kind not in ("auth", "unreachable"):
                raise  # a read the adapter can do without (it falls back): the account's other reads go on
            if exc.code is None:  # no venue code to go by (no answer, or one that cannot be read): say where
                exc.message = f"{exc.message} (reading {call.endpoint})"
            elif exc.kind == "auth":
                exc.message = (f"{exc.message}; also check that the key was made for environment "
                               f"{self._spec.environment} at {self._client.base_url}")
            self._failed = exc
            raise
        self._last.pop(asyncio.current_task(), None)
        self._last[asyncio.current_task()] = call.endpoint
        return data

    async def stop_others(self) -> None:
        """Cancel the reads still running (after one failed) and wait until they have stopped."""
        others = [task for task in self._tasks if task is not asyncio.current_task() and not task.done()]
        cancel_once(others)
        await stopped(others)

    def suspects(self, exc: BaseException) -> str:
        """The answer an exception came from: certain when the task that read it raised it, or when one task
        read everything; otherwise every endpoint read (an adapter may read concurrently and parse later)."""
        for task, endpoint in reversed(self._last.items()):
            if task.done() and not task.cancelled() and task.exception() is exc and not holds_others_answers(task):
                return f"the answer to {endpoint}"
        if list(self._last) == [asyncio.current_task()]:
            return f"the answer to {self._last[asyncio.current_task()]}"
        return "one of the answers to " + ", ".join(dict.fromkeys(self._last.values()))
