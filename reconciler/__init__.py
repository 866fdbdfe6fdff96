"""Keeps derivatives account settings (margin mode, leverage, isolated margin) equal to a YAML file."""

from .api import ApplyReport, Plan, apply, load, narrow, open_run, plan, reconcile

__all__ = ["load", "plan", "apply", "reconcile", "narrow", "open_run", "Plan", "ApplyReport"]
