"""Loads a desired-state file: YAML with line numbers, JSON Schema, venue rules, Decimal numbers."""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import os
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema

from .errors import ConfigError
from .pacing import parse_limit
from .strict_yaml import dotted, parse_yaml, read_text
from .model import ENV_REFERENCE, AccountSpec, Band, DesiredState, PatternSpec, SymbolSpec
from .patterns import is_pattern, syntax_problem
from .policy.load import from_block as policy_from_block
from .schema_words import in_our_words
from .venues.registry import adapter_class, supported_venues
from .watch.settings import from_document as watch_from_document

SCHEMA_PATH = Path(__file__).parent / "schemas" / "desired-state.schema.json"


def load(path: str | Path) -> DesiredState:
    """Read and check a desired-state file; raise ConfigError naming file, line and key path."""
    path = Path(path)
    text, data = read_text(path)
    document, lines = parse_yaml(text, str(path))
    _check_is_desired_state(document, str(path))
    problems, broken = _schema_problems(document, lines, str(path))
    # The venue rules run on every account the schema found sound, so one run reports every problem.
    state = _build(document, lines, path, hashlib.sha256(data).hexdigest(), problems, broken)
    if "policy" in document and ("policy",) not in broken:
        state.policy, policy_problems = policy_from_block(document["policy"], lines, str(path))
        problems += policy_problems
    if ("watch",) not in broken and ("accounts",) not in broken:  # what the schema refused is said once, above
        sound = {name: block for name, block in (document.get("accounts") or {}).items()
                 if ("accounts", name) not in broken}
        state.watch, watch_problems = watch_from_document({**document, "accounts": sound},
                                                          lambda keys: _line(lines, keys), str(path))
        problems += watch_problems
    if problems:
        raise ConfigError(sorted(dict.fromkeys(problems), key=_line_of))
    return state


def _check_is_desired_state(document, source: str) -> None:
    """Refuse a file that is not a desired-state file at all, naming none of its content (it may be a .env)."""
    if isinstance(document, dict) and "format_version" in document and "changes" in document:
        raise ConfigError(f"{source}:1: (top level): this is a saved plan, not a desired-state file "
                          "(apply it with `apply PLAN.json`, or render it with `show`)")
    if not isinstance(document, dict):
        raise ConfigError(f"{source}:1: (top level): not a desired-state file: it holds {_shown_kind(document)}, "
                          "not a mapping with version: and accounts:")
    if "version" not in document and "accounts" not in document:
        raise ConfigError(f"{source}:1: (top level): not a desired-state file: it has neither version: nor "
                          "accounts: (nothing of it is shown, in case it holds secrets)")


# --- locations ---------------------------------------------------------------------------------

def _where(source: str, lines: dict, path: tuple) -> str:
    return f"{source}:{_line(lines, path)}: {dotted(path)}"


def _line(lines: dict, path: tuple) -> int:
    """The line of a key path (or of the nearest key above it)."""
    probe = tuple(path)
    while probe not in lines and probe:
        probe = probe[:-1]
    return lines.get(probe, 1)


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


