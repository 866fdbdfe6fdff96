"""Checks a plan against a policy: what breaks a rule is `denied`, naming the rule, the limit and the value."""

from __future__ import annotations

from decimal import Decimal
from fnmatch import fnmatchcase

from ..address import Address
from ..plan import Change, Plan
from ..venues.base import decimal_text, effect
from ..venues.registry import adapter_class, supported_venues
from . import windows as clock
from .load import Bound, Policy

STRICTER = {"max_leverage": min, "max_margin_move": min, "max_margin_moved": min,
            "min_leverage": max, "min_liquidation_distance": max}
STRICTER_KEY = {"allowed_margin_modes": len}  # fewer modes allowed is stricter
MOVED_WINDOW_HOURS = 24  # max_margin_moved counts every run's moves in the last 24 hours


def check(plan: Plan, policy: Policy, reassign=None) -> None:
    """Deny in `plan` every change, and every in-sync value, that breaks a rule; dependants then wait.

    A change is judged by its own value and by every effect of its calls. `reassign(account)` gives an
    account's remaining changes their calls again once some are denied (so a batch call is split).
    """
    if not policy:
        return
    from ..diff import propagate_blocks

    for change in plan.changes:
        if change.status in ("change", "blocked"):
            broken = _broken(change, change.to, policy)
            if broken:
                _deny(change, *broken)
    if reassign is not None:  # a denied change must not ride on another's call: the venue splits it
        for account in dict.fromkeys(c.account for c in plan.changes if c.status == "denied"):
            reassign(account)
    for change in plan.changes:
        if change.status == "change":
            broken = _ridden(change, policy)
            if broken:
                _deny(change, *broken)
    _check_margin_moved(plan, policy)
    _check_liquidation(plan, policy)
    _check_in_sync(plan, policy)
    for account in plan.accounts:
        propagate_blocks([c for c in plan.changes if c.account == account])
    _note_windows(plan, policy)


def bound(policy: Policy, rule: str, venue: str, symbol: str | None) -> list[Bound]:
    """The bounds of `rule` that speak for one symbol: in each map its most specific pattern (equal ones:
    the stricter value), from every map that applies to the venue."""
    by_group: dict[str, list[Bound]] = {}
    for candidate in policy.bounds:
        if candidate.rule == rule and candidate.venue in (None, venue) and _names(candidate.pattern, venue, symbol):
            by_group.setdefault(candidate.group, []).append(candidate)
    chosen = []
    for group in by_group.values():
        best = max(b.specificity for b in group)
        tied = [b for b in group if b.specificity == best]
        key = STRICTER_KEY.get(rule, lambda value: value)
        chosen.append(STRICTER.get(rule, min)(tied, key=lambda b: key(b.value)))
    return chosen


def _names(pattern: str, venue: str, symbol: str | None) -> bool:
    if symbol is None:
        return pattern == "*"
    canonical = adapter_class(venue).canonical_symbol if venue in supported_venues() else str
    return fnmatchcase(symbol, canonical(pattern))


def _broken(change: Change, value: str | None, policy: Policy) -> tuple[str, str] | None:
    """(rule, why) for the first rule `value` of this setting breaks, or None."""
    if value is None:
        return None
    own = effect(change.symbol, change.field, change.margin_mode, change.side, value)
    if change.field == "isolated_margin":
        own["value"] = None
        if change.from_ is not None and change.status == "change":
            own["move"] = decimal_text(Decimal(value) - Decimal(change.from_))
            own["note"] = f"{change.from_} -> {value}"
    return judge(policy, change.venue, own)


def judge(policy: Policy, venue: str, change: dict) -> tuple[str, str] | None:
    """(rule, why) for the first rule one effect (a setting a call changes, see Adapter.call_effects) breaks."""
    checks = []  # (bound, broken?, what the value is, said after the limit)
    symbol, field, value = change["symbol"], change["field"], change.get("value")
    made_live = f" (the leverage {change['note']})" if change.get("note") and field == "leverage" else ""
    if field == "leverage":
        limits = bound(policy, "max_leverage", venue, symbol) + bound(policy, "min_leverage", venue, symbol)
        if value is None and limits:
            return limits[0].rule, f"{limits[0].rule} cannot be checked for {symbol} {change.get('margin_mode')}" \
                f"{made_live}: refused rather than unchecked"
        if value is not None:
            number = Decimal(value)
            checks += [(b, number > b.value, f"is below {value}{made_live}")
                       for b in bound(policy, "max_leverage", venue, symbol)]
            checks += [(b, number < b.value, f"is above {value}{made_live}")
                       for b in bound(policy, "min_leverage", venue, symbol)]
    mode = value if field == "margin_mode" else change.get("margin_mode")
    if mode in ("cross", "isolated"):  # where no mode is kept per symbol, a leverage change says which is used
        checks += [(b, mode not in b.value, f"does not allow {mode}")
                   for b in bound(policy, "allowed_margin_modes", venue, symbol)]
    if field == "isolated_margin" and change.get("move") is not None:
        move = abs(Decimal(change["move"]))
        shown = f" ({change['note']})" if change.get("note") else ""
        checks += [(b, move > b.value, f"is below this move of {decimal_text(move)}{shown}")
                   for b in bound(policy, "max_margin_move", venue, symbol)]
    for limit, breaks, said in checks:
        if breaks:
            return limit.rule, f"{limit.rule} {_shown(limit.value)} ({limit.where}, pattern {limit.pattern}) {said}"
    return None


