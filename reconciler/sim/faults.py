"""Injected failures (venue errors, late delivery, HTTP 500, timeouts, dropped connections, limits) for tests."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

KINDS = ("venue_error", "delay", "http_500", "timeout", "reset_before", "reset_after", "rate_limit", "busy",
         "garbled")
_KEYS = {"method", "path", "kind", "count", "seconds", "status", "code", "message", "after"}
_VENUE_ERROR_KEYS = {"status", "code", "message", "after"}
_CODE = re.compile(r"^-?\d+$")


@dataclass
class Fault:
    """One fault for the next `count` requests to `method path`.

    Kinds: `venue_error` (answer `status` and the venue's own envelope with `code`; with `after` the
    request is executed first), `delay` (hold the request `seconds` before the venue looks at it, then
    process it normally), `http_500` (a bare gateway 500 page), `timeout` (execute, hold the answer
    `seconds`, then drop the connection), `reset_before` / `reset_after` (drop the connection before /
    after executing), `rate_limit` and `busy` (the venue's own answers, nothing executed), `garbled`
    (execute, then answer HTTP 200 with a body cut short: an answer nobody can read).
    """

    method: str
    path: str
    kind: str
    count: int = 1
    seconds: float = 30.0
    status: int | None = None
    code: str | None = None
    message: str | None = None
    after: bool = False

    @property
    def executes_first(self) -> bool:
        """Whether the venue executes the request before the fault decides the answer."""
        return self.kind in ("reset_after", "timeout", "garbled") or (self.kind == "venue_error" and self.after)

    @classmethod
    def from_json(cls, item) -> "Fault":
        """A fault from its JSON form; ValueError naming the first thing that cannot be served."""
        if not isinstance(item, dict):
            raise ValueError("each fault must be an object with method, path and kind")
        unknown = set(item) - _KEYS
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        kind = item.get("kind")
        if kind not in KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(KINDS)}, got {kind!r}")
        if not isinstance(item.get("method"), str) or not isinstance(item.get("path"), str) \
                or not item["method"] or not item["path"]:
            raise ValueError(f"a {kind} fault needs method and path")
        if kind != "venue_error" and set(item) & _VENUE_ERROR_KEYS:
            raise ValueError(f"{sorted(set(item) & _VENUE_ERROR_KEYS)} only apply to venue_error, not {kind}")
        if kind == "delay" and "seconds" not in item:
            raise ValueError("a delay fault needs seconds")
        fault = cls(method=item["method"].upper(), path=item["path"], kind=kind,
                     count=_whole(item, "count", 1, minimum=1), seconds=_seconds(item))
        if kind == "venue_error":
            fault.status = _status(item)
            fault.code = _code(item)
            fault.message = _message(item)
            fault.after = _flag(item, "after")
        return fault

    def to_json(self) -> dict:
        data = asdict(self)
        if self.kind != "venue_error":
            data = {key: value for key, value in data.items() if key not in _VENUE_ERROR_KEYS}
        return {key: value for key, value in data.items() if value is not None}


def _whole(item: dict, key: str, default: int, minimum: int) -> int:
    value = item.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"fault {key} must be a whole number >= {minimum}, got {value!r}")
    return value


def _seconds(item: dict) -> float:
    value = item.get("seconds", 30.0)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"fault seconds must be a number >= 0, got {value!r}")
    return float(value)


def _status(item: dict) -> int:
    if "status" not in item:
        raise ValueError("a venue_error fault needs status (the HTTP status to answer)")
    value = item["status"]
    # 200 too: OKX answers most business errors with HTTP 200 and the code in the body.
    if isinstance(value, bool) or not isinstance(value, int) or not (value == 200 or 400 <= value <= 599):
        raise ValueError(f"venue_error status must be 200 or an HTTP error status (400 to 599), got {value!r}")
    return value


def _code(item: dict) -> str:
    if "code" not in item:
        raise ValueError("a venue_error fault needs code (the venue's own error code)")
    value = item["code"]
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not _CODE.match(str(value)):
        raise ValueError(f"venue_error code must be the venue's numeric code, e.g. \"50026\", got {value!r}")
    return str(value)


def _message(item: dict) -> str | None:
    value = item.get("message")
    if value is not None and not isinstance(value, str):
        raise ValueError(f"venue_error message must be a string, got {value!r}")
    return value


def _flag(item: dict, key: str) -> bool:
    value = item.get(key, False)
    if not isinstance(value, bool):
        raise ValueError(f"venue_error {key} must be true or false, got {value!r}")
    return value


class FaultBook:
    """The faults still to be served, consumed one request at a time."""

    def __init__(self):
        self._faults: list[Fault] = []

    def add(self, faults: list[Fault]) -> None:
        self._faults.extend(faults)

    def clear(self) -> None:
        self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.method == method and fault.path == path and fault.count > 0:
                fault.count -= 1
                if fault.count == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def pending(self) -> list[dict]:
        return [fault.to_json() for fault in self._faults]
