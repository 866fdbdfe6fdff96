"""What `history` answers from every backend alike: runs and calls that touched an account or symbol, newest first,
or (`--writes`) one line per write."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from ..errors import ReconcilerError


def parse_time(text: str) -> datetime:
    """An ISO time (`2026-11-21`, `2026-11-21T08:00Z`) or an age (`30m`, `12h`, `7d`), as a UTC datetime."""
    value = text.strip()
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if value[-1:] in units and value[:-1].isdigit():
        return datetime.now(timezone.utc) - timedelta(**{units[value[-1]]: int(value[:-1])})
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ReconcilerError(f"--since {text!r} is neither a time (2026-11-21T08:00Z) nor an age (30m, 12h, 7d)") \
            from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _when(value) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        return parse_time(str(value))
    except (ReconcilerError, IndexError):
        return datetime.min.replace(tzinfo=timezone.utc)


def _mentions(call: dict, symbol: str) -> bool:
    text = json.dumps([call.get("body"), call.get("query")], default=str).lower()
    return symbol.lower() in text


def matching(runs: list[dict], *, account=None, symbol=None, since=None) -> list[dict]:
    """The runs (and in each, the calls) that touched `account` and `symbol` since `since`, newest first."""
    kept = []
    for run in runs:
        calls = [call for call in run.get("calls", [])
                 if (account is None or call.get("account") == account)
                 and (symbol is None or _mentions(call, symbol))
                 and (since is None or _when(call.get("time")) >= since)]
        touched = bool(calls) or (symbol is None and (account is None or account in (run.get("accounts") or []))
                                  and (since is None or _when(run.get("started")) >= since))
        if touched:
            kept.append({**run, "calls": sorted(calls, key=lambda c: _when(c.get("time")), reverse=True)})
    return sorted(kept, key=lambda run: _when(run.get("started")), reverse=True)


def render_text(runs: list[dict]) -> str:
    """One line per run, then its calls indented beneath it."""
    if not runs:
        return "No runs or calls match.\n"
    lines = []
    for run in runs:
        who = f"{run.get('user') or '?'}@{run.get('host') or '?'}"
        sha = (run.get("config_sha256") or "")[:12]
        outcome = (run.get("outcome") or "unfinished").splitlines() or ["unfinished"]
        lines.append(f"{_shown_time(run.get('started'))}  run {run.get('run')}  {run.get('command') or '?'}  by {who}"
                     f"  {run.get('config') or ''}{' sha256 ' + sha if sha else ''}"
                     f"{'  plan ' + run['plan_id'] if run.get('plan_id') else ''}"
                     f"  -> {outcome[0]}")
        lines += [f"      {line.strip()}" for line in outcome[1:]]  # e.g. what made a saved plan stale
        for call in run.get("calls", []):
            answer = (f"HTTP {call['status']} code {call.get('code')}" if call.get("status") is not None
                      else call.get("error") or "no answer")
            body = json.dumps(call.get("body") or call.get("query") or {}, separators=(",", ":"), default=str)
            duration = f"  {call['duration_ms']} ms" if call.get("duration_ms") is not None else ""
            lines.append(f"    {_shown_time(call.get('time'))}  {call.get('account')} ({call.get('venue')})  "
                         f"{call.get('method')} {call.get('path')} {body}  -> {answer}{duration}"
                         f"  attempt {call.get('attempt')}")
    return "\n".join(lines) + "\n"


def writes(runs: list[dict]) -> list[dict]:
    """Every write of these runs, newest first: who (user, host, run, plan), where (account, symbol), what
    (the setting, as the endpoint names it, and the values sent) and the venue's answer."""
    found = []
    for run in runs:
        for call in run.get("calls", []):
            if call.get("method") == "GET":
                continue
            sent = {**(call.get("query") or {}), **(call.get("body") or {})}
            named_by = next((key for key in _symbol_fields(call.get("venue")) if sent.get(key) is not None), None)
            symbol = str(sent.pop(named_by)) if named_by else None
            setting = call.get("path", "").rstrip("/").rsplit("/", 1)[-1].removeprefix("set-").replace("-", " ")
            found.append({"time": call.get("time"), "user": run.get("user"), "host": run.get("host"),
                          "run": run.get("run"), "plan_id": run.get("plan_id"), "account": call.get("account"),
                          "venue": call.get("venue"), "symbol": symbol, "setting": setting.replace("_", " "),
                          "sent": sent,
                          "method": call.get("method"), "path": call.get("path"), "status": call.get("status"),
                          "code": call.get("code"), "error": call.get("error")})
    return sorted(found, key=lambda write: _when(write["time"]), reverse=True)


def _symbol_fields(venue: str | None) -> tuple[str, ...]:
    """Where the venue's write bodies name what they change (its adapter declares it)."""
    from ..venues.registry import adapter_class, supported_venues

    return adapter_class(venue).symbol_fields if venue in supported_venues() else ("symbol",)


def render_writes(found: list[dict]) -> str:
    """One line per write: time, user@host, run, plan, account, symbol, setting, values sent, venue code."""
    if not found:
        return "No writes match.\n"
    lines = []
    for write in found:
        sent = " ".join(f"{key}={value if isinstance(value, str) else json.dumps(value, default=str)}"
                        for key, value in write["sent"].items())
        answer = (f"code {write['code']}" if write.get("code") is not None else
                  f"HTTP {write['status']}" if write.get("status") is not None else write.get("error") or "no answer")
        lines.append(f"{_shown_time(write['time'])}  {write.get('user') or '?'}@{write.get('host') or '?'}  "
                     f"run {write['run']}  plan {write.get('plan_id') or '-'}  {write['account']}  "
                     f"{write['symbol'] or '-'}  {write['setting']}  {sent or '-'}  -> {answer}")
    return "\n".join(lines) + "\n"


def _shown_time(value) -> str:
    moment = _when(value)
    if moment.year == 1:
        return "?"
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S") + "Z"
