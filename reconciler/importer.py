"""`import`: writes an account's live settings as a desired-state file (to bootstrap one)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import yaml

from .connections import Connections
from .errors import ConfigError
from .model import CROSS, DesiredState, SymbolSpec
from .serialize import account_to_dict


async def import_account(state: DesiredState, account: str, symbols: list[str] | None = None) -> str:
    """The YAML of a desired-state file whose only account holds what `account` has live now.

    The connection block is kept as the file writes it (credential references stay references).
    Isolated margin is left out: it is a target a person chooses, not a setting the venue keeps.
    """
    if account not in state.accounts:
        raise ConfigError(f"{state.path}: no account named {account} (accounts: {', '.join(state.accounts)})")
    spec = state.accounts[account]
    names = list(symbols or spec.symbols)
    if not names:
        raise ConfigError(f"{state.path}: account {account} lists no symbols; name them with --symbol")
    async with Connections(simulator_world=state.simulator_world, config_path=state.path) as connections:
        adapter, client = connections.open(spec)
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
    document = {"version": 1}
    if state.simulator_world:
        document["simulator"] = {"world": state.simulator_world}
    document["accounts"] = {account: account_block}
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


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