def _schema_problems(document, lines: dict, source: str) -> tuple[list[str], set[tuple]]:
    """The file's schema problems, and which parts have them (("accounts", name), ("policy",), ("simulator",)):
    the loader's own rules skip those. The document without its symbol
    entries is checked once, then each distinct symbol entry and each distinct symbol-name shape once (100k symbols)."""
    schema = _schema()
    symbols_schema = schema["$defs"]["account"]["properties"]["symbols"]
    entry_validator = _VALIDATOR({"$defs": schema["$defs"], "$ref": "#/$defs/symbol"})
    name_validator = _VALIDATOR({"propertyNames": symbols_schema.get("propertyNames", True)})
    name_shape = len if set(symbols_schema.get("propertyNames", {})) <= _LENGTH_ONLY else str
    errors = [((), error) for error in _VALIDATOR(schema).iter_errors(_without_symbol_entries(document))]
    entry_verdicts: dict[str, list] = {}
    name_verdicts: dict[object, bool] = {}
    for name, account in _accounts(document):
        prefix = ("accounts", name, "symbols")
        for symbol, block in account["symbols"].items():
            shape = name_shape(symbol)
            if shape not in name_verdicts:
                name_verdicts[shape] = name_validator.is_valid({symbol: None})
            if not name_verdicts[shape]:
                errors += [(prefix, error) for error in name_validator.iter_errors({symbol: None})]
            key = repr(block)
            if key not in entry_verdicts:
                entry_verdicts[key] = list(entry_validator.iter_errors(block))
            errors += [(prefix + (symbol,), error) for error in entry_verdicts[key]]
    # The schema's per-venue rules (an `allOf` in the account) are for editors; the loader checks the same
    # things against the adapters with messages that say more.
    errors = [(prefix, error) for prefix, error in errors if "allOf" not in error.absolute_schema_path]
    problems = [problem for prefix, error in errors for problem in _describe(error, lines, source, prefix)]
    broken = {_part(prefix + tuple(error.absolute_path)) for prefix, error in errors}
    return problems, broken


def _part(path: tuple) -> tuple:
    """The part of the file a problem at `path` makes unusable: its symbol entry, its account, or a top-level key."""
    if path[:1] == ("accounts",) and len(path) >= 4 and path[2] in ("symbols", "credentials"):
        return path[:4]  # a wrong symbol entry or credential value: the rest of the account is checked
    if path[:1] == ("accounts",) and len(path) >= 2:
        return path[:2]
    return path[:1]


_LENGTH_ONLY = {"maxLength", "minLength", "description", "$comment"}  # a name's validity then depends on its length


def _accounts(document):
    """(name, account) for each account block whose `symbols` is a mapping."""
    accounts = document.get("accounts") if isinstance(document, dict) else None
    for name, account in (accounts.items() if isinstance(accounts, dict) else ()):
        if isinstance(account, dict) and isinstance(account.get("symbols"), dict):
            yield name, account


def _without_symbol_entries(document):
    """The document with every account's `symbols` mapping empty (its entries and names are checked apart)."""
    emptied = dict(_accounts(document))
    if not emptied:
        return document
    accounts = {name: ({**account, "symbols": {}} if name in emptied else account)
                for name, account in document["accounts"].items()}
    return {**document, "accounts": accounts}


def _line_of(message: str) -> tuple:
    match = re.match(r"^.*?:(\d+):", message)
    return (int(match[1]) if match else 0, message)


def _describe(error, lines: dict, source: str, prefix: tuple = ()) -> list[str]:
    path = prefix + tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        return [f"{_where(source, lines, path + (key,))}: unknown key '{key}'"
                + (f" (expected one of: {', '.join(sorted(allowed))})" if allowed else "")
                for key in error.instance if key not in allowed]
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        return [f"{_where(source, lines, path)}: missing key '{name}'" for name in missing]
    if len(error.relative_schema_path) > 1 and error.relative_schema_path[-2] == "propertyNames":
        return [f"{_where(source, lines, path + (error.instance,))}: {_name_problem(error)}"]
    hint = error.schema.get("x-error") if isinstance(error.schema, dict) else None
    # A credential's value is never shown, not even a wrong one.
    got = "" if "credentials" in path[:3] else f" (got {_shown(error.instance)})"
    return [f"{_where(source, lines, path)}: {hint or in_our_words(error)}{got}"]


def _name_problem(error) -> str:
    name = error.instance if len(error.instance) <= 40 else error.instance[:40] + "..."
    if error.validator == "maxLength":
        return f"the name {name!r} is {len(error.instance)} characters long; at most {error.validator_value}"
    return f"the name {name!r} may use only letters, digits, '.', '_' and '-'"


