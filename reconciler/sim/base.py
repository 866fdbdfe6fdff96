"""What every venue simulator shares: its state, call log, faults, timestamp window and rate limits."""

from __future__ import annotations

from abc import ABC, abstractmethod

import asyncio
import json
import time
from typing import Awaitable, Callable

from aiohttp import web

from .faults import FaultBook
from .ratelimit import SlidingWindow, parse_limit

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SIM_ACCOUNT = web.RequestKey("sim_account", str)
SIM_CODE = web.RequestKey("sim_code", str)


class EncodedRows(list):
    """Rows of an answer already written as JSON text, one string each: a large listing is encoded once per world,
    not per request, as a venue serves public data from a cache (and a 50 MB answer does not hold up the others)."""


class VenueSim(ABC):
    """Base class of one venue's simulator; subclasses add the venue's routes and rules.

    A subclass sets `name`, `prefix` (the path prefix its routes live under) and `RATE_LIMITS`
    ({"METHOD /path": "N/Ss"}, the documented per-account limits), implements `routes`, `state`,
    `set_state`, `rate_limited`, `busy`, `error_reply` and `documented_timestamp_window`, and checks
    request timestamps against `self.timestamp_window` (seconds).
    """

    name: str = ""
    prefix: str = ""
    RATE_LIMITS: dict[str, str] = {}

    def __init__(self, section: dict | None = None, rate_limits: dict[str, str] | None = None,
                 timestamp_window: float | None = None):
        self.calls: list[dict] = []
        self.faults = FaultBook()
        self.in_flight: set[asyncio.Task] = set()  # delayed requests not processed yet
        self.timestamp_window: float = (self.documented_timestamp_window() if timestamp_window is None
                                        else timestamp_window)
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

    @abstractmethod
    def error_reply(self, request: web.Request, status: int, code: str, message: str | None) -> web.Response:
        """The venue's own error envelope with this HTTP status and code (the `venue_error` fault)."""

    @abstractmethod
    def documented_timestamp_window(self) -> float:
        """Seconds between a request's timestamp and its processing beyond which the venue refuses it."""

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
        return VenueSim.reply_text(request, json.dumps(payload, separators=(",", ":")), status=status, code=code)

    @staticmethod
    def reply_text(request: web.Request, text: str, *, status: int = 200, code=None) -> web.Response:
        """A response of JSON text already written (see EncodedRows), remembering the venue code for the call log."""
        request[SIM_CODE] = None if code is None else str(code)
        return web.Response(status=status, text=text, content_type="application/json")

    @staticmethod
    def identify(request: web.Request, account: str) -> None:
        """Name the account (uid / account id) a request belongs to, for the call log."""
        request[SIM_ACCOUNT] = account

    @staticmethod
    def fault_message(message: str | None, documented: dict[str, str], code: str) -> str:
        """The text of an injected error: the one given, else the venue's documented one, else a plain one."""
        return message or documented.get(code) or f"Simulated venue error {code}"

    @staticmethod
    def answer(request: web.Request, response: web.StreamResponse | None) -> dict:
        """The HTTP status and venue code a client is answered (status 0: the connection was dropped)."""
        if response is None:
            return {"status": 0, "code": None}
        return {"status": response.status, "code": request.get(SIM_CODE)}

    def record(self, request: web.Request, body: str, answer: dict, fault: str | None = None,
               venue_answer: dict | None = None) -> None:
        """Log one request with what its client was answered.

        `venue_answer` is what the venue itself answered when a fault then replaced or withheld it.
        """
        entry = {
            "time": time.time(),
            "account": request.get(SIM_ACCOUNT),
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "body": _json_or_text(body),
            "status": answer["status"],
            "code": answer["code"],
        }
        if fault:
            entry["fault"] = fault
        if venue_answer is not None:
            entry["venue_answer"] = venue_answer
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
