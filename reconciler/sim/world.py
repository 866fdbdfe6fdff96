"""Reads and writes world files: the venues' seeded state, one section per venue, and server settings."""

from __future__ import annotations

from pathlib import Path

import yaml

from .registry import SIMULATORS


class WorldError(Exception):
    """A world file that cannot be read."""


def load_world(path: str | Path) -> dict:
    path = Path(path)
    try:
        world = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise WorldError(f"{path}: cannot read world file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise WorldError(f"{path}: not a world file: not UTF-8 text") from None
    except yaml.YAMLError as exc:  # its text quotes the file, which may be anything (a .env): only the line
        mark = getattr(exc, "problem_mark", None)
        raise WorldError(f"{path}:{mark.line + 1 if mark else 1}: not valid YAML; not a world file") from None
    if not isinstance(world, dict):
        raise WorldError(f"{path}: a world file is a mapping with one section per venue")
    if world and not set(world) & set(SIMULATORS) and not set(world) <= {"rate_limits", "timestamp_windows"}:
        raise WorldError(f"{path}: not a world file: it has no venue section ({', '.join(SIMULATORS)}); "
                         "a desired-state file is run with plan or apply, not sim")
    try:
        timestamp_windows(world)
    except WorldError as exc:
        raise WorldError(f"{path}: {exc}") from None
    return world


def timestamp_windows(world: dict) -> dict[str, float]:
    """The `timestamp_windows: {venue: seconds}` of a world: how long after its timestamp a request is accepted."""
    windows = world.get("timestamp_windows") or {}
    if not isinstance(windows, dict):
        raise WorldError("timestamp_windows must map a venue to seconds, e.g. {VENUE: 3}")
    for venue, seconds in windows.items():
        if venue not in SIMULATORS:
            raise WorldError(f"timestamp_windows.{venue}: no such venue (one of {', '.join(SIMULATORS)})")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
            raise WorldError(f"timestamp_windows.{venue}: must be a number of seconds above 0, got {seconds!r}")
    return {venue: float(seconds) for venue, seconds in windows.items()}


def save_world(world: dict, path: str | Path) -> None:
    Path(path).write_text(yaml.safe_dump(world, sort_keys=False, allow_unicode=True))
