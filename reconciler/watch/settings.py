"""The file's `watch:` keys (top-level block and per account): interval, mode report | heal, heal budget."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase

MODES = ("report", "heal")
DEFAULT_INTERVAL = 60.0
DEFAULT_JITTER = 0.1
DEFAULT_MAX_BACKOFF = 600.0
DEFAULT_MAX_HEALS_PER_HOUR = 10


@dataclass(frozen=True)
class AccountWatch:
    """How one account is watched: `report` only, or `heal` (at most `max_heals_per_hour` heals)."""

    mode: str = "report"
    max_heals_per_hour: int = DEFAULT_MAX_HEALS_PER_HOUR
    where: str = ""  # "file:line" of the key that chose the mode, for messages


@dataclass
class WatchSettings:
    interval: float = DEFAULT_INTERVAL  # seconds between passes (before jitter)
    jitter: float = DEFAULT_JITTER  # each wait is interval * (1 +- jitter)
    max_backoff: float = DEFAULT_MAX_BACKOFF  # cap of an unreadable account's exponential backoff, seconds
    default: AccountWatch = field(default_factory=AccountWatch)
    patterns: list[tuple[str, dict, str]] = field(default_factory=list)  # (account pattern, keys, where)
    accounts: dict[str, tuple[dict, str]] = field(default_factory=dict)  # account -> (its own keys, where)

    def for_account(self, name: str) -> AccountWatch:
        """Top-level keys, then matching `watch.accounts` patterns (least specific first), then the account's own."""
        chosen = self.default
        for pattern, keys, where in sorted(self.patterns, key=lambda p: _specificity(p[0])):
            if fnmatchcase(name, pattern):
                chosen = replace(chosen, **keys, where=where)
        if name in self.accounts:
            keys, where = self.accounts[name]
            chosen = replace(chosen, **keys, where=where)
        return chosen


def _specificity(pattern: str) -> tuple[int, int]:
    return (0 if any(char in pattern for char in "*?[") else 1, sum(1 for c in pattern if c not in "*?[]!"))


def from_document(document: dict, line_of, source: str) -> tuple[WatchSettings, list[str]]:
    """The watch settings a parsed file states (its shape checked by the schema), and the problems found.

    `line_of(path)` gives the line of a key path.
    """
    block = document.get("watch") or {}
    problems: list[str] = []
    here = f"{source}:{line_of(('watch',))}"
    settings = WatchSettings(interval=float(block.get("interval", DEFAULT_INTERVAL)),
                             jitter=float(block.get("jitter", DEFAULT_JITTER)),
                             max_backoff=float(block.get("max_backoff", DEFAULT_MAX_BACKOFF)),
                             default=AccountWatch(**_keys(block), where=here))
    accounts = document.get("accounts") if isinstance(document.get("accounts"), dict) else {}  # the schema says the rest
    names = list(accounts)
    for pattern, keys in (block.get("accounts") or {}).items():
        where = f"{source}:{line_of(('watch', 'accounts', pattern))}"
        if not any(fnmatchcase(name, pattern) for name in names):
            problems.append(f"{where}: watch.accounts.{pattern}: names no account of the file "
                            f"(accounts: {', '.join(names)})")
        settings.patterns.append((pattern, _keys(keys or {}), where))
    for name, account in accounts.items():
        if isinstance(account, dict) and "watch" in account:
            where = f"{source}:{line_of(('accounts', name, 'watch'))}"
            settings.accounts[name] = (_keys(account["watch"] or {}), where)
    return settings, problems


def _keys(block: dict) -> dict:
    keys = {}
    if "mode" in block:
        keys["mode"] = block["mode"]
    if "max_heals_per_hour" in block:
        keys["max_heals_per_hour"] = int(block["max_heals_per_hour"])
    return keys
