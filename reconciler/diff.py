"""The diff: desired state + live state + venue rules -> ordered changes. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .address import address_text
from .model import ISOLATED, AccountLive, AccountSpec, Band, Position, SymbolSpec
from .plan import Change
from .venues.base import decimal_text

ACT = "a person must close or cancel these first, then run apply again"


@dataclass
class AccountDiff:
    changes: list[Change] = field(default_factory=list)
    in_sync: list[str] = field(default_factory=list)
    not_applicable: list[dict] = field(default_factory=list)
    observed: dict[str, str | None] = field(default_factory=dict)


def diff_account(spec: AccountSpec, live: AccountLive, rules) -> AccountDiff:
    """Compare one account; `rules` is the venue adapter (only its pure rule methods are used)."""
    result = AccountDiff()
    position_mode = spec.settings.get("position_mode") or live.settings.get("position_mode")
    account_level: list[str] = []
    for name in rules.settings:  # in the order the venue declares them
        if name not in spec.settings:
            continue
        setting_id = address_text(spec.name, name)
        have, want = live.settings.get(name), spec.settings[name]
        result.observed[setting_id] = have
        if have == want:
            result.in_sync.append(setting_id)
            continue
        change = make_change(spec, setting_id, None, name, have, want)
        refusal = rules.setting_refusal(live, name, want)
        if refusal:
            refuse(change, refusal)
        else:
            _block(change, rules.setting_blockers(live, name))
        result.changes.append(change)
        if name in rules.settings_before_symbols:
            account_level.append(change.id)
    rules.option_changes(spec, live, result)  # what the venue's own account options hold
    for symbol_spec in spec.symbols.values():
        first = len(result.changes)
        _diff_symbol(spec, symbol_spec, live, rules, position_mode, account_level, result)
        for change in result.changes[first:]:
            change.source = symbol_spec.source
    propagate_blocks(result.changes)
    return result


def _diff_symbol(spec, wanted: SymbolSpec, live: AccountLive, rules, position_mode, account_level, result):
    symbol = wanted.symbol
    current = live.symbols[symbol]
    mode = wanted.margin_mode or current.margin_mode
    mode_deps = list(account_level)

    if wanted.margin_mode:
        setting_id = address_text(spec.name, "margin_mode", symbol)
        if rules.stores_margin_mode:
            result.observed[setting_id] = current.margin_mode
            if current.margin_mode == wanted.margin_mode:
                result.in_sync.append(setting_id)
            else:
                change = make_change(spec, setting_id, symbol, "margin_mode", current.margin_mode,
                                 wanted.margin_mode, depends_on=account_level)
                refusal = rules.margin_mode_refusal(live, symbol, wanted.margin_mode)
                if refusal:
                    refuse(change, refusal)
                else:
                    _block(change, rules.margin_mode_blockers(live, symbol))
                result.changes.append(change)
                mode_deps.append(change.id)
        else:
            conflicts = rules.mode_conflicts(live, symbol, wanted.margin_mode)
            if conflicts:
                other = "cross" if wanted.margin_mode == ISOLATED else ISOLATED
                change = make_change(spec, setting_id, symbol, "margin_mode", other, wanted.margin_mode,
                                 status="conflict",
                                 reason=f"{'; '.join(conflicts)}: no API call can change the margin mode of "
                                        "what is open; a person must close it and reopen it in "
                                        f"{wanted.margin_mode} mode")
                result.changes.append(change)
                mode_deps.append(change.id)
            else:
                result.in_sync.append(setting_id)

    leverage_ids = []
    if wanted.leverage is not None:
        for side in rules.leverage_sides(mode, position_mode):
            want = _for_side(wanted.leverage, side)
            have = current.leverage.get((mode, side))
            setting_id = address_text(spec.name, "leverage", symbol, mode, side)
            result.observed[setting_id] = None if have is None else decimal_text(have)
            if have is not None and Decimal(have) == want:
                result.in_sync.append(setting_id)
                continue
            change = make_change(spec, setting_id, symbol, "leverage", have, want, side=side, margin_mode=mode,
                             depends_on=mode_deps if rules.leverage_after_margin_mode else account_level)
            refusal = rules.leverage_refusal(live, symbol, mode)
            if refusal:
                refuse(change, refusal)
            elif current.max_leverage is not None and want > current.max_leverage:
                change.status = "blocked"
                change.reason = (f"{decimal_text(want)}x is above {symbol}'s maximum leverage "
                                 f"{decimal_text(current.max_leverage)}x; lower it in the file")
            elif current.min_leverage is not None and want < current.min_leverage:
                change.status = "blocked"
                change.reason = (f"{decimal_text(want)}x is below {symbol}'s minimum leverage "
                                 f"{decimal_text(current.min_leverage)}x; raise it in the file")
            else:
                _block(change, rules.leverage_blockers(live, symbol, mode)
                       + rules.leverage_value_blockers(live, symbol, side, want))
            result.changes.append(change)
            leverage_ids.append(change.id)

    if wanted.isolated_margin is not None and mode == ISOLATED:
        positions = [p for p in live.positions_of(symbol) if p.margin_mode == ISOLATED]
        if not positions:
            result.not_applicable.append({"id": address_text(spec.name, "isolated_margin", symbol),
                                          "reason": "no open isolated position"})
        for position in positions:
            _diff_margin(spec, wanted, position, mode_deps + leverage_ids, result)


def _diff_margin(spec, wanted: SymbolSpec, position: Position, depends_on, result):
    setting_id = address_text(spec.name, "isolated_margin", position.symbol, side=position.side)
    have = position.margin or Decimal(0)
    result.observed[setting_id] = decimal_text(have)
    target = wanted.isolated_margin
    if isinstance(target, Band):
        if target.min <= have <= target.max:
            result.in_sync.append(setting_id)
            return
        want = target.min if have < target.min else target.max
    else:
        if isinstance(target, dict) and position.side not in target:
            return
        want = _for_side(target, position.side)
        if abs(have - want) <= want * wanted.tolerance / 100:
            result.in_sync.append(setting_id)
            return
    result.changes.append(make_change(spec, setting_id, position.symbol, "isolated_margin", have, want,
                                  side=position.side, margin_mode=ISOLATED, depends_on=depends_on))


def _for_side(value, side):
    if isinstance(value, dict):
        return value[side] if side else value["long"]
    return value


def make_change(spec: AccountSpec, change_id, symbol, name, have, want, *, side=None, margin_mode=None,
               depends_on=(), status="change", reason=None) -> Change:
    text = lambda v: v if v is None or isinstance(v, str) else decimal_text(v)  # noqa: E731
    return Change(id=change_id, account=spec.name, venue=spec.venue, symbol=symbol, field=name, side=side,
                  margin_mode=margin_mode, from_=text(have), to=text(want), status=status, reason=reason,
                  depends_on=list(depends_on))


def _block(change: Change, blockers: list[str]) -> None:
    if blockers:
        change.status = "blocked"
        change.reason = f"{'; '.join(blockers)}: {ACT}"


def refuse(change: Change, reason: str | None) -> None:
    """Block a change the account's mode forbids, with the venue rule's own reason."""
    if reason:
        change.status = "blocked"
        change.reason = reason


def propagate_blocks(changes: list[Change]) -> None:
    """A change whose dependency will not be made waits on it (run again after a policy denies some)."""
    status = {change.id: change for change in changes}
    for change in changes:
        waits = change.status == "blocked" and (change.reason or "").startswith("waits on ")
        if change.status != "change" and not waits:
            continue
        waiting = [dep for dep in change.depends_on if dep in status and status[dep].status != "change"]
        if waiting:
            change.status = "blocked"
            change.reason = "waits on " + ", ".join(f"{dep} ({status[dep].status})" for dep in waiting)
