"""The desired-state JSON Schema: the core's, with each venue package's declarations added (`reconciler schema`)."""

from __future__ import annotations

import copy
import json
from importlib.resources import files

EDITOR_SCHEMA_FILE = ".reconciler.schema.json"  # where the README's `reconciler schema > ...` puts it
CORE_FILE = "desired-state.core.json"
GENERATED_FILE = "desired-state.schema.json"  # what the loader checks against; a test keeps it equal to this


def desired_state_schema() -> dict:
    """The schema document (JSON Schema 2020-12) a desired-state file is checked against."""
    from .venues.registry import adapter_class, supported_venues

    return generated_schema({venue: adapter_class(venue) for venue in supported_venues()})


def schema_text() -> str:
    """The generated schema as the files under schemas/ hold it."""
    return json.dumps(desired_state_schema(), indent=2, ensure_ascii=False) + "\n"


def generated_schema(adapters: dict) -> dict:
    """The core schema with the venues' parts: their names, credentials, settings and own keys.

    The core part names every key some venue declares (so an unknown key is refused for all); what each venue
    allows is an if/then branch per venue in the account's allOf, for editors. The loader checks the same from
    the declarations themselves, with messages that name the venue.
    """
    schema = json.loads(files("reconciler").joinpath("schemas", CORE_FILE).read_text("utf-8"))
    defs = schema["$defs"]
    account = defs["account"]["properties"]
    names = list(adapters)
    account["venue"]["description"] = " | ".join(names)
    environments = ["live", *sorted({e for a in adapters.values() for e in a.base_urls} - {"live", "sim"}), "sim"]
    account["environment"] = {"enum": environments, "x-error": f"must be one of {', '.join(environments)}"}
    for part in ("policy", "policyFile"):
        defs[part]["properties"]["venues"]["propertyNames"]["enum"] = names
    _declare(account, adapters, "account_options")
    _declare(account["settings"]["properties"], adapters, "settings")
    _declare(defs["symbol"]["properties"], adapters, "symbol_options")
    defs["account"]["allOf"] = [{"$comment": "Per-venue rules, for editors: the loader checks the same with its own "
                                             "messages (it skips errors from this allOf).",
                                 "properties": {"venue": {"enum": names}}}]
    defs["account"]["allOf"] += [_branch(venue, adapter, adapters) for venue, adapter in adapters.items()]
    return schema


def _declare(properties: dict, adapters: dict, declaration: str) -> None:
    """Name each key any venue declares, with who has it and what it is (its value is checked per venue)."""
    for venue, adapter in adapters.items():
        for key, declared in getattr(adapter, declaration).items():
            said = properties.setdefault(key, {"description": ""})
            text = f"{venue}: {declared.get('description') or declared.get('x-error', '')}".rstrip(": ")
            said["description"] = f"{said['description']}; {text}" if said["description"] else text


def _branch(venue: str, adapter, adapters: dict) -> dict:
    """What `venue: <venue>` allows: its credentials, its settings and their values, its own keys."""
    theirs = lambda declaration: {key for other in adapters.values() for key in getattr(other, declaration)}  # noqa
    lacking = sorted(theirs("account_options") - set(adapter.account_options))
    lacking_symbol = sorted(theirs("symbol_options") - set(adapter.symbol_options))
    credentials = list(adapter.credential_names)
    then: dict = {"properties": {
        "credentials": {"required": credentials, "propertyNames": {"enum": credentials}},
        "settings": ({"properties": copy.deepcopy(adapter.settings), "propertyNames": {"enum": list(adapter.settings)}}
                     if adapter.settings else {"maxProperties": 0}),
        **copy.deepcopy(adapter.account_options),
    }}
    symbol: dict = {}
    if adapter.symbol_options:
        symbol["properties"] = copy.deepcopy(adapter.symbol_options)
    if lacking_symbol:
        symbol["not"] = _any_of(lacking_symbol)
    if symbol:
        then["properties"]["defaults"] = symbol
        then["properties"]["symbols"] = {"additionalProperties": symbol}
    if adapter.required_options:
        then["required"] = list(adapter.required_options)
    if lacking:
        then["not"] = _any_of(lacking)
    return {"if": {"properties": {"venue": {"const": venue}}, "required": ["venue"]}, "then": then}


def _any_of(keys: list[str]) -> dict:
    return {"required": keys[:1]} if len(keys) == 1 else {"anyOf": [{"required": [key]} for key in keys]}
