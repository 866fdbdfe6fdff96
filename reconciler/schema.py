"""The desired-state JSON Schema as the installed package carries it, for editors (`reconciler schema`)."""

from __future__ import annotations

import json
from importlib.resources import files

EDITOR_SCHEMA_FILE = ".reconciler.schema.json"  # where the README's `reconciler schema > ...` puts it


def desired_state_schema() -> dict:
    """The schema document (JSON Schema 2020-12) a desired-state file is checked against."""
    return json.loads(files("reconciler").joinpath("schemas", "desired-state.schema.json").read_text("utf-8"))
