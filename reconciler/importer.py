"""`import`: writes an account's live settings as a desired-state file (to bootstrap one)."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from decimal import Decimal

import yaml

from .connections import Connections
from .errors import ConfigError
from .model import CROSS, DesiredState, SymbolSpec
from .patterns import names as pattern_names
from .serialize import account_to_dict, symbol_to_dict


async def import_account(state: DesiredState, account: str, symbols: list[str] | None = None,
                         compact: bool = False) -> str:
    """The YAML of a desired-state file whose only account holds what `account` has live now.

    The connection block is kept as the file writes it (credential references stay references).
    Isolated margin is left out: it is a target a person chooses, not a setting the venue keeps.
    Without --symbol the file's patterns are matched against the venue's instruments, as `plan` does;
    `compact` writes the most common settings once under `defaults:` (see `_compact`).
    """
    from .planner import expand_patterns

    if account not in state.accounts:
        raise ConfigError(f"{state.path}: no account named {account} (accounts: {', '.join(state.accounts)})")
    spec = state.accounts[account]
    if symbols:
        spec = dataclasses.replace(spec, symbols={}, patterns=[])
    async with Connections(simulator_world=state.simulator_world, config_path=state.path) as connections:
        adapter, client = connections.open(spec)
        spec, _ = await expand_patterns(adapter, client, spec)
        names = list(symbols or spec.symbols)
        if not names:
            raise ConfigError(f"{state.path}: account {account} lists no symbols and its patterns match none; "
                              "name them with --symbol")
        live = await adapter.read(client, names)
    position_mode = live.settings.get("position_mode")
    imported = {}
    for name in names:
        current = live.symbols[name]
        written = spec.symbols.get(name)
        mode = current.margin_mode or (written.margin_mode if written else None) or _mode_in_use(live, name)
        sides = adapter.leverage_sides(mode, position_mode)
        values = {side: current.leverage.get((mode, side)) for side in sides}
        if len(set(values.values())) == 1:
            leverage = next(iter(values.values()))
        elif position_mode == "hedge":
            leverage = dict(values)
        else:
            leverage = values.get("long")
        imported[name] = SymbolSpec(name, mode, leverage)
    settings = {key: live.settings[key] for key in adapter.settings if live.settings.get(key) is not None}
    account_block = account_to_dict(dataclasses.replace(spec, settings=settings, symbols=imported,
                                                          currencies=dict(live.currencies)))
    if compact:
        _compact(account_block, imported, state.accounts[account] if not symbols else None)
    document = {"version": 1}
    if state.simulator_world:
        document["simulator"] = {"world": state.simulator_world}
    document["accounts"] = {account: account_block}
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def _compact(block: dict, imported: dict[str, SymbolSpec], written) -> None:
    """Rewrite `block["symbols"]`: the most common settings become `defaults:`; the file's patterns and
    excludes are kept (as `{}`: they inherit the defaults); a symbol is written out only when it differs
    from the defaults, or when no pattern would name it."""
    entries = {name: symbol_to_dict(spec) for name, spec in imported.items()}
    keys = Counter(json.dumps(entry, sort_keys=True, default=str) for entry in entries.values())
    common_key, count = keys.most_common(1)[0]
    defaults = next(entry for entry in entries.values() if json.dumps(entry, sort_keys=True, default=str) == common_key)
    patterns = [p for p in written.patterns] if written else []
    exclude = list(written.exclude) if written else []

    def named_by_pattern(symbol: str) -> bool:
        return (any(pattern_names(p.pattern, symbol) for p in patterns)
                and not any(pattern_names(x, symbol) for x in exclude))

    symbols: dict = {p.written: {} for p in patterns}
    for name, entry in entries.items():
        if count < 2 or entry != defaults:
            symbols[name] = {key: value for key, value in entry.items() if count < 2 or defaults.get(key) != value}
        elif not named_by_pattern(name):
            symbols[name] = {}
    rebuilt = {key: value for key, value in block.items() if key != "symbols"}
    if count >= 2:
        rebuilt["defaults"] = defaults
    if exclude:
        rebuilt["exclude"] = [x for x in written.exclude]
    rebuilt["symbols"] = symbols
    block.clear()
    block.update(rebuilt)


def _mode_in_use(live, symbol: str) -> str:
    modes = {p.margin_mode for p in live.positions_of(symbol)} | {o.margin_mode for o in live.orders_of(symbol)}
    return modes.pop() if len(modes) == 1 else CROSS


class _Dumper(yaml.SafeDumper):
    pass


def _decimal(dumper, value: Decimal):
    text = f"{value.normalize():f}"
    tag = "tag:yaml.org,2002:int" if "." not in text else "tag:yaml.org,2002:float"
    return dumper.represent_scalar(tag, text)


_Dumper.add_representer(Decimal, _decimal)
