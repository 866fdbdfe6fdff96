"""`import`: writes an account's live settings as a desired-state file (to bootstrap one)."""

from __future__ import annotations

import dataclasses
import json
import os
from collections import Counter
from decimal import Decimal
from pathlib import Path

import yaml

from .config import pattern_symbol
from .connections import Connections
from .errors import ConfigError
from .model import CROSS, AccountSpec, DesiredState, SymbolSpec
from .patterns import expand
from .schema import EDITOR_SCHEMA_FILE
from .serialize import account_to_dict, symbol_to_dict


async def import_account(state: DesiredState, account: str, symbols: list[str] | None = None,
                         compact: bool = False, written_in: Path | None = None) -> str:
    """The YAML of a desired-state file whose only account holds what `account` has live now.

    The connection block is kept as the file writes it (credential references stay references).
    Isolated margin is left out: it is a target a person chooses, not a setting the venue keeps.
    Without --symbol the file's patterns are matched against the venue's instruments, as `plan` does;
    `compact` writes the most common settings once under `defaults:` (see `_compact`).
    Paths are written relative to `written_in`, the directory the file goes to (default: the working one):
    the simulator's world, and the schema `reconciler schema` wrote to the working directory (first line).
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
        # A venue that stores no mode per symbol is in the mode its open positions and orders use:
        # the file's mode would be a conflict with them, not what is live.
        mode = current.margin_mode or _mode_in_use(live, name) or (written.margin_mode if written else None) or CROSS
        sides = adapter.leverage_sides(mode, position_mode)
        values = {side: current.leverage.get((mode, side)) for side in sides}
        if len(set(values.values())) == 1:
            leverage = next(iter(values.values()))
        elif position_mode == "hedge":
            leverage = dict(values)
        else:
            leverage = values.get("long")
        # A margin mode the venue keeps per account is the account's setting, which every symbol inherits.
        kept_per_account = "margin_mode" in adapter.settings and live.settings.get("margin_mode") == mode
        imported[name] = SymbolSpec(name, None if kept_per_account else mode, leverage)
    settings = {key: live.settings[key] for key in adapter.settings if live.settings.get(key) is not None}
    account_block = account_to_dict(dataclasses.replace(spec, settings=settings, symbols=imported,
                                                          options=adapter.imported_options(spec.options, live)))
    if compact:
        _compact(account_block, imported, state.accounts[account] if not symbols else None)
    written_in = written_in or Path.cwd()
    document = {"version": 1}
    if state.simulator_world:
        document["simulator"] = {"world": _relative(state.simulator_world, written_in)}
    document["accounts"] = {account: account_block}
    header = f"# yaml-language-server: $schema={_relative(Path.cwd() / EDITOR_SCHEMA_FILE, written_in)}\n"
    return header + yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def _relative(path: str | Path, start: Path) -> str:
    """`path` as seen from `start`, with forward slashes (a file that moves with its world keeps working)."""
    try:
        return Path(os.path.relpath(path, start)).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return Path(path).as_posix()


def _compact(block: dict, imported: dict[str, SymbolSpec], written: AccountSpec | None) -> None:
    """Rewrite `block["symbols"]` the way a person would: the file's `defaults:` (or else the most common
    settings), its patterns with their values and its excludes; a symbol is written out only where what
    the file would make of it differs from what is live, or where no pattern names it."""
    entries = {name: symbol_to_dict(spec) for name, spec in imported.items()}
    defaults = dict(written.defaults) if written and written.defaults else _most_common(entries)
    implied: dict[str, dict] = {}
    if written and written.patterns:
        probe = dataclasses.replace(written, defaults=defaults, narrowed_to=None)
        expanded, _ = expand(probe, list(entries), lambda name, raw, source: pattern_symbol(probe, name, raw, source))
        implied = {name: symbol_to_dict(spec) for name, spec in expanded.symbols.items() if name not in written.symbols}
    symbols: dict = {p.written: dict(p.values) for p in (written.patterns if written else [])}
    for name, entry in entries.items():
        if name in implied and all(implied[name].get(key) == entry.get(key) for key in IMPORTED_KEYS):
            continue  # its pattern already says so
        symbols[name] = {key: value for key, value in entry.items() if defaults.get(key) != value}
    rebuilt = {key: value for key, value in block.items() if key != "symbols"}
    if defaults:
        rebuilt["defaults"] = defaults
    if written and written.exclude:
        rebuilt["exclude"] = list(written.exclude)
    rebuilt["symbols"] = symbols
    block.clear()
    block.update(rebuilt)


IMPORTED_KEYS = ("margin_mode", "leverage")


def _most_common(entries: dict[str, dict]) -> dict:
    """The settings most symbols share, when at least two share them."""
    counts = Counter(json.dumps(entry, sort_keys=True, default=str) for entry in entries.values())
    shown, count = counts.most_common(1)[0]
    if count < 2:
        return {}
    return next(e for e in entries.values() if json.dumps(e, sort_keys=True, default=str) == shown)


def _mode_in_use(live, symbol: str) -> str | None:
    """The one margin mode the symbol's open positions and pending orders use, if there is exactly one."""
    modes = {p.margin_mode for p in live.positions_of(symbol)} | {o.margin_mode for o in live.orders_of(symbol)}
    return modes.pop() if len(modes) == 1 else None


class _Dumper(yaml.SafeDumper):
    pass


def _decimal(dumper, value: Decimal):
    text = f"{value.normalize():f}"
    tag = "tag:yaml.org,2002:int" if "." not in text else "tag:yaml.org,2002:float"
    return dumper.represent_scalar(tag, text)


_Dumper.add_representer(Decimal, _decimal)
