"""Reads and writes world files: the venues' seeded state, one section per venue."""

from __future__ import annotations

from pathlib import Path

import yaml


class WorldError(Exception):
    """A world file that cannot be read."""


def load_world(path: str | Path) -> dict:
    path = Path(path)
    try:
        world = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise WorldError(f"{path}: cannot read world file: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise WorldError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(world, dict):
        raise WorldError(f"{path}: a world file is a mapping with one section per venue")
    return world


def save_world(world: dict, path: str | Path) -> None:
    Path(path).write_text(yaml.safe_dump(world, sort_keys=False, allow_unicode=True))
