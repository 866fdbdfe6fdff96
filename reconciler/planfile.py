"""Saved plan files: read only when they match schemas/plan.schema.json, written whole or not at all."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import jsonschema

from .errors import ConfigError
from .plan import Plan
from .schema_words import in_our_words
from .strict_yaml import check_regular_file

SCHEMA_PATH = Path(__file__).parent / "schemas" / "plan.schema.json"
MAX_PLAN_BYTES = 64 * 1024 * 1024
JSON_DEPTH_LIMIT = 1000  # a plan is 6 levels deep; a library may have raised the interpreter's recursion limit


def read_plan(path: str | Path) -> Plan:
    """The plan saved at `path`; ConfigError naming the file and the first problem when it is not one."""
    path = Path(path)
    check_regular_file(path)
    try:
        if path.stat().st_size > MAX_PLAN_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_PLAN_BYTES // 2**20} MiB; not a plan this tool wrote")
        data = bounded_loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a JSON plan: not UTF-8 text") from None
    except RecursionError:
        raise ConfigError(f"{path}: not a JSON plan: nested deeper than any plan this tool writes") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not a JSON plan: not valid JSON (column {exc.colno})") from None
    except ValueError:  # an integer of thousands of digits
        raise ConfigError(f"{path}: not a JSON plan: a number longer than any plan holds") from None
    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise ConfigError(f"{path}: not a valid plan at {where}: {in_our_words(error)}")
    return Plan.from_json(data, source=str(path))


def bounded_loads(text: str):
    """json.loads, raising RecursionError for JSON nested deeper than JSON_DEPTH_LIMIT whatever the interpreter's
    limit (the C decoder recurses once per level and would otherwise exhaust the stack)."""
    raised = sys.getrecursionlimit()
    sys.setrecursionlimit(min(raised, JSON_DEPTH_LIMIT))
    try:
        return json.loads(text)
    finally:
        sys.setrecursionlimit(raised)


def write_plan(plan: Plan, path: str | Path, flag: str = "--out") -> None:
    """Write the plan atomically (a reader never sees half a plan)."""
    write_output(plan.dumps(), path, flag)


def write_output(text: str, path: str | Path, flag: str) -> None:
    """Write a file the user named (--out, --report) whole, or say in one line why it could not be written.

    A regular file is replaced atomically; anything else that exists (/dev/null, a FIFO, a device) is written
    to as it is: renaming over it would replace the device itself."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{flag} {path}: is a directory; name a file")
    if path.exists() and not path.is_file():
        try:
            with path.open("w", encoding="utf-8") as out:
                out.write(text)
        except OSError as exc:
            raise ConfigError(f"{flag} {path}: cannot write: {exc.strerror or exc}") from None
        return
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=".reconciler-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
        raise ConfigError(f"{flag} {path}: cannot write: {exc.strerror or exc}") from None


@lru_cache(maxsize=1)
def _validator():
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))
