"""Reads YAML as plain data in one pass over libyaml's events, refusing whatever could mean something else."""

from __future__ import annotations

import re
import stat
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from .errors import ConfigError

MAX_BYTES = 32 * 1024 * 1024  # a desired-state file of 100,000 symbols is a few MB
MAX_DEPTH = 32  # the deepest key of a desired-state file is 6 levels down
ALIAS_ALLOWANCE = 10_000  # nodes aliases may add beyond those written; past that, no more than written
MAX_NUMBER_DIGITS = 40  # leverage and margin need a few; 5,000 digits would only exhaust int() and Decimal

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
_YAML11 = yaml.constructor.SafeConstructor()  # only to show what a YAML 1.1 number would have become
_PLAIN_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_TAG = "tag:yaml.org,2002:"
_BOOLEANS = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}


def read_text(path: Path) -> tuple[str, bytes]:
    """The file's text and bytes; a ConfigError for anything but a regular file (a directory, a FIFO, a device),
    a huge file, UTF-16, binary or non-UTF-8."""
    check_regular_file(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_BYTES // 2**20} MiB; not read")
    if b"\0" in data:
        line = data[:data.index(b"\0")].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: contains NUL bytes: UTF-16 text or a binary file; save it as UTF-8 text")
    try:
        return data.decode("utf-8-sig"), data
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                          "save it as UTF-8") from None


