"""Colour for terminals only: never when NO_COLOR is set (and not empty) or the output is not a terminal."""

from __future__ import annotations

import os

CODES = {"green": "32", "yellow": "33", "red": "31", "cyan": "36", "bold": "1", "dim": "2"}


class Style:
    def __init__(self, enabled: bool):
        self.enabled = enabled

    @classmethod
    def for_stream(cls, stream) -> "Style":
        return cls(bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR"))

    def __call__(self, text: str, colour: str) -> str:
        return f"\033[{CODES[colour]}m{text}\033[0m" if self.enabled else text
