"""Keeps derivatives account settings (margin mode, leverage, isolated margin) equal to a YAML file."""

from __future__ import annotations

import importlib

__all__ = ["load", "plan", "apply", "reconcile", "narrow", "open_run", "Plan", "ApplyReport"]


def __getattr__(name: str):
    """The API, imported on first use (so `reconciler --help` does not load HTTP and schema libraries)."""
    if name in __all__:
        return getattr(importlib.import_module(".api", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
