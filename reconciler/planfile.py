"""Saved plan files: read only when they match schemas/plan.schema.json, written whole or not at all."""

from __future__ import annotations

import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

import jsonschema

from .errors import ConfigError
from .plan import Plan

SCHEMA_PATH = Path(__file__).parent / "schemas" / "plan.schema.json"
MAX_PLAN_BYTES = 64 * 1024 * 1024


def read_plan(path: str | Path) -> Plan:
    """The plan saved at `path`; ConfigError naming the file and the first problem when it is not one."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_PLAN_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_PLAN_BYTES // 2**20} MiB; not a plan this tool wrote")
        data = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ConfigError(f"{path}: not a JSON plan: {str(exc)[:200]}") from None
    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise ConfigError(f"{path}: not a valid plan at {where}: {error.message[:200]}")
    return Plan.from_json(data, source=str(path))


def write_plan(plan: Plan, path: str | Path) -> None:
    """Write the plan atomically (a reader never sees half a plan)."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a directory; --out needs a file name")
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=".plan-")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from None
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(plan.dumps())
    os.replace(temporary, path)


@lru_cache(maxsize=1)
def _validator():
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))
