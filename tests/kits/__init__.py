"""Venue test kits: one module a venue, `kits/<venue>.py`, giving the shared tests everything they need to know of it.

A shared test parametrizes over `venues_with_kits()` and takes every venue-specific value from `kit(venue)`, so a
new venue is covered by adding its kit, not by editing the shared tests. Every kit defines the names in `API`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from reconciler.venues.registry import supported_venues

API = {
    "VENUE": "the venue's name in the registry (and the simulator's section of the world)",
    "ACCOUNT": "the name `config` gives its one account",
    "world": "world() -> the simulator world of the venue's default end-to-end scenario",
    "config": "config(where, url, symbols=None, **account) -> the path of that scenario's desired-state file "
              "(`symbols` replaces the scenario's symbols, other keywords go into the account block)",
    "CREDENTIALS": "the credentials `config` writes, by name",
    "SECRETS": "the credential values that must never be shown (in output, plans, journals)",
    "READS": "the paths `plan` reads (GET) on the default scenario, each of which a hostile answer may replace",
    "success": "success(data) -> the venue's success answer carrying `data` (its envelope, or the bare data)",
    "MARGIN_WRITE": "the path of the venue's margin-move write (not idempotent)",
    "moved_position": "moved_position(call) -> (symbol, side or None): the position a margin-move call (an entry of "
                      "the simulator's call log) moves",
    "HELD_MOVE_SECONDS": "seconds the simulator may hold a margin move and still execute it (inside the request's "
                         "validity, long enough for a second run to read the margin before it lands)",
    "STATE_CLOCKS": "keys of the simulator's state that record when it saw a request (left out of comparisons)",
    "UNKNOWN_OUTCOMES": "[(HTTP status, venue code)] the venue documents as 'may or may not have executed'",
    "IN_SYNC_OUTSIDE_POLICY": "(symbols, policy, config keywords): symbols in sync on world() that the policy "
                              "denies",
    "rules_world": "rules_world() -> a world on which rules_config plans one change per RULE_TARGETS entry",
    "rules_config": "rules_config(where, url) -> a desired-state file with a leverage change, a margin mode change "
                    "(or a leverage change in a mode a rule can forbid) and a margin move",
    "RULE_TARGETS": "{'leverage': change id, 'margin_mode': change id, 'margin_move': change id} of rules_config",
}


def kit_module_name(venue: str) -> str:
    return f"kits.{venue}"


def kit(venue: str) -> ModuleType:
    """The test kit of `venue` (kits/<venue>.py)."""
    return importlib.import_module(kit_module_name(venue))


def venues_with_kits() -> list[str]:
    """The registered venues that have a kit, in the registry's order (the rest fail test_venue_kits)."""
    found = []
    for venue in supported_venues():
        try:
            kit(venue)
        except ModuleNotFoundError as missing:
            if missing.name != kit_module_name(venue):
                raise  # the kit exists but imports something missing
            continue
        found.append(venue)
    return found