def _shown_kind(value) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true or false"}.get(
        type(value), "nothing" if value is None else "a number")


def _shown(value) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:40]) + "..."
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return str(value)


# --- building the model and the venue rules ----------------------------------------------------

def _build(document: dict, lines: dict, path: Path, digest: str, problems: list[str],
           broken: set[tuple]) -> DesiredState:
    source = str(path)
    accounts = {}
    raw_accounts = document.get("accounts") if ("accounts",) not in broken else None
    simulated = "simulator" in document
    for name, raw in (raw_accounts or {}).items():
        if ("accounts", name) in broken:
            continue
        if isinstance(raw.get("symbols"), dict):  # entries the schema refused are not read further
            raw = {**raw, "symbols": {key: spec for key, spec in raw["symbols"].items()
                                      if ("accounts", name, "symbols", key) not in broken}}
        accounts[name] = _account(name, raw, _Locator(source, lines, ("accounts", name)), simulated, problems)
    world = None
    if simulated and ("simulator",) not in broken:
        world = str((path.parent / document["simulator"]["world"]).resolve())
        where = _where(source, lines, ("simulator", "world"))
        if not Path(world).exists():
            problems.append(f"{where}: world file {world} does not exist")
        elif not Path(world).is_file():
            problems.append(f"{where}: world file {world} is not a regular file")
    return DesiredState(path=source, sha256=digest, accounts=accounts, simulator_world=world)


class _Locator:
    """Where a key under one account is: `where(*keys)` -> 'file:line: key.path', `line(*keys)` -> line."""

    def __init__(self, source: str, lines: dict, prefix: tuple):
        self.source, self.lines, self.prefix = source, lines, prefix

    def __call__(self, *keys) -> str:
        return _where(self.source, self.lines, self.prefix + keys)

    def line(self, *keys) -> int:
        return self.lines.get(self.prefix + keys, 1)


def _account(name: str, raw: dict, where: _Locator, simulated: bool, problems: list[str]) -> AccountSpec:
    venue = raw["venue"]
    if venue not in supported_venues():
        problems.append(f"{where('venue')}: venue {venue!r} is not supported "
                        f"(supported: {', '.join(supported_venues())})")
        return AccountSpec(name, venue, raw["environment"], None, {}, {}, {})
    adapter = adapter_class(venue)
    environment = raw["environment"]
    settings = dict(raw.get("settings") or {})
    for setting, value in settings.items():
        if setting not in adapter.settings:
            problems.append(f"{where('settings', setting)}: {venue} has no setting '{setting}'"
                            + (f" (it has: {', '.join(adapter.settings)})" if adapter.settings else ""))
        else:
            problems += _declared_problems(adapter.settings[setting], value, where, ("settings", setting))
    options = _account_options(raw, adapter, where, problems)
    _check_environment(raw, environment, simulated, where, problems)
    _check_credentials(raw["credentials"], adapter, environment, where, problems)
    _check_rate_limits(raw.get("rate_limits") or {}, where, problems)
    context = _Context(settings, options)
    return AccountSpec(
        name=name, venue=venue, environment=environment, base_url=raw.get("base_url"),
        credentials=dict(raw["credentials"]), settings=settings,
        symbols=_symbols(raw.get("symbols") or {}, raw.get("defaults") or {}, adapter, context, where, problems),
        defaults=dict(raw.get("defaults") or {}),
        patterns=_patterns(raw.get("symbols") or {}, raw.get("defaults") or {}, adapter, context, where, problems),
        exclude=_exclude(raw.get("exclude") or [], adapter, where, problems),
        options=options,
        rate_limits=dict(raw.get("rate_limits") or {}),
        request_lifetime=_sim_only(raw, "request_lifetime", environment, where, problems),
        origins={key: where("credentials", key) for key in raw["credentials"]},
    )


