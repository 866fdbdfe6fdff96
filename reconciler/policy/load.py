"""Reads a policy (the desired-state file's `policy:` block, or a `--policy FILE`) into bounds to check."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import jsonschema

from ..errors import ConfigError
from ..schema_words import in_our_words
from ..strict_yaml import dotted, parse_yaml, read_text
from . import windows as clock

SCHEMA_PATH = Path(__file__).parent.parent / "schemas" / "desired-state.schema.json"
NUMBER_RULES = ("max_leverage", "min_leverage", "max_margin_move", "max_margin_moved", "min_liquidation_distance")
RULES = NUMBER_RULES + ("allowed_margin_modes", "change_windows", "deny_windows")


@dataclass(frozen=True)
class Bound:
    """One value of one rule, for the symbols one pattern names (on one venue, or every venue)."""

    rule: str
    value: object  # Decimal, or a frozenset of margin modes
    pattern: str  # "*" where the rule is a plain value
    venue: str | None
    group: str  # where the rule is written: within one map the most specific pattern speaks
    where: str  # "file:line" of this value

    @property
    def specificity(self) -> tuple[int, int]:
        literal = sum(1 for char in self.pattern if char not in "*?[]!")
        return (0 if any(char in self.pattern for char in "*?[") else 1, literal)


@dataclass
class Policy:
    bounds: list[Bound] = field(default_factory=list)
    windows: list[tuple[str, list]] = field(default_factory=list)  # (where, windows): one of each list is open
    sources: list[str] = field(default_factory=list)
    deny: list[tuple[str, list]] = field(default_factory=list)  # (where, windows): none of them may be open

    def merged(self, other: "Policy") -> "Policy":
        """Both policies at once: for every change every rule of both holds, so the stricter one wins."""
        return Policy(self.bounds + other.bounds, self.windows + other.windows, self.sources + other.sources,
                      self.deny + other.deny)

    def __bool__(self) -> bool:
        return bool(self.bounds or self.windows or self.deny)


def from_block(block, lines: dict, source: str, prefix: tuple = ("policy",)) -> tuple[Policy, list[str]]:
    """The policy a parsed block states, and the problems found in it (the schema has checked its shape)."""
    policy, problems = Policy(sources=[source]), []
    _rules(block or {}, None, prefix, lines, source, policy, problems)
    for venue, rules in (block or {}).get("venues", {}).items():
        _rules(rules or {}, venue, prefix + ("venues", venue), lines, source, policy, problems)
    return policy, problems


def load_file(path: str | Path) -> Policy:
    """A `--policy FILE`: the same rules as a `policy:` block, optionally with `version: 1`."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such policy file")
    text, data = read_text(path)
    document, lines = parse_yaml(text, str(path))
    schema = json.loads(SCHEMA_PATH.read_text())
    validator = _VALIDATOR({"$defs": schema["$defs"], "$ref": "#/$defs/policyFile"})
    errors = sorted(validator.iter_errors(document), key=lambda e: (_number(lines, tuple(e.absolute_path)),
                                                                     list(map(str, e.absolute_path))))
    if errors:
        raise ConfigError([f"{_where(str(path), lines, tuple(e.absolute_path))}: {_message(e)}" for e in errors])
    policy, problems = from_block(document, lines, str(path), prefix=())
    if problems:
        raise ConfigError(problems)
    policy.sources = [f"{path} (sha256 {hashlib.sha256(data).hexdigest()[:12]})"]
    return policy


def _rules(rules: dict, venue: str | None, prefix: tuple, lines: dict, source: str, policy: Policy,
           problems: list[str]) -> None:
    for rule in RULES:
        if rule not in rules:
            continue
        here = prefix + (rule,)
        value = rules[rule]
        if rule in ("change_windows", "deny_windows"):
            parsed = []
            for place, item in enumerate(value):
                try:
                    parsed.append(_window(item))
                except ValueError as exc:
                    problems.append(f"{_where(source, lines, here + (place,))}: {exc}")
            (policy.windows if rule == "change_windows" else policy.deny).append((_line(source, lines, here), parsed))
            continue
        pairs = value.items() if isinstance(value, dict) else [("*", value)]
        for pattern, limit in pairs:
            where = _line(source, lines, here + ((pattern,) if isinstance(value, dict) else ()))
            limit = frozenset(limit) if rule == "allowed_margin_modes" else Decimal(limit)
            policy.bounds.append(Bound(rule, limit, pattern, venue, _line(source, lines, here), where))


def _window(item):
    """A window from its text (UTC range) or its {cron, duration, timezone} mapping; ValueError when wrong."""
    if isinstance(item, dict):
        return clock.parse_cron(item["cron"], item["duration"], item.get("timezone", "UTC"))
    return clock.parse(item)


def _line(source: str, lines: dict, path: tuple) -> str:
    """'file:line' of a key path (or of the nearest key above it)."""
    return f"{source}:{_number(lines, path)}"


def _number(lines: dict, path: tuple) -> int:
    probe = tuple(path)
    while probe not in lines and probe:
        probe = probe[:-1]
    return lines.get(probe, 1)


def _where(source: str, lines: dict, path: tuple) -> str:
    return f"{_line(source, lines, path)}: {dotted(path)}"


def _message(error) -> str:
    """The schema's own hint, else the problem in this tool's words (jsonschema's wording is not ours to show)."""
    hint = error.schema.get("x-error") if isinstance(error.schema, dict) else None
    named = error.validator in ("enum", "const") and isinstance(error.instance, str) and len(error.instance) <= 40
    got = f" (got {error.instance!r})" if named else ""  # a name; never a value (the file may not be a policy)
    return (hint or in_our_words(error)) + got


def _is_number(checker, instance) -> bool:
    return isinstance(instance, (int, Decimal, float)) and not isinstance(instance, bool)


_VALIDATOR = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("number", _is_number),
)
