"""The watcher's Prometheus metrics, in a registry of its own (served on /metrics by watch.server)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

STATUSES = ("in_sync", "drift", "blocked", "conflict", "denied")
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)


class Metrics:
    """Every metric of one watcher; `items(account, venue, rows)` replaces an account's item series."""

    def __init__(self):
        self.registry = registry = CollectorRegistry()
        self.item_info = Gauge("reconciler_item_info", "One series per watched setting: 1 with its status now",
                               ["account", "venue", "symbol", "setting", "status"], registry=registry)
        self.reconcile_total = Counter("reconciler_reconcile", "Account reads compared with the file, by result "
                                       "(in_sync, drift, error)", ["account", "result"], registry=registry)
        self.reconcile_duration = Histogram("reconciler_reconcile_duration_seconds", "Seconds one account's read "
                                            "and comparison took", buckets=DURATION_BUCKETS, registry=registry)
        self.drift_seconds = Gauge("reconciler_drift_seconds", "Seconds since the account's oldest open drift "
                                   "episode began (0 in sync)", ["account"], registry=registry)
        self.heals_total = Counter("reconciler_heals", "Heals of an account, by result (applied, failed, blocked, "
                                   "denied, stale, busy, limited, error)", ["account", "result"], registry=registry)
        self.venue_requests = Counter("reconciler_venue_requests", "Requests sent to venues, by the venue's code "
                                      "(or http_STATUS, or the error kind without an answer)",
                                      ["venue", "endpoint", "code"], registry=registry)
        self.rate_limit_wait = Histogram("reconciler_rate_limit_wait_seconds", "Waits for a venue's rate window "
                                         "before a request", buckets=WAIT_BUCKETS, registry=registry)
        self.last_success = Gauge("reconciler_last_success_timestamp_seconds", "When the account was last read and "
                                  "compared without error (Unix time)", ["account"], registry=registry)
        self.config_valid = Gauge("reconciler_config_valid", "1 while the file last read is valid; 0 while a bad "
                                  "file is refused and the last good one runs", registry=registry)
        self.config_reloads = Counter("reconciler_config_reloads", "File reloads, by result (ok, invalid)",
                                      ["result"], registry=registry)
        self.lease_held = Gauge("reconciler_lease_held", "1 while this replica holds the account's lease",
                                ["account"], registry=registry)
        self.watcher_errors = Counter("reconciler_watcher_errors", "Errors of the watcher itself (backend, "
                                      "leases, file)", ["kind"], registry=registry)
        self.passes = Counter("reconciler_passes", "Passes over the accounts", registry=registry)
        self.config_valid.set(1)
        self._items: dict[str, set[tuple]] = {}

    def items(self, account: str, venue: str, rows: list[tuple[str, str, str]]) -> None:
        """Set the account's items to `rows` of (symbol, setting, status); series no longer there go away."""
        now = {(account, venue, symbol, setting, status) for symbol, setting, status in rows}
        for gone in self._items.get(account, set()) - now:
            self.item_info.remove(*gone)
        for labels in now:
            self.item_info.labels(*labels).set(1)
        self._items[account] = now

    def forget(self, account: str) -> None:
        """The account is no longer watched here (lease lost, or gone from the file)."""
        self.items(account, "", [])
        self._items.pop(account, None)
        for gauge in (self.drift_seconds, self.lease_held):
            try:
                gauge.remove(account)
            except KeyError:
                pass

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class RequestMeter:
    """A journal face that counts every request's answer into the metrics, and passes it on to a real journal."""

    def __init__(self, metrics: Metrics, inner=None):
        self.metrics, self.inner = metrics, inner

    async def intent(self, **details) -> None:
        if self.inner is not None:
            await self.inner.intent(**details)

    async def outcome(self, *, account, venue, call, attempt, status, code, duration, error=None) -> None:
        shown = code if code is not None else (f"http_{status}" if status is not None else "no_answer")
        self.metrics.venue_requests.labels(venue, call.endpoint, str(shown)).inc()
        if self.inner is not None:
            await self.inner.outcome(account=account, venue=venue, call=call, attempt=attempt, status=status,
                                     code=code, duration=duration, error=error)

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()
