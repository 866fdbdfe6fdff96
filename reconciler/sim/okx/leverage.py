"""OKX leverage as an account stores it: per instrument and margin mode (per side for isolated in long/short
mode), per instFamily for cross FUTURES, per currency for cross MARGIN; and its default."""

from __future__ import annotations

from decimal import Decimal

from .instruments import type_of
from .values import dec, fmt
from .world import World

# Unconfirmed: okx.md lists the default leverage of a never-configured instrument as unknown; we
# choose 10x, capped at the instrument's maximum, because it is the safe behaviour (a moderate value
# that a desired state rarely matches by accident, so the reconciler writes what the file says).
DEFAULT_LEVER = Decimal("10")


def default_lever(inst: dict) -> Decimal:
    """What an instrument never set holds: DEFAULT_LEVER, capped at its maximum."""
    cap = inst.get("lever")
    if cap in (None, ""):
        return DEFAULT_LEVER
    return min(DEFAULT_LEVER, dec(cap))


def lever_entry(world: World, acct: dict, inst: dict, mgn_mode: str):
    """The stored value (or per-side mapping) of this instrument and mode; None if never set."""
    levs = acct.get("leverage") or {}
    inst_id = str(inst["instId"])
    entry = (levs.get(inst_id) or {}).get(mgn_mode)
    if entry is None and mgn_mode == "cross" and type_of(inst) == "FUTURES":
        # Seed scenario 6: cross FUTURES leverage is one value per instFamily.
        for other in world.family_futures(inst, acct):
            entry = (levs.get(other) or {}).get("cross")
            if entry is not None:
                break
    return entry


def lever_of(world: World, acct: dict, inst: dict, mgn_mode: str, side: str = "net") -> Decimal:
    entry = lever_entry(world, acct, inst, mgn_mode)
    if entry is None:
        return default_lever(inst)
    if isinstance(entry, dict):
        if side in ("long", "short") and entry.get(side) is not None:
            return dec(entry[side])
        if entry.get("net") is not None:
            return dec(entry["net"])
        # A per-side value read in net mode (an inconsistent world): the lower side, the safe one.
        values = [dec(v) for k, v in entry.items() if k in ("long", "short") and v is not None]
        return min(values) if values else default_lever(inst)
    return dec(entry)


def store_lever(world: World, acct: dict, inst_id: str, mgn_mode: str, value: str, side: str | None) -> None:
    if acct.get("leverage") is None:
        acct["leverage"] = {}
    row = acct["leverage"].setdefault(inst_id, {})
    if side in ("long", "short"):
        current = row.get(mgn_mode)
        if not isinstance(current, dict):
            inst = world.inst_or_guess(inst_id)
            base = current if current is not None else fmt(default_lever(inst))
            current = {"long": str(base), "short": str(base)}
        current[side] = value
        row[mgn_mode] = current
    else:
        row[mgn_mode] = value
