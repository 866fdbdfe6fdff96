"""The plain-text view of plans and apply reports, read like Terraform's."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal, InvalidOperation

from ..plan import Change, Plan
from .style import Style

LONG_APPLY = 10  # seconds; shorter applies need no warning
LARGE = 20  # items in one account from which views print its counts first
MARK = {"change": ("~", "yellow"), "blocked": ("!", "red"), "conflict": ("x", "red"), "denied": ("-", "red")}


def setting_label(change: Change) -> str:
    """e.g. 'BTCUSDT leverage (isolated, long)' or 'position_mode'."""
    detail = ", ".join(part for part in (change.margin_mode, change.side) if part)
    label = change.field + (f" ({detail})" if detail and change.field == "leverage" else
                            f" ({change.side})" if change.side else "")
    return f"{change.symbol} {label}" if change.symbol else label


def status_text(change: Change) -> str:
    """'' for a change, else e.g. '  [blocked]' or '  [denied: max_leverage]'."""
    if change.status == "change":
        return ""
    return f"  [{change.status}: {change.rule}]" if change.rule else f"  [{change.status}]"


def source_text(change: Change) -> str:
    """'  (from *-USDT-SWAP)' when a pattern, not the symbol's own key, produced the change."""
    return f"  (from {change.source})" if change.source and change.source != change.symbol else ""


def price_text(value: str | None) -> str:
    """A price with thousands separators and its own decimals: 52100.5 -> 52,100.5; None -> ?."""
    if value is None:
        return "?"
    try:
        return f"{Decimal(value):,}"
    except InvalidOperation:
        return str(value)


def liquidation_text(change: Change) -> str | None:
    """'liq ≈ 52,100 → 48,300 (mark 50,000)' for a change with a liquidation preview."""
    preview = change.liquidation_price
    if not preview:
        return None
    mark = f" (mark {price_text(preview.get('mark'))})" if preview.get("mark") else ""
    return f"liq ≈ {price_text(preview.get('from'))} → {price_text(preview.get('to'))}{mark}"


def bound_text(change: Change) -> str | None:
    """What a person must know of a margin move whose amount is known only at send time."""
    if not change.move_bound:
        return None
    return (f"the amount is computed when it is sent (after the leverage change); it will move at most "
            f"{price_text(change.move_bound)}, or nothing is sent")


def account_counts(changes: list[Change]) -> str:
    """e.g. '240 leverage, 12 isolated_margin to change; 3 blocked; 1 denied' for an account's summary."""
    to_change = Counter(c.field for c in changes if c.status == "change")
    parts = [", ".join(f"{count} {field}" for field, count in to_change.most_common()) + " to change"] \
        if to_change else []
    others = Counter(c.status for c in changes if c.status != "change")
    parts += [f"{count} {status}" for status, count in sorted(others.items())]
    return "; ".join(parts)


