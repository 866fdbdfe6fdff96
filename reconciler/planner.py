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
from .model import AccountLive, AccountSpec, DesiredState
from .patterns import expand, names, unmatched_text
from .plan import Plan
from .policy.rules import check as check_policy
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
    planned_symbols: set[str] = set()
    reads: dict[str, tuple] = {}  # account -> (adapter, live): to give its calls again after a policy denial

    async def plan_account(spec: AccountSpec) -> Plan:
        async with slots:
            return await _plan_account(connections, spec, planned_symbols, reads)

    results = await asyncio.gather(*(plan_account(spec) for spec in chosen.values()), return_exceptions=True)
    for failure in results:
        if isinstance(failure, BaseException) and not isinstance(failure, ReconcilerError):
            raise failure
    wrong_file = [message for failure in results if isinstance(failure, ConfigError) for message in failure.messages]
    if symbols and not any(isinstance(r, BaseException) for r in results):
        unmatched = [s for s in symbols if s not in planned_symbols]
        if unmatched:
            wrong_file.append(f"{state.path}: no symbol {', '.join(unmatched)} in the file, nor among the "
                              "instruments its patterns match")
    if wrong_file:
        raise ConfigError(wrong_file)  # a wrong file plans (and so applies) nothing anywhere
    result = Plan(changes=[], observed={}, config_path=state.path, config_sha256=state.sha256,
                  scope={"accounts": None if accounts is None else list(accounts),
                         "symbols": None if symbols is None else list(symbols)})
    for spec, outcome in zip(chosen.values(), results):
        result.accounts[spec.name] = {"venue": spec.venue, "environment": spec.environment,
                                      "identity": connections.identity(spec)}
        if isinstance(outcome, ReconcilerError):
            result.errors[spec.name] = str(outcome)  # one account unreachable does not stop the others
        else:
            result.absorb(outcome)
    if state.policy:
        def reassign(account: str) -> None:
            adapter, live = reads[account]
            changes = [c for c in result.changes if c.account == account]
            adapter.assign_calls([c for c in changes if c.status == "change"], live)
            attach_effects(adapter, changes, live)
        check_policy(result, state.policy, reassign)
    return result


def account_slots(parallelism: int | None):
    """What caps how many accounts run at once: a semaphore, or nothing when uncapped."""
    return asyncio.Semaphore(parallelism) if parallelism else contextlib.nullcontext()


def attach_effects(adapter, changes, live) -> None:
    """Each call's effects, as the adapter declares them: what the write gate judges at send time."""
    carried: dict[str, list] = {}
    calls = {}
    for change in changes:
        if change.status == "change":
            for call in change.calls:
                carried.setdefault(call.key(), []).append(change)
                calls[call.key()] = call
    for key, call in calls.items():
        call.effects = adapter.call_effects(call, carried[key], changes, live)
    for change in changes:  # calls are shared objects where changes share a request; copies may not be
        if change.status == "change":
            for call in change.calls:
                call.effects = calls[call.key()].effects


async def _plan_account(connections: Connections, spec: AccountSpec, planned_symbols: set | None = None,
                        reads: dict | None = None) -> Plan:
    """The plan of one account (its `accounts` block is added by the caller)."""
    adapter, client = connections.open(spec)
    before = dict(client.sent_per_endpoint)
    written = spec
    spec, unmatched = await expand_patterns(adapter, client, spec)
    adapter.account = spec  # what the patterns matched, so the adapter reads each symbol only as the file asks
    if planned_symbols is not None:
        planned_symbols.update(spec.symbols)
    read_at = time.time()
    live = await _read(spec, client, lambda answered: adapter.read(answered, list(spec.symbols)))
    check_listing(spec, live)
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


def check_listing(spec: AccountSpec, live: AccountLive) -> None:
    """Leverage outside the bounds the venue lists for an instrument is a mistake in the file, refused at plan
    time at the symbol's entry: a ConfigError from any account stops the whole plan, so nothing is sent."""
    problems = []
    for symbol, wanted in spec.symbols.items():
        listed = live.symbols.get(symbol)
        if wanted.leverage is None or listed is None:
            continue
        where = wanted.origin or f"account {spec.name}: {symbol}"
        values = wanted.leverage.values() if isinstance(wanted.leverage, dict) else [wanted.leverage]
        too_high = [v for v in values if listed.max_leverage is not None and v > listed.max_leverage]
        too_low = [v for v in values if listed.min_leverage is not None and v < listed.min_leverage]
        if too_high:
            problems.append(f"{where}: leverage {decimal_text(max(too_high))} is above {symbol}'s maximum "
                            f"{decimal_text(listed.max_leverage)} on {spec.venue}; lower it in the file")
        elif too_low:
            problems.append(f"{where}: leverage {decimal_text(min(too_low))} is below {symbol}'s minimum "
                            f"{decimal_text(listed.min_leverage)} on {spec.venue}; raise it in the file")
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

    request_all = VenueClient.request_all  # so its requests go through `request` below

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
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    def suspects(self, exc: BaseException) -> str:
        """The answer an exception came from: certain when the task that read it raised it, or when one task
        read everything; otherwise every endpoint read (an adapter may read concurrently and parse later)."""
        for task, endpoint in reversed(self._last.items()):
            if task.done() and not task.cancelled() and task.exception() is exc:
                return f"the answer to {endpoint}"
        if list(self._last) == [asyncio.current_task()]:
            return f"the answer to {self._last[asyncio.current_task()]}"
        return "one of the answers to " + ", ".join(dict.fromkeys(self._last.values()))
