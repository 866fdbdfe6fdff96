"""Keeps derivatives account settings (margin mode, leverage, isolated margin) equal to a YAML file."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # type checkers see the API's own signatures; at run time it is imported on first use
    from .api import (ApplyReport, ConfigError, NotConfirmed, Plan, Progress, ReconcilerError, StalePlanError,
                      VenueError, apply, load, narrow, open_run, plan, reconcile)

__all__ = ["load", "plan", "apply", "reconcile", "narrow", "open_run", "Plan", "ApplyReport", "NotConfirmed",
           "Progress", "ReconcilerError", "ConfigError", "VenueError", "StalePlanError"]


def __getattr__(name: str) -> object:
    """The API, imported on first use (so `reconciler --help` does not load HTTP and schema libraries)."""
    if name in __all__:
        return getattr(importlib.import_module(".api", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