def duration_text(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def unread_warning(accounts: dict[str, str]) -> list[str]:
    """What every view says first when accounts could not be read: which, why, and that nothing is known."""
    if not accounts:
        return []
    names = ", ".join(accounts)
    lines = [f"Could not read {plural(len(accounts), 'account')} ({names}): nothing is known about "
             f"{'its' if len(accounts) == 1 else 'their'} settings; nothing below covers "
             f"{'it' if len(accounts) == 1 else 'them'}."]
    return lines + [f"  {name}: {message}" for name, message in accounts.items()]


def render_plan(plan: Plan, style: Style = Style(False), verbose: bool = False) -> str:
    lines = [style(line, "red") for line in unread_warning(plan.errors)]
    if lines:
        lines.append("")
    by_account: dict[str, list[Change]] = {name: [] for name in plan.accounts}
    for change in plan.changes:
        by_account.setdefault(change.account, []).append(change)
    for account, changes in by_account.items():
        venue = plan.accounts.get(account, {}).get("venue") or (changes[0].venue if changes else "")
        lines.append(style(f"{account} ({venue})", "bold"))
        if account in plan.errors:
            lines.append(style("  could not be read: nothing is known about this account", "red"))
        elif not changes:
            lines.append("  nothing to change")
        elif len(changes) > LARGE:
            lines.append(style(f"  {len(changes)} items: {account_counts(changes)}", "bold"))
        for change in changes:
            mark, colour = MARK[change.status]
            lines.append(style(f"  {mark} {setting_label(change)}: {change.from_ or 'unset'} -> {change.to}"
                               f"{status_text(change)}{source_text(change)}", colour))
            for extra in (liquidation_text(change), bound_text(change)):
                if extra:
                    lines.append(f"      {extra}")
            if change.reason:
                lines.append(f"      {change.status}: {change.reason}")
        if verbose:
            prefix = f"{account}/"
            lines += [style(f"  = {item[len(prefix):]}: in sync", "dim")
                      for item in plan.in_sync if item.startswith(prefix)]
            lines += [style(f"  - {item['id'][len(prefix):]}: n/a ({item['reason']})", "dim")
                      for item in plan.not_applicable if item["id"].startswith(prefix)]
        for note in plan.notes:
            if note["account"] == account:
                lines.append(style(f"  note: {note['text']}", "cyan"))
        expected = plan.estimates.get(account) or {}
        if expected.get("seconds", 0) >= LONG_APPLY:
            lines.append(style(f"  applying will take about {duration_text(expected['seconds'])}: "
                               f"{expected['why']}", "cyan"))
        lines.append("")
    if whole_run_text(plan):
        lines += [style(whole_run_text(plan), "cyan"), ""]
    lines.append(summary_line(plan))
    return "\n".join(lines) + "\n"


def whole_run_text(plan: Plan) -> str:
    """For a plan of several slow accounts: how long applying all of them takes (each goes on its own)."""
    from ..estimate import whole_run
    slow = [a for a, e in plan.estimates.items() if e.get("seconds")]
    run = whole_run(plan.estimates, {a: block.get("identity") for a, block in plan.accounts.items()})
    if len(slow) < 2 or run["seconds"] < LONG_APPLY:
        return ""
    text = (f"Applying all of it will take about {duration_text(run['seconds'])}: each account is read again and "
            f"then writes and verifies on its own, without waiting for the others ({run['slowest']} takes longest).")
    if duration_text(run["reviewed"]) != duration_text(run["seconds"]):
        text += (f" From a saved plan, or after a yes, about {duration_text(run['reviewed'])}: a reviewed plan is "
                 "sent whole, so every account is read again before any writes.")
    return text


def summary_line(plan: Plan) -> str:
    s = plan.summary
    unread = (f" {plural(len(plan.errors), 'account')} could not be read: nothing is known about "
              f"{'it' if len(plan.errors) == 1 else 'them'}.") if plan.errors else ""
    empty = empty_patterns_text(plan.empty_patterns)
    if not plan.changes and not plan.errors:
        if empty:
            return f"No changes to what the patterns matched ({s['in_sync']} settings in sync), but {empty}"
        if scope_text(plan.scope):
            return (f"No changes. Everything {scope_text(plan.scope)} chose holds ({s['in_sync']} settings in sync); "
                    "the rest of the file was not read.")
        return f"No changes. Everything in the file holds ({s['in_sync']} settings in sync)."
    denied = f"{s['denied']} denied, " if s.get("denied") else ""
    return (f"Plan: {s['change']} to change, {s['blocked']} blocked, {plural(s['conflict'], 'conflict')}, "
            f"{denied}{s['in_sync']} in sync{' in the accounts read' if plan.errors else ''}.{unread}"
            + (f" And {empty}" if empty else ""))


def empty_patterns_text(patterns: list[dict]) -> str:
    """'1 pattern matches no instrument: '*USDX' (bg, desired.yaml:12).' or ''."""
    if not patterns:
        return ""
    named = ", ".join(f"{p['pattern']!r} ({p['account']}{', ' + p['where'] if p.get('where') else ''})"
                      for p in patterns)
    verb = "matches" if len(patterns) == 1 else "match"
    return f"{plural(len(patterns), 'pattern')} {verb} no instrument: {named}."


def scope_text(scope: dict | None) -> str:
    """'--account bg --symbol BTCUSDT' for a run narrowed by those flags; '' for the whole file."""
    scope = scope or {}
    return " ".join([f"--account {name}" for name in scope.get("accounts") or []]
                    + [f"--symbol {name}" for name in scope.get("symbols") or []])


def verified_part(plan: Plan) -> str:
    """What a narrowed apply read back, e.g. 'bg: BTCUSDT and its account settings'."""
    symbols = (plan.scope or {}).get("symbols")
    part = f": {', '.join(symbols)} and {'its' if len(plan.accounts) == 1 else 'their'} account settings" \
        if symbols else ", every symbol"
    return f"{', '.join(plan.accounts)}{part}"


def render_report(report, style: Style = Style(False)) -> str:
    lines = [style(line, "red") for line in unread_warning(report.account_errors)]
    symbols = {"applied": ("+", "green"), "failed": ("x", "red"), "blocked": ("!", "red"),
               "conflict": ("x", "red"), "skipped": ("-", "yellow"), "denied": ("-", "red")}
    changes = {c.id: c for c in report.plan.changes}
    for change_id, outcome in report.outcomes.items():
        mark, colour = symbols[outcome.result]
        change = changes[change_id]
        line = f"  {mark} {change.account} {setting_label(change)}: {change.from_ or 'unset'} -> {change.to}"
        lines.append(style(f"{line}  [{outcome.result}]", colour))
        if outcome.message:  # for an applied change: what it found on the way (an earlier run's move, a re-read)
            lines.append(f"      {outcome.message}")
    counts = {result: 0 for result in symbols}
    for outcome in report.outcomes.values():
        counts[outcome.result] += 1
    lines.append("")
    lines.append(f"Apply: {counts['applied']} applied, {counts['failed']} failed, {counts['blocked']} blocked, "
                 f"{plural(counts['conflict'], 'conflict')}, {counts['skipped']} skipped (waiting on a change "
                 "that was not applied)"
                 + (f", {counts['denied']} denied by policy" if counts["denied"] else "")
                 + (f", {plural(len(report.account_errors), 'account')} not read" if report.account_errors else "")
                 + ".")
    if report.after is not None:
        remaining = report.after.summary
        if report.exit_code == 0 and scope_text(report.plan.scope):
            lines.append(f"Verified: everything {scope_text(report.plan.scope)} chose now holds "
                         f"({verified_part(report.plan)}). The rest of the file was not looked at; "
                         "plan the whole file to check it.")
        elif report.exit_code == 0:
            lines.append("Verified: everything in the file now holds.")
        elif remaining["blocked"] or remaining["conflict"] or remaining.get("denied"):
            denied = f", {remaining['denied']} denied by policy" if remaining.get("denied") else ""
            lines.append(f"Verified: {remaining['blocked']} blocked and {remaining['conflict']} conflicting "
                         f"items remain{denied}; a person must act on them (see above).")
    return "\n".join(lines) + "\n"
