"""The watch loop: every interval (with jitter) read each leased account as `plan` does, report, and heal where told."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import time
import uuid
from collections import deque
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import planner
from ..backends import RunRecord, backend_from_url
from ..config import load, resolve_credentials
from ..connections import Connections
from ..errors import ConfigError, ReconcilerError
from ..policy import windows as clock
from ..policy.rules import window_refusal
from .heal import change_key, heal
from .items import Episodes, Item, item_place, items_of
from .leases import Leases
from .metrics import Metrics, RequestMeter
from .notify import Notifier, event

log = logging.getLogger("reconciler.watch")
HOUR = 3600.0
LEASE_SHARE_OF_INTERVAL = 0.75  # a dead replica's accounts are free this long after its last renewal
DEFAULT_PARALLELISM = 32  # accounts read at once: 500 at once would only queue in the client and time out


@dataclass
class _Account:
    """What the watcher remembers of one account between passes."""

    episodes: Episodes = field(default_factory=Episodes)
    pending: frozenset = frozenset()  # change keys of the last read's healable drift
    failures: int = 0  # consecutive failed reads
    next_try: float = 0.0  # monotonic time before which the account is not read (backoff)
    terminal: str | None = None  # an error only a new file can cure
    errored: bool = False  # a watcher_errored event was sent for the current error episode
    refused: dict = field(default_factory=dict)  # change id -> (change key, retry after): refused when sent
    heals: deque = field(default_factory=deque)  # monotonic times of heals that sent something
    said: set = field(default_factory=set)  # one-per-episode log lines already written (waits, limits)
    leased: bool = False  # this replica held its lease at the last tick
    healing: bool = False  # a heal of it is in flight (finished and recorded even when stopping)


class Watcher:
    """`await run()` until `stop()`; `reload()` rereads the file (SIGHUP). Never stops on one account's error."""

    def __init__(self, path: str, *, load_state=None, interval: float | None = None, backend_url: str | None = None,
                 journal_path: str | None = None, notifier: Notifier | None = None, metrics: Metrics | None = None,
                 extra_files: list[str] = (), parallelism: int | None = None, status=None):
        self.path = path
        self._load = load_state or load
        self._interval_flag = interval
        self.backend_url = backend_url
        self.journal_path = journal_path
        self.notifier = notifier or Notifier([])
        self.metrics = metrics or Metrics()
        self.files = [path, *extra_files]  # a change of any of them reloads
        self._slots = planner.account_slots(parallelism or DEFAULT_PARALLELISM)  # accounts read at once
        self.status = status  # StatusServer: beat() per turn, ready after the first pass
        self.state = self._load(path)
        self._fingerprint = self._files_fingerprint()
        self._bad_fingerprint: str | None = None
        self.accounts: dict[str, _Account] = {}
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._reload_asked = False
        self.backend = None
        self.leases: Leases | None = None
        self._cycles: dict[str, asyncio.Task] = {}  # account -> its cycle under way
        self._connections: Connections | None = None
        self._keys: dict[str, str] = {}  # account -> lease key
        self._serial = contextlib.nullcontext()

    # --- control ---------------------------------------------------------------------------------------
    @property
    def interval(self) -> float:
        return self._interval_flag or self.state.watch.interval

    def stop(self) -> None:
        healing = sum(1 for memory in self.accounts.values() if memory.healing)
        if healing:
            log.info("stopping: finishing %d heal(s) in flight first, then exiting", healing)
        self._stop.set()
        self._wake.set()

    def reload(self) -> None:
        self._reload_asked = True
        self._wake.set()

    async def open(self) -> None:
        """Open the backend, record the watcher as a run, start the leases' renewals and the webhooks."""
        self.backend = backend_from_url(self.backend_url, journal_path=self.journal_path)
        await self.backend.open()
        self._run = RunRecord(run_id=uuid.uuid4().hex[:12], command="watch", config_path=self.state.path,
                              config_sha256=self.state.sha256, accounts=sorted(self.state.accounts))
        await self.backend.start_run(self._run)
        self.leases = Leases(self.backend, ttl=max(0.2, self.interval * LEASE_SHARE_OF_INTERVAL))
        self.leases.start()
        await self.notifier.start()
        log.info("watching %d accounts of %s every %g s (replica %s, backend %s)", len(self.state.accounts),
                 self.path, self.interval, self.leases.holder, self.backend.name)
        await self._adopt(self.state)

    async def close(self) -> None:
        """Abandon reads under way, finish heals in flight, give the leases up, and close everything."""
        await self._settle(abandon_reads=True)
        await self.leases.release()
        await self.notifier.stop()
        try:
            await self.backend.finish_run(self._run, "stopped")
        except ReconcilerError:
            pass
        await self._close_reads()
        await self.backend.close()
        log.info("stopped")

    async def run(self) -> None:
        await self.open()
        try:
            while not self._stop.is_set():
                try:
                    await self._tick()
                except ReconcilerError as exc:
                    self._watcher_error("loop", exc)
                if self.status is not None:
                    self.status.beat()
                await self._pause()
        finally:
            await self.close()

    async def sweep(self) -> None:
        """One pass that ends when every leased account has been read (and healed where due): for benchmarks."""
        await self._tick()
        await asyncio.gather(*self._cycles.values(), return_exceptions=True)

    async def _reconnect(self) -> None:
        """After the backend failed: open it again (a database restarted, a connection dropped); the next tick
        claims the leases again."""
        try:
            await self.backend.close()
            await self.backend.open()
            log.info("backend %s reopened", self.backend.name)
        except ReconcilerError as exc:
            log.warning("backend %s still cannot be used: %s", self.backend.name, self._redact(str(exc)))

    async def _pause(self) -> None:
        if self._stop.is_set() or self._reload_asked:
            return
        jitter = self.state.watch.jitter
        try:
            await asyncio.wait_for(self._wake.wait(), self.interval * random.uniform(1 - jitter, 1 + jitter))
        except TimeoutError:
            pass
        self._wake.clear()

    # --- one tick: every leased account not already being read starts a cycle ----------------------------
    async def _tick(self) -> None:
        if self._reload_due():
            await self._settle(abandon_reads=False)  # the file's accounts change only between cycles
            await self._reload()
        self.metrics.passes.inc()
        if self._connections is not None:
            self._connections.refresh_public()  # instruments listed since the last pass are seen
        mine = await self._claim()
        for name in mine:
            if name not in self._cycles:
                self._cycles[name] = asyncio.create_task(self._cycle(self.state, name))
                self._cycles[name].add_done_callback(lambda task, name=name: self._done(name, task))
        if self.status is not None and not mine and not self._cycles:
            self.status.ready = True

    def _done(self, name: str, task: asyncio.Task) -> None:
        if self._cycles.get(name) is task:
            del self._cycles[name]
        if not task.cancelled() and task.exception() is not None:
            self._watcher_error("cycle", task.exception())
        if self.status is not None:
            self.status.ready = True

    async def _settle(self, abandon_reads: bool) -> None:
        """Let the cycles under way end; with `abandon_reads`, those only reading are cancelled (nothing is sent
        by a read), while a heal in flight is always finished and recorded."""
        if abandon_reads:
            for name, task in list(self._cycles.items()):
                if not self.accounts.get(name, _Account()).healing:
                    task.cancel()
        await asyncio.gather(*self._cycles.values(), return_exceptions=True)

    async def _cycle(self, state, name: str) -> None:
        """Read one account, and heal it when the file says so and two reads agree."""
        async with self._serial:
            async with self._slots, self._reading(state) as connections:
                decision = await self._observe(state, name, connections)
            if decision is not None and not self._stop.is_set():
                await self._heal(state, *decision)

    @asynccontextmanager
    async def _reading(self, state):
        """The connections reads go through: one set for the watcher's life, or (embedded simulator) one per
        cycle, so that a heal's own run finds the simulator's state saved."""
        if state.simulator_world is None:
            if self._connections is None:
                self._connections = Connections(config_path=state.path, journal=RequestMeter(self.metrics),
                                                backend=self.backend)
                self._connections.on_wait = self._waited
                await self._connections.__aenter__()
            yield self._connections
            return
        async with Connections(simulator_world=state.simulator_world, config_path=state.path,
                               journal=RequestMeter(self.metrics), backend=self.backend) as connections:
            connections.on_wait = self._waited
            yield connections

    def _waited(self, account: str, endpoint: str, seconds: float) -> None:
        self.metrics.rate_limit_wait.observe(seconds)

    async def _close_reads(self) -> None:
        if self._connections is not None:
            await self._connections.__aexit__(None, None, None)
            self._connections = None

    async def _adopt(self, state) -> None:
        """Take `state` as the file in force: its accounts' lease keys (venue identities, never names)."""
        self.state = state
        self._serial = asyncio.Lock() if state.simulator_world else contextlib.nullcontext()
        for gone in set(self.accounts) - set(state.accounts):
            del self.accounts[gone]
            self.metrics.forget(gone)
        self._keys = {}
        # Identities need no request; only an embedded simulator must be started to give its address.
        async with self._reading(state) if state.simulator_world else contextlib.nullcontext(
                Connections(config_path=state.path)) as probe:
            for name, spec in state.accounts.items():
                self.accounts.setdefault(name, _Account())
                try:
                    self._keys[name] = "account " + probe.identity(spec)
                except ConfigError as exc:
                    self._account_error(name, spec.venue, exc, terminal=True)

    async def _claim(self) -> list[str]:
        """The accounts this replica reads now: those whose lease it holds and that are not backing off."""
        try:
            held = await self.leases.claim(sorted(set(self._keys.values())))
        except ReconcilerError as exc:
            self._watcher_error("leases", exc)
            held = set()
            await self._reconnect()
        now = time.monotonic()
        mine = []
        for name, key in self._keys.items():
            memory = self.accounts[name]
            if key in held:
                if not memory.leased:
                    log.info("%s: lease taken", name)
                memory.leased = True
                self.metrics.lease_held.labels(name).set(1)
                if memory.terminal is None and now >= memory.next_try:
                    mine.append(name)
            elif memory.leased and name not in self._cycles:
                log.info("%s: lease held by another replica now", name)
                self.metrics.forget(name)  # another replica reports it now
                self.accounts[name] = _Account()
        return mine

    async def _observe(self, state, name: str, connections):
        """Read one account and compare it with the file; returns (name, agreed drift, symbols) to heal, or None."""
        spec = state.accounts[name]
        memory = self.accounts[name]
        started = time.monotonic()
        try:
            planned = await planner.plan(state, accounts=[name], connections=connections)
        except ConfigError as exc:
            self._account_error(name, spec.venue, exc, terminal=True)
            return None
        except ReconcilerError as exc:
            self._account_error(name, spec.venue, exc)
            return None
        except Exception as exc:  # a bug must not stop the other accounts
            log.exception("reading %s failed", name)
            self._account_error(name, spec.venue, exc)
            return None
        finally:
            self.metrics.reconcile_duration.observe(time.monotonic() - started)
        if planned.errors:
            self._account_error(name, spec.venue, planned.errors[name])
            return None
        now = time.monotonic()
        if memory.errored:
            log.info("%s is readable again", name)
        memory.failures, memory.errored = 0, False
        drift = [c for c in planned.changes if c.status == "change"]
        refused = self._refused(memory, drift, now)
        items = [Item(i.id, i.symbol, i.setting, "blocked", i.old, i.new, refused[i.id]) if i.id in refused else i
                 for i in items_of(planned, name)]
        self.metrics.items(name, spec.venue, [(i.symbol, i.setting, i.status) for i in items])
        mode = state.watch.for_account(name).mode
        for kind, item in memory.episodes.observe(items, now):
            if kind == "drift_detected" and item.reason is None:
                item = replace(item, reason="the live value differs from the file; " + (
                    "it is healed once two reads agree" if mode == "heal" else "mode report: reported, not healed"))
            self._notify(kind, name, spec.venue, item)
        self.metrics.drift_seconds.labels(name).set(memory.episodes.drift_seconds(now))
        self.metrics.reconcile_total.labels(name, "in_sync" if not planned.changes else "drift").inc()
        self.metrics.last_success.labels(name).set(time.time())
        healable = [c for c in drift if c.id not in refused]
        agreed = frozenset(change_key(c) for c in healable)
        previous, memory.pending = memory.pending, agreed
        if not agreed or mode != "heal":
            return None
        if agreed != previous:
            log.info("%s: drift in %d settings; healed if the next read agrees", name, len(agreed))
            return None
        symbols = None
        if refused:  # heal only the symbols with nothing refused; an account setting then waits too
            if any(c.symbol is None for c in healable):
                return None
            symbols = sorted({c.symbol for c in healable} - {c.symbol for c in drift if c.id in refused})
            agreed = frozenset(change_key(c) for c in healable if c.symbol in symbols)
            if not symbols:
                return None
        return name, agreed, symbols

    def _refused(self, memory: _Account, drift, now: float) -> dict[str, str]:
        """The drifting changes refused when last sent, not retried until their read changes (or max_backoff)."""
        keep = {}
        for change in drift:
            key, retry_after, reason = memory.refused.get(change.id, (None, 0.0, None))
            if key == change_key(change) and now < retry_after:
                keep[change.id] = (key, retry_after, reason)
        memory.refused = keep
        return {change_id: reason for change_id, (_, _, reason) in keep.items()}

    async def _heal(self, state, name: str, agreed: frozenset, symbols) -> None:
        memory = self.accounts[name]
        spec = state.accounts[name]
        budget = state.watch.for_account(name).max_heals_per_hour
        now = time.monotonic()
        while memory.heals and memory.heals[0] < now - HOUR:
            memory.heals.popleft()
        if len(memory.heals) >= budget:
            if self._once(memory, "limited"):
                self.metrics.heals_total.labels(name, "limited").inc()
                log.warning("%s: heal waits: max_heals_per_hour %d reached; drift is reported, not healed",
                            name, budget)
            return
        refusal = window_refusal(state.policy, clock.now()) if state.policy else None
        if refusal:
            if self._once(memory, refusal[1].rsplit(";", 1)[0]):  # said once: not again as its "closes in" moves
                self.metrics.heals_total.labels(name, "waiting").inc()
                log.info("%s: heal waits: %s", name, refusal[1])
            return
        memory.healing = True
        try:
            result = await heal(state, name, set(agreed), symbols, journal_path=self.journal_path,
                                backend=backend_from_url(self.backend_url, journal_path=self.journal_path),
                                metrics=self.metrics)
        finally:
            memory.healing = False
        memory.pending = frozenset()
        memory.said.clear()
        self.metrics.heals_total.labels(name, result.result).inc()
        if result.sent:
            memory.heals.append(time.monotonic())
        log.info("%s: heal %s%s", name, result.result, f": {result.message}" if result.message else "")
        retry_after = time.monotonic() + state.watch.max_backoff
        keys = {key[0]: key for key in agreed}
        for change_id, outcome in result.outcomes.items():
            if change_id not in keys or outcome.result not in ("failed", "blocked"):
                continue
            memory.refused[change_id] = (keys[change_id], retry_after, outcome.message)
            kind = "heal_failed" if outcome.result == "failed" else "blocked"
            if memory.episodes.once(change_id, kind):
                key = keys[change_id]
                self._notify(kind, name, spec.venue, Item(change_id, *item_place(change_id), outcome.result,
                                                          key[2], key[3], outcome.message))
        if result.result == "error":
            self._account_error(name, spec.venue, result.message)

    # --- errors, events, the file ------------------------------------------------------------------------
    def _account_error(self, name: str, venue: str, error, terminal: bool = False) -> None:
        memory = self.accounts.setdefault(name, _Account())
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        self.metrics.reconcile_total.labels(name, "error").inc()
        if terminal:
            memory.terminal = message  # a change of the file (a reload) clears it
            wait = "until the file changes"
        else:
            memory.failures += 1
            delay = min(self.interval * 2 ** memory.failures, self.state.watch.max_backoff)
            memory.next_try = time.monotonic() + delay
            wait = f"next read in {delay:.3g} s"
        log.warning("%s: %s (%s)", name, self._redact(message), wait)
        if not memory.errored:
            memory.errored = True
            self.notifier.send(event("watcher_errored", account=name, venue=venue, reason=f"{message} ({wait})",
                                     watcher=self.leases.holder if self.leases else None))

    def _watcher_error(self, kind: str, exc: BaseException) -> None:
        self.metrics.watcher_errors.labels(kind).inc()
        log.error("watcher %s error: %s", kind, self._redact(str(exc)))
        self.notifier.send(event("watcher_errored", reason=f"{kind}: {exc}",
                                 watcher=self.leases.holder if self.leases else None))

    def _notify(self, kind: str, account: str, venue: str, item: Item) -> None:
        self.notifier.send(event(kind, account=account, venue=venue, symbol=item.symbol or None,
                                 setting=item.setting, item=item.id, status=item.status, old=item.old,
                                 new=item.new, reason=item.reason,
                                 watcher=self.leases.holder if self.leases else None))

    @staticmethod
    def _once(memory: _Account, what: str) -> bool:
        if what in memory.said:
            return False
        memory.said.add(what)
        return True

    def _redact(self, text: str) -> str:
        return self.notifier.redact(text)

    def _files_fingerprint(self) -> str:
        digest = hashlib.sha256()
        for name in self.files:
            try:
                digest.update(Path(name).read_bytes())
            except OSError:
                digest.update(b"\0missing\0" + name.encode())
        return digest.hexdigest()

    def _reload_due(self) -> bool:
        if self._reload_asked:
            return True
        fingerprint = self._files_fingerprint()
        return fingerprint != self._fingerprint and fingerprint != self._bad_fingerprint

    async def _reload(self) -> None:
        self._reload_asked = False
        fingerprint = self._files_fingerprint()
        try:
            state = self._load(self.path)
        except ReconcilerError as exc:
            self._bad_fingerprint = fingerprint
            self.metrics.config_valid.set(0)
            self.metrics.config_reloads.labels("invalid").inc()
            self._watcher_error("file", ReconcilerError(f"{self.path} was not reloaded, the last good file keeps "
                                                        f"running: {str(exc).splitlines()[0]}"))
            return
        self._fingerprint, self._bad_fingerprint = fingerprint, None
        self.metrics.config_valid.set(1)
        self.metrics.config_reloads.labels("ok").inc()
        for memory in self.accounts.values():
            memory.terminal, memory.refused, memory.pending, memory.errored = None, {}, frozenset(), False
            memory.said.clear()
        await self._adopt(state)
        self.notifier.redact = secret_filter(state)
        log.info("reloaded %s (sha256 %s)", self.path, state.sha256[:12])


def secret_filter(state):
    """A function that replaces every credential value the file's accounts resolve to by ***."""
    secrets = set()
    for spec in state.accounts.values():
        try:
            secrets.update(value for value in resolve_credentials(spec).values() if len(value) >= 4)
        except ConfigError:
            pass

    def redact(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, "***")
        return text

    return redact