def check_regular_file(path: Path) -> None:
    """Refuse at once what is not a regular file: opening a FIFO waits for a writer, /dev/zero never ends."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    if stat.S_ISDIR(mode):
        raise ConfigError(f"{path}: is a directory, not a file")
    if not stat.S_ISREG(mode):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(
            mode) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file"
        raise ConfigError(f"{path}: is {kind}, not a regular file; not read")


def parse_yaml(text: str, source: str) -> tuple[object, dict[tuple, int]]:
    """Plain data (floats as Decimal) and a map from key path to line number."""
    return _parse(text, source, _LOADER)


def _parse(text: str, source: str, loader_class) -> tuple[object, dict[tuple, int]]:
    builder = _Builder(source)
    loader = None
    try:
        loader = loader_class(text)
        feed, next_event = builder.feed, loader.get_event  # one pass over the events, no generator between
        event = next_event()
        while event is not None:
            feed(event)
            event = next_event()
    except yaml.reader.ReaderError as exc:
        line = text[:exc.position].count("\n") + 1
        raise ConfigError(f"{source}:{line}: character U+{exc.character:04X} is not allowed in YAML") from None
    except yaml.YAMLError as exc:
        if loader_class is not yaml.SafeLoader:
            # libyaml refuses some files (nesting past its own limit) in its own words before the events reach
            # the checks here; the pure-Python parser reads on, so the message is this reader's, or its error.
            return _parse(text, source, yaml.SafeLoader)
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{source}{line}: not valid YAML: {_in_our_words(exc, mark, text)}") from None
    finally:
        if loader is not None:
            loader.dispose()
    if builder.root is _NOTHING or builder.root is None:
        raise ConfigError(f"{source}:1: the file is empty")
    return builder.root, builder.lines


_NOTHING = object()

# libyaml's problems, said in this project's words (its own text names parser states, not what to fix).
_PROBLEMS = (
    ("nesting depth", f"nested more than {MAX_DEPTH} levels deep"),
    ("expected ',' or ']'", "a list opened with [ is not closed with ]"),
    ("expected ',' or '}'", "a mapping opened with { is not closed with }"),
    ("mapping values are not allowed", "a ':' inside a value; quote a value that holds ': '"),
    ("expected key", "the indentation does not line up with the keys above"),
    ("'-' indicator", "the indentation does not line up with the list above"),
    ("end of stream", "the file ends inside a quoted text or a bracket; close it"),
    ("alphabetic or numeric", "an alias or anchor (* or &) without a name"),
)


def _in_our_words(exc, mark, text: str) -> str:
    problem = str(getattr(exc, "problem", None) or "")
    if "cannot start any token" in problem:
        tab = mark is not None and text[mark.index:mark.index + 1] == "\t"
        return "a tab character; indent with spaces" if tab else "a character that cannot start a value; quote it"
    column = f" (column {mark.column + 1})" if mark is not None else ""
    return next((words for fragment, words in _PROBLEMS if fragment in problem), "the structure breaks here") + column


class _Frame:
    """A mapping or sequence being read: its value, key path, anchor, size and (mappings) pending key."""

    __slots__ = ("value", "path", "anchor", "size", "key")

    def __init__(self, value, path: tuple, anchor: str | None):
        self.value, self.path, self.anchor, self.size, self.key = value, path, anchor, 1, None


class _Builder:
    """Turns events into data without recursion, so depth, aliases and tags are checked as they come."""

    def __init__(self, source: str):
        self.source = source
        self.root = _NOTHING
        self.lines: dict[tuple, int] = {(): 1}
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[object, int]] = {}  # anchor -> (value, number of nodes in it)
        self.written = 0
        self.aliased = 0
        self.documents = 0

    def fail(self, event, path: tuple | None, message: str):
        where = f" {dotted(path)}:" if path is not None else ""
        raise ConfigError(f"{self.source}:{event.start_mark.line + 1}:{where} {message}")

    def feed(self, event) -> None:
        kind = type(event)
        if kind is yaml.ScalarEvent and event.anchor is None and self.stack and type(self.stack[-1].value) is dict:
            self._mapping_scalar(event, self.stack[-1])  # most events of a large file: its keys and values
        elif kind is yaml.ScalarEvent:
            path = self._next_path(event)
            value = event.value if self._expects_key() else self._scalar(event, path)
            self.written += 1
            self._add(event, value, 1, event.anchor)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            path = self._next_path(event)
            if self._expects_key():
                self.fail(event, self.stack[-1].path, "a key must be text, not a mapping or a list")
            if len(self.stack) >= MAX_DEPTH:
                self.fail(event, path, f"nested more than {MAX_DEPTH} levels deep")
            self._check_collection_tag(event, path, "map" if kind is yaml.MappingStartEvent else "seq")
            self.stack.append(_Frame({} if kind is yaml.MappingStartEvent else [], path, event.anchor))
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            frame = self.stack.pop()
            self.written += 1
            self._add(event, frame.value, frame.size, frame.anchor)
        elif kind is yaml.AliasEvent:
            self._alias(event)
        elif kind is yaml.DocumentStartEvent:
            self.documents += 1
            if self.documents > 1:
                self.fail(event, None, "more than one YAML document (---); a file holds one")

    def _mapping_scalar(self, event, parent: _Frame) -> None:
        """A key or a value in a mapping, without an anchor: what _add does, without building its path first."""
        self.written += 1
        parent.size += 1
        if parent.key is None:
            self._set_key(event, parent, event.value)
        else:
            key = (event.value, event.tag, event.implicit)
            value = _SCALARS.get(key, _NOTHING)
            if value is _NOTHING:  # what _scalar makes of a text depends on the text alone (or it fails)
                value = self._scalar(event, parent.path + (parent.key,))
                if len(_SCALARS) < 10_000:
                    _SCALARS[key] = value
            parent.value[parent.key] = value
            parent.key = None

    def _expects_key(self) -> bool:
        return bool(self.stack) and isinstance(self.stack[-1].value, dict) and self.stack[-1].key is None

    def _next_path(self, event) -> tuple:
        if not self.stack:
            return ()
        parent = self.stack[-1]
        if isinstance(parent.value, list):
            path = parent.path + (len(parent.value),)
            self.lines[path] = event.start_mark.line + 1
            return path
        return parent.path + ((parent.key,) if parent.key is not None else ())

    def _add(self, event, value, size: int, anchor: str | None) -> None:
        if anchor is not None:
            self.anchors[anchor] = (value, size)
        if not self.stack:
            self.root = value
            return
        parent = self.stack[-1]
        parent.size += size
        if isinstance(parent.value, list):
            parent.value.append(value)
        elif parent.key is None:
            self._set_key(event, parent, value)
        else:
            parent.value[parent.key] = value
            parent.key = None

    def _set_key(self, event, parent: _Frame, key) -> None:
        if not isinstance(key, str):
            self.fail(event, parent.path, "a key must be text")
        if key == "<<" and type(event) is yaml.ScalarEvent and event.implicit[0]:
            self.fail(event, parent.path, "YAML merge keys (<<) are not supported; write the keys out")
        if key in parent.value:
            self.fail(event, parent.path + (key,), "key given twice")
        parent.key = key
        self.lines[parent.path + (key,)] = event.start_mark.line + 1

    def _alias(self, event) -> None:
        path = self._next_path(event)
        if event.anchor not in self.anchors:
            self.fail(event, path, f"alias *{event.anchor} names no anchor defined before it "
                                   "(or one that contains it)")
        value, size = self.anchors[event.anchor]
        self.aliased += size
        if self.aliased > ALIAS_ALLOWANCE + self.written:
            self.fail(event, path, f"aliases repeat more than {ALIAS_ALLOWANCE} nodes beyond what is written "
                                   "(an alias bomb?); write the values out")
        self._add(event, value, size, None)

    def _check_collection_tag(self, event, path: tuple, expected: str) -> None:
        if event.tag not in (None, "!", _TAG + expected):
            self.fail(event, path, f"unknown tag {event.tag}; this file uses no tags")

    def _scalar(self, event, path: tuple):
        text, tag = event.value, event.tag
        if tag is None or tag == "!":
            tag = _resolved(text, event.implicit)
        if not tag.startswith(_TAG):
            self.fail(event, path, f"unknown tag {tag}; this file uses no tags")
        kind = tag[len(_TAG):]
        if kind in ("str", "timestamp"):  # a date stays the text it is written as
            return text
        if kind == "null":
            return None
        if kind == "bool" and text.lower() in _BOOLEANS:
            return _BOOLEANS[text.lower()]
        if kind in ("int", "float") and len(text.strip("+-").lstrip("0").replace(".", "")) > MAX_NUMBER_DIGITS:
            self.fail(event, path, f"a number of {len(text)} characters; numbers here have at most "
                                   f"{MAX_NUMBER_DIGITS} digits")
        if kind == "int":
            if not _PLAIN_INT.fullmatch(text):
                self._refuse_yaml11_number(event, path, text, tag)
            return int(text)
        if kind == "float":
            if "_" in text or ":" in text:
                self._refuse_yaml11_number(event, path, text, tag)
            try:
                number = Decimal(text)
            except InvalidOperation:  # .inf, .nan: left as text, which is not a number
                return text
            if number.is_finite() and number and abs(number.adjusted()) > MAX_NUMBER_DIGITS:
                self.fail(event, path, f"a number with an exponent beyond {MAX_NUMBER_DIGITS}; write it out")
            return number
        self.fail(event, path, f"unknown tag !!{kind} for {text!r}; this file uses no tags")

    def _refuse_yaml11_number(self, event, path: tuple, text: str, tag: str) -> None:
        form = ("sexagesimal (base 60)" if ":" in text else "with underscores" if "_" in text else
                "hexadecimal" if text.lower().lstrip("+-").startswith("0x") else
                "binary" if text.lower().lstrip("+-").startswith("0b") else "octal (leading zero)")
        meant = _YAML11.construct_object(yaml.ScalarNode(tag, text))
        self.fail(event, path, f"{text} is a YAML 1.1 {form} number that would be read as {meant}; "
                               "write plain decimal digits (or quote it if it is a name)")


_RESOLVED: dict[tuple, str] = {}  # (text, implicit) -> tag: a large file repeats a few dozen values
_SCALARS: dict[tuple, object] = {}  # (text, tag, implicit) -> the value read (immutable: text, number, None)


def _resolved(text: str, implicit) -> str:
    key = (text, implicit)
    tag = _RESOLVED.get(key)
    if tag is None:
        tag = _RESOLVER.resolve(yaml.ScalarNode, text, implicit)
        if len(_RESOLVED) < 10_000:
            _RESOLVED[key] = tag
    return tag


def dotted(path: tuple) -> str:
    """A key path as people write it: accounts.bg.symbols.BTCUSDT.leverage."""
    try:
        text = ".".join(path)  # the common case, every key printable text: one join (100k symbols name each)
    except TypeError:  # a list index in it
        text = None
    if text is not None and text.isprintable():
        return text or "(top level)"
    return ".".join(str(part) if str(part).isprintable() else repr(part) for part in path) or "(top level)"
