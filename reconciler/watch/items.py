"""Items of one account as a plan shows them, and their drift episodes: which events a new read brings (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..address import Address

STATUS_OF = {"change": "drift", "blocked": "blocked", "conflict": "conflict", "denied": "denied"}
EVENT_OF = {"drift": "drift_detected", "blocked": "blocked", "conflict": "blocked", "denied": "blocked"}


@dataclass(frozen=True)
class Item:
    """One setting at one scope: its id, where it is, its status now and (if not in sync) from, to and why."""

    id: str
    symbol: str  # "" for an account setting
    setting: str  # the id after account and symbol, e.g. leverage/isolated/long
    status: str  # in_sync | drift | blocked | conflict | denied
    old: str | None = None
    new: str | None = None
    reason: str | None = None


def items_of(plan, account: str) -> list[Item]:
    """The account's items in `plan` (n/a items are not watched)."""
    found = [Item(c.id, *item_place(c.id), STATUS_OF[c.status], c.from_, c.to, c.reason)
             for c in plan.changes if c.account == account]
    found += [Item(item_id, *item_place(item_id), "in_sync") for item_id in plan.in_sync
              if Address.parse(item_id).account == account]
    return found


def item_place(item_id: str) -> tuple[str, str]:
    """(symbol or "", setting with its mode and side) of an item: `BTCUSDT`, `leverage/isolated/long`."""
    address = Address.parse(item_id)
    setting = "/".join(part for part in (address.setting, address.mode, address.side) if part)
    if address.scope:
        return address.symbol, f"{address.scope}/{setting}"
    return address.symbol or "", setting


@dataclass
class Episodes:
    """The open drift episodes of one account: item id -> (when it began, the events sent in it)."""

    open: dict[str, tuple[float, set[str]]] = field(default_factory=dict)

    def observe(self, items: list[Item], now: float) -> list[tuple[str, Item]]:
        """The (event, item) pairs this read brings: each event at most once per episode of an item; an item back
        in sync, or gone from the file, resolves its episode."""
        events = []
        seen = set()
        for item in items:
            seen.add(item.id)
            if item.status == "in_sync":
                if item.id in self.open:
                    del self.open[item.id]
                    events.append(("drift_resolved", item))
                continue
            began, sent = self.open.setdefault(item.id, (now, set()))
            kind = EVENT_OF[item.status]
            if kind not in sent:
                sent.add(kind)
                events.append((kind, item))
        for gone in [item_id for item_id in self.open if item_id not in seen]:
            del self.open[gone]
            events.append(("drift_resolved", Item(gone, "", gone.split("/", 1)[-1], "in_sync",
                                                  reason="no longer in the file")))
        return events

    def once(self, item_id: str, kind: str) -> bool:
        """True the first time `kind` happens in the item's open episode (heal_failed), False after."""
        began, sent = self.open.get(item_id, (None, set()))
        if began is None or kind in sent:
            return False
        sent.add(kind)
        return True

    def drift_seconds(self, now: float) -> float:
        return max((now - began for began, _ in self.open.values()), default=0.0)
