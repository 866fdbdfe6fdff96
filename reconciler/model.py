"""The desired state (what the file says) and the live state (what a venue reports), venue-neutral."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

CROSS, ISOLATED = "cross", "isolated"
LONG, SHORT = "long", "short"
ENV_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")  # how a credential names its variable


@dataclass(frozen=True)
class Band:
    """An isolated-margin band: outside it, move to the nearest edge."""

    min: Decimal
    max: Decimal


# A per-side value is a dict {"long": x, "short": y}; a scalar applies to every side.
Leverage = Decimal | dict[str, Decimal]
Margin = Decimal | dict[str, Decimal] | Band


@dataclass(slots=True)  # 100k symbols: no __dict__ per entry
class SymbolSpec:
    symbol: str
    margin_mode: str | None = None
    leverage: Leverage | None = None
    isolated_margin: Margin | None = None
    tolerance: Decimal = Decimal("0.5")  # percent of the margin target
    options: dict = field(default_factory=dict)  # the keys the venue declares for a symbol entry, as written
    source: str | None = None  # the `symbols:` key that produced it, as written: the symbol or a pattern
    origin: str | None = None  # "file:line: key path" of its entry, for problems found at plan time


@dataclass(frozen=True)
class PatternSpec:
    """A `symbols:` key with `*`, `?` or `[...]`: matched against the venue's instruments at plan time."""

    pattern: str  # in the venue's spelling of ids (Adapter.canonical_symbol)
    written: str  # as the file writes it
    values: dict  # what the entry itself sets (raw file values, before `defaults:`)
    where: str  # "file:line"


@dataclass
class AccountSpec:
    name: str
    venue: str
    environment: str
    base_url: str | None
    credentials: dict[str, str]  # as written: "${VAR}" references, or literals in sim
    settings: dict[str, str]
    symbols: dict[str, SymbolSpec]
    options: dict = field(default_factory=dict)  # the further keys the venue declares for an account, as written
    rate_limits: dict[str, str] = field(default_factory=dict)
    request_lifetime: Decimal | None = None  # sim only: a shortened timestamp window (see the schema)
    origins: dict[str, str] = field(default_factory=dict)  # credential key -> "file:line: key path"
    defaults: dict = field(default_factory=dict)  # raw `defaults:` values, inherited by pattern entries too
    patterns: list[PatternSpec] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)  # patterns (venue spelling) no pattern may match
    narrowed_to: frozenset | None = None  # --symbol: the only symbols the patterns may add


@dataclass
class DesiredState:
    path: str
    sha256: str
    accounts: dict[str, AccountSpec]
    simulator_world: str | None = None  # path of the embedded simulator's world, if any
    policy: object = None  # reconciler.policy.load.Policy: the file's `policy:` block, plus any --policy FILE
    watch: object = None  # reconciler.watch.settings.WatchSettings: the file's `watch:` keys


@dataclass(frozen=True)
class Position:
    symbol: str
    margin_mode: str
    side: str | None  # long | short, or None for a net position
    size: Decimal
    margin: Decimal | None = None
    # What a liquidation estimate needs, where the venue gives it (None where it does not):
    mark_price: Decimal | None = None
    liquidation_price: Decimal | None = None  # the venue's own estimate now
    cost: Decimal | None = None  # signed position cost, where the venue's estimate uses it
    maintenance_rate: Decimal | None = None  # maintenance margin ratio of the position


@dataclass(frozen=True)
class Order:
    symbol: str
    margin_mode: str | None
    description: str


@dataclass(slots=True)
class SymbolLive:
    symbol: str
    margin_mode: str | None  # None where the venue stores no mode per symbol (its orders choose one)
    leverage: dict[tuple[str, str | None], Decimal] = field(default_factory=dict)
    max_leverage: Decimal | None = None
    min_leverage: Decimal | None = None


@dataclass
class AccountLive:
    settings: dict[str, str] = field(default_factory=dict)
    symbols: dict[str, SymbolLive] = field(default_factory=dict)
    positions: list[Position] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    options: dict = field(default_factory=dict)  # what the venue's own account options hold now (its adapter's)
    # list name -> (the list indexed, its length then, symbol -> [(place in the list, item)])
    _indexes: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def positions_of(self, symbol: str) -> list[Position]:
        return [p for _, p in self._index("positions").get(symbol, ()) if p.size != 0]

    def orders_of(self, symbol: str) -> list[Order]:
        return [o for _, o in self._index("orders").get(symbol, ())]

    def orders_among(self, symbols) -> list[Order]:
        """The pending orders of any of `symbols`, in the order the venue listed them."""
        index = self._index("orders")
        return [o for _, o in sorted((pair for s in set(symbols) for pair in index.get(s, ())),
                                     key=lambda pair: pair[0])]

    def _index(self, name: str) -> dict[str, list]:
        """Positions or orders by symbol, built once per list, so a plan costs no scan per symbol."""
        items = getattr(self, name)
        cached = self._indexes.get(name)
        if cached is None or cached[0] is not items or cached[1] != len(items):
            by_symbol: dict[str, list] = {}
            for place, item in enumerate(items):
                by_symbol.setdefault(item.symbol, []).append((place, item))
            cached = self._indexes[name] = (items, len(items), by_symbol)
        return cached[2]
