"""Opens the venue connections a run needs: adapter + client per account, and the embedded simulator."""

from __future__ import annotations

import os

from .client import VenueClient
from .config import resolve_credentials
from .embedded import EmbeddedSimulator
from .errors import ConfigError
from .model import AccountSpec
from .pacing import shared_pacer
from .transport import AiohttpTransport
from .venues.base import address_key
from .venues.registry import adapter_class


def http_timeout(environ) -> float:
    """RECONCILER_HTTP_TIMEOUT in seconds (default 10); anything but a positive number is refused."""
    text = environ.get("RECONCILER_HTTP_TIMEOUT") or "10"
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < 86400:
        raise ConfigError(f"RECONCILER_HTTP_TIMEOUT: must be a number of seconds above 0 and below a day "
                          f"(got {text!r})")
    return seconds


class Connections:
    """Use as `async with Connections(...) as connections:`; `open(spec)` gives (adapter, client)."""

    def __init__(self, *, simulator_world: str | None = None, config_path: str | None = None,
                 journal=None, environ=None, timeout: float | None = None, backend=None):
        from .backends.local import LocalBackend
        self.backend = backend or LocalBackend()  # where the rate windows live
        self._embedded = EmbeddedSimulator(simulator_world, config_path) if simulator_world else None
        self._journal = journal
        self._environ = os.environ if environ is None else environ
        self._timeout = timeout or http_timeout(self._environ)
        self._open: dict[str, tuple] = {}
        self._public_cache: dict = {}  # public answers, read once per run for every account
        self.simulator_url: str | None = None
        self.on_wait = None  # callback(account, endpoint, seconds), for progress displays
        self.on_request = None  # callback(account, method) after each request, for progress displays
        self.gate = None  # the run's write gate (reconciler.gate): set by the executor; without it no write leaves

    async def __aenter__(self):
        if self._embedded:
            self.simulator_url = await self._embedded.start()
        return self

    async def __aexit__(self, *exc):
        for _, client in self._open.values():
            await client.pacer.close()  # hands back the slots it holds, before the backend closes
            await client.close()
        self._open.clear()
        if self._embedded:
            await self._embedded.stop()

    def open(self, spec: AccountSpec):
        if spec.name not in self._open:
            adapter = adapter_class(spec.venue)(spec, resolve_credentials(spec, self._environ))
            base_url = self.simulator_url or adapter.base_url()
            identity = self._identity(adapter)
            address = address_key(base_url)
            pacer = shared_pacer(identity, adapter.rate_limits, spec.rate_limits,
                                 public=set(adapter.public_endpoints), public_key=f"{spec.venue} {address} per IP",
                                 budget=adapter.ip_budget, budget_key=f"{spec.venue} {address} per IP",
                                 windows_counted=adapter.window_headers is not None,
                                 backend=self.backend)
            if self.on_wait:
                pacer.on_wait = lambda endpoint, delay, name=spec.name: self.on_wait(name, endpoint, delay)
            answered = (lambda method, name=spec.name: self.on_request(name, method)) if self.on_request else None
            client = VenueClient(adapter, base_url, pacer=pacer, transport=AiohttpTransport(self._timeout, answered),
                                 journal=self._journal, public_cache=self._public_cache, identity=identity)
            client.gate = self.gate
            self._open[spec.name] = (adapter, client)
        return self._open[spec.name]

    def reader(self, spec: AccountSpec):
        """(a second adapter of the account, its client): reads through it keep their state (instrument lists, the
        symbols they were asked for) apart from the adapter that sends the account's writes, which may still be
        sending while verification reads back what is already written."""
        adapter, client = self.open(spec)
        return adapter_class(spec.venue)(spec, resolve_credentials(spec, self._environ)), client

    def admit_writes(self, gate) -> None:
        """From now on every client's writes pass `gate` (reconciler.gate.Gate)."""
        self.gate = gate
        for _, client in self._open.values():
            client.gate = gate

    def refresh_public(self) -> None:
        """Forget the public answers read so far (a long-lived run, like watch, reads them again each pass)."""
        self._public_cache.clear()

    def identity(self, spec: AccountSpec) -> str:
        """The venue account behind `spec` (locks and rate windows are keyed by it, never by its name)."""
        return self.open(spec)[1].identity  # worked out once, as the account's client was opened

    def _identity(self, adapter) -> str:
        if self._embedded:  # its port changes every run; its state file does not
            return adapter.identity(f"embedded:{self._embedded.state_file.resolve()}")
        return adapter.identity(adapter.base_url())
