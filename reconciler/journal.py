"""The audit journal: one JSON line per call an apply sends (never a header, never a secret)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from .plan import Call

DEFAULT_JOURNAL = ".reconciler/journal.jsonl"


class Journal:
    def __init__(self, path: str | Path = DEFAULT_JOURNAL):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")

    def write(self, *, account: str, venue: str, call: Call, status: int | None, code: str | None,
              duration: float) -> None:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1000) % 1000:03d}Z",
            "account": account,
            "venue": venue,
            "method": call.method,
            "path": call.path,
            "query": call.query,
            "body": call.body,
            "status": status,
            "code": code,
            "duration_ms": round(duration * 1000, 1),
        }
        self._file.write(json.dumps(entry, default=str) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()
