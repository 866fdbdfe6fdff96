"""What every venue simulator shares: its state, call log, faults and per-account rate limits."""

from __future__ import annotations

from abc import ABC, abstractmethod

import json
import time
from typing import Awaitable, Callable

from aiohttp import web

from .faults import FaultBook
from .ratelimit import SlidingWindow, parse_limit

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SIM_ACCOUNT = web.RequestKey("sim_account", str)
SIM_CODE = web.RequestKey("sim_code", str)


class VenueSim(ABC):
    """Base class of one venue's simulator; subclasses add the venue's routes and rules.

    A subclass sets `name`, `prefix` (the path prefix its routes live under) and `RATE_LIMITS`
    ({"METHOD /path": "N/Ss"}, the documented per-account limits), and implements `routes`,
    `state`, `set_state`, `rate_limited` and `busy`.
    """

    name: str = ""
    prefix: str = ""
    RATE_LIMITS: dict[str, str] = {}

    def __init__(self, section: dict | None = None, rate_limits: dict[str, str] | None = None):
        self.calls: list[dict] = []
        self.faults = FaultBook()
        self._window = SlidingWindow()
        self._limits = {key: parse_limit(value) for key, value in self.RATE_LIMITS.items()}
        for key, value in (rate_limits or {}).items():
            self._limits[_endpoint_key(key)] = parse_limit(value)
        self.set_state(section or {})

    # --- to implement per venue -------------------------------------------------------------
    @abstractmethod
    def routes(self) -> list[tuple[str, str, Handler]]:
        ...

    @abstractmethod
    def state(self) -> dict:
        """The world section as it is now, in the venue's own field names."""

    @abstractmethod
    def set_state(self, section: dict) -> None:
        ...

    @abstractmethod
    def rate_limited(self, request: web.Request) -> web.Response:
        """The venue's own answer when a request is over its limit."""

    @abstractmethod
    def busy(self, request: web.Request) -> web.Response:
        """The venue's own "system busy, try again" answer."""

    # --- shared helpers for subclasses ------------------------------------------------------
    def within_limit(self, account: str, request: web.Request, endpoint: str | None = None) -> bool:
        """Count this request against its endpoint's per-account limit; False when over it.

        The endpoint is "METHOD /route/template" (e.g. "GET /v1/position/{symbol}") unless given.
        """
        key = endpoint or f"{request.method} {_route_template(request)}"
        limit = self._limits.get(key)
        if limit is None:
            return True
        return self._window.allow((account, key), limit)

    @staticmethod
    def reply(request: web.Request, payload, *, status: int = 200, code=None) -> web.Response:
        """A JSON response, remembering the venue code for the call log."""
        request[SIM_CODE] = None if code is None else str(code)
        return web.Response(
            status=status,
            text=json.dumps(payload, separators=(",", ":")),
            content_type="application/json",
        )

    @staticmethod
    def identify(request: web.Request, account: str) -> None:
        """Name the account (uid / account id) a request belongs to, for the call log."""
        request[SIM_ACCOUNT] = account

    def record(self, request: web.Request, body: str, status: int, fault: str | None = None) -> None:
        entry = {
            "time": time.time(),
            "account": request.get(SIM_ACCOUNT),
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "body": _json_or_text(body),
            "status": status,
            "code": request.get(SIM_CODE),
        }
        if fault:
            entry["fault"] = fault
        self.calls.append(entry)

    def reset_limits(self) -> None:
        self._window.reset()


def _route_template(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else request.path


def _endpoint_key(key: str) -> str:
    method, _, path = key.strip().partition(" ")
    return f"{method.upper()} {path.strip()}"


def _json_or_text(body: str):
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body
