"""Keeps derivatives account settings equal to a YAML file."""