class _Context:
    """What a symbol entry's rules depend on in its account: the settings and the venue's own account options."""

    def __init__(self, settings: dict, options: dict):
        self.settings, self.options = settings, options


CORE_ACCOUNT_KEYS = ("venue", "environment", "base_url", "credentials", "rate_limits", "request_lifetime",
                     "settings", "defaults", "exclude", "symbols", "watch")
CORE_SYMBOL_KEYS = ("margin_mode", "leverage", "isolated_margin", "tolerance")


def _account_options(raw: dict, adapter, where, problems: list[str]) -> dict:
    """The account keys the venue declares (the schema has admitted only keys some venue declares)."""
    options = {}
    for key, value in raw.items():
        if key in CORE_ACCOUNT_KEYS:
            continue
        if key not in adapter.account_options:
            problems.append(f"{where(key)}: '{key}' is not a {adapter.venue} setting")
            continue
        found = _declared_problems(adapter.account_options[key], value, where, (key,))
        found += [f"{where(key, *keys)}: {message}" for keys, message in ([] if found else
                                                                         adapter.option_problems(key, value))]
        problems += found
        if not found:
            options[key] = value
    for key in adapter.required_options:
        if key not in raw:
            problems.append(f"{where()}: missing key '{key}' (required for {adapter.venue})")
    return options


def _declared_problems(schema: dict, value, where, keys: tuple) -> list[str]:
    """A venue-declared key's value checked against the schema the venue declares for it."""
    validator = _declared_validator(json.dumps(schema, sort_keys=True))
    problems = []
    for error in validator.iter_errors(value):
        hint = error.schema.get("x-error") if isinstance(error.schema, dict) else None
        problems.append(f"{where(*keys, *error.absolute_path)}: {hint or in_our_words(error)} "
                        f"(got {_shown(error.instance)})")
    return problems


@functools.lru_cache(maxsize=64)
def _declared_validator(schema_text: str):
    return _VALIDATOR({"$defs": _schema()["$defs"], **json.loads(schema_text)})


def _check_environment(raw: dict, environment: str, simulated: bool, where, problems: list[str]) -> None:
    """Where an account may send: a simulator only on this machine, a venue only over https."""
    if simulated and environment != "sim":
        problems.append(f"{where('environment')}: environment: {environment} in a file with a simulator: block; "
                        "the simulator serves every account of the file, so they must all be environment: sim")
    if "base_url" not in raw:
        if environment == "sim" and not simulated:
            problems.append(f"{where()}: environment: sim needs base_url (a simulator on this machine) or a "
                            "simulator: block in the file")
        return
    host = _check_base_url(raw["base_url"], where, problems)
    if host is None:
        return
    if environment == "sim" and not _is_loopback(host):
        problems.append(f"{where('base_url')}: environment: sim sends only to a simulator on this machine: "
                        f"base_url must be a loopback address (127.0.0.1, ::1 or localhost), not {host}")
    if environment != "sim" and not raw["base_url"].lower().startswith("https://"):
        problems.append(f"{where('base_url')}: environment: {environment} needs an https:// base_url "
                        "(credentials are never sent in clear)")


def _is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _sim_only(raw: dict, key: str, environment: str, where, problems: list[str]):
    if key in raw and environment != "sim":
        problems.append(f"{where(key)}: '{key}' is allowed only with environment: sim")
    return raw.get(key)


def _symbols(raw: dict, defaults: dict, adapter, context: _Context, where: _Locator,
             problems: list[str]) -> dict[str, SymbolSpec]:
    """The account's symbols under the venue's own spelling, each inheriting `defaults` where it says nothing;
    two keys naming one symbol are refused."""
    symbols: dict[str, SymbolSpec] = {}
    written_as: dict[str, str] = {}
    for key, spec in raw.items():
        if is_pattern(key):
            continue
        symbol = adapter.canonical_symbol(key)
        if symbol in written_as:
            first = written_as[symbol]
            problems.append(f"{where('symbols', key)}: '{key}' and '{first}' (line {where.line('symbols', first)}) "
                            f"are the same {adapter.venue} symbol {symbol}; keep one")
            continue
        written_as[symbol] = key
        here = lambda *keys, key=key: where("symbols", key, *keys)  # noqa: E731
        symbols[symbol] = _symbol(symbol, {**defaults, **(spec or {})}, adapter, context, here, problems)
        symbols[symbol].source = symbol  # the venue's spelling, as everywhere in a plan
        symbols[symbol].origin = here()
    return symbols


