"""OKX's error answer: a top-level code and message with its HTTP status, and the two parameter errors."""

from __future__ import annotations


class OkxError(Exception):
    """An OKX error answer: top-level code, message, HTTP status."""

    def __init__(self, code: str, msg: str, status: int = 200):
        super().__init__(msg)
        self.code = str(code)
        self.msg = msg
        self.status = status


def empty(param: str) -> OkxError:
    return OkxError("50014", f"Parameter {param} can not be empty", 400)


def bad(param: str) -> OkxError:
    return OkxError("51000", f"Parameter {param} error", 400)


# Texts of okx.md's error table and the OKX docs' general error table, for injected faults.
DOCUMENTED_MESSAGES = {
    "50001": "Service temporarily unavailable. Please try again later.",
    "50004": "API endpoint request timeout (does not mean that the request was successful or failed, "
             "please check the request result).",
    "50011": "Rate limit reached. Please refer to API documentation and throttle requests accordingly.",
    "50013": "Systems are busy. Please try again later.",
    "50026": "System error. Try again later.",
}
