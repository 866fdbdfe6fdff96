"""The plan: changes with their status, order and exact calls, and its JSON document."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

from .errors import ConfigError
from .address import Address

FORMAT_VERSION = "1"
STATUSES = ("change", "blocked", "conflict", "denied")
_KEY = json.JSONEncoder(sort_keys=True, default=str).encode  # one encoder: json.dumps would make one per call


@dataclass
class Call:
    """One HTTP request a change will send: never a header, never a secret."""

    method: str
    path: str
    query: dict | None = None
    body: dict | None = None
    # Every setting the call changes, as the adapter declares it (see Adapter.call_effects): what the write
    # gate judges against the policy at send time. Not part of the request itself (`key`).
    effects: list[dict] = field(default_factory=list, compare=False)
    # A margin move's amount was computed from a read made at this wall-clock time: a move of the same position
    # that could still execute after it makes that read stale (see reconciler.gate). Not saved in plans.
    read_at: float | None = field(default=None, compare=False)

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"

    def key(self) -> str:
        return _KEY([self.method, self.path, self.query, self.body])

    def to_json(self) -> dict:
        data = {"method": self.method, "path": self.path, "query": self.query, "body": self.body}
        if self.effects:
            data["effects"] = self.effects
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Call":
        return cls(data["method"], data["path"], data.get("query"), data.get("body"), list(data.get("effects") or []))


@dataclass
class Change:
    id: str
    account: str
    venue: str
    symbol: str | None
    field: str
    side: str | None
    margin_mode: str | None
    from_: str | None
    to: str | None
    status: str = "change"
    reason: str | None = None
    depends_on: list[str] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    source: str | None = None  # the file's entry that produced it: a symbol key, a pattern, or None (account level)
    rule: str | None = None  # the policy rule a denied change breaks, e.g. "max_leverage"
    liquidation_price: dict | None = None  # {"from", "to", "mark"}: the venue's estimate before and after
    # A margin move whose amount is known only at send time (a leverage change of the same position goes
    # first and may move margin itself): the largest move, in either direction, the gate lets it send.
    move_bound: str | None = None

    def to_json(self) -> dict:
        data = asdict(self)
        data["from"] = data.pop("from_")
        data["calls"] = [call.to_json() for call in self.calls]
        return {key: data[key] for key in _CHANGE_KEYS}

    @classmethod
    def from_json(cls, data: dict) -> "Change":
        values = {key: data.get(key) for key in _CHANGE_KEYS if key not in ("from", "calls")}
        values["depends_on"] = list(data.get("depends_on") or [])
        return cls(from_=data.get("from"), calls=[Call.from_json(c) for c in data.get("calls") or []],
                   **values)


_CHANGE_KEYS = ("id", "account", "venue", "symbol", "field", "side", "margin_mode", "from", "to",
                "status", "reason", "depends_on", "calls", "source", "rule", "liquidation_price", "move_bound")


@dataclass
class Plan:
    changes: list[Change]
    observed: dict[str, dict[str, str | None]]  # account -> setting id -> live value it was computed from
    in_sync: list[str] = field(default_factory=list)
    not_applicable: list[dict] = field(default_factory=list)  # {"id", "reason"}
    notes: list[dict] = field(default_factory=list)  # {"account", "text"}: things a person must know
    accounts: dict[str, dict] = field(default_factory=dict)  # account -> {"venue", "environment"}, for views
    config_path: str | None = None
    config_sha256: str | None = None
    created_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    estimates: dict[str, dict] = field(default_factory=dict)  # account -> {seconds, why}: apply's floor
    errors: dict[str, str] = field(default_factory=dict)  # account -> why it could not be read
    scope: dict = field(default_factory=dict)  # {"accounts": [...], "symbols": [...]}: what --account/--symbol chose
    plan_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def summary(self) -> dict[str, int]:
        counts = {status: 0 for status in STATUSES}
        for change in self.changes:
            counts[change.status] += 1
        counts["in_sync"] = len(self.in_sync)
        if self.empty_patterns:  # only then, so that a plan without patterns keeps its summary
            counts["empty_patterns"] = self.empty_patterns
        return counts

    @property
    def empty_patterns(self) -> list[dict]:
        """The file's patterns that matched no instrument: {"account", "pattern", "where"} each.

        A drift check fails on them (plan --detailed-exitcode), since a typo in a pattern manages nothing.
        """
        return [{"account": note["account"], "pattern": note["pattern"], "where": note.get("where")}
                for note in self.notes if note.get("pattern")]

    def absorb(self, other: "Plan") -> None:
        """Add another plan's accounts (made from the same file) to this one."""
        self.changes += other.changes
        self.in_sync += other.in_sync
        self.not_applicable += other.not_applicable
        self.notes += other.notes
        self.observed.update(other.observed)
        self.accounts.update(other.accounts)
        self.estimates.update(other.estimates)
        self.errors.update(other.errors)

    def part(self, account: str) -> "Plan":
        """This plan's part for one account."""
        prefix = f"{account}/"
        return Plan(changes=[c for c in self.changes if c.account == account],
                    observed={account: dict(self.observed.get(account, {}))},
                    in_sync=[i for i in self.in_sync if i.startswith(prefix)],
                    not_applicable=[i for i in self.not_applicable if i["id"].startswith(prefix)],
                    notes=[n for n in self.notes if n["account"] == account],
                    accounts={account: self.accounts[account]} if account in self.accounts else {},
                    config_path=self.config_path, config_sha256=self.config_sha256,
                    estimates={k: v for k, v in self.estimates.items() if k == account},
                    errors={k: v for k, v in self.errors.items() if k == account}, scope=self.scope)

    @property
    def has_work(self) -> bool:
        """True when a drift check should fail: anything to change, blocked or conflicting."""
        return bool(self.changes)

    def to_json(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "plan_id": self.plan_id,
            "created_at": self.created_at,
            "config_path": self.config_path,
            "config_sha256": self.config_sha256,
            "changes": [change.to_json() for change in self.changes],
            "observed": self.observed,
            "summary": self.summary,
            "in_sync": self.in_sync,
            "not_applicable": self.not_applicable,
            "notes": self.notes,
            "accounts": self.accounts,
            "estimates": self.estimates,
            "errors": self.errors,
            "scope": self.scope,
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, default=_json_default) + "\n"

    @classmethod
    def from_json(cls, data: dict, source: str = "plan") -> "Plan":
        if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
            raise ConfigError(f"{source}: not a reconciler plan (format_version {FORMAT_VERSION} expected)")
        try:
            return cls(
                changes=[Change.from_json(item) for item in data["changes"]],
                observed=data["observed"],
                in_sync=list(data.get("in_sync") or []),
                not_applicable=list(data.get("not_applicable") or []),
                notes=list(data.get("notes") or []),
                accounts=dict(data.get("accounts") or {}),
                config_path=data.get("config_path"),
                config_sha256=data.get("config_sha256"),
                created_at=data["created_at"],
                estimates=dict(data.get("estimates") or {}),
                errors=dict(data.get("errors") or {}),
                scope=dict(data.get("scope") or {}),
                plan_id=data["plan_id"],
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{source}: malformed plan: {exc}") from None


def touched_symbols(changes: list[Change]) -> list[str] | None:
    """The symbols an apply wrote to, which are all verification reads again; None when an account-level
    setting (or a currency's leverage) was written, after which the whole account is read back."""
    written = [c for c in changes if c.status == "change"]
    if any(c.symbol is None or Address.parse(c.id).scope for c in written):
        return None
    return list(dict.fromkeys(c.symbol for c in written))


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to a plan")
