"""Bitget's error answers: its code and message, the HTTP status they come with, and the documented texts."""

from __future__ import annotations

# Texts of bitget.md and the legacy error table as ccxt and CACHY-err quote it, for injected faults.
DOCUMENTED = {
    "429": "Too Many Requests",
    "40008": "Request timestamp expired",
    "40010": "Request timed out",  # the legacy REST table (CACHY-err, cited in bitget.md §2 and §8)
    "40015": "System is abnormal, please try again later",
    "40200": "Server upgrade, please try again later",
    "40604": "Server is busy, please try again later",
}


class BitgetError(Exception):
    """A business or parameter error: HTTP 400 with Bitget's code and message."""

    def __init__(self, code: str, msg: str, status: int = 400):
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status


def missing(name: str) -> BitgetError:
    return BitgetError("40019", f"Parameter {name} cannot be empty")


def bad(name: str) -> BitgetError:
    return BitgetError("40020", f"Parameter {name} error")
