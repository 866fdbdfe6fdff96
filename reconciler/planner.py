"""Plans: reads each account's live state (GET only), diffs it against the file, and attaches the calls."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

from .client import VenueClient
from .config import pattern_symbol
from .connections import Connections
from .diff import diff_account
from .errors import ConfigError, ReconcilerError, VenueError
from .estimate import estimate
from .model import AccountSpec, DesiredState
from .patterns import expand, names
from .plan import Plan
from .policy.rules import check as check_policy


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

    async def plan_account(spec: AccountSpec) -> Plan:
        async with slots:
            return await _plan_account(connections, spec, planned_symbols)

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
        result.accounts[spec.name] = {"venue": spec.venue, "environment": spec.environment}
        if isinstance(outcome, ReconcilerError):
            result.errors[spec.name] = str(outcome)  # one account unreachable does not stop the others
        else:
            result.absorb(outcome)
    if state.policy:
        check_policy(result, state.policy)
    return result


def account_slots(parallelism: int | None):
    """What caps how many accounts run at once: a semaphore, or nothing when uncapped."""
    return asyncio.Semaphore(parallelism) if parallelism else contextlib.nullcontext()


async def _plan_account(connections: Connections, spec: AccountSpec, planned_symbols: set | None = None) -> Plan:
    """The plan of one account (its `accounts` block is added by the caller)."""
    adapter, client = connections.open(spec)
    before = dict(client.sent_per_endpoint)
    spec, warnings = await expand_patterns(adapter, client, spec)
    adapter.account = spec  # what the patterns matched, so the adapter reads each symbol only as the file asks
    if planned_symbols is not None:
        planned_symbols.update(spec.symbols)
    live = await _read(spec, client, lambda answered: adapter.read(answered, list(spec.symbols)))
    reads = {endpoint: sent - before.get(endpoint, 0) for endpoint, sent in client.sent_per_endpoint.items()
             if sent > before.get(endpoint, 0) and endpoint not in adapter.public_endpoints}
    diff = diff_account(spec, live, adapter)
    adapter.assign_calls(diff.changes, live)
    await adapter.preview_liquidation(client, diff.changes, live)
    return Plan(changes=diff.changes, observed={spec.name: diff.observed}, in_sync=diff.in_sync,
                not_applicable=diff.not_applicable,
                notes=[{"account": spec.name, "text": text} for text in warnings + adapter.notes(live)],
                estimates={spec.name: estimate(diff.changes, client.pacer, spec.venue, reads, len(spec.symbols))})


async def expand_patterns(adapter, client, spec: AccountSpec) -> tuple[AccountSpec, list[str]]:
    """The account with its symbol patterns matched against the instruments the venue lists now."""
    if not spec.patterns:
        return spec, []
    listed = await _read(spec, client, adapter.instrument_ids)
    return expand(spec, listed, lambda symbol, raw, source: pattern_symbol(spec, symbol, raw, source))


# What reading an answer of the wrong shape raises inside an adapter (a missing key, a list for an object).
MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError)


async def _read(spec: AccountSpec, client, read):
    """`read(client)`, an adapter's read; an answer of the wrong shape is a VenueError naming the account and
    the endpoint."""
    answered = _Answered(client)
    try:
        return await read(answered)
    except MALFORMED as exc:
        raise VenueError(spec.venue, None, f"{answered.suspects(exc)} has an unexpected shape "
                         f"({type(exc).__name__}: {exc})", account=spec.name) from None


class _Answered:
    """The client, noting which task received which answer, to name the endpoint an adapter failed to read."""

    def __init__(self, client):
        self._client = client
        self._last: dict[asyncio.Task, str] = {}  # task -> endpoint of the last answer it received

    def __getattr__(self, name):
        return getattr(self._client, name)

    request_all = VenueClient.request_all  # so its requests go through `request` below

    async def request(self, call, **options):
        try:
            data = await self._client.request(call, **options)
        except VenueError as exc:
            if exc.code is None:  # no venue code to go by (no answer, or one that cannot be read): say where
                exc.message = f"{exc.message} (reading {call.endpoint})"
            raise
        self._last.pop(asyncio.current_task(), None)
        self._last[asyncio.current_task()] = call.endpoint
        return data

    def suspects(self, exc: BaseException) -> str:
        """The answer an exception came from: certain when the task that read it raised it, or when one task
        read everything; otherwise every endpoint read (an adapter may read concurrently and parse later)."""
        for task, endpoint in reversed(self._last.items()):
            if task.done() and not task.cancelled() and task.exception() is exc:
                return f"the answer to {endpoint}"
        if list(self._last) == [asyncio.current_task()]:
            return f"the answer to {self._last[asyncio.current_task()]}"
        return "one of the answers to " + ", ".join(dict.fromkeys(self._last.values()))
