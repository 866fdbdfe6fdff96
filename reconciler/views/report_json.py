"""The apply report as one JSON document a job can read (schemas/apply-report.schema.json)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

REPORT_FORMAT_VERSION = "1"
RESULTS = ("applied", "failed", "blocked", "conflict", "skipped", "denied")


def now_text() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def report_document(report, *, started_at: str, finished_at: str) -> dict:
    """The ApplyReport as the schema's document: every planned change with its result, then the totals."""
    changes = {change.id: change for change in report.plan.changes}
    items = []
    for change_id, outcome in report.outcomes.items():
        change = changes[change_id]
        items.append({"id": change.id, "account": change.account, "symbol": change.symbol, "field": change.field,
                      "from": change.from_, "to": change.to, "result": outcome.result, "message": outcome.message})
    summary = {result: 0 for result in RESULTS}
    for item in items:
        summary[item["result"]] += 1
    return {"format_version": REPORT_FORMAT_VERSION, "started_at": started_at, "finished_at": finished_at,
            "config_sha256": report.plan.config_sha256, "changes": items,
            "account_errors": dict(report.account_errors), "error": None, "summary": summary,
            "exit_code": report.exit_code}


def refusal_document(message: str, *, started_at: str, finished_at: str) -> dict:
    """The document of an apply that sent nothing because it was refused before (a stale plan, a bad file)."""
    return {"format_version": REPORT_FORMAT_VERSION, "started_at": started_at, "finished_at": finished_at,
            "config_sha256": None, "changes": [], "account_errors": {}, "error": message,
            "summary": {result: 0 for result in RESULTS}, "exit_code": 1}


def dumps(document: dict) -> str:
    return json.dumps(document, indent=2) + "\n"
