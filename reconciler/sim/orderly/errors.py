"""Orderly's error answers: the code, its message and the HTTP status of the documented error table."""

from __future__ import annotations

# Texts of Orderly's error-code page (orderly.md section 4), for injected faults.
DOCUMENTED = {
    "-1000": "An unknown error occurred while processing the request.",
    "-1003": "Rate limit exceed.",
    "-1011": "Can not place/cancel orders, it may because of internal network error. "
             "Please try again in a few seconds.",
    "-1012": "The place/cancel order request is rejected by internal module, it may because the account "
             "is in liquidation or other internal errors. Please try again in a few seconds.",
}


class OrderlyError(Exception):
    """A venue error answer: code, message and the HTTP status of the documented error table."""

    STATUS = {-1000: 500, -1001: 401, -1002: 401, -1003: 429, -1007: 409}

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = self.STATUS.get(code, 400)

