"""Loads a desired-state file: YAML with line numbers, JSON Schema, venue rules, Decimal numbers."""

from __future__ import annotations

import hashlib
import json
import os
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import jsonschema
import yaml

from .errors import ConfigError
from .model import ACCOUNT_SETTINGS, ENV_REFERENCE, AccountSpec, Band, DesiredState, SymbolSpec
from .venues.registry import adapter_class, supported_venues

SCHEMA_PATH = Path(__file__).parent / "schemas" / "desired-state.schema.json"


def load(path: str | Path) -> DesiredState:
    """Read and check a desired-state file; raise ConfigError naming file, line and key path."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    document, lines = parse_yaml(text, str(path))
    _check_schema(document, lines, str(path))
    problems: list[str] = []
    state = _build(document, lines, path, problems)
    _add_currencies(state, document, lines, problems)
    if problems:
        raise ConfigError(problems)
    return state


# --- YAML with line numbers -------------------------------------------------------------------

def parse_yaml(text: str, source: str) -> tuple[object, dict[tuple, int]]:
    """Parse YAML into plain data (floats as Decimal) and a map from key path to line number."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{source}{line}: not valid YAML: {problem}") from None
    if node is None:
        raise ConfigError(f"{source}:1: the file is empty")
    lines: dict[tuple, int] = {}
    return _to_data(node, (), lines, source), lines


def _to_data(node, path: tuple, lines: dict, source: str):
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise ConfigError(f"{source}:{key_node.start_mark.line + 1}: keys must be text")
            key = str(key)
            if key in result:
                raise ConfigError(f"{source}:{key_node.start_mark.line + 1}: {_dotted(path + (key,))}: "
                                  "key given twice")
            result[key] = _to_data(value_node, path + (key,), lines, source)
            lines[path + (key,)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_data(item, path + (i,), lines, source) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node):
    if not isinstance(node, yaml.ScalarNode):
        return None
    if node.tag == "tag:yaml.org,2002:float":
        try:
            return Decimal(node.value.replace("_", ""))
        except InvalidOperation:
            return node.value
    return _SCALARS.construct_object(node)


_SCALARS = yaml.constructor.SafeConstructor()  # ints, booleans, nulls, strings, as safe_load reads them


def _dotted(path: tuple) -> str:
    return ".".join(str(part) for part in path) or "(top level)"


def _where(source: str, lines: dict, path: tuple) -> str:
    probe = tuple(path)
    while probe not in lines and probe:
        probe = probe[:-1]
    return f"{source}:{lines.get(probe, 1)}: {_dotted(path)}"


# --- schema -------------------------------------------------------------------------------------

def _schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


def _is_number(checker, instance) -> bool:
    return isinstance(instance, Decimal) or (
        isinstance(instance, (int, float)) and not isinstance(instance, bool))


_VALIDATOR = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("number", _is_number),
)


def _check_schema(document, lines: dict, source: str) -> None:
    validator = _VALIDATOR(_schema())
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path]):
        problems.extend(_describe(error, lines, source))
    if problems:
        raise ConfigError(sorted(set(problems), key=_line_of))


def _line_of(message: str) -> tuple:
    match = re.match(r"^.*?:(\d+):", message)
    return (int(match[1]) if match else 0, message)


def _describe(error, lines: dict, source: str) -> list[str]:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        return [f"{_where(source, lines, path + (key,))}: unknown key '{key}'"
                + (f" (expected one of: {', '.join(sorted(allowed))})" if allowed else "")
                for key in error.instance if key not in allowed]
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        return [f"{_where(source, lines, path)}: missing key '{name}'" for name in missing]
    if error.validator == "propertyNames":
        return [f"{_where(source, lines, path)}: name '{error.instance}' may use only letters, digits, '.', '_' and '-'"]
    hint = error.schema.get("x-error") if isinstance(error.schema, dict) else None
    got = _shown(error.instance)
    if hint:
        return [f"{_where(source, lines, path)}: {hint} (got {got})"]
    return [f"{_where(source, lines, path)}: {error.message}"]


def _shown(value) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return str(value)


# --- building the model and the venue rules ----------------------------------------------------

def _build(document: dict, lines: dict, path: Path, problems: list[str]) -> DesiredState:
    source = str(path)
    accounts = {}
    for name, raw in document["accounts"].items():
        where = lambda *keys: _where(source, lines, ("accounts", name) + keys)  # noqa: E731
        accounts[name] = _account(name, raw, where, problems)
    world = None
    if "simulator" in document:
        world = str((path.parent / document["simulator"]["world"]).resolve())
        if not Path(world).is_file():
            problems.append(f"{_where(source, lines, ('simulator', 'world'))}: world file {world} does not exist")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return DesiredState(path=source, sha256=digest, accounts=accounts, simulator_world=world)


def _account(name: str, raw: dict, where, problems: list[str]) -> AccountSpec:
    venue = raw["venue"]
    if venue not in supported_venues():
        problems.append(f"{where('venue')}: venue '{venue}' is not supported "
                        f"(supported: {', '.join(supported_venues())})")
        return AccountSpec(name, venue, raw["environment"], None, {}, {}, {})
    adapter = adapter_class(venue)
    environment = raw["environment"]
    settings = dict(raw.get("settings") or {})
    for setting in settings:
        if setting not in adapter.settings:
            problems.append(f"{where('settings', setting)}: {venue} has no setting '{setting}'"
                            + (f" (it has: {', '.join(adapter.settings)})" if adapter.settings else ""))
    if "product_type" in raw and "product_type" not in adapter.account_options:
        problems.append(f"{where('product_type')}: 'product_type' is not a {venue} setting")
    if adapter.account_options.get("product_type") and "product_type" not in raw:
        problems.append(f"{where()}: missing key 'product_type' (required for {venue})")
    _check_credentials(raw["credentials"], adapter, environment, where, problems)
    symbols = {symbol: _symbol(symbol, spec or {}, adapter, settings, where, problems)
               for symbol, spec in (raw.get("symbols") or {}).items()}
    return AccountSpec(
        name=name, venue=venue, environment=environment, base_url=raw.get("base_url"),
        credentials=dict(raw["credentials"]), settings=settings, symbols=symbols,
        product_type=raw.get("product_type"), rate_limits=dict(raw.get("rate_limits") or {}),
        request_lifetime=_sim_only(raw, "request_lifetime", environment, where, problems),
        origins={key: where("credentials", key) for key in raw["credentials"]},
    )


