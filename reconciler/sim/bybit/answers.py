"""Bybit's answer envelope, its error type, and the texts of the error codes the simulator answers with."""

from __future__ import annotations

import time

# Texts of DOCS error.mdx (UTA table) as bybit.md section 7 quotes them; a code the simulator answers with
# that is not in that table has its text written where it is raised.
MESSAGES = {
    0: "OK",
    429: "The trading service is experiencing a high server load. Please retry if you encounter this issue.",
    10000: "Server Timeout",
    10001: "Request parameter error",
    10002: "The request time exceeds the time window range.",
    10003: "API key is invalid. Check whether the key and domain are matched, there are 4 env: mainnet, "
           "testnet, mainnet-demo, testnet-demo",
    10004: "Error sign, please check your signature generation algorithm.",
    10005: "Permission denied, please check your API key permissions.",
    10006: "Too many visits. Exceeded the API Rate Limit.",
    10010: "Unmatched IP, please check your API key's bound IP addresses.",
    10016: "Server error.",
    10017: "Route not found.",
    10028: "The API can only be accessed by unified account users.",
    33004: "(Derivatives) Your api key has expired",
    100028: "The API cannot be accessed by unified account users.",
    110011: "Liquidation will be triggered immediately by this adjustment",
    110013: "Cannot set leverage due to risk limit level.",
    110014: "Insufficient available balance to add additional margin.",
    110015: "The position is in cross margin mode.",
    110024: "You have an existing position, so the position mode cannot be switched.",
    110025: "Position mode has not been modified.",
    110026: "Cross/isolated margin mode has not been modified.",
    110027: "Margin has not been modified.",
    110028: "You have existing open orders, so the position mode cannot be switched.",
    110029: "Hedge mode is not supported for this symbol.",
    110033: "You can't set margin without an open position",
    110036: "You are not allowed to change leverage due to cross margin mode.",
    110038: "You are not allowed to change leverage due to portfolio margin mode.",
    110043: "Set leverage has not been modified.",
    110044: "Available margin is insufficient.",
    110076: "Only isolated mode can set auto-add-margin",
    110077: "Pm mode cannot support",
    110078: "Added margin more than max can reduce margin",
    3400045: "Set margin mode failed",
}


class BybitError(Exception):
    """A Bybit refusal: `retCode`, `retMsg`, the HTTP status it comes with (200 for business errors) and `result`."""

    def __init__(self, code: int, message: str | None = None, status: int = 200, result: dict | None = None):
        self.code = int(code)
        self.message = message or MESSAGES.get(self.code, f"Error {code}")
        super().__init__(self.message)
        self.status = status
        self.result = result if result is not None else {}


def parameter_error(detail: str) -> BybitError:
    """10001 with what is wrong, the way Bybit appends details to its parameter errors."""
    return BybitError(10001, f"{MESSAGES[10001]}: {detail}")


def now_ms() -> int:
    return int(time.time() * 1000)


def envelope(result: dict, code: int = 0, message: str = "OK") -> dict:
    """Every Bybit answer: {"retCode", "retMsg", "result", "retExtInfo", "time"} (DOCS guide.mdx)."""
    return {"retCode": code, "retMsg": message, "result": result, "retExtInfo": {}, "time": now_ms()}
