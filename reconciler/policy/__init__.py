"""Guardrails a risk desk owns: policy rules every plan is checked against, and the windows apply may send in."""
