"""The plain-text view of plans and apply reports, read like Terraform's."""

from __future__ import annotations

from ..plan import Change, Plan
from .style import Style

LONG_APPLY = 10  # seconds; shorter applies need no warning
MARK = {"change": ("~", "yellow"), "blocked": ("!", "red"), "conflict": ("x", "red")}


def setting_label(change: Change) -> str:
    """e.g. 'BTCUSDT leverage (isolated, long)' or 'position_mode'."""
    detail = ", ".join(part for part in (change.margin_mode, change.side) if part)
    label = change.field + (f" ({detail})" if detail and change.field == "leverage" else
                            f" ({change.side})" if change.side else "")
    return f"{change.symbol} {label}" if change.symbol else label


def duration_text(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


def render_plan(plan: Plan, style: Style = Style(False), verbose: bool = False) -> str:
    lines = []
    by_account: dict[str, list[Change]] = {name: [] for name in plan.accounts}
    for change in plan.changes:
        by_account.setdefault(change.account, []).append(change)
    for account, changes in by_account.items():
        venue = plan.accounts.get(account, {}).get("venue") or (changes[0].venue if changes else "")
        lines.append(style(f"{account} ({venue})", "bold"))
        if not changes:
            lines.append("  nothing to change")
        for change in changes:
            mark, colour = MARK[change.status]
            status = "" if change.status == "change" else f"  [{change.status}]"
            lines.append(style(f"  {mark} {setting_label(change)}: {change.from_ or 'unset'} -> {change.to}"
                               f"{status}", colour))
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
    lines.append(summary_line(plan))
    return "\n".join(lines) + "\n"


def summary_line(plan: Plan) -> str:
    s = plan.summary
    if not plan.changes:
        return f"No changes. Everything in the file holds ({s['in_sync']} settings in sync)."
    return (f"Plan: {s['change']} to change, {s['blocked']} blocked, {s['conflict']} conflict"
            f"{'' if s['conflict'] == 1 else 's'}, {s['in_sync']} in sync.")


def render_report(report, style: Style = Style(False)) -> str:
    lines = []
    symbols = {"applied": ("+", "green"), "failed": ("x", "red"), "blocked": ("!", "red"),
               "conflict": ("x", "red"), "skipped": ("-", "yellow")}
    changes = {c.id: c for c in report.plan.changes}
    for change_id, outcome in report.outcomes.items():
        mark, colour = symbols[outcome.result]
        change = changes[change_id]
        line = f"  {mark} {change.account} {setting_label(change)}: {change.from_ or 'unset'} -> {change.to}"
        lines.append(style(f"{line}  [{outcome.result}]", colour))
        if outcome.message and outcome.result != "applied":
            lines.append(f"      {outcome.message}")
    for account, message in report.account_errors.items():
        lines.append(style(f"  x {account}: {message}", "red"))
    counts = {}
    for outcome in report.outcomes.values():
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
    lines.append("")
    lines.append(f"Apply: {counts.get('applied', 0)} applied, {counts.get('failed', 0)} failed, "
                 f"{counts.get('blocked', 0) + counts.get('skipped', 0)} blocked, "
                 f"{counts.get('conflict', 0)} conflict{'' if counts.get('conflict', 0) == 1 else 's'}"
                 + (f", {len(report.account_errors)} accounts unreachable" if report.account_errors else "") + ".")
    if report.after is not None:
        remaining = report.after.summary
        if report.exit_code == 0:
            lines.append("Verified: everything in the file now holds.")
        else:
            lines.append(f"Verified: {remaining['blocked']} blocked and {remaining['conflict']} conflicting "
                         "items remain; a person must act on them (see above).")
    return "\n".join(lines) + "\n"
