"""Keeps derivatives account settings (margin mode, leverage, isolated margin) equal to a YAML file."""

from .api import ApplyReport, Plan, apply, load, narrow, plan

__all__ = ["load", "plan", "apply", "narrow", "Plan", "ApplyReport"]