def _sim_only(raw: dict, key: str, environment: str, where, problems: list[str]):
    if key in raw and environment != "sim":
        problems.append(f"{where(key)}: '{key}' is allowed only with environment: sim")
    return raw.get(key)


def _add_currencies(state: DesiredState, document: dict, lines: dict, problems: list[str]) -> None:
    """`currencies: {CCY: {leverage: N}}`: cross leverage kept per borrowed currency (OKX only)."""
    for name, raw in document["accounts"].items():
        if not raw.get("currencies") or name not in state.accounts:
            continue
        account = state.accounts[name]
        if account.venue in supported_venues() and not adapter_class(account.venue).currency_leverage:
            where = _where(state.path, lines, ("accounts", name, "currencies"))
            problems.append(f"{where}: {account.venue} keeps no leverage per currency")
            continue
        for currency, spec in raw["currencies"].items():
            if not re.fullmatch(r"[A-Z0-9]{1,20}", currency):
                where = _where(state.path, lines, ("accounts", name, "currencies", currency))
                problems.append(f"{where}: a currency is written as the venue's upper-case code, e.g. BTC")
            else:
                account.currencies[currency] = Decimal(spec["leverage"])


def _check_credentials(credentials: dict, adapter, environment: str, where, problems: list[str]) -> None:
    for key in credentials:
        if key not in adapter.credential_names:
            problems.append(f"{where('credentials', key)}: unknown credential '{key}' for {adapter.venue} "
                            f"(expected: {', '.join(adapter.credential_names)})")
    for key in adapter.credential_names:
        if key not in credentials:
            problems.append(f"{where('credentials')}: missing credential '{key}'")
        elif environment != "sim" and not ENV_REFERENCE.match(credentials[key]):
            problems.append(f"{where('credentials', key)}: a literal credential is allowed only with "
                            "environment: sim; write ${ENV_VAR} and set the variable")


def _symbol(symbol: str, raw: dict, adapter, settings: dict, where, problems: list[str]) -> SymbolSpec:
    here = lambda *keys: where("symbols", symbol, *keys)  # noqa: E731
    if "margin_coin" in raw and "margin_coin" not in adapter.symbol_options:
        problems.append(f"{here('margin_coin')}: 'margin_coin' is not a {adapter.venue} setting")
    mode = raw.get("margin_mode")
    hedge = settings.get("position_mode") == "hedge"
    leverage = raw.get("leverage")
    if isinstance(leverage, dict):
        if mode == "cross" or (mode is None and adapter.stores_margin_mode is False):
            problems.append(f"{here('leverage')}: per-side leverage exists only for isolated margin")
        elif not hedge:
            problems.append(f"{here('leverage')}: per-side leverage needs settings.position_mode: hedge "
                            "(in net mode a position has no sides)")
        leverage = {side: Decimal(leverage[side]) for side in ("long", "short")}
    elif leverage is not None:
        leverage = Decimal(leverage)
    if leverage is not None and mode is None and not adapter.stores_margin_mode:
        problems.append(f"{here('leverage')}: {adapter.venue} keeps leverage per margin mode; "
                        "say which with margin_mode: cross | isolated")
    margin = raw.get("isolated_margin")
    if margin is not None and mode != "isolated":
        problems.append(f"{here('isolated_margin')}: isolated_margin needs margin_mode: isolated")
    if isinstance(margin, dict) and "min" in margin:
        if Decimal(margin["min"]) > Decimal(margin["max"]):
            problems.append(f"{here('isolated_margin')}: min is above max")
        margin = Band(Decimal(margin["min"]), Decimal(margin["max"]))
    elif isinstance(margin, dict):
        if not hedge:
            problems.append(f"{here('isolated_margin')}: per-side margin needs settings.position_mode: hedge")
        margin = {side: Decimal(margin[side]) for side in ("long", "short")}
    elif margin is not None:
        margin = Decimal(margin)
    spec = SymbolSpec(symbol=symbol, margin_mode=mode, leverage=leverage, isolated_margin=margin,
                      margin_coin=raw.get("margin_coin"))
    if "tolerance" in raw:
        spec.tolerance = Decimal(raw["tolerance"])
    return spec


def resolve_credentials(account: AccountSpec, environ=os.environ) -> dict[str, str]:
    """The account's secrets, read from the environment now (plan time), never stored."""
    resolved, problems = {}, []
    for key, value in account.credentials.items():
        match = ENV_REFERENCE.match(value)
        if match is None:
            resolved[key] = value
        elif environ.get(match[1]):
            resolved[key] = environ[match[1]]
        else:
            where = account.origins.get(key, f"account {account.name}")
            problems.append(f"{where}: environment variable {match[1]} is not set")
    if problems:
        raise ConfigError(problems)
    return resolved


__all__ = ["load", "parse_yaml", "resolve_credentials", "ACCOUNT_SETTINGS"]
