"""The Markdown view of a plan, for pull-request comments."""

from __future__ import annotations

from ..plan import Change, Plan
from .text import (LARGE, LONG_APPLY, account_counts, bound_text, duration_text, liquidation_text, plural,
                   summary_line, whole_run_text)

STATUS = {"change": "change", "blocked": "**blocked**", "conflict": "**conflict**", "denied": "**denied**"}


def _setting(change: Change) -> str:
    detail = ", ".join(part for part in (change.margin_mode if change.field == "leverage" else None,
                                         change.side) if part)
    return change.field.replace("_", " ") + (f" ({detail})" if detail else "")


def _status(change: Change) -> str:
    """The status cell: the status, the pattern that produced it, and the liquidation preview."""
    parts = [STATUS[change.status]]
    if change.source and change.source != change.symbol:
        parts.append(f"from `{_cell(change.source)}`")
    for extra in (liquidation_text(change), bound_text(change)):
        if extra:
            parts.append(extra)
    return "<br>".join(parts)


def _cell(value) -> str:
    return "–" if value is None else str(value).replace("|", "\\|")


def render_markdown(plan: Plan) -> str:
    lines = ["### Reconciler plan", ""]
    if plan.errors:
        lines += ["> [!CAUTION]", f"> **Could not read {plural(len(plan.errors), 'account')}: "
                  f"{', '.join(f'`{name}`' for name in plan.errors)}.** Nothing is known about "
                  f"{'its' if len(plan.errors) == 1 else 'their'} settings; this plan does not cover "
                  f"{'it' if len(plan.errors) == 1 else 'them'}.", ""]
    lines += [summary_line(plan), ""]
    if whole_run_text(plan):
        lines += [whole_run_text(plan), ""]
    by_account: dict[str, list[Change]] = {name: [] for name in plan.accounts}
    for change in plan.changes:
        by_account.setdefault(change.account, []).append(change)
    if any(len(changes) > LARGE for changes in by_account.values()):
        lines += ["| account | items |", "|---|---|"]
        lines += [f"| `{account}` | {len(changes)}: {account_counts(changes)} |"
                  for account, changes in by_account.items() if changes]
        lines.append("")
    for account, changes in by_account.items():
        venue = plan.accounts.get(account, {}).get("venue", "")
        lines += [f"#### `{account}` ({venue})", ""]
        if account in plan.errors:
            lines += [f"**Could not be read:** {_cell(plan.errors[account])}. Nothing is known about this account.", ""]
        elif not changes:
            lines += ["Nothing to change.", ""]
        else:
            table = ["| symbol | setting | from | to | status |", "|---|---|---|---|---|"]
            table += [f"| {_cell(c.symbol or '(account)')} | {_setting(c)} | {_cell(c.from_)} | {_cell(c.to)} "
                      f"| {_status(c)} |" for c in changes]
            if len(changes) > LARGE:  # GitHub folds nothing itself: a long table goes in a <details>
                table = [f"<details><summary>{len(changes)} items: {account_counts(changes)}</summary>", ""] \
                    + table + ["", "</details>"]
            lines += table + [""]
        problems = [c for c in changes if c.status != "change"]
        if problems:
            lines += ["Needs a person:", ""]
            lines += [f"- `{c.id}` ({c.status}{': ' + c.rule if c.rule else ''}): {c.reason}" for c in problems]
            lines.append("")
        for note in plan.notes:
            if note["account"] == account:
                lines += [f"> **Note:** {note['text']}", ""]
        expected = plan.estimates.get(account) or {}
        if expected.get("seconds", 0) >= LONG_APPLY:
            lines += [f"Applying will take about {duration_text(expected['seconds'])}: {expected['why']}.", ""]
    return "\n".join(lines).rstrip() + "\n"