def _patterns(raw: dict, defaults: dict, adapter, context: _Context, where: _Locator,
              problems: list[str]) -> list[PatternSpec]:
    """The `symbols:` keys that are patterns, each checked as the symbol entry it will make."""
    patterns = []
    for key, spec in raw.items():
        if not is_pattern(key):
            continue
        here = lambda *keys, key=key: where("symbols", key, *keys)  # noqa: E731
        unreadable = syntax_problem(key)
        if unreadable:
            problems.append(f"{here()}: the pattern {key!r} has {unreadable}")
            continue
        _symbol(None, {**defaults, **(spec or {})}, adapter, context, here, problems)
        patterns.append(PatternSpec(pattern=adapter.canonical_symbol(key), written=key, values=dict(spec or {}),
                                    where=f"{where.source}:{where.line('symbols', key)}"))
    return patterns


def _exclude(raw: list, adapter, where: _Locator, problems: list[str]) -> list[str]:
    for place, pattern in enumerate(raw):
        unreadable = syntax_problem(pattern)
        if unreadable:
            problems.append(f"{where('exclude', place)}: the pattern {pattern!r} has {unreadable}")
    return [adapter.canonical_symbol(pattern) for pattern in raw]


def pattern_symbol(account: AccountSpec, symbol: str, raw: dict, source: str) -> SymbolSpec:
    """The entry a pattern makes for one matched symbol (raw: defaults and the patterns' values)."""
    problems: list[str] = []
    pattern = next(p for p in account.patterns if p.pattern == source.split(" + ")[0])
    where = pattern.where
    here = lambda *keys: f"{where}: {symbol} (matched by {source})" + "".join(f".{k}" for k in keys)  # noqa: E731
    spec = _symbol(symbol, raw, adapter_class(account.venue), _Context(account.settings, account.options),
                   here, problems)
    if problems:
        raise ConfigError(problems)
    spec.source = source
    spec.origin = f"{where}: accounts.{account.name}.symbols.{pattern.written} (matching {symbol})"
    return spec