def _ridden(change: Change, policy: Policy) -> tuple[str, str] | None:
    """(rule, why) when a call of `change` has an effect the policy denies (a batch call, a mode switch)."""
    for call in change.calls:
        for item in call.effects:
            broken = judge(policy, change.venue, item)
            if broken:
                own = (item["symbol"], item["field"], item.get("margin_mode"), item.get("side")) == (
                    change.symbol, change.field, change.margin_mode, change.side)
                if own:
                    return broken
                where = f"{item['symbol']} {item['field']}" + (f" {item['margin_mode']}" if item.get("margin_mode") else "")
                return broken[0], f"its call {call.method} {call.path} also sets {where}: {broken[1]}"
    return None


def _check_margin_moved(plan: Plan, policy: Policy) -> None:
    """`max_margin_moved`: the run's margin moves in plan order, per venue account (whatever names the files give
    it) and currency; a move that would take the total over the cap is denied (the ones before it still go).
    The write gate counts earlier runs' moves too, at send time."""
    totals: dict[tuple, Decimal] = {}
    for change in plan.changes:
        if change.field != "isolated_margin" or change.status != "change" or change.from_ is None:
            continue
        coin = next((item.get("coin") for call in change.calls for item in call.effects if item.get("coin")), None)
        key = ((plan.accounts.get(change.account) or {}).get("identity") or change.account, coin)
        move = abs(Decimal(change.to) - Decimal(change.from_))
        for limit in bound(policy, "max_margin_moved", change.venue, change.symbol):
            if totals.get(key, Decimal(0)) + move > limit.value:
                _deny(change, limit.rule, f"max_margin_moved {_shown(limit.value)} ({limit.where}) in "
                      f"{MOVED_WINDOW_HOURS} h: {decimal_text(totals.get(key, Decimal(0)))} already planned in "
                      f"{coin or change.account}, this move of {decimal_text(move)} would exceed it")
                break
        else:
            totals[key] = totals.get(key, Decimal(0)) + move


def _check_liquidation(plan: Plan, policy: Policy) -> None:
    """`min_liquidation_distance`: percent between the mark price and the liquidation price after the change."""
    unchecked = []
    for change in plan.changes:
        if change.status != "change" or change.field not in ("leverage", "isolated_margin"):
            continue
        limits = bound(policy, "min_liquidation_distance", change.venue, change.symbol)
        if not limits:
            continue
        preview = change.liquidation_price or {}
        if not preview.get("to") or not preview.get("mark"):
            if preview:
                unchecked.append(change)
            continue
        mark, after = Decimal(preview["mark"]), Decimal(preview["to"])
        distance = abs(mark - after) / mark * 100
        for limit in limits:
            if distance < limit.value:
                _deny(change, limit.rule, f"min_liquidation_distance {_shown(limit.value)} % ({limit.where}): the "
                      f"liquidation price after it, {preview['to']}, is {distance:.2f} % from the mark price {mark}")
                break
    for change in unchecked:
        plan.notes.append({"account": change.account, "text": f"min_liquidation_distance could not be checked "
                           f"for {change.id}: the venue gives no liquidation estimate for it"})


def _check_in_sync(plan: Plan, policy: Policy) -> None:
    """A value the file wants and the venue already holds is reported when it breaks a rule (drift checks)."""
    kept = []
    for item in plan.in_sync:
        address = Address.parse(item)
        account = address.account
        venue = plan.accounts.get(account, {}).get("venue")
        if venue is None or address.symbol is None or address.setting not in ("leverage", "margin_mode") \
                or address.scope:
            kept.append(item)
            continue
        value = plan.observed.get(account, {}).get(item)
        change = Change(item, account, venue, address.symbol, address.setting, address.side, address.mode, value,
                        value, source=address.symbol)
        broken = _broken(change, value, policy)
        if broken:
            _deny(change, broken[0], f"in sync but outside policy: {broken[1]}")
            plan.changes.append(change)
        else:
            kept.append(item)
    plan.in_sync[:] = kept


def _note_windows(plan: Plan, policy: Policy) -> None:
    moment = clock.now()
    closed = closed_windows(policy, moment)
    if closed and any(c.status == "change" for c in plan.changes):
        for account in dict.fromkeys(c.account for c in plan.changes if c.status == "change"):
            plan.notes.append({"account": account, "text": closed})


def closed_windows(policy: Policy, moment) -> str | None:
    """Why apply may send nothing at `moment`, or None."""
    refusal = window_refusal(policy, moment)
    return refusal[1] if refusal else None


def window_refusal(policy: Policy, moment) -> tuple[str, str] | None:
    """(rule, why) when nothing may be sent at `moment`: a deny window is open, or one of the policy's lists of
    change windows has none open; else None."""
    for where, windows in policy.deny:
        denying = clock.open_window(windows, moment)
        if denying is not None:
            until = clock.closing(windows, moment)
            return "deny_windows", (f"inside the deny window {denying.text} ({where}): nothing is sent now; it "
                                    "closes " + clock.describe_wait(until, moment))
    for where, windows in policy.windows:
        if clock.open_window(windows, moment) is None:
            opening = clock.next_opening(windows, moment)
            shown = ", ".join(w.text for w in windows)
            wait = clock.describe_wait(opening, moment) if opening else "never"
            return "change_windows", (f"outside the change windows ({shown}; {where}): apply sends nothing now; "
                                      f"the next opens {wait}")
    return None


def enforce_windows(plan: Plan, policy: Policy | None) -> None:
    """Just before sending: outside the change windows (or inside a deny window) every pending change is denied
    (nothing is sent)."""
    if not policy:
        return
    refusal = window_refusal(policy, clock.now())
    if refusal:
        for change in plan.changes:
            if change.status == "change":
                _deny(change, *refusal)


def _deny(change: Change, rule: str, reason: str) -> None:
    change.status, change.rule, change.reason = "denied", rule, reason


def _shown(value) -> str:
    if isinstance(value, frozenset):
        return "[" + ", ".join(sorted(value)) + "]"
    return decimal_text(value)
