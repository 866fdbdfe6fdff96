"""Symbol patterns: which of the venue's instruments each `symbols:` pattern names, and what it sets there."""

from __future__ import annotations

import dataclasses
import re
from fnmatch import fnmatchcase

from .errors import ConfigError
from .model import AccountSpec, PatternSpec

_WILDCARD = re.compile(r"[*?\[]")


def is_pattern(key: str) -> bool:
    return bool(_WILDCARD.search(key))


def syntax_problem(pattern: str) -> str | None:
    """Why a pattern cannot be read (an unclosed `[`), or None."""
    depth = 0
    for char in pattern:
        if char == "[":
            depth += 1
        elif char == "]" and depth:
            depth -= 1
    return "an unclosed '[' (write [A-Z] or [!A-Z] for one character of a set)" if depth else None


def names(pattern: str, symbol: str) -> bool:
    return fnmatchcase(symbol, pattern)


def expand(spec: AccountSpec, instrument_ids: list[str], build) -> tuple[AccountSpec, list[str]]:
    """The account with its patterns replaced by the symbols they name among `instrument_ids`.

    An explicit key wins over every pattern. Patterns naming one symbol add up their values; two that set
    one field to different values are an error. `build(symbol, raw values, source)` makes the SymbolSpec.
    Returns the account and the patterns that name nothing (see `unmatched_text`).
    """
    listed = [s for s in instrument_ids if not any(fnmatchcase(s, x) for x in spec.exclude)]
    if spec.narrowed_to is not None:
        listed = [s for s in listed if s in spec.narrowed_to]
    matched: dict[str, list[PatternSpec]] = {}
    unmatched = []
    for pattern in spec.patterns:
        hits = [s for s in listed if fnmatchcase(s, pattern.pattern)]
        if not hits and spec.narrowed_to is None:
            unmatched.append(pattern)
        for symbol in hits:
            if symbol not in spec.symbols:
                matched.setdefault(symbol, []).append(pattern)
    symbols = dict(spec.symbols)
    clashes: dict[tuple, list[str]] = {}  # (first pattern's place, second's, field) -> symbols
    for symbol, patterns in matched.items():
        values: dict = {}
        setter: dict[str, PatternSpec] = {}
        for pattern in patterns:
            for key, value in pattern.values.items():
                if key in values and values[key] != value:
                    place = (spec.patterns.index(setter[key]), spec.patterns.index(pattern), key)
                    clashes.setdefault(place, []).append(symbol)
                values.setdefault(key, value)
                setter.setdefault(key, pattern)
        if not clashes:
            symbols[symbol] = build(symbol, {**spec.defaults, **values}, " + ".join(p.pattern for p in patterns))
    if clashes:
        raise ConfigError([f"{spec.patterns[second].where}: patterns {spec.patterns[first].written!r} "
                           f"({spec.patterns[first].where}) and {spec.patterns[second].written!r} both match "
                           f"{_some(hit)} and set {key} to different values; write the symbol out, or narrow a "
                           "pattern, or exclude it" for (first, second, key), hit in clashes.items()])
    return dataclasses.replace(spec, symbols=symbols, patterns=[]), unmatched


def unmatched_text(spec: AccountSpec, pattern: PatternSpec) -> str:
    """What the plan notes about a pattern that names no instrument."""
    return (f"pattern {pattern.written!r} ({pattern.where}) matches no instrument {spec.venue} lists for this "
            "account" + (" after exclude" if spec.exclude else ""))


def _some(symbols: list[str]) -> str:
    return symbols[0] if len(symbols) == 1 else f"{symbols[0]} (and {len(symbols) - 1} more)"