def _check_base_url(url: str, where: _Locator, problems: list[str]) -> str | None:
    """The URL's host, or None (and a problem) when it is not scheme://host[:port][/path]."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number or out of range
        parts, port = None, None
    if parts is None or not parts.hostname or parts.username or parts.password or parts.query or parts.fragment \
            or port == 0:
        problems.append(f"{where('base_url')}: must be scheme://host[:port][/path] with a port from 1 to 65535 "
                        "and no user, query or fragment")
        return None
    return parts.hostname


def _check_rate_limits(limits: dict, where: _Locator, problems: list[str]) -> None:
    for endpoint, text in limits.items():
        try:
            count, seconds = parse_limit(text)  # the schema has checked the form
        except ValueError:
            count, seconds = 0, 0.0
        if count < 1 or seconds <= 0:
            problems.append(f"{where('rate_limits', endpoint)}: {text} lets no request through; "
                            "give at least 1 request per period longer than 0")


def _check_credentials(credentials: dict, adapter, environment: str, where, problems: list[str]) -> None:
    for key in credentials:
        if key not in adapter.credential_names:
            problems.append(f"{where('credentials', key)}: unknown credential '{key}' for {adapter.venue} "
                            f"(expected: {', '.join(adapter.credential_names)})")
    for key in adapter.credential_names:
        if key not in credentials:
            problems.append(f"{where('credentials')}: missing credential '{key}'")
        elif not isinstance(credentials[key], str):
            continue  # the schema has said so
        elif environment != "sim" and not ENV_REFERENCE.match(credentials[key]):
            problems.append(f"{where('credentials', key)}: a literal credential is allowed only with "
                            "environment: sim; write ${ENV_VAR} and set the variable")


def _symbol(symbol: str | None, raw: dict, adapter, context: _Context, here, problems: list[str]) -> SymbolSpec:
    """The entry of `symbol` (None: a pattern's entry, checked as far as it can be without its symbols)."""
    options = {}
    for key, value in raw.items():
        if key in CORE_SYMBOL_KEYS:
            continue
        if key not in adapter.symbol_options:
            problems.append(f"{here(key)}: '{key}' is not a {adapter.venue} setting")
            continue
        found = _declared_problems(adapter.symbol_options[key], value, here, (key,))
        problem = None if found else adapter.symbol_option_problem(key, value, context.options, symbol)
        problems += found + ([f"{here(key)}: {problem}"] if problem else [])
        options[key] = value
    mode = raw.get("margin_mode")
    if mode is None and "margin_mode" in adapter.settings:
        mode = context.settings.get("margin_mode")  # a margin mode the venue keeps per account is every symbol's
    hedge = context.settings.get("position_mode") == "hedge"
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
    _check_decimals(leverage, adapter.leverage_decimals, "leverage", here, adapter.venue, problems)
    values = leverage.values() if isinstance(leverage, dict) else [leverage] if leverage is not None else []
    if adapter.leverage_limit is not None and any(value > adapter.leverage_limit for value in values):
        problems.append(f"{here('leverage')}: {adapter.venue} accepts leverage up to "
                        f"{adapter.leverage_limit} for any symbol (got {max(values)})")
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
    _check_decimals(margin, adapter.margin_decimals, "isolated_margin", here, adapter.venue, problems)
    spec = SymbolSpec(symbol=symbol or "", margin_mode=mode, leverage=leverage, isolated_margin=margin,
                      options=options)
    if "tolerance" in raw:
        spec.tolerance = Decimal(raw["tolerance"])
    return spec


def _check_decimals(value, decimals: int | None, key: str, here, venue: str, problems: list[str]) -> None:
    """Refuse a number the venue cannot hold (more decimals than it accepts) before anything is sent."""
    if decimals is None or value is None:
        return
    numbers = value.values() if isinstance(value, dict) else (value.min, value.max) if isinstance(
        value, Band) else (value,)
    for number in numbers:
        if not _fits(number, decimals):
            accepted = "whole numbers only" if decimals == 0 else f"at most {decimals} decimals"
            problems.append(f"{here(key)}: {venue} accepts {accepted} for {key} (got {number})")
            return


@functools.lru_cache(maxsize=4096)  # 100k symbols write a few dozen distinct numbers
def _fits(number, decimals: int) -> bool:
    return number % Decimal(1).scaleb(-decimals) == 0


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # would split or forge an HTTP header


def resolve_credentials(account: AccountSpec, environ=os.environ) -> dict[str, str]:
    """The account's secrets, read from the environment now (plan time), never stored."""
    resolved, problems = {}, []
    for key, value in account.credentials.items():
        match = ENV_REFERENCE.match(value)
        if match is None:
            resolved[key] = value
            continue
        where = account.origins.get(key, f"account {account.name}")
        value = environ.get(match[1])
        if not value:
            problems.append(f"{where}: environment variable {match[1]} is not set")
        elif _CONTROL.search(value):
            problems.append(f"{where}: environment variable {match[1]} holds a line break or another "
                            "control character; set it to the bare value")
        else:
            resolved[key] = value
    if problems:
        raise ConfigError(problems)
    return resolved


__all__ = ["load", "parse_yaml", "resolve_credentials"]
