"""The local audit journal: JSON lines of what a run sent and what each venue answered (never a header or a secret).

A write gets two lines: `intent` before it is sent (if that line cannot be written, nothing is sent)
and `outcome` after, with the HTTP status and the venue code exactly as answered. A read gets one
`read` line. Every line carries the run id and the attempt number.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path

from .errors import ReconcilerError
from .plan import Call

# RECONCILER_STATE_DIR (e.g. a container's state volume) holds the journal, the locks and the simulator's state.
DEFAULT_JOURNAL = os.path.join(os.environ.get("RECONCILER_STATE_DIR") or ".reconciler", "journal.jsonl")


class JournalError(ReconcilerError):
    """The journal cannot be written: the run stops before sending anything more."""


class Journal:
    """The local journal: one JSON-lines file (the postgres backend keeps the same facts in a table)."""

    def __init__(self, path: str | Path = DEFAULT_JOURNAL, run_id: str | None = None):
        self.path = Path(path)
        self.run_id = run_id or uuid.uuid4().hex[:12]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
        except OSError as exc:
            raise JournalError(f"journal {self.path} cannot be written: {exc.strerror or exc}; "
                               "choose another with --journal (or RECONCILER_STATE_DIR)") from None

    async def intent(self, *, account: str, venue: str, call: Call, attempt: int) -> None:
        self._write(_entry("intent", self.run_id, account, venue, call, attempt))

    async def outcome(self, *, account: str, venue: str, call: Call, attempt: int, status: int | None,
                code: str | None, duration: float, error: str | None = None) -> None:
        entry = _entry("outcome" if call.method != "GET" else "read", self.run_id, account, venue, call, attempt)
        entry.update({"status": status, "code": code, "duration_ms": round(duration * 1000, 1)})
        if error:
            entry["error"] = error
        self._write(entry)

    def _write(self, entry: dict) -> None:
        try:
            self._file.write(json.dumps(entry, default=str) + "\n")
            self._file.flush()
        except (OSError, ValueError) as exc:
            raise JournalError(f"journal {self.path} cannot be written: {exc}; the run stopped before "
                               "sending anything more") from None

    def close(self) -> None:
        try:
            self._file.close()
        except OSError:  # every line is flushed as written: a line that failed has raised JournalError already
            pass


def _entry(event: str, run_id: str, account: str, venue: str, call: Call, attempt: int) -> dict:
    return {
        "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "run": run_id,
        "event": event,
        "attempt": attempt,
        "account": account,
        "venue": venue,
        "method": call.method,
        "path": call.path,
        "query": call.query,
        "body": call.body,
    }
