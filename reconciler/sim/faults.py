"""Injected failures (HTTP 500, timeouts, dropped connections, rate limits, busy) for tests and demos."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("http_500", "timeout", "reset_before", "reset_after", "rate_limit", "busy")


@dataclass
class Fault:
    method: str
    path: str
    kind: str
    count: int = 1
    seconds: float = 30.0  # how long a `timeout` holds the response before dropping the connection

    @classmethod
    def from_json(cls, item: dict) -> "Fault":
        if not isinstance(item, dict):
            raise ValueError("each fault must be an object with method, path, kind and count")
        unknown = set(item) - {"method", "path", "kind", "count", "seconds"}
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        kind = item.get("kind")
        if kind not in KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(KINDS)}, got {kind!r}")
        if not item.get("method") or not item.get("path"):
            raise ValueError("a fault needs method and path")
        return cls(
            method=str(item["method"]).upper(),
            path=str(item["path"]),
            kind=kind,
            count=int(item.get("count", 1)),
            seconds=float(item.get("seconds", 30.0)),
        )


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
        return [fault.__dict__.copy() for fault in self._faults]
